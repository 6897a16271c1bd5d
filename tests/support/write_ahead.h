/* SPDX-License-Identifier: MIT */
/* The rig's witness of the write-ahead rule as the engine keeps it: a side
 * effect starts only once the journal record of its vend's state is
 * durable. The witness watches the journal where the machine meets its
 * storage (records appended, syncs accepted or failed), learns from each
 * VEND_STATE event which record holds that state, and asks the disk itself,
 * never the engine's bookkeeping, how far the journal is durable. */
#ifndef CANDYVEND_TEST_WRITE_AHEAD_H
#define CANDYVEND_TEST_WRITE_AHEAD_H

#include <stdint.h>

#include <candyvend/candyvend.h>

/* Starts watching a new machine's journal, forgetting the previous one's.
 * Returns the table to give the machine in place of @p ops (NULL stays
 * NULL). @p ram is the rig's RAM journal, the disk when @p ctx is it. */
const struct cv_storage_ops *write_ahead_watch(const struct cv_storage_ops *ops, const void *ctx,
					       const struct cv_ram_storage *ram);

/* Every output event of the watched machine, in order. */
void write_ahead_on_event(const struct cv_event *event);

/* A fake storage of a test that fails a sync by its completion (which the
 * witness can't see) says so here, as the engine will learn it. */
void write_ahead_sync_failed(void);

/* Judge a side effect about to start: NULL if it keeps the rule, else why
 * not (valid until the next call). */
const char *write_ahead_judge_payment(const struct cv_payment_request *req);
const char *write_ahead_judge_lane(const char *effect, uint16_t lane);

#endif
