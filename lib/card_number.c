/* SPDX-License-Identifier: MIT */
/* Recognizes what could be a card number in text a backend hands over, so
 * that it never reaches the journal, an event or a receipt (PCI DSS 3.3 /
 * 3.4). The test is the one card-data scanners use: a run of 13 to 19
 * digits that passes the Luhn check. Digit groups count as one run when
 * anything but letters separates them: one space or dash as printed on a
 * card, but also dots, slashes, underscores, several spaces, NUL bytes, or
 * a mix ("4242.4242/4242__4242"), because an auditor's scanner reading the
 * bytes joins them the same way. Inside a longer run every 13..19-digit
 * window counts, so a number can't hide in a longer one. False alarms (a
 * number that merely looks like a card number) only blank a display field
 * or a reference. */
#include "machine_private.h"

#define CV_PAN_MIN 13
#define CV_PAN_MAX 19

/* The last digits of the current run, oldest first: enough for the longest
 * window that ends at the newest digit. */
struct cv_digit_run {
	uint8_t digits[CV_PAN_MAX];
	size_t count;
};

/* Adds a digit to the run; true if a Luhn-valid window of 13..19 digits
 * ends at it. Every window of a run ends at one of its digits, so checking
 * at each digit covers all of them, however long the run grows. The
 * windows ending here share their digits' Luhn weights (counted from the
 * end), so one pass from the newest digit back sums them all. */
static bool cv_digit_run_push(struct cv_digit_run *run, uint8_t digit)
{
	if (run->count == CV_PAN_MAX) {
		memmove(run->digits, run->digits + 1, CV_PAN_MAX - 1);
		run->count--;
	}
	run->digits[run->count++] = digit;
	if (run->count < CV_PAN_MIN)
		return false;
	unsigned sum = 0;
	for (size_t i = 0; i < run->count; i++) {
		unsigned d = run->digits[run->count - 1 - i];
		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		if (i + 1 >= CV_PAN_MIN && sum % 10 == 0)
			return true;
	}
	return false;
}

static bool cv_is_ascii_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Every byte of text[0..size) counts, NULs included: a caller passing a
 * whole fixed-size field also has the bytes after its terminator checked. */
bool cv_text_has_card_number(const char *text, size_t size)
{
	struct cv_digit_run run = {.count = 0};
	for (size_t i = 0; i < size; i++) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			if (cv_digit_run_push(&run, (uint8_t)(c - '0')))
				return true;
		} else if (cv_is_ascii_letter(c) || (CV_MUTATED(CV_MUTANT_PAN_SEPARATORS) && c != ' ' && c != '-')) {
			run.count = 0; /* Only a letter ends a run; anything else joins. */
		}
	}
	return false;
}
