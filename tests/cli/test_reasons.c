/* SPDX-License-Identifier: MIT */
/* cli_reasons: all 14 spellings of the 7 halt reasons, any case; bad names refused. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "reasons.h"
#include "testlib.h"

static void test_tables(void)
{
	static const struct {
		enum e1k_halt_reason r;
		const char *cli, *ndis;
	} want[] = {
		{ E1K_HALT_DISABLED, "disabled", "NdisHaltDeviceDisabled" },
		{ E1K_HALT_INSTANCE_DEINITIALIZED, "instance-deinitialized",
		  "NdisHaltDeviceInstanceDeInitialized" },
		{ E1K_HALT_POWERED_DOWN, "powered-down", "NdisHaltDevicePoweredDown" },
		{ E1K_HALT_SURPRISE_REMOVED, "surprise-removed", "NdisHaltDeviceSurpriseRemoved" },
		{ E1K_HALT_FAILED, "failed", "NdisHaltDeviceFailed" },
		{ E1K_HALT_INITIALIZATION_FAILED, "initialization-failed",
		  "NdisHaltDeviceInitializationFailed" },
		{ E1K_HALT_STOPPED, "stopped", "NdisHaltDeviceStopped" },
	};

	CHECK_EQ(TL_N(want), E1K_HALT_NREASONS);
	for (size_t k = 0; k < TL_N(want); k++) {
		CHECK(!strcmp(e1k_halt_reason_name(want[k].r), want[k].cli));
		CHECK(!strcmp(e1k_halt_reason_ndis_name(want[k].r), want[k].ndis));
		CHECK(!strcmp(e1k_halt_reason_names[want[k].r], want[k].cli));
		CHECK(!strcmp(e1k_halt_reason_ndis_names[want[k].r], want[k].ndis));
	}
	CHECK(!strcmp(e1k_halt_reason_name((enum e1k_halt_reason)7), "unknown"));
	CHECK(!strcmp(e1k_halt_reason_ndis_name((enum e1k_halt_reason)-1), "unknown"));
}

static void fold(char *dst, const char *src, int mode)
{
	size_t i;

	for (i = 0; src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (char)(mode == 0 ? c : mode == 1 ? toupper(c) : mode == 2 ? tolower(c)
		                : (i % 2 ? toupper(c) : tolower(c)));
	}
	dst[i] = '\0';
}

static void test_parse_all_spellings(void)
{
	char buf[64];
	int n = 0;

	for (int r = 0; r < E1K_HALT_NREASONS; r++) {
		for (int mode = 0; mode < 4; mode++) {
			fold(buf, e1k_halt_reason_names[r], mode);
			CHECK_EQ(e1k_halt_reason_parse(buf), r);
			fold(buf, e1k_halt_reason_ndis_names[r], mode);
			CHECK_EQ(e1k_halt_reason_parse(buf), r);
			n += 2;
		}
	}
	CHECK_EQ(n, 14 * 4);
}

static void test_parse_bad(void)
{
	static const char *const bad[] = {
		"", "stop", "halted", "surprise_removed", "surpriseremoved", " disabled",
		"disabled ", "NdisHaltDevice", "NdisHaltDeviceDisabledX", "powered down",
		"NdisHaltDeviceInstanceDeinitialised", "failed\n", "0",
	};

	for (size_t k = 0; k < TL_N(bad); k++)
		if (e1k_halt_reason_parse(bad[k]) != -EINVAL)
			tl_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[k]);
	CHECK_EQ(e1k_halt_reason_parse(NULL), -EINVAL);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_tables),
		TL_CASE(test_parse_all_spellings),
		TL_CASE(test_parse_bad),
	};

	return tl_run(cases, TL_N(cases));
}
