/* SPDX-License-Identifier: MIT */
/*
 * init.c - e1k_adapter_initialize.  It acquires, in this order, and records
 * each acquisition in the ledger tagged with the halt stage that gives it back:
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
 *
 * Here too: the ledger's release functions and the interrupt handlers other
 * than the ISR (removal request, all-ones).
 */
#include "adapter_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mac.h"

static void program_device(struct e1k_adapter *ad)
{
	struct e1k_hw_setup hs = {
		.itr_ns = ad->cfg.itr_ns,
		.rx_delay_us = ad->cfg.rx_delay_us,
		.rx_abs_delay_us = ad->cfg.rx_abs_delay_us,
		.rx_csum = (ad->offloads & E1K_OFFLOAD_RX_CSUM) != 0,
	};

	memcpy(hs.mac, ad->mac, 6);
	tx_ring_hw_setup(ad->tx);
	rx_ring_hw_setup(ad->rx);
	/* Station address in RAR 0; RAR 1..15 and the MTA from the filter state. */
	e1k_hw_setup(ad->hw, &hs);
	e1k_itr_init(&ad->itr, ad->cfg.itr_ns, ad->cfg.itr_max_ns, ad->cfg.rx_ring_size);
	atomic_store_explicit(&ad->itr_ns_now, ad->cfg.itr_ns, memory_order_relaxed);
	e1k_program_filters(ad, e1k_pub_locked(ad));
	hal_flush(ad->hw);
}

/* ---- the adapter's own threads ---- */

/* Registered with RCU, and marked: a halt called on one of them (from an ISR,
 * a DPC, a timer or a binding's receive or link callback) would have to join
 * the thread it runs on (adapter_halt.c refuses it). */
_Thread_local bool e1k_on_adapter_thread;
_Thread_local unsigned e1k_in_callback;

static void adapter_thread_start(void *ctx)
{
	e1k_rcu_hooks.on_start(ctx);
	e1k_on_adapter_thread = true;
}

static void adapter_thread_stop(void *ctx)
{
	e1k_on_adapter_thread = false;
	e1k_rcu_hooks.on_stop(ctx);
}

static const struct e1k_thread_hooks adapter_thread_hooks = {
	.on_start = adapter_thread_start,
	.on_stop = adapter_thread_stop,
};

/* ---- ledger release functions ---- */

static void rel_device(void *arg)
{
	struct e1k_adapter *ad = arg;

	hal_close(ad->hw);
	ad->hw = NULL;
}
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

static uint32_t enabled_causes(const struct e1k_adapter *ad)
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
	char macs[E1K_MAC_STRLEN];
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	rc = e1k_config_validate(cfg, err, errlen);
	if (rc < 0)
		return rc;

	ad = calloc(1, sizeof(*ad));
	pub = calloc(1, sizeof(*pub));
	if (ad) {
		ad->rx_refs = calloc(cfg->pool_size, sizeof(*ad->rx_refs));
		ad->rx_next = malloc(cfg->pool_size * sizeof(*ad->rx_next));
	}
	if (!ad || !pub || !ad->rx_refs || !ad->rx_next) {
		if (ad) {
			free(ad->rx_refs);
			free(ad->rx_next);
		}
		free(ad);
		free(pub);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cfg->pool_size; i++)
		ad->rx_next[i] = PKT_BUF_NONE;
	ad->hw = hw;
	ad->cfg = *cfg;
	ad->offloads = e1k_hw_offloads(hw) & cfg->offloads;
	ad->max_mtu = e1k_hw_max_mtu(hw);
	if (owner)
		ad->owner = *owner;
	ad->req_efd = -1;
	for (unsigned i = 0; i < E1K_MAX_VECTORS; i++)
		ad->efd[i] = -1;
	pthread_mutex_init(&ad->ctl_lock, NULL);
	pthread_mutex_init(&ad->tx_lock, NULL);
	{
		pthread_condattr_t ca;

		/* e1k_adapter_tx_wait's deadlines are CLOCK_MONOTONIC. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ad->tx_room, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&ad->stats_lock, NULL);
	ledger_init(&ad->ledger);
	pub->state = E1K_STATE_INITIALIZING;
	pub->mtu = 1500;
	atomic_store_explicit(&ad->pub, pub, memory_order_release);

	pthread_mutex_lock(&ad->ctl_lock);

	/* The device handle is the first entry: released last.  On failure it
	 * is handed back to the caller instead (see fail:). */
	RECORD(LEDGER_DEVICE, E1K_HS_RELEASE_DEVICE, "device", rel_device, ad);

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
	rc = e1k_device_reset(ad, E1K_HW_RESET_US);
	if (rc < 0) {
		snprintf(err, errlen, "device reset did not complete: %s", strerror(-rc));
		goto fail;
	}

	/* 3. MAC address (SDM 5.6: EEPROM words 0..2). */
	step = E1K_STEP_MAC;
	INJECT(step);
	rc = e1k_hw_read_mac(hw, ad->mac);
	if (rc < 0) {
		snprintf(err, errlen, "no valid MAC address in the EEPROM or RAR0");
		goto fail;
	}

	/* 4. Link: auto-speed, set link up, full duplex (SDM 14.3). */
	step = E1K_STEP_LINK;
	INJECT(step);
	e1k_hw_link_up(hw);

	/* 5-7. DMA memory: buffers and descriptor rings. */
	step = E1K_STEP_POOL;
	INJECT(step);
	rc = pkt_pool_create(hw, cfg->pool_size, E1K_BUF_SIZE, &ad->pool);
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
	rc = timer_svc_create("e1k-timer", &adapter_thread_hooks, &ad->timers);
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
	rc = dpc_pool_create(cfg->dpc_workers, "e1k-dpc", &adapter_thread_hooks, &ad->dpcs);
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
	rc = irq_thread_create("e1k-irq", &adapter_thread_hooks, &ad->irqt);
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
	e1k_hw_route_vectors(hw, ad->irq_mode == E1K_IRQ_MSIX);
	ad->isr.enabled_mask = enabled_causes(ad);
	ad->tx_irq_on_demand = ad->cfg.tx_irq_on_demand && ad->cfg.tx_poll_ns ?
	                       ad->isr.enabled_mask & (E1000_ICR_TXDW | E1000_ICR_TXQ0) : 0;
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
	e1k_mac_format(ad->mac, macs);
	e1k_log(E1K_LOG_INFO, "%s: initialized, MAC %s, %s, %u DPC workers",
	        hw->name, macs, e1k_irq_mode_name(ad->irq_mode), cfg->dpc_workers);
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
	e1k_adapter_free(ad);
	return rc;
}
