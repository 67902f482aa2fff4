/* SPDX-License-Identifier: MIT */
/*
 * adapter.c - initialize (with unwinding), the state machine, publication.
 *
 * Initialize acquires, in this order, and records each acquisition in the
 * ledger tagged with the halt stage that gives it back:
 *
 *   device handle ............................ release-device
 *   packet pool, TX ring, RX ring (DMA) ...... free-dma
 *   bus mastering ............................ disable-bus-master
 *   timer service thread ..................... cancel-timers
 *   DPC worker pool .......................... drain-dpcs
 *   interrupt eventfds, interrupt thread,
 *   VFIO interrupt triggers .................. deregister-interrupts
 *
 * so the halt's stage order is the reverse of acquisition, and a failed
 * initialize unwinds through the same ledger.
 */
#include "adapter_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

const char *e1k_state_name(enum e1k_state s)
{
	static const char *const names[] = {
		[E1K_STATE_HALTED] = "Halted",         [E1K_STATE_INITIALIZING] = "Initializing",
		[E1K_STATE_PAUSED] = "Paused",         [E1K_STATE_RESTARTING] = "Restarting",
		[E1K_STATE_RUNNING] = "Running",       [E1K_STATE_PAUSING] = "Pausing",
		[E1K_STATE_SHUTDOWN] = "Shutdown",     [E1K_STATE_HALTING] = "Halting",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

int e1k_irq_mode_parse(const char *s, enum e1k_irq_mode *out)
{
	static const char *const names[] = { "auto", "intx", "msi", "msix" };

	for (unsigned i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum e1k_irq_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *e1k_irq_mode_name(enum e1k_irq_mode m)
{
	static const char *const names[] = { "auto", "intx", "msi", "msix" };

	return (unsigned)m < 4 ? names[m] : "?";
}

const char *e1k_init_step_name(enum e1k_init_step s)
{
	static const char *const names[E1K_STEP_COUNT] = {
		[E1K_STEP_IDENTIFY] = "identify device",
		[E1K_STEP_BUS_MASTER] = "enable bus mastering",
		[E1K_STEP_RESET] = "reset device",
		[E1K_STEP_MAC] = "read MAC address",
		[E1K_STEP_LINK] = "set up link",
		[E1K_STEP_POOL] = "allocate packet pool",
		[E1K_STEP_TX_RING] = "allocate TX ring",
		[E1K_STEP_RX_RING] = "allocate RX ring",
		[E1K_STEP_PROGRAM] = "program rings and filters",
		[E1K_STEP_TIMERS] = "start timer thread",
		[E1K_STEP_DPC_POOL] = "start DPC workers",
		[E1K_STEP_EVENTFDS] = "create interrupt eventfds",
		[E1K_STEP_IRQ_THREAD] = "start interrupt thread",
		[E1K_STEP_IRQ_REGISTER] = "register interrupts",
		[E1K_STEP_IRQ_START] = "enable removal request",
	};

	return (unsigned)s < E1K_STEP_COUNT && names[s] ? names[s] : "?";
}

void e1k_config_defaults(struct e1k_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dpc_workers = 2;
	cfg->tx_ring_size = 256;
	/* 1024, not 256: under a flood the interrupt -> DPC path of a busy
	 * or virtualised host can take long enough to fill 256 (docs/benchmarks.md). */
	cfg->rx_ring_size = 1024;
	cfg->pool_size = 2048;
	cfg->irq_mode = E1K_IRQ_AUTO;
	cfg->itr_ns = 50000;
	cfg->watchdog_ms = 500;
}

static bool pow2_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

int e1k_config_validate(const struct e1k_config *cfg, char *err, size_t errlen)
{
	if (cfg->dpc_workers < 1 || cfg->dpc_workers > 64) {
		snprintf(err, errlen, "--dpc-workers must be 1..64 (got %u)", cfg->dpc_workers);
		return -EINVAL;
	}
	if (!pow2_in(cfg->tx_ring_size, RING_NDESC_MIN, RING_NDESC_MAX) ||
	    !pow2_in(cfg->rx_ring_size, RING_NDESC_MIN, RING_NDESC_MAX)) {
		snprintf(err, errlen, "ring sizes must be powers of two in %u..%u (got tx %u, rx %u)",
		         RING_NDESC_MIN, RING_NDESC_MAX, cfg->tx_ring_size, cfg->rx_ring_size);
		return -EINVAL;
	}
	if (cfg->pool_size < cfg->rx_ring_size + cfg->tx_ring_size || cfg->pool_size > 65536) {
		snprintf(err, errlen, "pool size must be at least rx+tx ring sizes (%u) and at most 65536 (got %u)",
		         cfg->rx_ring_size + cfg->tx_ring_size, cfg->pool_size);
		return -EINVAL;
	}
	if (cfg->itr_ns > 65535u * 256u) {
		snprintf(err, errlen, "interrupt throttle interval too large (max %u ns)", 65535u * 256u);
		return -EINVAL;
	}
	if (cfg->watchdog_ms < 10 || cfg->watchdog_ms > 60000) {
		snprintf(err, errlen, "watchdog period must be 10..60000 ms");
		return -EINVAL;
	}
	return 0;
}

/* ---- publication ---- */

struct e1k_pub *e1k_pub_locked(struct e1k_adapter *ad)
{
	/* The control thread holds ctl_lock: no concurrent updater. */
	return atomic_load_explicit(&ad->pub, memory_order_relaxed);
}

struct e1k_pub *e1k_pub_copy(struct e1k_adapter *ad)
{
	struct e1k_pub *np = malloc(sizeof(*np));

	if (np)
		memcpy(np, e1k_pub_locked(ad), sizeof(*np));
	return np;
}

static void pub_free_cb(struct e1k_rcu_head *h)
{
	free((char *)h - offsetof(struct e1k_pub, rcu));
}

void e1k_pub_commit(struct e1k_adapter *ad, struct e1k_pub *np)
{
	struct e1k_pub *old = e1k_rcu_publish(&ad->pub, np);

	if (old)
		e1k_call_rcu(&old->rcu, pub_free_cb);
}

/*
 * State changes must not fail for lack of memory (a halt has to make progress),
 * so the state lives in the published object but is changed by an in-place
 * fallback when the copy cannot be allocated: readers load `state` as one
 * aligned word and see either value.
 */
void e1k_set_state(struct e1k_adapter *ad, enum e1k_state s, bool halting)
{
	struct e1k_pub *np = e1k_pub_copy(ad);

	if (np) {
		np->state = s;
		np->halting = halting;
		e1k_pub_commit(ad, np);
	} else {
		struct e1k_pub *cur = e1k_pub_locked(ad);

		__atomic_store_n(&cur->halting, halting, __ATOMIC_RELEASE);
		__atomic_store_n(&cur->state, s, __ATOMIC_RELEASE);
	}
	/* Every reader that saw the previous state has finished. */
	e1k_rcu_synchronize();
}

enum e1k_state e1k_adapter_state(struct e1k_adapter *ad)
{
	enum e1k_state s;

	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	pthread_mutex_unlock(&ad->ctl_lock);
	return s;
}

/* ---- device steps ---- */

int e1k_device_reset(struct e1k_adapter *ad, unsigned timeout_us)
{
	struct hal_dev *hw = ad->hw;
	struct timespec ts = { 0, 10000 };

	/* Mask first so the reset cannot leave a screaming interrupt behind
	 * (SDM 14.5: "mask all interrupts before resetting"). */
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_wr32(hw, E1000_RCTL, 0);
	hal_wr32(hw, E1000_TCTL, 0);
	hal_flush(hw);
	hal_wr32(hw, E1000_CTRL, hal_rd32(hw, E1000_CTRL) | E1000_CTRL_RST);
	/* RST self-clears; QEMU's e1000 clears it at once without resetting,
	 * which is why the caller programs every register it relies on. */
	for (unsigned waited = 0;; waited += 10) {
		uint32_t ctrl = hal_rd32(hw, E1000_CTRL);

		if (e1k_check_removed(ad, ctrl))
			return -ENODEV;
		if (!(ctrl & E1000_CTRL_RST))
			break;
		if (waited >= timeout_us)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	(void)hal_rd32(hw, E1000_ICR);
	return 0;
}

static int read_eeprom_word(struct e1k_adapter *ad, unsigned word, uint16_t *out)
{
	struct hal_dev *hw = ad->hw;
	bool is82574 = hw->mac == E1K_MAC_82574L;
	uint32_t done = is82574 ? E1000_EERD_DONE_82574 : E1000_EERD_DONE_8254X;
	unsigned shift = is82574 ? E1000_EERD_ADDR_SHIFT_82574 : E1000_EERD_ADDR_SHIFT_8254X;
	struct timespec ts = { 0, 5000 };

	hal_wr32(hw, E1000_EERD, (word << shift) | E1000_EERD_START);
	for (unsigned i = 0; i < 200; i++) {   /* bounded: 200 x 5 us */
		uint32_t v = hal_rd32(hw, E1000_EERD);

		if (e1k_check_removed(ad, v))
			return -ENODEV;
		if (v & done) {
			*out = (uint16_t)(v >> E1000_EERD_DATA_SHIFT);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static bool mac_valid(const uint8_t m[6])
{
	static const uint8_t zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}

static int read_mac(struct e1k_adapter *ad, char *err, size_t errlen)
{
	uint16_t w[3];
	int rc = 0;

	for (unsigned i = 0; i < 3 && rc == 0; i++)
		rc = read_eeprom_word(ad, E1000_EEPROM_MAC_WORD0 + i, &w[i]);
	if (rc == 0) {
		for (unsigned i = 0; i < 3; i++) {
			ad->mac[2 * i] = (uint8_t)w[i];
			ad->mac[2 * i + 1] = (uint8_t)(w[i] >> 8);
		}
	}
	if (rc < 0 || !mac_valid(ad->mac)) {
		/* Fall back to what firmware left in RAR 0. */
		uint32_t lo = hal_rd32(ad->hw, E1000_RAL(0));
		uint32_t hi = hal_rd32(ad->hw, E1000_RAH(0));

		for (unsigned i = 0; i < 4; i++)
			ad->mac[i] = (uint8_t)(lo >> (8 * i));
		ad->mac[4] = (uint8_t)hi;
		ad->mac[5] = (uint8_t)(hi >> 8);
	}
	if (!mac_valid(ad->mac)) {
		snprintf(err, errlen, "no valid MAC address in the EEPROM or RAR0");
		return -EIO;
	}
	return 0;
}

static void program_device(struct e1k_adapter *ad)
{
	struct hal_dev *hw = ad->hw;
	uint32_t itr = ad->cfg.itr_ns / 256u;

	tx_ring_hw_setup(ad->tx);
	rx_ring_hw_setup(ad->rx);
	hal_wr32(hw, E1000_TIPG, E1000_TIPG_DEFAULT);
	hal_wr32(hw, E1000_TCTL, E1000_TCTL_PSP |
	         (E1000_TCTL_CT_DEFAULT << E1000_TCTL_CT_SHIFT) |
	         (E1000_TCTL_COLD_FD << E1000_TCTL_COLD_SHIFT));
	hal_wr32(hw, E1000_RCTL, 0);
	/* Legacy RX descriptors, no checksum offload, whatever ran before:
	 * Linux's e1000e leaves RFCTL.EXSTEN (extended write-backs, which the
	 * legacy ring never sees as done) and both Linux drivers RXCSUM, and on
	 * QEMU 7.2 CTRL.RST clears neither (see e1k_device_reset). */
	hal_wr32(hw, E1000_RXCSUM, 0);
	if (hw->mac == E1K_MAC_82574L)
		hal_wr32(hw, E1000_RFCTL, 0);
	hal_wr32(hw, E1000_ITR, itr);
	hal_wr32(hw, E1000_RDTR, ad->cfg.rx_delay_us);
	hal_wr32(hw, E1000_RADV, ad->cfg.rx_abs_delay_us);
	hal_wr32(hw, E1000_TIDV, 0);
	hal_wr32(hw, E1000_TADV, 0);
	/* Station address in RAR 0; RAR 1..15 and the MTA from the filter state. */
	hal_wr32(hw, E1000_RAL(0), (uint32_t)ad->mac[0] | (uint32_t)ad->mac[1] << 8 |
	         (uint32_t)ad->mac[2] << 16 | (uint32_t)ad->mac[3] << 24);
	hal_wr32(hw, E1000_RAH(0), (uint32_t)ad->mac[4] | (uint32_t)ad->mac[5] << 8 | E1000_RAH_AV);
	e1k_program_filters(ad, e1k_pub_locked(ad));
	hal_flush(hw);
}

/* ---- ledger release functions ---- */

static void rel_device(void *arg) { hal_close(arg); }
static void rel_pool(void *arg) { struct e1k_adapter *ad = arg; pkt_pool_destroy(ad->pool); ad->pool = NULL; }
static void rel_tx(void *arg) { struct e1k_adapter *ad = arg; tx_ring_destroy(ad->tx); ad->tx = NULL; }
static void rel_rx(void *arg) { struct e1k_adapter *ad = arg; rx_ring_destroy(ad->rx); ad->rx = NULL; }
static void rel_bus_master(void *arg)
{
	struct e1k_adapter *ad = arg;

	/* Skipped once the device is gone (config space is not touched then)
	 * and after shutdown, which already cleared it. */
	if (!hal_is_gone(ad->hw) && !ad->shutdown_done)
		(void)hal_set_bus_master(ad->hw, false);
}
static void rel_timers(void *arg) { struct e1k_adapter *ad = arg; timer_svc_destroy(ad->timers); ad->timers = NULL; }
static void rel_dpcs(void *arg)
{
	struct e1k_adapter *ad = arg;

	dpc_pool_destroy(ad->dpcs);
	ad->dpcs = NULL;
	atomic_store_explicit(&ad->dpcs_drained, true, memory_order_release);
}
static void rel_efd(void *arg) { int *fd = arg; if (*fd >= 0) close(*fd); *fd = -1; }
static void rel_irqt(void *arg)
{
	struct e1k_adapter *ad = arg;

	irq_thread_destroy(ad->irqt);
	ad->irqt = NULL;
	/* The thread is joined: no ISR runs from here on.  Any ISR entry
	 * after this point would be counted by the verifier. */
	atomic_store_explicit(&ad->isr.deregistered, true, memory_order_release);
}
static void rel_irq(void *arg)
{
	struct e1k_adapter *ad = arg;

	if (ad->irq_registered)
		(void)hal_irq_clear(ad->hw, ad->isr.mode);
	ad->irq_registered = false;
}
static void rel_req(void *arg)
{
	struct e1k_adapter *ad = arg;

	if (ad->req_registered)
		(void)hal_irq_clear(ad->hw, HAL_IRQ_REQ);
	ad->req_registered = false;
}

/* ---- interrupt handlers other than the ISR ---- */

/*
 * The ISR and the REQ handler run inside a read-side section.  The halt marks
 * a vanished device gone and then waits for a grace period (reject-new-work):
 * a handler that checked "gone" before the mark and reads a register after
 * it is thereby finished before the halt's accounting starts, and every later
 * handler sees the mark and touches nothing.
 */
static void isr_handle_rcu(void *ctx, uint32_t vector)
{
	e1k_rcu_read_lock();
	isr_handle(ctx, vector);
	e1k_rcu_read_unlock();
}

static void req_handler(void *ctx, uint32_t vector)
{
	struct e1k_adapter *ad = ctx;

	(void)vector;
	e1k_rcu_read_lock();
	/* Removal already detected (and its halt asked for): not even STATUS
	 * is read, as in the ISR. */
	if (hal_is_gone(ad->hw))
		goto out;
	/* A hot-unplug can arrive as a request while the hardware is already
	 * gone: then it is a surprise removal (check_removed asks for that). */
	if (!e1k_check_removed(ad, hal_rd32(ad->hw, E1000_STATUS)))
		e1k_request_halt(ad, E1K_HALT_DISABLED, "the device asked to be removed (VFIO request)");
out:
	e1k_rcu_read_unlock();
}

static void isr_all_ones(void *ctx)
{
	struct e1k_adapter *ad = ctx;

	e1k_check_removed(ad, 0xffffffffu);
}

static int choose_irq_mode(struct e1k_adapter *ad, enum hal_irq_index *idx, unsigned *nvec,
                           char *err, size_t errlen)
{
	uint32_t n_intx = 0, n_msi = 0, n_msix = 0;
	enum e1k_irq_mode m = ad->cfg.irq_mode;

	(void)hal_irq_count(ad->hw, HAL_IRQ_INTX, &n_intx);
	(void)hal_irq_count(ad->hw, HAL_IRQ_MSI, &n_msi);
	(void)hal_irq_count(ad->hw, HAL_IRQ_MSIX, &n_msix);
	if (m == E1K_IRQ_AUTO) {
		if (ad->hw->mac == E1K_MAC_82574L && n_msix >= E1K_MAX_VECTORS)
			m = E1K_IRQ_MSIX;
		else if (n_msi >= 1)
			m = E1K_IRQ_MSI;
		else
			m = E1K_IRQ_INTX;
	}
	switch (m) {
	case E1K_IRQ_MSIX:
		if (ad->hw->mac != E1K_MAC_82574L || n_msix < E1K_MAX_VECTORS) {
			snprintf(err, errlen, "MSI-X needs an 82574L with %u vectors (device offers %u)",
			         E1K_MAX_VECTORS, n_msix);
			return -ENOTSUP;
		}
		*idx = HAL_IRQ_MSIX;
		*nvec = E1K_MAX_VECTORS;
		break;
	case E1K_IRQ_MSI:
		if (n_msi < 1) {
			snprintf(err, errlen, "the device offers no MSI vector");
			return -ENOTSUP;
		}
		*idx = HAL_IRQ_MSI;
		*nvec = 1;
		break;
	default:
		if (n_intx < 1) {
			snprintf(err, errlen, "the device offers no INTx interrupt");
			return -ENOTSUP;
		}
		m = E1K_IRQ_INTX;
		*idx = HAL_IRQ_INTX;
		*nvec = 1;
		break;
	}
	ad->irq_mode = m;
	return 0;
}

uint32_t e1k_enabled_causes(const struct e1k_adapter *ad);
uint32_t e1k_enabled_causes(const struct e1k_adapter *ad)
{
	uint32_t m = E1000_ICR_TXDW | E1000_ICR_LSC | E1000_ICR_RXDMT0 |
	             E1000_ICR_RXO | E1000_ICR_RXT0;

	if (ad->irq_mode == E1K_IRQ_MSIX)
		m |= E1000_ICR_RXQ0 | E1000_ICR_TXQ0 | E1000_ICR_OTHER;
	return m;
}

/* ---- initialize ---- */

#define INJECT(step)                                                     \
	do {                                                             \
		if (ad->cfg.fail_at_step == (step)) {                    \
			rc = ad->cfg.fail_errno ? -abs(ad->cfg.fail_errno) : -ENOMEM; \
			goto fail_injected;                              \
		}                                                        \
	} while (0)

#define RECORD(kind, group, name, fn, arg)                                        \
	do {                                                                      \
		rc = ledger_acquired(&ad->ledger, (kind), (group), (name), (fn), (arg)); \
		if (rc < 0) {                                                     \
			(fn)(arg);                                                \
			goto fail;                                                \
		}                                                                 \
	} while (0)

int e1k_adapter_initialize(struct hal_dev *hw, const struct e1k_config *cfg,
                           const struct e1k_owner_ops *owner,
                           struct e1k_adapter **out, char *err, size_t errlen)
{
	struct e1k_adapter *ad;
	struct e1k_pub *pub;
	enum e1k_init_step step = E1K_STEP_IDENTIFY;
	enum hal_irq_index idx = HAL_IRQ_INTX;
	uint16_t vid = 0, did = 0;
	uint32_t nreq = 0;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	rc = e1k_config_validate(cfg, err, errlen);
	if (rc < 0)
		return rc;

	ad = calloc(1, sizeof(*ad));
	pub = calloc(1, sizeof(*pub));
	if (!ad || !pub) {
		free(ad);
		free(pub);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ad->hw = hw;
	ad->cfg = *cfg;
	if (owner)
		ad->owner = *owner;
	ad->req_efd = -1;
	for (unsigned i = 0; i < E1K_MAX_VECTORS; i++)
		ad->efd[i] = -1;
	pthread_mutex_init(&ad->ctl_lock, NULL);
	pthread_mutex_init(&ad->tx_lock, NULL);
	pthread_mutex_init(&ad->stats_lock, NULL);
	ledger_init(&ad->ledger);
	pub->state = E1K_STATE_INITIALIZING;
	pub->mtu = 1500;
	atomic_store_explicit(&ad->pub, pub, memory_order_release);

	pthread_mutex_lock(&ad->ctl_lock);

	/* The device handle is the first entry: released last.  On failure it
	 * is handed back to the caller instead (see fail:). */
	RECORD(LEDGER_DEVICE, E1K_HS_RELEASE_DEVICE, "device", rel_device, hw);

	/* 1. Identify (PCI config header). */
	step = E1K_STEP_IDENTIFY;
	INJECT(step);
	rc = hal_cfg_read16(hw, PCI_CFG_VENDOR_ID, &vid);
	if (rc == 0)
		rc = hal_cfg_read16(hw, PCI_CFG_DEVICE_ID, &did);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the PCI config header: %s", strerror(-rc));
		goto fail;
	}
	if (!hal_device_name(vid, did)) {
		snprintf(err, errlen, "device %04x:%04x is not an e1000-class NIC", vid, did);
		rc = -ENODEV;
		goto fail;
	}

	/* 2. Reset (SDM 14.5) and mask every interrupt. */
	step = E1K_STEP_RESET;
	INJECT(step);
	rc = e1k_device_reset(ad, 10000);
	if (rc < 0) {
		snprintf(err, errlen, "device reset did not complete: %s", strerror(-rc));
		goto fail;
	}

	/* 3. MAC address (SDM 5.6: EEPROM words 0..2). */
	step = E1K_STEP_MAC;
	INJECT(step);
	rc = read_mac(ad, err, errlen);
	if (rc < 0)
		goto fail;

	/* 4. Link: auto-speed, set link up, full duplex (SDM 14.3). */
	step = E1K_STEP_LINK;
	INJECT(step);
	hal_wr32(hw, E1000_CTRL, (hal_rd32(hw, E1000_CTRL) & ~(E1000_CTRL_LRST | E1000_CTRL_ILOS |
	                          E1000_CTRL_PHY_RST | E1000_CTRL_VME)) |
	                          E1000_CTRL_ASDE | E1000_CTRL_SLU | E1000_CTRL_FD);

	/* 5-7. DMA memory: buffers and descriptor rings. */
	step = E1K_STEP_POOL;
	INJECT(step);
	rc = pkt_pool_create(hw, cfg->pool_size, 2048, &ad->pool);
	if (rc < 0) {
		snprintf(err, errlen, "cannot allocate the packet pool (%u x 2 KiB): %s",
		         cfg->pool_size, strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_POOL, E1K_HS_FREE_DMA, "packet pool", rel_pool, ad);

	step = E1K_STEP_TX_RING;
	INJECT(step);
	rc = tx_ring_create(hw, cfg->tx_ring_size, &ad->tx);
	if (rc < 0) {
		snprintf(err, errlen, "cannot allocate the TX ring: %s", strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_DMA, E1K_HS_FREE_DMA, "tx ring", rel_tx, ad);

	step = E1K_STEP_RX_RING;
	INJECT(step);
	rc = rx_ring_create(hw, ad->pool, cfg->rx_ring_size, &ad->rx);
	if (rc < 0) {
		snprintf(err, errlen, "cannot allocate the RX ring: %s", strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_DMA, E1K_HS_FREE_DMA, "rx ring", rel_rx, ad);

	/* 8. Bus mastering: only once there is memory the device may reach. */
	step = E1K_STEP_BUS_MASTER;
	INJECT(step);
	rc = hal_set_bus_master(hw, true);
	if (rc < 0) {
		snprintf(err, errlen, "cannot enable bus mastering: %s", strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_CONFIG, E1K_HS_DISABLE_BUS_MASTER, "bus master", rel_bus_master, ad);

	/* 9. Rings, filters and moderation (RX/TX stay disabled until restart). */
	step = E1K_STEP_PROGRAM;
	INJECT(step);
	program_device(ad);

	/* 10. Timers. */
	step = E1K_STEP_TIMERS;
	INJECT(step);
	rc = timer_svc_create("e1k-timer", &e1k_rcu_hooks, &ad->timers);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the timer thread: %s", strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_THREAD, E1K_HS_CANCEL_TIMERS, "timer thread", rel_timers, ad);
	ktimer_init(&ad->watchdog, "watchdog", e1k_watchdog);

	/* 11. DPC workers. */
	step = E1K_STEP_DPC_POOL;
	INJECT(step);
	dpc_init(&ad->dpc_intr, "intr", e1k_dpc_intr);
	rc = dpc_pool_create(cfg->dpc_workers, "e1k-dpc", &e1k_rcu_hooks, &ad->dpcs);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start %u DPC workers: %s", cfg->dpc_workers, strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_THREAD, E1K_HS_DRAIN_DPCS, "dpc workers", rel_dpcs, ad);

	/* 12. Interrupt eventfds: one per vector, and one for the removal request. */
	step = E1K_STEP_EVENTFDS;
	rc = choose_irq_mode(ad, &idx, &ad->nvec, err, errlen);
	if (rc < 0)
		goto fail;
	INJECT(step);
	for (unsigned i = 0; i < ad->nvec; i++) {
		ad->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ad->efd[i] < 0) {
			rc = -errno;
			snprintf(err, errlen, "eventfd: %s", strerror(errno));
			goto fail;
		}
		RECORD(LEDGER_EVENTFD, E1K_HS_DEREGISTER_INTERRUPTS, "irq eventfd", rel_efd, &ad->efd[i]);
	}
	(void)hal_irq_count(hw, HAL_IRQ_REQ, &nreq);
	if (nreq > 0) {
		ad->req_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ad->req_efd < 0) {
			rc = -errno;
			snprintf(err, errlen, "eventfd: %s", strerror(errno));
			goto fail;
		}
		RECORD(LEDGER_EVENTFD, E1K_HS_DEREGISTER_INTERRUPTS, "req eventfd", rel_efd, &ad->req_efd);
	}

	/* 13. The interrupt thread, started before the triggers are set so
	 * that deregistration (clear triggers, then join) mirrors it. */
	step = E1K_STEP_IRQ_THREAD;
	INJECT(step);
	isr_init(&ad->isr, hw, idx, ad->dpcs, &ad->dpc_intr, 0);
	ad->isr.on_all_ones = isr_all_ones;
	ad->isr.on_all_ones_ctx = ad;
	rc = irq_thread_create("e1k-irq", &e1k_rcu_hooks, &ad->irqt);
	for (unsigned i = 0; rc == 0 && i < ad->nvec; i++)
		rc = irq_thread_add(ad->irqt, ad->efd[i], isr_handle_rcu, &ad->isr, i);
	if (rc == 0 && ad->req_efd >= 0)
		rc = irq_thread_add(ad->irqt, ad->req_efd, req_handler, ad, 0);
	if (rc == 0)
		rc = irq_thread_start(ad->irqt);
	if (rc < 0) {
		irq_thread_destroy(ad->irqt);
		ad->irqt = NULL;
		snprintf(err, errlen, "cannot start the interrupt thread: %s", strerror(-rc));
		goto fail;
	}
	RECORD(LEDGER_THREAD, E1K_HS_DEREGISTER_INTERRUPTS, "irq thread", rel_irqt, ad);

	/* 14. Route the vectors to the eventfds (VFIO_DEVICE_SET_IRQS). */
	step = E1K_STEP_IRQ_REGISTER;
	INJECT(step);
	if (ad->irq_mode == E1K_IRQ_MSIX) {
		/* 82574 10.2.4.9: RXQ0 -> 0, TXQ0 -> 1, other -> 2; the rig notes
		 * found MSI-X silent without IVAR programmed.  Not INT_ON_ALL_WB:
		 * TX status is wanted only where RS is set (once per batch), and
		 * QEMU's e1000e writes DD back on every descriptor with it. */
		hal_wr32(hw, E1000_IVAR,
		         ((E1000_IVAR_VALID | 0u) << E1000_IVAR_RXQ0_SHIFT) |
		         ((E1000_IVAR_VALID | 1u) << E1000_IVAR_TXQ0_SHIFT) |
		         ((E1000_IVAR_VALID | 2u) << E1000_IVAR_OTHER_SHIFT));
	} else if (hw->mac == E1K_MAC_82574L) {
		/* No routing; and no INT_ON_ALL_WB left by a previous driver. */
		hal_wr32(hw, E1000_IVAR, 0);
	}
	ad->isr.enabled_mask = e1k_enabled_causes(ad);
	rc = hal_irq_set(hw, idx, ad->efd, ad->nvec);
	if (rc < 0) {
		snprintf(err, errlen, "cannot register %s interrupts: %s",
		         e1k_irq_mode_name(ad->irq_mode), strerror(-rc));
		goto fail;
	}
	ad->irq_registered = true;
	RECORD(LEDGER_IRQ, E1K_HS_DEREGISTER_INTERRUPTS, "irq triggers", rel_irq, ad);

	step = E1K_STEP_IRQ_START;
	INJECT(step);
	if (ad->req_efd >= 0) {
		rc = hal_irq_set(hw, HAL_IRQ_REQ, &ad->req_efd, 1);
		if (rc < 0) {
			snprintf(err, errlen, "cannot register the removal request: %s", strerror(-rc));
			goto fail;
		}
		ad->req_registered = true;
		RECORD(LEDGER_IRQ, E1K_HS_DEREGISTER_INTERRUPTS, "req trigger", rel_req, ad);
	}

	e1k_set_state(ad, E1K_STATE_PAUSED, false);
	pthread_mutex_unlock(&ad->ctl_lock);
	e1k_log(E1K_LOG_INFO, "%s: initialized, MAC %02x:%02x:%02x:%02x:%02x:%02x, %s, %u DPC workers",
	        hw->name, ad->mac[0], ad->mac[1], ad->mac[2], ad->mac[3], ad->mac[4], ad->mac[5],
	        e1k_irq_mode_name(ad->irq_mode), cfg->dpc_workers);
	*out = ad;
	return 0;

fail_injected:
	snprintf(err, errlen, "injected failure: %s", strerror(-rc));
fail:
	{
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", err ? err : "");
		snprintf(err, errlen, "initialize failed at step %d (%s): %s", (int)step,
		         e1k_init_step_name(step), tmp);
	}
	/* Unwind everything but the device handle, which stays the caller's. */
	while (ledger_outstanding(&ad->ledger) > 1)
		ledger_release_top(&ad->ledger, ad->ledger.e[ad->ledger.stack[ad->ledger.top - 1]].group);
	if (ledger_outstanding(&ad->ledger) == 1)
		ledger_forget_top(&ad->ledger);
	pthread_mutex_unlock(&ad->ctl_lock);
	/* Nothing can still refer to the published state: no thread is left. */
	e1k_rcu_barrier();
	free(atomic_load_explicit(&ad->pub, memory_order_relaxed));
	pthread_mutex_destroy(&ad->ctl_lock);
	pthread_mutex_destroy(&ad->tx_lock);
	pthread_mutex_destroy(&ad->stats_lock);
	free(ad);
	return rc;
}

/* ---- state machine ---- */

int e1k_adapter_restart(struct e1k_adapter *ad)
{
	struct hal_dev *hw = ad->hw;
	struct e1k_pub *p;
	int rc = 0;

	pthread_mutex_lock(&ad->ctl_lock);
	p = e1k_pub_locked(ad);
	if (p->state != E1K_STATE_PAUSED) {
		rc = p->state == E1K_STATE_RUNNING ? -EALREADY : -EPERM;
		goto out;
	}
	e1k_set_state(ad, E1K_STATE_RESTARTING, false);

	/* The rings are empty here (pause drained or aborted them): reset the
	 * device's head/tail together with the software indexes. */
	pthread_mutex_lock(&ad->tx_lock);
	tx_ring_hw_setup(ad->tx);
	pthread_mutex_unlock(&ad->tx_lock);
	rx_ring_hw_setup(ad->rx);
	rx_ring_refill(ad->rx);
	e1k_program_filters(ad, e1k_pub_locked(ad));
	hal_wr32(hw, E1000_TCTL, hal_rd32(hw, E1000_TCTL) | E1000_TCTL_EN);
	/* Bindings learn the link state now (the TAP bridge sets its carrier). */
	e1k_link_update(ad, true);
	e1k_set_state(ad, E1K_STATE_RUNNING, false);
	/* Interrupts last: a DPC that runs now sees Running. */
	e1k_interrupts_enable(ad);
	/* The watchdog starts over (pause cancelled it synchronously): no
	 * verdict carries over from before the pause. */
	ad->wd_stuck = 0;
	ad->wd_rx_stuck = 0;
	ad->wd_rx_consumed = UINT64_MAX;
	(void)ktimer_arm(ad->timers, &ad->watchdog, (uint64_t)ad->cfg.watchdog_ms * 1000000ull,
	                 (uint64_t)ad->cfg.watchdog_ms * 1000000ull);
	if (hal_is_gone(hw))
		rc = -ENODEV;
out:
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

/*
 * Pause (NDIS MiniportPause): stop indicating receives, complete or abort
 * every send in flight, and leave the adapter able to restart.
 * Precondition: Running.  Postcondition: Paused, device RX/TX disabled,
 * interrupts masked, TX ring empty, RX ring emptied back to the pool.
 */
static int pause_locked(struct e1k_adapter *ad)
{
	struct hal_dev *hw = ad->hw;
	struct timespec nap = { 0, 200000 };
	int rc = 0;

	/* After the grace period in e1k_set_state no sender or DPC still acts
	 * on Running: new sends fail, indications stop. */
	e1k_set_state(ad, E1K_STATE_PAUSING, false);
	(void)ktimer_cancel_sync(ad->timers, &ad->watchdog);

	/* Let the device finish what was posted (bounded: 100 ms). */
	for (unsigned i = 0; i < 500 && !hal_is_gone(hw); i++) {
		unsigned left;

		pthread_mutex_lock(&ad->tx_lock);
		e1k_tx_reclaim_locked(ad);
		left = tx_ring_in_flight(ad->tx);
		pthread_mutex_unlock(&ad->tx_lock);
		if (left == 0)
			break;
		nanosleep(&nap, NULL);
	}
	e1k_device_stop_rx_tx(ad);
	e1k_interrupts_mask(ad);
	/* No DPC may touch the rings while we empty them. */
	dpc_flush(ad->dpcs);
	pthread_mutex_lock(&ad->tx_lock);
	e1k_tx_reclaim_locked(ad);
	if (e1k_tx_abort_locked(ad) > 0)
		rc = 0; /* aborted sends are counted in tx_aborted */
	pthread_mutex_unlock(&ad->tx_lock);
	/* Frames the device already wrote are dropped, buffers back to the pool. */
	{
		struct pkt_ref refs[64];
		unsigned n;

		while ((n = rx_ring_poll(ad->rx, refs, 64)) > 0) {
			for (unsigned i = 0; i < n; i++)
				pkt_pool_put(ad->pool, &refs[i].buf, 1);
			atomic_fetch_add_explicit(&ad->rx_dropped_paused, n, memory_order_relaxed);
		}
	}
	rx_ring_abort(ad->rx);
	e1k_rx_publish_stats(ad);
	e1k_set_state(ad, E1K_STATE_PAUSED, false);
	return rc;
}

int e1k_adapter_pause(struct e1k_adapter *ad)
{
	int rc;

	pthread_mutex_lock(&ad->ctl_lock);
	switch (e1k_pub_locked(ad)->state) {
	case E1K_STATE_RUNNING:
		rc = pause_locked(ad);
		break;
	case E1K_STATE_PAUSED:
		rc = -EALREADY;
		break;
	default:
		rc = -EPERM;
		break;
	}
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

int e1k_adapter_pause_for_halt(struct e1k_adapter *ad);
int e1k_adapter_pause_for_halt(struct e1k_adapter *ad)
{
	/* Caller holds ctl_lock. */
	if (e1k_pub_locked(ad)->state == E1K_STATE_RUNNING)
		return pause_locked(ad);
	return 0;
}

/*
 * Shutdown (NDIS MiniportShutdownEx): put the device in a quiet, known state
 * without releasing resources: a later halt still gives everything back.
 */
int e1k_adapter_shutdown(struct e1k_adapter *ad)
{
	enum e1k_state s;
	int rc = 0;

	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	if (s != E1K_STATE_PAUSED && s != E1K_STATE_RESTARTING && s != E1K_STATE_RUNNING &&
	    s != E1K_STATE_PAUSING) {
		rc = s == E1K_STATE_SHUTDOWN ? -EALREADY : -EPERM;
		goto out;
	}
	e1k_set_state(ad, E1K_STATE_SHUTDOWN, true);
	(void)ktimer_cancel_sync(ad->timers, &ad->watchdog);
	if (!hal_is_gone(ad->hw)) {
		e1k_interrupts_mask(ad);
		e1k_device_stop_rx_tx(ad);
		(void)e1k_device_reset(ad, 10000);
		(void)hal_set_bus_master(ad->hw, false);
	}
	ad->shutdown_done = true;
out:
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

void e1k_adapter_emergency_stop(struct e1k_adapter *ad)
{
	/* Async-signal-safe: no lock, no allocation, only the backend's own
	 * emergency operation (plain stores and pwrite for VFIO). */
	if (ad && ad->hw && ad->hw->ops->emergency_stop && !hal_is_gone(ad->hw))
		ad->hw->ops->emergency_stop(ad->hw);
}

void e1k_adapter_destroy(struct e1k_adapter *ad)
{
	if (!ad)
		return;
	/* Halt released everything; the published state is the last thing. */
	free(ad->halt_report);
	e1k_rcu_barrier();
	free(atomic_load_explicit(&ad->pub, memory_order_relaxed));
	pthread_mutex_destroy(&ad->ctl_lock);
	pthread_mutex_destroy(&ad->tx_lock);
	pthread_mutex_destroy(&ad->stats_lock);
	free(ad);
}

int e1k_adapter_ledger_add(struct e1k_adapter *ad, int kind, const char *name,
                           void (*release)(void *arg), void *arg)
{
	int rc;

	if ((rc = e1k_begin_request(ad, false)) < 0)
		return rc;
	rc = ledger_acquired(&ad->ledger, (enum ledger_kind)kind, E1K_HS_UNBIND_UPPER, name, release, arg);
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

struct hal_dev *e1k_adapter_hal(struct e1k_adapter *ad)
{
	return ad->hw;
}

enum e1k_irq_mode e1k_adapter_irq_mode(struct e1k_adapter *ad)
{
	return ad->irq_mode;
}

int e1k_adapter_get_mac(struct e1k_adapter *ad, uint8_t mac[6])
{
	memcpy(mac, ad->mac, 6);
	return 0;
}

void e1k_adapter_get_verifier(struct e1k_adapter *ad, struct e1k_verifier *v)
{
	v->isr_after_deregister = atomic_load(&ad->isr.isr_after_deregister);
	v->dpc_after_drain = atomic_load(&ad->dpc_after_drain);
	v->callbacks_after_halted = atomic_load(&ad->callbacks_after_halted);
	v->mmio_after_removal = ad->hw ? atomic_load(&ad->hw->mmio_after_removal) : 0;
}
