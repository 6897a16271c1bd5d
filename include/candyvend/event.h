/* SPDX-License-Identifier: MIT */
/**
 * @file event.h
 * @brief Events: completions posted by backends, notifications sent to the application.
 */
#ifndef CANDYVEND_EVENT_H
#define CANDYVEND_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/alert.h>
#include <candyvend/display.h>
#include <candyvend/payment.h>
#include <candyvend/receipt.h>
#include <candyvend/status.h>
#include <candyvend/vend.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup event Events
 * @brief The two directions of traffic around the engine.
 *
 * Backends report the completion of an operation they started by posting an
 * input event with cv_machine_post(); the engine queues it (bounded by
 * ::CV_EVENT_QUEUE_MAX) and handles it in the next cv_machine_step().
 * The engine tells the application what happened through output events,
 * delivered synchronously to the listener given in the machine configuration.
 *
 * Ownership: cv_machine_post() copies the event it is given; an event handed
 * to the listener lives only during that call (copy what you keep).
 * Thread safety: events are posted and delivered on the machine's thread;
 * cv_event_type_str() may be called from any thread.
 * @since 0.1
 * @{
 */

/** @brief Capacity of the engine's input event queue. */
#define CV_EVENT_QUEUE_MAX 32

/** @brief Kind of event. */
enum cv_event_type {
	/* Inputs: posted by backends. */
	CV_EVENT_PAYMENT_RESULT = 0, /**< Input: a payment operation completed (u.payment). */
	CV_EVENT_DISPENSE_DONE = 1,  /**< Input: a motor movement finished or failed (u.dispense). */
	CV_EVENT_DROP_DETECTED = 2,  /**< Input: the armed drop sensor saw a product fall (u.drop). */
	CV_EVENT_SENSOR_STATUS = 3,  /**< Input: the drop sensor became faulty or healthy (u.sensor). */
	CV_EVENT_STORAGE_SYNCED = 4, /**< Input: journal records up to a sequence number are durable (u.storage). */
	CV_EVENT_CARD_READ = 5,      /**< Input: the reader has read a card for an authorization (u.card_read). */
	/* Outputs: sent to the application's listener. */
	CV_EVENT_VEND_STATE = 16,   /**< Output: a vend changed state (u.vend). */
	CV_EVENT_DISPLAY = 17,      /**< Output: the customer's screen changed (u.display). */
	CV_EVENT_ALERT = 18,        /**< Output: an alert was raised or cleared (u.alert). */
	CV_EVENT_RECEIPT = 19,      /**< Output: a vend produced its receipt (u.receipt). */
	CV_EVENT_LANE_CHANGED = 20, /**< Output: a lane's stock, price or service state changed (u.lane). */
	CV_EVENT_RECOVERY =
		21, /**< Output: on restart, what the journal said and what was done about it (u.recovery). */
};

/** @brief Completion of a motor movement. */
struct cv_dispense_result {
	uint32_t op_id;        /**< The request's op_id. */
	uint16_t lane;         /**< Lane index. */
	enum cv_status status; /**< ::CV_OK (home reached), ::CV_E_JAM, or ::CV_E_IO. */
};

/** @brief A drop seen by an armed sensor. */
struct cv_drop_event {
	uint32_t op_id; /**< op_id given when the sensor was armed. */
};

/** @brief Health of the drop sensor. */
struct cv_sensor_status {
	bool faulted; /**< True when the sensor cannot be trusted (blocked beam, wiring). */
};

/** @brief Durability progress of the journal. */
struct cv_storage_result {
	uint64_t seq;          /**< Every record with a sequence number ≤ seq is durable. */
	enum cv_status status; /**< ::CV_OK, or the error that stopped the sync. */
};

/** @brief Progress of an authorization: the customer's card was read. */
struct cv_card_read {
	uint32_t op_id; /**< op_id of the authorize request. */
};

/** @brief What recovery did on restart. */
enum cv_recovery_action {
	CV_RECOVERY_TAIL_TRUNCATED = 0, /**< A torn tail (u.recovery.torn_bytes) was cut off the journal. */
	CV_RECOVERY_DISCARDED = 1,      /**< The vend had sent nothing that could hold money: abandoned. */
	CV_RECOVERY_LOOKUP_THEN_VOID =
		2,            /**< An authorization may have been sent: looked up, voided if held, never dispensed. */
	CV_RECOVERY_VOID = 3, /**< Money was held but the motor had not started: voided. */
	CV_RECOVERY_VOID_UNVERIFIED =
		4, /**< Interrupted mid-dispense without proof of a drop: voided, incident alert. */
	CV_RECOVERY_CAPTURE_RESEND = 5, /**< A capture was due: resent with the same key. */
	CV_RECOVERY_VOID_RESEND = 6,    /**< A void was due: resent with the same key. */
	CV_RECOVERY_CAPTURE_PROVEN = 7, /**< Interrupted mid-dispense after the drop was recorded as seen: captured. */
};

/** @brief One recovery decision. */
struct cv_recovery {
	enum cv_recovery_action action; /**< What was done. */
	uint32_t vend_number;           /**< The vend (0 for ::CV_RECOVERY_TAIL_TRUNCATED). */
	char vend_id[CV_VEND_ID_LEN];   /**< Its id (empty for ::CV_RECOVERY_TAIL_TRUNCATED). */
	enum cv_vend_state found_state; /**< The state the journal left it in. */
	uint64_t torn_bytes;            /**< Bytes cut off (::CV_RECOVERY_TAIL_TRUNCATED only). */
};

/** @brief A lane changed. */
struct cv_lane_change {
	uint16_t lane; /**< Lane index; read it with cv_machine_lane_info(). */
};

/** @brief An event. Which union member is valid depends on @ref type. */
struct cv_event {
	enum cv_event_type type; /**< Kind of event. */
	uint64_t time_ms;        /**< Output events: engine time (the last step's now_ms). Ignored on input. */
	/** @brief Payload. */
	union {
		struct cv_payment_result payment;   /**< ::CV_EVENT_PAYMENT_RESULT. */
		struct cv_dispense_result dispense; /**< ::CV_EVENT_DISPENSE_DONE. */
		struct cv_drop_event drop;          /**< ::CV_EVENT_DROP_DETECTED. */
		struct cv_sensor_status sensor;     /**< ::CV_EVENT_SENSOR_STATUS. */
		struct cv_storage_result storage;   /**< ::CV_EVENT_STORAGE_SYNCED. */
		struct cv_card_read card_read;      /**< ::CV_EVENT_CARD_READ. */
		struct cv_vend_info vend;           /**< ::CV_EVENT_VEND_STATE. */
		struct cv_display display;          /**< ::CV_EVENT_DISPLAY. */
		struct cv_alert alert;              /**< ::CV_EVENT_ALERT. */
		struct cv_receipt receipt;          /**< ::CV_EVENT_RECEIPT. */
		struct cv_lane_change lane;         /**< ::CV_EVENT_LANE_CHANGED. */
		struct cv_recovery recovery;        /**< ::CV_EVENT_RECOVERY. */
	} u;
};

/**
 * @brief Name of an event type ("DISPENSE_DONE").
 * @param type Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_event_type_str(enum cv_event_type type);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
