/* SPDX-License-Identifier: MIT */
/*
 * test_e1kd_args.c - e1kd's command line: defaults, each option landing in the
 * right field, and the usage errors (message quoted, -EINVAL).
 */
#include <errno.h>
#include <string.h>

#include "e1kd_args.h"
#include "testlib.h"

#define PARSE(a, err, ...) do { \
	char *_argv[] = { "e1kd", __VA_ARGS__, NULL }; \
	rc = e1kd_parse_args((int)(sizeof(_argv) / sizeof(_argv[0])) - 1, _argv, (a), (err), sizeof(err)); \
} while (0)

static void test_defaults(void)
{
	struct e1kd_args a;
	char err[256];
	int rc;

	PARSE(&a, err, "--device", "sim:82540em");
	CHECK_EQ(rc, 0);
	CHECK_EQ(a.action, E1KD_ACTION_RUN);
	CHECK(strcmp(a.device, "sim:82540em") == 0);
	CHECK(!a.noiommu);
	CHECK(a.tap == NULL);
	CHECK(a.report_path == NULL);
	CHECK_EQ(a.cfg.dpc_workers, 2);
	CHECK_EQ(a.cfg.irq_mode, E1K_IRQ_AUTO);
	CHECK_EQ(a.cfg.offloads, ~0u);
}

static void test_offloads(void)
{
	struct e1kd_args a;
	char err[256];
	int rc;

	PARSE(&a, err, "--device", "sim:82540em", "--offloads", "none");
	CHECK_EQ(rc, 0);
	CHECK_EQ(a.cfg.offloads, 0);
	PARSE(&a, err, "--device", "sim:82540em", "--offloads", "csum,rx-csum");
	CHECK_EQ(rc, 0);
	CHECK_EQ(a.cfg.offloads, E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_RX_CSUM);
	PARSE(&a, err, "--device", "sim:82540em", "--offloads", "tso6,tso4");
	CHECK_EQ(rc, 0);
	CHECK_EQ(a.cfg.offloads, E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_TSO6);
	PARSE(&a, err, "--device", "sim:82540em", "--offloads", "all");
	CHECK_EQ(rc, 0);
	CHECK_EQ(a.cfg.offloads, ~0u);
	/* Unknown, repeated, empty or trailing names are refused. */
	static char *bad[] = { "tso", "csum,csum", "csum,", ",csum", "", "csum,,tso4", "ALL",
	                             "csum,none" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE(&a, err, "--device", "sim:82540em", "--offloads", bad[i]);
		CHECK_EQ(rc, -EINVAL);
		CHECK(strstr(err, "--offloads must be all, none or") != NULL);
	}
}

static void test_options(void)
{
	struct e1kd_args a;
	char err[256];
	int rc;

	PARSE(&a, err, "--device", "0000:01:00.0", "--noiommu", "--tap", "e1k0",
	      "--irq-mode", "msix", "--dpc-workers", "4", "--report", "/tmp/r.json");
	CHECK_EQ(rc, 0);
	CHECK(a.noiommu);
	CHECK(strcmp(a.tap, "e1k0") == 0);
	CHECK_EQ(a.cfg.irq_mode, E1K_IRQ_MSIX);
	CHECK_EQ(a.cfg.dpc_workers, 4);
	CHECK(strcmp(a.report_path, "/tmp/r.json") == 0);
}

static void test_usage_errors(void)
{
	struct e1kd_args a;
	char err[256];
	int rc;

	PARSE(&a, err, "--device", "sim:82540em", "--dpc-workers", "0");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "--dpc-workers must be a number in 1..64 (got '0')") != NULL);
	/* Issue 17: strtoul took a sign, spaces and wrapped; now digits only,
	 * the whole range checked. */
	PARSE(&a, err, "--device", "sim:82540em", "--dpc-workers", "+4");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "digits only") != NULL);
	PARSE(&a, err, "--device", "sim:82540em", "--dpc-workers", " 4");
	CHECK_EQ(rc, -EINVAL);
	PARSE(&a, err, "--device", "sim:82540em", "--itr-ns", "-1");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "digits only") != NULL);
	PARSE(&a, err, "--device", "sim:82540em", "--tx-ring", "4294967552");   /* 2^32 + 256 */
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "--tx-ring must be a number in 0..1048576 (got '4294967552')") != NULL);
	PARSE(&a, err, "--device", "sim:82540em", "--dpc-workers", "18446744073709551618");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "must be a number in 1..64") != NULL);
	PARSE(&a, err, "--device", "sim:82540em", "--irq-mode", "polling");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "'polling'") != NULL);
	PARSE(&a, err, "--noiommu");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "--device is required") != NULL);
	PARSE(&a, err, "--device", "sim:82540em", "--noiommu=yes");
	CHECK_EQ(rc, -EINVAL);
	PARSE(&a, err, "--device", "sim:82540em", "--tap", "a-name-that-is-too-long");
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "not a valid interface name") != NULL);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_defaults), TL_CASE(test_options), TL_CASE(test_usage_errors),
		TL_CASE(test_offloads),
	};

	return tl_main(argc, argv, cases, TL_N(cases));
}
