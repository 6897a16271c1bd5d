/* SPDX-License-Identifier: MIT */
/* Backends that misbehave: malformed or hostile completions, card data where
 * it does not belong, storage whose syncs fail or get lost, and clocks near
 * their end. The engine must stay safe with money in every case. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "rig.h"
#include "write_ahead.h"

/* A RAM storage whose syncs can be made to fail or to vanish. */
enum sync_mode { SYNC_NORMAL, SYNC_FAILS, SYNC_LOST_ONCE, APPENDS_FAIL };
static enum sync_mode sync_mode;
static unsigned sync_calls;

static enum cv_status flaky_sync(void *ctx, uint64_t seq)
{
	sync_calls++;
	if (sync_mode == SYNC_LOST_ONCE) {
		sync_mode = SYNC_NORMAL;
		return CV_PENDING; /* Accepted, but its completion never comes. */
	}
	if (sync_mode == SYNC_FAILS) {
		write_ahead_sync_failed();
		struct cv_event ev = {.type = CV_EVENT_STORAGE_SYNCED};
		ev.u.storage.seq = seq;
		ev.u.storage.status = CV_E_IO;
		return cv_machine_post(rig.m, &ev) == CV_OK ? CV_PENDING : CV_E_IO;
	}
	return cv_ram_storage_ops.sync(ctx, seq);
}

static enum cv_status flaky_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	if (sync_mode == APPENDS_FAIL)
		return CV_E_IO; /* The disk died: nothing more is written. */
	return cv_ram_storage_ops.append(ctx, seq, record, length);
}

static struct cv_storage_ops flaky_storage;

static void start(void)
{
	rig_setup();
	flaky_storage = cv_ram_storage_ops;
	flaky_storage.sync = flaky_sync;
	flaky_storage.append = flaky_append;
	rig.config.storage = &flaky_storage;
	sync_mode = SYNC_NORMAL;
	sync_calls = 0;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(robustness, .init = start, .fini = rig_teardown);

static struct cv_event answer_to_last_payment(enum cv_pay_result result)
{
	const struct cv_payment_request *req = rig_last_payment();
	cr_assert_not_null(req);
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	ev.u.payment.op_id = req->op_id;
	ev.u.payment.op = req->op;
	ev.u.payment.result = result;
	ev.u.payment.amount = req->amount;
	strcpy(ev.u.payment.processor_ref, "pi_1");
	return ev;
}

static bool has_digit_run(const uint8_t *bytes, size_t length, unsigned longer_than)
{
	unsigned run = 0;
	for (size_t i = 0; i < length; i++) {
		run = bytes[i] >= '0' && bytes[i] <= '9' ? run + 1 : 0;
		if (run > longer_than)
			return true;
	}
	return false;
}

Test(robustness, a_result_code_out_of_range_is_refused_and_times_out_as_unknown)
{
	uint32_t n = rig_select(0);
	struct cv_event ev = answer_to_last_payment(CV_PAY_OK);
	ev.u.payment.result = (enum cv_pay_result)99;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_E_INVAL);
	ev.u.payment.result = CV_PAY_OK;
	ev.u.payment.op = (enum cv_payment_op)7;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_E_INVAL);
	rig_step(rig.config.timeouts.payment_ms);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP, "no answer: look it up");
	cr_assert_eq(rig.motor_count, 0);
}

Test(robustness, an_unterminated_processor_reference_is_refused)
{
	rig_select(0);
	struct cv_event ev = answer_to_last_payment(CV_PAY_OK);
	memset(ev.u.payment.processor_ref, 'x', sizeof(ev.u.payment.processor_ref));
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_E_INVAL);
	ev.u.payment.processor_ref[3] = '\n';
	ev.u.payment.processor_ref[4] = '\0';
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_E_INVAL, "control characters are not a reference");
}

Test(robustness, card_numbers_in_card_fields_never_reach_the_journal_or_events)
{
	uint32_t n = rig_select(0);
	struct cv_event ev = answer_to_last_payment(CV_PAY_OK);
	memcpy(ev.u.payment.card.brand, "4111111111111111", 16); /* No room for a NUL. */
	memcpy(ev.u.payment.card.last4, "41111", 5);
	memcpy(ev.u.payment.card.auth_code, "41111111111", 12);
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK, "the money answer itself is fine");
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_str_empty(v.card.brand);
	cr_assert_str_empty(v.card.last4);
	cr_assert_str_empty(v.card.auth_code);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_not(has_digit_run(rig.journal, rig.storage.length, 4), "card digits in the journal");
	for (unsigned i = 0; i < rig.event_count; i++)
		cr_assert_not(has_digit_run((const uint8_t *)&rig.events[i], sizeof(rig.events[i]), 4),
			      "card digits in event %u (%s)", i, cv_event_type_str(rig.events[i].type));
}

Test(robustness, well_formed_card_fields_pass_unchanged)
{
	uint32_t n = rig_select(0);
	struct cv_event ev = answer_to_last_payment(CV_PAY_OK);
	strcpy(ev.u.payment.card.brand, "AMERICAN EXPRESS");
	ev.u.payment.card.brand[15] = '\0'; /* "AMERICAN EXPRES" fits. */
	strcpy(ev.u.payment.card.last4, "0005");
	strcpy(ev.u.payment.card.auth_code, "A1B2C3");
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_str_eq(v.card.brand, "AMERICAN EXPRES");
	cr_assert_str_eq(v.card.last4, "0005");
	cr_assert_str_eq(v.card.auth_code, "A1B2C3");
}

Test(robustness, an_answer_to_another_operation_counts_as_unknown)
{
	uint32_t n = rig_select(0);
	struct cv_event ev = answer_to_last_payment(CV_PAY_OK);
	ev.u.payment.op = CV_PAYMENT_OP_CAPTURE; /* The authorize's op_id, the wrong operation. */
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
	cr_assert_eq(rig.motor_count, 0);
}

/* The sync of the capture's intent failed: nobody knows whether the record
 * is on disk, so this life does not capture; the next one reads the journal
 * and decides once (here the record survived in RAM: it captures). */
Test(robustness, a_failed_sync_stops_selling_and_leaves_the_capture_to_the_next_life)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	sync_mode = SYNC_FAILS;
	rig_drop();
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE, "no capture on an unknown durability");
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_STATE);
	rig_step(rig.config.timeouts.message_ms);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE);
	sync_mode = SYNC_NORMAL;
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE, "the next life captures, once");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
}

/* The capture's own record could not be written: a restart will find the vend
 * VERIFYING and void it, so this life must not capture (one hold, one decision). */
Test(robustness, a_capture_whose_intent_was_never_written_is_left_to_recovery)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	sync_mode = APPENDS_FAIL;
	rig_drop();
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE, "no capture went out");
	sync_mode = SYNC_NORMAL;
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID, "the next life voids, once");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_alerts(CV_ALERT_UNVERIFIED_VEND, 0, true), 1);
}

Test(robustness, a_failed_sync_with_a_hold_voids_it_without_dispensing)
{
	uint32_t n = rig_select(0);
	sync_mode = SYNC_FAILS;
	rig_pay(CV_PAY_OK);
	rig_step(0);
	cr_assert_eq(rig.motor_count, 0, "no motor without a durable intent");
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_JOURNAL_FAULT);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(cv_machine_open_vends(rig.m), 0);
}

Test(robustness, a_lost_sync_completion_is_asked_again)
{
	sync_mode = SYNC_LOST_ONCE;
	uint32_t n = 0;
	cr_assert_eq(cv_machine_select(rig.m, 0, &n), CV_OK);
	rig_step(0);
	cr_assert_eq(rig.payment_count, 0, "not durable yet");
	unsigned calls = sync_calls;
	rig_step(rig.config.timeouts.sync_ms - 1);
	cr_assert_eq(sync_calls, calls);
	rig_step(1);
	cr_assert_gt(sync_calls, calls, "the sync is asked again");
	cr_assert_eq(rig.payment_count, 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_PENDING);
}

/* Service mode turns lane 0 into an OPTIONAL-verification lane. */
static void make_lane_0_optional(void)
{
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	struct cv_lane_config lane = rig_lane(0).config;
	lane.verify_mode = CV_VERIFY_MODE_OPTIONAL;
	cr_assert_eq(cv_machine_lane_configure(rig.m, 0, &lane), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
}

Test(robustness, an_optional_lane_trusts_the_motor_for_a_movement_nobody_watched)
{
	make_lane_0_optional();
	rig_sensor(true);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig.arm_count, 0, "a faulted sensor is not armed");
	rig_sensor(false); /* Back before the motor finishes. */
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING, "no re-spin: that could vend twice");
	cr_assert_eq(rig.motor_count, 1);
	cr_assert_eq(rig_lane(0).config.count, 4);
}

Test(robustness, an_optional_lane_whose_sensor_cannot_be_armed_still_vends)
{
	make_lane_0_optional();
	rig.arm_rc = CV_E_IO;
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig.motor_count, 1);
	cr_assert_eq(rig_alerts(CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, true), 1);
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
}

Test(robustness, a_receipt_names_the_product_sold_even_after_a_planogram_change)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	struct cv_lane_config lane = rig_lane(0).config;
	strcpy(lane.product_name, "Fudge");
	strcpy(lane.label, "Z9");
	cr_assert_eq(cv_machine_lane_configure(rig.m, 0, &lane), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	rig_pay(CV_PAY_OK);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_str_eq(r->product_name, "Gummy Bears");
	cr_assert_str_eq(r->lane_label, "A1");
}

Test(robustness, prices_above_the_bound_are_refused)
{
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, CV_PRICE_MAX + 1), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, INT64_MAX), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, CV_PRICE_MAX), CV_OK);
	cr_assert_eq(rig_lane(0).config.price_minor, CV_PRICE_MAX);
}

Test(robustness, deadlines_do_not_wrap_near_the_end_of_the_clock)
{
	rig.now_ms = UINT64_MAX - 1000;
	rig_step(0);
	uint32_t n = rig_select(0);
	rig_step(500);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_PENDING, "a wrapped deadline would have expired");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
}

static void free_from_listener(const struct cv_event *event)
{
	(void)event;
	cv_machine_deinit(rig.m);
}

Test(robustness, deinit_from_the_listener_is_a_programming_error, .signal = SIGABRT)
{
	rig.hook = free_from_listener;
	rig_select(0);
}

Test(robustness, a_journal_too_small_for_the_start_records_fails_init)
{
	rig_teardown();
	rig_setup();
	static uint8_t tiny[64];
	cv_ram_storage_init(&rig.storage, tiny, sizeof(tiny));
	struct cv_machine *before = rig.m;
	cr_assert_eq(rig_start(), CV_E_FULL);
	cr_assert_eq(rig.m, before, "out is untouched on failure");
}

Test(robustness, the_decline_reason_is_kept_for_the_operator)
{
	uint32_t n = rig_select(0);
	struct cv_event ev = answer_to_last_payment(CV_PAY_DECLINED);
	ev.u.payment.decline_reason = CV_DECLINE_INSUFFICIENT;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_vend(n).decline_reason, CV_DECLINE_INSUFFICIENT);
}

Test(robustness, a_motor_io_error_is_a_dispenser_error_not_a_jam_reason)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_E_IO);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_DISPENSER_ERROR);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1, "still a motor fault for the operator");
}
