/* SPDX-License-Identifier: MIT */
/**
 * @file vend.h
 * @brief The vend state machine: states, outcomes and a vend's snapshot.
 */
#ifndef CANDYVEND_VEND_H
#define CANDYVEND_VEND_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/money.h>
#include <candyvend/payment.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup vend Vends
 * @brief One customer purchase from selection to settlement.
 *
 * Every allowed transition, as the engine's state table has it (each
 * trigger, the sub-states it requires and the duty it leaves are in
 * docs/vend-state-machine.md):
 * (BEGIN vend table: printed from lib/vend_table.c by scripts/vend-diagram.sh)
 * ```
 * SELECTED        --PAY           --> AUTH_PENDING
 * SELECTED        --LEAVE         --> ABANDONED
 * AUTH_PENDING    --CANCEL_REQUEST--> AUTH_PENDING
 * AUTH_PENDING    --AUTH_HELD     --> AUTHORIZED
 * AUTH_PENDING    --AUTH_RELEASE  --> VOID_PENDING
 * AUTH_PENDING    --AUTH_FAILED   --> AUTH_DECLINED
 * AUTH_PENDING    --AUTH_GONE     --> ABANDONED
 * AUTH_PENDING    --AUTH_NOT_SENT --> AUTH_DECLINED
 * AUTH_PENDING    --AUTH_UNKNOWN  --> AUTH_LOOKUP
 * AUTH_PENDING    --LEAVE         --> ABANDONED
 * AUTH_PENDING    --ORPHAN        --> AUTH_LOOKUP
 * AUTH_LOOKUP     --CANCEL_REQUEST--> AUTH_LOOKUP
 * AUTH_LOOKUP     --AUTH_HELD     --> AUTHORIZED
 * AUTH_LOOKUP     --AUTH_RELEASE  --> VOID_PENDING
 * AUTH_LOOKUP     --AUTH_FAILED   --> AUTH_DECLINED
 * AUTH_LOOKUP     --AUTH_GONE     --> ABANDONED
 * AUTH_LOOKUP     --AUTH_NOT_FOUND--> AUTH_DECLINED
 * AUTH_LOOKUP     --LOOKUP_SPENT  --> VOID_PENDING
 * AUTH_LOOKUP     --ORPHAN        --> AUTH_LOOKUP
 * AUTH_LOOKUP     --RESUME        --> AUTH_LOOKUP
 * AUTH_DECLINED   --LEAVE         --> ABANDONED
 * AUTH_DECLINED   --ORPHAN        --> AUTH_LOOKUP
 * AUTH_DECLINED   --RETRY         --> AUTH_PENDING
 * AUTHORIZED      --DISPENSE      --> DISPENSING
 * AUTHORIZED      --RELEASE       --> VOID_PENDING
 * DISPENSING      --MOTOR_HOME    --> VERIFYING
 * DISPENSING      --DROP_VERIFIED --> CAPTURE_PENDING
 * DISPENSING      --NOT_DELIVERED --> VOID_PENDING
 * VERIFYING       --RESPIN        --> DISPENSING
 * VERIFYING       --DROP_VERIFIED --> CAPTURE_PENDING
 * VERIFYING       --NOT_DELIVERED --> VOID_PENDING
 * CAPTURE_PENDING --SETTLED       --> CAPTURED
 * CAPTURE_PENDING --SETTLE_FAILED --> CAPTURE_FAILED
 * CAPTURE_PENDING --RESUME        --> CAPTURE_PENDING
 * VOID_PENDING    --SETTLED       --> VOIDED
 * VOID_PENDING    --SETTLE_FAILED --> VOID_FAILED
 * VOID_PENDING    --RESUME        --> VOID_PENDING
 * START           --SELECT        --> SELECTED
 * ```
 * (END vend table)
 * A vend never reaches DISPENSING without a held authorization and never
 * reaches CAPTURE_PENDING without a verified drop.
 *
 * Thread safety: the functions here keep no state and may be called from any
 * thread; their strings are static, never freed.
 * @since 0.1
 * @{
 */

/** @brief Maximum number of vends open at once (one customer + settlements). */
#define CV_VENDS_MAX 8
/** @brief Maximum times one vend asks the customer to pay (a retry after a decline counts). */
#define CV_AUTH_ATTEMPTS_MAX 3

/** @brief State of a vend. Values ≥ ::CV_VEND_STATE_CAPTURED are terminal. */
enum cv_vend_state {
	CV_VEND_STATE_SELECTED = 0,        /**< Lane chosen, vend journaled. */
	CV_VEND_STATE_AUTH_PENDING = 1,    /**< Authorization sent; waiting for card and processor. */
	CV_VEND_STATE_AUTH_LOOKUP = 2,     /**< Authorization outcome unknown; looking it up. */
	CV_VEND_STATE_AUTH_DECLINED = 3,   /**< Declined; the customer may try again. */
	CV_VEND_STATE_AUTHORIZED = 4,      /**< Hold placed; dispense intent being journaled. */
	CV_VEND_STATE_DISPENSING = 5,      /**< Motor running. */
	CV_VEND_STATE_VERIFYING = 6,       /**< Motor done; waiting for the drop sensor. */
	CV_VEND_STATE_CAPTURE_PENDING = 7, /**< Drop verified; capture being sent. */
	CV_VEND_STATE_VOID_PENDING = 8,    /**< No delivery; void being sent. */
	CV_VEND_STATE_CAPTURED = 9,        /**< Terminal: delivered and charged. */
	CV_VEND_STATE_VOIDED = 10,         /**< Terminal: hold released, not charged. */
	CV_VEND_STATE_ABANDONED = 11,      /**< Terminal: no hold was ever placed (declined, cancelled). */
	CV_VEND_STATE_CAPTURE_FAILED = 12, /**< Terminal: delivered, capture failed for good (loss). */
	CV_VEND_STATE_VOID_FAILED = 13,    /**< Terminal: void failed for good; the hold expires at the issuer. */
};

/** @brief Why a vend left the happy path. */
enum cv_vend_reason {
	CV_VEND_REASON_NONE = 0,            /**< No special reason. */
	CV_VEND_REASON_DECLINED = 1,        /**< Payment declined. */
	CV_VEND_REASON_CUSTOMER_CANCEL = 2, /**< Customer cancelled. */
	CV_VEND_REASON_PAYMENT_TIMEOUT = 3, /**< No payment answer in time. */
	CV_VEND_REASON_PAYMENT_UNKNOWN = 4, /**< Payment outcome could not be established. */
	CV_VEND_REASON_NO_DROP = 5,         /**< The sensor saw no drop after every re-spin. */
	CV_VEND_REASON_MOTOR_JAM = 6,       /**< The motor jammed. */
	CV_VEND_REASON_MOTOR_TIMEOUT = 7,   /**< The motor did not report in time. */
	CV_VEND_REASON_SENSOR_FAULT = 8,    /**< The sensor failed and the lane requires it. */
	CV_VEND_REASON_SESSION_TIMEOUT = 9, /**< The customer walked away after a decline. */
	CV_VEND_REASON_PAYMENT_FAILED = 10, /**< A definite payment failure other than a decline. */
	CV_VEND_REASON_SHORT_AUTHORIZATION =
		11, /**< The hold was smaller than the price (single-message: not exactly the price). */
	CV_VEND_REASON_DISPENSER_ERROR = 12, /**< The dispenser refused to start. */
	CV_VEND_REASON_JOURNAL_FAULT = 13,   /**< The journal failed: nothing more may start without a record. */
	CV_VEND_REASON_POWER_LOSS = 14,      /**< Interrupted by a restart; resolved from the journal. */
	CV_VEND_REASON_OFFLINE_POLICY = 15,  /**< The reader approved offline where policy did not allow it. */
};

/** @brief A snapshot of a vend. */
struct cv_vend_info {
	uint32_t vend_number;         /**< Engine-assigned, increasing from 1. */
	char vend_id[CV_VEND_ID_LEN]; /**< Globally unique id (base32 of 128 random bits). */
	enum cv_vend_state state;     /**< Current state. */
	enum cv_vend_reason reason;   /**< Why it left the happy path, if it did. */
	uint16_t lane;                /**< Lane index. */
	struct cv_money price;        /**< Price frozen at selection. */
	uint8_t auth_attempt;         /**< Ordinal n of the authorization key in use, `cv1.<vend_id>.auth.<n>`. */
	uint8_t respins;              /**< Extra motor movements used. */
	bool drop_verified;           /**< The drop was proven (sensor, or motor cycle where allowed). */
	struct cv_card_summary card;  /**< Card used, once authorized. */
	enum cv_decline_reason decline_reason; /**< Why the last authorization was declined, if one was. */
	bool offline_approved;                 /**< The reader approved it offline (store and forward). */
	int64_t capture_before_s;              /**< The processor's capture deadline (Unix seconds), 0 if none. */
};

/**
 * @brief Name of a vend state ("DISPENSING").
 * @param state Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_vend_state_str(enum cv_vend_state state);

/**
 * @brief Short English text of a vend reason ("no drop detected").
 * @param reason Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_vend_reason_str(enum cv_vend_reason reason);

/**
 * @brief Whether a state is terminal.
 * @param state A vend state.
 * @return true for CAPTURED, VOIDED, ABANDONED, CAPTURE_FAILED and VOID_FAILED.
 * @since 0.1
 */
bool cv_vend_state_is_terminal(enum cv_vend_state state);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
