/* SPDX-License-Identifier: MIT */
/* Lanes: validation, availability, inventory and the alerts they raise. */
#include "machine_private.h"

/* What a lane rule's message shows after its text: "lane A1: <field>
 * [<value>] <rule>[<limit>]". */
enum cv_lane_limit {
	CV_LANE_LIMIT_MAX,      /* The rule's max. */
	CV_LANE_LIMIT_MIN,      /* The rule's min. */
	CV_LANE_LIMIT_NONE,     /* No limit. */
	CV_LANE_LIMIT_CAPACITY, /* The capacity, which max is added to. */
};

/* A text field: its length is checked, and the message shows no value. */
#define CV_LANE_TEXT 0

/* One rule of a valid lane configuration: a field within min..max. */
struct cv_lane_rule {
	const char *field;
	const char *rule;
	int32_t max;
	uint8_t min;
	uint8_t limit;  /* enum cv_lane_limit. */
	uint8_t offset; /* Of the field in struct cv_lane_config. */
	uint8_t size;   /* CV_LANE_TEXT (a string of max + 1 bytes); 1, 2 or 4: unsigned; 8: int64_t. */
};

#define CV_LANE_FIELD(name)                                              \
	.field = #name, .offset = offsetof(struct cv_lane_config, name), \
	.size = sizeof(((struct cv_lane_config *)0)->name)
#define CV_LANE_STRING(name) .field = #name, .offset = offsetof(struct cv_lane_config, name), .size = CV_LANE_TEXT

/* In the order they are checked: the first one broken is reported. */
static const struct cv_lane_rule cv_lane_rules[] = {
	{CV_LANE_STRING(label), .min = 1, .max = CV_LANE_LABEL_LEN - 1, .rule = "length must be 1 to "},
	{CV_LANE_STRING(product_id), .min = 0, .max = CV_PRODUCT_ID_LEN - 1, .rule = "length must be at most "},
	{CV_LANE_STRING(product_name), .min = 1, .max = CV_PRODUCT_NAME_LEN - 1, .rule = "length must be 1 to "},
	{CV_LANE_FIELD(price_minor), .min = 0, .max = CV_PRICE_MAX, .rule = "is outside 0.."},
	{CV_LANE_FIELD(capacity), .min = 1, .max = CV_LANE_CAPACITY_MAX, .rule = "is outside 1.."},
	{CV_LANE_FIELD(count), .min = 0, .max = 0, .limit = CV_LANE_LIMIT_CAPACITY, .rule = "is above the capacity "},
	{CV_LANE_FIELD(low_stock_threshold), .min = 0, .max = -1, .limit = CV_LANE_LIMIT_CAPACITY,
	 .rule = "must be below the capacity "},
	{CV_LANE_FIELD(verify_mode), .min = CV_VERIFY_MODE_REQUIRED, .max = CV_VERIFY_MODE_OFF,
	 .limit = CV_LANE_LIMIT_NONE, .rule = "is not a CV_VERIFY_MODE_* value"},
	{CV_LANE_FIELD(vend_quarter_turns), .min = 1, .max = 16, .rule = "is outside 1.."},
	{CV_LANE_FIELD(respin_quarter_turns), .min = 1, .max = 16, .rule = "is outside 1.."},
	{CV_LANE_FIELD(respin_count_max), .min = 0, .max = CV_RESPIN_MAX, .rule = "is above "},
	{CV_LANE_FIELD(quarantine_after_failures), .min = 1, .max = UINT8_MAX, .limit = CV_LANE_LIMIT_MIN,
	 .rule = "must be at least "},
};

/* The field's value, or a text's length (max + 1 if it is not terminated). */
static int64_t cv_lane_field_value(const struct cv_lane_config *c, const struct cv_lane_rule *rule)
{
	const uint8_t *p = (const uint8_t *)c + rule->offset;
	if (rule->size == CV_LANE_TEXT) {
		const uint8_t *end = memchr(p, '\0', (size_t)rule->max + 1);
		return end != NULL ? end - p : rule->max + 1;
	}
	return (int64_t)cv_uint_load(p, rule->size); /* An int64_t is stored in two's complement. */
}

/* "lane A1: <field> <value> <rule><limit>" and CV_E_INVAL. */
static enum cv_status cv_lane_refuse(struct cv_message *msg, const struct cv_lane_config *c,
				     const struct cv_lane_rule *rule, int64_t value)
{
	int64_t limit = rule->max;
	if (rule->limit == CV_LANE_LIMIT_MIN)
		limit = rule->min;
	else if (rule->limit == CV_LANE_LIMIT_NONE)
		limit = CV_MESSAGE_NO_NUMBER;
	else if (rule->limit == CV_LANE_LIMIT_CAPACITY)
		limit = c->capacity;
	cv_message_text(msg, "lane ");
	cv_message_text(msg, cv_str_is_terminated(c->label, sizeof(c->label)) && c->label[0] != '\0' ? c->label : "?");
	cv_message_text(msg, ": ");
	cv_message_rule(msg, rule->field, rule->size == CV_LANE_TEXT ? CV_MESSAGE_NO_NUMBER : value, rule->rule, limit);
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
	for (size_t i = 0; i < CV_ARRAY_COUNT(cv_lane_rules); i++) {
		const struct cv_lane_rule *rule = &cv_lane_rules[i];
		int64_t value = cv_lane_field_value(c, rule);
		int64_t max = rule->max + (rule->limit == CV_LANE_LIMIT_CAPACITY ? c->capacity : 0);
		if (value < rule->min || value > max)
			return cv_lane_refuse(&msg, c, rule, value);
	}
	return CV_OK;
}

enum cv_status cv_lane_config_validate(const struct cv_lane_config *c)
{
	return cv_lane_config_check(c, NULL, 0);
}

/* On a zeroed lane (cv_machine_init clears the whole machine first). */
void cv_lane_init(struct cv_lane *lane, const struct cv_lane_config *config)
{
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
	CV_REC_APPEND(m, &rec);
}

void cv_lane_journal_config(struct cv_machine *m, uint16_t lane, const struct cv_lane_config *c)
{
	struct cv_rec_lane_config rec = {.lane = lane, .config = *c};
	CV_REC_APPEND(m, &rec);
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
