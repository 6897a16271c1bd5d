/* SPDX-License-Identifier: MIT */
/* Cutting a torn tail off the flash journal without rewriting anything:
 * blocks wholly past the cut are marked trimmed, entries past it get their
 * "kept" length programmed lower. */
#include "storage_flash_layout.h"

/* Programs an entry's kept length; only bit clears are possible, so a
 * second, different cut of one entry may be refused (CV_E_IO). */
static enum cv_status cv_flash_entry_keep(struct cv_mcu_flash_storage *s, uint32_t index,
					  const struct cv_flash_entry_walk *walk, uint16_t kept)
{
	if (walk->kept == kept)
		return CV_OK;
	uint32_t at =
		cv_flash_ring_address(s, index, walk->pos) + (uint32_t)offsetof(struct cv_flash_entry_header, kept);
	return cv_flash_program(s, at, &kept, sizeof(kept)) == CV_OK ? CV_OK : CV_E_IO;
}

/* Drops the newest live block (all of it is past the cut). */
static enum cv_status cv_flash_drop_tail_block(struct cv_mcu_flash_storage *s)
{
	uint32_t index = cv_flash_live_index(s, s->live - 1);
	uint32_t state = CV_FLASH_BLOCK_TRIMMED;
	uint32_t at = cv_flash_ring_address(s, index, (uint32_t)offsetof(struct cv_flash_block_header, state));
	if (cv_flash_program(s, at, &state, sizeof(state)) != CV_OK)
		return CV_E_IO;
	/* Its number is given to the next block, so the chain stays unbroken. */
	s->next_block_seq = s->blocks[index].seq;
	s->blocks[index].seq = 0;
	s->live--;
	return CV_OK;
}

enum cv_status cv_flash_truncate(struct cv_mcu_flash_storage *s, uint64_t length)
{
	if (length > s->end || length < s->trimmed || s->live == 0)
		return length == s->end ? CV_OK : CV_E_INVAL;
	/* The cut block is the oldest whose end is past the cut. */
	while (s->live > 1 && s->blocks[cv_flash_live_index(s, s->live - 1)].base >= length) {
		enum cv_status rc = cv_flash_drop_tail_block(s);
		if (rc != CV_OK)
			return rc;
	}
	uint32_t index = cv_flash_live_index(s, s->live - 1);
	struct cv_mcu_flash_block_state *b = &s->blocks[index];
	uint64_t pos = b->base;
	struct cv_flash_entry_walk walk = {.next = (uint32_t)sizeof(struct cv_flash_block_header)};
	while (cv_flash_entry_next(s, index, &walk)) {
		uint16_t kept = walk.kept;
		if (pos >= length)
			kept = 0;
		else if (pos + walk.kept > length)
			kept = (uint16_t)(length - pos);
		enum cv_status rc = cv_flash_entry_keep(s, index, &walk, kept);
		if (rc != CV_OK)
			return rc;
		pos += walk.kept;
	}
	b->length = (uint32_t)(length - b->base);
	s->end = length;
	s->truncations++;
	return CV_OK;
}
