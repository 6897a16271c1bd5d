/* SPDX-License-Identifier: MIT */
/* The rig's own write-ahead check: it must catch a side effect whose record
 * is not durable, and must let pass what the engine's rule allows. A test
 * that forces a violation says so (rig.write_ahead_excuse), so that the
 * check records it without failing the test. */
#include <criterion/criterion.h>
#include <string.h>

#include "held_storage.h"
#include "rig.h"

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(rig, .init = start, .fini = rig_teardown);

/* Selects lane 0 without a step: the vend's records are appended, not synced. */
static uint32_t select_unsynced(void)
{
	uint32_t n = 0;
	cr_assert_eq(cv_machine_select(rig.m, 0, &n), CV_OK);
	return n;
}

/* The payment fake asked for @p op on vend @p n, as if the engine had. */
static void force_payment(uint32_t n, enum cv_payment_op op)
{
	struct cv_payment_request req = {.op = op};
	memcpy(req.vend_id, rig_vend(n).vend_id, sizeof(req.vend_id));
	const struct cv_payment_ops *ops = rig.config.payment;
	void *ctx = rig.config.payment_ctx;
	switch (op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		ops->authorize(ctx, &req);
		break;
	case CV_PAYMENT_OP_LOOKUP:
		ops->lookup(ctx, &req);
		break;
	case CV_PAYMENT_OP_CAPTURE:
		ops->capture(ctx, &req);
		break;
	default:
		ops->void_auth(ctx, &req);
		break;
	}
}

static void assert_caught(const char *effect)
{
	const char *why = rig_write_ahead_violation();
	cr_assert_not_null(why, "%s went unnoticed", effect);
	cr_assert_not_null(strstr(why, effect), "caught: %s", why);
	cr_log_info("caught: %s", why);
}

Test(rig, an_authorize_before_its_record_is_durable_is_caught)
{
	rig.write_ahead_excuse = "the test forces one, to see the rig catch it";
	force_payment(select_unsynced(), CV_PAYMENT_OP_AUTHORIZE);
	assert_caught("authorize");
}

Test(rig, the_engine_sends_the_authorize_once_its_record_is_durable)
{
	select_unsynced();
	rig_step(0);
	cr_assert_eq(rig.payment_count, 1);
	cr_assert_null(rig_write_ahead_violation());
}

Test(rig, a_lookup_needs_no_durable_record)
{
	force_payment(select_unsynced(), CV_PAYMENT_OP_LOOKUP);
	cr_assert_null(rig_write_ahead_violation());
}

/* A re-spin whose record waits for a slow sync: its motor may not turn yet. */
Test(rig, a_motor_start_while_its_record_waits_for_a_slow_sync_is_caught)
{
	static struct held_storage hs;
	rig_teardown();
	rig_setup();
	rig_start_on_held_storage(&hs);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	hs.immediate = false;
	rig_step(rig.config.timeouts.verify_ms);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert_eq(rig.motor_count, 1, "the engine waits for the sync");
	cr_assert_null(rig_write_ahead_violation());

	rig.write_ahead_excuse = "the test forces one, to see the rig catch it";
	struct cv_dispense_request req = {.lane = 0};
	rig.config.dispenser->start(rig.config.dispenser_ctx, &req);
	assert_caught("motor start");
}

/* RAM storage whose appends fail once asked to: the journal breaks. */
static bool appends_fail;

static enum cv_status failing_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	if (appends_fail)
		return CV_E_IO;
	return cv_ram_storage_ops.append(ctx, seq, record, length);
}

/* A vend whose SELECTED record is not yet synced when the journal breaks. */
static uint32_t vend_on_a_journal_that_breaks(void)
{
	static struct cv_storage_ops failing;
	rig_teardown();
	rig_setup();
	failing = cv_ram_storage_ops;
	failing.append = failing_append;
	rig.config.storage = &failing;
	appends_fail = false;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	uint32_t n = select_unsynced();
	appends_fail = true;
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1);
	return n;
}

Test(rig, with_a_broken_journal_a_void_before_what_was_written_is_synced_is_caught)
{
	uint32_t n = vend_on_a_journal_that_breaks();
	rig.write_ahead_excuse = "the test forces one, to see the rig catch it";
	force_payment(n, CV_PAYMENT_OP_VOID);
	assert_caught("void");
}

Test(rig, with_a_broken_journal_a_void_may_go_once_what_was_written_is_synced)
{
	uint32_t n = vend_on_a_journal_that_breaks();
	rig_step(0); /* The engine syncs what could still be written. */
	force_payment(n, CV_PAYMENT_OP_VOID);
	cr_assert_null(rig_write_ahead_violation());
}

/* Only a release may go on what was settled: a capture needs its own record. */
Test(rig, with_a_broken_journal_a_capture_without_its_own_durable_record_is_caught)
{
	uint32_t n = vend_on_a_journal_that_breaks();
	rig_step(0);
	rig.write_ahead_excuse = "the test forces one, to see the rig catch it";
	force_payment(n, CV_PAYMENT_OP_CAPTURE);
	assert_caught("capture");
}
