/* SPDX-License-Identifier: MIT */
/*
 * test_selftest.c - the self-test (driver/selftest.c) and the dumps
 * (driver/diag.c) on the software model: every test passes on a healthy
 * model in each interrupt mode and leaves the adapter as it found it (and
 * passing traffic); each fault the model injects for it fails exactly the
 * matching test, with the culprit named; the loopback test runs PHY loopback
 * on both parts and MAC loopback on the 82574L, and ignores frames from the
 * wire meanwhile; registers QEMU does not read back are named, not failed,
 * while a stuck bit elsewhere still fails; the register dump holds what the
 * model holds and never clears ICR; the EEPROM dump sums to 0xBABA.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "rig.h"
#include "selftest.h"
#include "testlib.h"

static void up(struct rig *r, enum sim_model m, enum e1k_irq_mode irq, enum sim_wire w)
{
	struct e1k_config cfg;

	e1k_config_defaults(&cfg);
	cfg.irq_mode = irq;
	REQUIRE(rig_up(r, m, w, &cfg) == 0);
}

static void expect(const struct e1k_selftest_report *rep, enum e1k_selftest_id id,
                   enum e1k_selftest_result want, const char *needle)
{
	if (rep->t[id].result != want)
		tl_fail(__FILE__, __LINE__, "%s: %s, expected %s (%s)", e1k_selftest_name(id),
		        e1k_selftest_result_name(rep->t[id].result), e1k_selftest_result_name(want),
		        rep->t[id].detail);
	if (needle && !strstr(rep->t[id].detail, needle))
		tl_fail(__FILE__, __LINE__, "%s: detail '%s' does not name '%s'",
		        e1k_selftest_name(id), rep->t[id].detail, needle);
}

/* Every test passed (each failure named with its detail). */
static void all_pass(const struct e1k_selftest_report *rep)
{
	for (int i = 0; i < E1K_SELFTEST_COUNT; i++)
		expect(rep, (enum e1k_selftest_id)i, E1K_SELFTEST_PASS, NULL);
	CHECK_EQ(rep->failed, 0);
}

/* Traffic still flows after the test (the adapter was restored). */
static void traffic_ok(struct rig *r)
{
	uint64_t before = r->b.received;

	CHECK(rig_send_paced(r, r->b.next_seq, 64, 64, 5000) == 64);
	CHECK(rig_wait_received(r, before + 64, 5000));
}

static void offline_passes(enum sim_model m, enum e1k_irq_mode irq)
{
	struct e1k_selftest_report rep;
	struct rig r;

	up(&r, m, irq, SIM_WIRE_LOOPBACK);
	traffic_ok(&r);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	for (int i = 0; i < E1K_SELFTEST_COUNT; i++)
		expect(&rep, (enum e1k_selftest_id)i, E1K_SELFTEST_PASS, NULL);
	CHECK_EQ(rep.failed, 0);
	CHECK_EQ(rep.state_after, E1K_STATE_RUNNING);
	CHECK_EQ(e1k_adapter_state(r.ad), E1K_STATE_RUNNING);
	/* PHY loopback on both parts, MAC loopback on the 82574L only. */
	expect(&rep, E1K_SELFTEST_LOOPBACK, E1K_SELFTEST_PASS, "8 frames of 60-1514 bytes through "
	       "PHY loopback");
	if (m == SIM_82574L)
		expect(&rep, E1K_SELFTEST_LOOPBACK, E1K_SELFTEST_PASS, "and 8 through MAC loopback");
	else
		CHECK(!strstr(rep.t[E1K_SELFTEST_LOOPBACK].detail, "MAC"));
	expect(&rep, E1K_SELFTEST_REGISTERS, E1K_SELFTEST_PASS, "patterns each");
	CHECK(!strstr(rep.t[E1K_SELFTEST_REGISTERS].detail, "QEMU"));
	/* The PHY is out of loopback again. */
	CHECK_EQ(sim_peek_phy(r.hw, E1000_PHY_CTRL), E1000_PHY_CTRL_DEFAULT);
	traffic_ok(&r);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_offline_82540em_intx(void) { offline_passes(SIM_82540EM, E1K_IRQ_INTX); }
static void test_offline_82574l_msix(void) { offline_passes(SIM_82574L, E1K_IRQ_MSIX); }
static void test_offline_82574l_msi(void) { offline_passes(SIM_82574L, E1K_IRQ_MSI); }

static void test_online_keeps_running(void)
{
	struct e1k_selftest_report rep;
	struct rig r;

	up(&r, SIM_82540EM, E1K_IRQ_AUTO, SIM_WIRE_LOOPBACK);
	CHECK_EQ(e1k_adapter_selftest(r.ad, false, &rep), 0);
	expect(&rep, E1K_SELFTEST_REGISTERS, E1K_SELFTEST_PASS, NULL);
	expect(&rep, E1K_SELFTEST_EEPROM, E1K_SELFTEST_PASS, "0xbaba");
	expect(&rep, E1K_SELFTEST_INTERRUPT, E1K_SELFTEST_SKIPPED, "offline only");
	expect(&rep, E1K_SELFTEST_LOOPBACK, E1K_SELFTEST_SKIPPED, "offline only");
	CHECK_EQ(rep.state_after, E1K_STATE_RUNNING);
	traffic_ok(&r);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_paused_stays_paused(void)
{
	struct e1k_selftest_report rep;
	struct rig r;

	up(&r, SIM_82574L, E1K_IRQ_MSIX, SIM_WIRE_LOOPBACK);
	CHECK_EQ(e1k_adapter_pause(r.ad), 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	CHECK_EQ(rep.failed, 0);
	CHECK_EQ(rep.state_after, E1K_STATE_PAUSED);
	CHECK_EQ(e1k_adapter_restart(r.ad), 0);
	traffic_ok(&r);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* Each fault fails its test and only that one, naming the culprit. */
static void fault_fails(enum sim_model m, enum e1k_irq_mode irq, enum sim_fault f,
                        enum e1k_selftest_id id, const char *needle, bool online_too)
{
	struct e1k_selftest_report rep;
	struct rig r;

	up(&r, m, irq, SIM_WIRE_LOOPBACK);
	REQUIRE(sim_fault(r.hw, f, true) == 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	for (int i = 0; i < E1K_SELFTEST_COUNT; i++)
		expect(&rep, (enum e1k_selftest_id)i,
		       i == (int)id ? E1K_SELFTEST_FAIL : E1K_SELFTEST_PASS, i == (int)id ? needle : NULL);
	CHECK_EQ(rep.failed, 1);
	CHECK_EQ(rep.state_after, E1K_STATE_RUNNING);
	if (online_too) {
		CHECK_EQ(e1k_adapter_selftest(r.ad, false, &rep), 0);
		expect(&rep, id, E1K_SELFTEST_FAIL, needle);
	}
	/* Cleared: everything passes again. */
	REQUIRE(sim_fault(r.hw, f, false) == 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	CHECK_EQ(rep.failed, 0);
	traffic_ok(&r);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_fault_stuck_bit(void)
{
	fault_fails(SIM_82540EM, E1K_IRQ_INTX, SIM_FAULT_STUCK_BIT, E1K_SELFTEST_REGISTERS,
	            "FCTTV", true);
}

static void test_fault_bad_eeprom(void)
{
	fault_fails(SIM_82574L, E1K_IRQ_MSIX, SIM_FAULT_BAD_EEPROM, E1K_SELFTEST_EEPROM,
	            "not 0xbaba", true);
}

static void test_fault_lost_irq_intx(void)
{
	fault_fails(SIM_82540EM, E1K_IRQ_INTX, SIM_FAULT_LOST_IRQ, E1K_SELFTEST_INTERRUPT,
	            "did not reach the ISR", false);
}

static void test_fault_lost_irq_msix(void)
{
	fault_fails(SIM_82574L, E1K_IRQ_MSIX, SIM_FAULT_LOST_IRQ, E1K_SELFTEST_INTERRUPT,
	            "TXDW set through ICS", false);
}

static void test_fault_corrupt_loopback(void)
{
	fault_fails(SIM_82574L, E1K_IRQ_MSI, SIM_FAULT_CORRUPT_LOOPBACK, E1K_SELFTEST_LOOPBACK,
	            "frame 0 (60 bytes): byte 59", false);
}

/* Registers as QEMU reads them (sim qemu_unread_regs): the ones it does
 * not read back are named and do not fail the test; a stuck bit in one it
 * does read back (FCTTV on the 82574L) still fails it. */
static void qemu_regs(enum sim_model m, enum e1k_irq_mode irq, const char *named,
                      const char *named_online)
{
	struct sim_config sc = { .model = m, .wire = SIM_WIRE_LOOPBACK,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX, .qemu_unread_regs = true };
	struct e1k_selftest_report rep;
	struct e1k_config cfg;
	struct rig r;

	e1k_config_defaults(&cfg);
	cfg.irq_mode = irq;
	REQUIRE(rig_up_sim(&r, &sc, &cfg) == 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	all_pass(&rep);
	expect(&rep, E1K_SELFTEST_REGISTERS, E1K_SELFTEST_PASS, named);
	CHECK_EQ(e1k_adapter_selftest(r.ad, false, &rep), 0);
	CHECK_EQ(rep.failed, 0);
	if (named_online)
		expect(&rep, E1K_SELFTEST_REGISTERS, E1K_SELFTEST_PASS, named_online);
	else
		CHECK(!strstr(rep.t[E1K_SELFTEST_REGISTERS].detail, "QEMU"));
	if (m == SIM_82574L) {
		REQUIRE(sim_fault(r.hw, SIM_FAULT_STUCK_BIT, true) == 0);
		CHECK_EQ(e1k_adapter_selftest(r.ad, false, &rep), 0);
		expect(&rep, E1K_SELFTEST_REGISTERS, E1K_SELFTEST_FAIL, "FCTTV");
		REQUIRE(sim_fault(r.hw, SIM_FAULT_STUCK_BIT, false) == 0);
	}
	traffic_ok(&r);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_qemu_regs_82540em(void)
{
	qemu_regs(SIM_82540EM, E1K_IRQ_INTX, "as QEMU emulates them: FCAL FCAH FCT FCTTV TIPG TIDV",
	          "as QEMU emulates them: FCAL FCAH FCT FCTTV");
}

static void test_qemu_regs_82574l(void)
{
	qemu_regs(SIM_82574L, E1K_IRQ_MSIX, "1 read 0 whatever was written, as QEMU emulates "
	          "them: TIDV", NULL);
}

/* The frames come back inside the device: nothing reaches the wire (a wire
 * that drops everything), and the loopback test still passes. */
static void loopback_inside(enum sim_model m, enum e1k_irq_mode irq)
{
	struct e1k_selftest_report rep;
	struct rig r;

	up(&r, m, irq, SIM_WIRE_NONE);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	all_pass(&rep);
	expect(&rep, E1K_SELFTEST_LOOPBACK, E1K_SELFTEST_PASS, "(0 sent again");
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_loopback_inside_82540em(void) { loopback_inside(SIM_82540EM, E1K_IRQ_INTX); }
static void test_loopback_inside_82574l(void) { loopback_inside(SIM_82574L, E1K_IRQ_MSI); }

/* QEMU's e1000 drops looped-back frames for a while after each RCTL write
 * (sim qemu_rctl_hold_ms): the first frame is sent until one comes back. */
static void test_loopback_rctl_hold(void)
{
	struct sim_config sc = { .model = SIM_82540EM, .wire = SIM_WIRE_NONE,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX, .qemu_rctl_hold_ms = 300 };
	struct e1k_selftest_report rep;
	struct e1k_config cfg;
	struct rig r;

	e1k_config_defaults(&cfg);
	cfg.irq_mode = E1K_IRQ_INTX;
	REQUIRE(rig_up_sim(&r, &sc, &cfg) == 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	all_pass(&rep);
	expect(&rep, E1K_SELFTEST_LOOPBACK, E1K_SELFTEST_PASS, "sent again");
	CHECK(!strstr(rep.t[E1K_SELFTEST_LOOPBACK].detail, "(0 sent again"));
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* Frames from the wire during the loopback test (QEMU keeps delivering
 * them in loopback, and hands over what it queued while the receiver was
 * off as soon as the test turns it on: sim qemu_rx_queue) are not the
 * test's: ignored, not compared. */
static void loopback_ignores_wire(enum sim_model m, enum e1k_irq_mode irq)
{
	struct sim_config sc = { .model = m, .wire = SIM_WIRE_LOOPBACK,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX, .qemu_rx_queue = true };
	struct e1k_selftest_report rep;
	struct e1k_config cfg;
	uint8_t f[98] = { 0 };
	struct rig r;

	e1k_config_defaults(&cfg);
	cfg.irq_mode = irq;
	REQUIRE(rig_up_sim(&r, &sc, &cfg) == 0);
	CHECK_EQ(e1k_adapter_pause(r.ad), 0);
	memcpy(f, r.mac, 6);
	f[6] = 0x02;
	f[12] = 0x08;   /* IPv4 EtherType: anything but the test's */
	for (int i = 0; i < 8; i++)
		CHECK_EQ(sim_wire_inject(r.hw, f, sizeof(f)), 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), 0);
	all_pass(&rep);
	expect(&rep, E1K_SELFTEST_LOOPBACK, E1K_SELFTEST_PASS, " 8 others ignored");
	CHECK_EQ(e1k_adapter_restart(r.ad), 0);
	traffic_ok(&r);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_loopback_ignores_wire_82540em(void) { loopback_ignores_wire(SIM_82540EM, E1K_IRQ_INTX); }
static void test_loopback_ignores_wire_82574l(void) { loopback_ignores_wire(SIM_82574L, E1K_IRQ_MSIX); }

static void test_refused_when_halted(void)
{
	struct e1k_selftest_report rep;
	uint16_t w[E1000_EEPROM_WORDS];
	struct e1k_diag_reg regs[E1K_DIAG_MAX_REGS];
	unsigned n;
	struct rig r;

	up(&r, SIM_82540EM, E1K_IRQ_AUTO, SIM_WIRE_NONE);
	CHECK_EQ(e1k_adapter_halt(r.ad, E1K_HALT_STOPPED, NULL), 0);
	CHECK_EQ(e1k_adapter_selftest(r.ad, true, &rep), -EPERM);
	CHECK_EQ(e1k_adapter_dump_regs(r.ad, regs, E1K_DIAG_MAX_REGS, &n), -EPERM);
	CHECK_EQ(e1k_adapter_dump_eeprom(r.ad, w), -EPERM);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* ---- dumps ---- */

static const struct e1k_diag_reg *find(const struct e1k_diag_reg *regs, unsigned n,
                                       const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(regs[i].name, name))
			return &regs[i];
	return NULL;
}

static void dump_matches_model(enum sim_model m, enum e1k_irq_mode irq)
{
	struct e1k_diag_reg regs[E1K_DIAG_MAX_REGS];
	const struct e1k_diag_reg *x;
	char bits[E1K_DIAG_BITS_LEN];
	unsigned n;
	struct rig r;

	up(&r, m, irq, SIM_WIRE_NONE);
	/* Paused: nothing moves the ring indexes, interrupts are masked. */
	CHECK_EQ(e1k_adapter_pause(r.ad), 0);
	/* A cause left pending in ICR must survive the dump. */
	hal_wr32(r.hw, E1000_ICS, E1000_ICR_RXSEQ);
	CHECK_EQ(e1k_adapter_dump_regs(r.ad, regs, E1K_DIAG_MAX_REGS, &n), 0);
	CHECK(n > 50 && n <= E1K_DIAG_MAX_REGS);
	CHECK(sim_peek_reg(r.hw, E1000_ICR) & E1000_ICR_RXSEQ);
	for (unsigned i = 0; i < n; i++) {
		if (regs[i].value != sim_peek_reg(r.hw, regs[i].off))
			tl_fail(__FILE__, __LINE__, "%s: dump 0x%08x, model 0x%08x", regs[i].name,
			        (unsigned)regs[i].value, (unsigned)sim_peek_reg(r.hw, regs[i].off));
		/* Nothing clear-on-read or write-only is in the table. */
		CHECK(regs[i].off != E1000_ICR && regs[i].off != E1000_ICS && regs[i].off != E1000_IMC);
		CHECK(regs[i].off < E1000_STATS_FIRST || regs[i].off > E1000_STATS_LAST);
	}
	CHECK((x = find(regs, n, "IVAR")) != NULL || m != SIM_82574L);
	CHECK((x = find(regs, n, "RAL0")) && x->value == sim_peek_reg(r.hw, E1000_RAL(0)) &&
	      x->value != 0);
	REQUIRE((x = find(regs, n, "RDLEN")));
	e1k_diag_decode(r.hw->mac, x->off, x->value, bits, sizeof(bits));
	CHECK(!strcmp(bits, "1024 descriptors"));   /* the default RX ring */
	REQUIRE((x = find(regs, n, "STATUS")));
	e1k_diag_decode(r.hw->mac, x->off, x->value, bits, sizeof(bits));
	CHECK(!strcmp(bits, "FD LU SPEED=1000"));
	CHECK_EQ(e1k_adapter_restart(r.ad), 0);
	REQUIRE((x = find(regs, n, "RCTL")));
	CHECK_EQ(e1k_adapter_dump_regs(r.ad, regs, E1K_DIAG_MAX_REGS, &n), 0);
	REQUIRE((x = find(regs, n, "RCTL")));
	e1k_diag_decode(r.hw->mac, x->off, x->value, bits, sizeof(bits));
	CHECK(!strcmp(bits, "EN BAM SECRC BSIZE=2048"));
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

static void test_dump_regs_82540em(void) { dump_matches_model(SIM_82540EM, E1K_IRQ_INTX); }
static void test_dump_regs_82574l(void) { dump_matches_model(SIM_82574L, E1K_IRQ_MSIX); }

static void test_decode(void)
{
	char b[E1K_DIAG_BITS_LEN];

	e1k_diag_decode(E1K_MAC_82574L, E1000_IVAR, 0x000a0908u | (1u << 31), b, sizeof(b));
	CHECK(!strcmp(b, "RXQ0->0 TXQ0->1 OTHER->2 INT_ON_ALL_WB"));
	e1k_diag_decode(E1K_MAC_82540EM, E1000_ITR, 195, b, sizeof(b));
	CHECK(!strcmp(b, "interval=49920ns max=20032/s"));
	e1k_diag_decode(E1K_MAC_82540EM, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_LBM_MAC, b, sizeof(b));
	CHECK(!strcmp(b, "EN LBM=mac BSIZE=2048"));
	e1k_diag_decode(E1K_MAC_82540EM, E1000_IMS, E1000_ICR_LSC | E1000_ICR_RXT0, b, sizeof(b));
	CHECK(!strcmp(b, "LSC RXT0"));
	e1k_diag_decode(E1K_MAC_82540EM, E1000_RAH(0), E1000_RAH_AV | 0x5634u, b, sizeof(b));
	CHECK(!strcmp(b, "AV"));
	/* A short buffer is cut, never overrun. */
	e1k_diag_decode(E1K_MAC_82540EM, E1000_RCTL, 0xffffffffu, b, 8);
	CHECK(strlen(b) < 8);
}

static void test_dump_eeprom(void)
{
	uint16_t w[E1000_EEPROM_WORDS];
	struct rig r;

	up(&r, SIM_82574L, E1K_IRQ_AUTO, SIM_WIRE_NONE);
	CHECK_EQ(e1k_adapter_dump_eeprom(r.ad, w), 0);
	CHECK_EQ(e1k_diag_eeprom_sum(w), E1000_EEPROM_SUM);
	CHECK_EQ(w[0], (uint16_t)(r.mac[0] | r.mac[1] << 8));
	CHECK_EQ(w[E1000_EEPROM_DEVICE_ID_WORD], E1000_DEV_82574L);
	REQUIRE(sim_fault(r.hw, SIM_FAULT_BAD_EEPROM, true) == 0);
	CHECK_EQ(e1k_adapter_dump_eeprom(r.ad, w), 0);
	CHECK(e1k_diag_eeprom_sum(w) != E1000_EEPROM_SUM);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_decode),
		TL_CASE(test_offline_82540em_intx),
		TL_CASE(test_offline_82574l_msix),
		TL_CASE(test_offline_82574l_msi),
		TL_CASE(test_online_keeps_running),
		TL_CASE(test_paused_stays_paused),
		TL_CASE(test_fault_stuck_bit),
		TL_CASE(test_fault_bad_eeprom),
		TL_CASE(test_fault_lost_irq_intx),
		TL_CASE(test_fault_lost_irq_msix),
		TL_CASE(test_fault_corrupt_loopback),
		TL_CASE(test_qemu_regs_82540em),
		TL_CASE(test_qemu_regs_82574l),
		TL_CASE(test_loopback_inside_82540em),
		TL_CASE(test_loopback_inside_82574l),
		TL_CASE(test_loopback_rctl_hold),
		TL_CASE(test_loopback_ignores_wire_82540em),
		TL_CASE(test_loopback_ignores_wire_82574l),
		TL_CASE(test_refused_when_halted),
		TL_CASE(test_dump_regs_82540em),
		TL_CASE(test_dump_regs_82574l),
		TL_CASE(test_dump_eeprom),
	};

	return tl_main(argc, argv, cases, TL_N(cases));
}
