/* SPDX-License-Identifier: MIT */
/*
 * robust_driver: the adapter on the software model when the device lies.
 *
 *   hostile_*         the model's HOSTILE fault (hal/sim: random write-back
 *                     lengths, status and error bits, TX status bytes,
 *                     descriptor head jumps, random interrupt causes) under a
 *                     two-way flood (driver sends in loopback, frames of every
 *                     size injected on the wire) while control requests keep
 *                     coming.  Asserts: the adapter stays Running (it never
 *                     halts itself; the most it may do is ask its owner for a
 *                     `failed` halt when TX stops completing or receive
 *                     stalls on skipped descriptors), every request
 *                     completes within a bound, every frame indicated to the
 *                     binding has a length in 1..buffer size, the drops are
 *                     counted (rx_bad_*), the model's DMA checker counts zero
 *                     accesses outside live mappings, the adapter works again
 *                     after the fault is off (pause, restart, clean traffic),
 *                     and the halt ends Halted with an empty ledger and zero
 *                     verifier counters.
 *   halt_twice        a halt of an already halted adapter returns the first
 *                     report (another reason is ignored), touches nothing, and
 *                     every request on a halted adapter is refused.
 *   halt_in_hostile   halt with every reason while the device is hostile
 *                     and the flood is running.
 *   rx_skip_detected  after the device skipped receive descriptors (head moved
 *                     on, no write-back), receive cannot resume without a
 *                     pause/restart: the watchdog must notice (rx_stalls 1)
 *                     and ask its owner for a `failed` halt within 10 s
 *                     (docs/robustness.md, finding F1; before the fix receive
 *                     stopped for good, silently).
 *
 * No sleeps: every wait is a condition with a deadline; run time is bounded
 * by tl_scaled() counts and a wall-clock cap.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "e1k_rcu.h"
#include "halt.h"
#include "sim.h"
#include "robust_lib.h"
#include "testlib.h"

/* A stage may only time out where a lying device can make it: sends it
 * never completes (drain-requests). */
#define DRAIN_MAY_TIME_OUT (1u << E1K_HS_DRAIN_REQUESTS)

/* One control round; fails the test when it takes longer than 2 s. */
static void control_round(struct rb_dev *t, unsigned i, uint64_t *worst)
{
	uint8_t a[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, (uint8_t)(i & 0x7f) };
	struct e1k_stats st;
	uint64_t t0 = tl_now_ns(), dt;

	CHECK_OK(e1k_adapter_filter_add(t->ad, a));
	CHECK_OK(e1k_adapter_filter_del(t->ad, a));
	CHECK_OK(e1k_adapter_set_promisc(t->ad, i & 1));
	CHECK_OK(e1k_adapter_get_stats(t->ad, &st));
	dt = tl_now_ns() - t0;
	if (dt > *worst)
		*worst = dt;
}

struct pred_ctx {
	struct rb_dev *t;
	unsigned long want;
};

static bool good_frames_at_least(void *ctx)
{
	struct pred_ctx *p = ctx;

	return atomic_load(&p->t->b.good) >= p->want;
}

/*
 * Hostile cycles under the flood.  A device that skips a descriptor (moves its
 * head past it without a write-back) stalls an in-order receive ring for
 * good, and one that writes a TX status without DD stalls reclaim until the
 * watchdog calls it a hang: so each cycle turns the fault on until the lies
 * reached the driver (garbage dropped, or hostile interrupts taken), turns it
 * off, and recovers with pause + restart (which rebuild the rings), checking
 * on the way that the adapter stayed Running and answered every request.
 */
static void hostile_run(enum sim_model m, enum e1k_irq_mode irq, unsigned workers)
{
	struct rb_dev t;
	struct rb_flood f;
	struct e1k_stats st0, st;
	struct e1k_halt_report rep;
	uint64_t worst = 0, t_end;
	/* At least 16: a cycle whose first lying descriptor lacks DD stalls
	 * the ring without counting anything (about one in two), and six such
	 * cycles in a row failed `bad > 0` under ASan twice in four runs. */
	unsigned long rounds = 0, cycles = 0, want_cycles = tl_scaled(24, 16);
	unsigned long bad = 0, good_before;
	int rc;

	REQUIRE(rb_dev_up(&t, &(struct rb_opts){ .model = m, .irq = irq, .dpc_workers = workers,
	                                          .watchdog_ms = 50 }) == 0);
	CHECK_OK(e1k_adapter_get_stats(t.ad, &st0));
	rb_flood_start(&f, &t, true);
	t_end = tl_now_ns() + 60ull * 1000000000ull;
	while (cycles < want_cycles && tl_now_ns() < t_end) {
		struct e1k_stats c0;
		uint64_t c_end = tl_now_ns() + 1000000000ull;

		CHECK_OK(e1k_adapter_get_stats(t.ad, &c0));
		CHECK_OK(sim_fault(t.sim, SIM_FAULT_HOSTILE, true));
		do {
			control_round(&t, (unsigned)rounds++, &worst);
			CHECK_EQ(e1k_adapter_state(t.ad), E1K_STATE_RUNNING);
			CHECK_OK(e1k_adapter_get_stats(t.ad, &st));
		} while (st.rx_bad_length + st.rx_bad_status + st.rx_bad_frag ==
		         c0.rx_bad_length + c0.rx_bad_status + c0.rx_bad_frag &&
		         st.interrupts < c0.interrupts + 200 && tl_now_ns() < c_end);
		CHECK_OK(sim_fault(t.sim, SIM_FAULT_HOSTILE, false));
		CHECK_EQ(e1k_adapter_state(t.ad), E1K_STATE_RUNNING);
		CHECK_OK(e1k_adapter_pause(t.ad));
		CHECK_OK(e1k_adapter_restart(t.ad));
		/* Recovered: good frames are indicated again before the next lie. */
		{
			struct pred_ctx p = { .t = &t, .want = atomic_load(&t.b.good) + 8 };

			if (!tl_wait_until(good_frames_at_least, &p, 10000))
				tl_fail(__FILE__, __LINE__, "cycle %lu: no traffic after restart", cycles);
		}
		cycles++;
	}
	rb_flood_stop(&f);
	CHECK_OK(e1k_adapter_get_stats(t.ad, &st));
	bad = st.rx_bad_length + st.rx_bad_status + st.rx_bad_frag;

	/* Still Running; garbage dropped and counted; nothing unsafe handed up. */
	CHECK_EQ(e1k_adapter_state(t.ad), E1K_STATE_RUNNING);
	CHECK_EQ(cycles, want_cycles);
	CHECK(bad > 0);
	CHECK(st.interrupts > st0.interrupts);
	CHECK(worst < 2000000000ull);
	CHECK_EQ(atomic_load(&t.b.bad_len), 0);
	CHECK_EQ(atomic_load(&t.b.null_data), 0);
	CHECK_EQ(rb_dev_dma_faults(&t), 0);
	{
		int hr = atomic_load(&t.b.halt_reason);

		/* The only request a lying-but-present device may cause: `failed`
		 * (TX hang, or RX stall when it skipped receive descriptors). */
		CHECK(hr < 0 || hr == E1K_HALT_FAILED);
	}
	printf("  %s: %lu hostile cycles, %llu interrupts, %lu control rounds (worst %.1f ms), "
	       "sent %lu, injected %lu, indicated %lu; dropped: length %llu, status %llu, "
	       "frag %llu; tx_hangs %llu, rx_stalls %llu, tx_aborted %llu\n",
	       m == SIM_82540EM ? "82540em" : "82574l", cycles,
	       (unsigned long long)(st.interrupts - st0.interrupts), rounds, (double)worst / 1e6,
	       atomic_load(&f.sent), atomic_load(&f.injected), atomic_load(&t.b.frames),
	       (unsigned long long)st.rx_bad_length, (unsigned long long)st.rx_bad_status,
	       (unsigned long long)st.rx_bad_frag, (unsigned long long)st.tx_hangs,
	       (unsigned long long)st.rx_stalls,
	       (unsigned long long)st.tx_aborted);

	/* The fault is off: clean traffic flows again. */
	good_before = atomic_load(&t.b.good);
	{
		uint8_t buf[1000];
		struct e1k_frame fr = { .data = buf, .len = sizeof(buf) };
		struct pred_ctx p = { .t = &t, .want = good_before + 20 };

		for (uint32_t i = 0; i < 20; i++) {
			uint64_t dl = tl_now_ns() + 5000000000ull;

			rb_frame(&t, buf, sizeof(buf), 1000 + i);
			while ((rc = e1k_adapter_send(t.ad, &fr, 1)) == 0 && tl_now_ns() < dl)
				sched_yield();
			CHECK_EQ(rc, 1);
		}
		if (!tl_wait_until(good_frames_at_least, &p, 10000))
			tl_fail(__FILE__, __LINE__, "after the fault: %lu of 20 frames came back",
			        atomic_load(&t.b.good) - good_before);
	}

	rc = e1k_adapter_halt(t.ad, E1K_HALT_STOPPED, &rep);
	rb_check_report(&rep, rc, &t, DRAIN_MAY_TIME_OUT, __LINE__);
	e1k_adapter_destroy(t.ad);
}

static void test_hostile_82540em_intx(void)
{
	hostile_run(SIM_82540EM, E1K_IRQ_INTX, 2);
}

static void test_hostile_82574l_msix(void)
{
	hostile_run(SIM_82574L, E1K_IRQ_MSIX, 2);
}

static void test_hostile_82574l_msi_4workers(void)
{
	hostile_run(SIM_82574L, E1K_IRQ_MSI, 4);
}

/* Halt with each reason while the device is hostile and the flood runs.  The
 * device sits behind the shim (robust_lib.h): the wire keeps injecting until
 * the halt's release-device stage closes the model. */
static void test_halt_in_hostile(void)
{
	for (int reason = 0; reason < E1K_HALT_NREASONS; reason++) {
		struct rb_dev t;
		struct rb_flood f;
		struct e1k_halt_report rep;
		struct e1k_stats st;
		int rc;

		REQUIRE(rb_dev_up(&t, &(struct rb_opts){ .model = reason & 1 ? SIM_82574L : SIM_82540EM,
		                                          .watchdog_ms = 50, .shim = true }) == 0);
		rb_flood_start(&f, &t, true);
		CHECK_OK(sim_fault(t.sim, SIM_FAULT_HOSTILE, true));
		/* Let the lies reach the driver: garbage dropped or hostile
		 * interrupts taken (bounded). */
		{
			struct e1k_stats s0;

			CHECK_OK(e1k_adapter_get_stats(t.ad, &s0));
			for (uint64_t dl = tl_now_ns() + 2000000000ull; tl_now_ns() < dl;) {
				CHECK_OK(e1k_adapter_get_stats(t.ad, &st));
				if (st.rx_bad_length + st.rx_bad_status + st.rx_bad_frag > 0 ||
				    st.interrupts >= s0.interrupts + 100)
					break;
				sched_yield();
			}
		}
		rc = e1k_adapter_halt(t.ad, (enum e1k_halt_reason)reason, &rep);
		rb_flood_stop(&f);
		printf("  %s: rc %d, %.1f ms\n", e1k_halt_reason_name((enum e1k_halt_reason)reason), rc,
		       (double)rep.total_ns / 1e6);
		rb_check_report(&rep, rc, &t, DRAIN_MAY_TIME_OUT, __LINE__);
		e1k_adapter_destroy(t.ad);
	}
}

static bool rx_back_or_halt_asked(void *ctx)
{
	struct pred_ctx *p = ctx;

	return atomic_load(&p->t->b.good) >= p->want || atomic_load(&p->t->b.halt_reason) >= 0;
}

static void test_rx_skip_detected(void)
{
	struct rb_dev t;
	struct e1k_stats st;
	struct sim_stats ss;
	uint8_t buf[200];
	struct pred_ctx p = { .t = &t };
	bool ok;

	REQUIRE(rb_dev_up(&t, &(struct rb_opts){ .model = SIM_82540EM, .irq = E1K_IRQ_INTX }) == 0);
	/* Lies on the receive side only: nothing is sent. */
	CHECK_OK(sim_fault(t.sim, SIM_FAULT_HOSTILE, true));
	for (uint32_t k = 0; k < 400; k++) {
		rb_frame(&t, buf, sizeof(buf), k);
		(void)sim_wire_inject(t.sim, buf, sizeof(buf));
		if (k % 50 == 49)
			sim_sync(t.sim);
	}
	sim_sync(t.sim);
	CHECK_OK(sim_fault(t.sim, SIM_FAULT_HOSTILE, false));
	/* An honest device from now on: clean frames, paced by sim_sync. */
	p.want = atomic_load(&t.b.good) + 100;
	for (uint32_t k = 0; k < 2000 && !rx_back_or_halt_asked(&p); k++) {
		rb_frame(&t, buf, sizeof(buf), k);
		(void)sim_wire_inject(t.sim, buf, sizeof(buf));
		if (k % 50 == 49)
			sim_sync(t.sim);
	}
	ok = tl_wait_until(rx_back_or_halt_asked, &p, 10000);
	CHECK_OK(e1k_adapter_get_stats(t.ad, &st));
	sim_get_stats(t.sim, &ss);
	if (!ok)
		tl_fail(__FILE__, __LINE__, "receive stalled and nothing noticed: %lu good frames of "
		        "2000 after the lies, device missed %llu (RNBC %llu), state %s, no halt asked",
		        atomic_load(&t.b.good) - (p.want - 100), (unsigned long long)ss.rx_missed,
		        (unsigned long long)st.dev_rnbc, e1k_state_name(e1k_adapter_state(t.ad)));
	/* Receive cannot come back by itself (the device's head only moves up to
	 * the tail the stalled driver never advances): the watchdog's verdict. */
	CHECK_EQ(atomic_load(&t.b.halt_reason), E1K_HALT_FAILED);
	CHECK_EQ(st.rx_stalls, 1);
	CHECK_EQ(e1k_adapter_state(t.ad), E1K_STATE_RUNNING);
	printf("  stall reported: rx_stalls %llu, device missed %llu\n",
	       (unsigned long long)st.rx_stalls, (unsigned long long)ss.rx_missed);
	(void)e1k_adapter_halt(t.ad, E1K_HALT_STOPPED, NULL);
	e1k_adapter_destroy(t.ad);
}

/* Halt of an already halted adapter: the first report again, nothing run,
 * nothing touched; every request refused. */
static void test_halt_twice(void)
{
	struct rb_dev t;
	struct e1k_halt_report a, b;
	struct e1k_stats st;
	uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 }, buf[60];
	struct e1k_frame fr = { .data = buf, .len = sizeof(buf) };
	int rc;

	REQUIRE(rb_dev_up(&t, &(struct rb_opts){ .model = SIM_82574L }) == 0);
	rc = e1k_adapter_halt(t.ad, E1K_HALT_STOPPED, &a);
	CHECK_EQ(rc, 0);
	rb_check_report(&a, rc, &t, 0, __LINE__);
	/* The device handle is closed now: a second halt must not reach it (ASan
	 * would see a use after free) and must report the first halt. */
	memset(&b, 0x5a, sizeof(b));
	CHECK_EQ(e1k_adapter_halt(t.ad, E1K_HALT_SURPRISE_REMOVED, &b), 0);
	CHECK_EQ(b.reason, E1K_HALT_STOPPED);
	CHECK_EQ(b.total_ns, a.total_ns);
	CHECK_EQ(b.final_state, E1K_STATE_HALTED);
	CHECK_EQ(b.from_state, a.from_state);
	for (int i = 0; i < E1K_HS_COUNT; i++) {
		CHECK_EQ(b.stages[i].start_ns, a.stages[i].start_ns);
		CHECK_EQ(b.stages[i].result, a.stages[i].result);
	}
	CHECK_EQ(e1k_adapter_halt(t.ad, E1K_HALT_FAILED, NULL), 0);
	/* An invalid reason is still an invalid reason. */
	CHECK_EQ(e1k_adapter_halt(t.ad, (enum e1k_halt_reason)99, &b), -EINVAL);
	/* Every request on a halted adapter is refused, not sent to a closed device. */
	CHECK_EQ(e1k_adapter_state(t.ad), E1K_STATE_HALTED);
	CHECK(e1k_adapter_restart(t.ad) < 0);
	CHECK(e1k_adapter_pause(t.ad) < 0);
	CHECK(e1k_adapter_shutdown(t.ad) < 0);
	CHECK(e1k_adapter_filter_add(t.ad, mac) < 0);
	CHECK(e1k_adapter_mcast_add(t.ad, (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 1 }) < 0);
	CHECK(e1k_adapter_set_promisc(t.ad, true) < 0);
	CHECK(e1k_adapter_set_mtu(t.ad, 1000) < 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(e1k_adapter_send(t.ad, &fr, 1), -ENETDOWN);
	CHECK_OK(e1k_adapter_get_stats(t.ad, &st));
	CHECK(e1k_adapter_bind(t.ad, &(const struct e1k_binding_ops){ .name = "late" }, &t.b) < 0);
	e1k_adapter_destroy(t.ad);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_hostile_82540em_intx),
		TL_CASE(test_hostile_82574l_msix),
		TL_CASE(test_hostile_82574l_msi_4workers),
		TL_CASE(test_halt_in_hostile),
		TL_CASE(test_halt_twice),
		TL_CASE(test_rx_skip_detected),
	};

	e1k_rcu_thread_online();
	return tl_main(argc, argv, cases, TL_N(cases));
}
