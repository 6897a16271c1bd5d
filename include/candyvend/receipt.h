/* SPDX-License-Identifier: MIT */
/**
 * @file receipt.h
 * @brief Receipt records and their plain-text rendering for thermal printers.
 */
#ifndef CANDYVEND_RECEIPT_H
#define CANDYVEND_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include <candyvend/lane.h>
#include <candyvend/money.h>
#include <candyvend/payment.h>
#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup receipt Receipts
 * @brief Every completed or voided vend yields a receipt record.
 *
 * The record holds the last four digits of the card at most; expiry dates
 * and everything else a scheme forbids on a receipt have no field.
 * @{
 */

/** @brief Size of a machine id buffer, NUL included. */
#define CV_MACHINE_ID_LEN 32
/** @brief Narrow thermal printer width in columns. */
#define CV_RECEIPT_WIDTH_NARROW 32
/** @brief Wide thermal printer width in columns. */
#define CV_RECEIPT_WIDTH_WIDE 42
/** @brief A buffer of this size always holds a rendered receipt. */
#define CV_RECEIPT_TEXT_MAX 1024

/** @brief How a vend ended, as printed on the receipt. */
enum cv_receipt_status {
	CV_RECEIPT_CHARGED = 0,      /**< Product delivered, payment captured. */
	CV_RECEIPT_NOT_CHARGED = 1,  /**< Authorization voided: nothing charged. */
	CV_RECEIPT_CHARGE_FAILED = 2,/**< Product delivered, capture failed: operator follow-up. */
};

/** @brief One receipt. */
struct cv_receipt {
	char vend_id[CV_VEND_ID_LEN];        /**< Vend id. */
	char machine_id[CV_MACHINE_ID_LEN];  /**< Machine id. */
	int64_t time_ms;                     /**< Wall-clock time, ms since 1970-01-01 UTC. */
	uint16_t lane;                       /**< Lane index. */
	char lane_label[CV_LANE_LABEL_LEN];  /**< Lane label. */
	char product_id[CV_PRODUCT_ID_LEN];  /**< Product id. */
	char product_name[CV_PRODUCT_NAME_LEN]; /**< Product name. */
	struct cv_money amount;              /**< Amount charged, or the price that was not charged. */
	struct cv_card_summary card;         /**< Brand, last 4 and auth code. */
	enum cv_receipt_status status;       /**< Outcome. */
};

/**
 * @brief Short English text of a receipt status ("NOT CHARGED").
 * @param status Any value.
 * @return A static string, never NULL.
 */
const char *cv_receipt_status_str(enum cv_receipt_status status);

/**
 * @brief Renders a receipt as plain text for a thermal printer.
 *
 * Lines are at most @p width columns and end with '\n'; values too long for
 * a line are cut, never wrapped into the next field.
 * @param receipt The receipt.
 * @param width ::CV_RECEIPT_WIDTH_NARROW or ::CV_RECEIPT_WIDTH_WIDE (any value 24..80 works).
 * @param buf Output buffer, NUL-terminated on success.
 * @param size Size of @p buf; ::CV_RECEIPT_TEXT_MAX always suffices.
 * @param length_out If not NULL, receives the text length without the NUL.
 * @retval CV_OK on success.
 * @retval CV_E_INVAL on a NULL argument, a width outside 24..80, or a malformed
 *         record (an unterminated string, a bad currency).
 * @retval CV_E_FULL if @p buf is too small (it then holds an empty string).
 */
enum cv_status cv_receipt_render(const struct cv_receipt *receipt, unsigned width,
				 char *buf, size_t size, size_t *length_out);

/**
 * @brief Hook that delivers a digital receipt (e-mail, SMS, the fleet
 * backend...). The library has no default and never shows a QR code.
 * @param ctx cv_machine_config::deliver_receipt_ctx.
 * @param receipt The receipt; valid only during the call.
 */
typedef void (*cv_receipt_deliver_fn)(void *ctx, const struct cv_receipt *receipt);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
