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
#include <stddef.h>

#include "machine_private.h"

/* The capture deadlines kept, in Unix seconds: 2000-01-01 to 2200-01-01
 * (or 0, none given). Nothing else is a deadline a processor could set,
 * and none of these has the 13 digits of a card number. */
#define CV_CAPTURE_BEFORE_MIN_S INT64_C(946684800)
#define CV_CAPTURE_BEFORE_MAX_S INT64_C(7258118400)

/* Character classes, as bits: a shape allows a set of them. NUL is in none. */
enum {
	CV_CHAR_DIGIT = 1,     /* 0-9 */
	CV_CHAR_HEX = 2,       /* A-F, the upper-case hex letters */
	CV_CHAR_UPPER = 4,     /* A-Z */
	CV_CHAR_SEPARATOR = 8, /* space, '-', '_' */
	CV_CHAR_OTHER = 16,    /* the rest of printable ASCII */
};
#define CV_CHAR_PRINTABLE (CV_CHAR_DIGIT | CV_CHAR_UPPER | CV_CHAR_SEPARATOR | CV_CHAR_OTHER)

static unsigned cv_char_class(char c)
{
	if (c >= '0' && c <= '9')
		return CV_CHAR_DIGIT;
	if (c >= 'A' && c <= 'F')
		return CV_CHAR_HEX | CV_CHAR_UPPER;
	if (c >= 'A' && c <= 'Z')
		return CV_CHAR_UPPER;
	if (c == ' ' || c == '-' || c == '_')
		return CV_CHAR_SEPARATOR;
	if (c > ' ' && c <= '~')
		return CV_CHAR_OTHER;
	return 0;
}

/* The shape of a text field: terminated, its characters all of the
 * allowed classes, and either empty or of a length in min..max. */
struct cv_text_shape {
	uint8_t classes;
	uint8_t min;
	uint8_t max;
	/* An AID: an even number of hex digits (whole bytes) whose first nibble
	 * is a registration category (ISO 7816-5: A international, D national,
	 * F proprietary), so an all-decimal "AID" is a number, not an AID. */
	bool aid;
};

/* Processor reference: printable ASCII. */
static const struct cv_text_shape cv_printable_shape = {CV_CHAR_PRINTABLE, 1, UINT8_MAX, false};

/* A text field of the card summary and its shape. */
struct cv_card_field {
	uint8_t offset;
	uint8_t size;
	struct cv_text_shape shape;
};
#define CV_CARD_FIELD(member) offsetof(struct cv_card_summary, member), sizeof(((struct cv_card_summary *)0)->member)

static const struct cv_card_field cv_card_fields[] = {
	/* Brand: upper-case letters, space, '-' or '_' ("VISA", "AMERICAN EXPRESS"). */
	{CV_CARD_FIELD(brand), {CV_CHAR_UPPER | CV_CHAR_SEPARATOR, 1, UINT8_MAX, false}},
	/* Last 4: exactly four digits. */
	{CV_CARD_FIELD(last4), {CV_CHAR_DIGIT, 4, 4, false}},
	/* Auth code: upper-case letters and digits, at most 8 (ISO 8583 uses 6). */
	{CV_CARD_FIELD(auth_code), {CV_CHAR_UPPER | CV_CHAR_DIGIT, 1, 8, false}},
	/* AID: 5 to 16 bytes as upper-case hex. */
	{CV_CARD_FIELD(aid), {CV_CHAR_DIGIT | CV_CHAR_HEX, 10, UINT8_MAX, true}},
	/* Application label: printable, no digits, so that no card number can
	 * ride in it (EMV labels are names such as "VISA CREDIT"). */
	{CV_CARD_FIELD(app_label), {CV_CHAR_PRINTABLE & ~CV_CHAR_DIGIT, 1, UINT8_MAX, false}},
};
_Static_assert(sizeof(struct cv_card_summary) <= UINT8_MAX, "card field offsets fit in a byte");

/* Whether a text field has its shape (never if unterminated). */
static bool cv_text_shape_ok(const char *s, size_t size, const struct cv_text_shape *shape)
{
	size_t n = 0;
	while (n < size && (cv_char_class(s[n]) & shape->classes) != 0)
		n++;
	if (n == size || s[n] != '\0')
		return false;
	if (n == 0)
		return true;
	if (n < shape->min || n > shape->max)
		return false;
	return !shape->aid || (n % 2 == 0 && (s[0] == 'A' || s[0] == 'D' || s[0] == 'F'));
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
static void cv_text_field_admit(char *s, size_t size, const struct cv_text_shape *shape)
{
	size_t length = cv_field_zero_tail(s, size);
	if (!cv_text_shape_ok(s, size, shape) || cv_text_has_card_number(s, length))
		memset(s, 0, size);
}

static void cv_card_sanitize(struct cv_card_summary *card)
{
	for (unsigned i = 0; i < CV_ARRAY_COUNT(cv_card_fields); i++) {
		const struct cv_card_field *f = &cv_card_fields[i];
		cv_text_field_admit((char *)card + f->offset, f->size, &f->shape);
	}
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
	if (!cv_text_shape_ok(r->processor_ref, sizeof(r->processor_ref), &cv_printable_shape))
		return CV_E_INVAL;
	/* A reference that could be a card number is dropped: settlements then
	 * name the hold by its authorization key, which every request carries. */
	cv_text_field_admit(r->processor_ref, sizeof(r->processor_ref), &cv_printable_shape);
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
