/* SPDX-License-Identifier: MIT */
#include "simtest.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define ST_ETHERTYPE 0x88b5u   /* IEEE local experimental ethertype */

int st_open_cfg(struct st_dev *t, const struct sim_config *cfg)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = sim_open(cfg, &t->hw);
	if (err)
		return err;
	err = hal_set_bus_master(t->hw, true);
	if (err) {
		hal_close(t->hw);
		t->hw = NULL;
		return err;
	}
	st_mac(t, t->mac);
	return 0;
}

int st_open(struct st_dev *t, enum sim_model m, enum sim_wire w)
{
	struct sim_config cfg = {
		.model = m, .wire = w, .fail_irq_set_index = HAL_IRQ_NINDEX,
	};

	return st_open_cfg(t, &cfg);
}

void st_close(struct st_dev *t)
{
	if (!t->hw)
		return;
	hal_dma_free(t->hw, &t->txr);
	hal_dma_free(t->hw, &t->rxr);
	hal_dma_free(t->hw, &t->txbuf);
	hal_dma_free(t->hw, &t->rxbuf);
	hal_close(t->hw);
	t->hw = NULL;
}

void st_mac(struct st_dev *t, uint8_t out[6])
{
	uint32_t lo = hal_rd32(t->hw, E1000_RAL(0)), hi = hal_rd32(t->hw, E1000_RAH(0));

	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(lo >> (8 * i));
	out[4] = (uint8_t)hi;
	out[5] = (uint8_t)(hi >> 8);
}

int st_setup_tx(struct st_dev *t, uint32_t n)
{
	int err = hal_dma_alloc(t->hw, n * sizeof(struct e1000_tx_desc), &t->txr);

	if (err)
		return err;
	err = hal_dma_alloc(t->hw, (size_t)n * ST_TXBUF, &t->txbuf);
	if (err)
		return err;
	t->ntx = n;
	t->tx_tail = t->tx_clean = 0;
	hal_wr32(t->hw, E1000_TDBAL, (uint32_t)t->txr.iova);
	hal_wr32(t->hw, E1000_TDBAH, (uint32_t)(t->txr.iova >> 32));
	hal_wr32(t->hw, E1000_TDLEN, n * (uint32_t)sizeof(struct e1000_tx_desc));
	hal_wr32(t->hw, E1000_TDH, 0);
	hal_wr32(t->hw, E1000_TDT, 0);
	hal_wr32(t->hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	return 0;
}

int st_setup_rx(struct st_dev *t, uint32_t n, uint32_t bufsize, uint32_t rctl_extra)
{
	int err = hal_dma_alloc(t->hw, n * sizeof(struct e1000_rx_desc), &t->rxr);

	if (err)
		return err;
	err = hal_dma_alloc(t->hw, (size_t)n * bufsize, &t->rxbuf);
	if (err)
		return err;
	t->nrx = n;
	t->rxbufsize = bufsize;
	t->rx_next = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct e1000_rx_desc *d = st_rx_desc(t, i);

		memset(d, 0, sizeof(*d));
		d->buffer_addr = t->rxbuf.iova + (uint64_t)i * bufsize;
	}
	hal_wr32(t->hw, E1000_RDBAL, (uint32_t)t->rxr.iova);
	hal_wr32(t->hw, E1000_RDBAH, (uint32_t)(t->rxr.iova >> 32));
	hal_wr32(t->hw, E1000_RDLEN, n * (uint32_t)sizeof(struct e1000_rx_desc));
	hal_wr32(t->hw, E1000_RDH, 0);
	hal_wr32(t->hw, E1000_RDT, n - 1);
	hal_wr32(t->hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | rctl_extra);
	return 0;
}

struct e1000_rx_desc *st_rx_desc(struct st_dev *t, uint32_t i)
{
	return (struct e1000_rx_desc *)t->rxr.va + i;
}

struct e1000_tx_desc *st_tx_desc(struct st_dev *t, uint32_t i)
{
	return (struct e1000_tx_desc *)t->txr.va + i;
}

uint8_t st_rx_status(struct st_dev *t, uint32_t i)
{
	return __atomic_load_n(&st_rx_desc(t, i)->status, __ATOMIC_ACQUIRE);
}

uint8_t st_tx_status(struct st_dev *t, uint32_t i)
{
	return __atomic_load_n(&st_tx_desc(t, i)->status, __ATOMIC_ACQUIRE);
}

static int tx_fill(struct st_dev *t, const uint8_t *p, size_t len, uint8_t cmd)
{
	uint32_t next = (t->tx_tail + 1) % t->ntx;
	struct e1000_tx_desc *d;
	uint8_t *buf;

	if (next == t->tx_clean || len > ST_TXBUF)
		return -ENOSPC;
	d = st_tx_desc(t, t->tx_tail);
	buf = (uint8_t *)t->txbuf.va + (size_t)t->tx_tail * ST_TXBUF;
	memcpy(buf, p, len);
	d->buffer_addr = t->txbuf.iova + (uint64_t)t->tx_tail * ST_TXBUF;
	d->length = (uint16_t)len;
	d->cmd = cmd;
	d->cso = d->css = 0;
	d->special = 0;
	__atomic_store_n(&d->status, 0, __ATOMIC_RELAXED);
	t->tx_tail = next;
	return 0;
}

int st_tx_queue(struct st_dev *t, const void *frame, size_t len)
{
	st_tx_reclaim(t);
	return tx_fill(t, frame, len, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS);
}

void st_tx_kick(struct st_dev *t)
{
	hal_wr32(t->hw, E1000_TDT, t->tx_tail);
}

int st_tx(struct st_dev *t, const void *frame, size_t len)
{
	int err = st_tx_queue(t, frame, len);

	if (!err)
		st_tx_kick(t);
	return err;
}

int st_tx_split(struct st_dev *t, const void *frame, size_t len, unsigned parts)
{
	const uint8_t *p = frame;
	size_t each = (len + parts - 1) / parts, off = 0;

	st_tx_reclaim(t);
	for (unsigned i = 0; i < parts; i++) {
		size_t n = len - off < each ? len - off : each;
		bool last = i + 1 == parts;
		int err = tx_fill(t, p + off, n, (uint8_t)(E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS |
		                                           (last ? E1000_TXD_CMD_EOP : 0u)));

		if (err)
			return err;
		off += n;
	}
	st_tx_kick(t);
	return 0;
}

unsigned st_tx_reclaim(struct st_dev *t)
{
	unsigned n = 0;

	while (t->tx_clean != t->tx_tail && (st_tx_status(t, t->tx_clean) & E1000_TXD_STAT_DD)) {
		t->tx_clean = (t->tx_clean + 1) % t->ntx;
		n++;
	}
	return n;
}

bool st_rx_poll(struct st_dev *t, void *buf, size_t cap, uint16_t *len,
                uint8_t *status, uint8_t *errors)
{
	struct e1000_rx_desc *d = st_rx_desc(t, t->rx_next);
	uint8_t st = st_rx_status(t, t->rx_next);
	size_t n;

	if (!(st & E1000_RXD_STAT_DD))
		return false;
	n = d->length < cap ? d->length : cap;
	if (n > t->rxbufsize)
		n = t->rxbufsize;
	if (buf)
		memcpy(buf, (uint8_t *)t->rxbuf.va + (size_t)t->rx_next * t->rxbufsize, n);
	if (len)
		*len = d->length;
	if (status)
		*status = st;
	if (errors)
		*errors = d->errors;
	d->length = 0;
	d->errors = 0;
	__atomic_store_n(&d->status, 0, __ATOMIC_RELAXED);
	/* Give it back: RDT points at the last descriptor the device may use. */
	hal_wr32(t->hw, E1000_RDT, t->rx_next);
	t->rx_next = (t->rx_next + 1) % t->nrx;
	return true;
}

void st_frame(uint8_t *buf, size_t len, const uint8_t dst[6], uint32_t seed)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	uint32_t x = seed * 2654435761u + 1;

	memcpy(buf, dst, 6);
	if (len >= 12)
		memcpy(buf + 6, src, 6);
	if (len >= 14) {
		buf[12] = (uint8_t)(ST_ETHERTYPE >> 8);
		buf[13] = (uint8_t)ST_ETHERTYPE;
	}
	for (size_t i = 14; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	if (len >= 18)
		memcpy(buf + 14, &seed, sizeof(seed));
}

int st_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

uint64_t st_efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

uint64_t st_efd_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return st_efd_take(fd);
}

uint32_t st_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = ~0u;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

int st_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}
