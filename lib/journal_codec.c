/* SPDX-License-Identifier: MIT */
/* One encoder and one decoder per journal record type (journal_codec.h).
 * Each pair lists its fields once, in the same order; the round-trip tests
 * (tests/unit/test_journal_codec.c) hold them to each other and to the
 * crash test's own reader. */
#include "machine_private.h"

void cv_rec_header_put(struct cv_journal_writer *w, const struct cv_rec_header *rec)
{
	cv_journal_put_bytes(w, rec->magic, sizeof(rec->magic));
	cv_journal_put_u16(w, rec->version);
}

bool cv_rec_header_get(struct cv_journal_reader *r, struct cv_rec_header *rec)
{
	cv_journal_get_bytes(r, rec->magic, sizeof(rec->magic));
	rec->version = cv_journal_get_u16(r);
	return cv_journal_reader_done(r) && memcmp(rec->magic, CV_JOURNAL_MAGIC, sizeof(rec->magic)) == 0;
}

void cv_rec_machine_start_put(struct cv_journal_writer *w, const struct cv_rec_machine_start *rec)
{
	cv_journal_put_str(w, rec->machine_id, sizeof(rec->machine_id));
	cv_journal_put_str(w, rec->currency, sizeof(rec->currency));
	cv_journal_put_u16(w, rec->lane_count);
	if (rec->mark_generation != 0)
		cv_journal_put_u32(w, rec->mark_generation);
}

bool cv_rec_machine_start_get(struct cv_journal_reader *r, struct cv_rec_machine_start *rec)
{
	cv_journal_get_str(r, rec->machine_id, sizeof(rec->machine_id));
	cv_journal_get_str(r, rec->currency, sizeof(rec->currency));
	rec->lane_count = cv_journal_get_u16(r);
	rec->mark_generation = cv_journal_get_trailing_u32(r);
	return cv_journal_reader_done(r);
}

void cv_rec_vend_begin_put(struct cv_journal_writer *w, const struct cv_rec_vend_begin *rec)
{
	cv_journal_put_bytes(w, rec->uuid, sizeof(rec->uuid));
	cv_journal_put_u32(w, rec->number);
	cv_journal_put_u16(w, rec->lane);
	cv_journal_put_u64(w, (uint64_t)rec->price_minor);
	cv_journal_put_str(w, rec->currency, sizeof(rec->currency));
}

bool cv_rec_vend_begin_get(struct cv_journal_reader *r, struct cv_rec_vend_begin *rec)
{
	cv_journal_get_bytes(r, rec->uuid, sizeof(rec->uuid));
	rec->number = cv_journal_get_u32(r);
	rec->lane = cv_journal_get_u16(r);
	rec->price_minor = (int64_t)cv_journal_get_u64(r);
	cv_journal_get_str(r, rec->currency, sizeof(rec->currency));
	return cv_journal_reader_done(r) && rec->lane < CV_LANES_MAX;
}

void cv_rec_vend_state_put(struct cv_journal_writer *w, const struct cv_rec_vend_state *rec)
{
	cv_journal_put_bytes(w, rec->uuid, sizeof(rec->uuid));
	cv_journal_put_u32(w, rec->number);
	cv_journal_put_u8(w, rec->state);
	cv_journal_put_u8(w, rec->reason);
	cv_journal_put_u16(w, rec->lane);
	cv_journal_put_u64(w, (uint64_t)rec->price_minor);
	cv_journal_put_u8(w, rec->auth_attempt);
	cv_journal_put_u8(w, rec->respins);
	cv_journal_put_u8(w, rec->drop_verified);
	cv_journal_put_str(w, rec->processor_ref, sizeof(rec->processor_ref));
	cv_journal_put_str(w, rec->card.brand, sizeof(rec->card.brand));
	cv_journal_put_str(w, rec->card.last4, sizeof(rec->card.last4));
	cv_journal_put_str(w, rec->card.auth_code, sizeof(rec->card.auth_code));
	cv_journal_put_str(w, rec->card.aid, sizeof(rec->card.aid));
	cv_journal_put_str(w, rec->card.app_label, sizeof(rec->card.app_label));
	cv_journal_put_u8(w, (uint8_t)rec->card.entry);
	cv_journal_put_u8(w, rec->flags);
	cv_journal_put_u64(w, (uint64_t)rec->capture_before_s);
	if (w->tagged)
		cv_journal_put_u64(w, (uint64_t)rec->held_minor);
}

bool cv_rec_vend_state_get(struct cv_journal_reader *r, struct cv_rec_vend_state *rec)
{
	cv_journal_get_bytes(r, rec->uuid, sizeof(rec->uuid));
	rec->number = cv_journal_get_u32(r);
	rec->state = cv_journal_get_u8(r);
	rec->reason = cv_journal_get_u8(r);
	rec->lane = cv_journal_get_u16(r);
	rec->price_minor = (int64_t)cv_journal_get_u64(r);
	rec->auth_attempt = cv_journal_get_u8(r);
	rec->respins = cv_journal_get_u8(r);
	rec->drop_verified = cv_journal_get_u8(r) != 0;
	cv_journal_get_str(r, rec->processor_ref, sizeof(rec->processor_ref));
	cv_journal_get_str(r, rec->card.brand, sizeof(rec->card.brand));
	cv_journal_get_str(r, rec->card.last4, sizeof(rec->card.last4));
	cv_journal_get_str(r, rec->card.auth_code, sizeof(rec->card.auth_code));
	cv_journal_get_str(r, rec->card.aid, sizeof(rec->card.aid));
	cv_journal_get_str(r, rec->card.app_label, sizeof(rec->card.app_label));
	uint8_t entry = cv_journal_get_u8(r);
	rec->card.entry = (enum cv_card_entry)entry;
	rec->flags = cv_journal_get_u8(r);
	rec->capture_before_s = (int64_t)cv_journal_get_u64(r);
	rec->held_minor = r->tagged ? (int64_t)cv_journal_get_u64(r) : 0;
	return cv_journal_reader_done(r) && rec->held_minor >= 0 && rec->state <= CV_VEND_STATE_VOID_FAILED &&
	       rec->reason <= CV_VEND_REASON_OFFLINE_POLICY && entry <= CV_CARD_ENTRY_MOBILE_WALLET &&
	       rec->lane < CV_LANES_MAX;
}

void cv_rec_lane_state_put(struct cv_journal_writer *w, const struct cv_rec_lane_state *rec)
{
	cv_journal_put_u16(w, rec->lane);
	cv_journal_put_u16(w, rec->count);
	cv_journal_put_u64(w, (uint64_t)rec->price_minor);
	cv_journal_put_u8(w, rec->enabled);
	cv_journal_put_u8(w, rec->quarantined);
	cv_journal_put_u8(w, rec->consecutive_failures);
}

bool cv_rec_lane_state_get(struct cv_journal_reader *r, struct cv_rec_lane_state *rec)
{
	rec->lane = cv_journal_get_u16(r);
	rec->count = cv_journal_get_u16(r);
	rec->price_minor = (int64_t)cv_journal_get_u64(r);
	rec->enabled = cv_journal_get_u8(r) != 0;
	rec->quarantined = cv_journal_get_u8(r) != 0;
	rec->consecutive_failures = cv_journal_get_u8(r);
	return cv_journal_reader_done(r) && rec->price_minor >= 0 && rec->price_minor <= CV_PRICE_MAX;
}

void cv_rec_lane_config_put(struct cv_journal_writer *w, const struct cv_rec_lane_config *rec)
{
	const struct cv_lane_config *c = &rec->config;
	cv_journal_put_u16(w, rec->lane);
	cv_journal_put_str(w, c->label, sizeof(c->label));
	cv_journal_put_str(w, c->product_id, sizeof(c->product_id));
	cv_journal_put_str(w, c->product_name, sizeof(c->product_name));
	cv_journal_put_u64(w, (uint64_t)c->price_minor);
	cv_journal_put_u16(w, c->capacity);
	cv_journal_put_u16(w, c->count);
	cv_journal_put_u16(w, c->low_stock_threshold);
	cv_journal_put_u8(w, (uint8_t)c->verify_mode);
	cv_journal_put_u8(w, c->vend_quarter_turns);
	cv_journal_put_u8(w, c->respin_count_max);
	cv_journal_put_u8(w, c->respin_quarter_turns);
	cv_journal_put_u8(w, c->quarantine_after_failures);
}

bool cv_rec_lane_config_get(struct cv_journal_reader *r, struct cv_rec_lane_config *rec)
{
	struct cv_lane_config *c = &rec->config;
	memset(c, 0, sizeof(*c));
	rec->lane = cv_journal_get_u16(r);
	cv_journal_get_str(r, c->label, sizeof(c->label));
	cv_journal_get_str(r, c->product_id, sizeof(c->product_id));
	cv_journal_get_str(r, c->product_name, sizeof(c->product_name));
	c->price_minor = (int64_t)cv_journal_get_u64(r);
	c->capacity = cv_journal_get_u16(r);
	c->count = cv_journal_get_u16(r);
	c->low_stock_threshold = cv_journal_get_u16(r);
	c->verify_mode = (enum cv_verify_mode)cv_journal_get_u8(r);
	c->vend_quarter_turns = cv_journal_get_u8(r);
	c->respin_count_max = cv_journal_get_u8(r);
	c->respin_quarter_turns = cv_journal_get_u8(r);
	c->quarantine_after_failures = cv_journal_get_u8(r);
	return cv_journal_reader_done(r) && cv_lane_config_validate(c) == CV_OK;
}

void cv_rec_service_put(struct cv_journal_writer *w, bool entered)
{
	cv_journal_put_u8(w, entered);
}

bool cv_rec_service_get(struct cv_journal_reader *r, bool *entered)
{
	*entered = cv_journal_get_u8(r) != 0;
	return cv_journal_reader_done(r);
}

void cv_rec_alert_put(struct cv_journal_writer *w, const struct cv_rec_alert *rec)
{
	cv_journal_put_u8(w, rec->kind);
	cv_journal_put_u16(w, rec->lane);
	cv_journal_put_u8(w, rec->active);
}

bool cv_rec_alert_get(struct cv_journal_reader *r, struct cv_rec_alert *rec)
{
	rec->kind = cv_journal_get_u8(r);
	rec->lane = cv_journal_get_u16(r);
	rec->active = cv_journal_get_u8(r) != 0;
	return cv_journal_reader_done(r);
}

void cv_rec_checkpoint_begin_put(struct cv_journal_writer *w, const struct cv_rec_checkpoint_begin *rec)
{
	const struct cv_machine_stats *s = &rec->stats;
	cv_journal_put_u32(w, rec->next_vend_number);
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
	if (rec->mark_generation != 0)
		cv_journal_put_u32(w, rec->mark_generation);
}

bool cv_rec_checkpoint_begin_get(struct cv_journal_reader *r, struct cv_rec_checkpoint_begin *rec)
{
	struct cv_machine_stats *s = &rec->stats;
	memset(s, 0, sizeof(*s));
	rec->next_vend_number = cv_journal_get_u32(r);
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
	rec->mark_generation = cv_journal_get_trailing_u32(r);
	return cv_journal_reader_done(r);
}

void cv_rec_checkpoint_end_put(struct cv_journal_writer *w, uint64_t begin_seq)
{
	cv_journal_put_u64(w, begin_seq);
}

bool cv_rec_checkpoint_end_get(struct cv_journal_reader *r, uint64_t *begin_seq)
{
	*begin_seq = cv_journal_get_u64(r);
	return cv_journal_reader_done(r);
}
