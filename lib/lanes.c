/* SPDX-License-Identifier: MIT */
/* Lanes: validation, availability, inventory and the alerts they raise. */
#include "machine_private.h"

static bool cv_turns_valid(uint8_t quarter_turns)
{
	return quarter_turns >= 1 && quarter_turns <= 16;
}

/* "lane A1: <field> <value> <rule>" and CV_E_INVAL. */
static enum cv_status cv_lane_refuse(struct cv_message *msg, const struct cv_lane_config *c, const char *field,
				     int64_t value, const char *rule, int64_t limit)
{
	cv_message_text(msg, "lane ");
	cv_message_text(msg, cv_str_is_terminated(c->label, sizeof(c->label)) && c->label[0] != '\0' ? c->label : "?");
	cv_message_text(msg, ": ");
	cv_message_rule(msg, field, value, rule, limit);
	return CV_E_INVAL;
}

CV_EXPORT enum cv_status cv_lane_config_check(const struct cv_lane_config *c, char *message, size_t size)
{
	struct cv_message msg;
	cv_message_start(&msg, message, size);
	if (c == NULL) {
		cv_message_text(&msg, "no lane configuration given");
		return CV_E_INVAL;
	}
	if (!cv_str_is_terminated(c->label, sizeof(c->label)) || c->label[0] == '\0')
		return cv_lane_refuse(&msg, c, "label", CV_MESSAGE_NO_NUMBER, "must be 1 to ", CV_LANE_LABEL_LEN - 1);
	if (!cv_str_is_terminated(c->product_id, sizeof(c->product_id)))
		return cv_lane_refuse(&msg, c, "product_id", CV_MESSAGE_NO_NUMBER, "must be at most ", CV_PRODUCT_ID_LEN - 1);
	if (!cv_str_is_terminated(c->product_name, sizeof(c->product_name)) || c->product_name[0] == '\0')
		return cv_lane_refuse(&msg, c, "product_name", CV_MESSAGE_NO_NUMBER, "must be 1 to ", CV_PRODUCT_NAME_LEN - 1);
	if (c->price_minor < 0 || c->price_minor > CV_PRICE_MAX)
		return cv_lane_refuse(&msg, c, "price_minor", c->price_minor, "is outside 0..", CV_PRICE_MAX);
	if (c->capacity < 1 || c->capacity > CV_LANE_CAPACITY_MAX)
		return cv_lane_refuse(&msg, c, "capacity", c->capacity, "is outside 1..", CV_LANE_CAPACITY_MAX);
	if (c->count > c->capacity)
		return cv_lane_refuse(&msg, c, "count", c->count, "is above the capacity ", c->capacity);
	if (c->low_stock_threshold >= c->capacity)
		return cv_lane_refuse(&msg, c, "low_stock_threshold", c->low_stock_threshold,
				      "must be below the capacity ", c->capacity);
	if (c->verify_mode != CV_VERIFY_MODE_REQUIRED && c->verify_mode != CV_VERIFY_MODE_OPTIONAL &&
	    c->verify_mode != CV_VERIFY_MODE_OFF)
		return cv_lane_refuse(&msg, c, "verify_mode", (int64_t)c->verify_mode,
				      "is not a CV_VERIFY_MODE_* value", CV_MESSAGE_NO_NUMBER);
	if (!cv_turns_valid(c->vend_quarter_turns))
		return cv_lane_refuse(&msg, c, "vend_quarter_turns", c->vend_quarter_turns, "is outside 1..", 16);
	if (!cv_turns_valid(c->respin_quarter_turns))
		return cv_lane_refuse(&msg, c, "respin_quarter_turns", c->respin_quarter_turns, "is outside 1..", 16);
	if (c->respin_count_max > CV_RESPIN_MAX)
		return cv_lane_refuse(&msg, c, "respin_count_max", c->respin_count_max, "is above ", CV_RESPIN_MAX);
	if (c->quarantine_after_failures < 1)
		return cv_lane_refuse(&msg, c, "quarantine_after_failures", 0, "must be at least ", 1);
	return CV_OK;
}

enum cv_status cv_lane_config_validate(const struct cv_lane_config *c)
{
	return cv_lane_config_check(c, NULL, 0);
}

void cv_lane_init(struct cv_lane *lane, const struct cv_lane_config *config)
{
	memset(lane, 0, sizeof(*lane));
	lane->config = *config;
	lane->enabled = true;
}

enum cv_lane_availability cv_lane_availability(const struct cv_machine *m, const struct cv_lane *lane)
{
	if (lane->quarantined)
		return CV_LANE_QUARANTINED;
	if (!lane->enabled)
		return CV_LANE_DISABLED;
	if (lane->config.price_minor <= 0)
		return CV_LANE_NOT_PRICED;
	if (lane->config.count == 0)
		return CV_LANE_SOLD_OUT;
	if (m->sensor_faulted && lane->config.verify_mode == CV_VERIFY_MODE_REQUIRED)
		return CV_LANE_NO_SENSOR;
	return CV_LANE_AVAILABLE;
}

enum cv_status cv_lane_availability_status(enum cv_lane_availability availability)
{
	switch (availability) {
	case CV_LANE_AVAILABLE:
		return CV_OK;
	case CV_LANE_SOLD_OUT:
		return CV_E_SOLD_OUT;
	case CV_LANE_NOT_PRICED:
		return CV_E_NOT_PRICED;
	case CV_LANE_NO_SENSOR:
		return CV_E_SENSOR;
	case CV_LANE_DISABLED:
	case CV_LANE_QUARANTINED:
		break;
	}
	return CV_E_OUT_OF_SERVICE;
}

/* Journals a lane's mutable state so the journal alone can rebuild the
 * inventory (recovery replays it). */
void cv_lane_journal(struct cv_machine *m, uint16_t index)
{
	const struct cv_lane *lane = &m->lanes[index];
	struct cv_rec_lane_state rec = {
		.lane = index,
		.count = lane->config.count,
		.price_minor = lane->config.price_minor,
		.enabled = lane->enabled,
		.quarantined = lane->quarantined,
		.consecutive_failures = lane->consecutive_failures,
	};
	struct cv_journal_writer w;
	cv_journal_writer_init(&w);
	cv_rec_lane_state_put(&w, &rec);
	cv_journal_append(m, CV_JOURNAL_LANE_STATE, &w);
}

void cv_lane_journal_config(struct cv_machine *m, uint16_t lane, const struct cv_lane_config *c)
{
	struct cv_rec_lane_config rec = {.lane = lane, .config = *c};
	struct cv_journal_writer w;
	cv_journal_writer_init(&w);
	cv_rec_lane_config_put(&w, &rec);
	cv_journal_append(m, CV_JOURNAL_LANE_CONFIG, &w);
}

void cv_lane_changed(struct cv_machine *m, uint16_t index)
{
	struct cv_event ev = {.type = CV_EVENT_LANE_CHANGED};
	cv_lane_journal(m, index);
	ev.u.lane.lane = index;
	cv_machine_emit(m, &ev);
}

/* Low stock is raised once when the count falls to the threshold and
 * cleared only when a refill lifts it above; sold out likewise at zero. */
void cv_lane_update_stock_alerts(struct cv_machine *m, uint16_t index)
{
	struct cv_lane *lane = &m->lanes[index];
	bool sold_out = lane->config.count == 0;
	bool low = lane->config.low_stock_threshold > 0 &&
		   lane->config.count <= lane->config.low_stock_threshold;
	if (sold_out != lane->sold_out_alert_active) {
		lane->sold_out_alert_active = sold_out;
		cv_machine_raise_alert(m, CV_ALERT_SOLD_OUT, index, sold_out);
	}
	if (low != lane->low_alert_active) {
		lane->low_alert_active = low;
		cv_machine_raise_alert(m, CV_ALERT_LOW_STOCK, index, low);
	}
}

/* A verified drop: the only place stock goes down. */
void cv_lane_take_item(struct cv_machine *m, uint16_t index)
{
	struct cv_lane *lane = &m->lanes[index];
	/* Selection checked the count and only one vend dispenses at a time. */
	CV_ASSERT(lane->config.count > 0);
	lane->config.count--;
	lane->consecutive_failures = 0;
	lane->vends_verified++;
	cv_lane_update_stock_alerts(m, index);
	cv_lane_changed(m, index);
}

/* The jam alert follows the motor: raised on a jam or timeout, cleared by a
 * movement that reached home or by service clearing the lane. */
void cv_lane_set_jam(struct cv_machine *m, uint16_t index, bool jammed)
{
	struct cv_lane *lane = &m->lanes[index];
	if (lane->jam_alert_active == jammed)
		return;
	lane->jam_alert_active = jammed;
	cv_machine_raise_alert(m, CV_ALERT_MOTOR_JAM, index, jammed);
}

void cv_lane_record_failure(struct cv_machine *m, uint16_t index)
{
	struct cv_lane *lane = &m->lanes[index];
	lane->vends_failed++;
	if (lane->consecutive_failures < UINT8_MAX)
		lane->consecutive_failures++;
	if (!lane->quarantined && lane->consecutive_failures >= lane->config.quarantine_after_failures) {
		lane->quarantined = true;
		cv_machine_raise_alert(m, CV_ALERT_LANE_QUARANTINED, index, true);
	}
	cv_lane_changed(m, index);
}
