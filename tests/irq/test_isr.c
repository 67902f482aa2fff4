/* SPDX-License-Identifier: MIT */
/*
 * test_isr.c - the ISR against the fake register file (tests/lib/fake_hal.c,
 * interrupt registers on):
 *   ours (INTx):  ICR read (and cleared), IMC all ones, causes recorded, DPC
 *                 queued, INTx unmasked after the mask; the DPC takes the
 *                 causes and re-enables with enabled_mask;
 *   ours (MSI):   the same without any unmask;
 *   not ours:     ICR 0: INTx unmasked, nothing else touched, no DPC;
 *   all ones:     on_all_ones called, nothing else touched, INTx left masked;
 *   gone:         nothing read at all;
 *   deregistered: counted in isr_after_deregister, nothing touched;
 *   causes accumulate across ISRs until the DPC takes them;
 *   end to end on the interrupt thread, driven by eventfd writes.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dpc.h"
#include "fake_hal.h"
#include "irq_thread.h"
#include "isr.h"
#include "testlib.h"
#include "tutil.h"

#define ENABLED (E1000_ICR_TXDW | E1000_ICR_LSC | E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | \
                 E1000_ICR_RXO)

struct rig {
	struct fake_hal *f;
	struct dpc_pool *pool;
	struct isr_ctx c;
	struct dpc d;
	struct gate *gate;            /* holds the DPC before it takes the causes */
	atomic_uint taken;            /* OR of all causes the DPC took */
	atomic_ulong dpc_runs, dpc_nonzero;
	atomic_ulong all_ones_calls;
	void *all_ones_ctx;
};

static void rig_dpc(struct dpc *d)
{
	struct rig *r = container_of(d, struct rig, d);
	uint32_t causes;

	if (r->gate)
		gate_wait(r->gate);
	causes = isr_take_causes(&r->c);
	atomic_fetch_or(&r->taken, causes);
	if (causes)
		atomic_fetch_add(&r->dpc_nonzero, 1);
	isr_reenable(&r->c);
	atomic_fetch_add_explicit(&r->dpc_runs, 1, memory_order_release);
}

static void rig_all_ones(void *ctx)
{
	struct rig *r = ctx;

	r->all_ones_ctx = ctx;
	atomic_fetch_add(&r->all_ones_calls, 1);
}

static bool rig_init(struct rig *r, enum hal_irq_index mode, struct gate *g)
{
	memset(r, 0, sizeof(*r));
	r->f = fake_hal_open(&(struct fake_hal_opts){ .mac = E1K_MAC_82540EM, .irq_regs = true });
	if (!r->f || dpc_pool_create(1, "isr", NULL, &r->pool) != 0)
		return false;
	dpc_init(&r->d, "isr-dpc", rig_dpc);
	r->gate = g;
	isr_init(&r->c, fake_hal_dev(r->f), mode, r->pool, &r->d, ENABLED);
	r->c.on_all_ones = rig_all_ones;
	r->c.on_all_ones_ctx = r;
	/* Device running with its causes enabled, log empty. */
	hal_wr32(fake_hal_dev(r->f), E1000_IMS, ENABLED);
	fake_hal_clear_log(r->f);
	return true;
}

static void rig_fini(struct rig *r)
{
	dpc_pool_destroy(r->pool);
	fake_hal_close(r->f);
}

static void check_access(const struct fake_snap *s, unsigned i, enum fake_op op,
                         uint32_t reg, uint32_t val, int line)
{
	if (i >= s->nlog) {
		tl_fail(__FILE__, line, "access %u missing (only %u)", i, s->nlog);
		return;
	}
	if (s->log[i].op != op || s->log[i].reg != reg || s->log[i].val != val)
		tl_fail(__FILE__, line, "access %u: op %d reg %#x val %#x, expected op %d reg %#x val %#x",
		        i, s->log[i].op, s->log[i].reg, s->log[i].val, op, reg, val);
}
#define CHECK_ACCESS(s, i, op, reg, val) check_access(s, i, op, reg, val, __LINE__)

static void test_ours_intx(void)
{
	struct rig r;
	struct gate g;
	struct fake_snap s;
	struct dpc_pool_stats st;

	gate_init(&g);
	REQUIRE(rig_init(&r, HAL_IRQ_INTX, &g));
	fake_hal_raise(r.f, E1000_ICR_RXT0 | E1000_ICR_TXDW);
	isr_handle(&r.c, 0);

	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.nlog, 3);
	CHECK_ACCESS(&s, 0, FAKE_RD, E1000_ICR, E1000_ICR_RXT0 | E1000_ICR_TXDW);
	CHECK_ACCESS(&s, 1, FAKE_WR, E1000_IMC, E1000_IMS_ALL);      /* mask ... */
	CHECK_ACCESS(&s, 2, FAKE_UNMASK, HAL_IRQ_INTX, 0);           /* ... then unmask INTx */
	CHECK_EQ(s.icr, 0);                                          /* read-to-clear */
	CHECK_EQ(s.ims, 0);
	CHECK_EQ(atomic_load(&r.c.causes), E1000_ICR_RXT0 | E1000_ICR_TXDW);
	CHECK(dpc_state(&r.d) != DPC_STATE_IDLE);                    /* queued */
	CHECK_EQ(atomic_load(&r.c.runs), 1);
	CHECK_EQ(atomic_load(&r.c.not_ours), 0);

	gate_open(&g);
	dpc_wait_idle(r.pool, &r.d);
	CHECK_EQ(atomic_load(&r.taken), E1000_ICR_RXT0 | E1000_ICR_TXDW);
	CHECK_EQ(atomic_load(&r.c.causes), 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.ims, ENABLED);                                    /* DPC re-enabled */
	CHECK_ACCESS(&s, 3, FAKE_WR, E1000_IMS, ENABLED);
	dpc_pool_get_stats(r.pool, &st);
	CHECK_EQ(st.queued, 1);
	rig_fini(&r);
	gate_fini(&g);
}

static void test_ours_msi(void)
{
	struct rig r;
	struct gate g;
	struct fake_snap s;

	gate_init(&g);
	REQUIRE(rig_init(&r, HAL_IRQ_MSI, &g));
	fake_hal_raise(r.f, E1000_ICR_LSC);
	isr_handle(&r.c, 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.nlog, 2);
	CHECK_ACCESS(&s, 0, FAKE_RD, E1000_ICR, E1000_ICR_LSC);
	CHECK_ACCESS(&s, 1, FAKE_WR, E1000_IMC, E1000_IMS_ALL);
	CHECK_EQ(s.unmasks[HAL_IRQ_INTX], 0);
	CHECK_EQ(s.unmasks[HAL_IRQ_MSI], 0);
	gate_open(&g);
	dpc_wait_idle(r.pool, &r.d);
	CHECK_EQ(atomic_load(&r.taken), E1000_ICR_LSC);
	rig_fini(&r);
	gate_fini(&g);
}

static void test_not_ours(void)
{
	struct rig r;
	struct fake_snap s;
	struct dpc_pool_stats st;

	REQUIRE(rig_init(&r, HAL_IRQ_INTX, NULL));
	isr_handle(&r.c, 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.nlog, 2);
	CHECK_ACCESS(&s, 0, FAKE_RD, E1000_ICR, 0);
	CHECK_ACCESS(&s, 1, FAKE_UNMASK, HAL_IRQ_INTX, 0);   /* shared line: unmask */
	CHECK_EQ(s.ims, ENABLED);                           /* not masked */
	CHECK_EQ(atomic_load(&r.c.not_ours), 1);
	dpc_pool_get_stats(r.pool, &st);
	CHECK_EQ(st.queued, 0);
	rig_fini(&r);

	REQUIRE(rig_init(&r, HAL_IRQ_MSI, NULL));
	isr_handle(&r.c, 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.nlog, 1);                                /* MSI: no unmask */
	CHECK_ACCESS(&s, 0, FAKE_RD, E1000_ICR, 0);
	CHECK_EQ(atomic_load(&r.c.not_ours), 1);
	rig_fini(&r);
}

static void test_all_ones(void)
{
	struct rig r;
	struct fake_snap s;
	struct dpc_pool_stats st;

	REQUIRE(rig_init(&r, HAL_IRQ_INTX, NULL));
	fake_hal_raise(r.f, E1000_ICR_RXT0);
	fake_hal_set_all_ones(r.f, true);
	isr_handle(&r.c, 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.accesses, 1);                            /* the ICR read, nothing after */
	CHECK_ACCESS(&s, 0, FAKE_RD, E1000_ICR, E1000_REG_ALL_ONES);
	CHECK_EQ(s.unmasks[HAL_IRQ_INTX], 0);               /* INTx stays masked */
	CHECK_EQ(atomic_load(&r.all_ones_calls), 1);
	CHECK(r.all_ones_ctx == &r);
	CHECK_EQ(atomic_load(&r.c.all_ones), 1);
	CHECK_EQ(atomic_load(&r.c.causes), 0);
	dpc_pool_get_stats(r.pool, &st);
	CHECK_EQ(st.queued, 0);
	/* The driver's on_all_ones would mark the device gone: the next ISR
	 * then touches nothing, and nothing counts as mmio after removal. */
	hal_mark_gone(fake_hal_dev(r.f));
	isr_handle(&r.c, 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.accesses, 1);
	CHECK_EQ(atomic_load(&r.c.gone), 1);
	CHECK_EQ(atomic_load(&fake_hal_dev(r.f)->mmio_after_removal), 0);
	CHECK(!isr_reenable(&r.c));
	CHECK_EQ(atomic_load(&fake_hal_dev(r.f)->mmio_after_removal), 0);
	CHECK_EQ(atomic_load(&r.c.runs), 2);
	rig_fini(&r);
}

static void test_after_deregister(void)
{
	struct rig r;
	struct fake_snap s;

	REQUIRE(rig_init(&r, HAL_IRQ_INTX, NULL));
	fake_hal_raise(r.f, E1000_ICR_RXT0);
	atomic_store_explicit(&r.c.deregistered, true, memory_order_release);
	isr_handle(&r.c, 0);
	isr_handle(&r.c, 0);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.accesses, 0);
	CHECK_EQ(s.icr, E1000_ICR_RXT0);                    /* not even read */
	CHECK_EQ(atomic_load(&r.c.isr_after_deregister), 2);
	CHECK(!isr_reenable(&r.c));
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.accesses, 0);
	rig_fini(&r);
}

static void test_causes_accumulate(void)
{
	struct rig r;
	struct gate g;

	gate_init(&g);
	REQUIRE(rig_init(&r, HAL_IRQ_MSI, &g));
	fake_hal_raise(r.f, E1000_ICR_RXT0);
	isr_handle(&r.c, 0);
	REQUIRE(wait_gate_waiters(&g, 1));                  /* DPC running, held */
	fake_hal_raise(r.f, E1000_ICR_LSC);
	isr_handle(&r.c, 0);                                /* requeues the running DPC */
	CHECK_EQ(dpc_state(&r.d), DPC_STATE_RUNNING | DPC_STATE_REQUEUED);
	fake_hal_raise(r.f, E1000_ICR_TXDW);
	isr_handle(&r.c, 0);                                /* already requeued */
	CHECK_EQ(atomic_load(&r.c.dpc_not_queued), 1);
	CHECK_EQ(atomic_load(&r.c.causes), E1000_ICR_RXT0 | E1000_ICR_LSC | E1000_ICR_TXDW);
	gate_open(&g);
	dpc_wait_idle(r.pool, &r.d);
	CHECK_EQ(atomic_load(&r.dpc_runs), 2);
	CHECK_EQ(atomic_load(&r.dpc_nonzero), 1);           /* first run took all three */
	CHECK_EQ(atomic_load(&r.taken), E1000_ICR_RXT0 | E1000_ICR_LSC | E1000_ICR_TXDW);
	rig_fini(&r);
	gate_fini(&g);
}

/* End to end: eventfd -> interrupt thread -> ISR -> DPC -> IMS re-enabled. */
static void test_on_irq_thread(void)
{
	struct rig r;
	struct irq_thread *it;
	struct irq_thread_stats ist;
	struct fake_snap s;
	static const uint32_t causes[] = { E1000_ICR_RXT0, E1000_ICR_TXDW, E1000_ICR_LSC };
	unsigned long n = tl_scaled(3000, 300);
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t one = 1;

	REQUIRE(efd >= 0);
	REQUIRE(rig_init(&r, HAL_IRQ_INTX, NULL));
	REQUIRE(irq_thread_create("isr", NULL, &it) == 0);
	REQUIRE(irq_thread_add(it, efd, isr_handle, &r.c, 0) == 0);
	REQUIRE(irq_thread_start(it) == 0);
	for (unsigned long i = 0; i < n; i++) {
		fake_hal_raise(r.f, causes[i % 3]);
		REQUIRE(write(efd, &one, sizeof(one)) == sizeof(one));
		if (!wait_ge(&r.dpc_nonzero, i + 1)) {
			tl_fail(__FILE__, __LINE__, "interrupt %lu not handled", i);
			break;
		}
	}
	irq_thread_stop(it);
	dpc_flush(r.pool);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.ims, ENABLED);
	CHECK_EQ(s.unmasks[HAL_IRQ_INTX], n);
	CHECK_EQ(atomic_load(&r.c.runs), n);
	CHECK_EQ(atomic_load(&r.c.not_ours), 0);
	CHECK_EQ(atomic_load(&r.taken), E1000_ICR_RXT0 | E1000_ICR_TXDW | E1000_ICR_LSC);
	irq_thread_get_stats(it, &ist);
	CHECK_EQ(ist.dispatched, n);
	CHECK_EQ(ist.after_stop, 0);

	/* Deregistered (thread stopped): a late ISR is counted, touches nothing. */
	atomic_store_explicit(&r.c.deregistered, true, memory_order_release);
	fake_hal_clear_log(r.f);
	isr_handle(&r.c, 0);
	CHECK_EQ(atomic_load(&r.c.isr_after_deregister), 1);
	fake_hal_snap(r.f, &s);
	CHECK_EQ(s.accesses, 0);
	irq_thread_destroy(it);
	close(efd);
	rig_fini(&r);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_ours_intx),
		TL_CASE(test_ours_msi),
		TL_CASE(test_not_ours),
		TL_CASE(test_all_ones),
		TL_CASE(test_after_deregister),
		TL_CASE(test_causes_accumulate),
		TL_CASE(test_on_irq_thread),
	};

	return tl_run(cases, TL_N(cases));
}
