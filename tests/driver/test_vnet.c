/* SPDX-License-Identifier: MIT */
/*
 * test_vnet.c - driver/vnet: a virtio-net header from the host into an
 * e1k_frame.  Good headers translate field for field; every hostile one is
 * refused with the verdict the bridge counts, and leaves nothing behind.
 */
#include <string.h>

#include "testlib.h"
#include "vnet.h"

#define ALL (E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_TSO6 | E1K_OFFLOAD_RX_CSUM)
#define GSO_UDP_L4 5

static uint8_t f4[4000], f6[4000];
static const size_t len4 = 14 + 20 + 32 + 2896, len6 = 14 + 40 + 20 + 2896;

/* IPv4 + TCP with 12 bytes of options; IPv6 + TCP without.  Only what vnet
 * looks at needs to be right: the EtherType and the TCP data offset. */
static void frames(void)
{
	memset(f4, 0xa5, sizeof(f4));
	f4[12] = 0x08, f4[13] = 0x00;
	f4[14] = 0x45;
	f4[14 + 20 + 12] = 8 << 4;
	memset(f6, 0x5a, sizeof(f6));
	f6[12] = 0x86, f6[13] = 0xdd;
	f6[14] = 0x60;
	f6[14 + 40 + 12] = 5 << 4;
}

static struct virtio_net_hdr tso4(void)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		/* The kernel's hdr_len is its linear length: past the headers. */
		.hdr_len = 200, .gso_size = 1448, .csum_start = 34, .csum_offset = 16,
	};
	return vh;
}

/* The verdict, and a refused frame leaves *out zeroed. */
static enum e1k_vnet_result xlate(const struct virtio_net_hdr *vh, const uint8_t *d, size_t len,
                                  unsigned offs, struct e1k_frame *out)
{
	enum e1k_vnet_result r;
	struct e1k_frame zero;

	memset(out, 0x77, sizeof(*out));
	r = e1k_vnet_to_frame(vh, d, len, offs, out);
	if (r != E1K_VNET_OK) {
		memset(&zero, 0, sizeof(zero));
		CHECK(memcmp(out, &zero, sizeof(zero)) == 0);
	}
	return r;
}

static void test_plain(void)
{
	struct virtio_net_hdr vh = { 0 };
	struct e1k_frame fr;

	frames();
	CHECK_EQ(xlate(&vh, f4, 60, 0, &fr), E1K_VNET_OK);
	CHECK(fr.data == f4);
	CHECK_EQ(fr.len, 60u);
	CHECK_EQ(fr.gso, E1K_GSO_NONE);
	CHECK_EQ(fr.csum, 0);
	CHECK_EQ(fr.csum_start, 0);
	CHECK_EQ(fr.csum_offset, 0);
	CHECK_EQ(fr.hdr_len, 0);
	CHECK_EQ(fr.mss, 0);
	/* DATA_VALID means nothing on the way out: taken, ignored. */
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	CHECK_EQ(xlate(&vh, f4, 14, 0, &fr), E1K_VNET_OK);
	CHECK_EQ(fr.csum, 0);
	/* hdr_len and gso_size of a non-gso frame are not looked at. */
	vh.hdr_len = 9999;
	vh.gso_size = 7;
	CHECK_EQ(xlate(&vh, f4, 60, ALL, &fr), E1K_VNET_OK);
	CHECK_EQ(fr.mss, 0);
	CHECK_EQ(fr.hdr_len, 0);
}

static void test_csum(void)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6,
	};
	struct e1k_frame fr;

	frames();
	CHECK_EQ(xlate(&vh, f4, 100, E1K_OFFLOAD_TX_CSUM, &fr), E1K_VNET_OK);
	CHECK_EQ(fr.csum, 1);
	CHECK_EQ(fr.csum_start, 34);
	CHECK_EQ(fr.csum_offset, 6);
	CHECK_EQ(fr.gso, E1K_GSO_NONE);
	CHECK_EQ(fr.len, 100u);
	/* The field's last byte is the frame's last byte: still inside. */
	vh.csum_start = 92;
	CHECK_EQ(xlate(&vh, f4, 100, E1K_OFFLOAD_TX_CSUM, &fr), E1K_VNET_OK);
	/* One more: past the end. */
	vh.csum_start = 93;
	CHECK_EQ(xlate(&vh, f4, 100, E1K_OFFLOAD_TX_CSUM, &fr), E1K_VNET_BAD);
}

static void test_tso(void)
{
	struct virtio_net_hdr vh = tso4();
	struct e1k_frame fr;

	frames();
	CHECK_EQ(xlate(&vh, f4, len4, ALL, &fr), E1K_VNET_OK);
	CHECK(fr.data == f4);
	CHECK_EQ(fr.len, (uint32_t)len4);
	CHECK_EQ(fr.gso, E1K_GSO_TCPV4);
	CHECK_EQ(fr.csum, 1);
	CHECK_EQ(fr.csum_start, 34);
	CHECK_EQ(fr.csum_offset, 16);
	CHECK_EQ(fr.mss, 1448);
	CHECK_EQ(fr.hdr_len, 14 + 20 + 32);   /* computed, not the kernel's 200 */

	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh.csum_start = 54;
	vh.hdr_len = 74;
	vh.gso_size = 1428;
	CHECK_EQ(xlate(&vh, f6, len6, E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO6, &fr), E1K_VNET_OK);
	CHECK_EQ(fr.gso, E1K_GSO_TCPV6);
	CHECK_EQ(fr.mss, 1428);
	CHECK_EQ(fr.hdr_len, 74);
	CHECK_EQ(fr.csum_start, 54);
	/* The largest frame with gso. */
	{
		static uint8_t big[E1K_GSO_FRAME_MAX + 1];

		memcpy(big, f4, 100);
		vh = tso4();
		CHECK_EQ(xlate(&vh, big, E1K_GSO_FRAME_MAX, ALL, &fr), E1K_VNET_OK);
		CHECK_EQ(xlate(&vh, big, E1K_GSO_FRAME_MAX + 1, ALL, &fr), E1K_VNET_BAD);
	}
}

/* Headers that lie or make no sense: BAD, whatever is offered. */
static void test_hostile(void)
{
	struct virtio_net_hdr vh;
	struct e1k_frame fr;

	frames();
#define BAD_CASE(mutate, data, len) do { \
		frames(); \
		vh = tso4(); \
		mutate; \
		CHECK_EQ(xlate(&vh, data, len, ALL, &fr), E1K_VNET_BAD); \
	} while (0)
	BAD_CASE(vh.flags |= VIRTIO_NET_HDR_F_RSC_INFO, f4, len4);
	BAD_CASE(vh.flags |= 0x80, f4, len4);
	BAD_CASE(vh.gso_type = 2, f4, len4);                         /* no such kind */
	BAD_CASE(vh.gso_type = 0x7f, f4, len4);
	BAD_CASE(vh.gso_size = 0, f4, len4);                         /* mss 0 */
	BAD_CASE(vh.flags = 0, f4, len4);                            /* gso without csum */
	BAD_CASE(vh.csum_start = 13, f4, len4);                      /* inside Ethernet */
	BAD_CASE(vh.csum_start = 0, f4, len4);
	BAD_CASE((vh.csum_start = 0xffff, vh.csum_offset = 0xffff), f4, len4);
	BAD_CASE(vh.csum_start = (uint16_t)(len4 - 17), f4, len4);   /* field past the end */
	BAD_CASE(vh.csum_offset = 6, f4, len4);                      /* UDP's field, TCP gso */
	BAD_CASE(vh.hdr_len = (uint16_t)len4, f4, len4);             /* headers to the end */
	BAD_CASE(vh.hdr_len = 0xffff, f4, len4);
	BAD_CASE(vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6, f4, len4);  /* TCPv6 on IPv4 */
	BAD_CASE((vh.csum_start = 54), f6, len6);                    /* TCPv4 on IPv6 */
	BAD_CASE(f4[14 + 20 + 12] = 4 << 4, f4, len4);               /* data offset 16 */
	BAD_CASE(f4[14 + 20 + 12] = 15 << 4, f4, 14 + 20 + 60);      /* TCP header to the end */
	BAD_CASE(f4[14 + 20 + 12] = 15 << 4, f4, 14 + 20 + 40);      /* ... and past it */
	BAD_CASE((void)0, f4, 14 + 20 + 32);                         /* no payload */
	BAD_CASE((void)0, f4, 13);                                   /* no Ethernet header */
	BAD_CASE((void)0, NULL, len4);
	/* Past any frame at all. */
	vh = (struct virtio_net_hdr){ 0 };
	CHECK_EQ(xlate(&vh, f4, (size_t)E1K_GSO_FRAME_MAX + 1, ALL, &fr), E1K_VNET_BAD);
	/* Malformed is BAD even when nothing is offered. */
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 200;
	CHECK_EQ(xlate(&vh, f4, 100, 0, &fr), E1K_VNET_BAD);
#undef BAD_CASE
}

/* Well-formed, but asking for what the TAP never offered. */
static void test_unsupported(void)
{
	struct virtio_net_hdr vh;
	struct e1k_frame fr;

	frames();
	vh = tso4();
	CHECK_EQ(xlate(&vh, f4, len4, 0, &fr), E1K_VNET_UNSUPPORTED);
	CHECK_EQ(xlate(&vh, f4, len4, E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO6, &fr),
	         E1K_VNET_UNSUPPORTED);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh.csum_start = 54;
	CHECK_EQ(xlate(&vh, f6, len6, E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO4, &fr),
	         E1K_VNET_UNSUPPORTED);
	vh = tso4();
	vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	CHECK_EQ(xlate(&vh, f4, len4, ALL, &fr), E1K_VNET_UNSUPPORTED);
	vh = tso4();
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	vh.csum_offset = 6;
	CHECK_EQ(xlate(&vh, f4, len4, ALL, &fr), E1K_VNET_UNSUPPORTED);
	vh.gso_type = GSO_UDP_L4;
	CHECK_EQ(xlate(&vh, f4, len4, ALL, &fr), E1K_VNET_UNSUPPORTED);
	/* Checksum offload alone, not offered. */
	vh = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
	                              .csum_offset = 16 };
	CHECK_EQ(xlate(&vh, f4, 100, E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_RX_CSUM, &fr),
	         E1K_VNET_UNSUPPORTED);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_plain),
		TL_CASE(test_csum),
		TL_CASE(test_tso),
		TL_CASE(test_hostile),
		TL_CASE(test_unsupported),
	};

	return tl_main(argc, argv, cases, TL_N(cases));
}
