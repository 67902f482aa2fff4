/* SPDX-License-Identifier: MIT */
/*
 * vfio.c - the VFIO backend of the hal table (see vfio.h for the lifecycle,
 * the IOMMU modes and the SIGBUS guard).
 *
 * File map:
 *   helpers         error text, sysfs reads, libpci names
 *   BDF + sysfs     hal_vfio_parse_bdf, hal_vfio_sysfs_probe
 *   IOVA + pagemap  hal_vfio_iova_*, hal_vfio_pagemap_phys
 *   SIGBUS guard    the fixed slot table, the handler, add/remove
 *   hal ops         rd32 ... close, emergency_stop, fault injection
 *   open            hal_vfio_parse_iova_caps, hal_vfio_open_at (the ladder:
 *                   any failure goes to vfio_teardown, which undoes what
 *                   was built, in reverse)
 *
 * Locks: dma_lock (per device) guards the DMA table and the IOVA allocator;
 * guard_lock (process) guards slot allocation and the handler install.  They
 * never nest.  The SIGBUS handler takes no lock: it uses only the slots'
 * atomics, mmap, memset and mremap.
 */
#include "vfio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pci/pci.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VFIO_PAGE               4096u
#define VFIO_HUGE_PAGE          (2u << 20)
#define VFIO_MAP_HUGE_2MB       (21 << MAP_HUGE_SHIFT)   /* log2(2 MiB) */
/* IOVAs start at 1 GiB: clear of anything a platform reserves low. */
#define VFIO_IOVA_FLOOR         (1ull << 30)
/* Without the IOVA_RANGE capability (kernels before 5.4): QEMU's intel-iommu
 * has 39 address bits, and x86 reserves the MSI window for interrupts. */
#define VFIO_IOVA_DEFAULT_LAST  ((1ull << 39) - 1)
#define VFIO_MSI_WINDOW_START   0xfee00000ull
#define VFIO_MSI_WINDOW_LAST    0xfeefffffull
#define VFIO_IRQ_MAX_VECTORS    32u
/* /proc/pid/pagemap entry (Documentation/admin-guide/mm/pagemap.rst). */
#define PAGEMAP_PRESENT         (1ull << 63)
#define PAGEMAP_PFN_MASK        ((1ull << 55) - 1)
#define PAGEMAP_CHUNK           512u
/* QEMU 7.2's e1000e aborts the VM when MSI-X is disabled (our fds closing)
 * while its throttle timer is armed; ~20 ms after masking avoids it
 * (shared/notes/qemu-vfio-rig.md). */
#define VFIO_E1000E_QUIESCE_NS  20000000l

static const char vfio_driver_name[] = "vfio-pci";
static const char noiommu_group_name[] = "vfio-noiommu";

/* ---- helpers ---------------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* One fprintf per line, so lines from threads do not interleave.  The hal has
 * no logger of its own (e1k_log lives above it in the driver). */
static void __attribute__((format(printf, 1, 2)))
vlog(const char *fmt, ...)
{
	char buf[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "e1kd: vfio: %s\n", buf);
}

/* snprintf into a path buffer; -ENAMETOOLONG when it does not fit. */
static int __attribute__((format(printf, 3, 4)))
pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Read a small text file into buf, without the trailing newline. */
static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, size - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* sysfs "0x8086" -> 0x8086. */
static int read_hex16(const char *path, uint16_t *out)
{
	char buf[32], *end;
	unsigned long v;
	int rc = read_text(path, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > 0xffff)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* The last component of a symlink's target ("../../bus/pci/drivers/e1000"). */
static int link_basename(const char *path, char *out, size_t outlen)
{
	char t[PATH_MAX];
	const char *b;
	ssize_t n = readlink(path, t, sizeof(t) - 1);

	if (n < 0)
		return -errno;
	t[n] = '\0';
	b = strrchr(t, '/');
	b = b ? b + 1 : t;
	if (strlen(b) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, b);
	return 0;
}

/* libpci's error callback must not return (it is declared noreturn and by
 * default calls exit()): jump back to the lookup instead. */
static _Thread_local jmp_buf *pci_jmp;

static void __attribute__((noreturn, format(printf, 1, 2))) pci_error_cb(char *msg, ...)
{
	(void)msg;
	longjmp(*pci_jmp, 1);
}

static void __attribute__((format(printf, 1, 2))) pci_quiet_cb(char *msg, ...)
{
	(void)msg;
}

/* Human name from pci.ids ("Intel Corporation 82540EM Gigabit Ethernet
 * Controller"), for error messages.  No pci_init(): it would probe access
 * methods we do not need; the name database works without it.  No udev hwdb
 * (PCI_LOOKUP_NO_HWDB): libudev leaks a context per lookup. */
static void pci_human_name(uint16_t vendor, uint16_t device, char *buf, size_t size)
{
	struct pci_access *volatile a = pci_alloc();
	jmp_buf jb;
	char tmp[256];

	snprintf(buf, size, "not in pci.ids");
	if (!a)
		return;
	a->error = pci_error_cb;
	a->warning = pci_quiet_cb;
	a->debug = pci_quiet_cb;
	pci_jmp = &jb;
	if (setjmp(jb) == 0) {
		const char *n = pci_lookup_name(a, tmp, (int)sizeof(tmp),
		                                PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE |
		                                PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
		                                (int)vendor, (int)device);
		if (n)
			snprintf(buf, size, "%s", n);
		pci_cleanup(a);
	}
	/* After a longjmp the access object is leaked: libpci only errors out
	 * when it cannot allocate, and its state is then unknown. */
	pci_jmp = NULL;
}

/* ---- BDF and sysfs ---------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly n hex digits at *s; advances *s. */
static int take_hex(const char **s, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		int h = hexval((*s)[i]);

		if (h < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)h;
	}
	*s += n;
	*out = v;
	return 0;
}

int hal_vfio_parse_bdf(const char *s, char out[HAL_VFIO_BDF_LEN])
{
	unsigned dom = 0, bus, dev, fn;
	const char *p = s;

	if (!s || !out)
		return -EINVAL;
	/* "DDDD:BB:DD.F" is 12 characters, "BB:DD.F" 7. */
	if (strlen(s) == 12) {
		if (take_hex(&p, 4, &dom) < 0 || *p++ != ':')
			return -EINVAL;
	} else if (strlen(s) != 7) {
		return -EINVAL;
	}
	if (take_hex(&p, 2, &bus) < 0 || *p++ != ':' || take_hex(&p, 2, &dev) < 0 ||
	    *p++ != '.' || take_hex(&p, 1, &fn) < 0 || *p != '\0')
		return -EINVAL;
	if (dev >= 32 || fn >= 8)
		return -EINVAL;
	snprintf(out, HAL_VFIO_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int hal_vfio_sysfs_probe(const char *root, const char *bdf, struct hal_vfio_sysfs *out,
                         char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX], grp[32], name[256];
	struct stat st;
	const char *supported;
	char *end;
	long g;
	int rc;

	memset(out, 0, sizeof(*out));
	out->group = -1;
	if (!root)
		root = "/sys";
	if (pathf(dir, sizeof(dir), "%s/bus/pci/devices/%s", root, bdf) < 0) {
		errf(err, errlen, "sysfs path too long");
		return -ENAMETOOLONG;
	}
	if (stat(dir, &st) < 0) {
		rc = -errno;
		if (rc == -ENOENT || rc == -ENOTDIR) {
			errf(err, errlen, "no PCI device %s", bdf);
			return -ENODEV;
		}
		errf(err, errlen, "cannot read %s: %s", dir, strerror(-rc));
		return rc;
	}

	rc = pathf(path, sizeof(path), "%s/vendor", dir);
	if (rc == 0)
		rc = read_hex16(path, &out->vendor);
	if (rc == 0)
		rc = pathf(path, sizeof(path), "%s/device", dir);
	if (rc == 0)
		rc = read_hex16(path, &out->device);
	if (rc < 0) {
		errf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	supported = hal_device_name(out->vendor, out->device);
	if (!supported) {
		pci_human_name(out->vendor, out->device, name, sizeof(name));
		errf(err, errlen, "%s is %04x:%04x (%s), not an e1000-class NIC "
		     "(supported: 82540EM, 82545EM, 82574L)", bdf, out->vendor, out->device, name);
		return -ENODEV;
	}

	rc = pathf(path, sizeof(path), "%s/driver", dir);
	if (rc == 0)
		rc = link_basename(path, out->driver, sizeof(out->driver));
	if (rc < 0 && rc != -ENOENT) {
		errf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	if (rc == -ENOENT) {
		errf(err, errlen, "%s (%s) is bound to no driver, not vfio-pci: run scripts/vfio-bind bind %s",
		     bdf, supported, bdf);
		return -EBUSY;
	}
	if (strcmp(out->driver, vfio_driver_name) != 0) {
		errf(err, errlen, "%s (%s) is bound to %s, not vfio-pci: run scripts/vfio-bind bind %s",
		     bdf, supported, out->driver, bdf);
		return -EBUSY;
	}

	rc = pathf(path, sizeof(path), "%s/iommu_group", dir);
	if (rc == 0)
		rc = link_basename(path, grp, sizeof(grp));
	if (rc < 0) {
		errf(err, errlen, "%s has no IOMMU group (%s: %s): boot with intel_iommu=on, "
		     "or use VFIO no-IOMMU mode", bdf, path, strerror(-rc));
		return -ENODEV;
	}
	errno = 0;
	g = strtol(grp, &end, 10);
	if (errno || end == grp || *end || g < 0 || g > INT_MAX) {
		errf(err, errlen, "%s: unexpected IOMMU group '%s'", bdf, grp);
		return -EINVAL;
	}
	out->group = (int)g;
	/* vfio names the groups it fakes for no-IOMMU mode (vfio_noiommu_group_alloc). */
	if (pathf(path, sizeof(path), "%s/kernel/iommu_groups/%d/name", root, out->group) == 0 &&
	    read_text(path, name, sizeof(name)) == 0 && strcmp(name, noiommu_group_name) == 0)
		out->noiommu = true;
	return 0;
}

/* For "group not viable": the members bound to something other than vfio-pci. */
static void group_offenders(const char *root, int group, const char *self, char *buf, size_t size)
{
	char dir[PATH_MAX], path[PATH_MAX], drv[64];
	struct dirent *e;
	size_t used = 0;
	DIR *dp;

	buf[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices", root, group);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((e = readdir(dp)) != NULL) {
		int n;

		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/driver", dir, e->d_name) >= sizeof(path))
			continue;
		if (link_basename(path, drv, sizeof(drv)) < 0 || strcmp(drv, vfio_driver_name) == 0)
			continue;
		n = snprintf(buf + used, size - used, "%s%s is bound to %s", used ? ", " : "",
		             e->d_name, drv);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	closedir(dp);
}

/* ---- IOVA allocator and pagemap --------------------------------------- */

void hal_vfio_iova_init(struct hal_vfio_iova *a, const uint64_t *start, const uint64_t *last,
                        unsigned n, uint64_t floor)
{
	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < n && a->n < HAL_VFIO_IOVA_RANGES; i++) {
		unsigned j;

		if (last[i] < start[i])
			continue;
		/* Insertion sort by start. */
		for (j = a->n; j > 0 && a->start[j - 1] > start[i]; j--) {
			a->start[j] = a->start[j - 1];
			a->last[j] = a->last[j - 1];
		}
		a->start[j] = start[i];
		a->last[j] = last[i];
		a->n++;
	}
	a->next = floor;
}

int hal_vfio_iova_alloc(struct hal_vfio_iova *a, uint64_t len, uint64_t align, uint64_t *iova)
{
	if (!a || !iova || len == 0 || align == 0 || (align & (align - 1)))
		return -EINVAL;
	for (unsigned i = 0; i < a->n; i++) {
		uint64_t base = a->next > a->start[i] ? a->next : a->start[i];

		if (a->last[i] < base)
			continue;
		if (base > UINT64_MAX - (align - 1))
			break;
		base = (base + align - 1) & ~(align - 1);
		if (base > a->last[i] || len - 1 > a->last[i] - base)
			continue;
		*iova = base;
		if (base + (len - 1) == UINT64_MAX)
			a->n = 0;       /* the top of the space: nothing is left */
		else
			a->next = base + len;
		return 0;
	}
	return -ENOSPC;
}

int hal_vfio_pagemap_phys(int fd, uintptr_t va, size_t len, uint64_t *pa, char *err, size_t errlen)
{
	uint64_t ent[PAGEMAP_CHUNK], pfn0 = 0;
	uintptr_t first, lastp;

	if (fd < 0 || len == 0 || !pa || va > UINTPTR_MAX - (len - 1)) {
		errf(err, errlen, "bad pagemap query");
		return -EINVAL;
	}
	first = va / VFIO_PAGE;
	lastp = (va + (len - 1)) / VFIO_PAGE;
	for (uintptr_t p = first; p <= lastp;) {
		size_t n = lastp - p + 1 < PAGEMAP_CHUNK ? (size_t)(lastp - p + 1) : PAGEMAP_CHUNK;
		ssize_t r;

		do {
			r = pread(fd, ent, n * sizeof(ent[0]), (off_t)(p * sizeof(ent[0])));
		} while (r < 0 && errno == EINTR);
		if (r < 0) {
			int e = errno;

			errf(err, errlen, "pagemap read at %#lx: %s", (unsigned long)(p * VFIO_PAGE), strerror(e));
			return -e;
		}
		if ((size_t)r != n * sizeof(ent[0])) {
			errf(err, errlen, "pagemap: short read at %#lx", (unsigned long)(p * VFIO_PAGE));
			return -EIO;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t pfn = ent[i] & PAGEMAP_PFN_MASK;
			uintptr_t page = p + i;

			if (!(ent[i] & PAGEMAP_PRESENT)) {
				errf(err, errlen, "page %#lx is not present (memory not locked?)",
				     (unsigned long)(page * VFIO_PAGE));
				return -EFAULT;
			}
			if (pfn == 0) {
				errf(err, errlen, "pagemap hides physical addresses (no-IOMMU mode needs CAP_SYS_ADMIN)");
				return -EPERM;
			}
			if (page == first)
				pfn0 = pfn;
			else if (pfn != pfn0 + (page - first)) {
				errf(err, errlen, "%zu bytes at %#lx are not physically contiguous (page %lu of %lu)",
				     len, (unsigned long)va, (unsigned long)(page - first),
				     (unsigned long)(lastp - first + 1));
				return -ENOMEM;
			}
		}
		p += n;
	}
	*pa = pfn0 * VFIO_PAGE + (va % VFIO_PAGE);
	return 0;
}

/* ---- the SIGBUS guard ------------------------------------------------- */

/*
 * Slot states.  FREE -> BUSY (add, under guard_lock) -> LIVE; a fault moves
 * LIVE -> REPLACING (the faulting thread owns the slot) -> REPLACED; remove
 * moves LIVE/REPLACED -> BUSY -> FREE and waits while REPLACING, so the
 * range is never unmapped (or reused by another mmap) under a handler that is
 * about to mremap over it.
 */
enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE, SLOT_REPLACING, SLOT_REPLACED };
#define GUARD_SLOTS             16
/* A range still faulting after it was replaced is not ours to fix: after
 * this many, hand the fault on rather than loop forever. */
#define GUARD_MAX_REFAULTS      1024u

struct guard_slot {
	atomic_uintptr_t base;
	atomic_size_t    len;
	atomic_int       state;
	atomic_ulong     faults;
	atomic_uint      refaults;
};

_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2 &&
               ATOMIC_LONG_LOCK_FREE == 2, "the SIGBUS handler needs lock-free atomics");

static struct guard_slot guard[GUARD_SLOTS];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static bool guard_installed;            /* under guard_lock */
/* Written once under guard_lock before sigaction installs the handler (the
 * syscall orders it before any delivery); read only by the handler. */
static struct sigaction guard_prev;

/* Hand a fault that is not ours to whoever had SIGBUS before us. */
static void guard_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl;

	if (guard_prev.sa_flags & SA_SIGINFO) {
		if (guard_prev.sa_sigaction) {
			guard_prev.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN) {
		guard_prev.sa_handler(sig);
		return;
	}
	/* Default action (SIG_IGN cannot hold for a fault either): restore it and
	 * re-raise; we run with SA_NODEFER, so it is delivered at once. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

/* Replace [base, base+len) by private anonymous pages of all ones, in one
 * step: build them elsewhere, then mremap over the range, so no other thread
 * ever sees a page that is neither the BAR nor all ones. */
static bool guard_replace(uintptr_t base, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return false;
	memset(p, 0xff, len);
	if (mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)base) == MAP_FAILED) {
		munmap(p, len);
		return false;
	}
	return true;
}

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	uintptr_t a = (uintptr_t)si->si_addr;

	/* si_code <= 0: sent by kill/raise/sigqueue; si_addr means nothing. */
	if (si->si_code > 0) {
		for (unsigned i = 0; i < GUARD_SLOTS; i++) {
			struct guard_slot *s = &guard[i];
			/* Acquire: pairs with the release store of LIVE in add, so
			 * base and len read below are the slot's. */
			int st = atomic_load_explicit(&s->state, memory_order_acquire);
			uintptr_t base;
			size_t len;

			if (st < SLOT_LIVE)
				continue;
			base = atomic_load_explicit(&s->base, memory_order_relaxed);
			len = atomic_load_explicit(&s->len, memory_order_relaxed);
			if (a < base || a - base >= len)
				continue;
			atomic_fetch_add_explicit(&s->faults, 1, memory_order_relaxed);
			if (st == SLOT_LIVE) {
				int exp = SLOT_LIVE;

				if (!atomic_compare_exchange_strong_explicit(&s->state, &exp, SLOT_REPLACING,
				                                             memory_order_acq_rel,
				                                             memory_order_acquire)) {
					/* Another thread got there first (or remove did):
					 * retry the access; it faults again until done. */
					errno = saved_errno;
					return;
				}
				if (!guard_replace(base, len)) {
					atomic_store_explicit(&s->state, SLOT_LIVE, memory_order_release);
					break;  /* cannot recover: let the process die */
				}
				/* Release: pairs with remove's acquire wait. */
				atomic_store_explicit(&s->state, SLOT_REPLACED, memory_order_release);
			} else if (st == SLOT_REPLACED &&
			           atomic_fetch_add_explicit(&s->refaults, 1, memory_order_relaxed) >=
			           GUARD_MAX_REFAULTS) {
				break;
			}
			/* REPLACING (another thread is at it) or REPLACED (a fault
			 * raised before the swap): return and retry the access. */
			errno = saved_errno;
			return;
		}
	}
	errno = saved_errno;
	guard_chain(sig, si, uc);
}

static int guard_install_locked(void)
{
	struct sigaction sa;

	if (guard_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sigemptyset(&sa.sa_mask);
	/* SA_NODEFER: the handler we chain to (e1kd's fatal handler) runs the
	 * backend's emergency stop, which may touch a dead BAR: that nested
	 * fault must reach us too, not kill the process half-way. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
	if (sigaction(SIGBUS, NULL, &guard_prev) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	guard_installed = true;
	return 0;
}

int hal_vfio_bar_guard_add(void *base, size_t len)
{
	int rc, slot = -ENOSPC;

	if (!base || len == 0 || ((uintptr_t)base % VFIO_PAGE) || (len % VFIO_PAGE))
		return -EINVAL;
	pthread_mutex_lock(&guard_lock);
	rc = guard_install_locked();
	for (int i = 0; rc == 0 && i < GUARD_SLOTS; i++) {
		int exp = SLOT_FREE;

		if (atomic_compare_exchange_strong_explicit(&guard[i].state, &exp, SLOT_BUSY,
		                                            memory_order_acquire, memory_order_relaxed)) {
			atomic_store_explicit(&guard[i].base, (uintptr_t)base, memory_order_relaxed);
			atomic_store_explicit(&guard[i].len, len, memory_order_relaxed);
			atomic_store_explicit(&guard[i].faults, 0, memory_order_relaxed);
			atomic_store_explicit(&guard[i].refaults, 0, memory_order_relaxed);
			/* Release: publishes base/len to the handler's acquire load. */
			atomic_store_explicit(&guard[i].state, SLOT_LIVE, memory_order_release);
			slot = i;
			break;
		}
	}
	pthread_mutex_unlock(&guard_lock);
	return rc < 0 ? rc : slot;
}

void hal_vfio_bar_guard_remove(int slot)
{
	struct guard_slot *s;

	if (slot < 0 || slot >= GUARD_SLOTS)
		return;
	s = &guard[slot];
	/* A replacement in progress belongs to a thread inside the handler; it
	 * finishes in a few syscalls.  Bounded: 1 s, then take the slot anyway
	 * (the caller is closing a device other threads still use: a bug). */
	for (unsigned tries = 0;; tries++) {
		int st = atomic_load_explicit(&s->state, memory_order_acquire);

		if (st == SLOT_FREE || st == SLOT_BUSY)
			return;
		if (st != SLOT_REPLACING || tries >= 1000) {
			if (atomic_compare_exchange_strong_explicit(&s->state, &st, SLOT_BUSY,
			                                            memory_order_acq_rel,
			                                            memory_order_relaxed))
				break;
			continue;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
}

uint64_t hal_vfio_bar_guard_faults(int slot)
{
	if (slot < 0 || slot >= GUARD_SLOTS)
		return 0;
	return atomic_load_explicit(&guard[slot].faults, memory_order_relaxed);
}

static bool guard_replaced(int slot)
{
	return slot >= 0 && slot < GUARD_SLOTS &&
	       atomic_load_explicit(&guard[slot].state, memory_order_acquire) == SLOT_REPLACED;
}

/* ---- the device ------------------------------------------------------- */

struct vfio_dma_rec {
	uint32_t handle;
	void    *va;
	uint64_t iova;
	size_t   len;
	bool     mapped;    /* VFIO_IOMMU_MAP_DMA done (IOMMU mode) */
};

struct vfio_dev {
	struct hal_dev       hw;          /* first: hal handle <-> backend */
	int                  container_fd;
	int                  group_fd;
	int                  device_fd;
	int                  pagemap_fd;  /* no-IOMMU mode only */
	bool                 noiommu;
	uint32_t             device_flags;
	uint32_t             num_irqs;
	uint8_t             *bar0;
	size_t               bar0_len;
	int                  guard_slot;
	/* Set (release) after hal_vfio_fault_disable_memory's config write;
	 * close reads it (acquire).  The removal that write causes is seen by
	 * other threads through the device, which no tool can follow: this
	 * orders the injection's fd use before close's for TSan. */
	atomic_bool          mem_fault_injected;
	uint64_t             cfg_off;
	uint64_t             cfg_size;

	pthread_mutex_t      dma_lock;    /* dma, ndma, dma_cap, next_handle, iova */
	bool                 dma_lock_ready;
	struct vfio_dma_rec *dma;
	size_t               ndma, dma_cap;
	uint32_t             next_handle;
	struct hal_vfio_iova iova;
};

static const struct hal_ops vfio_ops;

static struct vfio_dev *to_vfio(struct hal_dev *hw)
{
	return (struct vfio_dev *)hw;
}

static volatile uint32_t *reg_ptr(struct vfio_dev *d, uint32_t reg)
{
	return (volatile uint32_t *)(void *)(d->bar0 + reg);
}

static bool reg_ok(const struct vfio_dev *d, uint32_t reg)
{
	return (reg & 3u) == 0 && (size_t)reg + sizeof(uint32_t) <= d->bar0_len;
}

/*
 * MMIO: exactly one 32-bit access per call, never torn, merged, moved or
 * elided (volatile), issued through the __atomic builtins with relaxed order.
 * That is the same single mov on x86, but ThreadSanitizer then treats it as
 * atomic: two threads touching a register (the DPC writing IMS while the
 * control path writes IMC) are device operations the device serialises, not
 * a data race on memory.  Ordering against DMA memory is the caller's (the
 * rings' release fence before a tail write).  Async-signal-safe.
 */
static uint32_t mmio_rd(struct vfio_dev *d, uint32_t reg)
{
	return __atomic_load_n(reg_ptr(d, reg), __ATOMIC_RELAXED);
}

static void mmio_wr(struct vfio_dev *d, uint32_t reg, uint32_t val)
{
	__atomic_store_n(reg_ptr(d, reg), val, __ATOMIC_RELAXED);
}

/* Context: any.  One 32-bit load from the BAR mapping. */
static uint32_t vfio_rd32(struct hal_dev *hw, uint32_t reg)
{
	struct vfio_dev *d = to_vfio(hw);

	if (!reg_ok(d, reg))
		return E1000_REG_ALL_ONES;
	return mmio_rd(d, reg);
}

/* Context: any.  One 32-bit store. */
static void vfio_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct vfio_dev *d = to_vfio(hw);

	if (reg_ok(d, reg))
		mmio_wr(d, reg, val);
}

static int cfg_io(struct vfio_dev *d, uint32_t off, void *buf, size_t len, bool wr)
{
	ssize_t r;

	if (len == 0 || (uint64_t)off + len > d->cfg_size)
		return -EINVAL;
	do {
		r = wr ? pwrite(d->device_fd, buf, len, (off_t)(d->cfg_off + off))
		       : pread(d->device_fd, buf, len, (off_t)(d->cfg_off + off));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

/* Context: any.  May block (pread on the config region). */
static int vfio_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	return cfg_io(to_vfio(hw), off, buf, len, false);
}

/* Context: any.  May block (pwrite on the config region). */
static int vfio_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	return cfg_io(to_vfio(hw), off, (void *)buf, len, true);
}

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* Unmap from the IOMMU, then free.  If the unmap fails the memory stays
 * mapped in the process on purpose: the device may still write to it.
 * Locks: dma_lock held. */
static int dma_release_locked(struct vfio_dev *d, const struct vfio_dma_rec *r)
{
	if (r->mapped) {
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um), .iova = r->iova, .size = r->len,
		};

		int e = 0;

		if (ioctl(d->container_fd, VFIO_IOMMU_UNMAP_DMA, &um) < 0)
			e = errno;
		else if (um.size != r->len)
			e = EIO;    /* unmapped only part of it */
		if (e) {
			vlog("%s: VFIO_IOMMU_UNMAP_DMA iova %#llx len %zu: %s; keeping the memory",
			     d->hw.name, (unsigned long long)r->iova, r->len, strerror(e));
			return -e;
		}
	}
	munmap(r->va, r->len);
	return 0;
}

/* Context: control.  Locks: dma_lock.  May block (mmap, mlock, ioctl). */
static int vfio_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	struct vfio_dev *d = to_vfio(hw);
	struct vfio_dma_rec rec = { 0 };
	bool huge = false;
	char msg[256];
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > SIZE_MAX / 4)
		return -EINVAL;
	/* Huge pages: fewer IOMMU entries for big regions; and in no-IOMMU mode
	 * the only way to get more than 4 KiB physically contiguous. */
	if (d->noiommu ? len > VFIO_PAGE : len >= VFIO_HUGE_PAGE) {
		rec.len = round_up(len, VFIO_HUGE_PAGE);
		rec.va = mmap(NULL, rec.len, PROT_READ | PROT_WRITE,
		              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_HUGETLB | VFIO_MAP_HUGE_2MB,
		              -1, 0);
		huge = rec.va != MAP_FAILED;
	}
	if (!huge) {
		rec.len = round_up(len, VFIO_PAGE);
		rec.va = mmap(NULL, rec.len, PROT_READ | PROT_WRITE,
		              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (rec.va == MAP_FAILED)
			return -errno;
	}
	/* MAP_POPULATE faults the pages in (ASan turns mlock into a no-op, and
	 * the pagemap lookup needs them present); mlock keeps them there.  A
	 * fork must not make them copy-on-write under the device. */
	(void)madvise(rec.va, rec.len, MADV_DONTFORK);
	if (mlock(rec.va, rec.len) < 0) {
		rc = -errno;
		munmap(rec.va, rec.len);
		return rc;
	}

	pthread_mutex_lock(&d->dma_lock);
	if (d->ndma == d->dma_cap) {
		size_t cap = d->dma_cap ? d->dma_cap * 2 : 8;
		struct vfio_dma_rec *n = realloc(d->dma, cap * sizeof(*n));

		if (!n) {
			rc = -ENOMEM;
			goto fail_unlock;
		}
		d->dma = n;
		d->dma_cap = cap;
	}
	if (d->noiommu) {
		rc = hal_vfio_pagemap_phys(d->pagemap_fd, (uintptr_t)rec.va, rec.len, &rec.iova,
		                           msg, sizeof(msg));
		if (rc < 0) {
			vlog("%s: dma_alloc(%zu), no-IOMMU: %s%s", d->hw.name, len, msg,
			     rc != -ENOMEM ? "" : huge
			     ? ": regions above 2 MiB need hugepages that happen to be physically "
			       "adjacent, which the kernel does not promise; use regions of at most 2 MiB"
			     : ": regions above 4 KiB need 2 MiB hugepages (vm.nr_hugepages)");
			goto fail_unlock;
		}
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)rec.va,
			.size = rec.len,
		};

		rc = hal_vfio_iova_alloc(&d->iova, rec.len, huge ? VFIO_HUGE_PAGE : VFIO_PAGE, &rec.iova);
		if (rc < 0) {
			vlog("%s: dma_alloc(%zu): IOVA space exhausted", d->hw.name, len);
			goto fail_unlock;
		}
		m.iova = rec.iova;
		if (ioctl(d->container_fd, VFIO_IOMMU_MAP_DMA, &m) < 0) {
			rc = -errno;
			vlog("%s: VFIO_IOMMU_MAP_DMA %zu bytes at iova %#llx: %s", d->hw.name, rec.len,
			     (unsigned long long)rec.iova, strerror(-rc));
			goto fail_unlock;
		}
		rec.mapped = true;
	}
	if (++d->next_handle == 0)
		d->next_handle = 1;
	rec.handle = d->next_handle;
	d->dma[d->ndma++] = rec;
	pthread_mutex_unlock(&d->dma_lock);

	out->va = rec.va;
	out->iova = rec.iova;
	out->len = rec.len;
	out->handle = rec.handle;
	return 0;

fail_unlock:
	pthread_mutex_unlock(&d->dma_lock);
	munmap(rec.va, rec.len);
	return rc;
}

/* Context: control.  Locks: dma_lock.  May block (ioctl, munmap). */
static void vfio_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
	struct vfio_dev *d = to_vfio(hw);
	size_t i;

	pthread_mutex_lock(&d->dma_lock);
	for (i = 0; i < d->ndma; i++)
		if (d->dma[i].handle == dma->handle)
			break;
	if (i == d->ndma || d->dma[i].va != dma->va || d->dma[i].iova != dma->iova) {
		pthread_mutex_unlock(&d->dma_lock);
		vlog("%s: dma_free of an unknown region (handle %u, iova %#llx): ignored",
		     hw->name, dma->handle, (unsigned long long)dma->iova);
		return;
	}
	(void)dma_release_locked(d, &d->dma[i]);
	d->dma[i] = d->dma[--d->ndma];
	pthread_mutex_unlock(&d->dma_lock);
	memset(dma, 0, sizeof(*dma));
}

/* Context: any.  May block (ioctl). */
static int vfio_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count)
{
	struct vfio_dev *d = to_vfio(hw);
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = (uint32_t)idx };

	*count = 0;
	if ((unsigned)idx >= HAL_IRQ_NINDEX)
		return -EINVAL;
	if ((uint32_t)idx >= d->num_irqs)
		return 0;
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0)
		/* vfio-pci refuses ERR on conventional PCI with EINVAL: absent. */
		return errno == EINVAL ? 0 : -errno;
	*count = info.count;
	return 0;
}

static int irq_ioctl(struct vfio_dev *d, uint32_t flags, enum hal_irq_index idx, uint32_t start,
                     uint32_t count, const int *efds)
{
	_Alignas(struct vfio_irq_set) uint8_t buf[sizeof(struct vfio_irq_set) +
	                                          VFIO_IRQ_MAX_VECTORS * sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)(void *)buf;
	size_t data = efds ? count * sizeof(int32_t) : 0;

	if ((unsigned)idx >= HAL_IRQ_NINDEX || count > VFIO_IRQ_MAX_VECTORS)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->argsz = (uint32_t)(sizeof(*s) + data);
	s->flags = flags;
	s->index = (uint32_t)idx;
	s->start = start;
	s->count = count;
	for (uint32_t i = 0; efds && i < count; i++) {
		int32_t fd = efds[i];

		memcpy(s->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	return ioctl(d->device_fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
}

/* Context: any.  May block (ioctl). */
static int vfio_irq_set(struct hal_dev *hw, enum hal_irq_index idx, const int *efds, uint32_t n)
{
	if (!efds || n == 0)
		return -EINVAL;
	return irq_ioctl(to_vfio(hw), VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	                 idx, 0, n, efds);
}

/* Context: any.  May block (ioctl). */
static int vfio_irq_clear(struct hal_dev *hw, enum hal_irq_index idx)
{
	return irq_ioctl(to_vfio(hw), VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	                 idx, 0, 0, NULL);
}

/* Context: any (the irq thread after each INTx).  May block (ioctl). */
static int vfio_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t vector)
{
	return irq_ioctl(to_vfio(hw), VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
	                 idx, vector, 1, NULL);
}

/* Context: control.  May block (function-level reset in the kernel). */
static int vfio_reset(struct hal_dev *hw)
{
	struct vfio_dev *d = to_vfio(hw);

	if (!(d->device_flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTSUP;
	return ioctl(d->device_fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}

/* Context: a fatal signal handler.  Async-signal-safe: MMIO stores to the
 * BAR (skipped once the guard replaced it), pread/pwrite on the config region,
 * nanosleep.  Masks interrupts, stops RX/TX, resets, clears bus mastering. */
static void vfio_emergency_stop(struct hal_dev *hw)
{
	struct vfio_dev *d = to_vfio(hw);
	uint16_t cmd;

	if (d->bar0 && !guard_replaced(d->guard_slot)) {
		mmio_wr(d, E1000_IMC, E1000_IMS_ALL);
		mmio_wr(d, E1000_RCTL, 0);
		mmio_wr(d, E1000_TCTL, 0);
		mmio_wr(d, E1000_CTRL, mmio_rd(d, E1000_CTRL) | E1000_CTRL_RST);
		if (d->hw.mac == E1K_MAC_82574L)
			nanosleep(&(struct timespec){ .tv_nsec = VFIO_E1000E_QUIESCE_NS }, NULL);
	}
	if (pread(d->device_fd, &cmd, sizeof(cmd), (off_t)(d->cfg_off + PCI_CFG_COMMAND)) ==
	    (ssize_t)sizeof(cmd)) {
		cmd = (uint16_t)(cmd & ~PCI_CFG_CMD_MASTER);
		(void)!pwrite(d->device_fd, &cmd, sizeof(cmd), (off_t)(d->cfg_off + PCI_CFG_COMMAND));
	}
}

/* Undo whatever hal_vfio_open_at built, in reverse.  Accepts a half-built d. */
static void vfio_teardown(struct vfio_dev *d)
{
	size_t leftover = 0, bytes = 0;

	if (!d)
		return;
	(void)atomic_load_explicit(&d->mem_fault_injected, memory_order_acquire);
	if (d->dma_lock_ready) {
		pthread_mutex_lock(&d->dma_lock);
		for (size_t i = 0; i < d->ndma; i++) {
			leftover++;
			bytes += d->dma[i].len;
			(void)dma_release_locked(d, &d->dma[i]);
		}
		d->ndma = 0;
		pthread_mutex_unlock(&d->dma_lock);
		if (leftover)
			vlog("%s: close released %zu leftover DMA mapping(s), %zu bytes", d->hw.name,
			     leftover, bytes);
	}
	free(d->dma);
	d->dma = NULL;
	if (hal_vfio_bar_guard_faults(d->guard_slot))
		vlog("%s: BAR0 faulted (%llu SIGBUS caught; it read all ones since)", d->hw.name,
		     (unsigned long long)hal_vfio_bar_guard_faults(d->guard_slot));
	hal_vfio_bar_guard_remove(d->guard_slot);
	d->guard_slot = -1;
	if (d->bar0)
		munmap(d->bar0, d->bar0_len);
	d->bar0 = NULL;
	if (d->pagemap_fd >= 0)
		close(d->pagemap_fd);
	/* Device before group before container: each holds the next. */
	if (d->device_fd >= 0)
		close(d->device_fd);
	if (d->group_fd >= 0)
		close(d->group_fd);
	if (d->container_fd >= 0)
		close(d->container_fd);
	if (d->dma_lock_ready)
		pthread_mutex_destroy(&d->dma_lock);
	free(d);
}

/* Context: control, after every other use of hw ended. */
static void vfio_close(struct hal_dev *hw)
{
	vfio_teardown(to_vfio(hw));
}

static const struct hal_ops vfio_ops = {
	.name           = "vfio",
	.rd32           = vfio_rd32,
	.wr32           = vfio_wr32,
	.cfg_read       = vfio_cfg_read,
	.cfg_write      = vfio_cfg_write,
	.dma_alloc      = vfio_dma_alloc,
	.dma_free       = vfio_dma_free,
	.irq_count      = vfio_irq_count,
	.irq_set        = vfio_irq_set,
	.irq_clear      = vfio_irq_clear,
	.irq_unmask     = vfio_irq_unmask,
	.reset          = vfio_reset,
	.emergency_stop = vfio_emergency_stop,
	.close          = vfio_close,
};

bool hal_is_vfio(const struct hal_dev *hw)
{
	return hw && hw->ops == &vfio_ops;
}

int hal_vfio_fault_disable_memory(struct hal_dev *hw)
{
	struct vfio_dev *d;
	uint16_t cmd;
	int rc;

	if (!hal_is_vfio(hw))
		return -EINVAL;
	d = to_vfio(hw);
	rc = cfg_io(d, PCI_CFG_COMMAND, &cmd, sizeof(cmd), false);
	if (rc < 0)
		return rc;
	cmd = (uint16_t)(cmd & ~PCI_CFG_CMD_MEMORY);
	rc = cfg_io(d, PCI_CFG_COMMAND, &cmd, sizeof(cmd), true);
	/* Release: pairs with the acquire load in vfio_teardown. */
	atomic_store_explicit(&d->mem_fault_injected, true, memory_order_release);
	return rc;
}

/* ---- open ------------------------------------------------------------- */

int hal_vfio_parse_iova_caps(const void *info, size_t len, uint64_t *start, uint64_t *last,
                             unsigned max)
{
	const uint8_t *buf = info;
	struct vfio_iommu_type1_info hdr;
	unsigned n = 0;
	uint32_t off;

	if (!info || len < sizeof(hdr))
		return 0;
	memcpy(&hdr, buf, sizeof(hdr));
	if (!(hdr.flags & VFIO_IOMMU_INFO_CAPS))
		return 0;
	if (len > hdr.argsz)
		len = hdr.argsz;
	off = hdr.cap_offset;
	/* Bounded walk: each offset must move forward and stay inside.  Every
	 * field is copied out: kernels before 6.6 pack capabilities without
	 * aligning them (a 12-byte DMA_AVAIL cap leaves the IOVA ranges at
	 * 4 mod 8), so the u64s cannot be read in place. */
	for (unsigned guard_n = 0; guard_n < 16 && off >= sizeof(hdr) &&
	     (size_t)off + sizeof(struct vfio_info_cap_header) <= len; guard_n++) {
		struct vfio_info_cap_header h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    (size_t)off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= len) {
			struct vfio_iommu_type1_info_cap_iova_range c;
			size_t r = off + sizeof(c);

			memcpy(&c, buf + off, sizeof(c));
			for (uint32_t i = 0; i < c.nr_iovas && n < max &&
			     r + sizeof(struct vfio_iova_range) <= len; i++, r += sizeof(struct vfio_iova_range)) {
				struct vfio_iova_range rg;

				memcpy(&rg, buf + r, sizeof(rg));
				start[n] = rg.start;
				last[n] = rg.end;
				n++;
			}
		}
		if (h.next <= off)
			break;
		off = h.next;
	}
	return (int)n;
}

/* The usable IOVA ranges from VFIO_IOMMU_GET_INFO's capability chain; a
 * default (39 bits minus the MSI window) when the kernel reports none. */
static void iova_setup(struct vfio_dev *d)
{
	uint64_t st[HAL_VFIO_IOVA_RANGES], la[HAL_VFIO_IOVA_RANGES];
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	int n = 0;

	if (ioctl(d->container_fd, VFIO_IOMMU_GET_INFO, &probe) == 0 &&
	    (probe.flags & VFIO_IOMMU_INFO_CAPS) && probe.argsz > sizeof(probe) &&
	    probe.argsz <= 65536) {
		struct vfio_iommu_type1_info *info = calloc(1, probe.argsz);

		if (info) {
			info->argsz = probe.argsz;
			if (ioctl(d->container_fd, VFIO_IOMMU_GET_INFO, info) == 0)
				n = hal_vfio_parse_iova_caps(info, probe.argsz, st, la, HAL_VFIO_IOVA_RANGES);
			free(info);
		}
	}
	if (n == 0) {
		st[0] = 0;
		la[0] = VFIO_MSI_WINDOW_START - 1;
		st[1] = VFIO_MSI_WINDOW_LAST + 1;
		la[1] = VFIO_IOVA_DEFAULT_LAST;
		n = 2;
	}
	hal_vfio_iova_init(&d->iova, st, la, (unsigned)n, VFIO_IOVA_FLOOR);
}

static int region_info(struct vfio_dev *d, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(d->device_fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0 ? -errno : 0;
}

int hal_vfio_open_at(const char *bdf_in, const struct hal_vfio_opts *o, const char *dev_root,
                     struct hal_dev **out, char *err, size_t errlen)
{
	static const struct hal_vfio_opts defaults = { 0 };
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info bar, cfg;
	struct hal_vfio_sysfs sy;
	char bdf[HAL_VFIO_BDF_LEN], vfio_path[PATH_MAX], group_path[PATH_MAX], extra[256];
	enum e1k_mac_type mac;
	struct vfio_dev *d;
	uint16_t ids[2];
	int rc, iommu_type;
	void *map;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!bdf_in || !out || !dev_root) {
		errf(err, errlen, "hal_vfio_open: missing argument");
		return -EINVAL;
	}
	if (!o)
		o = &defaults;
	if (hal_vfio_parse_bdf(bdf_in, bdf) < 0) {
		errf(err, errlen, "'%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)", bdf_in);
		return -EINVAL;
	}
	rc = hal_vfio_sysfs_probe(o->sysfs_root, bdf, &sy, err, errlen);
	if (rc < 0)
		return rc;
	if (hal_mac_type(sy.vendor, sy.device, &mac) < 0) {
		errf(err, errlen, "%s: %04x:%04x is not supported", bdf, sy.vendor, sy.device);
		return -ENODEV;
	}

	/* The group's node says which kind it is when sysfs did not. */
	snprintf(group_path, sizeof(group_path), "%s/vfio/%s%d", dev_root,
	         sy.noiommu ? "noiommu-" : "", sy.group);
	if (!sy.noiommu && access(group_path, F_OK) < 0) {
		char alt[PATH_MAX];

		snprintf(alt, sizeof(alt), "%s/vfio/noiommu-%d", dev_root, sy.group);
		if (access(alt, F_OK) == 0) {
			sy.noiommu = true;
			memcpy(group_path, alt, sizeof(alt));
		}
	}
	if (sy.noiommu && !o->prefer_noiommu) {
		errf(err, errlen, "%s: IOMMU group %d is a no-IOMMU group (%s): the device could DMA "
		     "anywhere in memory; refused (e1kd --noiommu accepts it)", bdf, sy.group, group_path);
		return -EPERM;
	}

	snprintf(vfio_path, sizeof(vfio_path), "%s/vfio/vfio", dev_root);
	if (access(vfio_path, F_OK) < 0) {
		rc = -errno;
		errf(err, errlen, "vfio is not available: load vfio-pci (%s: %s)", vfio_path, strerror(-rc));
		return -ENOENT;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->container_fd = d->group_fd = d->device_fd = d->pagemap_fd = -1;
	d->guard_slot = -1;
	d->noiommu = sy.noiommu;
	snprintf(d->hw.name, sizeof(d->hw.name), "%s", bdf);
	if ((rc = -pthread_mutex_init(&d->dma_lock, NULL)) < 0) {
		errf(err, errlen, "pthread_mutex_init: %s", strerror(-rc));
		goto fail;
	}
	d->dma_lock_ready = true;

	/* 1. The container: API version and an IOMMU model it supports. */
	d->container_fd = open(vfio_path, O_RDWR | O_CLOEXEC);
	if (d->container_fd < 0) {
		rc = -errno;
		errf(err, errlen, "cannot open %s: %s", vfio_path, strerror(-rc));
		goto fail;
	}
	rc = ioctl(d->container_fd, VFIO_GET_API_VERSION);
	if (rc != VFIO_API_VERSION) {
		if (rc < 0) {
			rc = -errno;
			errf(err, errlen, "%s is not a VFIO container (VFIO_GET_API_VERSION: %s)",
			     vfio_path, strerror(-rc));
		} else {
			errf(err, errlen, "%s: VFIO API version %d, expected %d", vfio_path, rc,
			     VFIO_API_VERSION);
			rc = -EPROTO;
		}
		goto fail;
	}
	if (d->noiommu)
		iommu_type = ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) > 0
		             ? VFIO_NOIOMMU_IOMMU : -1;
	else if (ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		iommu_type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		iommu_type = VFIO_TYPE1_IOMMU;
	else
		iommu_type = -1;
	if (iommu_type < 0) {
		errf(err, errlen, "%s offers no %s", vfio_path,
		     d->noiommu ? "no-IOMMU model (vfio.enable_unsafe_noiommu_mode=1?)"
		                : "type1 IOMMU model (vfio_iommu_type1 not loaded?)");
		rc = -ENOTSUP;
		goto fail;
	}

	/* 2. The group: viable means every device in it is ours or unbound. */
	d->group_fd = open(group_path, O_RDWR | O_CLOEXEC);
	if (d->group_fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			errf(err, errlen, "%s: %s does not exist (is vfio-pci bound to it?)", bdf, group_path);
		else if (rc == -EBUSY)
			errf(err, errlen, "%s: %s is busy: another process holds IOMMU group %d", bdf,
			     group_path, sy.group);
		else
			errf(err, errlen, "%s: cannot open %s: %s", bdf, group_path, strerror(-rc));
		goto fail;
	}
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &gs) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_GROUP_GET_STATUS on %s: %s", bdf, group_path, strerror(-rc));
		goto fail;
	}
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		group_offenders(o->sysfs_root ? o->sysfs_root : "/sys", sy.group, bdf, extra, sizeof(extra));
		errf(err, errlen, "%s: IOMMU group %d is not viable: every device in it must be bound to "
		     "vfio-pci or unbound%s%s%s", bdf, sy.group, extra[0] ? " (" : "", extra,
		     extra[0] ? ")" : "");
		rc = -EPERM;
		goto fail;
	}
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &d->container_fd) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_GROUP_SET_CONTAINER: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (ioctl(d->container_fd, VFIO_SET_IOMMU, iommu_type) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_SET_IOMMU(%s): %s%s", bdf,
		     iommu_type == VFIO_NOIOMMU_IOMMU ? "noiommu" :
		     iommu_type == VFIO_TYPE1v2_IOMMU ? "type1v2" : "type1", strerror(-rc),
		     rc == -EPERM && iommu_type != VFIO_NOIOMMU_IOMMU
		     ? " (no interrupt remapping? intremap=on, or vfio_iommu_type1.allow_unsafe_interrupts=1)"
		     : "");
		goto fail;
	}

	/* 3. The device and its regions. */
	d->device_fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->device_fd < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_INFO, &di) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_DEVICE_GET_INFO: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		errf(err, errlen, "%s: not a VFIO PCI device (flags %#x, %u regions)", bdf, di.flags,
		     di.num_regions);
		rc = -ENODEV;
		goto fail;
	}
	d->device_flags = di.flags;
	d->num_irqs = di.num_irqs;

	rc = region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (rc < 0) {
		errf(err, errlen, "%s: config region info: %s", bdf, strerror(-rc));
		goto fail;
	}
	d->cfg_off = cfg.offset;
	d->cfg_size = cfg.size;
	rc = cfg_io(d, PCI_CFG_VENDOR_ID, ids, sizeof(ids), false);
	if (rc < 0 || ids[0] != sy.vendor || ids[1] != sy.device) {
		errf(err, errlen, "%s: config space reads %04x:%04x, sysfs said %04x:%04x%s%s", bdf,
		     rc < 0 ? 0 : ids[0], rc < 0 ? 0 : ids[1], sy.vendor, sy.device,
		     rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
		rc = rc < 0 ? rc : -ENODEV;
		goto fail;
	}

	rc = region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	if (rc < 0) {
		errf(err, errlen, "%s: BAR0 region info: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (bar.size < E1000_BAR0_SIZE || !(bar.flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    (bar.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) !=
	    (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) {
		errf(err, errlen, "%s: BAR0 is %llu bytes (flags %#x): need a read/write, mmap-able "
		     "BAR of at least %u bytes", bdf, (unsigned long long)bar.size, bar.flags,
		     E1000_BAR0_SIZE);
		rc = -ENODEV;
		goto fail;
	}
	map = mmap(NULL, (size_t)bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->device_fd,
	           (off_t)bar.offset);
	if (map == MAP_FAILED) {
		rc = -errno;
		errf(err, errlen, "%s: mmap BAR0 (%llu bytes): %s", bdf, (unsigned long long)bar.size,
		     strerror(-rc));
		goto fail;
	}
	d->bar0 = map;
	d->bar0_len = (size_t)bar.size;
	rc = hal_vfio_bar_guard_add(d->bar0, d->bar0_len);
	if (rc < 0) {
		errf(err, errlen, "%s: cannot register BAR0 with the SIGBUS guard: %s", bdf, strerror(-rc));
		goto fail;
	}
	d->guard_slot = rc;

	/* 4. DMA addressing. */
	if (d->noiommu) {
		d->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (d->pagemap_fd < 0) {
			rc = -errno;
			errf(err, errlen, "%s: no-IOMMU mode needs /proc/self/pagemap: %s", bdf, strerror(-rc));
			goto fail;
		}
	} else {
		iova_setup(d);
	}

	d->hw.ops = &vfio_ops;
	d->hw.mac = mac;
	d->hw.vendor_id = sy.vendor;
	d->hw.device_id = sy.device;
	atomic_init(&d->hw.gone, false);
	atomic_init(&d->hw.mmio_after_removal, 0);
	*out = &d->hw;
	return 0;

fail:
	vfio_teardown(d);
	return rc < 0 ? rc : -EIO;
}

int hal_vfio_open(const char *bdf, const struct hal_vfio_opts *o, struct hal_dev **out,
                  char *err, size_t errlen)
{
	return hal_vfio_open_at(bdf, o, "/dev", out, err, errlen);
}
