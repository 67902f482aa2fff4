/* SPDX-License-Identifier: MIT */
/*
 * e1kctl - control tool for the e1kd userspace e1000 driver.
 *
 * Validates the command locally (so a typo never reaches the driver), sends one
 * request line over the control socket (ctl_proto.h), and prints the response:
 * the JSON as received with --json, a table otherwise -- in both cases with
 * every byte outside printable ASCII replaced (ctl_safe_text), so a hostile
 * or broken peer cannot drive the terminal.  Exit status:
 *   0 success, 1 internal error, 2 usage error, 3 no driver answers,
 *   4 the driver refused, or a halt did not reach Halted.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl_client.h"
#include "ctl_proto.h"
#include "ctl_render.h"
#include "json_read.h"
#include "reasons.h"

#ifndef E1K_VERSION
#define E1K_VERSION "unknown"
#endif

#define DEFAULT_CTL "/run/e1kd/e1kd.sock"
#define MTU_MIN 68      /* the IPv4 minimum; e1kd refuses less */
#define MTU_MAX 1500    /* e1kd's 2 KiB receive buffers: no jumbo frames */
#define MAX_TIMEOUT_MS 3600000u

enum {
	EXIT_OK = 0,
	EXIT_INTERNAL = 1,
	EXIT_USAGE = 2,
	EXIT_NO_DRIVER = 3,
	EXIT_REFUSED = 4,
};

static const char help_text[] =
"Usage: e1kctl [--ctl PATH] [--json] [--timeout MS] COMMAND [ARG ...]\n"
"\n"
"Control a running e1kd (userspace e1000/e1000e driver) over its control socket.\n"
"\n"
"Commands:\n"
"  status                  adapter state, device, link, queues\n"
"  stats                   packet, byte, error and interrupt counters\n"
"  pause                   pause the adapter (Running -> Pausing -> Paused)\n"
"  restart                 restart a paused adapter (Paused -> Restarting -> Running)\n"
"  shutdown                put the device in its initial state (reset, no DMA)\n"
"                          without freeing anything (NDIS MiniportShutdownEx);\n"
"                          only halt is possible afterwards\n"
"  halt --reason R         staged halt; prints the halt report. R is one of (either\n"
"                          spelling, any case):\n"
"                            disabled                NdisHaltDeviceDisabled\n"
"                            instance-deinitialized  NdisHaltDeviceInstanceDeInitialized\n"
"                            powered-down            NdisHaltDevicePoweredDown\n"
"                            surprise-removed        NdisHaltDeviceSurpriseRemoved\n"
"                            failed                  NdisHaltDeviceFailed\n"
"                            initialization-failed   NdisHaltDeviceInitializationFailed\n"
"                            stopped                 NdisHaltDeviceStopped\n"
"  filter add MAC          add a unicast receive address (MAC as aa:bb:cc:dd:ee:ff)\n"
"  filter del MAC          remove a unicast receive address\n"
"  filter list             list the receive address filters\n"
"  mcast add MAC           add a multicast address to the multicast table\n"
"  mcast del MAC           remove a multicast address\n"
"  promisc on|off          promiscuous receive on or off\n"
"  mtu N                   set the MTU (68..1500)\n"
"  fault NAME [on|off]     inject (on, the default) or clear a fault.  On a sim\n"
"                          device NAME is surprise-remove, remove-request, hang,\n"
"                          storm, link-down, corrupt-wb, hostile or stuck-filters;\n"
"                          on a VFIO device only surprise-remove (on, and it\n"
"                          cannot be cleared): memory decoding is turned off in\n"
"                          the PCI command register, the registers read all\n"
"                          ones and e1kd halts as surprise-removed\n"
"\n"
"Options:\n"
"  --ctl PATH              control socket (default: $E1KD_CTL, else " DEFAULT_CTL ")\n"
"  --json                  print the driver's JSON response as received\n"
"  --timeout MS            give up after MS milliseconds (default 30000)\n"
"  -h, --help              show this help and exit\n"
"  --version               show the version and exit\n"
"\n"
"Environment:\n"
"  E1KD_CTL                control socket path when --ctl is not given\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  internal error (out of memory)\n"
"  2  usage error (bad command, option or argument)\n"
"  3  no driver answers (no socket, nobody listening, timeout, no valid response)\n"
"  4  the driver refused the request (or access was denied), or a halt did not\n"
"     reach the Halted state\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("e1kctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'e1kctl --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* "aa:bb:cc:dd:ee:ff" or with '-': out gets the lower-case ':' form. */
static bool parse_mac(const char *s, char out[18], unsigned char bytes[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		char hex[3] = { p[0], p[1], 0 };

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return false;
		if (i < 5 && p[2] != ':' && p[2] != '-')
			return false;
		if (i < 5 && p[2] != s[2])
			return false;   /* one separator style */
		bytes[i] = (unsigned char)strtoul(hex, NULL, 16);
	}
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
	         bytes[3], bytes[4], bytes[5]);
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v <= max;
}

static bool parse_onoff(const char *s, bool *on)
{
	if (!s)
		return false;
	if (!strcasecmp(s, "on")) {
		*on = true;
		return true;
	}
	if (!strcasecmp(s, "off")) {
		*on = false;
		return true;
	}
	return false;
}

static bool valid_fault_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

struct cmd {
	bool is_halt;
	char line[CTL_MAX_LINE];
};

/* Turn the command words into a request line; EXIT_OK or a usage error. */
static int build_request(int argc, char **argv, const char *reason, struct cmd *c)
{
	const char *cmd = argv[0];
	const char *tok[4];
	int ntok = 0;
	char mac[18], num[24];
	unsigned char b[6];
	unsigned long v;
	bool on;

	if (reason && strcasecmp(cmd, "halt"))
		return usage_error("--reason is only valid with halt");
#define NARGS(n, usage) \
	do { if (argc != (n) + 1) return usage_error("usage: e1kctl " usage); } while (0)

	if (!strcasecmp(cmd, "status")) {
		NARGS(0, "status");
		tok[ntok++] = "STATUS";
	} else if (!strcasecmp(cmd, "stats")) {
		NARGS(0, "stats");
		tok[ntok++] = "STATS";
	} else if (!strcasecmp(cmd, "pause")) {
		NARGS(0, "pause");
		tok[ntok++] = "PAUSE";
	} else if (!strcasecmp(cmd, "restart")) {
		NARGS(0, "restart");
		tok[ntok++] = "RESTART";
	} else if (!strcasecmp(cmd, "shutdown")) {
		NARGS(0, "shutdown");
		tok[ntok++] = "SHUTDOWN";
	} else if (!strcasecmp(cmd, "halt")) {
		int r;

		NARGS(0, "halt --reason R");
		if (!reason)
			return usage_error("halt needs --reason R (for example: halt --reason stopped)");
		r = e1k_halt_reason_parse(reason);
		if (r < 0)
			return usage_error("unknown halt reason '%s' (see e1kctl --help)", reason);
		tok[ntok++] = "HALT";
		tok[ntok++] = e1k_halt_reason_name(r);
		c->is_halt = true;
	} else if (!strcasecmp(cmd, "filter") || !strcasecmp(cmd, "mcast")) {
		bool mcast = !strcasecmp(cmd, "mcast");
		const char *sub = argc > 1 ? argv[1] : "";

		if (!mcast && !strcasecmp(sub, "list")) {
			NARGS(1, "filter list");
			tok[ntok++] = "FILTER";
			tok[ntok++] = "LIST";
		} else if (!strcasecmp(sub, "add") || !strcasecmp(sub, "del")) {
			if (argc != 3)
				return usage_error("usage: e1kctl %s %s MAC", mcast ? "mcast" : "filter", sub);
			if (!parse_mac(argv[2], mac, b))
				return usage_error("bad MAC address '%s' (expected aa:bb:cc:dd:ee:ff)", argv[2]);
			/* Bit 0 of the first octet is the group bit (IEEE 802). */
			if (mcast && !(b[0] & 1))
				return usage_error("%s is not a multicast address (use filter for unicast)", mac);
			if (!mcast && (b[0] & 1))
				return usage_error("%s is a multicast address (use mcast for multicast)", mac);
			if (!mcast && !memcmp(b, "\0\0\0\0\0\0", 6))
				return usage_error("00:00:00:00:00:00 is not a usable address");
			tok[ntok++] = mcast ? "MCAST" : "FILTER";
			tok[ntok++] = !strcasecmp(sub, "add") ? "ADD" : "DEL";
			tok[ntok++] = mac;
		} else {
			return usage_error(mcast ? "usage: e1kctl mcast add|del MAC"
			                         : "usage: e1kctl filter add|del MAC | filter list");
		}
	} else if (!strcasecmp(cmd, "promisc")) {
		NARGS(1, "promisc on|off");
		if (!parse_onoff(argv[1], &on))
			return usage_error("promisc takes on or off, not '%s'", argv[1]);
		tok[ntok++] = "PROMISC";
		tok[ntok++] = on ? "ON" : "OFF";
	} else if (!strcasecmp(cmd, "mtu")) {
		NARGS(1, "mtu N");
		if (!parse_uint(argv[1], MTU_MAX, &v) || v < MTU_MIN)
			return usage_error("bad MTU '%s' (expected a number from %d to %d)", argv[1],
			                   MTU_MIN, MTU_MAX);
		snprintf(num, sizeof(num), "%lu", v);
		tok[ntok++] = "MTU";
		tok[ntok++] = num;
	} else if (!strcasecmp(cmd, "fault")) {
		if (argc != 2 && argc != 3)
			return usage_error("usage: e1kctl fault NAME [on|off]");
		if (!valid_fault_name(argv[1]))
			return usage_error("bad fault name '%s' (letters, digits, '-' and '_')", argv[1]);
		on = true;
		if (argc == 3 && !parse_onoff(argv[2], &on))
			return usage_error("fault takes on or off, not '%s'", argv[2]);
		tok[ntok++] = "FAULT";
		tok[ntok++] = argv[1];
		tok[ntok++] = on ? "on" : "off";
	} else {
		return usage_error("unknown command '%s'", cmd);
	}
#undef NARGS
	if (ctl_format_request(c->line, sizeof(c->line), tok[0], ntok - 1, tok + 1) < 0)
		return usage_error("argument too long or not printable");
	return EXIT_OK;
}

static int report_call_error(int rc, const char *path, unsigned timeout_ms)
{
	switch (-rc) {
	case ENOENT:
	case ECONNREFUSED:
		fprintf(stderr, "e1kctl: no driver is listening on %s (is e1kd running?)\n", path);
		return EXIT_NO_DRIVER;
	case ETIMEDOUT:
		fprintf(stderr, "e1kctl: no answer from the driver on %s within %u ms\n", path,
		        timeout_ms);
		return EXIT_NO_DRIVER;
	case EACCES:
	case EPERM:
		fprintf(stderr, "e1kctl: permission denied on %s (run as the user e1kd runs as)\n",
		        path);
		return EXIT_REFUSED;
	case ECONNRESET:
	case EPROTO:
		fprintf(stderr, "e1kctl: the driver on %s closed the connection without answering\n",
		        path);
		return EXIT_NO_DRIVER;
	case EMSGSIZE:
		fprintf(stderr, "e1kctl: the driver's response is too large\n");
		return EXIT_NO_DRIVER;
	case ENAMETOOLONG:
		return usage_error("control socket path too long: %s", path);
	case ENOMEM:
		fprintf(stderr, "e1kctl: out of memory\n");
		return EXIT_INTERNAL;
	default:
		fprintf(stderr, "e1kctl: cannot reach the driver on %s: %s\n", path, strerror(-rc));
		return EXIT_NO_DRIVER;
	}
}

/* Render the response (a halt report or a table) into memory, make it safe for
 * a terminal (ctl_safe_text, newlines kept), then write it out.  The renderer
 * already replaces C0 controls in strings; this also catches C1 controls and
 * anything else outside printable ASCII, wherever it sits in the output. */
static int render_safe(FILE *f, const struct jr_node *root, bool is_halt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m)
		return EXIT_INTERNAL;
	rc = is_halt ? ctl_render_halt(m, root) : ctl_render_table(m, root);
	if (fclose(m) != 0 || rc != 0) {
		free(buf);
		return EXIT_INTERNAL;
	}
	ctl_safe_text(buf, len, true);
	fwrite(buf, 1, len, f);
	free(buf);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *ctl = NULL, *reason = NULL;
	bool json = false, help = false, version = false, opts_done = false;
	unsigned long timeout_ms = CTL_CLIENT_DEFAULT_TIMEOUT_MS;
	char **words = calloc((size_t)argc + 1, sizeof(*words));
	int nwords = 0, ex;
	struct cmd c = { 0 };
	struct ctl_response r;
	struct jr_node *root = NULL;
	char *resp = NULL;

	if (!words) {
		fprintf(stderr, "e1kctl: out of memory\n");
		return EXIT_INTERNAL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		bool has_val;

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			words[nwords++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = true;
			continue;
		}
		if (!strcmp(a, "--version")) {
			version = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		/* Options with a value: "--opt VALUE" or "--opt=VALUE". */
		has_val = !strncmp(a, "--ctl", 5) || !strncmp(a, "--timeout", 9) ||
		          !strncmp(a, "--reason", 8);
		if (has_val) {
			const char *eq = strchr(a, '=');
			size_t nlen = eq ? (size_t)(eq - a) : strlen(a);

			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			if (nlen == 5 && !strncmp(a, "--ctl", 5)) {
				if (!val || !*val) {
					ex = usage_error("--ctl needs a PATH");
					goto out;
				}
				ctl = val;
				continue;
			}
			if (nlen == 9 && !strncmp(a, "--timeout", 9)) {
				if (!val || !parse_uint(val, MAX_TIMEOUT_MS, &timeout_ms) || !timeout_ms) {
					ex = usage_error("--timeout needs milliseconds (1..%u)", MAX_TIMEOUT_MS);
					goto out;
				}
				continue;
			}
			if (nlen == 8 && !strncmp(a, "--reason", 8)) {
				if (!val || !*val) {
					ex = usage_error("--reason needs a halt reason");
					goto out;
				}
				reason = val;
				continue;
			}
		}
		ex = usage_error("unknown option '%s'", a);
		goto out;
	}
	if (help) {
		fputs(help_text, stdout);
		ex = EXIT_OK;
		goto out;
	}
	if (version) {
		printf("e1kctl %s\n", E1K_VERSION);
		ex = EXIT_OK;
		goto out;
	}
	if (nwords == 0) {
		ex = usage_error("no command given");
		goto out;
	}
	ex = build_request(nwords, words, reason, &c);
	if (ex != EXIT_OK)
		goto out;
	if (!ctl) {
		const char *env = getenv("E1KD_CTL");

		ctl = env && *env ? env : DEFAULT_CTL;
	}

	ex = ctl_client_call(ctl, c.line, (unsigned)timeout_ms, &resp);
	if (ex < 0) {
		ex = report_call_error(ex, ctl, (unsigned)timeout_ms);
		goto out;
	}
	if (ctl_parse_response(resp, strlen(resp), &r) != 0) {
		fprintf(stderr, "e1kctl: the driver on %s sent a malformed response\n", ctl);
		ex = EXIT_NO_DRIVER;
		goto out;
	}
	/* From here on everything printed that came from the socket -- the error
	 * code and message, the JSON, the rendered table -- goes through
	 * ctl_safe_text first: whatever answers on the socket must not be able
	 * to drive the terminal (escape sequences, C1 controls, NUL, DEL). */
	if (!r.ok) {
		ctl_safe_text(r.msg, strlen(r.msg), false);
		ctl_safe_text(r.code, strlen(r.code), false);
		fprintf(stderr, "e1kctl: the driver refused: %s (%s)\n", r.msg, r.code);
		ex = EXIT_REFUSED;
		goto out;
	}
	if (jr_parse(r.json, r.json_len, &root, NULL) != 0) {
		fprintf(stderr, "e1kctl: the driver on %s sent a malformed response\n", ctl);
		ex = EXIT_NO_DRIVER;
		goto out;
	}
	if (json) {
		/* r.json points into resp, which is ours to change. */
		char *j = resp + (r.json - resp);

		ctl_safe_text(j, r.json_len, false);
		fwrite(j, 1, r.json_len, stdout);
		fputc('\n', stdout);
		ex = EXIT_OK;
	} else {
		ex = render_safe(stdout, root, c.is_halt);
		if (ex != EXIT_OK)
			fprintf(stderr, "e1kctl: out of memory\n");
	}
	if (ex == EXIT_OK && c.is_halt) {
		const char *fs = jr_get_str(root, "final_state");

		if (!fs || strcmp(fs, "Halted") != 0) {
			char state[64];

			snprintf(state, sizeof(state), "%s", fs ? fs : "not reported");
			ctl_safe_text(state, strlen(state), false);
			fprintf(stderr, "e1kctl: the halt did not complete: final state is %s\n", state);
			ex = EXIT_REFUSED;
		}
	}
	if (fflush(stdout) != 0 && ex == EXIT_OK) {
		fprintf(stderr, "e1kctl: cannot write the output: %s\n", strerror(errno));
		ex = EXIT_INTERNAL;
	}
out:
	jr_free(root);
	free(resp);
	free(words);
	return ex;
}
