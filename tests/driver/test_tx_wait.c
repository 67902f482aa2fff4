/* SPDX-License-Identifier: MIT */
/*
 * test_tx_wait.c - e1k_adapter_tx_wait on the software model: a sender that
 * finds the TX ring full sleeps until a TX completion makes room (woken by
 * the reclaim, not by its timeout), stops waiting at once when a halt begins
 * (and the halt never waits for it), and otherwise returns at its bound.
 *
 * The device is held with SIM_FAULT_HANG (no descriptor processed, no
 * interrupt) to fill the ring; letting it go is the completion.  The
 * watchdog is slowed to a minute so that it neither reclaims nor calls a
 * hang meanwhile, and the wait's own poll (tx_poll_ns) is off except where
 * it is the subject: what wakes the waiter is then the reclaim alone.
 * Last, TX completion interrupts with tx_irq_on_demand: off while nobody
 * waits; on without it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "adapter.h"
#include "e1k_rcu.h"
#include "rig.h"
#include "sim.h"
#include "testlib.h"

#define RING      256u
#define WANT      32u                         /* one RS batch's worth */
#define LONG_NS   (10ull * 1000 * 1000 * 1000) /* a waiter's bound no test should reach */

static struct e1k_stats stats(struct rig *r)
{
	struct e1k_stats st;

	memset(&st, 0, sizeof(st));
	e1k_adapter_get_stats(r->ad, &st);
	return st;
}

static bool tx_idle(void *ctx)
{
	struct rig *r = ctx;

	return stats(r).tx_in_flight == 0;
}

/* Interrupts enabled again: no ISR's mask is waiting for its DPC. */
static bool irqs_enabled(void *ctx)
{
	return hal_rd32(((struct rig *)ctx)->hw, E1000_IMS) & E1000_ICR_RXT0;
}

/* The DPC's probe (benchmarks' hook): a gate that holds every DPC run
 * before its work -- reclaim included -- while closed. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed;

static void gate_probe(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&gate_lock);
	while (gate_closed)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void gate_set(bool closed)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed = closed;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

/* Up (with the DPC gate installed, open, when gated), idle, then the device
 * held and the ring filled with 64-byte frames (one descriptor each):
 * RING - 1 in flight. */
static bool up_and_fill_poll(struct rig *r, unsigned poll_ns, bool gated)
{
	struct e1k_config c;
	static uint8_t buf[64];
	struct e1k_frame fr[32];
	unsigned total = 0;

	e1k_config_defaults(&c);
	c.watchdog_ms = 60000;
	c.tx_ring_size = RING;
	c.tx_poll_ns = poll_ns;
	if (rig_up(r, SIM_82540EM, SIM_WIRE_NONE, &c) != 0)
		return false;
	if (gated && (e1k_adapter_pause(r->ad) != 0 ||
	              e1k_adapter_set_dpc_probe(r->ad, gate_probe, NULL) != 0 ||
	              e1k_adapter_restart(r->ad) != 0))
		return false;
	if (!tl_wait_until(tx_idle, r, 5000))
		return false;
	CHECK_OK(sim_fault(r->hw, SIM_FAULT_HANG, true));
	rig_frame(r, buf, sizeof(buf), 0);
	for (unsigned i = 0; i < 32; i++)
		fr[i] = (struct e1k_frame){ .data = buf, .len = sizeof(buf) };
	for (;;) {
		int rc = e1k_adapter_send(r->ad, fr, 32);

		if (rc <= 0)
			break;
		total += (unsigned)rc;
	}
	CHECK_EQ(total, RING - 1);
	return stats(r).tx_in_flight == RING - 1;
}

static bool up_and_fill(struct rig *r)
{
	return up_and_fill_poll(r, 0, false);
}

struct waiter {
	struct rig *r;
	unsigned slots;
	uint64_t timeout_ns;
	pthread_t t;
	int rc;
	uint64_t elapsed_ns;
	atomic_bool done;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	uint64_t t0;

	e1k_rcu_thread_online();
	t0 = tl_now_ns();
	w->rc = e1k_adapter_tx_wait(w->r->ad, w->slots, w->timeout_ns, NULL);
	w->elapsed_ns = tl_now_ns() - t0;
	atomic_store_explicit(&w->done, true, memory_order_release);
	e1k_rcu_thread_offline();
	return NULL;
}

static bool waiter_done(void *ctx)
{
	struct waiter *w = ctx;

	return atomic_load_explicit(&w->done, memory_order_acquire);
}

/* The waiter counted its sleep (under tx_lock, just before it). */
static bool waiter_asleep(void *ctx)
{
	struct rig *r = ctx;

	return stats(r).tx_waits >= 1;
}

static void start_waiter(struct waiter *w, struct rig *r)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->slots = WANT;
	w->timeout_ns = LONG_NS;
	REQUIRE(pthread_create(&w->t, NULL, waiter_thread, w) == 0);
}

/* A sender asleep on a full ring is woken by the completion: the wait ends
 * long before its bound, with room, and the room came from a reclaim. */
static void test_woken_by_completion(void)
{
	struct rig r;
	struct waiter w;
	struct e1k_stats st;
	uint64_t completed;

	REQUIRE(up_and_fill(&r));
	start_waiter(&w, &r);
	CHECK(tl_wait_until(waiter_asleep, &r, 5000));
	CHECK(!waiter_done(&w));      /* the ring is full: nothing to return for */
	completed = stats(&r).tx_completed;
	CHECK_OK(sim_fault(r.hw, SIM_FAULT_HANG, false));
	CHECK(tl_wait_until(waiter_done, &w, 5000));
	pthread_join(w.t, NULL);
	CHECK_EQ(w.rc, 0);
	/* Well inside its 10 s bound: woken, not timed out. */
	CHECK(w.elapsed_ns < LONG_NS / 2);
	st = stats(&r);
	CHECK(st.tx_completed > completed);
	CHECK_U64(st.tx_wait_timeouts, 0);
	CHECK(RING - 1 - st.tx_in_flight >= WANT);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* The completion's interrupt may be held back by moderation, or not enabled
 * at all (TX completions interrupt only from the DPC run after a sender
 * began to wait): the waiter looks at the ring itself every tx_poll_ns.
 * Here no DPC reclaims (any run is held at its start), and the waiter still
 * finds the room the device made. */
static void test_poll_finds_room_without_dpc(void)
{
	struct rig r;
	struct waiter w;
	struct e1k_stats st;

	REQUIRE(up_and_fill_poll(&r, 1000000, true));
	start_waiter(&w, &r);
	CHECK(tl_wait_until(waiter_asleep, &r, 5000));
	gate_set(true);
	CHECK_OK(sim_fault(r.hw, SIM_FAULT_HANG, false));
	CHECK(tl_wait_until(waiter_done, &w, 5000));
	pthread_join(w.t, NULL);
	CHECK_EQ(w.rc, 0);
	CHECK(w.elapsed_ns < LONG_NS / 2);
	st = stats(&r);
	CHECK(RING - 1 - st.tx_in_flight >= WANT);
	gate_set(false);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* A halt that begins while a sender waits ends the wait at once
 * (-ENETDOWN), and the halt does not wait for the sender. */
struct halter {
	struct rig *r;
	pthread_t t;
	int rc;
	struct e1k_halt_report rep;
};

static void *halt_thread(void *arg)
{
	struct halter *h = arg;

	e1k_rcu_thread_online();
	h->rc = e1k_adapter_halt(h->r->ad, E1K_HALT_STOPPED, &h->rep);
	e1k_rcu_thread_offline();
	return NULL;
}

static void test_halt_wakes_waiter(void)
{
	struct rig r;
	struct waiter w;
	struct halter h = { .r = &r };
	bool woke;

	REQUIRE(up_and_fill(&r));
	start_waiter(&w, &r);
	CHECK(tl_wait_until(waiter_asleep, &r, 5000));
	REQUIRE(pthread_create(&h.t, NULL, halt_thread, &h) == 0);
	/* reject-new-work is the halt's first stage: the waiter is out at
	 * once, with the device still held (the halt then finds it hung: its
	 * sends are aborted, not drained, and it closes the device -- which
	 * the test does not touch again). */
	woke = tl_wait_until(waiter_done, &w, 3000);
	CHECK(woke);
	pthread_join(h.t, NULL);
	pthread_join(w.t, NULL);
	CHECK_EQ(w.rc, -ENETDOWN);
	CHECK(w.elapsed_ns < LONG_NS / 2);
	CHECK_EQ(h.rep.final_state, E1K_STATE_HALTED);
	CHECK_EQ(ledger_outstanding(&h.rep.ledger), 0);
	CHECK_EQ(h.rep.dma_faults, 0);
	/* After the halt a wait is refused at once. */
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, 1, LONG_NS, NULL), -ENETDOWN);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* No completion: the wait returns at its bound and says so; bad calls are
 * refused; a cancel flag ends it; a pause ends it like a halt. */
static void test_timeout_and_refusals(void)
{
	struct rig r;
	atomic_bool cancel = false;
	uint64_t t0, el;

	REQUIRE(up_and_fill(&r));
	t0 = tl_now_ns();
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, WANT, 50 * 1000 * 1000, NULL), -ETIMEDOUT);
	el = tl_now_ns() - t0;
	CHECK(el >= 50 * 1000 * 1000);
	CHECK(el < LONG_NS / 2);
	CHECK_U64(stats(&r).tx_wait_timeouts, 1);
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, RING, LONG_NS, NULL), -EINVAL);
	atomic_store(&cancel, true);
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, WANT, LONG_NS, &cancel), -ECANCELED);
	/* Room already there: no sleep. */
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, 0, 0, NULL), 0);
	CHECK_OK(sim_fault(r.hw, SIM_FAULT_HANG, false));
	CHECK(tl_wait_until(tx_idle, &r, 5000));
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, RING - 1, 0, NULL), 0);
	CHECK_OK(e1k_adapter_pause(r.ad));
	CHECK_EQ(e1k_adapter_tx_wait(r.ad, 1, LONG_NS, NULL), -ENETDOWN);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* Sends of a TX-only load take no interrupt while no sender waits: the
 * device's IMS leaves TXDW out and the only interrupt is the one received
 * frame's, yet every frame is completed (the senders reclaim) -- with
 * tx_irq_on_demand.  Without it (the default) they interrupt as before. */
static void tx_only_load(bool on_demand, uint64_t *irqs, uint32_t *ims)
{
	struct e1k_config c;
	struct rig r;
	static uint8_t buf[64];
	struct e1k_frame fr[32];
	uint64_t i0;
	unsigned sent = 0;
	bool injected = false;

	e1k_config_defaults(&c);
	c.watchdog_ms = 60000;
	c.tx_ring_size = RING;
	c.tx_irq_on_demand = on_demand;
	REQUIRE(rig_up(&r, SIM_82540EM, SIM_WIRE_NONE, &c) == 0);
	CHECK(tl_wait_until(tx_idle, &r, 5000));
	i0 = stats(&r).interrupts;
	rig_frame(&r, buf, sizeof(buf), 0);
	for (unsigned i = 0; i < 32; i++)
		fr[i] = (struct e1k_frame){ .data = buf, .len = sizeof(buf) };
	while (sent < 16 * RING) {
		int rc = e1k_adapter_send(r.ad, fr, 32);

		REQUIRE(rc >= 0);
		sent += (unsigned)rc;
		if (rc == 0)
			CHECK_EQ(e1k_adapter_tx_wait(r.ad, 32, LONG_NS, NULL), 0);
		/* Halfway, one received frame: an interrupt, and a DPC run that
		 * re-enables interrupts -- TX completions still not among them. */
		if (sent >= 8 * RING && !injected) {
			injected = true;
			CHECK_OK(sim_wire_inject(r.hw, buf, sizeof(buf)));
			CHECK(rig_wait_received(&r, 1, 5000));
		}
	}
	/* Everything but the last ring's worth was reclaimed by the senders. */
	CHECK(stats(&r).tx_completed >= 16 * RING - RING);
	sim_sync(r.hw);
	/* An interrupt's ISR may have masked everything and its DPC not yet
	 * unmasked: read IMS once the DPC did. */
	CHECK(tl_wait_until(irqs_enabled, &r, 5000));
	*irqs = stats(&r).interrupts - i0;
	*ims = hal_rd32(r.hw, E1000_IMS);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_tx_irq_on_demand(void)
{
	uint64_t irqs;
	uint32_t ims;

	tx_only_load(true, &irqs, &ims);
	CHECK(irqs >= 1 && irqs <= 2);   /* the received frame's (and a late second look) */
	CHECK(!(ims & E1000_ICR_TXDW));
	CHECK(ims & E1000_ICR_RXT0);
	/* (IMS is not checked here: a late TX completion interrupt may mask
	 * it again after the wait.) */
	tx_only_load(false, &irqs, &ims);
	CHECK(irqs > 2);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_woken_by_completion),
		TL_CASE(test_poll_finds_room_without_dpc),
		TL_CASE(test_halt_wakes_waiter),
		TL_CASE(test_timeout_and_refusals),
		TL_CASE(test_tx_irq_on_demand),
	};

	e1k_rcu_thread_online();
	return tl_main(argc, argv, cases, TL_N(cases));
}
