/* SPDX-License-Identifier: MIT */
/*
 * sim.c - the software device model: open/close, the model thread, sim_sync,
 * fault injection and statistics.  See sim_internal.h for the file map and
 * the lock order.
 *
 * The model thread sleeps in ppoll() on the kick eventfd (and the TAP fd),
 * with a timeout set to the next ITR / storm / hostile deadline (the thread's
 * timer slack is 1 ns, so ITR intervals of tens of microseconds are honoured);
 * it does not wake while idle.  Each iteration: drain the kick, run expired
 * timers, then alternate TX and RX bursts until neither makes progress.
 * sim_sync bumps a request generation and waits for an iteration that started
 * after the bump to finish.
 */
#include "sim_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "tapdev.h"

static const char *const fault_names[SIM_FAULT_COUNT] = {
	[SIM_FAULT_SURPRISE_REMOVE] = "surprise-remove",
	[SIM_FAULT_REMOVE_REQUEST]  = "remove-request",
	[SIM_FAULT_HANG]            = "hang",
	[SIM_FAULT_STORM]           = "storm",
	[SIM_FAULT_LINK_DOWN]       = "link-down",
	[SIM_FAULT_CORRUPT_WB]      = "corrupt-wb",
	[SIM_FAULT_HOSTILE]         = "hostile",
	[SIM_FAULT_STUCK_FILTERS]   = "stuck-filters",
	[SIM_FAULT_STUCK_BIT]       = "stuck-bit",
	[SIM_FAULT_BAD_EEPROM]      = "bad-eeprom",
	[SIM_FAULT_LOST_IRQ]        = "lost-irq",
	[SIM_FAULT_CORRUPT_LOOPBACK] = "corrupt-loopback",
};

static const struct hal_ops sim_ops;

void sim_kick(struct sim_dev *d)
{
	/* Coalesce: while a kick is outstanding, work made visible before this
	 * exchange is seen by the thread's next iteration, because the thread
	 * clears kick_pending (acq_rel, reading this release) after draining
	 * the eventfd and before looking at any state. */
	if (!atomic_exchange_explicit(&d->kick_pending, true, memory_order_acq_rel)) {
		uint64_t one = 1;
		ssize_t r = write(d->kick_fd, &one, sizeof(one));

		(void)r;
	}
}

bool sim_quiet_locked(const struct sim_dev *d)
{
	return atomic_load_explicit(&d->removed, memory_order_relaxed) || d->hang || d->d3hot;
}

uint64_t sim_rand_locked(struct sim_dev *d)
{
	uint64_t x = d->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	d->rng = x;
	return x;
}

/* ---- the model thread ---- */

static void publish_done(struct sim_dev *d, uint64_t gen)
{
	pthread_mutex_lock(&d->sync_lock);
	if (gen > d->done_gen) {
		d->done_gen = gen;
		pthread_cond_broadcast(&d->sync_cond);
	}
	pthread_mutex_unlock(&d->sync_lock);
}

static uint64_t next_deadline(struct sim_dev *d)
{
	uint64_t t;

	pthread_mutex_lock(&d->reg_lock);
	t = sim_irq_deadline_locked(d);
	if (d->storm && d->next_storm_ns < t)
		t = d->next_storm_ns;
	if (d->hostile && d->next_hostile_ns < t)
		t = d->next_hostile_ns;
	pthread_mutex_unlock(&d->reg_lock);
	return t;
}

static void run_timers(struct sim_dev *d, uint64_t now)
{
	struct sim_sig sig = { 0 };

	pthread_mutex_lock(&d->reg_lock);
	sim_irq_timer_locked(d, now, &sig);
	if (d->storm && now >= d->next_storm_ns) {
		uint32_t c = E1000_ICR_TXDW | E1000_ICR_RXT0;

		if (sim_is_82574(d))
			c |= E1000_ICR_TXQ0 | E1000_ICR_RXQ0;
		sim_irq_raise_locked(d, c, &sig);
		d->next_storm_ns = now + SIM_STORM_PERIOD_NS;
	}
	if (d->hostile && now >= d->next_hostile_ns) {
		sim_irq_raise_locked(d, (uint32_t)sim_rand_locked(d), &sig);
		d->next_hostile_ns = now + SIM_HOSTILE_PERIOD_NS;
	}
	pthread_mutex_unlock(&d->reg_lock);
	sim_irq_deliver(d, &sig);
}

/* TX and RX bursts until no progress.  Returns true when the budget ran out
 * with work left (the thread then polls without sleeping). */
static bool run_rings(struct sim_dev *d)
{
	bool hostile;
	unsigned budget;

	pthread_mutex_lock(&d->reg_lock);
	hostile = d->hostile;
	pthread_mutex_unlock(&d->reg_lock);
	budget = hostile ? SIM_HOSTILE_BUDGET : SIM_ITER_BUDGET;
	for (;;) {
		struct sim_sig sig = { 0 };
		unsigned tx, rx, fl;

		pthread_mutex_lock(&d->reg_lock);
		sim_dma_begin(d);
		tx = sim_tx_burst_locked(d, &sig);
		rx = sim_rx_burst_locked(d, &sig);
		sim_dma_end(d);
		pthread_mutex_unlock(&d->reg_lock);
		fl = sim_tx_flush(d);   /* hook + wire, no locks held */
		sim_irq_deliver(d, &sig);
		if (!tx && !rx && !fl)
			return false;
		if (tx + rx >= budget)
			return !hostile;   /* hostile head jumps may never end: wait for a kick */
		budget -= tx + rx;
	}
}

static void *model_thread(void *arg)
{
	struct sim_dev *d = arg;
	bool more = false;

	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = d->kick_fd, .events = POLLIN } };
		struct timespec ts, *tsp = NULL;
		nfds_t nfds = 1;
		uint64_t deadline = more ? 0 : next_deadline(d), now, gen, junk;
		bool removed = atomic_load_explicit(&d->removed, memory_order_acquire);
		ssize_t r;

		/* Checked again here, not only after ppoll: the drain below may
		 * have eaten the kick that close sent after setting stop (the
		 * kick_pending exchange orders stop before this load). */
		if (atomic_load_explicit(&d->stop, memory_order_acquire))
			break;
		if (d->tap_fd >= 0 && !removed && !sim_wire_full(d)) {
			pfd[1] = (struct pollfd){ .fd = d->tap_fd, .events = POLLIN };
			nfds = 2;
		}
		if (deadline != UINT64_MAX) {
			now = e1k_now_ns();
			deadline = deadline > now ? deadline - now : 0;
			ts.tv_sec = (time_t)(deadline / 1000000000ull);
			ts.tv_nsec = (long)(deadline % 1000000000ull);
			tsp = &ts;
		}
		ppoll(pfd, nfds, tsp, NULL);
		if (atomic_load_explicit(&d->stop, memory_order_acquire))
			break;
		r = read(d->kick_fd, &junk, sizeof(junk));   /* nonblocking drain */
		(void)r;
		/* After the drain: see sim_kick. */
		atomic_exchange_explicit(&d->kick_pending, false, memory_order_acq_rel);
		gen = atomic_load_explicit(&d->req_gen, memory_order_acquire);

		if (atomic_load_explicit(&d->removed, memory_order_acquire)) {
			/* Gone: the wire goes nowhere and nothing is processed. */
			sim_wire_flush(d);
			d->nstaged = 0;
			more = false;
			publish_done(d, gen);
			continue;
		}
		sim_wire_tap_poll(d);
		run_timers(d, e1k_now_ns());
		more = run_rings(d);
		if (!more)
			publish_done(d, gen);
	}
	return NULL;
}

void sim_sync(struct hal_dev *hw)
{
	struct sim_dev *d;
	struct timespec dl;
	uint64_t gen, until;

	if (!hw || !sim_is_sim(hw))
		return;
	d = sim_of(hw);
	gen = atomic_fetch_add_explicit(&d->req_gen, 1, memory_order_acq_rel) + 1;
	sim_kick(d);
	until = e1k_now_ns() + SIM_SYNC_TIMEOUT_NS;
	dl.tv_sec = (time_t)(until / 1000000000ull);
	dl.tv_nsec = (long)(until % 1000000000ull);
	pthread_mutex_lock(&d->sync_lock);
	while (d->done_gen < gen)
		if (pthread_cond_timedwait(&d->sync_cond, &d->sync_lock, &dl) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&d->sync_lock);
}

/* ---- open / close ---- */

int sim_model_parse(const char *s, enum sim_model *out)
{
	if (!s || !out)
		return -EINVAL;
	if (strcasecmp(s, "82540em") == 0)
		*out = SIM_82540EM;
	else if (strcasecmp(s, "82574l") == 0)
		*out = SIM_82574L;
	else
		return -EINVAL;
	return 0;
}

bool sim_is_sim(const struct hal_dev *hw)
{
	return hw && hw->ops == &sim_ops;
}

/* Free a (possibly half-built) model.  The thread must not be running. */
static void sim_destroy(struct sim_dev *d)
{
	if (d->kick_fd >= 0)
		close(d->kick_fd);
	for (unsigned i = 0; i <= SIM_TX_BURST_FRAMES; i++)
		free(d->stage[i].buf);
	free(d->tso.pkt.buf);
	pthread_cond_destroy(&d->sync_cond);
	pthread_mutex_destroy(&d->sync_lock);
	pthread_mutex_destroy(&d->hook_lock);
	pthread_mutex_destroy(&d->irq_lock);
	pthread_mutex_destroy(&d->ctl_lock);
	pthread_mutex_destroy(&d->reg_lock);
	free(d);
}

static int sync_init(struct sim_dev *d)
{
	pthread_condattr_t ca;
	int err;

	if ((err = pthread_mutex_init(&d->reg_lock, NULL)) != 0 ||
	    (err = pthread_mutex_init(&d->ctl_lock, NULL)) != 0 ||
	    (err = pthread_mutex_init(&d->irq_lock, NULL)) != 0 ||
	    (err = pthread_mutex_init(&d->hook_lock, NULL)) != 0 ||
	    (err = pthread_mutex_init(&d->sync_lock, NULL)) != 0)
		return -err;
	if ((err = pthread_condattr_init(&ca)) != 0)
		return -err;
	err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&d->sync_cond, &ca);
	pthread_condattr_destroy(&ca);
	return -err;
}

int sim_open(const struct sim_config *cfg, struct hal_dev **out)
{
	static const uint8_t def_mac[E1000_ETH_ALEN] = SIM_DEFAULT_MAC;
	static const uint8_t zero_mac[E1000_ETH_ALEN];
	struct sim_sig sig = { 0 };
	struct sim_dev *d;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg || (cfg->model != SIM_82540EM && cfg->model != SIM_82574L))
		return -EINVAL;
	if (cfg->wire != SIM_WIRE_NONE && cfg->wire != SIM_WIRE_LOOPBACK && cfg->wire != SIM_WIRE_TAP)
		return -EINVAL;
	if (cfg->wire == SIM_WIRE_TAP && !tapdev_name_valid(cfg->tap_name))
		return -EINVAL;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->kick_fd = -1;
	d->tap_fd = -1;
	d->irq_active = -1;
	d->cfg = *cfg;
	d->cfg.tap_name = NULL;   /* the caller's string is not ours to keep */
	if (cfg->wire == SIM_WIRE_TAP)
		strncpy(d->tap_name, cfg->tap_name, sizeof(d->tap_name) - 1);
	if (memcmp(cfg->mac, zero_mac, sizeof(zero_mac)) == 0)
		memcpy(d->cfg.mac, def_mac, sizeof(def_mac));

	d->hal.ops = &sim_ops;
	d->hal.vendor_id = E1000_VENDOR_INTEL;
	if (cfg->model == SIM_82574L) {
		d->hal.mac = E1K_MAC_82574L;
		d->hal.device_id = E1000_DEV_82574L;
		strcpy(d->hal.name, "sim:82574l");
	} else {
		d->hal.mac = E1K_MAC_82540EM;
		d->hal.device_id = E1000_DEV_82540EM;
		strcpy(d->hal.name, "sim:82540em");
	}
	atomic_init(&d->hal.gone, false);
	atomic_init(&d->hal.mmio_after_removal, 0);
	d->rng = 0x9e3779b97f4a7c15ull;

	err = sync_init(d);
	if (err)
		goto fail_free;
	err = sim_dma_init(d);
	if (err)
		goto fail_free;
	err = sim_wire_init(d);
	if (err)
		goto fail_dma;
	d->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->kick_fd < 0) {
		err = -errno;
		goto fail_wire;
	}
	sim_cfg_init(d);
	sim_eeprom_init(d);
	sim_regs_reset_locked(d, &sig);   /* power-on state; not yet shared */
	atomic_store_explicit(&d->st_resets, 0, memory_order_relaxed);

	err = -pthread_create(&d->thread, NULL, model_thread, d);
	if (err)
		goto fail_wire;
	d->thread_started = true;
	pthread_setname_np(d->thread, "e1k-sim");
	*out = &d->hal;
	return 0;

fail_wire:
	sim_wire_fini(d);
fail_dma:
	sim_dma_fini(d);
fail_free:
	sim_destroy(d);
	return err;
}

static void sim_op_close(struct hal_dev *hw)
{
	struct sim_dev *d = sim_of(hw);

	if (d->thread_started) {
		atomic_store_explicit(&d->stop, true, memory_order_release);
		atomic_store_explicit(&d->kick_pending, false, memory_order_relaxed);
		sim_kick(d);
		pthread_join(d->thread, NULL);
		d->thread_started = false;
	}
	sim_irq_release_all(d);
	sim_wire_fini(d);
	sim_dma_fini(d);   /* leftover mappings: unmapped and freed here */
	sim_destroy(d);
}

static int sim_op_reset(struct hal_dev *hw)
{
	struct sim_dev *d = sim_of(hw);
	struct sim_sig sig = { 0 };

	/* QEMU's e1000 offers no VFIO reset; the 82574L has FLR.  VFIO saves and
	 * restores config space around the reset, so only registers reset. */
	if (!sim_is_82574(d))
		return -ENOTSUP;
	if (atomic_load_explicit(&d->removed, memory_order_acquire))
		return -ENODEV;
	pthread_mutex_lock(&d->reg_lock);
	sim_regs_reset_locked(d, &sig);
	pthread_mutex_unlock(&d->reg_lock);
	sim_irq_deliver(d, &sig);
	sim_kick(d);
	return 0;
}

/* ---- faults ---- */

const char *sim_fault_name(enum sim_fault f)
{
	if ((unsigned)f >= SIM_FAULT_COUNT)
		return "unknown";
	return fault_names[f];
}

int sim_fault_parse(const char *s, enum sim_fault *out)
{
	if (!s || !out)
		return -EINVAL;
	for (unsigned i = 0; i < SIM_FAULT_COUNT; i++)
		if (strcasecmp(s, fault_names[i]) == 0) {
			*out = (enum sim_fault)i;
			return 0;
		}
	return -EINVAL;
}

int sim_fault(struct hal_dev *hw, enum sim_fault f, bool on)
{
	struct sim_dev *d;
	struct sim_sig sig = { 0 };

	if (!hw || !sim_is_sim(hw) || (unsigned)f >= SIM_FAULT_COUNT)
		return -EINVAL;
	d = sim_of(hw);
	pthread_mutex_lock(&d->reg_lock);
	switch (f) {
	case SIM_FAULT_SURPRISE_REMOVE:
		if (on && !atomic_load_explicit(&d->removed, memory_order_relaxed)) {
			/* The model never sets hw->gone: the driver must notice the
			 * all-ones reads itself. */
			atomic_store_explicit(&d->removed, true, memory_order_release);
			sim_irq_update_locked(d, 0, &sig);   /* quiet: INTx line drops */
			sig.req = true;
		}
		break;
	case SIM_FAULT_REMOVE_REQUEST:
		sig.req = on;
		break;
	case SIM_FAULT_HANG:
		d->hang = on;
		sim_irq_update_locked(d, 0, &sig);
		break;
	case SIM_FAULT_STORM:
		d->storm = on;
		d->next_storm_ns = e1k_now_ns();
		break;
	case SIM_FAULT_LINK_DOWN:
		if (d->link_down != on) {
			d->link_down = on;
			sim_link_changed_locked(d, &sig);
		}
		break;
	case SIM_FAULT_CORRUPT_WB:
		d->corrupt_wb = on;
		d->corrupt_seq = 0;
		break;
	case SIM_FAULT_HOSTILE:
		d->hostile = on;
		d->next_hostile_ns = e1k_now_ns();
		break;
	case SIM_FAULT_STUCK_FILTERS:
		d->stuck_filters = on;
		break;
	case SIM_FAULT_STUCK_BIT:
		d->stuck_bit = on;
		if (on)   /* the bit reads 0 from now on, whatever it held */
			sim_reg_set(d, SIM_STUCK_REG, sim_reg(d, SIM_STUCK_REG) & ~SIM_STUCK_BIT);
		break;
	case SIM_FAULT_BAD_EEPROM:
		d->bad_eeprom = on;
		break;
	case SIM_FAULT_LOST_IRQ:
		d->lost_irq = on;
		break;
	case SIM_FAULT_CORRUPT_LOOPBACK:
		d->corrupt_loopback = on;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&d->reg_lock);
	sim_irq_deliver(d, &sig);
	sim_kick(d);
	return 0;
}

/* ---- wire and observation API ---- */

int sim_wire_inject(struct hal_dev *hw, const void *frame, size_t len)
{
	struct sim_dev *d;
	int err;

	if (!hw || !sim_is_sim(hw) || !frame || len == 0 || len > SIM_FRAME_MAX)
		return -EINVAL;
	d = sim_of(hw);
	err = sim_wire_enqueue(d, frame, len);
	if (err == 0)
		sim_kick(d);
	return err;
}

void sim_set_tx_hook(struct hal_dev *hw, sim_tx_hook cb, void *ctx)
{
	struct sim_dev *d;

	if (!hw || !sim_is_sim(hw))
		return;
	d = sim_of(hw);
	pthread_mutex_lock(&d->hook_lock);
	d->hook = cb;
	d->hook_ctx = cb ? ctx : NULL;
	pthread_mutex_unlock(&d->hook_lock);
}

void sim_get_stats(struct hal_dev *hw, struct sim_stats *st)
{
	struct sim_dev *d;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!hw || !sim_is_sim(hw))
		return;
	d = sim_of(hw);
	pthread_mutex_lock(&d->reg_lock);
	st->rx_frames = d->rx_frames;
	st->rx_filtered = d->rx_filtered;
	st->rx_missed = d->rx_missed;
	st->tx_dext = d->tx_dext;
	st->tx_tso_segments = d->tx_tso_segs;
	st->tx_csum = d->tx_csum;
	st->tx_bad_offload = d->tx_bad_offload;
	st->tdt_writes = d->tdt_writes;
	st->power_state = d->d3hot ? PCI_PM_STATE_D3HOT : PCI_PM_STATE_D0;
	pthread_mutex_unlock(&d->reg_lock);
	st->dma_faults = atomic_load_explicit(&d->dma.faults, memory_order_relaxed);
	st->last_fault_iova = atomic_load_explicit(&d->dma.last_fault_iova, memory_order_relaxed);
	st->dma_blocked = atomic_load_explicit(&d->dma.blocked, memory_order_relaxed);
	st->live_mappings = atomic_load_explicit(&d->dma.live, memory_order_relaxed);
	st->mappings_total = atomic_load_explicit(&d->dma.total, memory_order_relaxed);
	st->tx_frames = atomic_load_explicit(&d->st_tx_frames, memory_order_relaxed);
	st->irq_signals = atomic_load_explicit(&d->st_irq_signals, memory_order_relaxed);
	st->resets = atomic_load_explicit(&d->st_resets, memory_order_relaxed);
	st->bad_ring_config = atomic_load_explicit(&d->st_bad_ring, memory_order_relaxed);
	st->removed = atomic_load_explicit(&d->removed, memory_order_acquire);
	st->mmio_bad = atomic_load_explicit(&d->st_mmio_bad, memory_order_relaxed);
	st->wire_drops = atomic_load_explicit(&d->st_wire_drops, memory_order_relaxed);
	st->req_signals = atomic_load_explicit(&d->st_req_signals, memory_order_relaxed);
}

uint32_t sim_peek_reg(struct hal_dev *hw, uint32_t off)
{
	struct sim_dev *d;
	uint32_t v;

	if (!hw || !sim_is_sim(hw) || off >= E1000_BAR0_SIZE || (off & 3u))
		return 0;
	d = sim_of(hw);
	pthread_mutex_lock(&d->reg_lock);
	v = sim_peek_locked(d, off);
	pthread_mutex_unlock(&d->reg_lock);
	return v;
}

uint16_t sim_peek_phy(struct hal_dev *hw, unsigned reg)
{
	struct sim_dev *d;
	uint16_t v;

	if (!hw || !sim_is_sim(hw) || reg >= E1000_PHY_REGS)
		return 0;
	d = sim_of(hw);
	pthread_mutex_lock(&d->reg_lock);
	v = d->phy[reg];
	pthread_mutex_unlock(&d->reg_lock);
	return v;
}

static uint64_t sim_op_dma_faults(struct hal_dev *hw)
{
	return atomic_load_explicit(&sim_of(hw)->dma.faults, memory_order_relaxed);
}

static uint64_t sim_op_dma_live_frees(struct hal_dev *hw)
{
	return atomic_load_explicit(&sim_of(hw)->dma.live_frees, memory_order_relaxed);
}

static const struct hal_ops sim_ops = {
	.name       = "sim",
	.rd32       = sim_op_rd32,
	.wr32       = sim_op_wr32,
	.cfg_read   = sim_op_cfg_read,
	.cfg_write  = sim_op_cfg_write,
	.dma_alloc  = sim_op_dma_alloc,
	.dma_free   = sim_op_dma_free,
	.dma_revoke = sim_op_dma_revoke,
	.irq_count  = sim_op_irq_count,
	.irq_set    = sim_op_irq_set,
	.irq_clear  = sim_op_irq_clear,
	.irq_unmask = sim_op_irq_unmask,
	.reset      = sim_op_reset,
	.dma_faults = sim_op_dma_faults,
	.dma_live_frees = sim_op_dma_live_frees,
	.close      = sim_op_close,
};
