/* SPDX-License-Identifier: MIT */
/* Requests: form encoding, URL and headers of each HTTP call, the choice of
 * link, and starting a call on libcurl's multi handle. Every text put into a
 * URL or header was checked before (keys, processor ids, base URLs); the
 * token and vend id are percent-encoded. Nothing here logs a key or token. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "gateway_private.h"

const char *cv_gw_call_name(enum cv_gw_call call)
{
	static const char *const names[] = {"create", "capture", "cancel", "retrieve", "list", "probe"};
	return (unsigned)call < sizeof(names) / sizeof(names[0]) ? names[call] : "?";
}

bool cv_gw_call_is_post(enum cv_gw_call call)
{
	return call == CV_GW_CALL_CREATE || call == CV_GW_CALL_CAPTURE || call == CV_GW_CALL_CANCEL;
}

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
	       cv_gw_form_put(f, size, &n, slot->req.vend_id) &&
	       cv_gw_form_raw(f, size, &n, "&metadata%5Bauth_key%5D=") &&
	       cv_gw_form_put(f, size, &n, slot->req.auth_key);
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
		if (!cv_gw_form_amount(slot->form, sizeof(slot->form), &n,
				       "amount_to_capture=", slot->req.amount.amount_minor))
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
	if (!cv_gw_call_is_post(call)) {
		/* A look at the intent now: no cache on the way may answer it. */
		h[1].data = (char *)"Cache-Control: no-cache";
		h[0].next = &h[1];
	} else if (!slot->keyless) {
		snprintf(slot->idem_header, sizeof(slot->idem_header), "Idempotency-Key: %s",
			 slot->req.idempotency_key);
		h[1].data = slot->idem_header;
		h[0].next = &h[1];
	}
}

/* The link a call may go over now: the pinned one if it allows, else the
 * first not yet tried whose breaker is closed. */
bool cv_gw_pick_link(struct cv_gateway *gw, struct cv_gw_slot *slot, unsigned *link)
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
	cv_gw_http_common(gw, easy, &gw->links[link], &slot->body, slot->deadline_ms - gw->now_ms);
	if (cv_gw_call_is_post(call) && !slot->keyless)
		slot->body.expect_key = slot->req.idempotency_key;
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
	slot->sent = true;
	slot->state = CV_GW_SLOT_SENDING;
	cv_gw_logf(gw, CV_LOG_DEBUG, "gateway: op %u %s link %u%s", (unsigned)slot->req.op_id, cv_gw_call_name(call),
		   link, slot->pinned ? " (pinned)" : "");
	return true;
}
