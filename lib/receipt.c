/* SPDX-License-Identifier: MIT */
/* Plain-text receipts for narrow thermal printers (32 to 42 columns, any
 * width from 24 to 80 works). */
#include <candyvend/receipt.h>

#include <stdbool.h>

#include "internal.h"
#include "receipt_internal.h"

#define CV_RECEIPT_WIDTH_MIN 24u
#define CV_RECEIPT_WIDTH_MAX 80u
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
static void cv_receipt_put_field(struct cv_text *text, size_t width, const char *label, const char *value)
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

/* For values that must survive whole (the vend id is the key to any refund,
 * the amount is what was charged): on the label line if it fits, else on
 * lines of their own, split after the last blank that fits (so an amount's
 * number stays on one line), else at the width. */
static void cv_receipt_put_whole(struct cv_text *text, size_t width, const char *label, const char *value)
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
	for (size_t done = 0; done < length;) {
		size_t take = length - done < width ? length - done : width, skip = 0;
		for (size_t i = take; take < length - done && i > 1; i--) {
			if (value[done + i - 1] == ' ') {
				take = i - 1;
				skip = 1;
				break;
			}
		}
		cv_line_start(&line, width);
		cv_line_put(&line, value + done, take);
		cv_text_put_line(text, &line);
		done += take + skip;
	}
}

/* Only what the reader reported is printed; the AID is kept whole (it tells
 * which card application was charged), the rest may be cut. */
static void cv_receipt_put_card(struct cv_text *text, size_t width, const struct cv_card_summary *card)
{
	char value[CV_CARD_BRAND_LEN + CV_CARD_APP_LABEL_LEN];
	if (card->brand[0] != '\0') {
		cv_receipt_mask_digits(value, card->brand);
		cv_receipt_put_field(text, width, "Card", value);
	}
	if (card->last4[0] != '\0') {
		memcpy(value, "**** ", 5);
		cv_str_copy(value + 5, sizeof(value) - 5, card->last4);
		cv_receipt_put_field(text, width, "Card number", value);
	}
	if (card->entry != CV_CARD_ENTRY_UNKNOWN)
		cv_receipt_put_field(text, width, "Entry", cv_card_entry_text(card->entry));
	if (card->auth_code[0] != '\0')
		cv_receipt_put_field(text, width, "Auth code", card->auth_code);
	if (card->aid[0] != '\0')
		cv_receipt_put_whole(text, width, "AID", card->aid);
	if (card->app_label[0] != '\0') {
		cv_receipt_mask_digits(value, card->app_label);
		cv_receipt_put_field(text, width, "App label", value);
	}
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
static void cv_receipt_put_status(struct cv_text *text, size_t width, enum cv_receipt_status status)
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

/* Merchant and location head the receipt, as the schemes ask; absent ones
 * leave no blank line. */
static void cv_receipt_put_header(struct cv_text *text, size_t width, const struct cv_receipt *receipt)
{
	char value[CV_DATE_TEXT_MAX];
	if (receipt->merchant_name[0] != '\0')
		cv_receipt_put_centered(text, width, receipt->merchant_name);
	if (receipt->merchant_location[0] != '\0')
		cv_receipt_put_centered(text, width, receipt->merchant_location);
	cv_receipt_format_time(receipt->time_ms, CV_RECEIPT_TIME_TEXT, value);
	cv_receipt_put_centered(text, width, value);
	cv_receipt_put_rule(text, width);
}

static void cv_receipt_put_all(struct cv_text *text, size_t width, const struct cv_receipt *receipt)
{
	char value[CV_DATE_TEXT_MAX];
	cv_receipt_put_header(text, width, receipt);
	cv_receipt_put_whole(text, width, "Machine", receipt->machine_id);
	cv_receipt_put_field(text, width, "Lane", receipt->lane_label);
	cv_receipt_put_field(text, width, "Product", receipt->product_name);
	/* Cannot fail: the currency was validated and the buffer is over 32. */
	cv_money_format(&receipt->amount, value, sizeof(value));
	/* Never cut short: an amount too wide for the label's line gets its own. */
	cv_receipt_put_whole(text, width, "Amount", value);
	cv_receipt_put_card(text, width, &receipt->card);
	cv_receipt_put_whole(text, width, "Vend id", receipt->vend_id);
	cv_receipt_put_rule(text, width);
	cv_receipt_put_status(text, width, receipt->status);
	/* Approved by the reader alone: the payment is still to be forwarded. */
	if (receipt->offline)
		cv_receipt_put_centered(text, width, "OFFLINE, PENDING");
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

CV_EXPORT enum cv_status cv_receipt_render(const struct cv_receipt *receipt, unsigned width, char *buf, size_t size,
					   size_t *length_out)
{
	if (receipt == NULL || buf == NULL || width < CV_RECEIPT_WIDTH_MIN || width > CV_RECEIPT_WIDTH_MAX ||
	    !cv_receipt_is_valid(receipt))
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
