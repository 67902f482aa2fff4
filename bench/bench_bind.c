/* SPDX-License-Identifier: MIT */
/* bench_bind.c - see bench_bind.h. */
#include "bench_bind.h"

static void bench_receive(void *ctx, const struct e1k_rx_frame *f, unsigned n)
{
	struct bench_bind *b = ctx;
	uint32_t bufs[64];

	for (unsigned i = 0; i < n; i += 64) {
		unsigned k = n - i < 64 ? n - i : 64;

		for (unsigned j = 0; j < k; j++)
			bufs[j] = f[i + j].buf;
		e1k_adapter_return_rx(b->ad, bufs, k);
	}
	atomic_fetch_add_explicit(&b->rx, n, memory_order_release);
}

const struct e1k_binding_ops bench_bind_ops = {
	.name = "bench",
	.receive = bench_receive,
};
