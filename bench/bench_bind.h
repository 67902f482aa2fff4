/* SPDX-License-Identifier: MIT */
/*
 * bench_bind.h - the benchmarks' upper binding: counts received frames and
 * gives every buffer back at once (bench_bind_ops; ctx is a struct bench_bind).
 *
 * Threading: receive runs on DPC workers inside an RCU read-side section; the
 * counter is incremented with release order, so a reader that loads it with
 * acquire order sees the frames it counts as handled.
 */
#ifndef E1K_BENCH_BIND_H
#define E1K_BENCH_BIND_H

#include <stdatomic.h>

#include "adapter.h"

struct bench_bind {
	struct e1k_adapter *ad;   /* set before e1k_adapter_bind */
	atomic_ulong rx;          /* frames received */
};

extern const struct e1k_binding_ops bench_bind_ops;

#endif
