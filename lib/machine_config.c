/* SPDX-License-Identifier: MIT */
/* Machine configuration: defaults and validation of everything before init. */
#include "machine_private.h"

CV_EXPORT void cv_machine_config_default(struct cv_machine_config *config)
{
	memset(config, 0, sizeof(*config));
	cv_str_copy(config->machine_id, sizeof(config->machine_id), "cv-machine");
	cv_str_copy(config->currency, sizeof(config->currency), "USD");
	config->timeouts.payment_ms = 30000;
	config->timeouts.lookup_ms = 10000;
	config->timeouts.settle_ms = 15000;
	config->timeouts.motor_ms = 5000;
	config->timeouts.verify_ms = 3000;
	config->timeouts.session_ms = 30000;
	config->timeouts.retry_base_ms = 2000;
	config->timeouts.retry_cap_ms = 300000;
	config->timeouts.message_ms = 5000;
	config->timeouts.sync_ms = 10000;
	config->timeouts.flush_ms = 1000;
	config->lookup_attempts_max = 3;
	config->settle_attempts_max = 20;
	config->checkpoint_records = 4096;
}

/* A backend table's slot: the offset of a pointer member in pointers. */
#define CV_SLOT(type, member) (offsetof(type, member) / sizeof(void *))
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "methods and tables take the same slots");

/* A required method of a backend table, as a bit of its slot (a slot past
 * 15 does not fit the mask and does not compile: -Woverflow). */
#define CV_METHOD(type, member) (1u << CV_SLOT(type, member))

/* What every backend table must have: where the configuration keeps it
 * (a slot of struct cv_machine_config), its version-1 size and the methods
 * the engine cannot do without (a mask of slots). Members appended after
 * version 1 are optional by construction. */
struct cv_backend_rule {
	char name[10]; /* The member's name: "dispenser" and its NUL at most. */
	uint8_t ops;
	uint8_t v1_size;
	uint16_t methods;
};

#define CV_BACKEND(member) .name = #member, .ops = CV_SLOT(struct cv_machine_config, member)

static const struct cv_backend_rule cv_backend_rules[] = {
	{CV_BACKEND(platform), CV_PLATFORM_OPS_V1_SIZE, CV_METHOD(struct cv_platform_ops, random_bytes)},
	{CV_BACKEND(dispenser), CV_DISPENSER_OPS_V1_SIZE,
	 CV_METHOD(struct cv_dispenser_ops, open) | CV_METHOD(struct cv_dispenser_ops, start)},
	{CV_BACKEND(sensor), CV_SENSOR_OPS_V1_SIZE,
	 CV_METHOD(struct cv_sensor_ops, open) | CV_METHOD(struct cv_sensor_ops, arm) |
		 CV_METHOD(struct cv_sensor_ops, disarm)},
	{CV_BACKEND(payment), CV_PAYMENT_OPS_V1_SIZE,
	 CV_METHOD(struct cv_payment_ops, open) | CV_METHOD(struct cv_payment_ops, authorize) |
		 CV_METHOD(struct cv_payment_ops, capture) | CV_METHOD(struct cv_payment_ops, void_auth) |
		 CV_METHOD(struct cv_payment_ops, lookup)},
	{CV_BACKEND(storage), CV_STORAGE_OPS_V1_SIZE,
	 CV_METHOD(struct cv_storage_ops, open) | CV_METHOD(struct cv_storage_ops, append) |
		 CV_METHOD(struct cv_storage_ops, sync)},
};

/* "<what>" and the status. */
static enum cv_status cv_config_refuse(struct cv_message *msg, enum cv_status rc, const char *what)
{
	cv_message_text(msg, what);
	return rc;
}

/* "<field> <value> <rule><limit>" and CV_E_INVAL. */
static enum cv_status cv_config_refuse_value(struct cv_message *msg, const char *field, int64_t value, const char *rule,
					     int64_t limit)
{
	cv_message_rule(msg, field, value, rule, limit);
	return CV_E_INVAL;
}

/* The checks of cv_backend_passes() in the order they are made, each over
 * every table, and what the message says of the first table to fail one. */
enum cv_backend_check { CV_BACKEND_PRESENT, CV_BACKEND_VERSION_1, CV_BACKEND_METHODS, CV_BACKEND_CHECKS };
static const char *const cv_backend_faults[] = {
	[CV_BACKEND_PRESENT] = " is NULL",
	[CV_BACKEND_VERSION_1] = " has abi_version 0 or is smaller than version 1",
	[CV_BACKEND_METHODS] = " lacks a required method",
};

static bool cv_backend_passes(const struct cv_machine_config *c, const struct cv_backend_rule *rule,
			      enum cv_backend_check check)
{
	const void *ops;
	memcpy(&ops, (const char *)c + rule->ops * sizeof(ops), sizeof(ops));
	if (check == CV_BACKEND_PRESENT)
		return ops != NULL;
	/* Every table starts with abi_version and struct_size. */
	const uint32_t *header = ops;
	if (check == CV_BACKEND_VERSION_1)
		return header[0] >= 1 && header[1] >= rule->v1_size;
	for (unsigned methods = rule->methods, slot = 0; methods != 0; methods >>= 1, slot++) {
		void (*method)(void);
		memcpy(&method, (const char *)ops + slot * sizeof(method), sizeof(method));
		if ((methods & 1) && method == NULL)
			return false;
	}
	return true;
}

static enum cv_status cv_backends_validate(const struct cv_machine_config *c, struct cv_message *msg)
{
	for (unsigned check = 0; check < CV_BACKEND_CHECKS; check++) {
		for (size_t i = 0; i < CV_ARRAY_COUNT(cv_backend_rules); i++) {
			if (!cv_backend_passes(c, &cv_backend_rules[i], check)) {
				cv_message_text(msg, cv_backend_rules[i].name);
				return cv_config_refuse(msg, check == CV_BACKEND_VERSION_1 ? CV_E_VERSION : CV_E_INVAL,
							cv_backend_faults[check]);
			}
		}
	}
	/* What the backends' capabilities rule out is checked once they are
	 * open (cv_machine_init): caps() is called only then. */
	return CV_OK;
}

/* The timeouts' names in the order of struct cv_timeouts, one after the
 * other (a table of pointers would take 44 bytes more). */
static const char cv_timeout_names[] = "payment_ms\0lookup_ms\0settle_ms\0motor_ms\0verify_ms\0session_ms\0"
				       "retry_base_ms\0retry_cap_ms\0message_ms\0sync_ms\0flush_ms";

/* Every timeout above 0 and the retry cap at least its base (which comes
 * before it, so is above 0 by then); the message names the first that is not. */
static enum cv_status cv_timeouts_validate(const struct cv_timeouts *t, struct cv_message *msg)
{
	_Static_assert(sizeof(struct cv_timeouts) == 11 * sizeof(uint32_t), "a name per timeout in cv_timeout_names");
	const char *name = cv_timeout_names;
	for (size_t i = 0; i < sizeof(*t) / sizeof(uint32_t); i++) {
		uint32_t value;
		memcpy(&value, (const char *)t + i * sizeof(value), sizeof(value));
		uint32_t least = i == offsetof(struct cv_timeouts, retry_cap_ms) / sizeof(value) ? t->retry_base_ms : 1;
		if (value < least) {
			cv_message_text(msg, "timeouts.");
			if (least == 1)
				return cv_config_refuse_value(msg, name, 0, "is not above ", 0);
			return cv_config_refuse_value(msg, name, value, "is below retry_base_ms ", least);
		}
		while (*name++ != '\0') /* To the next name. */
			;
	}
	return CV_OK;
}

static enum cv_status cv_lanes_validate(const struct cv_machine_config *c, struct cv_message *msg)
{
	if (c->lanes == NULL)
		return cv_config_refuse(msg, CV_E_INVAL, "lanes must not be NULL");
	for (unsigned i = 0; i < c->lane_count; i++) {
		if (cv_lane_config_check(&c->lanes[i], msg->buf, msg->size) != CV_OK)
			return CV_E_INVAL;
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(c->lanes[i].label, c->lanes[j].label) == 0) {
				cv_message_text(msg, "lane ");
				cv_message_text(msg, c->lanes[i].label);
				cv_message_text(msg, ": label already used by lane ");
				cv_message_int(msg, j);
				return CV_E_INVAL;
			}
		}
	}
	return CV_OK;
}

/* The machine's own fields with simple limits, checked first. */
static const struct cv_rule cv_config_rules[] = {
	{CV_RULE_TEXT(struct cv_machine_config, machine_id, 1)},
	{CV_RULE_TEXT(struct cv_machine_config, merchant_name, 0)},
	{CV_RULE_TEXT(struct cv_machine_config, merchant_location, 0)},
	{CV_RULE_FIELD(struct cv_machine_config, lookup_attempts_max), .min = 1, .max = 20},
	{CV_RULE_FIELD(struct cv_machine_config, settle_attempts_max), .min = 1, .max = 1000},
	{CV_RULE_FIELD(struct cv_machine_config, lane_count), .min = 1, .max = CV_LANES_MAX},
};

static bool cv_offline_policy_valid(const struct cv_offline_policy *p)
{
	if (!p->enabled)
		return p->max_amount_minor == 0 && p->max_count == 0 && p->max_total_minor == 0 && p->max_age_s == 0;
	return p->max_amount_minor >= 1 && p->max_amount_minor <= CV_PRICE_MAX && p->max_count >= 1 &&
	       p->max_total_minor >= p->max_amount_minor && p->max_total_minor <= INT64_MAX / 2 && p->max_age_s >= 1;
}

CV_EXPORT enum cv_status cv_machine_config_check(const struct cv_machine_config *c, char *message, size_t size)
{
	struct cv_message msg;
	cv_message_start(&msg, message, size);
	if (c == NULL)
		return cv_config_refuse(&msg, CV_E_INVAL, "no configuration given");
	if (c->journal_key != NULL && !cv_machine_sealing_available())
		return cv_config_refuse(&msg, CV_E_NOTSUP, "journal_key needs a build with the crypto module");
	if (cv_rules_check(&msg, cv_config_rules, CV_ARRAY_COUNT(cv_config_rules), c, NULL) != CV_OK)
		return CV_E_INVAL;
	bool currency_terminated = cv_str_is_terminated(c->currency, sizeof(c->currency));
	if (!currency_terminated || !cv_currency_is_valid(c->currency)) {
		cv_message_text(&msg, "currency ");
		if (currency_terminated) {
			cv_message_text(&msg, "'");
			cv_message_text(&msg, c->currency);
			cv_message_text(&msg, "' ");
		}
		return cv_config_refuse(&msg, CV_E_INVAL, "is not an ISO 4217 code with a minor unit");
	}
	if (!cv_offline_policy_valid(&c->offline))
		return cv_config_refuse(&msg, CV_E_INVAL,
					"offline limits must be 0 when disabled, else set "
					"(max_amount_minor 1..1000000000)");
	if (cv_timeouts_validate(&c->timeouts, &msg) != CV_OK)
		return CV_E_INVAL;
	if (c->checkpoint_records != 0 && (c->checkpoint_records < 256 || c->checkpoint_records > 1000000))
		return cv_config_refuse_value(&msg, "checkpoint_records", c->checkpoint_records,
					      "is neither 0 nor in 256..", 1000000);
	enum cv_status rc = cv_lanes_validate(c, &msg);
	if (rc != CV_OK)
		return rc;
	return cv_backends_validate(c, &msg);
}

enum cv_status cv_machine_config_validate(const struct cv_machine_config *c)
{
	return cv_machine_config_check(c, NULL, 0);
}
