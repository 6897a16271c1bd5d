/* SPDX-License-Identifier: MIT */
/* Name and text tables for the public enums, plus the lane defaults. */
#include <candyvend/alert.h>
#include <candyvend/display.h>
#include <candyvend/event.h>
#include <candyvend/lane.h>
#include <candyvend/payment.h>
#include <candyvend/vend.h>

#include "internal.h"

/* Looks up an enum value in a table indexed by value. Callers may pass any
 * integer (a corrupted record, a newer peer), and some enums have gaps that
 * leave NULL slots, so both cases fall back to `unknown`. */
static const char *cv_name_lookup(const char *const *table, size_t count, int value, const char *unknown)
{
	if (value < 0 || (size_t)value >= count || table[value] == NULL)
		return unknown;
	return table[value];
}

#define CV_NAME_LOOKUP(table, value, unknown) cv_name_lookup((table), CV_ARRAY_COUNT(table), (int)(value), (unknown))

static const char *const cv_lane_availability_names[] = {
	[CV_LANE_AVAILABLE] = "available",   [CV_LANE_SOLD_OUT] = "sold out",
	[CV_LANE_DISABLED] = "disabled",     [CV_LANE_QUARANTINED] = "quarantined",
	[CV_LANE_NOT_PRICED] = "not priced", [CV_LANE_NO_SENSOR] = "drop sensor fault",
};

CV_EXPORT const char *cv_lane_availability_str(enum cv_lane_availability availability)
{
	return CV_NAME_LOOKUP(cv_lane_availability_names, availability, "unknown");
}

static const char *const cv_pay_result_names[] = {
	[CV_PAY_OK] = "OK",
	[CV_PAY_DECLINED] = "DECLINED",
	[CV_PAY_CANCELLED] = "CANCELLED",
	[CV_PAY_NOT_SENT] = "NOT_SENT",
	[CV_PAY_NOT_FOUND] = "NOT_FOUND",
	[CV_PAY_INVALID] = "INVALID",
	[CV_PAY_UNKNOWN] = "UNKNOWN",
	[CV_PAY_RATE_LIMITED] = "RATE_LIMITED",
	[CV_PAY_EXPIRED] = "EXPIRED",
	[CV_PAY_CONFLICT] = "CONFLICT",
	[CV_PAY_READER_FAULT] = "READER_FAULT",
};

CV_EXPORT const char *cv_pay_result_str(enum cv_pay_result result)
{
	/* "UNKNOWN" is a real result here, so out-of-range values get another word. */
	return CV_NAME_LOOKUP(cv_pay_result_names, result, "?");
}

/* EVA-DTS event codes. Journal and settlement faults share EJM because both
 * stop normal delivery pending operator action. */
static const char *const cv_alert_kind_codes[] = {
	[CV_ALERT_SOLD_OUT] = "ELB",
	[CV_ALERT_LOW_STOCK] = "ELE",
	[CV_ALERT_MOTOR_JAM] = "EJB",
	[CV_ALERT_LANE_QUARANTINED] = "EJC",
	[CV_ALERT_DETECTOR_FAULT] = "EJL",
	[CV_ALERT_JOURNAL_FAULT] = "EJM",
	[CV_ALERT_SETTLEMENT_FAILED] = "EJM",
	[CV_ALERT_UNVERIFIED_VEND] = "EJM",
	[CV_ALERT_SETTLEMENT_STALLED] = "EJM",
	/* EVA-DTS has no code for the cashless link: a code of our own. */
	[CV_ALERT_PAYMENT_LINK_DOWN] = "CV_PAYLINK",
};

CV_EXPORT const char *cv_alert_kind_code(enum cv_alert_kind kind)
{
	return CV_NAME_LOOKUP(cv_alert_kind_codes, kind, "?");
}

static const char *const cv_alert_kind_names[] = {
	[CV_ALERT_SOLD_OUT] = "lane sold out",
	[CV_ALERT_LOW_STOCK] = "lane low on stock",
	[CV_ALERT_MOTOR_JAM] = "dispense motor jammed",
	[CV_ALERT_LANE_QUARANTINED] = "lane quarantined",
	[CV_ALERT_DETECTOR_FAULT] = "drop detector fault",
	[CV_ALERT_JOURNAL_FAULT] = "journal cannot be written",
	[CV_ALERT_SETTLEMENT_FAILED] = "payment settlement failed",
	[CV_ALERT_UNVERIFIED_VEND] = "vend interrupted by a restart, not charged",
	[CV_ALERT_SETTLEMENT_STALLED] = "payment settlement stalled, still retrying",
	[CV_ALERT_PAYMENT_LINK_DOWN] = "payment processor unreachable",
};

CV_EXPORT const char *cv_alert_kind_str(enum cv_alert_kind kind)
{
	return CV_NAME_LOOKUP(cv_alert_kind_names, kind, "unknown alert");
}

static const char *const cv_msg_texts[] = {
	[CV_MSG_CHOOSE_PRODUCT] = "Choose a product",
	[CV_MSG_PRESENT_CARD] = "Present card or phone",
	[CV_MSG_AUTHORIZING] = "Authorizing...",
	[CV_MSG_DECLINED_TRY_AGAIN] = "Card declined - try again or choose another product",
	[CV_MSG_CHECKING_PAYMENT] = "Checking payment...",
	[CV_MSG_DISPENSING] = "Dispensing...",
	[CV_MSG_TAKE_PRODUCT] = "Please take your candy",
	[CV_MSG_NOT_DISPENSED] = "Not dispensed - you were not charged",
	[CV_MSG_CANCELLED] = "Cancelled - you were not charged",
	[CV_MSG_PAYMENT_FAILED] = "Payment not completed - you were not charged",
	[CV_MSG_SOLD_OUT] = "Sold out - choose another product",
	[CV_MSG_UNAVAILABLE] = "Not available - choose another product",
	[CV_MSG_OUT_OF_SERVICE] = "Out of service",
	[CV_MSG_SERVICE_MODE] = "Service in progress",
	[CV_MSG_PLEASE_WAIT] = "Please wait",
	[CV_MSG_CARD_UNAVAILABLE] = "Card payments unavailable",
};

CV_EXPORT const char *cv_msg_text(enum cv_msg msg)
{
	/* A screen must never go blank, so unknown codes still say something. */
	return CV_NAME_LOOKUP(cv_msg_texts, msg, "Please wait");
}

static const char *const cv_vend_state_names[] = {
	[CV_VEND_STATE_SELECTED] = "SELECTED",
	[CV_VEND_STATE_AUTH_PENDING] = "AUTH_PENDING",
	[CV_VEND_STATE_AUTH_LOOKUP] = "AUTH_LOOKUP",
	[CV_VEND_STATE_AUTH_DECLINED] = "AUTH_DECLINED",
	[CV_VEND_STATE_AUTHORIZED] = "AUTHORIZED",
	[CV_VEND_STATE_DISPENSING] = "DISPENSING",
	[CV_VEND_STATE_VERIFYING] = "VERIFYING",
	[CV_VEND_STATE_CAPTURE_PENDING] = "CAPTURE_PENDING",
	[CV_VEND_STATE_VOID_PENDING] = "VOID_PENDING",
	[CV_VEND_STATE_CAPTURED] = "CAPTURED",
	[CV_VEND_STATE_VOIDED] = "VOIDED",
	[CV_VEND_STATE_ABANDONED] = "ABANDONED",
	[CV_VEND_STATE_CAPTURE_FAILED] = "CAPTURE_FAILED",
	[CV_VEND_STATE_VOID_FAILED] = "VOID_FAILED",
};

CV_EXPORT const char *cv_vend_state_str(enum cv_vend_state state)
{
	return CV_NAME_LOOKUP(cv_vend_state_names, state, "?");
}

CV_EXPORT bool cv_vend_state_is_terminal(enum cv_vend_state state)
{
	/* vend.h orders the enum so that exactly the last states are terminal. */
	return state >= CV_VEND_STATE_CAPTURED && state <= CV_VEND_STATE_VOID_FAILED;
}

static const char *const cv_vend_reason_names[] = {
	[CV_VEND_REASON_NONE] = "none",
	[CV_VEND_REASON_DECLINED] = "payment declined",
	[CV_VEND_REASON_CUSTOMER_CANCEL] = "cancelled by customer",
	[CV_VEND_REASON_PAYMENT_TIMEOUT] = "payment timed out",
	[CV_VEND_REASON_PAYMENT_UNKNOWN] = "payment outcome unknown",
	[CV_VEND_REASON_NO_DROP] = "no drop detected",
	[CV_VEND_REASON_MOTOR_JAM] = "motor jammed",
	[CV_VEND_REASON_MOTOR_TIMEOUT] = "motor timed out",
	[CV_VEND_REASON_SENSOR_FAULT] = "drop sensor fault",
	[CV_VEND_REASON_SESSION_TIMEOUT] = "customer session timed out",
	[CV_VEND_REASON_PAYMENT_FAILED] = "payment failed",
	[CV_VEND_REASON_SHORT_AUTHORIZATION] = "authorization below price",
	[CV_VEND_REASON_DISPENSER_ERROR] = "dispenser error",
	[CV_VEND_REASON_JOURNAL_FAULT] = "journal failure",
	[CV_VEND_REASON_POWER_LOSS] = "interrupted by a restart",
	[CV_VEND_REASON_OFFLINE_POLICY] = "offline approval outside the operator's policy",
};

CV_EXPORT const char *cv_vend_reason_str(enum cv_vend_reason reason)
{
	return CV_NAME_LOOKUP(cv_vend_reason_names, reason, "unknown reason");
}

/* Inputs and outputs are numbered apart (0.., 16..); the gap stays NULL. */
static const char *const cv_event_type_names[] = {
	[CV_EVENT_PAYMENT_RESULT] = "PAYMENT_RESULT",
	[CV_EVENT_DISPENSE_DONE] = "DISPENSE_DONE",
	[CV_EVENT_DROP_DETECTED] = "DROP_DETECTED",
	[CV_EVENT_SENSOR_STATUS] = "SENSOR_STATUS",
	[CV_EVENT_STORAGE_SYNCED] = "STORAGE_SYNCED",
	[CV_EVENT_CARD_READ] = "CARD_READ",
	[CV_EVENT_VEND_STATE] = "VEND_STATE",
	[CV_EVENT_DISPLAY] = "DISPLAY",
	[CV_EVENT_ALERT] = "ALERT",
	[CV_EVENT_RECEIPT] = "RECEIPT",
	[CV_EVENT_LANE_CHANGED] = "LANE_CHANGED",
	[CV_EVENT_RECOVERY] = "RECOVERY",
};

CV_EXPORT const char *cv_event_type_str(enum cv_event_type type)
{
	return CV_NAME_LOOKUP(cv_event_type_names, type, "?");
}

CV_EXPORT void cv_lane_config_default(struct cv_lane_config *config)
{
	CV_ASSERT(config != NULL);
	memset(config, 0, sizeof(*config));
	config->verify_mode = CV_VERIFY_MODE_REQUIRED;
	config->capacity = 10;
	config->low_stock_threshold = 2;
	config->vend_quarter_turns = 4;
	config->respin_count_max = 3;
	config->respin_quarter_turns = 1;
	config->quarantine_after_failures = 3;
}
