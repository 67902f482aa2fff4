/* SPDX-License-Identifier: MIT */
/*
 * itr.c - adaptive interrupt moderation (the rule is in itr.h).
 */
#include "itr.h"

void e1k_itr_init(struct e1k_itr *m, unsigned floor_ns, unsigned ceil_ns)
{
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
	if (n * m->ceil_ns >= (uint64_t)E1K_ITR_UP_FRAMES * dt)
		want = m->ceil_ns;
	else if (n * m->ceil_ns < (uint64_t)E1K_ITR_DOWN_FRAMES * dt)
		want = m->floor_ns;
	else
		return false;
	if (want == m->cur_ns)
		return false;
	m->cur_ns = want;
	*ns = want;
	return true;
}
