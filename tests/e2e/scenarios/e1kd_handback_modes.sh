# shellcheck shell=bash
# e1kd_handback_modes: e1kd_handback on the e1000e in its other interrupt
# modes, INTx and MSI (the default set runs MSI-X): every halt reason, the
# NIC handed back to e1000e under a flood, no DMAR fault, QEMU alive.
# e2e-set: extended
# e2e-nics: e1000e
# e2e-needs: e1kd-vfio
# e2e-timeout: 1100
# e2e-host: agent
E2E_IRQ_MODES="intx msi"
. "$E2E_ROOT/tests/e2e/scenarios/e1kd_handback.sh"
