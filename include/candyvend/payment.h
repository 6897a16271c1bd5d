/* SPDX-License-Identifier: MIT */
/**
 * @file payment.h
 * @brief Payment requests, results and the card summary a reader hands over.
 */
#ifndef CANDYVEND_PAYMENT_H
#define CANDYVEND_PAYMENT_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/money.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup payment Payments
 * @brief Two-phase money: authorize, then capture on a verified drop or void.
 *
 * Cardholder data never enters the library: a reader hands over only a
 * brand, the last four digits, an authorization code and a processor
 * reference. No type has room for a PAN, track data, a CVV or a PIN.
 *
 * Thread safety: cv_pay_result_str() returns a static string and may be
 * called from any thread. Ownership: a ::cv_payment_request handed to a
 * backend lives only during the call; the backend copies what it keeps.
 * @since 0.1
 * @{
 */

/** @brief Size of a vend id in text form (26 base32 characters + NUL). */
#define CV_VEND_ID_LEN 27
/** @brief Size of an idempotency key buffer, NUL included. */
#define CV_IDEM_KEY_LEN 48
/** @brief Size of a processor reference buffer, NUL included. */
#define CV_PROCESSOR_REF_LEN 40
/** @brief Size of a card brand buffer ("VISA"), NUL included. */
#define CV_CARD_BRAND_LEN 16
/** @brief Size of the last-four buffer, NUL included. */
#define CV_CARD_LAST4_LEN 5
/** @brief Size of an authorization code buffer, NUL included. */
#define CV_AUTH_CODE_LEN 12
/** @brief Size of an EMV application identifier buffer (up to 16 bytes as hex), NUL included. */
#define CV_CARD_AID_LEN 33
/** @brief Size of an EMV application label buffer (up to 16 characters), NUL included. */
#define CV_CARD_APP_LABEL_LEN 17

/** @brief The payment operations the engine asks a backend for. */
enum cv_payment_op {
	CV_PAYMENT_OP_AUTHORIZE = 0, /**< Collect a card and place a hold. */
	CV_PAYMENT_OP_CAPTURE = 1,   /**< Settle a held authorization. */
	CV_PAYMENT_OP_VOID = 2,      /**< Release a held authorization. */
	CV_PAYMENT_OP_LOOKUP = 3,    /**< Ask what became of an earlier authorize. */
	CV_PAYMENT_OP_REFUND = 4,    /**< Give money back (single-message methods, which can't void). */
};

/**
 * @brief Outcome of a payment operation.
 *
 * Definite failures (everything but ::CV_PAY_OK and ::CV_PAY_UNKNOWN) mean the
 * operation did not happen. ::CV_PAY_UNKNOWN means it may or may not have
 * happened: a timeout is not a decline, and the only next step is a lookup
 * (for an authorization) or a resend with the same key (capture, void).
 */
enum cv_pay_result {
	CV_PAY_OK = 0,            /**< Done (for a lookup: the authorization is held). */
	CV_PAY_DECLINED = 1,      /**< Declined by the issuer (see ::cv_decline_reason). */
	CV_PAY_CANCELLED = 2,     /**< Cancelled at the reader before any hold. */
	CV_PAY_NOT_SENT = 3,      /**< Never reached the processor. */
	CV_PAY_NOT_FOUND = 4,     /**< (Lookup, void) the processor has no such authorization. */
	CV_PAY_INVALID = 5,       /**< The processor refused the request for good: malformed, or its idempotency
				    key is spent (it already ran and created nothing). Nothing happened. */
	CV_PAY_UNKNOWN = 6,       /**< Outcome unknown; never treat as success or failure. */
	CV_PAY_RATE_LIMITED = 7,  /**< Refused for now (too many requests); nothing happened, retry later. */
	CV_PAY_EXPIRED = 8,       /**< The hold expired before the capture; nothing was captured. */
	CV_PAY_CONFLICT = 9,      /**< The same key is still being processed; nothing new happened, ask again later. */
	CV_PAY_READER_FAULT = 10, /**< The card reader failed before anything was sent. */
};

/** @brief Why an issuer declined. */
enum cv_decline_reason {
	CV_DECLINE_NONE = 0,            /**< Not a decline. */
	CV_DECLINE_GENERIC = 1,         /**< Do not honour; no detail. */
	CV_DECLINE_INSUFFICIENT = 2,    /**< Insufficient funds (soft: another card may work). */
	CV_DECLINE_EXPIRED_CARD = 3,    /**< Card expired. */
	CV_DECLINE_TRY_CONTACT = 4,     /**< Contactless refused; insert the card. */
	CV_DECLINE_CVM_REQUIRED = 5,    /**< A PIN or signature is required (soft). */
	CV_DECLINE_OFFLINE_REFUSED = 6, /**< Offline approval refused by the reader's policy (soft). */
};

/** @brief How the card reached the reader (printed on receipts). */
enum cv_card_entry {
	CV_CARD_ENTRY_UNKNOWN = 0,       /**< Not reported. */
	CV_CARD_ENTRY_CONTACTLESS = 1,   /**< Contactless card (NFC). */
	CV_CARD_ENTRY_CHIP = 2,          /**< Inserted chip card. */
	CV_CARD_ENTRY_MOBILE_WALLET = 3, /**< Phone or watch wallet (NFC, tokenized). */
};

/** @brief What a reader may tell the library about a card: never more. */
struct cv_card_summary {
	char brand[CV_CARD_BRAND_LEN];         /**< "VISA", "MASTERCARD", "AMEX"; may be empty. */
	char last4[CV_CARD_LAST4_LEN];         /**< Last four digits, or empty. */
	char auth_code[CV_AUTH_CODE_LEN];      /**< Issuer approval code, or empty. */
	char aid[CV_CARD_AID_LEN];             /**< EMV AID as upper-case hex ("A0000000031010"), or empty. */
	char app_label[CV_CARD_APP_LABEL_LEN]; /**< EMV application label ("VISA CREDIT"), or empty. */
	enum cv_card_entry entry;              /**< How the card was presented. */
};

/** @brief A request from the engine to a payment backend. */
struct cv_payment_request {
	uint32_t op_id;                           /**< Echo in the result; identifies this operation. */
	enum cv_payment_op op;                    /**< What to do. */
	char vend_id[CV_VEND_ID_LEN];             /**< The vend this belongs to. */
	char idempotency_key[CV_IDEM_KEY_LEN];    /**< Same key, same effect: resends reuse it. */
	char auth_key[CV_IDEM_KEY_LEN];           /**< For capture, void, lookup: the key of the authorization. */
	char processor_ref[CV_PROCESSOR_REF_LEN]; /**< For capture, void: the processor's id of the hold, if known. */
	struct cv_money amount; /**< Authorize: amount to hold. Capture: amount to settle (≤ held). */
	uint32_t timeout_ms;    /**< The backend must answer (UNKNOWN if need be) within this. */
	bool offline_allowed;   /**< Authorize: the operator's policy lets the reader approve this
					  one offline (store and forward) if it can't reach the processor.
					  The library itself never approves a card. */
};

/** @brief The completion of a payment operation, posted as an event. */
struct cv_payment_result {
	uint32_t op_id;                           /**< The request's op_id. */
	enum cv_payment_op op;                    /**< The request's operation. */
	enum cv_pay_result result;                /**< What happened. */
	enum cv_decline_reason decline_reason;    /**< For ::CV_PAY_DECLINED. */
	struct cv_money amount;                   /**< Authorize/lookup: amount held. Capture: amount settled. */
	char processor_ref[CV_PROCESSOR_REF_LEN]; /**< The processor's id of the hold, if any. */
	struct cv_card_summary card;              /**< Authorize/lookup: the card used. */
	bool offline_approved;                    /**< Authorize: the reader approved offline and stored the
					    payment to forward later (only if the request allowed it). */
	int64_t capture_before_s;                 /**< Authorize/lookup: the processor's capture deadline, Unix
					    seconds, or 0 if it gave none. */
};

/**
 * @brief Short name of a payment result ("UNKNOWN").
 * @param result Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_pay_result_str(enum cv_pay_result result);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
