/* SPDX-License-Identifier: MIT */
/* The flash journal's storage ops: append, sync, read, truncate,
 * checkpoints and trim over the erase/program model. */
#include <string.h>

#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "storage_flash_layout.h"

enum cv_status cv_flash_program(const struct cv_mcu_flash_storage *s, uint32_t address, const void *data, size_t length)
{
	enum cv_status rc = cv_mcu_flash_program(s->flash, address, data, length);
	if (rc != CV_OK)
		return rc == CV_E_INVAL ? rc : CV_E_IO;
	if (CV_FLASH_MUTATED(CV_FLASH_MUTANT_NO_READ_BACK))
		return CV_OK;
	const uint8_t *expected = data;
	uint8_t back[32]; /* Small: this runs on an MCU's stack. */
	for (size_t done = 0; done < length;) {
		size_t n = length - done < sizeof(back) ? length - done : sizeof(back);
		if (cv_mcu_flash_read(s->flash, address + (uint32_t)done, back, n) != CV_OK ||
		    memcmp(back, expected + done, n) != 0)
			return CV_E_IO;
		done += n;
	}
	return CV_OK;
}

static enum cv_status cv_flash_storage_open(void *ctx, struct cv_machine *machine)
{
	struct cv_mcu_flash_storage *s = ctx;
	if (s == NULL || s->flash == NULL || s->ring_count == 0)
		return CV_E_INVAL; /* Not mounted. */
	s->machine = machine;
	return CV_OK;
}

static uint32_t cv_flash_storage_caps(void *ctx)
{
	(void)ctx;
	return CV_STORAGE_CAP_DURABLE; /* Programmed bits stay (on real flash, across power loss). */
}

/* Erases the next free block of the ring and writes its header. */
static enum cv_status cv_flash_block_open(struct cv_mcu_flash_storage *s)
{
	if (s->live == s->ring_count)
		return CV_E_FULL; /* Every block holds journal nobody trimmed. */
	uint32_t index = s->live == 0 ? s->head : cv_flash_live_index(s, s->live);
	struct cv_flash_block_header h = {
		.magic = CV_FLASH_BLOCK_MAGIC,
		.seq = s->next_block_seq,
		.base_lo = (uint32_t)s->end,
		.base_hi = (uint32_t)(s->end >> 32),
		.state = CV_FLASH_BLOCK_LIVE,
	};
	h.check = cv_flash_block_check(&h);
	enum cv_status rc = cv_mcu_flash_erase(s->flash, cv_flash_ring_block(s, index));
	if (rc == CV_OK)
		rc = cv_flash_program(s, cv_flash_ring_address(s, index, 0), &h, sizeof(h));
	if (rc != CV_OK)
		return CV_E_IO;
	struct cv_mcu_flash_block_state *b = &s->blocks[index];
	memset(b, 0, sizeof(*b));
	b->seq = h.seq;
	b->base = s->end;
	b->write_pos = (uint32_t)sizeof(h);
	s->next_block_seq++;
	s->live++;
	s->blocks_opened++;
	return CV_OK;
}

static enum cv_status cv_flash_storage_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct cv_mcu_flash_storage *s = ctx;
	const uint32_t header = sizeof(struct cv_flash_block_header);
	if (length == 0 || length > s->flash->block_size - header - sizeof(struct cv_flash_entry_header))
		return CV_E_INVAL;
	uint32_t size = cv_flash_align4((uint32_t)(sizeof(struct cv_flash_entry_header) + length));
	struct cv_mcu_flash_block_state *b = s->live ? &s->blocks[cv_flash_live_index(s, s->live - 1)] : NULL;
	if (b == NULL || b->closed || b->write_pos + size > s->flash->block_size) {
		enum cv_status rc = cv_flash_block_open(s);
		if (rc != CV_OK)
			return rc;
		b = &s->blocks[cv_flash_live_index(s, s->live - 1)];
	}
	uint32_t index = cv_flash_live_index(s, s->live - 1);
	struct cv_flash_entry_header h = {
		.length = (uint16_t)length,
		.length_inv = (uint16_t)~length,
		.kept = CV_FLASH_ERASED16,
		.spare = CV_FLASH_ERASED16,
	};
	/* Header first: a cut before the record leaves a record of 0xFF
	 * bytes, which the journal's CRC rejects as a torn tail. */
	uint32_t at = cv_flash_ring_address(s, index, b->write_pos);
	enum cv_status rc = cv_flash_program(s, at, &h, sizeof(h));
	if (rc == CV_OK)
		rc = cv_flash_program(s, at + (uint32_t)sizeof(h), record, length);
	if (rc != CV_OK) {
		b->closed = 1; /* Never program over a half-written entry. */
		return CV_E_IO;
	}
	b->write_pos += size;
	b->length += (uint32_t)length;
	s->end += length;
	s->last_seq = seq;
	return CV_OK;
}

/* Programmed bytes are already in the flash: the completion is posted at once. */
static enum cv_status cv_flash_storage_sync(void *ctx, uint64_t seq)
{
	struct cv_mcu_flash_storage *s = ctx;
	s->sync_count++;
	if (seq > s->synced_seq)
		s->synced_seq = seq;
	return cv_storage_post_synced(s->machine, s->synced_seq);
}

/* The live block holding journal offset @p offset (end included in the last). */
static int cv_flash_block_for(const struct cv_mcu_flash_storage *s, uint64_t offset, uint32_t *index)
{
	for (uint32_t n = 0; n < s->live; n++) {
		uint32_t i = cv_flash_live_index(s, n);
		const struct cv_mcu_flash_block_state *b = &s->blocks[i];
		if (offset >= b->base && offset < b->base + b->length) {
			*index = i;
			return 1;
		}
	}
	return 0;
}

static enum cv_status cv_flash_storage_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct cv_mcu_flash_storage *s = ctx;
	uint32_t index;
	*length_out = 0;
	if (offset < s->trimmed)
		return CV_E_NOT_FOUND;
	if (offset >= s->end || size == 0 || !cv_flash_block_for(s, offset, &index))
		return CV_OK; /* The end of the journal. */
	/* One entry per call: the reader loops over short reads. */
	uint64_t pos = s->blocks[index].base;
	struct cv_flash_entry_walk walk = {.next = (uint32_t)sizeof(struct cv_flash_block_header)};
	while (cv_flash_entry_next(s, index, &walk)) {
		if (offset < pos + walk.kept) {
			uint32_t skip = (uint32_t)(offset - pos);
			size_t n = walk.kept - skip;
			n = n < size ? n : size;
			uint32_t at = cv_flash_ring_address(s, index, walk.pos) +
				      (uint32_t)sizeof(struct cv_flash_entry_header) + skip;
			enum cv_status rc = cv_mcu_flash_read(s->flash, at, buf, n);
			if (rc == CV_OK)
				*length_out = n;
			return rc;
		}
		pos += walk.kept;
	}
	return CV_E_CORRUPT; /* The RAM state and the flash disagree. */
}

static enum cv_status cv_flash_storage_truncate(void *ctx, uint64_t length)
{
	return cv_flash_truncate(ctx, length);
}

static enum cv_status cv_flash_storage_checkpoint_set(void *ctx, uint64_t offset, uint64_t seq)
{
	struct cv_mcu_flash_storage *s = ctx;
	if (offset < s->trimmed || offset > s->end)
		return CV_E_INVAL;
	return cv_flash_meta_write(s, offset, seq);
}

static enum cv_status cv_flash_storage_checkpoint_get(void *ctx, uint64_t *offset, uint64_t *seq)
{
	struct cv_mcu_flash_storage *s = ctx;
	if (!s->has_checkpoint)
		return CV_E_NOT_FOUND;
	*offset = s->checkpoint_offset;
	*seq = s->checkpoint_seq;
	return CV_OK;
}

/* Marks whole blocks below @p offset trimmed (one programmed word each);
 * they are erased when the ring comes round to them again. */
static enum cv_status cv_flash_storage_trim(void *ctx, uint64_t offset)
{
	struct cv_mcu_flash_storage *s = ctx;
	if (offset < s->trimmed || offset > s->end || (s->has_checkpoint && offset > s->checkpoint_offset))
		return CV_E_INVAL;
	while (s->live > 1) {
		struct cv_mcu_flash_block_state *b = &s->blocks[s->head];
		if (b->base + b->length > offset)
			break;
		uint32_t state = CV_FLASH_BLOCK_TRIMMED;
		uint32_t at =
			cv_flash_ring_address(s, s->head, (uint32_t)offsetof(struct cv_flash_block_header, state));
		if (cv_flash_program(s, at, &state, sizeof(state)) != CV_OK)
			return CV_E_IO;
		b->seq = 0;
		s->head = (s->head + 1) % s->ring_count;
		s->live--;
		s->blocks_trimmed++;
	}
	s->trimmed = offset;
	return CV_OK;
}

/* Entries of the largest record that still fit: in the current block and
 * in every free one (trimmed blocks are free: they are erased on reuse). */
static enum cv_status cv_flash_storage_room(void *ctx, uint64_t *bytes)
{
	const struct cv_mcu_flash_storage *s = ctx;
	const uint32_t entry = cv_flash_align4((uint32_t)sizeof(struct cv_flash_entry_header) + CV_STORAGE_ROOM_RECORD);
	const uint32_t per_block = (s->flash->block_size - (uint32_t)sizeof(struct cv_flash_block_header)) / entry;
	uint64_t entries = (uint64_t)(s->ring_count - s->live) * per_block;
	const struct cv_mcu_flash_block_state *b = s->live ? &s->blocks[cv_flash_live_index(s, s->live - 1)] : NULL;
	if (b != NULL && !b->closed && b->write_pos < s->flash->block_size)
		entries += (s->flash->block_size - b->write_pos) / entry;
	*bytes = entries * CV_STORAGE_ROOM_RECORD;
	return CV_OK;
}

const struct cv_storage_ops cv_mcu_flash_storage_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "mcu-flash",
	.caps = cv_flash_storage_caps,
	.open = cv_flash_storage_open,
	.append = cv_flash_storage_append,
	.sync = cv_flash_storage_sync,
	.read = cv_flash_storage_read,
	.truncate = cv_flash_storage_truncate,
	.checkpoint_set = cv_flash_storage_checkpoint_set,
	.checkpoint_get = cv_flash_storage_checkpoint_get,
	.trim = cv_flash_storage_trim,
	.room = cv_flash_storage_room,
};
