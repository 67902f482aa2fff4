/* SPDX-License-Identifier: MIT */
/* The VFIO backend's checks before any ioctl, against a fake sysfs tree and
 * fake /dev nodes in a temporary directory: unknown BDF, unsupported device
 * (with libpci's name), bound to another driver or to none, no IOMMU group,
 * no-IOMMU groups, missing /dev/vfio, a /dev/vfio/vfio that is not VFIO.
 * Every failure must leave no fd open and *out NULL. */
#include "testlib.h"
#include "vfio_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];       /* the temp dir */
static char sysfs[PATH_MAX];      /* root/sys */
static char devroot[PATH_MAX];    /* root/dev */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* snprintf that fails the test on truncation (and keeps gcc's
 * -Wformat-truncation quiet about PATH_MAX buffers). */
static void __attribute__((format(printf, 3, 4))) pf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		tl_fail(__FILE__, __LINE__, "path too long: %s", fmt);
}

static void __attribute__((format(printf, 2, 3))) put(const char *content, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	if (!f) {
		tl_fail(__FILE__, __LINE__, "cannot create %s", path);
		return;
	}
	fputs(content, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	pf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static void tree_free(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

static void tree_new(void)
{
	pf(root, sizeof(root), "/tmp/vfio-sysfs-XXXXXX");
	if (!mkdtemp(root)) {
		tl_fail(__FILE__, __LINE__, "mkdtemp");
		root[0] = '\0';
		return;
	}
	pf(sysfs, sizeof(sysfs), "%s/sys", root);
	pf(devroot, sizeof(devroot), "%s/dev", root);
	char p[PATH_MAX];
	pf(p, sizeof(p), "%s/bus/pci/devices", sysfs);
	mkdirs(p);
	pf(p, sizeof(p), "%s/devices/pci0000:00", sysfs);
	mkdirs(p);
}

/* A PCI function in the fake tree, the way sysfs lays it out: the devices/
 * entry is a symlink into devices/pci0000:00/; driver and iommu_group are
 * symlinks whose last component is what matters.  driver NULL = unbound,
 * group < 0 = none. */
static void add_dev(const char *bdf, unsigned vendor, unsigned device, const char *driver, int group)
{
	char dir[PATH_MAX], link[PATH_MAX], target[PATH_MAX], v[16];

	pf(dir, sizeof(dir), "%s/devices/pci0000:00/%s", sysfs, bdf);
	mkdirs(dir);
	pf(link, sizeof(link), "%s/bus/pci/devices/%s", sysfs, bdf);
	pf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	CHECK_OK(symlink(target, link));
	pf(v, sizeof(v), "0x%04x\n", vendor);
	put(v, "%s/vendor", dir);
	pf(v, sizeof(v), "0x%04x\n", device);
	put(v, "%s/device", dir);
	if (driver) {
		pf(link, sizeof(link), "%s/driver", dir);
		pf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		CHECK_OK(symlink(target, link));
	}
	if (group >= 0) {
		pf(link, sizeof(link), "%s/iommu_group", dir);
		pf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
		CHECK_OK(symlink(target, link));
		pf(target, sizeof(target), "%s/kernel/iommu_groups/%d", sysfs, group);
		mkdirs(target);
	}
}

/* hal_vfio_open_at must fail with rc, a message containing want, *out NULL,
 * and no fd left behind. */
static void expect_open_fails(const char *bdf, const struct hal_vfio_opts *o, int rc,
                              const char *want, int line)
{
	struct hal_dev *hw = (struct hal_dev *)&hw;   /* must be overwritten */
	char err[512] = "";
	int fds = count_fds();
	int got = hal_vfio_open_at(bdf, o, devroot, &hw, err, sizeof(err));

	if (got != rc)
		tl_fail(__FILE__, line, "open %s: rc %d, want %d (%s)", bdf, got, rc, err);
	if (!strstr(err, want))
		tl_fail(__FILE__, line, "open %s: message '%s' lacks '%s'", bdf, err, want);
	if (hw != NULL)
		tl_fail(__FILE__, line, "open %s: *out not NULL on failure", bdf);
	if (count_fds() != fds)
		tl_fail(__FILE__, line, "open %s: %d fds before, %d after", bdf, fds, count_fds());
	if (got == rc)
		printf("  %s: %s\n", bdf, err);
}

static void test_unknown_bdf(void)
{
	struct hal_vfio_opts o = { .sysfs_root = NULL };
	struct hal_vfio_sysfs sy;
	char err[256];

	tree_new();
	o.sysfs_root = sysfs;
	CHECK_EQ(hal_vfio_sysfs_probe(sysfs, "0000:01:00.0", &sy, err, sizeof(err)), -ENODEV);
	CHECK(strcmp(err, "no PCI device 0000:01:00.0") == 0);
	CHECK_EQ(sy.group, -1);
	expect_open_fails("01:00.0", &o, -ENODEV, "no PCI device 0000:01:00.0", __LINE__);
	expect_open_fails("0000:01:00.0 ", &o, -EINVAL, "is not a PCI address", __LINE__);
	expect_open_fails("sim:82540em", &o, -EINVAL, "DDDD:BB:DD.F or BB:DD.F", __LINE__);
	/* A sysfs root with no PCI bus at all. */
	o.sysfs_root = root;
	expect_open_fails("0000:01:00.0", &o, -ENODEV, "no PCI device", __LINE__);
	CHECK_EQ(hal_vfio_open_at(NULL, &o, devroot, (struct hal_dev *[1]){ 0 }, err, sizeof(err)), -EINVAL);
	CHECK_EQ(hal_vfio_open_at("01:00.0", &o, devroot, NULL, err, sizeof(err)), -EINVAL);
	tree_free();
}

static void test_not_e1000(void)
{
	struct hal_vfio_opts o = { 0 };
	struct hal_vfio_sysfs sy;
	char err[256];

	tree_new();
	o.sysfs_root = sysfs;
	add_dev("0000:00:03.0", 0x1af4, 0x1041, "vfio-pci", 3);     /* virtio-net */
	add_dev("0000:00:04.0", 0x8086, 0x10fb, "vfio-pci", 4);     /* Intel, not e1000 */
	add_dev("0000:00:05.0", 0x1234, 0x5678, "vfio-pci", 5);     /* not in pci.ids */
	CHECK_EQ(hal_vfio_sysfs_probe(sysfs, "0000:00:03.0", &sy, err, sizeof(err)), -ENODEV);
	CHECK_EQ(sy.vendor, 0x1af4);
	CHECK_EQ(sy.device, 0x1041);
	CHECK(strstr(err, "1af4:1041") && strstr(err, "not an e1000-class NIC"));
	/* The human name comes from libpci's pci.ids when it is installed. */
	if (access("/usr/share/misc/pci.ids", R_OK) == 0)
		CHECK(strstr(err, "Virtio") != NULL);
	expect_open_fails("00:03.0", &o, -ENODEV, "not an e1000-class NIC", __LINE__);
	expect_open_fails("00:04.0", &o, -ENODEV, "8086:10fb", __LINE__);
	expect_open_fails("00:05.0", &o, -ENODEV, "1234:5678 (not in pci.ids)", __LINE__);
	tree_free();
}

static void test_wrong_driver(void)
{
	struct hal_vfio_opts o = { 0 };
	struct hal_vfio_sysfs sy;
	char err[256];

	tree_new();
	o.sysfs_root = sysfs;
	add_dev("0000:01:00.0", 0x8086, 0x100e, "e1000", 7);
	add_dev("0000:02:00.0", 0x8086, 0x10d3, NULL, 8);
	CHECK_EQ(hal_vfio_sysfs_probe(sysfs, "0000:01:00.0", &sy, err, sizeof(err)), -EBUSY);
	CHECK(strcmp(sy.driver, "e1000") == 0);
	expect_open_fails("0000:01:00.0", &o, -EBUSY,
	                  "bound to e1000, not vfio-pci: run scripts/vfio-bind bind 0000:01:00.0", __LINE__);
	expect_open_fails("02:00.0", &o, -EBUSY,
	                  "bound to no driver, not vfio-pci: run scripts/vfio-bind bind 0000:02:00.0", __LINE__);
	/* The supported device's name is in the message. */
	CHECK_EQ(hal_vfio_sysfs_probe(sysfs, "0000:02:00.0", &sy, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "82574L") != NULL);
	tree_free();
}

static void test_group(void)
{
	struct hal_vfio_opts o = { 0 };
	struct hal_vfio_sysfs sy;
	char err[256];

	tree_new();
	o.sysfs_root = sysfs;
	add_dev("0000:01:00.0", 0x8086, 0x100e, "vfio-pci", 7);
	add_dev("0000:02:00.0", 0x8086, 0x100e, "vfio-pci", -1);
	add_dev("0000:03:00.0", 0x8086, 0x10d3, "vfio-pci", 9);
	put("vfio-noiommu\n", "%s/kernel/iommu_groups/9/name", sysfs);

	CHECK_OK(hal_vfio_sysfs_probe(sysfs, "0000:01:00.0", &sy, err, sizeof(err)));
	CHECK_EQ(sy.vendor, 0x8086);
	CHECK_EQ(sy.device, 0x100e);
	CHECK(strcmp(sy.driver, "vfio-pci") == 0);
	CHECK_EQ(sy.group, 7);
	CHECK(!sy.noiommu);
	CHECK_EQ(hal_vfio_sysfs_probe(sysfs, "0000:02:00.0", &sy, err, sizeof(err)), -ENODEV);
	CHECK(strstr(err, "has no IOMMU group") != NULL);
	CHECK_OK(hal_vfio_sysfs_probe(sysfs, "0000:03:00.0", &sy, err, sizeof(err)));
	CHECK_EQ(sy.group, 9);
	CHECK(sy.noiommu);

	/* No /dev/vfio at all. */
	expect_open_fails("0000:01:00.0", &o, -ENOENT, "vfio is not available: load vfio-pci", __LINE__);
	/* A no-IOMMU group is refused unless asked for. */
	expect_open_fails("0000:03:00.0", &o, -EPERM, "is a no-IOMMU group", __LINE__);
	/* ... also when only the node name says so (sysfs without the name). */
	char p[PATH_MAX];
	pf(p, sizeof(p), "%s/vfio", devroot);
	mkdirs(p);
	put("", "%s/vfio/vfio", devroot);
	put("", "%s/vfio/noiommu-7", devroot);
	expect_open_fails("0000:01:00.0", &o, -EPERM, "/vfio/noiommu-7", __LINE__);
	/* Accepted: then the (fake, regular-file) container is found wanting. */
	o.prefer_noiommu = 1;
	expect_open_fails("0000:01:00.0", &o, -ENOTTY, "is not a VFIO container", __LINE__);
	expect_open_fails("0000:03:00.0", &o, -ENOTTY, "is not a VFIO container", __LINE__);
	tree_free();
}

static void test_not_vfio_node(void)
{
	struct hal_vfio_opts o = { 0 };
	char p[PATH_MAX];

	tree_new();
	o.sysfs_root = sysfs;
	add_dev("0000:01:00.0", 0x8086, 0x100e, "vfio-pci", 7);
	pf(p, sizeof(p), "%s/vfio", devroot);
	mkdirs(p);
	/* /dev/vfio exists but not the container node. */
	expect_open_fails("0000:01:00.0", &o, -ENOENT, "vfio is not available: load vfio-pci", __LINE__);
	put("", "%s/vfio/vfio", devroot);
	put("", "%s/vfio/7", devroot);
	expect_open_fails("0000:01:00.0", &o, -ENOTTY, "VFIO_GET_API_VERSION", __LINE__);
	tree_free();
}

/* Against the real /sys: a BDF that cannot exist, and whatever PCI function
 * this machine has that is not e1000-class. */
static void test_real_sysfs(void)
{
	struct hal_dev *hw = NULL;
	char err[512];
	DIR *d;
	struct dirent *e;
	int fds = count_fds();

	CHECK_EQ(hal_vfio_open("ffff:ff:1f.7", NULL, &hw, err, sizeof(err)), -ENODEV);
	CHECK(strcmp(err, "no PCI device ffff:ff:1f.7") == 0);
	d = opendir("/sys/bus/pci/devices");
	if (!d) {
		printf("  no /sys/bus/pci: skipped\n");
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct hal_vfio_sysfs sy;

		if (e->d_name[0] == '.')
			continue;
		if (hal_vfio_sysfs_probe(NULL, e->d_name, &sy, err, sizeof(err)) == -ENODEV &&
		    strstr(err, "not an e1000-class NIC")) {
			CHECK_EQ(hal_vfio_open(e->d_name, NULL, &hw, err, sizeof(err)), -ENODEV);
			CHECK(hw == NULL);
			printf("  %s\n", err);
			break;
		}
	}
	closedir(d);
	CHECK_EQ(count_fds(), fds);
}

static void test_not_vfio_handle(void)
{
	struct hal_dev fake;

	memset(&fake, 0, sizeof(fake));
	CHECK(!hal_is_vfio(NULL));
	CHECK(!hal_is_vfio(&fake));
	CHECK_EQ(hal_vfio_fault_disable_memory(&fake), -EINVAL);
	CHECK_EQ(hal_vfio_fault_disable_memory(NULL), -EINVAL);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_unknown_bdf),
		TL_CASE(test_not_e1000),
		TL_CASE(test_wrong_driver),
		TL_CASE(test_group),
		TL_CASE(test_not_vfio_node),
		TL_CASE(test_real_sysfs),
		TL_CASE(test_not_vfio_handle),
	};
	int rc = tl_main(argc, argv, cases, TL_N(cases));

	tree_free();
	return rc;
}
