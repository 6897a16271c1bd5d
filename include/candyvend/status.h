/* SPDX-License-Identifier: MIT */
/**
 * @file status.h
 * @brief The one status code used by every libcandyvend function.
 */
#ifndef CANDYVEND_STATUS_H
#define CANDYVEND_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup status Status codes
 * @brief One enum for every result; no errno anywhere.
 *
 * Every function that can fail returns an ::cv_status. ::CV_OK is zero, so
 * `if (rc)` tests for failure. ::CV_PENDING is not a failure: it means an
 * asynchronous operation was started and its completion arrives later as an
 * event. A function that fails changes nothing.
 *
 * Every code listed is returned by some function or backend; a code is never
 * renumbered, so the values are stable (applications log and compare them,
 * bindings mirror them). Values 5, 12 and 13 are unused: they were codes
 * nothing returned (a timeout, a missing drop and a decline are outcomes of
 * a vend, reported in its events, never a function's result), and are not
 * reused. cv_status_name() answers "CV_E_UNKNOWN" for them.
 *
 * Thread safety: cv_status_str() and cv_status_name() keep no state and may be
 * called from any thread or interrupt; their strings are static, never freed.
 * @since 0.1
 * @{
 */

/** @brief Result of a libcandyvend call. */
enum cv_status {
	CV_OK = 0,                     /**< Success. */
	CV_PENDING = 1,                /**< Started; the completion arrives as an event. */
	CV_E_INVAL = 2,                /**< An argument is out of range or malformed. */
	CV_E_NOMEM = 3,                /**< Not enough memory (allocator or caller buffer). */
	CV_E_BUSY = 4,                 /**< Another customer session or operation is in progress. */
	CV_E_IO = 6,                   /**< A storage or device I/O error. */
	CV_E_NOTSUP = 7,               /**< This build or a backend lacks what the call needs: an optional
				   operation, sealing, a durable storage. */
	CV_E_VERSION = 8,              /**< A backend table is older or smaller than this library needs. */
	CV_E_FULL = 9,                 /**< A bounded queue, table or journal is full. */
	CV_E_CORRUPT = 10,             /**< Stored data failed its integrity check. */
	CV_E_JAM = 11,                 /**< The dispense motor jammed or did not return home. */
	CV_E_STATE = 14,               /**< The operation is not allowed in the current state. */
	CV_E_NOT_FOUND = 15,           /**< No such lane, vend or record. */
	CV_E_SOLD_OUT = 16,            /**< The lane has no stock. */
	CV_E_OUT_OF_SERVICE = 17,      /**< The lane or machine is disabled or quarantined. */
	CV_E_NOT_PRICED = 18,          /**< The lane has no valid price. */
	CV_E_SENSOR = 19,              /**< The drop sensor reported a fault. */
	CV_E_MISUSE = 20,              /**< The API was called incorrectly (NULL object, not started). */
	CV_E_PAYMENT_UNAVAILABLE = 21, /**< Card payments are unavailable: the processor link is down
					    and the offline policy allows no approval. */
};

/**
 * @brief A short English description of a status code.
 * @param status Any value, including values not in ::cv_status.
 * @return A static string (never NULL, never to be freed), e.g. "lane is sold out".
 * @note Safe to call from any thread or interrupt.
 * @since 0.1
 */
const char *cv_status_str(enum cv_status status);

/**
 * @brief The symbolic name of a status code.
 * @param status Any value, including values not in ::cv_status.
 * @return A static string such as "CV_E_INVAL", or "CV_E_UNKNOWN" for other values.
 * @since 0.1
 */
const char *cv_status_name(enum cv_status status);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
