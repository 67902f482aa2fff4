/* SPDX-License-Identifier: MIT */
/*
 * vfio_sysfs.c - BDF parsing and sysfs discovery for the VFIO backend: is the
 * function there, an e1000-class NIC, bound to vfio-pci, in an IOMMU group
 * (and is that a no-IOMMU one)?  libpci only names a device we refuse.
 * Stateless but for libpci's per-thread error jump (see vfio_internal.h).
 */
#include "vfio_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex.h"

static const char vfio_driver_name[] = "vfio-pci";
static const char noiommu_group_name[] = "vfio-noiommu";

/* ---- sysfs reads and libpci names ------------------------------------- */

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

/* Exactly n hex digits at *s; advances *s. */
static int take_hex(const char **s, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		int h = e1k_hexval((*s)[i]);

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
	/* The casts tell the compiler the widths take_hex allowed (4, 2, 2, 1
	 * digits), so an optimised build sees no possible truncation. */
	snprintf(out, HAL_VFIO_BDF_LEN, "%04x:%02x:%02x.%x", (unsigned)(uint16_t)dom,
	         (unsigned)(uint8_t)bus, (unsigned)(uint8_t)dev, (unsigned)(uint8_t)(fn & 7u));
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

void vfio_group_offenders(const char *root, int group, const char *self, char *buf, size_t size)
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
