# shellcheck shell=bash
# vfio_probe: a minimal VFIO client (tests/e2e/vfio_probe.c) sees what QEMU
# built: the MAC in RAL0/RAH0, a sane STATUS, the interrupt indexes the rig
# notes list (e1000: INTx only; e1000e: 1 MSI, 5 MSI-X, reset), REQ offered,
# a DMA mapping through the vIOMMU, and the device goes back to its driver.
# e2e-set: extended
# e2e-timeout: 180
. "$E2E_ROOT/tests/e2e/lib.sh"

check bind "$VFIO_BIND" bind "$BDF"
out=$("$VFIO_PROBE" "$BDF" --reset 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
equal probe_exit "$rc" 0
get() { sed -n "s/^$1=//p" <<<"$out" | head -n1; }
equal viable "$(get viable)" 1
equal mac "$(get mac)" 52:54:00:12:34:56
equal mac_valid "$(get mac_valid)" 1
equal link_up "$(get link_up)" 1
equal full_duplex "$(get full_duplex)" 1
equal bar0_mmap "$(get bar0_mmap)" 1
equal bar0_size "$(get bar0_size)" 131072
equal intx "$(get intx)" 1
equal intx_automasked "$(get intx_automasked)" 1
equal req "$(get req)" 1
equal dma_map "$(get dma_map)" ok
case $E1K_RIG_NIC in
e1000)
	equal msi "$(get msi)" 0
	equal msix "$(get msix)" 0
	equal err_refused "$(get err)" refused
	;;
e1000e)
	equal msi "$(get msi)" 1
	equal msix "$(get msix)" 5
	equal reset_offered "$(get reset)" 1
	;;
esac
# A reset, where offered (e1000e always; e1000 behind a root port gets a bus
# reset), keeps the MAC the EEPROM loads.
if [[ $(get reset) == 1 ]]; then
	equal reset_done "$(get reset_done)" 1
	equal mac_after_reset "$(get after_reset_mac)" 52:54:00:12:34:56
	equal link_after_reset "$(get after_reset_link_up)" 1
fi
check restore "$VFIO_BIND" restore "$BDF"
equal driver_back "$(driver_of "$BDF")" "$(native_driver)"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
