/* SPDX-License-Identifier: MIT */
/*
 * e1kctl - control tool for the e1kd userspace e1000 driver.
 *
 * Validates the command locally (so a typo never reaches the driver), sends one
 * request line over the control socket (ctl_proto.h), and prints the response:
 * the JSON as received with --json, a table otherwise -- in both cases with
 * every byte outside printable ASCII replaced (ctl_safe_text), so a hostile
 * or broken peer cannot drive the terminal.  Before sending anything it checks
 * who serves the socket (SO_PEERCRED): root or its own uid, else exit 4.
 * What a peer can make it spend is bounded: the response line (CTL_MAX_RESPONSE),
 * the JSON tree (E1KCTL_MAX_NODES values), the rendered rows and key paths
 * (ctl_render.h), and the whole command's time (--timeout: connect, request,
 * response and rendering share one deadline).  Exit status:
 *   0 success, 1 internal error, 2 usage error, 3 no driver answers,
 *   4 the driver refused, the socket is served by another user, a halt did
 *   not reach Halted (report: not clean, or a key absent), or a self-test
 *   failed.
 * stats --watch repeats STATS every SECONDS until SIGINT/SIGTERM (exit 0)
 * or until e1kd goes away (exit 3); --timeout then bounds each sample.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "capture_cmd.h"
#include "clock.h"
#include "ctl_client.h"
#include "ctl_proto.h"
#include "ctl_render.h"
#include "ctl_verbs.h"
#include "json_read.h"
#include "mac.h"
#include "num.h"
#include "reasons.h"
#include "report_cmd.h"

#ifndef E1K_VERSION
#define E1K_VERSION "unknown"
#endif

#define DEFAULT_CTL "/run/e1kd/e1kd.sock"
#define MTU_MIN 68      /* the IPv4 minimum; e1kd refuses less */
#define MTU_MAX 16110   /* the largest any supported part takes (82540EM); e1kd
                         * refuses what its device cannot */
#define MAX_TIMEOUT_MS 3600000u
/* Values in a response's JSON tree: real responses hold a few hundred; each
 * costs a node of ~80 bytes (a 16 MiB "[0,0,...]" once took ~1 GB). */
#define E1KCTL_MAX_NODES 65536
#define WATCH_DEFAULT_MS 1000u
#define WATCH_MIN_MS 100u
#define WATCH_MAX_MS 3600000u

enum {
	EXIT_OK = 0,
	EXIT_INTERNAL = 1,
	EXIT_USAGE = 2,
	EXIT_NO_DRIVER = 3,
	EXIT_REFUSED = 4,
};

static const char help_head[] =
"Usage: e1kctl [--ctl PATH] [--json] [--timeout MS] COMMAND [ARG ...]\n"
"\n"
"Control a running e1kd (userspace e1000/e1000e driver) over its control socket.\n"
"\n"
"Commands:\n";

static const char help_tail[] =
"\n"
"Without a driver (reading files e1kd wrote; no options before \"report\"):\n"
"  report check FILE|- [--reason R]\n"
"                          check a halt report (e1kd --report, e1kctl --json\n"
"                          halt) against the halt contract; one line per problem\n"
"                          on stderr, exit 4 if not clean\n"
"  report get FILE|- KEY...\n"
"                          print the value of each dotted KEY of a JSON document\n"
"                          (rx.packets, ledger.outstanding, stages.free-dma.result),\n"
"                          one per line; \"null\" and exit 4 for an absent key\n"
"\n"
"Options:\n"
"  --ctl PATH              control socket (default: $E1KD_CTL, else " DEFAULT_CTL ")\n"
"  --json                  print the driver's JSON response as received\n"
"  --timeout MS            give up after MS milliseconds, the whole command\n"
"                          (default 30000; with stats --watch, each sample)\n"
"  -h, --help              show this help and exit\n"
"  --version               show the version and exit\n"
"\n"
"Environment:\n"
"  E1KD_CTL                control socket path when --ctl is not given\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  internal error (out of memory), or capture cannot write its FILE\n"
"  2  usage error (bad command, option or argument; report: a FILE that cannot\n"
"     be read or is not JSON)\n"
"  3  no driver answers (no socket, nobody listening, timeout, no valid response)\n"
"  4  the driver refused the request (or access was denied), the socket is\n"
"     served by a user other than root or you (nothing was sent to it), or a\n"
"     halt did not reach the Halted state, or a selftest test failed;\n"
"     report check: the report is not clean; report get: a KEY is absent\n";

#define HELP_COL 26   /* where a command's description starts */

/* Help lines after the first are indented to the description column. */
static void print_more(FILE *f, const char *more)
{
	while (*more) {
		size_t n = strcspn(more, "\n");

		fprintf(f, "%*s%.*s\n", HELP_COL, "", (int)n, more);
		more += n + (more[n] == '\n');
	}
}

/* The commands part comes from the verb table (ctl_verbs.c). */
static void print_help(FILE *f)
{
	fputs(help_head, f);
	for (size_t i = 0; i < ctl_nverbs; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];
		char form[64];

		snprintf(form, sizeof(form), "%s%s%s", v->cli, *v->cli_args ? " " : "", v->cli_args);
		/* A long form keeps two spaces before its description. */
		fprintf(f, "  %-*s%s%s\n", HELP_COL - 2, form,
		        strlen(form) >= HELP_COL - 2 ? "  " : "", v->help);
		if (v->more)
			print_more(f, v->more);
		if (v->id == CTL_VERB_HALT)
			for (int r = 0; r < E1K_HALT_NREASONS; r++)
				fprintf(f, "%*s  %-22s  %s\n", HELP_COL, "", e1k_halt_reason_names[r],
				        e1k_halt_reason_ndis_names[r]);
	}
	fputs(help_tail, f);
}

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

/* Why e1k_num_parse() refused s, for a message. */
static const char *num_why(int rc)
{
	return rc == -ERANGE ? "out of range" : "not a plain decimal number";
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
	bool offline;                /* selftest --offline */
	/* capture: --rx/--tx, --count N, --snaplen N, -w FILE (NULL: not given) */
	bool cap_rx, cap_tx;
	const char *cap_count, *cap_snaplen, *cap_file;
	uint64_t cap_n;
	unsigned cap_snap;
	char cap_tok[2][24];
	enum ctl_verb_id id;
	const char *sub;
	const char *tok[5];          /* the request line's tokens, verb first */
	int ntok;
	char mac[E1K_MAC_STRLEN];
	char num[24];
	char line[CTL_MAX_LINE];
};

/*
 * One request builder per verb (ctl_verbs.h): checks the arguments locally,
 * so a typo never reaches the driver, and appends the tokens after the verb
 * and its keyword.  args/nargs: the words after the command's spelling, their
 * count already in the row's range.  EXIT_OK or a usage error.
 */
typedef int (*build_fn)(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                        const char *reason);

static int build_none(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                      const char *reason)
{
	(void)c, (void)v, (void)args, (void)nargs, (void)reason;
	return EXIT_OK;
}

static int build_halt(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                      const char *reason)
{
	int r;

	(void)v, (void)args, (void)nargs;
	if (!reason)
		return usage_error("halt needs --reason R (for example: halt --reason stopped)");
	r = e1k_halt_reason_parse(reason);
	if (r < 0)
		return usage_error("unknown halt reason '%s' (see e1kctl --help)", reason);
	c->tok[c->ntok++] = e1k_halt_reason_name(r);
	c->is_halt = true;
	return EXIT_OK;
}

static int build_mac(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                     const char *reason)
{
	bool mcast = v->id == CTL_VERB_MCAST;
	uint8_t b[6];

	(void)nargs, (void)reason;
	if (!strcmp(v->sub, "LIST"))
		return EXIT_OK;
	if (e1k_mac_parse(args[0], b) < 0)
		return usage_error("bad MAC address '%s' (expected six two-digit hex octets "
		                   "separated by ':' or '-', like aa:bb:cc:dd:ee:ff)", args[0]);
	e1k_mac_format(b, c->mac);
	/* Bit 0 of the first octet is the group bit (IEEE 802). */
	if (mcast && !(b[0] & 1))
		return usage_error("%s is not a multicast address (use filter for unicast)", c->mac);
	if (!mcast && (b[0] & 1))
		return usage_error("%s is a multicast address (use mcast for multicast)", c->mac);
	if (!mcast && !memcmp(b, "\0\0\0\0\0\0", 6))
		return usage_error("00:00:00:00:00:00 is not a usable address");
	c->tok[c->ntok++] = c->mac;
	return EXIT_OK;
}

static int build_promisc(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                         const char *reason)
{
	bool on;

	(void)v, (void)nargs, (void)reason;
	if (!parse_onoff(args[0], &on))
		return usage_error("promisc takes on or off, not '%s'", args[0]);
	c->tok[c->ntok++] = on ? "ON" : "OFF";
	return EXIT_OK;
}

static int build_mtu(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                     const char *reason)
{
	unsigned mtu;
	int rc;

	(void)v, (void)nargs, (void)reason;
	rc = e1k_num_parse_uint(args[0], MTU_MIN, MTU_MAX, &mtu);
	if (rc < 0)
		return usage_error("bad MTU '%s': %s (expected a number from %d to %d)", args[0],
		                   num_why(rc), MTU_MIN, MTU_MAX);
	snprintf(c->num, sizeof(c->num), "%u", mtu);
	c->tok[c->ntok++] = c->num;
	return EXIT_OK;
}

static int build_fault(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                       const char *reason)
{
	bool on = true;

	(void)v, (void)reason;
	if (!valid_fault_name(args[0]))
		return usage_error("bad fault name '%s' (letters, digits, '-' and '_')", args[0]);
	if (nargs == 2 && !parse_onoff(args[1], &on))
		return usage_error("fault takes on or off, not '%s'", args[1]);
	c->tok[c->ntok++] = args[0];
	c->tok[c->ntok++] = on ? "on" : "off";
	return EXIT_OK;
}

static int build_selftest(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                          const char *reason)
{
	(void)v, (void)args, (void)nargs, (void)reason;
	if (c->offline)
		c->tok[c->ntok++] = "OFFLINE";
	return EXIT_OK;
}

static int build_capture(struct cmd *c, const struct ctl_verb *v, char **args, int nargs,
                         const char *reason)
{
	(void)v, (void)args, (void)nargs, (void)reason;
	if (c->cap_rx && c->cap_tx)
		return usage_error("--rx and --tx exclude each other (neither: both directions)");
	if (!c->cap_file || !*c->cap_file)
		return usage_error("capture needs -w FILE (the pcap file to write; - for stdout)");
	c->cap_n = 0;
	c->cap_snap = 65535;
	if (c->cap_count && e1k_num_parse(c->cap_count, 1, UINT32_MAX, &c->cap_n) < 0)
		return usage_error("--count needs a number of frames (1..%u), not '%s'", UINT32_MAX,
		                   c->cap_count);
	if (c->cap_snaplen && e1k_num_parse_uint(c->cap_snaplen, 1, 65535, &c->cap_snap) < 0)
		return usage_error("--snaplen needs bytes per frame (1..65535), not '%s'", c->cap_snaplen);
	c->tok[c->ntok++] = c->cap_rx ? "RX" : c->cap_tx ? "TX" : "BOTH";
	snprintf(c->cap_tok[0], sizeof(c->cap_tok[0]), "%" PRIu64, c->cap_n);
	snprintf(c->cap_tok[1], sizeof(c->cap_tok[1]), "%u", c->cap_snap);
	c->tok[c->ntok++] = c->cap_tok[0];
	c->tok[c->ntok++] = c->cap_tok[1];
	return EXIT_OK;
}

static const struct {
	enum ctl_verb_id id;
	build_fn fn;
} builders[] = {
	{ CTL_VERB_STATUS, build_none },
	{ CTL_VERB_STATS, build_none },
	{ CTL_VERB_PAUSE, build_none },
	{ CTL_VERB_RESTART, build_none },
	{ CTL_VERB_SHUTDOWN, build_none },
	{ CTL_VERB_HALT, build_halt },
	{ CTL_VERB_FILTER, build_mac },
	{ CTL_VERB_MCAST, build_mac },
	{ CTL_VERB_PROMISC, build_promisc },
	{ CTL_VERB_MTU, build_mtu },
	{ CTL_VERB_FAULT, build_fault },
	{ CTL_VERB_DUMP, build_none },
	{ CTL_VERB_SELFTEST, build_selftest },
	{ CTL_VERB_CAPTURE, build_capture },
};

/* Turn the command words into a request line; EXIT_OK or an error exit. */
static int build_request(int nwords, char **words, const char *reason, struct cmd *c)
{
	const struct ctl_verb *v, *cmd, *halt = ctl_verb_first(CTL_VERB_HALT);
	build_fn fn = NULL;
	char usage[256];
	int nspell, nargs, ex;

	if (reason && strcasecmp(words[0], halt->cli))
		return usage_error("--reason is only valid with %s", halt->cli);
	v = ctl_verb_match_cli(nwords, words, &cmd, &nspell);
	if (!cmd)
		return usage_error("unknown command '%s'", words[0]);
	if (!v) {
		/* A command with keywords (filter add|del|list), none of them given. */
		ctl_verb_usage(cmd->id, true, usage, sizeof(usage));
		return usage_error("usage: e1kctl %s", usage);
	}
	nargs = nwords - nspell;
	if (nargs < v->cli_min || nargs > v->cli_max)
		return usage_error("usage: e1kctl %s%s%s", v->cli, *v->cli_args ? " " : "", v->cli_args);
	for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++)
		if (builders[i].id == v->id)
			fn = builders[i].fn;
	if (!fn) {
		/* A verb in ctl_verbs.c that e1kctl cannot send (cli_verbs catches it). */
		fprintf(stderr, "e1kctl: internal error: no request for '%s'\n", v->cli);
		return EXIT_INTERNAL;
	}
	if (c->offline && v->id != CTL_VERB_SELFTEST)
		return usage_error("--offline is only valid with selftest");
	if ((c->cap_rx || c->cap_tx || c->cap_count || c->cap_snaplen || c->cap_file) &&
	    v->id != CTL_VERB_CAPTURE)
		return usage_error("--rx, --tx, --count, --snaplen and -w are only valid with capture");
	c->id = v->id;
	c->sub = v->sub;
	c->ntok = 0;
	c->tok[c->ntok++] = v->wire;
	if (v->sub)
		c->tok[c->ntok++] = v->sub;
	ex = fn(c, v, words + nspell, nargs, reason);
	if (ex != EXIT_OK)
		return ex;
	if (ctl_format_request(c->line, sizeof(c->line), c->tok[0], c->ntok - 1, c->tok + 1) < 0)
		return usage_error("argument too long or not printable");
	return EXIT_OK;
}

static int report_call_error(int rc, const char *path, unsigned timeout_ms,
                             const struct ctl_client_peer *peer)
{
	if (rc == -EPERM) {
		if (peer->known)
			fprintf(stderr, "e1kctl: refusing to talk to %s: it is served by uid %u "
			        "(pid %d), neither root nor you (uid %u); nothing was sent -- "
			        "someone else's program may be answering in e1kd's place\n", path,
			        (unsigned)peer->uid, (int)peer->pid, (unsigned)geteuid());
		else
			fprintf(stderr, "e1kctl: refusing to talk to %s: cannot read who serves "
			        "it (SO_PEERCRED); nothing was sent\n", path);
		return EXIT_REFUSED;
	}
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
static int render_safe(FILE *f, const struct jr_node *root, const struct cmd *c,
                       uint64_t deadline_ns)
{
	struct ctl_render_limits lim = {
		.max_rows = CTL_RENDER_MAX_ROWS, .max_key = CTL_RENDER_MAX_KEY,
		.deadline_ns = deadline_ns,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m)
		return -ENOMEM;
	if (c->is_halt)
		rc = ctl_render_halt_lim(m, root, &lim);
	else if (c->id == CTL_VERB_DUMP && !strcmp(c->sub, "REGS"))
		rc = ctl_render_regs(m, root, &lim);
	else if (c->id == CTL_VERB_DUMP)
		rc = ctl_render_eeprom(m, root, &lim);
	else if (c->id == CTL_VERB_SELFTEST)
		rc = ctl_render_selftest(m, root, &lim);
	else
		rc = ctl_render_table_lim(m, root, &lim);
	if (fclose(m) != 0 && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(buf);
		return rc;
	}
	ctl_safe_text(buf, len, true);
	fwrite(buf, 1, len, f);
	free(buf);
	return 0;
}

/* The command line, options taken out. */
struct opts {
	const char *ctl;             /* NULL: $E1KD_CTL, else DEFAULT_CTL */
	const char *reason;          /* --reason, for halt */
	bool json, help, version, offline;
	bool cap_rx, cap_tx;         /* capture --rx / --tx */
	const char *cap_count, *cap_snaplen, *cap_file;   /* capture --count, --snaplen, -w */
	bool watch;                  /* stats --watch */
	unsigned watch_ms;
	unsigned timeout_ms;
	uint64_t start_ns;           /* the command's start: --timeout counts from here */
	char **words;                /* the command and its arguments */
	int nwords;
};

/* "2", "0.5", "0.25": seconds with up to three decimals, as milliseconds in
 * WATCH_MIN_MS..WATCH_MAX_MS.  0 or -EINVAL. */
static int parse_seconds_ms(const char *s, unsigned *ms)
{
	unsigned long whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned long)(*p - '0');
		if (whole > WATCH_MAX_MS / 1000u)
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale == 1)
				return -EINVAL;   /* finer than a millisecond */
			scale /= 10;
			frac += (unsigned long)(*p - '0') * scale;
		}
	}
	if (*p)
		return -EINVAL;
	whole = whole * 1000u + frac;
	if (whole < WATCH_MIN_MS || whole > WATCH_MAX_MS)
		return -EINVAL;
	*ms = (unsigned)whole;
	return 0;
}

/* Options anywhere on the line ("--" ends them); EXIT_OK or a usage error. */
static int parse_options(int argc, char **argv, struct opts *o)
{
	bool opts_done = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		bool has_val;

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			o->words[o->nwords++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = true;
			continue;
		}
		if (!strcmp(a, "--version")) {
			o->version = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--offline")) {
			o->offline = true;
			continue;
		}
		if (!strcmp(a, "--rx") || !strcmp(a, "--tx")) {
			*(a[2] == 'r' ? &o->cap_rx : &o->cap_tx) = true;
			continue;
		}
		/* capture's options with a value: "-w FILE", "--count N", "--count=N". */
		if (!strcmp(a, "-w") || !strncmp(a, "--count", 7) || !strncmp(a, "--snaplen", 9)) {
			const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
			size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
			const char **dst = !strcmp(a, "-w") ? &o->cap_file :
			                   nlen == 7 && !strncmp(a, "--count", 7) ? &o->cap_count :
			                   nlen == 9 && !strncmp(a, "--snaplen", 9) ? &o->cap_snaplen : NULL;

			if (!dst)
				return usage_error("unknown option '%s'", a);
			if (eq)
				*dst = eq + 1;
			else if (i + 1 < argc)
				*dst = argv[++i];
			else
				return usage_error("%s needs a value", a);
			continue;
		}
		if (!strcmp(a, "--watch") || !strncmp(a, "--watch=", 8)) {
			/* SECONDS is optional: taken when the next word is a number. */
			const char *sec = a[7] == '=' ? a + 8 :
			                  (i + 1 < argc && isdigit((unsigned char)argv[i + 1][0])) ? argv[++i] : NULL;

			o->watch = true;
			o->watch_ms = WATCH_DEFAULT_MS;
			if (sec && parse_seconds_ms(sec, &o->watch_ms) < 0)
				return usage_error("--watch takes SECONDS from 0.1 to 3600 (like 1 or 0.5), "
				                   "not '%s'", sec);
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
				if (!val || !*val)
					return usage_error("--ctl needs a PATH");
				o->ctl = val;
				continue;
			}
			if (nlen == 9 && !strncmp(a, "--timeout", 9)) {
				int rc = val ? e1k_num_parse_uint(val, 1, MAX_TIMEOUT_MS,
				                                  &o->timeout_ms) : -EINVAL;

				if (rc < 0)
					return usage_error("--timeout needs milliseconds (1..%u); '%s' "
					                   "is %s", MAX_TIMEOUT_MS, val ? val : "",
					                   val ? num_why(rc) : "missing");
				continue;
			}
			if (nlen == 8 && !strncmp(a, "--reason", 8)) {
				if (!val || !*val)
					return usage_error("--reason needs a halt reason");
				o->reason = val;
				continue;
			}
		}
		return usage_error("unknown option '%s'", a);
	}
	return EXIT_OK;
}

/* A self-test's result: EXIT_OK only when the driver says every test
 * passed; otherwise the failed tests named on stderr. */
static int selftest_verdict(const struct jr_node *root)
{
	const struct jr_node *p = jr_get(root, "passed"), *tests = jr_get(root, "tests");
	char names[256] = "";
	size_t at = 0;

	if (p && p->type == JR_BOOL && p->b)
		return EXIT_OK;
	for (size_t i = 0; tests && i < tests->n; i++) {
		const struct jr_node *t = jr_at(tests, i);
		const char *res = jr_get_str(t, "result"), *name = jr_get_str(t, "name");

		if (res && name && !strcmp(res, "fail") && at < sizeof(names))
			at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s", at ? ", " : "", name);
	}
	ctl_safe_text(names, strlen(names), false);
	fprintf(stderr, "e1kctl: self-test failed: %s\n", *names ? names : "(no test named)");
	return EXIT_REFUSED;
}

/* A command of the verb table: one request to the driver, its response
 * printed.  The exit status. */
static int run_driver_command(const struct opts *o)
{
	const char *ctl = o->ctl;
	uint64_t deadline = o->start_ns + (uint64_t)o->timeout_ms * 1000000u, now;
	struct ctl_client_peer peer;
	struct jr_error jerr;
	struct cmd c = { 0 };
	struct ctl_response r;
	struct jr_node *root = NULL;
	char *resp = NULL;
	int ex, sfd = -1;

	c.offline = o->offline;
	c.cap_rx = o->cap_rx;
	c.cap_tx = o->cap_tx;
	c.cap_count = o->cap_count;
	c.cap_snaplen = o->cap_snaplen;
	c.cap_file = o->cap_file;
	ex = build_request(o->nwords, o->words, o->reason, &c);
	if (ex != EXIT_OK)
		return ex;
	if (!ctl) {
		const char *env = getenv("E1KD_CTL");

		ctl = env && *env ? env : DEFAULT_CTL;
	}

	/* What is left of --timeout: the call and the rendering share it. */
	now = e1k_now_ns();
	ex = now + 1000000u >= deadline ? -ETIMEDOUT :
	     c.id == CTL_VERB_CAPTURE
	     ? ctl_client_open_peer(ctl, c.line, (unsigned)((deadline - now) / 1000000u), &resp,
	                            &peer, &sfd)
	     : ctl_client_call_peer(ctl, c.line, (unsigned)((deadline - now) / 1000000u), &resp,
	                            &peer);
	if (ex < 0) {
		ex = report_call_error(ex, ctl, o->timeout_ms, &peer);
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
	if (c.id == CTL_VERB_CAPTURE) {
		/* --timeout covered the request; the capture runs until it ends. */
		ex = capture_cmd_run(sfd, c.cap_file, c.cap_snap, c.cap_n);
		sfd = -1;
		goto out;
	}
	ex = jr_parse_max(r.json, r.json_len, E1KCTL_MAX_NODES, &root, &jerr);
	if (ex == -E2BIG) {
		fprintf(stderr, "e1kctl: the driver on %s sent a response too large to show "
		        "(%s; limits: %d values, nesting %d)\n", ctl, jerr.what ? jerr.what : "",
		        E1KCTL_MAX_NODES, JR_MAX_DEPTH);
		ex = EXIT_NO_DRIVER;
		goto out;
	}
	if (ex == -ENOMEM) {
		fprintf(stderr, "e1kctl: out of memory\n");
		ex = EXIT_INTERNAL;
		goto out;
	}
	if (ex != 0) {
		fprintf(stderr, "e1kctl: the driver on %s sent a malformed response\n", ctl);
		ex = EXIT_NO_DRIVER;
		goto out;
	}
	if (o->json) {
		/* r.json points into resp, which is ours to change. */
		char *j = resp + (r.json - resp);

		ctl_safe_text(j, r.json_len, false);
		fwrite(j, 1, r.json_len, stdout);
		fputc('\n', stdout);
		ex = EXIT_OK;
	} else {
		ex = render_safe(stdout, root, &c, deadline);
		if (ex == -ETIMEDOUT) {
			fprintf(stderr, "e1kctl: showing the response took longer than %u ms "
			        "(--timeout)\n", o->timeout_ms);
			ex = EXIT_NO_DRIVER;
		} else if (ex != 0) {
			fprintf(stderr, "e1kctl: out of memory\n");
			ex = EXIT_INTERNAL;
		}
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
	if (ex == EXIT_OK && c.id == CTL_VERB_SELFTEST)
		ex = selftest_verdict(root);
	if (fflush(stdout) != 0 && ex == EXIT_OK) {
		fprintf(stderr, "e1kctl: cannot write the output: %s\n", strerror(errno));
		ex = EXIT_INTERNAL;
	}
out:
	if (sfd >= 0)
		close(sfd);
	jr_free(root);
	free(resp);
	return ex;
}

/* ---- stats --watch ---- */

static volatile sig_atomic_t watch_stop;

static void watch_signal(int sig)
{
	watch_stop = sig;
}

struct watch_sample {
	uint64_t t_ns;
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes, drops, irqs;
};

static uint64_t member_u64(const struct jr_node *root, const char *obj, const char *key)
{
	uint64_t v = 0;

	(void)jr_get_u64(jr_get(root, obj), key, &v);
	return v;
}

/* One STATS request.  EXIT_OK, or the exit status with the reason printed:
 * e1kd gone or halted -> EXIT_NO_DRIVER (had: an earlier sample succeeded). */
static int watch_sample(const char *ctl, unsigned timeout_ms, bool had, struct watch_sample *s)
{
	struct ctl_client_peer peer;
	struct ctl_response r;
	struct jr_node *root = NULL;
	struct jr_error jerr;
	char *resp = NULL;
	int rc, ex = EXIT_OK;

	rc = ctl_client_call_peer(ctl, "STATS\n", timeout_ms, &resp, &peer);
	if (rc < 0) {
		if (!had || rc == -EPERM)
			return report_call_error(rc, ctl, timeout_ms, &peer);
		fprintf(stderr, "e1kctl: e1kd went away (%s on %s)\n", strerror(-rc), ctl);
		return EXIT_NO_DRIVER;
	}
	s->t_ns = e1k_now_ns();
	if (ctl_parse_response(resp, strlen(resp), &r) != 0) {
		fprintf(stderr, "e1kctl: the driver on %s sent a malformed response\n", ctl);
		ex = EXIT_NO_DRIVER;
	} else if (!r.ok) {
		ctl_safe_text(r.msg, strlen(r.msg), false);
		ctl_safe_text(r.code, strlen(r.code), false);
		if (!strcmp(r.code, "ESHUTDOWN")) {
			fprintf(stderr, "e1kctl: e1kd went away (halted: %s)\n", r.msg);
			ex = EXIT_NO_DRIVER;
		} else {
			fprintf(stderr, "e1kctl: the driver refused: %s (%s)\n", r.msg, r.code);
			ex = EXIT_REFUSED;
		}
	} else if (jr_parse_max(r.json, r.json_len, E1KCTL_MAX_NODES, &root, &jerr) != 0) {
		fprintf(stderr, "e1kctl: the driver on %s sent a malformed response\n", ctl);
		ex = EXIT_NO_DRIVER;
	} else {
		s->rx_pkts = member_u64(root, "rx", "packets");
		s->tx_pkts = member_u64(root, "tx", "packets");
		s->rx_bytes = member_u64(root, "rx", "bytes");
		s->tx_bytes = member_u64(root, "tx", "bytes");
		s->irqs = member_u64(root, "irq", "interrupts");
		/* Frames lost anywhere on the way: the device (missed), the
		 * adapter (no binding, paused, refused as bad, aborted sends)
		 * and the TAP bridge (busy, host side full). */
		s->drops = member_u64(root, "device", "mpc") + member_u64(root, "rx", "no_binding") +
		           member_u64(root, "rx", "dropped_paused") + member_u64(root, "rx", "bad_length") +
		           member_u64(root, "rx", "bad_status") + member_u64(root, "rx", "bad_frag") +
		           member_u64(root, "tx", "aborted") + member_u64(root, "tap", "to_nic_busy_drops") +
		           member_u64(root, "tap", "to_host_drops");
	}
	jr_free(root);
	free(resp);
	return ex;
}

/* 1234567 -> "1.23 M" (SI, three digits). */
static const char *si(double v, char *buf, size_t len)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };
	unsigned u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

static double per_s(uint64_t now, uint64_t then, double dt)
{
	return now >= then && dt > 0 ? (double)(now - then) / dt : 0.0;
}

static void watch_show(bool tty, const char *ctl, unsigned ms, const struct watch_sample *first,
                       const struct watch_sample *a, const struct watch_sample *b)
{
	double dt = (double)(b->t_ns - a->t_ns) / 1e9, up = (double)(b->t_ns - first->t_ns) / 1e9;
	double rxp = per_s(b->rx_pkts, a->rx_pkts, dt), txp = per_s(b->tx_pkts, a->tx_pkts, dt);
	double rxb = per_s(b->rx_bytes, a->rx_bytes, dt) * 8, txb = per_s(b->tx_bytes, a->tx_bytes, dt) * 8;
	double dr = per_s(b->drops, a->drops, dt), ir = per_s(b->irqs, a->irqs, dt);
	char x[32], y[32];

	if (!tty) {
		printf("elapsed_s=%.2f rx_pps=%.0f rx_bps=%.0f tx_pps=%.0f tx_bps=%.0f drops_ps=%.0f "
		       "irq_ps=%.0f\n", up, rxp, rxb, txp, txb, dr, ir);
		fflush(stdout);
		return;
	}
	/* Home and clear, then one screen. */
	printf("\033[H\033[2J");
	printf("e1kctl stats --watch: %s, every %.1f s, %.0f s so far (Ctrl-C ends)\n\n", ctl,
	       ms / 1000.0, up);
	printf("  %-14s %14s %16s\n", "", "packets/s", "bit/s");
	printf("  %-14s %14s %16s\n", "rx", si(rxp, x, sizeof(x)), si(rxb, y, sizeof(y)));
	printf("  %-14s %14s %16s\n", "tx", si(txp, x, sizeof(x)), si(txb, y, sizeof(y)));
	printf("  %-14s %14s\n", "drops/s", si(dr, x, sizeof(x)));
	printf("  %-14s %14s\n\n", "interrupts/s", si(ir, x, sizeof(x)));
	printf("  totals: rx %llu packets, tx %llu packets, %llu drops, %llu interrupts\n",
	       (unsigned long long)b->rx_pkts, (unsigned long long)b->tx_pkts,
	       (unsigned long long)b->drops, (unsigned long long)b->irqs);
	fflush(stdout);
}

/* Sleep until deadline or a stop signal. */
static void watch_sleep(uint64_t deadline)
{
	while (!watch_stop) {
		uint64_t now = e1k_now_ns();
		struct timespec ts;

		if (now >= deadline)
			return;
		ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000000u);
		nanosleep(&ts, NULL);   /* EINTR: the loop looks at watch_stop */
	}
}

static int e1kctl_watch(const struct opts *o)
{
	const char *env = getenv("E1KD_CTL");
	const char *ctl = o->ctl ? o->ctl : env && *env ? env : DEFAULT_CTL;
	bool tty = isatty(STDOUT_FILENO);
	struct watch_sample first, prev, cur;
	struct sigaction sa;
	int ex;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal;   /* no SA_RESTART: the sleep wakes up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ex = watch_sample(ctl, o->timeout_ms, false, &first);
	if (ex != EXIT_OK)
		return ex;
	prev = first;
	for (;;) {
		watch_sleep(prev.t_ns + (uint64_t)o->watch_ms * 1000000u);
		if (watch_stop)
			break;
		ex = watch_sample(ctl, o->timeout_ms, true, &cur);
		if (ex != EXIT_OK)
			return ex;
		if (watch_stop)
			break;
		watch_show(tty, ctl, o->watch_ms, &first, &prev, &cur);
		prev = cur;
	}
	if (tty)
		putchar('\n');
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = CTL_CLIENT_DEFAULT_TIMEOUT_MS, .start_ns = e1k_now_ns() };
	int ex;

	/* Reads files, not the socket: no options, no driver. */
	if (argc > 1 && !strcmp(argv[1], "report"))
		return e1kctl_report_main(argc - 1, argv + 1);
	o.words = calloc((size_t)argc + 1, sizeof(*o.words));
	if (!o.words) {
		fprintf(stderr, "e1kctl: out of memory\n");
		return EXIT_INTERNAL;
	}
	ex = parse_options(argc, argv, &o);
	if (ex != EXIT_OK)
		goto out;
	if (o.help) {
		print_help(stdout);
		ex = EXIT_OK;
	} else if (o.version) {
		printf("e1kctl %s\n", E1K_VERSION);
		ex = EXIT_OK;
	} else if (o.nwords == 0) {
		ex = usage_error("no command given");
	} else {
		/* A command e1kctl runs itself, without a driver, is matched here,
		 * before the verb table's. */
		if (o.watch && strcasecmp(o.words[0], ctl_verb_first(CTL_VERB_STATS)->cli))
			ex = usage_error("--watch is only valid with stats");
		else if (o.watch)
			ex = o.json ? usage_error("--watch does not take --json (use stats --json "
			                          "in a loop)") :
			     o.nwords > 1 ? usage_error("usage: e1kctl stats [--watch [SECONDS]]") :
			     e1kctl_watch(&o);
		else
			ex = run_driver_command(&o);
	}
out:
	free(o.words);
	return ex;
}
