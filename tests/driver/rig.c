/* SPDX-License-Identifier: MIT */
#include "rig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "e1k_rcu.h"

static struct timespec deadline_ts(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

/* Byte k of a frame that may be in several segments. */
static uint8_t frame_byte(const struct e1k_rx_frame *f, uint32_t k)
{
	for (unsigned s = 0; s < f->nseg; k -= f->seg[s].len, s++)
		if (k < f->seg[s].len)
			return f->seg[s].data[k];
	return 0;
}

static void rb_receive(void *ctx, const struct e1k_rx_frame *f, unsigned n)
{
	struct rig *r = ctx;
	struct rig_binding *b = &r->b;
	uint32_t ret[64];
	unsigned nret = 0;

	pthread_mutex_lock(&b->lock);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = f[i].data;
		uint64_t seq;

		if (f[i].len < 14 + 8 || d[12] != (RIG_ETHERTYPE >> 8) || d[13] != (RIG_ETHERTYPE & 0xff)) {
			b->foreign++;
		} else {
			memcpy(&seq, d + 14, 8);
			for (uint32_t k = 22; k < f[i].len; k++)
				if (frame_byte(&f[i], k) != (uint8_t)(seq + k)) {
					b->corrupt++;
					break;
				}
			if (f[i].nseg > 1)
				b->chained++;
			if (seq == b->next_seq) {
				b->next_seq++;
			} else if (seq > b->next_seq) {
				b->lost += seq - b->next_seq;
				b->next_seq = seq + 1;
			} else {
				b->dup_or_reordered++;
			}
		}
		b->received++;
		if (f[i].flags & E1K_RX_CSUM_OK)
			b->csum_ok++;
		if (b->hold && b->nheld < RIG_HOLD_MAX) {
			b->held_data[b->nheld] = f[i].data;
			b->held_len[b->nheld] = f[i].len;
			b->held[b->nheld++] = f[i].buf;
		} else
			ret[nret++] = f[i].buf;
	}
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	for (unsigned i = 0; i < nret; i += 64)
		e1k_adapter_return_rx(r->ad, ret + i, nret - i < 64 ? nret - i : 64);
}

static void rb_link(void *ctx, bool up, unsigned mbps)
{
	struct rig *r = ctx;

	(void)up;
	(void)mbps;
	atomic_fetch_add(&r->b.link_events, 1);
}

static void rb_unbind(void *ctx)
{
	struct rig *r = ctx;
	bool ret;

	atomic_store(&r->b.unbound, true);
	pthread_mutex_lock(&r->b.lock);
	ret = r->b.return_on_unbind;
	pthread_mutex_unlock(&r->b.lock);
	if (ret)
		rig_release_held(r);
}

const struct e1k_binding_ops rig_binding_ops = {
	.name = "test",
	.receive = rb_receive,
	.link = rb_link,
	.unbind = rb_unbind,
};

static void owner_halt_needed(void *ctx, enum e1k_halt_reason reason, const char *why)
{
	struct rig *r = ctx;

	pthread_mutex_lock(&r->olock);
	if (r->halt_reason < 0) {
		r->halt_reason = (int)reason;
		snprintf(r->halt_why, sizeof(r->halt_why), "%s", why);
	}
	pthread_cond_broadcast(&r->ocond);
	pthread_mutex_unlock(&r->olock);
}

int rig_up(struct rig *r, enum sim_model m, enum sim_wire w, const struct e1k_config *cfg)
{
	struct sim_config sc = { .model = m, .wire = w, .fail_irq_set_index = HAL_IRQ_NINDEX };

	return rig_up_sim(r, &sc, cfg);
}

int rig_up_sim(struct rig *r, const struct sim_config *sc, const struct e1k_config *cfg)
{
	return rig_up_preset(r, sc, cfg, NULL);
}

int rig_up_preset(struct rig *r, const struct sim_config *sc, const struct e1k_config *cfg,
                  void (*preset)(struct hal_dev *hw))
{
	struct e1k_config c;
	struct e1k_owner_ops owner = { .halt_needed = owner_halt_needed, .ctx = r };
	char err[256];
	int rc;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->b.lock, NULL);
	cond_init_mono(&r->b.cond);
	pthread_mutex_init(&r->olock, NULL);
	cond_init_mono(&r->ocond);
	r->halt_reason = -1;
	e1k_rcu_thread_online();
	if (cfg) {
		c = *cfg;
	} else {
		e1k_config_defaults(&c);
	}
	rc = sim_open(sc, &r->hw);
	if (rc < 0)
		return rc;
	if (preset)
		preset(r->hw);
	rc = e1k_adapter_initialize(r->hw, &c, &owner, &r->ad, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "rig_up: %s\n", err);
		hal_close(r->hw);
		r->hw = NULL;
		return rc;
	}
	e1k_adapter_get_mac(r->ad, r->mac);
	rc = e1k_adapter_bind(r->ad, &rig_binding_ops, r);
	if (rc == 0)
		rc = e1k_adapter_restart(r->ad);
	return rc;
}

void rig_down(struct rig *r, enum e1k_halt_reason reason, struct e1k_halt_report *rep)
{
	if (!r->ad)
		return;
	if (!r->b.hold)
		rig_release_held(r);
	(void)e1k_adapter_halt(r->ad, reason, rep);
	e1k_adapter_destroy(r->ad);
	r->ad = NULL;
	r->hw = NULL;
}

void rig_frame(const struct rig *r, uint8_t *buf, uint32_t len, uint64_t seq)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(buf, r->mac, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = RIG_ETHERTYPE >> 8;
	buf[13] = RIG_ETHERTYPE & 0xff;
	memcpy(buf + 14, &seq, 8);
	for (uint32_t k = 22; k < len; k++)
		buf[k] = (uint8_t)(seq + k);
}

long rig_send_paced(struct rig *r, uint64_t first, uint64_t count, unsigned window,
                    unsigned timeout_ms)
{
	return rig_send_paced_max(r, first, count, window, timeout_ms, RIG_FRAME_STD);
}

long rig_send_paced_max(struct rig *r, uint64_t first, uint64_t count, unsigned window,
                        unsigned timeout_ms, uint32_t max_len)
{
	static _Thread_local uint8_t bufs[32][RIG_FRAME_MAX];
	struct e1k_frame fr[32] = { 0 };
	struct timespec dl = deadline_ts(timeout_ms);
	uint64_t sent = 0, base;

	pthread_mutex_lock(&r->b.lock);
	base = r->b.received;
	pthread_mutex_unlock(&r->b.lock);
	while (sent < count) {
		unsigned n = count - sent < 32 ? (unsigned)(count - sent) : 32;
		int rc;

		/* Keep the receive ring from overflowing: wait for the binding. */
		pthread_mutex_lock(&r->b.lock);
		while (sent + n > r->b.received - base + window) {
			if (pthread_cond_timedwait(&r->b.cond, &r->b.lock, &dl) == ETIMEDOUT) {
				pthread_mutex_unlock(&r->b.lock);
				return (long)sent;
			}
		}
		pthread_mutex_unlock(&r->b.lock);
		for (unsigned i = 0; i < n; i++) {
			uint64_t seq = first + sent + i;
			uint32_t len = 60 + (uint32_t)(seq * 4099u % (max_len - 59));

			rig_frame(r, bufs[i], len, seq);
			fr[i].data = bufs[i];
			fr[i].len = len;
		}
		rc = e1k_adapter_send(r->ad, fr, n);
		if (rc < 0)
			return sent ? (long)sent : rc;
		sent += (unsigned)rc;
		if ((unsigned)rc < n) {
			/* Ring or pool full: wait for any progress, bounded. */
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec > dl.tv_nsec))
				return (long)sent;
			sched_yield();
		}
	}
	return (long)sent;
}

bool rig_wait_received(struct rig *r, uint64_t n, unsigned timeout_ms)
{
	struct timespec dl = deadline_ts(timeout_ms);
	bool ok = true;

	pthread_mutex_lock(&r->b.lock);
	while (r->b.received < n && ok)
		ok = pthread_cond_timedwait(&r->b.cond, &r->b.lock, &dl) != ETIMEDOUT;
	ok = r->b.received >= n;
	pthread_mutex_unlock(&r->b.lock);
	return ok;
}

bool rig_wait_halt_needed(struct rig *r, unsigned timeout_ms)
{
	struct timespec dl = deadline_ts(timeout_ms);
	bool ok;

	pthread_mutex_lock(&r->olock);
	while (r->halt_reason < 0)
		if (pthread_cond_timedwait(&r->ocond, &r->olock, &dl) == ETIMEDOUT)
			break;
	ok = r->halt_reason >= 0;
	pthread_mutex_unlock(&r->olock);
	return ok;
}

void rig_release_held(struct rig *r)
{
	uint32_t held[RIG_HOLD_MAX];
	unsigned n;

	pthread_mutex_lock(&r->b.lock);
	n = r->b.nheld;
	memcpy(held, r->b.held, n * sizeof(held[0]));
	r->b.nheld = 0;
	r->b.hold = false;
	pthread_mutex_unlock(&r->b.lock);
	for (unsigned i = 0; i < n; i += 64)
		e1k_adapter_return_rx(r->ad, held + i, n - i < 64 ? n - i : 64);
}

static unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

unsigned rig_count_threads(void)
{
	return count_dir("/proc/self/task");
}

unsigned rig_count_fds(void)
{
	return count_dir("/proc/self/fd") - 1;   /* the opendir fd itself */
}
