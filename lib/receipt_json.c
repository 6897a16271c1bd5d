/* SPDX-License-Identifier: MIT */
/* Receipts as JSON records (schema cv.receipt.v1) for digital receipts the
 * fleet backend can serve. Written by hand into the caller's buffer: no
 * allocation, no libc formatting, so it runs on bare-metal targets too. */
#include <candyvend/receipt.h>

#include "internal.h"
#include "receipt_internal.h"

/* Worst case of one string field of `size` bytes: every byte escaped to six
 * characters ("\u001f", or "\ufffd" for a byte that is not UTF-8), quotes. */
#define CV_JSON_STRING_MAX(size) (6u * ((size)-1u) + 2u)
/* Every string field at its worst, plus keys, punctuation, two int64
 * numbers, the lane and the time (under 400 characters together). */
#define CV_JSON_FIXED_MAX 512u
#define CV_JSON_WORST                                                                                             \
	(CV_JSON_FIXED_MAX + CV_JSON_STRING_MAX(CV_VEND_ID_LEN) + 2u * CV_JSON_STRING_MAX(CV_MERCHANT_TEXT_LEN) + \
	 CV_JSON_STRING_MAX(CV_MACHINE_ID_LEN) + CV_JSON_STRING_MAX(CV_LANE_LABEL_LEN) +                          \
	 CV_JSON_STRING_MAX(CV_PRODUCT_ID_LEN) + CV_JSON_STRING_MAX(CV_PRODUCT_NAME_LEN) +                        \
	 CV_JSON_STRING_MAX(CV_CURRENCY_LEN) + CV_JSON_STRING_MAX(CV_CARD_BRAND_LEN) +                            \
	 CV_JSON_STRING_MAX(CV_CARD_LAST4_LEN) + CV_JSON_STRING_MAX(CV_AUTH_CODE_LEN) +                           \
	 CV_JSON_STRING_MAX(CV_CARD_AID_LEN) + CV_JSON_STRING_MAX(CV_CARD_APP_LABEL_LEN))
_Static_assert(CV_JSON_WORST <= CV_RECEIPT_JSON_MAX, "CV_RECEIPT_JSON_MAX too small");

/* The output as it grows; `full` latches once anything did not fit, so every
 * field is written and the result checked once at the end. */
struct cv_json {
	char *buf;
	size_t size;
	size_t length;
	bool full;
};

static void cv_json_put_raw(struct cv_json *json, const char *chars, size_t count)
{
	/* The NUL must always still fit. */
	if (json->full || json->size - json->length <= count) {
		json->full = true;
		return;
	}
	memcpy(json->buf + json->length, chars, count);
	json->length += count;
	json->buf[json->length] = '\0';
}

static void cv_json_put_literal(struct cv_json *json, const char *chars)
{
	cv_json_put_raw(json, chars, strlen(chars));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s does not start
 * one (stray continuation, overlong form, surrogate, past U+10FFFF, cut). */
static size_t cv_utf8_sequence_length(const unsigned char *s)
{
	size_t length;
	unsigned min;
	unsigned code;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		length = 2;
		min = 0x80;
		code = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		length = 3;
		min = 0x800;
		code = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		length = 4;
		min = 0x10000;
		code = s[0] & 0x07u;
	} else {
		return 0;
	}
	/* The NUL ends the string and is no continuation byte, so this stops there. */
	for (size_t i = 1; i < length; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		code = (code << 6) | (s[i] & 0x3fu);
	}
	if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
		return 0;
	return length;
}

/* A JSON string: quote and backslash escaped, every control byte (and DEL)
 * as \u00XX, valid UTF-8 kept, any other byte replaced by U+FFFD so the
 * record stays valid UTF-8 whatever a product name holds. */
static void cv_json_put_string(struct cv_json *json, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;
	cv_json_put_raw(json, "\"", 1);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			char escaped[2] = {'\\', (char)*s};
			cv_json_put_raw(json, escaped, 2);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			char escaped[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 0xfu]};
			cv_json_put_raw(json, escaped, 6);
			s++;
		} else if (*s < 0x80) {
			cv_json_put_raw(json, (const char *)s, 1);
			s++;
		} else {
			size_t length = cv_utf8_sequence_length(s);
			if (length == 0) {
				cv_json_put_literal(json, "\\ufffd");
				s++;
			} else {
				cv_json_put_raw(json, (const char *)s, length);
				s += length;
			}
		}
	}
	cv_json_put_raw(json, "\"", 1);
}

/* An optional field: null when empty, so "absent" is not an empty string. */
static void cv_json_put_optional(struct cv_json *json, const char *text)
{
	if (text[0] == '\0')
		cv_json_put_literal(json, "null");
	else
		cv_json_put_string(json, text);
}

static void cv_json_put_int(struct cv_json *json, int64_t value)
{
	char reversed[20];
	size_t count = 0;
	/* Through uint64_t, so INT64_MIN has a magnitude too. */
	uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
	do {
		reversed[count++] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	if (value < 0)
		cv_json_put_raw(json, "-", 1);
	while (count > 0)
		cv_json_put_raw(json, &reversed[--count], 1);
}

/* `"key":` with the separating comma unless it is the object's first key. */
static void cv_json_put_key(struct cv_json *json, const char *key, bool first)
{
	if (!first)
		cv_json_put_raw(json, ",", 1);
	cv_json_put_string(json, key);
	cv_json_put_raw(json, ":", 1);
}

static const char *cv_receipt_status_key(enum cv_receipt_status status)
{
	switch (status) {
	case CV_RECEIPT_NOT_CHARGED:
		return "voided";
	case CV_RECEIPT_CHARGE_FAILED:
		return "capture_failed";
	default:
		return "captured";
	}
}

static void cv_json_put_card(struct cv_json *json, const struct cv_card_summary *card)
{
	char masked[CV_CARD_BRAND_LEN > CV_CARD_APP_LABEL_LEN ? CV_CARD_BRAND_LEN : CV_CARD_APP_LABEL_LEN];
	const char *entry = cv_card_entry_key(card->entry);
	cv_json_put_raw(json, "{", 1);
	cv_json_put_key(json, "brand", true);
	cv_receipt_mask_digits(masked, card->brand);
	cv_json_put_optional(json, masked);
	cv_json_put_key(json, "last4", false);
	cv_json_put_optional(json, card->last4);
	cv_json_put_key(json, "entry", false);
	cv_json_put_optional(json, entry != NULL ? entry : "");
	cv_json_put_key(json, "auth_code", false);
	cv_json_put_optional(json, card->auth_code);
	cv_json_put_key(json, "aid", false);
	cv_json_put_optional(json, card->aid);
	cv_json_put_key(json, "app_label", false);
	cv_receipt_mask_digits(masked, card->app_label);
	cv_json_put_optional(json, masked);
	cv_json_put_raw(json, "}", 1);
}

/* The key order is part of the schema: a consumer may compare records as text. */
static void cv_json_put_receipt(struct cv_json *json, const struct cv_receipt *receipt)
{
	char time[CV_DATE_TEXT_MAX];
	cv_json_put_raw(json, "{", 1);
	cv_json_put_key(json, "schema", true);
	cv_json_put_string(json, "cv.receipt.v1");
	cv_json_put_key(json, "vend_id", false);
	cv_json_put_string(json, receipt->vend_id);
	cv_json_put_key(json, "status", false);
	cv_json_put_string(json, cv_receipt_status_key(receipt->status));
	cv_json_put_key(json, "merchant_name", false);
	cv_json_put_optional(json, receipt->merchant_name);
	cv_json_put_key(json, "merchant_location", false);
	cv_json_put_optional(json, receipt->merchant_location);
	cv_json_put_key(json, "machine_id", false);
	cv_json_put_string(json, receipt->machine_id);
	cv_json_put_key(json, "time", false);
	cv_receipt_format_time(receipt->time_ms, CV_RECEIPT_TIME_ISO, time);
	/* The time as text only: a 13-digit millisecond count passes the Luhn
	 * check one time in ten, and card-data scanners would flag it. */
	cv_json_put_string(json, time);
	cv_json_put_key(json, "lane", false);
	cv_json_put_int(json, receipt->lane);
	cv_json_put_key(json, "lane_label", false);
	cv_json_put_string(json, receipt->lane_label);
	cv_json_put_key(json, "product_id", false);
	cv_json_put_string(json, receipt->product_id);
	cv_json_put_key(json, "product_name", false);
	cv_json_put_string(json, receipt->product_name);
	cv_json_put_key(json, "amount_minor", false);
	cv_json_put_int(json, receipt->amount.amount_minor);
	cv_json_put_key(json, "currency", false);
	cv_json_put_string(json, receipt->amount.currency);
	cv_json_put_key(json, "card", false);
	cv_json_put_card(json, &receipt->card);
	cv_json_put_key(json, "offline_pending", false);
	cv_json_put_literal(json, receipt->offline ? "true" : "false");
	cv_json_put_raw(json, "}", 1);
}

CV_EXPORT enum cv_status cv_receipt_render_json(const struct cv_receipt *receipt, char *buf, size_t size,
						size_t *length_out)
{
	if (receipt == NULL || buf == NULL || !cv_receipt_is_valid(receipt))
		return CV_E_INVAL;
	if (size == 0)
		return CV_E_FULL;
	struct cv_json json = {.buf = buf, .size = size, .length = 0, .full = false};
	buf[0] = '\0';
	cv_json_put_receipt(&json, receipt);
	if (json.full) {
		buf[0] = '\0';
		return CV_E_FULL;
	}
	if (length_out != NULL)
		*length_out = json.length;
	return CV_OK;
}
