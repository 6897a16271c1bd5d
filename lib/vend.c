/* SPDX-License-Identifier: MIT */
/* The vend state machine: creation, transitions, the level-triggered advance
 * loop, cancel and retry. Payment and dispensing details live in
 * vend_payment.c and vend_dispense.c. */
#include "machine_private.h"

static const char cv_base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* 128 random bits as 26 base32 characters (RFC 4648 alphabet, lower case, no padding). */
void cv_vend_id_encode(const uint8_t uuid[16], char out[CV_VEND_ID_LEN])
{
	unsigned bits = 0, used = 0, n = 0;
	for (unsigned i = 0; i < 16; i++) {
		bits = (bits << 8) | uuid[i];
		used += 8;
		while (used >= 5) {
			out[n++] = cv_base32_alphabet[(bits >> (used - 5)) & 31u];
			used -= 5;
		}
	}
	out[n++] = cv_base32_alphabet[(bits << (5 - used)) & 31u];
	out[n] = '\0';
}

/* The vend's identity, lane and price (a VEND_BEGIN record is the vend). */
void cv_vend_journal_begin(struct cv_machine *m, struct cv_vend *v)
{
	cv_rec_append(m, CV_JOURNAL_VEND_BEGIN, v);
}

/* The lane's receipt fields, frozen into the vend. */
void cv_vend_freeze_lane(struct cv_vend *v, const struct cv_lane_config *config)
{
	cv_str_copy(v->lane_label, sizeof(v->lane_label), config->label);
	cv_str_copy(v->product_id, sizeof(v->product_id), config->product_id);
	cv_str_copy(v->product_name, sizeof(v->product_name), config->product_name);
}

struct cv_vend *cv_vend_create(struct cv_machine *m, uint16_t lane)
{
	struct cv_vend *v = NULL;
	for (unsigned i = 0; i < CV_VENDS_MAX && v == NULL; i++)
		if (!m->vends[i].in_use)
			v = &m->vends[i];
	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->in_use = true;
	v->number = ++m->next_vend_number;
	m->config.platform->random_bytes(m->config.platform_ctx, v->uuid, sizeof(v->uuid));
	cv_vend_id_encode(v->uuid, v->id);
	v->lane = lane;
	/* Frozen: a price or planogram change won't touch a vend already started. */
	const struct cv_lane_config *config = &m->lanes[lane].config;
	v->price_minor = config->price_minor;
	memcpy(v->currency, m->config.currency, sizeof(v->currency));
	cv_vend_freeze_lane(v, config);
	v->auth_attempt = 1;
	v->auth_tries = 1;
	v->state = (enum cv_vend_state)CV_VEND_STATE_START;
	m->session = v;
	cv_stats_count_begin(&m->stats);

	cv_vend_journal_begin(m, v);
	cv_vend_fire(m, v, CV_VEND_T_SELECT, CV_VEND_REASON_NONE);
	return v;
}

void cv_vend_info_fill(const struct cv_vend *v, const struct cv_machine *m, struct cv_vend_info *out)
{
	memset(out, 0, sizeof(*out));
	out->vend_number = v->number;
	cv_str_copy(out->vend_id, sizeof(out->vend_id), v->id);
	out->state = v->state;
	out->reason = v->reason;
	out->lane = v->lane;
	cv_machine_money(m, v->price_minor, &out->price);
	out->auth_attempt = v->auth_attempt;
	out->respins = v->respins;
	out->drop_verified = v->drop_verified;
	out->card = v->card;
	out->decline_reason = v->decline_reason;
	out->offline_approved = v->offline_approved;
	out->capture_before_s = v->capture_before_s;
}

/* The transition record is the vend's journaled fields (journal_codec.c):
 * everything recovery needs to resend an operation with the same key and
 * the same frozen parameters. */
uint64_t cv_vend_journal_state(struct cv_machine *m, struct cv_vend *v)
{
	v->journal_flags = (uint8_t)((v->offline_approved ? CV_JOURNAL_VEND_OFFLINE : 0) |
				     (v->key == CV_VEND_KEY_MAY_LAND ? CV_JOURNAL_VEND_MAY_LAND : 0));
	return CV_REC_APPEND(m, v);
}

/* What the customer is told when their vend leaves the customer phase. */
static enum cv_msg cv_vend_final_msg(const struct cv_vend *v)
{
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING)
		return CV_MSG_TAKE_PRODUCT;
	switch (v->reason) {
	case CV_VEND_REASON_CUSTOMER_CANCEL:
		return CV_MSG_CANCELLED;
	case CV_VEND_REASON_NO_DROP:
	case CV_VEND_REASON_MOTOR_JAM:
	case CV_VEND_REASON_MOTOR_TIMEOUT:
	case CV_VEND_REASON_SENSOR_FAULT:
	case CV_VEND_REASON_DISPENSER_ERROR:
	case CV_VEND_REASON_JOURNAL_FAULT:
		return CV_MSG_NOT_DISPENSED;
	case CV_VEND_REASON_SESSION_TIMEOUT:
		return CV_MSG_CHOOSE_PRODUCT;
	default:
		return CV_MSG_PAYMENT_FAILED;
	}
}

/* The customer's part is over; settlement goes on without them. */
static void cv_vend_show_final(struct cv_machine *m, const struct cv_vend *v)
{
	m->session = NULL;
	enum cv_msg msg = cv_vend_final_msg(v);
	if (msg == CV_MSG_CHOOSE_PRODUCT)
		cv_machine_show(m, msg, CV_DISPLAY_NO_LANE, false, 0);
	else
		cv_machine_show(m, msg, v->lane, true, v->price_minor);
}

static void cv_vend_show(struct cv_machine *m, struct cv_vend *v)
{
	if (m->session != v)
		return;
	enum cv_msg msg;
	switch (v->state) {
	case CV_VEND_STATE_SELECTED:
	case CV_VEND_STATE_AUTH_PENDING:
		msg = CV_MSG_PRESENT_CARD;
		break;
	case CV_VEND_STATE_AUTH_LOOKUP:
		msg = CV_MSG_CHECKING_PAYMENT;
		break;
	case CV_VEND_STATE_AUTH_DECLINED:
		msg = CV_MSG_DECLINED_TRY_AGAIN;
		break;
	case CV_VEND_STATE_AUTHORIZED:
	case CV_VEND_STATE_DISPENSING:
	case CV_VEND_STATE_VERIFYING:
		msg = CV_MSG_DISPENSING;
		break;
	default:
		cv_vend_show_final(m, v);
		return;
	}
	cv_machine_show(m, msg, v->lane, false, v->price_minor);
}

static enum cv_receipt_status cv_vend_receipt_status(enum cv_vend_state state)
{
	switch (state) {
	case CV_VEND_STATE_CAPTURED:
		return CV_RECEIPT_CHARGED;
	case CV_VEND_STATE_CAPTURE_FAILED:
		return CV_RECEIPT_CHARGE_FAILED;
	default:
		return CV_RECEIPT_NOT_CHARGED;
	}
}

/* Hands the receipt to the digital delivery hook, if any. Like the listener
 * it runs inside the engine, so calls that would change the machine are
 * refused while it runs. */
static void cv_vend_deliver_receipt(struct cv_machine *m, const struct cv_receipt *r)
{
	if (m->config.deliver_receipt == NULL)
		return;
	bool was_in_listener = m->in_listener;
	m->in_listener = true;
	m->config.deliver_receipt(m->config.deliver_receipt_ctx, r);
	m->in_listener = was_in_listener;
}

static void cv_vend_emit_receipt(struct cv_machine *m, const struct cv_vend *v)
{
	struct cv_event ev;
	cv_event_start(&ev, CV_EVENT_RECEIPT);
	struct cv_receipt *r = &ev.u.receipt;
	cv_str_copy(r->vend_id, sizeof(r->vend_id), v->id);
	cv_str_copy(r->merchant_name, sizeof(r->merchant_name), m->config.merchant_name);
	cv_str_copy(r->merchant_location, sizeof(r->merchant_location), m->config.merchant_location);
	cv_str_copy(r->machine_id, sizeof(r->machine_id), m->config.machine_id);
	if (CV_OPS_HAS(struct cv_platform_ops, m->config.platform, wall_clock_ms))
		r->time_ms = m->config.platform->wall_clock_ms(m->config.platform_ctx);
	r->lane = v->lane;
	/* The frozen texts lie as in the receipt, each NUL-padded (a zeroed vend
	 * written by cv_vend_freeze_lane()): one copy takes all three. */
	_Static_assert(sizeof(r->lane_label) == sizeof(v->lane_label) &&
			       sizeof(r->product_id) == sizeof(v->product_id) &&
			       sizeof(r->product_name) == sizeof(v->product_name) &&
			       offsetof(struct cv_receipt, product_name) - offsetof(struct cv_receipt, lane_label) ==
				       offsetof(struct cv_vend, product_name) - offsetof(struct cv_vend, lane_label) &&
			       offsetof(struct cv_receipt, product_id) - offsetof(struct cv_receipt, lane_label) ==
				       offsetof(struct cv_vend, product_id) - offsetof(struct cv_vend, lane_label) &&
			       offsetof(struct cv_vend, product_name) - offsetof(struct cv_vend, lane_label) ==
				       sizeof(v->lane_label) + sizeof(v->product_id),
		       "lane_label, product_id and product_name lie alike, unpadded");
	memcpy(r->lane_label, v->lane_label, sizeof(r->lane_label) + sizeof(r->product_id) + sizeof(r->product_name));
	cv_machine_money(m, v->price_minor, &r->amount);
	r->card = v->card;
	r->status = cv_vend_receipt_status(v->state);
	r->offline = v->offline_approved;
	cv_machine_emit(m, &ev);
	cv_vend_deliver_receipt(m, r);
}

static void cv_vend_finish(struct cv_machine *m, struct cv_vend *v)
{
	if (v->state == CV_VEND_STATE_CAPTURE_FAILED || v->state == CV_VEND_STATE_VOID_FAILED)
		cv_machine_raise_alert(m, CV_ALERT_SETTLEMENT_FAILED, v->lane, true);
	if (v->state != CV_VEND_STATE_ABANDONED)
		cv_vend_emit_receipt(m, v);
	cv_vend_info_fill(v, m, &m->last_finished);
	m->has_last_finished = true;
	v->in_use = false;
}

#ifdef CV_MODEL_HOOKS
/* Defined by the model check (tests/model): which rows it took, and the
 * edges the table refused, which it reports instead of aborting. */
void cv_model_edge_taken(unsigned row);
void cv_model_edge_refused(unsigned from, unsigned trigger, unsigned key, unsigned owner);
#endif

/* The edge for the vend's state and the trigger; NULL if the table has
 * none, which is a bug in the engine. */
static const struct cv_vend_edge *cv_vend_edge_take(struct cv_machine *m, const struct cv_vend *v,
						    enum cv_vend_trigger trigger)
{
	const struct cv_vend_edge *edge = cv_vend_edge_find((unsigned)v->state, trigger);
	bool allowed =
		edge != NULL && cv_vend_edge_allows(edge, (enum cv_vend_key)v->key, (enum cv_vend_owner)v->owner);
#ifdef CV_MODEL_HOOKS
	if (!allowed)
		cv_model_edge_refused((unsigned)v->state, trigger, v->key, v->owner);
	else
		cv_model_edge_taken((unsigned)(edge - cv_vend_edges));
	/* The model check goes on, so that it sees what a refused edge would do. */
	(void)m;
	return edge;
#else
	if (!allowed) {
		cv_machine_log(m, CV_LOG_ERROR, "vend transition outside the state table refused");
		CV_ASSERT(0 && "vend transition outside the state table");
		return NULL;
	}
	return edge;
#endif
}

void cv_vend_fire(struct cv_machine *m, struct cv_vend *v, enum cv_vend_trigger trigger, enum cv_vend_reason reason)
{
	const struct cv_vend_edge *edge = cv_vend_edge_take(m, v, trigger);
	if (edge == NULL)
		return;
	if (CV_EDGE_KEY_AFTER(edge) != CV_VEND_KEEP)
		v->key = (uint8_t)CV_EDGE_KEY_AFTER(edge);
	if (CV_EDGE_OWNER_AFTER(edge) != CV_VEND_KEEP)
		v->owner = (uint8_t)CV_EDGE_OWNER_AFTER(edge);
	if ((edge->accepts & CV_EDGE_JOURNALED) == 0)
		return; /* A change of owner only: nothing a restart needs. */
	enum cv_vend_state from = v->state;
	enum cv_vend_state state = (enum cv_vend_state)edge->to;
	/* The sensor watches only while the vend dispenses: a drop after it
	 * left (voided for a journal fault, say) is nobody's. */
	if (state != CV_VEND_STATE_DISPENSING && state != CV_VEND_STATE_VERIFYING)
		cv_vend_sensor_release(m, v);
	v->state = state;
	if (reason != CV_VEND_REASON_NONE)
		v->reason = reason;
	cv_stats_count_transition(&m->stats, from, v);
	cv_vend_op_clear(v);
	v->attempts = 0;
	m->settlements_changed = true;
	v->next_attempt_ms = m->now_ms;
	uint64_t seq = cv_vend_journal_state(m, v);
	v->wait_seq = seq != 0 ? seq : CV_SEQ_UNWRITTEN;

	struct cv_event ev;
	cv_event_start(&ev, CV_EVENT_VEND_STATE);
	cv_vend_info_fill(v, m, &ev.u.vend);
	cv_machine_emit(m, &ev);
	cv_vend_show(m, v);
	if (cv_vend_state_is_terminal(state))
		cv_vend_finish(m, v);
}

void cv_vend_op_clear(struct cv_vend *v)
{
	v->op = CV_VEND_OP_NONE;
	v->op_started = false;
}

struct cv_vend *cv_vend_find_op(struct cv_machine *m, uint32_t op_id, enum cv_vend_op op)
{
	for (unsigned i = 0; i < CV_VENDS_MAX; i++) {
		struct cv_vend *v = &m->vends[i];
		if (v->in_use && v->op == op && v->op_started && v->op_id == op_id)
			return v;
	}
	return NULL;
}

/* Full jitter: a random delay in [0, min(cap, base * 2^(attempts-1))]. */
uint64_t cv_vend_backoff_ms(struct cv_machine *m, uint16_t attempts)
{
	/* In 32 bits: the cap is a uint32_t, and a doubling that would pass it
	 * stops at it (so nothing wraps). */
	uint32_t cap = m->config.timeouts.retry_cap_ms;
	uint32_t ceiling = m->config.timeouts.retry_base_ms;
	for (unsigned i = 1; i < attempts && ceiling < cap; i++)
		ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
	if (ceiling > cap)
		ceiling = cap;
	uint32_t r = cv_machine_random_u32(m);
	return ceiling == UINT32_MAX ? r : r % (ceiling + 1);
}

static bool cv_vend_is_payment_state(enum cv_vend_state state)
{
	return state == CV_VEND_STATE_AUTH_PENDING || state == CV_VEND_STATE_AUTH_LOOKUP ||
	       state == CV_VEND_STATE_CAPTURE_PENDING || state == CV_VEND_STATE_VOID_PENDING;
}

/* The side effect of a state starts only once its intent is durable. With
 * the journal broken, lookups and voids still go out once what could be
 * written is synced (or syncing itself failed): a restart would decide the
 * same, since recovery voids every vend not durably recorded as
 * CAPTURE_PENDING, and their keys derive from the vend id. A capture goes
 * out only if its intent is known durable; otherwise it is left to the next
 * life, which captures if the record survived and voids if it did not, so
 * that two lives never decide differently about one hold. */
static bool cv_vend_may_start(const struct cv_machine *m, const struct cv_vend *v)
{
	if (v->op_started || m->now_ms < v->next_attempt_ms)
		return false;
	/* A lookup changes nothing at the processor: it needs no durable intent. */
	if (v->state == CV_VEND_STATE_AUTH_LOOKUP)
		return !m->journal_fault || cv_journal_settled(m);
	if (!m->journal_fault)
		return cv_journal_is_durable(m, v->wait_seq);
	if (v->state == CV_VEND_STATE_AUTH_PENDING)
		return false;
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING)
		return cv_journal_is_durable(m, v->wait_seq);
	return cv_journal_settled(m);
}

/* With the journal broken nothing new may start: a vend that has not sent
 * its authorization is left (to the orphan check if its key may land), one
 * that holds money but has not turned the motor is voided. Returns true if
 * it moved the vend. */
static bool cv_vend_stop_for_journal_fault(struct cv_machine *m, struct cv_vend *v)
{
	switch (v->state) {
	case CV_VEND_STATE_AUTH_PENDING:
	case CV_VEND_STATE_DISPENSING:
		if (v->op_started)
			return false; /* Its answer decides, as usual. */
		break;
	case CV_VEND_STATE_SELECTED:
	case CV_VEND_STATE_AUTH_DECLINED:
	case CV_VEND_STATE_AUTHORIZED:
		break;
	default:
		return false;
	}
	if (v->state == CV_VEND_STATE_AUTHORIZED)
		cv_vend_fire(m, v, CV_VEND_T_RELEASE, CV_VEND_REASON_JOURNAL_FAULT);
	else if (v->state == CV_VEND_STATE_DISPENSING)
		cv_vend_fire(m, v, CV_VEND_T_NOT_DELIVERED, CV_VEND_REASON_JOURNAL_FAULT);
	else if (CV_MUTATED(CV_MUTANT_JOURNAL_FAULT_ABANDONS))
		cv_vend_fire(m, v, CV_VEND_T_LEAVE, CV_VEND_REASON_JOURNAL_FAULT);
	else
		cv_vend_leave(m, v, CV_VEND_REASON_JOURNAL_FAULT);
	return true;
}

/* A state whose side effect is about to start once its record is durable. */
bool cv_vend_awaits_durability(const struct cv_machine *m, const struct cv_vend *v)
{
	if (v->op_started || v->wait_seq == CV_SEQ_UNWRITTEN || cv_journal_is_durable(m, v->wait_seq))
		return false;
	switch (v->state) {
	case CV_VEND_STATE_AUTH_PENDING:
	case CV_VEND_STATE_DISPENSING:
	case CV_VEND_STATE_CAPTURE_PENDING:
	case CV_VEND_STATE_VOID_PENDING:
		return true;
	default:
		return false;
	}
}

static bool cv_vend_advance_once(struct cv_machine *m, struct cv_vend *v)
{
	/* The item fell while this movement's record waited for its sync (or
	 * as the journal failed): delivered, and no motor turns again for it. */
	if (v->state == CV_VEND_STATE_DISPENSING && v->drop_verified && !v->op_started &&
	    !CV_MUTATED(CV_MUTANT_MOTOR_AFTER_DROP)) {
		cv_vend_delivered(m, v);
		return true;
	}
	if (m->journal_fault && cv_vend_stop_for_journal_fault(m, v))
		return true;
	if (cv_vend_is_payment_state(v->state)) {
		if (cv_vend_may_start(m, v))
			return cv_vend_payment_start(m, v);
		if (v->op_started && m->now_ms >= v->op_deadline_ms) {
			cv_vend_payment_timeout(m, v);
			return true;
		}
		return false;
	}
	switch (v->state) {
	case CV_VEND_STATE_SELECTED:
		cv_vend_fire(m, v, CV_VEND_T_PAY, CV_VEND_REASON_NONE);
		return true;
	case CV_VEND_STATE_AUTH_DECLINED:
		if (m->now_ms < v->session_deadline_ms)
			return false;
		cv_vend_leave(m, v, CV_VEND_REASON_SESSION_TIMEOUT);
		return true;
	case CV_VEND_STATE_AUTHORIZED:
		cv_vend_fire(m, v, CV_VEND_T_DISPENSE, CV_VEND_REASON_NONE);
		return true;
	case CV_VEND_STATE_DISPENSING:
		if (cv_vend_may_start(m, v))
			return cv_vend_motor_start(m, v);
		if (v->op_started && m->now_ms >= v->op_deadline_ms) {
			cv_vend_motor_timeout(m, v);
			return true;
		}
		return false;
	case CV_VEND_STATE_VERIFYING:
		return cv_vend_verify_tick(m, v);
	default:
		return false;
	}
}

/* Transitions a vend can make in a row without an outside answer; the
 * longest chain (AUTHORIZED → DISPENSING → a refused motor → VOID_PENDING →
 * a refused void ...) is well below it. */
#define CV_VEND_ADVANCE_MAX 8

/* Repeats while a vend moves on by itself; the bound keeps a step finite. */
bool cv_vend_advance(struct cv_machine *m, struct cv_vend *v)
{
	bool progress = false;
	for (unsigned i = 0; i < CV_VEND_ADVANCE_MAX && v->in_use; i++) {
		if (!cv_vend_advance_once(m, v))
			break;
		progress = true;
	}
	return progress;
}

/* Best effort: the reader stops waiting for a card. Whatever it answers
 * still decides the vend. */
void cv_vend_abort_collect(struct cv_machine *m, const struct cv_vend *v)
{
	const struct cv_payment_ops *ops = m->config.payment;
	if (CV_OPS_HAS(struct cv_payment_ops, ops, abort_collect))
		ops->abort_collect(m->config.payment_ctx, v->op_id);
}

enum cv_status cv_vend_cancel(struct cv_machine *m, struct cv_vend *v)
{
	switch (v->state) {
	case CV_VEND_STATE_SELECTED:
	case CV_VEND_STATE_AUTH_DECLINED:
		cv_vend_leave(m, v, CV_VEND_REASON_CUSTOMER_CANCEL);
		return CV_OK;
	case CV_VEND_STATE_AUTH_PENDING:
		if (!v->op_started) {
			if (CV_MUTATED(CV_MUTANT_CANCEL_UNSENT_ABANDONS))
				cv_vend_fire(m, v, CV_VEND_T_LEAVE, CV_VEND_REASON_CUSTOMER_CANCEL);
			else
				cv_vend_leave(m, v, CV_VEND_REASON_CUSTOMER_CANCEL);
			return CV_OK;
		}
		/* A hold may be on its way: wait for the answer, then void it if need be. */
		if (v->owner == CV_VEND_OWNER_CUSTOMER)
			cv_vend_fire(m, v, CV_VEND_T_CANCEL_REQUEST, CV_VEND_REASON_NONE);
		cv_vend_abort_collect(m, v);
		return CV_OK;
	case CV_VEND_STATE_AUTH_LOOKUP:
		if (v->owner == CV_VEND_OWNER_CUSTOMER)
			cv_vend_fire(m, v, CV_VEND_T_CANCEL_REQUEST, CV_VEND_REASON_NONE);
		return CV_OK;
	case CV_VEND_STATE_AUTHORIZED:
		cv_vend_fire(m, v, CV_VEND_T_RELEASE, CV_VEND_REASON_CUSTOMER_CANCEL);
		return CV_OK;
	default:
		return CV_E_STATE;
	}
}

/* The customer is done with a vend that holds no money. If its key may
 * still land (an unknown outcome a lookup could not find), the vend stays
 * open in the background, as after a restart: looked up again, never
 * dispensed, and voided at the end of the lookup budget, so a hold that
 * shows up late is released (docs/payments.md: background lookup, void if
 * found). Otherwise it is abandoned. */
void cv_vend_leave(struct cv_machine *m, struct cv_vend *v, enum cv_vend_reason reason)
{
	if (v->key != CV_VEND_KEY_MAY_LAND) {
		cv_vend_fire(m, v, CV_VEND_T_LEAVE, reason);
		return;
	}
	v->reason = reason;
	if (m->session == v)
		cv_vend_show_final(m, v);
	cv_vend_fire(m, v, CV_VEND_T_ORPHAN, reason);
}

void cv_vend_retry_auth(struct cv_machine *m, struct cv_vend *v)
{
	/* A new key only after a definite failure (a decline). After an unknown
	 * outcome that a lookup could not find, the first authorization may
	 * still land: resending its key can only ever give one hold. */
	if (v->key == CV_VEND_KEY_FRESH)
		v->auth_attempt++;
	v->auth_tries++;
	v->reason = CV_VEND_REASON_NONE;
	cv_vend_fire(m, v, CV_VEND_T_RETRY, CV_VEND_REASON_NONE);
}
