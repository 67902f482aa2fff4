/* SPDX-License-Identifier: MIT */
/*
 * The SIGBUS guard with real SIGBUS faults on the host: a "BAR" is a shared
 * mapping of a memfd; truncating the memfd makes every access to it fault
 * with SIGBUS (BUS_ADRERR), as an access to a vfio-pci BAR does once the
 * device's memory decoding is off or the device is gone.
 *
 * The guard's handler is process-wide and installed once, so every case runs
 * in a forked child (single-threaded parent, no sanitizer issue with fork)
 * and reports through its exit status; CHECK failures print from the child.
 */
#include "testlib.h"
#include "vfio_internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define BAR_LEN   E1000_BAR0_SIZE
#define ONES      E1000_REG_ALL_ONES
#define EXIT_CHAINED 42
#define EXIT_WRONG   43
#define EXIT_USER    44

struct fake_bar {
	int                fd;
	volatile uint32_t *p;
};

static uint32_t pattern(size_t word)
{
	return 0x5a000000u | (uint32_t)word;
}

static int bar_make(struct fake_bar *b)
{
	void *m;

	b->fd = memfd_create("fake-bar", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, BAR_LEN) < 0)
		return -1;
	m = mmap(NULL, BAR_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	b->p = m;
	for (size_t i = 0; i < BAR_LEN / 4; i++)
		b->p[i] = pattern(i);
	return 0;
}

/* From now on every access to the mapping raises SIGBUS. */
static void bar_yank(struct fake_bar *b)
{
	if (ftruncate(b->fd, 0) < 0)
		tl_fail(__FILE__, __LINE__, "ftruncate");
}

static void bar_free(struct fake_bar *b)
{
	munmap((void *)b->p, BAR_LEN);
	close(b->fd);
}

/* ---- running a case in a child, bounded ---- */

struct child {
	pid_t pid;
	int   status;
};

static bool child_done(void *ctx)
{
	struct child *c = ctx;

	return waitpid(c->pid, &c->status, WNOHANG) == c->pid;
}

/* Returns the child's wait status; a child that hangs is killed after 20 s. */
static int in_child(int (*fn)(void))
{
	struct child c = { 0 };

	fflush(stdout);
	fflush(stderr);
	c.pid = fork();
	if (c.pid < 0) {
		tl_fail(__FILE__, __LINE__, "fork");
		return -1;
	}
	if (c.pid == 0) {
		int r = fn();

		fflush(stdout);
		_exit(r);
	}
	if (!tl_wait_until(child_done, &c, 20000)) {
		tl_fail(__FILE__, __LINE__, "child hung");
		kill(c.pid, SIGKILL);
		waitpid(c.pid, &c.status, 0);
	}
	return c.status;
}

static void expect_exit(int status, int code, int line)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		tl_fail(__FILE__, line, "child: %s %d, want exit %d",
		        WIFSIGNALED(status) ? "signal" : "exit",
		        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), code);
}

/* ---- a registered BAR that faults reads all ones ---- */

static int child_replace(void)
{
	int base = tl_failures, sa, sb;
	struct fake_bar a, b;

	if (bar_make(&a) < 0 || bar_make(&b) < 0)
		return 2;
	sa = hal_vfio_bar_guard_add((void *)a.p, BAR_LEN);
	sb = hal_vfio_bar_guard_add((void *)b.p, BAR_LEN);
	CHECK(sa >= 0 && sb >= 0 && sa != sb);
	CHECK_U64(a.p[E1000_STATUS / 4], pattern(E1000_STATUS / 4));
	CHECK_EQ(hal_vfio_bar_guard_faults(sa), 0);

	bar_yank(&a);
	CHECK_U64(a.p[E1000_STATUS / 4], ONES);       /* faulted, replaced, retried */
	CHECK_EQ(hal_vfio_bar_guard_faults(sa), 1);
	/* A store is harmless: it lands in the private page (and reads back),
	 * while the registers the driver never writes keep reading all ones. */
	a.p[E1000_CTRL / 4] = 0x1234;
	CHECK_U64(a.p[E1000_CTRL / 4], 0x1234);
	CHECK_U64(a.p[E1000_STATUS / 4], ONES);
	CHECK_U64(a.p[E1000_ICR / 4], ONES);
	CHECK_U64(a.p[BAR_LEN / 4 - 1], ONES);         /* the whole range, no new fault */
	CHECK_U64(a.p[1], ONES);
	CHECK_EQ(hal_vfio_bar_guard_faults(sa), 1);
	/* The other BAR is untouched. */
	CHECK_U64(b.p[E1000_STATUS / 4], pattern(E1000_STATUS / 4));
	CHECK_EQ(hal_vfio_bar_guard_faults(sb), 0);
	/* ... and is caught on its own when it goes. */
	bar_yank(&b);
	CHECK_U64(b.p[E1000_ICR / 4], ONES);
	CHECK_EQ(hal_vfio_bar_guard_faults(sb), 1);

	hal_vfio_bar_guard_remove(sa);
	hal_vfio_bar_guard_remove(sb);
	hal_vfio_bar_guard_remove(sb);                 /* twice: harmless */
	hal_vfio_bar_guard_remove(-1);
	bar_free(&a);
	bar_free(&b);
	return tl_failures != base;
}

static void test_fault_reads_all_ones(void)
{
	expect_exit(in_child(child_replace), 0, __LINE__);
}

/* ---- faults that are not ours go to the previous handler ---- */

static volatile uintptr_t expect_addr;

static void prev_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGBUS && si->si_code <= 0)
		_exit(EXIT_USER);
	_exit(sig == SIGBUS && (uintptr_t)si->si_addr == expect_addr ? EXIT_CHAINED : EXIT_WRONG);
}

static void install_prev(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = prev_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static int child_chain_other_address(void)
{
	struct fake_bar a, b;

	install_prev();
	if (bar_make(&a) < 0 || bar_make(&b) < 0)
		return 2;
	if (hal_vfio_bar_guard_add((void *)a.p, BAR_LEN) < 0)
		return 3;
	bar_yank(&b);                       /* b is not registered */
	expect_addr = (uintptr_t)&b.p[2];
	(void)b.p[2];
	return 4;                           /* survived: the guard swallowed it */
}

static int child_chain_user_signal(void)
{
	struct fake_bar a;

	install_prev();
	if (bar_make(&a) < 0 || hal_vfio_bar_guard_add((void *)a.p, BAR_LEN) < 0)
		return 2;
	raise(SIGBUS);                      /* si_code SI_TKILL: never ours */
	return 4;
}

static int child_chain_after_remove(void)
{
	struct fake_bar a;
	int s;

	install_prev();
	if (bar_make(&a) < 0)
		return 2;
	s = hal_vfio_bar_guard_add((void *)a.p, BAR_LEN);
	if (s < 0)
		return 3;
	hal_vfio_bar_guard_remove(s);
	bar_yank(&a);
	expect_addr = (uintptr_t)&a.p[1];
	(void)a.p[1];
	return 4;
}

static void test_chain_to_previous(void)
{
	expect_exit(in_child(child_chain_other_address), EXIT_CHAINED, __LINE__);
	expect_exit(in_child(child_chain_user_signal), EXIT_USER, __LINE__);
	expect_exit(in_child(child_chain_after_remove), EXIT_CHAINED, __LINE__);
}

/* With no handler before ours, a foreign fault kills the process as it would
 * without the guard.  Under ASan/TSan the runtime's own deadly-signal handler
 * was there first: it reports and exits non-zero instead. */
static int child_default(void)
{
	struct fake_bar a, b;

	if (bar_make(&a) < 0 || bar_make(&b) < 0)
		return 2;
	if (hal_vfio_bar_guard_add((void *)a.p, BAR_LEN) < 0)
		return 3;
	bar_yank(&b);
	(void)b.p[0];
	return 0;                           /* survived: wrong */
}

static void test_chain_to_default(void)
{
	int st = in_child(child_default);

	if (UNDER_SANITIZER) {
		CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
		printf("  (sanitizer build: the runtime's handler was previous; child %s %d)\n",
		       WIFSIGNALED(st) ? "signal" : "exit",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	} else {
		CHECK(WIFSIGNALED(st));
		CHECK_EQ(WTERMSIG(st), SIGBUS);
	}
}

/* ---- the slot table ---- */

static int child_table(void)
{
	int base = tl_failures, slots[16];
	uint8_t *m = mmap(NULL, 17 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return 2;
	CHECK_EQ(hal_vfio_bar_guard_add(NULL, 4096), -EINVAL);
	CHECK_EQ(hal_vfio_bar_guard_add(m, 0), -EINVAL);
	CHECK_EQ(hal_vfio_bar_guard_add(m + 8, 4096), -EINVAL);
	CHECK_EQ(hal_vfio_bar_guard_add(m, 100), -EINVAL);
	for (int i = 0; i < 16; i++) {
		slots[i] = hal_vfio_bar_guard_add(m + (size_t)i * 4096, 4096);
		CHECK(slots[i] >= 0);
	}
	CHECK_EQ(hal_vfio_bar_guard_add(m + 16 * 4096, 4096), -ENOSPC);
	hal_vfio_bar_guard_remove(slots[5]);
	CHECK_EQ(hal_vfio_bar_guard_add(m + 16 * 4096, 4096), slots[5]);
	for (int i = 0; i < 16; i++)
		hal_vfio_bar_guard_remove(slots[i]);
	CHECK_EQ(hal_vfio_bar_guard_faults(-1), 0);
	CHECK_EQ(hal_vfio_bar_guard_faults(1000), 0);
	munmap(m, 17 * 4096);
	return tl_failures != base;
}

static void test_slot_table(void)
{
	expect_exit(in_child(child_table), 0, __LINE__);
}

/* ---- several threads fault on the same BAR at once ---- */

#define NTHREADS 4

static struct fake_bar shared_bar;
static atomic_int ready;
static atomic_int bad_reads;
static atomic_int saw_ones;

static void *reader(void *arg)
{
	size_t word = (size_t)(uintptr_t)arg;

	atomic_fetch_add_explicit(&ready, 1, memory_order_release);
	for (;;) {
		uint32_t v = shared_bar.p[word];

		if (v == ONES)
			break;
		if (v != pattern(word))
			atomic_fetch_add_explicit(&bad_reads, 1, memory_order_relaxed);
	}
	/* After the swap every word reads all ones, never 0 or a mix. */
	for (size_t i = 0; i < BAR_LEN / 4; i += 97)
		if (shared_bar.p[i] != ONES)
			atomic_fetch_add_explicit(&bad_reads, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&saw_ones, 1, memory_order_relaxed);
	return NULL;
}

static bool all_ready(void *ctx)
{
	(void)ctx;
	return atomic_load_explicit(&ready, memory_order_acquire) == NTHREADS;
}

static int child_threads(void)
{
	int base = tl_failures, s;
	pthread_t t[NTHREADS];

	if (bar_make(&shared_bar) < 0)
		return 2;
	s = hal_vfio_bar_guard_add((void *)shared_bar.p, BAR_LEN);
	if (s < 0)
		return 3;
	for (uintptr_t i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, reader, (void *)(i * 1000)) != 0)
			return 4;
	CHECK(tl_wait_until(all_ready, NULL, 10000));
	bar_yank(&shared_bar);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&bad_reads), 0);
	CHECK_EQ(atomic_load(&saw_ones), NTHREADS);
	CHECK(hal_vfio_bar_guard_faults(s) >= 1);
	printf("  %d threads, %llu SIGBUS caught\n", NTHREADS,
	       (unsigned long long)hal_vfio_bar_guard_faults(s));
	hal_vfio_bar_guard_remove(s);
	bar_free(&shared_bar);
	return tl_failures != base;
}

static void test_threads_fault_together(void)
{
	unsigned rounds = (unsigned)tl_scaled(20, 3);

	for (unsigned r = 0; r < rounds; r++)
		expect_exit(in_child(child_threads), 0, __LINE__);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_fault_reads_all_ones),
		TL_CASE(test_chain_to_previous),
		TL_CASE(test_chain_to_default),
		TL_CASE(test_slot_table),
		TL_CASE(test_threads_fault_together),
	};
	return tl_main(argc, argv, cases, TL_N(cases));
}
