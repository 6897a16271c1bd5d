/* SPDX-License-Identifier: MIT */
#include "rig.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leak_check.h"
#include "write_ahead.h"

struct rig rig;

/* Every test that uses the rig fails at a side effect that broke the
 * write-ahead rule, unless it provoked one on purpose and said why. The
 * check runs as the fake is called, inside the test: Criterion (2.4)
 * reports a failure in a .fini such as rig_teardown only as a warning, and
 * the test as passed. */
static void rig_write_ahead_note(const char *why)
{
	if (why == NULL)
		return;
	if (!rig.write_ahead_violated)
		snprintf(rig.write_ahead_why, sizeof(rig.write_ahead_why), "%s", why);
	rig.write_ahead_violated = true;
	if (rig.write_ahead_excuse == NULL)
		cr_expect_fail("write-ahead rule broken: %s", why);
}

const char *rig_write_ahead_violation(void)
{
	return rig.write_ahead_violated ? rig.write_ahead_why : NULL;
}

/* Fake platform: counter-based "random" bytes, fixed wall clock. */
static void rig_random(void *ctx, void *buf, size_t length)
{
	(void)ctx;
	uint8_t *b = buf;
	for (size_t i = 0; i < length; i++)
		b[i] = (uint8_t)(rig.random_counter++ * 131u + 7u);
}

static int64_t rig_wall_clock(void *ctx)
{
	(void)ctx;
	return 1767268800000 + (int64_t)rig.now_ms;
}

static const struct cv_platform_ops rig_platform = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_platform_ops),
	.random_bytes = rig_random,
	.wall_clock_ms = rig_wall_clock,
};

static enum cv_status rig_open(void *ctx, struct cv_machine *machine)
{
	(void)ctx;
	(void)machine;
	return CV_OK;
}

static enum cv_status rig_motor_start(void *ctx, const struct cv_dispense_request *req)
{
	(void)ctx;
	rig_write_ahead_note(write_ahead_judge_lane("motor start", req->lane));
	cr_assert_lt(rig.motor_count, RIG_REQUESTS_MAX);
	rig.motors[rig.motor_count++] = *req;
	return rig.start_rc;
}

static enum cv_status rig_motor_stop(void *ctx, uint16_t lane)
{
	(void)ctx;
	(void)lane;
	rig.stop_count++;
	return CV_OK;
}

static uint32_t rig_dispenser_caps(void *ctx)
{
	(void)ctx;
	return rig.dispenser_caps;
}

static const struct cv_dispenser_ops rig_dispenser = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "rig",
	.caps = rig_dispenser_caps,
	.open = rig_open,
	.start = rig_motor_start,
	.stop = rig_motor_stop,
};

static enum cv_status rig_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	(void)ctx;
	rig_write_ahead_note(write_ahead_judge_lane("sensor arm", lane));
	rig.arm_count++;
	if (rig.arm_rc != CV_OK)
		return rig.arm_rc;
	rig.sensor_op_id = op_id;
	rig.sensor_armed = true;
	return CV_OK;
}

static enum cv_status rig_disarm(void *ctx, uint32_t op_id)
{
	(void)ctx;
	cr_assert_eq(op_id, rig.sensor_op_id, "disarm of a sensor op that was not armed");
	rig.disarm_count++;
	rig.sensor_armed = false;
	return CV_OK;
}

static const struct cv_sensor_ops rig_sensor_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "rig",
	.open = rig_open,
	.arm = rig_arm,
	.disarm = rig_disarm,
};

static enum cv_status rig_payment_record(const struct cv_payment_request *req, enum cv_status rc)
{
	rig_write_ahead_note(write_ahead_judge_payment(req));
	cr_assert_lt(rig.payment_count, RIG_REQUESTS_MAX);
	rig.payments[rig.payment_count++] = *req;
	return rc;
}

static enum cv_status rig_authorize(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	return rig_payment_record(req, rig.authorize_rc);
}

static enum cv_status rig_payment_other(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	return rig_payment_record(req, CV_PENDING);
}

static enum cv_status rig_abort(void *ctx, uint32_t op_id)
{
	(void)ctx;
	(void)op_id;
	rig.abort_count++;
	return CV_OK;
}

static enum cv_status rig_health(void *ctx)
{
	(void)ctx;
	return rig.health_rc;
}

static enum cv_status rig_offline_status(void *ctx, struct cv_offline_status *out)
{
	(void)ctx;
	*out = rig.offline;
	return rig.offline_rc;
}

static uint32_t rig_payment_caps(void *ctx)
{
	(void)ctx;
	return rig.payment_caps;
}

static const struct cv_payment_ops rig_payment = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "rig",
	.caps = rig_payment_caps,
	.open = rig_open,
	.authorize = rig_authorize,
	.capture = rig_payment_other,
	.void_auth = rig_payment_other,
	.lookup = rig_payment_other,
	.abort_collect = rig_abort,
	.refund = rig_payment_other,
	.health = rig_health,
	.offline_status = rig_offline_status,
};

static void rig_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	cr_assert_eq(user_data, &rig, "listener got the wrong user_data");
	write_ahead_on_event(event);
	if (rig.event_count < RIG_LOG_MAX)
		rig.events[rig.event_count++] = *event;
	if (rig.hook != NULL)
		rig.hook(event);
}

void rig_setup(void)
{
	memset(&rig, 0, sizeof(rig));
	rig.authorize_rc = CV_PENDING;
	rig.payment_caps = 0;
	rig.dispenser_caps = CV_DISPENSER_CAP_PARTIAL_TURN;
	rig.start_rc = CV_PENDING;
	rig.arm_rc = CV_OK;
	cv_machine_config_default(&rig.config);
	rig.config.accept_volatile_journal = true; /* RAM: the rig's journal survives only rig_reboot(). */
	strcpy(rig.config.machine_id, "rig-1");
	for (unsigned i = 0; i < RIG_LANES; i++) {
		struct cv_lane_config *l = &rig.lanes[i];
		cv_lane_config_default(l);
		l->label[0] = 'A';
		l->label[1] = (char)('1' + i);
		strcpy(l->product_id, "SKU-1");
		strcpy(l->product_name, "Gummy Bears");
		l->price_minor = 150;
		l->capacity = 10;
		l->count = 5;
		l->low_stock_threshold = 2;
	}
	rig.config.lanes = rig.lanes;
	rig.config.lane_count = RIG_LANES;
	rig.config.platform = &rig_platform;
	rig.config.dispenser = &rig_dispenser;
	rig.config.sensor = &rig_sensor_ops;
	rig.config.payment = &rig_payment;
	rig.config.storage = &cv_ram_storage_ops;
	rig.config.storage_ctx = &rig.storage;
	rig.config.on_event = rig_on_event;
	rig.config.user_data = &rig;
	cv_ram_storage_init(&rig.storage, rig.journal, sizeof(rig.journal));
}

/* rig.config stays the test's: the watched storage is the next machine's. */
struct cv_machine_config rig_config(void)
{
	struct cv_machine_config config = rig.config;
	config.storage = write_ahead_watch(rig.config.storage, rig.config.storage_ctx, &rig.storage);
	return config;
}

enum cv_status rig_start(void)
{
	if (rig.memory == NULL)
		rig.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
	cr_assert_not_null(rig.memory);
	struct cv_machine_config config = rig_config();
	return cv_machine_init(rig.memory, cv_machine_size(), &config, &rig.m);
}

enum cv_status rig_reboot(void)
{
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	rig.payment_count = 0;
	rig.motor_count = 0;
	rig.event_count = 0;
	rig.sensor_armed = false;
	rig.arm_count = rig.disarm_count = rig.abort_count = rig.stop_count = 0;
	return rig_start();
}

void rig_teardown(void)
{
	cv_machine_deinit(rig.m);
	free(rig.memory);
	rig.memory = NULL;
	rig.m = NULL;
	cv_test_leak_check();
}

void rig_step(uint64_t advance_ms)
{
	rig.now_ms += advance_ms;
	cr_assert_eq(cv_machine_step(rig.m, rig.now_ms), CV_OK);
}

const struct cv_payment_request *rig_last_payment(void)
{
	return rig.payment_count ? &rig.payments[rig.payment_count - 1] : NULL;
}

const struct cv_dispense_request *rig_last_motor(void)
{
	return rig.motor_count ? &rig.motors[rig.motor_count - 1] : NULL;
}

void rig_pay_amount(enum cv_pay_result result, int64_t amount_minor)
{
	const struct cv_payment_request *req = rig_last_payment();
	cr_assert_not_null(req, "no payment request to answer");
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	struct cv_payment_result *r = &ev.u.payment;
	r->op_id = req->op_id;
	r->op = req->op;
	r->result = result;
	if (result == CV_PAY_DECLINED)
		r->decline_reason = CV_DECLINE_GENERIC;
	r->amount = req->amount;
	r->amount.amount_minor = amount_minor;
	strcpy(r->processor_ref, "pi_rig_1");
	strcpy(r->card.brand, "VISA");
	strcpy(r->card.last4, "4242");
	strcpy(r->card.auth_code, "A1B2C3");
	r->offline_approved = rig.pay_offline;
	r->capture_before_s = rig.pay_capture_before_s;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
}

void rig_approve(const struct cv_card_summary *card, const char *processor_ref, int64_t capture_before_s)
{
	const struct cv_payment_request *req = rig_last_payment();
	cr_assert_not_null(req, "no payment request to answer");
	cr_assert_eq(req->op, CV_PAYMENT_OP_AUTHORIZE);
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	struct cv_payment_result *r = &ev.u.payment;
	r->op_id = req->op_id;
	r->op = req->op;
	r->result = CV_PAY_OK;
	r->amount = req->amount;
	r->capture_before_s = capture_before_s;
	snprintf(r->processor_ref, sizeof(r->processor_ref), "%s", processor_ref);
	r->card = *card;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
}

void rig_start_on_held_storage(struct held_storage *hs)
{
	held_storage_init(hs, true);
	rig.config.storage = &held_storage_ops;
	rig.config.storage_ctx = hs;
	cr_assert_eq(rig_start(), CV_OK);
}

void rig_pay(enum cv_pay_result result)
{
	const struct cv_payment_request *req = rig_last_payment();
	cr_assert_not_null(req, "no payment request to answer");
	rig_pay_amount(result, req->amount.amount_minor);
}

void rig_motor(enum cv_status status)
{
	const struct cv_dispense_request *req = rig_last_motor();
	cr_assert_not_null(req, "no motor request to answer");
	struct cv_event ev = {.type = CV_EVENT_DISPENSE_DONE};
	ev.u.dispense.op_id = req->op_id;
	ev.u.dispense.lane = req->lane;
	ev.u.dispense.status = status;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
}

void rig_drop(void)
{
	cr_assert(rig.sensor_armed, "drop with the sensor not armed");
	struct cv_event ev = {.type = CV_EVENT_DROP_DETECTED};
	ev.u.drop.op_id = rig.sensor_op_id;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
}

void rig_sensor(bool faulted)
{
	struct cv_event ev = {.type = CV_EVENT_SENSOR_STATUS};
	ev.u.sensor.faulted = faulted;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
}

uint32_t rig_select(uint16_t lane)
{
	uint32_t number = 0;
	enum cv_status rc = cv_machine_select(rig.m, lane, &number);
	cr_assert_eq(rc, CV_OK, "select lane %u: %s", lane, cv_status_str(rc));
	rig_step(0);
	return number;
}

uint32_t rig_vend_ok(uint16_t lane)
{
	uint32_t n = rig_select(lane);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	return n;
}

void rig_sell_one(unsigned i)
{
	uint16_t lane = (uint16_t)(i % RIG_LANES);
	if (rig_lane(lane).config.count == 0) {
		cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
		cr_assert_eq(cv_machine_lane_refill(rig.m, lane, 10), CV_OK);
		cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	}
	rig_vend_ok(lane);
	rig_step(rig.config.timeouts.flush_ms);
}

uint32_t rig_vend_no_drop(uint16_t lane)
{
	uint32_t n = rig_select(lane);
	rig_pay(CV_PAY_OK);
	for (unsigned i = 0; i <= rig.lanes[lane].respin_count_max; i++) {
		cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
		rig_motor(CV_OK);
		rig_step(rig.config.timeouts.verify_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	return n;
}

struct cv_vend_info rig_vend(uint32_t vend_number)
{
	struct cv_vend_info info;
	cr_assert_eq(cv_machine_vend_info(rig.m, vend_number, &info), CV_OK, "vend %u unknown", vend_number);
	return info;
}

enum cv_vend_state rig_state(uint32_t vend_number)
{
	return rig_vend(vend_number).state;
}

struct cv_lane_info rig_lane(uint16_t lane)
{
	struct cv_lane_info info;
	cr_assert_eq(cv_machine_lane_info(rig.m, lane, &info), CV_OK);
	return info;
}

enum cv_msg rig_msg(void)
{
	struct cv_display d;
	cr_assert_eq(cv_machine_display(rig.m, &d), CV_OK);
	return d.msg;
}

struct cv_machine_stats rig_stats(void)
{
	struct cv_machine_stats s;
	cr_assert_eq(cv_machine_stats(rig.m, &s), CV_OK);
	return s;
}

unsigned rig_count(enum cv_event_type type)
{
	unsigned n = 0;
	for (unsigned i = 0; i < rig.event_count; i++)
		n += rig.events[i].type == type;
	return n;
}

unsigned rig_alerts(enum cv_alert_kind kind, uint16_t lane, bool active)
{
	unsigned n = 0;
	for (unsigned i = 0; i < rig.event_count; i++) {
		const struct cv_event *e = &rig.events[i];
		n += e->type == CV_EVENT_ALERT && e->u.alert.kind == kind && e->u.alert.lane == lane &&
		     e->u.alert.active == active;
	}
	return n;
}

const struct cv_receipt *rig_last_receipt(void)
{
	for (unsigned i = rig.event_count; i-- > 0;)
		if (rig.events[i].type == CV_EVENT_RECEIPT)
			return &rig.events[i].u.receipt;
	return NULL;
}

bool rig_visited(uint32_t vend_number, enum cv_vend_state state)
{
	for (unsigned i = 0; i < rig.event_count; i++) {
		const struct cv_event *e = &rig.events[i];
		if (e->type == CV_EVENT_VEND_STATE && e->u.vend.vend_number == vend_number && e->u.vend.state == state)
			return true;
	}
	return false;
}
