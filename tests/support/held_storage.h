/* SPDX-License-Identifier: MIT */
/* A journal storage for tests whose syncs complete when the test says so,
 * as the backend contract allows (a disk, a flash page program, a remote
 * log). Appends land in an inline buffer; a sync is only a request until
 * held_storage_complete() answers it, with success or with an error. A
 * power cut (held_storage_cut) keeps exactly what was durable. The struct
 * holds no pointer but the machine's, so a test may copy it byte for byte
 * to save and restore a whole world. */
#ifndef CANDYVEND_TEST_HELD_STORAGE_H
#define CANDYVEND_TEST_HELD_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>

#define HELD_STORAGE_CAPACITY 8192

struct held_storage {
	uint8_t buf[HELD_STORAGE_CAPACITY];
	size_t length;          /* Bytes appended. */
	size_t durable_length;  /* Bytes known durable (survive a cut). */
	uint64_t last_seq;      /* Last record appended. */
	uint64_t durable_seq;   /* Last record durable. */
	uint64_t requested_seq; /* A sync asked for up to here and not yet answered (0: none). */
	size_t requested_length;
	bool immediate;        /* Syncs complete at once (like RAM). */
	bool fail_next_append; /* The next append fails with CV_E_IO (a write error), once. */
	unsigned syncs_failed; /* Syncs answered with an error. */
	struct cv_machine *machine;
};

extern const struct cv_storage_ops held_storage_ops;

void held_storage_init(struct held_storage *hs, bool immediate);
/* Whether a sync waits for its answer. */
bool held_storage_sync_waiting(const struct held_storage *hs);
/* Answers the waiting sync: CV_OK makes it durable; an error leaves it not
 * durable and is reported to the machine as the sync's status. */
void held_storage_complete(struct held_storage *hs, enum cv_status status);
/* A power cut: whatever was not durable is gone, the sync request with it. */
void held_storage_cut(struct held_storage *hs);
/* A power cut after the disk happened to write everything appended, though
 * no sync had said so: all of it survives. */
void held_storage_cut_keeping_all(struct held_storage *hs);

#endif
