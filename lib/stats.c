/* SPDX-License-Identifier: MIT */
/* The running totals. Every counter but unknown_outcomes follows from the
 * journaled vend transitions alone, so the same two functions count them
 * live and in replay, and the totals survive restarts: a checkpoint carries
 * a snapshot, and replay counts the transitions after it. */
#include "machine_private.h"

void cv_stats_count_begin(struct cv_machine_stats *s)
{
	s->vends_started++;
}

static void cv_stats_count_outcome(struct cv_machine_stats *s, const struct cv_vend *v)
{
	switch (v->state) {
	case CV_VEND_STATE_CAPTURED:
		s->vends_captured++;
		s->captured_minor += v->price_minor;
		break;
	case CV_VEND_STATE_VOIDED:
		s->vends_voided++;
		break;
	case CV_VEND_STATE_ABANDONED:
		s->vends_abandoned++;
		break;
	case CV_VEND_STATE_CAPTURE_FAILED:
		s->vends_capture_failed++;
		break;
	default:
		s->vends_void_failed++;
		break;
	}
}

/* A decline ends an authorization attempt in AUTH_DECLINED, or the vend
 * itself when it was the last attempt. */
static bool cv_stats_is_decline(enum cv_vend_state from, const struct cv_vend *v)
{
	bool asking = from == CV_VEND_STATE_AUTH_PENDING || from == CV_VEND_STATE_AUTH_LOOKUP;
	bool ended = v->state == CV_VEND_STATE_AUTH_DECLINED || v->state == CV_VEND_STATE_ABANDONED;
	return asking && ended && v->reason == CV_VEND_REASON_DECLINED;
}

void cv_stats_count_transition(struct cv_machine_stats *s, enum cv_vend_state from, const struct cv_vend *v)
{
	if (from == v->state)
		return; /* A resend after a restart, or a checkpoint's copy. */
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING) {
		s->drops_verified++;
		s->dispensed_value_minor += v->price_minor;
	}
	if (v->state == CV_VEND_STATE_DISPENSING && v->respins > 0)
		s->respins++;
	if (cv_stats_is_decline(from, v))
		s->declines++;
	if (v->state == CV_VEND_STATE_AUTHORIZED && v->offline_approved)
		s->offline_approvals++;
	if (cv_vend_state_is_terminal(v->state))
		cv_stats_count_outcome(s, v);
}

void cv_stats_put(struct cv_journal_writer *w, const struct cv_machine_stats *s)
{
	cv_journal_put_u32(w, s->vends_started);
	cv_journal_put_u32(w, s->vends_captured);
	cv_journal_put_u32(w, s->vends_voided);
	cv_journal_put_u32(w, s->vends_abandoned);
	cv_journal_put_u32(w, s->vends_capture_failed);
	cv_journal_put_u32(w, s->vends_void_failed);
	cv_journal_put_u32(w, s->declines);
	cv_journal_put_u32(w, s->unknown_outcomes);
	cv_journal_put_u32(w, s->respins);
	cv_journal_put_u32(w, s->drops_verified);
	cv_journal_put_u64(w, (uint64_t)s->captured_minor);
	cv_journal_put_u64(w, (uint64_t)s->dispensed_value_minor);
	cv_journal_put_u32(w, s->offline_approvals);
}

void cv_stats_get(struct cv_journal_reader *r, struct cv_machine_stats *s)
{
	s->vends_started = cv_journal_get_u32(r);
	s->vends_captured = cv_journal_get_u32(r);
	s->vends_voided = cv_journal_get_u32(r);
	s->vends_abandoned = cv_journal_get_u32(r);
	s->vends_capture_failed = cv_journal_get_u32(r);
	s->vends_void_failed = cv_journal_get_u32(r);
	s->declines = cv_journal_get_u32(r);
	s->unknown_outcomes = cv_journal_get_u32(r);
	s->respins = cv_journal_get_u32(r);
	s->drops_verified = cv_journal_get_u32(r);
	s->captured_minor = (int64_t)cv_journal_get_u64(r);
	s->dispensed_value_minor = (int64_t)cv_journal_get_u64(r);
	s->offline_approvals = cv_journal_get_u32(r);
}
