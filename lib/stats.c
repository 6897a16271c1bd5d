/* SPDX-License-Identifier: MIT */
/* The running totals. Every counter but unknown_outcomes follows from the
 * journaled vend transitions alone, so the same two functions count them
 * live and in replay, and the totals survive restarts: a checkpoint carries
 * a snapshot, and replay counts the transitions after it. */
#include <stddef.h>

#include "machine_private.h"

void cv_stats_count_begin(struct cv_machine_stats *s)
{
	s->vends_started++;
}

/* The counter of each terminal state, CAPTURED first (vend.h orders the
 * terminal states last). */
static const uint8_t cv_stats_outcome_counters[] = {
	offsetof(struct cv_machine_stats, vends_captured),    offsetof(struct cv_machine_stats, vends_voided),
	offsetof(struct cv_machine_stats, vends_abandoned),   offsetof(struct cv_machine_stats, vends_capture_failed),
	offsetof(struct cv_machine_stats, vends_void_failed),
};
_Static_assert(CV_VEND_STATE_VOID_FAILED - CV_VEND_STATE_CAPTURED + 1 == CV_ARRAY_COUNT(cv_stats_outcome_counters),
	       "a counter for every terminal state");

static void cv_stats_count_outcome(struct cv_machine_stats *s, const struct cv_vend *v)
{
	uint32_t *counter = (uint32_t *)((char *)s + cv_stats_outcome_counters[v->state - CV_VEND_STATE_CAPTURED]);
	(*counter)++;
	if (v->state == CV_VEND_STATE_CAPTURED)
		s->captured_minor += v->price_minor;
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
