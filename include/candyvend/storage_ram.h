/* SPDX-License-Identifier: MIT */
/**
 * @file storage_ram.h
 * @brief A journal storage backend in caller-provided RAM.
 */
#ifndef CANDYVEND_STORAGE_RAM_H
#define CANDYVEND_STORAGE_RAM_H

#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup storage_ram RAM storage
 * @brief Volatile journal storage for tests, simulations and demos.
 *
 * Records live in a caller-provided buffer and are "durable" as soon as they
 * are synced (the sync completion is posted before sync() returns). Trimming
 * moves what remains to the start of the buffer, so a machine that
 * checkpoints runs for ever in a bounded buffer. When the buffer is full
 * anyway, append() answers ::CV_E_FULL and the engine stops selling.
 *
 * It does not declare ::CV_STORAGE_CAP_DURABLE (a power cut loses it all),
 * so a machine on it needs cv_machine_config::accept_volatile_journal.
 *
 * Ownership: the struct cv_ram_storage and its buffer belong to the caller
 * and must outlive the machine; a new machine may open the same storage
 * (a restart reads the journal back). Thread safety: the machine's thread only.
 * @since 0.1
 * @{
 */

/** @brief State of a RAM storage; treat the members as private. */
struct cv_ram_storage {
	uint8_t *buf;                               /**< The caller's buffer. */
	size_t capacity;                            /**< Its size. */
	size_t length;                              /**< Bytes held in buf. */
	uint64_t base;                              /**< Journal offset of buf[0] (bytes trimmed so far). */
	uint64_t checkpoint_offset;                 /**< Last checkpoint remembered (valid if has_checkpoint). */
	uint64_t checkpoint_seq;                    /**< Its first record's sequence number. */
	int has_checkpoint;                         /**< Non-zero once a checkpoint was remembered. */
	uint64_t last_seq;                          /**< Sequence number of the last record appended. */
	uint64_t synced_seq;                        /**< Highest sequence number synced. */
	uint32_t sync_count;                        /**< Sync calls, for tests and benchmarks. */
	struct cv_machine *machine;                 /**< Where completions are posted. */
	uint8_t checkpoint_tag[CV_STORAGE_TAG_MAX]; /**< The tag kept with the checkpoint (sealed journals). */
	size_t checkpoint_tag_length;               /**< Its length (0: set without a tag). */
};

/** @brief The RAM storage backend table; its ctx is a struct cv_ram_storage. @since 0.1 */
extern const struct cv_storage_ops cv_ram_storage_ops;

/**
 * @brief Prepares a RAM storage over a buffer.
 * @param storage The state to initialize.
 * @param buf The buffer, kept by the caller for the storage's lifetime.
 * @param capacity Its size in bytes.
 * @since 0.1
 */
void cv_ram_storage_init(struct cv_ram_storage *storage, void *buf, size_t capacity);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
