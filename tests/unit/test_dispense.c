/* SPDX-License-Identifier: MIT */
/* The dispensing side of the vend state machine: re-spins, drop verification
 * policies, motor jams and timeouts, sensor faults, quarantine, and the
 * settlement (capture or void) that follows. */
#include <criterion/criterion.h>
#include <string.h>

#include "rig.h"

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(dispense, .init = start, .fini = rig_teardown);

/* Selects a lane and gets the authorization approved: the motor is asked to turn. */
static uint32_t authorized(uint16_t lane)
{
	uint32_t n = rig_select(lane);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	return n;
}

/* Finishes the pending void of a vend with OK. */
static void void_ok(uint32_t n)
{
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_not_null(rig_last_payment());
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
}

Test(dispense, no_drop_respins_then_voids_without_touching_stock)
{
	uint32_t n = authorized(0);
	cr_assert_eq(rig.motor_count, 1);
	cr_assert_eq(rig.arm_count, 1, "the sensor is armed before the first movement");
	/* First movement, then one re-spin per verify window without a drop. */
	for (unsigned i = 0; i <= 3; i++) {
		cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
		cr_assert_eq(rig.motor_count, i + 1);
		rig_motor(CV_OK);
		cr_assert_eq(rig_state(n), CV_VEND_STATE_VERIFYING);
		rig_step(rig.config.timeouts.verify_ms - 1);
		cr_assert_eq(rig_state(n), CV_VEND_STATE_VERIFYING, "re-spun before the drop window closed");
		rig_step(1);
	}
	cr_assert_eq(rig.motor_count, 4, "one movement plus respin_count_max re-spins");
	cr_assert_eq(rig.motors[0].quarter_turns, 4);
	cr_assert_eq(rig.motors[1].quarter_turns, 1);
	cr_assert_eq(rig.motors[2].quarter_turns, 1);
	cr_assert_eq(rig.motors[3].quarter_turns, 1);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(rig.motors[i].lane, 0);
		cr_assert_eq(rig.motors[i].timeout_ms, rig.config.timeouts.motor_ms);
	}
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(v.reason, CV_VEND_REASON_NO_DROP);
	cr_assert_eq(v.respins, 3);
	cr_assert_not(v.drop_verified);
	cr_assert_eq(rig_stats().respins, 3);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	cr_assert_str_eq(rig_last_payment()->auth_key, rig.payments[0].idempotency_key);
	cr_assert_not(rig.sensor_armed, "the sensor is released after the vend");
	cr_assert_eq(rig_msg(), CV_MSG_NOT_DISPENSED);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_lane(0).config.count, 5, "no verified drop, no stock change");
	cr_assert_eq(rig_lane(0).consecutive_failures, 1);
	cr_assert_eq(rig_lane(0).vends_failed, 1);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_eq(r->status, CV_RECEIPT_NOT_CHARGED);
	struct cv_machine_stats s = rig_stats();
	cr_assert_eq(s.vends_voided, 1);
	cr_assert_eq(s.drops_verified, 0);
	cr_assert_eq(s.captured_minor, 0);
	for (unsigned i = 0; i < rig.payment_count; i++)
		cr_assert_neq(rig.payments[i].op, CV_PAYMENT_OP_CAPTURE, "captured without a drop");
}

Test(dispense, drop_after_the_second_respin_is_captured)
{
	uint32_t n = authorized(0);
	for (unsigned i = 0; i < 2; i++) {
		rig_motor(CV_OK);
		rig_step(rig.config.timeouts.verify_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert_eq(rig.motor_count, 3);
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VERIFYING);
	rig_drop();
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(v.respins, 2);
	cr_assert(v.drop_verified);
	cr_assert_eq(rig_stats().respins, 2);
	cr_assert_eq(rig_stats().drops_verified, 1);
	cr_assert_eq(rig_msg(), CV_MSG_TAKE_PRODUCT);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig.motor_count, 3, "no re-spin after the drop");
	cr_assert_eq(rig_lane(0).config.count, 4);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_CHARGED);
}

Test(dispense, drop_during_the_movement_is_captured_once_the_motor_reports)
{
	uint32_t n = authorized(0);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING, "waits for the motor to get home");
	cr_assert_eq(rig.payment_count, 1, "no capture before the motor reports");
	cr_assert_eq(rig_lane(0).config.count, 5);
	rig_motor(CV_OK);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(v.respins, 0);
	cr_assert_eq(rig.motor_count, 1);
	cr_assert_eq(rig_lane(0).config.count, 4);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_stats().drops_verified, 1, "one drop counted once");
}

Test(dispense, motor_jam_raises_the_alert_once_and_voids)
{
	uint32_t n = authorized(0);
	rig_motor(CV_E_JAM);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(v.reason, CV_VEND_REASON_MOTOR_JAM);
	cr_assert_eq(rig.motor_count, 1, "a jammed motor is not re-spun");
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1);
	cr_assert_eq(rig_lane(0).consecutive_failures, 1);
	cr_assert_eq(rig_msg(), CV_MSG_NOT_DISPENSED);
	cr_assert_not(rig.sensor_armed);
	void_ok(n);
	cr_assert_eq(rig_lane(0).config.count, 5);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);

	/* A second jam on the same lane does not raise the alert again. */
	rig_step(rig.config.timeouts.message_ms);
	uint32_t m = authorized(0);
	rig_motor(CV_E_JAM);
	cr_assert_eq(rig_vend(m).reason, CV_VEND_REASON_MOTOR_JAM);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1, "alert raised twice for one condition");
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, false), 0);
	cr_assert_eq(rig_lane(0).consecutive_failures, 2);
}

Test(dispense, jam_after_the_drop_was_seen_still_captures)
{
	uint32_t n = authorized(0);
	rig_drop();
	rig_motor(CV_E_JAM);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert(v.drop_verified);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1, "the jam is still reported");
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, false), 0, "and stays active: the motor never got home");
	cr_assert_eq(rig_lane(0).config.count, 4);
	cr_assert_eq(rig_lane(0).consecutive_failures, 0, "a delivered vend is not a failure");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_CHARGED);
}

Test(dispense, motor_timeout_stops_the_motor_and_voids)
{
	uint32_t n = authorized(0);
	struct cv_dispense_request motor = *rig_last_motor();
	rig_step(rig.config.timeouts.motor_ms - 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert_eq(rig.stop_count, 0);
	rig_step(1);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(v.reason, CV_VEND_REASON_MOTOR_TIMEOUT);
	cr_assert_eq(rig.stop_count, 1);
	cr_assert_eq(rig.motor_count, 1);
	cr_assert_eq(rig_lane(0).consecutive_failures, 1);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1);
	/* The motor reports late: ignored. */
	struct cv_event late = {.type = CV_EVENT_DISPENSE_DONE};
	late.u.dispense.op_id = motor.op_id;
	late.u.dispense.lane = motor.lane;
	late.u.dispense.status = CV_OK;
	cr_assert_eq(cv_machine_post(rig.m, &late), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	void_ok(n);
	cr_assert_eq(rig_lane(0).config.count, 5);
}

Test(dispense, repeated_failures_quarantine_the_lane)
{
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(rig_lane(0).quarantined, false);
		cr_assert_eq(rig_alerts(CV_ALERT_LANE_QUARANTINED, 0, true), 0);
		uint32_t n = rig_vend_no_drop(0);
		void_ok(n);
		cr_assert_eq(rig_lane(0).consecutive_failures, i + 1);
		rig_step(rig.config.timeouts.message_ms);
	}
	struct cv_lane_info l = rig_lane(0);
	cr_assert(l.quarantined);
	cr_assert_eq(l.availability, CV_LANE_QUARANTINED);
	cr_assert_eq(l.vends_failed, 3);
	cr_assert_eq(rig_alerts(CV_ALERT_LANE_QUARANTINED, 0, true), 1);
	unsigned payments = rig.payment_count;
	cr_assert_eq(cv_machine_select(rig.m, 0, NULL), CV_E_OUT_OF_SERVICE);
	rig_step(0);
	cr_assert_eq(rig.payment_count, payments, "a quarantined lane starts no vend");
	cr_assert_eq(rig_msg(), CV_MSG_UNAVAILABLE);
	/* Other lanes still sell. */
	rig_step(rig.config.timeouts.message_ms);
	rig_vend_ok(1);
}

Test(dispense, a_verified_vend_resets_the_failure_count)
{
	void_ok(rig_vend_no_drop(0));
	rig_step(rig.config.timeouts.message_ms);
	void_ok(rig_vend_no_drop(0));
	cr_assert_eq(rig_lane(0).consecutive_failures, 2);
	rig_step(rig.config.timeouts.message_ms);
	rig_vend_ok(0);
	cr_assert_eq(rig_lane(0).consecutive_failures, 0);
	cr_assert_eq(rig_lane(0).vends_verified, 1);
	cr_assert_eq(rig_lane(0).vends_failed, 2);
	/* Two more failures are not enough to quarantine now. */
	for (unsigned i = 0; i < 2; i++) {
		rig_step(rig.config.timeouts.message_ms);
		void_ok(rig_vend_no_drop(0));
	}
	cr_assert_not(rig_lane(0).quarantined);
	cr_assert_eq(rig_lane(0).availability, CV_LANE_AVAILABLE);
	cr_assert_eq(rig_alerts(CV_ALERT_LANE_QUARANTINED, 0, true), 0);
}

Test(dispense, clearing_quarantine_in_service_returns_the_lane)
{
	for (unsigned i = 0; i < 3; i++) {
		uint32_t n = authorized(0);
		rig_motor(CV_E_JAM);
		void_ok(n);
		rig_step(rig.config.timeouts.message_ms);
	}
	cr_assert(rig_lane(0).quarantined);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1);
	cr_assert_eq(cv_machine_lane_clear_quarantine(rig.m, 0), CV_E_STATE, "only in service mode");
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_clear_quarantine(rig.m, 0), CV_OK);
	struct cv_lane_info l = rig_lane(0);
	cr_assert_not(l.quarantined);
	cr_assert_eq(l.consecutive_failures, 0);
	cr_assert_eq(rig_alerts(CV_ALERT_LANE_QUARANTINED, 0, false), 1);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, false), 1);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_lane(0).availability, CV_LANE_AVAILABLE);
	uint32_t n = rig_vend_ok(0);
	cr_assert_eq(rig_vend(n).lane, 0);
	cr_assert_eq(rig_lane(0).config.count, 4);
}

Test(dispense, verify_off_lane_never_arms_and_captures_after_the_motor)
{
	rig_teardown();
	rig_setup();
	rig.lanes[2].verify_mode = CV_VERIFY_MODE_OFF;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	uint32_t n = authorized(2);
	cr_assert_eq(rig.arm_count, 0);
	rig_motor(CV_OK);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_CAPTURE_PENDING, "no drop window for a lane without sensor");
	cr_assert(v.drop_verified);
	cr_assert_eq(v.respins, 0);
	cr_assert_eq(rig.motor_count, 1);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig.arm_count, 0);
	cr_assert_eq(rig.disarm_count, 0);
	cr_assert_eq(rig_lane(2).config.count, 4);
}

Test(dispense, sensor_fault_blocks_required_lanes_but_optional_lanes_sell)
{
	rig_teardown();
	rig_setup();
	rig.lanes[1].verify_mode = CV_VERIFY_MODE_OPTIONAL;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	rig_sensor(true);
	cr_assert_eq(rig_alerts(CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, true), 1);
	struct cv_lane_info req = rig_lane(0);
	cr_assert_eq(req.availability, CV_LANE_NO_SENSOR);
	cr_assert_eq(cv_machine_select(rig.m, 0, NULL), CV_E_SENSOR);
	cr_assert_eq(rig.payment_count, 0);
	cr_assert_eq(rig_lane(1).availability, CV_LANE_AVAILABLE);
	rig_step(rig.config.timeouts.message_ms);
	uint32_t n = authorized(1);
	cr_assert_eq(rig.arm_count, 0, "a faulted sensor is not armed");
	rig_motor(CV_OK);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert(v.drop_verified);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_lane(1).config.count, 4);
	/* A repeated fault report raises nothing new; recovery clears it. */
	rig_sensor(true);
	cr_assert_eq(rig_alerts(CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, true), 1);
	rig_sensor(false);
	cr_assert_eq(rig_alerts(CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, false), 1);
	cr_assert_eq(rig_lane(0).availability, CV_LANE_AVAILABLE);
}

Test(dispense, sensor_fault_while_verifying_voids_without_respin_or_lane_failure)
{
	uint32_t n = authorized(0);
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VERIFYING);
	rig_sensor(true);
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(v.reason, CV_VEND_REASON_SENSOR_FAULT);
	cr_assert_eq(v.respins, 0);
	rig_step(rig.config.timeouts.verify_ms);
	cr_assert_eq(rig.motor_count, 1, "no re-spin that nobody could verify");
	cr_assert_eq(rig_stats().respins, 0);
	cr_assert_eq(rig_lane(0).consecutive_failures, 0, "the sensor's fault is not the lane's");
	cr_assert_eq(rig_lane(0).vends_failed, 0);
	cr_assert_eq(rig_msg(), CV_MSG_NOT_DISPENSED);
	void_ok(n);
	cr_assert_eq(rig_lane(0).config.count, 5);
}

Test(dispense, dispenser_refusing_to_start_voids)
{
	rig.start_rc = CV_E_IO;
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig.motor_count, 1, "start was called once");
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(v.reason, CV_VEND_REASON_DISPENSER_ERROR);
	cr_assert_not(rig.sensor_armed, "the sensor is released");
	cr_assert_eq(rig_msg(), CV_MSG_NOT_DISPENSED);
	void_ok(n);
	cr_assert_eq(rig_lane(0).config.count, 5);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
}

Test(dispense, sensor_arm_failure_on_a_required_lane_never_turns_the_motor)
{
	rig.arm_rc = CV_E_IO;
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig.arm_count, 1);
	cr_assert_eq(rig.motor_count, 0, "motor turned with no way to verify the drop");
	struct cv_vend_info v = rig_vend(n);
	cr_assert_eq(v.state, CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(v.reason, CV_VEND_REASON_SENSOR_FAULT);
	cr_assert_eq(rig_alerts(CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, true), 1);
	cr_assert_eq(rig_lane(0).consecutive_failures, 0);
	void_ok(n);
	cr_assert_eq(rig_lane(0).config.count, 5);
}

Test(dispense, unknown_capture_is_resent_with_the_same_key)
{
	uint32_t n = authorized(0);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	struct cv_payment_request first = *rig_last_payment();
	cr_assert_eq(first.op, CV_PAYMENT_OP_CAPTURE);
	unsigned before = rig.payment_count;
	rig_pay(CV_PAY_UNKNOWN);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_eq(rig.payment_count, before + 1, "resent once after the backoff");
	const struct cv_payment_request *again = rig_last_payment();
	cr_assert_eq(again->op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_str_eq(again->idempotency_key, first.idempotency_key);
	cr_assert_str_eq(again->auth_key, first.auth_key);
	cr_assert_eq(again->amount.amount_minor, first.amount.amount_minor);
	cr_assert_neq(again->op_id, first.op_id);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	struct cv_machine_stats s = rig_stats();
	cr_assert_eq(s.vends_captured, 1);
	cr_assert_eq(s.captured_minor, 150);
	cr_assert_eq(s.unknown_outcomes, 1);
	cr_assert_eq(rig_lane(0).config.count, 4, "one item taken, whatever the retries");
}

Test(dispense, invalid_capture_fails_for_good)
{
	uint32_t n = authorized(0);
	rig_motor(CV_OK);
	rig_drop();
	unsigned before = rig.payment_count;
	rig_pay(CV_PAY_INVALID);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_FAILED);
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_eq(rig.payment_count, before, "a definite failure is not resent");
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_FAILED, 0, true), 1);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_eq(r->status, CV_RECEIPT_CHARGE_FAILED);
	struct cv_machine_stats s = rig_stats();
	cr_assert_eq(s.vends_capture_failed, 1);
	cr_assert_eq(s.captured_minor, 0);
	cr_assert_eq(s.dispensed_value_minor, 150);
	cr_assert_eq(rig_lane(0).config.count, 4, "the product did leave the machine");
}

Test(dispense, void_that_stays_unknown_is_never_dropped)
{
	rig_teardown();
	rig_setup();
	rig.config.settle_attempts_max = 3;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	uint32_t n = rig_vend_no_drop(0);
	struct cv_payment_request first = *rig_last_payment();
	cr_assert_eq(first.op, CV_PAYMENT_OP_VOID);
	for (unsigned i = 0; i < 6; i++) {
		cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING, "send %u", i);
		cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
		cr_assert_str_eq(rig_last_payment()->idempotency_key, first.idempotency_key);
		cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_STALLED, CV_ALERT_NO_LANE, true), i < 3 ? 0 : 1,
			     "the operator hears of it once the budget of 3 is used, once");
		rig_pay(CV_PAY_UNKNOWN);
		rig_step(rig.config.timeouts.retry_cap_ms);
	}
	unsigned sent = 0;
	for (unsigned i = 0; i < rig.payment_count; i++)
		sent += rig.payments[i].op == CV_PAYMENT_OP_VOID;
	cr_assert_eq(sent, 7, "the void goes on past the budget, same key, at most retry_cap_ms apart");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_NO_DROP, "the void keeps the reason it was sent for");
	rig_step(0);
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_STALLED, CV_ALERT_NO_LANE, false), 1, "cleared once settled");
	cr_assert_eq(rig_stats().vends_void_failed, 0);
	cr_assert_eq(rig_stats().vends_voided, 1);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
	cr_assert_eq(rig_lane(0).config.count, 5);
}

/* The rig's wall clock starts at 1767268800 s. */
static uint32_t vend_to_capture_pending(int64_t capture_before_s)
{
	rig.pay_capture_before_s = capture_before_s;
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	rig_step(0);
	return n;
}

Test(dispense, capture_within_a_day_of_its_deadline_alerts_the_operator)
{
	uint32_t n = vend_to_capture_pending(1767268800 + 3600);
	cr_assert_eq(rig_vend(n).capture_before_s, 1767268800 + 3600, "the deadline is kept with the vend");
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_STALLED, CV_ALERT_NO_LANE, true), 1);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	rig_step(0);
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_STALLED, CV_ALERT_NO_LANE, false), 1);
}

Test(dispense, capture_far_from_its_deadline_raises_nothing)
{
	uint32_t n = vend_to_capture_pending(1767268800 + 7 * 86400);
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_STALLED, CV_ALERT_NO_LANE, true), 0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
}

Test(dispense, void_not_found_counts_as_voided)
{
	uint32_t n = rig_vend_no_drop(0);
	rig_pay(CV_PAY_NOT_FOUND);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_stats().vends_voided, 1);
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_FAILED, 0, true), 0);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
}

Test(dispense, a_movement_that_reaches_home_clears_the_jam_alert)
{
	uint32_t a = authorized(0);
	rig_motor(CV_E_JAM);
	cr_assert_eq(rig_state(a), CV_VEND_STATE_VOID_PENDING);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, true), 1);
	uint32_t b = authorized(0);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, false), 0, "still jammed until the motor proves otherwise");
	rig_motor(CV_OK);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, false), 1);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(b), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_alerts(CV_ALERT_MOTOR_JAM, 0, false), 1, "cleared once");
}
