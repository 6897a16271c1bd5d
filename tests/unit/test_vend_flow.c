/* SPDX-License-Identifier: MIT */
/* The payment side of the vend state machine: happy path, declines, unknown
 * outcomes, timeouts, cancels. */
#include <criterion/criterion.h>
#include <string.h>

#include "rig.h"

static unsigned rig_pay_count_authorize(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < rig.payment_count; i++)
		n += rig.payments[i].op == CV_PAYMENT_OP_AUTHORIZE;
	return n;
}

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(vend_flow, .init = start, .fini = rig_teardown);

Test(vend_flow, happy_path_visits_every_state_and_charges_once)
{
	uint32_t n = rig_vend_ok(0);
	static const enum cv_vend_state path[] = {
		CV_VEND_STATE_SELECTED,   CV_VEND_STATE_AUTH_PENDING, CV_VEND_STATE_AUTHORIZED,
		CV_VEND_STATE_DISPENSING, CV_VEND_STATE_VERIFYING,    CV_VEND_STATE_CAPTURE_PENDING,
		CV_VEND_STATE_CAPTURED,
	};
	for (unsigned i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		cr_assert(rig_visited(n, path[i]), "never in %s", cv_vend_state_str(path[i]));
	cr_assert_eq(rig_lane(0).config.count, 4);
	struct cv_machine_stats s = rig_stats();
	cr_assert_eq(s.vends_captured, 1);
	cr_assert_eq(s.captured_minor, 150);
	cr_assert_eq(s.dispensed_value_minor, 150);
	cr_assert_eq(rig.payment_count, 2, "one authorize, one capture");
	cr_assert_eq(rig.payments[1].op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_eq(rig.payments[1].amount.amount_minor, 150);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_eq(r->status, CV_RECEIPT_CHARGED);
	cr_assert_str_eq(r->card.last4, "4242");
	cr_assert_str_eq(r->machine_id, "rig-1");
	cr_assert_eq(r->amount.amount_minor, 150);
}

Test(vend_flow, nothing_is_sent_before_a_step_makes_the_intent_durable)
{
	uint32_t n = 0;
	cr_assert_eq(cv_machine_select(rig.m, 0, &n), CV_OK);
	cr_assert_eq(rig.payment_count, 0);
	cr_assert_eq(rig_msg(), CV_MSG_PRESENT_CARD);
	rig_step(0);
	cr_assert_eq(rig.payment_count, 1);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE);
}

Test(vend_flow, idempotency_keys_derive_from_the_vend_id)
{
	uint32_t n = rig_vend_ok(0);
	struct cv_vend_info v = rig_vend(n);
	char expected[CV_IDEM_KEY_LEN];
	cr_assert_eq(strlen(v.vend_id), 26);
	strcpy(expected, "cv1.");
	strcat(expected, v.vend_id);
	strcat(expected, ".auth.1");
	cr_assert_str_eq(rig.payments[0].idempotency_key, expected);
	strcpy(expected + 4 + 26, ".cap");
	cr_assert_str_eq(rig.payments[1].idempotency_key, expected);
	cr_assert_str_eq(rig.payments[1].auth_key, rig.payments[0].idempotency_key);
	cr_assert_str_eq(rig.payments[1].processor_ref, "pi_rig_1");
}

Test(vend_flow, two_vends_get_different_ids)
{
	uint32_t a = rig_vend_ok(0);
	char id[CV_VEND_ID_LEN];
	strcpy(id, rig_vend(a).vend_id);
	uint32_t b = rig_vend_ok(1);
	cr_assert_neq(a, b);
	cr_assert_str_neq(id, rig_vend(b).vend_id);
}

Test(vend_flow, decline_lets_the_customer_retry_with_a_new_key)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_DECLINED);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	cr_assert_eq(rig_msg(), CV_MSG_DECLINED_TRY_AGAIN);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(rig.payment_count, 1, "nothing held, so nothing to void");
	cr_assert_eq(rig_stats().declines, 1);
	cr_assert_eq(rig_select(0), n, "retry keeps the vend");
	cr_assert_eq(rig.payment_count, 2);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE);
	cr_assert_str_neq(rig.payments[0].idempotency_key, rig.payments[1].idempotency_key);
	cr_assert(strstr(rig.payments[1].idempotency_key, ".auth.2") != NULL);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_vend(n).auth_attempt, 2);
}

Test(vend_flow, declines_up_to_the_attempt_limit_abandon_the_vend)
{
	uint32_t n = rig_select(0);
	for (unsigned i = 1; i < CV_AUTH_ATTEMPTS_MAX; i++) {
		rig_pay(CV_PAY_DECLINED);
		cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
		rig_select(0);
	}
	rig_pay(CV_PAY_DECLINED);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_DECLINED);
	cr_assert_eq(rig_msg(), CV_MSG_PAYMENT_FAILED);
	cr_assert_eq(rig_stats().vends_abandoned, 1);
	cr_assert_null(rig_last_receipt(), "nothing happened, so no receipt");
}

Test(vend_flow, decline_then_another_lane_starts_a_new_vend)
{
	uint32_t a = rig_select(0);
	rig_pay(CV_PAY_DECLINED);
	uint32_t b = rig_select(1);
	cr_assert_neq(a, b);
	cr_assert_eq(rig_state(a), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig_state(b), CV_VEND_STATE_AUTH_PENDING);
	cr_assert_eq(rig_last_payment()->amount.amount_minor, 150);
}

Test(vend_flow, decline_then_walk_away_times_out)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_DECLINED);
	rig_step(rig.config.timeouts.session_ms - 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	rig_step(1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_SESSION_TIMEOUT);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
}

Test(vend_flow, decline_then_cancel_abandons)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_DECLINED);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_CUSTOMER_CANCEL);
	cr_assert_eq(rig_msg(), CV_MSG_CANCELLED);
}

Test(vend_flow, unknown_authorization_is_looked_up_never_resent)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
	cr_assert_eq(rig_msg(), CV_MSG_CHECKING_PAYMENT);
	cr_assert_eq(rig.payment_count, 2);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
	cr_assert_str_eq(rig_last_payment()->auth_key, rig.payments[0].idempotency_key);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	unsigned authorizations = 0;
	for (unsigned i = 0; i < rig.payment_count; i++)
		authorizations += rig.payments[i].op == CV_PAYMENT_OP_AUTHORIZE;
	cr_assert_eq(authorizations, 1, "an unknown outcome must never cause a second authorization");
	cr_assert_eq(rig_stats().unknown_outcomes, 1);
}

/* The lost authorization may still reach the processor after the lookup
 * found nothing: a retry resends the same key, so at most one hold exists. */
Test(vend_flow, unknown_then_not_found_retries_with_the_same_key)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	rig_pay(CV_PAY_NOT_FOUND);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	rig_select(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, rig.payments[0].idempotency_key);
	/* A definite decline of that retry does allow a new key. */
	rig_pay(CV_PAY_DECLINED);
	rig_select(0);
	cr_assert(strstr(rig_last_payment()->idempotency_key, ".auth.2") != NULL);
	cr_assert_eq(rig_pay_count_authorize(), 3);
}

/* A resent key whose first request may still land keeps that duty when
 * the resend itself never left the machine: no second key, no second hold. */
Test(vend_flow, a_resent_key_that_was_not_sent_is_resent_again)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	rig_pay(CV_PAY_NOT_FOUND);
	rig_select(0);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, rig.payments[0].idempotency_key);
	rig_pay(CV_PAY_NOT_SENT);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	rig_select(0);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, rig.payments[0].idempotency_key,
			 "a not-sent resend does not free the key");
}

/* A lookup that finds the hold cancelled (released, expired) means the key
 * is spent: resending it could only replay an approval for a dead hold. */
Test(vend_flow, unknown_then_cancelled_retries_with_a_new_key)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	rig_pay(CV_PAY_CANCELLED);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	rig_select(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE);
	cr_assert(strstr(rig_last_payment()->idempotency_key, ".auth.2") != NULL, "got %s",
		  rig_last_payment()->idempotency_key);
}

Test(vend_flow, lookup_that_stays_unknown_ends_in_a_void_without_dispensing)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	for (unsigned i = 0; i < rig.config.lookup_attempts_max; i++) {
		cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
		cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
		unsigned before = rig.payment_count;
		rig_pay(CV_PAY_UNKNOWN);
		if (i + 1 < rig.config.lookup_attempts_max) {
			cr_assert_eq(rig.payment_count, before, "retry waits for its backoff");
			rig_step(rig.config.timeouts.retry_cap_ms);
			cr_assert_eq(rig.payment_count, before + 1);
		}
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	cr_assert_eq(rig_msg(), CV_MSG_PAYMENT_FAILED);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_PAYMENT_UNKNOWN);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
}

Test(vend_flow, payment_timeout_is_an_unknown_outcome_and_late_answers_are_ignored)
{
	uint32_t n = rig_select(0);
	struct cv_payment_request first = *rig_last_payment();
	rig_step(rig.config.timeouts.payment_ms - 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_PENDING);
	rig_step(1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
	cr_assert_eq(rig.abort_count, 1, "the reader stops collecting");
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_PAYMENT_TIMEOUT);
	/* The original authorization answers late: it must not move the vend. */
	struct cv_event late = {.type = CV_EVENT_PAYMENT_RESULT};
	late.u.payment.op_id = first.op_id;
	late.u.payment.op = CV_PAYMENT_OP_AUTHORIZE;
	late.u.payment.result = CV_PAY_OK;
	late.u.payment.amount = first.amount;
	cr_assert_eq(cv_machine_post(rig.m, &late), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
	cr_assert_eq(rig.motor_count, 0);
}

Test(vend_flow, cancel_before_the_authorization_is_sent_abandons)
{
	uint32_t n = 0;
	cr_assert_eq(cv_machine_select(rig.m, 0, &n), CV_OK);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig.payment_count, 0);
	cr_assert_eq(rig_msg(), CV_MSG_CANCELLED);
}

Test(vend_flow, cancel_while_collecting_aborts_the_reader)
{
	uint32_t n = rig_select(0);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	cr_assert_eq(rig.abort_count, 1);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_PENDING, "waits for the reader's answer");
	rig_pay(CV_PAY_CANCELLED);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_ABANDONED);
	cr_assert_eq(rig.motor_count, 0);
}

Test(vend_flow, cancel_racing_an_approval_voids_the_hold)
{
	uint32_t n = rig_select(0);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_CUSTOMER_CANCEL);
}

Test(vend_flow, cancel_during_lookup_voids_a_found_hold)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig.motor_count, 0);
}

Test(vend_flow, cancel_is_refused_once_the_motor_runs)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_E_STATE);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
}

Test(vend_flow, cancel_without_a_customer_is_refused)
{
	cr_assert_eq(cv_machine_cancel(rig.m), CV_E_STATE);
}

Test(vend_flow, a_hold_smaller_than_the_price_is_voided)
{
	uint32_t n = rig_select(0);
	rig_pay_amount(CV_PAY_OK, 100);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_SHORT_AUTHORIZATION);
	cr_assert_eq(rig.motor_count, 0);
}

Test(vend_flow, authorize_refused_by_the_backend_is_a_definite_failure)
{
	rig.authorize_rc = CV_E_IO;
	uint32_t n = rig_select(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_PAYMENT_FAILED);
	cr_assert_eq(rig.motor_count, 0);
}

Test(vend_flow, a_second_customer_is_refused_while_one_is_served)
{
	rig_select(0);
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_BUSY);
}

Test(vend_flow, the_next_customer_buys_while_a_capture_is_pending)
{
	uint32_t a = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(a), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(rig_msg(), CV_MSG_TAKE_PRODUCT);
	struct cv_payment_request capture = *rig_last_payment();
	uint32_t b = rig_select(1);
	cr_assert_eq(rig_state(b), CV_VEND_STATE_AUTH_PENDING);
	cr_assert_eq(cv_machine_open_vends(rig.m), 2);
	/* Answer the first vend's capture now. */
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	ev.u.payment.op_id = capture.op_id;
	ev.u.payment.op = CV_PAYMENT_OP_CAPTURE;
	ev.u.payment.result = CV_PAY_OK;
	ev.u.payment.amount = capture.amount;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_state(a), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_state(b), CV_VEND_STATE_AUTH_PENDING);
}

static enum cv_status reentrant_step_status = CV_OK;

static void step_from_listener(const struct cv_event *event)
{
	if (event->type == CV_EVENT_VEND_STATE)
		reentrant_step_status = cv_machine_step(rig.m, rig.now_ms);
}

Test(vend_flow, a_listener_cannot_step_the_machine_it_listens_to)
{
	rig.hook = step_from_listener;
	uint32_t n = rig_select(0);
	cr_assert_eq(reentrant_step_status, CV_E_MISUSE);
	rig.hook = NULL;
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING, "the outer step carried on normally");
}

Test(vend_flow, a_card_read_by_the_reader_shows_authorizing)
{
	uint32_t n = rig_select(0);
	cr_assert_eq(rig_msg(), CV_MSG_PRESENT_CARD);
	struct cv_event read = {.type = CV_EVENT_CARD_READ};
	read.u.card_read.op_id = rig_last_payment()->op_id + 1000; /* Not this authorization. */
	cr_assert_eq(cv_machine_post(rig.m, &read), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_msg(), CV_MSG_PRESENT_CARD, "a read for another operation changes nothing");
	read.u.card_read.op_id = rig_last_payment()->op_id;
	cr_assert_eq(cv_machine_post(rig.m, &read), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_msg(), CV_MSG_AUTHORIZING);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_PENDING, "progress is not a result");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_msg(), CV_MSG_DISPENSING);
}

Test(vend_flow, a_lookup_that_never_answers_is_retried_then_voided)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	for (unsigned i = 0; i < rig.config.lookup_attempts_max; i++) {
		cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
		cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
		cr_assert_eq(rig_last_payment()->timeout_ms, rig.config.timeouts.lookup_ms);
		rig_step(rig.config.timeouts.lookup_ms); /* No answer at all. */
		if (i + 1 < rig.config.lookup_attempts_max)
			rig_step(rig.config.timeouts.retry_cap_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(rig_stats().unknown_outcomes, 1 + rig.config.lookup_attempts_max);
}

Test(vend_flow, a_capture_that_never_answers_is_resent_with_the_same_key)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	struct cv_payment_request first = *rig_last_payment();
	cr_assert_eq(first.op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_eq(first.timeout_ms, rig.config.timeouts.settle_ms);
	rig_step(rig.config.timeouts.settle_ms);
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_eq(rig.payment_count, 3, "resent after the timeout and the backoff");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, first.idempotency_key);
	cr_assert_eq(rig_last_payment()->amount.amount_minor, first.amount.amount_minor);
	cr_assert_neq(rig_last_payment()->op_id, first.op_id);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig_stats().captured_minor, 150, "captured once");
}

Test(vend_flow, a_void_that_never_answers_is_resent_with_the_same_key)
{
	uint32_t n = rig_select(0);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_pay(CV_PAY_OK);
	struct cv_payment_request first = *rig_last_payment();
	cr_assert_eq(first.op, CV_PAYMENT_OP_VOID);
	rig_step(rig.config.timeouts.settle_ms);
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, first.idempotency_key);
	cr_assert_str_eq(rig_last_payment()->auth_key, first.auth_key);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
}

/* The write-ahead rule needs one durable point per side effect: authorize,
 * motor, capture. Everything else rides along or waits for flush_ms. */
Test(vend_flow, a_vend_costs_one_sync_per_side_effect)
{
	unsigned before = rig.storage.sync_count;
	rig_vend_ok(0);
	cr_assert_eq(rig.storage.sync_count - before, 3, "authorize, motor, capture");
	rig_vend_ok(1);
	cr_assert_eq(rig.storage.sync_count - before, 6, "the first vend's final record rode along");
	cr_assert_lt(rig.storage.synced_seq, rig.storage.last_seq);
	rig_step(rig.config.timeouts.flush_ms - 1);
	cr_assert_eq(rig.storage.sync_count - before, 6);
	rig_step(1);
	cr_assert_eq(rig.storage.sync_count - before, 7, "records nothing waits for: within flush_ms");
	cr_assert_eq(rig.storage.synced_seq, rig.storage.last_seq);
}

static void restart_single_message(void)
{
	rig_teardown();
	rig_setup();
	rig.payment_caps = CV_PAYMENT_CAP_SINGLE_MESSAGE;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

/* Single-message methods (Interac, eftpos) take the money at authorization:
 * a verified drop needs no capture, and a failed vend is refunded. */
Test(vend_flow, a_single_message_payment_is_never_captured_again)
{
	restart_single_message();
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig.payment_count, 1, "no capture for money already taken");
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_CHARGED);
	cr_assert_eq(rig_stats().captured_minor, 150);
}

Test(vend_flow, a_failed_single_message_vend_is_refunded_not_voided)
{
	restart_single_message();
	uint32_t n = rig_vend_no_drop(0);
	const struct cv_payment_request *r = rig_last_payment();
	cr_assert_eq(r->op, CV_PAYMENT_OP_REFUND);
	cr_assert(strstr(r->idempotency_key, ".ref.1") != NULL, "key %s", r->idempotency_key);
	cr_assert_str_eq(r->auth_key, rig.payments[0].idempotency_key);
	cr_assert_eq(r->amount.amount_minor, 150);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
}

/* The money of a single-message method is taken at authorization: an
 * approval for more than the price is not a sale of this item (nothing
 * would give the rest back), and a refund gives back exactly what was
 * taken, not the price. Found by review. */
Test(vend_flow, a_single_message_approval_above_the_price_is_refunded_in_full)
{
	restart_single_message();
	uint32_t n = rig_select(0);
	rig_pay_amount(CV_PAY_OK, 200);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING, "got %s", cv_vend_state_str(rig_state(n)));
	cr_assert_eq(rig.motor_count, 0, "no candy on an approval that is not the price");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_REFUND);
	cr_assert_eq(rig_last_payment()->amount.amount_minor, 200, "refund what was taken");
}

Test(vend_flow, a_short_single_message_approval_is_refunded_for_what_was_taken_across_a_restart)
{
	restart_single_message();
	uint32_t n = rig_select(0);
	rig_pay_amount(CV_PAY_OK, 120);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_SHORT_AUTHORIZATION);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_REFUND);
	cr_assert_eq(rig_last_payment()->amount.amount_minor, 120, "the amount taken is journaled");
}

Test(vend_flow, a_single_message_backend_without_refund_is_refused)
{
	rig_teardown();
	rig_setup();
	static struct cv_payment_ops no_refund;
	no_refund = *rig.config.payment;
	no_refund.refund = NULL;
	rig.config.payment = &no_refund;
	rig.payment_caps = CV_PAYMENT_CAP_SINGLE_MESSAGE;
	cr_assert_eq(rig_start(), CV_E_INVAL);
}

Test(vend_flow, rate_limited_and_conflicting_settlements_are_resent_with_the_same_key)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	struct cv_payment_request first = *rig_last_payment();
	rig_pay(CV_PAY_RATE_LIMITED);
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, first.idempotency_key);
	rig_pay(CV_PAY_CONFLICT);
	rig_step(rig.config.timeouts.retry_cap_ms);
	cr_assert_str_eq(rig_last_payment()->idempotency_key, first.idempotency_key);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
}

Test(vend_flow, an_expired_hold_is_a_capture_failure)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_EXPIRED);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_FAILED);
	cr_assert_eq(rig_alerts(CV_ALERT_SETTLEMENT_FAILED, 0, true), 1);
}

Test(vend_flow, an_authorization_still_running_is_looked_up)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_CONFLICT);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
}

Test(vend_flow, a_reader_fault_is_a_definite_failure_the_customer_may_retry)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_READER_FAULT);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_PAYMENT_FAILED);
}

/* The customer walks away while a key may still land (an unknown outcome
 * the lookup could not find): the vend is not abandoned but checked in the
 * background, and a hold that shows up late is voided, never dispensed. */
static uint32_t walk_away_with_a_key_that_may_land(void)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	rig_pay(CV_PAY_NOT_FOUND);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	rig_step(rig.config.timeouts.session_ms);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP, "looked up in the background, not abandoned");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
	cr_assert_str_eq(rig_last_payment()->auth_key, rig.payments[0].idempotency_key);
	return n;
}

Test(vend_flow, a_key_that_may_land_is_checked_after_the_customer_leaves)
{
	uint32_t n = walk_away_with_a_key_that_may_land();
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT, "the next customer is welcome");
	/* The late request landed: the background lookup finds the hold. */
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_SESSION_TIMEOUT, "keeps why the customer left");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	uint32_t next = rig_select(1);
	cr_assert_neq(next, n, "a new customer buys while the old vend settles");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE);
	cr_assert_eq(rig.motor_count, 0, "the late hold is never dispensed");
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
}

Test(vend_flow, a_key_that_never_lands_is_voided_at_the_end_of_the_lookup_budget)
{
	uint32_t n = walk_away_with_a_key_that_may_land();
	for (unsigned i = 0; i < rig.config.lookup_attempts_max; i++) {
		cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
		rig_pay(CV_PAY_NOT_FOUND);
		if (i + 1 < rig.config.lookup_attempts_max)
			rig_step(rig.config.timeouts.retry_cap_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING, "whatever may exist is released");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	rig_pay(CV_PAY_NOT_FOUND);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig.motor_count, 0);
}
