/* SPDX-License-Identifier: MIT */
/**
 * @file machine.h
 * @brief The machine: the vend engine, its configuration, customer and service APIs.
 */
#ifndef CANDYVEND_MACHINE_H
#define CANDYVEND_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/display.h>
#include <candyvend/event.h>
#include <candyvend/lane.h>
#include <candyvend/money.h>
#include <candyvend/receipt.h>
#include <candyvend/status.h>
#include <candyvend/vend.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup machine Machine (engine)
 * @brief The single-threaded, non-blocking vend engine.
 *
 * The application calls cv_machine_step() from its loop with a monotonic
 * time; backends post completions with cv_machine_post(); the engine tells
 * the application what happened through the listener. Nothing allocates
 * after init; every table and queue has the bound named in its header.
 *
 * Thread safety: a machine is not thread-safe. Use one machine from one
 * thread at a time (backends post from that same thread). Separate machines
 * are independent. The listener runs synchronously inside the call that
 * caused the event and must not call back into the machine, except for
 * the read-only queries (cv_machine_lane_info(), cv_machine_display(), ...):
 * every call that changes the machine answers ::CV_E_MISUSE from there
 * (cv_machine_post() excepted: queueing is always safe).
 *
 * Ownership: with cv_machine_init() the caller owns the machine's memory
 * and may reuse it after cv_machine_deinit(); cv_machine_new() allocates it
 * and cv_machine_free() releases it. The configuration, the lane array and
 * the journal key are copied at init; backend contexts, the listener's
 * `user_data` and `deliver_receipt_ctx` are the application's and must
 * outlive the machine. Output structs are the caller's.
 * @since 0.1
 * @{
 */

/** @brief Opaque machine. */
struct cv_machine;

/**
 * @brief Listener for output events.
 * @param machine The machine.
 * @param event The event; valid only during the call.
 * @param user_data The application's pointer from the configuration.
 * @since 0.1
 */
typedef void (*cv_event_fn)(struct cv_machine *machine, const struct cv_event *event, void *user_data);

/** @brief Every wait of the engine, in milliseconds. */
struct cv_timeouts {
	uint32_t payment_ms;    /**< Authorization incl. card presentation (default 30000). */
	uint32_t lookup_ms;     /**< One lookup of an unknown outcome (default 10000). */
	uint32_t settle_ms;     /**< One capture or void (default 15000). */
	uint32_t motor_ms;      /**< One motor movement (default 5000). */
	uint32_t verify_ms;     /**< Drop window after the motor stops (default 3000). */
	uint32_t session_ms;    /**< Customer idle after a decline before the vend closes (default 30000). */
	uint32_t retry_base_ms; /**< First retry delay of a capture, void or lookup (default 2000). */
	uint32_t retry_cap_ms;  /**< Longest retry delay (default 300000). */
	uint32_t message_ms;    /**< How long a final message stays before the menu returns (default 5000). */
	uint32_t sync_ms;       /**< A journal sync not confirmed in this time is asked again (default 10000). */
	uint32_t flush_ms;      /**< Records no side effect waits for (final states, service changes) are
				    synced within this time (default 1000); the others at once. */
};

/**
 * @brief The operator's limits on offline (store-and-forward) approvals.
 *
 * Offline approval is the reader's job (it holds the card data the library
 * never sees, and the stored payments until it forwards them); the engine
 * tells it, per authorization, whether policy allows one
 * (cv_payment_request::offline_allowed), judged against what the reader
 * reports as not yet forwarded (cv_payment_ops::offline_status), and stops
 * card sales while the link is down and no offline approval is allowed.
 * All zero (the default) allows none.
 */
struct cv_offline_policy {
	bool enabled;             /**< Offline approvals may be allowed at all. */
	int64_t max_amount_minor; /**< Largest price approved offline (1..::CV_PRICE_MAX when enabled). */
	uint32_t max_count;       /**< Most unsent offline approvals at once (≥ 1). */
	int64_t max_total_minor;  /**< Largest sum of unsent offline approvals (≥ max_amount_minor). */
	uint32_t max_age_s;       /**< Oldest unsent offline approval allowed, in seconds (≥ 1); an
				        older one stops offline approvals until it is forwarded. */
};

/** @brief Configuration of a machine. Copied at init; the lane array too. */
struct cv_machine_config {
	char machine_id[CV_MACHINE_ID_LEN];           /**< Non-empty id, printed on receipts. */
	char merchant_name[CV_MERCHANT_TEXT_LEN];     /**< Merchant (DBA) name for receipts; may be empty. */
	char merchant_location[CV_MERCHANT_TEXT_LEN]; /**< Where the machine stands, for receipts; may be empty. */
	char currency[CV_CURRENCY_LEN];               /**< ISO 4217 currency of every price. */
	const struct cv_lane_config *lanes;           /**< Planogram, @ref lane_count entries. */
	uint16_t lane_count;                          /**< 1..::CV_LANES_MAX. */
	struct cv_timeouts timeouts;                  /**< Every wait; 0 is invalid. */
	uint8_t lookup_attempts_max;  /**< Lookups of an unknown authorization before voiding it (1..20, default 3). */
	uint16_t settle_attempts_max; /**< Sends of one capture or void with no definite answer before the
					    ::CV_ALERT_SETTLEMENT_STALLED alert (1..1000, default 20). They go on
					    after it: a pending capture or void is never dropped. */
	const uint8_t *journal_key;   /**< ::CV_JOURNAL_KEY_LEN bytes to seal every journal record with
					    (XChaCha20-Poly1305), or NULL for plain records. Copied at init and
					    wiped at deinit; the caller wipes its own copy. Needs the crypto module. */
	uint32_t checkpoint_records;  /**< Journal records between checkpoints (0: none; else 256..10^6, default 4096).
					    Needs a storage with checkpoint_set; opening then reads only from the last one.
					    Counted from the last durable checkpoint, across restarts. */
	const struct cv_platform_ops *platform;   /**< Required. */
	void *platform_ctx;                       /**< Passed to platform calls. */
	const struct cv_dispenser_ops *dispenser; /**< Required. */
	void *dispenser_ctx;                      /**< Dispenser backend state. */
	const struct cv_sensor_ops *sensor;       /**< Required. */
	void *sensor_ctx;                         /**< Sensor backend state. */
	const struct cv_payment_ops *payment;     /**< Required. */
	void *payment_ctx;                        /**< Payment backend state. */
	const struct cv_storage_ops *storage;     /**< Required. */
	void *storage_ctx;                        /**< Storage backend state. */
	struct cv_offline_policy offline;         /**< Offline approval limits; all zero allows none. */
	cv_event_fn on_event;                     /**< Listener for output events; may be NULL. */
	void *user_data;                          /**< The application's pointer, given to the listener. */
	cv_receipt_deliver_fn deliver_receipt;    /**< Digital receipt delivery hook, called once per
						    receipt after the listener, from inside the engine:
						    read-only queries only. May be NULL (then none);
						    there is no QR-on-screen default (see @ref receipt). */
	void *deliver_receipt_ctx;                /**< Passed to @ref deliver_receipt. */
	bool accept_volatile_journal;             /**< Sell on a storage that does not declare
					   ::CV_STORAGE_CAP_DURABLE (false by default: cv_machine_init()
					   refuses it with ::CV_E_NOTSUP). Only for tests, simulations and
					   demos, e.g. on the RAM storage: a power cut loses the journal, and
					   with it every hold and capture the machine still owed. @since 0.1 */
};

/**
 * @brief Fills a configuration with defaults: no lanes, no backends, currency
 * "USD", machine id "cv-machine", the default timeouts and retry limits, and
 * a durable journal required (accept_volatile_journal false).
 * @param config The configuration to fill.
 * @since 0.1
 */
void cv_machine_config_default(struct cv_machine_config *config);

/**
 * @brief Checks a configuration as cv_machine_init() does (all but what the
 * backends' capabilities rule out, which needs them open) and says what is
 * wrong: the field, the lane, the value and the limit, e.g. "lane B2:
 * count 12 is above the capacity 10" or "lookup_attempts_max 0 is outside
 * 1..20". No allocation.
 * @param config The configuration (NULL is refused).
 * @param message Receives the message, NUL-terminated (empty when valid);
 * may be NULL. ::CV_MACHINE_ERRMSG_LEN bytes always hold a whole one.
 * @param size Size of @p message in bytes.
 * @return ::CV_OK, or what cv_machine_init() would answer for the first
 * rule broken (::CV_E_INVAL, ::CV_E_VERSION or ::CV_E_NOTSUP).
 * @since 0.1
 */
enum cv_status cv_machine_config_check(const struct cv_machine_config *config, char *message, size_t size);

/** @brief Size of a buffer that always holds a configuration or service error message. */
#define CV_MACHINE_ERRMSG_LEN 160

/**
 * @brief What was wrong with this machine's last service call (the
 * cv_machine_lane_*() and cv_machine_service_*() calls), as sqlite3_errmsg()
 * does: the lane, the value and the limit, e.g. "lane A2: refill of 11
 * would make 14, above the capacity 10". Empty after a call that succeeded.
 * @param machine The machine (NULL: "").
 * @return A NUL-terminated string owned by the machine, valid until its
 * next service call.
 * @since 0.1
 */
const char *cv_machine_errmsg(const struct cv_machine *machine);

/** @brief Size of a journal sealing key. */
#define CV_JOURNAL_KEY_LEN 32

/**
 * @brief Whether this build can seal the journal (the crypto module, libsodium).
 * @return true if cv_machine_config::journal_key may be set.
 * @since 0.1
 */
bool cv_machine_sealing_available(void);

/** @brief Running totals of a machine since its journal began: they survive
 *  restarts (replay counts them from the journal; checkpoints carry them). */
struct cv_machine_stats {
	uint32_t vends_started;        /**< Vends created by a selection. */
	uint32_t vends_captured;       /**< Ended CAPTURED. */
	uint32_t vends_voided;         /**< Ended VOIDED. */
	uint32_t vends_abandoned;      /**< Ended ABANDONED. */
	uint32_t vends_capture_failed; /**< Ended CAPTURE_FAILED. */
	uint32_t vends_void_failed;    /**< Ended VOID_FAILED. */
	uint32_t declines;             /**< Declined authorization attempts. */
	uint32_t unknown_outcomes;     /**< Payment answers (or timeouts) with unknown outcome; not journaled, so
				         a restart keeps only the value of the last checkpoint. */
	uint32_t respins;              /**< Extra motor movements. */
	uint32_t drops_verified;       /**< Verified drops (= items taken from inventory). */
	int64_t captured_minor;        /**< Money captured. */
	int64_t dispensed_value_minor; /**< Price of every verified drop. */
	uint64_t journal_records;      /**< Records the journal ever had (the last sequence number). */
	uint32_t offline_approvals;    /**< Authorizations the reader approved offline (store and forward). */
};

/**
 * @brief Bytes of caller memory a machine needs (a compile-time constant in practice).
 * @return The size; cv_machine_init() needs at least this many bytes.
 * @since 0.1
 */
size_t cv_machine_size(void);

/** @brief Alignment the memory given to cv_machine_init() must have. */
#define CV_MACHINE_ALIGN 16

/**
 * @brief Creates a machine in caller-provided memory and opens its backends.
 *
 * Validates the whole configuration first; on any error there nothing is
 * opened. It then opens the backends and reads each one's capabilities
 * (caps()) once, for the machine's life; what they rule out (a storage
 * that is not durable, a single-message terminal without refunds) is
 * refused then, and the backends are closed again. On any error @p out is
 * untouched. If the storage already holds a journal (a
 * previous life), it is read back first: lane stock, prices and service
 * state come from it, a torn tail is cut off, and every vend it left open is
 * resolved: nothing is ever dispensed after a restart; a hold is voided
 * unless the vend had reached ::CV_VEND_STATE_CAPTURE_PENDING (the record
 * that stands for its verified drop), in which case the capture is resent
 * with the same key. Each decision is reported as a
 * ::CV_EVENT_RECOVERY to the listener during this call. On success a
 * "machine started" record is journaled and the display shows
 * ::CV_MSG_CHOOSE_PRODUCT.
 * @param memory At least cv_machine_size() bytes aligned to ::CV_MACHINE_ALIGN;
 *        owned by the caller, which must keep it until cv_machine_deinit().
 * @param size Size of @p memory.
 * @param config The configuration (copied).
 * @param out Receives the machine (which lives inside @p memory).
 * @retval CV_OK on success.
 * @retval CV_E_INVAL on a bad configuration (bad lane, duplicate label, missing backend, zero timeout),
 *         or a payment backend that declares ::CV_PAYMENT_CAP_SINGLE_MESSAGE without a refund
 *         member (checked when the backends are open; they are closed again).
 * @retval CV_E_NOMEM if @p size is too small or @p memory misaligned.
 * @retval CV_E_VERSION if a backend table is too old or too small, or the
 *         journal was written in a newer format.
 * @retval CV_E_NOTSUP if a journal key is given but this build cannot seal
 *         (see cv_machine_sealing_available()), or if the storage does not
 *         declare ::CV_STORAGE_CAP_DURABLE and
 *         cv_machine_config::accept_volatile_journal is false (checked when
 *         the backends are open; they are closed again).
 * @retval CV_E_FULL, CV_E_IO if the journal cannot take the start records
 *         (the backends are closed again).
 * @retval CV_E_CORRUPT if the journal is damaged anywhere but its tail, does
 *         not start with a file header, or holds more open vends than
 *         ::CV_VENDS_MAX; also for a sealed record that fails authentication
 *         (tampered, moved, replayed, wrong key), an unsealed record in a
 *         sealed journal, or a sealed journal opened without its key: the
 *         machine must not sell on a journal it can't trust.
 * @retval other the first backend open error.
 * @since 0.1
 */
enum cv_status cv_machine_init(void *memory, size_t size, const struct cv_machine_config *config,
			       struct cv_machine **out);

/**
 * @brief Closes the backends. The memory is the caller's again afterwards.
 * Must not be called from the listener.
 * @param machine The machine, or NULL (then nothing happens).
 * @since 0.1
 */
void cv_machine_deinit(struct cv_machine *machine);

/**
 * @brief Convenience: allocates the memory with aligned_alloc() and calls cv_machine_init().
 * @param config The configuration.
 * @param out Receives the machine; free it with cv_machine_free().
 * @return As cv_machine_init(), plus ::CV_E_NOMEM if malloc fails.
 * @since 0.1
 */
enum cv_status cv_machine_new(const struct cv_machine_config *config, struct cv_machine **out);

/**
 * @brief Deinitializes and frees a machine made by cv_machine_new(). Not from the listener.
 * @param machine The machine, or NULL.
 * @since 0.1
 */
void cv_machine_free(struct cv_machine *machine);

/**
 * @brief Runs the engine: handles queued events, timeouts and due retries.
 *
 * Does a bounded amount of work and never blocks.
 * @param machine The machine.
 * @param now_ms Monotonic time in ms; must never decrease.
 * @retval CV_OK on success.
 * @retval CV_E_INVAL if @p now_ms is earlier than the previous step's.
 * @retval CV_E_MISUSE if called from the listener.
 * @since 0.1
 */
enum cv_status cv_machine_step(struct cv_machine *machine, uint64_t now_ms);

/**
 * @brief Queues an input event from a backend (::CV_EVENT_PAYMENT_RESULT to ::CV_EVENT_CARD_READ).
 *
 * The copy is checked first. Card fields that are not a plain brand
 * (upper-case letters), exactly four digits or an auth code of at most 8
 * letters and digits are blanked, so no cardholder data can ride in on them.
 * A completion that is malformed is refused; the wait it should have ended
 * then times out like a lost answer.
 * @param machine The machine.
 * @param event The event (copied).
 * @retval CV_OK queued.
 * @retval CV_E_INVAL if @p event is not an input event, or is a payment
 *         result with an unknown operation or result code, an unterminated
 *         or non-printable processor reference, or an unterminated currency.
 * @retval CV_E_FULL if ::CV_EVENT_QUEUE_MAX events are already queued.
 * @since 0.1
 */
enum cv_status cv_machine_post(struct cv_machine *machine, const struct cv_event *event);

/**
 * @brief A customer chooses a lane: starts a vend and asks for payment.
 *
 * While the current vend is declined (::CV_VEND_STATE_AUTH_DECLINED),
 * choosing the same lane tries the payment again and choosing another lane
 * closes the declined vend and starts a new one.
 * @param machine The machine.
 * @param lane Lane index.
 * @param vend_number_out If not NULL, receives the vend number.
 * @retval CV_OK vend started.
 * @retval CV_E_NOT_FOUND no such lane.
 * @retval CV_E_SOLD_OUT, CV_E_OUT_OF_SERVICE, CV_E_NOT_PRICED, CV_E_SENSOR the lane can't be sold (see cv_machine_lane_info()).
 * @retval CV_E_BUSY a customer vend is in progress, or ::CV_VENDS_MAX vends are still settling.
 * @retval CV_E_STATE in service mode, or the machine stopped selling (journal fault).
 * @since 0.1
 */
enum cv_status cv_machine_select(struct cv_machine *machine, uint16_t lane, uint32_t *vend_number_out);

/**
 * @brief The customer cancels. Before a hold exists the vend is abandoned;
 * once a hold may exist it is voided. Not possible once the motor runs.
 * @param machine The machine.
 * @retval CV_OK cancel accepted.
 * @retval CV_E_STATE no customer vend, or it is already dispensing.
 * @since 0.1
 */
enum cv_status cv_machine_cancel(struct cv_machine *machine);

/**
 * @brief The current screen.
 * @param machine The machine.
 * @param out Receives it.
 * @retval CV_OK always, for valid arguments.
 * @since 0.1
 */
enum cv_status cv_machine_display(const struct cv_machine *machine, struct cv_display *out);

/**
 * @brief The product menu: one item per lane, in lane order.
 * @param machine The machine.
 * @param items Output array.
 * @param capacity Entries in @p items.
 * @param count_out Receives the number of lanes.
 * @retval CV_OK on success.
 * @retval CV_E_FULL if @p capacity is below the lane count (nothing written).
 * @since 0.1
 */
enum cv_status cv_machine_menu(const struct cv_machine *machine, struct cv_menu_item *items, size_t capacity,
			       size_t *count_out);

/**
 * @brief Number of lanes.
 * @param machine The machine.
 * @return The lane count.
 * @since 0.1
 */
uint16_t cv_machine_lane_count(const struct cv_machine *machine);

/**
 * @brief Snapshot of a lane.
 * @param machine The machine.
 * @param lane Lane index.
 * @param out Receives it.
 * @retval CV_OK on success.
 * @retval CV_E_NOT_FOUND no such lane.
 * @since 0.1
 */
enum cv_status cv_machine_lane_info(const struct cv_machine *machine, uint16_t lane, struct cv_lane_info *out);

/**
 * @brief Finds a lane by its label.
 * @param machine The machine.
 * @param label Label such as "A1" (case-sensitive).
 * @param lane_out Receives the index.
 * @retval CV_OK found.
 * @retval CV_E_NOT_FOUND no lane has this label.
 * @since 0.1
 */
enum cv_status cv_machine_lane_find(const struct cv_machine *machine, const char *label, uint16_t *lane_out);

/**
 * @brief Snapshot of an open vend, or of the most recently finished one.
 * @param machine The machine.
 * @param vend_number The vend's number.
 * @param out Receives it.
 * @retval CV_OK on success.
 * @retval CV_E_NOT_FOUND neither open nor the latest finished vend.
 * @since 0.1
 */
enum cv_status cv_machine_vend_info(const struct cv_machine *machine, uint32_t vend_number, struct cv_vend_info *out);

/**
 * @brief Number of vends not yet in a terminal state.
 * @param machine The machine.
 * @return 0..::CV_VENDS_MAX.
 * @since 0.1
 */
unsigned cv_machine_open_vends(const struct cv_machine *machine);

/**
 * @brief Running totals.
 * @param machine The machine.
 * @param out Receives them.
 * @retval CV_OK always, for valid arguments.
 * @since 0.1
 */
enum cv_status cv_machine_stats(const struct cv_machine *machine, struct cv_machine_stats *out);

/**
 * @brief Enters service mode (door open): selling stops, lanes can be changed.
 * @param machine The machine.
 * @retval CV_OK on success (also when already in service mode).
 * @retval CV_E_BUSY a customer vend is in progress (settlements may continue).
 * @since 0.1
 */
enum cv_status cv_machine_service_enter(struct cv_machine *machine);

/**
 * @brief Leaves service mode; selling resumes.
 * @param machine The machine.
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode.
 * @since 0.1
 */
enum cv_status cv_machine_service_exit(struct cv_machine *machine);

/**
 * @brief Whether the machine is in service mode.
 * @param machine The machine.
 * @return true in service mode.
 * @since 0.1
 */
bool cv_machine_in_service(const struct cv_machine *machine);

/**
 * @brief Service: adds items to a lane; clears sold-out and (once above the
 * threshold) low-stock alerts.
 * @param machine The machine.
 * @param lane Lane index.
 * @param added Items put in, ≥ 1.
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode.
 * @retval CV_E_NOT_FOUND no such lane.
 * @retval CV_E_INVAL @p added is 0 or the count would exceed the capacity (nothing changes).
 * @since 0.1
 */
enum cv_status cv_machine_lane_refill(struct cv_machine *machine, uint16_t lane, uint16_t added);

/**
 * @brief Service: sets the counted stock of a lane (after a physical count).
 * @param machine The machine.
 * @param lane Lane index.
 * @param count New count, 0..capacity.
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode.
 * @retval CV_E_NOT_FOUND no such lane.
 * @retval CV_E_INVAL @p count above the capacity.
 * @since 0.1
 */
enum cv_status cv_machine_lane_set_count(struct cv_machine *machine, uint16_t lane, uint16_t count);

/**
 * @brief Service: sets a lane's price. Vends already started keep their price.
 * @param machine The machine.
 * @param lane Lane index.
 * @param price_minor New price in minor units, 1..::CV_PRICE_MAX.
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode.
 * @retval CV_E_NOT_FOUND no such lane.
 * @retval CV_E_INVAL @p price_minor ≤ 0 or above ::CV_PRICE_MAX.
 * @since 0.1
 */
enum cv_status cv_machine_lane_set_price(struct cv_machine *machine, uint16_t lane, int64_t price_minor);

/**
 * @brief Service: enables or disables a lane.
 * @param machine The machine.
 * @param lane Lane index.
 * @param enabled false takes the lane out of sale.
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode.
 * @retval CV_E_NOT_FOUND no such lane.
 * @since 0.1
 */
enum cv_status cv_machine_lane_set_enabled(struct cv_machine *machine, uint16_t lane, bool enabled);

/**
 * @brief Service: returns a quarantined lane to service and resets its failure count.
 * @param machine The machine.
 * @param lane Lane index.
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode, or the lane is not quarantined.
 * @retval CV_E_NOT_FOUND no such lane.
 * @since 0.1
 */
enum cv_status cv_machine_lane_clear_quarantine(struct cv_machine *machine, uint16_t lane);

/**
 * @brief Service: replaces a lane's planogram entry (new product, capacity, policy).
 * @param machine The machine.
 * @param lane Lane index.
 * @param config The new entry, validated as at init (its label must stay unique).
 * @retval CV_OK on success.
 * @retval CV_E_STATE not in service mode.
 * @retval CV_E_NOT_FOUND no such lane.
 * @retval CV_E_INVAL invalid entry (nothing changes).
 * @since 0.1
 */
enum cv_status cv_machine_lane_configure(struct cv_machine *machine, uint16_t lane,
					 const struct cv_lane_config *config);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
