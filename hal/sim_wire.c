/* SPDX-License-Identifier: MIT */
/*
 * sim_wire.c - the model's wire: what its transmitter sends into and its
 * receiver takes frames from.
 *
 *   NONE      transmitted frames are counted (tx_frames) and dropped
 *   LOOPBACK  transmitted frames join the receive queue
 *   TAP       transmitted frames are written to a host TAP; frames the host
 *             sends to the TAP are read by the model thread into the queue
 *
 * The receive queue holds up to SIM_WIREQ_SLOTS frames; beyond that the wire
 * drops (wire_drops; sim_wire_inject returns -ENOSPC).  The model thread
 * empties it every iteration: a frame that finds no descriptor is dropped
 * there and counted as missed (MPC), as real hardware does, so the queue only
 * fills while the device is quiet (hung, D3hot).  Slot buffers grow to the
 * largest frame they held and are kept, so the steady state does not allocate.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapdev.h"

bool sim_frame_reserve(struct sim_frame *f, size_t len)
{
	size_t cap;
	uint8_t *b;

	if (len <= f->cap)
		return true;
	cap = len < SIM_SLOT_MIN ? SIM_SLOT_MIN : len;
	b = realloc(f->buf, cap);
	if (!b)
		return false;
	f->buf = b;
	f->cap = (uint32_t)cap;
	return true;
}

int sim_wire_init(struct sim_dev *d)
{
	int err = pthread_mutex_init(&d->wire.lock, NULL);

	if (err)
		return -err;
	d->tap_fd = -1;
	if (d->cfg.wire != SIM_WIRE_TAP)
		return 0;
	d->tap_buf = malloc(SIM_FRAME_MAX);
	if (!d->tap_buf) {
		pthread_mutex_destroy(&d->wire.lock);
		return -ENOMEM;
	}
	err = tapdev_open(d->tap_name, NULL);
	if (err < 0) {
		free(d->tap_buf);
		d->tap_buf = NULL;
		pthread_mutex_destroy(&d->wire.lock);
		return err;
	}
	d->tap_fd = err;
	return 0;
}

void sim_wire_fini(struct sim_dev *d)
{
	for (unsigned i = 0; i < SIM_WIREQ_SLOTS; i++) {
		free(d->wire.slot[i].buf);
		d->wire.slot[i] = (struct sim_frame){ 0 };
	}
	if (d->tap_fd >= 0)
		tapdev_close(d->tap_fd);
	d->tap_fd = -1;
	free(d->tap_buf);
	d->tap_buf = NULL;
	pthread_mutex_destroy(&d->wire.lock);
}

int sim_wire_enqueue(struct sim_dev *d, const void *frame, size_t len)
{
	struct sim_wireq *q = &d->wire;
	struct sim_frame *f;
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->count == SIM_WIREQ_SLOTS) {
		err = -ENOSPC;
	} else {
		/* Copy under the lock: producers must not share a slot, and the
		 * consumer never reads slots beyond head + count. */
		f = &q->slot[(q->head + q->count) % SIM_WIREQ_SLOTS];
		if (!sim_frame_reserve(f, len)) {
			err = -ENOMEM;
		} else {
			memcpy(f->buf, frame, len);
			f->len = (uint32_t)len;
			q->count++;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

uint32_t sim_wire_peek(struct sim_dev *d, uint32_t max)
{
	uint32_t k;

	pthread_mutex_lock(&d->wire.lock);
	k = d->wire.count < max ? d->wire.count : max;
	pthread_mutex_unlock(&d->wire.lock);
	return k;
}

struct sim_frame *sim_wire_slot(struct sim_dev *d, uint32_t i)
{
	/* head changes only in sim_wire_pop, on this (the consumer's) thread. */
	pthread_mutex_lock(&d->wire.lock);
	i = (d->wire.head + i) % SIM_WIREQ_SLOTS;
	pthread_mutex_unlock(&d->wire.lock);
	return &d->wire.slot[i];
}

void sim_wire_pop(struct sim_dev *d, uint32_t n)
{
	pthread_mutex_lock(&d->wire.lock);
	d->wire.head = (d->wire.head + n) % SIM_WIREQ_SLOTS;
	d->wire.count -= n;
	pthread_mutex_unlock(&d->wire.lock);
}

void sim_wire_flush(struct sim_dev *d)
{
	pthread_mutex_lock(&d->wire.lock);
	d->wire.head = (d->wire.head + d->wire.count) % SIM_WIREQ_SLOTS;
	d->wire.count = 0;
	pthread_mutex_unlock(&d->wire.lock);
}

bool sim_wire_full(struct sim_dev *d)
{
	bool full;

	pthread_mutex_lock(&d->wire.lock);
	full = d->wire.count == SIM_WIREQ_SLOTS;
	pthread_mutex_unlock(&d->wire.lock);
	return full;
}

void sim_wire_output(struct sim_dev *d, const uint8_t *frame, size_t len)
{
	sim_count(&d->st_tx_frames, 1);
	switch (d->cfg.wire) {
	case SIM_WIRE_LOOPBACK:
		if (sim_wire_enqueue(d, frame, len) != 0)
			sim_count(&d->st_wire_drops, 1);
		break;
	case SIM_WIRE_TAP:
		if (d->tap_fd < 0 || tapdev_write(d->tap_fd, frame, len) != 0)
			sim_count(&d->st_wire_drops, 1);
		break;
	default:
		break;   /* NONE: counted and gone */
	}
}

void sim_wire_tap_poll(struct sim_dev *d)
{
	if (d->tap_fd < 0)
		return;
	for (unsigned i = 0; i < SIM_TAP_READ_BUDGET; i++) {
		ssize_t r;

		if (sim_wire_full(d))
			return;   /* leave the rest in the kernel's queue */
		r = tapdev_read(d->tap_fd, d->tap_buf, SIM_FRAME_MAX);
		if (r == -EMSGSIZE) {
			sim_count(&d->st_wire_drops, 1);
			continue;
		}
		if (r < 0)
			return;   /* -EAGAIN: nothing more for now */
		if (sim_wire_enqueue(d, d->tap_buf, (size_t)r) != 0)
			sim_count(&d->st_wire_drops, 1);
	}
}
