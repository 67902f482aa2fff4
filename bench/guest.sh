# shellcheck shell=bash
# bench/guest.sh - the guest side of scripts/bench: one NIC model, every
# driver in turn on the same guest, runs interleaved (run 1: e1kd, dpdk,
# kernel; run 2: ...) so that a slow spell of the host hits all of them.
#
# Run by scripts/qemu-rig in the guest (chrooted into the host's root), with
# bench/host.sh on the host side.  Environment (set by scripts/bench):
#   BENCH_BIN      directory with e1k_bench_nic
#   E1KD E1KCTL    the daemon and its CLI (TCP through the TAP bridge)
#   PKTGEN_KO      pktgen.ko for the guest's kernel (kernel TX and load)
#   RUNS DUR WARM  runs per figure, measuring window and warm-up (s)
#   FLOOD_PPS      pace of the host's flood (RX figures and halt load)
#   TCP_SECONDS HALT_RUNS REASONS DRIVERS
#   FIGURES        which figures: "pps tcp halt load" or a part of it
#   LOAD_PPS LOAD_RX_BATCH LOAD_TX_BATCH   the fixed load of the load figures
#   NB_ARGS        more options for e1k_bench_nic (e.g. --itr-ns N)
#   AB_ARGS        the ab figure's B: options added to e1k_bench_nic's
#   TESTPMD_ARGS   more options for dpdk-testpmd's application part (e.g. --burst=64)
# Every figure goes to the host as one JSON line (rpc result ...); a figure
# that cannot be had is recorded as {"error": "..."} with the reason.
set -uo pipefail

S=$E1K_RIG_SHARE
BDF=$E1K_RIG_BDF
NIC=$E1K_RIG_NIC
FIGURES=${FIGURES:-pps tcp halt load}
LOAD_PPS=${LOAD_PPS:-20000}
LOAD_RX_BATCH=${LOAD_RX_BATCH:-1}
LOAD_TX_BATCH=${LOAD_TX_BATCH:-8}
read -r -a NB_EXTRA <<<"${NB_ARGS:-}"
read -r -a AB_EXTRA <<<"${AB_ARGS:-}"
read -r -a TP_EXTRA <<<"${TESTPMD_ARGS:-}"
KDRV=$NIC                     # the kernel driver for this model: e1000 / e1000e
W=/run/bench                  # guest-local scratch (tmpfs)
NB=$BENCH_BIN/e1k_bench_nic
PACE=$BENCH_BIN/e1k_bench_pace
DST_MAC=02:00:00:00:be:01     # TX frames go to a MAC nobody has (the host counts them)
mkdir -p "$W"
# BENCH_TRACE=1: an xtrace of this script in the share (the host can watch it).
if [[ -n ${BENCH_TRACE:-} ]]; then exec 9>"$S/trace"; BASH_XTRACEFD=9; set -x; fi
log() { echo "bench[$NIC]: $*"; }

# ---- talking to the host (bench/host.sh) ----------------------------------
mkfifo "$W/tick"
exec 8<>"$W/tick"
nap() { read -r -t "$1" -u 8 _ || true; }     # sleep without a fork
rpc_n=0
RESP=
rpc() {   # rpc CMD ARGS...: RESP=the answer
	local n=$((++rpc_n)) i
	printf '%s\n' "$*" >"$S/rpc/req.$n.tmp"
	mv "$S/rpc/req.$n.tmp" "$S/rpc/req.$n"
	for ((i = 0; i < 6000; i++)); do
		if [[ -e $S/rpc/resp.$n ]]; then
			read -r RESP <"$S/rpc/resp.$n"
			return 0
		fi
		nap 0.01
	done
	log "host did not answer '$1' within 60 s"
	RESP=
	return 1
}
result() { rpc result "$1"; }
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/ }; printf '"%s"' "${s:0:400}"; }
fail_result() {   # fail_result FIGURE DRIVER RUN MESSAGE
	log "$1 $2 run $3: $4"
	result "{\"nic\":\"$NIC\",\"figure\":\"$1\",\"driver\":\"$2\",\"run\":$3,\"error\":$(jstr "$4")}"
}

for ((i = 0; i < 3000; i++)); do [[ -e $S/rpc/ready ]] && break; nap 0.02; done
[[ -e $S/rpc/ready ]] || { log "the host side never became ready"; exit 1; }

# ---- measurement helpers -----------------------------------------------------
cpu_busy() {   # CPU=busy jiffies of the whole guest (all CPUs)
	local _c u n s i w irq sirq st
	read -r _c u n s i w irq sirq st _ </proc/stat
	CPU=$((u + n + s + irq + sirq + st))
}
HZ=$(getconf CLK_TCK)
# mark: host counters and guest CPU, as close together as the RPC allows.
mark() {   # mark VAR: VAR="host_ns rx_pk rx_bytes tx_pk tx_drop vcpu_ns qemu_ns guest_jiffies"
	cpu_busy
	local c0=$CPU
	rpc mark || return 1
	cpu_busy
	printf -v "$1" '%s %s' "$RESP" $(((c0 + CPU) / 2))
}

# ---- binding ---------------------------------------------------------------
IF=
to_vfio() { ERR=$("$BENCH_ROOT/scripts/vfio-bind" bind "$BDF" 2>&1) && ERR=; }
to_kernel() {   # IF=the kernel's interface, up, with carrier
	local i
	ERR=$("$BENCH_ROOT/scripts/vfio-bind" restore "$BDF" 2>&1) || return 1
	ERR=
	IF=
	for ((i = 0; i < 200; i++)); do
		IF=$(ls "/sys/bus/pci/devices/$BDF/net" 2>/dev/null | head -n1)
		[[ -n $IF ]] && break
		nap 0.05
	done
	[[ -n $IF ]] || { ERR="no interface for $BDF after binding $KDRV"; return 1; }
	ERR=$(ip link set "$IF" up 2>&1) || return 1
	for ((i = 0; i < 200; i++)); do
		[[ $(cat "/sys/class/net/$IF/carrier" 2>/dev/null) == 1 ]] && return 0
		nap 0.05
	done
	ERR="$IF: no carrier within 10 s"
	return 1
}

# ---- the generators / receivers per driver -----------------------------------
# Each start_* runs its program in the background (PID) and returns once it is
# moving; snap_* (RX) sets RXCOUNT to the driver's own receive counter;
# stop_* ends it.  Output of each in $W/<driver>.out.
PID=
start_e1kd() {   # start_e1kd tx|rx [MORE OPTIONS]
	to_vfio || return 1
	: >"$W/e1kd.out"
	"$NB" --device "$BDF" --mode "$1" --seconds 0 --dst "$DST_MAC" "${NB_EXTRA[@]}" "${@:2}" \
		>"$W/e1kd.out" 2>&1 &
	PID=$!
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q '"event":"up"' "$W/e1kd.out" && return 0
		kill -0 "$PID" 2>/dev/null || break
		nap 0.05
	done
	ERR="e1k_bench_nic did not come up: $(tail -n 3 "$W/e1kd.out")"
	return 1
}
snap_e1kd() {
	local before after
	before=$(grep -c '"event":"snap"' "$W/e1kd.out")
	kill -USR1 "$PID" 2>/dev/null || return 1
	for ((i = 0; i < 500; i++)); do
		after=$(grep -c '"event":"snap"' "$W/e1kd.out")
		((after > before)) && break
		nap 0.01
	done
	local line
	line=$(grep '"event":"snap"' "$W/e1kd.out" | tail -n1)
	RXCOUNT=$(sed 's/.*"rx":\([0-9]*\).*/\1/' <<<"$line")
	# What the driver itself used: its interrupts and its process's CPU.
	DRV="$(sed 's/.*"interrupts":\([0-9]*\).*/\1/' <<<"$line") $(sed 's/.*"cpu_ns":\([0-9]*\).*/\1/' <<<"$line")"
	[[ -n $RXCOUNT ]]
}
stop_e1kd() {
	kill -TERM "$PID" 2>/dev/null
	wait "$PID"
	local rc=$?
	PID=
	grep -q '"clean":true' "$W/e1kd.out" || { ERR="halt not clean (exit $rc): $(grep halt "$W/e1kd.out")"; return 1; }
}

TP_IN=$W/tp.in
start_dpdk() {   # start_dpdk txonly|rxonly
	to_vfio || return 1
	rm -f "$TP_IN"
	mkfifo "$TP_IN"
	: >"$W/dpdk.out"
	# stdbuf: testpmd's stdout is a file here, and its answers must not wait in a buffer.
	stdbuf -oL -eL dpdk-testpmd -l 0-1 -n 1 --in-memory -a "$BDF" -- -i --forward-mode="$1" --txpkts=60 \
		--nb-cores=1 --txq=1 --rxq=1 --txd=512 --rxd=512 --total-num-mbufs=32768 "${TP_EXTRA[@]}" \
		<"$TP_IN" >"$W/dpdk.out" 2>&1 &
	PID=$!
	exec 7<>"$TP_IN"   # read-write: opening never blocks on the FIFO
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q 'testpmd>' "$W/dpdk.out" && break
		kill -0 "$PID" 2>/dev/null || break
		nap 0.05
	done
	if ! grep -q 'testpmd>' "$W/dpdk.out"; then
		ERR="testpmd did not start: $(grep -E 'Error|Cause|fail|Fail' "$W/dpdk.out" | head -n 4)"
		return 1
	fi
	echo start >&7
	for ((i = 0; i < 200; i++)); do
		grep -q 'forwards packets on' "$W/dpdk.out" && return 0
		grep -qE 'Cause:|Fail to|failed' "$W/dpdk.out" && break
		nap 0.05
	done
	ERR="testpmd did not start forwarding: $(grep -E 'Cause:|Fail to|failed' "$W/dpdk.out" | head -n 4)"
	return 1
}
snap_dpdk() {
	local before after i
	before=$(grep -c 'RX-packets:' "$W/dpdk.out")
	echo "show port stats 0" >&7
	for ((i = 0; i < 500; i++)); do
		after=$(grep -c 'RX-packets:' "$W/dpdk.out")
		((after > before)) && break
		nap 0.01
	done
	RXCOUNT=$(grep 'RX-packets:' "$W/dpdk.out" | tail -n1 | awk '{print $2}')
	[[ -n $RXCOUNT ]]
}
stop_dpdk() {
	echo stop >&7
	echo quit >&7
	exec 7>&-
	local i
	for ((i = 0; i < 600; i++)); do kill -0 "$PID" 2>/dev/null || break; nap 0.05; done
	kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
	return 0
}

PG=/proc/net/pktgen
pktgen_ready() {
	[[ -d $PG ]] && return 0
	insmod "$PKTGEN_KO" 2>/dev/null
	[[ -d $PG ]] || { ERR="cannot load pktgen ($PKTGEN_KO)"; return 1; }
}
pg() { echo "$2" >"$PG/$1"; }
pktgen_start() {   # pktgen_start IF [DELAY_NS BURST]: pktgen floods IF (64-byte
	# frames) in the background, BURST frames (8) per transmit every DELAY_NS (0)
	pktgen_ready || return 1
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device $1"
	pg "$1" "count 0"
	pg "$1" "pkt_size 60"
	pg "$1" "burst ${3:-8}"
	pg "$1" "delay ${2:-0}"
	pg "$1" "dst 198.18.0.1"
	pg "$1" "dst_mac $DST_MAC"
	echo start >"$PG/pgctrl" &
	PGPID=$!
}
pktgen_stop() {
	echo stop >"$PG/pgctrl" 2>/dev/null
	wait "$PGPID" 2>/dev/null
	pg kpktgend_0 rem_device_all 2>/dev/null
}
start_kernel() {   # start_kernel tx|rx [DELAY_NS BURST]
	to_kernel || return 1
	if [[ $1 == tx ]]; then pktgen_start "$IF" "${@:2}" || return 1; fi
	return 0
}
snap_kernel() { read -r RXCOUNT <"/sys/class/net/$IF/statistics/rx_packets"; }
stop_kernel() { [[ -n ${PGPID:-} ]] && pktgen_stop; PGPID=; return 0; }

# ---- figures -------------------------------------------------------------------
# One window: warm up, mark, wait DUR, mark.  For RX the driver's own counter is
# read at both marks too, and so are e1kd's interrupts and CPU (TX as well).  Records one JSON line.
window() {   # window FIGURE DRIVER RUN
	local fig=$1 d=$2 r=$3 m0 m1 rx0=0 rx1=0 ta tb rt0=0 rt1=0 drv0='' drv1='' extra=
	nap "$WARM"
	# The driver's count is timed by the guest's clock, around each read.
	DRV=
	if [[ $fig == rx || $fig == load_rx || ($d == e1kd && ($fig == tx || $fig == load_tx || $fig == ab_tx)) ]]; then
		ta=$EPOCHREALTIME; "snap_$d" || { ERR="cannot read $d's RX counter"; return 1; }; tb=$EPOCHREALTIME
		rx0=$RXCOUNT; rt0=$(((${ta/./} + ${tb/./}) / 2)); drv0=$DRV
	fi
	[[ -z ${VARIANT:-} ]] || extra+=",\"variant\":\"$VARIANT\""
	local prof=
	if [[ $fig == profile_tx ]]; then
		prof=$NIC-$d-$r
		rpc profile-start "$prof" && [[ $RESP == ok ]] || { ERR="profile: $RESP"; return 1; }
	fi
	if ! mark m0 || ! nap "$DUR" || ! mark m1; then
		ERR="no answer from the host"
		[[ -z $prof ]] || rpc profile-stop   # perf must not outlive its window
		return 1
	fi
	if [[ -n $prof ]]; then
		rpc profile-stop && [[ $RESP == ok ]] || { ERR="profile: $RESP"; return 1; }
		extra=",\"profile\":\"$prof.txt\""
	fi
	DRV=
	if [[ $fig == rx || $fig == load_rx || ($d == e1kd && ($fig == tx || $fig == load_tx || $fig == ab_tx)) ]]; then
		ta=$EPOCHREALTIME; "snap_$d" || { ERR="cannot read $d's RX counter"; return 1; }; tb=$EPOCHREALTIME
		rx1=$RXCOUNT; rt1=$(((${ta/./} + ${tb/./}) / 2)); drv1=$DRV
	fi
	if [[ -n $drv0 && -n $drv1 ]]; then
		local di0 dc0 di1 dc1
		read -r di0 dc0 <<<"$drv0"
		read -r di1 dc1 <<<"$drv1"
		[[ $di0$di1$dc0$dc1 =~ ^[0-9]+$ ]] && extra+=",\"driver_irqs\":$((di1 - di0)),\"driver_cpu_ns\":$((dc1 - dc0))"
	fi
	read -r t0 hrx0 hrxb0 htx0 hdr0 v0 q0 c0 <<<"$m0"
	read -r t1 hrx1 hrxb1 htx1 hdr1 v1 q1 c1 <<<"$m1"
	result "{\"nic\":\"$NIC\",\"figure\":\"$fig\",\"driver\":\"$d\",\"run\":$r,\"host_ns\":$((t1 - t0)),\"tap_rx\":$((hrx1 - hrx0)),\"tap_rx_bytes\":$((hrxb1 - hrxb0)),\"tap_tx\":$((htx1 - htx0)),\"tap_tx_dropped\":$((hdr1 - hdr0)),\"driver_rx\":$((rx1 - rx0)),\"driver_us\":$((rt1 - rt0)),\"cpu_jiffies\":$((c1 - c0)),\"vcpu_ns\":$((v1 - v0)),\"qemu_ns\":$((q1 - q0)),\"hz\":$HZ,\"ncpu\":$(nproc)$extra}"
}

# One window of FIGURE: start_DRIVER START_ARGS, window, stop_DRIVER; a
# failure at any step is recorded as the figure's error (the driver name
# gets -VARIANT when VARIANT is set, as the ab figure's windows do).
run_window() {   # run_window FIGURE DRIVER RUN START_ARGS...
	local fig=$1 d=$2 r=$3 ok=1 e1
	ERR=
	if "start_$d" "${@:4}"; then
		window "$fig" "$d" "$r" || ok=0
	else
		ok=0
	fi
	e1=$ERR
	"stop_$d" || { ok=0; e1="$e1 $ERR"; }
	((ok)) || fail_result "$fig" "$d${VARIANT:+-$VARIANT}" "$r" "$e1"
	log "$fig $d${VARIANT:+ $VARIANT} run $r done${e1:+ ($e1)}"
}

measure() {   # measure tx|rx DRIVER RUN
	local fig=$1 d=$2 r=$3 mode
	case $d/$fig in
	e1kd/*) mode=$fig ;;
	dpdk/tx) mode=txonly ;;
	dpdk/rx) mode=rxonly ;;
	kernel/*) mode=$fig ;;
	esac
	run_window "$fig" "$d" "$r" "$mode"
}

# Where a full-rate TX window's vCPU time goes, with perf sampling QEMU on
# the host (bench/host.sh profile-start): how much is guest code (driver,
# generator, guest kernel) and how much the emulated device and the host.  A
# window of its own: the sampling slows QEMU down, so its rate is not a
# figure.
measure_profile() {   # measure_profile DRIVER RUN
	local mode=tx
	[[ $1 == dpdk ]] && mode=txonly   # the kernel: pktgen, as in the pps figure
	run_window profile_tx "$1" "$2" "$mode"
}

# The ab figure: e1kd's full-rate TX as configured (variant a) against the
# same with AB_ARGS added (variant b), one window each per run in this one
# guest, a first in odd runs and b first in even ones (ABBA), so that a host
# whose speed drifts during the bench favours neither.  Figure ab_tx.
measure_ab() {   # measure_ab RUN
	local v
	for v in $( (($1 % 2)) && echo "a b" || echo "b a"); do
		if [[ $v == a ]]; then
			VARIANT=a run_window ab_tx e1kd "$1" tx
		else
			VARIANT=b run_window ab_tx e1kd "$1" tx "${AB_EXTRA[@]}"
		fi
	done
}

# CPU at a fixed load, well below saturation (issue 16): the host floods
# LOAD_PPS in bursts of LOAD_RX_BATCH (1: frames arrive one at a time, the
# case interrupt moderation is for); the drivers transmit LOAD_PPS in bursts of
# LOAD_TX_BATCH (e1k_bench_nic --rate, pktgen's delay: both sleep between
# bursts).  The figure is the guest's CPU over the window.  testpmd cannot
# pace its txonly mode, so DPDK's TX row is its rxonly poll loop with nothing
# arriving: what its lcore burns whatever it sends -- a lower bound.
measure_load() {   # measure_load tx|rx DRIVER RUN
	local dir=$1 d=$2 r=$3 args
	case $d/$dir in
	e1kd/tx) args=(tx --rate "$LOAD_PPS" --batch "$LOAD_TX_BATCH") ;;
	e1kd/rx) args=(rx) ;;
	dpdk/*) args=(rxonly) ;;
	kernel/tx) args=(tx $((LOAD_TX_BATCH * 1000000000 / LOAD_PPS)) "$LOAD_TX_BATCH") ;;
	kernel/rx) args=(rx) ;;
	esac
	run_window "load_$dir" "$d" "$r" "${args[@]}"
}

# The floor under the TX fixed load: the idle guest (nothing started), and
# e1k_bench_pace waking LOAD_PPS / LOAD_TX_BATCH times a second on the
# deadlines e1kd's paced sender keeps, doing nothing else -- what any driver
# that sleeps between the load's bursts pays before it sends a frame.
# Figure load_floor, "drivers" idle and pace.
measure_floor() {   # measure_floor RUN
	local r=$1 what ok wk i
	for what in idle pace; do
		ok=1
		ERR=
		if [[ $what == pace ]]; then
			"$PACE" --rate "$LOAD_PPS" --batch "$LOAD_TX_BATCH" >"$W/pace.out" 2>&1 &
			PID=$!
		fi
		window load_floor "$what" "$r" || ok=0
		wk=
		if [[ $what == pace ]]; then
			kill -TERM "$PID" 2>/dev/null
			for ((i = 0; i < 200; i++)); do kill -0 "$PID" 2>/dev/null || break; nap 0.05; done
			kill -KILL "$PID" 2>/dev/null
			wait "$PID"
			PID=
			wk=$(grep '"event":"end"' "$W/pace.out")
			[[ -n $wk ]] || { ok=0; ERR="e1k_bench_pace did not end cleanly: $(tail -n 2 "$W/pace.out")"; }
		fi
		((ok)) || fail_result load_floor "$what" "$r" "$ERR"
		log "load floor $what run $r done${wk:+ ($wk)}"
	done
}

# TCP through the driver: iperf3 between the guest's kernel (198.18.0.2) and
# the host (198.18.0.1), guest -> host and host -> guest (-R).  Drivers:
# e1kd (the daemon with --tap, offloads as it defaults: all), e1kd-nooff
# (the same with --offloads none: one frame per syscall, no TSO, no GRO) and
# kernel (the guest kernel's own e1000/e1000e).  Runs interleaved, like the
# packet figures: run 1 of every driver, then run 2, ...; each driver is set
# up afresh for each run (both directions), so its counters are per run.
TCP_CTL=/run/e1kd/bench.sock
tcp_setup_e1kd() {   # tcp_setup_e1kd OFFLOADS
	to_vfio || return 1
	mkdir -p /run/e1kd
	"$E1KD" --device "$BDF" --tap e1k0 --ctl "$TCP_CTL" --offloads "$1" --log-level warn \
		>"$W/e1kd-tcp.log" 2>&1 &
	PID=$!
	local i
	for ((i = 0; i < 600; i++)); do
		"$E1KCTL" --ctl "$TCP_CTL" status 2>/dev/null | grep -qE '^state +Running' && break
		kill -0 "$PID" 2>/dev/null || break
		nap 0.05
	done
	ip link show e1k0 >/dev/null 2>&1 || { ERR="e1kd did not start: $(tail -n 3 "$W/e1kd-tcp.log")"; return 1; }
	IF=e1k0
}
tcp_teardown_e1kd() {
	"$E1KCTL" --ctl "$TCP_CTL" halt --reason stopped >/dev/null 2>&1 || kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}
tcp_setup_kernel() { to_kernel; }
tcp_teardown_kernel() { ip addr flush dev "$IF" 2>/dev/null; ip link set "$IF" down 2>/dev/null; }

tcp_setup() {   # tcp_setup DRIVER
	case $1 in
	e1kd) tcp_setup_e1kd all ;;
	e1kd-nooff) tcp_setup_e1kd none ;;
	kernel) tcp_setup_kernel ;;
	esac
}
tcp_keep() {   # tcp_keep SRC NAME: copy a guest file into the bench's --out dir
	cp "$1" "$S/$2" 2>/dev/null && rpc save "$2"
}
# Where e1kd's CPU goes: per thread name (e1k-tap, e1k-irq, e1k-dpc, ...,
# summed over threads of one name), user and system jiffies since boot.
thread_cpu() {   # thread_cpu PID: "name utime stime" lines
	local t comm st
	for t in /proc/"$1"/task/*; do
		read -r comm <"$t/comm" 2>/dev/null || continue
		comm=${comm// /_}
		read -r st <"$t/stat" 2>/dev/null || continue
		st=${st##*) }   # the fields after "pid (comm) ", from state on
		# shellcheck disable=SC2086
		set -- $st
		echo "$comm ${12} ${13}"
	done | awk '{ u[$1] += $2; s[$1] += $3 } END { for (n in u) print n, u[n], s[n] }' | sort
}
# The difference of two thread_cpu snapshots as JSON: {"name":[user,sys],...}.
thread_cpu_delta() {   # thread_cpu_delta BEFORE AFTER
	printf '%s\n--\n%s\n' "$1" "$2" | awk '
		$0 == "--" { after = 1; next }
		!after { u[$1] = $2; s[$1] = $3; next }
		{ printf "%s\"%s\":[%d,%d]", n++ ? "," : "{", $1, $2 - u[$1], $3 - s[$1] }
		END { print n ? "}" : "{}" }'
}

# One run of one driver: set up, both directions, its counters, tear down.
# Each transfer is bracketed by marks (bench/host.sh): the guest's busy
# jiffies (/proc/stat, all CPUs: the driver and iperf3 both run in the guest)
# and the host's view of the vCPU threads, next to iperf3's own byte count.
tcp_run() {   # tcp_run DRIVER RUN
	local d=$1 r=$2 dir f rflag m0 m1 th0 th1 kind=${1%%-*} tag=$NIC-$1-$2
	ERR=
	if ! tcp_setup "$d"; then
		for dir in tx rx; do fail_result "tcp_$dir" "$d" "$r" "$ERR"; done
		[[ $kind == e1kd ]] && tcp_keep "$W/e1kd-tcp.log" "e1kd-$tag.log"
		"tcp_teardown_$kind"
		return
	fi
	ip addr add 198.18.0.2/24 dev "$IF" 2>/dev/null
	ip link set "$IF" up
	# The first frames can take a second (QEMU's e1000 RX flush timer).
	ping -c 1 -W 5 198.18.0.1 >/dev/null 2>&1 || ping -c 2 -W 5 198.18.0.1 >/dev/null 2>&1
	for dir in tx rx; do
		f=iperf-$NIC-$d-$dir-$r.json
		rflag=()
		[[ $dir == rx ]] && rflag=(-R)
		th0= th1=
		[[ $kind == e1kd ]] && th0=$(thread_cpu "$PID")
		mark m0 || { fail_result "tcp_$dir" "$d" "$r" "no answer from the host"; continue; }
		if TMPDIR=$W iperf3 -c 198.18.0.1 -t "$TCP_SECONDS" -J "${rflag[@]}" >"$S/$f" 2>"$W/iperf.err"; then
			mark m1 || { fail_result "tcp_$dir" "$d" "$r" "no answer from the host"; continue; }
			[[ $kind == e1kd ]] && th1=$(thread_cpu "$PID")
			rpc save "$f"
			read -r t0 hrx0 hrxb0 htx0 _ v0 q0 c0 <<<"$m0"
			read -r t1 hrx1 hrxb1 htx1 _ v1 q1 c1 <<<"$m1"
			result "{\"nic\":\"$NIC\",\"figure\":\"tcp_$dir\",\"driver\":\"$d\",\"run\":$r,\"iperf\":\"$f\",\"host_ns\":$((t1 - t0)),\"tap_rx\":$((hrx1 - hrx0)),\"tap_rx_bytes\":$((hrxb1 - hrxb0)),\"tap_tx\":$((htx1 - htx0)),\"cpu_jiffies\":$((c1 - c0)),\"vcpu_ns\":$((v1 - v0)),\"qemu_ns\":$((q1 - q0)),\"hz\":$HZ,\"ncpu\":$(nproc)${th1:+,\"e1kd_threads\":$(thread_cpu_delta "$th0" "$th1")}}"
		else
			rpc save "$f"
			fail_result "tcp_$dir" "$d" "$r" "iperf3 failed: $(grep -o '"error":[^}]*' "$S/$f" | head -n1) $(head -c 200 "$W/iperf.err")"
		fi
	done
	if [[ $kind == e1kd ]]; then
		# What the bridge did in this run (tx.tso, tap.to_host_merged, ...).
		"$E1KCTL" --ctl "$TCP_CTL" --json stats >"$S/e1kd-stats-$tag.json" 2>/dev/null && rpc save "e1kd-stats-$tag.json"
		"$E1KCTL" --ctl "$TCP_CTL" --json status >"$S/e1kd-status-$tag.json" 2>/dev/null && rpc save "e1kd-status-$tag.json"
	fi
	"tcp_teardown_$kind"
	[[ $kind == e1kd ]] && tcp_keep "$W/e1kd-tcp.log" "e1kd-$tag.log"
	log "tcp $d run $r done"
}

measure_tcp() {   # measure_tcp DRIVER...: RUNS rounds of every driver, both ways
	local r d
	rpc iperf-start
	for ((r = 1; r <= RUNS; r++)); do
		for d in "$@"; do tcp_run "$d" "$r"; done
	done
	rpc iperf-stop
}

# Halt under full load: the host floods the NIC (RX) and the driver transmits
# at full rate.  e1kd: every reason, e1k_bench_nic --mode halt (the halt
# report's total).  Kernel: an AF_PACKET flood on its interface, then unbind,
# timed from the write to its return.
measure_halt_e1kd() {
	local reason r line
	for reason in $REASONS; do
		for ((r = 1; r <= HALT_RUNS; r++)); do
			if ! to_vfio; then fail_result halt e1kd "$r" "$ERR"; continue; fi
			"$NB" --device "$BDF" --mode halt --reason "$reason" --dst "$DST_MAC" --warm 20000 \
				>"$W/halt.out" 2>&1
			line=$(grep '"event":"halt"' "$W/halt.out")
			if [[ -n $line ]]; then
				result "{\"nic\":\"$NIC\",\"figure\":\"halt\",\"driver\":\"e1kd\",\"run\":$r,\"reason\":\"$reason\",\"report\":$line}"
			else
				fail_result halt e1kd "$r" "$reason: $(tail -n 3 "$W/halt.out")"
			fi
		done
		log "halt e1kd $reason done"
	done
}
measure_halt_kernel() {
	local r t0 t1 ms fl
	for ((r = 1; r <= HALT_RUNS; r++)); do
		ERR=
		if ! to_kernel; then fail_result halt kernel "$r" "$ERR"; continue; fi
		# The TX load: an unpaced AF_PACKET flood on the interface (the same
		# program as the host's flood).  Not pktgen: on unregister pktgen
		# makes the unbind wait for its own thread (up to 1.25 s,
		# "pktgen_mark_device: timed out"), which is not the driver's cost.
		"$BENCH_BIN/e1k_bench_flood" --ifname "$IF" --dst "$DST_MAC" --seconds 60 >/dev/null 2>&1 &
		fl=$!
		nap 2
		t0=$EPOCHREALTIME
		echo "$BDF" >"/sys/bus/pci/drivers/$KDRV/unbind"
		t1=$EPOCHREALTIME
		kill -TERM "$fl" 2>/dev/null
		wait "$fl" 2>/dev/null
		ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
		result "{\"nic\":\"$NIC\",\"figure\":\"halt\",\"driver\":\"kernel\",\"run\":$r,\"reason\":\"unbind\",\"report\":{\"total_ms\":$ms,\"clean\":true}}"
		# back to the kernel driver for the next round (vfio-bind restore binds it)
		echo "$BDF" >"/sys/bus/pci/drivers/$KDRV/bind" 2>/dev/null
	done
	log "halt kernel done"
}

# ---- the run -------------------------------------------------------------------
echo 128 >/proc/sys/vm/nr_hugepages
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
log "guest: $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo), hugepages $(cat /proc/sys/vm/nr_hugepages); drivers: $DRIVERS; runs $RUNS x ${DUR}s"
# The clocksource the kernel runs on (scripts/bench --guest-clock asks for one).
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)
[[ -z ${GUEST_CLOCK:-} || $clocksource == "$GUEST_CLOCK" ]] ||
	log "guest: WARNING: clocksource is $clocksource, not the $GUEST_CLOCK asked for"
result "{\"nic\":\"$NIC\",\"figure\":\"guest\",\"kernel\":\"$(uname -r)\",\"ncpu\":$(nproc),\"bdf\":\"$BDF\",\"dpdk\":\"$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null)\",\"clocksource\":\"$clocksource\"}"

# FIGURES: pps (TX and RX windows), tcp, halt, load (CPU at a fixed load),
# profile (where each driver's full-rate TX time goes; not by default), ab
# (e1kd's TX against itself with AB_ARGS; not by default).  The packet figures and the
# halts know e1kd, dpdk and kernel; the TCP figures e1kd, e1kd-nooff and
# kernel.  Other names in DRIVERS are skipped where they have no figure.
has() { [[ " $1 " == *" $2 "* ]]; }
pkt_drivers=() tcp_drivers=()
for d in $DRIVERS; do
	case $d in
	e1kd|kernel) pkt_drivers+=("$d"); tcp_drivers+=("$d") ;;
	dpdk) pkt_drivers+=("$d") ;;
	e1kd-nooff) tcp_drivers+=("$d") ;;
	esac
done
if has "$FIGURES" pps && ((${#pkt_drivers[@]})); then
	for ((run = 1; run <= RUNS; run++)); do
		for d in "${pkt_drivers[@]}"; do measure tx "$d" "$run"; done
		rpc flood-start "$FLOOD_PPS"
		for d in "${pkt_drivers[@]}"; do measure rx "$d" "$run"; done
		rpc flood-stop
		result "{\"nic\":\"$NIC\",\"figure\":\"flood\",\"run\":$run,\"flood\":$RESP}"
	done
fi
if has "$FIGURES" tcp && ((${#tcp_drivers[@]})); then measure_tcp "${tcp_drivers[@]}"; fi
if has "$FIGURES" load && ((${#pkt_drivers[@]})); then
	for ((run = 1; run <= RUNS; run++)); do
		for d in "${pkt_drivers[@]}"; do measure_load tx "$d" "$run"; done
		measure_floor "$run"
		rpc flood-start "$LOAD_PPS $LOAD_RX_BATCH"
		for d in "${pkt_drivers[@]}"; do measure_load rx "$d" "$run"; done
		rpc flood-stop
		result "{\"nic\":\"$NIC\",\"figure\":\"load_flood\",\"run\":$run,\"flood\":$RESP}"
	done
fi
if has "$FIGURES" ab && has "$DRIVERS" e1kd; then
	for ((run = 1; run <= RUNS; run++)); do measure_ab "$run"; done
fi
if has "$FIGURES" profile; then
	for ((run = 1; run <= RUNS; run++)); do
		for d in "${pkt_drivers[@]}"; do measure_profile "$d" "$run"; done
	done
fi
if has "$FIGURES" halt && ((HALT_RUNS > 0)); then
	rpc flood-start "$FLOOD_PPS"
	if has "$DRIVERS" e1kd; then measure_halt_e1kd; fi
	if has "$DRIVERS" kernel; then measure_halt_kernel; fi
	rpc flood-stop
fi
"$BENCH_ROOT/scripts/vfio-bind" restore "$BDF" >/dev/null 2>&1
result "{\"nic\":\"$NIC\",\"figure\":\"end\"}"
rpc quit
log "done"
