/* SPDX-License-Identifier: MIT */
/* The library's own card-number recognizer (lib/card_number.c), the
 * admission of payment results that applies it to every text field and
 * range-checks the capture deadline (lib/event_check.c), and what reaches
 * the journal, events and receipts afterwards. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "machine_private.h"
#include "rig.h"

static bool has(const char *s)
{
	return cv_text_has_card_number(s, strlen(s));
}

Test(card_number, test_pans_are_recognized)
{
	cr_assert(has("4242424242424242"));
	cr_assert(has("5555555555554444"));
	cr_assert(has("378282246310005"), "15-digit Amex");
	cr_assert(has("4222222222222"), "13 digits");
	cr_assert(has("6205500000000000004"), "19 digits");
	cr_assert(has("ch_4242424242424242"), "inside other text");
}

Test(card_number, grouped_pans_are_recognized)
{
	cr_assert(has("4242 4242 4242 4242"));
	cr_assert(has("ref-4242-4242-4242-4242"));
}

Test(card_number, digit_groups_joined_by_any_separators_are_one_number)
{
	cr_assert(has("4242.4242.4242.4242"), "dots");
	cr_assert(has("4242/4242/4242/4242"), "slashes");
	cr_assert(has("ch_4242_4242_4242_4242"), "underscores");
	cr_assert(has("4242  4242   4242    4242"), "several spaces");
	cr_assert(has("4242\t4242\t\t4242\t4242"), "tabs");
	cr_assert(has("ref:4242. -/_4242\t \t4242__4242!"), "mixed runs");
	cr_assert(has("3782.822463.10005"), "Amex grouped 4-6-5");
	cr_assert(has("4.2.4.2.4.2.4.2.4.2.4.2.4.2.4.2"), "one digit a group");
}

Test(card_number, nul_bytes_inside_a_fixed_size_field_join_digit_groups)
{
	static const char field[CV_PROCESSOR_REF_LEN] = "ref 4242\0"
							"4242\0\0"
							"4242\0"
							"4242";
	cr_assert(cv_text_has_card_number(field, sizeof(field)));
	cr_assert_not(cv_text_has_card_number(field, strlen(field)), "up to the NUL: 4 digits");
}

Test(card_number, letters_end_a_digit_group)
{
	cr_assert_not(has("4242a4242b4242c4242"));
	cr_assert_not(has("4242.4242.x4242.4242"));
}

Test(card_number, a_pan_inside_a_longer_run_is_recognized)
{
	cr_assert(has("9999424242424242424299"));
}

Test(card_number, a_pan_after_a_run_of_any_length_is_recognized)
{
	char text[256];
	memset(text, '1', 200); /* No window of ones passes the Luhn check. */
	strcpy(text + 200, "4242424242424242");
	cr_assert(has(text));
}

Test(card_number, ordinary_numbers_are_not)
{
	cr_assert_not(has("4222222222223"), "Luhn-invalid, and no window of it passes");
	cr_assert_not(has("4222.2222.22223"), "the same, grouped");
	cr_assert_not(has("424242424242"), "12 digits");
	cr_assert_not(has("3141.5926.5358.97"), "14 digits, no window passes");
	cr_assert_not(has("192.168.100.200"), "an address: 12 digits");
	cr_assert_not(has("2026-01-01T12:00:00Z"), "a letter parts date and time");
	cr_assert_not(has("pi_3c9a1f0e7d2b4c6a8e0f1a2b"));
	cr_assert_not(has("A0000000031010"), "Visa AID");
	cr_assert_not(has("A0000000041010"), "Mastercard AID");
	cr_assert_not(has(""));
}

/* ---- Admission of a payment result (lib/event_check.c) -------------------- */

/* An approved authorization with well-formed card fields. */
static struct cv_event approval(const char *processor_ref)
{
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	struct cv_payment_result *r = &ev.u.payment;
	r->op = CV_PAYMENT_OP_AUTHORIZE;
	r->result = CV_PAY_OK;
	r->amount.amount_minor = 150;
	strcpy(r->amount.currency, "USD");
	cr_assert(cv_str_copy(r->processor_ref, sizeof(r->processor_ref), processor_ref));
	strcpy(r->card.brand, "VISA");
	strcpy(r->card.last4, "4242");
	strcpy(r->card.auth_code, "123456");
	strcpy(r->card.aid, "A0000000031010");
	strcpy(r->card.app_label, "VISA CREDIT");
	return ev;
}

static struct cv_payment_result admitted(const struct cv_event *ev)
{
	struct cv_input_event out;
	memset(&out, 0xa5, sizeof(out));
	cr_assert_eq(cv_event_admit(ev, &out), CV_OK, "the money answer itself is fine");
	return out.u.payment;
}

static bool all_zero(const void *bytes, size_t length)
{
	const uint8_t *b = bytes;
	for (size_t i = 0; i < length; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Card numbers as a processor's reference could carry them (printable:
 * a tab or other control character has the whole result refused). */
static const char *const hidden_pans[] = {
	"ch_4242.4242.4242.4242",     "4242/4242/4242/4242",    "ch_4242_4242_4242_4242", "4242  4242  4242  4242",
	"ref 4242 . 4242/_4242#4242", "ch:5555.5555-5555/4444", "3782 822463  10005",
};

Test(card_number_admit, a_reference_hiding_a_card_number_behind_separators_is_blanked)
{
	for (size_t i = 0; i < CV_ARRAY_COUNT(hidden_pans); i++) {
		struct cv_event ev = approval(hidden_pans[i]);
		struct cv_payment_result r = admitted(&ev);
		cr_assert(all_zero(r.processor_ref, sizeof(r.processor_ref)), "kept: %s", hidden_pans[i]);
		cr_assert_str_eq(r.card.last4, "4242", "the other fields stay");
	}
	struct cv_event ev = approval("ref\t4242\t4242\t4242\t4242");
	struct cv_input_event out;
	cr_assert_eq(cv_event_admit(&ev, &out), CV_E_INVAL, "tabs: not a printable reference");
}

Test(card_number_admit, references_and_card_fields_with_other_digits_are_kept)
{
	static const char *const refs[] = {
		"ch_2026-01-01T12:00:00Z",     "ch_3141.5926.5358.97", "192.168.100.200",
		"pi_3c9a1f0e7d2b4c6a8e0f1a2b", "order 12345 / lane 3",
	};
	for (size_t i = 0; i < CV_ARRAY_COUNT(refs); i++) {
		struct cv_event ev = approval(refs[i]);
		struct cv_payment_result r = admitted(&ev);
		cr_assert_str_eq(r.processor_ref, refs[i]);
		cr_assert_str_eq(r.card.brand, "VISA");
		cr_assert_str_eq(r.card.last4, "4242");
		cr_assert_str_eq(r.card.auth_code, "123456");
		cr_assert_str_eq(r.card.aid, "A0000000031010");
		cr_assert_str_eq(r.card.app_label, "VISA CREDIT");
	}
}

/* Unix seconds: 2000-01-01 and 2200-01-01, the bounds a deadline must keep. */
#define DEADLINE_MIN_S INT64_C(946684800)
#define DEADLINE_MAX_S INT64_C(7258118400)

static int64_t admitted_deadline(int64_t capture_before_s)
{
	struct cv_event ev = approval("ch_1");
	ev.u.payment.capture_before_s = capture_before_s;
	return admitted(&ev).capture_before_s;
}

Test(card_number_admit, a_capture_deadline_in_the_plausible_range_is_kept)
{
	static const int64_t kept[] = {0, DEADLINE_MIN_S, INT64_C(1767873600), DEADLINE_MAX_S};
	for (size_t i = 0; i < CV_ARRAY_COUNT(kept); i++)
		cr_assert_eq(admitted_deadline(kept[i]), kept[i], "%" PRId64, kept[i]);
}

Test(card_number_admit, a_capture_deadline_out_of_range_becomes_none)
{
	static const int64_t dropped[] = {
		DEADLINE_MIN_S - 1,        DEADLINE_MAX_S + 1, -1, INT64_MIN, INT64_MAX,
		INT64_C(4242424242424242), /* A card number where seconds belong. */
		INT64_C(1767873600000),    /* Milliseconds: 13 digits. */
	};
	for (size_t i = 0; i < CV_ARRAY_COUNT(dropped); i++)
		cr_assert_eq(admitted_deadline(dropped[i]), 0, "%" PRId64 " kept", dropped[i]);
}

/* ---- The engine: nothing of such values reaches the journal, events, receipts */

static void engine_start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(card_number_engine, .init = engine_start, .fini = rig_teardown);

/* Approves the pending authorization with a chosen reference and deadline. */
static void approve(const char *processor_ref, int64_t capture_before_s)
{
	const struct cv_payment_request *req = rig_last_payment();
	cr_assert_not_null(req);
	cr_assert_eq(req->op, CV_PAYMENT_OP_AUTHORIZE);
	struct cv_event ev = approval(processor_ref);
	ev.u.payment.op_id = req->op_id;
	ev.u.payment.amount = req->amount;
	ev.u.payment.capture_before_s = capture_before_s;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
}

/* Runs one vend to CAPTURED on an authorization answered as given. */
static uint32_t vend_approved_with(uint16_t lane, const char *processor_ref, int64_t capture_before_s)
{
	uint32_t n = rig_select(lane);
	approve(processor_ref, capture_before_s);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	return n;
}

static void assert_absent(const void *bytes, size_t length, const void *needle, size_t needle_length, const char *where)
{
	cr_assert_null(memmem(bytes, length, needle, needle_length), "found in %s", where);
}

/* The needle is in neither the journal, nor any output event, nor any
 * receipt as printed or as JSON, nor any request sent to the reader. */
static void assert_nowhere(const void *needle, size_t length)
{
	assert_absent(rig.journal, rig.storage.length, needle, length, "the journal");
	for (unsigned i = 0; i < rig.payment_count; i++)
		assert_absent(&rig.payments[i], sizeof(rig.payments[i]), needle, length, "a payment request");
	for (unsigned i = 0; i < rig.event_count; i++)
		assert_absent(&rig.events[i], sizeof(rig.events[i]), needle, length, "an event");
	const struct cv_receipt *receipt = rig_last_receipt();
	cr_assert_not_null(receipt);
	char text[CV_RECEIPT_JSON_MAX];
	size_t text_length = 0;
	cr_assert_eq(cv_receipt_render(receipt, CV_RECEIPT_WIDTH_WIDE, text, sizeof(text), &text_length), CV_OK);
	assert_absent(text, text_length, needle, length, "the printed receipt");
	cr_assert_eq(cv_receipt_render_json(receipt, text, sizeof(text), &text_length), CV_OK);
	assert_absent(text, text_length, needle, length, "the JSON receipt");
}

Test(card_number_engine, a_reference_hiding_a_card_number_reaches_no_journal_event_or_receipt)
{
	for (size_t i = 0; i < CV_ARRAY_COUNT(hidden_pans); i++) {
		vend_approved_with((uint16_t)(i % RIG_LANES), hidden_pans[i], 0);
		assert_nowhere(hidden_pans[i], strlen(hidden_pans[i]));
	}
}

Test(card_number_engine, a_card_number_as_capture_deadline_reaches_no_journal_event_or_receipt)
{
	const int64_t pan = INT64_C(4242424242424242);
	uint32_t n = vend_approved_with(0, "ch_1", pan);
	cr_assert_eq(rig_vend(n).capture_before_s, 0);
	for (unsigned i = 0; i < rig.event_count; i++)
		if (rig.events[i].type == CV_EVENT_VEND_STATE)
			cr_assert_eq(rig.events[i].u.vend.capture_before_s, 0, "event %u", i);
	/* The journal stores it as 8 little-endian bytes; an event, natively. */
	uint8_t stored[8];
	for (unsigned i = 0; i < sizeof(stored); i++)
		stored[i] = (uint8_t)((uint64_t)pan >> (8 * i));
	assert_nowhere(stored, sizeof(stored));
	assert_nowhere(&pan, sizeof(pan));
}

Test(card_number_engine, a_plausible_capture_deadline_is_kept_and_shown)
{
	const int64_t deadline = INT64_C(1767873600); /* 2026-01-08T12:00:00Z */
	uint32_t n = vend_approved_with(0, "ch_1", deadline);
	cr_assert_eq(rig_vend(n).capture_before_s, deadline);
	cr_assert(rig_visited(n, CV_VEND_STATE_AUTHORIZED));
	bool shown = false;
	for (unsigned i = 0; i < rig.event_count; i++)
		shown = shown || (rig.events[i].type == CV_EVENT_VEND_STATE &&
				  rig.events[i].u.vend.capture_before_s == deadline);
	cr_assert(shown, "no vend event carried the deadline");
}
