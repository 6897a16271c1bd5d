/* SPDX-License-Identifier: MIT */
/**
 * @file backend.h
 * @brief The versioned backend vtables and the platform struct.
 */
#ifndef CANDYVEND_BACKEND_H
#define CANDYVEND_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <candyvend/payment.h>
#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cv_machine;

/**
 * @defgroup backend Backends and platform
 * @brief How hardware, payment terminals, storage and the OS plug into the core.
 *
 * Each backend is a `static const` table that starts with `abi_version` and
 * `struct_size`; members are only ever appended, and the core calls an
 * optional member only if `struct_size` covers it and it is non-NULL
 * (CV_OPS_HAS()); otherwise it goes on without it. A table with
 * `abi_version` 0 or smaller than its version-1 size (CV_*_OPS_V1_SIZE) is
 * refused with ::CV_E_VERSION.
 *
 * Capabilities: the `caps()` member of a table, where there is one, is
 * called once, when every backend is open, inside cv_machine_init(); the
 * engine keeps that answer for the machine's life (NULL counts as 0). A
 * backend whose capabilities change must be opened by a new machine.
 *
 * Completions: a method that returns an error must not have posted a
 * completion for that operation. A post that answers ::CV_E_FULL must be
 * retried later (the engine's queue was full); a completion that is never
 * delivered counts, when its wait times out, as an unknown outcome or a
 * motor fault, never as success.
 *
 * Every operation is asynchronous: it starts work and returns ::CV_PENDING,
 * or returns a definite error. The result arrives later as an input event
 * posted with cv_machine_post() (a synchronous backend posts before it
 * returns). Every method gets the backend's own `ctx`, which is never the
 * application's `user_data`. Policy (timeouts, retries, quarantine) lives in
 * the core; backends only do what they are told.
 *
 * Thread safety: the core calls every backend method on the thread that
 * drives the machine, from inside cv_machine_init(), cv_machine_step(),
 * cv_machine_deinit() or a service call, and methods must not block. A
 * backend posts its completions with cv_machine_post() from that same thread;
 * an interrupt or another thread hands them to it first.
 *
 * Ownership: tables are `static const` and must outlive every machine using
 * them; a backend's `ctx` belongs to the application and must outlive the
 * machine; request structs passed to methods live only during the call.
 * @since 0.1
 * @{
 */

/** @brief The backend ABI version this library implements. */
#define CV_BACKEND_ABI_VERSION 1

/**
 * @brief Size of a table up to and including @p member: the size a table of
 * the version that introduced @p member has at least.
 * @param type The table's struct type, e.g. `struct cv_payment_ops`.
 * @param member Name of a member.
 */
#define CV_OPS_SIZE_TO(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/**
 * @brief Whether a backend table has member @p member: its struct_size covers
 * it and it is not NULL. The core checks this before every optional call.
 * @param type The table's struct type.
 * @param ops Pointer to the table.
 * @param member Name of a function member.
 */
#define CV_OPS_HAS(type, ops, member) ((ops)->struct_size >= CV_OPS_SIZE_TO(type, member) && (ops)->member != NULL)

/** @brief Log severities. */
enum cv_log_level {
	CV_LOG_ERROR = 0, /**< Something failed. */
	CV_LOG_WARN = 1,  /**< Something unusual that was handled. */
	CV_LOG_INFO = 2,  /**< A normal milestone. */
	CV_LOG_DEBUG = 3, /**< Detail for developers. */
};

/**
 * @brief What the core needs from the platform: wall clock, randomness, logging.
 *
 * The core never reads a clock or calls rand(); monotonic time arrives as the
 * argument of cv_machine_step().
 */
struct cv_platform_ops {
	uint32_t abi_version; /**< ::CV_BACKEND_ABI_VERSION. */
	uint32_t struct_size; /**< sizeof(struct cv_platform_ops). */
	/** @brief Fills @p buf with @p length random bytes (required; vend ids come from it). */
	void (*random_bytes)(void *ctx, void *buf, size_t length);
	/** @brief Wall-clock time in ms since 1970-01-01 UTC, for receipts (optional; 0 if NULL). */
	int64_t (*wall_clock_ms)(void *ctx);
	/** @brief Receives one log line without newline (optional). Never given cardholder data. */
	void (*log)(void *ctx, enum cv_log_level level, const char *message);
	/* Version 1 ends here. */
};

/** @brief Size of a version-1 platform table; smaller tables are refused. */
#define CV_PLATFORM_OPS_V1_SIZE CV_OPS_SIZE_TO(struct cv_platform_ops, log)

/**
 * @brief Dispenser capability: every lane can make a movement of any whole
 * number of quarter turns, also fewer than four.
 *
 * With it, each re-spin after a missing drop moves the lane's
 * cv_lane_config::respin_quarter_turns; without it, each re-spin is one
 * whole turn (4 quarter turns) whatever that setting says. A normal vend
 * always moves cv_lane_config::vend_quarter_turns. (Bit 0x1 is unused: it
 * was a home-switch flag the engine had no use for.)
 */
#define CV_DISPENSER_CAP_PARTIAL_TURN 0x2u

/** @brief One motor movement. */
struct cv_dispense_request {
	uint32_t op_id;        /**< Echo in ::CV_EVENT_DISPENSE_DONE. */
	uint16_t lane;         /**< Lane index. */
	uint8_t quarter_turns; /**< Movement in quarter turns (4 = one turn). */
	uint32_t timeout_ms;   /**< The engine gives up (motor timeout) after this. */
};

/** @brief Dispenser backend: drives lane motors. */
struct cv_dispenser_ops {
	uint32_t abi_version; /**< ::CV_BACKEND_ABI_VERSION. */
	uint32_t struct_size; /**< sizeof(struct cv_dispenser_ops). */
	const char *name;     /**< Short name for logs. */
	/** @brief Capability bitmask (CV_DISPENSER_CAP_*); optional, 0 if NULL. Called once, after open. */
	uint32_t (*caps)(void *ctx);
	/** @brief Prepares the device; the backend keeps @p machine to post events. Required. */
	enum cv_status (*open)(void *ctx, struct cv_machine *machine);
	/** @brief Releases the device. Optional. */
	void (*close)(void *ctx);
	/** @brief Starts a movement; completion is ::CV_EVENT_DISPENSE_DONE. Required. */
	enum cv_status (*start)(void *ctx, const struct cv_dispense_request *request);
	/** @brief Stops a movement early (after a motor timeout). Optional. */
	enum cv_status (*stop)(void *ctx, uint16_t lane);
	/* Version 1 ends here. */
};

/** @brief Size of a version-1 dispenser table. */
#define CV_DISPENSER_OPS_V1_SIZE CV_OPS_SIZE_TO(struct cv_dispenser_ops, stop)

/** @brief Drop sensor backend: reports products falling into the delivery bin. */
struct cv_sensor_ops {
	uint32_t abi_version; /**< ::CV_BACKEND_ABI_VERSION. */
	uint32_t struct_size; /**< sizeof(struct cv_sensor_ops). */
	const char *name;     /**< Short name for logs. */
	/** @brief Prepares the sensor; it posts ::CV_EVENT_SENSOR_STATUS on a fault. Required. */
	enum cv_status (*open)(void *ctx, struct cv_machine *machine);
	/** @brief Releases the sensor. Optional. */
	void (*close)(void *ctx);
	/** @brief Starts watching for a drop from @p lane; each drop posts
	 *  ::CV_EVENT_DROP_DETECTED with @p op_id. Required. */
	enum cv_status (*arm)(void *ctx, uint32_t op_id, uint16_t lane);
	/** @brief Stops watching. Required. */
	enum cv_status (*disarm)(void *ctx, uint32_t op_id);
	/* Version 1 ends here. */
};

/** @brief Size of a version-1 sensor table. */
#define CV_SENSOR_OPS_V1_SIZE CV_OPS_SIZE_TO(struct cv_sensor_ops, disarm)

/* Payment capability bits 0x1, 0x2, 0x4 and 0x10 are unused: void_auth and
 * lookup are required members, abort_collect and refund are used when
 * present, so flags for them promised nothing. */
/** @brief Payment capability: single-message only (Interac, eftpos): the
 *  authorization itself takes the money, nothing can be voided. The engine
 *  then sends no capture and refunds instead of voiding. */
#define CV_PAYMENT_CAP_SINGLE_MESSAGE 0x8u
/** @brief Payment capability: the reader can approve offline (store and forward). */
#define CV_PAYMENT_CAP_OFFLINE 0x20u

/** @brief What an offline-capable reader holds that it has not forwarded yet. */
struct cv_offline_status {
	uint32_t unsent_count;      /**< Offline approvals stored, not yet forwarded. */
	int64_t unsent_total_minor; /**< Their sum, in the machine's currency. */
	uint32_t oldest_age_s;      /**< Age of the oldest of them in seconds, 0 if none. */
};

/** @brief Payment backend: a card reader and its processor link. */
struct cv_payment_ops {
	uint32_t abi_version; /**< ::CV_BACKEND_ABI_VERSION. */
	uint32_t struct_size; /**< sizeof(struct cv_payment_ops). */
	const char *name;     /**< Short name for logs. */
	/** @brief Capability bitmask (CV_PAYMENT_CAP_*); optional, 0 if NULL. Called once, after open. */
	uint32_t (*caps)(void *ctx);
	/** @brief Connects; the backend keeps @p machine to post events. Required. */
	enum cv_status (*open)(void *ctx, struct cv_machine *machine);
	/** @brief Disconnects. Optional. */
	void (*close)(void *ctx);
	/** @brief Collects a card and places a hold. Required. A reader that can
	 *  tell when the card was read posts ::CV_EVENT_CARD_READ (the screen
	 *  then says "Authorizing..."). */
	enum cv_status (*authorize)(void *ctx, const struct cv_payment_request *request);
	/** @brief Settles a hold. Required. */
	enum cv_status (*capture)(void *ctx, const struct cv_payment_request *request);
	/** @brief Releases a hold; ::CV_PAY_NOT_FOUND if there is none. Required. */
	enum cv_status (*void_auth)(void *ctx, const struct cv_payment_request *request);
	/** @brief Reports what became of the authorization keyed request->auth_key:
	 *  ::CV_PAY_OK only while the hold still stands, ::CV_PAY_CANCELLED if it
	 *  was released or expired (the key is then spent), ::CV_PAY_NOT_FOUND if
	 *  the processor never saw it. An authorize resent with a known key must
	 *  likewise answer ::CV_PAY_OK only if that hold still stands, not replay
	 *  an old approval. Required. */
	enum cv_status (*lookup)(void *ctx, const struct cv_payment_request *request);
	/** @brief Stops collecting a card for operation @p op_id (customer cancel). Optional. */
	enum cv_status (*abort_collect)(void *ctx, uint32_t op_id);
	/** @brief Gives back request->amount of the payment keyed request->auth_key,
	 *  under its own key. Needed with ::CV_PAYMENT_CAP_SINGLE_MESSAGE. Optional. */
	enum cv_status (*refund)(void *ctx, const struct cv_payment_request *request);
	/** @brief The link's health, from the backend's cache (never blocks):
	 *  ::CV_OK, or ::CV_E_IO while the processor is unreachable. Optional. */
	enum cv_status (*health)(void *ctx);
	/** @brief Fills @p out from the reader's cache (never blocks). Needed with
	 *  ::CV_PAYMENT_CAP_OFFLINE; without it no offline approval is allowed. Optional. */
	enum cv_status (*offline_status)(void *ctx, struct cv_offline_status *out);
	/* Version 1 ends here. */
};

/** @brief Size of a version-1 payment table. */
#define CV_PAYMENT_OPS_V1_SIZE CV_OPS_SIZE_TO(struct cv_payment_ops, offline_status)

/**
 * @brief Storage capability: every record survives power loss once its sync
 * has completed. cv_machine_init() refuses a storage without it with
 * ::CV_E_NOTSUP unless cv_machine_config::accept_volatile_journal is set
 * (tests, simulations, demos: the RAM storage does not declare it).
 */
#define CV_STORAGE_CAP_DURABLE 0x1u

/** @brief Storage backend: the append-only journal. */
struct cv_storage_ops {
	uint32_t abi_version; /**< ::CV_BACKEND_ABI_VERSION. */
	uint32_t struct_size; /**< sizeof(struct cv_storage_ops). */
	const char *name;     /**< Short name for logs. */
	/** @brief Capability bitmask (CV_STORAGE_CAP_*); optional, 0 if NULL. Called once, after open. */
	uint32_t (*caps)(void *ctx);
	/** @brief Opens the journal; the backend keeps @p machine to post events. Required. */
	enum cv_status (*open)(void *ctx, struct cv_machine *machine);
	/** @brief Closes the journal. Optional. */
	void (*close)(void *ctx);
	/** @brief Appends one framed record (not yet durable): ::CV_OK, ::CV_E_FULL or ::CV_E_IO. Required. */
	enum cv_status (*append)(void *ctx, uint64_t seq, const void *record, size_t length);
	/** @brief Makes every record up to @p seq durable; completion is
	 *  ::CV_EVENT_STORAGE_SYNCED. ::CV_E_BUSY or ::CV_E_FULL mean "ask
	 *  again later"; any other error stops the machine selling. Required. */
	enum cv_status (*sync)(void *ctx, uint64_t seq);
	/** @brief Reads raw journal bytes at @p offset into @p buf; @p length_out
	 *  gets the count (0 at the end). Synchronous. Optional (without it
	 *  nothing can be recovered after a restart). */
	enum cv_status (*read)(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out);
	/** @brief Cuts the journal to end at byte @p length (a torn tail found
	 *  on open) and makes the cut durable before returning.
	 *  Synchronous. Optional. */
	enum cv_status (*truncate)(void *ctx, uint64_t length);
	/** @brief Remembers, durably before returning, that a complete
	 *  checkpoint starts at byte @p offset with record @p seq; opening then
	 *  reads only from there. Synchronous. Optional (without it every open
	 *  reads the whole journal). */
	enum cv_status (*checkpoint_set)(void *ctx, uint64_t offset, uint64_t seq);
	/** @brief The last checkpoint remembered: ::CV_OK, or ::CV_E_NOT_FOUND
	 *  if there is none. Synchronous. Optional. */
	enum cv_status (*checkpoint_get)(void *ctx, uint64_t *offset, uint64_t *seq);
	/** @brief Frees the journal before byte @p offset, which a durable
	 *  checkpoint covers; offsets of what remains do not change. Reads below
	 *  it are no longer possible. Synchronous. Optional. */
	enum cv_status (*trim)(void *ctx, uint64_t offset);
	/* Version 1 ends here. */
	/** @brief Like checkpoint_set(), and keeps @p tag (@p tag_length bytes,
	 *  at most ::CV_STORAGE_TAG_MAX) with the pair: offset, seq and tag are
	 *  replaced together, atomically and durably, before it returns. The
	 *  tag is the engine's and opaque to the storage: for a sealed journal it
	 *  authenticates the pair and says how far the journal reached (see
	 *  docs/journal-format.md, "Marks"). A storage that offers it should
	 *  make reads below an offset given to trim() fail from then on (the RAM
	 *  storage does; the POSIX one starts a new segment at each tagged
	 *  checkpoint so that its trims free whole checkpoints): a trimmed
	 *  checkpoint is how an older mark put back in place is recognised.
	 *  Synchronous. Optional. */
	enum cv_status (*checkpoint_set_tagged)(void *ctx, uint64_t offset, uint64_t seq, const void *tag,
						size_t tag_length);
	/** @brief Like checkpoint_get(), and copies the tag kept with the pair
	 *  into @p tag (@p tag_size bytes, ::CV_STORAGE_TAG_MAX is enough);
	 *  @p tag_length gets its length, 0 for a pair set by checkpoint_set().
	 *  Synchronous. Optional; the engine uses the two only together. */
	enum cv_status (*checkpoint_get_tagged)(void *ctx, uint64_t *offset, uint64_t *seq, void *tag, size_t tag_size,
						size_t *tag_length);
	/** @brief How many more bytes of records the journal can take for
	 *  sure, into @p bytes: a lower bound, with the storage's own overhead
	 *  for each record counted for records of ::CV_STORAGE_ROOM_RECORD
	 *  bytes. With it, the engine keeps a reserve for what it must always
	 *  be able to write (a restart's start records, the settlement of open
	 *  vends), writes a checkpoint early when the journal nears full so that
	 *  the trim after it frees room, and pauses sales while the room is
	 *  below the reserve. Meant for small fixed regions (flash). Synchronous.
	 *  Optional. */
	enum cv_status (*room)(void *ctx, uint64_t *bytes);
};

/** @brief The record size a storage's room() counts its per-record overhead
 *  for: the largest a journal record can be. */
#define CV_STORAGE_ROOM_RECORD 296u

/** @brief The longest tag checkpoint_set_tagged() is given. */
#define CV_STORAGE_TAG_MAX 64u

/**
 * @brief Completes a sync for a storage whose appends are durable at once
 * (RAM, memory-mapped flash): posts ::CV_EVENT_STORAGE_SYNCED for @p seq
 * with ::CV_OK.
 * @param machine The machine the storage was opened for.
 * @param seq Every record up to this one is durable.
 * @return ::CV_PENDING (the completion is queued; return it from sync()),
 *         or ::CV_E_FULL if the engine's queue is full (ask again later).
 * @since 0.1
 */
enum cv_status cv_storage_post_synced(struct cv_machine *machine, uint64_t seq);

/** @brief Size of a version-1 storage table. */
#define CV_STORAGE_OPS_V1_SIZE CV_OPS_SIZE_TO(struct cv_storage_ops, trim)

/** @} */

#ifdef __cplusplus
}
#endif
#endif
