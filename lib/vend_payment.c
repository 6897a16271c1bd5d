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
	const char *parts[] = {"cv1.", v->id, ".", op};
	for (unsigned i = 0; i < CV_ARRAY_COUNT(parts); i++)
		for (const char *p = parts[i]; *p != '\0'; p++)
			*out++ = *p;
	if (ordinal > 0) {
		*out++ = '.';
		/* At most CV_AUTH_ATTEMPTS_MAX, a single digit. */
		*out++ = (char)('0' + ordinal % 10);
	}
	*out = '\0';
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

/* How a request is sent: the payment backend's method for its operation. */
typedef enum cv_status (*cv_payment_send_fn)(void *ctx, const struct cv_payment_request *req);

/* Fills the request for the operation the vend waits for, and returns the
 * method that sends it (NULL for an operation nobody knows). An
 * authorization also tells the vend whether it allowed an offline approval. */
static cv_payment_send_fn cv_vend_request_fill(struct cv_machine *m, struct cv_vend *v, struct cv_payment_request *req)
{
	const struct cv_payment_ops *ops = m->config.payment;
	const struct cv_timeouts *t = &m->config.timeouts;
	req->op = cv_vend_payment_op(m, v->state);
	cv_str_copy(req->vend_id, sizeof(req->vend_id), v->id);
	cv_vend_key(v, "auth", v->auth_attempt, req->auth_key);
	cv_str_copy(req->processor_ref, sizeof(req->processor_ref), v->processor_ref);
	cv_machine_money(m, v->price_minor, &req->amount);
	/* An authorization and its lookup go by the authorization's key. */
	memcpy(req->idempotency_key, req->auth_key, sizeof(req->idempotency_key));
	req->timeout_ms = t->settle_ms;
	/* A settlement's own key (a single-message payment has one refund,
	 * ordinal 1) replaces the authorization's. */
	const char *settle_key = NULL;
	cv_payment_send_fn send = NULL;
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		req->timeout_ms = t->payment_ms;
		req->offline_allowed = cv_payment_offline_allows(m, v->price_minor);
		v->offline_allowed = req->offline_allowed;
		return ops->authorize;
	case CV_PAYMENT_OP_LOOKUP:
		req->timeout_ms = t->lookup_ms;
		return ops->lookup;
	case CV_PAYMENT_OP_CAPTURE:
		settle_key = "cap";
		send = ops->capture;
		break;
	case CV_PAYMENT_OP_REFUND:
		settle_key = "ref.1";
		/* Exactly what was taken (the price, if the amount is not known:
		 * a format 2 journal, or an approval in another currency). */
		if (v->held_minor > 0)
			req->amount.amount_minor = v->held_minor;
		send = ops->refund; /* Init checked it exists. */
		break;
	case CV_PAYMENT_OP_VOID:
		settle_key = "void";
		send = ops->void_auth;
		break;
	default:
		/* Never a void by default: an op nobody knows is a bug, refused. */
		CV_ASSERT(0 && "payment request with an unknown op");
		return NULL;
	}
	cv_vend_key(v, settle_key, 0, req->idempotency_key);
	return send;
}

/* Acts on the outcome of the operation the vend waits for. */
static void cv_vend_payment_outcome(struct cv_machine *m, struct cv_vend *v, enum cv_pay_result result,
				    const struct cv_payment_result *r);

bool cv_vend_payment_start(struct cv_machine *m, struct cv_vend *v)
{
	/* A single-message authorization already took the money: the verified
	 * drop needs no capture. */
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING && cv_vend_single_message(m)) {
		cv_vend_fire(m, v, CV_VEND_T_SETTLED, CV_VEND_REASON_NONE);
		return true;
	}
	struct cv_payment_request req;
	memset(&req, 0, sizeof(req));
	cv_payment_send_fn send = cv_vend_request_fill(m, v, &req);
	req.op_id = cv_machine_new_op_id(m);
	v->op = CV_VEND_OP_PAYMENT;
	v->op_id = req.op_id;
	v->op_started = true;
	v->op_deadline_ms = cv_deadline(m->now_ms, req.timeout_ms);
	v->attempts++;
	m->settlements_changed = true;
	enum cv_status rc = send != NULL ? send(m->config.payment_ctx, &req) : CV_E_INVAL;
	if (rc != CV_OK && rc != CV_PENDING)
		/* Refused before it left the machine: a definite "not sent". */
		cv_vend_payment_outcome(m, v, CV_PAY_NOT_SENT, NULL);
	return true;
}

static bool cv_vend_in_background(const struct cv_vend *v)
{
	return v->owner == CV_VEND_OWNER_ORPHAN_CHECK || v->owner == CV_VEND_OWNER_RECOVERED;
}

/* Why a vend no customer waits for ends: a restart, or (an orphan check)
 * the reason its customer left, which it keeps. */
static enum cv_vend_reason cv_vend_background_reason(const struct cv_vend *v)
{
	return v->owner == CV_VEND_OWNER_ORPHAN_CHECK ? CV_VEND_REASON_NONE : CV_VEND_REASON_POWER_LOSS;
}

/* Whether the customer will be asked to pay again: not cancelled, tries left. */
static bool cv_vend_customer_retries(const struct cv_vend *v)
{
	return v->owner == CV_VEND_OWNER_CUSTOMER && v->auth_tries < CV_AUTH_ATTEMPTS_MAX;
}

/* Why the customer's part ends: their cancel wins over the failure. */
static enum cv_vend_reason cv_vend_customer_reason(const struct cv_vend *v, enum cv_vend_reason reason)
{
	return v->owner == CV_VEND_OWNER_CANCELLING ? CV_VEND_REASON_CUSTOMER_CANCEL : reason;
}

static void cv_vend_auth_held(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	v->card = r->card;
	cv_str_copy(v->processor_ref, sizeof(v->processor_ref), r->processor_ref);
	v->offline_approved = r->offline_approved;
	v->capture_before_s = r->capture_before_s;
	bool ours = strcmp(r->amount.currency, m->config.currency) == 0;
	v->held_minor = ours ? r->amount.amount_minor : 0;
	/* A hold above the price is captured for the price, and the rest is
	 * released; a single-message method took the whole amount already, so
	 * only the exact price is a sale. */
	bool enough =
		ours && (cv_vend_single_message(m) ? v->held_minor == v->price_minor : v->held_minor >= v->price_minor);
	if (cv_vend_in_background(v))
		/* Found held with no customer waiting: never dispense, release it. */
		cv_vend_fire(m, v, CV_VEND_T_AUTH_RELEASE, cv_vend_background_reason(v));
	else if (r->offline_approved && !v->offline_allowed)
		/* The reader took a risk the operator did not allow: no candy on it. */
		cv_vend_fire(m, v, CV_VEND_T_AUTH_RELEASE, CV_VEND_REASON_OFFLINE_POLICY);
	else if (!enough)
		cv_vend_fire(m, v, CV_VEND_T_AUTH_RELEASE, CV_VEND_REASON_SHORT_AUTHORIZATION);
	else if (v->owner == CV_VEND_OWNER_CANCELLING)
		cv_vend_fire(m, v, CV_VEND_T_AUTH_RELEASE, CV_VEND_REASON_CUSTOMER_CANCEL);
	else
		cv_vend_fire(m, v, CV_VEND_T_AUTH_HELD, CV_VEND_REASON_NONE);
}

/* The customer is asked again (to pay, or to wait for the key): their idle
 * deadline starts over. */
static void cv_vend_customer_retry(struct cv_machine *m, struct cv_vend *v, enum cv_vend_trigger trigger,
				   enum cv_vend_reason reason)
{
	v->session_deadline_ms = m->now_ms + m->config.timeouts.session_ms;
	cv_vend_fire(m, v, trigger, reason);
}

/* A definite failure: the key is spent and nothing is held, so the
 * customer may try again with a new key, unless they cancelled, used up
 * their tries, or left long ago (a vend in the background has no customer
 * who retries). */
static void cv_vend_auth_failed(struct cv_machine *m, struct cv_vend *v, enum cv_vend_reason reason)
{
	if (cv_vend_customer_retries(v))
		cv_vend_customer_retry(m, v, CV_VEND_T_AUTH_FAILED, reason);
	else if (cv_vend_in_background(v))
		cv_vend_fire(m, v, CV_VEND_T_AUTH_GONE, cv_vend_background_reason(v));
	else
		cv_vend_fire(m, v, CV_VEND_T_AUTH_GONE, cv_vend_customer_reason(v, reason));
}

/* Nothing left the machine this time (not sent, rate limited, the reader
 * failed), or (AUTH_NOT_FOUND) a lookup found nothing yet, so the key keeps
 * whatever duty it had: a resent key whose first request may land is resent
 * again, or checked in the background once the customer is gone. */
static void cv_vend_auth_resend(struct cv_machine *m, struct cv_vend *v, enum cv_vend_trigger trigger)
{
	if (cv_vend_customer_retries(v))
		cv_vend_customer_retry(m, v, trigger, CV_VEND_REASON_PAYMENT_FAILED);
	else if (CV_MUTATED(CV_MUTANT_LAST_TRY_ABANDONS) && trigger == CV_VEND_T_AUTH_NOT_SENT)
		cv_vend_fire(m, v, CV_VEND_T_LEAVE, cv_vend_customer_reason(v, CV_VEND_REASON_PAYMENT_FAILED));
	else
		cv_vend_leave(m, v, cv_vend_customer_reason(v, CV_VEND_REASON_PAYMENT_FAILED));
}

static void cv_vend_on_authorize(struct cv_machine *m, struct cv_vend *v, enum cv_pay_result result,
				 const struct cv_payment_result *r)
{
	switch (result) {
	case CV_PAY_OK:
		cv_vend_auth_held(m, v, r);
		break;
	case CV_PAY_DECLINED:
		v->decline_reason = r->decline_reason;
		cv_vend_auth_failed(m, v, CV_VEND_REASON_DECLINED);
		break;
	case CV_PAY_CANCELLED:
		/* The customer stopped at the reader: this request sent nothing,
		 * so the key keeps whatever duty it had (cv_vend_leave). */
		if (CV_MUTATED(CV_MUTANT_READER_CANCEL_ABANDONS))
			cv_vend_fire(m, v, CV_VEND_T_LEAVE, CV_VEND_REASON_CUSTOMER_CANCEL);
		else
			cv_vend_leave(m, v, CV_VEND_REASON_CUSTOMER_CANCEL);
		break;
	case CV_PAY_UNKNOWN:
	case CV_PAY_CONFLICT: /* The same key is still running: its outcome is not known yet. */
		cv_vend_fire(m, v, CV_VEND_T_AUTH_UNKNOWN, CV_VEND_REASON_NONE);
		break;
	case CV_PAY_READER_FAULT:
		if (CV_MUTATED(CV_MUTANT_RESEND_FAULT_NEW_KEY)) {
			cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
			break;
		}
		/* fall through */
	case CV_PAY_NOT_SENT:
	case CV_PAY_RATE_LIMITED:
		cv_vend_auth_resend(m, v, CV_VEND_T_AUTH_NOT_SENT);
		break;
	default: /* Refused for good (invalid, expired...): the key is spent. */
		cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
		break;
	}
}

/* The same key (or lookup) again later, at most retry_cap_ms apart. */
static void cv_vend_ask_later(struct cv_machine *m, struct cv_vend *v)
{
	v->next_attempt_ms = cv_deadline(m->now_ms, cv_vend_backoff_ms(m, v->attempts));
}

static void cv_vend_on_lookup(struct cv_machine *m, struct cv_vend *v, enum cv_pay_result result,
			      const struct cv_payment_result *r)
{
	if (result == CV_PAY_OK) {
		cv_vend_auth_held(m, v, r);
	} else if (result == CV_PAY_DECLINED) {
		cv_vend_auth_failed(m, v, CV_VEND_REASON_DECLINED);
	} else if (result == CV_PAY_NOT_FOUND && !cv_vend_in_background(v)) {
		/* Not there now, but the lost request may still arrive. In the
		 * background nobody resends the key: look again (below), and
		 * void when the budget is spent. */
		cv_vend_auth_resend(m, v, CV_VEND_T_AUTH_NOT_FOUND);
	} else if (result == CV_PAY_CANCELLED && !cv_vend_in_background(v)) {
		/* The hold existed and is gone: that key is spent. A resend could
		 * only replay its old approval for a hold that no longer exists,
		 * so a retry takes a new key. */
		cv_vend_auth_failed(m, v, CV_VEND_REASON_PAYMENT_FAILED);
	} else if (v->attempts >= m->config.lookup_attempts_max) {
		/* Still unknown past the budget: void whatever may exist so that
		 * a doubtful hold never turns into a charge. */
		cv_vend_fire(m, v, CV_VEND_T_LOOKUP_SPENT, CV_VEND_REASON_PAYMENT_UNKNOWN);
	} else {
		cv_vend_ask_later(m, v);
	}
}

/* Answers that leave an operation as it was: not done, or not known to be. */
#define CV_PAY_UNSETTLED \
	((1u << CV_PAY_NOT_SENT) | (1u << CV_PAY_UNKNOWN) | (1u << CV_PAY_RATE_LIMITED) | (1u << CV_PAY_CONFLICT))

static void cv_vend_on_settle(struct cv_machine *m, struct cv_vend *v, enum cv_pay_result result)
{
	if (((1u << result) & CV_PAY_UNSETTLED) != 0) {
		/* Obligations are never dropped: resent with the same key for as
		 * long as it takes. Past settle_attempts_max sends the operator is
		 * alerted (payment_link.c). */
		cv_vend_ask_later(m, v);
	} else if (result == CV_PAY_OK) {
		cv_vend_fire(m, v, CV_VEND_T_SETTLED, CV_VEND_REASON_NONE);
	} else if (result == CV_PAY_NOT_FOUND) {
		/* Nothing to void is as good as voided; nothing to capture is a loss. */
		bool capture = v->state == CV_VEND_STATE_CAPTURE_PENDING;
		cv_vend_fire(m, v, capture ? CV_VEND_T_SETTLE_FAILED : CV_VEND_T_SETTLED, CV_VEND_REASON_NONE);
	} else {
		/* Failed for good. A void keeps the reason it was sent for (no
		 * drop, cancel, ...); a capture records why it failed. */
		cv_vend_fire(m, v, CV_VEND_T_SETTLE_FAILED,
			     v->reason == CV_VEND_REASON_NONE ? CV_VEND_REASON_PAYMENT_FAILED : CV_VEND_REASON_NONE);
	}
}

/* The answer r (NULL for an outcome no backend gave: not sent, or no
 * answer in time) is read only for an approval or a decline. */
static void cv_vend_payment_outcome(struct cv_machine *m, struct cv_vend *v, enum cv_pay_result result,
				    const struct cv_payment_result *r)
{
	cv_vend_op_clear(v);
	m->settlements_changed = true;
	if (result == CV_PAY_UNKNOWN)
		m->stats.unknown_outcomes++;
	switch (v->state) {
	case CV_VEND_STATE_AUTH_PENDING:
		cv_vend_on_authorize(m, v, result, r);
		break;
	case CV_VEND_STATE_AUTH_LOOKUP:
		cv_vend_on_lookup(m, v, result, r);
		break;
	case CV_VEND_STATE_CAPTURE_PENDING:
	case CV_VEND_STATE_VOID_PENDING:
		cv_vend_on_settle(m, v, result);
		break;
	default:
		CV_ASSERT(0 && "payment result in a state without a payment operation");
		break;
	}
}

void cv_vend_payment_result(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r)
{
	/* An answer to a question that was not asked tells nothing. */
	bool asked = r->op == cv_vend_payment_op(m, v->state);
	cv_vend_payment_outcome(m, v, asked ? r->result : CV_PAY_UNKNOWN, r);
}

/* No answer in time: the outcome is unknown, exactly as if the backend had said so. */
void cv_vend_payment_timeout(struct cv_machine *m, struct cv_vend *v)
{
	if (v->state == CV_VEND_STATE_AUTH_PENDING) {
		v->reason = CV_VEND_REASON_PAYMENT_TIMEOUT;
		cv_vend_abort_collect(m, v);
	}
	cv_vend_payment_outcome(m, v, CV_PAY_UNKNOWN, NULL);
}
