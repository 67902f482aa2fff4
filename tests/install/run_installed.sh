#!/usr/bin/env bash
# run_installed.sh ROOT TMP - the installed e1kd and e1kctl (under ROOT, a
# prefix inside a DESTDIR) against the software model; install.sh runs it,
# as root with the build and source trees hidden.  TMP holds harness.sh and
# is this run's scratch directory.
set -euo pipefail
root=$1 tmp=$2
source "$tmp/harness.sh"
E1KD=$root/sbin/e1kd E1KCTL=$root/bin/e1kctl

expect e1kd_version 0 '^e1kd [0-9]' "$E1KD" --version
expect e1kctl_version 0 '^e1kctl [0-9]' "$E1KCTL" --version
expect vfio_bind_help 0 'bind to vfio-pci' "$root/sbin/e1kd-vfio-bind" --help

ctl=$tmp/run/e1kd.sock
"$E1KD" --device sim:82540em --ctl "$ctl" --report "$tmp/report.json" --log-level warn \
	>"$tmp/e1kd.log" 2>&1 &
pid=$!
pids+=("$pid")
HARNESS_WATCH=$pid
if wait_for e1kd_answers 30 "$E1KCTL" --ctl "$ctl" status; then
	ok e1kd_answers
	state=$("$E1KCTL" --ctl "$ctl" --json status | "$E1KCTL" report get - state)
	[[ $state == Running ]] && ok installed_running || bad installed_running "state $state"
	check installed_stats "$E1KCTL" --ctl "$ctl" stats
	expect installed_halt 0 'Halted' "$E1KCTL" --ctl "$ctl" halt --reason stopped
fi
rc=0
wait "$pid" || rc=$?
HARNESS_WATCH=
((rc == 0)) && ok e1kd_exit_0 || bad e1kd_exit_0 "exit $rc: $(cat "$tmp/e1kd.log")"
check report_clean "$E1KCTL" report check "$tmp/report.json" --reason stopped

# The installed completion, completing the installed e1kctl.
comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _e1kctl
		echo "${COMPREPLY[*]}"' _ "$root/share/bash-completion/completions/e1kctl" "$@"
}
c=$(comp "$E1KCTL" "")
[[ " $c " == *" status "* && " $c " == *" halt "* && " $c " == *" report "* ]] &&
	ok completion_commands || bad completion_commands "got: $c"
c=$(comp "$E1KCTL" halt --reason s)
[[ $c == "surprise-removed stopped" ]] && ok completion_reasons || bad completion_reasons "got: $c"
c=$(comp "$E1KCTL" filter "")
[[ $c == "add del list" ]] && ok completion_keywords || bad completion_keywords "got: $c"

if command -v groff >/dev/null; then
	for m in "$root"/share/man/man8/*.8; do
		w=$(groff -man -ww -z -Tutf8 "$m" 2>&1)
		[[ -z $w ]] && ok "man_formats_${m##*/}" || bad "man_formats_${m##*/}" "$w"
	done
fi
summary
