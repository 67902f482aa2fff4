#!/usr/bin/env python3
"""notify_test.py E1KD E1KCTL - e1kd's sd_notify messages, this test playing
systemd: it binds the unix datagram socket, passes it in NOTIFY_SOCKET and
starts e1kd on the software model.

  path, abstract  (NOTIFY_SOCKET a path, then "@name"): READY=1 arrives; e1kd
                  stopped (SIGSTOP) as it does already has its control socket,
                  and then answers "Running" (ready means Running and
                  listening); no STOPPING=1 before it; after
                  `e1kctl halt` STOPPING=1 with STATUS=halting (stopped), then
                  STATUS=halted; exit 0
  sigterm         SIGTERM: STOPPING=1, reason stopped
  start_fails     the control socket's directory refused (group-writable):
                  never READY=1, STOPPING=1 (initialization-failed), exit 1
  bad_address     NOTIFY_SOCKET "vsock:..." (not supported): a warning, and
                  e1kd runs and halts as without it
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

E1KD, E1KCTL = sys.argv[1], sys.argv[2]
failed = 0


tmps = []


def scratch():
    tmps.append(tempfile.mkdtemp(prefix="e1k-notify."))
    return tmps[-1]


def result(name, good, why=""):
    global failed
    print(("PASS " if good else "FAIL ") + name + ("" if good else ": " + why))
    failed += 0 if good else 1


def ctl(sock, *args):
    return subprocess.run([E1KCTL, "--ctl", sock, "--timeout", "10000", *args],
                          capture_output=True, text=True)


def state(sock):
    r = ctl(sock, "--json", "status")
    if r.returncode != 0:
        return "no answer (%d: %s)" % (r.returncode, r.stderr.strip())
    g = subprocess.run([E1KCTL, "report", "get", "-", "state"], input=r.stdout,
                       capture_output=True, text=True)
    return g.stdout.strip()


class Manager:
    """The notify socket and what arrived on it, in order."""

    def __init__(self, tmp, abstract):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "e1k-notify-%d-%d" % (os.getpid(), time.monotonic_ns())
            self.s.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = os.path.join(tmp, "notify")
            self.s.bind(self.env)
        self.msgs = []

    def index(self, prefix):
        """The first message with a line starting with prefix, or -1."""
        for i, m in enumerate(self.msgs):
            if any(l.startswith(prefix) for l in m.split("\n")):
                return i
        return -1

    def wait_for(self, prefix, timeout=30.0):
        """Messages until one has a line starting with prefix (True), or the
        deadline (False)."""
        end = time.monotonic() + timeout
        while self.index(prefix) < 0 and time.monotonic() < end:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                self.msgs.append(self.s.recv(4096).decode())
            except socket.timeout:
                break
        return self.index(prefix) >= 0


def start(tmp, mgr_env, ctl_path):
    env = dict(os.environ, NOTIFY_SOCKET=mgr_env)
    return subprocess.Popen([E1KD, "--device", "sim:82540em", "--ctl", ctl_path,
                             "--log-level", "warn"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(p):
    try:
        out, _ = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return p.returncode, out


def case_run(name, abstract, stop):
    tmp = scratch()
    sock = os.path.join(tmp, "run", "e1kd.sock")
    mgr = Manager(tmp, abstract)
    p = start(tmp, mgr.env, sock)
    ready = mgr.wait_for("READY=1")
    # Freeze e1kd the moment READY=1 is in (before it can go on starting):
    # its control socket must exist already; then it must answer Running.
    sock_then = None
    if ready:
        p.send_signal(signal.SIGSTOP)
        sock_then = os.path.exists(sock)
        p.send_signal(signal.SIGCONT)
    st = state(sock) if ready else "-"
    result(name + "_ready", ready, "no READY=1 in 30 s: %r" % mgr.msgs)
    if ready:
        result(name + "_listening_when_ready", sock_then, "no control socket yet")
        result(name + "_running_when_ready", st == "Running", "status says %s" % st)
        result(name + "_no_stopping_before_ready",
               mgr.index("STOPPING=1") < 0 or mgr.index("STOPPING=1") > mgr.index("READY=1"),
               repr(mgr.msgs))
        result(name + "_status_running",
               mgr.index("STATUS=running: sim:82540em") == mgr.index("READY=1"), repr(mgr.msgs))
    if stop == "halt":
        r = ctl(sock, "halt", "--reason", "stopped")
        result(name + "_halt", r.returncode == 0, r.stderr)
    else:
        p.send_signal(signal.SIGTERM)
    stopping = mgr.wait_for("STOPPING=1")
    result(name + "_stopping", stopping, repr(mgr.msgs))
    if stopping:
        m = mgr.msgs[mgr.index("STOPPING=1")]
        result(name + "_stopping_reason", "STATUS=halting (stopped)" in m, repr(m))
        result(name + "_halted_status", mgr.wait_for("STATUS=halted (stopped) in "),
               repr(mgr.msgs))
    rc, out = finish(p)
    result(name + "_exit_0", rc == 0, "exit %s: %s" % (rc, out))
    mgr.s.close()


def case_start_fails():
    tmp = scratch()
    bad = os.path.join(tmp, "open")
    os.mkdir(bad)
    os.chmod(bad, 0o777)
    mgr = Manager(tmp, False)
    p = start(tmp, mgr.env, os.path.join(bad, "e1kd.sock"))
    rc, out = finish(p)
    mgr.wait_for("STOPPING=1", 5)
    result("start_fails_exit_1", rc == 1, "exit %s: %s" % (rc, out))
    result("start_fails_never_ready", mgr.index("READY=1") < 0, repr(mgr.msgs))
    i = mgr.index("STOPPING=1")
    result("start_fails_stopping", i >= 0 and "initialization-failed" in mgr.msgs[i], repr(mgr.msgs))


def case_bad_address():
    tmp = scratch()
    sock = os.path.join(tmp, "run", "e1kd.sock")
    p = start(tmp, "vsock:2:1234", sock)
    end = time.monotonic() + 30
    while time.monotonic() < end and state(sock) != "Running" and p.poll() is None:
        time.sleep(0.05)
    result("bad_address_runs", state(sock) == "Running", "e1kd did not come up")
    ctl(sock, "halt", "--reason", "stopped")
    rc, out = finish(p)
    result("bad_address_exit_0", rc == 0, "exit %s: %s" % (rc, out))
    result("bad_address_warns", "NOTIFY_SOCKET" in out and "vsock" in out, out)


case_run("path", False, "halt")
case_run("abstract", True, "halt")
case_run("sigterm", False, "signal")
case_start_fails()
case_bad_address()
for t in tmps:
    shutil.rmtree(t, ignore_errors=True)
print("%s" % ("all passed" if not failed else "%d failed" % failed))
sys.exit(1 if failed else 0)
