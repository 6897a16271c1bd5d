/* SPDX-License-Identifier: MIT */
/* The journal's and the checkpoint's raw bytes, scanned as an auditor's
 * data-discovery tool scans a disk: every byte that is not a digit or a
 * letter, NUL included, joins digit groups into one number
 * (LUHN_JOIN_SEPARATED in luhn_scan.h). The payment backend answers with
 * values the engine must admit (each field alone holds no card number), or
 * with a card number hidden behind separators, which it must blank; either
 * way no Luhn-valid run of 13..19 digits may be found afterwards, neither
 * in the journal nor in a checkpoint written while the vend was open. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <string.h>

#include "luhn_scan.h"
#include "rig.h"

#define HITS_SHOWN_MAX 5u
#define CHECKPOINT_RECORDS 256u

/* What the reader answers an authorization with. */
struct answer {
	const char *processor_ref;
	const char *brand;
	const char *last4;
	const char *auth_code;
	const char *aid;
	const char *app_label;
	int64_t capture_before_s;
};

/* Legal one by one: a reference ending in 7 digits, no brand, a last 4 and
 * a 5-digit auth code. Stored next to each other they read 4242424 2424
 * 24242: a test PAN. The capture deadline, 2000-05-31, is stored as the
 * little-endian bytes "4249\0\0\0\0": digits again, if a number's bytes
 * run on from the strings before it. */
static const struct answer adjacent_digits = {
	.processor_ref = "ch_4242424",
	.brand = "",
	.last4 = "2424",
	.auth_code = "24242",
	.aid = "",
	.app_label = "",
	.capture_before_s = 0x39343234,
};
#define ADJACENT_DIGITS \
	"4242424"       \
	"2424"          \
	"24242"

/* Fields that form nothing together (the reference is the test's to set). */
#define PLAIN_CARD                                                                                                    \
	.brand = "VISA", .last4 = "4242", .auth_code = "A1B2C3", .aid = "A0000000031010", .app_label = "VISA CREDIT", \
	.capture_before_s = 1767873600 /* 2026-01-08T12:00:00Z */

static void start(void)
{
	rig_setup();
	rig.config.checkpoint_records = CHECKPOINT_RECORDS;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(pci_journal_bytes, .init = start, .fini = rig_teardown);

static void answer_authorization(const struct answer *answer)
{
	struct cv_card_summary card;
	memset(&card, 0, sizeof(card));
	strcpy(card.brand, answer->brand);
	strcpy(card.last4, answer->last4);
	strcpy(card.auth_code, answer->auth_code);
	strcpy(card.aid, answer->aid);
	strcpy(card.app_label, answer->app_label);
	card.entry = CV_CARD_ENTRY_CONTACTLESS;
	rig_approve(&card, answer->processor_ref, answer->capture_before_s);
}

/* A vend authorized with the answer, left with its capture due; returns its number. */
static uint32_t vend_to_capture(const struct answer *answer)
{
	uint32_t n = rig_select(0);
	answer_authorization(answer);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	return n;
}

/* Copies of journal bytes (static: a failed assertion must not leak them). */
static unsigned char checkpoint_copy[sizeof(rig.journal)];
static unsigned char planted_copy[sizeof(rig.journal) + 64];

/* Makes the storage remember a checkpoint written while a vend is open:
 * service changes write records without settling it, and are flushed now
 * and then, well within the capture's timeout. Copies the journal from the
 * checkpoint on to checkpoint_copy; returns the length. */
static size_t checkpoint_while_open(void)
{
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	for (unsigned i = 0; i < 2 * CHECKPOINT_RECORDS && !rig.storage.has_checkpoint; i++) {
		cr_assert_eq(cv_machine_lane_set_price(rig.m, 3, 100 + i), CV_OK);
		rig_step(i % 64 == 63 ? rig.config.timeouts.flush_ms : 0);
	}
	cr_assert(rig.storage.has_checkpoint, "no checkpoint was remembered");
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	size_t from = (size_t)(rig.storage.checkpoint_offset - rig.storage.base);
	size_t length = rig.storage.length - from;
	memcpy(checkpoint_copy, rig.journal + from, length);
	return length;
}

struct scan_result {
	size_t count;
	char shown[HITS_SHOWN_MAX][96];
};

static void scan_keep(void *user_data, const struct luhn_hit *hit)
{
	struct scan_result *result = user_data;
	if (result->count < HITS_SHOWN_MAX)
		luhn_hit_describe(hit, result->shown[result->count], sizeof(result->shown[0]));
	result->count++;
}

static struct scan_result scan(const void *bytes, size_t length)
{
	struct scan_result result;
	memset(&result, 0, sizeof(result));
	luhn_scan_join(bytes, length, LUHN_JOIN_SEPARATED, scan_keep, &result);
	return result;
}

/* Fails the test, naming the first hits, if anything passes. */
static void assert_clean(const char *what, const void *bytes, size_t length)
{
	struct scan_result result = scan(bytes, length);
	for (size_t i = 0; i < result.count && i < HITS_SHOWN_MAX; i++)
		cr_log_error("PAN-like run in %s: %s", what, result.shown[i]);
	cr_assert_eq(result.count, 0, "%zu Luhn-valid runs in %s (%zu bytes)", result.count, what, length);
}

/* Takes vend n (capture due) across a checkpoint, captures it, and scans
 * the journal and the checkpoint; `marker` is text the vend's answer left
 * in its stored fields. */
static void capture_across_checkpoint_and_scan(uint32_t n, const char *marker)
{
	size_t checkpoint_length = checkpoint_while_open();
	cr_assert_not_null(memmem(checkpoint_copy, checkpoint_length, marker, strlen(marker)),
			   "the checkpoint does not carry the vend's fields");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	assert_clean("the checkpoint", checkpoint_copy, checkpoint_length);
	assert_clean("the journal", rig.journal, rig.storage.length);
}

/* Fails against journal format v2, whose fields follow each other with
 * nothing but a string's length byte between them. */
Test(pci_journal_bytes, digits_at_the_end_of_one_field_and_the_start_of_the_next_form_no_card_number)
{
	cr_assert(luhn_is_valid(ADJACENT_DIGITS, strlen(ADJACENT_DIGITS)), "the adversary's premise");
	uint32_t n = vend_to_capture(&adjacent_digits);
	struct cv_vend_info info = rig_vend(n);
	cr_assert_str_eq(info.card.last4, adjacent_digits.last4, "legal: kept");
	cr_assert_str_eq(info.card.auth_code, adjacent_digits.auth_code, "legal: kept");
	cr_assert_eq(info.capture_before_s, adjacent_digits.capture_before_s, "legal: kept");
	capture_across_checkpoint_and_scan(n, adjacent_digits.processor_ref);
}

/* A card number in the reference, behind separators of every kind: the
 * engine blanks it, so neither the journal nor the checkpoint holds it. */
Test(pci_journal_bytes, a_card_number_behind_separators_in_a_reference_is_in_no_byte)
{
	static const char *const refs[] = {
		"ch_4242.4242.4242.4242", "ch_4242/4242/4242/4242", "ch_4242_4242_4242_4242",
		"ch_4242  4242 -./4242 _4242", /* Mixed (a tab would be refused outright). */
	};
	const size_t count = sizeof(refs) / sizeof(refs[0]);
	uint32_t n = 0;
	for (size_t i = 0; i < count; i++) {
		struct answer answer = {.processor_ref = refs[i], PLAIN_CARD};
		n = vend_to_capture(&answer);
		if (i + 1 < count)
			rig_pay(CV_PAY_OK); /* The last one stays open across the checkpoint. */
	}
	capture_across_checkpoint_and_scan(n, "VISA CREDIT");
}

/* The scan can fail: a plain vend's journal is clean, and a PAN grouped by
 * dots, written into it between letters, is found there. */
Test(pci_journal_bytes, the_scan_finds_a_dotted_pan_planted_in_the_journal)
{
	rig_vend_ok(0);
	static const char planted[] = "x4242.4242.4242.4242x";
	size_t half = rig.storage.length / 2;
	size_t length = rig.storage.length + sizeof(planted) - 1;
	memcpy(planted_copy, rig.journal, half);
	memcpy(planted_copy + half, planted, sizeof(planted) - 1);
	memcpy(planted_copy + half + sizeof(planted) - 1, rig.journal + half, rig.storage.length - half);
	assert_clean("the journal", rig.journal, rig.storage.length);
	struct scan_result planted_scan = scan(planted_copy, length);
	cr_assert_eq(planted_scan.count, 1);
	cr_assert(strstr(planted_scan.shown[0], ": 4242424242424242 (16 digits, grouped)") != NULL, "%s",
		  planted_scan.shown[0]);
}
