/* SPDX-License-Identifier: MIT */
/*
 * test_bridge_wait.c - the TAP bridge meets a full TX ring: it waits for the
 * completions (e1k_adapter_tx_wait) instead of sleeping a fixed back-off, so
 * a device that stalls for a while loses nothing; one that stays stuck still
 * costs drops (counted) after the bridge's bound, and a halt ends a blocked
 * bridge at once.
 *
 * The adapter runs on the software model (tests/driver/rig.h) with the TAP
 * bridge bound to it, in a private network namespace (nettest.h: root and
 * /dev/net/tun, else skipped).  Frames enter the TAP from a packet socket on
 * its host side; SIM_FAULT_HANG holds the device (no descriptor processed,
 * no interrupt) while they come.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"
#include "e1k_rcu.h"
#include "nettest.h"
#include "rig.h"
#include "sim.h"
#include "tap_bridge.h"
#include "testlib.h"

#define TAP_NAME "e1kw0"
#define NFRAMES  300u    /* more than the ring (255) plus a bridge batch (32) */
/* How long the device stalls in the first case: longer than the old fixed
 * back-off's whole bound (200 tries x 50 us: 10 ms nominal, 10-20 ms
 * measured), well inside the bridge's wait bound (200 ms). */
#define STALL_MS 50

struct env {
	struct rig r;
	struct e1k_tap_bridge *b;
	int ps;          /* packet socket on the TAP */
	int ifindex;
};

static struct e1k_tap_bridge_stats bstats(struct env *e)
{
	struct e1k_tap_bridge_stats s;

	e1k_tap_bridge_get_stats(e->b, &s);
	return s;
}

static struct e1k_stats astats(struct env *e)
{
	struct e1k_stats st;

	memset(&st, 0, sizeof(st));
	e1k_adapter_get_stats(e->r.ad, &st);
	return st;
}

/* Up with carrier (IFF_RUNNING).  Not from /sys: that is the host's. */
static bool carrier_on(void *ctx)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool on = false;

	(void)ctx;
	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		on = (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
	close(fd);
	return on;
}

static bool tx_idle(void *ctx)
{
	return astats(ctx).tx_in_flight == 0;
}

static bool env_up(struct env *e)
{
	struct e1k_config c;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	char err[256];

	memset(e, 0, sizeof(*e));
	e->ps = -1;
	e1k_config_defaults(&c);
	c.watchdog_ms = 60000;   /* neither a reclaim nor a hang verdict meanwhile */
	if (rig_up(&e->r, SIM_82540EM, SIM_WIRE_NONE, &c) != 0)
		return false;
	if (e1k_tap_bridge_start(e->r.ad, TAP_NAME, &e->b, err, sizeof(err)) < 0) {
		tl_fail(__FILE__, __LINE__, "bridge: %s", err);
		return false;
	}
	e->ifindex = (int)if_nametoindex(TAP_NAME);
	e->ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	sll.sll_ifindex = e->ifindex;
	if (e->ifindex <= 0 || e->ps < 0 || bind(e->ps, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return false;
	if (!tl_wait_until(carrier_on, NULL, 5000)) {
		tl_fail(__FILE__, __LINE__, "no carrier on " TAP_NAME);
		return false;
	}
	return tl_wait_until(tx_idle, e, 5000);
}

static void env_down(struct env *e, struct e1k_halt_report *rep)
{
	if (!e->r.ad)
		return;
	if (e->ps >= 0)
		close(e->ps);
	rig_down(&e->r, E1K_HALT_STOPPED, rep);
	e1k_tap_bridge_free(e->b);
	e->b = NULL;
}

/* n frames into the TAP (the kernel hands them to the bridge). */
static bool inject(struct env *e, unsigned n)
{
	uint8_t f[60];

	for (unsigned i = 0; i < n; i++) {
		rig_frame(&e->r, f, sizeof(f), i);
		if (send(e->ps, f, sizeof(f), 0) != (ssize_t)sizeof(f)) {
			tl_fail(__FILE__, __LINE__, "send to the TAP: %s", strerror(errno));
			return false;
		}
	}
	return true;
}

struct count_want {
	struct env *e;
	uint64_t to_nic, waits, drops;
};

static bool bridge_asleep(void *ctx)
{
	struct count_want *w = ctx;

	return astats(w->e).tx_waits >= w->waits;
}

static bool bridge_sent(void *ctx)
{
	struct count_want *w = ctx;

	return bstats(w->e).to_nic >= w->to_nic;
}

static bool bridge_dropped(void *ctx)
{
	struct count_want *w = ctx;

	return bstats(w->e).to_nic_busy_drops >= w->drops;
}

static void stall(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A device that stalls for STALL_MS while the TAP fills the ring: the
 * bridge sleeps until the completions come and drops nothing.  (With the
 * old back-off, 200 retries 50 us apart, it dropped the rest of its batch
 * after 10-20 ms.)
 */
static void test_stall_loses_nothing(void)
{
	struct env e;
	struct count_want w = { .e = &e };
	struct e1k_tap_bridge_stats b0, b1;

	if (!env_up(&e)) {
		env_down(&e, NULL);
		return;
	}
	b0 = bstats(&e);
	w.waits = astats(&e).tx_waits + 1;
	CHECK_OK(sim_fault(e.r.hw, SIM_FAULT_HANG, true));
	REQUIRE(inject(&e, NFRAMES));
	/* The ring is full and the bridge asleep in tx_wait. */
	CHECK(tl_wait_until(bridge_asleep, &w, 5000));
	/* The stall itself is the scenario, not a wait for a condition. */
	stall(STALL_MS);
	CHECK_OK(sim_fault(e.r.hw, SIM_FAULT_HANG, false));
	w.to_nic = b0.to_nic + NFRAMES;
	CHECK(tl_wait_until(bridge_sent, &w, 5000));
	b1 = bstats(&e);
	CHECK_U64(b1.to_nic_busy_drops, b0.to_nic_busy_drops);
	CHECK_U64(astats(&e).tx_wait_timeouts, 0);
	env_down(&e, NULL);
}

/*
 * A device that stays stuck: the bridge still drops (and counts) after its
 * bound rather than block for ever; then a halt while it is blocked again
 * ends it at once (reject-new-work wakes the waiter; the thread is joined
 * in unbind-upper) and the halt completes.
 */
static void test_stuck_drops_then_halt(void)
{
	struct env e;
	struct count_want w = { .e = &e };
	struct e1k_halt_report rep;
	uint64_t unbind_ns;

	if (!env_up(&e)) {
		env_down(&e, NULL);
		return;
	}
	w.waits = astats(&e).tx_waits + 1;
	w.drops = bstats(&e).to_nic_busy_drops + 1;
	CHECK_OK(sim_fault(e.r.hw, SIM_FAULT_HANG, true));
	REQUIRE(inject(&e, NFRAMES));
	CHECK(tl_wait_until(bridge_asleep, &w, 5000));
	CHECK(tl_wait_until(bridge_dropped, &w, 5000));
	CHECK(astats(&e).tx_wait_timeouts >= 1);
	/* Blocked again on the next batch, then the halt. */
	w.waits = astats(&e).tx_waits + 1;
	REQUIRE(inject(&e, 2 * 32));
	CHECK(tl_wait_until(bridge_asleep, &w, 5000));
	env_down(&e, &rep);
	CHECK_EQ(rep.final_state, E1K_STATE_HALTED);
	CHECK_EQ(ledger_outstanding(&rep.ledger), 0);
	unbind_ns = rep.stages[E1K_HS_UNBIND_UPPER].end_ns - rep.stages[E1K_HS_UNBIND_UPPER].start_ns;
	/* The thread was joined without waiting out its 200 ms bound. */
	CHECK(unbind_ns < 150ull * 1000 * 1000);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_stall_loses_nothing),
		TL_CASE(test_stuck_drops_then_halt),
	};
	int rc = nt_sandbox_enter();

	if (rc)
		return rc;
	/* No IPv6 chatter (router solicitations, DAD) on the TAP. */
	nt_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	nt_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	e1k_rcu_thread_online();
	return tl_main(argc, argv, cases, TL_N(cases));
}
