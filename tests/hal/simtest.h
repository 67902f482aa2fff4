/* SPDX-License-Identifier: MIT */
/*
 * simtest.h - a minimal "driver" for the model tests: rings, buffers, frames
 * and eventfd helpers.  Not thread-safe; one st_dev per test case.
 *
 *   st_open() -> st_setup_tx()/st_setup_rx() -> st_tx()/st_rx_poll() -> st_close()
 *
 * Descriptor status bytes are read with acquire loads (they pair with the
 * model's release store of the status byte).
 */
#ifndef E1K_SIMTEST_H
#define E1K_SIMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "sim.h"

#define ST_TXBUF 2048u   /* bytes per TX buffer in the test's TX pool */

struct st_dev {
	struct hal_dev *hw;
	struct hal_dma  txr, rxr, txbuf, rxbuf;
	uint32_t        ntx, nrx, rxbufsize;
	uint32_t        tx_tail;   /* next TX descriptor to fill */
	uint32_t        tx_clean;  /* next TX descriptor to reclaim */
	uint32_t        rx_next;   /* next RX descriptor to look at */
	uint8_t         mac[6];
};

/* Open a model (bus mastering on, irq_set failure knob off). */
int  st_open(struct st_dev *t, enum sim_model m, enum sim_wire w);
int  st_open_cfg(struct st_dev *t, const struct sim_config *cfg);
void st_close(struct st_dev *t);
/* TX ring of n descriptors with ST_TXBUF buffers; TCTL = EN | PSP. */
int  st_setup_tx(struct st_dev *t, uint32_t n);
/* RX ring of n descriptors with bufsize buffers, all but one posted
 * (RDT = n - 1); RCTL = EN | BAM | SECRC | rctl_extra.  bufsize must match
 * the BSIZE/BSEX bits in rctl_extra. */
int  st_setup_rx(struct st_dev *t, uint32_t n, uint32_t bufsize, uint32_t rctl_extra);
/* Queue one frame (one descriptor, EOP|IFCS|RS) and write TDT. */
int  st_tx(struct st_dev *t, const void *frame, size_t len);
/* Queue a frame split over `parts` descriptors; writes TDT once. */
int  st_tx_split(struct st_dev *t, const void *frame, size_t len, unsigned parts);
/* Queue one frame without writing TDT (batching); st_tx_kick writes it. */
int  st_tx_queue(struct st_dev *t, const void *frame, size_t len);
void st_tx_kick(struct st_dev *t);
/* Reclaim TX descriptors with DD; returns how many. */
unsigned st_tx_reclaim(struct st_dev *t);
/* Take the next RX descriptor if DD is set: copies up to cap bytes, returns
 * true and fills len/status/errors; gives the descriptor back (RDT). */
bool st_rx_poll(struct st_dev *t, void *buf, size_t cap, uint16_t *len,
                uint8_t *status, uint8_t *errors);
/* Status byte of RX/TX descriptor i (acquire load). */
uint8_t st_rx_status(struct st_dev *t, uint32_t i);
uint8_t st_tx_status(struct st_dev *t, uint32_t i);
struct e1000_rx_desc *st_rx_desc(struct st_dev *t, uint32_t i);
struct e1000_tx_desc *st_tx_desc(struct st_dev *t, uint32_t i);

/* A frame: dst, src = t->mac-ish, ethertype 0x88b5, payload from seed. */
void st_frame(uint8_t *buf, size_t len, const uint8_t dst[6], uint32_t seed);
/* The model's station address (RAL0/RAH0 at reset). */
void st_mac(struct st_dev *t, uint8_t out[6]);

/* eventfd helpers */
int      st_efd(void);
/* Counter value (0 when nothing pending), non-blocking. */
uint64_t st_efd_take(int fd);
/* Wait up to ms for a signal; returns the counter (0 on timeout). */
uint64_t st_efd_wait(int fd, int ms);

/* CRC-32 (IEEE 802.3) as the FCS appended to frames. */
uint32_t st_crc32(const uint8_t *p, size_t len);
/* Open file descriptors of this process. */
int st_count_fds(void);

#endif
