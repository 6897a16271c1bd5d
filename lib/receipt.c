/* SPDX-License-Identifier: MIT */
/* Plain-text receipts for narrow thermal printers. */
#include <candyvend/receipt.h>

#include <stdbool.h>

#include "internal.h"

#define CV_RECEIPT_WIDTH_MIN 24u
#define CV_RECEIPT_WIDTH_MAX 80u
#define CV_MS_PER_DAY INT64_C(86400000)
/* Least room between a label and its value: " . ". */
#define CV_FIELD_GAP_MIN 3u

/* The rendered text as it grows; `full` latches once anything did not fit,
 * so callers can write every line and check once at the end. */
struct cv_text {
	char *buf;
	size_t size;
	size_t length;
	bool full;
};

/* One printed line being assembled; never longer than `width`. */
struct cv_line {
	char chars[CV_RECEIPT_WIDTH_MAX];
	size_t length;
	size_t width;
};

static void cv_line_start(struct cv_line *line, size_t width)
{
	line->length = 0;
	line->width = width;
}

static size_t cv_line_room(const struct cv_line *line)
{
	return line->width - line->length;
}

static void cv_line_fill(struct cv_line *line, char c, size_t count)
{
	for (size_t i = 0; i < count && line->length < line->width; i++)
		line->chars[line->length++] = c;
}

/* Appends at most `max` characters of `text`. Columns are counted in bytes,
 * so anything but printable ASCII (a newline in a product name, UTF-8) is
 * printed as '?' to keep every line within the paper width. */
static void cv_line_put(struct cv_line *line, const char *text, size_t max)
{
	for (size_t i = 0; i < max && text[i] != '\0' && line->length < line->width; i++) {
		unsigned char c = (unsigned char)text[i];
		line->chars[line->length++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
}

/* Shifts the content right to center it; the odd column goes right, and
 * no trailing spaces are added. */
static void cv_line_center(struct cv_line *line)
{
	size_t shift = cv_line_room(line) / 2;
	memmove(line->chars + shift, line->chars, line->length);
	memset(line->chars, ' ', shift);
	line->length += shift;
}

/* Moves a finished line into the text; the NUL must always still fit. */
static void cv_text_put_line(struct cv_text *text, const struct cv_line *line)
{
	if (text->full || text->size - text->length < line->length + 2) {
		text->full = true;
		return;
	}
	memcpy(text->buf + text->length, line->chars, line->length);
	text->length += line->length;
	text->buf[text->length++] = '\n';
	text->buf[text->length] = '\0';
}

static void cv_receipt_put_rule(struct cv_text *text, size_t width)
{
	struct cv_line line;
	cv_line_start(&line, width);
	cv_line_fill(&line, '-', width);
	cv_text_put_line(text, &line);
}

static void cv_receipt_put_centered(struct cv_text *text, size_t width, const char *value)
{
	struct cv_line line;
	cv_line_start(&line, width);
	cv_line_put(&line, value, width);
	cv_line_center(&line);
	cv_text_put_line(text, &line);
}

/* "Label ........ value": the value is right-aligned and cut if it would
 * leave less than " . " between it and the label. */
static void cv_receipt_put_field(struct cv_text *text, size_t width, const char *label,
				 const char *value)
{
	struct cv_line line;
	size_t label_length = strlen(label);
	size_t value_length = strlen(value);
	size_t value_room = width - label_length - CV_FIELD_GAP_MIN;
	if (value_length > value_room)
		value_length = value_room;
	cv_line_start(&line, width);
	cv_line_put(&line, label, label_length);
	cv_line_put(&line, " ", 1);
	cv_line_fill(&line, '.', cv_line_room(&line) - value_length - 1);
	cv_line_put(&line, " ", 1);
	cv_line_put(&line, value, value_length);
	cv_text_put_line(text, &line);
}

/* For values that must survive whole (the vend id is the key to any refund):
 * on the label line if it fits, else on lines of their own, split at the width. */
static void cv_receipt_put_whole(struct cv_text *text, size_t width, const char *label,
				 const char *value)
{
	size_t length = strlen(value);
	if (strlen(label) + CV_FIELD_GAP_MIN + length <= width) {
		cv_receipt_put_field(text, width, label, value);
		return;
	}
	struct cv_line line;
	cv_line_start(&line, width);
	cv_line_put(&line, label, width);
	cv_text_put_line(text, &line);
	for (size_t done = 0; done < length; done += width) {
		cv_line_start(&line, width);
		cv_line_put(&line, value + done, width);
		cv_text_put_line(text, &line);
	}
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
	int64_t year_of_era =
		(day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t month_from_march = (5 * day_of_year + 2) / 153;
	struct cv_civil_date date;
	date.day = (unsigned)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
	date.month = (unsigned)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
	date.year = year_of_era + era * 400 + (date.month <= 2);
	return date;
}

/* Enough for "-292277026-12-31 23:59:59 UTC", the widest int64 ms date. */
#define CV_DATE_TEXT_MAX 40

/* "2026-01-01 12:00:00 UTC"; times before 1970 are floored, not truncated. */
static void cv_receipt_format_time(int64_t time_ms, char out[CV_DATE_TEXT_MAX])
{
	int64_t days = time_ms / CV_MS_PER_DAY;
	int64_t ms_of_day = time_ms % CV_MS_PER_DAY;
	if (ms_of_day < 0) {
		ms_of_day += CV_MS_PER_DAY;
		days--;
	}
	struct cv_civil_date date = cv_civil_from_days(days);
	uint64_t seconds = (uint64_t)ms_of_day / 1000;
	size_t n = 0;
	if (date.year < 0)
		out[n++] = '-';
	n += cv_decimal_write(out + n, date.year < 0 ? (uint64_t)-date.year : (uint64_t)date.year, 4);
	out[n++] = '-';
	n += cv_decimal_write(out + n, date.month, 2);
	out[n++] = '-';
	n += cv_decimal_write(out + n, date.day, 2);
	out[n++] = ' ';
	n += cv_decimal_write(out + n, seconds / 3600, 2);
	out[n++] = ':';
	n += cv_decimal_write(out + n, seconds / 60 % 60, 2);
	out[n++] = ':';
	n += cv_decimal_write(out + n, seconds % 60, 2);
	memcpy(out + n, " UTC", sizeof(" UTC"));
}

/* The brand field is free text from the reader; masking digits there means
 * a misbehaving reader cannot get a PAN printed through it. */
static void cv_receipt_mask_digits(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i] != '\0'; i++)
		dst[i] = (src[i] >= '0' && src[i] <= '9') ? '*' : src[i];
	dst[i] = '\0';
}

static void cv_receipt_put_card(struct cv_text *text, size_t width,
				const struct cv_card_summary *card)
{
	char value[CV_CARD_BRAND_LEN + 8];
	if (card->brand[0] != '\0') {
		cv_receipt_mask_digits(value, card->brand);
		cv_receipt_put_field(text, width, "Card", value);
	}
	if (card->last4[0] != '\0') {
		memcpy(value, "**** ", 5);
		cv_str_copy(value + 5, sizeof(value) - 5, card->last4);
		cv_receipt_put_field(text, width, "Card number", value);
	}
	if (card->auth_code[0] != '\0')
		cv_receipt_put_field(text, width, "Auth code", card->auth_code);
}

/* The customer-facing explanation under the status headline. */
static const char *cv_receipt_status_detail(enum cv_receipt_status status)
{
	switch (status) {
	case CV_RECEIPT_NOT_CHARGED:
		return "you were not charged";
	case CV_RECEIPT_CHARGE_FAILED:
		return "payment not completed";
	default:
		return "";
	}
}

/* "NOT CHARGED - you were not charged" on one line if it fits, else two. */
static void cv_receipt_put_status(struct cv_text *text, size_t width,
				  enum cv_receipt_status status)
{
	const char *headline = cv_receipt_status_str(status);
	const char *detail = cv_receipt_status_detail(status);
	if (detail[0] != '\0' && strlen(headline) + 3 + strlen(detail) > width) {
		cv_receipt_put_centered(text, width, headline);
		cv_receipt_put_centered(text, width, detail);
		return;
	}
	struct cv_line line;
	cv_line_start(&line, width);
	cv_line_put(&line, headline, width);
	if (detail[0] != '\0') {
		cv_line_put(&line, " - ", 3);
		cv_line_put(&line, detail, width);
	}
	cv_line_center(&line);
	cv_text_put_line(text, &line);
}

/* Every string is read with strlen, so unterminated fields are bad input. */
static bool cv_receipt_is_valid(const struct cv_receipt *receipt)
{
	return cv_str_is_terminated(receipt->vend_id, sizeof(receipt->vend_id)) &&
	       cv_str_is_terminated(receipt->machine_id, sizeof(receipt->machine_id)) &&
	       cv_str_is_terminated(receipt->lane_label, sizeof(receipt->lane_label)) &&
	       cv_str_is_terminated(receipt->product_name, sizeof(receipt->product_name)) &&
	       cv_str_is_terminated(receipt->card.brand, sizeof(receipt->card.brand)) &&
	       cv_str_is_terminated(receipt->card.last4, sizeof(receipt->card.last4)) &&
	       cv_str_is_terminated(receipt->card.auth_code, sizeof(receipt->card.auth_code)) &&
	       cv_currency_is_valid(receipt->amount.currency);
}

static void cv_receipt_put_all(struct cv_text *text, size_t width, const struct cv_receipt *receipt)
{
	char value[CV_DATE_TEXT_MAX];
	cv_receipt_put_centered(text, width, receipt->machine_id);
	cv_receipt_format_time(receipt->time_ms, value);
	cv_receipt_put_centered(text, width, value);
	cv_receipt_put_rule(text, width);
	cv_receipt_put_field(text, width, "Lane", receipt->lane_label);
	cv_receipt_put_field(text, width, "Product", receipt->product_name);
	/* Cannot fail: the currency was validated and the buffer is over 32. */
	cv_money_format(&receipt->amount, value, sizeof(value));
	cv_receipt_put_field(text, width, "Amount", value);
	cv_receipt_put_card(text, width, &receipt->card);
	cv_receipt_put_whole(text, width, "Vend id", receipt->vend_id);
	cv_receipt_put_rule(text, width);
	cv_receipt_put_status(text, width, receipt->status);
}

CV_EXPORT const char *cv_receipt_status_str(enum cv_receipt_status status)
{
	switch (status) {
	case CV_RECEIPT_CHARGED:
		return "CHARGED";
	case CV_RECEIPT_NOT_CHARGED:
		return "NOT CHARGED";
	case CV_RECEIPT_CHARGE_FAILED:
		return "CHARGE FAILED";
	}
	return "UNKNOWN";
}

CV_EXPORT enum cv_status cv_receipt_render(const struct cv_receipt *receipt, unsigned width,
					   char *buf, size_t size, size_t *length_out)
{
	if (receipt == NULL || buf == NULL || width < CV_RECEIPT_WIDTH_MIN ||
	    width > CV_RECEIPT_WIDTH_MAX || !cv_receipt_is_valid(receipt))
		return CV_E_INVAL;
	if (size == 0)
		return CV_E_FULL;
	struct cv_text text = {.buf = buf, .size = size, .length = 0, .full = false};
	buf[0] = '\0';
	cv_receipt_put_all(&text, width, receipt);
	if (text.full) {
		buf[0] = '\0';
		return CV_E_FULL;
	}
	if (length_out != NULL)
		*length_out = text.length;
	return CV_OK;
}
