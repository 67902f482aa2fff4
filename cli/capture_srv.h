/* SPDX-License-Identifier: MIT */
/*
 * capture_srv.h - e1kd's side of `e1kctl capture`: at most one capture at a
 * time, its ring attached to the adapter (driver/capture.h) and a thread
 * that streams the ring's records to the client (capture_proto.h) on the
 * control connection the server handed over (ctl_server_handoff).
 *
 * Lifecycle: capture_srv_start (the CAPTURE handler: ring armed, frames
 * kept from then on) -> capture_srv_handoff (the server, once OK is out:
 * the thread starts on that connection; fd -1: disarmed and freed) -> the
 * thread ends on COUNT, on the client's shutdown or close, or at
 * capture_srv_close (after the halt: the ring drained, an END record saying
 * "halted", the connection closed).
 *
 * Locks: cs->lock, never held while waiting for the thread or for RCU.  The
 * thread takes no e1kd lock (the halt lock included), so the halt may join it.
 * Context: control thread (start, handoff), any thread (close).  May block:
 * close joins the thread (bounded: its writes have a deadline).
 */
#ifndef E1K_CLI_CAPTURE_SRV_H
#define E1K_CLI_CAPTURE_SRV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct e1k_adapter;
struct e1k_capture;

#define CAPTURE_SRV_RING_BYTES (4u << 20)

struct capture_srv {
	pthread_mutex_t lock;
	struct e1k_adapter *ad;
	struct e1k_capture *c;     /* a capture exists (armed); NULL: none */
	uint64_t count;            /* frames to send, 0: until told */
	int stop_efd;              /* written by close: the halt */
	pthread_t thread;
	bool thread_live;          /* started and not joined */
	bool closed;               /* capture_srv_close ran: no new capture */
};

/* Context: main, before the control server starts.  0 or -errno. */
int capture_srv_init(struct capture_srv *cs, struct e1k_adapter *ad);
/* Arm a capture: -EBUSY (one runs), -ESHUTDOWN (closed), -ENOMEM. */
int capture_srv_start(struct capture_srv *cs, unsigned dirs, uint32_t snaplen, uint64_t count);
/* ctl_handoff_fn: ctx is the capture_srv. */
void capture_srv_handoff(void *ctx, int fd);
/* End a running capture (its client sees END "halted") and refuse new ones. */
void capture_srv_close(struct capture_srv *cs);
/* After close: release what init took. */
void capture_srv_destroy(struct capture_srv *cs);

#endif
