/* SPDX-License-Identifier: MIT */
/*
 * robust_lib.h - shared pieces of the tests/robust adapter tests: a binding
 * that trusts nothing it is given, an adapter on the software model (directly
 * or behind a forwarding "shim" backend whose close stops the test's device
 * threads first), a two-way flood, and the report checks.
 *
 * Lifecycle:  rb_dev_up() -> rb_flood_start() -> ... -> e1k_adapter_halt()
 *             -> rb_flood_stop() -> e1k_adapter_destroy()
 *
 * The shim: every hal op forwards to the model.  Threads the test registers
 * with rb_dev_add_device_thread() touch the model directly (sim_fault,
 * sim_wire_inject); the halt closes the device in its last stage, so the
 * shim's close op stops and joins those threads before it closes the model
 * -- which lets a test inject faults for the whole halt, up to
 * release-device, without ever touching a freed model.  The shim reads the
 * model's DMA-checker count just before closing it (the halt's own report
 * cannot, as the handle is not the model's).
 *
 * Threading: the calling thread must be RCU-registered (rb_dev_up does it).
 */
#ifndef E1K_TESTS_ROBUST_LIB_H
#define E1K_TESTS_ROBUST_LIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "adapter.h"
#include "halt.h"
#include "sim.h"

#define RB_BUF_SIZE  2048u       /* the adapter's receive buffers (RCTL.BSIZE 2048) */
#define RB_ETHERTYPE 0x88b5u     /* IEEE local experimental */
#define RB_MAX_DEV_THREADS 4

struct rb_binding {
	struct e1k_adapter *ad;
	atomic_ulong frames, bad_len, null_data, bytes, sum;
	atomic_ulong good;           /* RB_ETHERTYPE frames whose payload checks out */
	atomic_int halt_reason;      /* first owner halt_needed request, -1 none */
	atomic_ulong halt_requests;
	bool quiet;                  /* do not print owner requests */
};

struct rb_dev {
	struct hal_dev *hw;          /* what the adapter uses (the shim or the model) */
	struct hal_dev *sim;         /* the model */
	struct e1k_adapter *ad;
	struct rb_binding b;
	uint8_t mac[6];
	/* shim only */
	bool shimmed;
	atomic_bool dev_threads_stop;
	pthread_t dev_threads[RB_MAX_DEV_THREADS];
	unsigned ndev_threads;
	atomic_bool sim_closed;
	uint64_t sim_dma_faults;     /* read by the shim's close, before closing */
	struct sim_stats sim_last;
};

struct rb_opts {
	enum sim_model model;
	enum e1k_irq_mode irq;
	unsigned dpc_workers;        /* 0 = default */
	unsigned watchdog_ms;        /* 0 = default */
	bool shim;
};

/* Open the model (loopback wire), initialize, bind, restart.  0 or -errno. */
int  rb_dev_up(struct rb_dev *t, const struct rb_opts *o);
/* Shim only: start fn(arg) as a thread the shim's close stops (it must
 * return soon after rb_dev_threads_stopping() turns true). */
int  rb_dev_add_device_thread(struct rb_dev *t, void *(*fn)(void *), void *arg);
bool rb_dev_threads_stopping(struct rb_dev *t);
/* Model DMA-checker count: live while the device is open; for a shimmed
 * device the value its close read.  A direct device's model is closed by the
 * halt: after it, use the report's dma_faults. */
uint64_t rb_dev_dma_faults(struct rb_dev *t);

/* A test frame to the station address: RB_ETHERTYPE, payload from seq. */
void rb_frame(const struct rb_dev *t, uint8_t *buf, uint32_t len, uint32_t seq);

/* The flood: a sender thread (the driver transmits in loopback) and, unless
 * no_wire, a wire injector of frames of every size (runts to longer than one
 * buffer).  With a shim the injector is a device thread. */
struct rb_flood {
	struct rb_dev *t;
	atomic_bool stop;
	atomic_ulong sent, injected;
	pthread_t sender;
	bool wire;
	pthread_t injector;          /* direct device only */
};
void rb_flood_start(struct rb_flood *f, struct rb_dev *t, bool wire);
/* Stops the sender (and a direct device's injector).  Call before destroy. */
void rb_flood_stop(struct rb_flood *f);

/* Report checks; line for messages.  allow_timeout: stages that may time out
 * (bit per enum e1k_halt_stage). */
void rb_check_report(const struct e1k_halt_report *rep, int rc, struct rb_dev *t,
                     unsigned allow_timeout, int line);

#endif
