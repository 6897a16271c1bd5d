/* SPDX-License-Identifier: MIT */
/* Admission of input events: backends are trusted to follow the contract,
 * but what they hand over is checked before the engine acts on it. A
 * malformed completion is refused (the wait it answers then times out, which
 * the engine already treats as an unknown outcome). Every text field the
 * engine keeps passes one gate, cv_text_field_admit(): every byte after its
 * terminator is zeroed (whole arrays are copied into events), and a field
 * that is not of its shape (a brand, last 4, auth code, AID, label) or in
 * which digits could join into a card number is blanked. Numbers the engine
 * keeps are range-checked too, so a reader that misbehaves can't put
 * cardholder data into the journal, events or receipts. */
#include "machine_private.h"

/* The capture deadlines kept, in Unix seconds: 2000-01-01 to 2200-01-01
 * (or 0, none given). Nothing else is a deadline a processor could set,
 * and none of these has the 13 digits of a card number. */
#define CV_CAPTURE_BEFORE_MIN_S INT64_C(946684800)
#define CV_CAPTURE_BEFORE_MAX_S INT64_C(7258118400)

/* Whether a text field has its expected shape (never if unterminated). */
typedef bool (*cv_text_shape_fn)(const char *s, size_t size);

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
static bool cv_last4_ok(const char *s, size_t size)
{
	if (!cv_str_is_terminated(s, size))
		return false;
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
 * proprietary), so an all-decimal "AID" is a number, not an AID. */
static bool cv_aid_ok(const char *s, size_t size)
{
	size_t n = 0;
	for (; n < size && s[n] != '\0'; n++)
		if (!cv_is_digit(s[n]) && !(s[n] >= 'A' && s[n] <= 'F'))
			return false;
	if (n == 0)
		return n < size;
	bool registered = s[0] == 'A' || s[0] == 'D' || s[0] == 'F';
	return n < size && n >= 10 && n % 2 == 0 && registered;
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
 * if it has none: the shape checks then blank it). */
/* Zeroes every byte after the terminator; returns the text's length
 * (size if there is no terminator). */
static size_t cv_field_zero_tail(char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);
	if (end == NULL)
		return size;
	size_t length = (size_t)(end - s);
	memset(s + length, 0, size - length);
	return length;
}

/* The one gate for every text field a backend hands over: the tail after
 * the terminator is zeroed, and a field not of its shape, or whose digits
 * could be a card number however they are separated, is blanked. Once the
 * tail is zeroed it holds no digit, so checking the text checks the whole
 * buffer. */
static void cv_text_field_admit(char *s, size_t size, cv_text_shape_fn shape_ok)
{
	size_t length = cv_field_zero_tail(s, size);
	if (!shape_ok(s, size) || cv_text_has_card_number(s, length))
		memset(s, 0, size);
}

static void cv_card_sanitize(struct cv_card_summary *card)
{
	cv_text_field_admit(card->brand, sizeof(card->brand), cv_brand_ok);
	cv_text_field_admit(card->last4, sizeof(card->last4), cv_last4_ok);
	cv_text_field_admit(card->auth_code, sizeof(card->auth_code), cv_auth_code_ok);
	cv_text_field_admit(card->aid, sizeof(card->aid), cv_aid_ok);
	cv_text_field_admit(card->app_label, sizeof(card->app_label), cv_app_label_ok);
	if ((unsigned)card->entry > CV_CARD_ENTRY_MOBILE_WALLET)
		card->entry = CV_CARD_ENTRY_UNKNOWN;
}

/* A deadline out of range is no deadline: like an unknown decline reason,
 * it is replaced by the neutral value and the money answer stands. */
static int64_t cv_capture_before_admit(int64_t seconds)
{
	bool plausible = (seconds >= CV_CAPTURE_BEFORE_MIN_S && seconds <= CV_CAPTURE_BEFORE_MAX_S) ||
			 CV_MUTATED(CV_MUTANT_DEADLINE_UNCHECKED);
	return plausible ? seconds : 0;
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
	/* A reference that could be a card number is dropped: settlements then
	 * name the hold by its authorization key, which every request carries. */
	cv_text_field_admit(r->processor_ref, sizeof(r->processor_ref), cv_printable_ok);
	if (!cv_str_is_terminated(r->amount.currency, sizeof(r->amount.currency)))
		return CV_E_INVAL;
	cv_card_sanitize(&r->card);
	r->capture_before_s = cv_capture_before_admit(r->capture_before_s);
	return CV_OK;
}

/* Each input kind is a member of both unions, so one copy takes whichever
 * the event holds. */
_Static_assert(sizeof(((struct cv_event *)0)->u) >= sizeof(((struct cv_input_event *)0)->u),
	       "an input event's payload fits in a posted event's");

enum cv_status cv_event_admit(const struct cv_event *event, struct cv_input_event *out)
{
	out->type = event->type;
	memcpy(&out->u, &event->u, sizeof(out->u));
	switch (event->type) {
	case CV_EVENT_PAYMENT_RESULT:
		return cv_payment_result_admit(&out->u.payment);
	case CV_EVENT_DISPENSE_DONE:
	case CV_EVENT_DROP_DETECTED:
	case CV_EVENT_SENSOR_STATUS:
	case CV_EVENT_STORAGE_SYNCED:
	case CV_EVENT_CARD_READ:
		return CV_OK;
	default:
		return CV_E_INVAL; /* Output events and unknown types are not input. */
	}
}
