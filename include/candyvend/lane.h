/* SPDX-License-Identifier: MIT */
/**
 * @file lane.h
 * @brief Lanes and the planogram: what each lane holds, its price, its stock
 * and how its vends are verified.
 */
#ifndef CANDYVEND_LANE_H
#define CANDYVEND_LANE_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/money.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup lane Lanes and planogram
 * @brief A machine has up to ::CV_LANES_MAX lanes, addressed by index 0..n-1.
 *
 * Stock is decremented only on a verified drop. Each lane carries its own
 * verification policy and re-spin schedule, because thin products that slip
 * past the drop beam need different handling from chocolate bars.
 *
 * Thread safety: cv_lane_config_default() fills the caller's struct and
 * cv_lane_availability_str() returns a static string: both may be called from
 * any thread. Lanes themselves are read and changed through the machine.
 * @since 0.1
 * @{
 */

/** @brief Maximum number of lanes in one machine. */
#define CV_LANES_MAX 64
/** @brief Size of a lane label buffer ("A1"), NUL included. */
#define CV_LANE_LABEL_LEN 8
/** @brief Size of a product id buffer, NUL included. */
#define CV_PRODUCT_ID_LEN 24
/** @brief Size of a product name buffer, NUL included. */
#define CV_PRODUCT_NAME_LEN 32
/** @brief Maximum number of extra motor movements after a vend that did not drop. */
#define CV_RESPIN_MAX 8
/** @brief Highest price of one item in minor units. Keeps every running
 *  total far from int64 overflow. */
#define CV_PRICE_MAX 1000000000
/** @brief Maximum capacity of one lane. */
#define CV_LANE_CAPACITY_MAX 1000

/** @brief How a lane proves that its product fell. */
enum cv_verify_mode {
	/** The drop sensor must see the product; no drop means no charge. */
	CV_VERIFY_MODE_REQUIRED = 0,
	/** The sensor is used while healthy; while it is faulted a completed
	 *  motor cycle counts as delivery. */
	CV_VERIFY_MODE_OPTIONAL = 1,
	/** No sensor (thin products): a completed motor cycle counts as delivery. */
	CV_VERIFY_MODE_OFF = 2,
};

/** @brief Why a lane cannot be sold from right now. */
enum cv_lane_availability {
	CV_LANE_AVAILABLE = 0,   /**< Can be sold. */
	CV_LANE_SOLD_OUT = 1,    /**< Count is zero. */
	CV_LANE_DISABLED = 2,    /**< Disabled by the operator. */
	CV_LANE_QUARANTINED = 3, /**< Taken out of service after repeated failed vends. */
	CV_LANE_NOT_PRICED = 4,  /**< Price is zero. */
	CV_LANE_NO_SENSOR = 5,   /**< The drop sensor is faulted and the lane requires it. */
};

/**
 * @brief The planogram entry of one lane.
 *
 * Used to configure a lane at init and from service mode. Strings are
 * NUL-terminated and copied.
 */
struct cv_lane_config {
	char label[CV_LANE_LABEL_LEN];          /**< Name on the button, e.g. "A1"; unique, non-empty. */
	char product_id[CV_PRODUCT_ID_LEN];     /**< Operator's product id (SKU). */
	char product_name[CV_PRODUCT_NAME_LEN]; /**< Name shown to customers; non-empty. */
	int64_t price_minor; /**< Price in the machine's currency, 0..::CV_PRICE_MAX; 0 = not priced yet (not sold). */
	uint16_t capacity;   /**< Most items the lane holds, 1..::CV_LANE_CAPACITY_MAX. */
	uint16_t count;      /**< Items in the lane now, 0..capacity. */
	uint16_t low_stock_threshold;    /**< Low-stock alert when count falls to this (0 = off); < capacity. */
	enum cv_verify_mode verify_mode; /**< Drop verification policy. */
	uint8_t vend_quarter_turns;      /**< Motor movement of a normal vend in quarter turns (1..16; 4 = one turn). */
	uint8_t respin_count_max;        /**< Extra movements after no drop, 0..::CV_RESPIN_MAX. */
	uint8_t respin_quarter_turns;    /**< Size of each extra movement in quarter turns (1..16), if the
				       dispenser declares ::CV_DISPENSER_CAP_PARTIAL_TURN; else each
				       extra movement is one whole turn. */
	uint8_t quarantine_after_failures; /**< Consecutive failed vends that quarantine the lane (1..255). */
};

/**
 * @brief Fills a lane configuration with the library defaults: verification
 * required, one turn per vend, three extra quarter turns, quarantine after 3
 * consecutive failures, empty strings, price 0, capacity 10, count 0, low
 * stock at 2.
 * @param config The configuration to fill.
 * @since 0.1
 */
void cv_lane_config_default(struct cv_lane_config *config);

/**
 * @brief Checks a lane configuration the way cv_machine_new() and
 * cv_machine_lane_configure() do, and says what is wrong: the lane, the
 * field, its value and the limit, e.g. "lane A1: capacity 2000 is outside
 * 1..1000". No allocation.
 * @param config The configuration (NULL is refused).
 * @param message Receives the message, NUL-terminated (empty when valid);
 * may be NULL. ::CV_LANE_MESSAGE_LEN bytes always hold a whole one.
 * @param size Size of @p message in bytes.
 * @return ::CV_OK, or ::CV_E_INVAL for the first rule broken.
 * @since 0.1
 */
enum cv_status cv_lane_config_check(const struct cv_lane_config *config, char *message, size_t size);

/** @brief A message buffer size that always holds cv_lane_config_check()'s message. */
#define CV_LANE_MESSAGE_LEN 96

/** @brief A snapshot of one lane as the engine sees it. */
struct cv_lane_info {
	struct cv_lane_config config;           /**< Current planogram entry, price and count included. */
	bool enabled;                           /**< False when the operator disabled the lane. */
	bool quarantined;                       /**< True when out of service until service clears it. */
	uint8_t consecutive_failures;           /**< Failed vends in a row since the last good one. */
	enum cv_lane_availability availability; /**< Whether it can be sold now, and why not. */
	uint32_t vends_verified;                /**< Verified drops since init. */
	uint32_t vends_failed;                  /**< Failed vends since init. */
};

/**
 * @brief A short English text for an availability value ("sold out").
 * @param availability Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_lane_availability_str(enum cv_lane_availability availability);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
