/* SPDX-License-Identifier: MIT */
/* Checkpoints: written every checkpoint_records records, remembered by the
 * storage once durable, read from on open, and the journal before the
 * previous one trimmed; the state a restart rebuilds from a checkpoint is
 * the state the machine had. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "machine_private.h"
#include "rig.h"

static void start(void)
{
	rig_setup();
	rig.config.checkpoint_records = 256;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(checkpoint, .init = start, .fini = rig_teardown);

/* Sells until the storage remembers `wanted` checkpoints' worth of progress. */
static void sell_until(bool (*done)(void))
{
	for (unsigned i = 0; i < 400 && !done(); i++)
		rig_sell_one(i);
	cr_assert(done(), "never got there");
}

static bool remembered(void)
{
	return rig.storage.has_checkpoint;
}

static bool trimmed(void)
{
	return rig.storage.base > 0;
}

static unsigned count_records_of_type(uint16_t type)
{
	unsigned n = 0;
	for (size_t at = 0; at < rig.storage.length;) {
		const uint8_t *r = rig.journal + at;
		n += (uint16_t)(r[4] | r[5] << 8) == type;
		at += (size_t)r[0] | (size_t)r[1] << 8;
	}
	return n;
}

Test(checkpoint, is_written_and_remembered_once_durable)
{
	sell_until(remembered);
	cr_assert_geq(count_records_of_type(CV_JOURNAL_CHECKPOINT_BEGIN), 1);
	cr_assert_eq(count_records_of_type(CV_JOURNAL_CHECKPOINT_BEGIN),
		     count_records_of_type(CV_JOURNAL_CHECKPOINT_END));
	/* The storage points at a CHECKPOINT_BEGIN carrying the remembered seq. */
	const uint8_t *r = rig.journal + (rig.storage.checkpoint_offset - rig.storage.base);
	cr_assert_eq(r[4], CV_JOURNAL_CHECKPOINT_BEGIN);
	uint64_t seq = 0;
	for (unsigned i = 8; i-- > 0;)
		seq = seq << 8 | r[12 + i];
	cr_assert_eq(seq, rig.storage.checkpoint_seq);
}

Test(checkpoint, the_journal_before_the_previous_checkpoint_is_trimmed)
{
	sell_until(trimmed);
	cr_assert_leq(rig.storage.base, rig.storage.checkpoint_offset, "the remembered checkpoint is kept");
	cr_assert_lt(rig.storage.length, sizeof(rig.journal) / 2, "a bounded buffer serves for ever");
	uint8_t byte;
	size_t n = 0;
	cr_assert_eq(cv_ram_storage_ops.read(&rig.storage, 0, &byte, 1, &n), CV_E_NOT_FOUND, "trimmed bytes are gone");
}

Test(checkpoint, a_restart_rebuilds_the_same_state_from_it)
{
	sell_until(trimmed);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 1, 315), CV_OK);
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 2, false), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	rig_step(rig.config.timeouts.flush_ms);
	struct cv_lane_info before[RIG_LANES];
	for (uint16_t i = 0; i < RIG_LANES; i++)
		before[i] = rig_lane(i);
	uint32_t last = rig_vend_ok(0);
	before[0] = rig_lane(0);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	for (uint16_t i = 0; i < RIG_LANES; i++) {
		struct cv_lane_info after = rig_lane(i);
		cr_assert_eq(after.config.count, before[i].config.count, "lane %u count", i);
		cr_assert_eq(after.config.price_minor, before[i].config.price_minor, "lane %u price", i);
		cr_assert_eq(after.enabled, before[i].enabled, "lane %u enabled", i);
		cr_assert_str_eq(after.config.product_name, before[i].config.product_name);
	}
	uint32_t next = rig_vend_ok(1);
	cr_assert_gt(next, last, "vend numbers go on past the checkpoint");
}

Test(checkpoint, a_vend_open_across_a_checkpoint_is_recovered_from_it)
{
	sell_until(remembered);
	/* Leave a vend with its capture due, then force checkpoints past it. */
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	struct cv_payment_request capture = *rig_last_payment();
	cr_assert_eq(capture.op, CV_PAYMENT_OP_CAPTURE);
	uint16_t count = rig_lane(0).config.count;
	uint64_t first = rig.storage.checkpoint_seq;
	/* Service changes write records without settling the open vend. */
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	for (unsigned i = 0; i < 400 && rig.storage.checkpoint_seq == first; i++) {
		cr_assert_eq(cv_machine_lane_set_price(rig.m, 3, 100 + i), CV_OK);
		rig_step(rig.config.timeouts.flush_ms);
	}
	cr_assert_neq(rig.storage.checkpoint_seq, first, "no new checkpoint was remembered");
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE, "the capture is still due");
	cr_assert_str_eq(rig_last_payment()->idempotency_key, capture.idempotency_key);
	cr_assert_eq(rig_lane(0).config.count, count, "the item is taken once");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
}

Test(checkpoint, opening_reads_only_from_the_checkpoint)
{
	sell_until(trimmed);
	/* Everything before the remembered checkpoint could be garbage now. */
	size_t keep = (size_t)(rig.storage.checkpoint_offset - rig.storage.base);
	memset(rig.journal, 0xee, keep);
	cr_assert_eq(rig_reboot(), CV_OK, "the bytes before the checkpoint were read");
}

Test(checkpoint, a_pointer_to_something_else_than_a_checkpoint_is_corruption)
{
	sell_until(remembered);
	rig.storage.checkpoint_offset = rig.storage.base; /* The journal's first record there. */
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cr_assert_neq(rig.journal[4], CV_JOURNAL_CHECKPOINT_BEGIN, "the journal's first record is its header");
	cr_assert_eq(rig_start(), CV_E_CORRUPT);
}

Test(checkpoint, a_checkpoint_written_but_never_remembered_replays_harmlessly)
{
	rig_teardown();
	rig_setup();
	rig.config.checkpoint_records = 256;
	/* A storage that can't remember checkpoints: the engine still writes
	 * them, and every open reads straight through them. */
	static struct cv_storage_ops forgetful;
	forgetful = cv_ram_storage_ops;
	forgetful.checkpoint_get = NULL;
	rig.config.storage = &forgetful;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	sell_until(remembered);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	uint16_t count = rig_lane(0).config.count;
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	for (unsigned i = 0; i < 300; i++)
		cr_assert_eq(cv_machine_lane_set_price(rig.m, 3, 100 + i), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	rig_step(rig.config.timeouts.flush_ms);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert_eq(cv_machine_open_vends(rig.m), 1, "the open vend is not doubled by the checkpoint's copy");
	unsigned recoveries = 0;
	for (unsigned i = 0; i < rig.event_count; i++)
		recoveries += rig.events[i].type == CV_EVENT_RECOVERY;
	cr_assert_eq(recoveries, 1, "one vend, one recovery decision");
	cr_assert_eq(rig_lane(0).config.count, count, "nor is its item taken twice");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
}

Test(checkpoint, the_interval_is_validated)
{
	rig_teardown();
	rig_setup();
	rig.config.checkpoint_records = 100;
	cr_assert_eq(rig_start(), CV_E_INVAL);
	rig.config.checkpoint_records = 0;
	cr_assert_eq(rig_start(), CV_OK, "0 turns checkpoints off");
}

Test(checkpoint, a_journal_cut_inside_the_remembered_checkpoint_is_corruption)
{
	sell_until(remembered);
	/* Keep the checkpoint's BEGIN and a little more, lose its END: no power
	 * cut can do that to a checkpoint that was durable when remembered. */
	rig.storage.length = (size_t)(rig.storage.checkpoint_offset - rig.storage.base) + 60;
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cr_assert_eq(rig_start(), CV_E_CORRUPT);
}

static void assert_same_totals(const struct cv_machine_stats *a, const struct cv_machine_stats *b)
{
	cr_assert_eq(a->vends_started, b->vends_started);
	cr_assert_eq(a->vends_captured, b->vends_captured);
	cr_assert_eq(a->vends_voided, b->vends_voided);
	cr_assert_eq(a->vends_abandoned, b->vends_abandoned);
	cr_assert_eq(a->declines, b->declines);
	cr_assert_eq(a->respins, b->respins);
	cr_assert_eq(a->drops_verified, b->drops_verified);
	cr_assert_eq(a->captured_minor, b->captured_minor);
	cr_assert_eq(a->dispensed_value_minor, b->dispensed_value_minor);
}

/* The totals are the journal's, not the life's: counted again in replay,
 * carried by checkpoints, the same after a restart either way. */
Test(checkpoint, the_running_totals_survive_restarts)
{
	uint32_t d = rig_select(1);
	rig_pay(CV_PAY_DECLINED);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	cr_assert_eq(rig_state(d), CV_VEND_STATE_ABANDONED);
	rig_vend_no_drop(2);
	rig_pay(CV_PAY_OK);
	sell_until(trimmed); /* Several checkpoints, the first vends trimmed away. */
	rig_vend_ok(3);
	struct cv_machine_stats before = rig_stats();
	cr_assert_eq(before.declines, 1);
	cr_assert_eq(before.vends_voided, 1);
	cr_assert_eq(before.respins, 3);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	struct cv_machine_stats after = rig_stats();
	assert_same_totals(&before, &after);
	cr_assert_geq(after.journal_records, before.journal_records);
	rig_vend_ok(0);
	cr_assert_eq(rig_stats().vends_captured, before.vends_captured + 1, "and they go on");
}

Test(checkpoint, the_running_totals_survive_a_restart_without_checkpoints)
{
	rig_teardown();
	rig_setup();
	rig.config.checkpoint_records = 0;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	uint32_t d = rig_select(1);
	rig_pay(CV_PAY_DECLINED);
	rig_select(1);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(d), CV_VEND_STATE_CAPTURED);
	rig_vend_no_drop(2);
	rig_pay(CV_PAY_OK);
	struct cv_machine_stats before = rig_stats();
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	struct cv_machine_stats after = rig_stats();
	assert_same_totals(&before, &after);
}

static enum cv_status broken_checkpoint_get(void *ctx, uint64_t *offset, uint64_t *seq)
{
	(void)ctx;
	(void)offset;
	(void)seq;
	return CV_E_IO;
}

Test(checkpoint, a_checkpoint_the_storage_cannot_read_is_an_error_not_a_fresh_start)
{
	sell_until(remembered);
	static struct cv_storage_ops broken;
	broken = cv_ram_storage_ops;
	broken.checkpoint_get = broken_checkpoint_get;
	rig.config.storage = &broken;
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cr_assert_eq(rig_start(), CV_E_IO);
}

/* ---- across restarts ---- */

/* Refills a lane that ran out, in a service visit. */
static void keep_stocked(uint16_t lane)
{
	if (rig_lane(lane).config.count > 0)
		return;
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_refill(rig.m, lane, 10), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
}

/* Records in the journal bytes [from, rig.storage.length). */
static unsigned count_records_from(size_t from)
{
	unsigned n = 0;
	for (size_t at = from; at < rig.storage.length; n++)
		at += (size_t)rig.journal[at] | (size_t)rig.journal[at + 1] << 8;
	return n;
}

Test(checkpoint, a_machine_switched_off_every_few_customers_still_checkpoints_and_trims, .timeout = 120)
{
	/* 15 customers a life write fewer records than checkpoint_records:
	 * counted from each start, no checkpoint would ever come, nothing
	 * would be trimmed, and the 64 KiB journal would fill in a few lives
	 * (100 lives write some 150 KiB). Counted from the last durable
	 * checkpoint, the journal holds from the previous checkpoint on (at
	 * most two intervals, and the checkpoint being written), and an open
	 * reads from the last one (at most one interval and that checkpoint),
	 * however many lives there were. */
	const unsigned interval = rig.config.checkpoint_records;
	const unsigned checkpoint_max = 2 + CV_VENDS_MAX * 2 + RIG_LANES * 5; /* BEGIN, END, vends, lanes, alerts. */
	unsigned held_max = 0;
	unsigned open_max = 0;
	unsigned trims = 0;
	uint64_t base_before = 0;
	for (unsigned life = 0; life < 100; life++) {
		for (unsigned k = 0; k < 15; k++) {
			uint16_t lane = (uint16_t)(k % RIG_LANES);
			keep_stocked(lane);
			cr_assert_eq(rig_state(rig_vend_ok(lane)), CV_VEND_STATE_CAPTURED, "life %u, customer %u", life,
				     k);
		}
		rig_step(rig.config.timeouts.flush_ms);
		trims += rig.storage.base > base_before;
		base_before = rig.storage.base;
		size_t from =
			rig.storage.has_checkpoint ? (size_t)(rig.storage.checkpoint_offset - rig.storage.base) : 0;
		unsigned held = count_records_from(0);
		unsigned opened = count_records_from(from);
		held_max = held > held_max ? held : held_max;
		open_max = opened > open_max ? opened : open_max;
		enum cv_status rc = rig_reboot();
		cr_assert_eq(rc, CV_OK, "life %u: %s", life + 1, cv_status_name(rc));
		rig_step(0);
	}
	printf("bench: checkpoint_lives_journal_records_max %u records\nbench: checkpoint_lives_open_records_max %u "
	       "records\nbench: checkpoint_lives_trims %u count\n",
	       held_max, open_max, trims);
	cr_assert_gt(trims, 10, "the journal is trimmed as it goes");
	cr_assert_leq(held_max, 2 * interval + 2 * checkpoint_max, "the journal held %u records", held_max);
	cr_assert_leq(open_max, interval + 2 * checkpoint_max, "an open read %u records", open_max);
}

Test(checkpoint, a_half_checkpoint_changes_nothing_replay_counts)
{
	/* A checkpoint whose BEGIN (and a copy or two) reached the disk but
	 * not its END, as a power cut leaves it; then a new life sells. Later
	 * restarts must count that life's sales in the running totals. */
	rig_vend_ok(0);
	struct cv_journal_writer w;
	struct cv_rec_checkpoint_begin begin = {.next_vend_number = rig.m->next_vend_number, .stats = rig.m->stats};
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &begin);
	cv_journal_append(rig.m, CV_JOURNAL_CHECKPOINT_BEGIN, &w);
	cv_lane_journal(rig.m, 0);
	cv_journal_flush_now(rig.m);
	rig_step(0);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	struct cv_machine_stats before = rig_stats();
	cr_assert_eq(before.vends_captured, 1);
	rig_vend_ok(1);
	rig_vend_ok(2);
	rig_step(rig.config.timeouts.flush_ms);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	struct cv_machine_stats after = rig_stats();
	cr_assert_eq(after.vends_captured, 3, "the life after the half checkpoint counts: %u captured",
		     after.vends_captured);
	cr_assert_eq(after.captured_minor, 3 * 150);
	cr_assert_eq(after.drops_verified, 3);
}

/* ---- room: a storage that says how full it is ---- */

static uint64_t fake_room = UINT64_MAX;

static enum cv_status fake_room_report(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = fake_room;
	return CV_OK;
}

static void start_on_reported_room(uint64_t records)
{
	static struct cv_storage_ops ops;
	ops = cv_ram_storage_ops;
	ops.room = fake_room_report;
	fake_room = records * CV_STORAGE_ROOM_RECORD;
	rig.config.storage = &ops;
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
}

Test(checkpoint, sales_pause_while_the_journal_is_nearly_full_and_the_open_vend_goes_on)
{
	start_on_reported_room(1000);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	/* Below the reserve: no new vend, the one open goes on into it. */
	fake_room = 5 * CV_STORAGE_ROOM_RECORD;
	rig_step(0);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	rig_step(rig.config.timeouts.session_ms);
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_FULL);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE, "display shows \"%s\"", cv_msg_text(rig_msg()));
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 0, "a pause is not a fault");
	/* Room again: sales resume. */
	fake_room = 1000 * CV_STORAGE_ROOM_RECORD;
	rig_step(0);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
	rig_vend_ok(1);
}

static bool journal_holds_20k(void)
{
	return rig.storage.length > 20000;
}

Test(checkpoint, runs_early_when_the_room_runs_short)
{
	rig.config.checkpoint_records = 4096;
	start_on_reported_room(1000);
	sell_until(journal_holds_20k);
	cr_assert_eq(count_records_of_type(CV_JOURNAL_CHECKPOINT_BEGIN), 0, "plenty of room: no checkpoint yet");
	/* Above the reserve, below reserve plus two checkpoints: one now. */
	fake_room = 40 * CV_STORAGE_ROOM_RECORD;
	rig_step(0);
	rig_step(rig.config.timeouts.flush_ms);
	cr_assert_geq(count_records_of_type(CV_JOURNAL_CHECKPOINT_BEGIN), 1);
	cr_assert(rig.storage.has_checkpoint, "it was remembered once durable");
	cr_assert_neq(rig_msg(), CV_MSG_OUT_OF_SERVICE, "still selling");
	/* The room stays short (this storage's report never changes): once
	 * the journal holds little more than checkpoints, no more are written,
	 * rather than one at every step. */
	for (unsigned i = 0; i < 40; i++)
		rig_step(rig.config.timeouts.flush_ms);
	unsigned written = count_records_of_type(CV_JOURNAL_CHECKPOINT_BEGIN);
	cr_assert_leq(written, 4, "%u checkpoints for nothing", written);
	uint64_t length = rig.storage.length, base = rig.storage.base;
	for (unsigned i = 0; i < 40; i++)
		rig_step(rig.config.timeouts.flush_ms);
	cr_assert_eq(rig.storage.length, length, "the journal grew on its own");
	cr_assert_eq(rig.storage.base, base, "checkpoints and trims went on");
}
