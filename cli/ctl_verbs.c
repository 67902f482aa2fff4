/* SPDX-License-Identifier: MIT */
#include "ctl_verbs.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define V(id, wire, sub, wargs, wmin, wmax, cli, cargs, cmin, cmax, help, more, flags) \
	{ CTL_VERB_##id, wire, sub, wargs, wmin, wmax, cli, cargs, cmin, cmax, help, more, flags }

const struct ctl_verb ctl_verbs[] = {
	V(STATUS, "STATUS", NULL, "", 0, 0, "status", "", 0, 0,
	  "adapter state, device, link, queues", NULL, 0),
	/* --watch is e1kctl's own: it sends STATS every SECONDS. */
	V(STATS, "STATS", NULL, "", 0, 0, "stats", "[--watch [SECONDS]]", 0, 0,
	  "packet, byte, error and interrupt counters",
	  "--watch: rates (packets/s, bit/s, drops/s, interrupts/s)\n"
	  "every SECONDS (default 1, 0.1..3600): one screen\n"
	  "redrawn on a terminal, one line per sample otherwise;\n"
	  "until SIGINT (exit 0) or e1kd goes away (exit 3)", 0),
	V(PAUSE, "PAUSE", NULL, "", 0, 0, "pause", "", 0, 0,
	  "pause the adapter (Running -> Pausing -> Paused)", NULL, 0),
	V(RESTART, "RESTART", NULL, "", 0, 0, "restart", "", 0, 0,
	  "restart a paused adapter (Paused -> Restarting -> Running)", NULL, 0),
	V(SHUTDOWN, "SHUTDOWN", NULL, "", 0, 0, "shutdown", "", 0, 0,
	  "put the device in its initial state (reset, no DMA)",
	  "without freeing anything (NDIS MiniportShutdownEx);\n"
	  "only halt is possible afterwards", 0),
	/* e1kctl takes the reason as an option, so it can check it first. */
	V(HALT, "HALT", NULL, "REASON", 1, 1, "halt", "--reason R", 0, 0,
	  "staged halt; prints the halt report. R is one of (either",
	  "spelling, any case):", CTL_VERB_WHILE_HALTED),
	V(FILTER, "FILTER", "ADD", "MAC", 2, 2, "filter add", "MAC", 1, 1,
	  "add a unicast receive address (MAC as aa:bb:cc:dd:ee:ff)", NULL, 0),
	V(FILTER, "FILTER", "DEL", "MAC", 2, 2, "filter del", "MAC", 1, 1,
	  "remove a unicast receive address", NULL, 0),
	V(FILTER, "FILTER", "LIST", "", 1, 1, "filter list", "", 0, 0,
	  "list the receive address filters", NULL, 0),
	V(MCAST, "MCAST", "ADD", "MAC", 2, 2, "mcast add", "MAC", 1, 1,
	  "add a multicast address to the multicast table", NULL, 0),
	V(MCAST, "MCAST", "DEL", "MAC", 2, 2, "mcast del", "MAC", 1, 1,
	  "remove a multicast address", NULL, 0),
	V(PROMISC, "PROMISC", NULL, "ON|OFF", 1, 1, "promisc", "on|off", 1, 1,
	  "promiscuous receive on or off", NULL, 0),
	V(MTU, "MTU", NULL, "N", 1, 1, "mtu", "N", 1, 1,
	  "set the MTU (68 to the part's limit: 16110 on an 82540EM,",
	  "9216 on an 82574L); the TAP follows", CTL_VERB_NEEDS_DEVICE),
	V(FAULT, "FAULT", NULL, "NAME [ON|OFF]", 1, 2, "fault", "NAME [on|off]", 1, 2,
	  "inject (on, the default) or clear a fault.  On a sim",
	  "device NAME is surprise-remove, remove-request, hang,\n"
	  "storm, link-down, corrupt-wb, hostile, stuck-filters,\n"
	  "or one for each self-test: stuck-bit (a bit of FCTTV\n"
	  "reads 0), bad-eeprom (checksum word off by one bit),\n"
	  "lost-irq (causes set through ICS signal nothing) or\n"
	  "corrupt-loopback (looped-back frames lose a byte);\n"
	  "on a VFIO device only surprise-remove (on, and it\n"
	  "cannot be cleared): memory decoding is turned off in\n"
	  "the PCI command register, the registers read all\n"
	  "ones and e1kd halts as surprise-removed", CTL_VERB_NEEDS_DEVICE),
	V(DUMP, "DUMP", "REGS", "", 1, 1, "dump regs", "", 0, 0,
	  "the device's registers, named, with their bits decoded",
	  "(ethtool -d); ICR and the statistics are not read:\n"
	  "reading clears them", CTL_VERB_NEEDS_DEVICE),
	V(DUMP, "DUMP", "EEPROM", "", 1, 1, "dump eeprom", "", 0, 0,
	  "EEPROM words 0x00-0x3f and whether their sum is 0xBABA",
	  "(ethtool -e)", CTL_VERB_NEEDS_DEVICE),
	V(SELFTEST, "SELFTEST", NULL, "[OFFLINE]", 0, 1, "selftest", "[--offline]", 0, 0,
	  "self-test (ethtool -t): registers and EEPROM checksum;",
	  "--offline pauses the adapter and adds the interrupt\n"
	  "and loopback (PHY; MAC too on an 82574L) tests, then\n"
	  "restores and restarts it;\n"
	  "exit 4 when a test fails", CTL_VERB_NEEDS_DEVICE),
	/* e1kctl's options become the wire's three arguments; the records
	 * that follow OK are capture_proto.h's. */
	V(CAPTURE, "CAPTURE", NULL, "RX|TX|BOTH COUNT SNAPLEN", 3, 3, "capture",
	  "[--count N] [--rx|--tx] [--snaplen N] -w FILE", 0, 0,
	  "write a pcap of the frames at the driver's edge to FILE",
	  "(received as harvested, sent as handed over); --count N\n"
	  "stops after N frames (default: SIGINT/SIGTERM), --rx or\n"
	  "--tx one direction, --snaplen N bytes kept per frame\n"
	  "(1..65535, default 65535).  Bounded: frames the reader\n"
	  "cannot keep up with are dropped and counted, never held\n"
	  "up.  One capture at a time; ends cleanly at a halt", 0),
};
#undef V

const size_t ctl_nverbs = sizeof(ctl_verbs) / sizeof(ctl_verbs[0]);

const struct ctl_verb *ctl_verb_by_wire(const char *verb)
{
	for (size_t i = 0; i < ctl_nverbs; i++)
		if (!strcasecmp(ctl_verbs[i].wire, verb))
			return &ctl_verbs[i];
	return NULL;
}

const struct ctl_verb *ctl_verb_first(enum ctl_verb_id id)
{
	for (size_t i = 0; i < ctl_nverbs; i++)
		if (ctl_verbs[i].id == id)
			return &ctl_verbs[i];
	return NULL;
}

const struct ctl_verb *ctl_verb_match(const struct ctl_request *req)
{
	for (size_t i = 0; i < ctl_nverbs; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];

		if (strcasecmp(v->wire, req->verb) != 0)
			continue;
		if (v->sub && !ctl_arg_is(req, 0, v->sub))
			continue;
		if (req->argc >= v->wire_min && req->argc <= v->wire_max)
			return v;
	}
	return NULL;
}

/* Length of the spelling's first word. */
static size_t head_len(const char *spelling)
{
	return strcspn(spelling, " ");
}

const struct ctl_verb *ctl_verb_match_cli(int nwords, char *const *words,
                                          const struct ctl_verb **cmd, int *nspell)
{
	*cmd = NULL;
	*nspell = 0;
	if (nwords < 1)
		return NULL;
	for (size_t i = 0; i < ctl_nverbs; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];
		size_t n = head_len(v->cli);

		if (strlen(words[0]) != n || strncasecmp(v->cli, words[0], n) != 0)
			continue;
		if (!*cmd)
			*cmd = v;
		if (!v->cli[n]) {
			*nspell = 1;
			return v;
		}
		if (nwords >= 2 && !strcasecmp(v->cli + n + 1, words[1])) {
			*nspell = 2;
			return v;
		}
	}
	return NULL;
}

/* Append to buf at *at, never past len (snprintf's accounting). */
static void put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at < len) {
		size_t room = len - *at - 1;

		memcpy(buf + *at, s, n < room ? n : room);
		buf[*at + (n < room ? n : room)] = '\0';
	}
	*at += n;
}

int ctl_verb_usage(enum ctl_verb_id id, bool cli, char *buf, size_t len)
{
	size_t at = 0, i = 0;

	if (len)
		buf[0] = '\0';
	while (i < ctl_nverbs) {
		const struct ctl_verb *v = &ctl_verbs[i], *w;
		const char *args = cli ? v->cli_args : v->wire_args;
		size_t j = i + 1;

		if (v->id != id) {
			i++;
			continue;
		}
		if (at)
			put(buf, len, &at, " | ", 3);
		if (cli)
			put(buf, len, &at, v->cli, v->sub ? head_len(v->cli) : strlen(v->cli));
		else
			put(buf, len, &at, v->wire, strlen(v->wire));
		/* Forms with a keyword and the same arguments fold: ADD|DEL MAC. */
		if (v->sub) {
			for (;; j++) {
				w = &ctl_verbs[j - 1];
				put(buf, len, &at, j - 1 == i ? " " : "|", 1);
				if (cli)
					put(buf, len, &at, w->cli + head_len(w->cli) + 1,
					    strlen(w->cli + head_len(w->cli) + 1));
				else
					put(buf, len, &at, w->sub, strlen(w->sub));
				if (j >= ctl_nverbs || ctl_verbs[j].id != id || !ctl_verbs[j].sub ||
				    strcmp(cli ? ctl_verbs[j].cli_args : ctl_verbs[j].wire_args, args))
					break;
			}
		}
		if (*args) {
			put(buf, len, &at, " ", 1);
			put(buf, len, &at, args, strlen(args));
		}
		i = j;
	}
	return (int)at;
}
