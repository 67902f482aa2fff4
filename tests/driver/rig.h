/* SPDX-License-Identifier: MIT */
/*
 * rig.h - an adapter on the software device model with a test binding, for
 * the driver and halt tests.  The calling thread must be RCU-registered
 * (rig_up does it).
 */
#ifndef E1K_TESTS_RIG_H
#define E1K_TESTS_RIG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "adapter.h"
#include "halt.h"
#include "sim.h"

#define RIG_ETHERTYPE 0x88b5u   /* IEEE local experimental */
#define RIG_HOLD_MAX  8192

struct rig_binding {
	pthread_mutex_t lock;
	pthread_cond_t  cond;
	uint64_t received;       /* frames seen */
	uint64_t next_seq;       /* expected sequence number */
	uint64_t lost, dup_or_reordered, corrupt, foreign;
	uint64_t chained;        /* frames that came in several segments */
	uint64_t csum_ok;        /* frames with E1K_RX_CSUM_OK */
	bool     hold;           /* keep buffers instead of returning them */
	bool     return_on_unbind; /* the unbind callback returns held buffers */
	uint32_t held[RIG_HOLD_MAX];
	const uint8_t *held_data[RIG_HOLD_MAX];   /* the frames, as indicated */
	uint32_t held_len[RIG_HOLD_MAX];
	unsigned nheld;
	atomic_bool unbound;
	atomic_ulong link_events;
};

struct rig {
	struct hal_dev *hw;
	struct e1k_adapter *ad;
	struct rig_binding b;
	uint8_t mac[6];
	/* owner callback */
	pthread_mutex_t olock;
	pthread_cond_t  ocond;
	int  halt_reason;        /* -1 none */
	char halt_why[128];
};

extern const struct e1k_binding_ops rig_binding_ops;

/* Open the model and initialize + restart the adapter (Running, bound). */
int  rig_up(struct rig *r, enum sim_model m, enum sim_wire w, const struct e1k_config *cfg);
/* The same with a full model configuration (e.g. no_pm_cap). */
int  rig_up_sim(struct rig *r, const struct sim_config *sc, const struct e1k_config *cfg);
/* The same, with preset(hw) run on the opened model before initialize: the
 * state a previous driver left in the device. */
int  rig_up_preset(struct rig *r, const struct sim_config *sc, const struct e1k_config *cfg,
                   void (*preset)(struct hal_dev *hw));
/* Halt (if not yet) with reason and destroy. */
void rig_down(struct rig *r, enum e1k_halt_reason reason, struct e1k_halt_report *rep);
/* Build frame seq with len bytes addressed to the station MAC. */
void rig_frame(const struct rig *r, uint8_t *buf, uint32_t len, uint64_t seq);
/* Send count frames seq..seq+count-1, keeping at most window of them in
 * flight (sent by this call - received since it began): frames still in
 * flight from an earlier call are not counted, so a loop of calls must wait
 * for them (rig_wait_received) or the receive ring can overflow.  Returns
 * frames sent or a negative errno. */
long rig_send_paced(struct rig *r, uint64_t first_seq, uint64_t count, unsigned window,
                    unsigned timeout_ms);
/* The same with frames of 60 .. max_len bytes (<= RIG_FRAME_MAX). */
#define RIG_FRAME_STD 1514u
#define RIG_FRAME_MAX 9014u
long rig_send_paced_max(struct rig *r, uint64_t first_seq, uint64_t count, unsigned window,
                        unsigned timeout_ms, uint32_t max_len);
/* Wait until the binding has received n frames (bounded). */
bool rig_wait_received(struct rig *r, uint64_t n, unsigned timeout_ms);
/* Wait for the owner's halt_needed callback. */
bool rig_wait_halt_needed(struct rig *r, unsigned timeout_ms);
/* Return every held buffer. */
void rig_release_held(struct rig *r);

unsigned rig_count_threads(void);
unsigned rig_count_fds(void);

#endif
