/* SPDX-License-Identifier: MIT */
#include "robust_lib.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e1k_rcu.h"
#include "testlib.h"

/* ---- the binding ---- */

static void rb_receive(void *ctx, const struct e1k_rx_frame *f, unsigned n)
{
	struct rb_binding *b = ctx;
	uint32_t ret[64];
	unsigned nret = 0;

	for (unsigned i = 0; i < n; i++) {
		if (f[i].len == 0 || f[i].len > RB_BUF_SIZE)
			atomic_fetch_add(&b->bad_len, 1);
		if (!f[i].data) {
			atomic_fetch_add(&b->null_data, 1);
		} else if (f[i].len <= RB_BUF_SIZE) {
			/* Read every byte the driver says is there: ASan checks the
			 * reads stay inside memory the driver owns. */
			const uint8_t *d = f[i].data;
			unsigned long sum = 0;
			bool ok = f[i].len >= 22 && d[12] == (RB_ETHERTYPE >> 8) &&
			          d[13] == (RB_ETHERTYPE & 0xff);

			for (uint32_t k = 0; k < f[i].len; k++)
				sum += d[k];
			for (uint32_t k = 22; ok && k + 4 < f[i].len; k++)
				ok = d[k] == (uint8_t)(d[14] + k);
			atomic_fetch_add(&b->bytes, f[i].len);
			atomic_fetch_add(&b->sum, sum);
			if (ok)
				atomic_fetch_add(&b->good, 1);
		}
		atomic_fetch_add(&b->frames, 1);
		ret[nret++] = f[i].buf;
		if (nret == 64) {
			e1k_adapter_return_rx(b->ad, ret, nret);
			nret = 0;
		}
	}
	if (nret)
		e1k_adapter_return_rx(b->ad, ret, nret);
}

static const struct e1k_binding_ops rb_ops = {
	.name = "robust",
	.receive = rb_receive,
};

static void rb_halt_needed(void *ctx, enum e1k_halt_reason reason, const char *why)
{
	struct rb_binding *b = ctx;
	int none = -1;

	atomic_fetch_add(&b->halt_requests, 1);
	if (atomic_compare_exchange_strong(&b->halt_reason, &none, (int)reason) && !b->quiet)
		printf("  owner asked to halt: %s (%s)\n", e1k_halt_reason_name(reason), why);
}

/* ---- the shim backend ---- */

struct shim {
	struct hal_dev hal;          /* first: the adapter's handle */
	struct rb_dev *t;
};

static struct hal_dev *inner(struct hal_dev *hw)
{
	return ((struct shim *)hw)->t->sim;
}

static uint32_t sh_rd32(struct hal_dev *hw, uint32_t reg)
{
	struct hal_dev *s = inner(hw);

	return s->ops->rd32(s, reg);
}

static void sh_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct hal_dev *s = inner(hw);

	s->ops->wr32(s, reg, val);
}

static int sh_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	struct hal_dev *s = inner(hw);

	return s->ops->cfg_read(s, off, buf, len);
}

static int sh_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	struct hal_dev *s = inner(hw);

	return s->ops->cfg_write(s, off, buf, len);
}

static int sh_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	struct hal_dev *s = inner(hw);

	return s->ops->dma_alloc(s, len, out);
}

static void sh_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
	struct hal_dev *s = inner(hw);

	s->ops->dma_free(s, dma);
}

static int sh_dma_revoke(struct hal_dev *hw, struct hal_dma *dma)
{
	struct hal_dev *s = inner(hw);

	return s->ops->dma_revoke(s, dma);
}

static uint64_t sh_dma_faults(struct hal_dev *hw)
{
	return hal_dma_faults(inner(hw));
}

static uint64_t sh_dma_live_frees(struct hal_dev *hw)
{
	return hal_dma_live_frees(inner(hw));
}

static int sh_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count)
{
	struct hal_dev *s = inner(hw);

	return s->ops->irq_count(s, idx, count);
}

static int sh_irq_set(struct hal_dev *hw, enum hal_irq_index idx, const int *efds, uint32_t n)
{
	struct hal_dev *s = inner(hw);

	return s->ops->irq_set(s, idx, efds, n);
}

static int sh_irq_clear(struct hal_dev *hw, enum hal_irq_index idx)
{
	struct hal_dev *s = inner(hw);

	return s->ops->irq_clear(s, idx);
}

static int sh_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t v)
{
	struct hal_dev *s = inner(hw);

	return s->ops->irq_unmask(s, idx, v);
}

static int sh_reset(struct hal_dev *hw)
{
	struct hal_dev *s = inner(hw);

	return s->ops->reset(s);
}

/* The halt's release-device stage: stop the test's device threads, read
 * the DMA checker, then close the model. */
static void sh_close(struct hal_dev *hw)
{
	struct shim *sh = (struct shim *)hw;
	struct rb_dev *t = sh->t;

	atomic_store(&t->dev_threads_stop, true);
	for (unsigned i = 0; i < t->ndev_threads; i++)
		pthread_join(t->dev_threads[i], NULL);
	t->ndev_threads = 0;
	sim_get_stats(t->sim, &t->sim_last);
	t->sim_dma_faults = t->sim_last.dma_faults;
	hal_close(t->sim);
	t->sim = NULL;
	atomic_store(&t->sim_closed, true);
	free(sh);
}

static const struct hal_ops shim_ops = {
	.name       = "sim-shim",
	.rd32       = sh_rd32,
	.wr32       = sh_wr32,
	.cfg_read   = sh_cfg_read,
	.cfg_write  = sh_cfg_write,
	.dma_alloc  = sh_dma_alloc,
	.dma_free   = sh_dma_free,
	.dma_revoke = sh_dma_revoke,
	.dma_faults = sh_dma_faults,
	.dma_live_frees = sh_dma_live_frees,
	.irq_count  = sh_irq_count,
	.irq_set    = sh_irq_set,
	.irq_clear  = sh_irq_clear,
	.irq_unmask = sh_irq_unmask,
	.reset      = sh_reset,
	.close      = sh_close,
};

static int shim_open(struct rb_dev *t)
{
	struct shim *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return -ENOMEM;
	sh->t = t;
	sh->hal.ops = &shim_ops;
	sh->hal.mac = t->sim->mac;
	sh->hal.vendor_id = t->sim->vendor_id;
	sh->hal.device_id = t->sim->device_id;
	memcpy(sh->hal.name, t->sim->name, sizeof(sh->hal.name));
	atomic_init(&sh->hal.gone, false);
	atomic_init(&sh->hal.mmio_after_removal, 0);
	t->hw = &sh->hal;
	return 0;
}

int rb_dev_add_device_thread(struct rb_dev *t, void *(*fn)(void *), void *arg)
{
	int rc;

	if (!t->shimmed || t->ndev_threads == RB_MAX_DEV_THREADS)
		return -EINVAL;
	rc = pthread_create(&t->dev_threads[t->ndev_threads], NULL, fn, arg);
	if (rc)
		return -rc;
	t->ndev_threads++;
	return 0;
}

bool rb_dev_threads_stopping(struct rb_dev *t)
{
	return atomic_load(&t->dev_threads_stop);
}

uint64_t rb_dev_dma_faults(struct rb_dev *t)
{
	struct sim_stats ss;

	if (atomic_load(&t->sim_closed))
		return t->sim_dma_faults;
	sim_get_stats(t->sim, &ss);
	return ss.dma_faults;
}

/* ---- bring-up ---- */

int rb_dev_up(struct rb_dev *t, const struct rb_opts *o)
{
	struct sim_config sc = { .model = o->model, .wire = SIM_WIRE_LOOPBACK,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX };
	struct e1k_owner_ops owner = { .halt_needed = rb_halt_needed };
	struct e1k_config c;
	char err[256];
	int rc;

	memset(t, 0, sizeof(*t));
	atomic_init(&t->b.halt_reason, -1);
	owner.ctx = &t->b;
	e1k_rcu_thread_online();
	e1k_config_defaults(&c);
	c.irq_mode = o->irq;
	if (o->dpc_workers)
		c.dpc_workers = o->dpc_workers;
	if (o->watchdog_ms)
		c.watchdog_ms = o->watchdog_ms;
	rc = sim_open(&sc, &t->sim);
	if (rc < 0)
		return rc;
	t->hw = t->sim;
	if (o->shim) {
		rc = shim_open(t);
		if (rc < 0) {
			hal_close(t->sim);
			return rc;
		}
		t->shimmed = true;
	}
	rc = e1k_adapter_initialize(t->hw, &c, &owner, &t->ad, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "initialize: %s\n", err);
		hal_close(t->hw);   /* the shim's close closes the model */
		return rc;
	}
	t->b.ad = t->ad;
	e1k_adapter_get_mac(t->ad, t->mac);
	rc = e1k_adapter_bind(t->ad, &rb_ops, &t->b);
	if (rc == 0)
		rc = e1k_adapter_restart(t->ad);
	return rc;
}

void rb_frame(const struct rb_dev *t, uint8_t *buf, uint32_t len, uint32_t seq)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x07 };

	memcpy(buf, t->mac, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = RB_ETHERTYPE >> 8;
	buf[13] = RB_ETHERTYPE & 0xff;
	for (uint32_t k = 14; k < len; k++)
		buf[k] = k == 14 ? (uint8_t)seq : (uint8_t)(seq + k);
}

/* ---- the flood ---- */

static void *sender(void *arg)
{
	struct rb_flood *f = arg;
	static _Thread_local uint8_t bufs[16][1514];
	struct e1k_frame fr[16] = { 0 };
	uint32_t seq = 0;

	e1k_rcu_thread_online();
	while (!atomic_load(&f->stop)) {
		int rc;

		for (unsigned i = 0; i < 16; i++) {
			uint32_t len = 60 + (seq + i) * 97u % 1455u;

			rb_frame(f->t, bufs[i], len, seq + i);
			fr[i].data = bufs[i];
			fr[i].len = len;
		}
		rc = e1k_adapter_send(f->t->ad, fr, 16);
		if (rc > 0) {
			atomic_fetch_add(&f->sent, (unsigned long)rc);
			seq += (uint32_t)rc;
		}
		if (rc < 16)
			sched_yield();   /* ring full or not Running: let others run */
	}
	e1k_rcu_thread_offline();
	return NULL;
}

static bool injector_stop(struct rb_flood *f)
{
	return atomic_load(&f->stop) || (f->t->shimmed && rb_dev_threads_stopping(f->t));
}

/* Frames from the wire of every size the model takes: runts, minimum,
 * full-size, longer than one buffer, jumbo (which the model may refuse). */
static void *injector(void *arg)
{
	struct rb_flood *f = arg;
	static _Thread_local uint8_t buf[16384];
	static const uint32_t sizes[] = { 1, 13, 14, 60, 64, 1514, 1518, 2048, 2049, 4000, 9018 };
	uint32_t i = 0;

	while (!injector_stop(f)) {
		uint32_t len = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];

		rb_frame(f->t, buf, len < 14 ? 14 : len, i);
		if (sim_wire_inject(f->t->sim, buf, len) == 0)
			atomic_fetch_add(&f->injected, 1);
		else
			sched_yield();
		i++;
	}
	return NULL;
}

void rb_flood_start(struct rb_flood *f, struct rb_dev *t, bool wire)
{
	memset(f, 0, sizeof(*f));
	f->t = t;
	f->wire = wire;
	CHECK_EQ(pthread_create(&f->sender, NULL, sender, f), 0);
	if (!wire)
		return;
	if (t->shimmed)
		CHECK_OK(rb_dev_add_device_thread(t, injector, f));
	else
		CHECK_EQ(pthread_create(&f->injector, NULL, injector, f), 0);
}

void rb_flood_stop(struct rb_flood *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->sender, NULL);
	if (f->wire && !f->t->shimmed)
		pthread_join(f->injector, NULL);
}

/* ---- checks ---- */

void rb_check_report(const struct e1k_halt_report *rep, int rc, struct rb_dev *t,
                     unsigned allow_timeout, int line)
{
	bool timed_out = false;

	if (rep->final_state != E1K_STATE_HALTED)
		tl_fail(__FILE__, line, "final state %s", e1k_state_name(rep->final_state));
	if (ledger_outstanding(&rep->ledger) != 0)
		tl_fail(__FILE__, line, "ledger outstanding %u", ledger_outstanding(&rep->ledger));
	if (rep->dma_faults || rep->isr_after_deregister || rep->dpc_after_drain ||
	    rep->callbacks_after_halted || rep->rx_buffers_outstanding || rep->mmio_after_removal)
		tl_fail(__FILE__, line, "verifier: dma %llu isr %llu dpc %llu cb %llu rx %llu mmio %llu",
		        (unsigned long long)rep->dma_faults, (unsigned long long)rep->isr_after_deregister,
		        (unsigned long long)rep->dpc_after_drain,
		        (unsigned long long)rep->callbacks_after_halted,
		        (unsigned long long)rep->rx_buffers_outstanding,
		        (unsigned long long)rep->mmio_after_removal);
	/* A direct device's count is rep->dma_faults (the halt read it); a
	 * shimmed one's was read by the shim's close. */
	if (t->shimmed && (!atomic_load(&t->sim_closed) || t->sim_dma_faults != 0))
		tl_fail(__FILE__, line, "model %s, its DMA checker counted %llu faults",
		        atomic_load(&t->sim_closed) ? "closed" : "not closed by the halt",
		        (unsigned long long)t->sim_dma_faults);
	for (int i = 0; i < E1K_HS_COUNT; i++) {
		const struct e1k_stage_report *s = &rep->stages[i];

		if (s->result == E1K_SR_TIMEOUT)
			timed_out = true;
		if (s->result == E1K_SR_ERROR ||
		    (s->result == E1K_SR_TIMEOUT && !(allow_timeout & (1u << i))))
			tl_fail(__FILE__, line, "stage %s %s: %s", e1k_halt_stage_name((enum e1k_halt_stage)i),
			        e1k_stage_result_name(s->result), s->detail);
	}
	if (rc != 0 && !(rc == -EIO && timed_out))
		tl_fail(__FILE__, line, "halt rc %d", rc);
	if (atomic_load(&t->b.bad_len) || atomic_load(&t->b.null_data))
		tl_fail(__FILE__, line, "binding got %lu bad lengths, %lu NULL buffers",
		        atomic_load(&t->b.bad_len), atomic_load(&t->b.null_data));
}
