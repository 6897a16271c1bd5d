/* SPDX-License-Identifier: MIT */
/**
 * @file alert.h
 * @brief Operator alerts, named with the EVA-DTS event codes.
 */
#ifndef CANDYVEND_ALERT_H
#define CANDYVEND_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup alert Alerts
 * @brief Conditions an operator must hear about, raised once and cleared once.
 *
 * The vocabulary is the EVA-DTS event code list, so a fleet backend or a DEX
 * reader understands them without translation.
 *
 * Thread safety: the text functions return static strings (never freed) and
 * may be called from any thread. Alerts themselves arrive as ::CV_EVENT_ALERT
 * on the machine's thread.
 * @since 0.1
 * @{
 */

/** @brief Size of an EVA-DTS code with lane suffix ("ELB_A12"), NUL included. */
#define CV_ALERT_CODE_LEN 16

/** @brief An alert condition. */
enum cv_alert_kind {
	CV_ALERT_SOLD_OUT = 0,          /**< ELB_x: lane x sold out. */
	CV_ALERT_LOW_STOCK = 1,         /**< ELE_x: lane x at or below its low-stock threshold. */
	CV_ALERT_MOTOR_JAM = 2,         /**< EJB: dispense motor jammed or did not return home. */
	CV_ALERT_LANE_QUARANTINED = 3,  /**< EJC: helix blocked; lane out of service after repeated failed vends. */
	CV_ALERT_DETECTOR_FAULT = 4,    /**< EJL: product delivery detector error. */
	CV_ALERT_JOURNAL_FAULT = 5,     /**< EJM: delivery system stopped because the journal cannot be written. */
	CV_ALERT_SETTLEMENT_FAILED = 6, /**< EJM: a capture or void failed for good; operator follow-up needed. */
	CV_ALERT_UNVERIFIED_VEND =
		7, /**< EJM: a restart interrupted a dispense that can't be proven; voided, check the bin. */
	CV_ALERT_SETTLEMENT_STALLED = 8, /**< EJM (machine-wide): a capture or void is still unsettled after
					      cv_machine_config::settle_attempts_max sends, or a capture nears
					      its processor deadline; it keeps being resent. */
	CV_ALERT_PAYMENT_LINK_DOWN = 9,  /**< CV_PAYLINK (machine-wide, no EVA-DTS code): the payment backend's
					     health() reports the processor unreachable. Operators only:
					     customers are told only once card sales stop. */
};

/** @brief Lane value of an alert that concerns the whole machine. */
#define CV_ALERT_NO_LANE 0xffffu

/** @brief One raise or clear of an alert. */
struct cv_alert {
	enum cv_alert_kind kind; /**< Which condition. */
	uint16_t lane;           /**< Lane index, or ::CV_ALERT_NO_LANE. */
	bool active;             /**< True when raised, false when cleared. */
};

/**
 * @brief The EVA-DTS code of an alert kind, without lane suffix ("EJB").
 * @param kind Any value.
 * @return A static string, never NULL ("?" for unknown values).
 * @since 0.1
 */
const char *cv_alert_kind_code(enum cv_alert_kind kind);

/**
 * @brief A short English description of an alert kind ("lane sold out").
 * @param kind Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_alert_kind_str(enum cv_alert_kind kind);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
