/* SPDX-License-Identifier: MIT */
/* cli_render: the human-readable table and halt report renderers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_render.h"
#include "json_read.h"
#include "testlib.h"

/* Render text through fn into a malloc'd string. */
static char *render(int (*fn)(FILE *, const struct jr_node *), const char *json, int *rc)
{
	struct jr_node *root = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	*rc = jr_parse(json, strlen(json), &root, NULL);
	if (*rc)
		return NULL;
	f = open_memstream(&out, &len);
	if (!f) {
		jr_free(root);
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = fn(f, root);
	fclose(f);
	jr_free(root);
	return out;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* Collapse runs of spaces and trim the end: "a   b  " -> "a b". */
static void squeeze(char *dst, size_t cap, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (src[i] == ' ' && (o == 0 || dst[o - 1] == ' '))
			continue;
		dst[o++] = src[i];
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* A line that starts with k (exactly, indentation included) followed by
 * spaces and then the words of v, however many spaces separate them. */
static bool has_row(const char *text, const char *k, const char *v)
{
	char want[512], got[512];

	squeeze(want, sizeof(want), v, strlen(v));
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *end = strchr(p, '\n');
		size_t kl = strlen(k), ll = end ? (size_t)(end - p) : strlen(p);

		if (ll <= kl || strncmp(p, k, kl) || p[kl] != ' ')
			continue;
		squeeze(got, sizeof(got), p + kl, ll - kl);
		if (!strcmp(got, want))
			return true;
	}
	return false;
}

static void test_table(void)
{
	int rc;
	char *t = render(ctl_render_table,
	                 "{\"state\":\"Running\",\"device\":{\"name\":\"sim:82540em\",\"pci\":{\"id\":\"8086:100e\"}},"
	                 "\"queues\":[{\"id\":0,\"rx\":{\"pkts\":5}},{\"id\":1,\"rx\":{\"pkts\":6}}],"
	                 "\"tags\":[\"a\",1,true,null],\"none\":[],\"empty\":{},"
	                 "\"evil\":\"\\u001b[2Jx\\ny\",\"mixed\":[[1,2],{\"k\":1}]}", &rc);

	REQUIRE(t);
	CHECK_EQ(rc, 0);
	CHECK(has_row(t, "state", "Running"));
	CHECK(has_row(t, "device.name", "sim:82540em"));
	CHECK(has_row(t, "device.pci.id", "8086:100e"));
	CHECK(has_row(t, "  queues[0]", "id=0  rx.pkts=5"));
	CHECK(has_row(t, "  queues[1]", "id=1  rx.pkts=6"));
	CHECK(has_row(t, "tags", "a, 1, true, null"));
	CHECK(has_row(t, "none", "[]"));
	CHECK(has_row(t, "empty", "{}"));
	CHECK(has_row(t, "evil", "?[2Jx?y"));   /* no escape sequence reaches the terminal */
	CHECK(!strchr(t, 0x1b));
	CHECK(has_row(t, "mixed[0]", "1, 2"));
	CHECK(has_row(t, "  mixed[1]", "k=1"));
	free(t);

	t = render(ctl_render_table, "{}", &rc);
	REQUIRE(t);
	CHECK(has_line(t, "ok"));
	free(t);

	t = render(ctl_render_table, "\"just a string\"", &rc);
	REQUIRE(t);
	CHECK(strstr(t, "just a string") != NULL);
	free(t);
	CHECK_EQ(ctl_render_table(stdout, NULL), -EINVAL);
}

static void test_halt(void)
{
	int rc;
	char *t = render(ctl_render_halt,
	                 "{\"reason\":\"NdisHaltDeviceSurpriseRemoved\",\"from_state\":\"Running\","
	                 "\"final_state\":\"Halted\",\"stages\":["
	                 "{\"name\":\"reject-new-work\",\"result\":\"ok\",\"start_ns\":1000,\"end_ns\":501000,\"detail\":\"\"},"
	                 "{\"name\":\"stop-rx-tx\",\"result\":\"skipped\",\"start_ns\":501000,\"end_ns\":501000,"
	                 "\"detail\":\"device removed\"},"
	                 "{\"name\":\"await-rx-returns\",\"result\":\"timeout\",\"start_ns\":600000,"
	                 "\"end_ns\":2100600000,\"detail\":\"2 buffers\"},"
	                 "{\"name\":\"free-dma\",\"result\":\"ok\"}],"
	                 "\"ledger\":{\"acquired\":12,\"released\":11,\"outstanding\":1,"
	                 "\"entries\":[{\"kind\":\"fd\",\"released\":true}]},"
	                 "\"dma_faults\":0,\"isr_after_deregister\":0,\"dpc_after_drain\":0,"
	                 "\"callbacks_after_halted\":0,\"rx_buffers_outstanding\":2,"
	                 "\"mmio_after_removal\":0,\"total_ns\":2100599000,\"extra\":{\"note\":\"hi\"}}",
	                 &rc);

	REQUIRE(t);
	CHECK_EQ(rc, 0);
	CHECK(has_row(t, "Halt reason:", "surprise-removed (NdisHaltDeviceSurpriseRemoved)"));
	CHECK(has_row(t, "State:", "Running -> Halted"));
	CHECK(has_row(t, "Total:", "2100.599 ms"));
	CHECK(strstr(t, "STAGE") && strstr(t, "RESULT") && strstr(t, "MS") && strstr(t, "DETAIL"));
	CHECK(has_row(t, "reject-new-work", "ok          0.500"));
	CHECK(has_row(t, "stop-rx-tx", "skipped          0.000  device removed"));
	CHECK(has_row(t, "await-rx-returns", "timeout     2100.000  2 buffers"));
	CHECK(has_row(t, "free-dma", "ok              -"));
	CHECK(has_row(t, "  dma_faults", "0"));
	CHECK(has_row(t, "  isr_after_deregister", "0"));
	CHECK(has_row(t, "  dpc_after_drain", "0"));
	CHECK(has_row(t, "  callbacks_after_halted", "0"));
	CHECK(has_row(t, "  rx_buffers_outstanding", "2"));
	CHECK(has_row(t, "  mmio_after_removal", "0"));
	CHECK(has_row(t, "Ledger:", "acquired 12, released 11, outstanding 1"));
	CHECK(has_row(t, "    ledger.entries[0]", "kind=fd  released=true"));
	CHECK(has_line(t, "Other:"));
	CHECK(has_row(t, "  extra.note", "hi"));
	free(t);

	/* Missing fields render as "-", never crash. */
	t = render(ctl_render_halt, "{\"final_state\":\"Paused\"}", &rc);
	REQUIRE(t);
	CHECK_EQ(rc, 0);
	CHECK(has_row(t, "State:", "- -> Paused"));
	CHECK(has_line(t, "(no stages reported)"));
	CHECK(has_row(t, "  dma_faults", "-"));
	free(t);
}

/* e1kd's status and stats with a TAP bridge (cli/e1kd.c): the offloads in
 * force as one row of words, "none" when there are none; the bridge's
 * counters as tap.* rows. */
static void test_status_offloads(void)
{
	int rc;
	char *t = render(ctl_render_table,
	                 "{\"device\":\"sim:82574l\",\"state\":\"Running\",\"tap\":\"e1k0\","
	                 "\"offloads\":\"csum tso4 tso6 rx-csum\",\"pid\":1}", &rc);

	REQUIRE(t);
	CHECK_EQ(rc, 0);
	CHECK(has_row(t, "tap", "e1k0"));
	CHECK(has_row(t, "offloads", "csum tso4 tso6 rx-csum"));
	free(t);
	t = render(ctl_render_table, "{\"tap\":\"e1k0\",\"offloads\":\"none\"}", &rc);
	REQUIRE(t);
	CHECK(has_row(t, "offloads", "none"));
	free(t);
	t = render(ctl_render_table, "{\"tap\":null,\"offloads\":null}", &rc);
	REQUIRE(t);
	CHECK(has_row(t, "offloads", "null"));
	free(t);
	t = render(ctl_render_table,
	           "{\"tap\":{\"to_nic\":5,\"to_nic_bad_hdr\":1,\"to_nic_unsupported\":2,"
	           "\"to_nic_gso\":3,\"to_host\":40,\"to_host_writes\":4,\"to_host_merged\":38,"
	           "\"offloads\":\"csum rx-csum\"}}", &rc);
	REQUIRE(t);
	CHECK(has_row(t, "tap.to_nic_bad_hdr", "1"));
	CHECK(has_row(t, "tap.to_nic_unsupported", "2"));
	CHECK(has_row(t, "tap.to_nic_gso", "3"));
	CHECK(has_row(t, "tap.to_host_writes", "4"));
	CHECK(has_row(t, "tap.to_host_merged", "38"));
	CHECK(has_row(t, "tap.offloads", "csum rx-csum"));
	free(t);
}

/* Issue 17: rows, key paths and time bounded (a hostile peer's response). */
static void test_limits(void)
{
	const char *json = "{\"aaaaaaaaaaaa\":{\"bbbbbbbbbbbb\":1},\"c\":2,\"d\":3,\"e\":4}";
	struct ctl_render_limits lim = { .max_rows = 2, .max_key = 16 };
	struct jr_node *root = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	REQUIRE(jr_parse(json, strlen(json), &root, NULL) == 0);
	f = open_memstream(&out, &len);
	REQUIRE(f);
	CHECK_EQ(ctl_render_table_lim(f, root, &lim), 0);
	fclose(f);
	CHECK(has_row(out, "aaaaaaaaaaaa....", "1"));   /* 16 bytes, cut marked */
	CHECK(has_row(out, "c", "2"));
	CHECK(!strstr(out, "\nd "));
	CHECK(has_line(out, "(cut: more than 2 rows)"));
	free(out);
	out = NULL;
	/* a deadline already past: -ETIMEDOUT, nothing rendered, for both */
	lim.deadline_ns = 1;
	f = open_memstream(&out, &len);
	REQUIRE(f);
	CHECK_EQ(ctl_render_table_lim(f, root, &lim), -ETIMEDOUT);
	CHECK_EQ(ctl_render_halt_lim(f, root, &lim), -ETIMEDOUT);
	fclose(f);
	free(out);
	jr_free(root);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_table),
		TL_CASE(test_halt),
		TL_CASE(test_status_offloads),
		TL_CASE(test_limits),
	};

	return tl_run(cases, TL_N(cases));
}
