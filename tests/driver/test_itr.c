/* SPDX-License-Identifier: MIT */
/*
 * test_itr.c - adaptive interrupt moderation (driver/itr.h): the rule on its
 * own (rates, hysteresis, a quiet spell, a fixed configuration), then on the
 * model: a steady stream moves the device's ITR register to the ceiling, a
 * trickle brings it back to the floor, and a fixed configuration never
 * touches it.
 */
#include <pthread.h>
#include <stdio.h>

#include "itr.h"
#include "rig.h"
#include "testlib.h"

#define FLOOR 50000u
#define CEIL  250000u

/* Samples every gap_ns, each adding per frames, for span_ns; returns the
 * last interval a change asked for (0: none). */
static unsigned feed(struct e1k_itr *m, uint64_t *t, uint64_t *frames, uint64_t gap_ns,
                     unsigned per, uint64_t span_ns)
{
	unsigned last = 0, ns;

	for (uint64_t end = *t + span_ns; *t < end;) {
		*t += gap_ns;
		*frames += per;
		if (e1k_itr_sample(m, *t, *frames, &ns))
			last = ns;
	}
	return last;
}

static void test_rule_up_and_down(void)
{
	struct e1k_itr m;
	uint64_t t = 1000000000ull, n = 0;
	unsigned ns;

	e1k_itr_init(&m, FLOOR, CEIL, 0);
	CHECK_EQ(m.cur_ns, FLOOR);
	/* 10 kpps: 2.5 frames per ceiling interval -> up, once a window closed. */
	CHECK(!e1k_itr_sample(&m, t, n, &ns));                 /* opens the window */
	CHECK_EQ(feed(&m, &t, &n, 100000, 1, E1K_ITR_WINDOW_NS - 100000), 0);
	CHECK_EQ(feed(&m, &t, &n, 100000, 1, 100000), CEIL);  /* the window closes */
	CHECK_EQ(m.cur_ns, CEIL);
	/* Staying there asks for nothing more. */
	CHECK_EQ(feed(&m, &t, &n, 100000, 1, 10 * E1K_ITR_WINDOW_NS), 0);
	/* 2 kpps: half a frame per ceiling interval -> down. */
	CHECK_EQ(feed(&m, &t, &n, 500000, 1, 2 * E1K_ITR_WINDOW_NS), FLOOR);
	CHECK_EQ(m.cur_ns, FLOOR);
}

static void test_rule_hysteresis(void)
{
	struct e1k_itr m;
	uint64_t t = 5000, n = 0;
	unsigned ns;

	/* 6 kpps: 1.5 frames per ceiling interval, between the thresholds. */
	e1k_itr_init(&m, FLOOR, CEIL, 0);
	CHECK(!e1k_itr_sample(&m, t, n, &ns));
	CHECK_EQ(feed(&m, &t, &n, 500000, 3, 20 * E1K_ITR_WINDOW_NS), 0);
	CHECK_EQ(m.cur_ns, FLOOR);
	/* Up with a stream, then the same 6 kpps keeps the ceiling. */
	CHECK_EQ(feed(&m, &t, &n, 10000, 1, 2 * E1K_ITR_WINDOW_NS), CEIL);
	CHECK_EQ(feed(&m, &t, &n, 500000, 3, 20 * E1K_ITR_WINDOW_NS), 0);
	CHECK_EQ(m.cur_ns, CEIL);
}

static void test_rule_quiet_spell(void)
{
	struct e1k_itr m;
	uint64_t t = 0, n = 0;
	unsigned ns = 0;

	e1k_itr_init(&m, FLOOR, CEIL, 0);
	CHECK(!e1k_itr_sample(&m, t, n, &ns));
	CHECK_EQ(feed(&m, &t, &n, 10000, 1, 3 * E1K_ITR_WINDOW_NS), CEIL);
	/* No interrupt for a second, then a burst of 32: the window that
	 * closes spans the silence, a low rate -> the floor at once. */
	t += 1000000000ull;
	n += 32;
	CHECK(e1k_itr_sample(&m, t, n, &ns));
	CHECK_EQ(ns, FLOOR);
}

/* Above the trickle the interval is the one in which E1K_ITR_BATCH frames
 * arrive, within the bounds; a rate that wobbles does not rewrite it. */
static void test_rule_batch(void)
{
	const unsigned ceil = 4000000u;   /* 4 ms */
	struct e1k_itr m;
	uint64_t t = 0, n = 0;
	unsigned ns = 0;

	e1k_itr_init(&m, FLOOR, ceil, 0);
	CHECK(!e1k_itr_sample(&m, t, n, &ns));
	/* 160 kpps: a batch every 400 us. */
	CHECK_EQ(feed(&m, &t, &n, 50000, 8, 4 * E1K_ITR_WINDOW_NS), 400000u);
	/* 20 kpps: 3.2 ms. */
	CHECK_EQ(feed(&m, &t, &n, 50000, 1, 4 * E1K_ITR_WINDOW_NS), 3200000u);
	/* 21 kpps (5 % more): within a quarter, kept. */
	CHECK_EQ(feed(&m, &t, &n, 47619, 1, 4 * E1K_ITR_WINDOW_NS), 0);
	CHECK_EQ(m.cur_ns, 3200000u);
	/* 1 kpps: 4 frames per ceiling interval, far fewer than a batch -> T. */
	CHECK_EQ(feed(&m, &t, &n, 1000000, 1, 2 * E1K_ITR_WINDOW_NS), ceil);
	/* 4 Mpps: 16 us, below the floor -> the floor. */
	CHECK_EQ(feed(&m, &t, &n, 10000, 40, 4 * E1K_ITR_WINDOW_NS), FLOOR);
	/* ... and 20 kpps from the floor: 3.2 ms again. */
	CHECK_EQ(feed(&m, &t, &n, 50000, 1, 4 * E1K_ITR_WINDOW_NS), 3200000u);
	/* 200 fps: under one frame per ceiling interval -> the floor. */
	CHECK_EQ(feed(&m, &t, &n, 5000000, 1, 4 * E1K_ITR_WINDOW_NS), FLOOR);
	/* A 64-slot RX ring: batches of 16, 20 kpps -> 800 us. */
	e1k_itr_init(&m, FLOOR, ceil, 64);
	CHECK(!e1k_itr_sample(&m, t, n, &ns));
	CHECK_EQ(feed(&m, &t, &n, 50000, 1, 4 * E1K_ITR_WINDOW_NS), 800000u);
	/* A large ring does not raise the batch. */
	e1k_itr_init(&m, FLOOR, ceil, 4096);
	CHECK_EQ(m.batch, E1K_ITR_BATCH);
}

static void test_rule_odd_inputs(void)
{
	struct e1k_itr m;
	uint64_t t = 1000000, n = 100;
	unsigned ns;

	/* A counter that went backwards (or a clock) restarts the window. */
	e1k_itr_init(&m, FLOOR, CEIL, 0);
	CHECK(!e1k_itr_sample(&m, t, n, &ns));
	CHECK(!e1k_itr_sample(&m, t + 3 * E1K_ITR_WINDOW_NS, 0, &ns));
	CHECK(!e1k_itr_sample(&m, t, 1000000, &ns));
	CHECK_EQ(m.cur_ns, FLOOR);
	/* Fixed: no ceiling, or a ceiling not above the floor. */
	e1k_itr_init(&m, FLOOR, 0, 0);
	CHECK_EQ(feed(&m, &t, &n, 1000, 10, 10 * E1K_ITR_WINDOW_NS), 0);
	e1k_itr_init(&m, FLOOR, FLOOR, 0);
	CHECK_EQ(feed(&m, &t, &n, 1000, 10, 10 * E1K_ITR_WINDOW_NS), 0);
	CHECK_EQ(m.cur_ns, FLOOR);
	/* A floor of 0 (no throttling) moves too. */
	e1k_itr_init(&m, 0, CEIL, 0);
	CHECK(!e1k_itr_sample(&m, t, n, &ns));
	CHECK_EQ(feed(&m, &t, &n, 100000, 1, 2 * E1K_ITR_WINDOW_NS), CEIL);
}

/* ---- on the model ---- */
struct pump {
	struct rig *r;
	bool up;              /* wait for an interval above the floor, else at it */
	unsigned burst;       /* frames sent per poll */
	uint64_t *seq;        /* the next frame's sequence number (the sender's own) */
};

/* The interval the device throttles by: ITR, or in MSI-X mode the EITR of
 * every vector e1kd uses (all the same, else 1). */
static unsigned itr_reg_ns(struct rig *r)
{
	uint32_t reg = hal_rd32(r->hw, E1000_ITR);

	if (e1k_adapter_irq_mode(r->ad) == E1K_IRQ_MSIX) {
		reg = hal_rd32(r->hw, E1000_EITR(0));
		for (unsigned v = 1; v < 3; v++)
			if (hal_rd32(r->hw, E1000_EITR(v)) != reg)
				return 1;
	}
	return (reg & E1000_ITR_INTERVAL_MASK) * E1000_ITR_UNIT_NS;
}

static uint64_t itr_stat(struct rig *r, uint64_t *changes)
{
	struct e1k_stats st;

	e1k_adapter_get_stats(r->ad, &st);
	if (changes)
		*changes = st.itr_changes;
	return st.itr_ns;
}

/* One poll: send a burst, then is the interval the one wanted? */
static bool pump_until(void *ctx)
{
	struct pump *p = ctx;

	/* The earlier bursts first: the window below counts this call's
	 * frames only, and a ring overflowing under a slow DPC drops frames
	 * that rig_wait_received would then wait for in vain. */
	if (!rig_wait_received(p->r, *p->seq, 2000))
		return false;
	if (rig_send_paced(p->r, *p->seq, p->burst, p->burst, 2000) != (long)p->burst)
		return false;
	*p->seq += p->burst;
	return p->up ? itr_stat(p->r, NULL) > FLOOR : itr_stat(p->r, NULL) == FLOOR;
}

static void model_adapts(enum sim_model model, enum e1k_irq_mode irq)
{
	struct e1k_config cfg;
	struct rig r;
	uint64_t changes, seq = 0, lost, corrupt;

	e1k_config_defaults(&cfg);
	cfg.irq_mode = irq;
	cfg.itr_ns = FLOOR;
	cfg.itr_max_ns = CEIL;
	REQUIRE(rig_up(&r, model, SIM_WIRE_LOOPBACK, &cfg) == 0);
	CHECK_EQ(itr_stat(&r, NULL), FLOOR);
	CHECK_EQ(itr_reg_ns(&r), FLOOR / E1000_ITR_UNIT_NS * E1000_ITR_UNIT_NS);

	/* A stream (the loopback wire doubles it: sent and received). */
	struct pump up = { .r = &r, .up = true, .burst = 32, .seq = &seq };
	unsigned now_ns;

	CHECK(tl_wait_until(pump_until, &up, 10000));
	now_ns = (unsigned)itr_stat(&r, NULL);
	CHECK(now_ns <= CEIL);
	CHECK_EQ(itr_reg_ns(&r), now_ns / E1000_ITR_UNIT_NS * E1000_ITR_UNIT_NS);
	itr_stat(&r, &changes);
	CHECK(changes >= 1);

	/* A trickle: one frame per poll, the polls backing off to a
	 * millisecond -- well under one frame per ceiling interval. */
	struct pump down = { .r = &r, .up = false, .burst = 1, .seq = &seq };

	CHECK(tl_wait_until(pump_until, &down, 10000));
	CHECK_EQ(itr_reg_ns(&r), FLOOR / E1000_ITR_UNIT_NS * E1000_ITR_UNIT_NS);
	CHECK(rig_wait_received(&r, seq, 5000));
	pthread_mutex_lock(&r.b.lock);
	lost = r.b.lost;
	corrupt = r.b.corrupt;
	pthread_mutex_unlock(&r.b.lock);
	CHECK_EQ(lost, 0);
	CHECK_EQ(corrupt, 0);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_model_82540em_intx(void) { model_adapts(SIM_82540EM, E1K_IRQ_INTX); }
static void test_model_82574l_msix(void) { model_adapts(SIM_82574L, E1K_IRQ_MSIX); }

static void test_model_fixed(void)
{
	struct e1k_config cfg;
	struct rig r;
	uint64_t changes = 0;

	e1k_config_defaults(&cfg);
	cfg.itr_ns = FLOOR;
	cfg.itr_max_ns = 0;
	REQUIRE(rig_up(&r, SIM_82540EM, SIM_WIRE_LOOPBACK, &cfg) == 0);
	/* One call: its window bounds what is in flight.  (64 calls of 32 with
	 * a window of 32 each did not: nothing waited between them, and under
	 * ASan on a loaded host the RX ring overflowed -- frames missed by the
	 * device, the wait below timing out on them.) */
	CHECK_EQ(rig_send_paced(&r, 0, 64 * 32, 32, 20000), 64 * 32);
	if (!rig_wait_received(&r, 64 * 32, 5000)) {
		struct e1k_stats st;
		struct sim_stats ss;

		e1k_adapter_get_stats(r.ad, &st);
		sim_get_stats(r.hw, &ss);
		tl_fail(__FILE__, __LINE__, "received %llu of %u (lost %llu); sim tx %llu rx %llu missed %llu "
		        "irq signals %llu; drv interrupts %llu not_ours %llu dpc %llu tx %llu rx %llu; "
		        "ICR %08x IMS %08x RDH %u RDT %u TDH %u TDT %u",
		        (unsigned long long)r.b.received, 64 * 32, (unsigned long long)r.b.lost,
		        (unsigned long long)ss.tx_frames, (unsigned long long)ss.rx_frames,
		        (unsigned long long)ss.rx_missed, (unsigned long long)ss.irq_signals,
		        (unsigned long long)st.interrupts, (unsigned long long)st.isr_not_ours,
		        (unsigned long long)st.dpc_runs, (unsigned long long)st.tx_packets,
		        (unsigned long long)st.rx_packets, sim_peek_reg(r.hw, E1000_ICR),
		        sim_peek_reg(r.hw, E1000_IMS), sim_peek_reg(r.hw, E1000_RDH),
		        sim_peek_reg(r.hw, E1000_RDT), sim_peek_reg(r.hw, E1000_TDH),
		        sim_peek_reg(r.hw, E1000_TDT));
	}
	CHECK_EQ(itr_stat(&r, &changes), FLOOR);
	CHECK_EQ(changes, 0);
	CHECK_EQ(itr_reg_ns(&r), FLOOR / E1000_ITR_UNIT_NS * E1000_ITR_UNIT_NS);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_rule_up_and_down),
		TL_CASE(test_rule_hysteresis),
		TL_CASE(test_rule_quiet_spell),
		TL_CASE(test_rule_batch),
		TL_CASE(test_rule_odd_inputs),
		TL_CASE(test_model_82540em_intx),
		TL_CASE(test_model_82574l_msix),
		TL_CASE(test_model_fixed),
	};

	return tl_run(cases, TL_N(cases));
}
