/* SPDX-License-Identifier: MIT */
/* The response decoder: an HTTP status and body bytes from the processor (or
 * from anyone on the way) in, a payment result out. The bytes are untrusted:
 * every field is checked for type and shape, and anything a 2xx answer should
 * hold but doesn't makes the outcome unknown, never a success. */
#include "gateway_response.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include <candyvend/money.h>

static bool cv_gw_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool cv_gw_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool cv_gw_is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

bool cv_gw_id_valid(const char *text)
{
	if (text == NULL)
		return false;
	size_t n = 0;
	for (; text[n] != '\0'; n++) {
		char c = text[n];
		if (n + 1 >= CV_PROCESSOR_REF_LEN)
			return false;
		if (!cv_gw_is_digit(c) && !cv_gw_is_upper(c) && !cv_gw_is_lower(c) && c != '_')
			return false;
	}
	return n > 0;
}

bool cv_gw_token_valid(const char *token)
{
	if (token == NULL)
		return false;
	size_t n = 0;
	unsigned digits = 0;
	for (; token[n] != '\0'; n++) {
		char c = token[n];
		if (n >= CV_GATEWAY_TOKEN_MAX || c <= ' ' || c > '~')
			return false;
		digits = cv_gw_is_digit(c) ? digits + 1 : 0;
		if (digits >= 13) /* Could be a card number: never send it. */
			return false;
	}
	return n > 0;
}

/* A string member, or NULL if absent or not a string. */
static const char *cv_gw_string(const json_t *object, const char *name)
{
	return json_string_value(json_object_get(object, name));
}

static bool cv_gw_integer(const json_t *object, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(object, name);
	if (!json_is_integer(v))
		return false;
	json_int_t x = json_integer_value(v);
	if (x < min || x > max)
		return false;
	*out = (int64_t)x;
	return true;
}

/* Brand: 1..15 ASCII letters, upper-cased ("visa" -> "VISA"); else empty. */
static void cv_gw_brand(const char *text, char out[CV_CARD_BRAND_LEN])
{
	out[0] = '\0';
	if (text == NULL)
		return;
	size_t n = strlen(text);
	if (n == 0 || n >= CV_CARD_BRAND_LEN)
		return;
	for (size_t i = 0; i < n; i++)
		if (!cv_gw_is_upper(text[i]) && !cv_gw_is_lower(text[i]))
			return;
	for (size_t i = 0; i < n; i++)
		out[i] = cv_gw_is_lower(text[i]) ? (char)(text[i] - 'a' + 'A') : text[i];
	out[n] = '\0';
}

/* Last four: exactly four digits; else empty. */
static void cv_gw_last4(const char *text, char out[CV_CARD_LAST4_LEN])
{
	out[0] = '\0';
	if (text == NULL || strlen(text) != 4)
		return;
	for (size_t i = 0; i < 4; i++)
		if (!cv_gw_is_digit(text[i]))
			return;
	memcpy(out, text, 5);
}

/* Auth code: 1..8 upper-case letters and digits, as it is; else empty. */
static void cv_gw_auth_code(const char *text, char out[CV_AUTH_CODE_LEN])
{
	out[0] = '\0';
	if (text == NULL)
		return;
	size_t n = strlen(text);
	if (n == 0 || n > 8)
		return;
	for (size_t i = 0; i < n; i++)
		if (!cv_gw_is_digit(text[i]) && !cv_gw_is_upper(text[i]))
			return;
	memcpy(out, text, n + 1);
}

static enum cv_card_entry cv_gw_entry(const char *read_method)
{
	if (read_method == NULL)
		return CV_CARD_ENTRY_UNKNOWN;
	if (strcmp(read_method, "contactless_emv") == 0)
		return CV_CARD_ENTRY_CONTACTLESS;
	if (strcmp(read_method, "contact_emv") == 0)
		return CV_CARD_ENTRY_CHIP;
	if (strcmp(read_method, "wallet") == 0)
		return CV_CARD_ENTRY_MOBILE_WALLET;
	return CV_CARD_ENTRY_UNKNOWN;
}

static enum cv_decline_reason cv_gw_decline(const char *decline_code)
{
	if (decline_code == NULL)
		return CV_DECLINE_GENERIC;
	if (strcmp(decline_code, "insufficient_funds") == 0)
		return CV_DECLINE_INSUFFICIENT;
	if (strcmp(decline_code, "expired_card") == 0)
		return CV_DECLINE_EXPIRED_CARD;
	return CV_DECLINE_GENERIC;
}

/* Card details and the capture deadline from latest_charge, when it is an
 * expanded object. All optional: a field that fails its check stays empty. */
static void cv_gw_charge(const json_t *intent, struct cv_payment_result *out)
{
	const json_t *charge = json_object_get(intent, "latest_charge");
	if (!json_is_object(charge))
		return;
	cv_gw_auth_code(cv_gw_string(charge, "authorization_code"), out->card.auth_code);
	const json_t *details = json_object_get(charge, "payment_method_details");
	const json_t *card = json_object_get(details, "card_present");
	if (!json_is_object(card))
		return;
	cv_gw_brand(cv_gw_string(card, "brand"), out->card.brand);
	cv_gw_last4(cv_gw_string(card, "last4"), out->card.last4);
	out->card.entry = cv_gw_entry(cv_gw_string(card, "read_method"));
	int64_t before = 0;
	if (cv_gw_integer(card, "capture_before", 1, INT64_MAX, &before))
		out->capture_before_s = before;
}

/* The fields every intent must have: a clean id, a status, a currency. */
static bool cv_gw_intent_head(const json_t *intent, const char **status, struct cv_payment_result *out)
{
	if (!json_is_object(intent))
		return false;
	const char *id = cv_gw_string(intent, "id");
	const char *currency = cv_gw_string(intent, "currency");
	*status = cv_gw_string(intent, "status");
	if (!cv_gw_id_valid(id) || *status == NULL || currency == NULL || strlen(currency) != 3)
		return false;
	char upper[CV_CURRENCY_LEN];
	for (size_t i = 0; i < 3; i++) {
		char c = currency[i];
		if (!cv_gw_is_lower(c) && !cv_gw_is_upper(c))
			return false;
		upper[i] = cv_gw_is_lower(c) ? (char)(c - 'a' + 'A') : c;
	}
	upper[3] = '\0';
	memcpy(out->processor_ref, id, strlen(id) + 1);
	memcpy(out->amount.currency, upper, sizeof(upper));
	return true;
}

/* Whether the amounts of an intent fit its status: a hold holds something
 * and has taken nothing, a capture took something and holds nothing, a
 * declined or cancelled intent neither holds nor took anything. A processor
 * (or anyone on the way) that says otherwise contradicts itself. */
static bool cv_gw_amounts_fit(const char *status, int64_t capturable, int64_t received)
{
	if (strcmp(status, "requires_capture") == 0)
		return capturable > 0 && received == 0;
	if (strcmp(status, "succeeded") == 0)
		return received > 0 && capturable == 0;
	if (strcmp(status, "canceled") == 0 || strcmp(status, "requires_payment_method") == 0)
		return capturable == 0 && received == 0;
	return true; /* Not settled yet: read as unknown anyway. */
}

/* Whether an intent answers @p req: the request's vend and authorization
 * key (the gateway puts both into the intent's metadata when it creates
 * it: the key tells the attempts of one vend apart), its amount and
 * currency, the request's intent (for a call by reference), and amounts
 * that fit its status. Anything else is someone else's answer (a stale or
 * misrouted one), or a contradiction: no answer at all. */
static bool cv_gw_intent_bound(const json_t *intent, enum cv_gw_call call, const struct cv_payment_request *req,
			       const char *status, const struct cv_payment_result *head)
{
	int64_t amount = 0;
	int64_t capturable = 0;
	int64_t received = 0;
	if (!cv_gw_integer(intent, "amount", 1, INT64_MAX, &amount) ||
	    !cv_gw_integer(intent, "amount_capturable", 0, amount, &capturable) ||
	    !cv_gw_integer(intent, "amount_received", 0, amount, &received) ||
	    !cv_gw_amounts_fit(status, capturable, received))
		return false;
	if (req == NULL || CV_GW_MUTATED(CV_GW_MUTANT_UNBOUND_ANSWER))
		return true;
	const json_t *metadata = json_object_get(intent, "metadata");
	const char *vend_id = cv_gw_string(metadata, "vend_id");
	const char *auth_key = cv_gw_string(metadata, "auth_key");
	if (vend_id == NULL || strcmp(vend_id, req->vend_id) != 0 || auth_key == NULL ||
	    strcmp(auth_key, req->auth_key) != 0 || amount != req->amount.amount_minor ||
	    strcmp(head->amount.currency, req->amount.currency) != 0)
		return false;
	bool by_reference = call == CV_GW_CALL_CAPTURE || call == CV_GW_CALL_CANCEL || call == CV_GW_CALL_RETRIEVE;
	return !by_reference || strcmp(head->processor_ref, req->processor_ref) == 0;
}

/* What an intent's current state says about its authorization: held (OK),
 * declined, cancelled, captured (OK, with the amount received), or still
 * running (UNKNOWN); and whether it is the request's intent at all. */
static enum cv_gw_intent cv_gw_intent_state(const json_t *intent, enum cv_gw_call call,
					    const struct cv_payment_request *req, struct cv_payment_result *out)
{
	const char *status = NULL;
	out->result = CV_PAY_UNKNOWN;
	if (!cv_gw_intent_head(intent, &status, out))
		return CV_GW_INTENT_NONE;
	if (!cv_gw_intent_bound(intent, call, req, status, out))
		return CV_GW_INTENT_FOREIGN;
	int64_t amount = 0;
	if (strcmp(status, "requires_capture") == 0) {
		(void)cv_gw_integer(intent, "amount_capturable", 0, INT64_MAX, &amount);
		out->result = CV_PAY_OK;
		out->amount.amount_minor = amount;
		cv_gw_charge(intent, out);
		return CV_GW_INTENT_REQUIRES_CAPTURE;
	}
	if (strcmp(status, "requires_payment_method") == 0) {
		const json_t *error = json_object_get(intent, "last_payment_error");
		out->result = CV_PAY_DECLINED;
		out->decline_reason = cv_gw_decline(cv_gw_string(error, "decline_code"));
		return CV_GW_INTENT_REQUIRES_PAYMENT_METHOD;
	}
	if (strcmp(status, "canceled") == 0) {
		out->result = CV_PAY_CANCELLED;
		return CV_GW_INTENT_CANCELED;
	}
	if (strcmp(status, "succeeded") == 0) {
		(void)cv_gw_integer(intent, "amount_received", 0, INT64_MAX, &amount);
		out->result = CV_PAY_OK;
		out->amount.amount_minor = amount;
		cv_gw_charge(intent, out);
		return CV_GW_INTENT_SUCCEEDED;
	}
	return CV_GW_INTENT_OTHER; /* processing, requires_action, ...: not settled yet. */
}

/* Whether an intent still holds or has taken money. */
static bool cv_gw_intent_live(enum cv_gw_intent state)
{
	return state == CV_GW_INTENT_REQUIRES_CAPTURE || state == CV_GW_INTENT_SUCCEEDED;
}

/* A list under the authorization's key: it must name that key (an empty
 * list names nothing else), and every intent in it must be the request's.
 * The one intent that holds or took money is the answer (two: no answer);
 * if none does, the newest (first) says what became of the key. */
static enum cv_gw_intent cv_gw_decode_list(const json_t *root, const struct cv_payment_request *req,
					   struct cv_payment_result *out)
{
	const json_t *data = json_object_get(root, "data");
	const char *object = cv_gw_string(root, "object");
	const char *key = cv_gw_string(root, "idempotency_key");
	out->result = CV_PAY_UNKNOWN;
	if (!json_is_array(data) || object == NULL || strcmp(object, "list") != 0)
		return CV_GW_INTENT_NONE;
	if (req != NULL && (key == NULL || strcmp(key, req->auth_key) != 0))
		return CV_GW_INTENT_FOREIGN;
	if (json_array_size(data) == 0) {
		out->result = CV_PAY_NOT_FOUND;
		return CV_GW_INTENT_NONE;
	}
	const json_t *pick = json_array_get(data, 0);
	unsigned live = 0;
	size_t i;
	const json_t *intent;
	json_array_foreach(data, i, intent)
	{
		struct cv_payment_result seen;
		memset(&seen, 0, sizeof(seen));
		enum cv_gw_intent state = cv_gw_intent_state(intent, CV_GW_CALL_LIST, req, &seen);
		if (state == CV_GW_INTENT_NONE || state == CV_GW_INTENT_FOREIGN)
			return state;
		if (cv_gw_intent_live(state)) {
			live++;
			pick = intent;
		}
	}
	if (live > 1)
		return CV_GW_INTENT_OTHER;
	return cv_gw_intent_state(pick, CV_GW_CALL_LIST, req, out);
}

static enum cv_gw_intent cv_gw_decode_2xx(enum cv_gw_call call, const struct cv_payment_request *req,
					  const json_t *root, struct cv_payment_result *out)
{
	if (call == CV_GW_CALL_PROBE) {
		out->result = CV_PAY_OK;
		return CV_GW_INTENT_NONE;
	}
	if (call == CV_GW_CALL_LIST)
		return cv_gw_decode_list(root, req, out);
	enum cv_gw_intent state = cv_gw_intent_state(root, call, req, out);
	/* A create (confirmed, manual capture) must have left a hold; a
	 * capture, the intent captured for the amount asked; a cancel, the
	 * intent cancelled. */
	if (call == CV_GW_CALL_CREATE && state != CV_GW_INTENT_REQUIRES_CAPTURE)
		out->result = CV_PAY_UNKNOWN;
	if (call == CV_GW_CALL_CAPTURE &&
	    (state != CV_GW_INTENT_SUCCEEDED || req == NULL || out->amount.amount_minor != req->amount.amount_minor))
		out->result = CV_PAY_UNKNOWN;
	if (call == CV_GW_CALL_CANCEL)
		out->result = state == CV_GW_INTENT_CANCELED ? CV_PAY_OK : CV_PAY_UNKNOWN;
	return state;
}

/* 400 payment_intent_unexpected_state: the request's intent, in the error
 * body, says what already happened. A capture finds it captured for the
 * amount asked (done: OK), cancelled (the hold is gone: EXPIRED) or declined
 * (nothing to capture: INVALID); a cancel finds it cancelled (done: OK) or
 * captured (can't be undone: INVALID).
 * Another intent, or a state the request could have changed after all (a
 * hold), says nothing: unknown. */
static enum cv_gw_intent cv_gw_unexpected_state(enum cv_gw_call call, const struct cv_payment_request *req,
						const json_t *error, struct cv_payment_result *out)
{
	struct cv_payment_result seen;
	memset(&seen, 0, sizeof(seen));
	enum cv_gw_intent state = cv_gw_intent_state(json_object_get(error, "payment_intent"), call, req, &seen);
	out->result = CV_PAY_UNKNOWN;
	bool capture = call == CV_GW_CALL_CAPTURE;
	if (capture && state == CV_GW_INTENT_SUCCEEDED && req != NULL &&
	    seen.amount.amount_minor == req->amount.amount_minor)
		out->result = CV_PAY_OK;
	else if (capture && state == CV_GW_INTENT_CANCELED)
		out->result = CV_PAY_EXPIRED;
	else if (capture && state == CV_GW_INTENT_REQUIRES_PAYMENT_METHOD)
		out->result = CV_PAY_INVALID; /* Declined: there never was a hold to capture. */
	else if (call == CV_GW_CALL_CANCEL && state == CV_GW_INTENT_CANCELED)
		out->result = CV_PAY_OK;
	else if (call == CV_GW_CALL_CANCEL && state == CV_GW_INTENT_SUCCEEDED)
		out->result = CV_PAY_INVALID;
	if (out->result == CV_PAY_UNKNOWN)
		return state;
	memcpy(out->processor_ref, seen.processor_ref, sizeof(out->processor_ref));
	out->amount = seen.amount;
	if (out->result != CV_PAY_OK || !capture)
		out->amount.amount_minor = 0;
	return state;
}

/* 402 on a create: a decline, if the declined intent it carries is the
 * request's and holds nothing. A decline that carries a hold, another
 * vend's intent or none contradicts itself: unknown. */
static enum cv_gw_intent cv_gw_decline_answer(enum cv_gw_call call, const struct cv_payment_request *req,
					      const json_t *error, const char *type, struct cv_payment_result *out)
{
	struct cv_payment_result seen;
	memset(&seen, 0, sizeof(seen));
	enum cv_gw_intent state = cv_gw_intent_state(json_object_get(error, "payment_intent"), call, req, &seen);
	out->result = CV_PAY_UNKNOWN;
	if (call != CV_GW_CALL_CREATE || strcmp(type, "card_error") != 0 ||
	    state != CV_GW_INTENT_REQUIRES_PAYMENT_METHOD)
		return state == CV_GW_INTENT_NONE ? CV_GW_INTENT_NONE : CV_GW_INTENT_FOREIGN;
	out->result = CV_PAY_DECLINED;
	const char *decline_code = cv_gw_string(error, "decline_code");
	out->decline_reason = cv_gw_decline(decline_code != NULL ? decline_code : cv_gw_string(error, "code"));
	memcpy(out->processor_ref, seen.processor_ref, sizeof(out->processor_ref));
	return state;
}

/* A 4xx or 5xx. Only the processor's own error object (an "error" with a
 * "type") makes a 4xx definite: a proxy, a load balancer or a wrong path
 * answers without one, possibly after forwarding the request. */
static enum cv_gw_intent cv_gw_decode_error(enum cv_gw_call call, const struct cv_payment_request *req,
					    long http_status, const json_t *root, struct cv_payment_result *out)
{
	const json_t *error = json_object_get(root, "error");
	const char *type = cv_gw_string(error, "type");
	const char *code = cv_gw_string(error, "code");
	out->result = CV_PAY_UNKNOWN;
	if (CV_GW_MUTATED(CV_GW_MUTANT_PROXY_408_UNSENT) && http_status == 408) {
		out->result = CV_PAY_NOT_SENT;
		return CV_GW_INTENT_NONE;
	}
	if (type == NULL || http_status >= 500)
		return CV_GW_INTENT_NONE; /* 5xx: Stripe stores them, the outcome is not known. */
	switch (http_status) {
	case 402:
		return cv_gw_decline_answer(call, req, error, type, out);
	case 400:
		/* The key already ran with other parameters: that request may
		 * hold money, so the caller must not take this as "nothing ran". */
		if (strcmp(type, "idempotency_error") == 0) {
			out->result = CV_PAY_INVALID;
			return CV_GW_INTENT_KEY_IN_USE;
		}
		if (code != NULL && strcmp(code, "payment_intent_unexpected_state") == 0)
			return cv_gw_unexpected_state(call, req, error, out);
		out->result = CV_PAY_INVALID; /* Refused before it ran. */
		return CV_GW_INTENT_NONE;
	case 404:
		/* Only "no such object" says the intent is not there. */
		if (code == NULL || strcmp(code, "resource_missing") != 0)
			return CV_GW_INTENT_NONE;
		out->result = call == CV_GW_CALL_CAPTURE || call == CV_GW_CALL_CANCEL || call == CV_GW_CALL_RETRIEVE
				      ? CV_PAY_NOT_FOUND
				      : CV_PAY_INVALID;
		return CV_GW_INTENT_NONE;
	case 408:
		return CV_GW_INTENT_NONE; /* The request may have been forwarded before the timeout. */
	case 409:
		out->result = CV_PAY_CONFLICT;
		return CV_GW_INTENT_NONE;
	case 429:
		out->result = CV_PAY_RATE_LIMITED;
		return CV_GW_INTENT_NONE;
	default:
		out->result = http_status >= 400 ? CV_PAY_INVALID : CV_PAY_UNKNOWN;
		return CV_GW_INTENT_NONE;
	}
}

enum cv_gw_intent cv_gw_response_decode(enum cv_gw_call call, const struct cv_payment_request *req, long http_status,
					const char *body, size_t length, struct cv_payment_result *out)
{
	uint32_t op_id = out->op_id;
	enum cv_payment_op op = out->op;
	memset(out, 0, sizeof(*out));
	out->op_id = op_id;
	out->op = op;
	out->result = CV_PAY_UNKNOWN;

	bool success = http_status >= 200 && http_status < 300;
	json_t *root = NULL;
	if (body != NULL && length > 0) {
		json_error_t error;
		root = json_loadb(body, length, JSON_REJECT_DUPLICATES, &error);
	}
	enum cv_gw_intent state = CV_GW_INTENT_NONE;
	if (success) {
		if (json_is_object(root) || call == CV_GW_CALL_PROBE)
			state = cv_gw_decode_2xx(call, req, root, out);
	} else if (http_status >= 400 && http_status < 600) {
		state = cv_gw_decode_error(call, req, http_status, root, out);
	}
	json_decref(root);
	/* Never a half-filled success or decline reason on anything else. */
	if (out->result != CV_PAY_DECLINED)
		out->decline_reason = CV_DECLINE_NONE;
	if (out->result == CV_PAY_UNKNOWN) {
		uint32_t keep_id = out->op_id;
		enum cv_payment_op keep_op = out->op;
		memset(out, 0, sizeof(*out));
		out->op_id = keep_id;
		out->op = keep_op;
		out->result = CV_PAY_UNKNOWN;
	}
	return state;
}
