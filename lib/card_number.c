/* SPDX-License-Identifier: MIT */
/* Recognizes what could be a card number in text a backend hands over, so
 * that it never reaches the journal, an event or a receipt (PCI DSS 3.3 /
 * 3.4). The test is the one card-data scanners use: a run of 13 to 19
 * digits, possibly grouped by single spaces or dashes, that passes the Luhn
 * check. Inside a longer run every 13..19-digit window counts, so a number
 * can't hide in a longer one. False alarms (a number that merely looks like
 * a card number) only blank a display field or a reference. */
#include "machine_private.h"

#define CV_PAN_MIN 13
#define CV_PAN_MAX 19

static bool cv_luhn_valid(const uint8_t *digits, size_t count)
{
	unsigned sum = 0;
	for (size_t i = 0; i < count; i++) {
		unsigned d = digits[count - 1 - i];
		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

/* Any Luhn-valid window of 13..19 digits in @p run. */
static bool cv_run_has_card_number(const uint8_t *run, size_t count)
{
	for (size_t start = 0; start + CV_PAN_MIN <= count; start++)
		for (size_t len = CV_PAN_MIN; len <= CV_PAN_MAX && start + len <= count; len++)
			if (cv_luhn_valid(run + start, len))
				return true;
	return false;
}

bool cv_text_has_card_number(const char *text, size_t size)
{
	/* A run longer than the buffer can't exist; 64 covers every field. */
	uint8_t run[64];
	size_t count = 0;
	for (size_t i = 0; i < size; i++) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			if (count < sizeof(run))
				run[count++] = (uint8_t)(c - '0');
			continue;
		}
		/* One space or dash between digits groups them ("4242 4242 ..."). */
		bool separator = (c == ' ' || c == '-') && count > 0 && i + 1 < size &&
				 text[i + 1] >= '0' && text[i + 1] <= '9';
		if (separator)
			continue;
		if (cv_run_has_card_number(run, count))
			return true;
		count = 0;
	}
	return cv_run_has_card_number(run, count);
}
