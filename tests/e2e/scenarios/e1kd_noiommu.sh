# shellcheck shell=bash
# e1kd_noiommu: VFIO without an IOMMU.  The guest boots without intel-iommu and
# with a vfio.ko rebuilt with CONFIG_VFIO_NOIOMMU (scripts/qemu-rig --noiommu,
# vfio.enable_unsafe_noiommu_mode=1).  scripts/vfio-bind binds the NIC, which
# has no IOMMU group of its own, and vfio-pci gives it /dev/vfio/noiommu-N;
# vfio_probe --noiommu opens it with VFIO_NOIOMMU_IOMMU (MAC, and a locked
# page's physical address from pagemap); e1kd refuses the group unless told
# otherwise; e1kd --noiommu (2 MiB huge pages reserved) passes traffic both
# ways and halts cleanly.  Not in the default set: the first run downloads
# ~150 MB (linux-source-6.1 and headers) to build vfio.ko.
# e2e-needs: e1kd-vfio
# e2e-set: extended
# e2e-rig: --noiommu
# e2e-timeout: 600
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

equal rig_noiommu "${E1K_RIG_NOIOMMU:-0}" 1
equal noiommu_param "$(cat /sys/module/vfio/parameters/enable_unsafe_noiommu_mode 2>&1)" Y
if [[ -e /sys/bus/pci/devices/$BDF/iommu_group ]]; then
	nok no_iommu_group "$BDF has an IOMMU group before binding: is there an IOMMU?"
else
	ok no_iommu_group
fi
out=$("$VFIO_BIND" bind "$BDF" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
equal bind_exit "$rc" 0
if grep -q 'no-IOMMU mode' <<<"$out"; then ok bind_warns_noiommu; else nok bind_warns_noiommu "$(oneline "$out")"; fi
g=$(basename "$(readlink -f "/sys/bus/pci/devices/$BDF/iommu_group")")
if [[ -c /dev/vfio/noiommu-$g ]]; then ok dev_vfio_noiommu_node; else nok dev_vfio_noiommu_node "no /dev/vfio/noiommu-$g: $(ls /dev/vfio 2>&1 | tr '\n' ' ')"; fi

out=$("$VFIO_PROBE" "$BDF" --noiommu 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
equal probe_exit "$rc" 0
get() { sed -n "s/^$1=//p" <<<"$out" | head -n1; }
equal probe_iommu "$(get iommu)" noiommu
equal probe_mac "$(get mac)" 52:54:00:12:34:56
if [[ $(get dma_phys) =~ ^0x[0-9a-f]+$ ]]; then ok probe_dma_phys; else nok probe_dma_phys "no physical address"; fi

# e1kd refuses a no-IOMMU group unless asked: the device could DMA anywhere.
out=$(timeout 30 "$E1KD" --device "$BDF" --ctl "$E1KD_CTL" 2>&1)
rc=$?
if ((rc != 0)) && grep -qi 'no-IOMMU' <<<"$out"; then ok e1kd_refuses_by_default; else nok e1kd_refuses_by_default "exit $rc: $(oneline "$out")"; fi

if ! "$E1KD" --help 2>&1 | grep -q -- '--noiommu'; then
	check restore "$VFIO_BIND" restore "$BDF"
	((failed == 0)) && skip "binding and VFIO work without an IOMMU; e1kd has no --noiommu option (hal_vfio_opts.prefer_noiommu) to drive the NIC"
	finish
fi

# The packet pool must be physically contiguous: one 2 MiB huge page.
echo 16 >/proc/sys/vm/nr_hugepages
if e1kd_start noiommu --noiommu; then
	ctl_get status mac
	equal mac "${J[0]}" 52:54:00:12:34:56
	if e1k0_up noiommu; then
		check ping_guest_to_host ping -c 3 -i 0.2 -w 15 198.18.0.1
		host_check ping_host_to_guest 30 'ping -c 3 -i 0.2 -w 15 198.18.0.2'
		head -c 262144 /dev/urandom >"$SHARE/payload"
		nc -l 198.18.0.2 5001 >"$SHARE/rx" &
		ncpid=$!
		wait_until 5 eval 'ss -ltn | grep -q "198.18.0.2:5001 "' || nok listen "no listener on 5001"
		host_check tcp_send_h2g 60 'nc -N -w 30 198.18.0.2 5001 <"$S/payload"'
		wait_until 15 eval '! kill -0 '"$ncpid" || kill "$ncpid" 2>/dev/null
		wait "$ncpid" 2>/dev/null
		check tcp_intact_h2g cmp "$SHARE/rx" "$SHARE/payload"
	fi
	check halt ctl --json halt --reason stopped
	e1kd_exit noiommu
	check_report report "$SHARE/report-noiommu.json" stopped
fi
check restore "$VFIO_BIND" restore "$BDF"
finish
