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

static bool cv_is_ascii_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Only a letter ends a run of digits; anything else joins its groups. */
static bool cv_pan_run_ends(char c)
{
	return cv_is_ascii_letter(c) || (CV_MUTATED(CV_MUTANT_PAN_SEPARATORS) && c != ' ' && c != '-');
}

/* Whether a Luhn-valid window of 13..19 digits ends at the digit
 * text[last]. The run's digits are read back from it, newest first: the
 * windows ending there share their digits' Luhn weights (counted from the
 * end), so one pass sums them all. */
static bool cv_pan_ends_at(const char *text, size_t last)
{
	unsigned sum = 0;
	unsigned count = 0;
	for (size_t i = last + 1; i-- > 0 && count < CV_PAN_MAX;) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			unsigned d = (unsigned)(c - '0');
			if (count % 2 == 1) {
				d *= 2;
				if (d > 9)
					d -= 9;
			}
			sum += d;
			count++;
			if (count >= CV_PAN_MIN && sum % 10 == 0)
				return true;
		} else if (cv_pan_run_ends(c)) {
			break;
		}
	}
	return false;
}

/* Every byte of text[0..size) counts, NULs included: a caller passing a
 * whole fixed-size field also has the bytes after its terminator checked.
 * Every window of a run ends at one of its digits, so checking at each
 * digit covers all of them, however long the run. */
bool cv_text_has_card_number(const char *text, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (text[i] >= '0' && text[i] <= '9' && cv_pan_ends_at(text, i))
			return true;
	return false;
}
