/* SPDX-License-Identifier: MIT */
/* Status codes, money, currency codes, name tables and lane defaults. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <candyvend/candyvend.h>

/* Formats an amount, asserting success, into a static buffer. */
static const char *format(int64_t amount, const char *currency)
{
	static char buf[32];
	struct cv_money money;
	cr_assert_eq(cv_money_make(amount, currency, &money), CV_OK);
	cr_assert_eq(cv_money_format(&money, buf, sizeof(buf)), CV_OK);
	return buf;
}

/* Every code of enum cv_status; 5, 12 and 13 were removed and stay unused. */
static const enum cv_status every_status[] = {
	CV_OK,
	CV_PENDING,
	CV_E_INVAL,
	CV_E_NOMEM,
	CV_E_BUSY,
	CV_E_IO,
	CV_E_NOTSUP,
	CV_E_VERSION,
	CV_E_FULL,
	CV_E_CORRUPT,
	CV_E_JAM,
	CV_E_STATE,
	CV_E_NOT_FOUND,
	CV_E_SOLD_OUT,
	CV_E_OUT_OF_SERVICE,
	CV_E_NOT_PRICED,
	CV_E_SENSOR,
	CV_E_MISUSE,
	CV_E_PAYMENT_UNAVAILABLE,
};

Test(status, every_code_has_text_and_name)
{
	for (size_t i = 0; i < sizeof(every_status) / sizeof(every_status[0]); i++) {
		enum cv_status s = every_status[i];
		const char *text = cv_status_str(s);
		const char *name = cv_status_name(s);
		cr_assert_not_null(text);
		cr_assert_neq(strlen(text), 0);
		cr_assert_null(strstr(text, "unknown"), "status %d has no text", (int)s);
		cr_assert_eq(strncmp(name, "CV_", 3), 0);
		cr_assert_str_neq(name, "CV_E_UNKNOWN", "status %d has no name", (int)s);
	}
}

Test(status, names_match_enum)
{
	cr_assert_str_eq(cv_status_name(CV_OK), "CV_OK");
	cr_assert_str_eq(cv_status_name(CV_E_INVAL), "CV_E_INVAL");
	cr_assert_str_eq(cv_status_name(CV_E_OUT_OF_SERVICE), "CV_E_OUT_OF_SERVICE");
	cr_assert_str_eq(cv_status_name(CV_E_MISUSE), "CV_E_MISUSE");
	cr_assert_str_eq(cv_status_str(CV_E_SOLD_OUT), "lane is sold out");
}

Test(status, out_of_range_values)
{
	int bad[] = {-1, 5, 12, 13, CV_E_PAYMENT_UNAVAILABLE + 1, 1000, INT_MIN, INT_MAX};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_str_eq(cv_status_name((enum cv_status)bad[i]), "CV_E_UNKNOWN");
		cr_assert_not_null(strstr(cv_status_str((enum cv_status)bad[i]), "unknown"));
	}
}

Test(money, format_usd)
{
	cr_assert_str_eq(format(150, "USD"), "1.50 USD");
	cr_assert_str_eq(format(0, "USD"), "0.00 USD");
	cr_assert_str_eq(format(5, "USD"), "0.05 USD");
	cr_assert_str_eq(format(123456789, "USD"), "1234567.89 USD");
}

Test(money, format_zero_decimal_currency)
{
	cr_assert_str_eq(format(150, "JPY"), "150 JPY");
	cr_assert_str_eq(format(0, "KRW"), "0 KRW");
	cr_assert_str_eq(format(-7, "ISK"), "-7 ISK");
}

Test(money, format_three_decimal_currency)
{
	cr_assert_str_eq(format(1500, "KWD"), "1.500 KWD");
	cr_assert_str_eq(format(7, "BHD"), "0.007 BHD");
}

Test(money, format_negative)
{
	cr_assert_str_eq(format(-5, "EUR"), "-0.05 EUR");
	cr_assert_str_eq(format(-150, "USD"), "-1.50 USD");
}

Test(money, format_int64_extremes)
{
	cr_assert_str_eq(format(INT64_MIN, "USD"), "-92233720368547758.08 USD");
	cr_assert_str_eq(format(INT64_MAX, "USD"), "92233720368547758.07 USD");
	cr_assert_str_eq(format(INT64_MIN, "JPY"), "-9223372036854775808 JPY");
	cr_assert_str_eq(format(INT64_MIN, "KWD"), "-9223372036854775.808 KWD");
}

Test(money, format_buffer_too_small)
{
	struct cv_money money = {.amount_minor = 150, .currency = "USD"};
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(cv_money_format(&money, buf, sizeof(buf)), CV_E_FULL);
	cr_assert_str_eq(buf, "");
	/* Exactly the right size ("1.50 USD" + NUL) is enough. */
	char exact[9];
	cr_assert_eq(cv_money_format(&money, exact, sizeof(exact)), CV_OK);
	cr_assert_str_eq(exact, "1.50 USD");
	cr_assert_eq(cv_money_format(&money, exact, 0), CV_E_FULL);
}

Test(money, format_bad_arguments)
{
	struct cv_money money = {.amount_minor = 150, .currency = "usd"};
	char buf[32] = "untouched";
	cr_assert_eq(cv_money_format(&money, buf, sizeof(buf)), CV_E_INVAL);
	cr_assert_str_eq(buf, "untouched");
	memcpy(money.currency, "USDX", 4); /* not terminated */
	cr_assert_eq(cv_money_format(&money, buf, sizeof(buf)), CV_E_INVAL);
	cr_assert_eq(cv_money_format(NULL, buf, sizeof(buf)), CV_E_INVAL);
	memcpy(money.currency, "USD", 4);
	cr_assert_eq(cv_money_format(&money, NULL, sizeof(buf)), CV_E_INVAL);
}

Test(money, make)
{
	struct cv_money money = {.amount_minor = 1, .currency = "EUR"};
	cr_assert_eq(cv_money_make(250, "GBP", &money), CV_OK);
	cr_assert_eq(money.amount_minor, 250);
	cr_assert_str_eq(money.currency, "GBP");
	cr_assert_eq(cv_money_make(99, "gbp", &money), CV_E_INVAL);
	cr_assert_eq(cv_money_make(99, NULL, &money), CV_E_INVAL);
	cr_assert_eq(money.amount_minor, 250, "a failed make changed its output");
	cr_assert_str_eq(money.currency, "GBP");
	cr_assert_eq(cv_money_make(99, "GBP", NULL), CV_E_INVAL);
}

Test(currency, validation)
{
	cr_assert_eq(cv_currency_is_valid("USD"), 1);
	cr_assert_eq(cv_currency_is_valid("JPY"), 1);
	cr_assert_eq(cv_currency_is_valid(NULL), 0);
	cr_assert_eq(cv_currency_is_valid(""), 0);
	cr_assert_eq(cv_currency_is_valid("US"), 0);
	cr_assert_eq(cv_currency_is_valid("USDX"), 0);
	cr_assert_eq(cv_currency_is_valid("usd"), 0);
	cr_assert_eq(cv_currency_is_valid("U5D"), 0);
	cr_assert_eq(cv_currency_is_valid("US "), 0);
	cr_assert_eq(cv_currency_is_valid("[SD"), 0);
}

Test(currency, only_known_iso_4217_codes_with_a_minor_unit)
{
	const char *known[] = {"AED", "CHF", "CLF", "EUR", "GBP", "UYW", "XCG", "ZWG", "SLE", "VED"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		cr_assert_eq(cv_currency_is_valid(known[i]), 1, "%s", known[i]);
	/* Unknown, withdrawn, or without a minor unit (precious metals, funds). */
	const char *refused[] = {"ZZZ", "ABC", "HRK", "ANG", "ZWL", "XAU", "XDR", "XXX", "XTS", "AAA", "ZZY"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert_eq(cv_currency_is_valid(refused[i]), 0, "%s", refused[i]);
	struct cv_money money;
	char buf[32];
	cr_assert_eq(cv_money_make(150, "ZZZ", &money), CV_E_INVAL, "an unknown code is refused, not printed with two");
	memcpy(money.currency, "ZZZ", 4);
	cr_assert_eq(cv_money_format(&money, buf, sizeof(buf)), CV_E_INVAL);
}

Test(currency, four_decimal_units)
{
	cr_assert_eq(cv_currency_minor_digits("CLF"), 4);
	cr_assert_eq(cv_currency_minor_digits("UYW"), 4);
	cr_assert_str_eq(format(12345, "CLF"), "1.2345 CLF");
	cr_assert_str_eq(format(5, "UYW"), "0.0005 UYW");
}

Test(currency, minor_digits)
{
	const char *zero[] = {"JPY", "KRW", "VND", "CLP", "ISK", "XAF", "XOF"};
	const char *three[] = {"BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"};
	const char *two[] = {"USD", "EUR", "GBP", "CHF", "UYU"};
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		cr_assert_eq(cv_currency_minor_digits(zero[i]), 0, "%s", zero[i]);
	for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
		cr_assert_eq(cv_currency_minor_digits(three[i]), 3, "%s", three[i]);
	for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
		cr_assert_eq(cv_currency_minor_digits(two[i]), 2, "%s", two[i]);
}

Test(names, alert_kind_codes)
{
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_SOLD_OUT), "ELB");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_LOW_STOCK), "ELE");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_MOTOR_JAM), "EJB");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_LANE_QUARANTINED), "EJC");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_DETECTOR_FAULT), "EJL");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_JOURNAL_FAULT), "EJM");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_SETTLEMENT_FAILED), "EJM");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_UNVERIFIED_VEND), "EJM");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_SETTLEMENT_STALLED), "EJM");
	cr_assert_str_eq(cv_alert_kind_code(CV_ALERT_PAYMENT_LINK_DOWN), "CV_PAYLINK");
	cr_assert_str_eq(cv_alert_kind_code((enum cv_alert_kind)(CV_ALERT_PAYMENT_LINK_DOWN + 1)), "?");
	cr_assert_str_eq(cv_alert_kind_code((enum cv_alert_kind) - 1), "?");
}

Test(names, alert_kind_text)
{
	cr_assert_str_eq(cv_alert_kind_str(CV_ALERT_SOLD_OUT), "lane sold out");
	for (int k = CV_ALERT_SOLD_OUT; k <= CV_ALERT_PAYMENT_LINK_DOWN; k++)
		cr_assert_null(strstr(cv_alert_kind_str((enum cv_alert_kind)k), "unknown"));
	cr_assert_not_null(strstr(cv_alert_kind_str((enum cv_alert_kind)99), "unknown"));
}

Test(names, vend_states)
{
	for (int s = CV_VEND_STATE_SELECTED; s <= CV_VEND_STATE_VOID_FAILED; s++)
		cr_assert_str_neq(cv_vend_state_str((enum cv_vend_state)s), "?", "state %d", s);
	cr_assert_str_eq(cv_vend_state_str(CV_VEND_STATE_DISPENSING), "DISPENSING");
	cr_assert_str_eq(cv_vend_state_str(CV_VEND_STATE_CAPTURE_PENDING), "CAPTURE_PENDING");
	cr_assert_str_eq(cv_vend_state_str(CV_VEND_STATE_VOID_FAILED), "VOID_FAILED");
	cr_assert_str_eq(cv_vend_state_str((enum cv_vend_state)14), "?");
}

Test(names, vend_state_terminal)
{
	for (int s = CV_VEND_STATE_SELECTED; s <= CV_VEND_STATE_VOID_FAILED; s++) {
		bool expected = s == CV_VEND_STATE_CAPTURED || s == CV_VEND_STATE_VOIDED ||
				s == CV_VEND_STATE_ABANDONED || s == CV_VEND_STATE_CAPTURE_FAILED ||
				s == CV_VEND_STATE_VOID_FAILED;
		cr_assert_eq(cv_vend_state_is_terminal((enum cv_vend_state)s), expected, "state %d", s);
	}
	cr_assert_not(cv_vend_state_is_terminal((enum cv_vend_state)14));
}

Test(names, vend_reasons)
{
	for (int r = CV_VEND_REASON_NONE; r <= CV_VEND_REASON_OFFLINE_POLICY; r++)
		cr_assert_str_neq(cv_vend_reason_str((enum cv_vend_reason)r), "unknown reason");
	cr_assert_str_eq(cv_vend_reason_str(CV_VEND_REASON_NO_DROP), "no drop detected");
	cr_assert_str_eq(cv_vend_reason_str((enum cv_vend_reason)(CV_VEND_REASON_OFFLINE_POLICY + 1)),
			 "unknown reason");
}

Test(names, event_types_with_gap)
{
	cr_assert_str_eq(cv_event_type_str(CV_EVENT_DISPENSE_DONE), "DISPENSE_DONE");
	cr_assert_str_eq(cv_event_type_str(CV_EVENT_LANE_CHANGED), "LANE_CHANGED");
	for (int t = CV_EVENT_PAYMENT_RESULT; t <= CV_EVENT_CARD_READ; t++)
		cr_assert_str_neq(cv_event_type_str((enum cv_event_type)t), "?");
	for (int t = CV_EVENT_VEND_STATE; t <= CV_EVENT_RECOVERY; t++)
		cr_assert_str_neq(cv_event_type_str((enum cv_event_type)t), "?");
	/* The gap between inputs and outputs, and beyond. */
	for (int t = CV_EVENT_CARD_READ + 1; t < CV_EVENT_VEND_STATE; t++)
		cr_assert_str_eq(cv_event_type_str((enum cv_event_type)t), "?");
	cr_assert_str_eq(cv_event_type_str((enum cv_event_type)(CV_EVENT_RECOVERY + 1)), "?");
}

Test(names, pay_results_and_availability)
{
	cr_assert_str_eq(cv_pay_result_str(CV_PAY_UNKNOWN), "UNKNOWN");
	cr_assert_str_eq(cv_pay_result_str(CV_PAY_NOT_SENT), "NOT_SENT");
	for (int p = CV_PAY_OK; p <= CV_PAY_READER_FAULT; p++)
		cr_assert_str_neq(cv_pay_result_str((enum cv_pay_result)p), "?");
	cr_assert_str_eq(cv_pay_result_str(CV_PAY_RATE_LIMITED), "RATE_LIMITED");
	cr_assert_str_eq(cv_pay_result_str((enum cv_pay_result)(CV_PAY_READER_FAULT + 1)), "?");
	cr_assert_str_eq(cv_lane_availability_str(CV_LANE_SOLD_OUT), "sold out");
	for (int a = CV_LANE_AVAILABLE; a <= CV_LANE_NO_SENSOR; a++)
		cr_assert_str_neq(cv_lane_availability_str((enum cv_lane_availability)a), "unknown");
	cr_assert_str_eq(cv_lane_availability_str((enum cv_lane_availability)(CV_LANE_NO_SENSOR + 1)), "unknown");
}

/* Display texts go to any screen: plain printable ASCII, never empty. */
Test(names, message_texts)
{
	cr_assert_str_eq(cv_msg_text(CV_MSG_NOT_DISPENSED), "Not dispensed - you were not charged");
	for (int m = CV_MSG_CHOOSE_PRODUCT; m <= CV_MSG_PLEASE_WAIT + 1; m++) {
		const char *text = cv_msg_text((enum cv_msg)m);
		cr_assert_neq(strlen(text), 0);
		for (const char *c = text; *c != '\0'; c++)
			cr_assert(*c >= 0x20 && *c <= 0x7e, "message %d is not plain ASCII", m);
	}
}

Test(lane, config_default)
{
	struct cv_lane_config config;
	memset(&config, 0xa5, sizeof(config));
	cv_lane_config_default(&config);
	cr_assert_eq(config.verify_mode, CV_VERIFY_MODE_REQUIRED);
	cr_assert_eq(config.vend_quarter_turns, 4);
	cr_assert_eq(config.respin_count_max, 3);
	cr_assert_eq(config.respin_quarter_turns, 1);
	cr_assert_eq(config.quarantine_after_failures, 3);
	cr_assert_eq(config.capacity, 10);
	cr_assert_eq(config.count, 0);
	cr_assert_eq(config.low_stock_threshold, 2);
	cr_assert_eq(config.price_minor, 0);
	cr_assert_str_eq(config.label, "");
	cr_assert_str_eq(config.product_id, "");
	cr_assert_str_eq(config.product_name, "");
}

Test(version, matches_header)
{
	cr_assert_str_eq(cv_version(), CV_VERSION_STRING);
	cr_assert_neq(strlen(cv_version()), 0);
}
