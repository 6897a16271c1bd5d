/* SPDX-License-Identifier: MIT */
/* Configuration and life cycle: what cv_machine_init refuses, the step and
 * post contracts, the journal (fault handling and on-disk framing), and the
 * idle display. */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_codec.h"
#include "rig.h"

/* ---- Refusals at init: the rig is set up but not started ---------------- */

static void setup_only(void)
{
	rig_setup();
}

TestSuite(config, .init = setup_only, .fini = rig_teardown);

/* Calls cv_machine_init with the current rig.config on good memory and checks
 * that it fails with @p expected and leaves out alone. */
static void init_refused(enum cv_status expected)
{
	size_t size = (cv_machine_size() + CV_MACHINE_ALIGN - 1) / CV_MACHINE_ALIGN * CV_MACHINE_ALIGN;
	void *memory = aligned_alloc(CV_MACHINE_ALIGN, size);
	cr_assert_not_null(memory);
	static int sentinel;
	struct cv_machine *out = (struct cv_machine *)(void *)&sentinel;
	enum cv_status rc = cv_machine_init(memory, size, &rig.config, &out);
	free(memory);
	cr_assert_eq(rc, expected, "expected %s, got %s", cv_status_name(expected), cv_status_name(rc));
	cr_assert_eq((void *)out, (void *)&sentinel, "out was written on failure");
}

/* The same, and nothing was opened, journaled or emitted. */
static void expect_refused(enum cv_status expected)
{
	init_refused(expected);
	cr_assert_null(rig.storage.machine, "a backend was opened on failure");
	cr_assert_eq(rig.storage.length, 0, "something was journaled on failure");
	cr_assert_eq(rig.event_count, 0, "an event was emitted on failure");
}

Test(config, the_rig_config_itself_is_accepted)
{
	cr_assert_eq(rig_start(), CV_OK);
	cr_assert_not_null(rig.m);
	cr_assert_eq(cv_machine_lane_count(rig.m), RIG_LANES);
}

Test(config, bad_lane_entries_are_refused)
{
	rig.lanes[2].price_minor = -1;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[1].count = 11; /* capacity 10 */
	expect_refused(CV_E_INVAL);
	rig_setup();
	strcpy(rig.lanes[3].label, "A1");
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[0].product_name[0] = '\0';
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[0].label[0] = '\0';
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[0].capacity = 0;
	rig.lanes[0].count = 0;
	rig.lanes[0].low_stock_threshold = 0;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[0].vend_quarter_turns = 0;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[0].respin_count_max = CV_RESPIN_MAX + 1;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.lanes[0].quarantine_after_failures = 0;
	expect_refused(CV_E_INVAL);
	rig_setup();
	memset(rig.lanes[0].label, 'X', sizeof(rig.lanes[0].label)); /* not terminated */
	expect_refused(CV_E_INVAL);
}

Test(config, lane_count_must_be_between_1_and_the_maximum)
{
	static struct cv_lane_config many[CV_LANES_MAX + 1];
	for (unsigned i = 0; i < CV_LANES_MAX + 1; i++) {
		many[i] = rig.lanes[0];
		snprintf(many[i].label, sizeof(many[i].label), "L%u", i);
	}
	rig.config.lane_count = 0;
	expect_refused(CV_E_INVAL);
	rig.config.lanes = many;
	rig.config.lane_count = CV_LANES_MAX + 1;
	expect_refused(CV_E_INVAL);
	rig.config.lanes = NULL;
	rig.config.lane_count = 1;
	expect_refused(CV_E_INVAL);
	/* The maximum itself is fine. */
	rig.config.lanes = many;
	rig.config.lane_count = CV_LANES_MAX;
	cr_assert_eq(rig_start(), CV_OK);
	cr_assert_eq(cv_machine_lane_count(rig.m), CV_LANES_MAX);
	rig_step(0);
	uint16_t lane = 0;
	cr_assert_eq(cv_machine_lane_find(rig.m, "L63", &lane), CV_OK);
	cr_assert_eq(lane, 63);
}

Test(config, missing_backends_are_refused)
{
	rig.config.payment = NULL;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.config.storage = NULL;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.config.platform = NULL;
	expect_refused(CV_E_INVAL);
	/* A table whose required member is missing. */
	static struct cv_payment_ops no_capture;
	rig_setup();
	no_capture = *rig.config.payment;
	no_capture.capture = NULL;
	rig.config.payment = &no_capture;
	expect_refused(CV_E_INVAL);
}

Test(config, old_or_short_backend_tables_are_refused)
{
	static struct cv_payment_ops payment;
	static struct cv_dispenser_ops dispenser;
	payment = *rig.config.payment;
	payment.abi_version = 0;
	rig.config.payment = &payment;
	expect_refused(CV_E_VERSION);

	rig_setup();
	payment = *rig.config.payment;
	payment.struct_size = (uint32_t)(sizeof(struct cv_payment_ops) - sizeof(void *));
	rig.config.payment = &payment;
	expect_refused(CV_E_VERSION);

	rig_setup();
	dispenser = *rig.config.dispenser;
	dispenser.struct_size = 8;
	rig.config.dispenser = &dispenser;
	expect_refused(CV_E_VERSION);

	/* A newer, larger table is accepted. */
	rig_setup();
	payment = *rig.config.payment;
	payment.abi_version = CV_BACKEND_ABI_VERSION + 1;
	payment.struct_size = (uint32_t)sizeof(struct cv_payment_ops) + 16;
	rig.config.payment = &payment;
	cr_assert_eq(rig_start(), CV_OK);
}

Test(config, every_timeout_must_be_set)
{
	for (unsigned i = 0; i < 9; i++) {
		rig_setup();
		struct cv_timeouts *t = &rig.config.timeouts;
		uint32_t *fields[] = {&t->payment_ms, &t->lookup_ms,     &t->settle_ms,    &t->motor_ms,  &t->verify_ms,
				      &t->session_ms, &t->retry_base_ms, &t->retry_cap_ms, &t->message_ms};
		*fields[i] = 0;
		expect_refused(CV_E_INVAL);
	}
}

Test(config, machine_fields_are_validated)
{
	strcpy(rig.config.currency, "usd");
	expect_refused(CV_E_INVAL);
	rig_setup();
	strcpy(rig.config.currency, "US");
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.config.machine_id[0] = '\0';
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.config.settle_attempts_max = 0;
	expect_refused(CV_E_INVAL);
	rig_setup();
	rig.config.lookup_attempts_max = 0;
	expect_refused(CV_E_INVAL);
}

Test(config, memory_must_be_large_and_aligned_enough)
{
	size_t size = cv_machine_size();
	uint8_t *memory =
		aligned_alloc(CV_MACHINE_ALIGN, (size + 2 * CV_MACHINE_ALIGN) / CV_MACHINE_ALIGN * CV_MACHINE_ALIGN);
	cr_assert_not_null(memory);
	static int sentinel;
	struct cv_machine *out = (struct cv_machine *)(void *)&sentinel;
	enum cv_status small = cv_machine_init(memory, size - 1, &rig.config, &out);
	enum cv_status misaligned = cv_machine_init(memory + 8, size, &rig.config, &out);
	free(memory);
	cr_assert_eq(small, CV_E_NOMEM);
	cr_assert_eq(misaligned, CV_E_NOMEM);
	cr_assert_eq((void *)out, (void *)&sentinel);
	cr_assert_null(rig.storage.machine, "a backend was opened");
}

Test(config, new_and_free_round_trip)
{
	struct cv_machine *m = NULL;
	struct cv_machine_config config = rig_config();
	cr_assert_eq(cv_machine_new(&config, &m), CV_OK);
	cr_assert_not_null(m);
	cr_assert_eq(cv_machine_step(m, 0), CV_OK);
	struct cv_display d;
	cr_assert_eq(cv_machine_display(m, &d), CV_OK);
	cr_assert_eq(d.msg, CV_MSG_CHOOSE_PRODUCT);
	uint32_t n = 0;
	cr_assert_eq(cv_machine_select(m, 0, &n), CV_OK);
	cr_assert_eq(cv_machine_step(m, 10), CV_OK);
	cr_assert_eq(rig.payment_count, 1);
	cr_assert_eq(cv_machine_open_vends(m), 1);
	cv_machine_free(m);
	cv_machine_free(NULL);

	/* A refused config frees what new allocated (LSan checks in .fini). */
	static int sentinel;
	struct cv_machine *out = (struct cv_machine *)(void *)&sentinel;
	rig_setup();
	rig.config.lane_count = 0;
	cr_assert_eq(cv_machine_new(&rig.config, &out), CV_E_INVAL);
	cr_assert_eq((void *)out, (void *)&sentinel);
}

/* ---- Capabilities: read once, after open ---------------------------------- */

/* The rig's storage (RAM underneath), dispenser and payment behind wrappers
 * that count opens, closes and caps() calls. */
static struct {
	struct cv_storage_ops storage;
	struct cv_dispenser_ops dispenser;
	struct cv_payment_ops payment;
	const struct cv_dispenser_ops *inner_dispenser;
	const struct cv_payment_ops *inner_payment;
	uint32_t storage_caps; /* What the storage declares. */
	unsigned opens;        /* Of the three wrapped backends, this life. */
	unsigned storage_closes;
	unsigned caps_calls;
	unsigned caps_before_open; /* Calls while one of the three was not open yet. */
} wrap;

static void wrap_count_caps(void)
{
	wrap.caps_calls++;
	if (wrap.opens < 3)
		wrap.caps_before_open++;
}

static uint32_t wrap_storage_caps(void *ctx)
{
	(void)ctx;
	wrap_count_caps();
	return wrap.storage_caps;
}

static enum cv_status wrap_storage_open(void *ctx, struct cv_machine *machine)
{
	wrap.opens++;
	return cv_ram_storage_ops.open(ctx, machine);
}

static void wrap_storage_close(void *ctx)
{
	(void)ctx;
	wrap.opens = 0; /* Closed last: a new life opens all three again. */
	wrap.storage_closes++;
}

static uint32_t wrap_dispenser_caps(void *ctx)
{
	(void)ctx;
	wrap_count_caps();
	return CV_DISPENSER_CAP_PARTIAL_TURN;
}

static enum cv_status wrap_dispenser_open(void *ctx, struct cv_machine *machine)
{
	wrap.opens++;
	return wrap.inner_dispenser->open(ctx, machine);
}

static uint32_t wrap_payment_caps(void *ctx)
{
	wrap_count_caps();
	return CV_OPS_HAS(struct cv_payment_ops, wrap.inner_payment, caps) ? wrap.inner_payment->caps(ctx) : 0;
}

static enum cv_status wrap_payment_open(void *ctx, struct cv_machine *machine)
{
	wrap.opens++;
	return wrap.inner_payment->open(ctx, machine);
}

/* Puts the wrappers in rig.config; the storage declares @p storage_caps. */
static void wrap_backends(uint32_t storage_caps)
{
	memset(&wrap, 0, sizeof(wrap));
	wrap.storage = cv_ram_storage_ops;
	wrap.storage.caps = wrap_storage_caps;
	wrap.storage.open = wrap_storage_open;
	wrap.storage.close = wrap_storage_close;
	wrap.storage_caps = storage_caps;
	rig.config.storage = &wrap.storage;
	wrap.inner_dispenser = rig.config.dispenser;
	wrap.dispenser = *rig.config.dispenser;
	wrap.dispenser.caps = wrap_dispenser_caps;
	wrap.dispenser.open = wrap_dispenser_open;
	rig.config.dispenser = &wrap.dispenser;
	wrap.inner_payment = rig.config.payment;
	wrap.payment = *rig.config.payment;
	wrap.payment.caps = wrap_payment_caps;
	wrap.payment.open = wrap_payment_open;
	rig.config.payment = &wrap.payment;
}

/* Every backend's open and close, logged in order ("S", "D", "s", "P" for
 * storage, dispenser, sensor and payment; lower case a close); the open
 * numbered fail_at (from 1; 0: none) fails without opening. */
static struct {
	struct cv_storage_ops storage;
	struct cv_dispenser_ops dispenser;
	struct cv_sensor_ops sensor;
	struct cv_payment_ops payment;
	const struct cv_storage_ops *inner_storage;
	const struct cv_dispenser_ops *inner_dispenser;
	const struct cv_sensor_ops *inner_sensor;
	const struct cv_payment_ops *inner_payment;
	char log[16];
	unsigned opens;
	unsigned fail_at;
} order;

#define ORDER_WRAP(kind, letter)                                                         \
	static enum cv_status order_##kind##_open(void *ctx, struct cv_machine *machine) \
	{                                                                                \
		strncat(order.log, letter, sizeof(order.log) - strlen(order.log) - 1);   \
		if (++order.opens == order.fail_at)                                      \
			return CV_E_IO;                                                  \
		return order.inner_##kind->open(ctx, machine);                           \
	}                                                                                \
	static void order_##kind##_close(void *ctx)                                      \
	{                                                                                \
		char lower[2] = {(char)(letter[0] | 0x20), '\0'};                        \
		strncat(order.log, lower, sizeof(order.log) - strlen(order.log) - 1);    \
		if (order.inner_##kind->close != NULL)                                   \
			order.inner_##kind->close(ctx);                                  \
	}
ORDER_WRAP(storage, "S")
ORDER_WRAP(dispenser, "D")
ORDER_WRAP(sensor, "T")
ORDER_WRAP(payment, "P")

static void order_wrap(unsigned fail_at)
{
	memset(&order, 0, sizeof(order));
	order.fail_at = fail_at;
	order.inner_storage = rig.config.storage;
	order.storage = *rig.config.storage;
	order.storage.open = order_storage_open;
	order.storage.close = order_storage_close;
	rig.config.storage = &order.storage;
	order.inner_dispenser = rig.config.dispenser;
	order.dispenser = *rig.config.dispenser;
	order.dispenser.open = order_dispenser_open;
	order.dispenser.close = order_dispenser_close;
	rig.config.dispenser = &order.dispenser;
	order.inner_sensor = rig.config.sensor;
	order.sensor = *rig.config.sensor;
	order.sensor.open = order_sensor_open;
	order.sensor.close = order_sensor_close;
	rig.config.sensor = &order.sensor;
	order.inner_payment = rig.config.payment;
	order.payment = *rig.config.payment;
	order.payment.open = order_payment_open;
	order.payment.close = order_payment_close;
	rig.config.payment = &order.payment;
}

Test(config, backends_open_in_order_and_a_failed_open_closes_those_opened_last_first)
{
	/* Open k fails: the k - 1 opened before it close in reverse, it does not. */
	static const char *const expected[] = {"S", "SDs", "SDTds", "SDTPtds"};
	for (unsigned k = 1; k <= 4; k++) {
		order_wrap(k);
		init_refused(CV_E_IO);
		cr_assert_str_eq(order.log, expected[k - 1], "open %u failed", k);
		rig.config.storage = order.inner_storage;
		rig.config.dispenser = order.inner_dispenser;
		rig.config.sensor = order.inner_sensor;
		rig.config.payment = order.inner_payment;
	}
	/* All open: a machine closed at the end closes all four, the last first. */
	order_wrap(0);
	cr_assert_eq(rig_start(), CV_OK);
	cr_assert_str_eq(order.log, "SDTP");
	rig_teardown();
	cr_assert_str_eq(order.log, "SDTPptds");
}

Test(config, caps_are_read_once_per_life_after_every_backend_is_open)
{
	wrap_backends(CV_STORAGE_CAP_DURABLE);
	rig.config.accept_volatile_journal = false;
	cr_assert_eq(rig_start(), CV_OK);
	cr_assert_eq(wrap.caps_calls, 3, "one call per table that has caps");
	cr_assert_eq(wrap.caps_before_open, 0, "caps() before the backends were open");
	for (unsigned i = 0; i < 10; i++)
		rig_step(1000);
	struct cv_lane_info info;
	cr_assert_eq(cv_machine_lane_info(rig.m, 0, &info), CV_OK);
	cr_assert_eq(wrap.caps_calls, 3, "caps() asked again while running");
	cr_assert_eq(rig_reboot(), CV_OK);
	cr_assert_eq(wrap.caps_calls, 6, "a new life asks once more");
	cr_assert_eq(wrap.caps_before_open, 0);
}

Test(config, a_storage_that_declares_durable_needs_no_acceptance)
{
	struct cv_machine_config defaults;
	cv_machine_config_default(&defaults);
	cr_assert_not(defaults.accept_volatile_journal, "a durable journal is the default");
	wrap_backends(CV_STORAGE_CAP_DURABLE);
	rig.config.accept_volatile_journal = false;
	cr_assert_eq(rig_start(), CV_OK);
	cr_assert_eq(wrap.storage_closes, 0);
}

Test(config, the_ram_storage_is_not_durable)
{
	cr_assert(CV_OPS_HAS(struct cv_storage_ops, &cv_ram_storage_ops, caps));
	cr_assert_eq(cv_ram_storage_ops.caps(&rig.storage) & CV_STORAGE_CAP_DURABLE, 0);
	/* Accepted as volatile, it runs. */
	rig.config.accept_volatile_journal = true;
	cr_assert_eq(rig_start(), CV_OK);
	rig_vend_ok(0);
}

Test(config, a_volatile_journal_is_refused_unless_accepted)
{
	wrap_backends(0);
	rig.config.accept_volatile_journal = false;
	init_refused(CV_E_NOTSUP);
	cr_assert_eq(wrap.caps_calls, 3, "refused on what caps() said once the backends were open");
	cr_assert_eq(wrap.storage_closes, 1, "the backends are closed again");
	cr_assert_eq(rig.storage.length, 0, "something was journaled");
	cr_assert_eq(rig.event_count, 0, "an event was emitted");
	/* The same storage, accepted as volatile. */
	rig.config.accept_volatile_journal = true;
	cr_assert_eq(rig_start(), CV_OK);
	rig_vend_ok(0);
}

Test(config, a_storage_without_caps_or_the_plain_ram_storage_is_refused)
{
	static struct cv_storage_ops no_caps;
	no_caps = cv_ram_storage_ops;
	no_caps.caps = NULL;
	rig.config.storage = &no_caps;
	rig.config.accept_volatile_journal = false;
	cr_assert_eq(rig_start(), CV_E_NOTSUP, "no caps: not durable");
	cr_assert_null(rig.m);
	rig.config.storage = &cv_ram_storage_ops;
	cr_assert_eq(rig_start(), CV_E_NOTSUP);
	cr_assert_null(rig.m);
	cr_assert_eq(rig.storage.length, 0);
	rig.config.accept_volatile_journal = true;
	cr_assert_eq(rig_start(), CV_OK);
}

/* ---- A started machine ---------------------------------------------------- */

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(engine, .init = start, .fini = rig_teardown);

Test(engine, time_must_not_go_backwards)
{
	rig_step(100);
	cr_assert_eq(cv_machine_step(rig.m, 99), CV_E_INVAL);
	cr_assert_eq(cv_machine_step(rig.m, 0), CV_E_INVAL);
	cr_assert_eq(cv_machine_step(rig.m, 100), CV_OK, "the same time again is fine");
	/* The refused step did not move the engine's clock back. */
	uint32_t n = rig_select(0);
	rig_step(rig.config.timeouts.payment_ms);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP);
	const struct cv_event *last = &rig.events[rig.event_count - 1];
	cr_assert_eq(last->time_ms, 100 + (uint64_t)rig.config.timeouts.payment_ms);
}

Test(engine, output_events_cannot_be_posted)
{
	static const enum cv_event_type outputs[] = {
		CV_EVENT_VEND_STATE, CV_EVENT_DISPLAY, CV_EVENT_ALERT, CV_EVENT_RECEIPT, CV_EVENT_LANE_CHANGED,
	};
	unsigned events = rig.event_count;
	for (unsigned i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		struct cv_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = outputs[i];
		ev.u.display.msg = CV_MSG_OUT_OF_SERVICE;
		cr_assert_eq(cv_machine_post(rig.m, &ev), CV_E_INVAL, "%s accepted", cv_event_type_str(outputs[i]));
	}
	rig_step(0);
	cr_assert_eq(rig.event_count, events);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
	cr_assert_eq(cv_machine_post(rig.m, NULL), CV_E_INVAL);
}

Test(engine, the_input_queue_is_bounded)
{
	struct cv_event ev = {.type = CV_EVENT_SENSOR_STATUS};
	ev.u.sensor.faulted = false;
	for (unsigned i = 0; i < CV_EVENT_QUEUE_MAX; i++)
		cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK, "post %u refused", i + 1);
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_E_FULL);
	rig_step(0);
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK, "room again after a step");
	rig_step(0);
	/* The engine still works. */
	rig_vend_ok(0);
}

/* Restarts the rig on a RAM journal of @p size bytes. */
/* A journal that fills without warning: the RAM storage without room(),
 * as a storage that can't tell how full it is. */
static void restart_with_journal(size_t size)
{
	static uint8_t small[4096];
	static struct cv_storage_ops no_room;
	no_room = cv_ram_storage_ops;
	no_room.room = NULL;
	cr_assert_leq(size, sizeof(small));
	rig_teardown();
	rig_setup();
	rig.config.storage = &no_room;
	cv_ram_storage_init(&rig.storage, small, size);
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

/* Runs customers on the happy path, answering only what was asked, until
 * selling stops or @p vends were tried. */
static void sell_until_refused(unsigned vends)
{
	for (unsigned k = 0; k < vends; k++) {
		uint32_t n = 0;
		if (cv_machine_select(rig.m, (uint16_t)(k % RIG_LANES), &n) != CV_OK)
			return;
		rig_step(0);
		for (unsigned guard = 0; guard < 16; guard++) {
			struct cv_vend_info v;
			cr_assert_eq(cv_machine_vend_info(rig.m, n, &v), CV_OK);
			const struct cv_payment_request *p = rig_last_payment();
			if ((v.state == CV_VEND_STATE_AUTH_PENDING || v.state == CV_VEND_STATE_CAPTURE_PENDING ||
			     v.state == CV_VEND_STATE_VOID_PENDING) &&
			    p != NULL && strcmp(p->vend_id, v.vend_id) == 0) {
				rig_pay(CV_PAY_OK);
			} else if (v.state == CV_VEND_STATE_DISPENSING && rig.motor_count > 0 && rig.sensor_armed) {
				rig_drop();
				rig_motor(CV_OK);
			} else {
				break;
			}
			/* Stuck (the answer was to an operation never sent): stop. */
			if (rig_state(n) == v.state)
				break;
		}
		rig_step(rig.config.timeouts.message_ms);
	}
}

Test(engine, journal_fault_in_service_stops_selling)
{
	restart_with_journal(600);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 0);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	for (unsigned i = 0; i < 100 && rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true) == 0; i++)
		cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, 150 + i), CV_OK);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1);
	unsigned displays = rig_count(CV_EVENT_DISPLAY);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE, "no flash of the menu on the way out");
	cr_assert_eq(rig_count(CV_EVENT_DISPLAY), displays + 1);
	rig_step(0);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE);
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_STATE);
	rig_step(rig.config.timeouts.message_ms);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE);
	cr_assert_eq(rig.payment_count, 0);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1, "raised once");
	cr_assert_leq(rig.storage.length, 600);
}

/* The journal fills with the very record of a new vend: no payment may be
 * asked for, and the customer must not be left facing "Present card". */
Test(engine, journal_full_at_selection_ends_the_vend_out_of_service)
{
	size_t after_init = rig.storage.length;
	restart_with_journal(after_init + 1);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 0);
	uint32_t n = 0;
	enum cv_status rc = cv_machine_select(rig.m, 0, &n);
	cr_assert_eq(rc, CV_E_STATE, "a vend whose first record can't be written does not start");
	rig_step(0);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1);
	cr_assert_eq(rig.payment_count, 0, "an authorization was sent without its journal record");
	rig_step(rig.config.timeouts.message_ms);
	rig_step(rig.config.timeouts.session_ms);
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_STATE);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE, "select returned %s; display stays \"%s\" with vend %u in %s",
		     cv_status_name(rc), cv_msg_text(rig_msg()), n,
		     rc == CV_OK ? cv_vend_state_str(rig_state(n)) : "-");
	cr_assert_eq(cv_machine_open_vends(rig.m), 0, "a vend that can never proceed is kept open");
}

/* The journal fills once the hold is placed: the motor must not turn, and
 * the customer must not be left facing "Dispensing..." for ever. */
Test(engine, journal_full_after_authorization_never_dispenses_and_ends_out_of_service)
{
	rig_select(0);
	size_t after_auth = rig.storage.length;
	restart_with_journal(after_auth + 1);
	uint32_t n = rig_select(0);
	cr_assert_eq(rig.payment_count, 1);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1);
	rig_step(0);
	cr_assert_eq(rig.motor_count, 0, "the motor turned without a durable dispense intent");
	/* The hold is released, not left to expire. */
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING, "vend %u left in %s", n,
		     cv_vend_state_str(rig_state(n)));
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(rig_last_receipt()->status, CV_RECEIPT_NOT_CHARGED);
	rig_step(rig.config.timeouts.motor_ms);
	rig_step(rig.config.timeouts.session_ms);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_STATE);
	cr_assert_eq(rig_msg(), CV_MSG_OUT_OF_SERVICE, "display stays \"%s\"", cv_msg_text(rig_msg()));
}

/* The journal may fill at any record of a vend: whichever it is, the machine
 * must end up refusing customers and telling them it is out of service. */
Test(engine, a_full_journal_always_ends_out_of_service)
{
	unsigned bad = 0;
	char first_bad[160] = "";
	/* From the smallest journal that still takes the start records. */
	size_t after_init = rig.storage.length;
	for (size_t size = after_init; size < after_init + 1800; size += 3) {
		restart_with_journal(size);
		sell_until_refused(6);
		/* Give every timer a chance. */
		rig_step(rig.config.timeouts.session_ms);
		rig_step(rig.config.timeouts.retry_cap_ms);
		cr_assert_eq(rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true), 1,
			     "size %zu: journal fault alert raised %u times", size,
			     rig_alerts(CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true));
		cr_assert_leq(rig.storage.length, size);
		enum cv_status rc = cv_machine_select(rig.m, 0, NULL);
		enum cv_msg msg = rig_msg();
		if (rc != CV_E_STATE || msg != CV_MSG_OUT_OF_SERVICE) {
			if (bad++ == 0) {
				struct cv_vend_info v;
				memset(&v, 0, sizeof(v));
				uint32_t number = rig_stats().vends_started;
				cv_machine_vend_info(rig.m, number, &v);
				snprintf(first_bad, sizeof(first_bad),
					 "journal of %zu bytes: select -> %s, display \"%s\", vend %u left in %s", size,
					 cv_status_name(rc), cv_msg_text(msg), number, cv_vend_state_str(v.state));
			}
		}
	}
	cr_assert_eq(bad, 0, "%u journal sizes leave the machine selling or not out of service; first: %s", bad,
		     first_bad);
}

/* Independent bitwise CRC32C (Castagnoli, reflected 0x82F63B78). */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (unsigned b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint64_t le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

Test(engine, journal_records_are_framed_checksummed_and_free_of_card_numbers)
{
	cr_assert_eq(crc32c_bitwise((const uint8_t *)"123456789", 9), 0xe3069283u, "test CRC is wrong");
	/* A mix of outcomes and service actions. */
	rig_vend_ok(0);
	rig_step(rig.config.timeouts.message_ms);
	uint32_t n = rig_select(1);
	rig_pay(CV_PAY_DECLINED);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_step(rig.config.timeouts.message_ms);
	rig_vend_no_drop(2);
	rig_pay(CV_PAY_OK);
	rig_step(rig.config.timeouts.message_ms);
	n = rig_select(3);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_E_JAM);
	rig_pay(CV_PAY_UNKNOWN);
	rig_step(rig.config.timeouts.retry_cap_ms);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, 175), CV_OK);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 2), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	rig_step(0);
	cr_assert_lt(rig.storage.synced_seq, rig.storage.last_seq, "the service changes wait for flush_ms");
	rig_step(rig.config.timeouts.flush_ms);

	const uint8_t *buf = rig.storage.buf;
	size_t length = rig.storage.length, offset = 0;
	uint64_t expected_seq = 1;
	uint32_t epoch = 0;
	cr_assert_gt(length, 0);
	while (offset < length) {
		cr_assert_geq(length - offset, 24, "truncated record at %zu", offset);
		const uint8_t *r = buf + offset;
		uint32_t rlen = (uint32_t)le(r, 4);
		uint16_t type = (uint16_t)le(r + 4, 2);
		uint16_t flags = (uint16_t)le(r + 6, 2);
		uint32_t rec_epoch = (uint32_t)le(r + 8, 4);
		uint64_t seq = le(r + 12, 8);
		cr_assert_geq(rlen, 24, "record %llu: length %u", (unsigned long long)expected_seq, rlen);
		cr_assert_leq(rlen, length - offset, "record %llu runs past the end", (unsigned long long)expected_seq);
		cr_assert(type >= CV_JOURNAL_MACHINE_START && type <= CV_JOURNAL_FILE_HEADER, "record %llu: type %u",
			  (unsigned long long)seq, type);
		cr_assert_eq(type == CV_JOURNAL_FILE_HEADER, seq == 1,
			     "the file header is the first record and only the first");
		cr_assert_eq(flags, 0x2, "format 3: fields tagged, not sealed");
		if (epoch == 0)
			epoch = rec_epoch;
		cr_assert_neq(rec_epoch, 0);
		cr_assert_eq(rec_epoch, epoch, "epoch changed within one run");
		cr_assert_eq(seq, expected_seq, "sequence gap: got %llu, expected %llu", (unsigned long long)seq,
			     (unsigned long long)expected_seq);
		uint32_t stored = (uint32_t)le(r + rlen - 4, 4);
		cr_assert_eq(crc32c_bitwise(r, rlen - 4), stored, "record %llu: bad CRC", (unsigned long long)seq);
		unsigned run = 0, longest = 0;
		for (uint32_t i = 0; i < rlen; i++) {
			run = (r[i] >= '0' && r[i] <= '9') ? run + 1 : 0;
			if (run > longest)
				longest = run;
		}
		cr_assert_leq(longest, 4, "record %llu holds a run of %u ASCII digits", (unsigned long long)seq,
			      longest);
		offset += rlen;
		expected_seq++;
	}
	cr_assert_eq(offset, length, "record lengths must add up to the journal length");
	cr_assert_eq(expected_seq - 1, rig_stats().journal_records);
	cr_assert_eq(expected_seq - 1, rig.storage.last_seq);
	cr_assert_eq(rig.storage.synced_seq, rig.storage.last_seq, "every record synced");
	cr_assert_gt(expected_seq, 20, "too few records for a meaningful check");
}

Test(engine, display_starts_at_the_menu_and_final_messages_expire)
{
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
	struct cv_display d;
	cr_assert_eq(cv_machine_display(rig.m, &d), CV_OK);
	cr_assert_eq(d.lane, CV_DISPLAY_NO_LANE);
	cr_assert_eq(d.amount.amount_minor, 0);
	rig_step(1000);
	rig_select(2);
	cr_assert_eq(cv_machine_display(rig.m, &d), CV_OK);
	cr_assert_eq(d.msg, CV_MSG_PRESENT_CARD);
	cr_assert_eq(d.lane, 2);
	cr_assert_eq(d.amount.amount_minor, 150);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_pay(CV_PAY_CANCELLED);
	cr_assert_eq(rig_msg(), CV_MSG_CANCELLED);
	rig_step(rig.config.timeouts.message_ms - 1);
	cr_assert_eq(rig_msg(), CV_MSG_CANCELLED, "the final message stays message_ms");
	rig_step(1);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
	const struct cv_event *last = &rig.events[rig.event_count - 1];
	cr_assert_eq(last->type, CV_EVENT_DISPLAY);
	cr_assert_eq(last->u.display.msg, CV_MSG_CHOOSE_PRODUCT);
}

Test(engine, a_payment_result_for_an_unknown_operation_changes_nothing)
{
	uint32_t n = rig_select(0);
	const struct cv_payment_request *req = rig_last_payment();
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	ev.u.payment.op_id = req->op_id + 1000;
	ev.u.payment.op = CV_PAYMENT_OP_AUTHORIZE;
	ev.u.payment.result = CV_PAY_OK;
	ev.u.payment.amount = req->amount;
	unsigned events = rig.event_count, payments = rig.payment_count;
	struct cv_machine_stats before = rig_stats();
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
	ev.u.payment.op_id = 0;
	cr_assert_eq(cv_machine_post(rig.m, &ev), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_PENDING);
	cr_assert_eq(rig.event_count, events);
	cr_assert_eq(rig.payment_count, payments);
	cr_assert_eq(rig.motor_count, 0);
	struct cv_machine_stats after = rig_stats();
	cr_assert_eq(memcmp(&before, &after, sizeof(before)), 0);
	/* The real answer still works. */
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
}

Test(engine, unknown_vend_numbers_are_not_found)
{
	struct cv_vend_info info;
	cr_assert_eq(cv_machine_vend_info(rig.m, 1, &info), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_vend_info(rig.m, 0, &info), CV_E_NOT_FOUND);
	uint32_t a = rig_vend_ok(0);
	cr_assert_eq(cv_machine_vend_info(rig.m, a, &info), CV_OK);
	cr_assert_eq(cv_machine_vend_info(rig.m, a + 1, &info), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_vend_info(rig.m, 12345, &info), CV_E_NOT_FOUND);
}

Test(engine, events_carry_the_time_of_their_step)
{
	rig_step(1234);
	unsigned first = rig.event_count;
	uint32_t n = rig_select(0);
	cr_assert_gt(rig.event_count, first);
	for (unsigned i = first; i < rig.event_count; i++)
		cr_assert_eq(rig.events[i].time_ms, 1234, "event %u (%s)", i, cv_event_type_str(rig.events[i].type));
	rig_step(766);
	first = rig.event_count;
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_gt(rig.event_count, first);
	for (unsigned i = first; i < rig.event_count; i++)
		cr_assert_eq(rig.events[i].time_ms, 2000, "event %u (%s)", i, cv_event_type_str(rig.events[i].type));
	rig_step(rig.config.timeouts.message_ms);
	const struct cv_event *last = &rig.events[rig.event_count - 1];
	cr_assert_eq(last->type, CV_EVENT_DISPLAY);
	cr_assert_eq(last->time_ms, 2000 + (uint64_t)rig.config.timeouts.message_ms);
}

/* cv_lane_config_check() names the lane, the field, the value and the limit. */
Test(engine, lane_config_errors_say_what_is_wrong)
{
	struct cv_lane_config c;
	char message[CV_LANE_MESSAGE_LEN];
	cv_lane_config_default(&c);
	strcpy(c.label, "B7");
	strcpy(c.product_name, "Twix");
	cr_assert_eq(cv_lane_config_check(&c, message, sizeof(message)), CV_OK);
	cr_assert_str_empty(message);
	c.capacity = CV_LANE_CAPACITY_MAX + 1;
	cr_assert_eq(cv_lane_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "lane B7: capacity 1001 is outside 1..1000");
	c.capacity = 10;
	c.count = 11;
	cv_lane_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane B7: count 11 is above the capacity 10");
	c.count = 0;
	c.price_minor = CV_PRICE_MAX + 1;
	cv_lane_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane B7: price_minor 1000000001 is outside 0..1000000000");
	c.price_minor = 100;
	c.product_name[0] = '\0';
	cv_lane_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane B7: product_name length must be 1 to 31");
	strcpy(c.product_name, "Twix");
	c.verify_mode = (enum cv_verify_mode)3;
	cv_lane_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane B7: verify_mode 3 is outside 0..2");
	c.verify_mode = CV_VERIFY_MODE_REQUIRED;
	memset(c.label, 'X', sizeof(c.label)); /* not terminated: the lane is "?" */
	cv_lane_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane ?: label length must be 1 to 7");
	strcpy(c.label, "B7");
	c.product_name[0] = '\0';
	/* A short buffer gets the start, terminated; none at all is fine too. */
	char small[8];
	cr_assert_eq(cv_lane_config_check(&c, small, sizeof(small)), CV_E_INVAL);
	cr_assert_str_eq(small, "lane B7");
	cr_assert_eq(cv_lane_config_check(&c, NULL, 0), CV_E_INVAL);
	cr_assert_eq(cv_lane_config_check(NULL, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "no lane configuration given");
}

/* cv_machine_config_check() says what cv_machine_init() refuses. */
Test(engine, configuration_errors_say_what_is_wrong)
{
	struct cv_machine_config c = rig_config();
	char message[CV_MACHINE_ERRMSG_LEN];
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_OK);
	cr_assert_str_empty(message);
	c.lookup_attempts_max = 0;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "lookup_attempts_max 0 is outside 1..20");
	c = rig_config();
	c.checkpoint_records = 10;
	cv_machine_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "checkpoint_records 10 is neither 0 nor in 256..1000000");
	c = rig_config();
	struct cv_lane_config lanes[2];
	lanes[0] = rig.lanes[0];
	lanes[1] = rig.lanes[0];
	c.lanes = lanes;
	c.lane_count = 2;
	cv_machine_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane A1: label already used by lane 0");
	lanes[1].count = 99;
	cv_machine_config_check(&c, message, sizeof(message));
	cr_assert_str_eq(message, "lane A1: count 99 is above the capacity 10");
	c = rig_config();
	strcpy(c.currency, "ZZZ");
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "currency 'ZZZ' is not an ISO 4217 code with a minor unit");
	c = rig_config();
	c.timeouts.motor_ms = 0;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "timeouts.motor_ms 0 is not above 0");
	c = rig_config();
	c.timeouts.retry_cap_ms = 100;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "timeouts.retry_cap_ms 100 is below retry_base_ms 2000");
	c = rig_config();
	c.lanes = NULL;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "lanes must not be NULL");
	c = rig_config();
	c.payment = NULL;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "payment is NULL");
	static struct cv_payment_ops payment;
	c = rig_config();
	payment = *c.payment;
	payment.abi_version = 0;
	c.payment = &payment;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_VERSION);
	cr_assert_str_eq(message, "payment has abi_version 0 or is smaller than version 1");
	payment.abi_version = CV_BACKEND_ABI_VERSION;
	payment.capture = NULL;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "payment lacks a required method");
	c = rig_config();
	c.machine_id[0] = '\0';
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "machine_id length must be 1 to 31");
	c = rig_config();
	memset(c.merchant_location, 'X', sizeof(c.merchant_location)); /* not terminated */
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "merchant_location length must be 0 to 39");
	c = rig_config();
	c.settle_attempts_max = 1001;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "settle_attempts_max 1001 is outside 1..1000");
	c = rig_config();
	c.lane_count = CV_LANES_MAX + 1;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "lane_count 65 is outside 1..64");
	c = rig_config();
	c.timeouts.retry_base_ms = 0;
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "timeouts.retry_base_ms 0 is not above 0");
	c = rig_config();
	c.offline.max_count = 1; /* disabled, so every limit must be 0 */
	cr_assert_eq(cv_machine_config_check(&c, message, sizeof(message)), CV_E_INVAL);
	cr_assert_str_eq(message, "offline limits must be 0 when disabled, else set (max_amount_minor 1..1000000000)");
}

/* cv_machine_errmsg() explains the last service call, and is empty after one that succeeded. */
Test(engine, service_errors_say_what_is_wrong)
{
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 1), CV_E_STATE);
	cr_assert_str_eq(cv_machine_errmsg(rig.m), "not in service mode (call cv_machine_service_enter() first)");
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 1, 6), CV_E_INVAL);
	cr_assert_str_eq(cv_machine_errmsg(rig.m), "lane A2: refill of 6 would make 11, above the capacity 10");
	cr_assert_eq(cv_machine_lane_refill(rig.m, 1, 5), CV_OK);
	cr_assert_str_empty(cv_machine_errmsg(rig.m));
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 2, -1), CV_E_INVAL);
	cr_assert_str_eq(cv_machine_errmsg(rig.m), "lane A3: price_minor -1 is outside 1..1000000000");
	cr_assert_eq(cv_machine_lane_set_count(rig.m, RIG_LANES, 1), CV_E_NOT_FOUND);
	cr_assert_str_eq(cv_machine_errmsg(rig.m), "lane 4 does not exist: the machine has lanes 0..3");
	cr_assert_eq(cv_machine_lane_clear_quarantine(rig.m, 0), CV_E_STATE);
	cr_assert_str_eq(cv_machine_errmsg(rig.m), "lane A1: is not quarantined");
	struct cv_lane_config bad = rig.lanes[0];
	bad.capacity = 0;
	cr_assert_eq(cv_machine_lane_configure(rig.m, 0, &bad), CV_E_INVAL);
	cr_assert_str_eq(cv_machine_errmsg(rig.m), "lane A1: capacity 0 is outside 1..1000");
	cr_assert_str_empty(cv_machine_errmsg(NULL));
}
