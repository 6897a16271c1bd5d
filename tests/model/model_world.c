/* SPDX-License-Identifier: MIT */
#include "model_world.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luhn_scan.h"

struct model_world W;

void model_violation(const char *fmt, ...)
{
	if (W.violation[0] != '\0')
		return; /* The first one tells. */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(W.violation, sizeof(W.violation), fmt, ap);
	va_end(ap);
}

/* Platform: counter bytes, so every path replays identically. */
static void model_random(void *ctx, void *buf, size_t length)
{
	(void)ctx;
	uint8_t *b = buf;
	for (size_t i = 0; i < length; i++)
		b[i] = (uint8_t)(W.random_counter++ * 167u + 13u);
}

static const struct cv_platform_ops model_platform = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_platform_ops),
	.random_bytes = model_random,
};

static enum cv_status model_open(void *ctx, struct cv_machine *machine)
{
	(void)ctx;
	(void)machine;
	return CV_OK;
}

int model_vend_find(const char *vend_id)
{
	for (unsigned i = 0; i < W.vend_count; i++)
		if (strcmp(W.vends[i].id, vend_id) == 0)
			return (int)i;
	if (W.vend_count == MODEL_VENDS_MAX)
		return -1;
	struct model_vend *v = &W.vends[W.vend_count];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", vend_id);
	v->life = W.life;
	return (int)W.vend_count++;
}

void model_vend_selected(uint32_t number)
{
	struct cv_vend_info info;
	if (cv_machine_vend_info(W.m, number, &info) != CV_OK) {
		model_violation("vend %u selected but unknown to the engine", number);
		return;
	}
	int v = model_vend_find(info.vend_id);
	if (v < 0) {
		model_violation("model: too many vends");
		return;
	}
	W.vends[v].number = number;
	W.session_vend = v;
}

static void model_req_add(const struct model_req *req)
{
	if (W.req_count == MODEL_REQS_MAX) {
		model_violation("model: more requests in flight than %d", MODEL_REQS_MAX);
		return;
	}
	W.reqs[W.req_count++] = *req;
}

static void model_req_remove(unsigned r)
{
	memmove(&W.reqs[r], &W.reqs[r + 1], (W.req_count - r - 1) * sizeof(W.reqs[0]));
	W.req_count--;
}

/* --- Dispenser and sensor: the session's vend is the one that moves. --- */

static struct model_vend *model_session(void)
{
	return W.session_vend >= 0 ? &W.vends[W.session_vend] : NULL;
}

static bool model_some_hold_covers(const struct model_vend *v)
{
	for (unsigned k = 1; k <= MODEL_KEYS_MAX; k++)
		if (v->keys[k] == MK_HELD && v->held_amount[k] >= MODEL_PRICE)
			return true;
	return false;
}

static enum cv_status model_motor_start(void *ctx, const struct cv_dispense_request *req)
{
	(void)ctx;
	struct model_vend *v = model_session();
	if (v == NULL) {
		model_violation("a motor started with no customer vend");
		return CV_PENDING;
	}
	if (v->drop_seen)
		model_violation("vend %u: a motor started after its drop was seen", v->number);
	if (!model_some_hold_covers(v))
		model_violation("vend %u: a motor started with no hold covering the price", v->number);
	if (v->customer_left)
		model_violation("vend %u: a motor started after its customer cancelled", v->number);
	if (v->life != W.life)
		model_violation("vend %u: dispensed again after a restart", v->number);
	if (!(W.sensor_armed && W.sensor_vend == (uint8_t)W.session_vend))
		v->unwatched = true;
	v->motor_started = true;
	struct model_req r = {.motor = true, .op_id = req->op_id, .vend = (uint8_t)W.session_vend};
	model_req_add(&r);
	return CV_PENDING;
}

static enum cv_status model_motor_stop(void *ctx, uint16_t lane)
{
	(void)ctx;
	(void)lane;
	return CV_OK;
}

static uint32_t model_dispenser_caps(void *ctx)
{
	(void)ctx;
	return CV_DISPENSER_CAP_PARTIAL_TURN;
}

static const struct cv_dispenser_ops model_dispenser = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "model",
	.caps = model_dispenser_caps,
	.open = model_open,
	.start = model_motor_start,
	.stop = model_motor_stop,
};

static enum cv_status model_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	(void)ctx;
	(void)lane;
	if (W.sensor_faulted)
		return CV_E_IO;
	W.sensor_armed = true;
	W.sensor_op_id = op_id;
	W.sensor_vend = (uint8_t)(W.session_vend < 0 ? 0 : W.session_vend);
	return CV_OK;
}

static enum cv_status model_disarm(void *ctx, uint32_t op_id)
{
	(void)ctx;
	if (op_id == W.sensor_op_id)
		W.sensor_armed = false;
	return CV_OK;
}

static const struct cv_sensor_ops model_sensor = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "model",
	.open = model_open,
	.arm = model_arm,
	.disarm = model_disarm,
};

/* --- Payment: requests are kept until the model answers them. --- */

static unsigned model_key_ordinal(const char *auth_key)
{
	const char *dot = strrchr(auth_key, '.');
	unsigned n = dot != NULL ? (unsigned)atoi(dot + 1) : 0;
	if (n < 1 || n > MODEL_KEYS_MAX) {
		model_violation("authorization key %s out of range", auth_key);
		return 1;
	}
	return n;
}

static enum cv_status model_payment_request(const struct cv_payment_request *req)
{
	int v = model_vend_find(req->vend_id);
	if (v < 0) {
		model_violation("model: too many vends");
		return CV_PENDING;
	}
	struct model_vend *vend = &W.vends[v];
	unsigned key = model_key_ordinal(req->auth_key);
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		if (vend->life != W.life)
			model_violation("vend %u: an authorization sent again after a restart", vend->number);
		if (vend->customer_left)
			model_violation("vend %u: an authorization sent after its customer cancelled", vend->number);
		for (unsigned k = 1; k <= MODEL_KEYS_MAX; k++)
			if (k != key && (vend->keys[k] == MK_LIMBO || vend->keys[k] == MK_HELD))
				model_violation("vend %u: key .auth.%u sent while .auth.%u %s", vend->number, key, k,
						vend->keys[k] == MK_HELD ? "holds money" : "may still land");
		break;
	case CV_PAYMENT_OP_CAPTURE: {
		enum cv_verify_mode mode = W.lane.verify_mode;
		bool proven = vend->drop_seen || mode == CV_VERIFY_MODE_OFF ||
			      (mode == CV_VERIFY_MODE_OPTIONAL && vend->unwatched);
		if (!proven)
			model_violation("vend %u: a capture without a verified drop", vend->number);
		vend->capture_sent = true;
		break;
	}
	default:
		break;
	}
	struct model_req r = {.op_id = req->op_id, .op = req->op, .vend = (uint8_t)v, .key = (uint8_t)key};
	model_req_add(&r);
	return CV_PENDING;
}

static enum cv_status model_pay(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	return model_payment_request(req);
}

static enum cv_status model_health(void *ctx)
{
	(void)ctx;
	return CV_OK;
}

static const struct cv_payment_ops model_payment = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "model",
	.open = model_open,
	.authorize = model_pay,
	.capture = model_pay,
	.void_auth = model_pay,
	.lookup = model_pay,
	.health = model_health,
};

/* A capture deadline is 0 or a Unix time; any other number (a card
 * number, say) must never reach an event, a log or the journal. */
static void model_check_deadline(const struct cv_event *event)
{
	int64_t t = event->u.vend.capture_before_s;
	if (t != 0 && (t < INT64_C(946684800) || t > INT64_C(7258118400)))
		model_violation("vend %u: an event carries %lld as its capture deadline", event->u.vend.vend_number,
				(long long)t);
}

static void model_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	(void)user_data;
	if (event->type == CV_EVENT_VEND_STATE)
		model_check_deadline(event);
	if (event->type != CV_EVENT_ALERT || !event->u.alert.active)
		return;
	if (event->u.alert.kind == CV_ALERT_UNVERIFIED_VEND)
		W.unverified_alerts++;
	if (event->u.alert.kind == CV_ALERT_JOURNAL_FAULT)
		W.journal_broken = true;
}

void model_world_setup(bool immediate_sync, enum cv_verify_mode mode, bool hostile)
{
	memset(&W, 0, sizeof(W));
	W.hostile = hostile;
	held_storage_init(&W.storage, immediate_sync);
	cv_lane_config_default(&W.lane);
	strcpy(W.lane.label, "A1");
	strcpy(W.lane.product_id, "SKU-1");
	strcpy(W.lane.product_name, "Gummy Bears");
	W.lane.price_minor = MODEL_PRICE;
	W.lane.capacity = MODEL_STOCK;
	W.lane.count = MODEL_STOCK;
	W.lane.low_stock_threshold = 0;
	W.lane.respin_count_max = 1;
	W.lane.verify_mode = mode;
	struct cv_machine_config *c = &W.config;
	cv_machine_config_default(c);
	strcpy(c->machine_id, "model-1");
	c->lanes = &W.lane;
	c->lane_count = 1;
	/* Every customer-facing wait is one tick; every retry a short one. */
	c->timeouts.payment_ms = 1000;
	c->timeouts.lookup_ms = 1000;
	c->timeouts.settle_ms = 1000;
	c->timeouts.motor_ms = 1000;
	c->timeouts.verify_ms = 1000;
	c->timeouts.session_ms = 1000;
	c->timeouts.retry_base_ms = 10;
	c->timeouts.retry_cap_ms = 10;
	c->timeouts.message_ms = 1000;
	c->timeouts.sync_ms = 1000;
	c->timeouts.flush_ms = 10;
	c->lookup_attempts_max = 2;
	c->checkpoint_records = 0;
	c->platform = &model_platform;
	c->dispenser = &model_dispenser;
	c->sensor = &model_sensor;
	c->payment = &model_payment;
	c->storage = &held_storage_ops;
	c->storage_ctx = &W.storage;
	c->on_event = model_on_event;
	W.session_vend = -1;
	W.life = 1;
}

bool model_world_boot(void)
{
	enum cv_status rc = cv_machine_init(W.machine_memory, sizeof(W.machine_memory), &W.config, &W.m);
	if (rc != CV_OK) {
		model_violation("the machine does not boot: %s", cv_status_str(rc));
		W.m = NULL;
		return false;
	}
	return cv_machine_step(W.m, W.now_ms) == CV_OK;
}

/* --- The processor: what each answer means for the key's truth. --- */

static void model_settle(struct model_vend *v, unsigned key, enum cv_payment_op op, enum cv_pay_result result)
{
	uint8_t *s = &v->keys[key];
	bool capture = op == CV_PAYMENT_OP_CAPTURE;
	switch (result) {
	case CV_PAY_OK:
		if (*s == MK_HELD)
			*s = capture ? MK_CAPTURED : MK_VOIDED;
		break;
	case CV_PAY_NOT_FOUND:
		/* A void that finds nothing ends the key's landing window. */
		if (!capture && (*s == MK_LIMBO || *s == MK_NEVER))
			*s = MK_DEAD;
		break;
	case CV_PAY_EXPIRED:
		if (*s == MK_HELD)
			*s = MK_EXPIRED;
		break;
	case CV_PAY_UNKNOWN:
	case CV_PAY_NOT_SENT:
	case CV_PAY_RATE_LIMITED:
	case CV_PAY_CONFLICT:
		break; /* Nothing happened, or not known to have. */
	default:
		if (*s == MK_HELD)
			v->void_refused[key] = true; /* Failed for good: the hold lapses at the issuer. */
		break;
	}
}

static void model_authorized(struct model_vend *v, unsigned key, enum cv_pay_result result, int64_t amount)
{
	uint8_t *s = &v->keys[key];
	switch (result) {
	case CV_PAY_OK:
		if (*s != MK_HELD)
			v->held_amount[key] = amount;
		*s = MK_HELD;
		break;
	case CV_PAY_DECLINED:
		if (*s == MK_NEVER || *s == MK_LIMBO)
			*s = MK_DECLINED;
		break;
	case CV_PAY_UNKNOWN:
	case CV_PAY_CONFLICT:
		if (*s == MK_NEVER)
			*s = MK_LIMBO;
		break;
	case CV_PAY_INVALID:
	case CV_PAY_EXPIRED:
		if (*s == MK_NEVER || *s == MK_LIMBO)
			*s = MK_DEAD;
		break;
	default:
		break; /* Nothing sent this time: the key stays as it was. */
	}
}

/* What an approval carries. A hostile world sends, by turns, a card number
 * whose digit groups are joined by dots in the reference, and a reference
 * ending in digits followed by a last 4 and a numeric auth code that are
 * legal alone but read as one card number where nothing separates them
 * ("4242424" "2424" "24242": the test card 4242 4242 4242 4242);
 * and always a card number as the capture deadline. */
static void model_fill_answer(struct cv_payment_result *p, unsigned vend)
{
	if (!W.hostile) {
		strcpy(p->processor_ref, "pi_model");
		strcpy(p->card.brand, "VISA");
		strcpy(p->card.last4, "4242");
		return;
	}
	/* No brand: nothing but a length byte between the reference and the last 4. */
	strcpy(p->processor_ref, vend % 2 == 0 ? "ch_4242424" : "ref.4242.4242.4242.4242");
	strcpy(p->card.last4, "2424");
	strcpy(p->card.auth_code, "24242");
	p->capture_before_s = INT64_C(4242424242424242);
}

void model_answer_payment(unsigned r, enum cv_pay_result result, bool short_amount)
{
	struct model_req req = W.reqs[r];
	model_req_remove(r);
	struct model_vend *v = &W.vends[req.vend];
	int64_t amount = short_amount ? MODEL_PRICE - 1 : MODEL_PRICE;
	if (req.op == CV_PAYMENT_OP_AUTHORIZE)
		model_authorized(v, req.key, result, amount);
	else if (req.op == CV_PAYMENT_OP_CAPTURE || req.op == CV_PAYMENT_OP_VOID)
		model_settle(v, req.key, req.op, result);
	if (req.op != CV_PAYMENT_OP_AUTHORIZE && req.op != CV_PAYMENT_OP_LOOKUP)
		amount = MODEL_PRICE;
	else if (result == CV_PAY_OK)
		amount = v->held_amount[req.key]; /* The hold that stands, a replay's included. */
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	struct cv_payment_result *p = &ev.u.payment;
	p->op_id = req.op_id;
	p->op = req.op;
	p->result = result;
	if (result == CV_PAY_DECLINED)
		p->decline_reason = CV_DECLINE_GENERIC;
	cv_money_make(amount, "USD", &p->amount);
	model_fill_answer(p, req.vend);
	if (cv_machine_post(W.m, &ev) != CV_OK)
		model_violation("a payment result was refused by the engine");
}

void model_answer_motor(unsigned r, enum cv_status status)
{
	struct model_req req = W.reqs[r];
	model_req_remove(r);
	struct cv_event ev = {.type = CV_EVENT_DISPENSE_DONE};
	ev.u.dispense.op_id = req.op_id;
	ev.u.dispense.status = status;
	if (cv_machine_post(W.m, &ev) != CV_OK)
		model_violation("a motor result was refused by the engine");
}

void model_lose_request(unsigned r)
{
	struct model_req req = W.reqs[r];
	model_req_remove(r);
	if (!req.motor && req.op == CV_PAYMENT_OP_AUTHORIZE && W.vends[req.vend].keys[req.key] == MK_NEVER)
		W.vends[req.vend].keys[req.key] = MK_LIMBO;
}

void model_key_lands(unsigned v, unsigned key)
{
	W.vends[v].keys[key] = MK_HELD;
	W.vends[v].held_amount[key] = MODEL_PRICE;
}

void model_power_cut(bool keep_unsynced)
{
	while (W.req_count > 0)
		model_lose_request(0);
	W.sensor_armed = false;
	W.defer_step = false;
	W.storage.fail_next_append = false; /* The write it was for never came. */
	if (keep_unsynced)
		held_storage_cut_keeping_all(&W.storage);
	else
		held_storage_cut(&W.storage);
	W.life++;
	W.session_vend = -1;
	W.journal_broken = false;
	W.m = NULL;
	model_world_boot();
}

/* --- Quiescence: truthful answers until nothing is left to do. --- */

static enum cv_pay_result model_truth(const struct model_req *req)
{
	uint8_t s = W.vends[req->vend].keys[req->key];
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		if (s == MK_HELD)
			return CV_PAY_OK;
		/* A spent key is refused, never replayed as an approval. */
		return s == MK_NEVER || s == MK_LIMBO || s == MK_DECLINED ? CV_PAY_DECLINED : CV_PAY_INVALID;
	case CV_PAYMENT_OP_LOOKUP:
		if (s == MK_HELD)
			return CV_PAY_OK;
		if (s == MK_DECLINED)
			return CV_PAY_DECLINED;
		return s == MK_NEVER || s == MK_LIMBO || s == MK_DEAD ? CV_PAY_NOT_FOUND : CV_PAY_CANCELLED;
	default:
		break;
	}
	/* A settlement refused for good is replayed as refused (same key). */
	if (W.vends[req->vend].void_refused[req->key])
		return CV_PAY_INVALID;
	if (req->op == CV_PAYMENT_OP_CAPTURE)
		return s == MK_HELD || s == MK_CAPTURED ? CV_PAY_OK : CV_PAY_NOT_FOUND;
	return s == MK_HELD || s == MK_VOIDED ? CV_PAY_OK : CV_PAY_NOT_FOUND;
}

static bool model_quiet_round(bool *restarted)
{
	if (W.req_count > 0) {
		if (W.reqs[0].motor) {
			model_answer_motor(0, CV_OK);
		} else {
			/* Truthful, and a key in limbo stays out: the worst case. */
			model_answer_payment(0, model_truth(&W.reqs[0]), false);
		}
	} else if (held_storage_sync_waiting(&W.storage)) {
		held_storage_complete(&W.storage, CV_OK);
	} else if (W.journal_broken && cv_machine_open_vends(W.m) > 0 && !*restarted) {
		/* A broken journal stops the machine; what it could not record
		 * is the next life's to settle (the operator restarts it). */
		*restarted = true;
		model_power_cut(false);
		return W.m != NULL;
	} else if (cv_machine_open_vends(W.m) > 0) {
		W.now_ms += 1001;
	} else {
		return false;
	}
	if (cv_machine_step(W.m, W.now_ms) != CV_OK)
		model_violation("step refused");
	return true;
}

static void model_check_books(void)
{
	int64_t captured = 0;
	unsigned taken = 0;
	for (unsigned i = 0; i < W.vend_count; i++) {
		const struct model_vend *v = &W.vends[i];
		for (unsigned k = 1; k <= MODEL_KEYS_MAX; k++) {
			if (v->keys[k] == MK_CAPTURED)
				captured += v->held_amount[k];
			if (v->keys[k] == MK_HELD && !v->void_refused[k])
				model_violation("vend %u: the hold of .auth.%u is left open", v->number, k);
			if (v->keys[k] == MK_LIMBO)
				model_violation("vend %u: .auth.%u may still land and was never voided", v->number, k);
		}
		/* An item fell when the sensor said so; after a movement nobody
		 * watched, nobody knows: the engine's decision to capture is all
		 * there is. */
		bool proven_unseen = W.lane.verify_mode == CV_VERIFY_MODE_OPTIONAL && v->unwatched && v->capture_sent;
		if (v->drop_seen || proven_unseen)
			taken++;
	}
	struct cv_machine_stats stats;
	cv_machine_stats(W.m, &stats);
	if (stats.captured_minor != captured)
		model_violation("books: engine captured %lld, processor %lld", (long long)stats.captured_minor,
				(long long)captured);
	struct cv_lane_info lane;
	cv_machine_lane_info(W.m, 0, &lane);
	unsigned counted_out = MODEL_STOCK - lane.config.count;
	if (counted_out > taken || counted_out + W.unverified_alerts < taken)
		model_violation("stock: engine counts %u items out, %u fell (%u unverified alerts)", counted_out, taken,
				W.unverified_alerts);
}

static void model_on_card_number(void *user_data, const struct luhn_hit *hit)
{
	(void)user_data;
	char text[96];
	luhn_hit_describe(hit, text, sizeof(text));
	model_violation("a card number in the journal's bytes, as an auditor reads them: %s", text);
}

void model_check_quiescent(void)
{
	if (W.hostile)
		luhn_scan_join(W.storage.buf, W.storage.length, LUHN_JOIN_SEPARATED, model_on_card_number, NULL);
	if (W.m == NULL)
		return;
	bool restarted = false;
	for (unsigned round = 0; round < 200 && W.violation[0] == '\0' && W.m != NULL; round++)
		if (!model_quiet_round(&restarted))
			break;
	if (W.m == NULL)
		return; /* It did not boot: reported. */
	if (W.violation[0] != '\0')
		return;
	if (cv_machine_open_vends(W.m) > 0 || W.req_count > 0) {
		model_violation("quiet for 200 rounds and still %u open vends, %u requests", cv_machine_open_vends(W.m),
				W.req_count);
		return;
	}
	model_check_books();
}
