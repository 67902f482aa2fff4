/* SPDX-License-Identifier: MIT */
/*
 * sim_irq.c - interrupt causes and their delivery through eventfds, the way
 * VFIO delivers them.
 *
 * Causes (SDM 13.4.17-21): ICR holds causes, IMS the enable mask; an interrupt
 * is pending while ICR & IMS != 0.
 *
 * Delivery by mode (only one of INTx / MSI / MSI-X is active, as in VFIO):
 *   INTx   level: the device's line follows (ICR & IMS) != 0.  VFIO automasks:
 *          a rising line writes the eventfd once and sets the mask; while masked
 *          nothing more is written; irq_unmask clears the mask and, if the line
 *          is still up, signals (and masks) again at once.
 *   MSI    edge: one message whenever causes that are enabled become pending
 *          that were not pending before (new bits in ICR & IMS), as QEMU's
 *          e1000e does.  A cause already pending does not signal again.
 *   MSI-X  [82574] per vector: the queue bits RXQ0, RXQ1, TXQ0, TXQ1 and OTHER
 *          go to the vector named by their IVAR entry when the entry is valid.
 *          A vector signals when one of its queue bits becomes newly pending in
 *          ICR & IMS (so IMS must enable RXQ0/TXQ0/OTHER themselves).  After a
 *          message, EIAC bits of the signalled causes are cleared from ICR (and
 *          from IMS unless CTRL_EXT.IAME), as in 82574 10.2.4.x / QEMU.
 *          RX raises RXT0|RXQ0, TX raises TXDW|TXQ0, and in MSI-X mode any of
 *          E1000_ICR_OTHER_CAUSES also sets OTHER.
 * ITR (13.4.18): a vector signals at most once per ITR*256 ns.  A signal due
 * earlier is postponed to the end of the interval and then sent only if its
 * causes are still pending (0 = no throttling).  In MSI-X mode vector v takes
 * its interval from EITR(v) instead, and ITR throttles nothing (82574 10.2.4,
 * as QEMU's e1000e does).
 * MSI/MSI-X messages are memory writes: nothing is sent while bus mastering is
 * off.  Nothing at all is signalled while the device is quiet (removed, hung,
 * D3hot); the state is re-evaluated with every pending cause counted as new
 * when it wakes up.
 */
#include "sim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static const uint32_t queue_bit[] = {
	E1000_ICR_RXQ0, E1000_ICR_RXQ1, E1000_ICR_TXQ0, E1000_ICR_TXQ1, E1000_ICR_OTHER,
};
static const unsigned queue_shift[] = {
	E1000_IVAR_RXQ0_SHIFT, E1000_IVAR_RXQ1_SHIFT, E1000_IVAR_TXQ0_SHIFT,
	E1000_IVAR_TXQ1_SHIFT, E1000_IVAR_OTHER_SHIFT,
};

/* The throttling interval of vector v in the current mode. */
static uint64_t itr_ns(const struct sim_dev *d, unsigned v)
{
	uint32_t reg = d->irq_mode == SIM_MODE_MSIX ? E1000_EITR(v) : E1000_ITR;

	return (uint64_t)(sim_reg(d, reg) & E1000_ITR_INTERVAL_MASK) * E1000_ITR_UNIT_NS;
}

/* Queue-cause bits that IVAR routes to MSI-X vector v (valid entries only). */
static uint32_t routed(const struct sim_dev *d, unsigned v)
{
	uint32_t ivar = sim_reg(d, E1000_IVAR), out = 0;

	for (unsigned i = 0; i < sizeof(queue_bit) / sizeof(queue_bit[0]); i++) {
		uint32_t e = (ivar >> queue_shift[i]) & E1000_IVAR_ENTRY_MASK;

		if ((e & E1000_IVAR_VALID) && (e & E1000_IVAR_VECTOR_MASK) == v)
			out |= queue_bit[i];
	}
	return out;
}

static bool can_signal(const struct sim_dev *d)
{
	if (sim_quiet_locked(d))
		return false;
	return d->irq_mode == SIM_MODE_INTX || d->bus_master;
}

/* 82574 10.2.4.x EIAC: auto-clear the causes of a sent MSI-X message. */
static void eiac_apply(struct sim_dev *d, uint32_t causes)
{
	uint32_t eff = sim_reg(d, E1000_EIAC) & causes;

	if (!eff)
		return;
	if (eff & E1000_ICR_OTHER)
		eff |= E1000_ICR_OTHER_CAUSES;
	sim_reg_set(d, E1000_ICR, sim_reg(d, E1000_ICR) & ~eff);
	if (!(sim_reg(d, E1000_CTRL_EXT) & E1000_CTRL_EXT_IAME))
		sim_reg_set(d, E1000_IMS, sim_reg(d, E1000_IMS) & ~eff);
}

static void fire(struct sim_dev *d, unsigned v, uint64_t now, uint32_t pend, struct sim_sig *sig)
{
	uint64_t itr = itr_ns(d, v);

	sig->mode = (uint8_t)d->irq_mode;
	sig->vecs |= (uint8_t)(1u << v);
	d->vec[v].next_ok_ns = itr ? now + itr : 0;
	if (d->irq_mode == SIM_MODE_INTX) {
		d->vec[v].line = true;
		/* Pairs with the acquire load in sim_op_irq_unmask. */
		atomic_store_explicit(&d->intx_line, true, memory_order_release);
	} else if (d->irq_mode == SIM_MODE_MSIX) {
		eiac_apply(d, routed(d, v) & pend);
	}
}

static void try_rise(struct sim_dev *d, unsigned v, uint32_t pend, struct sim_sig *sig)
{
	struct sim_vec *x = &d->vec[v];
	uint64_t now;

	if (x->postponed)
		return;   /* already waiting for the interval to end */
	now = e1k_now_ns();
	if (x->next_ok_ns == 0 || now >= x->next_ok_ns) {
		fire(d, v, now, pend, sig);
	} else {
		x->postponed = true;
		sig->kick = true;   /* the model thread arms its timer */
	}
}

static void intx_lower(struct sim_dev *d)
{
	d->vec[0].line = false;
	d->vec[0].postponed = false;
	atomic_store_explicit(&d->intx_line, false, memory_order_release);
}

void sim_irq_update_locked(struct sim_dev *d, uint32_t old_pend, struct sim_sig *sig)
{
	uint32_t pend = sim_reg(d, E1000_ICR) & sim_reg(d, E1000_IMS);
	uint32_t raised = pend & ~old_pend;
	bool can = can_signal(d);

	switch (d->irq_mode) {
	case SIM_MODE_NONE:
		return;
	case SIM_MODE_INTX:
		if (!can || !pend)
			intx_lower(d);
		else if (!d->vec[0].line)
			try_rise(d, 0, pend, sig);
		return;
	case SIM_MODE_MSI:
		if (!can || !pend)
			d->vec[0].postponed = false;
		else if (raised)
			try_rise(d, 0, pend, sig);
		return;
	case SIM_MODE_MSIX:
		for (unsigned v = 0; v < SIM_NVEC; v++) {
			uint32_t r = routed(d, v);

			/* Re-read: a message sent for an earlier vector may have
			 * auto-cleared causes (EIAC). */
			pend = sim_reg(d, E1000_ICR) & sim_reg(d, E1000_IMS);
			if (!can || !(pend & r))
				d->vec[v].postponed = false;
			else if (raised & r)
				try_rise(d, v, pend, sig);
		}
		return;
	}
}

void sim_irq_raise_locked(struct sim_dev *d, uint32_t causes, struct sim_sig *sig)
{
	uint32_t old_pend = sim_reg(d, E1000_ICR) & sim_reg(d, E1000_IMS);
	uint32_t valid = sim_is_82574(d) ? E1000_ICR_VALID_82574 : E1000_ICR_VALID_8254X;
	uint32_t icr = sim_reg(d, E1000_ICR) | (causes & valid);

	if (sim_is_82574(d) && d->irq_mode == SIM_MODE_MSIX && (icr & E1000_ICR_OTHER_CAUSES))
		icr |= E1000_ICR_OTHER;
	sim_reg_set(d, E1000_ICR, icr);
	sim_irq_update_locked(d, old_pend, sig);
}

void sim_irq_timer_locked(struct sim_dev *d, uint64_t now, struct sim_sig *sig)
{
	bool can = can_signal(d);

	for (unsigned v = 0; v < SIM_NVEC; v++) {
		struct sim_vec *x = &d->vec[v];
		uint32_t pend = sim_reg(d, E1000_ICR) & sim_reg(d, E1000_IMS);

		if (!x->postponed || now < x->next_ok_ns)
			continue;
		x->postponed = false;
		if (!can)
			continue;
		switch (d->irq_mode) {
		case SIM_MODE_INTX:
			if (pend && !x->line)
				fire(d, v, now, pend, sig);
			break;
		case SIM_MODE_MSI:
			if (pend)
				fire(d, v, now, pend, sig);
			break;
		case SIM_MODE_MSIX:
			if (pend & routed(d, v))
				fire(d, v, now, pend, sig);
			break;
		default:
			break;
		}
	}
}

uint64_t sim_irq_deadline_locked(const struct sim_dev *d)
{
	uint64_t t = UINT64_MAX;

	for (unsigned v = 0; v < SIM_NVEC; v++)
		if (d->vec[v].postponed && d->vec[v].next_ok_ns < t)
			t = d->vec[v].next_ok_ns;
	return t;
}

void sim_irq_reset_vectors_locked(struct sim_dev *d)
{
	for (unsigned v = 0; v < SIM_NVEC; v++)
		d->vec[v] = (struct sim_vec){ 0 };
	atomic_store_explicit(&d->intx_line, false, memory_order_release);
}

/* ---- eventfd side (irq_lock) ---- */

static void efd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one));

	(void)r;   /* EAGAIN only when the counter is saturated: still signalled */
}

static int mode_index(uint8_t mode)
{
	switch (mode) {
	case SIM_MODE_INTX: return HAL_IRQ_INTX;
	case SIM_MODE_MSI:  return HAL_IRQ_MSI;
	case SIM_MODE_MSIX: return HAL_IRQ_MSIX;
	default:            return -1;
	}
}

void sim_irq_deliver(struct sim_dev *d, const struct sim_sig *sig)
{
	int idx;

	if (!sig->vecs && !sig->req)
		return;
	pthread_mutex_lock(&d->irq_lock);
	if (sig->req && d->irq_n[HAL_IRQ_REQ] > 0) {
		efd_signal(d->irq_fds[HAL_IRQ_REQ][0]);
		sim_count(&d->st_req_signals, 1);
	}
	idx = mode_index(sig->mode);
	/* The mode may have changed since the signal was computed: a signal
	 * meant for vectors that no longer exist is dropped. */
	if (idx >= 0 && d->irq_active == idx) {
		for (unsigned v = 0; v < d->irq_n[idx]; v++) {
			if (!(sig->vecs & (1u << v)))
				continue;
			if (idx == HAL_IRQ_INTX) {
				if (d->intx_masked)
					continue;
				d->intx_masked = true;
			}
			efd_signal(d->irq_fds[idx][v]);
			sim_count(&d->st_irq_signals, 1);
		}
	}
	pthread_mutex_unlock(&d->irq_lock);
}

static void fds_close(struct sim_dev *d, int idx)
{
	for (uint32_t i = 0; i < d->irq_n[idx]; i++)
		close(d->irq_fds[idx][i]);
	free(d->irq_fds[idx]);
	d->irq_fds[idx] = NULL;
	d->irq_n[idx] = 0;
}

void sim_irq_release_all(struct sim_dev *d)
{
	pthread_mutex_lock(&d->irq_lock);
	for (int i = 0; i < HAL_IRQ_NINDEX; i++)
		fds_close(d, i);
	d->irq_active = -1;
	pthread_mutex_unlock(&d->irq_lock);
}

int sim_op_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count)
{
	struct sim_dev *d = sim_of(hw);
	bool e574 = sim_is_82574(d);

	if (!count || (unsigned)idx >= HAL_IRQ_NINDEX)
		return -EINVAL;
	switch (idx) {
	case HAL_IRQ_INTX: *count = 1; break;
	case HAL_IRQ_MSI:  *count = e574 ? 1u : 0u; break;
	case HAL_IRQ_MSIX: *count = e574 ? E1000_82574_MSIX_VECTORS : 0u; break;
	case HAL_IRQ_REQ:  *count = 1; break;
	default:           *count = 0; break;   /* ERR: conventional PCI / not offered */
	}
	return 0;
}

static enum sim_irq_mode idx_mode(enum hal_irq_index idx)
{
	switch (idx) {
	case HAL_IRQ_INTX: return SIM_MODE_INTX;
	case HAL_IRQ_MSI:  return SIM_MODE_MSI;
	case HAL_IRQ_MSIX: return SIM_MODE_MSIX;
	default:           return SIM_MODE_NONE;
	}
}

int sim_op_irq_set(struct hal_dev *hw, enum hal_irq_index idx, const int *efds, uint32_t n)
{
	struct sim_dev *d = sim_of(hw);
	enum sim_irq_mode mode = idx_mode(idx);
	struct sim_sig sig = { 0 };
	uint32_t avail = 0;
	int *fds;
	int err = 0;

	if ((unsigned)idx >= HAL_IRQ_NINDEX || n == 0 || !efds)
		return -EINVAL;
	if (d->cfg.fail_irq_set_index >= 0 && d->cfg.fail_irq_set_index < HAL_IRQ_NINDEX &&
	    d->cfg.fail_irq_set_index == (int)idx)
		return -EINVAL;   /* injected failure */
	sim_op_irq_count(hw, idx, &avail);
	if (n > avail)
		return -EINVAL;
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	/* Hold our own reference to each eventfd, as VFIO holds the eventfd
	 * context: the caller may close its fd whenever it likes. */
	for (uint32_t i = 0; i < n; i++) {
		fds[i] = efds[i] >= 0 ? fcntl(efds[i], F_DUPFD_CLOEXEC, 0) : -1;
		if (fds[i] < 0) {
			while (i-- > 0)
				close(fds[i]);
			free(fds);
			return -EINVAL;
		}
	}

	pthread_mutex_lock(&d->ctl_lock);
	pthread_mutex_lock(&d->irq_lock);
	if (mode != SIM_MODE_NONE && d->irq_active >= 0 && d->irq_active != (int)idx) {
		err = -EBUSY;   /* VFIO: one of INTx/MSI/MSI-X at a time */
	} else {
		fds_close(d, idx);
		d->irq_fds[idx] = fds;
		d->irq_n[idx] = n;
		fds = NULL;
		if (mode != SIM_MODE_NONE) {
			d->irq_active = (int)idx;
			d->intx_masked = false;
		}
	}
	pthread_mutex_unlock(&d->irq_lock);
	if (!err && mode != SIM_MODE_NONE) {
		pthread_mutex_lock(&d->reg_lock);
		d->irq_mode = mode;
		sim_irq_reset_vectors_locked(d);
		sim_cfg_set_irq_enable_locked(d, mode);
		sim_irq_update_locked(d, 0, &sig);   /* pending causes fire now */
		pthread_mutex_unlock(&d->reg_lock);
		sim_irq_deliver(d, &sig);
	}
	pthread_mutex_unlock(&d->ctl_lock);
	if (fds) {
		for (uint32_t i = 0; i < n; i++)
			close(fds[i]);
		free(fds);
	}
	if (sig.kick)
		sim_kick(d);
	return err;
}

int sim_op_irq_clear(struct hal_dev *hw, enum hal_irq_index idx)
{
	struct sim_dev *d = sim_of(hw);
	enum sim_irq_mode mode = idx_mode(idx);

	if ((unsigned)idx >= HAL_IRQ_NINDEX)
		return -EINVAL;
	pthread_mutex_lock(&d->ctl_lock);
	/* Under irq_lock: once this section ends no eventfd of idx is written
	 * again (sim_irq_deliver writes only under irq_lock, after checking). */
	pthread_mutex_lock(&d->irq_lock);
	fds_close(d, idx);
	if (d->irq_active == (int)idx) {
		d->irq_active = -1;
		d->intx_masked = false;
	}
	pthread_mutex_unlock(&d->irq_lock);
	if (mode != SIM_MODE_NONE) {
		pthread_mutex_lock(&d->reg_lock);
		if (d->irq_mode == mode) {
			d->irq_mode = SIM_MODE_NONE;
			sim_irq_reset_vectors_locked(d);
			sim_cfg_set_irq_enable_locked(d, SIM_MODE_NONE);
		}
		pthread_mutex_unlock(&d->reg_lock);
	}
	pthread_mutex_unlock(&d->ctl_lock);
	return 0;
}

int sim_op_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t vector)
{
	struct sim_dev *d = sim_of(hw);
	int err = 0;

	if (idx != HAL_IRQ_INTX || vector != 0)
		return -EINVAL;   /* only INTx is automasked */
	pthread_mutex_lock(&d->irq_lock);
	if (d->irq_active != HAL_IRQ_INTX || d->irq_n[HAL_IRQ_INTX] == 0) {
		err = -EINVAL;
	} else {
		d->intx_masked = false;
		/* Level-triggered: a line still asserted interrupts again at once.
		 * Pairs with the release stores in fire()/intx_lower(). */
		if (atomic_load_explicit(&d->intx_line, memory_order_acquire)) {
			d->intx_masked = true;
			efd_signal(d->irq_fds[HAL_IRQ_INTX][0]);
			sim_count(&d->st_irq_signals, 1);
		}
	}
	pthread_mutex_unlock(&d->irq_lock);
	return err;
}
