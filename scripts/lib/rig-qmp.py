#!/usr/bin/env python3
"""rig-qmp.py - drive QEMU's QMP socket for scripts/qemu-rig.

    rig-qmp.py [--log FILE] SOCKET SCRIPT      run a script (see below)
    rig-qmp.py SOCKET --cmd JSON               one command, print its reply

Script lines (blank lines and '#' comments ignored):
    { "execute": ... }        send; fail unless the reply is "return"
    wait-file NAME [T]        wait until $E1K_RIG_SHARE/NAME exists (default 60 s)
    wait-event EVENT [T]      wait for a QMP event, e.g. DEVICE_DELETED (default 30 s)
    mark NAME                 create $E1K_RIG_SHARE/NAME (tells the guest)
    sleep S

Every command, reply and event is logged with its time since start; events are
also appended to $E1K_RIG_SHARE/qmp-events (one JSON object per line) so the
guest can see them.  Exit 0 when the script completed, 1 otherwise.
"""
import json
import os
import socket
import sys
import time

T0 = time.monotonic()
LOG = sys.stderr


def log(msg):
    LOG.write("%7.3f %s\n" % (time.monotonic() - T0, msg))
    LOG.flush()


class Qmp:
    def __init__(self, path, deadline_s=30.0):
        end = time.monotonic() + deadline_s
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise RuntimeError("cannot connect to QMP at %s" % path)
                time.sleep(0.05)
        self.buf = b""
        self.events = []
        greeting = self.read(10.0)
        if greeting is None or "QMP" not in greeting:
            raise RuntimeError("no QMP greeting")
        self.command({"execute": "qmp_capabilities"})

    def read(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise RuntimeError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def note_event(self, msg):
        log("event %s" % json.dumps(msg))
        self.events.append(msg)
        share = os.environ.get("E1K_RIG_SHARE")
        if share:
            with open(os.path.join(share, "qmp-events"), "a") as f:
                f.write(json.dumps(msg) + "\n")

    def command(self, cmd, timeout=10.0):
        log("send %s" % json.dumps(cmd))
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        end = time.monotonic() + timeout
        while True:
            msg = self.read(max(0.0, end - time.monotonic()))
            if msg is None:
                raise RuntimeError("no reply to %s" % json.dumps(cmd))
            if "event" in msg:
                self.note_event(msg)
                continue
            log("reply %s" % json.dumps(msg))
            if "error" in msg:
                raise RuntimeError("QMP error: %s" % json.dumps(msg["error"]))
            return msg

    def wait_event(self, name, timeout):
        for i, ev in enumerate(self.events):
            if ev.get("event") == name:
                del self.events[i]
                return ev
        end = time.monotonic() + timeout
        while True:
            msg = self.read(max(0.0, end - time.monotonic()))
            if msg is None:
                raise RuntimeError("no %s event within %.0f s" % (name, timeout))
            if "event" in msg:
                self.note_event(msg)
                if msg["event"] == name:
                    self.events.remove(msg)
                    return msg


def run_script(q, path):
    share = os.environ.get("E1K_RIG_SHARE", ".")
    with open(path) as f:
        lines = f.read().splitlines()
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            q.command(json.loads(line))
            continue
        words = line.split()
        if words[0] == "wait-file":
            timeout = float(words[2]) if len(words) > 2 else 60.0
            target = os.path.join(share, words[1])
            end = time.monotonic() + timeout
            while not os.path.exists(target):
                if time.monotonic() > end:
                    raise RuntimeError("%s did not appear within %.0f s" % (words[1], timeout))
                # Poll: the file is written by the guest through 9p, which has
                # no notification we could wait on from here.
                time.sleep(0.05)
            log("file %s" % words[1])
        elif words[0] == "wait-event":
            timeout = float(words[2]) if len(words) > 2 else 30.0
            ev = q.wait_event(words[1], timeout)
            log("got %s" % words[1])
            del ev
        elif words[0] == "mark":
            open(os.path.join(share, words[1]), "w").close()
            log("mark %s" % words[1])
        elif words[0] == "sleep":
            time.sleep(float(words[1]))
        else:
            raise RuntimeError("unknown script line: %s" % line)


def main(argv):
    global LOG
    args = argv[1:]
    if args[:1] == ["--log"]:
        LOG = open(args[1], "a")
        args = args[2:]
    if len(args) == 3 and args[1] == "--cmd":
        q = Qmp(args[0])
        print(json.dumps(q.command(json.loads(args[2]))))
        return 0
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        q = Qmp(args[0])
        run_script(q, args[1])
    except (RuntimeError, OSError, ValueError) as e:
        log("FAILED: %s" % e)
        sys.stderr.write("rig-qmp: %s\n" % e)
        return 1
    log("script done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
