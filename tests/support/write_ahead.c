/* SPDX-License-Identifier: MIT */
#include "write_ahead.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "held_storage.h"

/* More than the vends a machine keeps open at once (CV_VENDS_MAX). */
#define WRITE_AHEAD_VENDS 16

/* The record that holds a vend's current state (seq 0: none was written). */
struct write_ahead_vend {
	char id[CV_VEND_ID_LEN];
	uint16_t lane;
	enum cv_vend_state state;
	uint64_t seq;
};

/* Where durability is read. The RAM journal and the held storage know it
 * themselves (a fake that loses or fails a sync before it reaches them is
 * seen for what it is); any other storage (files, the crash-simulating
 * wrapper) completes a sync before sync() returns, so its word counts. */
enum write_ahead_disk {
	WRITE_AHEAD_DISK_RAM,
	WRITE_AHEAD_DISK_HELD,
	WRITE_AHEAD_DISK_SYNC_RETURN,
};

static struct {
	const struct cv_storage_ops *inner; /* The storage the test chose. */
	struct cv_storage_ops ops;          /* It, with append and sync watched. */
	enum write_ahead_disk disk;
	const void *disk_ctx;
	unsigned held_failures; /* The held storage's failed syncs before this machine. */
	uint64_t appended_seq;  /* Last record the storage took. */
	uint64_t accepted_seq;  /* Covered by the syncs the storage accepted. */
	uint64_t fresh_seq;     /* Appended since the last output event (0: none). */
	bool append_failed;
	bool sync_failed;
	struct write_ahead_vend vends[WRITE_AHEAD_VENDS];
	unsigned vends_seen;
	char why[256];
} wa;

static enum cv_status write_ahead_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	enum cv_status rc = wa.inner->append(ctx, seq, record, length);
	wa.fresh_seq = rc == CV_OK ? seq : 0;
	if (rc == CV_OK)
		wa.appended_seq = seq;
	else
		wa.append_failed = true;
	return rc;
}

static enum cv_status write_ahead_sync(void *ctx, uint64_t seq)
{
	enum cv_status rc = wa.inner->sync(ctx, seq);
	if (rc == CV_OK || rc == CV_PENDING) {
		if (seq > wa.accepted_seq)
			wa.accepted_seq = seq;
	} else if (rc != CV_E_BUSY && rc != CV_E_FULL) {
		wa.sync_failed = true; /* BUSY and FULL only mean "ask again later". */
	}
	return rc;
}

static enum write_ahead_disk write_ahead_disk_of(const struct cv_storage_ops *ops, const void *ctx,
						 const struct cv_ram_storage *ram)
{
	if (ctx == ram)
		return WRITE_AHEAD_DISK_RAM;
	if (ops == &held_storage_ops)
		return WRITE_AHEAD_DISK_HELD;
	return WRITE_AHEAD_DISK_SYNC_RETURN;
}

const struct cv_storage_ops *write_ahead_watch(const struct cv_storage_ops *ops, const void *ctx,
					       const struct cv_ram_storage *ram)
{
	memset(&wa, 0, sizeof(wa));
	if (ops == NULL)
		return NULL;
	wa.inner = ops;
	wa.ops = *ops;
	wa.ops.append = write_ahead_append;
	wa.ops.sync = write_ahead_sync;
	wa.disk = write_ahead_disk_of(ops, ctx, ram);
	wa.disk_ctx = ctx;
	if (wa.disk == WRITE_AHEAD_DISK_HELD)
		wa.held_failures = ((const struct held_storage *)ctx)->syncs_failed;
	return &wa.ops;
}

void write_ahead_sync_failed(void)
{
	wa.sync_failed = true;
}

static uint64_t write_ahead_durable_seq(void)
{
	switch (wa.disk) {
	case WRITE_AHEAD_DISK_RAM:
		return ((const struct cv_ram_storage *)wa.disk_ctx)->synced_seq;
	case WRITE_AHEAD_DISK_HELD:
		return ((const struct held_storage *)wa.disk_ctx)->durable_seq;
	default:
		return wa.accepted_seq;
	}
}

static bool write_ahead_sync_has_failed(void)
{
	return wa.sync_failed || (wa.disk == WRITE_AHEAD_DISK_HELD &&
				  ((const struct held_storage *)wa.disk_ctx)->syncs_failed > wa.held_failures);
}

static struct write_ahead_vend *write_ahead_vend_find(const char *id)
{
	for (unsigned i = 0; i < WRITE_AHEAD_VENDS; i++)
		if (wa.vends[i].id[0] != '\0' && strcmp(wa.vends[i].id, id) == 0)
			return &wa.vends[i];
	return NULL;
}

/* The vend whose motor turns (and whose sensor is armed) on a lane. */
static const struct write_ahead_vend *write_ahead_vend_dispensing(uint16_t lane)
{
	for (unsigned i = 0; i < WRITE_AHEAD_VENDS; i++)
		if (wa.vends[i].state == CV_VEND_STATE_DISPENSING && wa.vends[i].lane == lane)
			return &wa.vends[i];
	return NULL;
}

/* The engine journals a state, then announces it: the record appended just
 * before a VEND_STATE event, with no other event between, is that state's. */
static void write_ahead_vend_state(const struct cv_vend_info *info)
{
	struct write_ahead_vend *v = write_ahead_vend_find(info->vend_id);
	if (v == NULL) {
		v = &wa.vends[wa.vends_seen++ % WRITE_AHEAD_VENDS];
		memcpy(v->id, info->vend_id, sizeof(v->id));
	}
	v->lane = info->lane;
	v->state = info->state;
	v->seq = wa.fresh_seq;
}

void write_ahead_on_event(const struct cv_event *event)
{
	if (event->type == CV_EVENT_VEND_STATE)
		write_ahead_vend_state(&event->u.vend);
	wa.fresh_seq = 0;
}

static bool write_ahead_is_durable(uint64_t seq)
{
	return seq != 0 && seq <= write_ahead_durable_seq();
}

/* With the journal broken, a void may go once what could be written is
 * settled: all of it durable, or syncing itself failed. A restart decides
 * the same (it voids every vend not durably bound to capture). */
static bool write_ahead_settled_after_fault(void)
{
	bool sync_failed = write_ahead_sync_has_failed();
	if (!wa.append_failed && !sync_failed)
		return false;
	return sync_failed || write_ahead_durable_seq() >= wa.appended_seq;
}

static const char *write_ahead_verdict(const char *effect, const struct write_ahead_vend *v, bool releases)
{
	if (v != NULL && write_ahead_is_durable(v->seq))
		return NULL;
	if (releases && write_ahead_settled_after_fault())
		return NULL;
	if (v == NULL)
		snprintf(wa.why, sizeof(wa.why), "%s for no vend whose state was journaled", effect);
	else if (v->seq == 0)
		snprintf(wa.why, sizeof(wa.why), "%s for vend %s in %s, whose record was never written", effect, v->id,
			 cv_vend_state_str(v->state));
	else
		snprintf(wa.why, sizeof(wa.why),
			 "%s for vend %s in %s before its record (seq %" PRIu64 ") was durable (up to %" PRIu64 ")",
			 effect, v->id, cv_vend_state_str(v->state), v->seq, write_ahead_durable_seq());
	return wa.why;
}

static const char *write_ahead_op_name(enum cv_payment_op op)
{
	static const char *const names[] = {
		[CV_PAYMENT_OP_AUTHORIZE] = "authorize",
		[CV_PAYMENT_OP_CAPTURE] = "capture",
		[CV_PAYMENT_OP_VOID] = "void",
		[CV_PAYMENT_OP_REFUND] = "refund",
	};
	return (unsigned)op < sizeof(names) / sizeof(names[0]) && names[op] != NULL ? names[op] : "payment";
}

const char *write_ahead_judge_payment(const struct cv_payment_request *req)
{
	if (req->op == CV_PAYMENT_OP_LOOKUP)
		return NULL; /* It changes nothing at the processor: no intent to record. */
	bool releases = req->op == CV_PAYMENT_OP_VOID || req->op == CV_PAYMENT_OP_REFUND;
	return write_ahead_verdict(write_ahead_op_name(req->op), write_ahead_vend_find(req->vend_id), releases);
}

const char *write_ahead_judge_lane(const char *effect, uint16_t lane)
{
	return write_ahead_verdict(effect, write_ahead_vend_dispensing(lane), false);
}
