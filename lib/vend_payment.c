/* SPDX-License-Identifier: MIT */
/* The payment side of a vend: sending authorize, lookup, capture and void
 * with their idempotency keys, and acting on every possible answer. A
 * timeout is never a decline: it is an unknown outcome, looked up (for an
 * authorization) or resent with the same key (capture, void). */
#include "machine_private.h"

/* Keys regenerate identically from the journaled vend id after a crash:
 * cv1.<vend id>.<op>[.<ordinal>]. */
static void cv_vend_key(const struct cv_vend *v, const char *op, unsigned ordinal, char out[CV_IDEM_KEY_LEN])
{
	size_t n = 0;
	const char *parts[3] = {"cv1.", v->id, op};
	for (unsigned i = 0; i < 3; i++) {
		if (i == 2)
			out[n++] = '.';
		for (const char *p = parts[i]; *p != '\0'; p++)
			out[n++] = *p;
	}
	if (ordinal > 0) {
		out[n++] = '.';
		/* At most CV_AUTH_ATTEMPTS_MAX, a single digit. */
		out[n++] = (char)('0' + ordinal % 10);
	}
	out[n] = '\0';
}

static enum cv_status cv_vend_payment_send(struct cv_machine *m, struct cv_payment_request *req)
{
	const struct cv_payment_ops *ops = m->config.payment;
	void *ctx = m->config.payment_ctx;
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		return ops->authorize(ctx, req);
	case CV_PAYMENT_OP_LOOKUP:
		return ops->lookup(ctx, req);
	case CV_PAYMENT_OP_CAPTURE:
		return ops->capture(ctx, req);
	case CV_PAYMENT_OP_REFUND:
		return ops->refund(ctx, req); /* Init checked it exists. */
	default:
		return ops->void_auth(ctx, req);
	}
}

static bool cv_vend_single_message(const struct cv_machine *m)
{
	return (m->payment_caps & CV_PAYMENT_CAP_SINGLE_MESSAGE) != 0;
}

/* The payment operation a state waits for. A single-message method can't
 * void: the money it took is refunded instead. */
static enum cv_payment_op cv_vend_payment_op(const struct cv_machine *m, enum cv_vend_state state)
{
	switch (state) {
	case CV_VEND_STATE_AUTH_PENDING:
		return CV_PAYMENT_OP_AUTHORIZE;
	case CV_VEND_STATE_AUTH_LOOKUP:
		return CV_PAYMENT_OP_LOOKUP;
	case CV_VEND_STATE_CAPTURE_PENDING:
		return CV_PAYMENT_OP_CAPTURE;
	default:
		return cv_vend_single_message(m) ? CV_PAYMENT_OP_REFUND : CV_PAYMENT_OP_VOID;
	}
}

static void cv_vend_request_fill(struct cv_machine *m, const struct cv_vend *v, struct cv_payment_request *req)
{
	const struct cv_timeouts *t = &m->config.timeouts;
	memcpy(req->vend_id, v->id, sizeof(req->vend_id));
	cv_vend_key(v, "auth", v->auth_attempt, req->auth_key);
	cv_str_copy(req->processor_ref, sizeof(req->processor_ref), v->processor_ref);
	cv_machine_money(m, v->price_minor, &req->amount);
	req->op = cv_vend_payment_op(m, v->state);
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		memcpy(req->idempotency_key, req->auth_key, sizeof(req->idempotency_key));
		req->timeout_ms = t->payment_ms;
		req->offline_allowed = cv_payment_offline_allows(m, v->price_minor);
		break;
	case CV_PAYMENT_OP_LOOKUP:
		memcpy(req->idempotency_key, req->auth_key, sizeof(req->idempotency_key));
		req->timeout_ms = t->lookup_ms;
		break;
	case CV_PAYMENT_OP_CAPTURE:
		cv_vend_key(v, "cap", 0, req->idempotency_key);
		req->timeout_ms = t->settle_ms;
		break;
	case CV_PAYMENT_OP_REFUND:
		cv_vend_key(v, "ref", 1, req->idempotency_key);
		req->timeout_ms = t->settle_ms;
		break;
	default:
		cv_vend_key(v, "void", 0, req->idempotency_key);
		req->timeout_ms = t->settle_ms;
		break;
	}
}

bool cv_vend_payment_start(struct cv_machine *m, struct cv_vend *v)
{
	/* A single-message authorization already took the money: the verified
	 * drop needs no capture. */
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING && cv_vend_single_message(m)) {
		cv_vend_set_state(m, v, CV_VEND_STATE_CAPTURED, CV_VEND_REASON_NONE);
		return true;
	}
	struct cv_payment_request req;
	memset(&req, 0, sizeof(req));
	cv_vend_request_fill(m, v, &req);
	req.op_id = cv_machine_new_op_id(m);
	if (req.op == CV_PAYMENT_OP_AUTHORIZE)
		v->offline_allowed = req.offline_allowed;
	v->op = CV_VEND_OP_PAYMENT;
	v->op_id = req.op_id;
	v->op_started = true;
	v->op_deadline_ms = cv_deadline(m->now_ms, req.timeout_ms);
	v->attempts++;
	m->settlements_changed = true;
	enum cv_status rc = cv_vend_payment_send(m, &req);
	if (rc != CV_OK && rc != CV_PENDING) {
		/* Refused before it left the machine: a definite "not sent". */
		struct cv_payment_result r;
		memset(&r, 0, sizeof(r));
		r.op_id = req.op_id;
		r.op = req.op;
		r.result = CV_PAY_NOT_SENT;
		cv_vend_payment_result(m, v, &r);
	}
	return true;
}

/* Why a vend no customer waits for ends: a restart, or (an orphan check)
 * the reason its customer left, which it keeps. */
static enum cv_vend_reason cv_vend_background_reason(const struct cv_vend *v)
{
	return v->orphan_check ? CV_VEND_REASON_NONE : CV_VEND_REASON_POWER_LOSS;
}

static void cv_vend_auth_held(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	v->card = r->card;
	cv_str_copy(v->processor_ref, sizeof(v->processor_ref), r->processor_ref);
	v->offline_approved = r->offline_approved;
	v->capture_before_s = r->capture_before_s;
	bool enough = r->amount.amount_minor >= v->price_minor &&
		      strcmp(r->amount.currency, m->config.currency) == 0;
	if (v->recovered)
		/* Found held with no customer waiting: never dispense, release it. */
		cv_vend_set_state(m, v, CV_VEND_STATE_VOID_PENDING, cv_vend_background_reason(v));
	else if (r->offline_approved && !v->offline_allowed)
		/* The reader took a risk the operator did not allow: no candy on it. */
		cv_vend_set_state(m, v, CV_VEND_STATE_VOID_PENDING, CV_VEND_REASON_OFFLINE_POLICY);
	else if (!enough)
		cv_vend_set_state(m, v, CV_VEND_STATE_VOID_PENDING, CV_VEND_REASON_SHORT_AUTHORIZATION);
	else if (v->cancel_requested)
		cv_vend_set_state(m, v, CV_VEND_STATE_VOID_PENDING, CV_VEND_REASON_CUSTOMER_CANCEL);
	else
		cv_vend_set_state(m, v, CV_VEND_STATE_AUTHORIZED, CV_VEND_REASON_NONE);
}

/* A definite failure: nothing is held, so the customer may try again with a
 * new key, unless they cancelled or used up their attempts. */
static void cv_vend_auth_failed(struct cv_machine *m, struct cv_vend *v, enum cv_vend_reason reason)
{
	if (v->recovered) {
		/* Nothing held, and no customer left to try again. */
		cv_vend_set_state(m, v, CV_VEND_STATE_ABANDONED, cv_vend_background_reason(v));
		return;
	}
	if (v->cancel_requested) {
		cv_vend_leave(m, v, CV_VEND_REASON_CUSTOMER_CANCEL);
		return;
	}
	if (v->auth_tries >= CV_AUTH_ATTEMPTS_MAX) {
		cv_vend_leave(m, v, reason);
		return;
	}
	v->session_deadline_ms = m->now_ms + m->config.timeouts.session_ms;
	cv_vend_set_state(m, v, CV_VEND_STATE_AUTH_DECLINED, reason);
}

static void cv_vend_on_authorize(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	switch (r->result) {
	case CV_PAY_OK:
		cv_vend_auth_held(m, v, r);
		break;
	case CV_PAY_DECLINED:
		v->decline_reason = r->decline_reason;
		cv_vend_auth_failed(m, v, CV_VEND_REASON_DECLINED);
		break;
	case CV_PAY_CANCELLED:
		cv_vend_set_state(m, v, CV_VEND_STATE_ABANDONED, CV_VEND_REASON_CUSTOMER_CANCEL);
		break;
	case CV_PAY_UNKNOWN:
	case CV_PAY_CONFLICT: /* The same key is still running: its outcome is not known yet. */
		cv_vend_set_state(m, v, CV_VEND_STATE_AUTH_LOOKUP, CV_VEND_REASON_NONE);
		break;
	case CV_PAY_NOT_SENT:
	case CV_PAY_RATE_LIMITED:
		/* Nothing happened this time, so a key resent because its first
		 * request may still land keeps that duty: the next try resends it. */
		v->reuse_auth_key = v->resending_auth_key;
		cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
		break;
	default:
		cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
		break;
	}
}

static void cv_vend_on_lookup(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	switch (r->result) {
	case CV_PAY_OK:
		cv_vend_auth_held(m, v, r);
		return;
	case CV_PAY_DECLINED:
		cv_vend_auth_failed(m, v, CV_VEND_REASON_DECLINED);
		return;
	case CV_PAY_NOT_FOUND:
		/* After a restart nobody retries with the same key, and a request
		 * lost just before the power went may still arrive: look again
		 * later (an orphan check), and void when the budget is spent. */
		if (v->recovered)
			break;
		/* Not there now, but the lost request may still arrive. */
		v->reuse_auth_key = true;
		cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
		return;
	case CV_PAY_CANCELLED:
		/* The hold existed and is gone: that key is spent. A resend could
		 * only replay its old approval for a hold that no longer exists,
		 * so a retry takes a new key. */
		if (v->recovered)
			break;
		cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
		return;
	default:
		break;
	}
	/* Still unknown: look again later; past the budget, void whatever may
	 * exist so that a doubtful hold never turns into a charge. */
	if (v->attempts >= m->config.lookup_attempts_max) {
		cv_vend_set_state(m, v, CV_VEND_STATE_VOID_PENDING, CV_VEND_REASON_PAYMENT_UNKNOWN);
		return;
	}
	v->next_attempt_ms = cv_deadline(m->now_ms, cv_vend_backoff_ms(m, v->attempts));
}

/* A settlement that failed for good. A void keeps the reason it was sent
 * for (no drop, cancel, ...); a capture records why it failed. */
static void cv_vend_settle_failed(struct cv_machine *m, struct cv_vend *v, enum cv_vend_state failed,
				  enum cv_vend_reason reason)
{
	cv_vend_set_state(m, v, failed, v->reason == CV_VEND_REASON_NONE ? reason : CV_VEND_REASON_NONE);
}

static void cv_vend_on_settle(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	bool capture = v->state == CV_VEND_STATE_CAPTURE_PENDING;
	enum cv_vend_state done = capture ? CV_VEND_STATE_CAPTURED : CV_VEND_STATE_VOIDED;
	enum cv_vend_state failed = capture ? CV_VEND_STATE_CAPTURE_FAILED : CV_VEND_STATE_VOID_FAILED;
	switch (r->result) {
	case CV_PAY_OK:
		cv_vend_set_state(m, v, done, CV_VEND_REASON_NONE);
		return;
	case CV_PAY_NOT_FOUND:
		/* Nothing to void is as good as voided; nothing to capture is a loss. */
		cv_vend_set_state(m, v, capture ? failed : done, CV_VEND_REASON_NONE);
		return;
	case CV_PAY_UNKNOWN:
	case CV_PAY_NOT_SENT:
	case CV_PAY_RATE_LIMITED:
	case CV_PAY_CONFLICT:
		break; /* Not done, or not known to be: the same key again later. */
	default:
		cv_vend_settle_failed(m, v, failed, CV_VEND_REASON_PAYMENT_FAILED);
		return;
	}
	/* Obligations are never dropped: resent with the same key, at most
	 * retry_cap_ms apart, for as long as it takes. Past settle_attempts_max
	 * sends the operator is alerted (payment_link.c). */
	v->next_attempt_ms = cv_deadline(m->now_ms, cv_vend_backoff_ms(m, v->attempts));
}

static void cv_vend_payment_result_apply(struct cv_machine *m, struct cv_vend *v,
					 const struct cv_payment_result *r)
{
	if (r->result == CV_PAY_UNKNOWN)
		m->stats.unknown_outcomes++;
	switch (v->state) {
	case CV_VEND_STATE_AUTH_PENDING:
		cv_vend_on_authorize(m, v, r);
		break;
	case CV_VEND_STATE_AUTH_LOOKUP:
		cv_vend_on_lookup(m, v, r);
		break;
	case CV_VEND_STATE_CAPTURE_PENDING:
	case CV_VEND_STATE_VOID_PENDING:
		cv_vend_on_settle(m, v, r);
		break;
	default:
		CV_ASSERT(0 && "payment result in a state without a payment operation");
		break;
	}
}

void cv_vend_payment_result(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	cv_vend_op_clear(v);
	m->settlements_changed = true;
	if (r->op == cv_vend_payment_op(m, v->state)) {
		cv_vend_payment_result_apply(m, v, r);
		return;
	}
	/* An answer to a question that was not asked tells nothing. */
	struct cv_payment_result unknown = *r;
	unknown.op = cv_vend_payment_op(m, v->state);
	unknown.result = CV_PAY_UNKNOWN;
	cv_vend_payment_result_apply(m, v, &unknown);
}

/* No answer in time: the outcome is unknown, exactly as if the backend had said so. */
void cv_vend_payment_timeout(struct cv_machine *m, struct cv_vend *v)
{
	struct cv_payment_result r;
	memset(&r, 0, sizeof(r));
	r.op_id = v->op_id;
	r.result = CV_PAY_UNKNOWN;
	r.op = cv_vend_payment_op(m, v->state);
	if (v->state == CV_VEND_STATE_AUTH_PENDING) {
		v->reason = CV_VEND_REASON_PAYMENT_TIMEOUT;
		cv_vend_abort_collect(m, v);
	}
	cv_vend_payment_result(m, v, &r);
}
