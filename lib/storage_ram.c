/* SPDX-License-Identifier: MIT */
/* Journal storage in a caller-provided buffer: volatile, for tests and demos. */
#include <candyvend/storage_ram.h>
#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "internal.h"

static enum cv_status cv_ram_storage_open(void *ctx, struct cv_machine *machine)
{
	struct cv_ram_storage *s = ctx;
	if (s == NULL || s->buf == NULL)
		return CV_E_INVAL;
	s->machine = machine;
	return CV_OK;
}

static enum cv_status cv_ram_storage_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct cv_ram_storage *s = ctx;
	if (length > s->capacity - s->length)
		return CV_E_FULL;
	memcpy(s->buf + s->length, record, length);
	s->length += length;
	s->last_seq = seq;
	return CV_OK;
}

/* RAM is as durable as it gets: the completion is posted at once. */
static enum cv_status cv_ram_storage_sync(void *ctx, uint64_t seq)
{
	struct cv_ram_storage *s = ctx;
	s->sync_count++;
	if (seq > s->synced_seq)
		s->synced_seq = seq;
	return cv_storage_post_synced(s->machine, s->synced_seq);
}

static enum cv_status cv_ram_storage_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct cv_ram_storage *s = ctx;
	if (offset < s->base)
		return CV_E_NOT_FOUND; /* Trimmed away. */
	uint64_t at = offset - s->base;
	size_t available = at < s->length ? s->length - (size_t)at : 0;
	size_t n = size < available ? size : available;
	if (n > 0)
		memcpy(buf, s->buf + at, n);
	*length_out = n;
	return CV_OK;
}

static enum cv_status cv_ram_storage_truncate(void *ctx, uint64_t length)
{
	struct cv_ram_storage *s = ctx;
	if (length < s->base || length - s->base > s->length)
		return CV_E_INVAL;
	s->length = (size_t)(length - s->base);
	return CV_OK;
}

static enum cv_status cv_ram_storage_checkpoint_set_tagged(void *ctx, uint64_t offset, uint64_t seq, const void *tag,
							   size_t tag_length)
{
	struct cv_ram_storage *s = ctx;
	if (offset < s->base || offset - s->base > s->length || tag_length > sizeof(s->checkpoint_tag) ||
	    (tag == NULL && tag_length > 0))
		return CV_E_INVAL;
	s->checkpoint_offset = offset;
	s->checkpoint_seq = seq;
	s->has_checkpoint = 1;
	if (tag_length > 0)
		memcpy(s->checkpoint_tag, tag, tag_length);
	s->checkpoint_tag_length = tag_length;
	return CV_OK;
}

static enum cv_status cv_ram_storage_checkpoint_set(void *ctx, uint64_t offset, uint64_t seq)
{
	return cv_ram_storage_checkpoint_set_tagged(ctx, offset, seq, NULL, 0);
}

static enum cv_status cv_ram_storage_checkpoint_get_tagged(void *ctx, uint64_t *offset, uint64_t *seq, void *tag,
							   size_t tag_size, size_t *tag_length)
{
	struct cv_ram_storage *s = ctx;
	if (!s->has_checkpoint)
		return CV_E_NOT_FOUND;
	if (tag_size < s->checkpoint_tag_length)
		return CV_E_INVAL;
	*offset = s->checkpoint_offset;
	*seq = s->checkpoint_seq;
	if (s->checkpoint_tag_length > 0)
		memcpy(tag, s->checkpoint_tag, s->checkpoint_tag_length);
	*tag_length = s->checkpoint_tag_length;
	return CV_OK;
}

static enum cv_status cv_ram_storage_checkpoint_get(void *ctx, uint64_t *offset, uint64_t *seq)
{
	size_t tag_length = 0;
	uint8_t tag[CV_STORAGE_TAG_MAX];
	return cv_ram_storage_checkpoint_get_tagged(ctx, offset, seq, tag, sizeof(tag), &tag_length);
}

/* Moves what remains to the front: the buffer is reused for ever. */
static enum cv_status cv_ram_storage_trim(void *ctx, uint64_t offset)
{
	struct cv_ram_storage *s = ctx;
	if (offset < s->base || offset - s->base > s->length || (s->has_checkpoint && offset > s->checkpoint_offset))
		return CV_E_INVAL;
	size_t cut = (size_t)(offset - s->base);
	memmove(s->buf, s->buf + cut, s->length - cut);
	s->length -= cut;
	s->base = offset;
	return CV_OK;
}

/* Plain bytes: no per-record overhead. */
static enum cv_status cv_ram_storage_room(void *ctx, uint64_t *bytes)
{
	const struct cv_ram_storage *s = ctx;
	*bytes = s->capacity - s->length;
	return CV_OK;
}

static uint32_t cv_ram_storage_caps(void *ctx)
{
	(void)ctx;
	return 0; /* RAM does not survive power loss. */
}

CV_EXPORT const struct cv_storage_ops cv_ram_storage_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "ram",
	.caps = cv_ram_storage_caps,
	.open = cv_ram_storage_open,
	.append = cv_ram_storage_append,
	.sync = cv_ram_storage_sync,
	.read = cv_ram_storage_read,
	.truncate = cv_ram_storage_truncate,
	.checkpoint_set = cv_ram_storage_checkpoint_set,
	.checkpoint_get = cv_ram_storage_checkpoint_get,
	.trim = cv_ram_storage_trim,
	.checkpoint_set_tagged = cv_ram_storage_checkpoint_set_tagged,
	.checkpoint_get_tagged = cv_ram_storage_checkpoint_get_tagged,
	.room = cv_ram_storage_room,
};

CV_EXPORT void cv_ram_storage_init(struct cv_ram_storage *storage, void *buf, size_t capacity)
{
	memset(storage, 0, sizeof(*storage));
	storage->buf = buf;
	storage->capacity = capacity;
}
