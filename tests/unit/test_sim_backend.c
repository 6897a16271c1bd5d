/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the simulated backends (candyvend-sim), without the engine:
 * this file defines cv_machine_post() itself and records what the sim posts.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/machine.h>
#include <candyvend/sim.h>

#include "leak_check.h"
/* The saved-world tests forge images with valid checksums: they need the layout. */
#include "../../backends/sim/sim_private.h"

/* ---- Fake engine --------------------------------------------------------- */

#define EVENTS_MAX 1024

static struct cv_event events[EVENTS_MAX];
static size_t event_count;
static unsigned post_refusals; /* the next N posts answer CV_E_FULL */
static char machine_storage;
/* Card reads are progress for the screen, kept apart from the results. */
static uint32_t card_read_op_ids[EVENTS_MAX];
static size_t card_read_count;

enum cv_status cv_machine_post(struct cv_machine *machine, const struct cv_event *event)
{
	cr_assert_not_null(machine);
	if (event->type == CV_EVENT_CARD_READ) {
		cr_assert_lt(card_read_count, EVENTS_MAX);
		card_read_op_ids[card_read_count++] = event->u.card_read.op_id;
		return CV_OK;
	}
	if (post_refusals > 0) {
		post_refusals--;
		return CV_E_FULL;
	}
	cr_assert_lt(event_count, EVENTS_MAX);
	events[event_count++] = *event;
	return CV_OK;
}

static struct cv_machine *fake_machine(void)
{
	return (struct cv_machine *)(void *)&machine_storage;
}

/* ---- Helpers ------------------------------------------------------------- */

static struct cv_sim *sim_open(const struct cv_sim_config *config)
{
	struct cv_sim *sim = NULL;
	cr_assert_eq(cv_sim_new(config, &sim), CV_OK);
	cr_assert_eq(cv_sim_dispenser_ops.open(sim, fake_machine()), CV_OK);
	cr_assert_eq(cv_sim_sensor_ops.open(sim, fake_machine()), CV_OK);
	cr_assert_eq(cv_sim_payment_ops.open(sim, fake_machine()), CV_OK);
	event_count = 0;
	card_read_count = 0;
	post_refusals = 0;
	return sim;
}

static struct cv_sim *sim_open_default(void)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	return sim_open(&config);
}

static struct cv_payment_request pay_request(enum cv_payment_op op, uint32_t op_id, const char *key,
					     const char *auth_key, int64_t amount_minor)
{
	struct cv_payment_request request;
	memset(&request, 0, sizeof(request));
	request.op = op;
	request.op_id = op_id;
	snprintf(request.idempotency_key, sizeof(request.idempotency_key), "%s", key);
	snprintf(request.auth_key, sizeof(request.auth_key), "%s", auth_key);
	request.amount.amount_minor = amount_minor;
	memcpy(request.amount.currency, "USD", 4);
	return request;
}

static enum cv_status authorize(struct cv_sim *sim, uint32_t op_id, const char *key, int64_t amount_minor)
{
	struct cv_payment_request request = pay_request(CV_PAYMENT_OP_AUTHORIZE, op_id, key, "", amount_minor);
	return cv_sim_payment_ops.authorize(sim, &request);
}

static enum cv_status settle(struct cv_sim *sim, enum cv_payment_op op, uint32_t op_id, const char *key,
			     const char *auth_key, int64_t amount_minor)
{
	struct cv_payment_request request = pay_request(op, op_id, key, auth_key, amount_minor);
	switch (op) {
	case CV_PAYMENT_OP_CAPTURE:
		return cv_sim_payment_ops.capture(sim, &request);
	case CV_PAYMENT_OP_VOID:
		return cv_sim_payment_ops.void_auth(sim, &request);
	case CV_PAYMENT_OP_LOOKUP:
		return cv_sim_payment_ops.lookup(sim, &request);
	case CV_PAYMENT_OP_AUTHORIZE:
	case CV_PAYMENT_OP_REFUND: /* The sim is dual-message: it voids, it never refunds. */
		break;
	}
	return cv_sim_payment_ops.authorize(sim, &request);
}

static enum cv_status dispense(struct cv_sim *sim, uint32_t op_id, uint16_t lane, uint8_t quarter_turns)
{
	struct cv_dispense_request request = {
		.op_id = op_id, .lane = lane, .quarter_turns = quarter_turns, .timeout_ms = 5000};
	return cv_sim_dispenser_ops.start(sim, &request);
}

/* The only payment result recorded; fails unless there is exactly one. */
static struct cv_payment_result only_payment(void)
{
	cr_assert_eq(event_count, 1, "expected one event, got %zu", event_count);
	cr_assert_eq(events[0].type, CV_EVENT_PAYMENT_RESULT);
	return events[0].u.payment;
}

static size_t count_type(enum cv_event_type type)
{
	size_t count = 0;
	for (size_t i = 0; i < event_count; i++)
		if (events[i].type == type)
			count++;
	return count;
}

static struct cv_sim_truth truth_of(const struct cv_sim *sim)
{
	struct cv_sim_truth truth;
	cv_sim_truth(sim, &truth);
	return truth;
}

/* Authorizes with a presented card and returns the answer (time is now + 5 s). */
static struct cv_payment_result pay_with(struct cv_sim *sim, uint64_t *now, const char *key, enum cv_sim_card card)
{
	event_count = 0;
	cr_assert_eq(authorize(sim, 7, key, 150), CV_PENDING);
	cr_assert_eq(cv_sim_present_card(sim, card), CV_OK);
	*now += 5000;
	cv_sim_step(sim, *now);
	return only_payment();
}

/* ---- Configuration ------------------------------------------------------- */

TestSuite(sim_config, .fini = cv_test_leak_check);
TestSuite(sim_determinism, .fini = cv_test_leak_check);
TestSuite(sim_mechanics, .fini = cv_test_leak_check);
TestSuite(sim_payment, .fini = cv_test_leak_check);
TestSuite(sim_platform, .fini = cv_test_leak_check);
TestSuite(sim_scheduler, .fini = cv_test_leak_check);

Test(sim_config, defaults_and_validation)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	cr_assert_eq(config.seed, 1);
	cr_assert_eq(config.lane_count, 1);
	cr_assert_eq(config.stock[0], 10);
	cr_assert_eq(config.payment_latency_ms, 300);
	cr_assert_eq(config.motor_ms, 250);
	cr_assert_eq(config.drop_delay_ms, 100);
	cr_assert_eq(config.jam_permille, 0);

	struct cv_sim *sim = NULL;
	struct cv_sim_config bad = config;
	bad.lane_count = 0;
	cr_assert_eq(cv_sim_new(&bad, &sim), CV_E_INVAL);
	bad.lane_count = CV_LANES_MAX + 1;
	cr_assert_eq(cv_sim_new(&bad, &sim), CV_E_INVAL);
	bad = config;
	bad.false_drop_permille = 1001;
	cr_assert_eq(cv_sim_new(&bad, &sim), CV_E_INVAL);
	bad = config;
	bad.settle_unknown_permille = 1001;
	cr_assert_eq(cv_sim_new(&bad, &sim), CV_E_INVAL);
	cr_assert_null(sim);
	cr_assert_eq(cv_sim_new(NULL, &sim), CV_E_INVAL);

	config.lane_count = CV_LANES_MAX;
	config.jam_permille = 1000;
	cr_assert_eq(cv_sim_new(&config, &sim), CV_OK);
	cr_assert_eq(cv_sim_dispenser_ops.caps(sim), CV_DISPENSER_CAP_PARTIAL_TURN);
	cr_assert_eq(cv_sim_payment_ops.caps(sim), 0, "dual-message, online only");
	cr_assert_eq(cv_sim_script_fault(sim, (enum cv_sim_fault)CV_SIM_FAULT_COUNT), CV_E_INVAL);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MOTOR_JAM), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MOTOR_SILENT), CV_E_FULL);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MISSED_DROP), CV_OK);
	cv_sim_free(sim);
}

/* ---- Payment ------------------------------------------------------------- */

Test(sim_payment, approved_wallet_and_declines_carry_brand_and_last4)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;

	event_count = 0;
	cr_assert_eq(authorize(sim, 7, "v1.auth", 150), CV_PENDING);
	cr_assert(cv_sim_is_collecting(sim));
	cr_assert_eq(truth_of(sim).auth_in_flight, 1);
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_APPROVED), CV_OK);
	cr_assert_not(cv_sim_is_collecting(sim));
	cv_sim_step(sim, 299);
	cr_assert_eq(event_count, 0, "answer before the latency");
	cv_sim_step(sim, 300);
	struct cv_payment_result r = only_payment();
	cr_assert_eq(r.op_id, 7);
	cr_assert_eq(r.op, CV_PAYMENT_OP_AUTHORIZE);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.amount.amount_minor, 150);
	cr_assert_str_eq(r.amount.currency, "USD");
	cr_assert_str_eq(r.card.brand, "VISA");
	cr_assert_str_eq(r.card.last4, "4242");
	cr_assert_eq(strlen(r.card.auth_code), 6);
	cr_assert_eq(strncmp(r.processor_ref, "sim_", 4), 0);
	now = 300;

	r = pay_with(sim, &now, "v2.auth", CV_SIM_CARD_WALLET);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_str_eq(r.card.brand, "MASTERCARD");
	cr_assert_str_eq(r.card.last4, "4444");

	r = pay_with(sim, &now, "v3.auth", CV_SIM_CARD_DECLINED);
	cr_assert_eq(r.result, CV_PAY_DECLINED);
	cr_assert_eq(r.decline_reason, CV_DECLINE_GENERIC);
	cr_assert_str_eq(r.card.last4, "0002");
	cr_assert_str_eq(r.card.auth_code, "");

	r = pay_with(sim, &now, "v4.auth", CV_SIM_CARD_INSUFFICIENT);
	cr_assert_eq(r.result, CV_PAY_DECLINED);
	cr_assert_eq(r.decline_reason, CV_DECLINE_INSUFFICIENT);
	cr_assert_str_eq(r.card.brand, "VISA");
	cr_assert_str_eq(r.card.last4, "9995");

	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.holds_placed, 2);
	cr_assert_eq(truth.holds_open, 2);
	cr_assert_eq(truth.held_minor, 300);
	cr_assert_eq(truth.auth_in_flight, 0);
	cv_sim_free(sim);
}

Test(sim_payment, one_collection_at_a_time)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_APPROVED), CV_E_STATE);
	cr_assert_eq(authorize(sim, 1, "a.auth", 100), CV_PENDING);
	cr_assert_eq(authorize(sim, 2, "b.auth", 100), CV_E_BUSY);
	cr_assert_eq(cv_sim_present_card(sim, (enum cv_sim_card)CV_SIM_CARD_COUNT), CV_E_INVAL);
	cr_assert(cv_sim_is_collecting(sim));
	cv_sim_free(sim);
}

Test(sim_payment, presenting_a_card_reports_the_read_at_once)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(authorize(sim, 41, "r.auth", 100), CV_PENDING);
	cr_assert_eq(card_read_count, 0, "no card yet");
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_DECLINED), CV_OK);
	cr_assert_eq(card_read_count, 1);
	cr_assert_eq(card_read_op_ids[0], 41);
	cr_assert_eq(event_count, 0, "the result itself still waits for the latency");
	cv_sim_free(sim);
}

Test(sim_payment, slow_card_adds_two_seconds)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(authorize(sim, 3, "s.auth", 100), CV_PENDING);
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_SLOW), CV_OK);
	cv_sim_step(sim, 2299);
	cr_assert_eq(event_count, 0);
	cv_sim_step(sim, 2300);
	struct cv_payment_result r = only_payment();
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_str_eq(r.card.brand, "AMEX");
	cr_assert_str_eq(r.card.last4, "8431");
	cv_sim_free(sim);
}

Test(sim_payment, same_key_replays_without_a_second_hold)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	struct cv_payment_result first = pay_with(sim, &now, "v1.auth", CV_SIM_CARD_APPROVED);
	cr_assert_eq(first.result, CV_PAY_OK);

	event_count = 0;
	cr_assert_eq(authorize(sim, 8, "v1.auth", 150), CV_PENDING);
	cr_assert_not(cv_sim_is_collecting(sim), "a replay must not ask for a card");
	now += 300;
	cv_sim_step(sim, now);
	struct cv_payment_result again = only_payment();
	cr_assert_eq(again.op_id, 8);
	cr_assert_eq(again.result, CV_PAY_OK);
	cr_assert_str_eq(again.processor_ref, first.processor_ref);
	cr_assert_str_eq(again.card.auth_code, first.card.auth_code);
	cr_assert_eq(truth_of(sim).holds_placed, 1);

	/* Declines are replayed too; a different amount under the key is invalid. */
	struct cv_payment_result declined = pay_with(sim, &now, "v2.auth", CV_SIM_CARD_DECLINED);
	cr_assert_eq(declined.result, CV_PAY_DECLINED);
	event_count = 0;
	cr_assert_eq(authorize(sim, 9, "v2.auth", 150), CV_PENDING);
	cr_assert_eq(authorize(sim, 10, "v1.auth", 999), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	cr_assert_eq(event_count, 2);
	cr_assert_eq(events[0].u.payment.result, CV_PAY_DECLINED);
	cr_assert_eq(events[1].u.payment.result, CV_PAY_INVALID);
	cv_sim_free(sim);
}

Test(sim_payment, capture_at_most_held_and_only_once)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "v1.auth", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);

	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 20, "v1.cap", "v1.auth", 151), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	cr_assert_eq(only_payment().result, CV_PAY_INVALID);
	cr_assert_eq(truth_of(sim).captures, 0);

	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 21, "v1.cap", "v1.auth", 120), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	struct cv_payment_result r = only_payment();
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_eq(r.amount.amount_minor, 120);

	/* Resend with the same key: same answer, applied once. Another key: refused. */
	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 22, "v1.cap", "v1.auth", 120), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 23, "v1.cap2", "v1.auth", 120), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_VOID, 24, "v1.void", "v1.auth", 0), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	cr_assert_eq(event_count, 3);
	cr_assert_eq(events[0].u.payment.result, CV_PAY_OK);
	cr_assert_eq(events[0].u.payment.amount.amount_minor, 120);
	cr_assert_eq(events[1].u.payment.result, CV_PAY_INVALID);
	cr_assert_eq(events[2].u.payment.result, CV_PAY_INVALID, "a captured hold can't be voided");

	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.captures, 1);
	cr_assert_eq(truth.captured_minor, 120);
	cr_assert_eq(truth.holds_open, 0);
	cr_assert_eq(truth.held_minor, 0);
	cv_sim_free(sim);
}

Test(sim_payment, void_held_is_idempotent_and_unknown_is_not_found)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "v1.auth", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);
	cr_assert_eq(pay_with(sim, &now, "v2.auth", CV_SIM_CARD_DECLINED).result, CV_PAY_DECLINED);

	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_VOID, 30, "x.void", "nope.auth", 0), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_VOID, 31, "v2.void", "v2.auth", 0), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_VOID, 32, "v1.void", "v1.auth", 0), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_VOID, 33, "v1.void", "v1.auth", 0), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 34, "v1.cap", "v1.auth", 150), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	cr_assert_eq(event_count, 5);
	cr_assert_eq(events[0].u.payment.result, CV_PAY_NOT_FOUND);
	cr_assert_eq(events[1].u.payment.result, CV_PAY_NOT_FOUND, "a decline holds nothing");
	cr_assert_eq(events[2].u.payment.result, CV_PAY_OK);
	cr_assert_eq(events[2].u.payment.op_id, 32);
	cr_assert_eq(events[3].u.payment.result, CV_PAY_OK);
	cr_assert_eq(events[4].u.payment.result, CV_PAY_INVALID, "a voided hold can't be captured");

	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.voids, 1);
	cr_assert_eq(truth.holds_open, 0);
	cr_assert_eq(truth.captured_minor, 0);
	cv_sim_free(sim);
}

Test(sim_payment, timeout_cards_answer_unknown_and_lookup_tells_the_truth)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	struct cv_payment_result r = pay_with(sim, &now, "held.auth", CV_SIM_CARD_TIMEOUT_APPROVED);
	cr_assert_eq(r.result, CV_PAY_UNKNOWN);
	cr_assert_str_eq(r.processor_ref, "", "an unknown outcome says nothing else");
	r = pay_with(sim, &now, "none.auth", CV_SIM_CARD_TIMEOUT_NOT_CHARGED);
	cr_assert_eq(r.result, CV_PAY_UNKNOWN);
	cr_assert_eq(truth_of(sim).holds_placed, 1);

	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, 40, "held.look", "held.auth", 0), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, 41, "none.look", "none.auth", 0), CV_PENDING);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_LOOKUP_UNKNOWN), CV_OK);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, 42, "held.look", "held.auth", 0), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	cr_assert_eq(event_count, 3);
	r = events[0].u.payment;
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.op, CV_PAYMENT_OP_LOOKUP);
	cr_assert_eq(r.amount.amount_minor, 150);
	cr_assert_str_eq(r.card.last4, "0119");
	cr_assert_eq(strncmp(r.processor_ref, "sim_", 4), 0);
	cr_assert_eq(events[1].u.payment.result, CV_PAY_NOT_FOUND);
	cr_assert_eq(events[2].u.payment.result, CV_PAY_UNKNOWN);
	cv_sim_free(sim);
}

Test(sim_payment, abort_collect_cancels_and_nothing_is_held)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_payment_ops.abort_collect(sim, 5), CV_E_STATE);
	cr_assert_eq(authorize(sim, 5, "c.auth", 100), CV_PENDING);
	cr_assert_eq(cv_sim_payment_ops.abort_collect(sim, 6), CV_E_STATE, "another op");
	cr_assert_eq(cv_sim_payment_ops.abort_collect(sim, 5), CV_PENDING);
	cr_assert_not(cv_sim_is_collecting(sim));
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_APPROVED), CV_E_STATE);
	cv_sim_step(sim, 0);
	struct cv_payment_result r = only_payment();
	cr_assert_eq(r.op_id, 5);
	cr_assert_eq(r.result, CV_PAY_CANCELLED);
	cr_assert_eq(truth_of(sim).holds_placed, 0);
	cr_assert_eq(truth_of(sim).auth_in_flight, 0);

	/* The processor never heard of the key: a new authorize collects again. */
	cr_assert_eq(authorize(sim, 6, "c.auth", 100), CV_PENDING);
	cr_assert(cv_sim_is_collecting(sim));
	cv_sim_free(sim);
}

Test(sim_payment, scripted_payment_faults)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_AUTH_NOT_SENT), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_AUTH_SILENT), CV_OK);
	cr_assert_eq(pay_with(sim, &now, "a.auth", CV_SIM_CARD_APPROVED).result, CV_PAY_NOT_SENT);
	cr_assert_eq(truth_of(sim).holds_placed, 0);

	event_count = 0;
	cr_assert_eq(authorize(sim, 7, "b.auth", 150), CV_PENDING);
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_APPROVED), CV_OK);
	now += 60000;
	cv_sim_step(sim, now);
	cr_assert_eq(event_count, 0, "a silent authorize never answers");
	cr_assert_eq(truth_of(sim).holds_open, 1, "but the money is held");
	cr_assert_eq(truth_of(sim).auth_in_flight, 0);

	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_CAPTURE_REJECTED), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_CAPTURE_UNKNOWN), CV_OK);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 50, "b.cap", "b.auth", 150), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 51, "b.cap", "b.auth", 150), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 52, "b.cap", "b.auth", 150), CV_PENDING);
	now += 300;
	cv_sim_step(sim, now);
	cr_assert_eq(event_count, 3);
	cr_assert_eq(events[0].u.payment.result, CV_PAY_INVALID);
	cr_assert_eq(events[1].u.payment.result, CV_PAY_UNKNOWN);
	cr_assert_eq(events[2].u.payment.result, CV_PAY_OK, "the resend learns it was applied");
	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.captures, 1);
	cr_assert_eq(truth.captured_minor, 150);
	cv_sim_free(sim);
}

Test(sim_payment, auto_card_answers_without_presentation)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	config.decline_permille = 1000;
	struct cv_sim *sim = sim_open(&config);
	cv_sim_set_auto_card(sim, true);
	cr_assert_eq(authorize(sim, 1, "a.auth", 100), CV_PENDING);
	cr_assert_not(cv_sim_is_collecting(sim));
	cv_sim_step(sim, 300);
	struct cv_payment_result r = only_payment();
	cr_assert_eq(r.result, CV_PAY_DECLINED);
	cr_assert(strcmp(r.card.last4, "0002") == 0 || strcmp(r.card.last4, "9995") == 0);
	cv_sim_free(sim);
}

/* ---- Mechanics ----------------------------------------------------------- */

Test(sim_mechanics, good_vend_drops_and_the_armed_sensor_sees_it)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(dispense(sim, 1, 1, 4), CV_E_INVAL, "one lane only");
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 77, 0), CV_OK);
	cr_assert_eq(dispense(sim, 60, 0, 4), CV_PENDING);
	cr_assert_eq(dispense(sim, 61, 0, 4), CV_E_BUSY);
	cr_assert_eq(truth_of(sim).motor_running, 1);
	cv_sim_step(sim, 999);
	cr_assert_eq(event_count, 0);
	cv_sim_step(sim, 1000);
	cr_assert_eq(event_count, 1);
	cr_assert_eq(events[0].type, CV_EVENT_DISPENSE_DONE);
	cr_assert_eq(events[0].u.dispense.op_id, 60);
	cr_assert_eq(events[0].u.dispense.status, CV_OK);
	cr_assert_eq(truth_of(sim).motor_running, 0);
	cr_assert_eq(truth_of(sim).stock[0], 9, "the item has left the lane");
	cr_assert_eq(truth_of(sim).items_dropped, 0, "but not yet landed");
	cv_sim_step(sim, 1100);
	cr_assert_eq(event_count, 2);
	cr_assert_eq(events[1].type, CV_EVENT_DROP_DETECTED);
	cr_assert_eq(events[1].u.drop.op_id, 77);
	cr_assert_eq(truth_of(sim).items_dropped, 1);
	cv_sim_free(sim);
}

Test(sim_mechanics, scripted_jam_and_silent_motor)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 77, 0), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MOTOR_JAM), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MOTOR_SILENT), CV_OK);
	cr_assert_eq(dispense(sim, 60, 0, 4), CV_PENDING);
	cv_sim_step(sim, 5000);
	cr_assert_eq(event_count, 1);
	cr_assert_eq(events[0].u.dispense.status, CV_E_JAM);
	cr_assert_eq(truth_of(sim).stock[0], 10, "nothing falls from a jam");

	event_count = 0;
	cr_assert_eq(dispense(sim, 61, 0, 4), CV_PENDING);
	cv_sim_step(sim, 60000);
	cr_assert_eq(event_count, 0, "a silent motor never reports");
	cr_assert_eq(truth_of(sim).motor_running, 1);
	cr_assert_eq(dispense(sim, 62, 0, 4), CV_E_BUSY);
	cr_assert_eq(cv_sim_dispenser_ops.stop(sim, 0), CV_OK);
	cr_assert_eq(truth_of(sim).motor_running, 0);

	cr_assert_eq(dispense(sim, 63, 0, 4), CV_PENDING);
	cv_sim_step(sim, 61100);
	cr_assert_eq(event_count, 2);
	cr_assert_eq(events[0].u.dispense.op_id, 63);
	cr_assert_eq(events[0].u.dispense.status, CV_OK);
	cr_assert_eq(events[1].type, CV_EVENT_DROP_DETECTED);
	cr_assert_eq(truth_of(sim).stock[0], 9);
	cv_sim_free(sim);
}

Test(sim_mechanics, stop_cancels_a_movement_before_its_end)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(dispense(sim, 60, 0, 4), CV_PENDING);
	cv_sim_step(sim, 500);
	cr_assert_eq(cv_sim_dispenser_ops.stop(sim, 0), CV_OK);
	cv_sim_step(sim, 10000);
	cr_assert_eq(event_count, 0);
	cr_assert_eq(truth_of(sim).stock[0], 10);
	cr_assert_eq(truth_of(sim).items_dropped, 0);
	cv_sim_free(sim);
}

Test(sim_mechanics, stuck_item_falls_on_the_next_movement_wedged_never)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	config.lane_count = 2;
	config.stock[1] = 3;
	struct cv_sim *sim = sim_open(&config);
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 9, 0), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_PRODUCT_STUCK), CV_OK);
	cr_assert_eq(dispense(sim, 1, 0, 4), CV_PENDING);
	cv_sim_step(sim, 2000);
	cr_assert_eq(count_type(CV_EVENT_DISPENSE_DONE), 1);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 0, "the item hangs");
	cr_assert_eq(truth_of(sim).stock[0], 10);

	cr_assert_eq(dispense(sim, 2, 0, 1), CV_PENDING);
	cv_sim_step(sim, 4000);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 1, "a re-spin frees it");
	cr_assert_eq(truth_of(sim).stock[0], 9);

	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	for (uint32_t i = 0; i < 4; i++) {
		cr_assert_eq(dispense(sim, 10 + i, 1, 4), CV_PENDING);
		cv_sim_step(sim, 6000 + 2000 * (uint64_t)i);
	}
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 1, "a wedged item never falls");
	cr_assert_eq(truth_of(sim).stock[1], 3);
	cr_assert_eq(cv_sim_load(sim, 1, 2), CV_OK);
	cr_assert_eq(cv_sim_load(sim, 2, 2), CV_E_NOT_FOUND);
	cr_assert_eq(dispense(sim, 20, 1, 4), CV_PENDING);
	cv_sim_step(sim, 20000);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 2, "the operator freed it");
	cr_assert_eq(truth_of(sim).stock[1], 4);
	cr_assert_eq(truth_of(sim).items_dropped, 2);
	cv_sim_free(sim);
}

Test(sim_mechanics, missed_drop_counts_in_the_truth_only)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 9, 0), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MISSED_DROP), CV_OK);
	cr_assert_eq(dispense(sim, 1, 0, 4), CV_PENDING);
	cv_sim_step(sim, 5000);
	cr_assert_eq(count_type(CV_EVENT_DISPENSE_DONE), 1);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 0);
	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.items_dropped, 1);
	cr_assert_eq(truth.missed_drops, 1);
	cr_assert_eq(truth.stock[0], 9);
	cv_sim_free(sim);
}

Test(sim_mechanics, false_drop_fires_with_nothing_falling)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 9, 0), CV_OK);
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_FALSE_DROP), CV_OK);
	cr_assert_eq(dispense(sim, 1, 0, 4), CV_PENDING);
	cv_sim_step(sim, 5000);
	cr_assert_eq(event_count, 2);
	cr_assert_eq(events[0].type, CV_EVENT_DISPENSE_DONE);
	cr_assert_eq(events[1].type, CV_EVENT_DROP_DETECTED);
	cr_assert_eq(events[1].u.drop.op_id, 9);
	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.false_drops, 1);
	cr_assert_eq(truth.items_dropped, 0);
	cr_assert_eq(truth.stock[0], 10);

	/* A faulted sensor reports nothing, not even a false drop. */
	cv_sim_set_sensor_fault(sim, true);
	event_count = 0;
	cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_FALSE_DROP), CV_OK);
	cr_assert_eq(dispense(sim, 2, 0, 4), CV_PENDING);
	cv_sim_step(sim, 10000);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 0);
	cr_assert_eq(truth_of(sim).false_drops, 1);
	cr_assert_eq(truth_of(sim).stock[0], 10);
	cv_sim_free(sim);
}

Test(sim_mechanics, faulted_sensor_reports_its_status_and_no_drops)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 9, 0), CV_OK);
	cv_sim_set_sensor_fault(sim, true);
	cr_assert_eq(event_count, 1, "posted at once, no step needed");
	cr_assert_eq(events[0].type, CV_EVENT_SENSOR_STATUS);
	cr_assert(events[0].u.sensor.faulted);
	cr_assert_eq(dispense(sim, 1, 0, 4), CV_PENDING);
	cv_sim_step(sim, 5000);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 0);
	cr_assert_eq(truth_of(sim).items_dropped, 1);
	cr_assert_eq(truth_of(sim).missed_drops, 1);

	cv_sim_set_sensor_fault(sim, false);
	cr_assert_eq(events[event_count - 1].type, CV_EVENT_SENSOR_STATUS);
	cr_assert_not(events[event_count - 1].u.sensor.faulted);
	cr_assert_eq(dispense(sim, 2, 0, 4), CV_PENDING);
	cv_sim_step(sim, 10000);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 1);

	/* Disarmed: items still fall, nothing is reported. */
	cr_assert_eq(cv_sim_sensor_ops.disarm(sim, 8), CV_E_STATE);
	cr_assert_eq(cv_sim_sensor_ops.disarm(sim, 9), CV_OK);
	cr_assert_eq(dispense(sim, 3, 0, 4), CV_PENDING);
	cv_sim_step(sim, 15000);
	cr_assert_eq(count_type(CV_EVENT_DROP_DETECTED), 1);
	cr_assert_eq(truth_of(sim).items_dropped, 3);
	cr_assert_eq(truth_of(sim).stock[0], 7);
	cv_sim_free(sim);
}

/* ---- Scheduler ----------------------------------------------------------- */

Test(sim_scheduler, due_order_bounds_and_engine_backpressure)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	config.payment_latency_ms = 1000;
	config.motor_ms = 100;
	struct cv_sim *sim = sim_open(&config);
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "a.auth", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);

	/* A lookup sent first but due later comes after the motor. */
	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, 1, "l1", "a.auth", 0), CV_PENDING);
	cr_assert_eq(dispense(sim, 2, 0, 1), CV_PENDING);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, 3, "l2", "a.auth", 0), CV_PENDING);
	post_refusals = 1; /* the engine's queue is full once: nothing is lost */
	cv_sim_step(sim, now + 5000);
	cr_assert_eq(event_count, 0);
	cv_sim_step(sim, now + 5000);
	cr_assert_eq(event_count, 3);
	cr_assert_eq(events[0].type, CV_EVENT_DISPENSE_DONE);
	cr_assert_eq(events[1].u.payment.op_id, 1, "equal due times keep their order");
	cr_assert_eq(events[2].u.payment.op_id, 3);

	/* 64 pending answers fill the scheduler. */
	size_t accepted = 0;
	while (settle(sim, CV_PAYMENT_OP_LOOKUP, 4, "l3", "a.auth", 0) == CV_PENDING)
		accepted++;
	cr_assert_eq(accepted, 64);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_VOID, 5, "v", "a.auth", 0), CV_E_FULL);
	cr_assert_eq(dispense(sim, 6, 0, 1), CV_E_FULL);
	cv_sim_free(sim);
}

/* ---- Determinism --------------------------------------------------------- */

struct run_record {
	struct cv_event events[EVENTS_MAX];
	size_t count;
	unsigned char random[64];
	struct cv_sim_truth truth;
};

/* An unattended run with every fault rate on. */
static void run_scenario(uint64_t seed, bool script_fault, struct run_record *out)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	config.seed = seed;
	config.lane_count = 3;
	for (int i = 0; i < 3; i++)
		config.stock[i] = 20;
	config.decline_permille = 200;
	config.unknown_permille = 100;
	config.lookup_unknown_permille = 100;
	config.settle_unknown_permille = 100;
	config.jam_permille = 100;
	config.stuck_permille = 100;
	config.missed_drop_permille = 100;
	config.false_drop_permille = 100;
	struct cv_sim *sim = sim_open(&config);
	cv_sim_set_auto_card(sim, true);
	/* A silent motor always differs from a random outcome: no DISPENSE_DONE. */
	if (script_fault)
		cr_assert_eq(cv_sim_script_fault(sim, CV_SIM_FAULT_MOTOR_SILENT), CV_OK);
	uint64_t now = 0;
	for (uint32_t i = 0; i < 40; i++) {
		char key[16];
		snprintf(key, sizeof(key), "v%u", (unsigned)i);
		uint16_t lane = (uint16_t)(i % 3);
		cr_assert_eq(authorize(sim, i, key, 100), CV_PENDING);
		cr_assert_eq(cv_sim_sensor_ops.arm(sim, i, lane), CV_OK);
		cr_assert_eq(dispense(sim, i, lane, 4), CV_PENDING);
		now += 3000;
		cv_sim_step(sim, now);
		cr_assert_eq(settle(sim, i % 2 ? CV_PAYMENT_OP_CAPTURE : CV_PAYMENT_OP_VOID, i, key, key, 100),
			     CV_PENDING);
		cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, i, key, key, 0), CV_PENDING);
		now += 1000;
		cv_sim_step(sim, now);
		cr_assert_eq(cv_sim_dispenser_ops.stop(sim, lane), CV_OK);
	}
	memcpy(out->events, events, sizeof(events[0]) * event_count);
	out->count = event_count;
	cv_sim_platform_ops.random_bytes(sim, out->random, sizeof(out->random));
	cv_sim_truth(sim, &out->truth);
	cr_assert_eq(cv_sim_platform_ops.wall_clock_ms(sim), 1767225600000 + (int64_t)now);
	cv_sim_free(sim);
}

static bool event_equal(const struct cv_event *a, const struct cv_event *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CV_EVENT_PAYMENT_RESULT:
		return a->u.payment.op_id == b->u.payment.op_id && a->u.payment.result == b->u.payment.result &&
		       a->u.payment.amount.amount_minor == b->u.payment.amount.amount_minor &&
		       strcmp(a->u.payment.processor_ref, b->u.payment.processor_ref) == 0 &&
		       strcmp(a->u.payment.card.auth_code, b->u.payment.card.auth_code) == 0;
	case CV_EVENT_DISPENSE_DONE:
		return a->u.dispense.op_id == b->u.dispense.op_id && a->u.dispense.status == b->u.dispense.status;
	case CV_EVENT_DROP_DETECTED:
		return a->u.drop.op_id == b->u.drop.op_id;
	default:
		return true;
	}
}

static bool runs_equal(const struct run_record *a, const struct run_record *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!event_equal(&a->events[i], &b->events[i]))
			return false;
	return true;
}

static struct run_record run_a, run_b, run_c, run_d;

Test(sim_determinism, same_seed_same_run)
{
	run_scenario(42, false, &run_a);
	run_scenario(42, false, &run_b);
	run_scenario(43, false, &run_c);
	run_scenario(42, true, &run_d);
	cr_assert_gt(run_a.count, 100);
	cr_assert(runs_equal(&run_a, &run_b));
	cr_assert_eq(memcmp(run_a.random, run_b.random, sizeof(run_a.random)), 0);
	cr_assert_eq(memcmp(&run_a.truth, &run_b.truth, sizeof(run_a.truth)), 0);
	cr_assert_not(runs_equal(&run_a, &run_c), "another seed, another run");
	cr_assert_neq(memcmp(run_a.random, run_c.random, sizeof(run_a.random)), 0);
	/* Every fault kind fired somewhere in 40 vends at these rates. */
	cr_assert_gt(run_a.truth.false_drops + run_a.truth.missed_drops, 0);
	cr_assert_gt(run_a.truth.captures, 0);
	/* A scripted fault changes the run but not the platform's random bytes. */
	cr_assert_not(runs_equal(&run_a, &run_d));
	cr_assert_eq(memcmp(run_a.random, run_d.random, sizeof(run_a.random)), 0);
}

Test(sim_platform, random_bytes_ignore_fault_dice_and_clock_follows_the_sim)
{
	struct cv_sim *quiet = sim_open_default();
	struct cv_sim *busy = sim_open_default();
	cr_assert_eq(cv_sim_platform_ops.abi_version, CV_BACKEND_ABI_VERSION);
	cr_assert_eq(cv_sim_platform_ops.struct_size, sizeof(struct cv_platform_ops));
	cr_assert_null(cv_sim_platform_ops.log);

	/* Lookups roll the fault dice of the busy sim only. */
	cr_assert_eq(cv_sim_script_fault(busy, CV_SIM_FAULT_LOOKUP_UNKNOWN), CV_OK);
	for (uint32_t i = 0; i < 5; i++)
		cr_assert_eq(settle(busy, CV_PAYMENT_OP_LOOKUP, i, "k", "k", 0), CV_PENDING);
	unsigned char a[19], b[19];
	cv_sim_platform_ops.random_bytes(quiet, a, sizeof(a));
	cv_sim_platform_ops.random_bytes(busy, b, sizeof(b));
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
	cv_sim_platform_ops.random_bytes(quiet, a, sizeof(a));
	cr_assert_neq(memcmp(a, b, sizeof(a)), 0, "the stream moves on");

	cr_assert_eq(cv_sim_platform_ops.wall_clock_ms(quiet), 1767225600000);
	cv_sim_step(quiet, 1234);
	cr_assert_eq(cv_sim_platform_ops.wall_clock_ms(quiet), 1767225601234);
	cv_sim_free(quiet);
	cv_sim_free(busy);
}

/* A power cut: the machine is gone (every table closed) while a completion
 * is still due. Nothing may be posted to it; the next machine gets it. */
Test(sim_payment, nothing_is_posted_while_no_machine_has_the_sim_open)
{
	struct cv_sim *sim = sim_open_default();
	struct cv_payment_request cap = pay_request(CV_PAYMENT_OP_VOID, 7, "k.void", "k.auth", 150);
	cr_assert_eq(cv_sim_payment_ops.void_auth(sim, &cap), CV_PENDING);
	cv_sim_payment_ops.close(sim);
	cv_sim_sensor_ops.close(sim);
	cv_sim_dispenser_ops.close(sim);
	cv_sim_step(sim, 60000);
	cr_assert_eq(event_count, 0, "posted to a machine that is gone");
	cr_assert_eq(cv_sim_payment_ops.open(sim, fake_machine()), CV_OK);
	cv_sim_step(sim, 60001);
	cr_assert_eq(event_count, 1, "the completion waited for the next machine");
	cr_assert_eq(events[0].u.payment.op_id, 7);
	cv_sim_free(sim);
}

/* Store and forward: with the link cut, an allowed authorization is
 * approved by the reader itself, settled there, and reaches the processor
 * only once the link is back. */
static struct cv_sim *sim_offline(void)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	config.offline_capable = true;
	struct cv_sim *sim = sim_open(&config);
	cr_assert(cv_sim_payment_ops.caps(sim) & CV_PAYMENT_CAP_OFFLINE);
	cr_assert_eq(cv_sim_set_link(sim, 0, false), CV_OK);
	cr_assert_eq(cv_sim_set_link(sim, 1, false), CV_E_INVAL, "only one link configured");
	return sim;
}

static struct cv_payment_result offline_authorize(struct cv_sim *sim, uint32_t op_id, bool allowed)
{
	struct cv_payment_request auth = pay_request(CV_PAYMENT_OP_AUTHORIZE, op_id, "k.auth", "k.auth", 150);
	auth.offline_allowed = allowed;
	cr_assert_eq(cv_sim_payment_ops.authorize(sim, &auth), CV_PENDING);
	cr_assert_eq(cv_sim_present_card(sim, CV_SIM_CARD_APPROVED), CV_OK);
	cv_sim_step(sim, 10000);
	cr_assert_eq(event_count, 1);
	event_count = 0;
	return events[0].u.payment;
}

Test(sim_payment, offline_approval_is_stored_settled_locally_and_forwarded)
{
	struct cv_sim *sim = sim_offline();
	struct cv_payment_result r = offline_authorize(sim, 1, true);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert(r.offline_approved);
	cr_assert_str_eq(r.card.auth_code, "Y1", "offline approval code");
	struct cv_offline_status status;
	cr_assert_eq(cv_sim_payment_ops.offline_status(sim, &status), CV_OK);
	cr_assert_eq(status.unsent_count, 1);
	cr_assert_eq(status.unsent_total_minor, 150);

	struct cv_payment_request cap = pay_request(CV_PAYMENT_OP_CAPTURE, 2, "k.cap", "k.auth", 150);
	cr_assert_eq(cv_sim_payment_ops.capture(sim, &cap), CV_PENDING);
	cv_sim_step(sim, 20000);
	cr_assert_eq(events[0].u.payment.result, CV_PAY_OK, "captured at the reader, no link needed");
	struct cv_sim_truth truth;
	cv_sim_truth(sim, &truth);
	cr_assert_eq(truth.captured_minor, 0, "the processor has nothing yet");
	cr_assert_eq(truth.offline_unsent_captured_minor, 150);

	cr_assert_eq(cv_sim_set_link(sim, 0, true), CV_OK);
	cv_sim_step(sim, 30000);
	cv_sim_truth(sim, &truth);
	cr_assert_eq(truth.captured_minor, 150, "forwarded once the link is back");
	cr_assert_eq(truth.offline_unsent, 0);
	cr_assert_eq(truth.offline_approvals, 1);
	cv_sim_free(sim);
}

Test(sim_payment, offline_not_allowed_is_not_sent)
{
	struct cv_sim *sim = sim_offline();
	struct cv_payment_result r = offline_authorize(sim, 1, false);
	cr_assert_eq(r.result, CV_PAY_NOT_SENT, "the reader never approves what policy did not allow");
	struct cv_sim_truth truth;
	cv_sim_truth(sim, &truth);
	cr_assert_eq(truth.offline_approvals, 0);
	cv_sim_free(sim);
}

Test(sim_payment, a_voided_offline_payment_is_never_forwarded)
{
	struct cv_sim *sim = sim_offline();
	cr_assert(offline_authorize(sim, 1, true).offline_approved);
	struct cv_payment_request v = pay_request(CV_PAYMENT_OP_VOID, 2, "k.void", "k.auth", 150);
	cr_assert_eq(cv_sim_payment_ops.void_auth(sim, &v), CV_PENDING);
	cv_sim_step(sim, 20000);
	cr_assert_eq(events[0].u.payment.result, CV_PAY_OK);
	cr_assert_eq(cv_sim_set_link(sim, 0, true), CV_OK);
	cv_sim_step(sim, 30000);
	struct cv_sim_truth truth;
	cv_sim_truth(sim, &truth);
	cr_assert_eq(truth.captured_minor, 0);
	cr_assert_eq(truth.voids, 0, "deleted at the reader: the processor never saw it");
	cr_assert_eq(truth.holds_open, 0);
	cv_sim_free(sim);
}

/* ---- Power cuts and saved worlds ----------------------------------------- */

TestSuite(sim_state, .fini = cv_test_leak_check);

static void sim_close_tables(struct cv_sim *sim)
{
	cv_sim_dispenser_ops.close(sim);
	cv_sim_sensor_ops.close(sim);
	cv_sim_payment_ops.close(sim);
}

static void sim_reopen_tables(struct cv_sim *sim)
{
	cr_assert_eq(cv_sim_dispenser_ops.open(sim, fake_machine()), CV_OK);
	cr_assert_eq(cv_sim_sensor_ops.open(sim, fake_machine()), CV_OK);
	cr_assert_eq(cv_sim_payment_ops.open(sim, fake_machine()), CV_OK);
}

/* The symptom the cut fixes: the motor of the previous life kept turning,
 * so the next life's first movement was refused (VOIDED DISPENSER_ERROR). */
Test(sim_state, a_power_cut_stops_the_motor_and_the_lane_keeps_its_item)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 77, 0), CV_OK);
	cr_assert_eq(dispense(sim, 60, 0, 4), CV_PENDING);
	cv_sim_step(sim, 500);
	cr_assert_eq(cv_sim_power_cut(sim), CV_E_STATE, "a machine still has the tables open");
	sim_close_tables(sim);
	cr_assert_eq(cv_sim_power_cut(sim), CV_OK);
	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.motor_running, 0);
	cr_assert_eq(truth.stock[0], 10, "the movement stopped before its end");
	sim_reopen_tables(sim);
	cv_sim_step(sim, 60000);
	cr_assert_eq(event_count, 0, "nothing of the cut movement is ever reported");
	cr_assert_eq(dispense(sim, 61, 0, 4), CV_PENDING, "the next life's motor starts");
	cv_sim_free(sim);
}

Test(sim_state, an_item_already_falling_lands_unseen_and_answers_die_with_the_power)
{
	struct cv_sim *sim = sim_open_default();
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 77, 0), CV_OK);
	cr_assert_eq(dispense(sim, 60, 0, 4), CV_PENDING);
	post_refusals = 1; /* The motor's report waits in the scheduler: an answer in flight. */
	cv_sim_step(sim, 1000);
	cr_assert_eq(event_count, 0);
	sim_close_tables(sim);
	cr_assert_eq(cv_sim_power_cut(sim), CV_OK);
	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.stock[0], 9);
	cr_assert_eq(truth.items_dropped, 1, "the item in the air still lands");
	cr_assert_eq(truth.sensor_reports, 0, "the beam had no power");
	sim_reopen_tables(sim);
	cv_sim_step(sim, 60000);
	cr_assert_eq(event_count, 0, "the old life's answers are gone");
	cv_sim_free(sim);
}

Test(sim_state, the_reader_drops_its_card_and_the_processor_keeps_its_holds)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "k.held", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);
	cr_assert_eq(authorize(sim, 8, "k.reading", 150), CV_PENDING);
	cr_assert(cv_sim_is_collecting(sim));
	sim_close_tables(sim);
	cr_assert_eq(cv_sim_power_cut(sim), CV_OK);
	cr_assert_not(cv_sim_is_collecting(sim));
	int64_t held = 0;
	cr_assert_eq(cv_sim_hold_amount(sim, "k.held", &held), CV_OK);
	cr_assert_eq(held, 150);
	cr_assert_eq(cv_sim_hold_amount(sim, "k.reading", &held), CV_E_NOT_FOUND);
	struct cv_sim_truth truth = truth_of(sim);
	cr_assert_eq(truth.holds_open, 1);
	cr_assert_eq(truth.auth_in_flight, 0);
	sim_reopen_tables(sim);
	event_count = 0;
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_LOOKUP, 9, "k.reading", "k.reading", 0), CV_PENDING);
	cv_sim_step(sim, now + 5000);
	cr_assert_eq(only_payment().result, CV_PAY_NOT_FOUND, "the processor never heard of it");
	cv_sim_free(sim);
}

/* Draws 16 platform bytes from each: whether they came out the same. */
static bool same_random_bytes(struct cv_sim *a, struct cv_sim *b)
{
	unsigned char ra[16], rb[16];
	cv_sim_platform_ops.random_bytes(a, ra, sizeof(ra));
	cv_sim_platform_ops.random_bytes(b, rb, sizeof(rb));
	return memcmp(ra, rb, sizeof(ra)) == 0;
}

Test(sim_state, every_cut_moves_the_random_stream_somewhere_new)
{
	struct cv_sim *a = sim_open_default();
	struct cv_sim *b = sim_open_default();
	sim_close_tables(b);
	cr_assert_eq(cv_sim_power_cut(b), CV_OK);
	cr_assert_not(same_random_bytes(a, b));
	cv_sim_free(a);
	cv_sim_free(b);
}

/* A world with a hold, a captured sale, a partly sold lane and a pending
 * answer, saved and restored into another sim: both then go on alike. */
Test(sim_state, a_restored_world_carries_on_exactly_like_the_original)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "k.a", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);
	cr_assert_eq(pay_with(sim, &now, "k.b", CV_SIM_CARD_WALLET).result, CV_PAY_OK);
	cr_assert_eq(settle(sim, CV_PAYMENT_OP_CAPTURE, 9, "k.b.cap", "k.b", 150), CV_PENDING);
	cr_assert_eq(cv_sim_sensor_ops.arm(sim, 77, 0), CV_OK);
	cr_assert_eq(dispense(sim, 60, 0, 4), CV_PENDING);
	cv_sim_step(sim, now + 50);

	size_t size = cv_sim_state_size();
	unsigned char *image = malloc(size);
	unsigned char *again = malloc(size);
	cr_assert_eq(cv_sim_state_save(sim, image, size - 1), CV_E_NOMEM);
	cr_assert_eq(cv_sim_state_save(sim, image, size), CV_OK);
	cv_sim_step(sim, now + 60);
	cr_assert_eq(cv_sim_state_save(sim, again, size), CV_OK);
	cr_assert_eq(memcmp(image, again, size), 0, "time alone changes no byte");

	struct cv_sim_config other;
	cv_sim_config_default(&other);
	other.seed = 99;
	struct cv_sim *copy = sim_open(&other);
	cr_assert_eq(cv_sim_state_restore(copy, image, size, now + 60), CV_E_STATE, "tables open");
	sim_close_tables(copy);
	cr_assert_eq(cv_sim_state_restore(copy, image, size, now + 60), CV_OK);
	sim_reopen_tables(copy);
	struct cv_sim_truth t1 = truth_of(sim), t2 = truth_of(copy);
	cr_assert_eq(memcmp(&t1, &t2, sizeof(t1)), 0);

	/* Both go on: the same answers, the same truth, the same random bytes. */
	event_count = 0;
	cv_sim_step(sim, now + 10000);
	size_t first = event_count;
	struct cv_event first_events[8];
	cr_assert_leq(first, 8);
	memcpy(first_events, events, first * sizeof(events[0]));
	event_count = 0;
	cv_sim_step(copy, now + 10000);
	cr_assert_eq(event_count, first);
	cr_assert_geq(first, 3, "capture answer, motor report, drop");
	for (size_t i = 0; i < first; i++)
		cr_assert_eq(events[i].type, first_events[i].type);
	t1 = truth_of(sim);
	t2 = truth_of(copy);
	cr_assert_eq(memcmp(&t1, &t2, sizeof(t1)), 0);
	cr_assert_eq(t1.captured_minor, 150);
	cr_assert(same_random_bytes(sim, copy));
	free(image);
	free(again);
	cv_sim_free(sim);
	cv_sim_free(copy);
}

Test(sim_state, a_damaged_image_is_refused_and_the_sim_stays_as_it_was)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "k.a", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);
	size_t size = cv_sim_state_size();
	unsigned char *image = malloc(size);
	cr_assert_eq(cv_sim_state_save(sim, image, size), CV_OK);

	struct cv_sim *target = sim_open_default();
	sim_close_tables(target);
	struct cv_sim_truth before = truth_of(target);
	cr_assert_eq(cv_sim_state_restore(target, image, size - 1, 0), CV_E_CORRUPT);
	cr_assert_eq(cv_sim_state_restore(target, image, 10, 0), CV_E_CORRUPT);
	/* Every byte of the header, and bytes spread over the body, flipped. */
	for (size_t i = 0; i < size; i += i < 64 ? 1 : 4093) {
		image[i] ^= 0x40;
		enum cv_status rc = cv_sim_state_restore(target, image, size, 0);
		cr_assert(rc == CV_E_CORRUPT || rc == CV_E_VERSION, "byte %zu flipped: %s", i, cv_status_name(rc));
		image[i] ^= 0x40;
	}
	struct cv_sim_truth after = truth_of(target);
	cr_assert_eq(memcmp(&before, &after, sizeof(before)), 0, "a refused image changes nothing");
	cr_assert_eq(cv_sim_state_restore(target, image, size, 0), CV_OK, "the unflipped image is good");
	cr_assert_eq(truth_of(target).holds_open, 1);
	free(image);
	cv_sim_free(sim);
	cv_sim_free(target);
}

/* The image's checksum as sim_state.c computes it: FNV-1a over 64-bit words. */
static uint64_t image_checksum(const unsigned char *p, size_t size)
{
	uint64_t hash = 0xcbf29ce484222325ull;
	size_t i = 0;
	for (; i + 8 <= size; i += 8) {
		uint64_t word;
		memcpy(&word, p + i, sizeof(word));
		hash = (hash ^ word) * 0x100000001b3ull;
	}
	for (; i < size; i++)
		hash = (hash ^ p[i]) * 0x100000001b3ull;
	return hash;
}

/* A body changed by @p forge, sealed with a checksum that holds. */
static enum cv_status restore_forged(struct cv_sim *target, const struct cv_sim *original,
				     void (*forge)(struct cv_sim *body))
{
	size_t size = cv_sim_state_size();
	size_t header = size - sizeof(struct cv_sim);
	unsigned char *image = malloc(size);
	cr_assert_eq(cv_sim_state_save(original, image, size), CV_OK);
	forge((struct cv_sim *)(void *)(image + header));
	uint64_t sum = image_checksum(image + header, sizeof(struct cv_sim));
	memcpy(image + header - sizeof(sum), &sum, sizeof(sum));
	enum cv_status rc = cv_sim_state_restore(target, image, size, 0);
	free(image);
	return rc;
}

static void forge_nothing(struct cv_sim *body)
{
	(void)body;
}

static void forge_buckets_out_of_the_table(struct cv_sim *body)
{
	memset(body->auth_buckets, 0xff, sizeof(body->auth_buckets));
}

static void forge_a_chain_cycle(struct cv_sim *body)
{
	for (size_t b = 0; b < CV_SIM_AUTH_BUCKETS; b++)
		body->auth_buckets[b] = 1;
	body->auths[0].next = 1;
}

static void forge_a_key_without_its_end(struct cv_sim *body)
{
	memset(body->auths[0].key, 'k', sizeof(body->auths[0].key));
}

static void forge_a_free_slot_out_of_the_table(struct cv_sim *body)
{
	body->auth_free[0] = 1000;
	body->auth_free_count = 1;
}

/* A broken program's image passes the checksum: its links and texts must
 * still never send the sim out of its arrays or round a chain for ever. */
Test(sim_state, a_forged_image_with_a_good_checksum_is_refused_not_followed, .timeout = 30)
{
	struct cv_sim *sim = sim_open_default();
	uint64_t now = 0;
	cr_assert_eq(pay_with(sim, &now, "k.a", CV_SIM_CARD_APPROVED).result, CV_PAY_OK);
	struct cv_sim *target = sim_open_default();
	sim_close_tables(target);
	cr_assert_eq(restore_forged(target, sim, forge_nothing), CV_OK, "the forgery itself is sound");
	void (*forgeries[])(struct cv_sim *) = {forge_buckets_out_of_the_table, forge_a_chain_cycle,
						forge_a_key_without_its_end, forge_a_free_slot_out_of_the_table};
	for (size_t i = 0; i < sizeof(forgeries) / sizeof(forgeries[0]); i++)
		cr_assert_eq(restore_forged(target, sim, forgeries[i]), CV_E_CORRUPT, "forgery %zu", i);
	int64_t held = 0;
	cr_assert_eq(cv_sim_hold_amount(target, "k.a", &held), CV_OK, "the last good restore stands");
	cv_sim_free(sim);
	cv_sim_free(target);
}
