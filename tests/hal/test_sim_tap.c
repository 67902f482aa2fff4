/* SPDX-License-Identifier: MIT */
/* SIM_WIRE_TAP: the model's wire is a host TAP.  Runs in a child process in
 * a private network namespace (unshare(CLONE_NEWNET)), which disappears with
 * the child on every exit path.  Frames: raw Ethernet with an experimental
 * ethertype through an AF_PACKET socket, and an ARP request the kernel sends
 * for 198.18.0.2 (the only address used; 198.18.0.0/15 is reserved for
 * benchmarking).  Skips (77) when not root or without /dev/net/tun. */
#include "simtest.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAP_NAME     "e1ksim0"
#define TAP_ADDR     "198.18.0.1"
#define TAP_PEER     "198.18.0.2"
#define TAP_NETMASK  "255.255.255.0"
#define TEST_ETYPE   0x88b5u
#define ARP_ETYPE    0x0806u
#define ARP_TPA_OFF  38u        /* target protocol address in an Ethernet ARP frame */

static int if_up(const char *name)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, TAP_ADDR, &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		err = -errno;
	inet_pton(AF_INET, TAP_NETMASK, &sin->sin_addr);
	if (!err && ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

static int packet_socket(const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (s < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(name);
	if (sll.sll_ifindex == 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(s);
		return -errno;
	}
	return s;
}

struct rx_want { struct st_dev *t; uint16_t etype; uint8_t frame[2048]; uint16_t len; };

/* Poll the RX ring for a frame of the wanted ethertype (others are dropped). */
static bool rx_has(void *arg)
{
	struct rx_want *w = arg;
	uint16_t len;

	sim_sync(w->t->hw);
	while (st_rx_poll(w->t, w->frame, sizeof(w->frame), &len, NULL, NULL)) {
		if (len >= E1000_ETH_HLEN &&
		    ((uint16_t)(w->frame[12] << 8 | w->frame[13])) == w->etype) {
			w->len = len;
			return true;
		}
	}
	return false;
}

static struct st_dev tap;
static int psock = -1;

static void test_open(void)
{
	struct sim_config cfg = { .model = SIM_82574L, .wire = SIM_WIRE_TAP,
	                          .tap_name = TAP_NAME, .fail_irq_set_index = HAL_IRQ_NINDEX };
	struct hal_dev *again = NULL;

	REQUIRE(st_open_cfg(&tap, &cfg) == 0);
	CHECK(if_nametoindex(TAP_NAME) != 0);
	CHECK_EQ(sim_open(&cfg, &again), -EEXIST);   /* the name is taken */
	CHECK(again == NULL);
	REQUIRE(st_setup_tx(&tap, 64) == 0);
	REQUIRE(st_setup_rx(&tap, 64, 2048, 0) == 0);
	CHECK_OK(if_up(TAP_NAME));
	psock = packet_socket(TAP_NAME);
	CHECK(psock >= 0);
}

static void test_kernel_to_model(void)
{
	static struct rx_want w;
	uint8_t f[200];

	REQUIRE(tap.hw && psock >= 0);
	w.t = &tap;
	w.etype = TEST_ETYPE;
	st_frame(f, sizeof(f), tap.mac, 77);
	CHECK_EQ(send(psock, f, sizeof(f), 0), (ssize_t)sizeof(f));
	REQUIRE(tl_wait_until(rx_has, &w, 5000));
	CHECK_EQ(w.len, sizeof(f));
	CHECK(memcmp(w.frame, f, sizeof(f)) == 0);
}

static void test_model_to_kernel(void)
{
	static const uint8_t peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 };
	uint8_t f[300], got[2048];
	uint64_t deadline = tl_now_ns() + 5000000000ull;
	bool seen = false;

	REQUIRE(tap.hw && psock >= 0);
	st_frame(f, sizeof(f), peer, 88);
	CHECK_OK(st_tx(&tap, f, sizeof(f)));
	while (!seen && tl_now_ns() < deadline) {
		struct pollfd p = { .fd = psock, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(psock, got, sizeof(got), 0);
		if (n == (ssize_t)sizeof(f) && memcmp(got, f, sizeof(f)) == 0)
			seen = true;
	}
	CHECK(seen);
	CHECK(st_tx_status(&tap, 0) & E1000_TXD_STAT_DD);
}

static void test_kernel_arp(void)
{
	static struct rx_want w;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	uint8_t tpa[4];
	int s;

	REQUIRE(tap.hw);
	w.t = &tap;
	w.etype = ARP_ETYPE;
	/* A datagram to the (absent) peer makes the kernel ask for it by ARP. */
	inet_pton(AF_INET, TAP_PEER, &to.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(s >= 0);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(s);
	REQUIRE(tl_wait_until(rx_has, &w, 5000));
	inet_pton(AF_INET, TAP_PEER, tpa);
	CHECK(w.len >= ARP_TPA_OFF + 4);
	CHECK(memcmp(w.frame + ARP_TPA_OFF, tpa, 4) == 0);
	CHECK_EQ(w.frame[0], 0xff);   /* broadcast, accepted with BAM */
}

static void test_close(void)
{
	struct sim_stats st;

	if (psock >= 0)
		close(psock);
	psock = -1;
	REQUIRE(tap.hw);
	sim_get_stats(tap.hw, &st);
	CHECK(st.rx_frames >= 2);
	CHECK(st.tx_frames >= 1);
	st_close(&tap);
	CHECK_EQ(if_nametoindex(TAP_NAME), 0);   /* the TAP went with the model */
}

static int child(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_open),
		TL_CASE(test_kernel_to_model),
		TL_CASE(test_model_to_kernel),
		TL_CASE(test_kernel_arp),
		TL_CASE(test_close),
	};

	if (unshare(CLONE_NEWNET) != 0) {
		printf("skip: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	return tl_run(cases, TL_N(cases));
}

int main(void)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("skip: needs root (network namespace, /dev/net/tun)\n");
		return 77;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("skip: /dev/net/tun: %s\n", strerror(errno));
		return 77;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int rc = child();

		fflush(stdout);
		_exit(rc);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
