#!/usr/bin/env python3
"""tests/install/man_check.py - the man pages against the programs' own --help.

    man_check.py --man DIR --e1kd BIN --e1kctl BIN --vfio-bind SCRIPT
    man_check.py ... --selftest    the same, then proof that a change to a help
                                   text (an option added, a command dropped, a
                                   reason renamed, an exit code added) fails

For each program, what its --help lists and what its man page (DIR/NAME.8, the
roff source) documents must be the same sets, both ways:
  options    every "-x"/"--word" in an entry's head: a help line indented two
             spaces up to its description, a man entry (.TP/.TQ head) under
             OPTIONS or COMMANDS
  commands   the leading lower-case words of such a head ("filter add",
             "report check"; e1kctl's come from the verb table), under COMMANDS
  exit codes e1kctl's "Exit status:" list, e1kd's "Exit status:" sentence,
             vfio-bind's "exit status N" / "exit N" / "Exit N"; the man page's
             single-digit heads under EXIT STATUS
  reasons    the halt reasons e1kctl --help lists (name and NDIS name), in
             e1kd.8 and e1kctl.8: every pair present, no other NdisHalt* name
The man pages must also format without a groff warning (when groff is here).
One line per difference; exit 1 if any.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z-]*)")
WORD = re.compile(r"^[a-z][a-z-]*$")
REASON = re.compile(r"^\s{8,}([a-z][a-z-]*)\s+(NdisHalt\w+)\s*$")


def head_parts(head, prog):
    """(options, command) of one entry head."""
    words = head.split()
    if words and words[0] == prog:
        words = words[1:]
    cmd = []
    for w in words:
        if not WORD.match(w):
            break
        cmd.append(w)
    return set(OPT.findall(" ".join(words))), " ".join(cmd)


def help_entries(text, prog, has_commands):
    """Options and commands of a help text: entry heads are lines indented
    by exactly two spaces; the head ends at two spaces or the line's end.
    Without commands (e1kd) a head starts with '-': its other indented
    lines are prose (the signal list)."""
    opts, cmds = set(), set()
    for line in text.splitlines():
        if not re.match(r"^  \S", line):
            continue
        head = re.split(r"\s{2,}", line.strip())[0]
        if not (head.startswith("-") or (has_commands and head[:1].islower())):
            continue   # "E1KD_CTL ...", "0  success", "SIGTERM ..."
        o, c = head_parts(head, prog)
        opts |= o
        if c:
            cmds.add(c)
    return opts, cmds


def roff_text(s):
    """A roff line as text: macro name, font changes, quotes and escapes gone."""
    s = re.sub(r"^\.(B|I|BI|IB|BR|RB|IR|RI|SM|SB)\s+", "", s)
    s = re.sub(r"\\f[BIRP]|\\f\(..|\\&|\\e", "", s)
    s = s.replace("\\-", "-").replace("\\(aq", "'").replace("\\(->", "->")
    return s.replace('"', "")


def man_sections(src):
    """{SECTION: [entry heads]} and the whole page as text."""
    sections, cur, lines = {}, None, src.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r'^\.SH\s+"?([^"]+)"?', line)
        if m:
            cur = m.group(1).strip()
            sections.setdefault(cur, [])
        elif line.strip() in (".TP", ".TQ") and cur and i + 1 < len(lines):
            sections[cur].append(roff_text(lines[i + 1]).strip())
    text = "\n".join(roff_text(l) for l in lines if not l.startswith('.\\"'))
    return sections, text


def man_entries(sections, prog):
    opts, cmds = set(), set()
    for sec in ("OPTIONS", "COMMANDS"):
        for head in sections.get(sec, []):
            o, c = head_parts(head, prog)
            opts |= o
            if sec == "COMMANDS" and c:
                cmds.add(c)
    return opts, cmds


def help_exit_codes(name, text):
    if name == "e1kctl":
        m = re.search(r"^Exit status:\n((?:  .*\n?)+)", text, re.M)
        return set(re.findall(r"^  (\d)  ", m.group(1), re.M)) if m else set()
    if name == "e1kd":
        m = re.search(r"^Exit status:(.*?)(?:\n\n|\Z)", text, re.M | re.S)
        return set(re.findall(r"\b(\d) (?:after|on)\b", m.group(1))) if m else set()
    return set(re.findall(r"(?i)\bexit(?: status)? (\d)\b", text))


def reasons_of(help_text):
    return {m.group(1): m.group(2) for m in map(REASON.match, help_text.splitlines()) if m}


def compare(what, name, in_help, in_man, problems):
    for x in sorted(in_help - in_man):
        problems.append(f"{name}: {what} '{x}' is in --help but not in {name}.8")
    for x in sorted(in_man - in_help):
        problems.append(f"{name}: {what} '{x}' is in {name}.8 but not in --help")


def check(helps, pages):
    """helps: {name: help text}; pages: {name: roff source}.  Problems."""
    problems = []
    for name, text in helps.items():
        prog = "vfio-bind" if name == "e1kd-vfio-bind" else name
        sections, _ = man_sections(pages[name])
        h_opts, h_cmds = help_entries(text, prog, name != "e1kd")
        m_opts, m_cmds = man_entries(sections, name)
        compare("option", name, h_opts, m_opts, problems)
        compare("command", name, h_cmds, m_cmds, problems)
        m_codes = {h for h in sections.get("EXIT STATUS", []) if re.fullmatch(r"\d", h)}
        compare("exit code", name, help_exit_codes(name, text), m_codes, problems)
    reasons = reasons_of(helps["e1kctl"])
    if len(reasons) != 7:
        problems.append(f"e1kctl --help lists {len(reasons)} halt reasons, not 7")
    for name in ("e1kd", "e1kctl"):
        _, text = man_sections(pages[name])
        for short, ndis in reasons.items():
            if not re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])\s*\(?\s*{ndis}\b", text):
                problems.append(f"{name}: halt reason '{short}' ({ndis}) is not in {name}.8")
        for ndis in sorted(set(re.findall(r"NdisHalt\w+", text)) - set(reasons.values())):
            problems.append(f"{name}: {name}.8 names '{ndis}', which is no halt reason")
    return problems


def groff_warnings(paths):
    if not shutil.which("groff"):
        print("note: groff not found; formatting not checked")
        return []
    out = []
    for p in paths:
        r = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", p],
                           capture_output=True, text=True)
        out += [f"{os.path.basename(p)}: {l}" for l in r.stderr.splitlines()]
    return out


def selftest(helps, pages):
    """Each change to a help text must be caught, with the right line."""
    cases = [
        ("e1kd", lambda t: t.replace("  --noiommu ", "  --fake-option        x\n  --noiommu ", 1),
         "option '--fake-option' is in --help"),
        ("e1kctl", lambda t: re.sub(r"^  mtu N .*\n", "", t, flags=re.M),
         "command 'mtu' is in e1kctl.8 but not"),
        ("e1kctl", lambda t: t.replace("NdisHaltDeviceStopped", "NdisHaltDeviceStoppd"),
         "halt reason 'stopped' (NdisHaltDeviceStoppd)"),
        ("e1kctl", lambda t: t.replace("\nExit status:\n", "\nExit status:\n  5  new\n"),
         "exit code '5' is in --help"),
        ("e1kd-vfio-bind", lambda t: t.replace("vfio-bind status", "vfio-bind list", 1),
         "command 'list' is in --help"),
    ]
    bad = 0
    for name, change, want in cases:
        h = dict(helps)
        h[name] = change(h[name])
        if h[name] == helps[name]:
            print(f"selftest: the change for '{want}' did not apply")
            bad += 1
            continue
        got = check(h, pages)
        if not any(want in p for p in got):
            print(f"selftest: not caught: {want} (got: {got})")
            bad += 1
        else:
            print(f"selftest: caught: {want}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--man", required=True)
    ap.add_argument("--e1kd", required=True)
    ap.add_argument("--e1kctl", required=True)
    ap.add_argument("--vfio-bind", required=True)
    ap.add_argument("--selftest", action="store_true")
    a = ap.parse_args()
    progs = {"e1kd": [a.e1kd], "e1kctl": [a.e1kctl], "e1kd-vfio-bind": ["bash", a.vfio_bind]}
    helps, pages = {}, {}
    for name, cmd in progs.items():
        r = subprocess.run(cmd + ["--help"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name} --help exited {r.returncode}: {r.stderr.strip()}")
            return 1
        helps[name] = r.stdout
        with open(os.path.join(a.man, name + ".8")) as f:
            pages[name] = f.read()
    problems = check(helps, pages)
    problems += groff_warnings([os.path.join(a.man, n + ".8") for n in progs])
    for p in problems:
        print("FAIL", p)
    if not problems:
        print(f"PASS the man pages of {', '.join(progs)} match their --help")
    bad_selftest = selftest(helps, pages) if a.selftest else 0
    return 1 if problems or bad_selftest else 0


if __name__ == "__main__":
    sys.exit(main())
