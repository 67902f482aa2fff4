/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - shared by the libFuzzer harnesses in tests/fuzz.
 *
 * Every harness defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize).  Built two ways (tests/fuzz/CMakeLists.txt):
 *   E1K_FUZZ=ON   linked with libFuzzer (-fsanitize=fuzzer): scripts/fuzz;
 *   otherwise     linked with replay_main.c, which feeds it every file of
 *                 the committed corpus: the ctest tests fuzz_replay_<target>.
 *
 * A broken invariant must crash in both builds (libFuzzer keeps the input as
 * the reproducer; ctest sees the test fail), so FUZZ_CHECK prints where and
 * why, then abort()s.  Harness code only: never use it in the library.
 *
 * Threading: libFuzzer and the replay main call the harness from one thread.
 */
#ifndef E1K_FUZZ_H
#define E1K_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

/* Consume bytes from the front of the input; past the end they read as 0. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

#endif /* E1K_FUZZ_H */
