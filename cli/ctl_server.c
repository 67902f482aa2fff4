/* SPDX-License-Identifier: MIT */
#include "ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "safe_path.h"

#define CTL_LISTEN_BACKLOG 16
#define CTL_ACCEPT_BATCH 32
/* A client's output buffer larger than this is freed once flushed. */
#define CTL_OUT_KEEP (64u * 1024)
#define CTL_ERRMSG_LEN 256
/* Stopping: how long a connection accepted from the backlog, or one holding
 * part of a line, may take to complete the request it is sending. */
#define CTL_STOP_GRACE_MS 100
/* The client table: max_clients ordinary slots, then one kept for HALT. */
#define CTL_NSLOTS (CTL_SERVER_MAX_CLIENTS + 1)
#define CTL_HALT_SLOT CTL_SERVER_MAX_CLIENTS
/* Log lines of one kind: at most one per this many ms (the rest are counted). */
#define CTL_LOG_INTERVAL_MS 1000

/* What the server logs (through opts.log), each kind rate-limited on its own. */
enum ctl_log_kind {
	CTL_LOG_UID, CTL_LOG_BUSY, CTL_LOG_IDLE, CTL_LOG_SLOW, CTL_LOG_EVICT, CTL_LOG_LIFETIME,
	CTL_LOG_NKINDS
};

struct ctl_client {
	int fd;                    /* -1: slot free */
	char in[CTL_MAX_LINE];
	size_t in_len;
	struct jbuf out;           /* response bytes not yet written */
	size_t out_off;
	uint64_t deadline_ns;      /* line must complete / response must be taken by then */
	uint64_t born_ns;          /* accepted then: the lifetime cap counts from here */
	uint64_t last_ns;          /* accepted, or last response taken: the eviction order */
	bool halt_only;            /* in the HALT slot: its one request must be HALT */
	bool eof;                  /* the peer shut down its sending side */
	bool closing;              /* close once out is flushed */
	ctl_handoff_fn handoff;    /* set by the handler: the connection goes there once out is flushed */
	void *handoff_ctx;
};

struct ctl_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char base[NAME_MAX + 1];   /* the socket's name in dfd */
	int dfd;                   /* the socket's directory, opened by a checked walk */
	int lock_fd;               /* BASE.lock in dfd, flock'ed while we exist */
	ctl_handler_fn fn;
	void *ctx;
	struct e1k_thread_hooks hooks;
	struct ctl_server_opts opts;
	uid_t euid;

	int lfd;                   /* listening socket */
	int stop_efd;              /* written by ctl_server_stop() */
	dev_t sock_dev;            /* identity of the socket file we bound, so */
	ino_t sock_ino;            /* destroy never unlinks a successor's socket */
	bool bound;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t stop_lock; /* serialises stop/join between control threads */
	bool joined;
	/* Set by stop (any thread), read by the server thread each loop: relaxed is
	 * enough because the eventfd write/read that follows orders the wake-up. */
	atomic_bool stopping;

	/* Server-thread only from here on. */
	struct ctl_client clients[CTL_NSLOTS];
	struct ctl_request req;    /* the request being handled */
	struct jbuf resp;          /* handler output */
	char errmsg[CTL_ERRMSG_LEN];

	/* Statistics: relaxed atomics, read by ctl_server_get_stats() from any thread. */
	atomic_uint_least64_t st_accepted, st_requests, st_bad, st_busy, st_uid,
		st_idle, st_slow, st_oversize, st_evicted, st_lifetime, st_halt_slot;

	/* Rate limit of the log (server thread only): per kind, when the last
	 * line went out and how many were left out since. */
	struct {
		uint64_t last_ns;
		uint64_t suppressed;
	} log_rl[CTL_LOG_NKINDS];
};

static void set_msg(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void stat_inc(atomic_uint_least64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void srv_log(struct ctl_server *s, enum ctl_log_kind k, bool warn, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One log line through opts.log, at most one per kind per CTL_LOG_INTERVAL_MS:
 * a peer that retries in a loop must not flood the daemon's log. */
static void srv_log(struct ctl_server *s, enum ctl_log_kind k, bool warn, const char *fmt, ...)
{
	uint64_t now = e1k_now_ns();
	char msg[256];
	size_t n;
	va_list ap;

	if (!s->opts.log)
		return;
	if (s->log_rl[k].last_ns &&
	    now - s->log_rl[k].last_ns < (uint64_t)CTL_LOG_INTERVAL_MS * 1000000u) {
		s->log_rl[k].suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (s->log_rl[k].suppressed)
		snprintf(msg + n, sizeof(msg) - n, " (%" PRIu64 " more like it in the last %.1f s)",
		         s->log_rl[k].suppressed,
		         (double)(now - s->log_rl[k].last_ns) / 1e9);
	s->log_rl[k].last_ns = now;
	s->log_rl[k].suppressed = 0;
	s->opts.log(s->opts.log_ctx, warn, msg);
}

/* ---- socket path preparation (control context, before the thread) ---- */

/* "/proc/self/fd/N/base": a name that reaches base inside the directory open
 * at dfd whatever happens to the directory's path meanwhile (the kernel
 * resolves the magic link to the open directory itself). */
static int fd_path(char *buf, size_t len, int dfd, const char *base)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dfd, base);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Open the directory that will hold the socket, the whole way checked:
 * every ancestor by safe_path_open_parent() (owned by root or us, not
 * writable by others unless sticky, no symlink, opened one component at a
 * time), the directory itself created 0700 when missing (mkdirat, then
 * fchmod on the opened descriptor: the umask filtered mkdir's mode) and,
 * found or created, owned by root or us and mode 0700 exactly -- an existing
 * directory with any group or other bit is refused, never fixed: fixing
 * would be a chmod, as root, of whatever directory the command line named.
 * Returns the directory's fd and the socket's name in base, or a negative
 * errno with the reason in errmsg.
 */
static int open_sock_dir(const char *path, char *base, size_t basesz, char *errmsg, size_t errlen)
{
	char dir[PATH_MAX], dname[NAME_MAX + 1], why[384];
	const char *slash;
	struct stat st;
	bool created = false;
	int gfd, dfd, rc;

	if (path[0] == '/') {
		snprintf(dir, sizeof(dir), "%s", path);
	} else {
		/* getcwd() has no symlinks in it: the walk below checks its ancestors too. */
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd))) {
			rc = -errno;
			set_msg(errmsg, errlen, "cannot resolve the working directory: %s",
			        strerror(-rc));
			return rc;
		}
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", cwd, path) >= sizeof(dir)) {
			set_msg(errmsg, errlen, "control socket path too long: %s", path);
			return -ENAMETOOLONG;
		}
	}
	slash = strrchr(dir, '/');
	if (!slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, "..") ||
	    strlen(slash + 1) >= basesz) {
		set_msg(errmsg, errlen, "%s does not name a socket file", path);
		return -EINVAL;
	}
	strcpy(base, slash + 1);
	if (slash == dir) {
		set_msg(errmsg, errlen, "refusing %s: the socket needs a private directory "
		        "(0700) of its own, such as /run/e1kd", path);
		return -EPERM;
	}
	dir[slash - dir] = '\0';
	gfd = safe_path_open_parent(dir, dname, sizeof(dname), why, sizeof(why));
	if (gfd < 0) {
		set_msg(errmsg, errlen, "refusing %s: %s", path, why);
		return gfd;
	}
	if (mkdirat(gfd, dname, 0700) == 0) {
		created = true;
	} else if (errno != EEXIST) {
		rc = -errno;
		set_msg(errmsg, errlen, "cannot create directory %s: %s", dir, strerror(-rc));
		close(gfd);
		return rc;
	}
	dfd = openat(gfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct stat lst;

		rc = -errno;
		if ((errno == ELOOP || errno == ENOTDIR) &&
		    fstatat(gfd, dname, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
			rc = -ELOOP;
			set_msg(errmsg, errlen, "refusing %s: %s is a symbolic link", path, dir);
		} else {
			set_msg(errmsg, errlen, "cannot open the directory %s: %s", dir, strerror(-rc));
		}
		close(gfd);
		return rc;
	}
	close(gfd);
	if (fstat(dfd, &st) != 0) {
		rc = -errno;
		set_msg(errmsg, errlen, "cannot stat %s: %s", dir, strerror(-rc));
		goto fail;
	}
	rc = safe_path_dir_ok(&st, dir, why, sizeof(why));
	if (rc < 0) {
		set_msg(errmsg, errlen, "refusing %s: %s", path, why);
		goto fail;
	}
	/* Only a directory that is ours: mkdirat gave it our uid (an EEXIST
	 * race lost to someone else shows up here as their uid). */
	if (created && st.st_uid == geteuid() && fchmod(dfd, 0700) == 0 && fstat(dfd, &st) != 0) {
		rc = -errno;
		set_msg(errmsg, errlen, "cannot stat %s: %s", dir, strerror(-rc));
		goto fail;
	}
	if (st.st_mode & 077) {
		set_msg(errmsg, errlen, "refusing %s: directory %s has mode %04o; the socket's "
		        "directory must be 0700 (chmod 0700 it, or name one e1kd creates, "
		        "such as /run/e1kd)%s", path, dir, (unsigned)(st.st_mode & 07777),
		        st.st_mode & 022 ? ": it is writable by group or others" : "");
		rc = -EPERM;
		goto fail;
	}
	return dfd;
fail:
	close(dfd);
	return rc;
}

/*
 * The takeover lock: BASE.lock in the socket's directory, flock'ed for the
 * server's whole life.  Whoever holds it owns the socket name, so probing,
 * unlinking a stale socket and binding are one step for every other e1kd
 * (two daemons racing for one stale socket once both reported running, one
 * of them with its socket deleted by the other).
 */
static int take_lock(struct ctl_server *s, char *errmsg, size_t errlen)
{
	char name[NAME_MAX + 1];
	struct stat st;

	if ((size_t)snprintf(name, sizeof(name), "%s.lock", s->base) >= sizeof(name)) {
		set_msg(errmsg, errlen, "control socket name too long: %s", s->path);
		return -ENAMETOOLONG;
	}
	s->lock_fd = openat(s->dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || fstat(s->lock_fd, &st) != 0) {
		int e = errno;

		set_msg(errmsg, errlen, "cannot open the lock file %s.lock: %s", s->path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != s->euid && st.st_uid != 0)) {
		set_msg(errmsg, errlen, "%s.lock is not a regular file of ours", s->path);
		return -EPERM;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			set_msg(errmsg, errlen, "another e1kd is using %s (it holds %s.lock)",
			        s->path, s->path);
			return -EADDRINUSE;
		}
		set_msg(errmsg, errlen, "cannot lock %s.lock: %s", s->path, strerror(e));
		return -e;
	}
	return 0;
}

/* Deal with whatever is at the socket's name already: nothing, a stale
 * socket, a live one (an e1kd from before the lock file existed). */
static int check_existing(struct ctl_server *s, char *errmsg, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc, e;

	if (fstatat(s->dfd, s->base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		set_msg(errmsg, errlen, "cannot stat %s: %s", s->path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		set_msg(errmsg, errlen, "%s exists and is not a socket; not touching it", s->path);
		return -EEXIST;
	}
	if (fd_path(sa.sun_path, sizeof(sa.sun_path), s->dfd, s->base) != 0) {
		set_msg(errmsg, errlen, "control socket name too long: %s", s->path);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		set_msg(errmsg, errlen, "socket: %s", strerror(e));
		return -e;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = rc == 0 ? 0 : errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		/* Someone accepts (or has a full backlog): a live daemon. */
		set_msg(errmsg, errlen, "another e1kd is using %s", s->path);
		return -EADDRINUSE;
	}
	if (e == ECONNREFUSED) {
		/* Nobody listens: left behind by a daemon that died.  Take it over. */
		if (unlinkat(s->dfd, s->base, 0) != 0 && errno != ENOENT) {
			e = errno;
			set_msg(errmsg, errlen, "cannot remove stale socket %s: %s", s->path,
			        strerror(e));
			return -e;
		}
		return 0;
	}
	if (e == ENOENT)
		return 0;   /* it went away meanwhile */
	set_msg(errmsg, errlen, "cannot probe existing socket %s: %s", s->path, strerror(e));
	return -e;
}

static int bind_listen(struct ctl_server *s, char *errmsg, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc, e;

	if (fd_path(sa.sun_path, sizeof(sa.sun_path), s->dfd, s->base) != 0) {
		set_msg(errmsg, errlen, "control socket name too long: %s", s->path);
		return -ENAMETOOLONG;
	}
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		e = errno;
		set_msg(errmsg, errlen, "socket: %s", strerror(e));
		return -e;
	}
	/*
	 * Linux creates the socket file with the socket inode's mode minus the
	 * umask: fchmod the unbound socket to 0600 and bind under umask 077, so the
	 * file is never, even for an instant, reachable by anyone else.  (umask is
	 * process-wide; the daemon creates the server during start-up, before other
	 * threads create files.)  The bind goes through the open directory, so a
	 * rename of any directory on the path cannot move it elsewhere.
	 */
	(void)fchmod(s->lfd, 0600);
	old = umask(077);
	rc = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (rc != 0) {
		if (e == EADDRINUSE)
			set_msg(errmsg, errlen, "another e1kd is using %s", s->path);
		else
			set_msg(errmsg, errlen, "cannot bind %s: %s", s->path, strerror(e));
		return -e;
	}
	/* Remember which file is ours at once, so a failure below still removes it. */
	if (fstatat(s->dfd, s->base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		e = errno;
		set_msg(errmsg, errlen, "cannot stat %s: %s", s->path, strerror(e));
		unlinkat(s->dfd, s->base, 0);
		return -e;
	}
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	s->bound = true;
	/* In our 0700 directory: nobody else can have swapped the name. */
	if (fchmodat(s->dfd, s->base, 0600, 0) != 0) {
		e = errno;
		set_msg(errmsg, errlen, "cannot chmod %s: %s", s->path, strerror(e));
		return -e;
	}
	if (listen(s->lfd, CTL_LISTEN_BACKLOG) != 0) {
		e = errno;
		set_msg(errmsg, errlen, "listen %s: %s", s->path, strerror(e));
		return -e;
	}
	return 0;
}

/* ---- the server thread ---- */

static void client_close(struct ctl_client *c)
{
	if (c->handoff) {
		/* The connection failed (or the server stops) before it was handed over. */
		ctl_handoff_fn fn = c->handoff;

		c->handoff = NULL;
		fn(c->handoff_ctx, -1);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in_len = 0;
	c->out_off = 0;
	c->eof = false;
	c->closing = false;
	c->halt_only = false;
	jb_free(&c->out);
}

static uint64_t ms_to_ns(unsigned ms)
{
	return (uint64_t)ms * 1000000ull;
}

/* Write what the socket takes now.  Returns <0 if the client must be dropped. */
static int client_flush(struct ctl_server *s, struct ctl_client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	/* All out: the client has idle_ms for its next line. */
	if (c->out.cap > CTL_OUT_KEEP)
		jb_free(&c->out);
	else
		jb_reset(&c->out);
	c->out_off = 0;
	c->last_ns = e1k_now_ns();
	c->deadline_ns = c->last_ns + ms_to_ns(s->opts.idle_ms);
	return 0;
}

static bool client_pending(const struct ctl_client *c)
{
	return c->out_off < c->out.len;
}

/* Queue a response on c; the write deadline starts now. */
static void client_queue_err(struct ctl_server *s, struct ctl_client *c, int err, const char *msg)
{
	ctl_format_err(&c->out, err, msg);
	c->deadline_ns = e1k_now_ns() + ms_to_ns(s->opts.write_ms);
}

/* One refused connection: one line, best effort (a fresh socket's buffer is empty), close. */
static void refuse(int fd, int err, const char *msg)
{
	struct jbuf b;

	jb_init(&b);
	ctl_format_err(&b, err, msg);
	if (!b.err) {
		ssize_t n = send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		(void)n;
	}
	jb_free(&b);
	close(fd);
}

/*
 * The table is full: close clients whose peer has already hung up but whose
 * hang-up this loop has not processed yet, so a client that just left never
 * makes a newcomer see EBUSY.  Only a peer with no request left unserved is
 * reaped (it can read no answer, so nothing is lost).  Returns a free slot or NULL.
 */
static struct ctl_client *reap_hung_up(struct ctl_server *s)
{
	struct ctl_client *slot = NULL;

	for (unsigned i = 0; i < s->opts.max_clients; i++) {
		struct ctl_client *c = &s->clients[i];
		struct pollfd p = { .fd = c->fd };
		int unread = -1;

		if (c->fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & (POLLHUP | POLLERR)))
			continue;
		/* A request it sent before hanging up is still served, on the normal path. */
		if (ioctl(c->fd, FIONREAD, &unread) == 0 && unread == 0 &&
		    !memchr(c->in, '\n', c->in_len)) {
			client_close(c);
			if (!slot)
				slot = c;
		}
	}
	return slot;
}

/* Between requests: nothing owed to it, nothing of a request from it. */
static bool client_idle(const struct ctl_client *c)
{
	return c->fd >= 0 && !c->closing && !client_pending(c) && c->in_len == 0;
}

/*
 * The table is full and nobody hung up: close the client idle the longest
 * (between requests, ordered by its last response or its accept), so
 * clients that keep a connection open and poll every few seconds can never
 * hold every slot (issue 17: 16 of them once made every e1kctl get EBUSY).
 * Closing between requests loses nothing: it has no request in flight.
 */
static struct ctl_client *evict_oldest_idle(struct ctl_server *s)
{
	struct ctl_client *old = NULL;

	for (unsigned i = 0; i < s->opts.max_clients; i++) {
		struct ctl_client *c = &s->clients[i];

		if (client_idle(c) && (!old || c->last_ns < old->last_ns))
			old = c;
	}
	if (!old)
		return NULL;
	stat_inc(&s->st_evicted);
	srv_log(s, CTL_LOG_EVICT, false, "control slots full: closed the client idle for %" PRIu64
	        " ms to make room", (e1k_now_ns() - old->last_ns) / 1000000u);
	client_close(old);
	return old;
}

static void do_accept(struct ctl_server *s)
{
	for (int k = 0; k < CTL_ACCEPT_BATCH; k++) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct ctl_client *slot = NULL;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;   /* EAGAIN, or a connection that died before we got it */
		bool halt_only = false;
		uint64_t now;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 ||
		    cred.uid != s->euid) {
			stat_inc(&s->st_uid);
			srv_log(s, CTL_LOG_UID, true, "refused a connection from uid %d pid %d: "
			        "the control socket serves only uid %u",
			        clen == sizeof(cred) ? (int)cred.uid : -1,
			        clen == sizeof(cred) ? (int)cred.pid : -1, (unsigned)s->euid);
			refuse(fd, EPERM, "permission denied: the control socket serves only its owner's uid");
			continue;
		}
		for (unsigned i = 0; i < s->opts.max_clients; i++) {
			if (s->clients[i].fd < 0) {
				slot = &s->clients[i];
				break;
			}
		}
		if (!slot)
			slot = reap_hung_up(s);
		if (!slot)
			slot = evict_oldest_idle(s);
		if (!slot && s->clients[CTL_HALT_SLOT].fd < 0) {
			/* Every slot is in the middle of a request: this one may halt. */
			slot = &s->clients[CTL_HALT_SLOT];
			halt_only = true;
			stat_inc(&s->st_halt_slot);
		}
		if (!slot) {
			stat_inc(&s->st_busy);
			srv_log(s, CTL_LOG_BUSY, true, "refused a connection (pid %d): all %u control "
			        "slots and the HALT slot are busy", (int)cred.pid, s->opts.max_clients);
			refuse(fd, EBUSY, "too many control connections; try again");
			continue;
		}
		stat_inc(&s->st_accepted);
		now = e1k_now_ns();
		slot->fd = fd;
		slot->in_len = 0;
		slot->out_off = 0;
		slot->eof = false;
		slot->closing = false;
		slot->halt_only = halt_only;
		jb_init(&slot->out);
		slot->deadline_ns = now + ms_to_ns(s->opts.idle_ms);
		slot->born_ns = now;
		slot->last_ns = now;
	}
}

/* The client whose request the handler on this thread is running, else NULL. */
static _Thread_local struct ctl_client *tls_client;

int ctl_server_handoff(ctl_handoff_fn fn, void *ctx)
{
	if (!tls_client || !fn || tls_client->handoff)
		return -EINVAL;
	tls_client->handoff = fn;
	tls_client->handoff_ctx = ctx;
	return 0;
}

/* The response is out: the connection is the handoff's now, no longer ours. */
static void client_give_away(struct ctl_client *c)
{
	ctl_handoff_fn fn = c->handoff;
	int fd = c->fd;

	c->handoff = NULL;
	c->fd = -1;
	client_close(c);
	fn(c->handoff_ctx, fd);
}

/* Run the handler for one complete line and queue the response. */
static void handle_line(struct ctl_server *s, struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_request *req = &s->req;
	int rc;

	rc = ctl_parse_request(line, len, req);
	if (rc != 0) {
		stat_inc(&s->st_bad);
		client_queue_err(s, c, -rc, rc == -EMSGSIZE ? "request line too long"
		                 : "malformed request: expected VERB [ARG ...] in printable ASCII, "
		                   "at most 16 arguments");
		return;
	}
	if (c->halt_only) {
		/* The kept slot serves one request, and only a halt. */
		c->closing = true;
		if (strcmp(req->verb, "HALT")) {
			stat_inc(&s->st_busy);
			srv_log(s, CTL_LOG_BUSY, true, "refused %s: every control slot is busy, "
			        "only HALT is taken now", req->verb);
			client_queue_err(s, c, EBUSY, "too many control connections; only HALT is "
			                 "taken now, try again");
			return;
		}
	}
	stat_inc(&s->st_requests);
	jb_reset(&s->resp);
	s->errmsg[0] = '\0';
	/* No server lock exists to hold: the handler may block as long as it must. */
	tls_client = c;
	rc = s->fn(s->ctx, req, &s->resp, s->errmsg, sizeof(s->errmsg));
	tls_client = NULL;
	s->errmsg[sizeof(s->errmsg) - 1] = '\0';
	if (rc < 0 && c->handoff) {
		/* A handler that failed keeps no connection. */
		ctl_handoff_fn fn = c->handoff;

		c->handoff = NULL;
		fn(c->handoff_ctx, -1);
	}
	if (rc < 0) {
		client_queue_err(s, c, rc, s->errmsg);
	} else if (s->resp.len == 0 && !s->resp.err) {
		ctl_format_ok(&c->out, "{}", 2);
	} else if (jb_finish(&s->resp) != 0) {
		client_queue_err(s, c, s->resp.err == -ENOMEM ? ENOMEM : EPROTO,
		                 s->resp.err == -ENOMEM ? "out of memory building the response"
		                 : "internal error: the handler produced invalid JSON");
	} else if (s->resp.len + 4 > CTL_MAX_RESPONSE) {
		client_queue_err(s, c, EMSGSIZE, "response too large");
	} else {
		ctl_format_ok(&c->out, s->resp.data, s->resp.len);
	}
	if (c->out.err) {
		/* Could not even build the error line: drop the client. */
		c->closing = true;
		jb_reset(&c->out);
		return;
	}
	c->deadline_ns = e1k_now_ns() + ms_to_ns(s->opts.write_ms);
	/* Cap what one client can make us keep in memory while the peer is slow. */
	if (s->resp.cap > CTL_OUT_KEEP)
		jb_free(&s->resp);
}

/*
 * Serve at most one complete buffered line of c (fairness: one request per
 * client per loop).
 */
static void client_serve_one(struct ctl_server *s, struct ctl_client *c)
{
	char *nl;
	size_t len;

	if (c->closing || client_pending(c))
		return;
	nl = memchr(c->in, '\n', c->in_len);
	if (!nl) {
		if (c->in_len == CTL_MAX_LINE) {
			/* The buffer is full and holds no line end: it cannot be a valid request. */
			stat_inc(&s->st_oversize);
			client_queue_err(s, c, EMSGSIZE, "request line too long (limit 4096 bytes)");
			c->closing = true;
		}
		return;
	}
	len = (size_t)(nl - c->in) + 1;
	handle_line(s, c, c->in, len);
	memmove(c->in, c->in + len, c->in_len - len);
	c->in_len -= len;
}

static bool client_has_line(const struct ctl_client *c)
{
	return !c->closing && !client_pending(c) && memchr(c->in, '\n', c->in_len);
}

static void client_read(struct ctl_server *s, struct ctl_client *c)
{
	while (c->in_len < CTL_MAX_LINE) {
		ssize_t n = recv(c->fd, c->in + c->in_len, CTL_MAX_LINE - c->in_len, MSG_DONTWAIT);

		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			c->eof = true;
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			c->eof = true;   /* ECONNRESET and friends: nothing more will come */
		return;
	}
}

/* After I/O: flush, serve, flush, and close what is finished.  Returns false if c was closed. */
static bool client_progress(struct ctl_server *s, struct ctl_client *c)
{
	if (client_pending(c) && client_flush(s, c) < 0)
		goto drop;
	if (!client_pending(c) && c->handoff && !c->closing)
		goto give_away;
	client_serve_one(s, c);
	if (client_pending(c) && client_flush(s, c) < 0)
		goto drop;
	if (!client_pending(c) && c->handoff && !c->closing)
		goto give_away;
	/* Nothing owed: a closing client, or a finished peer with no whole line left, can go. */
	if (!client_pending(c) && (c->closing || (c->eof && !memchr(c->in, '\n', c->in_len))))
		goto drop;
	return true;

drop:
	client_close(c);
	return false;
give_away:
	client_give_away(c);
	return false;
}

/*
 * Stopping: every request already sent to us gets its one response before
 * the connection closes (docs/robustness.md, finding F3: a second `e1kctl
 * halt` sent while the first ran used to be dropped unanswered when e1kd
 * stopped the server after the halt).  New connections are refused from
 * here (shutdown of the listening socket: connect gives ECONNREFUSED), the
 * ones already queued are accepted, and every complete line buffered or
 * readable now goes to the handler as usual, in order, one response each
 * (e1kd's handler answers HALT with the first halt's report and anything
 * else ESHUTDOWN once halted).  A connection just accepted, or one holding
 * part of a line, gets CTL_STOP_GRACE_MS to complete its line; an idle one
 * is closed at once.  Everything is bounded by write_ms; then all close.
 */
static void server_drain(struct ctl_server *s)
{
	uint64_t t0 = e1k_now_ns();
	uint64_t deadline = t0 + ms_to_ns(s->opts.write_ms);
	uint64_t grace = t0 + ms_to_ns(CTL_STOP_GRACE_MS < s->opts.write_ms ?
	                               CTL_STOP_GRACE_MS : s->opts.write_ms);
	bool fresh[CTL_NSLOTS];

	for (unsigned i = 0; i < CTL_NSLOTS; i++)
		fresh[i] = s->clients[i].fd < 0;
	if (s->lfd >= 0) {
		(void)shutdown(s->lfd, SHUT_RDWR);
		do_accept(s);
	}
	for (unsigned i = 0; i < CTL_NSLOTS; i++)
		fresh[i] = fresh[i] && s->clients[i].fd >= 0;

	for (;;) {
		struct pollfd pfd[CTL_NSLOTS];
		uint64_t now = e1k_now_ns(), until;
		bool owed = false;
		int nfds = 0;

		for (unsigned i = 0; i < CTL_NSLOTS; i++) {
			struct ctl_client *c = &s->clients[i];
			bool reading, waiting;

			if (c->fd < 0)
				continue;
			reading = !c->eof && !c->closing && c->in_len < CTL_MAX_LINE;
			if (reading)
				client_read(s, c);
			/* Serve every complete line, flushing between them. */
			while (client_progress(s, c) && client_has_line(c))
				;
			if (c->fd < 0)
				continue;
			waiting = reading && !c->eof && now < grace && (fresh[i] || c->in_len > 0) &&
			          !memchr(c->in, '\n', c->in_len);
			if (client_pending(c)) {
				owed = true;
				pfd[nfds++] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
			} else if (waiting) {
				pfd[nfds++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			}
		}
		if (nfds == 0 || now >= deadline)
			break;
		until = owed ? deadline : (grace < deadline ? grace : deadline);
		if (poll(pfd, (nfds_t)nfds, (int)((until - now + 999999) / 1000000)) < 0 &&
		    errno != EINTR)
			break;
	}
	for (unsigned i = 0; i < CTL_NSLOTS; i++)
		client_close(&s->clients[i]);
}

static void server_loop(struct ctl_server *s)
{
	struct pollfd pfd[2 + CTL_NSLOTS];
	int map[2 + CTL_NSLOTS];

	while (!atomic_load_explicit(&s->stopping, memory_order_relaxed)) {
		uint64_t now = e1k_now_ns(), next = UINT64_MAX;
		int nfds = 2, timeout, rc;
		bool ready = false;

		pfd[0] = (struct pollfd){ .fd = s->stop_efd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (unsigned i = 0; i < CTL_NSLOTS; i++) {
			struct ctl_client *c = &s->clients[i];
			short ev = 0;

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ns) {
				/* Silent, stalled mid-line, or not reading its response. */
				if (client_pending(c)) {
					stat_inc(&s->st_slow);
					srv_log(s, CTL_LOG_SLOW, true, "dropped a client that did not "
					        "take its response within %u ms", s->opts.write_ms);
				} else {
					stat_inc(&s->st_idle);
					srv_log(s, CTL_LOG_IDLE, false, "closed a client that sent no "
					        "complete request within %u ms", s->opts.idle_ms);
				}
				client_close(c);
				continue;
			}
			if (client_idle(c) && now >= c->born_ns + ms_to_ns(s->opts.lifetime_ms)) {
				/* Open too long: closed between two requests, none lost. */
				stat_inc(&s->st_lifetime);
				srv_log(s, CTL_LOG_LIFETIME, false, "closed a client connected for "
				        "more than %u ms", s->opts.lifetime_ms);
				client_close(c);
				continue;
			}
			if (client_pending(c))
				ev = POLLOUT;
			else if (!c->eof && !c->closing && c->in_len < CTL_MAX_LINE)
				ev = POLLIN;
			if (client_has_line(c))
				ready = true;
			if (c->deadline_ns < next)
				next = c->deadline_ns;
			if (client_idle(c) && c->born_ns + ms_to_ns(s->opts.lifetime_ms) < next)
				next = c->born_ns + ms_to_ns(s->opts.lifetime_ms);
			pfd[nfds] = (struct pollfd){ .fd = c->fd, .events = ev };
			map[nfds++] = (int)i;
		}
		if (ready)
			timeout = 0;
		else if (next == UINT64_MAX)
			timeout = -1;
		else
			timeout = (int)((next - now + 999999) / 1000000);
		rc = poll(pfd, (nfds_t)nfds, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;   /* EFAULT/EINVAL/ENOMEM: nothing sensible left to do */
		}
		if (pfd[0].revents)
			break;
		for (int k = 2; k < nfds; k++) {
			struct ctl_client *c = &s->clients[map[k]];

			if (c->fd < 0)
				continue;
			if (pfd[k].revents & POLLIN)
				client_read(s, c);
			else if ((pfd[k].revents & (POLLHUP | POLLERR)) && !client_pending(c))
				c->eof = true;
			if ((pfd[k].revents & (POLLHUP | POLLERR)) && client_pending(c) &&
			    !(pfd[k].revents & POLLOUT)) {
				client_close(c);
				continue;
			}
			client_progress(s, c);
			if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
				break;
		}
		if (pfd[1].revents & POLLIN)
			do_accept(s);
	}
	server_drain(s);
}

/* The server this thread runs, so stop/destroy can tell they are called from the handler. */
static _Thread_local const struct ctl_server *tls_server;

static void *server_thread(void *arg)
{
	struct ctl_server *s = arg;

	tls_server = s;
	if (s->hooks.on_start)
		s->hooks.on_start(s->hooks.ctx);
	pthread_setname_np(pthread_self(), "e1k-ctl");
	server_loop(s);
	if (s->hooks.on_stop)
		s->hooks.on_stop(s->hooks.ctx);
	return NULL;
}

/* ---- lifecycle ---- */

static void server_free(struct ctl_server *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	/* After the socket is gone: a successor that takes the lock finds no socket. */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->dfd >= 0)
		close(s->dfd);
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	for (unsigned i = 0; i < CTL_NSLOTS; i++)
		client_close(&s->clients[i]);
	jb_free(&s->resp);
	pthread_mutex_destroy(&s->stop_lock);
	free(s);
}

/* Unlink the socket file only if it is still the one we bound. */
static void unlink_ours(struct ctl_server *s)
{
	struct stat st;

	if (!s->bound)
		return;
	if (fstatat(s->dfd, s->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == s->sock_dev &&
	    st.st_ino == s->sock_ino)
		unlinkat(s->dfd, s->base, 0);
	s->bound = false;
}

int ctl_server_create_opts(const char *path, ctl_handler_fn fn, void *ctx,
                           const struct e1k_thread_hooks *hooks,
                           const struct ctl_server_opts *opts, struct ctl_server **out,
                           char *errmsg, size_t errlen)
{
	struct ctl_server *s;
	sigset_t all, old;
	int rc;

	if (errmsg && errlen)
		errmsg[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path || !*path || !fn) {
		set_msg(errmsg, errlen, "no control socket path or handler");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		set_msg(errmsg, errlen, "control socket path too long (max %zu bytes): %s",
		        sizeof(((struct sockaddr_un *)0)->sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_msg(errmsg, errlen, "out of memory");
		return -ENOMEM;
	}
	s->lfd = -1;
	s->stop_efd = -1;
	s->dfd = -1;
	s->lock_fd = -1;
	for (unsigned i = 0; i < CTL_NSLOTS; i++)
		s->clients[i].fd = -1;
	pthread_mutex_init(&s->stop_lock, NULL);
	jb_init(&s->resp);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->fn = fn;
	s->ctx = ctx;
	if (hooks)
		s->hooks = *hooks;
	if (opts)
		s->opts = *opts;
	if (!s->opts.idle_ms)
		s->opts.idle_ms = CTL_SERVER_IDLE_MS;
	if (!s->opts.write_ms)
		s->opts.write_ms = CTL_SERVER_WRITE_MS;
	if (!s->opts.lifetime_ms)
		s->opts.lifetime_ms = CTL_SERVER_LIFETIME_MS;
	if (!s->opts.max_clients || s->opts.max_clients > CTL_SERVER_MAX_CLIENTS)
		s->opts.max_clients = CTL_SERVER_MAX_CLIENTS;
	s->euid = geteuid();
	atomic_init(&s->stopping, false);

	rc = open_sock_dir(path, s->base, sizeof(s->base), errmsg, errlen);
	if (rc < 0)
		goto fail;
	s->dfd = rc;
	rc = take_lock(s, errmsg, errlen);
	if (rc)
		goto fail;
	rc = check_existing(s, errmsg, errlen);
	if (rc)
		goto fail;
	rc = bind_listen(s, errmsg, errlen);
	if (rc)
		goto fail;
	s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_efd < 0) {
		rc = -errno;
		set_msg(errmsg, errlen, "eventfd: %s", strerror(-rc));
		goto fail;
	}
	/* The thread inherits a fully blocked mask: signals go to the daemon's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&s->thread, NULL, server_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		set_msg(errmsg, errlen, "cannot start the control thread: %s", strerror(-rc));
		goto fail;
	}
	s->thread_started = true;
	*out = s;
	return 0;

fail:
	unlink_ours(s);
	server_free(s);
	return rc;
}

int ctl_server_create(const char *path, ctl_handler_fn fn, void *ctx,
                      const struct e1k_thread_hooks *hooks, struct ctl_server **out)
{
	char msg[512];
	int rc = ctl_server_create_opts(path, fn, ctx, hooks, NULL, out, msg, sizeof(msg));

	if (rc)
		fprintf(stderr, "ctl: %s\n", msg[0] ? msg : strerror(-rc));
	return rc;
}

static bool on_server_thread(const struct ctl_server *s)
{
	return tls_server == s;
}

const struct ctl_server *ctl_server_current(void)
{
	return tls_server;
}

void ctl_server_stop(struct ctl_server *s)
{
	uint64_t one = 1;
	ssize_t n = 0;

	if (!s)
		return;
	atomic_store_explicit(&s->stopping, true, memory_order_relaxed);
	/* Wakes the poll(); pairs with the thread's poll on stop_efd. */
	if (s->stop_efd >= 0)
		n = write(s->stop_efd, &one, sizeof(one));
	(void)n;
	if (on_server_thread(s))
		return;   /* from the handler: the loop sees stopping when it returns */
	pthread_mutex_lock(&s->stop_lock);
	if (s->thread_started && !s->joined) {
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
	if (s->lfd >= 0) {
		close(s->lfd);
		s->lfd = -1;
	}
	pthread_mutex_unlock(&s->stop_lock);
}

void ctl_server_destroy(struct ctl_server *s)
{
	if (!s)
		return;
	if (on_server_thread(s)) {
		ctl_server_stop(s);
		return;
	}
	ctl_server_stop(s);
	unlink_ours(s);
	server_free(s);
}

const char *ctl_server_path(const struct ctl_server *s)
{
	return s ? s->path : NULL;
}

void ctl_server_get_stats(const struct ctl_server *s, struct ctl_server_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->accepted = atomic_load_explicit(&s->st_accepted, memory_order_relaxed);
	st->requests = atomic_load_explicit(&s->st_requests, memory_order_relaxed);
	st->bad_requests = atomic_load_explicit(&s->st_bad, memory_order_relaxed);
	st->refused_busy = atomic_load_explicit(&s->st_busy, memory_order_relaxed);
	st->refused_uid = atomic_load_explicit(&s->st_uid, memory_order_relaxed);
	st->closed_idle = atomic_load_explicit(&s->st_idle, memory_order_relaxed);
	st->dropped_slow = atomic_load_explicit(&s->st_slow, memory_order_relaxed);
	st->dropped_oversize = atomic_load_explicit(&s->st_oversize, memory_order_relaxed);
	st->evicted_idle = atomic_load_explicit(&s->st_evicted, memory_order_relaxed);
	st->closed_lifetime = atomic_load_explicit(&s->st_lifetime, memory_order_relaxed);
	st->halt_slot_used = atomic_load_explicit(&s->st_halt_slot, memory_order_relaxed);
}
