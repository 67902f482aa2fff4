# shellcheck shell=bash
# rig_robust.host.sh - the host end for tests/robust/rig_robust.sh: the rig's
# TAP gets 198.18.0.1/24 (inside the rig's own network namespace), so the
# guest's pings through e1kd and the NIC get answers.
set -euo pipefail
ip addr add 198.18.0.1/24 dev "$E1K_RIG_TAP"
ip link set "$E1K_RIG_TAP" up
