/* SPDX-License-Identifier: MIT */
/* The VFIO backend's pure parts: BDF parsing, the IOVA allocator, pagemap
 * parsing (against a fake pagemap file and, as root, the real one). */
#include "testlib.h"
#include "vfio_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- BDF ---- */

static void test_bdf_valid(void)
{
	char out[HAL_VFIO_BDF_LEN];

	CHECK_OK(hal_vfio_parse_bdf("0000:01:00.0", out));
	CHECK(strcmp(out, "0000:01:00.0") == 0);
	CHECK_OK(hal_vfio_parse_bdf("01:00.0", out));          /* domain 0000 */
	CHECK(strcmp(out, "0000:01:00.0") == 0);
	CHECK_OK(hal_vfio_parse_bdf("ABCD:EF:1F.7", out));     /* case folded */
	CHECK(strcmp(out, "abcd:ef:1f.7") == 0);
	CHECK_OK(hal_vfio_parse_bdf("ff:1f.7", out));
	CHECK(strcmp(out, "0000:ff:1f.7") == 0);
}

static void test_bdf_invalid(void)
{
	static const char *const bad[] = {
		"", "0", "1:0.0", "0000:01:00", "0000:01:00.", "0000:01:00.8",  /* fn > 7 */
		"0000:01:20.0",                       /* device > 31 */
		"0000:1:00.0", "000:01:00.0",         /* short fields */
		"00000:01:00.0", "0000:001:00.0",     /* long fields */
		"0000-01-00.0", "0000:01:00:0", "0000:01.00.0",
		" 000:01:00.0", "0000:01:00.0 ", "+000:01:00.0", "0x00:01:00.0",
		"0000:0g:00.0", "01:00.0\n", "sim:82540em", "01:00.0.0",
	};
	char out[HAL_VFIO_BDF_LEN] = "untouched";

	for (size_t i = 0; i < TL_N(bad); i++) {
		int rc = hal_vfio_parse_bdf(bad[i], out);

		if (rc != -EINVAL)
			tl_fail(__FILE__, __LINE__, "'%s' parsed (rc %d)", bad[i], rc);
	}
	CHECK_EQ(hal_vfio_parse_bdf(NULL, out), -EINVAL);
	CHECK_EQ(hal_vfio_parse_bdf("0000:01:00.0", NULL), -EINVAL);
}

/* ---- IOVA allocator ---- */

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static void test_iova_bump_and_align(void)
{
	struct hal_vfio_iova a;
	uint64_t s[] = { 0 }, l[] = { (1ull << 39) - 1 }, v, prev_end;

	hal_vfio_iova_init(&a, s, l, 1, GiB);
	CHECK_OK(hal_vfio_iova_alloc(&a, 4096, 4096, &v));
	CHECK_U64(v, GiB);                          /* starts at the floor */
	CHECK_OK(hal_vfio_iova_alloc(&a, 8192, 4096, &v));
	CHECK_U64(v, GiB + 4096);                   /* bump, no gap */
	CHECK_OK(hal_vfio_iova_alloc(&a, 2 * MiB, 2 * MiB, &v));
	CHECK_U64(v, GiB + 2 * MiB);                /* aligned up */
	CHECK_EQ(v % (2 * MiB), 0);
	prev_end = v + 2 * MiB;
	/* Never reused: a thousand small ones are all above the previous ones. */
	for (int i = 0; i < 1000; i++) {
		CHECK_OK(hal_vfio_iova_alloc(&a, 4096, 4096, &v));
		if (v < prev_end) {
			tl_fail(__FILE__, __LINE__, "iova %#llx reused (below %#llx)",
			        (unsigned long long)v, (unsigned long long)prev_end);
			break;
		}
		prev_end = v + 4096;
	}
	CHECK_EQ(hal_vfio_iova_alloc(&a, 0, 4096, &v), -EINVAL);
	CHECK_EQ(hal_vfio_iova_alloc(&a, 4096, 3000, &v), -EINVAL);   /* not a power of two */
	CHECK_EQ(hal_vfio_iova_alloc(&a, 4096, 0, &v), -EINVAL);
	CHECK_EQ(hal_vfio_iova_alloc(NULL, 4096, 4096, &v), -EINVAL);
}

static void test_iova_ranges_and_holes(void)
{
	struct hal_vfio_iova a;
	/* Given out of order, as a kernel might; the MSI window is a hole. */
	uint64_t s[] = { 0xfef00000ull, 0 }, l[] = { 0xffffffffull, 0xfedfffffull }, v;

	hal_vfio_iova_init(&a, s, l, 2, 0xfec00000ull);
	CHECK_EQ(a.n, 2);
	CHECK_U64(a.start[0], 0);
	CHECK_OK(hal_vfio_iova_alloc(&a, MiB, 4096, &v));
	CHECK_U64(v, 0xfec00000ull);
	/* 2 MiB does not fit below the hole (1 MiB left): goes above it. */
	CHECK_OK(hal_vfio_iova_alloc(&a, 2 * MiB, 4096, &v));
	CHECK_U64(v, 0xfef00000ull);
	/* Nothing is placed in the hole or back below. */
	CHECK_OK(hal_vfio_iova_alloc(&a, 4096, 4096, &v));
	CHECK_U64(v, 0xfef00000ull + 2 * MiB);
	/* Exhaustion: the rest of the top range, then ENOSPC. */
	CHECK_OK(hal_vfio_iova_alloc(&a, 0xffffffffull - v + 1 - 4096, 4096, &v));
	CHECK_EQ(hal_vfio_iova_alloc(&a, 4096, 4096, &v), -ENOSPC);
}

static void test_iova_top_of_space(void)
{
	struct hal_vfio_iova a;
	uint64_t s[] = { UINT64_MAX - 8191 }, l[] = { UINT64_MAX }, v;

	hal_vfio_iova_init(&a, s, l, 1, 0);
	CHECK_OK(hal_vfio_iova_alloc(&a, 4096, 4096, &v));
	CHECK_U64(v, UINT64_MAX - 8191);
	CHECK_OK(hal_vfio_iova_alloc(&a, 4096, 4096, &v));
	CHECK_U64(v, UINT64_MAX - 4095);
	/* next would wrap to 0: must not hand out 0 (or anything) again. */
	CHECK_EQ(hal_vfio_iova_alloc(&a, 4096, 4096, &v), -ENOSPC);
	/* Alignment overflow near the top. */
	hal_vfio_iova_init(&a, s, l, 1, UINT64_MAX - 100);
	CHECK_EQ(hal_vfio_iova_alloc(&a, 1, 1ull << 63, &v), -ENOSPC);
	/* Bad ranges are dropped; more than the table holds are dropped too. */
	uint64_t bs[10], bl[10];
	for (int i = 0; i < 10; i++) {
		bs[i] = (uint64_t)(i + 1) * GiB;
		bl[i] = bs[i] + MiB - 1;
	}
	bl[0] = bs[0] - 1;      /* empty: last < start */
	hal_vfio_iova_init(&a, bs, bl, 10, 0);
	CHECK_EQ(a.n, HAL_VFIO_IOVA_RANGES);
	CHECK_OK(hal_vfio_iova_alloc(&a, 4096, 4096, &v));
	CHECK_U64(v, 2 * GiB);
}

/* ---- VFIO_IOMMU_GET_INFO capability chain ---- */

static void put_cap(uint8_t *buf, uint32_t off, uint16_t id, uint32_t next)
{
	struct vfio_info_cap_header h = { .id = id, .version = 1, .next = next };

	memcpy(buf + off, &h, sizeof(h));
}

/* The reply as Linux 6.1 lays it out: MIGRATION (32 bytes), DMA_AVAIL (12),
 * then IOVA_RANGE at offset 68, i.e. 4 mod 8: its u64s are misaligned. */
static size_t info_61(uint8_t *buf, size_t size)
{
	struct vfio_iommu_type1_info info = {
		.argsz = 116, .flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
		.iova_pgsizes = 0x40201000ull, .cap_offset = sizeof(info),
	};
	struct vfio_iova_range r[2] = { { 0, 0xfedfffffull }, { 0xfef00000ull, 0x7fffffffffull } };
	uint32_t nr = 2;

	memset(buf, 0, size);
	memcpy(buf, &info, sizeof(info));
	put_cap(buf, 24, 2, 56);      /* VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION */
	put_cap(buf, 56, 3, 68);      /* VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL */
	put_cap(buf, 68, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0);
	memcpy(buf + 76, &nr, sizeof(nr));
	memcpy(buf + 84, r, sizeof(r));
	return 116;
}

static void test_iova_caps(void)
{
	uint64_t words[32];
	uint8_t *buf = (uint8_t *)words;
	uint64_t st[8], la[8];
	size_t len = info_61(buf, sizeof(words));

	CHECK_EQ(hal_vfio_parse_iova_caps(buf, len, st, la, 8), 2);
	CHECK_U64(st[0], 0);
	CHECK_U64(la[0], 0xfedfffffull);
	CHECK_U64(st[1], 0xfef00000ull);
	CHECK_U64(la[1], 0x7fffffffffull);
	/* At most max. */
	CHECK_EQ(hal_vfio_parse_iova_caps(buf, len, st, la, 1), 1);
	/* A reply cut short keeps only whole ranges. */
	CHECK_EQ(hal_vfio_parse_iova_caps(buf, len - 1, st, la, 8), 1);
	CHECK_EQ(hal_vfio_parse_iova_caps(buf, 80, st, la, 8), 0);
	/* A chain that points backwards ends. */
	put_cap(buf, 56, 3, 24);
	CHECK_EQ(hal_vfio_parse_iova_caps(buf, len, st, la, 8), 0);
	/* No capability flag, or nothing at all. */
	len = info_61(buf, sizeof(words));
	buf[4] &= (uint8_t)~VFIO_IOMMU_INFO_CAPS;
	CHECK_EQ(hal_vfio_parse_iova_caps(buf, len, st, la, 8), 0);
	CHECK_EQ(hal_vfio_parse_iova_caps(NULL, len, st, la, 8), 0);
	CHECK_EQ(hal_vfio_parse_iova_caps(buf, 8, st, la, 8), 0);
	/* Misaligned buffer start: still parsed (copies, not casts). */
	uint64_t w2[33];
	uint8_t *odd = (uint8_t *)w2 + 4;
	len = info_61(buf, sizeof(words));
	memcpy(odd, buf, len);
	CHECK_EQ(hal_vfio_parse_iova_caps(odd, len, st, la, 8), 2);
}

/* ---- pagemap ---- */

#define PM_PRESENT (1ull << 63)

/* A file laid out like /proc/self/pagemap: entry for page p at offset 8p. */
static int fake_pagemap(uintptr_t va, const uint64_t *ent, size_t n)
{
	char path[] = "/tmp/vfio-pagemap-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (pwrite(fd, ent, n * sizeof(ent[0]), (off_t)(va / 4096 * 8)) != (ssize_t)(n * sizeof(ent[0]))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_pagemap_fake(void)
{
	const uintptr_t va = 0x10000000;
	uint64_t ent[4] = { PM_PRESENT | 0x1000, PM_PRESENT | 0x1001, PM_PRESENT | 0x1002,
	                    PM_PRESENT | 0x1003 };
	char err[256];
	uint64_t pa;
	int fd = fake_pagemap(va, ent, 4);

	REQUIRE(fd >= 0);
	CHECK_OK(hal_vfio_pagemap_phys(fd, va, 4096, &pa, err, sizeof(err)));
	CHECK_U64(pa, 0x1000ull * 4096);
	CHECK_OK(hal_vfio_pagemap_phys(fd, va + 0x123, 4 * 4096 - 0x123, &pa, err, sizeof(err)));
	CHECK_U64(pa, 0x1000ull * 4096 + 0x123);     /* offset inside the page kept */
	close(fd);

	/* Not contiguous. */
	ent[2] = PM_PRESENT | 0x2000;
	fd = fake_pagemap(va, ent, 4);
	REQUIRE(fd >= 0);
	CHECK_OK(hal_vfio_pagemap_phys(fd, va, 2 * 4096, &pa, err, sizeof(err)));
	CHECK_EQ(hal_vfio_pagemap_phys(fd, va, 3 * 4096, &pa, err, sizeof(err)), -ENOMEM);
	CHECK(strstr(err, "not physically contiguous (page 2 of 3)") != NULL);
	close(fd);

	/* Not present; PFN hidden (unprivileged reader); short file. */
	ent[2] = 0x1002;
	fd = fake_pagemap(va, ent, 4);
	REQUIRE(fd >= 0);
	CHECK_EQ(hal_vfio_pagemap_phys(fd, va, 3 * 4096, &pa, err, sizeof(err)), -EFAULT);
	CHECK(strstr(err, "not present") != NULL);
	close(fd);
	ent[2] = PM_PRESENT;
	fd = fake_pagemap(va, ent, 4);
	REQUIRE(fd >= 0);
	CHECK_EQ(hal_vfio_pagemap_phys(fd, va + 2 * 4096, 4096, &pa, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "CAP_SYS_ADMIN") != NULL);
	CHECK_EQ(hal_vfio_pagemap_phys(fd, va + 4 * 4096, 4096, &pa, err, sizeof(err)), -EIO);
	CHECK_EQ(hal_vfio_pagemap_phys(fd, va, 0, &pa, err, sizeof(err)), -EINVAL);
	CHECK_EQ(hal_vfio_pagemap_phys(-1, va, 4096, &pa, err, sizeof(err)), -EINVAL);
	CHECK_EQ(hal_vfio_pagemap_phys(fd, UINTPTR_MAX - 10, 4096, &pa, err, sizeof(err)), -EINVAL);
	close(fd);

	/* Longer than one read chunk (512 entries), contiguous throughout. */
	enum { N = 1300 };
	uint64_t *big = malloc(N * sizeof(*big));
	REQUIRE(big != NULL);
	for (int i = 0; i < N; i++)
		big[i] = PM_PRESENT | (0x40000u + (unsigned)i);
	fd = fake_pagemap(va, big, N);
	free(big);
	REQUIRE(fd >= 0);
	CHECK_OK(hal_vfio_pagemap_phys(fd, va, (size_t)N * 4096, &pa, err, sizeof(err)));
	CHECK_U64(pa, 0x40000ull * 4096);
	close(fd);
}

static void test_pagemap_real(void)
{
	char err[256];
	uint64_t pa = 0;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int rc;

	REQUIRE(p != MAP_FAILED);
	if (fd < 0) {
		printf("  /proc/self/pagemap unavailable: skipped\n");
		munmap(p, 4096);
		return;
	}
	CHECK_OK(mlock(p, 4096));
	*(volatile char *)p = 1;    /* present even where mlock is a no-op (ASan) */
	rc = hal_vfio_pagemap_phys(fd, (uintptr_t)p + 8, 8, &pa, err, sizeof(err));
	if (geteuid() == 0) {
		CHECK_OK(rc);
		CHECK(pa != 0);
		CHECK_EQ(pa % 4096, 8);
	} else {
		/* Unprivileged readers see PFN 0. */
		CHECK_EQ(rc, -EPERM);
	}
	close(fd);
	munmap(p, 4096);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_bdf_valid),
		TL_CASE(test_bdf_invalid),
		TL_CASE(test_iova_bump_and_align),
		TL_CASE(test_iova_ranges_and_holes),
		TL_CASE(test_iova_top_of_space),
		TL_CASE(test_iova_caps),
		TL_CASE(test_pagemap_fake),
		TL_CASE(test_pagemap_real),
	};
	return tl_main(argc, argv, cases, TL_N(cases));
}
