/* SPDX-License-Identifier: MIT */
/**
 * @file receipt.h
 * @brief Receipt records, their plain-text rendering for thermal printers,
 * their JSON rendering for digital receipts, and the delivery hook.
 */
#ifndef CANDYVEND_RECEIPT_H
#define CANDYVEND_RECEIPT_H

#include <stdbool.h>
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
 * A receipt carries what the card schemes ask for: merchant name and
 * location, machine id, date and time, product, amount and currency, card
 * brand and last 4, entry mode, authorization code, the EMV AID and
 * application label when the reader reported them, the vend id, the outcome,
 * and an "offline, pending" flag when the reader approved offline.
 *
 * The record holds the last four digits of the card at most; expiry dates
 * and everything else a scheme forbids on a receipt have no field.
 *
 * The engine posts each receipt as ::CV_EVENT_RECEIPT and then, if set,
 * hands it to cv_machine_config::deliver_receipt. Printing and delivery are
 * the application's: cv_receipt_render() gives thermal-printer text and
 * cv_receipt_render_json() a record the fleet backend can serve.
 *
 * There is deliberately no QR-code-on-screen default: a vending display
 * showing a QR e-receipt for a phone to scan is claimed by a patent
 * (US9836734B2), so offering it needs legal review first. Alternatives are
 * a printed short code looked up by last 4 and time, or e-mail/SMS entry.
 *
 * Thread safety: cv_receipt_render() and cv_receipt_render_json() only read
 * the record and write the caller's buffer: any thread may call them on its
 * own buffers. Ownership: a receipt handed to the listener or the delivery
 * hook lives only during that call; copy it (it holds no pointers) to keep it.
 * @since 0.1
 * @{
 */

/** @brief Size of a machine id buffer, NUL included. */
#define CV_MACHINE_ID_LEN 32
/** @brief Size of the merchant name and location buffers, NUL included. */
#define CV_MERCHANT_TEXT_LEN 40
/** @brief Narrow thermal printer width in columns. */
#define CV_RECEIPT_WIDTH_NARROW 32
/** @brief Wide thermal printer width in columns. */
#define CV_RECEIPT_WIDTH_WIDE 42
/** @brief A buffer of this size always holds a rendered receipt. */
#define CV_RECEIPT_TEXT_MAX 2048
/**
 * @brief A buffer of this size always holds a receipt rendered as JSON,
 * whatever its fields hold (every byte escaped, every field full).
 */
#define CV_RECEIPT_JSON_MAX 2560

/** @brief How a vend ended, as printed on the receipt. */
enum cv_receipt_status {
	CV_RECEIPT_CHARGED = 0,       /**< Product delivered, payment captured. */
	CV_RECEIPT_NOT_CHARGED = 1,   /**< Authorization voided: nothing charged. */
	CV_RECEIPT_CHARGE_FAILED = 2, /**< Product delivered, capture failed: operator follow-up. */
};

/** @brief One receipt. */
struct cv_receipt {
	char vend_id[CV_VEND_ID_LEN];                 /**< Vend id. */
	char merchant_name[CV_MERCHANT_TEXT_LEN];     /**< Merchant (DBA) name, or empty. */
	char merchant_location[CV_MERCHANT_TEXT_LEN]; /**< Where the machine stands, or empty. */
	char machine_id[CV_MACHINE_ID_LEN];           /**< Machine id. */
	int64_t time_ms;                              /**< Wall-clock time, ms since 1970-01-01 UTC. */
	uint16_t lane;                                /**< Lane index. */
	char lane_label[CV_LANE_LABEL_LEN];           /**< Lane label. */
	char product_id[CV_PRODUCT_ID_LEN];           /**< Product id. */
	char product_name[CV_PRODUCT_NAME_LEN];       /**< Product name. */
	struct cv_money amount;                       /**< Amount charged, or the price that was not charged. */
	struct cv_card_summary card;                  /**< Brand, last 4, auth code, entry mode, AID and
						  application label; empty strings are not printed. */
	enum cv_receipt_status status;                /**< Outcome. */
	bool offline;                                 /**< The reader approved offline: the payment is
						  stored at the reader and still to be forwarded
						  ("offline, pending"). */
};

/**
 * @brief Short English text of a receipt status ("NOT CHARGED").
 * @param status Any value.
 * @return A static string, never NULL.
 * @since 0.1
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
 * @since 0.1
 */
enum cv_status cv_receipt_render(const struct cv_receipt *receipt, unsigned width, char *buf, size_t size,
				 size_t *length_out);

/**
 * @brief Renders a receipt as one line of JSON, the digital receipt record.
 *
 * Schema "cv.receipt.v1", keys always present and always in this order:
 * `schema`, `vend_id`, `status` ("captured", "voided" or "capture_failed"),
 * `merchant_name`, `merchant_location`, `machine_id`, `time` (ISO 8601 UTC,
 * "2026-01-01T12:00:00.000Z"), `lane`, `lane_label`, `product_id`,
 * `product_name`, `amount_minor` (integer minor units), `currency`, `card`
 * (an object: `brand`, `last4`, `entry` ("contactless", "chip",
 * "mobile_wallet"), `auth_code`, `aid`, `app_label`) and `offline_pending`.
 * Optional fields that are empty (merchant, card fields) are `null`.
 * Strings are escaped (quotes, backslash, control bytes as `\u00XX`); bytes
 * that are not valid UTF-8 become U+FFFD. As in the text, digits in the card
 * brand and application label are masked with '*'. No allocation.
 * @param receipt The receipt.
 * @param buf Output buffer, NUL-terminated on success.
 * @param size Size of @p buf; ::CV_RECEIPT_JSON_MAX always suffices.
 * @param length_out If not NULL, receives the length without the NUL.
 * @retval CV_OK on success.
 * @retval CV_E_INVAL on a NULL argument or a malformed record (an
 *         unterminated string, a bad currency, a status or entry mode out of range).
 * @retval CV_E_FULL if @p buf is too small (it then holds an empty string).
 * @since 0.1
 */
enum cv_status cv_receipt_render_json(const struct cv_receipt *receipt, char *buf, size_t size, size_t *length_out);

/**
 * @brief Hook that delivers a digital receipt (e-mail, SMS, the fleet
 * backend...), set in cv_machine_config::deliver_receipt.
 *
 * The engine calls it once per receipt, right after the ::CV_EVENT_RECEIPT
 * listener, from inside cv_machine_step() (or cv_machine_init() when a
 * restart resolves a vend). Like the listener it must not call into the
 * machine except read-only queries; calls that change the machine are
 * refused with ::CV_E_MISUSE. It should only queue the receipt (for example
 * its cv_receipt_render_json() text) and return.
 *
 * The library has no default delivery and never shows a QR code on screen
 * (see @ref receipt for the patent caution).
 * @param ctx cv_machine_config::deliver_receipt_ctx.
 * @param receipt The receipt; valid only during the call.
 * @since 0.1
 */
typedef void (*cv_receipt_deliver_fn)(void *ctx, const struct cv_receipt *receipt);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
