/* SPDX-License-Identifier: MIT */
/* Lanes: validation, availability, inventory and the alerts they raise. */
#include "machine_private.h"

/* In the order they are checked: the first one broken is reported. */
static const struct cv_rule cv_lane_rules[] = {
	{CV_RULE_TEXT(struct cv_lane_config, label, 1)},
	{CV_RULE_TEXT(struct cv_lane_config, product_id, 0)},
	{CV_RULE_TEXT(struct cv_lane_config, product_name, 1)},
	{CV_RULE_FIELD(struct cv_lane_config, price_minor), .min = 0, .max = CV_PRICE_MAX},
	{CV_RULE_FIELD(struct cv_lane_config, capacity), .min = 1, .max = CV_LANE_CAPACITY_MAX},
	{CV_RULE_FIELD(struct cv_lane_config, count), .kind = CV_RULE_CAPACITY, .max = 0},
	{CV_RULE_FIELD(struct cv_lane_config, low_stock_threshold), .kind = CV_RULE_BELOW_CAPACITY, .max = -1},
	{CV_RULE_FIELD(struct cv_lane_config, verify_mode), .min = CV_VERIFY_MODE_REQUIRED, .max = CV_VERIFY_MODE_OFF},
	{CV_RULE_FIELD(struct cv_lane_config, vend_quarter_turns), .min = 1, .max = 16},
	{CV_RULE_FIELD(struct cv_lane_config, respin_quarter_turns), .min = 1, .max = 16},
	{CV_RULE_FIELD(struct cv_lane_config, respin_count_max), .min = 0, .max = CV_RESPIN_MAX},
	{CV_RULE_FIELD(struct cv_lane_config, quarantine_after_failures), .min = 1, .max = UINT8_MAX},
};

/* What a rule's message says after the field (and its value). */
static const char *const cv_rule_texts[] = {
	[CV_RULE_RANGE] = "is outside ",
	[CV_RULE_LENGTH] = "length must be ",
	[CV_RULE_CAPACITY] = "is above the capacity ",
	[CV_RULE_BELOW_CAPACITY] = "must be below the capacity ",
};

/* The field's value, or a text's length (max + 1 if it is not terminated). */
static int64_t cv_rule_value(const struct cv_rule *rule, const void *object)
{
	const uint8_t *p = (const uint8_t *)object + rule->offset;
	if (rule->kind == CV_RULE_LENGTH) {
		const uint8_t *end = memchr(p, '\0', (size_t)rule->max + 1);
		return end != NULL ? end - p : rule->max + 1;
	}
	return (int64_t)cv_uint_load(p, rule->size); /* An int64_t is stored in two's complement. */
}

/* "<field> [<value>] <text><min>..<max>" (" to " for a length), or
 * "<field> <value> <text><capacity>", and CV_E_INVAL. */
static enum cv_status cv_rule_refuse(struct cv_message *msg, const struct cv_rule *rule, int64_t value,
				     int64_t capacity)
{
	bool range = rule->kind <= CV_RULE_LENGTH;
	cv_message_rule(msg, rule->field, rule->kind == CV_RULE_LENGTH ? CV_MESSAGE_NO_NUMBER : value,
			cv_rule_texts[rule->kind], range ? rule->min : capacity);
	if (range) {
		cv_message_text(msg, rule->kind == CV_RULE_LENGTH ? " to " : "..");
		cv_message_int(msg, rule->max);
	}
	return CV_E_INVAL;
}

enum cv_status cv_rules_check(struct cv_message *msg, const struct cv_rule *rules, size_t count, const void *object,
			      const char *lane)
{
	for (const struct cv_rule *rule = rules; rule < rules + count; rule++) {
		int64_t value = cv_rule_value(rule, object);
		int64_t capacity = 0;
		/* Only lane rules are relative to the capacity. */
		if (rule->kind >= CV_RULE_CAPACITY)
			capacity = ((const struct cv_lane_config *)object)->capacity;
		if (value < rule->min || value > rule->max + capacity) {
			if (lane != NULL) {
				cv_message_text(msg, "lane ");
				cv_message_text(msg, lane);
				cv_message_text(msg, ": ");
			}
			return cv_rule_refuse(msg, rule, value, capacity);
		}
	}
	return CV_OK;
}

CV_EXPORT enum cv_status cv_lane_config_check(const struct cv_lane_config *c, char *message, size_t size)
{
	struct cv_message msg;
	cv_message_start(&msg, message, size);
	if (c == NULL) {
		cv_message_text(&msg, "no lane configuration given");
		return CV_E_INVAL;
	}
	const char *label = cv_str_is_terminated(c->label, sizeof(c->label)) && c->label[0] != '\0' ? c->label : "?";
	return cv_rules_check(&msg, cv_lane_rules, CV_ARRAY_COUNT(cv_lane_rules), c, label);
}

enum cv_status cv_lane_config_validate(const struct cv_lane_config *c)
{
	return cv_lane_config_check(c, NULL, 0);
}

/* On a zeroed lane (cv_machine_init clears the whole machine first). */
void cv_lane_init(struct cv_lane *lane, uint16_t index, const struct cv_lane_config *config)
{
	lane->config = *config;
	lane->index = index;
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
	CV_REC_APPEND(m, &m->lanes[index]);
}

void cv_lane_journal_config(struct cv_machine *m, uint16_t index)
{
	cv_rec_append(m, CV_JOURNAL_LANE_CONFIG, &m->lanes[index]);
}

void cv_lane_changed(struct cv_machine *m, uint16_t index)
{
	struct cv_event ev;
	cv_event_start(&ev, CV_EVENT_LANE_CHANGED);
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
	bool low = lane->config.low_stock_threshold > 0 && lane->config.count <= lane->config.low_stock_threshold;
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
