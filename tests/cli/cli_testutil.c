/* SPDX-License-Identifier: MIT */
#include "cli_testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

int tu_mkdtemp(char *dir, size_t len)
{
	if (len < 64)
		return -EINVAL;
	snprintf(dir, len, "/tmp/e1k-cli-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -errno;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void tu_rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void th_init(struct th_ctx *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
}

void th_fini(struct th_ctx *t)
{
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

unsigned th_calls(struct th_ctx *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = t->calls;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void th_last(struct th_ctx *t, char *buf, size_t len)
{
	pthread_mutex_lock(&t->lock);
	snprintf(buf, len, "%s", t->last);
	pthread_mutex_unlock(&t->lock);
}

/* Block while block_stats is set (bounded: 10 s). */
static void wait_unblocked(struct th_ctx *t)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&t->lock);
	while (t->block_stats) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&t->lock);
}

void th_set_block_stats(struct th_ctx *t, bool on)
{
	pthread_mutex_lock(&t->lock);
	t->block_stats = on;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static const char *const stage_names[] = {
	"reject-new-work", "unbind-upper", "drain-requests", "stop-rx-tx", "mask-interrupts",
	"deregister-interrupts", "drain-dpcs", "cancel-timers", "reclaim-tx",
	"await-rx-returns", "reset-device", "disable-bus-master", "rcu-barrier", "free-dma",
	"release-device",
};

static void halt_report(struct jbuf *o, const char *reason)
{
	bool failed = !strcmp(reason, "failed");
	uint64_t t = 1000000;

	jb_obj_begin(o, NULL);
	jb_str(o, "reason", reason);
	jb_str(o, "from_state", "Running");
	jb_str(o, "final_state", failed ? "Paused" : "Halted");
	jb_arr_begin(o, "stages");
	for (size_t i = 0; i < sizeof(stage_names) / sizeof(stage_names[0]); i++) {
		jb_obj_begin(o, NULL);
		jb_str(o, "name", stage_names[i]);
		jb_str(o, "result", i == 9 ? "timeout" : "ok");
		jb_u64(o, "start_ns", t);
		t += 250000 * (i + 1);
		jb_u64(o, "end_ns", t);
		jb_str(o, "detail", i == 9 ? "2 buffers not returned" : "");
		jb_obj_end(o);
	}
	jb_arr_end(o);
	jb_obj_begin(o, "ledger");
	jb_u64(o, "acquired", 42);
	jb_u64(o, "released", 42);
	jb_u64(o, "outstanding", 0);
	jb_obj_end(o);
	jb_u64(o, "dma_faults", 0);
	jb_u64(o, "isr_after_deregister", 0);
	jb_u64(o, "dpc_after_drain", 0);
	jb_u64(o, "callbacks_after_halted", 0);
	jb_u64(o, "rx_buffers_outstanding", 2);
	jb_u64(o, "mmio_after_removal", 0);
	jb_u64(o, "total_ns", t - 1000000);
	jb_obj_end(o);
}

int th_handler(void *ctx, const struct ctl_request *req, struct jbuf *out, char *errmsg,
               size_t errlen)
{
	struct th_ctx *t = ctx;
	size_t pos;

	pthread_mutex_lock(&t->lock);
	t->calls++;
	pos = (size_t)snprintf(t->last, sizeof(t->last), "%s", req->verb);
	for (int i = 0; i < req->argc && pos < sizeof(t->last); i++)
		pos += (size_t)snprintf(t->last + pos, sizeof(t->last) - pos, " %s", req->argv[i]);
	pthread_mutex_unlock(&t->lock);

	if (!strcmp(req->verb, "STATUS")) {
		jb_obj_begin(out, NULL);
		jb_str(out, "state", "Running");
		jb_obj_begin(out, "device");
		jb_str(out, "name", "sim:82540em");
		jb_str(out, "mac", "02:00:00:00:00:01");
		jb_obj_end(out);
		jb_arr_begin(out, "queues");
		for (int i = 0; i < 2; i++) {
			jb_obj_begin(out, NULL);
			jb_u64(out, "id", (uint64_t)i);
			jb_u64(out, "rx", (uint64_t)i + 1);
			jb_obj_end(out);
		}
		jb_arr_end(out);
		jb_arr_begin(out, "tags");
		jb_str(out, NULL, "a");
		jb_str(out, NULL, "b");
		jb_arr_end(out);
		jb_obj_end(out);
		return 0;
	}
	if (!strcmp(req->verb, "STOPWAIT")) {
		/* Stopping from the handler only flags the server: the requests
		 * that arrive while we block are the ones its stop must answer. */
		ctl_server_stop(t->server);
		wait_unblocked(t);
		jb_obj_begin(out, NULL);
		jb_bool(out, "stopped", true);
		jb_obj_end(out);
		return 0;
	}
	if (!strcmp(req->verb, "STATS")) {
		wait_unblocked(t);
		jb_obj_begin(out, NULL);
		jb_u64(out, "rx_packets", 10);
		jb_u64(out, "tx_packets", 20);
		jb_obj_end(out);
		return 0;
	}
	if (!strcmp(req->verb, "PAUSE")) {
		snprintf(errmsg, errlen, "adapter is busy");
		return -EBUSY;
	}
	if (!strcmp(req->verb, "HALT") && req->argc == 1) {
		halt_report(out, req->argv[0]);
		return 0;
	}
	if (!strcmp(req->verb, "ECHO")) {
		jb_obj_begin(out, NULL);
		jb_i64(out, "argc", req->argc);
		jb_arr_begin(out, "argv");
		for (int i = 0; i < req->argc; i++)
			jb_str(out, NULL, req->argv[i]);
		jb_arr_end(out);
		jb_obj_end(out);
		return 0;
	}
	if (!strcmp(req->verb, "BIG") && req->argc == 1) {
		size_t n = strtoul(req->argv[0], NULL, 10);
		char *blob = malloc(n + 1);

		if (!blob)
			return -ENOMEM;
		memset(blob, 'x', n);
		blob[n] = '\0';
		jb_obj_begin(out, NULL);
		jb_str(out, "blob", blob);
		jb_obj_end(out);
		free(blob);
		return 0;
	}
	if (!strcmp(req->verb, "STOPME")) {
		ctl_server_stop(t->server);
		return 0;
	}
	if (!strcmp(req->verb, "BADJSON")) {
		jb_obj_begin(out, NULL);
		jb_u64(out, "x", 1);
		return 0;
	}
	snprintf(errmsg, errlen, "unknown verb %s", req->verb);
	return -ENOTSUP;
}

int tu_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int tu_read_line(int fd, char *buf, size_t len, unsigned timeout_ms)
{
	uint64_t deadline = tl_now_ns() + (uint64_t)timeout_ms * 1000000u;
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = tl_now_ns();
		ssize_t r;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			continue;
		/* One byte at a time: never swallow the start of the next line. */
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return -ECONNRESET;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return (int)n;
		}
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

bool tu_wait_eof(int fd, unsigned timeout_ms)
{
	uint64_t deadline = tl_now_ns() + (uint64_t)timeout_ms * 1000000u;
	char sink[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = tl_now_ns();
		ssize_t r;

		if (now >= deadline)
			return false;
		if (poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			continue;
		r = read(fd, sink, sizeof(sink));
		if (r <= 0)
			return true;
	}
}

struct child_wait {
	pid_t pid;
	int status;
	bool done;
};

static bool child_done(void *arg)
{
	struct child_wait *w = arg;

	if (!w->done && waitpid(w->pid, &w->status, WNOHANG) == w->pid)
		w->done = true;
	return w->done;
}

int tu_wait_child(pid_t pid, unsigned timeout_ms)
{
	struct child_wait w = { .pid = pid };

	if (!tl_wait_until(child_done, &w, timeout_ms)) {
		kill(pid, SIGKILL);
		waitpid(pid, &w.status, 0);
		return -1;
	}
	if (WIFEXITED(w.status))
		return WEXITSTATUS(w.status);
	if (WIFSIGNALED(w.status))
		return 128 + WTERMSIG(w.status);
	return -1;
}

char *tu_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			char *p = realloc(buf, cap ? cap * 2 : 8192);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
			cap = cap ? cap * 2 : 8192;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}
