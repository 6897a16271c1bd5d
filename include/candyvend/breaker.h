/* SPDX-License-Identifier: MIT */
/**
 * @file breaker.h
 * @brief A circuit breaker for one payment link, for payment backends.
 */
#ifndef CANDYVEND_BREAKER_H
#define CANDYVEND_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup breaker Circuit breaker
 * @brief Stops sending over a payment link that keeps failing, and probes it
 * back into service.
 *
 * A payment backend keeps one breaker per link (network path: Ethernet,
 * cellular, a second endpoint of the same processor). A link *fails* when a
 * request on it is not sent or gets no answer; any answer from the processor,
 * a decline included, is a success. After @ref cv_breaker_policy::failures_to_open
 * failures in a row within @ref cv_breaker_policy::window_ms the breaker opens:
 * nothing is sent on that link for @ref cv_breaker_policy::open_ms. Then it is
 * half-open: only probes (a harmless request such as a health check) go out,
 * one at a time; @ref cv_breaker_policy::probes_to_close good probes in a row
 * close it, a failed probe opens it again.
 *
 * A backend fails over to another link only for an operation whose outcome
 * on the first link is definite (nothing was sent): never while an outcome is
 * unknown, since then only that link's answer can settle it.
 *
 * Pure logic: no clock, no allocation; the caller passes monotonic time.
 * Not thread-safe; one breaker is used by one thread.
 * @since 0.1
 * @{
 */

/** @brief State of a breaker. */
enum cv_breaker_state {
	CV_BREAKER_CLOSED = 0,    /**< Link in service. */
	CV_BREAKER_OPEN = 1,      /**< Link out of service until the open time passes. */
	CV_BREAKER_HALF_OPEN = 2, /**< Only probes go out. */
};

/** @brief When a breaker opens and closes. */
struct cv_breaker_policy {
	uint8_t failures_to_open; /**< Failures in a row that open it (1..100, default 5). */
	uint32_t window_ms;       /**< ...if they all fall within this time (≥ 1, default 60000). */
	uint32_t open_ms;         /**< Time open before probing (≥ 1, default 30000). */
	uint8_t probes_to_close;  /**< Good probes in a row that close it (1..100, default 2). */
};

/** @brief One link's breaker. Treat the members as private. */
struct cv_breaker {
	struct cv_breaker_policy policy; /**< Copied at init. */
	enum cv_breaker_state state;     /**< Current state. */
	uint8_t failures;                /**< Failures in a row (closed). */
	uint8_t good_probes;             /**< Good probes in a row (half-open). */
	bool probe_out;                  /**< A probe is in flight (half-open). */
	uint64_t first_failure_ms;       /**< Time of the first of the failures in a row. */
	uint64_t opened_ms;              /**< When it last opened. */
	uint32_t times_opened;           /**< How often it opened since init, for metrics. */
};

/**
 * @brief Fills @p policy with the defaults (docs/payments.md): open after
 * 5 failures in 60 s, probe after 30 s, close after 2 good probes.
 * @param policy Filled.
 * @since 0.1
 */
void cv_breaker_policy_default(struct cv_breaker_policy *policy);

/**
 * @brief Starts a breaker closed.
 * @param breaker The breaker.
 * @param policy Its policy, or NULL for the defaults.
 * @retval CV_OK done.
 * @retval CV_E_INVAL NULL @p breaker or a policy value out of range.
 * @since 0.1
 */
enum cv_status cv_breaker_init(struct cv_breaker *breaker, const struct cv_breaker_policy *policy);

/**
 * @brief The state at @p now_ms: an open breaker whose open time has passed
 * turns half-open here.
 * @param breaker The breaker.
 * @param now_ms Monotonic time.
 * @return The state.
 * @since 0.1
 */
enum cv_breaker_state cv_breaker_state(struct cv_breaker *breaker, uint64_t now_ms);

/**
 * @brief Whether an operation may be sent on the link now (closed only).
 * @param breaker The breaker.
 * @param now_ms Monotonic time.
 * @return true if the breaker is closed.
 * @since 0.1
 */
bool cv_breaker_allows(struct cv_breaker *breaker, uint64_t now_ms);

/**
 * @brief Whether a probe should be sent now: half-open with no probe out.
 * Marks the probe as out; report it with cv_breaker_record().
 * @param breaker The breaker.
 * @param now_ms Monotonic time.
 * @return true if the caller should send one probe.
 * @since 0.1
 */
bool cv_breaker_take_probe(struct cv_breaker *breaker, uint64_t now_ms);

/**
 * @brief Records how a request (or probe) on the link went.
 * @param breaker The breaker.
 * @param now_ms Monotonic time.
 * @param link_ok true if the processor answered (whatever it said); false if
 *        the request was not sent or got no answer.
 * @since 0.1
 */
void cv_breaker_record(struct cv_breaker *breaker, uint64_t now_ms, bool link_ok);

/**
 * @brief Short name of a breaker state ("HALF_OPEN").
 * @param state Any value.
 * @return A static string, never NULL.
 * @since 0.1
 */
const char *cv_breaker_state_str(enum cv_breaker_state state);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
