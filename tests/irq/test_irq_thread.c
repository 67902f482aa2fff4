/* SPDX-License-Identifier: MIT */
/*
 * test_irq_thread.c - the interrupt thread: one handler call per eventfd
 * write (when each is consumed before the next), ctx/vector passed through,
 * coalescing counted in signals, many sources, API errors, stop joins and no
 * handler runs after stop (also with a handler running at the time and with a
 * writer still writing), stop from a handler, hooks and thread name.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "irq_thread.h"
#include "testlib.h"
#include "tutil.h"

struct src {
	int efd;
	uint32_t vector;
	atomic_ulong calls;
	atomic_uint bad_vector;
	atomic_bool in_handler;
	atomic_bool *after_stop_flag;   /* set once stop returned: a call then is a bug */
	atomic_ulong late;              /* calls that saw after_stop_flag */
	struct gate *gate;
	struct irq_thread *stop_self;   /* handler calls irq_thread_stop on this */
	atomic_bool hook_seen;
	char thread_name[16];
};

static _Thread_local bool tl_started;

static void handler(void *ctx, uint32_t vector)
{
	struct src *s = ctx;

	atomic_store(&s->in_handler, true);
	if (vector != s->vector)
		atomic_fetch_add(&s->bad_vector, 1);
	if (s->after_stop_flag && atomic_load(s->after_stop_flag))
		atomic_fetch_add(&s->late, 1);
	if (tl_started)
		atomic_store(&s->hook_seen, true);
	pthread_getname_np(pthread_self(), s->thread_name, sizeof(s->thread_name));
	if (s->gate)
		gate_wait(s->gate);
	if (s->stop_self)
		irq_thread_stop(s->stop_self);   /* must not deadlock */
	atomic_store(&s->in_handler, false);
	atomic_fetch_add_explicit(&s->calls, 1, memory_order_release);
}

static bool src_open(struct src *s, uint32_t vector)
{
	memset(s, 0, sizeof(*s));
	s->efd = eventfd(0, EFD_CLOEXEC);
	s->vector = vector;
	return s->efd >= 0;
}

static void kick(struct src *s)
{
	uint64_t one = 1;

	if (write(s->efd, &one, sizeof(one)) != sizeof(one))
		tl_fail(__FILE__, __LINE__, "eventfd write failed");
}

static void test_handler_per_write(void)
{
	struct irq_thread *it;
	struct irq_thread_stats st;
	struct src s;
	unsigned long n = tl_scaled(5000, 500);

	REQUIRE(src_open(&s, 7));
	REQUIRE(irq_thread_create("perwrite", NULL, &it) == 0);
	REQUIRE(irq_thread_add(it, s.efd, handler, &s, 7) == 0);
	/* O_NONBLOCK set on the source by add. */
	CHECK(fcntl(s.efd, F_GETFL) & O_NONBLOCK);
	REQUIRE(irq_thread_start(it) == 0);
	for (unsigned long i = 0; i < n; i++) {
		kick(&s);
		if (!wait_ge(&s.calls, i + 1)) {
			tl_fail(__FILE__, __LINE__, "write %lu: no handler call", i);
			break;
		}
	}
	CHECK_EQ(atomic_load(&s.calls), n);
	CHECK_EQ(atomic_load(&s.bad_vector), 0);
	irq_thread_stop(it);
	irq_thread_get_stats(it, &st);
	CHECK_EQ(st.dispatched, n);
	CHECK_EQ(st.signals, n);
	CHECK_EQ(st.errors, 0);
	CHECK_EQ(st.after_stop, 0);
	CHECK(st.wakeups >= n);
	irq_thread_destroy(it);
	/* The source fd is the caller's: still open after destroy. */
	CHECK(fcntl(s.efd, F_GETFD) >= 0);
	close(s.efd);
}

/* Writes made while the handler runs coalesce into one more call: signals
 * counts every write, dispatched every call. */
static void test_coalescing(void)
{
	struct irq_thread *it;
	struct irq_thread_stats st;
	struct gate g;
	struct src s;

	gate_init(&g);
	REQUIRE(src_open(&s, 1));
	s.gate = &g;
	REQUIRE(irq_thread_create("coalesce", NULL, &it) == 0);
	REQUIRE(irq_thread_add(it, s.efd, handler, &s, 1) == 0);
	REQUIRE(irq_thread_start(it) == 0);
	kick(&s);
	REQUIRE(wait_gate_waiters(&g, 1));
	for (int i = 0; i < 10; i++)
		kick(&s);
	gate_open(&g);
	CHECK(wait_ge(&s.calls, 2));
	irq_thread_stop(it);
	irq_thread_get_stats(it, &st);
	CHECK_EQ(st.dispatched, 2);
	CHECK_EQ(st.signals, 11);
	CHECK_EQ(atomic_load(&s.calls), 2);
	irq_thread_destroy(it);
	close(s.efd);
	gate_fini(&g);
}

static void test_many_sources(void)
{
	struct irq_thread *it;
	struct irq_thread_stats st;
	static struct src s[IRQ_THREAD_MAX_SOURCES];
	struct src extra;
	unsigned long rounds = tl_scaled(300, 30);
	uint32_t seed = 4242;

	REQUIRE(irq_thread_create("many", NULL, &it) == 0);
	for (unsigned i = 0; i < IRQ_THREAD_MAX_SOURCES; i++) {
		REQUIRE(src_open(&s[i], 100 + i));
		CHECK_EQ(irq_thread_add(it, s[i].efd, handler, &s[i], 100 + i), 0);
	}
	REQUIRE(src_open(&extra, 0));
	CHECK_EQ(irq_thread_add(it, extra.efd, handler, &extra, 0), -ENOSPC);
	REQUIRE(irq_thread_start(it) == 0);
	for (unsigned long r = 0; r < rounds; r++) {
		/* Kick every source once, in a random order, then wait for all. */
		unsigned order[IRQ_THREAD_MAX_SOURCES];

		for (unsigned i = 0; i < IRQ_THREAD_MAX_SOURCES; i++)
			order[i] = i;
		for (unsigned i = IRQ_THREAD_MAX_SOURCES - 1; i > 0; i--) {
			unsigned j = t_rand(&seed) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (unsigned i = 0; i < IRQ_THREAD_MAX_SOURCES; i++)
			kick(&s[order[i]]);
		for (unsigned i = 0; i < IRQ_THREAD_MAX_SOURCES; i++)
			if (!wait_ge(&s[i].calls, r + 1)) {
				tl_fail(__FILE__, __LINE__, "round %lu source %u not called", r, i);
				r = rounds;
				break;
			}
	}
	irq_thread_stop(it);
	for (unsigned i = 0; i < IRQ_THREAD_MAX_SOURCES; i++) {
		CHECK_EQ(atomic_load(&s[i].calls), rounds);
		CHECK_EQ(atomic_load(&s[i].bad_vector), 0);
	}
	irq_thread_get_stats(it, &st);
	CHECK_EQ(st.dispatched, rounds * IRQ_THREAD_MAX_SOURCES);
	CHECK_EQ(st.signals, rounds * IRQ_THREAD_MAX_SOURCES);
	irq_thread_destroy(it);
	for (unsigned i = 0; i < IRQ_THREAD_MAX_SOURCES; i++)
		close(s[i].efd);
	close(extra.efd);
}

static void test_api_errors(void)
{
	struct irq_thread *it = NULL;
	struct src s;

	REQUIRE(src_open(&s, 0));
	CHECK_EQ(irq_thread_create("x", NULL, NULL), -EINVAL);
	REQUIRE(irq_thread_create("errors", NULL, &it) == 0);
	CHECK_EQ(irq_thread_add(it, -1, handler, &s, 0), -EINVAL);
	CHECK_EQ(irq_thread_add(it, s.efd, NULL, &s, 0), -EINVAL);
	CHECK_EQ(irq_thread_add(it, 1000000, handler, &s, 0), -EBADF);
	CHECK_EQ(irq_thread_add(it, s.efd, handler, &s, 0), 0);
	CHECK_EQ(irq_thread_add(it, s.efd, handler, &s, 0), -EEXIST);
	CHECK_EQ(irq_thread_start(it), 0);
	CHECK_EQ(irq_thread_start(it), -EBUSY);
	CHECK_EQ(irq_thread_add(it, s.efd, handler, &s, 1), -EBUSY);
	irq_thread_stop(it);
	irq_thread_stop(it);                              /* idempotent */
	CHECK_EQ(irq_thread_start(it), -ESHUTDOWN);
	irq_thread_destroy(it);
	irq_thread_destroy(NULL);
	irq_thread_stop(NULL);

	/* Never started: stop and destroy are fine, start afterwards refused. */
	REQUIRE(irq_thread_create("unstarted", NULL, &it) == 0);
	irq_thread_stop(it);
	CHECK_EQ(irq_thread_start(it), -ESHUTDOWN);
	irq_thread_destroy(it);
	REQUIRE(irq_thread_create("unstarted2", NULL, &it) == 0);
	irq_thread_destroy(it);
	close(s.efd);
}

struct stopper {
	struct irq_thread *it;
	atomic_bool *returned;
};

static void *stopper_main(void *arg)
{
	struct stopper *st = arg;

	irq_thread_stop(st->it);
	atomic_store(st->returned, true);
	return NULL;
}

static bool pred_stopping(void *ctx)
{
	return irq_thread_is_stopping(ctx);
}

/* stop waits for a running handler; after it returns nothing runs, even
 * with the source still being written. */
static void test_stop_joins_running_handler(void)
{
	struct irq_thread *it;
	struct irq_thread_stats st;
	struct gate g;
	struct src s;
	atomic_bool returned = false;
	struct stopper sp;
	pthread_t th;
	unsigned long calls;

	gate_init(&g);
	REQUIRE(src_open(&s, 3));
	s.gate = &g;
	s.after_stop_flag = &returned;
	REQUIRE(irq_thread_create("stopjoin", NULL, &it) == 0);
	REQUIRE(irq_thread_add(it, s.efd, handler, &s, 3) == 0);
	REQUIRE(irq_thread_start(it) == 0);
	kick(&s);
	REQUIRE(wait_gate_waiters(&g, 1));
	kick(&s);                                /* pending behind the running one */
	sp = (struct stopper){ it, &returned };
	REQUIRE(pthread_create(&th, NULL, stopper_main, &sp) == 0);
	CHECK(tl_wait_until(pred_stopping, it, T_WAIT_MS));
	/* The stopper cannot return while the handler is held. */
	CHECK(!atomic_load(&returned));
	gate_open(&g);
	pthread_join(th, NULL);
	CHECK(atomic_load(&returned));
	CHECK(!atomic_load(&s.in_handler));
	calls = atomic_load(&s.calls);
	CHECK_EQ(calls, 1);                      /* the pending signal is not dispatched */
	for (int i = 0; i < 100; i++)
		kick(&s);
	CHECK_EQ(atomic_load(&s.calls), calls);
	CHECK_EQ(atomic_load(&s.late), 0);
	irq_thread_get_stats(it, &st);
	CHECK_EQ(st.after_stop, 0);
	irq_thread_destroy(it);
	close(s.efd);
	gate_fini(&g);
}

static void test_stop_from_handler(void)
{
	struct irq_thread *it;
	struct src s;
	atomic_bool never = false;

	REQUIRE(src_open(&s, 9));
	s.after_stop_flag = &never;
	REQUIRE(irq_thread_create("selfstop", NULL, &it) == 0);
	s.stop_self = it;
	REQUIRE(irq_thread_add(it, s.efd, handler, &s, 9) == 0);
	REQUIRE(irq_thread_start(it) == 0);
	kick(&s);
	CHECK(wait_ge(&s.calls, 1));
	for (int i = 0; i < 10; i++)
		kick(&s);
	irq_thread_stop(it);                     /* joins the thread that asked to stop */
	CHECK_EQ(atomic_load(&s.calls), 1);
	CHECK_EQ(irq_thread_start(it), -ESHUTDOWN);
	irq_thread_destroy(it);
	close(s.efd);
}

static atomic_uint hook_starts, hook_stops;

static void hook_start(void *ctx)
{
	tl_started = true;
	atomic_fetch_add(&hook_starts, 1);
}

static void hook_stop(void *ctx)
{
	CHECK(tl_started);
	atomic_fetch_add(&hook_stops, 1);
}

static void test_hooks_and_name(void)
{
	struct e1k_thread_hooks h = { hook_start, hook_stop, NULL };
	struct irq_thread *it;
	struct src s;

	REQUIRE(src_open(&s, 0));
	REQUIRE(irq_thread_create("e1k-0000:01:00.0", &h, &it) == 0);
	REQUIRE(irq_thread_add(it, s.efd, handler, &s, 0) == 0);
	CHECK_EQ(atomic_load(&hook_starts), 0);          /* not started yet */
	REQUIRE(irq_thread_start(it) == 0);
	kick(&s);
	CHECK(wait_ge(&s.calls, 1));
	CHECK(atomic_load(&s.hook_seen));
	CHECK(strlen(s.thread_name) <= 15);
	CHECK(strstr(s.thread_name, "-irq") != NULL);
	irq_thread_stop(it);
	CHECK_EQ(atomic_load(&hook_starts), 1);
	CHECK_EQ(atomic_load(&hook_stops), 1);
	irq_thread_destroy(it);
	close(s.efd);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_handler_per_write),
		TL_CASE(test_coalescing),
		TL_CASE(test_many_sources),
		TL_CASE(test_api_errors),
		TL_CASE(test_stop_joins_running_handler),
		TL_CASE(test_stop_from_handler),
		TL_CASE(test_hooks_and_name),
	};

	return tl_run(cases, TL_N(cases));
}
