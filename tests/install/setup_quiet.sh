#!/usr/bin/env bash
# setup_quiet.sh SETUP - scripts/setup says one line per step and keeps apt's
# output in the log it names.
#
#   present    on this machine (everything installed): one line, "all N
#              packages present", in under 5 s (one dpkg-query, not one per
#              package)
#   installs   a fake dpkg-query (nothing installed) and a fake apt-get that
#              writes 400 lines: setup prints four lines (the log's name, the
#              two steps, done), none of apt's, and the log holds all of them
#   fails      the fake apt-get install failing: setup exits non-zero and
#              prints the whole log (apt's last line included)
# The fakes go first in PATH; nothing is installed.  The last two need root
# (setup refuses to install otherwise; exit 77 then).
set -euo pipefail
SETUP=$(readlink -f "$1")
source "$(dirname "$0")/../lib/harness.sh"
harness_tmp e1k-setup

t0=${EPOCHREALTIME/[.,]/}
rc=0
out=$("$SETUP" 2>&1) || rc=$?
dt=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
if ((rc != 0)); then
	bad present "exit $rc (is every package installed? scripts/setup): $out"
elif [[ $(grep -c '' <<<"$out") -ne 1 || ! $out =~ ^setup:\ all\ [0-9]+\ packages\ present$ ]]; then
	bad present "want one line 'all N packages present': $out"
elif ((dt > 5000)); then
	bad present "took $dt ms"
else
	ok "present ($dt ms)"
fi

if ((EUID != 0)); then
	summary || exit 1
	echo "skip: the install steps need root (setup refuses to install otherwise)"
	exit 77
fi

fake=$tmp/bin
mkdir -p "$fake"
cat >"$fake/dpkg-query" <<'F'
#!/bin/sh
exit 1
F
cat >"$fake/apt-get" <<'F'
#!/bin/bash
for ((i = 0; i < 200; i++)); do echo "apt-noise $1 $i"; echo "apt-noise-err $1 $i" >&2; done
if [[ $1 == install && -n ${FAKE_APT_FAIL:-} ]]; then
	echo "E: fake failure of $1" >&2
	exit 100
fi
exit 0
F
chmod +x "$fake/dpkg-query" "$fake/apt-get"

rc=0
out=$(PATH=$fake:$PATH E1K_SETUP_LOG=$tmp/ok.log "$SETUP" 2>&1) || rc=$?
lines=$(grep -c '' <<<"$out")
if ((rc != 0)); then
	bad installs "exit $rc: $out"
elif ((lines != 4)) || grep -q apt-noise <<<"$out"; then
	bad installs "want 4 lines and no apt output, got $lines: $(head -c 600 <<<"$out")"
elif ! grep -q "apt's output goes to $tmp/ok.log" <<<"$out"; then
	bad installs "the log is not named: $out"
else
	ok installs
fi
n=$(grep -c apt-noise "$tmp/ok.log" || true)
((n == 800)) && ok log_has_apt_output || bad log_has_apt_output "$n of 800 apt lines in the log"

rc=0
out=$(PATH=$fake:$PATH FAKE_APT_FAIL=1 E1K_SETUP_LOG=$tmp/fail.log "$SETUP" 2>&1) || rc=$?
if ((rc == 0)); then
	bad fails "exit 0 after apt-get install failed"
elif ! grep -q "E: fake failure of install" <<<"$out" ||
	(($(grep -c apt-noise <<<"$out") != 800)); then
	bad fails "the whole log is not shown: $(tail -c 400 <<<"$out")"
elif ! grep -q "^setup: installing .* FAILED" <<<"$out"; then
	bad fails "the failed step is not named: $(head -c 400 <<<"$out")"
else
	ok fails_shows_log
fi
summary
