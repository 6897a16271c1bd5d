/* SPDX-License-Identifier: MIT */
/**
 * @file sim.h
 * @brief Simulated machine: dispenser, drop sensor and payment terminal with
 * seeded, scriptable faults (library candyvend-sim).
 */
#ifndef CANDYVEND_SIM_H
#define CANDYVEND_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/lane.h>
#include <candyvend/machine.h>
#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup sim Simulated machine
 * @brief Backends that model a real machine, faults included, deterministically.
 *
 * One ::cv_sim object is the ctx of all three backend tables
 * (::cv_sim_dispenser_ops, ::cv_sim_sensor_ops, ::cv_sim_payment_ops). It
 * models the physical truth: how many items each lane really holds, which
 * items really fell, and what the processor really holds and captured, so
 * tests can compare the engine's belief with reality. Time is the caller's:
 * cv_sim_step() delivers the completions that are due. The same seed and the
 * same calls give the same run.
 *
 * ## Test cards
 *
 * Each test card carries its processor's public test card number, as a
 * physical card does; the simulated reader keeps it to itself and hands the
 * engine only a brand and the last four digits:
 *
 * | Card                              | Brand, last 4 | Outcome |
 * |-----------------------------------|---------------|---------|
 * | ::CV_SIM_CARD_APPROVED            | VISA 4242     | approved |
 * | ::CV_SIM_CARD_WALLET              | MASTERCARD 4444 | approved (phone wallet) |
 * | ::CV_SIM_CARD_DECLINED            | VISA 0002     | declined, generic |
 * | ::CV_SIM_CARD_INSUFFICIENT        | VISA 9995     | declined, insufficient funds |
 * | ::CV_SIM_CARD_TIMEOUT_APPROVED    | VISA 0119     | reader answers UNKNOWN; the processor holds it |
 * | ::CV_SIM_CARD_TIMEOUT_NOT_CHARGED | VISA 0127     | reader answers UNKNOWN; the processor has nothing |
 * | ::CV_SIM_CARD_SLOW                | AMEX 8431     | approved after 2 s extra latency |
 *
 * Thread safety: a sim is used on the thread that drives its machine
 * (cv_sim_step() and the fault controls post into the machine).
 * Ownership: cv_sim_new() allocates the sim; free it with cv_sim_free() only
 * after every machine using it is deinitialized. A sim may serve a new
 * machine after a restart: it keeps the physical truth across it.
 * @since 0.1
 * @{
 */

/** @struct cv_sim
 * @brief Opaque simulated machine. */
struct cv_sim;

/** @brief The test cards. */
enum cv_sim_card {
	CV_SIM_CARD_APPROVED = 0,            /**< VISA 4242: approved. */
	CV_SIM_CARD_WALLET = 1,              /**< MASTERCARD 4444: approved. */
	CV_SIM_CARD_DECLINED = 2,            /**< VISA 0002: generic decline. */
	CV_SIM_CARD_INSUFFICIENT = 3,        /**< VISA 9995: insufficient funds. */
	CV_SIM_CARD_TIMEOUT_APPROVED = 4,    /**< VISA 0119: unknown outcome, actually held. */
	CV_SIM_CARD_TIMEOUT_NOT_CHARGED = 5, /**< VISA 0127: unknown outcome, nothing held. */
	CV_SIM_CARD_SLOW = 6,                /**< AMEX 8431: approved after extra latency. */
};

/** @brief Number of test cards. */
#define CV_SIM_CARD_COUNT 7

/** @brief Faults that can be scripted for the next operation of their kind. */
enum cv_sim_fault {
	CV_SIM_FAULT_AUTH_NOT_SENT = 0,    /**< Next authorize: ::CV_PAY_NOT_SENT, nothing held. */
	CV_SIM_FAULT_AUTH_SILENT = 1,      /**< Next authorize: no answer ever (engine timeout); held. */
	CV_SIM_FAULT_LOOKUP_UNKNOWN = 2,   /**< Next lookup: ::CV_PAY_UNKNOWN. */
	CV_SIM_FAULT_CAPTURE_UNKNOWN = 3,  /**< Next capture: applied, but answered ::CV_PAY_UNKNOWN. */
	CV_SIM_FAULT_CAPTURE_REJECTED = 4, /**< Next capture: ::CV_PAY_INVALID, not applied. */
	CV_SIM_FAULT_VOID_UNKNOWN = 5,     /**< Next void: applied, but answered ::CV_PAY_UNKNOWN. */
	CV_SIM_FAULT_MOTOR_JAM = 6,        /**< Next motor movement: ::CV_E_JAM, nothing falls. */
	CV_SIM_FAULT_MOTOR_SILENT = 7,     /**< Next motor movement: never reports (motor timeout). */
	CV_SIM_FAULT_PRODUCT_STUCK = 8,    /**< Next vend: the item hangs until one more movement. */
	CV_SIM_FAULT_PRODUCT_WEDGED = 9,   /**< Next vend: the item never falls. */
	CV_SIM_FAULT_MISSED_DROP = 10,     /**< Next fall: the sensor does not see it. */
	CV_SIM_FAULT_FALSE_DROP = 11,      /**< Next movement: the sensor fires, nothing falls. */
};

/** @brief Number of scriptable faults. */
#define CV_SIM_FAULT_COUNT 12

/** @brief Random fault rates (per mille) and latencies of a simulated machine. */
struct cv_sim_config {
	uint64_t seed;                    /**< Seed of every random choice. */
	uint16_t lane_count;              /**< Lanes, 1..::CV_LANES_MAX. */
	uint16_t stock[CV_LANES_MAX];     /**< Items physically in each lane at start. */
	uint16_t decline_permille;        /**< Random cards that are declined. */
	uint16_t unknown_permille;        /**< Authorizations answered UNKNOWN (half of them held). */
	uint16_t lookup_unknown_permille; /**< Lookups answered UNKNOWN. */
	uint16_t settle_unknown_permille; /**< Captures and voids applied but answered UNKNOWN. */
	uint16_t jam_permille;            /**< Motor movements that jam. */
	uint16_t stuck_permille;          /**< Vends whose item hangs until one more movement. */
	uint16_t missed_drop_permille;    /**< Falls the sensor misses. */
	uint16_t false_drop_permille;     /**< Movements that fire the sensor with nothing falling. */
	uint32_t payment_latency_ms;      /**< Base latency of a payment answer. */
	uint32_t motor_ms;                /**< Duration of one quarter turn. */
	uint32_t drop_delay_ms;           /**< Time from the end of a movement to the fall. */
	uint8_t link_count;               /**< Network paths from the reader to the processor, 1..2 (0 = 1).
					    Each has a circuit breaker (cv_breaker defaults). */
	uint32_t link_outage_every_ms;    /**< Mean time between outages of each link (0: none). */
	uint32_t link_outage_ms;          /**< Mean length of an outage (≥ 1 when outages are on). */
	bool offline_capable;             /**< The reader approves offline when no link works and the request
					    allows it (store and forward, up to 32 payments, forwarded once a
					    link works); declines cards its offline checks refuse. */
};

/** @brief What really happened, as opposed to what the engine believes. */
struct cv_sim_truth {
	uint16_t stock[CV_LANES_MAX]; /**< Items physically left in each lane. */
	uint32_t items_dropped;       /**< Items that really fell into the bin. */
	uint32_t false_drops;         /**< Sensor firings with nothing falling. */
	uint32_t missed_drops;        /**< Falls the sensor missed. */
	uint32_t sensor_reports;      /**< Drops the sensor reported, real or false. */
	uint32_t holds_placed;        /**< Authorizations the processor approved. */
	uint32_t holds_open;          /**< Holds neither captured nor voided. */
	int64_t held_minor;           /**< Money in open holds. */
	int64_t captured_minor;       /**< Money the processor captured. */
	uint32_t captures;            /**< Captures applied (each hold at most once). */
	uint32_t voids;               /**< Voids applied. */
	uint32_t motor_running;       /**< Movements in progress (0 or 1). */
	uint32_t auth_in_flight;      /**< Authorizations not yet answered. */
	uint32_t failovers;           /**< Operations sent over the second link after the first refused. */
	uint32_t link_refusals;       /**< Sends refused by a link that was down (nothing sent). */
	uint32_t unknown_failovers;   /**< Operations with an unknown outcome resent over another link (must be 0). */
	uint32_t pin_overflows;       /**< Unknown outcomes the link table could not remember (must be 0). */
	uint32_t breaker_opens;       /**< Times a link's breaker opened. */
	uint32_t offline_approvals;   /**< Cards the reader approved offline. */
	uint32_t offline_unsent;      /**< Offline payments the reader still holds, not forwarded. */
	int64_t offline_unsent_captured_minor; /**< Money captured locally in them: the processor has
					    not got it yet (it is not in captured_minor). */
};

/**
 * @brief Fills a configuration with defaults: seed 1, one lane with 10 items,
 * no faults, 300 ms payment latency, 250 ms per quarter turn, 100 ms drop delay.
 * @param config The configuration to fill.
 * @since 0.1
 */
void cv_sim_config_default(struct cv_sim_config *config);

/**
 * @brief Creates a simulated machine (allocates with malloc).
 * @param config The configuration (copied).
 * @param out Receives the sim; free it with cv_sim_free().
 * @retval CV_OK on success.
 * @retval CV_E_INVAL on a bad configuration (lane count, rate above 1000).
 * @retval CV_E_NOMEM on allocation failure.
 * @since 0.1
 */
enum cv_status cv_sim_new(const struct cv_sim_config *config, struct cv_sim **out);

/**
 * @brief Frees a simulated machine.
 * @param sim The sim, or NULL.
 * @since 0.1
 */
void cv_sim_free(struct cv_sim *sim);

/**
 * @brief Advances simulated time and posts every completion that is due.
 * @param sim The sim.
 * @param now_ms Monotonic time, the same clock given to cv_machine_step().
 * @since 0.1
 */
void cv_sim_step(struct cv_sim *sim, uint64_t now_ms);

/**
 * @brief The customer taps a test card on the reader.
 * @param sim The sim.
 * @param card The card.
 * @retval CV_OK the card is being processed.
 * @retval CV_E_STATE the reader is not collecting a card.
 * @retval CV_E_INVAL unknown card.
 * @since 0.1
 */
enum cv_status cv_sim_present_card(struct cv_sim *sim, enum cv_sim_card card);

/**
 * @brief Whether the reader is waiting for a card.
 * @param sim The sim.
 * @return true while an authorization waits for cv_sim_present_card().
 * @since 0.1
 */
bool cv_sim_is_collecting(const struct cv_sim *sim);

/**
 * @brief Presents a random card on every collection (for unattended runs): a
 * random approved card, or a declined one with the configured decline rate.
 * @param sim The sim.
 * @param enabled true to present cards automatically.
 * @since 0.1
 */
void cv_sim_set_auto_card(struct cv_sim *sim, bool enabled);

/**
 * @brief Takes a payment link down or brings it back, by hand: from then on
 * that link has no random outages (for tests of failover and offline).
 * @param sim The sim.
 * @param link Link index, below cv_sim_config::link_count.
 * @param up false to cut the link, true to restore it.
 * @retval CV_OK done.
 * @retval CV_E_INVAL NULL @p sim or no such link.
 * @since 0.1
 */
enum cv_status cv_sim_set_link(struct cv_sim *sim, unsigned link, bool up);

/**
 * @brief Scripts a fault for the next operation of its kind (FIFO per kind).
 * @param sim The sim.
 * @param fault The fault.
 * @retval CV_OK scripted.
 * @retval CV_E_INVAL unknown fault.
 * @retval CV_E_FULL more than 16 faults of one kind pending.
 * @since 0.1
 */
enum cv_status cv_sim_script_fault(struct cv_sim *sim, enum cv_sim_fault fault);

/**
 * @brief Makes the drop sensor faulty or healthy (posts ::CV_EVENT_SENSOR_STATUS).
 * @param sim The sim.
 * @param faulted true for a blocked or broken sensor.
 * @since 0.1
 */
void cv_sim_set_sensor_fault(struct cv_sim *sim, bool faulted);

/**
 * @brief An operator puts items physically into a lane (mirror of a refill).
 * @param sim The sim.
 * @param lane Lane index.
 * @param added Items added.
 * @retval CV_OK on success.
 * @retval CV_E_NOT_FOUND no such lane.
 * @since 0.1
 */
enum cv_status cv_sim_load(struct cv_sim *sim, uint16_t lane, uint16_t added);

/**
 * @brief The physical truth.
 * @param sim The sim.
 * @param out Receives it.
 * @since 0.1
 */
void cv_sim_truth(const struct cv_sim *sim, struct cv_sim_truth *out);

/**
 * @brief How much the processor holds for an authorization, for invariant checks.
 * @param sim The sim.
 * @param auth_key The authorization's idempotency key.
 * @param amount_out Receives the amount held (not yet captured or voided).
 * @retval CV_OK a hold exists.
 * @retval CV_E_NOT_FOUND no open hold under this key.
 * @since 0.1
 */
enum cv_status cv_sim_hold_amount(const struct cv_sim *sim, const char *auth_key, int64_t *amount_out);

/**
 * @brief The power of the machine goes out (and comes back): what that does
 * to the simulated hardware, as opposed to the world outside it.
 *
 * Call it after every machine using the sim is deinitialized (the machine's
 * life is what ended), before a new machine opens it:
 * - a movement in progress stops where it is: the lane keeps its item;
 * - an item already pushed out lands in the bin, unseen (the beam is off),
 *   and the sensor is disarmed;
 * - the reader drops the card it was reading (the processor never heard of it);
 * - every answer on its way to the machine is lost; the processor keeps
 *   every hold, capture and void it made, and answers the next machine's
 *   lookups about them;
 * - the platform's random stream moves to a new stream (a real machine's
 *   random source never repeats itself after a restart).
 * Stock, faults scripted for later, links and stored offline payments stay.
 * @param sim The sim.
 * @retval CV_OK done.
 * @retval CV_E_INVAL NULL @p sim.
 * @retval CV_E_STATE a machine still has the sim's tables open.
 * @since 0.1
 */
enum cv_status cv_sim_power_cut(struct cv_sim *sim);

/**
 * @brief Bytes of an image written by cv_sim_state_save().
 * @return The size (the same for every sim of this build).
 * @since 0.1
 */
size_t cv_sim_state_size(void);

/**
 * @brief Saves the whole simulated world (shelves, bin, reader, processor,
 * links, random streams, pending completions) so that a program killed at any
 * moment can restore it and carry on: the world outside a controller does not
 * forget what happened when the controller dies.
 *
 * The image leaves out the sim's clock: a world that only watched time pass
 * gives the same bytes, so a caller can skip writing an unchanged image.
 * It is for the same build of the library only (it is a copy of the sim's
 * memory with a checksum, not an exchange format).
 * @param sim The sim.
 * @param buf Receives the image.
 * @param size Size of @p buf, at least cv_sim_state_size().
 * @retval CV_OK written.
 * @retval CV_E_INVAL NULL argument.
 * @retval CV_E_NOMEM @p buf is too small.
 * @since 0.1
 */
enum cv_status cv_sim_state_save(const struct cv_sim *sim, void *buf, size_t size);

/**
 * @brief Replaces a sim's world with a saved image (configuration and seed
 * included); its clock resumes at @p now_ms. On any error the sim is unchanged.
 * @param sim A sim whose tables are all closed.
 * @param buf The image.
 * @param size Its size.
 * @param now_ms The time the world resumes at (the caller's clock, at least
 * the time of the save).
 * @retval CV_OK restored.
 * @retval CV_E_INVAL NULL argument.
 * @retval CV_E_STATE a machine has the sim's tables open.
 * @retval CV_E_CORRUPT not an image, the wrong size, a failed checksum, or
 * an index out of range.
 * @retval CV_E_VERSION written by another version or build of the library.
 * @retval CV_E_NOMEM allocation failed.
 * @since 0.1
 */
enum cv_status cv_sim_state_restore(struct cv_sim *sim, const void *buf, size_t size, uint64_t now_ms);

/**
 * @brief A platform for simulations: deterministic random bytes from the
 * sim's seed, wall clock = 2026-01-01T00:00:00Z plus the sim's time, no log
 * sink. Its ctx is the ::cv_sim.
 * @since 0.1
 */
extern const struct cv_platform_ops cv_sim_platform_ops;

/**
 * @brief Wires a machine configuration to the simulated machine: its
 * platform, dispenser, sensor and payment members (and their ctx) become the
 * sim's. Storage, lanes and the listener are left to the caller.
 * @param sim The sim.
 * @param config The configuration to complete.
 * @since 0.1
 */
void cv_sim_attach(struct cv_sim *sim, struct cv_machine_config *config);

/** @brief Simulated dispenser; ctx is a ::cv_sim. @since 0.1 */
extern const struct cv_dispenser_ops cv_sim_dispenser_ops;
/** @brief Simulated drop sensor; ctx is a ::cv_sim. @since 0.1 */
extern const struct cv_sensor_ops cv_sim_sensor_ops;
/** @brief Simulated payment terminal and processor; ctx is a ::cv_sim. @since 0.1 */
extern const struct cv_payment_ops cv_sim_payment_ops;

/** @} */

#ifdef __cplusplus
}
#endif
#endif
