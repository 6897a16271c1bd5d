/* SPDX-License-Identifier: MIT */
/* Admission of input events: backends are trusted to follow the contract,
 * but what they hand over is checked before the engine acts on it. A
 * malformed completion is refused (the wait it answers then times out, which
 * the engine already treats as an unknown outcome); card fields that could
 * carry more than a brand, last 4, auth code, AID and label are blanked, and
 * every byte after a field's terminator is zeroed (whole arrays are copied
 * into events), so a reader that misbehaves can't put cardholder data into
 * the journal, events or receipts. */
#include "machine_private.h"

static bool cv_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool cv_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Brand: upper-case letters, space, '-' or '_' ("VISA", "AMERICAN EXPRESS"). */
static bool cv_brand_ok(const char *s, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (s[i] == '\0')
			return true;
		if (!cv_is_upper(s[i]) && s[i] != ' ' && s[i] != '-' && s[i] != '_')
			return false;
	}
	return false;
}

/* Last 4: exactly four digits, or empty. */
static bool cv_last4_ok(const char *s)
{
	if (s[0] == '\0')
		return true;
	for (unsigned i = 0; i < 4; i++)
		if (!cv_is_digit(s[i]))
			return false;
	return s[4] == '\0';
}

/* Auth code: upper-case letters and digits, at most 8 (ISO 8583 uses 6). */
static bool cv_auth_code_ok(const char *s, size_t size)
{
	for (size_t i = 0; i < size && i <= 8; i++) {
		if (s[i] == '\0')
			return true;
		if (!cv_is_upper(s[i]) && !cv_is_digit(s[i]))
			return false;
	}
	return false;
}

/* Processor reference: printable ASCII, terminated. */
static bool cv_printable_ok(const char *s, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (s[i] == '\0')
			return true;
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return false;
}

/* AID: 5 to 16 bytes as upper-case hex (ISO 7816-5), or empty. Its first
 * nibble is the registration category (A international, D national, F
 * proprietary), so an all-decimal "AID" is a number, not an AID; and no
 * card number may hide among its digits. */
static bool cv_aid_ok(const char *s, size_t size)
{
	size_t n = 0;
	for (; n < size && s[n] != '\0'; n++)
		if (!cv_is_digit(s[n]) && !(s[n] >= 'A' && s[n] <= 'F'))
			return false;
	if (n == 0)
		return n < size;
	bool registered = s[0] == 'A' || s[0] == 'D' || s[0] == 'F';
	return n < size && n >= 10 && n % 2 == 0 && registered && !cv_text_has_card_number(s, n);
}

/* Application label: printable, no digits, so that no card number can ride
 * in it (EMV labels are names such as "VISA CREDIT"). */
static bool cv_app_label_ok(const char *s, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (s[i] == '\0')
			return true;
		if (s[i] < 0x20 || s[i] > 0x7e || cv_is_digit(s[i]))
			return false;
	}
	return false;
}

/* Zeroes everything after the first NUL of a fixed buffer (or all of it
 * if it has none: the checks below then blank it). */
static void cv_field_zero_tail(char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);
	if (end != NULL)
		memset(s + (end - s), 0, size - (size_t)(end - s));
}

static void cv_card_sanitize(struct cv_card_summary *card)
{
	cv_field_zero_tail(card->brand, sizeof(card->brand));
	cv_field_zero_tail(card->last4, sizeof(card->last4));
	cv_field_zero_tail(card->auth_code, sizeof(card->auth_code));
	cv_field_zero_tail(card->aid, sizeof(card->aid));
	cv_field_zero_tail(card->app_label, sizeof(card->app_label));
	if (!cv_brand_ok(card->brand, sizeof(card->brand)))
		memset(card->brand, 0, sizeof(card->brand));
	if (!cv_str_is_terminated(card->last4, sizeof(card->last4)) || !cv_last4_ok(card->last4))
		memset(card->last4, 0, sizeof(card->last4));
	if (!cv_auth_code_ok(card->auth_code, sizeof(card->auth_code)))
		memset(card->auth_code, 0, sizeof(card->auth_code));
	if (!cv_aid_ok(card->aid, sizeof(card->aid)))
		memset(card->aid, 0, sizeof(card->aid));
	if (!cv_app_label_ok(card->app_label, sizeof(card->app_label)))
		memset(card->app_label, 0, sizeof(card->app_label));
	if ((unsigned)card->entry > CV_CARD_ENTRY_MOBILE_WALLET)
		card->entry = CV_CARD_ENTRY_UNKNOWN;
}

static enum cv_status cv_payment_result_admit(struct cv_payment_result *r)
{
	if ((unsigned)r->op > CV_PAYMENT_OP_REFUND || (unsigned)r->result > CV_PAY_READER_FAULT)
		return CV_E_INVAL;
	if ((unsigned)r->decline_reason > CV_DECLINE_OFFLINE_REFUSED)
		r->decline_reason = CV_DECLINE_GENERIC;
	/* A cut reference would name another hold: refuse rather than guess. */
	if (!cv_printable_ok(r->processor_ref, sizeof(r->processor_ref)))
		return CV_E_INVAL;
	cv_field_zero_tail(r->processor_ref, sizeof(r->processor_ref));
	/* A reference that could be a card number is dropped: settlements then
	 * name the hold by its authorization key, which every request carries. */
	if (cv_text_has_card_number(r->processor_ref, strlen(r->processor_ref)))
		memset(r->processor_ref, 0, sizeof(r->processor_ref));
	if (!cv_str_is_terminated(r->amount.currency, sizeof(r->amount.currency)))
		return CV_E_INVAL;
	cv_card_sanitize(&r->card);
	return CV_OK;
}

enum cv_status cv_event_admit(const struct cv_event *event, struct cv_input_event *out)
{
	out->type = event->type;
	switch (event->type) {
	case CV_EVENT_PAYMENT_RESULT:
		out->u.payment = event->u.payment;
		return cv_payment_result_admit(&out->u.payment);
	case CV_EVENT_DISPENSE_DONE:
		out->u.dispense = event->u.dispense;
		return CV_OK;
	case CV_EVENT_DROP_DETECTED:
		out->u.drop = event->u.drop;
		return CV_OK;
	case CV_EVENT_SENSOR_STATUS:
		out->u.sensor = event->u.sensor;
		return CV_OK;
	case CV_EVENT_STORAGE_SYNCED:
		out->u.storage = event->u.storage;
		return CV_OK;
	case CV_EVENT_CARD_READ:
		out->u.card_read = event->u.card_read;
		return CV_OK;
	default:
		return CV_E_INVAL; /* Output events and unknown types are not input. */
	}
}
