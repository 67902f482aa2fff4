/* SPDX-License-Identifier: MIT */
/*
 * test_nl.c - driver/netlink: link set/get, carrier (TUNSETCARRIER,
 * IFLA_CARRIER, and the IFF_UP fallback), addresses, moving a TAP into a
 * named namespace.  Runs in a private network namespace (nettest.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link/veth.h>

#include "netlink.h"
#include "nettest.h"
#include "tapdev.h"
#include "testlib.h"

#define DEADLINE_MS 5000

static bool gone_name(void *ctx) { return if_nametoindex(ctx) == 0; }

struct link_state {
	uint8_t mac[6];
	int mtu;
	bool up, carrier;
};

static int get_state(struct e1k_nl *nl, const char *ifname, struct link_state *s)
{
	memset(s, 0, sizeof(*s));
	return e1k_nl_link_get(nl, ifname, s->mac, &s->mtu, &s->up, &s->carrier);
}

static bool same_state(const struct link_state *a, const struct link_state *b)
{
	return memcmp(a->mac, b->mac, 6) == 0 && a->mtu == b->mtu && a->up == b->up &&
	       a->carrier == b->carrier;
}

static void test_open_close(void)
{
	struct e1k_nl *nl = NULL;
	struct link_state lo;

	CHECK_EQ(e1k_nl_open(NULL), -EINVAL);
	CHECK_OK(e1k_nl_open(&nl));
	REQUIRE(nl != NULL);
	/* lo exists in every namespace; its address is 6 zero bytes. */
	CHECK_OK(get_state(nl, "lo", &lo));
	CHECK_EQ(lo.mtu > 0, 1);
	e1k_nl_close(nl);
	e1k_nl_close(NULL);
}

static void test_link_set_get(void)
{
	static const uint8_t mac1[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0xaa };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct link_state lo0, lo1, s;
	struct e1k_nl *nl = NULL;
	int fd;

	REQUIRE(e1k_nl_open(&nl) == 0);
	CHECK_OK(get_state(nl, "lo", &lo0));
	fd = tapdev_open("e1kn-set", NULL);
	if (fd < 0) {
		tl_fail(__FILE__, __LINE__, "tapdev_open: %d", fd);
		e1k_nl_close(nl);
		return;
	}
	CHECK_OK(get_state(nl, "e1kn-set", &s));
	CHECK(!s.up);
	CHECK(!s.carrier); /* IFF_LOWER_UP only while up */

	CHECK_OK(e1k_nl_link_set(nl, "e1kn-set", mac1, 9000, 1));
	CHECK_OK(get_state(nl, "e1kn-set", &s));
	CHECK(memcmp(s.mac, mac1, 6) == 0);
	CHECK_EQ(s.mtu, 9000);
	CHECK(s.up);
	CHECK(s.carrier); /* an attached tap has carrier */

	/* Only the MTU: MAC and state stay. */
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-set", NULL, 1400, -1));
	CHECK_OK(get_state(nl, "e1kn-set", &s));
	CHECK(memcmp(s.mac, mac1, 6) == 0);
	CHECK_EQ(s.mtu, 1400);
	CHECK(s.up);

	/* Only down. */
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-set", NULL, 0, 0));
	CHECK_OK(get_state(nl, "e1kn-set", &s));
	CHECK(!s.up);
	CHECK(!s.carrier);
	CHECK_EQ(s.mtu, 1400);

	/* Nothing: a no-op that still checks the name. */
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-set", NULL, 0, -1));
	CHECK_EQ(e1k_nl_link_set(nl, "e1kn-none", NULL, 0, -1), -ENODEV);

	/* Refusals, each leaving the interface as it was. */
	CHECK_EQ(e1k_nl_link_set(nl, "e1kn-set", NULL, 10, -1), -EINVAL);
	CHECK_EQ(e1k_nl_link_set(nl, "e1kn-set", NULL, 70000, -1), -EINVAL);
	CHECK_EQ(e1k_nl_link_set(nl, "e1kn-set", mcast, 0, -1), -EADDRNOTAVAIL);
	CHECK_EQ(e1k_nl_link_set(nl, "e1kn-set", NULL, 0, 2), -EINVAL);
	CHECK_OK(get_state(nl, "e1kn-set", &s));
	CHECK(memcmp(s.mac, mac1, 6) == 0);
	CHECK_EQ(s.mtu, 1400);

	/* Names are checked before anything is sent. */
	CHECK_EQ(e1k_nl_link_set(nl, "e1kn-none", NULL, 1400, 1), -ENODEV);
	CHECK_EQ(e1k_nl_link_get(nl, "e1kn-none", NULL, NULL, NULL, NULL), -ENODEV);
	CHECK_EQ(e1k_nl_link_get(nl, "a/b", NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(e1k_nl_link_get(nl, "", NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(e1k_nl_link_get(nl, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(e1k_nl_link_get(nl, "abcdefghijklmnop", NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(e1k_nl_link_set(nl, "a b", NULL, 1400, 1), -EINVAL);
	CHECK_EQ(e1k_nl_link_set(NULL, "e1kn-set", NULL, 1400, 1), -EINVAL);

	/* Nothing else was touched. */
	CHECK_OK(get_state(nl, "lo", &lo1));
	CHECK(same_state(&lo0, &lo1));

	tapdev_close(fd);
	CHECK(tl_wait_until(gone_name, "e1kn-set", DEADLINE_MS));
	e1k_nl_close(nl);
}

static void test_carrier_tap(void)
{
	struct e1k_nl *nl = NULL;
	struct link_state s;
	enum e1k_nl_carrier_how how = E1K_NL_CARRIER_ADMIN_UPDOWN;
	int fd;

	REQUIRE(e1k_nl_open(&nl) == 0);
	fd = tapdev_open("e1kn-car", NULL);
	if (fd < 0) {
		tl_fail(__FILE__, __LINE__, "tapdev_open: %d", fd);
		e1k_nl_close(nl);
		return;
	}
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-car", NULL, 0, 1));
	CHECK_OK(get_state(nl, "e1kn-car", &s));
	CHECK(s.up && s.carrier);

	/* IFLA_CARRIER: carrier goes, the interface stays up. */
	CHECK_OK(e1k_nl_set_carrier(nl, "e1kn-car", false));
	CHECK_OK(get_state(nl, "e1kn-car", &s));
	CHECK(s.up);
	CHECK(!s.carrier);
	CHECK_OK(e1k_nl_set_carrier(nl, "e1kn-car", true));
	CHECK_OK(get_state(nl, "e1kn-car", &s));
	CHECK(s.up && s.carrier);

	/* TUNSETCARRIER on the fd (this kernel has it: >= 4.19). */
	CHECK_OK(e1k_nl_tap_set_carrier(nl, fd, "e1kn-car", false, &how));
	CHECK_EQ(how, E1K_NL_CARRIER_TUNSETCARRIER);
	CHECK_OK(get_state(nl, "e1kn-car", &s));
	CHECK(s.up);
	CHECK(!s.carrier);
	CHECK_OK(tapdev_set_carrier(fd, true));
	CHECK_OK(get_state(nl, "e1kn-car", &s));
	CHECK(s.up && s.carrier);

	/* Carrier changes are idempotent. */
	CHECK_OK(e1k_nl_set_carrier(nl, "e1kn-car", true));
	CHECK_EQ(e1k_nl_set_carrier(nl, "e1kn-none", true), -ENODEV);

	tapdev_close(fd);
	CHECK(tl_wait_until(gone_name, "e1kn-car", DEADLINE_MS));
	e1k_nl_close(nl);
}

/* A device with no carrier hook (veth): the IFF_UP fallback. */
static void test_carrier_fallback(void)
{
	struct e1k_nl *nl = NULL;
	struct nl_sock *sk;
	struct link_state s;
	enum e1k_nl_carrier_how how = E1K_NL_CARRIER_TUNSETCARRIER;
	int err;

	sk = nl_socket_alloc();
	REQUIRE(sk != NULL);
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		tl_fail(__FILE__, __LINE__, "nl_connect");
		nl_socket_free(sk);
		return;
	}
	/* Both ends in this (the test's own) namespace. */
	err = rtnl_link_veth_add(sk, "e1kn-v0", "e1kn-v1", getpid());
	nl_socket_free(sk);
	if (err < 0) {
		fprintf(stderr, "  note: no veth (%s): IFF_UP fallback not exercised\n",
			nl_geterror(err));
		return;
	}
	REQUIRE(e1k_nl_open(&nl) == 0);
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-v1", NULL, 0, 1));
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-v0", NULL, 0, 1));
	CHECK_OK(get_state(nl, "e1kn-v0", &s));
	CHECK(s.up && s.carrier);

	CHECK_OK(e1k_nl_set_carrier(nl, "e1kn-v0", false));
	CHECK_OK(get_state(nl, "e1kn-v0", &s));
	CHECK(!s.up);
	CHECK(!s.carrier);
	CHECK_OK(e1k_nl_tap_set_carrier(nl, -1, "e1kn-v0", true, &how));
	CHECK_EQ(how, E1K_NL_CARRIER_ADMIN_UPDOWN);
	CHECK_OK(get_state(nl, "e1kn-v0", &s));
	CHECK(s.up && s.carrier);

	/* Deleting one end removes both; the namespace would anyway. */
	sk = nl_socket_alloc();
	if (sk && nl_connect(sk, NETLINK_ROUTE) == 0) {
		struct rtnl_link *l = rtnl_link_alloc();

		if (l) {
			rtnl_link_set_name(l, "e1kn-v0");
			CHECK_EQ(rtnl_link_delete(sk, l), 0);
			rtnl_link_put(l);
		}
	}
	nl_socket_free(sk);
	e1k_nl_close(nl);
}

static bool has_addr(const char *ifname, const char *ip, const char *mask)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i; i = i->ifa_next) {
		char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof(a));
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, m, sizeof(m));
		if (strcmp(a, ip) == 0 && strcmp(m, mask) == 0)
			found = true;
	}
	freeifaddrs(ifa);
	return found;
}

static void test_addr_add(void)
{
	static const char *const bad[] = {
		"198.18.0.1", "198.18.0.1/33", "198.18.0.1/", "198.18.0.1/-1", "x/24",
		"default", "any", "198.18.0.1/24x", "/24", "", "198.18.0.1/24 ",
	};
	struct e1k_nl *nl = NULL;
	int fd;

	REQUIRE(e1k_nl_open(&nl) == 0);
	fd = tapdev_open("e1kn-addr", NULL);
	if (fd < 0) {
		tl_fail(__FILE__, __LINE__, "tapdev_open: %d", fd);
		e1k_nl_close(nl);
		return;
	}
	CHECK_OK(e1k_nl_addr_add(nl, "e1kn-addr", "198.18.0.1/24"));
	CHECK(has_addr("e1kn-addr", "198.18.0.1", "255.255.255.0"));
	CHECK_EQ(e1k_nl_addr_add(nl, "e1kn-addr", "198.18.0.1/24"), -EEXIST);
	CHECK_OK(e1k_nl_addr_add(nl, "e1kn-addr", "198.19.255.254/15"));
	CHECK(has_addr("e1kn-addr", "198.19.255.254", "255.254.0.0"));
	for (size_t i = 0; i < TL_N(bad); i++)
		CHECK_EQ(e1k_nl_addr_add(nl, "e1kn-addr", bad[i]), -EINVAL);
	CHECK_EQ(e1k_nl_addr_add(nl, "e1kn-addr", NULL), -EINVAL);
	CHECK_EQ(e1k_nl_addr_add(nl, "e1kn-none", "198.18.0.9/24"), -ENODEV);
	CHECK(!has_addr("lo", "198.18.0.9", "255.255.255.0"));
	tapdev_close(fd);
	CHECK(tl_wait_until(gone_name, "e1kn-addr", DEADLINE_MS));
	e1k_nl_close(nl);
}

/* ---- moving a TAP into a named namespace ---- */

struct mv_ctx {
	int fd;
	bool seen, wrote, moved_back;
};

static bool gone_nl(void *ctx)
{
	struct e1k_nl *nl = ctx;

	return e1k_nl_link_get(nl, "e1kn-mv", NULL, NULL, NULL, NULL) == -ENODEV;
}

/* Runs on a thread inside the named namespace. */
static int mv_inside(void *arg)
{
	struct mv_ctx *c = arg;
	struct e1k_nl *nl = NULL;
	struct link_state s;
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	int err;

	err = e1k_nl_open(&nl);
	if (err < 0)
		return err;
	if (get_state(nl, "e1kn-mv", &s) == 0)
		c->seen = true;
	/* The fd still drives the moved interface. */
	if (e1k_nl_link_set(nl, "e1kn-mv", NULL, 0, 1) == 0 && tapdev_write(c->fd, frame, sizeof(frame)) == 0 &&
	    get_state(nl, "e1kn-mv", &s) == 0 && s.up)
		c->wrote = true;
	/* Back to the test's namespace, named by an absolute path: /proc/self
	 * is the main thread, which never left it. */
	err = e1k_nl_link_move_netns(nl, "e1kn-mv", "/proc/self/ns/net");
	if (err == 0 && tl_wait_until(gone_nl, nl, DEADLINE_MS))
		c->moved_back = true;
	e1k_nl_close(nl);
	return err;
}

static int mv_count_links(void *arg)
{
	struct e1k_nl *nl = NULL;
	int err = e1k_nl_open(&nl);

	(void)arg;
	if (err < 0)
		return err;
	/* After the fd is closed the interface is gone here too. */
	err = tl_wait_until(gone_nl, nl, DEADLINE_MS) ? 0 : -EEXIST;
	e1k_nl_close(nl);
	return err;
}

static void test_move_netns(void)
{
	struct e1k_nl *nl = NULL;
	struct mv_ctx c = { .fd = -1 };
	char ns[32];
	int err;

	REQUIRE(e1k_nl_open(&nl) == 0);
	err = nt_netns_create(ns, sizeof(ns));
	if (err < 0) {
		tl_fail(__FILE__, __LINE__, "nt_netns_create: %d", err);
		e1k_nl_close(nl);
		return;
	}
	c.fd = tapdev_open("e1kn-mv", NULL);
	if (c.fd < 0) {
		tl_fail(__FILE__, __LINE__, "tapdev_open: %d", c.fd);
		goto out;
	}
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-mv", "e1kt-no-such-ns"), -ENOENT);
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-mv", "../x"), -EINVAL);
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-mv", ".."), -EINVAL);
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-mv", ""), -EINVAL);
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-mv", NULL), -EINVAL);
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-mv", "/dev/null"), -EINVAL);
	CHECK_EQ(e1k_nl_link_move_netns(nl, "e1kn-none", ns), -ENODEV);
	CHECK(if_nametoindex("e1kn-mv") != 0);

	CHECK_OK(e1k_nl_link_move_netns(nl, "e1kn-mv", ns));
	CHECK_EQ(if_nametoindex("e1kn-mv"), 0);
	CHECK_EQ(e1k_nl_link_get(nl, "e1kn-mv", NULL, NULL, NULL, NULL), -ENODEV);
	CHECK_OK(nt_in_netns(ns, mv_inside, &c));
	CHECK(c.seen);
	CHECK(c.wrote);
	CHECK(c.moved_back);
	CHECK(if_nametoindex("e1kn-mv") != 0);

	/* Into the namespace once more, then close: it disappears there. */
	CHECK_OK(e1k_nl_link_move_netns(nl, "e1kn-mv", ns));
	tapdev_close(c.fd);
	c.fd = -1;
	CHECK_OK(nt_in_netns(ns, mv_count_links, NULL));
out:
	tapdev_close(c.fd);
	nt_netns_delete(ns);
	e1k_nl_close(nl);
}

/* ---- one handle, several threads (the mutex inside e1k_nl) ---- */

struct hammer {
	struct e1k_nl *nl;
	int fd;
	unsigned iters;
	int failures;
	bool toggler;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;

	for (unsigned i = 0; i < h->iters; i++) {
		struct link_state s;
		int err;

		if (h->toggler)
			err = e1k_nl_set_carrier(h->nl, "e1kn-thr", (i & 1) != 0);
		else if (i % 8 == 0)
			err = e1k_nl_link_set(h->nl, "e1kn-thr", NULL, 1400 + (int)(i % 64), -1);
		else
			err = get_state(h->nl, "e1kn-thr", &s);
		if (err < 0)
			h->failures++;
	}
	return NULL;
}

static void test_threads(void)
{
	enum { NT = 4 };
	struct e1k_nl *nl = NULL;
	struct hammer h[NT];
	pthread_t t[NT];
	struct link_state s;
	int fd, started = 0;

	REQUIRE(e1k_nl_open(&nl) == 0);
	fd = tapdev_open("e1kn-thr", NULL);
	if (fd < 0) {
		tl_fail(__FILE__, __LINE__, "tapdev_open: %d", fd);
		e1k_nl_close(nl);
		return;
	}
	CHECK_OK(e1k_nl_link_set(nl, "e1kn-thr", NULL, 0, 1));
	for (int i = 0; i < NT; i++) {
		h[i] = (struct hammer){ .nl = nl, .fd = fd, .toggler = i == 0,
					.iters = (unsigned)tl_scaled(2000, 100) };
		if (pthread_create(&t[i], NULL, hammer_thread, &h[i]) != 0)
			break;
		started++;
	}
	CHECK_EQ(started, NT);
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(h[i].failures, 0);
	}
	/* Whatever the toggler left, carrier on must read back as on. */
	CHECK_OK(e1k_nl_set_carrier(nl, "e1kn-thr", true));
	CHECK_OK(get_state(nl, "e1kn-thr", &s));
	CHECK(s.up && s.carrier);
	tapdev_close(fd);
	CHECK(tl_wait_until(gone_name, "e1kn-thr", DEADLINE_MS));
	e1k_nl_close(nl);
}

static void test_strerror(void)
{
	static const int codes[] = {
		0, -EINVAL, -ENODEV, -ENOENT, -EEXIST, -EPERM, -EADDRNOTAVAIL,
		-EOPNOTSUPP, -EPROTO, -EIO, -ENOMEM, -12345, 7,
	};

	for (size_t i = 0; i < TL_N(codes); i++) {
		const char *s = e1k_nl_strerror(codes[i]);

		CHECK(s != NULL && s[0] != '\0');
	}
	CHECK(strstr(e1k_nl_strerror(-ENODEV), "interface") != NULL);
	CHECK(strstr(e1k_nl_strerror(-ENOENT), "namespace") != NULL);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_open_close),
		TL_CASE(test_link_set_get),
		TL_CASE(test_carrier_tap),
		TL_CASE(test_carrier_fallback),
		TL_CASE(test_addr_add),
		TL_CASE(test_move_netns),
		TL_CASE(test_threads),
		TL_CASE(test_strerror),
	};
	int rc = nt_sandbox_enter();

	if (rc)
		return rc;
	return tl_run(cases, TL_N(cases));
}
