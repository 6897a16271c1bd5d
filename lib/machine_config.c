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

/* A table is usable if it claims at least version 1 and is at least as large
 * as version 1 was; members appended later are optional by construction. */
static bool cv_table_is_v1(uint32_t abi_version, uint32_t struct_size, size_t v1_size)
{
	return abi_version >= 1 && struct_size >= v1_size;
}

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

static enum cv_status cv_backends_validate(const struct cv_machine_config *c, struct cv_message *msg)
{
	if (c->platform == NULL || c->dispenser == NULL || c->sensor == NULL || c->payment == NULL ||
	    c->storage == NULL)
		return cv_config_refuse(msg, CV_E_INVAL,
					"a backend table is missing (platform, dispenser, sensor, "
					"payment and storage are required)");
	if (!cv_table_is_v1(c->platform->abi_version, c->platform->struct_size, CV_PLATFORM_OPS_V1_SIZE) ||
	    !cv_table_is_v1(c->dispenser->abi_version, c->dispenser->struct_size, CV_DISPENSER_OPS_V1_SIZE) ||
	    !cv_table_is_v1(c->sensor->abi_version, c->sensor->struct_size, CV_SENSOR_OPS_V1_SIZE) ||
	    !cv_table_is_v1(c->payment->abi_version, c->payment->struct_size, CV_PAYMENT_OPS_V1_SIZE) ||
	    !cv_table_is_v1(c->storage->abi_version, c->storage->struct_size, CV_STORAGE_OPS_V1_SIZE))
		return cv_config_refuse(msg, CV_E_VERSION,
					"a backend table has abi_version 0 or is smaller "
					"than its version 1");
	if (c->platform->random_bytes == NULL || c->dispenser->open == NULL || c->dispenser->start == NULL ||
	    c->sensor->open == NULL || c->sensor->arm == NULL || c->sensor->disarm == NULL ||
	    c->payment->open == NULL || c->payment->authorize == NULL || c->payment->capture == NULL ||
	    c->payment->void_auth == NULL || c->payment->lookup == NULL || c->storage->open == NULL ||
	    c->storage->append == NULL || c->storage->sync == NULL)
		return cv_config_refuse(msg, CV_E_INVAL, "a backend table lacks a required method");
	/* What the backends' capabilities rule out is checked once they are
	 * open (cv_machine_init): caps() is called only then. */
	return CV_OK;
}

/* The timeouts in the order of struct cv_timeouts, for the message. */
static const char *const cv_timeout_names[] = {"payment_ms", "lookup_ms",  "settle_ms",     "motor_ms",
					       "verify_ms",  "session_ms", "retry_base_ms", "retry_cap_ms",
					       "message_ms", "sync_ms",    "flush_ms"};

/* Every timeout above 0, and the retry cap at least its base; the message
 * names the first that is not. */
static enum cv_status cv_timeouts_validate(const struct cv_timeouts *t, struct cv_message *msg)
{
	_Static_assert(sizeof(cv_timeout_names) / sizeof(cv_timeout_names[0]) * sizeof(uint32_t) ==
			       sizeof(struct cv_timeouts),
		       "one name per timeout");
	for (size_t i = 0; i < CV_ARRAY_COUNT(cv_timeout_names); i++) {
		uint32_t value;
		memcpy(&value, (const char *)t + i * sizeof(value), sizeof(value));
		if (value == 0) {
			cv_message_text(msg, "timeouts.");
			return cv_config_refuse_value(msg, cv_timeout_names[i], 0, "is not above ", 0);
		}
	}
	if (t->retry_cap_ms < t->retry_base_ms) {
		cv_message_text(msg, "timeouts.");
		return cv_config_refuse_value(msg, "retry_cap_ms", t->retry_cap_ms, "is below retry_base_ms ",
					      t->retry_base_ms);
	}
	return CV_OK;
}

static enum cv_status cv_lanes_validate(const struct cv_machine_config *c, struct cv_message *msg)
{
	if (c->lanes == NULL)
		return cv_config_refuse(msg, CV_E_INVAL, "lanes is NULL: the planogram is required");
	if (c->lane_count < 1 || c->lane_count > CV_LANES_MAX)
		return cv_config_refuse_value(msg, "lane_count", c->lane_count, "is outside 1..", CV_LANES_MAX);
	for (unsigned i = 0; i < c->lane_count; i++) {
		if (cv_lane_config_check(&c->lanes[i], msg->buf, msg->size) != CV_OK)
			return CV_E_INVAL;
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(c->lanes[i].label, c->lanes[j].label) == 0) {
				cv_message_text(msg, "lane ");
				cv_message_text(msg, c->lanes[i].label);
				cv_message_text(msg, ": its label is lane ");
				cv_message_int(msg, j);
				cv_message_text(msg, "'s too (labels must be unique)");
				return CV_E_INVAL;
			}
		}
	}
	return CV_OK;
}

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
		return cv_config_refuse(&msg, CV_E_NOTSUP,
					"journal_key given, but the library was built "
					"without the crypto module");
	if (!cv_str_is_terminated(c->machine_id, sizeof(c->machine_id)) || c->machine_id[0] == '\0')
		return cv_config_refuse(&msg, CV_E_INVAL, "machine_id must be 1 to 31 characters");
	bool currency_terminated = cv_str_is_terminated(c->currency, sizeof(c->currency));
	if (!currency_terminated || !cv_currency_is_valid(c->currency)) {
		if (currency_terminated) {
			cv_message_text(&msg, "currency '");
			cv_message_text(&msg, c->currency);
			cv_message_text(&msg, "': ");
		}
		return cv_config_refuse(&msg, CV_E_INVAL,
					"currency must be an ISO 4217 code with a minor "
					"unit, such as USD (see cv_currency_is_valid())");
	}
	if (!cv_str_is_terminated(c->merchant_name, sizeof(c->merchant_name)) ||
	    !cv_str_is_terminated(c->merchant_location, sizeof(c->merchant_location)))
		return cv_config_refuse(&msg, CV_E_INVAL, "merchant_name or merchant_location is not terminated");
	if (!cv_offline_policy_valid(&c->offline))
		return cv_config_refuse(&msg, CV_E_INVAL,
					"offline: when enabled, every limit must be set "
					"(max_amount_minor 1..1000000000, max_count, max_total_minor, "
					"max_age_s); when disabled, all must be 0");
	if (cv_timeouts_validate(&c->timeouts, &msg) != CV_OK)
		return CV_E_INVAL;
	if (c->lookup_attempts_max < 1 || c->lookup_attempts_max > 20)
		return cv_config_refuse_value(&msg, "lookup_attempts_max", c->lookup_attempts_max, "is outside 1..",
					      20);
	if (c->settle_attempts_max < 1 || c->settle_attempts_max > 1000)
		return cv_config_refuse_value(&msg, "settle_attempts_max", c->settle_attempts_max, "is outside 1..",
					      1000);
	if (c->checkpoint_records != 0 && (c->checkpoint_records < 256 || c->checkpoint_records > 1000000)) {
		cv_config_refuse_value(&msg, "checkpoint_records", c->checkpoint_records, "is outside 256..", 1000000);
		return cv_config_refuse(&msg, CV_E_INVAL, " (0: no checkpoints)");
	}
	enum cv_status rc = cv_lanes_validate(c, &msg);
	if (rc != CV_OK)
		return rc;
	return cv_backends_validate(c, &msg);
}

enum cv_status cv_machine_config_validate(const struct cv_machine_config *c)
{
	return cv_machine_config_check(c, NULL, 0);
}
