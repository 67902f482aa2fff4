/* SPDX-License-Identifier: MIT */
/*
 * capture_proto.h - the stream e1kd writes on the control connection after
 * it answered `CAPTURE RX|TX|BOTH COUNT SNAPLEN` with OK (e1kctl capture).
 *
 * A sequence of records, each a struct capture_wire_hdr in host byte order
 * (the two ends share a host) followed by caplen bytes of frame.  The stream
 * ends with one CAPTURE_REC_END record, then e1kd closes the connection.
 * The client asks for the end by shutting down its sending side (or by
 * closing: e1kd then just stops); COUNT > 0 ends it after COUNT frames.
 *
 * Data only: Context any, Locks none.
 */
#ifndef E1K_CLI_CAPTURE_PROTO_H
#define E1K_CLI_CAPTURE_PROTO_H

#include <stdint.h>

#define CAPTURE_MAGIC 0x43314b45u   /* "E1KC" */

enum capture_rec_kind {
	CAPTURE_REC_FRAME = 1,
	CAPTURE_REC_END = 2,
};

/* Why the stream ended (an END record's len). */
enum capture_end {
	CAPTURE_END_COUNT = 1,    /* COUNT frames sent */
	CAPTURE_END_CLIENT = 2,   /* the client asked (shut down its side) */
	CAPTURE_END_HALTED = 3,   /* the adapter halted; e1kd is exiting */
	CAPTURE_END_ERROR = 4,    /* e1kd could not go on (out of memory) */
};

struct capture_wire_hdr {
	uint32_t magic;      /* CAPTURE_MAGIC */
	uint16_t kind;       /* enum capture_rec_kind */
	uint16_t dir;        /* FRAME: 1 received, 2 sent (E1K_CAPTURE_RX/TX) */
	uint32_t len;        /* FRAME: the frame's length; END: enum capture_end */
	uint32_t caplen;     /* FRAME: bytes that follow (<= snaplen); END: 0 */
	uint64_t ts_ns;      /* FRAME: CLOCK_REALTIME ns; END: frames sent */
	uint64_t dropped;    /* frames the ring dropped so far (a full ring: the reader was behind) */
};

_Static_assert(sizeof(struct capture_wire_hdr) == 32, "the wire header has no padding");

#endif
