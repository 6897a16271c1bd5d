/* SPDX-License-Identifier: MIT */
/* The card-number scanner of tests/support/luhn_scan.h, tested on its own:
 * it must find the public test PANs in every form the PCI scan looks for,
 * and stay quiet on what is not a card number, or the scan proves nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "luhn_scan.h"

#define HITS_KEPT_MAX 8

struct hits_seen {
	size_t count;
	struct luhn_hit hits[HITS_KEPT_MAX];
};

static void hits_keep(void *user_data, const struct luhn_hit *hit)
{
	struct hits_seen *seen = user_data;
	if (seen->count < HITS_KEPT_MAX)
		seen->hits[seen->count] = *hit;
	seen->count++;
}

static struct hits_seen scan_joined(const void *bytes, size_t length, enum luhn_join join)
{
	struct hits_seen seen;
	memset(&seen, 0, sizeof(seen));
	size_t returned = luhn_scan_join(bytes, length, join, hits_keep, &seen);
	cr_assert_eq(returned, seen.count, "luhn_scan's count disagrees with its callbacks");
	return seen;
}

static struct hits_seen scan(const void *bytes, size_t length)
{
	struct hits_seen seen = scan_joined(bytes, length, LUHN_JOIN_GROUPED);
	cr_assert_eq(luhn_scan(bytes, length, NULL, NULL), seen.count, "luhn_scan is the grouped rule");
	return seen;
}

static struct hits_seen scan_text(const char *text)
{
	return scan(text, strlen(text));
}

/* With the auditor's rule: any bytes but letters join digits. */
static struct hits_seen scan_separated(const void *bytes, size_t length)
{
	return scan_joined(bytes, length, LUHN_JOIN_SEPARATED);
}

/* Public test PANs: Visa, Mastercard, Amex (15), Discover, UnionPay (19). */
static const char *const test_pans[] = {
	"4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "6205500000000000004",
};
#define TEST_PAN_COUNT (sizeof(test_pans) / sizeof(test_pans[0]))

Test(luhn_scan, the_luhn_check_accepts_test_pans_and_refuses_a_changed_digit)
{
	for (size_t i = 0; i < TEST_PAN_COUNT; i++) {
		char changed[LUHN_SCAN_DIGITS_MAX + 1];
		strcpy(changed, test_pans[i]);
		size_t last = strlen(changed) - 1;
		changed[last] = changed[last] == '9' ? '0' : (char)(changed[last] + 1);
		cr_assert(luhn_is_valid(test_pans[i], strlen(test_pans[i])), "%s", test_pans[i]);
		cr_assert_not(luhn_is_valid(changed, strlen(changed)), "%s", changed);
	}
	cr_assert_not(luhn_is_valid("", 0));
	cr_assert_not(luhn_is_valid("4242a42424242424", 16), "a letter is not a digit");
}

Test(luhn_scan, each_test_pan_in_text_is_found_once_with_its_offset)
{
	for (size_t i = 0; i < TEST_PAN_COUNT; i++) {
		char text[128];
		snprintf(text, sizeof(text), "card: %s ok", test_pans[i]);
		struct hits_seen seen = scan_text(text);
		cr_assert_eq(seen.count, 1, "%s: %zu hits", test_pans[i], seen.count);
		cr_assert_str_eq(seen.hits[0].digits, test_pans[i]);
		cr_assert_eq(seen.hits[0].offset, 6);
		cr_assert_eq(seen.hits[0].digit_count, strlen(test_pans[i]));
		cr_assert_eq(seen.hits[0].span_bytes, strlen(test_pans[i]));
		cr_assert_not(seen.hits[0].grouped);
		cr_assert_not(seen.hits[0].wide);
	}
}

Test(luhn_scan, a_pan_at_the_very_start_and_end_of_a_buffer_is_found)
{
	struct hits_seen seen = scan_text("4242424242424242");
	cr_assert_eq(seen.count, 1);
	cr_assert_eq(seen.hits[0].offset, 0);
	seen = scan_text("x5555555555554444");
	cr_assert_eq(seen.count, 1);
	cr_assert_eq(seen.hits[0].offset, 1);
}

Test(luhn_scan, digits_grouped_with_spaces_or_dashes_are_found)
{
	static const char *const grouped[] = {
		"4242 4242 4242 4242", "4242-4242-4242-4242",     "3782 822463 10005",
		"6011-1111 1111-1117", "6205 5000 0000 0000 004",
	};
	static const char *const digits[] = {
		"4242424242424242", "4242424242424242", "378282246310005", "6011111111111117", "6205500000000000004",
	};
	for (size_t i = 0; i < sizeof(grouped) / sizeof(grouped[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "PAN=%s;", grouped[i]);
		struct hits_seen seen = scan_text(text);
		cr_assert_eq(seen.count, 1, "%s: %zu hits", grouped[i], seen.count);
		cr_assert_str_eq(seen.hits[0].digits, digits[i]);
		cr_assert_eq(seen.hits[0].offset, 4);
		cr_assert_eq(seen.hits[0].span_bytes, strlen(grouped[i]));
		cr_assert(seen.hits[0].grouped);
	}
}

/* Writes text as UTF-16LE (or BE), or UTF-32LE with width 4. */
static size_t widen(const char *text, unsigned width, bool big_endian, unsigned char *out)
{
	size_t n = 0;
	for (const char *c = text; *c != '\0'; c++) {
		for (unsigned b = 0; b < width; b++) {
			unsigned position = big_endian ? width - 1 - b : b;
			out[n++] = position == 0 ? (unsigned char)*c : 0;
		}
	}
	return n;
}

Test(luhn_scan, digits_stored_as_utf16_or_utf32_are_found)
{
	static const struct {
		const char *text;
		unsigned width;
		bool big_endian;
	} forms[] = {
		{"pan 4242424242424242.", 2, false},    {"pan 4242424242424242.", 2, true},
		{"pan 5555 5555 5555 4444.", 2, false}, {"pan 3782-822463-10005.", 2, true},
		{"pan 6011111111111117.", 4, false},
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		unsigned char wide[256];
		size_t length = widen(forms[i].text, forms[i].width, forms[i].big_endian, wide);
		struct hits_seen seen = scan(wide, length);
		cr_assert_eq(seen.count, 1, "form %zu: %zu hits", i, seen.count);
		cr_assert(seen.hits[0].wide, "form %zu", i);
		size_t first_digit = 4 * forms[i].width + (forms[i].big_endian ? forms[i].width - 1 : 0);
		cr_assert_eq(seen.hits[0].offset, first_digit, "form %zu", i);
	}
}

Test(luhn_scan, digit_bytes_inside_binary_data_are_found)
{
	unsigned char binary[300];
	for (size_t i = 0; i < sizeof(binary); i++)
		binary[i] = (unsigned char)(0x80u + (i * 37u) % 0x7fu); /* no digits, no NUL */
	memcpy(binary + 100, "378282246310005", 15);
	/* Digits with NUL between them, as a UTF-16 string inside a record. */
	unsigned char wide[64];
	size_t wide_length = widen("6011111111111117", 2, false, wide);
	memcpy(binary + 200, wide, wide_length);
	struct hits_seen seen = scan(binary, sizeof(binary));
	cr_assert_eq(seen.count, 2);
	cr_assert_eq(seen.hits[0].offset, 100);
	cr_assert_str_eq(seen.hits[0].digits, "378282246310005");
	cr_assert_eq(seen.hits[1].offset, 200);
	cr_assert_str_eq(seen.hits[1].digits, "6011111111111117");
}

Test(luhn_scan, several_pans_in_one_buffer_are_all_found_in_order)
{
	struct hits_seen seen = scan_text("a 4242424242424242 b 5555-5555-5555-4444 c 378282246310005 d");
	cr_assert_eq(seen.count, 3);
	cr_assert_str_eq(seen.hits[0].digits, "4242424242424242");
	cr_assert_str_eq(seen.hits[1].digits, "5555555555554444");
	cr_assert_str_eq(seen.hits[2].digits, "378282246310005");
	cr_assert_lt(seen.hits[0].offset, seen.hits[1].offset);
	cr_assert_lt(seen.hits[1].offset, seen.hits[2].offset);
}

Test(luhn_scan, luhn_invalid_runs_are_not_reported)
{
	/* Test PANs with their check digit changed, chosen so that no shorter
	 * window passes either ("4242424242424241" would not do: its first 15
	 * digits pass), and runs of ones (no window of 13..19 ones passes: its
	 * Luhn sum is 19, 21, 22, 24, 25, 27 or 28). */
	cr_assert_eq(scan_text("378282246310006").count, 0);
	cr_assert_eq(scan_text("6011111111111113").count, 0);
	cr_assert_eq(scan_text("6011111111111118").count, 0);
	cr_assert_eq(scan_text("1111111111111").count, 0);
	cr_assert_eq(scan_text("1111111111111111111").count, 0);
}

Test(luhn_scan, runs_shorter_than_13_digits_are_not_reported)
{
	/* Both pass the Luhn check, but 12 digits are no card number. */
	cr_assert(luhn_is_valid("424242424242", 12));
	cr_assert_eq(scan_text("x424242424242x").count, 0);
	cr_assert_eq(scan_text("000000000000").count, 0);
	/* Thirteen zeros pass, and are reported: the scanner does not guess. */
	cr_assert_eq(scan_text("0000000000000").count, 1);
}

Test(luhn_scan, a_pan_inside_a_longer_digit_run_is_reported_as_a_window)
{
	/* 16 + 9 digits: no card number as a whole, but a PAN is inside. */
	const char *text = "id 4242424242424242123456789 end";
	struct hits_seen seen = scan_text(text);
	cr_assert_geq(seen.count, 1);
	bool covered = false;
	for (size_t i = 0; i < seen.count && i < HITS_KEPT_MAX; i++)
		covered = covered || strstr(seen.hits[i].digits, "424242424242") != NULL;
	cr_assert(covered, "no window over the embedded PAN");
	/* A long run with no passing window stays quiet. */
	cr_assert_eq(scan_text("111111111111111111111111111111").count, 0);
}

Test(luhn_scan, a_pan_glued_after_other_digits_is_among_the_reported_windows)
{
	/* Windows mixing the ones and the PAN pass too; the PAN itself is one
	 * of them, at its own offset. */
	struct hits_seen seen = scan_text("111111111114242424242424242");
	cr_assert_geq(seen.count, 1);
	cr_assert_leq(seen.count, HITS_KEPT_MAX);
	bool found = false;
	for (size_t i = 0; i < seen.count; i++)
		found = found || (seen.hits[i].offset == 11 && strcmp(seen.hits[i].digits, "4242424242424242") == 0);
	cr_assert(found, "the glued PAN is not among the windows");
}

Test(luhn_scan, two_separators_or_other_punctuation_break_a_run)
{
	cr_assert_eq(scan_text("4242  4242  4242  4242").count, 0);
	cr_assert_eq(scan_text("4242 -4242 -4242 -4242").count, 0);
	cr_assert_eq(scan_text("4242.4242.4242.4242").count, 0);
	cr_assert_eq(scan_text("4242/4242/4242/4242").count, 0);
	cr_assert_eq(scan_text("4242\n4242\n4242\n4242").count, 0);
	/* Four NULs are more than a UTF-32 gap. */
	unsigned char spaced[96];
	size_t n = 0;
	for (const char *c = "4242424242424242"; *c != '\0'; c++) {
		spaced[n++] = (unsigned char)*c;
		for (unsigned z = 0; z < 4; z++)
			spaced[n++] = 0;
	}
	cr_assert_eq(scan(spaced, n).count, 0);
}

Test(luhn_scan, any_run_of_non_alphanumeric_bytes_joins_digits_under_the_auditor_rule)
{
	static const char *const joined[] = {
		"4242.4242.4242.4242",
		"4242/4242/4242/4242",
		"4242_4242_4242_4242",
		"4242  4242   4242 4242",
		"4242\t4242\n4242\r\n4242",
		"4242 -./_:4242#~4242()4242",
		"4242\x80\xff"
		"4242\x01\x7f"
		"4242\x1f"
		"4242",
	};
	for (size_t i = 0; i < sizeof(joined) / sizeof(joined[0]); i++) {
		char text[64];
		int length = snprintf(text, sizeof(text), "pan=%s;", joined[i]);
		struct hits_seen seen = scan_separated(text, (size_t)length);
		cr_assert_eq(seen.count, 1, "%s: %zu hits", joined[i], seen.count);
		cr_assert_str_eq(seen.hits[0].digits, "4242424242424242");
		cr_assert_eq(seen.hits[0].offset, 4);
		cr_assert_eq(seen.hits[0].span_bytes, strlen(joined[i]));
		cr_assert(seen.hits[0].grouped);
		cr_assert_eq(scan(text, (size_t)length).count, 0, "%s: not a group by luhn_scan", joined[i]);
	}
}

Test(luhn_scan, digits_of_nul_padded_fields_side_by_side_join_under_the_auditor_rule)
{
	/* A reference ending in digits, then a last 4 and an auth code: each
	 * field harmless alone, one PAN as a run of bytes. */
	unsigned char record[64];
	memset(record, 0, sizeof(record));
	memcpy(record, "ch_4242424", 10);
	memcpy(record + 24, "2424", 4);
	memcpy(record + 29, "24242", 5);
	struct hits_seen seen = scan_separated(record, sizeof(record));
	cr_assert_eq(seen.count, 1);
	cr_assert_str_eq(seen.hits[0].digits, "4242424242424242");
	cr_assert_eq(seen.hits[0].offset, 3);
	cr_assert(seen.hits[0].wide);
	cr_assert_not(seen.hits[0].grouped);
	cr_assert_eq(scan(record, sizeof(record)).count, 0, "more than 3 NULs: apart for luhn_scan");
}

Test(luhn_scan, letters_end_a_run_under_the_auditor_rule)
{
	static const char text[] = "4242a4242B4242z4242 4242.4242.x4242.4242";
	cr_assert_eq(scan_separated(text, sizeof(text) - 1).count, 0);
	static const char luhn_invalid[] = "3782.8224.6310.006";
	cr_assert_eq(scan_separated(luhn_invalid, sizeof(luhn_invalid) - 1).count, 0);
}

Test(luhn_scan, real_emv_aids_are_not_taken_for_card_numbers)
{
	/* What the reader may legitimately report in the AID field. */
	const char *aids = "A0000000031010 A0000000041010 A0000000043060 A000000025010801 "
			   "A0000001523010 A0000000651010 A000000333010101 A0000002771010";
	cr_assert_eq(scan_text(aids).count, 0);
	cr_assert_eq(scan_separated(aids, strlen(aids)).count, 0, "each begins with a letter");
}

Test(luhn_scan, an_empty_buffer_and_a_null_callback_are_fine)
{
	cr_assert_eq(luhn_scan("", 0, NULL, NULL), 0);
	cr_assert_eq(luhn_scan("4242424242424242", 16, NULL, NULL), 1);
}

Test(luhn_scan, a_hit_is_described_for_failure_messages)
{
	struct hits_seen seen = scan_text("xx 4242 4242 4242 4242");
	cr_assert_eq(seen.count, 1);
	char text[128];
	luhn_hit_describe(&seen.hits[0], text, sizeof(text));
	cr_assert_str_eq(text, "offset 3: 4242424242424242 (16 digits, grouped)");
}
