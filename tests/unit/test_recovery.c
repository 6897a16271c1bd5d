/* SPDX-License-Identifier: MIT */
/* Restarts: the journal is read back and every vend left open is resolved
 * as docs/payments.md ("After a power cut") says, visibly. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine_private.h"
#include "rig.h"

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(recovery, .init = start, .fini = rig_teardown);

static unsigned recoveries(enum cv_recovery_action action)
{
	unsigned n = 0;
	for (unsigned i = 0; i < rig.event_count; i++)
		n += rig.events[i].type == CV_EVENT_RECOVERY && rig.events[i].u.recovery.action == action;
	return n;
}

static const struct cv_recovery *first_recovery(void)
{
	for (unsigned i = 0; i < rig.event_count; i++)
		if (rig.events[i].type == CV_EVENT_RECOVERY)
			return &rig.events[i].u.recovery;
	return NULL;
}

static void reboot(void)
{
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
}

static unsigned payments_of(enum cv_payment_op op)
{
	unsigned n = 0;
	for (unsigned i = 0; i < rig.payment_count; i++)
		n += rig.payments[i].op == op;
	return n;
}

Test(recovery, a_clean_restart_resolves_nothing_and_keeps_numbering)
{
	uint32_t a = rig_vend_ok(0);
	reboot();
	cr_assert_null(first_recovery());
	cr_assert_eq(cv_machine_open_vends(rig.m), 0);
	uint32_t b = rig_vend_ok(0);
	cr_assert_gt(b, a, "vend numbers go on after a restart");
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, NULL, NULL, &scan), CV_OK);
	cr_assert_eq(scan.torn_bytes, 0);
	cr_assert_eq(scan.valid_length, rig.storage.length);
}

Test(recovery, stock_prices_and_service_state_survive_a_restart)
{
	rig_vend_ok(0);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 1, 275), CV_OK);
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 2, false), CV_OK);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 3, 4), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	reboot();
	cr_assert_eq(rig_lane(0).config.count, 4, "the configured 5 is history");
	cr_assert_eq(rig_lane(1).config.price_minor, 275);
	cr_assert_not(rig_lane(2).enabled);
	cr_assert_eq(rig_lane(3).config.count, 9);
	cr_assert_not(cv_machine_in_service(rig.m), "a restart begins with the door closed");
}

Test(recovery, a_vend_that_sent_nothing_is_discarded)
{
	uint32_t n = 0;
	cr_assert_eq(cv_machine_select(rig.m, 0, &n), CV_OK); /* Journaled, never sent. */
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_DISCARDED), 1);
	cr_assert_eq(first_recovery()->vend_number, n);
	cr_assert_eq(first_recovery()->found_state, CV_VEND_STATE_SELECTED);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_POWER_LOSS);
	cr_assert_eq(rig.payment_count, 0);
}

Test(recovery, an_authorization_in_flight_is_looked_up_and_a_hold_is_voided_never_dispensed)
{
	uint32_t n = rig_select(0);
	char auth_key[CV_IDEM_KEY_LEN];
	strcpy(auth_key, rig_last_payment()->idempotency_key);
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_LOOKUP_THEN_VOID), 1);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
	cr_assert_str_eq(rig_last_payment()->auth_key, auth_key);
	rig_pay(CV_PAY_OK); /* It was approved while the power was out. */
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	cr_assert_str_eq(rig_last_payment()->auth_key, auth_key);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig.motor_count, 0, "never dispense after a restart");
	cr_assert_eq(payments_of(CV_PAYMENT_OP_AUTHORIZE), 0, "never authorize again");
}

/* Not found after a restart is not final: the request lost when the power
 * went may still arrive. It is looked up again, then voided. */
Test(recovery, an_authorization_not_found_after_a_restart_is_checked_again_then_voided)
{
	uint32_t n = rig_select(0);
	reboot();
	for (unsigned i = 0; i < rig.config.lookup_attempts_max; i++) {
		cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP, "lookup %u", i + 1);
		rig_pay(CV_PAY_NOT_FOUND);
		if (i + 1 < rig.config.lookup_attempts_max)
			rig_step(rig.config.timeouts.retry_cap_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	rig_pay(CV_PAY_NOT_FOUND);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT, "no customer is waiting for it");
}

Test(recovery, a_declined_vend_is_discarded)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_DECLINED);
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_DISCARDED), 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig.payment_count, 0);
}

Test(recovery, a_vend_interrupted_mid_motor_is_voided_with_an_incident)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert_eq(rig.motor_count, 1);
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_VOID_UNVERIFIED), 1);
	cr_assert_eq(first_recovery()->found_state, CV_VEND_STATE_DISPENSING);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_alerts(CV_ALERT_UNVERIFIED_VEND, 0, true), 1);
	cr_assert_eq(rig.motor_count, 0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
	cr_assert_eq(rig_lane(0).config.count, 5, "an unproven drop is not taken from stock");
	cr_assert_eq(rig_lane(0).consecutive_failures, 0, "a power cut is not the lane's failure");
}

Test(recovery, a_vend_interrupted_while_verifying_is_voided_with_an_incident)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VERIFYING);
	reboot();
	cr_assert_eq(first_recovery()->found_state, CV_VEND_STATE_VERIFYING);
	cr_assert_eq(recoveries(CV_RECOVERY_VOID_UNVERIFIED), 1);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	cr_assert_eq(rig.motor_count, 0, "no re-spin after a restart");
}

Test(recovery, a_verified_drop_is_captured_with_the_same_key)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	struct cv_payment_request capture = *rig_last_payment();
	cr_assert_eq(capture.op, CV_PAYMENT_OP_CAPTURE);
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_CAPTURE_RESEND), 1);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, capture.idempotency_key);
	cr_assert_eq(rig_last_payment()->amount.amount_minor, capture.amount.amount_minor);
	cr_assert_str_eq(rig_last_payment()->processor_ref, capture.processor_ref);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_lane(0).config.count, 4, "taken from stock once, not twice");
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_eq(r->status, CV_RECEIPT_CHARGED);
	cr_assert_str_eq(r->card.last4, "4242", "the card summary was journaled");
}

Test(recovery, a_void_due_is_resent_with_the_same_key)
{
	uint32_t n = rig_vend_no_drop(0);
	struct cv_payment_request void_request = *rig_last_payment();
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_VOID_RESEND), 1);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, void_request.idempotency_key);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_NO_DROP, "the original reason is kept");
}

Test(recovery, a_torn_tail_is_cut_and_reported)
{
	rig_vend_ok(0);
	size_t end = rig.storage.length;
	static const uint8_t torn[] = {60, 0, 0, 0, 3, 0, 0, 0, 2, 0};
	memcpy(rig.journal + end, torn, sizeof(torn));
	rig.storage.length = end + sizeof(torn);
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_TAIL_TRUNCATED), 1);
	cr_assert_eq(first_recovery()->torn_bytes, sizeof(torn));
	rig_vend_ok(1);
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, NULL, NULL, &scan), CV_OK);
	cr_assert_eq(scan.torn_bytes, 0, "what came after the cut is whole");
}

Test(recovery, corruption_before_the_tail_refuses_to_start)
{
	rig_vend_ok(0);
	rig_vend_ok(1);
	rig.journal[40] ^= 0x10; /* Inside the first records. */
	struct cv_machine *before = rig.m;
	cv_machine_deinit(before);
	rig.m = NULL;
	cr_assert_eq(rig_start(), CV_E_CORRUPT);
	cr_assert_null(rig.m, "no machine on a journal it can't trust");
}

Test(recovery, a_journal_from_a_newer_format_is_refused)
{
	rig_vend_ok(0);
	/* Rewrite the header's version (payload at 20: tag, "CVJL", tag,
	 * version) and its CRC. */
	rig.journal[26] = 9;
	uint32_t length = rig.journal[0];
	uint32_t crc = cv_crc32c(0, rig.journal, length - 4);
	for (unsigned i = 0; i < 4; i++)
		rig.journal[length - 4 + i] = (uint8_t)(crc >> (8 * i));
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cr_assert_eq(rig_start(), CV_E_VERSION);
}

Test(recovery, each_restart_is_a_new_epoch)
{
	reboot();
	reboot();
	rig_vend_ok(0);
	uint32_t epoch = 0;
	for (size_t at = 0; at < rig.storage.length;) {
		const uint8_t *r = rig.journal + at;
		uint32_t record_epoch =
			(uint32_t)r[8] | (uint32_t)r[9] << 8 | (uint32_t)r[10] << 16 | (uint32_t)r[11] << 24;
		cr_assert_geq(record_epoch, epoch, "epochs never go back");
		epoch = record_epoch;
		at += (size_t)r[0] | (size_t)r[1] << 8;
	}
	cr_assert_eq(epoch, 3);
}

/* The verified drop's record stands for the item taken: a journal cut right
 * after it (before the lane's own record) still counts the item gone. */
Test(recovery, the_verified_drop_record_alone_takes_the_item_from_stock)
{
	rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	size_t before_drop = rig.storage.length;
	rig_drop();
	/* Find the end of the first record appended by the drop: CAPTURE_PENDING. */
	size_t at = before_drop;
	uint32_t length = (uint32_t)rig.journal[at] | (uint32_t)rig.journal[at + 1] << 8;
	cr_assert_eq(rig.journal[at + 4], CV_JOURNAL_VEND_STATE, "the vend's record comes first");
	cr_assert_gt(rig.storage.length, at + length, "the lane's record follows it");
	rig.storage.length = at + length;
	reboot();
	cr_assert_eq(rig_lane(0).config.count, 4);
	cr_assert_eq(recoveries(CV_RECOVERY_CAPTURE_RESEND), 1);
	rig_pay(CV_PAY_OK);
	reboot();
	cr_assert_eq(rig_lane(0).config.count, 4, "and only once, however often it is replayed");
}

/* The integrator's planogram may shrink between restarts: finished history
 * on a lane that is gone, or a count above a lowered capacity, is no reason
 * to refuse to start. */
Test(recovery, a_smaller_planogram_after_a_restart_is_accepted)
{
	rig_vend_ok(3);
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	rig.config.lane_count = 3; /* Lane 3 is gone. */
	rig.lanes[0].capacity = 3; /* Lane 0 held 5. */
	rig.lanes[0].count = 3;    /* (The configured count is history: the journal has the real one.) */
	rig.lanes[0].low_stock_threshold = 1;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_lane(0).config.count, 3, "clamped to the new capacity");
	cr_assert_eq(cv_machine_lane_count(rig.m), 3);
}

Test(recovery, an_open_vend_on_a_lane_that_is_gone_refuses_to_start)
{
	rig_select(3);
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	rig.config.lane_count = 3;
	cr_assert_eq(rig_start(), CV_E_CORRUPT, "its hold could not be settled safely");
}

/* The sensor's report made it into the journal (VERIFYING with the drop
 * verified) before the power went: that is proof, so the vend is captured. */
Test(recovery, a_drop_recorded_as_seen_before_the_restart_is_captured)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	struct cv_event drop = {.type = CV_EVENT_DROP_DETECTED};
	drop.u.drop.op_id = rig.sensor_op_id;
	cr_assert_eq(cv_machine_post(rig.m, &drop), CV_OK); /* Seen during the motor movement. */
	rig_step(0);
	size_t before_motor_done = rig.storage.length;
	rig_motor(CV_OK);
	/* Keep only the VERIFYING record the motor's end wrote (drop_verified set),
	 * not the CAPTURE_PENDING and lane records after it. */
	size_t at = before_motor_done;
	size_t verifying_end = at + ((size_t)rig.journal[at] | (size_t)rig.journal[at + 1] << 8);
	cr_assert_gt(rig.storage.length, verifying_end);
	rig.storage.length = verifying_end;
	reboot();
	cr_assert_eq(recoveries(CV_RECOVERY_CAPTURE_PROVEN), 1);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_eq(rig_lane(0).config.count, 4, "the item leaves the count");
	cr_assert_eq(rig.motor_count, 0, "nothing turns");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	reboot();
	cr_assert_eq(rig_lane(0).config.count, 4, "and once only");
}
