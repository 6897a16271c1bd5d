/* SPDX-License-Identifier: MIT */
/* The scripted reader and processor; see payment_script.h. */
#include "payment_script.h"

#include <string.h>

#include <candyvend/machine.h>

static enum cv_status cv_script_open(void *ctx, struct cv_machine *machine)
{
	struct cv_script_payment *p = ctx;
	p->machine = machine;
	return CV_OK;
}

static struct cv_script_hold *cv_script_find(struct cv_script_payment *p, const char *auth_key)
{
	for (uint32_t i = 0; i < p->hold_count; i++)
		if (strcmp(p->holds[i].auth_key, auth_key) == 0)
			return &p->holds[i];
	return NULL;
}

/* Queues the answer to @p req, delivered after the processor's latency. */
static enum cv_status cv_script_answer(struct cv_script_payment *p, const struct cv_payment_request *req,
				       enum cv_pay_result result, int64_t amount_minor)
{
	for (unsigned i = 0; i < CV_SCRIPT_PENDING_MAX; i++) {
		if (p->pending[i].used)
			continue;
		struct cv_event *ev = &p->pending[i].event;
		memset(ev, 0, sizeof(*ev));
		ev->type = CV_EVENT_PAYMENT_RESULT;
		struct cv_payment_result *r = &ev->u.payment;
		r->op_id = req->op_id;
		r->op = req->op;
		r->result = result;
		r->decline_reason = result == CV_PAY_DECLINED ? CV_DECLINE_INSUFFICIENT : CV_DECLINE_NONE;
		r->amount = req->amount;
		r->amount.amount_minor = amount_minor;
		strcpy(r->processor_ref, "qemu-proc");
		if (result == CV_PAY_OK && (req->op == CV_PAYMENT_OP_AUTHORIZE || req->op == CV_PAYMENT_OP_LOOKUP)) {
			strcpy(r->card.brand, "VISA");
			strcpy(r->card.last4, "0019");
			strcpy(r->card.auth_code, "QEMU01");
			r->card.entry = CV_CARD_ENTRY_CONTACTLESS;
		}
		p->pending[i].due_ms = p->now_ms + CV_SCRIPT_LATENCY_MS;
		p->pending[i].used = true;
		return CV_PENDING;
	}
	return CV_E_BUSY;
}

static enum cv_status cv_script_authorize(void *ctx, const struct cv_payment_request *req)
{
	struct cv_script_payment *p = ctx;
	enum cv_script_card card = p->next_card;
	p->next_card = CV_SCRIPT_CARD_APPROVE;
	if (card == CV_SCRIPT_CARD_DECLINE) {
		p->declines++;
		return cv_script_answer(p, req, CV_PAY_DECLINED, 0);
	}
	if (p->hold_count == CV_SCRIPT_HOLDS_MAX || cv_script_find(p, req->idempotency_key) != NULL)
		return cv_script_answer(p, req, CV_PAY_INVALID, 0);
	struct cv_script_hold *h = &p->holds[p->hold_count++];
	strcpy(h->auth_key, req->idempotency_key);
	h->amount_minor = req->amount.amount_minor;
	h->state = CV_SCRIPT_HOLD_HELD;
	if (card == CV_SCRIPT_CARD_UNKNOWN_HELD) {
		p->unknowns++; /* The hold exists; the answer is lost on the way. */
		return cv_script_answer(p, req, CV_PAY_UNKNOWN, 0);
	}
	return cv_script_answer(p, req, CV_PAY_OK, h->amount_minor);
}

static enum cv_status cv_script_lookup(void *ctx, const struct cv_payment_request *req)
{
	struct cv_script_payment *p = ctx;
	struct cv_script_hold *h = cv_script_find(p, req->auth_key);
	p->lookups++;
	if (h == NULL || h->state != CV_SCRIPT_HOLD_HELD)
		return cv_script_answer(p, req, CV_PAY_NOT_FOUND, 0);
	return cv_script_answer(p, req, CV_PAY_OK, h->amount_minor);
}

static enum cv_status cv_script_capture(void *ctx, const struct cv_payment_request *req)
{
	struct cv_script_payment *p = ctx;
	struct cv_script_hold *h = cv_script_find(p, req->auth_key);
	if (h == NULL || h->state == CV_SCRIPT_HOLD_VOIDED || req->amount.amount_minor > h->amount_minor)
		return cv_script_answer(p, req, CV_PAY_INVALID, 0);
	if (h->state == CV_SCRIPT_HOLD_HELD) { /* Same key, same effect: counted once. */
		h->state = CV_SCRIPT_HOLD_CAPTURED;
		p->captured_minor += req->amount.amount_minor;
		p->captures++;
	}
	return cv_script_answer(p, req, CV_PAY_OK, req->amount.amount_minor);
}

static enum cv_status cv_script_void(void *ctx, const struct cv_payment_request *req)
{
	struct cv_script_payment *p = ctx;
	struct cv_script_hold *h = cv_script_find(p, req->auth_key);
	if (h == NULL)
		return cv_script_answer(p, req, CV_PAY_NOT_FOUND, 0);
	if (h->state == CV_SCRIPT_HOLD_CAPTURED)
		return cv_script_answer(p, req, CV_PAY_INVALID, 0);
	if (h->state == CV_SCRIPT_HOLD_HELD)
		p->voids++;
	h->state = CV_SCRIPT_HOLD_VOIDED;
	return cv_script_answer(p, req, CV_PAY_OK, h->amount_minor);
}

const struct cv_payment_ops cv_script_payment_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "script",
	.open = cv_script_open,
	.authorize = cv_script_authorize,
	.capture = cv_script_capture,
	.void_auth = cv_script_void,
	.lookup = cv_script_lookup,
};

void cv_script_payment_init(struct cv_script_payment *payment)
{
	memset(payment, 0, sizeof(*payment));
}

void cv_script_payment_poll(struct cv_script_payment *p, uint64_t now_ms)
{
	p->now_ms = now_ms;
	for (unsigned i = 0; i < CV_SCRIPT_PENDING_MAX; i++) {
		if (!p->pending[i].used || now_ms < p->pending[i].due_ms)
			continue;
		if (cv_machine_post(p->machine, &p->pending[i].event) != CV_E_FULL)
			p->pending[i].used = false;
	}
}

uint32_t cv_script_payment_open_holds(const struct cv_script_payment *p)
{
	uint32_t open = 0;
	for (uint32_t i = 0; i < p->hold_count; i++)
		open += p->holds[i].state == CV_SCRIPT_HOLD_HELD;
	return open;
}

bool cv_script_payment_idle(const struct cv_script_payment *p)
{
	for (unsigned i = 0; i < CV_SCRIPT_PENDING_MAX; i++)
		if (p->pending[i].used)
			return false;
	return true;
}
