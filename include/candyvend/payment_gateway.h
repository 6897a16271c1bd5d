/* SPDX-License-Identifier: MIT */
/**
 * @file payment_gateway.h
 * @brief Payment backend that authorizes through a processor's HTTP API with
 * manual capture (library candyvend-gateway, libcurl multi + Jansson).
 */
#ifndef CANDYVEND_PAYMENT_GATEWAY_H
#define CANDYVEND_PAYMENT_GATEWAY_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/breaker.h>
#include <candyvend/money.h>
#include <candyvend/payment.h>
#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup gateway Processor gateway
 * @brief A payment backend that talks to a card processor's HTTP API
 * (modelled on Stripe PaymentIntents with `capture_method=manual`).
 *
 * | Engine operation | HTTP request |
 * |------------------|--------------|
 * | authorize | `POST /v1/payment_intents` (amount, currency, payment_method = the reader's token, capture_method=manual, confirm=true, metadata[vend_id]) |
 * | capture   | `POST /v1/payment_intents/{id}/capture` (amount_to_capture) |
 * | void      | `POST /v1/payment_intents/{id}/cancel` |
 * | lookup    | `GET /v1/payment_intents?idempotency_key=<auth key>` |
 *
 * Every POST carries the request's idempotency key in an `Idempotency-Key`
 * header, so a resend can only ever have one effect. A capture or void whose
 * processor reference is not known yet finds it first by the authorization's
 * key. A create answered from the processor's idempotency store (header
 * `Idempotent-Replayed: true`) is checked against the intent's current state
 * (`GET /v1/payment_intents/{id}`) before it is reported.
 *
 * **Card data never reaches the gateway.** The reader side tokenizes the
 * card: when the engine asks for an authorization, the gateway calls the
 * configured ::cv_gateway_collect_fn, and the reader later hands over a
 * token with cv_gateway_card_token() (or reports cv_gateway_card_failed()).
 * A token that looks like a card number (a run of 13 or more digits) is
 * refused. Only the token, the amount, the currency, the vend id and keys
 * are sent. The API key, tokens and bodies are never logged.
 *
 * **Nothing blocks.** Requests run on libcurl's multi interface inside the
 * application's loop: the loop polls the descriptors from
 * cv_gateway_pollfds() alongside its own, waits at most
 * cv_gateway_timeout_ms(), then calls cv_gateway_process() and
 * cv_machine_step(). Completions are posted to the machine with
 * cv_machine_post(); one answered with ::CV_E_FULL is kept and posted again
 * on the next cv_gateway_process().
 *
 * **Links and failover.** Up to ::CV_GATEWAY_LINKS_MAX base URLs name
 * network paths to the same processor, each with a ::cv_breaker. An
 * operation goes over the first link whose breaker is closed. It moves on to
 * the next link only when nothing was sent (connection refused, resolve or
 * connect failure): a definite outcome. An operation whose outcome is unknown
 * on a link (sent, no complete answer; or a 5xx) pins its key to that link:
 * every later request with that key, and every lookup of that
 * authorization, goes over that link only until a definite answer comes
 * (a lookup that finds nothing keeps the pin). An authorization with a
 * pinned key that can't be sent completes ::CV_PAY_UNKNOWN, never "not
 * sent". Half-open links are probed from cv_gateway_process().
 *
 * Thread safety: a gateway is used from the thread that runs its machine,
 * like the machine itself. Every function here must be called from that
 * thread, the reader's calls included.
 * @since 0.1
 * @{
 */

/** @brief Network paths (base URLs) a gateway can use. */
#define CV_GATEWAY_LINKS_MAX 2
/** @brief Operations a gateway runs at once; one more is refused with ::CV_E_BUSY. */
#define CV_GATEWAY_SLOTS 8
/** @brief Longest reader token, in characters (NUL not included). */
#define CV_GATEWAY_TOKEN_MAX 64
/** @brief Keys whose outcome is unknown that a gateway remembers the link of (oldest evicted). */
#define CV_GATEWAY_PINS_MAX 16
/** @brief Enough entries for cv_gateway_pollfds() in every case. */
#define CV_GATEWAY_POLLFDS_MAX 32
/** @brief Longest base URL, in characters. */
#define CV_GATEWAY_URL_MAX 200
/** @brief Longest path of cv_gateway_config::ca_file. */
#define CV_GATEWAY_CA_FILE_MAX 255

/** @struct cv_gateway
 * @brief Opaque gateway. */
struct cv_gateway;

/**
 * @brief The reader glue: start collecting a card for authorization @p op_id.
 *
 * The reader tokenizes the card and later calls cv_gateway_card_token(), or
 * cv_gateway_card_failed() if the customer walked away or the reader failed.
 * It may do so before returning.
 * @param reader_ctx The configuration's `reader_ctx`.
 * @param gateway The gateway.
 * @param op_id The authorization's operation id.
 * @param amount The amount to authorize (for the reader's display).
 * @return ::CV_OK if collection started; any error refuses the authorization
 *         (the engine sees ::CV_PAY_NOT_SENT).
  * @since 0.1
 */
typedef enum cv_status (*cv_gateway_collect_fn)(void *reader_ctx, struct cv_gateway *gateway, uint32_t op_id,
						const struct cv_money *amount);

/**
 * @brief The reader glue: stop collecting a card for @p op_id (the customer
 * cancelled or the time ran out). The gateway answers the authorization
 * ::CV_PAY_CANCELLED itself; the reader may still call cv_gateway_card_failed().
 * @param reader_ctx The configuration's `reader_ctx`.
 * @param gateway The gateway.
 * @param op_id The authorization's operation id.
  * @since 0.1
 */
typedef void (*cv_gateway_abort_fn)(void *reader_ctx, struct cv_gateway *gateway, uint32_t op_id);

/**
 * @brief Receives one log line (no newline). Lines hold operation ids, HTTP
 * status codes and processor ids only: never a key, token or body.
 * @param log_ctx The configuration's `log_ctx`.
 * @param level Severity.
 * @param message The line; valid only during the call.
  * @since 0.1
 */
typedef void (*cv_gateway_log_fn)(void *log_ctx, enum cv_log_level level, const char *message);

/** @brief How a gateway reaches its processor and its reader. */
struct cv_gateway_config {
	/** @brief Base URLs, e.g. "https://api.example.com" or "http://127.0.0.1:8080"
	 *  (at most ::CV_GATEWAY_URL_MAX characters, no trailing slash needed;
	 *  plain http only to 127.0.0.0/8, [::1] or localhost).
	 *  links[0] is required; links[1] (optional, NULL) is a second network
	 *  path to the same processor. Copied at creation. */
	const char *links[CV_GATEWAY_LINKS_MAX];
	/** @brief The processor's secret API key, sent as "Authorization: Bearer".
	 *  Copied at creation, wiped at cv_gateway_free(), never logged. Required. */
	const char *api_key;
	/** @brief Breaker policy of every link; a member left 0 takes its default
	 *  (cv_breaker_policy_default()). */
	struct cv_breaker_policy breaker;
	/** @brief Longest TCP connect, in ms; 0 = 3000. */
	uint32_t connect_timeout_ms;
	/** @brief Starts collecting a card. Required. */
	cv_gateway_collect_fn collect;
	/** @brief Stops collecting a card. Optional (NULL). */
	cv_gateway_abort_fn abort_collect;
	/** @brief Passed to @ref collect and @ref abort_collect. */
	void *reader_ctx;
	/** @brief Log sink. Optional (NULL: no log). */
	cv_gateway_log_fn log;
	/** @brief Passed to @ref log. */
	void *log_ctx;
	/** @brief A PEM file of the certificate authorities to trust for https
	 *  links instead of the system's (at most ::CV_GATEWAY_CA_FILE_MAX
	 *  characters, checked readable at creation). Optional (NULL: the
	 *  system's store). */
	const char *ca_file;
};

/**
 * @brief The payment backend table; its ctx is a ::cv_gateway.
 *
 * Capabilities: none (caps is NULL): holds are captured or voided, never
 * single-message; no refunds (the processor API used has none); no offline
 * approvals. abort_collect is implemented. Idempotency keys are sent as given. health() answers ::CV_OK while
 * any link's breaker is closed, else ::CV_E_IO. A method returns ::CV_E_BUSY
 * when all ::CV_GATEWAY_SLOTS are in use, and ::CV_E_IO (the engine's
 * "not sent") when no link may be used.
  * @since 0.1
 */
extern const struct cv_payment_ops cv_gateway_payment_ops;

/**
 * @brief Creates a gateway (allocates; initializes libcurl's global state
 * the first time, with an allocator that wipes every buffer libcurl frees:
 * create the gateway before anything else in the process uses libcurl, or
 * libcurl keeps the allocator it has and the gateway logs a warning).
 * @param config The configuration; strings are copied.
 * @param out Receives the gateway; free it with cv_gateway_free().
 * @retval CV_OK created.
 * @retval CV_E_INVAL a NULL argument, no links[0], a URL too long, not
 *         https (plain http is allowed to a loopback address only) or with
 *         user information, no api_key, no collect, a bad breaker policy, or
 *         an unreadable ca_file; the reason goes to the log sink.
 * @retval CV_E_NOMEM allocation or libcurl setup failed.
  * @since 0.1
 */
enum cv_status cv_gateway_new(const struct cv_gateway_config *config, struct cv_gateway **out);

/**
 * @brief Stops every transfer, wipes the API key and frees the gateway.
 * Operations still running get no completion (close the machine first).
 * @param gateway The gateway, or NULL.
  * @since 0.1
 */
void cv_gateway_free(struct cv_gateway *gateway);

/**
 * @brief The descriptors the application must poll for the gateway.
 * @param gateway The gateway.
 * @param fds Filled with up to @p cap entries (fd, events; revents zeroed).
 * @param cap Capacity of @p fds; ::CV_GATEWAY_POLLFDS_MAX is always enough.
 * @return Entries filled.
  * @since 0.1
 */
size_t cv_gateway_pollfds(struct cv_gateway *gateway, struct pollfd *fds, size_t cap);

/**
 * @brief How long the application may wait before calling
 * cv_gateway_process() even if no descriptor is ready.
 * @param gateway The gateway.
 * @param now_ms Monotonic time, the clock given to cv_machine_step().
 * @return Milliseconds (0 = call it now), or -1 if nothing is due.
  * @since 0.1
 */
int cv_gateway_timeout_ms(struct cv_gateway *gateway, uint64_t now_ms);

/**
 * @brief Does the gateway's work: drives transfers whose descriptors are
 * ready or whose timers expired, finishes operations, posts completions,
 * probes half-open links and ends card collections that ran out of time.
 * Never blocks.
 * @param gateway The gateway.
 * @param now_ms Monotonic time, the clock given to cv_machine_step(); the
 *        gateway's operations also use the last time given here.
 * @param fds The entries from cv_gateway_pollfds() with `revents` set by
 *        poll(), or NULL.
 * @param n Number of entries in @p fds.
  * @since 0.1
 */
void cv_gateway_process(struct cv_gateway *gateway, uint64_t now_ms, const struct pollfd *fds, size_t n);

/**
 * @brief The reader hands over the tokenized card for authorization @p op_id;
 * the gateway posts ::CV_EVENT_CARD_READ and sends the authorization.
 * @param gateway The gateway.
 * @param op_id The authorization's operation id (from ::cv_gateway_collect_fn).
 * @param token The processor's payment method token: 1 to
 *        ::CV_GATEWAY_TOKEN_MAX printable ASCII characters without spaces and
 *        without a run of 13 or more digits (nothing that could be a card number).
 * @param card What the reader may say about the card (brand, last 4, AID,
 *        label, entry mode), or NULL; the processor's answer takes precedence.
 * @retval CV_OK the authorization is on its way.
 * @retval CV_E_INVAL the token was refused; the authorization completes
 *         ::CV_PAY_READER_FAULT.
 * @retval CV_E_NOT_FOUND no card collection with this @p op_id.
  * @since 0.1
 */
enum cv_status cv_gateway_card_token(struct cv_gateway *gateway, uint32_t op_id, const char *token,
				     const struct cv_card_summary *card);

/**
 * @brief The reader could not collect a card for authorization @p op_id.
 * @param gateway The gateway.
 * @param op_id The authorization's operation id.
 * @param result ::CV_PAY_CANCELLED (the customer gave up) or
 *        ::CV_PAY_READER_FAULT (the reader failed); the authorization
 *        completes with it.
 * @retval CV_OK done.
 * @retval CV_E_INVAL another @p result.
 * @retval CV_E_NOT_FOUND no card collection with this @p op_id.
  * @since 0.1
 */
enum cv_status cv_gateway_card_failed(struct cv_gateway *gateway, uint32_t op_id, enum cv_pay_result result);

/**
 * @brief The state of a link's breaker, for metrics and tests.
 * @param gateway The gateway.
 * @param index Link index, 0 to ::CV_GATEWAY_LINKS_MAX - 1.
 * @return The state at the gateway's last known time; ::CV_BREAKER_OPEN
 *         for a link that is not configured.
  * @since 0.1
 */
enum cv_breaker_state cv_gateway_link_state(struct cv_gateway *gateway, unsigned index);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
