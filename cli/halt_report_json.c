/* SPDX-License-Identifier: MIT */
/* halt_report_json.c - see halt_report_json.h. */
#include "halt_report_json.h"

void e1k_halt_report_json(const struct e1k_halt_report *r, struct jbuf *b)
{
	jb_obj_begin(b, NULL);
	jb_str(b, "reason", e1k_halt_reason_name(r->reason));
	jb_str(b, "ndis_reason", e1k_halt_reason_ndis_name(r->reason));
	jb_str(b, "device", r->device);
	jb_str(b, "from_state", e1k_state_name(r->from_state));
	jb_str(b, "final_state", e1k_state_name(r->final_state));
	jb_bool(b, "device_gone", r->device_gone);
	jb_str(b, "device_found", hal_presence_name(r->device_found));
	jb_arr_begin(b, "stages");
	for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
		const struct e1k_stage_report *s = &r->stages[i];

		jb_obj_begin(b, NULL);
		jb_str(b, "name", e1k_halt_stage_name(i));
		jb_str(b, "result", e1k_stage_result_name(s->result));
		jb_u64(b, "start_ns", s->start_ns);
		jb_u64(b, "end_ns", s->end_ns);
		jb_str(b, "detail", s->detail);
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_obj_begin(b, "ledger");
	jb_u64(b, "acquired", r->ledger.acquired);
	jb_u64(b, "released", r->ledger.released);
	jb_u64(b, "outstanding", ledger_outstanding(&r->ledger));
	jb_arr_begin(b, "entries");
	for (unsigned i = 0; i < r->ledger.count; i++) {
		const struct ledger_entry *e = &r->ledger.e[i];

		jb_obj_begin(b, NULL);
		jb_str(b, "name", e->name);
		jb_str(b, "kind", ledger_kind_name(e->kind));
		jb_str(b, "released_by", e1k_halt_stage_name(e->group));
		jb_u64(b, "acquired_ns", e->acquired_ns);
		jb_u64(b, "released_ns", e->released_ns);
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_obj_end(b);
	jb_u64(b, "dma_faults", r->dma_faults);
	jb_u64(b, "dma_live_frees", r->dma_live_frees);
	jb_u64(b, "isr_after_deregister", r->isr_after_deregister);
	jb_u64(b, "dpc_after_drain", r->dpc_after_drain);
	jb_u64(b, "callbacks_after_halted", r->callbacks_after_halted);
	jb_u64(b, "rx_buffers_outstanding", r->rx_buffers_outstanding);
	jb_u64(b, "mmio_after_removal", r->mmio_after_removal);
	jb_u64(b, "total_ns", r->total_ns);
	jb_obj_end(b);
}
