/* SPDX-License-Identifier: MIT */
/* The processor gateway: the cv_payment_ops table, its request slots, links
 * and pinned keys, and what each HTTP answer means for the engine's
 * operation (payment_gateway.h). */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "gateway_private.h"

#define CV_GW_CONNECT_TIMEOUT_DEFAULT_MS 3000u
/* Answer this much before the engine's own deadline, so that the engine gets
 * the gateway's verdict rather than its own timeout (at most 250 ms). */
#define CV_GW_DEADLINE_MARGIN_MAX_MS 250u
/* A probe may take this long. */
#define CV_GW_PROBE_TIMEOUT_MS 5000u
/* Wake-up while a breaker is open (it turns half-open by time alone) or a
 * completion waits for room in the engine's queue. */
#define CV_GW_IDLE_WAKE_MS 250
#define CV_GW_REPOST_WAKE_MS 5

/* ---- small helpers ---- */

void cv_gw_wipe(void *p, size_t n)
{
	volatile unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = 0;
}

void cv_gw_logf(struct cv_gateway *gw, enum cv_log_level level, const char *format, ...)
{
	if (gw->log == NULL)
		return;
	char line[192];
	va_list ap;
	va_start(ap, format);
	vsnprintf(line, sizeof(line), format, ap);
	va_end(ap);
	gw->log(gw->log_ctx, level, line);
}

static const char *cv_gw_call_name(enum cv_gw_call call)
{
	static const char *const names[] = {"create", "capture", "cancel", "retrieve", "list", "probe"};
	return (unsigned)call < sizeof(names) / sizeof(names[0]) ? names[call] : "?";
}

static bool cv_gw_call_is_post(enum cv_gw_call call)
{
	return call == CV_GW_CALL_CREATE || call == CV_GW_CALL_CAPTURE || call == CV_GW_CALL_CANCEL;
}

/* A NUL-terminated key of 1..size-1 characters from [A-Za-z0-9._-]: it goes
 * into a header and a query string as it is. */
static bool cv_gw_key_valid(const char *key, size_t size)
{
	size_t n = 0;
	for (; n < size && key[n] != '\0'; n++) {
		char c = key[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return n > 0 && n < size;
}

static uint64_t cv_gw_deadline(uint64_t now_ms, uint32_t timeout_ms)
{
	uint32_t margin = timeout_ms / 10;
	if (margin > CV_GW_DEADLINE_MARGIN_MAX_MS)
		margin = CV_GW_DEADLINE_MARGIN_MAX_MS;
	return now_ms + (uint64_t)(timeout_ms - margin);
}

/* ---- pinned keys ---- */

static struct cv_gw_pin *cv_gw_pin_find(struct cv_gateway *gw, const char *key)
{
	for (unsigned i = 0; i < CV_GATEWAY_PINS_MAX; i++)
		if (gw->pins[i].used && strcmp(gw->pins[i].key, key) == 0)
			return &gw->pins[i];
	return NULL;
}

static void cv_gw_pin_set(struct cv_gateway *gw, const char *key, unsigned link)
{
	struct cv_gw_pin *pin = cv_gw_pin_find(gw, key);
	if (pin == NULL) {
		pin = &gw->pins[0];
		for (unsigned i = 0; i < CV_GATEWAY_PINS_MAX; i++) {
			if (!gw->pins[i].used) {
				pin = &gw->pins[i];
				break;
			}
			if (gw->pins[i].age < pin->age)
				pin = &gw->pins[i];
		}
		if (pin->used)
			cv_gw_logf(gw, CV_LOG_WARN, "gateway: pin table full, oldest unknown outcome forgotten");
		memcpy(pin->key, key, CV_IDEM_KEY_LEN);
	}
	pin->used = true;
	pin->link = link;
	pin->age = ++gw->pin_age;
}

static void cv_gw_pin_clear(struct cv_gateway *gw, const char *key)
{
	struct cv_gw_pin *pin = cv_gw_pin_find(gw, key);
	if (pin != NULL)
		memset(pin, 0, sizeof(*pin));
}

/* The key that ties an operation to a link: a lookup follows its authorization. */
static const char *cv_gw_pin_key(const struct cv_payment_request *req)
{
	return req->op == CV_PAYMENT_OP_LOOKUP ? req->auth_key : req->idempotency_key;
}

/* Whether a result says what became of the key's request (so its pin can
 * go): not for unknown, not sent (this attempt sent nothing), rate limited
 * or conflict (refused before running: the earlier send may still run).
 * Nor for a lookup that found nothing: the lost request may still arrive,
 * and the engine then resends that very key. */
static bool cv_gw_result_settles_key(enum cv_payment_op op, enum cv_pay_result result)
{
	switch (result) {
	case CV_PAY_NOT_FOUND:
		return op != CV_PAYMENT_OP_LOOKUP;
	case CV_PAY_OK:
	case CV_PAY_DECLINED:
	case CV_PAY_INVALID:
	case CV_PAY_EXPIRED:
		return true;
	default:
		return false;
	}
}

enum cv_pay_result cv_gw_unsent_result(const struct cv_gw_slot *slot)
{
	if (slot->call == CV_GW_CALL_RETRIEVE || (slot->req.op == CV_PAYMENT_OP_AUTHORIZE && slot->pinned))
		return CV_PAY_UNKNOWN;
	return CV_PAY_NOT_SENT;
}

/* ---- requests ---- */

/* Percent-encodes @p text onto @p out at *n (form encoding). */
static bool cv_gw_form_put(char *out, size_t size, size_t *n, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			     c == '_' || c == '-' || c == '~';
		if (*n + 4 >= size)
			return false;
		if (plain) {
			out[(*n)++] = (char)c;
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 0xf];
		}
	}
	out[*n] = '\0';
	return true;
}

/* Raw text (names, '=', '&', digits) onto @p out at *n. */
static bool cv_gw_form_raw(char *out, size_t size, size_t *n, const char *text)
{
	size_t len = strlen(text);
	if (*n + len + 1 > size)
		return false;
	memcpy(out + *n, text, len + 1);
	*n += len;
	return true;
}

static bool cv_gw_form_amount(char *out, size_t size, size_t *n, const char *name, int64_t amount)
{
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", (long long)amount);
	return cv_gw_form_raw(out, size, n, name) && cv_gw_form_raw(out, size, n, digits);
}

static bool cv_gw_form_authorize(struct cv_gw_slot *slot)
{
	char currency[CV_CURRENCY_LEN];
	for (size_t i = 0; i < CV_CURRENCY_LEN; i++) {
		char c = slot->req.amount.currency[i];
		currency[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	size_t n = 0;
	char *f = slot->form;
	size_t size = sizeof(slot->form);
	return cv_gw_form_amount(f, size, &n, "amount=", slot->req.amount.amount_minor) &&
	       cv_gw_form_raw(f, size, &n, "&currency=") && cv_gw_form_put(f, size, &n, currency) &&
	       cv_gw_form_raw(f, size, &n, "&payment_method=") && cv_gw_form_put(f, size, &n, slot->token) &&
	       cv_gw_form_raw(f, size, &n, "&capture_method=manual&confirm=true&metadata%5Bvend_id%5D=") &&
	       cv_gw_form_put(f, size, &n, slot->req.vend_id);
}

/* URL and body of @p call; false if they don't fit. */
static bool cv_gw_build(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_gw_call call, unsigned link)
{
	const char *base = gw->links[link].url;
	const char *ref = slot->req.processor_ref;
	size_t size = sizeof(slot->url);
	int len = -1;
	slot->form[0] = '\0';
	switch (call) {
	case CV_GW_CALL_CREATE:
		len = snprintf(slot->url, size, "%s/v1/payment_intents", base);
		if (!cv_gw_form_authorize(slot))
			return false;
		break;
	case CV_GW_CALL_CAPTURE: {
		len = snprintf(slot->url, size, "%s/v1/payment_intents/%s/capture", base, ref);
		size_t n = 0;
		if (!cv_gw_form_amount(slot->form, sizeof(slot->form), &n, "amount_to_capture=",
				       slot->req.amount.amount_minor))
			return false;
		break;
	}
	case CV_GW_CALL_CANCEL:
		len = snprintf(slot->url, size, "%s/v1/payment_intents/%s/cancel", base, ref);
		break;
	case CV_GW_CALL_RETRIEVE:
		len = snprintf(slot->url, size, "%s/v1/payment_intents/%s", base, ref);
		break;
	case CV_GW_CALL_LIST:
		/* The emulator's extension; a real Stripe integration searches by
		 * metadata (docs/payment-gateway.md). */
		len = snprintf(slot->url, size, "%s/v1/payment_intents?idempotency_key=%s", base, slot->req.auth_key);
		break;
	default:
		return false;
	}
	return len > 0 && (size_t)len < size;
}

static void cv_gw_headers(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_gw_call call)
{
	struct curl_slist *h = slot->headers;
	memset(h, 0, sizeof(slot->headers));
	h[0].data = gw->auth_header;
	if (cv_gw_call_is_post(call) && !slot->keyless) {
		snprintf(slot->idem_header, sizeof(slot->idem_header), "Idempotency-Key: %s", slot->req.idempotency_key);
		h[1].data = slot->idem_header;
		h[0].next = &h[1];
	}
}

/* The link a call may go over now: the pinned one if it allows, else the
 * first not yet tried whose breaker is closed. */
static bool cv_gw_pick_link(struct cv_gateway *gw, struct cv_gw_slot *slot, unsigned *link)
{
	if (slot->pinned) {
		*link = slot->link;
		return cv_breaker_allows(&gw->links[slot->link].breaker, gw->now_ms);
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		struct cv_gw_link *l = &gw->links[i];
		if (l->configured && (slot->tried & (1u << i)) == 0 && cv_breaker_allows(&l->breaker, gw->now_ms)) {
			*link = i;
			return true;
		}
	}
	return false;
}

bool cv_gw_call_start(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_gw_call call)
{
	unsigned link = 0;
	if (slot->deadline_ms <= gw->now_ms || !cv_gw_pick_link(gw, slot, &link))
		return false;
	if (!cv_gw_build(gw, slot, call, link)) {
		cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: request does not fit", (unsigned)slot->req.op_id);
		return false;
	}
	CURL *easy = slot->easy;
	curl_easy_reset(easy);
	cv_gw_http_common(gw, easy, &slot->body, slot->deadline_ms - gw->now_ms);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)slot);
	curl_easy_setopt(easy, CURLOPT_URL, slot->url);
	cv_gw_headers(gw, slot, call);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, slot->headers);
	if (cv_gw_call_is_post(call)) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(slot->form));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, slot->form);
	}
	if (cv_gw_http_add(gw, easy) != CV_OK)
		return false;
	slot->call = call;
	slot->link = link;
	slot->state = CV_GW_SLOT_SENDING;
	cv_gw_logf(gw, CV_LOG_DEBUG, "gateway: op %u %s link %u%s", (unsigned)slot->req.op_id, cv_gw_call_name(call),
		   link, slot->pinned ? " (pinned)" : "");
	return true;
}

/* ---- completions ---- */

static void cv_gw_slot_release(struct cv_gw_slot *slot)
{
	cv_gw_wipe(slot->token, sizeof(slot->token));
	cv_gw_wipe(slot->form, sizeof(slot->form));
	CURL *easy = slot->easy;
	char *body = slot->body.data;
	memset(slot, 0, sizeof(*slot));
	slot->easy = easy;
	slot->body.data = body;
	slot->state = CV_GW_SLOT_FREE;
}

static void cv_gw_post(struct cv_gateway *gw, struct cv_gw_slot *slot)
{
	if (gw->machine == NULL) {
		cv_gw_slot_release(slot);
		return;
	}
	struct cv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = CV_EVENT_PAYMENT_RESULT;
	ev.u.payment = slot->result;
	enum cv_status rc = cv_machine_post(gw->machine, &ev);
	if (rc == CV_E_FULL)
		return; /* Kept; posted again from cv_gateway_process(). */
	if (rc != CV_OK)
		cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: completion refused (%s)", (unsigned)slot->result.op_id,
			   cv_status_str(rc));
	cv_gw_slot_release(slot);
}

/* The processor's card fields win; the reader fills what it left empty
 * (AID, application label, and anything the processor did not say). */
static void cv_gw_merge_card(struct cv_card_summary *out, const struct cv_card_summary *reader)
{
	struct cv_card_summary merged = *reader;
	if (out->brand[0] != '\0')
		memcpy(merged.brand, out->brand, sizeof(merged.brand));
	if (out->last4[0] != '\0')
		memcpy(merged.last4, out->last4, sizeof(merged.last4));
	if (out->auth_code[0] != '\0')
		memcpy(merged.auth_code, out->auth_code, sizeof(merged.auth_code));
	if (out->entry != CV_CARD_ENTRY_UNKNOWN)
		merged.entry = out->entry;
	*out = merged;
}

void cv_gw_complete(struct cv_gateway *gw, struct cv_gw_slot *slot, const struct cv_payment_result *result)
{
	slot->result = *result;
	slot->result.op_id = slot->req.op_id;
	slot->result.op = slot->req.op;
	if (slot->req.op == CV_PAYMENT_OP_AUTHORIZE && slot->result.result == CV_PAY_OK)
		cv_gw_merge_card(&slot->result.card, &slot->reader_card);
	cv_gw_wipe(slot->token, sizeof(slot->token));
	if (cv_gw_result_settles_key(slot->req.op, slot->result.result))
		cv_gw_pin_clear(gw, cv_gw_pin_key(&slot->req));
	slot->state = CV_GW_SLOT_POSTING;
	cv_gw_logf(gw, slot->result.result == CV_PAY_OK ? CV_LOG_INFO : CV_LOG_WARN, "gateway: op %u %s -> %s%s%s",
		   (unsigned)slot->req.op_id,
		   slot->req.op == CV_PAYMENT_OP_AUTHORIZE ? "authorize"
		   : slot->req.op == CV_PAYMENT_OP_CAPTURE ? "capture"
		   : slot->req.op == CV_PAYMENT_OP_VOID	   ? "void"
							   : "lookup",
		   cv_pay_result_str(slot->result.result), slot->result.processor_ref[0] != '\0' ? " ref " : "",
		   slot->result.processor_ref);
	cv_gw_post(gw, slot);
}

void cv_gw_complete_code(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_pay_result code)
{
	struct cv_payment_result r;
	memset(&r, 0, sizeof(r));
	r.result = code;
	cv_gw_complete(gw, slot, &r);
}

/* ---- what an answer means ---- */

/* Nothing was sent on this link: try the next one, unless the key is pinned
 * or no link is left. */
static void cv_gw_on_not_sent(struct cv_gateway *gw, struct cv_gw_slot *slot)
{
	slot->tried = (uint8_t)(slot->tried | (1u << slot->link));
	if (!slot->pinned && cv_gw_call_start(gw, slot, slot->call)) {
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u failed over to link %u", (unsigned)slot->req.op_id,
			   slot->link);
		return;
	}
	cv_gw_complete_code(gw, slot, cv_gw_unsent_result(slot));
}

/* The next call of a two-step operation, on the same link; if it can't
 * start, the operation ends with @p otherwise. */
static void cv_gw_next_call(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_gw_call call,
			    enum cv_pay_result otherwise)
{
	slot->pinned = true;
	slot->tried = 0;
	if (!cv_gw_call_start(gw, slot, call))
		cv_gw_complete_code(gw, slot, otherwise);
}

/* A settlement (capture or cancel) answered 5xx. Stripe stores a 5xx for its
 * key and replays it to every resend, so the key can't settle it any more.
 * The intent's own state can: retrieve it. */
static void cv_gw_settle_5xx(struct cv_gateway *gw, struct cv_gw_slot *slot)
{
	if (slot->req.processor_ref[0] == '\0' || slot->keyless) {
		cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
		return;
	}
	cv_gw_next_call(gw, slot, CV_GW_CALL_RETRIEVE, CV_PAY_UNKNOWN);
}

/* The state of the intent after a settlement's 5xx. Settled already: that is
 * the answer. Still open: settle it again without the spoilt key. That is
 * safe without a key: an intent is captured or cancelled at most once, and a
 * second attempt gets "unexpected state", which says what happened. */
static void cv_gw_settle_retrieved(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_gw_intent intent,
				   struct cv_payment_result *r)
{
	bool capture = slot->req.op == CV_PAYMENT_OP_CAPTURE;
	if (intent == CV_GW_INTENT_SUCCEEDED) {
		if (!capture) {
			cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: void found intent %s captured",
				   (unsigned)slot->req.op_id, r->processor_ref);
			r->result = CV_PAY_INVALID;
		}
		cv_gw_complete(gw, slot, r);
		return;
	}
	if (intent == CV_GW_INTENT_CANCELED) {
		r->result = capture ? CV_PAY_EXPIRED : CV_PAY_OK;
		r->amount.amount_minor = 0;
		cv_gw_complete(gw, slot, r);
		return;
	}
	if (intent == CV_GW_INTENT_REQUIRES_CAPTURE ||
	    (!capture && intent == CV_GW_INTENT_REQUIRES_PAYMENT_METHOD)) {
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: key holds a stored 5xx; settling %s without it",
			   (unsigned)slot->req.op_id, r->processor_ref);
		slot->keyless = true;
		cv_gw_next_call(gw, slot, capture ? CV_GW_CALL_CAPTURE : CV_GW_CALL_CANCEL, CV_PAY_UNKNOWN);
		return;
	}
	cv_gw_complete_code(gw, slot, r->result == CV_PAY_NOT_FOUND ? CV_PAY_NOT_FOUND : CV_PAY_UNKNOWN);
}

/* An authorization's second look: the intent retrieved after a replayed
 * 200, or listed under the key after a replayed 5xx or an idempotency error
 * (the key already ran). Only an answer that describes the intent is
 * definite: held, declined or cancelled. An empty list says the key created
 * nothing (it is spent and nothing is held: a definite failure, and the
 * engine's next attempt uses a new key). Anything else (rate limited,
 * refused, not found by id, unreadable) leaves the outcome unknown. */
static void cv_gw_authorize_checked(struct cv_gateway *gw, struct cv_gw_slot *slot, struct cv_payment_result *r)
{
	switch (r->result) {
	case CV_PAY_OK:
	case CV_PAY_DECLINED:
	case CV_PAY_CANCELLED:
		cv_gw_complete(gw, slot, r);
		return;
	case CV_PAY_NOT_FOUND:
		if (slot->call != CV_GW_CALL_LIST)
			break;
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: the key created nothing", (unsigned)slot->req.op_id);
		cv_gw_pin_clear(gw, cv_gw_pin_key(&slot->req));
		cv_gw_complete_code(gw, slot, CV_PAY_NOT_SENT);
		return;
	default:
		break;
	}
	cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
}

static void cv_gw_on_answer(struct cv_gateway *gw, struct cv_gw_slot *slot, long http_status)
{
	struct cv_payment_result r;
	memset(&r, 0, sizeof(r));
	enum cv_gw_intent intent = CV_GW_INTENT_NONE;
	if (slot->body.overflow)
		r.result = CV_PAY_UNKNOWN;
	else
		intent = cv_gw_response_decode(slot->call, http_status, slot->body.data, slot->body.length, &r);
	bool server_error = http_status >= 500 && http_status < 600;
	cv_gw_logf(gw, CV_LOG_DEBUG, "gateway: op %u %s link %u HTTP %ld%s", (unsigned)slot->req.op_id,
		   cv_gw_call_name(slot->call), slot->link, http_status, slot->body.replayed ? " (replayed)" : "");
	/* A POST whose outcome is unknown pins its key to this link. */
	if (r.result == CV_PAY_UNKNOWN && cv_gw_call_is_post(slot->call) && !slot->keyless)
		cv_gw_pin_set(gw, cv_gw_pin_key(&slot->req), slot->link);

	switch (slot->call) {
	case CV_GW_CALL_CREATE:
		if (r.result == CV_PAY_OK && slot->body.replayed) {
			/* A stored answer from an earlier send: the intent may have
			 * changed since. Ask for its state now. */
			memcpy(slot->req.processor_ref, r.processor_ref, sizeof(slot->req.processor_ref));
			cv_gw_next_call(gw, slot, CV_GW_CALL_RETRIEVE, CV_PAY_UNKNOWN);
			return;
		}
		if ((server_error && slot->body.replayed) || intent == CV_GW_INTENT_KEY_IN_USE) {
			/* The key's request ran before: what it left is listed under it. */
			cv_gw_next_call(gw, slot, CV_GW_CALL_LIST, CV_PAY_UNKNOWN);
			return;
		}
		break;
	case CV_GW_CALL_CAPTURE:
	case CV_GW_CALL_CANCEL:
		if (server_error) {
			cv_gw_settle_5xx(gw, slot);
			return;
		}
		break;
	case CV_GW_CALL_RETRIEVE:
		if (slot->req.op == CV_PAYMENT_OP_CAPTURE || slot->req.op == CV_PAYMENT_OP_VOID) {
			cv_gw_settle_retrieved(gw, slot, intent, &r);
			return;
		}
		if (slot->req.op == CV_PAYMENT_OP_AUTHORIZE) {
			cv_gw_authorize_checked(gw, slot, &r);
			return;
		}
		break;
	case CV_GW_CALL_LIST:
		if (slot->req.op == CV_PAYMENT_OP_LOOKUP)
			break;
		if (slot->req.op == CV_PAYMENT_OP_AUTHORIZE) {
			cv_gw_authorize_checked(gw, slot, &r);
			return;
		}
		/* Capture or void without a reference: the list named the intent. */
		if (r.processor_ref[0] != '\0') {
			memcpy(slot->req.processor_ref, r.processor_ref, sizeof(slot->req.processor_ref));
			cv_gw_next_call(gw, slot,
					slot->req.op == CV_PAYMENT_OP_CAPTURE ? CV_GW_CALL_CAPTURE : CV_GW_CALL_CANCEL,
					CV_PAY_NOT_SENT);
			return;
		}
		break;
	default:
		break;
	}
	if (intent == CV_GW_INTENT_SUCCEEDED &&
	    (slot->req.op == CV_PAYMENT_OP_AUTHORIZE || slot->req.op == CV_PAYMENT_OP_LOOKUP))
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: intent %s is already captured", (unsigned)slot->req.op_id,
			   r.processor_ref);
	if (slot->req.op == CV_PAYMENT_OP_VOID && intent == CV_GW_INTENT_SUCCEEDED)
		cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: void found intent %s captured", (unsigned)slot->req.op_id,
			   r.processor_ref);
	cv_gw_complete(gw, slot, &r);
}

static void cv_gw_probe_done(struct cv_gateway *gw, struct cv_gw_link *link, enum cv_gw_transport transport)
{
	link->probe_running = false;
	bool ok = transport == CV_GW_TRANSPORT_ANSWERED;
	cv_breaker_record(&link->breaker, gw->now_ms, ok);
	cv_gw_logf(gw, ok ? CV_LOG_INFO : CV_LOG_WARN, "gateway: probe of link %u %s, breaker %s",
		   (unsigned)(link - gw->links), ok ? "answered" : "failed",
		   cv_breaker_state_str(cv_breaker_state(&link->breaker, gw->now_ms)));
}

void cv_gw_transfer_done(struct cv_gateway *gw, CURL *easy, enum cv_gw_transport transport, long http_status)
{
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		if (gw->links[i].probe == easy) {
			cv_gw_probe_done(gw, &gw->links[i], transport);
			return;
		}
	}
	struct cv_gw_slot *slot = NULL;
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++)
		if (gw->slots[i].easy == easy && gw->slots[i].state == CV_GW_SLOT_SENDING)
			slot = &gw->slots[i];
	if (slot == NULL)
		return;
	cv_breaker_record(&gw->links[slot->link].breaker, gw->now_ms, transport == CV_GW_TRANSPORT_ANSWERED);
	switch (transport) {
	case CV_GW_TRANSPORT_NOT_SENT:
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u %s link %u: not sent", (unsigned)slot->req.op_id,
			   cv_gw_call_name(slot->call), slot->link);
		cv_gw_on_not_sent(gw, slot);
		return;
	case CV_GW_TRANSPORT_UNKNOWN:
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u %s link %u: no answer", (unsigned)slot->req.op_id,
			   cv_gw_call_name(slot->call), slot->link);
		if (cv_gw_call_is_post(slot->call))
			cv_gw_pin_set(gw, cv_gw_pin_key(&slot->req), slot->link);
		cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
		return;
	default:
		cv_gw_on_answer(gw, slot, http_status);
		return;
	}
}

/* ---- the payment ops ---- */

static bool cv_gw_request_valid(const struct cv_payment_request *req)
{
	if (!cv_gw_key_valid(req->idempotency_key, sizeof(req->idempotency_key)) ||
	    !cv_gw_key_valid(req->vend_id, sizeof(req->vend_id)))
		return false;
	if (req->op != CV_PAYMENT_OP_AUTHORIZE && !cv_gw_key_valid(req->auth_key, sizeof(req->auth_key)))
		return false;
	if (memchr(req->processor_ref, '\0', sizeof(req->processor_ref)) == NULL ||
	    (req->processor_ref[0] != '\0' && !cv_gw_id_valid(req->processor_ref)))
		return false;
	if (req->op == CV_PAYMENT_OP_AUTHORIZE || req->op == CV_PAYMENT_OP_CAPTURE)
		return req->amount.amount_minor > 0 && memchr(req->amount.currency, '\0', CV_CURRENCY_LEN) != NULL &&
		       cv_currency_is_valid(req->amount.currency);
	return true;
}

static struct cv_gw_slot *cv_gw_slot_take(struct cv_gateway *gw)
{
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++)
		if (gw->slots[i].state == CV_GW_SLOT_FREE)
			return &gw->slots[i];
	return NULL;
}

static enum cv_status cv_gw_begin_collect(struct cv_gateway *gw, struct cv_gw_slot *slot)
{
	slot->state = CV_GW_SLOT_COLLECTING;
	uint32_t op_id = slot->req.op_id;
	enum cv_status rc = gw->collect(gw->reader_ctx, gw, op_id, &slot->req.amount);
	if (rc == CV_OK || rc == CV_PENDING)
		return CV_PENDING;
	if (cv_gw_collecting(gw, op_id) == slot) {
		cv_gw_slot_release(slot);
		return rc;
	}
	/* The reader answered before failing: its answer stands. */
	return CV_PENDING;
}

static enum cv_status cv_gw_start(void *ctx, const struct cv_payment_request *req)
{
	struct cv_gateway *gw = ctx;
	if (gw->machine == NULL)
		return CV_E_STATE;
	if (req == NULL || !cv_gw_request_valid(req))
		return CV_E_INVAL;
	struct cv_gw_slot *slot = cv_gw_slot_take(gw);
	if (slot == NULL)
		return CV_E_BUSY;
	cv_gw_slot_release(slot);
	slot->req = *req;
	slot->deadline_ms = cv_gw_deadline(gw->now_ms, req->timeout_ms);
	const struct cv_gw_pin *pin = cv_gw_pin_find(gw, cv_gw_pin_key(req));
	if (pin != NULL) {
		slot->pinned = true;
		slot->link = pin->link;
	}
	unsigned link = 0;
	if (!cv_gw_pick_link(gw, slot, &link)) {
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: no usable link%s", (unsigned)req->op_id,
			   slot->pinned ? " (pinned)" : "");
		if (cv_gw_unsent_result(slot) == CV_PAY_UNKNOWN) {
			/* An authorization whose key's earlier send has an unknown
			 * outcome: "not sent" would let the engine take a new key
			 * while the first hold may stand. */
			cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
			return CV_PENDING;
		}
		cv_gw_slot_release(slot);
		return CV_E_IO;
	}
	enum cv_gw_call call = CV_GW_CALL_LIST;
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		return cv_gw_begin_collect(gw, slot);
	case CV_PAYMENT_OP_CAPTURE:
		call = req->processor_ref[0] != '\0' ? CV_GW_CALL_CAPTURE : CV_GW_CALL_LIST;
		break;
	case CV_PAYMENT_OP_VOID:
		call = req->processor_ref[0] != '\0' ? CV_GW_CALL_CANCEL : CV_GW_CALL_LIST;
		break;
	default:
		break;
	}
	if (!cv_gw_call_start(gw, slot, call)) {
		cv_gw_slot_release(slot);
		return CV_E_IO;
	}
	return CV_PENDING;
}

static uint32_t cv_gw_caps(void *ctx)
{
	(void)ctx;
	return CV_PAYMENT_CAP_VOID | CV_PAYMENT_CAP_LOOKUP | CV_PAYMENT_CAP_ABORT_COLLECT;
}

static enum cv_status cv_gw_open(void *ctx, struct cv_machine *machine)
{
	struct cv_gateway *gw = ctx;
	gw->machine = machine;
	return CV_OK;
}

/* Ends every operation without a completion (the machine is going away). */
static void cv_gw_stop_all(struct cv_gateway *gw)
{
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		struct cv_gw_slot *slot = &gw->slots[i];
		if (slot->state == CV_GW_SLOT_SENDING)
			cv_gw_http_remove(gw, slot->easy);
		if (slot->state == CV_GW_SLOT_COLLECTING && gw->abort_collect != NULL)
			gw->abort_collect(gw->reader_ctx, gw, slot->req.op_id);
		cv_gw_slot_release(slot);
	}
}

static void cv_gw_close(void *ctx)
{
	struct cv_gateway *gw = ctx;
	cv_gw_stop_all(gw);
	gw->machine = NULL;
}

static enum cv_status cv_gw_health(void *ctx)
{
	struct cv_gateway *gw = ctx;
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++)
		if (gw->links[i].configured && cv_breaker_allows(&gw->links[i].breaker, gw->now_ms))
			return CV_OK;
	return CV_E_IO;
}

static enum cv_status cv_gw_abort_collect(void *ctx, uint32_t op_id)
{
	struct cv_gateway *gw = ctx;
	if (cv_gw_collecting(gw, op_id) == NULL)
		return CV_E_STATE; /* Not collecting (the request may be out already). */
	if (gw->abort_collect != NULL)
		gw->abort_collect(gw->reader_ctx, gw, op_id);
	struct cv_gw_slot *slot = cv_gw_collecting(gw, op_id);
	if (slot != NULL)
		cv_gw_complete_code(gw, slot, CV_PAY_CANCELLED);
	return CV_OK;
}

CV_GW_EXPORT const struct cv_payment_ops cv_gateway_payment_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "gateway",
	.caps = cv_gw_caps,
	.open = cv_gw_open,
	.close = cv_gw_close,
	.authorize = cv_gw_start,
	.capture = cv_gw_start,
	.void_auth = cv_gw_start,
	.lookup = cv_gw_start,
	.abort_collect = cv_gw_abort_collect,
	.health = cv_gw_health,
};

/* ---- the application's loop ---- */

static void cv_gw_tick(struct cv_gateway *gw, uint64_t now_ms)
{
	if (now_ms > gw->now_ms)
		gw->now_ms = now_ms;
}

static void cv_gw_probe_start(struct cv_gateway *gw, struct cv_gw_link *link)
{
	CURL *easy = link->probe;
	curl_easy_reset(easy);
	cv_gw_http_common(gw, easy, &link->probe_body, CV_GW_PROBE_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_URL, link->probe_url);
	memset(link->probe_headers, 0, sizeof(link->probe_headers));
	link->probe_headers[0].data = gw->auth_header;
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, link->probe_headers);
	if (cv_gw_http_add(gw, easy) != CV_OK) {
		cv_breaker_record(&link->breaker, gw->now_ms, false);
		return;
	}
	link->probe_running = true;
	cv_gw_logf(gw, CV_LOG_INFO, "gateway: probing link %u", (unsigned)(link - gw->links));
}

CV_GW_EXPORT void cv_gateway_process(struct cv_gateway *gateway, uint64_t now_ms, const struct pollfd *fds, size_t n)
{
	struct cv_gateway *gw = gateway;
	cv_gw_tick(gw, now_ms);
	cv_gw_http_drive(gw, fds, n);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		struct cv_gw_slot *slot = &gw->slots[i];
		if (slot->state == CV_GW_SLOT_POSTING) {
			cv_gw_post(gw, slot);
		} else if (slot->state == CV_GW_SLOT_COLLECTING && slot->deadline_ms <= gw->now_ms) {
			/* No card in time: nothing was sent, the customer is gone. */
			uint32_t op_id = slot->req.op_id;
			if (gw->abort_collect != NULL)
				gw->abort_collect(gw->reader_ctx, gw, op_id);
			if (cv_gw_collecting(gw, op_id) == slot)
				cv_gw_complete_code(gw, slot, CV_PAY_CANCELLED);
		}
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		struct cv_gw_link *link = &gw->links[i];
		if (link->configured && !link->probe_running && cv_breaker_take_probe(&link->breaker, gw->now_ms))
			cv_gw_probe_start(gw, link);
	}
}

CV_GW_EXPORT int cv_gateway_timeout_ms(struct cv_gateway *gateway, uint64_t now_ms)
{
	struct cv_gateway *gw = gateway;
	cv_gw_tick(gw, now_ms);
	int wait = cv_gw_http_timeout_ms(gw);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		const struct cv_gw_slot *slot = &gw->slots[i];
		int due = -1;
		if (slot->state == CV_GW_SLOT_POSTING)
			due = CV_GW_REPOST_WAKE_MS;
		else if (slot->state == CV_GW_SLOT_COLLECTING)
			due = slot->deadline_ms <= gw->now_ms ? 0
			      : slot->deadline_ms - gw->now_ms > 60000 ? 60000
								       : (int)(slot->deadline_ms - gw->now_ms);
		if (due >= 0 && (wait < 0 || due < wait))
			wait = due;
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		struct cv_gw_link *link = &gw->links[i];
		if (!link->configured || link->probe_running)
			continue;
		enum cv_breaker_state state = cv_breaker_state(&link->breaker, gw->now_ms);
		int due = state == CV_BREAKER_HALF_OPEN ? 0 : state == CV_BREAKER_OPEN ? CV_GW_IDLE_WAKE_MS : -1;
		if (due >= 0 && (wait < 0 || due < wait))
			wait = due;
	}
	return wait;
}

CV_GW_EXPORT size_t cv_gateway_pollfds(struct cv_gateway *gateway, struct pollfd *fds, size_t cap)
{
	return cv_gw_http_pollfds(gateway, fds, cap);
}

CV_GW_EXPORT enum cv_breaker_state cv_gateway_link_state(struct cv_gateway *gateway, unsigned index)
{
	if (index >= CV_GATEWAY_LINKS_MAX || !gateway->links[index].configured)
		return CV_BREAKER_OPEN;
	return cv_breaker_state(&gateway->links[index].breaker, gateway->now_ms);
}

/* ---- creation ---- */

static bool cv_gw_policy(const struct cv_breaker_policy *given, struct cv_breaker_policy *out)
{
	cv_breaker_policy_default(out);
	if (given->failures_to_open != 0)
		out->failures_to_open = given->failures_to_open;
	if (given->window_ms != 0)
		out->window_ms = given->window_ms;
	if (given->open_ms != 0)
		out->open_ms = given->open_ms;
	if (given->probes_to_close != 0)
		out->probes_to_close = given->probes_to_close;
	struct cv_breaker check;
	return cv_breaker_init(&check, out) == CV_OK;
}

static bool cv_gw_url_valid(const char *url)
{
	size_t n = strlen(url);
	if (n == 0 || n > CV_GATEWAY_URL_MAX)
		return false;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] > '~' || url[i] == '?' || url[i] == '#')
			return false;
	return true;
}

static enum cv_status cv_gw_link_init(struct cv_gateway *gw, unsigned index, const char *url,
				      const struct cv_breaker_policy *policy)
{
	struct cv_gw_link *link = &gw->links[index];
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	memcpy(link->url, url, n);
	link->url[n] = '\0';
	snprintf(link->probe_url, sizeof(link->probe_url), "%s/v1/payment_intents?idempotency_key=cv-health-probe",
		 link->url);
	if (cv_breaker_init(&link->breaker, policy) != CV_OK)
		return CV_E_INVAL;
	link->probe = curl_easy_init();
	if (link->probe == NULL)
		return CV_E_NOMEM;
	link->configured = true;
	return CV_OK;
}

static enum cv_status cv_gw_check_config(const struct cv_gateway_config *config, struct cv_breaker_policy *policy)
{
	if (config->links[0] == NULL || config->api_key == NULL || config->api_key[0] == '\0' ||
	    config->collect == NULL || !cv_gw_policy(&config->breaker, policy))
		return CV_E_INVAL;
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++)
		if (config->links[i] != NULL && !cv_gw_url_valid(config->links[i]))
			return CV_E_INVAL;
	for (const char *p = config->api_key; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return CV_E_INVAL; /* It goes into a header line. */
	return CV_OK;
}

static enum cv_status cv_gw_alloc(struct cv_gateway *gw, const char *api_key)
{
	static const char prefix[] = "Authorization: Bearer ";
	gw->auth_header_size = sizeof(prefix) + strlen(api_key);
	gw->auth_header = malloc(gw->auth_header_size);
	if (gw->auth_header == NULL)
		return CV_E_NOMEM;
	memcpy(gw->auth_header, prefix, sizeof(prefix) - 1);
	memcpy(gw->auth_header + sizeof(prefix) - 1, api_key, strlen(api_key) + 1);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		gw->slots[i].body.data = malloc(CV_GW_BODY_MAX);
		gw->slots[i].easy = curl_easy_init();
		if (gw->slots[i].body.data == NULL || gw->slots[i].easy == NULL)
			return CV_E_NOMEM;
	}
	return cv_gw_http_init(gw);
}

CV_GW_EXPORT enum cv_status cv_gateway_new(const struct cv_gateway_config *config, struct cv_gateway **out)
{
	if (config == NULL || out == NULL)
		return CV_E_INVAL;
	*out = NULL;
	struct cv_breaker_policy policy;
	enum cv_status rc = cv_gw_check_config(config, &policy);
	if (rc != CV_OK)
		return rc;
	struct cv_gateway *gw = calloc(1, sizeof(*gw));
	if (gw == NULL)
		return CV_E_NOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(gw);
		return CV_E_NOMEM;
	}
	gw->curl_global = true;
	gw->collect = config->collect;
	gw->abort_collect = config->abort_collect;
	gw->reader_ctx = config->reader_ctx;
	gw->log = config->log;
	gw->log_ctx = config->log_ctx;
	gw->connect_timeout_ms =
		config->connect_timeout_ms != 0 ? config->connect_timeout_ms : CV_GW_CONNECT_TIMEOUT_DEFAULT_MS;
	rc = cv_gw_alloc(gw, config->api_key);
	for (unsigned i = 0; rc == CV_OK && i < CV_GATEWAY_LINKS_MAX; i++)
		if (config->links[i] != NULL)
			rc = cv_gw_link_init(gw, i, config->links[i], &policy);
	if (rc != CV_OK) {
		cv_gateway_free(gw);
		return rc;
	}
	*out = gw;
	return CV_OK;
}

CV_GW_EXPORT void cv_gateway_free(struct cv_gateway *gateway)
{
	struct cv_gateway *gw = gateway;
	if (gw == NULL)
		return;
	cv_gw_http_fini(gw);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		struct cv_gw_slot *slot = &gw->slots[i];
		cv_gw_wipe(slot->token, sizeof(slot->token));
		if (slot->easy != NULL)
			curl_easy_cleanup(slot->easy);
		free(slot->body.data);
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++)
		if (gw->links[i].probe != NULL)
			curl_easy_cleanup(gw->links[i].probe);
	if (gw->auth_header != NULL) {
		cv_gw_wipe(gw->auth_header, gw->auth_header_size);
		free(gw->auth_header);
	}
	if (gw->curl_global)
		curl_global_cleanup();
	cv_gw_wipe(gw, sizeof(*gw));
	free(gw);
}
