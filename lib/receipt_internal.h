/* SPDX-License-Identifier: MIT */
/* What the text and JSON receipt renderers share: the validity check, the
 * date formats, digit masking and entry-mode names. */
#ifndef CANDYVEND_RECEIPT_INTERNAL_H
#define CANDYVEND_RECEIPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/receipt.h>

/* Enough for "-292277026-12-31T23:59:59.999Z" or "... 23:59:59 UTC", the
 * widest int64 ms dates, NUL included. */
#define CV_DATE_TEXT_MAX 40

/* The two ways a receipt prints its time. */
enum cv_receipt_time_style {
	CV_RECEIPT_TIME_TEXT, /* "2026-01-01 12:00:00 UTC", for paper */
	CV_RECEIPT_TIME_ISO,  /* "2026-01-01T12:00:00.000Z", ISO 8601 for JSON */
};

/* Every string is terminated, the currency and the enums are in range:
 * both renderers refuse anything else as CV_E_INVAL. */
bool cv_receipt_is_valid(const struct cv_receipt *receipt);

/* Writes the NUL-terminated time; returns its length. Times before 1970
 * are floored, not truncated. */
size_t cv_receipt_format_time(int64_t time_ms, enum cv_receipt_time_style style, char out[CV_DATE_TEXT_MAX]);

/* Copies src with every ASCII digit replaced by '*'; dst has src's size. */
void cv_receipt_mask_digits(char *dst, const char *src);

/* "Contactless", "Chip", "Mobile wallet"; "" for unknown. */
const char *cv_card_entry_text(enum cv_card_entry entry);
/* "contactless", "chip", "mobile_wallet"; NULL for unknown. */
const char *cv_card_entry_key(enum cv_card_entry entry);

#endif
