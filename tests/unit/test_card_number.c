/* SPDX-License-Identifier: MIT */
/* The library's own card-number recognizer (lib/card_number.c), which
 * keeps PAN-like text out of AIDs and processor references. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine_private.h"

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

Test(card_number, a_pan_inside_a_longer_run_is_recognized)
{
	cr_assert(has("9999424242424242424299"));
}

Test(card_number, ordinary_numbers_are_not)
{
	cr_assert_not(has("4222222222223"), "Luhn-invalid, and no window of it passes");
	cr_assert_not(has("424242424242"), "12 digits");
	cr_assert_not(has("pi_3c9a1f0e7d2b4c6a8e0f1a2b"));
	cr_assert_not(has("A0000000031010"), "Visa AID");
	cr_assert_not(has("A0000000041010"), "Mastercard AID");
	cr_assert_not(has("4242  4242 4242 4242"), "two spaces break a group");
	cr_assert_not(has(""));
}
