/* SPDX-License-Identifier: MIT */
/* Receipt fields shared by the text and JSON renderers: validation, dates
 * without libc time functions, digit masking, entry-mode names. */
#include "receipt_internal.h"

#include <candyvend/money.h>

#include "internal.h"

#define CV_MS_PER_DAY INT64_C(86400000)

bool cv_receipt_is_valid(const struct cv_receipt *receipt)
{
	const struct cv_card_summary *card = &receipt->card;
	return cv_str_is_terminated(receipt->vend_id, sizeof(receipt->vend_id)) &&
	       cv_str_is_terminated(receipt->merchant_name, sizeof(receipt->merchant_name)) &&
	       cv_str_is_terminated(receipt->merchant_location, sizeof(receipt->merchant_location)) &&
	       cv_str_is_terminated(receipt->machine_id, sizeof(receipt->machine_id)) &&
	       cv_str_is_terminated(receipt->lane_label, sizeof(receipt->lane_label)) &&
	       cv_str_is_terminated(receipt->product_id, sizeof(receipt->product_id)) &&
	       cv_str_is_terminated(receipt->product_name, sizeof(receipt->product_name)) &&
	       cv_str_is_terminated(card->brand, sizeof(card->brand)) &&
	       cv_str_is_terminated(card->last4, sizeof(card->last4)) &&
	       cv_str_is_terminated(card->auth_code, sizeof(card->auth_code)) &&
	       cv_str_is_terminated(card->aid, sizeof(card->aid)) &&
	       cv_str_is_terminated(card->app_label, sizeof(card->app_label)) &&
	       (unsigned)card->entry <= CV_CARD_ENTRY_MOBILE_WALLET &&
	       (unsigned)receipt->status <= CV_RECEIPT_CHARGE_FAILED && cv_currency_is_valid(receipt->amount.currency);
}

/* Writes `value` in decimal, zero-padded to `digits`; returns the length. */
static size_t cv_decimal_write(char *dst, uint64_t value, unsigned digits)
{
	char reversed[20];
	size_t count = 0;
	do {
		reversed[count++] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0 || count < digits);
	for (size_t i = 0; i < count; i++)
		dst[i] = reversed[count - 1 - i];
	return count;
}

struct cv_civil_date {
	int64_t year;
	unsigned month;
	unsigned day;
};

/* Howard Hinnant's civil_from_days: days since 1970-01-01 to a proleptic
 * Gregorian date, exact for any int64 day count, with no libc time functions
 * (they are missing on bare-metal targets). */
static struct cv_civil_date cv_civil_from_days(int64_t days)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t day_of_era = z - era * 146097;
	int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t month_from_march = (5 * day_of_year + 2) / 153;
	struct cv_civil_date date;
	date.day = (unsigned)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
	date.month = (unsigned)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
	date.year = year_of_era + era * 400 + (date.month <= 2);
	return date;
}

size_t cv_receipt_format_time(int64_t time_ms, enum cv_receipt_time_style style, char out[CV_DATE_TEXT_MAX])
{
	int64_t days = time_ms / CV_MS_PER_DAY;
	int64_t ms_of_day = time_ms % CV_MS_PER_DAY;
	if (ms_of_day < 0) {
		ms_of_day += CV_MS_PER_DAY;
		days--;
	}
	struct cv_civil_date date = cv_civil_from_days(days);
	uint64_t seconds = (uint64_t)ms_of_day / 1000;
	bool iso = style == CV_RECEIPT_TIME_ISO;
	size_t n = 0;
	if (date.year < 0)
		out[n++] = '-';
	n += cv_decimal_write(out + n, date.year < 0 ? (uint64_t)-date.year : (uint64_t)date.year, 4);
	out[n++] = '-';
	n += cv_decimal_write(out + n, date.month, 2);
	out[n++] = '-';
	n += cv_decimal_write(out + n, date.day, 2);
	out[n++] = iso ? 'T' : ' ';
	n += cv_decimal_write(out + n, seconds / 3600, 2);
	out[n++] = ':';
	n += cv_decimal_write(out + n, seconds / 60 % 60, 2);
	out[n++] = ':';
	n += cv_decimal_write(out + n, seconds % 60, 2);
	if (iso) {
		out[n++] = '.';
		n += cv_decimal_write(out + n, (uint64_t)ms_of_day % 1000, 3);
		out[n++] = 'Z';
	} else {
		memcpy(out + n, " UTC", 4);
		n += 4;
	}
	out[n] = '\0';
	return n;
}

/* The brand and label are free text from the reader; masking digits there
 * means a misbehaving reader cannot get a PAN printed through them, even if
 * a record bypassed the engine's admission check. */
void cv_receipt_mask_digits(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i] != '\0'; i++)
		dst[i] = (src[i] >= '0' && src[i] <= '9') ? '*' : src[i];
	dst[i] = '\0';
}

const char *cv_card_entry_text(enum cv_card_entry entry)
{
	switch (entry) {
	case CV_CARD_ENTRY_CONTACTLESS:
		return "Contactless";
	case CV_CARD_ENTRY_CHIP:
		return "Chip";
	case CV_CARD_ENTRY_MOBILE_WALLET:
		return "Mobile wallet";
	default:
		return "";
	}
}

const char *cv_card_entry_key(enum cv_card_entry entry)
{
	switch (entry) {
	case CV_CARD_ENTRY_CONTACTLESS:
		return "contactless";
	case CV_CARD_ENTRY_CHIP:
		return "chip";
	case CV_CARD_ENTRY_MOBILE_WALLET:
		return "mobile_wallet";
	default:
		return NULL;
	}
}
