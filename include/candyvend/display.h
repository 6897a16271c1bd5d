/* SPDX-License-Identifier: MIT */
/**
 * @file display.h
 * @brief The display model: what the customer's screen should show.
 */
#ifndef CANDYVEND_DISPLAY_H
#define CANDYVEND_DISPLAY_H

#include <stdint.h>

#include <candyvend/lane.h>
#include <candyvend/money.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup display Display model
 * @brief The engine decides what the customer is told; the UI only renders it.
 *
 * At every step of a vend the engine publishes a ::cv_display (also as a
 * ::CV_EVENT_DISPLAY event). A touchscreen shows the message code's text in
 * its own language, or the default English text from cv_msg_text().
 *
 * Thread safety: cv_msg_text() returns a static string (never freed) and may
 * be called from any thread.
 * @since 0.1
 * @{
 */

/** @brief What the customer is told. */
enum cv_msg {
	CV_MSG_CHOOSE_PRODUCT = 0,     /**< Idle: "Choose a product". */
	CV_MSG_PRESENT_CARD = 1,       /**< "Present card or phone". */
	CV_MSG_AUTHORIZING = 2,        /**< Card read, waiting for the processor: "Authorizing...". */
	CV_MSG_DECLINED_TRY_AGAIN = 3, /**< "Card declined - try again or choose another product". */
	CV_MSG_CHECKING_PAYMENT = 4,   /**< Outcome unknown, looking it up: "Checking payment...". */
	CV_MSG_DISPENSING = 5,         /**< "Dispensing...". */
	CV_MSG_TAKE_PRODUCT = 6,       /**< "Please take your candy". */
	CV_MSG_NOT_DISPENSED = 7,      /**< "Not dispensed - you were not charged". */
	CV_MSG_CANCELLED = 8,          /**< "Cancelled - you were not charged". */
	CV_MSG_PAYMENT_FAILED = 9,     /**< "Payment not completed - you were not charged". */
	CV_MSG_SOLD_OUT = 10,          /**< "Sold out - choose another product". */
	CV_MSG_UNAVAILABLE = 11,       /**< "Not available - choose another product". */
	CV_MSG_OUT_OF_SERVICE = 12,    /**< Whole machine: "Out of service". */
	CV_MSG_SERVICE_MODE = 13,      /**< "Service in progress". */
	CV_MSG_PLEASE_WAIT = 14,       /**< "Please wait" (settling an earlier vend). */
	CV_MSG_CARD_UNAVAILABLE = 15,  /**< Idle, card sales stopped: "Card payments unavailable". */
};

/** @brief The current screen. */
struct cv_display {
	enum cv_msg msg;        /**< Message code. */
	uint16_t lane;          /**< Lane the message is about, or ::CV_DISPLAY_NO_LANE. */
	struct cv_money amount; /**< Amount to show (price), zero when none. */
};

/** @brief Lane value of a display that concerns no lane. */
#define CV_DISPLAY_NO_LANE 0xffffu

/**
 * @brief Default English text of a message code.
 * @param msg Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_msg_text(enum cv_msg msg);

/** @brief One entry of the product menu. */
struct cv_menu_item {
	uint16_t lane;                          /**< Lane index. */
	char label[CV_LANE_LABEL_LEN];          /**< Button label, e.g. "A1". */
	char product_name[CV_PRODUCT_NAME_LEN]; /**< Product name. */
	struct cv_money price;                  /**< Price. */
	enum cv_lane_availability availability; /**< Whether it can be chosen, and why not. */
};

/** @} */

#ifdef __cplusplus
}
#endif
#endif
