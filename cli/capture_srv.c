/* SPDX-License-Identifier: MIT */
#include "capture_srv.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "capture_proto.h"
#include "clock.h"
#include "log.h"

/* How often the thread looks at the ring: the datapath never signals it
 * (that would cost the producers a system call). */
#define DRAIN_MS 10
/* Batched writes to the client. */
#define OUT_BYTES (256u * 1024)
/* A client that takes nothing for this long is gone; after a halt (which
 * waits for this thread) it gets less. */
#define WRITE_DEADLINE_MS 5000
#define HALTED_DEADLINE_MS 1000

struct session {
	struct capture_srv *cs;
	struct e1k_capture *c;
	int fd;
	uint64_t count, sent;
	uint8_t *out;
	size_t out_len;
	bool client_gone;      /* write failed or timed out: no END */
	bool client_done;      /* shut down its side: wants END */
	unsigned deadline_ms;  /* for one write to complete */
};

int capture_srv_init(struct capture_srv *cs, struct e1k_adapter *ad)
{
	memset(cs, 0, sizeof(*cs));
	pthread_mutex_init(&cs->lock, NULL);
	cs->ad = ad;
	cs->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return cs->stop_efd < 0 ? -errno : 0;
}

void capture_srv_destroy(struct capture_srv *cs)
{
	if (cs->stop_efd >= 0)
		close(cs->stop_efd);
	cs->stop_efd = -1;
	pthread_mutex_destroy(&cs->lock);
}

/* Detach the ring (a grace period: no producer left in it) and forget the
 * capture, so the next one may start.  Caller holds no lock. */
static void end_capture(struct capture_srv *cs, struct e1k_capture *c)
{
	e1k_adapter_capture_detach(cs->ad, c);
	pthread_mutex_lock(&cs->lock);
	if (cs->c == c)
		cs->c = NULL;
	pthread_mutex_unlock(&cs->lock);
}

int capture_srv_start(struct capture_srv *cs, unsigned dirs, uint32_t snaplen, uint64_t count)
{
	struct e1k_capture *c;
	pthread_t old;
	bool join = false;
	int rc;

	pthread_mutex_lock(&cs->lock);
	if (cs->closed) {
		pthread_mutex_unlock(&cs->lock);
		return -ESHUTDOWN;
	}
	if (cs->c) {
		pthread_mutex_unlock(&cs->lock);
		return -EBUSY;
	}
	/* A thread that ended on its own is joined by whoever comes next. */
	if (cs->thread_live) {
		old = cs->thread;
		cs->thread_live = false;
		join = true;
	}
	c = e1k_capture_new(CAPTURE_SRV_RING_BYTES, dirs, snaplen);
	rc = c ? 0 : -errno;
	/* Under the lock: close must find it either armed or not at all. */
	if (c && (rc = e1k_adapter_capture_attach(cs->ad, c)) == 0) {
		cs->c = c;
		cs->count = count;
	}
	pthread_mutex_unlock(&cs->lock);
	if (rc < 0)
		e1k_capture_free(c);
	if (join)
		pthread_join(old, NULL);
	return rc;
}

/* Write everything in buf or give up on the client (deadline, error, or a
 * halt while it does not read: then END is not owed any more). */
static void send_all(struct session *s, const void *buf, size_t len)
{
	uint64_t deadline = e1k_now_ns() + (uint64_t)s->deadline_ms * 1000000u;
	size_t off = 0;

	while (off < len && !s->client_gone) {
		ssize_t n = send(s->fd, (const uint8_t *)buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd p[2] = {
			{ .fd = s->fd, .events = POLLOUT },
			{ .fd = s->cs->stop_efd, .events = POLLIN },
		};
		uint64_t now;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			s->client_gone = true;
			return;
		}
		now = e1k_now_ns();
		if (now >= deadline) {
			e1k_log(E1K_LOG_WARN, "capture: the client took nothing for %u ms: closed",
			        s->deadline_ms);
			s->client_gone = true;
			return;
		}
		/* The stop eventfd stays readable once written: watched until seen. */
		if (poll(p, s->deadline_ms > HALTED_DEADLINE_MS ? 2 : 1,
		         (int)((deadline - now) / 1000000u) + 1) > 0 && (p[1].revents & POLLIN) &&
		    s->deadline_ms > HALTED_DEADLINE_MS) {
			/* A halt waits for us: the client gets less time from here. */
			s->deadline_ms = HALTED_DEADLINE_MS;
			if (deadline > now + (uint64_t)HALTED_DEADLINE_MS * 1000000u)
				deadline = now + (uint64_t)HALTED_DEADLINE_MS * 1000000u;
		}
	}
}

static void flush_out(struct session *s)
{
	if (s->out_len)
		send_all(s, s->out, s->out_len);
	s->out_len = 0;
}

/* Move what the ring holds to the client, up to the count. */
static void drain(struct session *s)
{
	struct e1k_capture_rec rec;
	struct capture_wire_hdr h = { .magic = CAPTURE_MAGIC, .kind = CAPTURE_REC_FRAME };

	while (!s->client_gone && (!s->count || s->sent < s->count)) {
		uint8_t *p;

		if (s->out_len + sizeof(h) + E1K_CAPTURE_SNAPLEN_MAX > OUT_BYTES)
			flush_out(s);
		p = s->out + s->out_len;
		if (e1k_capture_read(s->c, &rec, p + sizeof(h), E1K_CAPTURE_SNAPLEN_MAX) != 1)
			break;
		h.dir = (uint16_t)rec.dir;
		h.len = rec.len;
		h.caplen = rec.caplen;
		h.ts_ns = rec.ts_ns;
		e1k_capture_counts(s->c, NULL, &h.dropped);
		memcpy(p, &h, sizeof(h));
		s->out_len += sizeof(h) + rec.caplen;
		s->sent++;
	}
	flush_out(s);
}

/* Has the client shut down its side (or gone)? */
static void look_at_client(struct session *s, short revents)
{
	char b[64];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = recv(s->fd, b, sizeof(b), MSG_DONTWAIT);
	if (n == 0)
		s->client_done = true;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		s->client_gone = true;
	/* Bytes sent after the request mean nothing: ignored. */
}

static void *capture_thread(void *arg)
{
	struct session *s = arg;
	struct capture_srv *cs = s->cs;
	enum capture_end why;
	struct capture_wire_hdr end = { .magic = CAPTURE_MAGIC, .kind = CAPTURE_REC_END };
	uint64_t captured, dropped;

	pthread_setname_np(pthread_self(), "e1k-capture");
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = s->fd, .events = POLLIN },
			{ .fd = cs->stop_efd, .events = POLLIN },
		};

		drain(s);
		if (s->client_gone) {
			why = CAPTURE_END_CLIENT;
			break;
		}
		if (s->count && s->sent >= s->count) {
			why = CAPTURE_END_COUNT;
			break;
		}
		if (poll(p, 2, DRAIN_MS) < 0 && errno != EINTR)
			p[0].revents = POLLERR;
		look_at_client(s, p[0].revents);
		if (s->client_done || s->client_gone) {
			why = CAPTURE_END_CLIENT;
			break;
		}
		if (p[1].revents & POLLIN) {
			why = CAPTURE_END_HALTED;
			s->deadline_ms = HALTED_DEADLINE_MS;
			break;
		}
	}
	/* Disarmed: after the grace period the counts are final and no frame
	 * comes in; what the ring still holds goes out first. */
	end_capture(cs, s->c);
	if (why != CAPTURE_END_COUNT)
		drain(s);
	e1k_capture_counts(s->c, &captured, &dropped);
	end.len = why;
	end.ts_ns = s->sent;
	end.dropped = dropped;
	if (!s->client_gone)
		send_all(s, &end, sizeof(end));
	e1k_log(E1K_LOG_INFO, "capture ended (%s): %llu frame(s) sent, %llu dropped",
	        why == CAPTURE_END_COUNT ? "count reached" : why == CAPTURE_END_HALTED ? "halted"
	        : s->client_gone ? "client gone" : "client stopped",
	        (unsigned long long)s->sent, (unsigned long long)dropped);
	close(s->fd);
	e1k_capture_free(s->c);
	free(s->out);
	free(s);
	return NULL;
}

static void send_end(int fd, enum capture_end why)
{
	struct capture_wire_hdr end = { .magic = CAPTURE_MAGIC, .kind = CAPTURE_REC_END, .len = why };

	/* A fresh connection's buffer is empty: one small write fits. */
	(void)send(fd, &end, sizeof(end), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/*
 * Ownership of the armed ring (cs->c): the thread once started (it clears
 * cs->c after detaching); before that, whoever clears cs->c under the lock
 * -- this handoff with no connection, or close -- detaches and frees it.
 */
void capture_srv_handoff(void *ctx, int fd)
{
	struct capture_srv *cs = ctx;
	struct session *s = NULL;
	struct e1k_capture *c;
	enum capture_end why = CAPTURE_END_ERROR;

	pthread_mutex_lock(&cs->lock);
	c = cs->c;
	if (!c) {
		/* Closed (the halt) between the answer and now. */
		pthread_mutex_unlock(&cs->lock);
		if (fd >= 0)
			send_end(fd, CAPTURE_END_HALTED);
		return;
	}
	if (fd >= 0 && (s = calloc(1, sizeof(*s))) && (s->out = malloc(OUT_BYTES))) {
		int rc;

		s->cs = cs;
		s->c = c;
		s->fd = fd;
		s->count = cs->count;
		s->deadline_ms = WRITE_DEADLINE_MS;
		rc = pthread_create(&cs->thread, NULL, capture_thread, s);
		if (rc == 0) {
			cs->thread_live = true;
			pthread_mutex_unlock(&cs->lock);
			return;
		}
		e1k_log(E1K_LOG_ERROR, "capture: cannot start its thread: %s", strerror(rc));
	} else if (fd >= 0) {
		e1k_log(E1K_LOG_ERROR, "capture: out of memory");
	}
	cs->c = NULL;
	pthread_mutex_unlock(&cs->lock);
	if (s)
		free(s->out);
	free(s);
	e1k_adapter_capture_detach(cs->ad, c);
	e1k_capture_free(c);
	if (fd >= 0)
		send_end(fd, why);
}

void capture_srv_close(struct capture_srv *cs)
{
	uint64_t one = 1;
	struct e1k_capture *c = NULL;
	pthread_t t;
	bool join;

	pthread_mutex_lock(&cs->lock);
	cs->closed = true;
	join = cs->thread_live;
	t = cs->thread;
	cs->thread_live = false;
	if (!join) {
		/* Armed, its connection not handed over yet: the handoff will
		 * find nothing and tell the client. */
		c = cs->c;
		cs->c = NULL;
	}
	if (cs->stop_efd >= 0 && write(cs->stop_efd, &one, sizeof(one)) < 0)
		e1k_log(E1K_LOG_WARN, "capture: eventfd: %s", strerror(errno));
	pthread_mutex_unlock(&cs->lock);
	if (join)
		pthread_join(t, NULL);
	if (c) {
		e1k_adapter_capture_detach(cs->ad, c);
		e1k_capture_free(c);
	}
}
