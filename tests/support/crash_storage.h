/* SPDX-License-Identifier: MIT */
/* A crash-simulating storage for tests, after SQLite's test6.c: appends stay
 * in memory until a sync writes them to the wrapped ("inner") storage, so
 * only synced records are "on disk". A simulated power cut loses every
 * unsynced record, or tears the last one at a random byte, or keeps, loses
 * or tears each of them independently. The inner
 * storage (say a RAM storage whose buffer the test keeps) is the disk that
 * survives: after a cut the test throws the machine away, calls
 * crash_storage_reset() and opens a new machine over the same wrapper. */
#ifndef CANDYVEND_TEST_CRASH_STORAGE_H
#define CANDYVEND_TEST_CRASH_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>

/* Bounds of the pending list; an append beyond them answers CV_E_FULL. A
 * journal record is far smaller (at most a few hundred bytes). */
#define CRASH_STORAGE_PENDING_MAX 256
#define CRASH_STORAGE_RECORD_MAX 512

/* What a power cut does to the records appended since the last sync. */
enum crash_mode {
	CRASH_DROP,   /* All of them are lost. */
	CRASH_TEAR,   /* All are lost but a random prefix of the last one, which is written. */
	CRASH_SUBSET, /* Each is kept, lost or torn (a random prefix kept) on its own, as a
		       * disk's write-back can leave any subset of its unsynced pages: a
		       * lost record before a kept one leaves zeros where it was. */
	CRASH_PREFIX, /* The oldest k of them are kept whole (k random, 0..all), the rest lost:
		       * a disk that wrote back in order and stopped part way. */
};

/* What the last cut did, for assertions and failure messages. */
struct crash_cut {
	unsigned op;         /* The operation it happened in (0: between operations). */
	unsigned lost_count; /* Unsynced records lost, the torn one included (CRASH_SUBSET: lost or torn). */
	unsigned kept_count; /* CRASH_SUBSET: unsynced records that reached the disk whole. */
	uint64_t torn_seq;   /* Sequence number of the torn record (0: none). */
	size_t torn_length;  /* Bytes of it written to the inner storage. */
};

struct crash_record {
	uint64_t seq;
	size_t length;
	uint8_t bytes[CRASH_STORAGE_RECORD_MAX];
};

/* State of a wrapper; treat the members as private. */
struct crash_storage {
	const struct cv_storage_ops *inner_ops;
	void *inner_ctx;
	struct crash_record pending[CRASH_STORAGE_PENDING_MAX];
	unsigned pending_count;
	unsigned op_count;  /* Appends and syncs in this life. */
	unsigned cut_at_op; /* 0: no cut armed. */
	enum crash_mode mode;
	uint64_t random_state;
	bool dead;
	struct crash_cut last_cut;
};

/* The wrapper's table; its ctx is a struct crash_storage. append keeps the
 * record in memory; sync writes every pending record to the inner storage,
 * then syncs it (its STORAGE_SYNCED completion goes to the machine as
 * usual); read and truncate go straight to the inner storage (the engine
 * only reads back at open, when nothing is pending). Once the power is cut,
 * every method but close answers CV_E_IO and nothing reaches the inner
 * storage; close is passed on, as it only releases the inner storage. caps
 * are the inner storage's (a RAM one is not durable: the machine's
 * configuration must accept a volatile journal). */
extern const struct cv_storage_ops crash_storage_ops;

/* Wraps an inner storage, which must implement read and truncate. */
void crash_storage_init(struct crash_storage *cs, const struct cv_storage_ops *inner_ops, void *inner_ctx);

/* Cuts the power during the operation that brings the count of appends and
 * syncs to cut_at_op (0 disarms). The seed drives the tear's length, so the
 * same seed tears the same way; crash_storage_cut() uses it too. */
void crash_storage_arm(struct crash_storage *cs, unsigned cut_at_op, enum crash_mode mode, uint64_t seed);

/* Cuts the power now, between operations. */
void crash_storage_cut(struct crash_storage *cs, enum crash_mode mode);

/* Power back for a new life: nothing pending, not dead, disarmed, the
 * operation count at 0. The inner storage keeps what reached it. */
void crash_storage_reset(struct crash_storage *cs);

/* Appends and syncs asked for in this life, the cut one included. */
unsigned crash_storage_op_count(const struct crash_storage *cs);

bool crash_storage_is_dead(const struct crash_storage *cs);

/* What the last cut did; all zero if there was none. */
const struct crash_cut *crash_storage_last_cut(const struct crash_storage *cs);

#endif
