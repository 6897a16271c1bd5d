/* SPDX-License-Identifier: MIT */
/* What an answer means for the engine's operation: completions and their
 * posting, failover when nothing was sent, the second steps (a replayed or
 * refused create checked, a settlement's stored 5xx resolved through the
 * intent's state, a reference found by the authorization's key), and the
 * pins an unknown outcome sets or a definite one clears. */
#include <string.h>

#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "gateway_private.h"

void cv_gw_post(struct cv_gateway *gw, struct cv_gw_slot *slot)
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
	/* An authorization that went out and ends without a definite answer
	 * (however it got there: a failed second look, a conflict) stays on
	 * the link it went over. */
	if (slot->req.op == CV_PAYMENT_OP_AUTHORIZE && slot->sent &&
	    (slot->result.result == CV_PAY_UNKNOWN || slot->result.result == CV_PAY_CONFLICT))
		cv_gw_pin_set(gw, &slot->req, slot->link);
	cv_gw_pin_settle(gw, &slot->req, slot->result.result);
	slot->state = CV_GW_SLOT_POSTING;
	cv_gw_logf(gw, slot->result.result == CV_PAY_OK ? CV_LOG_INFO : CV_LOG_WARN, "gateway: op %u %s -> %s%s%s",
		   (unsigned)slot->req.op_id,
		   slot->req.op == CV_PAYMENT_OP_AUTHORIZE ? "authorize"
		   : slot->req.op == CV_PAYMENT_OP_CAPTURE ? "capture"
		   : slot->req.op == CV_PAYMENT_OP_VOID    ? "void"
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

enum cv_pay_result cv_gw_unsent_result(const struct cv_gw_slot *slot)
{
	if (slot->call == CV_GW_CALL_RETRIEVE || (slot->req.op == CV_PAYMENT_OP_AUTHORIZE && slot->pinned))
		return CV_PAY_UNKNOWN;
	return CV_PAY_NOT_SENT;
}

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
		if (capture && r->amount.amount_minor != slot->req.amount.amount_minor) {
			/* Captured, but not for the amount this capture asks. */
			cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
			return;
		}
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
	if (intent == CV_GW_INTENT_REQUIRES_CAPTURE || (!capture && intent == CV_GW_INTENT_REQUIRES_PAYMENT_METHOD)) {
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
 * definite: held, declined, or cancelled (the key is spent). An empty list says the key created
 * nothing and never will (the processor keeps its stored answer): a
 * definite failure reported as INVALID, not NOT_SENT, because the request
 * did go out; the engine's next attempt then uses a new key (after a
 * NOT_SENT it would resend a key that may still land, and this one can't). Anything else (rate limited,
 * refused, not found by id, unreadable) leaves the outcome unknown. */
static void cv_gw_authorize_checked(struct cv_gateway *gw, struct cv_gw_slot *slot, struct cv_payment_result *r)
{
	switch (r->result) {
	case CV_PAY_OK:
	case CV_PAY_DECLINED:
		cv_gw_complete(gw, slot, r);
		return;
	case CV_PAY_CANCELLED:
		/* The key's hold existed and is gone (cancelled or expired): the
		 * key is spent, its resends only replay a stale approval. Not the
		 * authorization's CANCELLED, which says the customer stopped at
		 * the reader and nothing was sent. */
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: the key's intent %s is cancelled",
			   (unsigned)slot->req.op_id, r->processor_ref);
		cv_gw_complete_code(gw, slot, CV_PAY_INVALID);
		return;
	case CV_PAY_NOT_FOUND:
		if (slot->call != CV_GW_CALL_LIST)
			break;
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: the key created nothing", (unsigned)slot->req.op_id);
		cv_gw_pin_clear(gw, &slot->req);
		cv_gw_complete_code(gw, slot, CV_PAY_INVALID);
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
	/* An answer too long to read, or one that names another idempotency
	 * key, answers some other request: no answer. */
	if (slot->body.overflow || slot->body.key_mismatch)
		r.result = CV_PAY_UNKNOWN;
	else
		intent = cv_gw_response_decode(slot->call, &slot->req, http_status, slot->body.data, slot->body.length,
					       &r);
	if (intent == CV_GW_INTENT_FOREIGN || slot->body.key_mismatch)
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u %s link %u: the answer is not about this request",
			   (unsigned)slot->req.op_id, cv_gw_call_name(slot->call), slot->link);
	/* An authorization or lookup that finds its intent captured already has
	 * no hold to sell against: taken for one, it would give a second item
	 * for one payment and count the money twice. Unknown, for the operator
	 * (the engine's last resort, a void, then fails and alerts). */
	if (intent == CV_GW_INTENT_SUCCEEDED &&
	    (slot->req.op == CV_PAYMENT_OP_AUTHORIZE || slot->req.op == CV_PAYMENT_OP_LOOKUP)) {
		cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: intent %s is captured already, not a hold",
			   (unsigned)slot->req.op_id, r.processor_ref);
		memset(&r, 0, sizeof(r));
		r.result = CV_PAY_UNKNOWN;
	}
	bool server_error = http_status >= 500 && http_status < 600;
	cv_gw_logf(gw, CV_LOG_DEBUG, "gateway: op %u %s link %u HTTP %ld%s", (unsigned)slot->req.op_id,
		   cv_gw_call_name(slot->call), slot->link, http_status, slot->body.replayed ? " (replayed)" : "");
	/* A POST whose outcome is unknown pins its key to this link. */
	if (r.result == CV_PAY_UNKNOWN && cv_gw_call_is_post(slot->call) && !slot->keyless)
		cv_gw_pin_set(gw, &slot->req, slot->link);

	if (slot->req.op == CV_PAYMENT_OP_AUTHORIZE &&
	    (slot->call == CV_GW_CALL_RETRIEVE || slot->call == CV_GW_CALL_LIST)) {
		cv_gw_authorize_checked(gw, slot, &r);
		return;
	}
	switch (slot->call) {
	case CV_GW_CALL_CREATE:
		if (r.result == CV_PAY_OK && (slot->body.replayed || slot->pinned)) {
			/* A stored answer from an earlier send (said so, or the key
			 * was sent before with no answer, and a proxy may have
			 * stripped the header): the intent may have changed since.
			 * Ask for its state now. */
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
		/* A stored 5xx, or the key already ran with other parameters:
		 * the intent's own state says what happened. */
		if (server_error || intent == CV_GW_INTENT_KEY_IN_USE) {
			cv_gw_settle_5xx(gw, slot);
			return;
		}
		break;
	case CV_GW_CALL_RETRIEVE:
		if (slot->req.op == CV_PAYMENT_OP_CAPTURE || slot->req.op == CV_PAYMENT_OP_VOID) {
			cv_gw_settle_retrieved(gw, slot, intent, &r);
			return;
		}
		break;
	case CV_GW_CALL_LIST:
		if (slot->req.op == CV_PAYMENT_OP_LOOKUP)
			break;
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
	if (slot->req.op == CV_PAYMENT_OP_VOID && intent == CV_GW_INTENT_SUCCEEDED)
		cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: void found intent %s captured", (unsigned)slot->req.op_id,
			   r.processor_ref);
	cv_gw_complete(gw, slot, &r);
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
			cv_gw_pin_set(gw, &slot->req, slot->link);
		cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
		return;
	default:
		cv_gw_on_answer(gw, slot, http_status);
		return;
	}
}
