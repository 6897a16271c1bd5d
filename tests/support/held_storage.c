/* SPDX-License-Identifier: MIT */
#include "held_storage.h"

#include <string.h>

#include <candyvend/event.h>
#include <candyvend/machine.h>

void held_storage_init(struct held_storage *hs, bool immediate)
{
	memset(hs, 0, sizeof(*hs));
	hs->immediate = immediate;
}

static enum cv_status held_open(void *ctx, struct cv_machine *machine)
{
	struct held_storage *hs = ctx;
	hs->machine = machine;
	return CV_OK;
}

static uint32_t held_caps(void *ctx)
{
	(void)ctx;
	return CV_STORAGE_CAP_DURABLE; /* What it reports durable survives held_storage_cut(). */
}

static enum cv_status held_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct held_storage *hs = ctx;
	if (hs->fail_next_append) {
		hs->fail_next_append = false;
		return CV_E_IO;
	}
	if (length > sizeof(hs->buf) - hs->length)
		return CV_E_FULL;
	memcpy(hs->buf + hs->length, record, length);
	hs->length += length;
	hs->last_seq = seq;
	return CV_OK;
}

static void held_post(struct held_storage *hs, uint64_t seq, enum cv_status status)
{
	struct cv_event ev = {.type = CV_EVENT_STORAGE_SYNCED};
	ev.u.storage.seq = seq;
	ev.u.storage.status = status;
	cv_machine_post(hs->machine, &ev);
}

static enum cv_status held_sync(void *ctx, uint64_t seq)
{
	struct held_storage *hs = ctx;
	if (hs->requested_seq != 0)
		return CV_E_BUSY; /* One at a time: ask again later. */
	hs->requested_seq = seq;
	hs->requested_length = hs->length;
	if (hs->immediate)
		held_storage_complete(hs, CV_OK);
	return CV_PENDING;
}

bool held_storage_sync_waiting(const struct held_storage *hs)
{
	return hs->requested_seq != 0;
}

void held_storage_complete(struct held_storage *hs, enum cv_status status)
{
	uint64_t seq = hs->requested_seq;
	if (seq == 0)
		return;
	hs->requested_seq = 0;
	if (status == CV_OK) {
		hs->durable_seq = seq;
		hs->durable_length = hs->requested_length;
	} else {
		hs->syncs_failed++;
	}
	held_post(hs, seq, status);
}

void held_storage_cut(struct held_storage *hs)
{
	hs->length = hs->durable_length;
	hs->last_seq = hs->durable_seq;
	hs->requested_seq = 0;
}

void held_storage_cut_keeping_all(struct held_storage *hs)
{
	hs->durable_length = hs->length;
	hs->durable_seq = hs->last_seq;
	hs->requested_seq = 0;
}

static enum cv_status held_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct held_storage *hs = ctx;
	size_t available = offset < hs->length ? hs->length - (size_t)offset : 0;
	size_t n = size < available ? size : available;
	memcpy(buf, hs->buf + offset, n);
	*length_out = n;
	return CV_OK;
}

static enum cv_status held_truncate(void *ctx, uint64_t length)
{
	struct held_storage *hs = ctx;
	if (length > hs->length)
		return CV_E_INVAL;
	hs->length = (size_t)length;
	if (hs->durable_length > hs->length)
		hs->durable_length = hs->length;
	return CV_OK;
}

const struct cv_storage_ops held_storage_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "held",
	.caps = held_caps,
	.open = held_open,
	.append = held_append,
	.sync = held_sync,
	.read = held_read,
	.truncate = held_truncate,
};
