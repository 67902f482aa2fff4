/* SPDX-License-Identifier: MIT */
/*
 * test_capture.c - driver/capture: the capture ring.  Records come back as
 * they were put (pieces joined, cut at snaplen, direction filtered); several
 * producers never corrupt one another's records; a reader that stalls makes
 * producers drop and count, never wait.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "testlib.h"

#define NPROD     4
#define PER_PROD  4000u
#define FRAME_LEN 200u

static void test_roundtrip(void)
{
	struct e1k_capture *c = e1k_capture_new(8192, E1K_CAPTURE_BOTH, 100);
	uint8_t a[60], b[70], out[256];
	const void *data[2] = { a, b };
	uint32_t len[2] = { sizeof(a), sizeof(b) };
	struct e1k_capture_rec rec;
	uint64_t cap, drop;

	REQUIRE(c);
	for (unsigned i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(sizeof(a) + i);
	e1k_capture_begin(c);
	e1k_capture_add(c, E1K_CAPTURE_RX, 42, 130, 2, data, len);   /* cut at 100 */
	e1k_capture_add(c, E1K_CAPTURE_TX, 43, 60, 1, data, len);
	e1k_capture_end(c);
	CHECK_EQ(e1k_capture_read(c, &rec, out, sizeof(out)), 1);
	CHECK_U64(rec.ts_ns, 42);
	CHECK_EQ(rec.len, 130);
	CHECK_EQ(rec.caplen, 100);
	CHECK_EQ(rec.dir, E1K_CAPTURE_RX);
	for (unsigned i = 0; i < 100; i++)
		CHECK_EQ(out[i], i);
	CHECK_EQ(e1k_capture_read(c, &rec, out, sizeof(out)), 1);
	CHECK_EQ(rec.dir, E1K_CAPTURE_TX);
	CHECK_EQ(rec.caplen, 60);
	CHECK(memcmp(out, a, 60) == 0);
	CHECK_EQ(e1k_capture_read(c, &rec, out, sizeof(out)), 0);
	e1k_capture_counts(c, &cap, &drop);
	CHECK_U64(cap, 2);
	CHECK_U64(drop, 0);
	e1k_capture_free(c);

	/* A direction not asked for is neither recorded nor counted. */
	c = e1k_capture_new(8192, E1K_CAPTURE_TX, 100);
	REQUIRE(c);
	e1k_capture_begin(c);
	e1k_capture_add(c, E1K_CAPTURE_RX, 1, 60, 1, data, len);
	e1k_capture_end(c);
	CHECK_EQ(e1k_capture_read(c, &rec, out, sizeof(out)), 0);
	e1k_capture_counts(c, &cap, &drop);
	CHECK_U64(cap + drop, 0);
	e1k_capture_free(c);

	CHECK(e1k_capture_new(8192, 0, 100) == NULL);
	CHECK(e1k_capture_new(8192, E1K_CAPTURE_RX, 0) == NULL);
	CHECK(e1k_capture_new(8192, E1K_CAPTURE_RX, E1K_CAPTURE_SNAPLEN_MAX + 1) == NULL);
}

struct shared {
	struct e1k_capture *c;
	atomic_uint done;        /* producers finished */
	atomic_bool reader_stop;
	uint64_t read;           /* records the reader took */
	unsigned bad;            /* records whose bytes or order were wrong */
};

struct prod {
	struct shared *sh;
	unsigned id;
};

/* Frame: id, then the sequence number (little end first), then a pattern of both. */
static void fill(uint8_t *f, unsigned id, uint32_t seq)
{
	f[0] = (uint8_t)id;
	memcpy(f + 1, &seq, 4);
	for (unsigned i = 5; i < FRAME_LEN; i++)
		f[i] = (uint8_t)(id * 31u + seq + i);
}

static void *producer(void *arg)
{
	struct prod *p = arg;
	uint8_t f[FRAME_LEN];

	for (uint32_t seq = 0; seq < PER_PROD; seq++) {
		/* Two pieces, like a chained frame. */
		const void *data[2] = { f, f + 77 };
		uint32_t len[2] = { 77, FRAME_LEN - 77 };

		fill(f, p->id, seq);
		e1k_capture_begin(p->sh->c);
		e1k_capture_add(p->sh->c, p->id & 1 ? E1K_CAPTURE_TX : E1K_CAPTURE_RX, seq, FRAME_LEN,
		                2, data, len);
		e1k_capture_end(p->sh->c);
	}
	atomic_fetch_add(&p->sh->done, 1);
	return NULL;
}

/* Take every record, checking its bytes and that each producer's sequence
 * numbers only grow. */
static void drain(struct shared *sh, int64_t *last)
{
	struct e1k_capture_rec rec;
	uint8_t out[FRAME_LEN], want[FRAME_LEN];

	while (e1k_capture_read(sh->c, &rec, out, sizeof(out)) == 1) {
		uint32_t seq;

		sh->read++;
		memcpy(&seq, out + 1, 4);
		fill(want, out[0], seq);
		if (rec.len != FRAME_LEN || rec.caplen != FRAME_LEN || out[0] >= NPROD ||
		    memcmp(out, want, FRAME_LEN) != 0 || (int64_t)seq <= last[out[0]] ||
		    rec.ts_ns != seq || rec.dir != (out[0] & 1 ? E1K_CAPTURE_TX : E1K_CAPTURE_RX)) {
			sh->bad++;
			continue;
		}
		last[out[0]] = seq;
	}
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	int64_t last[NPROD] = { -1, -1, -1, -1 };

	while (!atomic_load(&sh->reader_stop))
		drain(sh, last);
	drain(sh, last);
	return NULL;
}

static bool all_done(void *ctx)
{
	return atomic_load(&((struct shared *)ctx)->done) == NPROD;
}

/* False when the producers did not finish: they are left running (blocked:
 * the bug this test is for) and the process fails. */
static bool run(size_t ring, bool with_reader, struct shared *sh)
{
	pthread_t pt[NPROD], rt;
	struct prod *p;

	memset(sh, 0, sizeof(*sh));
	sh->c = e1k_capture_new(ring, E1K_CAPTURE_BOTH, E1K_CAPTURE_SNAPLEN_MAX);
	if (!sh->c || (with_reader && pthread_create(&rt, NULL, reader, sh) != 0)) {
		tl_fail(__FILE__, __LINE__, "setup failed");
		return false;
	}
	p = malloc(NPROD * sizeof(*p));   /* left to running producers on failure */
	for (unsigned i = 0; i < NPROD; i++) {
		p[i] = (struct prod){ sh, i };
		if (pthread_create(&pt[i], NULL, producer, &p[i]) != 0) {
			tl_fail(__FILE__, __LINE__, "pthread_create");
			return false;
		}
	}
	/* Producers must finish however the reader behaves: never blocked by it. */
	if (!tl_wait_until(all_done, sh, 20000)) {
		tl_fail(__FILE__, __LINE__, "producers blocked: %u of %u finished", atomic_load(&sh->done),
		        NPROD);
		return false;
	}
	free(p);
	for (unsigned i = 0; i < NPROD; i++)
		pthread_join(pt[i], NULL);
	if (with_reader) {
		atomic_store(&sh->reader_stop, true);
		pthread_join(rt, NULL);
	}
	return true;
}

static void test_stalled_reader(void)
{
	uint64_t cap, drop;
	int64_t last[NPROD] = { -1, -1, -1, -1 };

	/* 16 KiB holds about 70 records of 224 bytes: nobody reads. */
	static struct shared sh_static;   /* outlives a failed run's producers */
	struct shared *sh = &sh_static;

	if (!run(16384, false, sh))
		return;
	e1k_capture_counts(sh->c, &cap, &drop);
	CHECK_U64(cap + drop, (uint64_t)NPROD * PER_PROD);
	CHECK(drop > 0);
	CHECK(cap > 0 && cap <= 16384 / 224);
	/* The reader comes back: what was kept is whole and in order. */
	drain(sh, last);
	CHECK_U64(sh->read, cap);
	CHECK_EQ(sh->bad, 0);
	/* And there is room again. */
	{
		uint8_t f[FRAME_LEN];
		const void *d = f;
		uint32_t l = FRAME_LEN;
		struct e1k_capture_rec rec;

		fill(f, 0, PER_PROD);
		e1k_capture_begin(sh->c);
		e1k_capture_add(sh->c, E1K_CAPTURE_RX, PER_PROD, FRAME_LEN, 1, &d, &l);
		e1k_capture_end(sh->c);
		CHECK_EQ(e1k_capture_read(sh->c, &rec, f, sizeof(f)), 1);
		e1k_capture_counts(sh->c, &cap, NULL);
		CHECK_U64(cap, sh->read + 1);
	}
	e1k_capture_free(sh->c);
}

static void test_concurrent(void)
{
	uint64_t cap, drop;

	/* Small enough to wrap many times and to fill when the reader lags. */
	static struct shared sh_static;
	struct shared *sh = &sh_static;

	if (!run(8192, true, sh))
		return;
	e1k_capture_counts(sh->c, &cap, &drop);
	CHECK_U64(cap + drop, (uint64_t)NPROD * PER_PROD);
	CHECK_U64(sh->read, cap);
	CHECK_EQ(sh->bad, 0);
	CHECK(cap > 0);
	e1k_capture_free(sh->c);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_roundtrip),
		TL_CASE(test_stalled_reader),
		TL_CASE(test_concurrent),
	};

	return tl_main(argc, argv, cases, TL_N(cases));
}
