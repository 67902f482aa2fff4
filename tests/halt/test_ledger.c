/* SPDX-License-Identifier: MIT */
/* test_ledger.c - the resource ledger releases strictly in reverse order. */
#include <errno.h>
#include <string.h>

#include "ledger.h"
#include "testlib.h"

static int order[16], norder;

static void rel(void *arg)
{
	order[norder++] = (int)(long)arg;
}

static void test_reverse_order(void)
{
	struct ledger l;

	norder = 0;
	ledger_init(&l);
	for (long i = 0; i < 6; i++)
		CHECK_EQ(ledger_acquired(&l, LEDGER_DMA, (unsigned)(i / 2), "x", rel, (void *)i), 0);
	CHECK_EQ(ledger_outstanding(&l), 6);
	/* Group 0 is at the bottom: nothing on top belongs to it. */
	CHECK_EQ(ledger_release_top(&l, 0), 0);
	CHECK_EQ(ledger_held_in_group(&l, 0), 2);
	CHECK_EQ(ledger_release_top(&l, 2), 2);
	CHECK_EQ(ledger_release_top(&l, 1), 2);
	CHECK_EQ(ledger_release_top(&l, 0), 2);
	CHECK_EQ(norder, 6);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(order[i], 5 - i);
	CHECK_EQ(l.acquired, 6);
	CHECK_EQ(l.released, 6);
	CHECK_EQ(ledger_outstanding(&l), 0);
	/* History stays for the report. */
	CHECK_EQ(l.count, 6);
	CHECK(l.e[5].released_ns <= l.e[0].released_ns);
	ledger_fini(&l);
}

static void test_full_and_forget(void)
{
	struct ledger l;

	norder = 0;
	ledger_init(&l);
	for (unsigned i = 0; i < LEDGER_MAX; i++)
		CHECK_EQ(ledger_acquired(&l, LEDGER_THREAD, 0, "t", NULL, NULL), 0);
	CHECK_EQ(ledger_acquired(&l, LEDGER_THREAD, 0, "t", NULL, NULL), -ENOSPC);
	ledger_forget_top(&l);
	CHECK_EQ(ledger_outstanding(&l), LEDGER_MAX - 1);
	CHECK_EQ(ledger_release_all(&l), LEDGER_MAX - 1);
	CHECK_EQ(ledger_outstanding(&l), 0);
	CHECK(ledger_holds(&l, LEDGER_THREAD) == false);
	CHECK(strcmp(ledger_kind_name(LEDGER_TAP), "tap") == 0);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_reverse_order),
		TL_CASE(test_full_and_forget),
	};

	return tl_main(argc, argv, cases, TL_N(cases));
}
