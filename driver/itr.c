/* SPDX-License-Identifier: MIT */
/*
 * itr.c - adaptive interrupt moderation (the rule is in itr.h).
 */
#include "itr.h"

void e1k_itr_init(struct e1k_itr *m, unsigned floor_ns, unsigned ceil_ns, unsigned rx_ring)
{
	m->batch = rx_ring && rx_ring / 4 < E1K_ITR_BATCH ? rx_ring / 4 : E1K_ITR_BATCH;
	if (!m->batch)
		m->batch = 1;
	m->floor_ns = floor_ns;
	m->ceil_ns = ceil_ns > floor_ns ? ceil_ns : 0;
	m->cur_ns = floor_ns;
	m->win_t0 = 0;
	m->win_frames0 = 0;
	m->started = false;
}

bool e1k_itr_sample(struct e1k_itr *m, uint64_t now, uint64_t frames, unsigned *ns)
{
	uint64_t dt, n;
	unsigned want;

	if (!m->ceil_ns)
		return false;
	if (!m->started || now < m->win_t0 || frames < m->win_frames0) {
		m->started = true;
		m->win_t0 = now;
		m->win_frames0 = frames;
		return false;
	}
	dt = now - m->win_t0;
	if (dt < E1K_ITR_WINDOW_NS)
		return false;
	n = frames - m->win_frames0;
	m->win_t0 = now;
	m->win_frames0 = frames;
	/* R * T >= k  <=>  n * T >= k * dt (no division; n * T fits: n is at
	 * most a few million per window, T below 2^24 ns). */
	if (n * m->ceil_ns < (uint64_t)E1K_ITR_DOWN_FRAMES * dt ||
	    (m->cur_ns == m->floor_ns && n * m->ceil_ns < (uint64_t)E1K_ITR_UP_FRAMES * dt)) {
		want = m->floor_ns;
	} else {
		/* B / R = B * dt / n; n > 0 here (n * T >= dt > 0). */
		uint64_t t = (uint64_t)m->batch * dt / n;

		want = t > m->ceil_ns ? m->ceil_ns : t < m->floor_ns ? m->floor_ns : (unsigned)t;
		/* Within a quarter of the current one: keep it (the bounds
		 * themselves are always taken). */
		if (want != m->floor_ns && want != m->ceil_ns &&
		    want + m->cur_ns / 4 >= m->cur_ns && want <= m->cur_ns + m->cur_ns / 4)
			return false;
	}
	if (want == m->cur_ns)
		return false;
	m->cur_ns = want;
	*ns = want;
	return true;
}
