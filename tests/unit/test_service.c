/* SPDX-License-Identifier: MIT */
/* Lanes and service mode: stock alerts, refills, prices, enabling, lane
 * configuration, availability and the menu. */
#include <criterion/criterion.h>
#include <string.h>

#include "rig.h"

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(service, .init = start, .fini = rig_teardown);

/* Restarts the rig after the test changed rig.lanes or rig.config. */
static void restart(void)
{
	rig_teardown();
	struct cv_lane_config lanes[RIG_LANES];
	memcpy(lanes, rig.lanes, sizeof(lanes));
	struct cv_machine_config config = rig.config;
	rig_setup();
	memcpy(rig.lanes, lanes, sizeof(lanes));
	config.lanes = rig.lanes;
	rig.config = config;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

static void enter_service(void)
{
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	cr_assert(cv_machine_in_service(rig.m));
}

static void exit_service(void)
{
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	cr_assert_not(cv_machine_in_service(rig.m));
	rig_step(0);
}

/* Sells one item from a lane and lets its final message expire. */
static void sell(uint16_t lane)
{
	rig_vend_ok(lane);
	rig_step(rig.config.timeouts.message_ms);
}

static struct cv_menu_item menu_item(uint16_t lane)
{
	struct cv_menu_item items[RIG_LANES];
	size_t count = 0;
	cr_assert_eq(cv_machine_menu(rig.m, items, RIG_LANES, &count), CV_OK);
	cr_assert_eq(count, RIG_LANES);
	cr_assert_lt(lane, count);
	cr_assert_eq(items[lane].lane, lane);
	return items[lane];
}

Test(service, low_stock_is_raised_once_and_cleared_only_above_the_threshold)
{
	rig.lanes[0].count = 3;
	rig.lanes[0].low_stock_threshold = 2;
	restart();
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, true), 0, "3 is above the threshold");
	sell(0);
	cr_assert_eq(rig_lane(0).config.count, 2);
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, true), 1, "raised when the count falls to the threshold");
	sell(0);
	cr_assert_eq(rig_lane(0).config.count, 1);
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, true), 1, "not repeated on the next sale");
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, false), 0);
	enter_service();
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 1), CV_OK);
	cr_assert_eq(rig_lane(0).config.count, 2);
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, false), 0, "still at the threshold");
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 5), CV_OK);
	cr_assert_eq(rig_lane(0).config.count, 7);
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, false), 1);
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 0, true), 1);
	/* Other lanes were never concerned. */
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 1, true), 0);
}

Test(service, sold_out_lane_refuses_until_refilled)
{
	rig.lanes[0].count = 1;
	rig.lanes[0].low_stock_threshold = 0;
	restart();
	sell(0);
	cr_assert_eq(rig_lane(0).config.count, 0);
	cr_assert_eq(rig_lane(0).availability, CV_LANE_SOLD_OUT);
	cr_assert_eq(rig_alerts(CV_ALERT_SOLD_OUT, 0, true), 1);
	cr_assert_eq(menu_item(0).availability, CV_LANE_SOLD_OUT);
	unsigned payments = rig.payment_count;
	cr_assert_eq(cv_machine_select(rig.m, 0, NULL), CV_E_SOLD_OUT);
	cr_assert_eq(rig_msg(), CV_MSG_SOLD_OUT);
	rig_step(0);
	cr_assert_eq(rig.payment_count, payments);
	cr_assert_eq(cv_machine_open_vends(rig.m), 0);
	/* The message goes away by itself. */
	rig_step(rig.config.timeouts.message_ms);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);

	enter_service();
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 3), CV_OK);
	cr_assert_eq(rig_lane(0).config.count, 3);
	cr_assert_eq(rig_alerts(CV_ALERT_SOLD_OUT, 0, false), 1);
	exit_service();
	cr_assert_eq(rig_lane(0).availability, CV_LANE_AVAILABLE);
	sell(0);
	cr_assert_eq(rig_lane(0).config.count, 2);
	cr_assert_eq(rig_alerts(CV_ALERT_SOLD_OUT, 0, true), 1);
}

Test(service, refill_needs_service_mode_and_a_sane_amount)
{
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 1), CV_E_STATE);
	cr_assert_eq(cv_machine_lane_set_count(rig.m, 0, 1), CV_E_STATE);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, 200), CV_E_STATE);
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 0, false), CV_E_STATE);
	cr_assert_eq(rig_lane(0).config.count, 5);
	cr_assert_eq(rig_lane(0).config.price_minor, 150);
	cr_assert(rig_lane(0).enabled);
	enter_service();
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 6), CV_E_INVAL, "5 + 6 > capacity 10");
	cr_assert_eq(rig_lane(0).config.count, 5);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 0), CV_E_INVAL);
	cr_assert_eq(rig_lane(0).config.count, 5);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 5), CV_OK, "exactly to capacity");
	cr_assert_eq(rig_lane(0).config.count, 10);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 1), CV_E_INVAL);
	cr_assert_eq(rig_lane(0).config.count, 10);
}

Test(service, set_count_is_bounded_by_the_capacity)
{
	enter_service();
	cr_assert_eq(cv_machine_lane_set_count(rig.m, 1, 11), CV_E_INVAL);
	cr_assert_eq(rig_lane(1).config.count, 5);
	cr_assert_eq(cv_machine_lane_set_count(rig.m, 1, 10), CV_OK);
	cr_assert_eq(rig_lane(1).config.count, 10);
	cr_assert_eq(cv_machine_lane_set_count(rig.m, 1, 0), CV_OK);
	cr_assert_eq(rig_lane(1).config.count, 0);
	cr_assert_eq(rig_lane(1).availability, CV_LANE_SOLD_OUT);
	cr_assert_eq(rig_alerts(CV_ALERT_SOLD_OUT, 1, true), 1);
	cr_assert_eq(rig_alerts(CV_ALERT_LOW_STOCK, 1, true), 1);
}

Test(service, price_must_be_positive_and_shows_in_the_menu)
{
	enter_service();
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 2, 0), CV_E_INVAL);
	cr_assert_eq(rig_lane(2).config.price_minor, 150);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 2, -5), CV_E_INVAL);
	cr_assert_eq(rig_lane(2).config.price_minor, 150);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 2, 275), CV_OK);
	cr_assert_eq(rig_lane(2).config.price_minor, 275);
	struct cv_menu_item item = menu_item(2);
	cr_assert_eq(item.price.amount_minor, 275);
	cr_assert_str_eq(item.price.currency, "USD");
	cr_assert_eq(item.availability, CV_LANE_AVAILABLE);
	cr_assert_eq(menu_item(1).price.amount_minor, 150, "other lanes keep their price");
	exit_service();
	uint32_t n = rig_vend_ok(2);
	cr_assert_eq(rig_vend(n).price.amount_minor, 275);
	cr_assert_eq(rig.payments[0].amount.amount_minor, 275);
	cr_assert_eq(rig_stats().captured_minor, 275);
}

Test(service, a_price_change_does_not_touch_a_vend_already_started)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	enter_service(); /* The customer's part is over: service may start. */
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, 999), CV_OK);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(rig.payments[1].amount.amount_minor, 150);
	cr_assert_eq(rig_last_receipt()->amount.amount_minor, 150);
}

Test(service, disabled_lane_is_out_of_service)
{
	enter_service();
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 3, false), CV_OK);
	exit_service();
	struct cv_lane_info l = rig_lane(3);
	cr_assert_not(l.enabled);
	cr_assert_eq(l.availability, CV_LANE_DISABLED);
	cr_assert_eq(menu_item(3).availability, CV_LANE_DISABLED);
	cr_assert_eq(cv_machine_select(rig.m, 3, NULL), CV_E_OUT_OF_SERVICE);
	cr_assert_eq(rig_msg(), CV_MSG_UNAVAILABLE);
	rig_step(0);
	cr_assert_eq(rig.payment_count, 0);
	enter_service();
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 3, true), CV_OK);
	exit_service();
	cr_assert_eq(rig_lane(3).availability, CV_LANE_AVAILABLE);
	rig_step(rig.config.timeouts.message_ms);
	rig_vend_ok(3);
}

Test(service, service_mode_waits_for_the_customer)
{
	uint32_t n = rig_select(1);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_E_BUSY);
	cr_assert_not(cv_machine_in_service(rig.m));
	rig_pay(CV_PAY_OK);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_E_BUSY, "the motor is about to run");
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK, "settlement goes on without the customer");
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK, "entering twice is fine");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert(cv_machine_in_service(rig.m));
}

Test(service, no_selling_in_service_mode)
{
	enter_service();
	rig_step(0);
	cr_assert_eq(rig_msg(), CV_MSG_SERVICE_MODE);
	cr_assert_eq(cv_machine_select(rig.m, 0, NULL), CV_E_STATE);
	rig_step(0);
	cr_assert_eq(rig_msg(), CV_MSG_SERVICE_MODE);
	cr_assert_eq(rig.payment_count, 0);
	cr_assert_eq(cv_machine_open_vends(rig.m), 0);
	cr_assert_eq(rig_stats().vends_started, 0);
	exit_service();
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_E_STATE, "not in service any more");
}

Test(service, service_exit_outside_service_is_refused)
{
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_E_STATE);
	cr_assert_not(cv_machine_in_service(rig.m));
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
}

Test(service, lane_configure_validates_and_replaces_the_entry)
{
	enter_service();
	struct cv_lane_config c = rig_lane(1).config;
	strcpy(c.label, "A3"); /* lane 2's label */
	strcpy(c.product_name, "Sour Worms");
	unsigned events = rig.event_count;
	cr_assert_eq(cv_machine_lane_configure(rig.m, 1, &c), CV_E_INVAL);
	cr_assert_str_eq(rig_lane(1).config.label, "A2");
	cr_assert_str_eq(rig_lane(1).config.product_name, "Gummy Bears");
	cr_assert_eq(rig.event_count, events, "a refused change emits nothing");
	/* Invalid entries are refused too. */
	c = rig_lane(1).config;
	c.count = (uint16_t)(c.capacity + 1);
	cr_assert_eq(cv_machine_lane_configure(rig.m, 1, &c), CV_E_INVAL);
	cr_assert_eq(rig_lane(1).config.count, 5);
	/* Keeping its own label is fine. */
	c = rig_lane(1).config;
	strcpy(c.product_name, "Sour Worms");
	strcpy(c.product_id, "SKU-9");
	c.price_minor = 199;
	cr_assert_eq(cv_machine_lane_configure(rig.m, 1, &c), CV_OK);
	struct cv_lane_info l = rig_lane(1);
	cr_assert_str_eq(l.config.label, "A2");
	cr_assert_str_eq(l.config.product_name, "Sour Worms");
	cr_assert_str_eq(l.config.product_id, "SKU-9");
	cr_assert_eq(l.config.price_minor, 199);
	cr_assert_str_eq(menu_item(1).product_name, "Sour Worms");
	cr_assert_str_eq(rig_lane(0).config.product_name, "Gummy Bears");
	cr_assert_eq(cv_machine_lane_configure(rig.m, 1, NULL), CV_E_INVAL);
	exit_service();
	rig_vend_ok(1);
	cr_assert_str_eq(rig_last_receipt()->product_name, "Sour Worms");
}

Test(service, clear_quarantine_of_a_healthy_lane_is_refused)
{
	enter_service();
	cr_assert_eq(cv_machine_lane_clear_quarantine(rig.m, 0), CV_E_STATE);
	cr_assert_eq(rig_alerts(CV_ALERT_LANE_QUARANTINED, 0, false), 0);
	cr_assert_eq(rig_lane(0).availability, CV_LANE_AVAILABLE);
}

Test(service, unknown_lanes_are_not_found)
{
	struct cv_lane_info info;
	cr_assert_eq(cv_machine_select(rig.m, 99, NULL), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_select(rig.m, RIG_LANES, NULL), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_info(rig.m, 99, &info), CV_E_NOT_FOUND);
	enter_service();
	cr_assert_eq(cv_machine_lane_refill(rig.m, 99, 1), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 99, 100), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_set_count(rig.m, 99, 1), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 99, false), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_clear_quarantine(rig.m, 99), CV_E_NOT_FOUND);
	struct cv_lane_config c = rig_lane(0).config;
	strcpy(c.label, "Z9");
	cr_assert_eq(cv_machine_lane_configure(rig.m, 99, &c), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_count(rig.m), RIG_LANES);
}

Test(service, an_unpriced_lane_is_not_sold)
{
	rig.lanes[1].price_minor = 0;
	restart();
	cr_assert_eq(rig_lane(1).availability, CV_LANE_NOT_PRICED);
	cr_assert_eq(menu_item(1).availability, CV_LANE_NOT_PRICED);
	cr_assert_eq(cv_machine_select(rig.m, 1, NULL), CV_E_NOT_PRICED);
	cr_assert_eq(rig_msg(), CV_MSG_UNAVAILABLE);
	rig_step(0);
	cr_assert_eq(rig.payment_count, 0);
	cr_assert_eq(rig_stats().vends_started, 0);
	/* Pricing it in service makes it sellable. */
	enter_service();
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 1, 125), CV_OK);
	exit_service();
	cr_assert_eq(menu_item(1).availability, CV_LANE_AVAILABLE);
	rig_vend_ok(1);
	cr_assert_eq(rig.payments[0].amount.amount_minor, 125);
}

Test(service, menu_needs_room_for_every_lane)
{
	struct cv_menu_item items[RIG_LANES];
	memset(items, 0xA5, sizeof(items));
	size_t count = 1234;
	cr_assert_eq(cv_machine_menu(rig.m, items, RIG_LANES - 1, &count), CV_E_FULL);
	cr_assert_eq(count, 1234, "nothing written");
	cr_assert_eq(((unsigned char *)items)[0], 0xA5, "nothing written");
	cr_assert_eq(cv_machine_menu(rig.m, items, RIG_LANES, &count), CV_OK);
	cr_assert_eq(count, RIG_LANES);
	for (uint16_t i = 0; i < RIG_LANES; i++) {
		cr_assert_eq(items[i].lane, i);
		cr_assert_str_eq(items[i].label, rig.lanes[i].label);
		cr_assert_str_eq(items[i].product_name, "Gummy Bears");
		cr_assert_eq(items[i].price.amount_minor, 150);
		cr_assert_eq(items[i].availability, CV_LANE_AVAILABLE);
	}
}

Test(service, lanes_are_found_by_label)
{
	uint16_t lane = 0xffff;
	cr_assert_eq(cv_machine_lane_find(rig.m, "A3", &lane), CV_OK);
	cr_assert_eq(lane, 2);
	cr_assert_eq(cv_machine_lane_find(rig.m, "A1", &lane), CV_OK);
	cr_assert_eq(lane, 0);
	lane = 77;
	cr_assert_eq(cv_machine_lane_find(rig.m, "a1", &lane), CV_E_NOT_FOUND, "labels are case-sensitive");
	cr_assert_eq(cv_machine_lane_find(rig.m, "B1", &lane), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_lane_find(rig.m, "", &lane), CV_E_NOT_FOUND);
	cr_assert_eq(lane, 77, "untouched when not found");
	/* A relabelled lane is found by its new label only. */
	enter_service();
	struct cv_lane_config c = rig_lane(3).config;
	strcpy(c.label, "B7");
	cr_assert_eq(cv_machine_lane_configure(rig.m, 3, &c), CV_OK);
	cr_assert_eq(cv_machine_lane_find(rig.m, "B7", &lane), CV_OK);
	cr_assert_eq(lane, 3);
	cr_assert_eq(cv_machine_lane_find(rig.m, "A4", &lane), CV_E_NOT_FOUND);
}

/* Every refused call leaves no trace: no journal record, no event, no change. */
Test(service, refused_calls_change_nothing_at_all)
{
	struct cv_lane_config bad;
	cv_lane_config_default(&bad);
	strcpy(bad.label, "A2"); /* Duplicate of lane 1's label. */
	strcpy(bad.product_name, "Fudge");
	bad.price_minor = 100;
	struct cv_lane_info before = rig_lane(0);
	size_t journal = rig.storage.length;
	unsigned events = rig.event_count;

	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 1), CV_E_STATE, "not in service mode");
	cr_assert_eq(cv_machine_select(rig.m, 99, NULL), CV_E_NOT_FOUND);
	cr_assert_eq(cv_machine_cancel(rig.m), CV_E_STATE);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_E_STATE);
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	journal = rig.storage.length;
	events = rig.event_count;
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 0), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 6), CV_E_INVAL, "5 + 6 > capacity 10");
	cr_assert_eq(cv_machine_lane_set_count(rig.m, 0, 11), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, 0), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_set_price(rig.m, 0, -150), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_configure(rig.m, 0, &bad), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_configure(rig.m, 0, NULL), CV_E_INVAL);
	cr_assert_eq(cv_machine_lane_clear_quarantine(rig.m, 0), CV_E_STATE);
	cr_assert_eq(cv_machine_lane_set_enabled(rig.m, 99, false), CV_E_NOT_FOUND);
	cr_assert_eq(rig.storage.length, journal, "a refused call wrote to the journal");
	cr_assert_eq(rig.event_count, events, "a refused call emitted an event");
	struct cv_lane_info after = rig_lane(0);
	cr_assert_eq(after.config.count, before.config.count);
	cr_assert_eq(after.config.price_minor, before.config.price_minor);
	cr_assert_eq(after.config.capacity, before.config.capacity);
	cr_assert_str_eq(after.config.label, before.config.label);
	cr_assert_str_eq(after.config.product_name, before.config.product_name);
	cr_assert_eq(after.enabled, before.enabled);
	cr_assert_eq(after.quarantined, before.quarantined);
}
