/* SPDX-License-Identifier: MIT */
/* Pinned keys: a key whose outcome is unknown on a link stays on that link
 * (never failed over) until a definite answer about it comes. A fixed
 * table of CV_GATEWAY_PINS_MAX keys; the oldest is evicted. */
#include <string.h>

#include "gateway_private.h"

/* The key an operation's own unknown outcome pins: a lookup sends no key of
 * its own, so it stands for its authorization. */
static const char *cv_gw_pin_key(const struct cv_payment_request *req)
{
	return req->op == CV_PAYMENT_OP_LOOKUP ? req->auth_key : req->idempotency_key;
}

static struct cv_gw_pin *cv_gw_pin_lookup(struct cv_gateway *gw, const char *key)
{
	for (unsigned i = 0; i < CV_GATEWAY_PINS_MAX; i++)
		if (gw->pins[i].used && strcmp(gw->pins[i].key, key) == 0)
			return &gw->pins[i];
	return NULL;
}

void cv_gw_pin_set(struct cv_gateway *gw, const struct cv_payment_request *req, unsigned link)
{
	const char *key = cv_gw_pin_key(req);
	struct cv_gw_pin *pin = cv_gw_pin_lookup(gw, key);
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

void cv_gw_pin_clear(struct cv_gateway *gw, const struct cv_payment_request *req)
{
	struct cv_gw_pin *pin = cv_gw_pin_lookup(gw, cv_gw_pin_key(req));
	if (pin != NULL)
		memset(pin, 0, sizeof(*pin));
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

void cv_gw_pin_settle(struct cv_gateway *gw, const struct cv_payment_request *req, enum cv_pay_result result)
{
	if (cv_gw_result_settles_key(req->op, result))
		cv_gw_pin_clear(gw, req);
	/* A capture or void done says what the authorization became too. */
	if (result == CV_PAY_OK && (req->op == CV_PAYMENT_OP_CAPTURE || req->op == CV_PAYMENT_OP_VOID)) {
		struct cv_gw_pin *auth = cv_gw_pin_lookup(gw, req->auth_key);
		if (auth != NULL)
			memset(auth, 0, sizeof(*auth));
	}
}

const struct cv_gw_pin *cv_gw_pin_find(struct cv_gateway *gw, const struct cv_payment_request *req)
{
	const struct cv_gw_pin *own = cv_gw_pin_lookup(gw, cv_gw_pin_key(req));
	if (own != NULL || req->op == CV_PAYMENT_OP_AUTHORIZE)
		return own;
	/* Every request about an authorization whose outcome is unknown (a
	 * capture or void that finds its intent by the authorization's key, or
	 * settles a hold such a key made) goes where that authorization went:
	 * on another path the hold may not have landed yet. */
	return cv_gw_pin_lookup(gw, req->auth_key);
}
