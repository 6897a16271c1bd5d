/* SPDX-License-Identifier: MIT */
/* Service mode: the operator's door-open actions on lanes. Every change is
 * validated first, so bad input changes nothing, then journaled. */
#include "machine_private.h"

static void cv_machine_journal_service(struct cv_machine *m, bool entering)
{
	CV_REC_APPEND(m, &entering);
}

/* How every service call starts: the caller is checked, and the machine's
 * message is started, so even a refused caller never reads a stale one. */
static enum cv_status cv_service_begin(struct cv_machine *m, struct cv_message *msg)
{
	enum cv_status rc = cv_machine_check_caller(m);
	if (m == NULL)
		return rc;
	cv_message_start(msg, m->errmsg, sizeof(m->errmsg));
	if (rc != CV_OK)
		cv_message_text(msg,
				"not allowed from inside the event listener (call it after cv_machine_step() returns)");
	return rc;
}

CV_EXPORT enum cv_status cv_machine_service_enter(struct cv_machine *m)
{
	struct cv_message msg;
	enum cv_status rc = cv_service_begin(m, &msg);
	if (rc != CV_OK)
		return rc;
	if (m->session != NULL) {
		cv_message_text(&msg, "a customer's vend is in progress: service mode waits for it");
		return CV_E_BUSY;
	}
	if (!m->in_service) {
		m->in_service = true;
		cv_machine_journal_service(m, true);
		cv_machine_show(m, CV_MSG_SERVICE_MODE, CV_DISPLAY_NO_LANE, false, 0);
	}
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_service_exit(struct cv_machine *m)
{
	struct cv_message msg;
	enum cv_status rc = cv_service_begin(m, &msg);
	if (rc != CV_OK)
		return rc;
	if (!m->in_service) {
		cv_message_text(&msg, "not in service mode");
		return CV_E_STATE;
	}
	m->in_service = false;
	cv_machine_journal_service(m, false);
	m->message_until_ms = 0;
	cv_machine_show_idle(m);
	return CV_OK;
}

CV_EXPORT bool cv_machine_in_service(const struct cv_machine *m)
{
	return m != NULL && m->in_service;
}

CV_EXPORT const char *cv_machine_errmsg(const struct cv_machine *m)
{
	return m != NULL ? m->errmsg : "";
}

/* Starts the service call's message: "lane <label>: ". */
static void cv_service_message(struct cv_machine *m, struct cv_message *msg, uint16_t lane)
{
	cv_message_start(msg, m->errmsg, sizeof(m->errmsg));
	cv_message_text(msg, "lane ");
	cv_message_text(msg, m->lanes[lane].config.label);
	cv_message_text(msg, ": ");
}

/* "lane <label>: <what> <value> <rule><limit>" and CV_E_INVAL. */
static enum cv_status cv_service_refuse(struct cv_machine *m, uint16_t lane, const char *what, int64_t value,
					const char *rule, int64_t limit)
{
	struct cv_message msg;
	cv_service_message(m, &msg, lane);
	cv_message_rule(&msg, what, value, rule, limit);
	return CV_E_INVAL;
}

/* Common gate of every lane service call; clears the machine's message. */
static enum cv_status cv_service_lane(struct cv_machine *m, uint16_t lane, struct cv_lane **out)
{
	struct cv_message msg;
	enum cv_status rc = cv_service_begin(m, &msg);
	if (rc != CV_OK)
		return rc;
	if (!m->in_service) {
		cv_message_text(&msg, "not in service mode (call cv_machine_service_enter() first)");
		return CV_E_STATE;
	}
	if (lane >= m->config.lane_count) {
		cv_message_text(&msg, "lane ");
		cv_message_int(&msg, lane);
		cv_message_text(&msg, " does not exist: the machine has lanes 0..");
		cv_message_int(&msg, m->config.lane_count - 1);
		return CV_E_NOT_FOUND;
	}
	*out = &m->lanes[lane];
	return CV_OK;
}

static void cv_service_stock_changed(struct cv_machine *m, uint16_t lane)
{
	cv_lane_update_stock_alerts(m, lane);
	cv_lane_changed(m, lane);
}

CV_EXPORT enum cv_status cv_machine_lane_refill(struct cv_machine *m, uint16_t lane, uint16_t added)
{
	struct cv_lane *l;
	enum cv_status rc = cv_service_lane(m, lane, &l);
	if (rc != CV_OK)
		return rc;
	if (added == 0)
		return cv_service_refuse(m, lane, "refill of", 0, "items: at least ", 1);
	if (added > l->config.capacity - l->config.count) {
		struct cv_message msg;
		cv_service_message(m, &msg, lane);
		cv_message_text(&msg, "refill of ");
		cv_message_int(&msg, added);
		cv_message_text(&msg, " would make ");
		cv_message_int(&msg, l->config.count + added);
		cv_message_text(&msg, ", above the capacity ");
		cv_message_int(&msg, l->config.capacity);
		return CV_E_INVAL;
	}
	l->config.count = (uint16_t)(l->config.count + added);
	cv_service_stock_changed(m, lane);
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_lane_set_count(struct cv_machine *m, uint16_t lane, uint16_t count)
{
	struct cv_lane *l;
	enum cv_status rc = cv_service_lane(m, lane, &l);
	if (rc != CV_OK)
		return rc;
	if (count > l->config.capacity)
		return cv_service_refuse(m, lane, "count", count, "is above the capacity ", l->config.capacity);
	l->config.count = count;
	cv_service_stock_changed(m, lane);
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_lane_set_price(struct cv_machine *m, uint16_t lane, int64_t price_minor)
{
	struct cv_lane *l;
	enum cv_status rc = cv_service_lane(m, lane, &l);
	if (rc != CV_OK)
		return rc;
	if (price_minor <= 0 || price_minor > CV_PRICE_MAX)
		return cv_service_refuse(m, lane, "price_minor", price_minor, "is outside 1..", CV_PRICE_MAX);
	l->config.price_minor = price_minor;
	cv_lane_changed(m, lane);
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_lane_set_enabled(struct cv_machine *m, uint16_t lane, bool enabled)
{
	struct cv_lane *l;
	enum cv_status rc = cv_service_lane(m, lane, &l);
	if (rc != CV_OK)
		return rc;
	l->enabled = enabled;
	cv_lane_changed(m, lane);
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_lane_clear_quarantine(struct cv_machine *m, uint16_t lane)
{
	struct cv_lane *l;
	enum cv_status rc = cv_service_lane(m, lane, &l);
	if (rc != CV_OK)
		return rc;
	if (!l->quarantined) {
		struct cv_message msg;
		cv_service_message(m, &msg, lane);
		cv_message_text(&msg, "is not quarantined");
		return CV_E_STATE;
	}
	l->quarantined = false;
	l->consecutive_failures = 0;
	cv_machine_raise_alert(m, CV_ALERT_LANE_QUARANTINED, lane, false);
	cv_lane_set_jam(m, lane, false);
	cv_lane_changed(m, lane);
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_lane_configure(struct cv_machine *m, uint16_t lane,
						   const struct cv_lane_config *config)
{
	struct cv_lane *l;
	enum cv_status rc = cv_service_lane(m, lane, &l);
	if (rc != CV_OK)
		return rc;
	if (cv_lane_config_check(config, m->errmsg, sizeof(m->errmsg)) != CV_OK)
		return CV_E_INVAL;
	for (uint16_t i = 0; i < m->config.lane_count; i++) {
		if (i != lane && strcmp(m->lanes[i].config.label, config->label) == 0) {
			struct cv_message msg;
			cv_service_message(m, &msg, lane);
			cv_message_text(&msg, "the label is lane ");
			cv_message_int(&msg, i);
			cv_message_text(&msg, "'s already (labels are unique)");
			return CV_E_INVAL;
		}
	}
	l->config = *config;
	cv_lane_journal_config(m, lane);
	cv_service_stock_changed(m, lane);
	return CV_OK;
}
