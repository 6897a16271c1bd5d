/* SPDX-License-Identifier: MIT */
/*
 * Simulated card reader and processor.
 *
 * The reader collects one card at a time; the processor keeps a table of
 * authorizations keyed by idempotency key, as a real one does, so a resend
 * with the same key replays the stored answer instead of charging twice.
 *
 * Choices this file makes (sim.h leaves them open):
 * - Table: CV_SIM_AUTH_MAX entries. When it is full the oldest entry settled
 *   (captured, voided or declined) at least CV_SIM_KEY_TTL_MS ago is reused:
 *   like a processor's idempotency keys, a key is remembered for that long,
 *   so a capture resent after a long outage still finds its hold. Open holds
 *   are never evicted: with no slot free, authorize answers CV_E_FULL.
 * - Authorizations that never reached the processor (NOT_SENT, CANCELLED at
 *   the reader, TIMEOUT_NOT_CHARGED) leave no entry: a resend with that key
 *   collects a card again.
 * - Replays answer what the processor first answered: approved (even if the
 *   hold was since captured or voided) or declined. Declines are replayed
 *   too, as with real processors: a retry after a decline needs a new key.
 *   A replay with a different amount is CV_PAY_INVALID.
 * - Lookup answers only OK (held or captured), NOT_FOUND (nothing held:
 *   never sent, declined, voided) or UNKNOWN, the vocabulary payment.h gives
 *   lookups; a decline is reported as NOT_FOUND.
 * - Capture of an authorization that does not exist or was declined:
 *   NOT_FOUND; of a voided one, or a second capture under another key:
 *   INVALID. request->processor_ref is not checked (auth_key is the id).
 * - The random rates decline_permille and unknown_permille choose the
 *   automatic cards (cv_sim_set_auto_card); a card presented by hand behaves
 *   exactly as the test card table says.
 * - request->timeout_ms, when not 0, bounds the processor's latency (the
 *   reader's wait for a card is the engine's business, ended by
 *   abort_collect): an answer later than that is replaced by CV_PAY_UNKNOWN
 *   at the timeout, the operation still applied. AMEX 8431 (+2 s) can hit it.
 * - A test card has its public test PAN (cv_sim_cards), as a physical card
 *   has a number; the reader keeps it to itself and hands the engine only
 *   the brand and the last four digits.
 */
#include <stdio.h>
#include <string.h>

#include "sim_private.h"

/* Extra latency of CV_SIM_CARD_SLOW. */
#define CV_SIM_SLOW_EXTRA_MS 2000u

/* What the processor does with a presented card. */
enum cv_sim_outcome {
	CV_SIM_OUTCOME_APPROVE = 0,
	CV_SIM_OUTCOME_DECLINE = 1,
	CV_SIM_OUTCOME_UNKNOWN_HELD = 2,
	CV_SIM_OUTCOME_UNKNOWN_NONE = 3,
};

struct cv_sim_card_info {
	const char *brand;
	/* The public test PAN printed on the physical card. Only the reader
	 * sees it: the summary handed to the engine gets its last four digits
	 * (cv_sim_auth_decide), never the number itself. */
	const char *pan;
	enum cv_sim_outcome outcome;
	enum cv_decline_reason reason;
	uint32_t extra_ms;
};

/* The test card table of sim.h, indexed by enum cv_sim_card. The PANs are
 * the processors' public test numbers (Stripe's), so the PCI scan test can
 * prove that none of them ever leaves the reader. */
static const struct cv_sim_card_info cv_sim_cards[CV_SIM_CARD_COUNT] = {
	[CV_SIM_CARD_APPROVED] = {"VISA", "4242424242424242", CV_SIM_OUTCOME_APPROVE, CV_DECLINE_NONE, 0},
	[CV_SIM_CARD_WALLET] = {"MASTERCARD", "5555555555554444", CV_SIM_OUTCOME_APPROVE, CV_DECLINE_NONE, 0},
	[CV_SIM_CARD_DECLINED] = {"VISA", "4000000000000002", CV_SIM_OUTCOME_DECLINE, CV_DECLINE_GENERIC, 0},
	[CV_SIM_CARD_INSUFFICIENT] = {"VISA", "4000000000009995", CV_SIM_OUTCOME_DECLINE, CV_DECLINE_INSUFFICIENT, 0},
	[CV_SIM_CARD_TIMEOUT_APPROVED] = {"VISA", "4000000000000119", CV_SIM_OUTCOME_UNKNOWN_HELD, CV_DECLINE_NONE, 0},
	[CV_SIM_CARD_TIMEOUT_NOT_CHARGED] = {"VISA", "4000000000000127", CV_SIM_OUTCOME_UNKNOWN_NONE, CV_DECLINE_NONE,
					     0},
	[CV_SIM_CARD_SLOW] = {"AMEX", "371449635398431", CV_SIM_OUTCOME_APPROVE, CV_DECLINE_NONE, CV_SIM_SLOW_EXTRA_MS},
};

/* ---- Small helpers ------------------------------------------------------- */

static void cv_sim_str_copy(char *dst, size_t size, const char *src)
{
	size_t length = strlen(src);
	if (length >= size)
		length = size - 1;
	memcpy(dst, src, length);
	dst[length] = '\0';
}

/* A fixed buffer holds a terminated, non-empty string. */
static bool cv_sim_str_ok(const char *s, size_t size)
{
	return s[0] != '\0' && memchr(s, '\0', size) != NULL;
}

static bool cv_sim_money_equal(const struct cv_money *a, const struct cv_money *b)
{
	return a->amount_minor == b->amount_minor && strncmp(a->currency, b->currency, CV_CURRENCY_LEN) == 0;
}

static struct cv_payment_result cv_sim_pay_result(const struct cv_payment_request *request, enum cv_pay_result result)
{
	struct cv_payment_result out;
	memset(&out, 0, sizeof(out));
	out.op_id = request->op_id;
	out.op = request->op;
	out.result = result;
	memcpy(out.amount.currency, request->amount.currency, CV_CURRENCY_LEN);
	out.amount.currency[CV_CURRENCY_LEN - 1] = '\0';
	return out;
}

/* An answer whose outcome is unknown says nothing else. */
static void cv_sim_pay_make_unknown(struct cv_payment_result *result)
{
	struct cv_payment_result unknown;
	memset(&unknown, 0, sizeof(unknown));
	unknown.op_id = result->op_id;
	unknown.op = result->op;
	unknown.result = CV_PAY_UNKNOWN;
	memcpy(unknown.amount.currency, result->amount.currency, CV_CURRENCY_LEN);
	*result = unknown;
}

/* Fills an entry (fresh or parked) with the answer, due after the latency,
 * or at the request's timeout as UNKNOWN if the latency exceeds it. */
static void cv_sim_pay_schedule(struct cv_sim *sim, struct cv_sim_entry *entry, struct cv_payment_result result,
				uint32_t latency_ms, uint32_t timeout_ms)
{
	if (timeout_ms != 0 && latency_ms > timeout_ms) {
		cv_sim_pay_make_unknown(&result);
		latency_ms = timeout_ms;
	}
	entry->task = CV_SIM_TASK_POST;
	memset(&entry->ev, 0, sizeof(entry->ev));
	entry->ev.type = CV_EVENT_PAYMENT_RESULT;
	entry->ev.u.payment = result;
	cv_sim_sched_arm(sim, entry, sim->now_ms + latency_ms);
	entry->ev.time_ms = entry->due_ms;
}

/* Queues an answer in a new entry; the caller checked there is room. */
static void cv_sim_pay_answer(struct cv_sim *sim, const struct cv_payment_request *request,
			      struct cv_payment_result result)
{
	struct cv_sim_entry *entry = cv_sim_sched_add(sim, 0, CV_SIM_TASK_POST, 0);
	cv_sim_pay_schedule(sim, entry, result, sim->config.payment_latency_ms, request->timeout_ms);
}

/* Queues the answer of an operation that went over @p link, then tells the
 * link how it ended (an outcome turned unknown by a late answer included). */
static void cv_sim_pay_answer_via(struct cv_sim *sim, const struct cv_payment_request *request,
				  struct cv_payment_result result, int link, const char *key)
{
	struct cv_sim_entry *entry = cv_sim_sched_add(sim, 0, CV_SIM_TASK_POST, 0);
	cv_sim_pay_schedule(sim, entry, result, sim->config.payment_latency_ms, request->timeout_ms);
	cv_sim_link_done(sim, link, key, entry->ev.u.payment.result);
}

/* No link would carry it: nothing reached the processor. */
static enum cv_status cv_sim_pay_not_sent(struct cv_sim *sim, const struct cv_payment_request *request)
{
	cv_sim_pay_answer(sim, request, cv_sim_pay_result(request, CV_PAY_NOT_SENT));
	return CV_PENDING;
}

/* ---- The processor's table ----------------------------------------------- */

/* "A1B2C3": letters and digits alternating, derived from the seed and the
 * processor's counter so it is stable without consuming the random stream. */
static void cv_sim_auth_code(const struct cv_sim *sim, char *out)
{
	uint64_t x = cv_sim_mix(sim->config.seed ^ ((uint64_t)sim->ref_counter << 20));
	for (size_t i = 0; i < 6; i++) {
		if (i % 2 == 0)
			out[i] = (char)('A' + (int)(x % 26));
		else
			out[i] = (char)('0' + (int)(x % 10));
		x /= 26;
	}
	out[6] = '\0';
}

/* The processor receives the authorization: it gets a reference, and a hold
 * or a decline. */
static void cv_sim_auth_decide(struct cv_sim *sim, struct cv_sim_auth *auth, const struct cv_sim_card_info *card,
			       bool hold)
{
	sim->ref_counter++;
	snprintf(auth->processor_ref, sizeof(auth->processor_ref), "sim_%lu", (unsigned long)sim->ref_counter);
	memset(&auth->card, 0, sizeof(auth->card));
	cv_sim_str_copy(auth->card.brand, sizeof(auth->card.brand), card->brand);
	cv_sim_str_copy(auth->card.last4, sizeof(auth->card.last4), card->pan + strlen(card->pan) - 4);
	auth->touched_ms = sim->now_ms;
	if (hold) {
		auth->state = CV_SIM_AUTH_HELD;
		auth->decline_reason = CV_DECLINE_NONE;
		cv_sim_auth_code(sim, auth->card.auth_code);
		sim->holds_placed++;
	} else {
		cv_sim_auth_settle(sim, auth, CV_SIM_AUTH_DECLINED);
		auth->decline_reason = card->reason;
	}
}

/* The answer the processor gives (and replays) for this authorization. */
static struct cv_payment_result cv_sim_auth_answer(const struct cv_sim_auth *auth,
						   const struct cv_payment_request *request)
{
	bool declined = auth->state == CV_SIM_AUTH_DECLINED;
	struct cv_payment_result result = cv_sim_pay_result(request, declined ? CV_PAY_DECLINED : CV_PAY_OK);
	result.decline_reason = auth->decline_reason;
	result.amount = auth->amount;
	if (declined)
		result.amount.amount_minor = 0;
	memcpy(result.processor_ref, auth->processor_ref, CV_PROCESSOR_REF_LEN);
	result.card = auth->card;
	return result;
}

/* ---- Authorize ----------------------------------------------------------- */

static bool cv_sim_pay_request_ok(const struct cv_payment_request *request, bool needs_auth_key, bool needs_idem_key)
{
	if (request == NULL)
		return false;
	if (!cv_sim_str_ok(request->idempotency_key, CV_IDEM_KEY_LEN) && needs_idem_key)
		return false;
	if (!cv_sim_str_ok(request->auth_key, CV_IDEM_KEY_LEN) && needs_auth_key)
		return false;
	return memchr(request->amount.currency, '\0', CV_CURRENCY_LEN) != NULL;
}

/* The checks every payment operation makes before it touches anything: a
 * well-formed request, an open table, and room for the answer. */
static enum cv_status cv_sim_pay_admit(const struct cv_sim *sim, const struct cv_payment_request *request,
				       bool needs_auth_key, bool needs_idem_key)
{
	if (!cv_sim_pay_request_ok(request, needs_auth_key, needs_idem_key))
		return CV_E_INVAL;
	if (!(sim->open_mask & CV_SIM_OPEN_PAYMENT))
		return CV_E_STATE;
	if (cv_sim_sched_free_count(sim) == 0)
		return CV_E_FULL;
	return CV_OK;
}

/* A resend of a key the processor knows: the stored answer, no card. */
static enum cv_status cv_sim_authorize_replay(struct cv_sim *sim, const struct cv_sim_auth *auth,
					      const struct cv_payment_request *request, int fault)
{
	if (fault == CV_SIM_FAULT_AUTH_SILENT)
		return CV_PENDING;
	struct cv_payment_result result;
	int link = cv_sim_link_pick(sim, request->idempotency_key);
	if (fault == CV_SIM_FAULT_AUTH_NOT_SENT || link < 0)
		return cv_sim_pay_not_sent(sim, request);
	if (!cv_sim_money_equal(&auth->amount, &request->amount))
		result = cv_sim_pay_result(request, CV_PAY_INVALID);
	else
		result = cv_sim_auth_answer(auth, request);
	cv_sim_pay_answer_via(sim, request, result, link, request->idempotency_key);
	return CV_PENDING;
}

/* The automatic customer: a random approved or declined card, replaced by a
 * timeout card at unknown_permille. Four dice, always all rolled. */
static enum cv_sim_card cv_sim_auto_card_pick(struct cv_sim *sim)
{
	bool declined = cv_sim_rng_chance(sim, sim->config.decline_permille);
	bool second = cv_sim_rng_below(&sim->rng, 2) == 1;
	bool unknown = cv_sim_rng_chance(sim, sim->config.unknown_permille);
	bool held = cv_sim_rng_below(&sim->rng, 2) == 1;
	if (unknown)
		return held ? CV_SIM_CARD_TIMEOUT_APPROVED : CV_SIM_CARD_TIMEOUT_NOT_CHARGED;
	if (declined)
		return second ? CV_SIM_CARD_INSUFFICIENT : CV_SIM_CARD_DECLINED;
	return second ? CV_SIM_CARD_WALLET : CV_SIM_CARD_APPROVED;
}

static enum cv_status cv_sim_pay_authorize(void *ctx, const struct cv_payment_request *request)
{
	struct cv_sim *sim = ctx;
	enum cv_status rc = cv_sim_pay_admit(sim, request, false, true);
	if (rc != CV_OK)
		return rc;
	if (request->amount.amount_minor <= 0)
		return CV_E_INVAL;
	if (sim->collect.active)
		return CV_E_BUSY;
	const struct cv_sim_auth *known = cv_sim_auth_find(sim, request->idempotency_key);
	long slot = known != NULL ? -1 : cv_sim_auth_reserve(sim);
	if (known == NULL && slot < 0)
		return CV_E_FULL;
	/* Past every refusal: this authorize consumes its scripted fault. */
	int fault = cv_sim_fault_pop(sim, CV_SIM_KIND_AUTH);
	if (known != NULL)
		return cv_sim_authorize_replay(sim, known, request, fault);

	struct cv_sim_auth *auth = &sim->auths[slot];
	memset(auth, 0, sizeof(*auth));
	auth->state = CV_SIM_AUTH_COLLECTING;
	cv_sim_str_copy(auth->key, sizeof(auth->key), request->idempotency_key);
	cv_sim_auth_register(sim, (size_t)slot);
	auth->amount = request->amount;
	struct cv_sim_entry *entry = cv_sim_sched_add(sim, 0, CV_SIM_TASK_POST, 0);
	entry->parked = true;
	entry->ev.type = CV_EVENT_PAYMENT_RESULT;
	entry->ev.u.payment = cv_sim_pay_result(request, CV_PAY_UNKNOWN);
	sim->collect = (struct cv_sim_collect){
		.active = true,
		.op_id = request->op_id,
		.fault = fault,
		.timeout_ms = request->timeout_ms,
		.offline_allowed = request->offline_allowed,
		.auth_index = (size_t)slot,
		.entry_index = (size_t)(entry - sim->sched),
	};
	if (sim->auto_card)
		(void)cv_sim_present_card(sim, cv_sim_auto_card_pick(sim));
	return CV_PENDING;
}

/* The collection ends: the reserved entry gets @p result after @p latency_ms;
 * a reserved processor slot the processor never heard of is released. */
static void cv_sim_collect_finish(struct cv_sim *sim, struct cv_payment_result result, uint32_t latency_ms, bool silent)
{
	struct cv_sim_auth *auth = &sim->auths[sim->collect.auth_index];
	struct cv_sim_entry *entry = &sim->sched[sim->collect.entry_index];
	sim->collect.active = false;
	if (auth->state == CV_SIM_AUTH_COLLECTING)
		cv_sim_auth_release(sim, sim->collect.auth_index);
	if (silent) {
		entry->used = false;
		return;
	}
	result.op_id = entry->ev.u.payment.op_id;
	result.op = CV_PAYMENT_OP_AUTHORIZE;
	cv_sim_pay_schedule(sim, entry, result, latency_ms, sim->collect.timeout_ms);
}

/* No link: the reader decides on its own. A card its offline checks refuse
 * (the declining test cards) is declined as "offline refused"; any other is
 * approved and stored, to be forwarded later. */
static void cv_sim_present_offline(struct cv_sim *sim, struct cv_sim_auth *auth, const struct cv_sim_card_info *info,
				   struct cv_payment_result base, uint32_t latency)
{
	struct cv_payment_request request;
	memset(&request, 0, sizeof(request));
	request.op_id = base.op_id;
	struct cv_payment_result result;
	if (info->outcome == CV_SIM_OUTCOME_DECLINE) {
		result = base;
		result.result = CV_PAY_DECLINED;
		result.decline_reason = CV_DECLINE_OFFLINE_REFUSED;
	} else {
		cv_sim_auth_decide(sim, auth, info, true);
		cv_sim_offline_store(sim, auth);
		result = cv_sim_auth_answer(auth, &request);
		result.offline_approved = true;
	}
	cv_sim_collect_finish(sim, result, latency, false);
}

CV_SIM_EXPORT enum cv_status cv_sim_present_card(struct cv_sim *sim, enum cv_sim_card card)
{
	if (sim == NULL)
		return CV_E_INVAL;
	if (!sim->collect.active)
		return CV_E_STATE;
	if ((unsigned)card >= CV_SIM_CARD_COUNT)
		return CV_E_INVAL;
	const struct cv_sim_card_info *info = &cv_sim_cards[card];
	struct cv_sim_auth *auth = &sim->auths[sim->collect.auth_index];
	const struct cv_payment_result base = sim->sched[sim->collect.entry_index].ev.u.payment;
	uint32_t latency = sim->config.payment_latency_ms + info->extra_ms;
	int fault = sim->collect.fault;

	/* The reader tells the engine at once that it has the card; only the
	 * screen depends on it, so a full queue just skips it. */
	struct cv_event read = {.type = CV_EVENT_CARD_READ};
	read.u.card_read.op_id = base.op_id;
	if (sim->machine != NULL && sim->open_mask != 0) /* Never into a machine that is gone. */
		(void)cv_machine_post(sim->machine, &read);

	/* The card is read; the request now goes over a link, or nowhere. */
	char key[CV_IDEM_KEY_LEN];
	memcpy(key, auth->key, sizeof(key));
	int link = cv_sim_link_pick(sim, key);
	if (link < 0 && fault == CV_SIM_FAULT_NONE && sim->collect.offline_allowed && cv_sim_offline_can_approve(sim)) {
		cv_sim_present_offline(sim, auth, info, base, latency);
		return CV_OK;
	}
	if (fault == CV_SIM_FAULT_AUTH_NOT_SENT || link < 0) {
		struct cv_payment_result result = base;
		result.result = CV_PAY_NOT_SENT;
		cv_sim_collect_finish(sim, result, latency, false);
		return CV_OK;
	}
	if (fault == CV_SIM_FAULT_AUTH_SILENT) {
		/* The processor holds the money; its answer is lost for good. */
		cv_sim_auth_decide(sim, auth, info, true);
		cv_sim_collect_finish(sim, base, latency, true);
		cv_sim_link_done(sim, link, key, CV_PAY_UNKNOWN);
		return CV_OK;
	}
	struct cv_payment_result result = base; /* UNKNOWN, nothing else */
	switch (info->outcome) {
	case CV_SIM_OUTCOME_APPROVE:
	case CV_SIM_OUTCOME_DECLINE: {
		struct cv_payment_request request;
		memset(&request, 0, sizeof(request));
		request.op_id = base.op_id;
		cv_sim_auth_decide(sim, auth, info, info->outcome == CV_SIM_OUTCOME_APPROVE);
		result = cv_sim_auth_answer(auth, &request);
		break;
	}
	case CV_SIM_OUTCOME_UNKNOWN_HELD:
		cv_sim_auth_decide(sim, auth, info, true);
		break;
	case CV_SIM_OUTCOME_UNKNOWN_NONE:
		break;
	}
	cv_sim_collect_finish(sim, result, latency, false);
	cv_sim_link_done(sim, link, key, sim->sched[sim->collect.entry_index].ev.u.payment.result);
	return CV_OK;
}

CV_SIM_EXPORT bool cv_sim_is_collecting(const struct cv_sim *sim)
{
	return sim != NULL && sim->collect.active;
}

/* Applies to the next collection; a card already awaited stays awaited. */
CV_SIM_EXPORT void cv_sim_set_auto_card(struct cv_sim *sim, bool enabled)
{
	if (sim != NULL)
		sim->auto_card = enabled;
}

static enum cv_status cv_sim_pay_abort_collect(void *ctx, uint32_t op_id)
{
	struct cv_sim *sim = ctx;
	if (!sim->collect.active || sim->collect.op_id != op_id)
		return CV_E_STATE;
	struct cv_payment_result result = sim->sched[sim->collect.entry_index].ev.u.payment;
	result.result = CV_PAY_CANCELLED;
	/* The reader cancels locally: no processor round trip. */
	cv_sim_collect_finish(sim, result, 0, false);
	return CV_PENDING;
}

/* ---- Capture, void, lookup ----------------------------------------------- */

/* Whether the request is about a payment the reader approved offline and
 * still holds: those are settled at the reader, with no link. */
static bool cv_sim_pay_is_stored(struct cv_sim *sim, const struct cv_payment_request *request)
{
	if (sim->stored_count == 0)
		return false;
	const struct cv_sim_auth *auth = cv_sim_auth_find(sim, request->auth_key);
	return auth != NULL && auth->stored;
}

static struct cv_payment_result cv_sim_capture_apply(struct cv_sim *sim, const struct cv_payment_request *request)
{
	struct cv_sim_auth *auth = cv_sim_auth_find(sim, request->auth_key);
	if (auth == NULL || auth->state == CV_SIM_AUTH_DECLINED)
		return cv_sim_pay_result(request, CV_PAY_NOT_FOUND);
	struct cv_payment_result result = cv_sim_pay_result(request, CV_PAY_OK);
	memcpy(result.processor_ref, auth->processor_ref, CV_PROCESSOR_REF_LEN);
	result.card = auth->card;
	if (auth->state == CV_SIM_AUTH_CAPTURED) {
		/* Same key: a resend, answered as the first time. */
		if (strncmp(auth->capture_key, request->idempotency_key, CV_IDEM_KEY_LEN) != 0)
			return cv_sim_pay_result(request, CV_PAY_INVALID);
		result.amount = auth->captured;
		return result;
	}
	if (auth->state != CV_SIM_AUTH_HELD || request->amount.amount_minor <= 0 ||
	    request->amount.amount_minor > auth->amount.amount_minor ||
	    strncmp(request->amount.currency, auth->amount.currency, CV_CURRENCY_LEN) != 0)
		return cv_sim_pay_result(request, CV_PAY_INVALID);
	/* A partial capture releases the rest of the hold. */
	cv_sim_auth_settle(sim, auth, CV_SIM_AUTH_CAPTURED);
	auth->captured = request->amount;
	cv_sim_str_copy(auth->capture_key, sizeof(auth->capture_key), request->idempotency_key);
	if (!auth->stored) { /* A stored payment reaches the processor when forwarded. */
		sim->captures++;
		sim->captured_minor += request->amount.amount_minor;
	}
	result.amount = request->amount;
	return result;
}

static enum cv_status cv_sim_pay_capture(void *ctx, const struct cv_payment_request *request)
{
	struct cv_sim *sim = ctx;
	enum cv_status rc = cv_sim_pay_admit(sim, request, true, true);
	if (rc != CV_OK)
		return rc;
	int fault = cv_sim_fault_pop(sim, CV_SIM_KIND_CAPTURE);
	bool unknown = cv_sim_rng_chance(sim, sim->config.settle_unknown_permille);
	if (cv_sim_pay_is_stored(sim, request)) {
		/* Settled at the reader, which forwards the captured amount later. */
		cv_sim_pay_answer(sim, request, cv_sim_capture_apply(sim, request));
		return CV_PENDING;
	}
	int link = cv_sim_link_pick(sim, request->idempotency_key);
	if (link < 0)
		return cv_sim_pay_not_sent(sim, request);
	struct cv_payment_result result;
	if (fault == CV_SIM_FAULT_CAPTURE_REJECTED)
		result = cv_sim_pay_result(request, CV_PAY_INVALID);
	else
		result = cv_sim_capture_apply(sim, request);
	/* Applied (or refused) at the processor, but the answer is lost. */
	if (fault == CV_SIM_FAULT_CAPTURE_UNKNOWN || (unknown && fault == CV_SIM_FAULT_NONE))
		cv_sim_pay_make_unknown(&result);
	cv_sim_pay_answer_via(sim, request, result, link, request->idempotency_key);
	return CV_PENDING;
}

static struct cv_payment_result cv_sim_void_apply(struct cv_sim *sim, const struct cv_payment_request *request)
{
	struct cv_sim_auth *auth = cv_sim_auth_find(sim, request->auth_key);
	if (auth == NULL || auth->state == CV_SIM_AUTH_DECLINED)
		return cv_sim_pay_result(request, CV_PAY_NOT_FOUND);
	if (auth->state == CV_SIM_AUTH_CAPTURED)
		return cv_sim_pay_result(request, CV_PAY_INVALID);
	struct cv_payment_result result = cv_sim_pay_result(request, CV_PAY_OK);
	memcpy(result.processor_ref, auth->processor_ref, CV_PROCESSOR_REF_LEN);
	result.card = auth->card;
	result.amount = auth->amount;
	if (auth->state == CV_SIM_AUTH_HELD) {
		cv_sim_auth_settle(sim, auth, CV_SIM_AUTH_VOIDED);
		if (auth->stored)
			cv_sim_offline_drop(sim, auth); /* deleted at the reader, never sent */
		else
			sim->voids++;
	}
	/* Already voided: the same answer again (voids are idempotent). */
	return result;
}

static enum cv_status cv_sim_pay_void(void *ctx, const struct cv_payment_request *request)
{
	struct cv_sim *sim = ctx;
	enum cv_status rc = cv_sim_pay_admit(sim, request, true, false);
	if (rc != CV_OK)
		return rc;
	int fault = cv_sim_fault_pop(sim, CV_SIM_KIND_VOID);
	bool unknown = cv_sim_rng_chance(sim, sim->config.settle_unknown_permille);
	if (cv_sim_pay_is_stored(sim, request)) {
		cv_sim_pay_answer(sim, request, cv_sim_void_apply(sim, request));
		return CV_PENDING;
	}
	int link = cv_sim_link_pick(sim, request->idempotency_key);
	if (link < 0)
		return cv_sim_pay_not_sent(sim, request);
	struct cv_payment_result result = cv_sim_void_apply(sim, request);
	if (fault == CV_SIM_FAULT_VOID_UNKNOWN || unknown)
		cv_sim_pay_make_unknown(&result);
	cv_sim_pay_answer_via(sim, request, result, link, request->idempotency_key);
	return CV_PENDING;
}

static enum cv_status cv_sim_pay_lookup(void *ctx, const struct cv_payment_request *request)
{
	struct cv_sim *sim = ctx;
	enum cv_status rc = cv_sim_pay_admit(sim, request, true, false);
	if (rc != CV_OK)
		return rc;
	int fault = cv_sim_fault_pop(sim, CV_SIM_KIND_LOOKUP);
	bool unknown = cv_sim_rng_chance(sim, sim->config.lookup_unknown_permille);
	int link = cv_sim_link_pick(sim, request->auth_key);
	if (link < 0)
		return cv_sim_pay_not_sent(sim, request);
	const struct cv_sim_auth *auth = cv_sim_auth_find(sim, request->auth_key);
	struct cv_payment_result result;
	if (auth != NULL && (auth->state == CV_SIM_AUTH_HELD || auth->state == CV_SIM_AUTH_CAPTURED))
		result = cv_sim_auth_answer(auth, request);
	else
		result = cv_sim_pay_result(request, CV_PAY_NOT_FOUND);
	if (fault == CV_SIM_FAULT_LOOKUP_UNKNOWN || unknown)
		cv_sim_pay_make_unknown(&result);
	cv_sim_pay_answer_via(sim, request, result, link, request->auth_key);
	return CV_PENDING;
}

/* ---- Table and truth ----------------------------------------------------- */

static uint32_t cv_sim_pay_caps(void *ctx)
{
	const struct cv_sim *sim = ctx;
	return sim->config.offline_capable ? CV_PAYMENT_CAP_OFFLINE : 0;
}

static enum cv_status cv_sim_pay_open(void *ctx, struct cv_machine *machine)
{
	return cv_sim_table_open(ctx, machine, CV_SIM_OPEN_PAYMENT);
}

static void cv_sim_pay_close(void *ctx)
{
	cv_sim_table_close(ctx, CV_SIM_OPEN_PAYMENT);
}

CV_SIM_EXPORT const struct cv_payment_ops cv_sim_payment_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "sim-payment",
	.caps = cv_sim_pay_caps,
	.open = cv_sim_pay_open,
	.close = cv_sim_pay_close,
	.authorize = cv_sim_pay_authorize,
	.capture = cv_sim_pay_capture,
	.void_auth = cv_sim_pay_void,
	.lookup = cv_sim_pay_lookup,
	.abort_collect = cv_sim_pay_abort_collect,
	.health = cv_sim_pay_health,
	.offline_status = cv_sim_pay_offline_status,
};

/* In flight: the collection under way and every authorize answer not yet
 * posted. An AUTH_SILENT authorization is not in flight: the processor is
 * done with it, its answer was lost. */
void cv_sim_payment_truth(const struct cv_sim *sim, struct cv_sim_truth *out)
{
	for (size_t i = 0; i < CV_SIM_AUTH_MAX; i++) {
		const struct cv_sim_auth *auth = &sim->auths[i];
		if (auth->state != CV_SIM_AUTH_HELD)
			continue;
		out->holds_open++;
		out->held_minor += auth->amount.amount_minor;
	}
	for (size_t i = 0; i < CV_SIM_SCHED_MAX; i++) {
		const struct cv_sim_entry *entry = &sim->sched[i];
		if (entry->used && entry->task == CV_SIM_TASK_POST && entry->ev.type == CV_EVENT_PAYMENT_RESULT &&
		    entry->ev.u.payment.op == CV_PAYMENT_OP_AUTHORIZE)
			out->auth_in_flight++;
	}
	out->holds_placed = sim->holds_placed;
	out->captured_minor = sim->captured_minor;
	out->captures = sim->captures;
	out->voids = sim->voids;
}

CV_SIM_EXPORT enum cv_status cv_sim_hold_amount(const struct cv_sim *sim, const char *auth_key, int64_t *amount_out)
{
	if (sim == NULL || auth_key == NULL || amount_out == NULL)
		return CV_E_INVAL;
	/* The lookup only reads; the table helper is shared with the mutating paths. */
	const struct cv_sim_auth *auth = cv_sim_auth_find((struct cv_sim *)(uintptr_t)sim, auth_key);
	if (auth == NULL || auth->state != CV_SIM_AUTH_HELD)
		return CV_E_NOT_FOUND;
	*amount_out = auth->amount.amount_minor;
	return CV_OK;
}
