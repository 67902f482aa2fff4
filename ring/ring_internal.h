/* SPDX-License-Identifier: MIT */
/*
 * ring_internal.h - helpers shared by tx.c and rx.c (not part of the API).
 *
 * Descriptor fields live in memory the device reads and writes concurrently,
 * so every access goes through a relaxed atomic (GCC/Clang __atomic builtins
 * on the plain fields of struct e1000_*_desc): the compiler can neither tear
 * a field nor merge, drop or move the access across the fences that order
 * them against the tail write (see ring.h, "Memory ordering").
 */
#ifndef E1K_RING_INTERNAL_H
#define E1K_RING_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

#define DESC_STORE(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define DESC_LOAD(field)     __atomic_load_n(&(field), __ATOMIC_RELAXED)
/* The status byte is written last by the device, with release: load it with
 * acquire before anything else in the descriptor or its buffer. */
#define DESC_LOAD_STATUS(field) __atomic_load_n(&(field), __ATOMIC_ACQUIRE)

/* The release fence between descriptor stores and the tail write that hands
 * them to the device.  GCC 12 refuses atomic_thread_fence under
 * -fsanitize=thread (-Wtsan, an error with -Werror) in some inlining
 * contexts; TSan does not model fences anyway, so its builds take a full
 * barrier, which orders at least as much. */
#if defined(E1K_TSAN)
#define RING_TAIL_FENCE() __sync_synchronize()
#else
#define RING_TAIL_FENCE() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

static inline bool ring_ndesc_valid(unsigned ndesc)
{
	return ndesc >= RING_NDESC_MIN && ndesc <= RING_NDESC_MAX &&
	       (ndesc & (ndesc - 1)) == 0;
}

static inline uint32_t lo32(uint64_t v) { return (uint32_t)v; }
static inline uint32_t hi32(uint64_t v) { return (uint32_t)(v >> 32); }

/* A ring of 64..4096 16-byte descriptors is 1..64 KiB: always a multiple of
 * the 128 bytes RDLEN/TDLEN require (SDM 13.4.25, 13.4.37). */
_Static_assert((RING_NDESC_MIN * 16u) % E1000_RDLEN_ALIGN == 0, "ring length alignment");

#endif /* E1K_RING_INTERNAL_H */
