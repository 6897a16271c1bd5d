/* SPDX-License-Identifier: MIT */
/* Checkpoint slots in two meta blocks: slots are appended to the block in
 * use; when it is full, the other block is erased, given the next
 * generation and the new slot. The old block stays valid until the switch
 * after that, and a mount takes the newer block that holds a whole slot,
 * so a power cut at any point leaves one checkpoint readable. */
#include <string.h>

#include "storage_flash_layout.h"

static uint32_t cv_flash_meta_slots(const struct cv_mcu_flash_storage *s)
{
	return (s->flash->block_size - (uint32_t)sizeof(struct cv_flash_meta_header)) /
	       (uint32_t)sizeof(struct cv_flash_slot);
}

static uint32_t cv_flash_slot_address(const struct cv_mcu_flash_storage *s, uint32_t block, uint32_t slot)
{
	return block * s->flash->block_size + (uint32_t)sizeof(struct cv_flash_meta_header) +
	       slot * (uint32_t)sizeof(struct cv_flash_slot);
}

/* The generation of a meta block, 0 if it has no valid header. */
static uint32_t cv_flash_meta_generation(const struct cv_mcu_flash_storage *s, uint32_t block)
{
	struct cv_flash_meta_header h;
	if (cv_mcu_flash_read(s->flash, block * s->flash->block_size, &h, sizeof(h)) != CV_OK ||
	    h.magic != CV_FLASH_META_MAGIC || h.generation == 0 || h.generation == CV_FLASH_ERASED32 ||
	    h.check != ~h.generation)
		return 0;
	return h.generation;
}

static bool cv_flash_slot_blank(const struct cv_flash_slot *slot)
{
	const uint8_t *bytes = (const uint8_t *)slot;
	for (size_t i = 0; i < sizeof(*slot); i++)
		if (bytes[i] != 0xff)
			return false;
	return true;
}

/* What one meta block holds: its last whole slot, and where the next one
 * goes: past every slot that is not blank. A torn slot (even one whose
 * magic word stayed erased) is skipped, never the end of the list, and
 * never written over. */
struct cv_flash_meta_scan {
	bool found;
	struct cv_flash_slot last;
	uint32_t next_slot;
};

static enum cv_status cv_flash_meta_scan(const struct cv_mcu_flash_storage *s, uint32_t block,
					 struct cv_flash_meta_scan *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t slots = cv_flash_meta_slots(s);
	for (uint32_t i = 0; i < slots; i++) {
		struct cv_flash_slot slot;
		enum cv_status rc =
			cv_mcu_flash_read(s->flash, cv_flash_slot_address(s, block, i), &slot, sizeof(slot));
		if (rc != CV_OK)
			return rc;
		if (cv_flash_slot_blank(&slot))
			continue;
		if (CV_FLASH_MUTATED(CV_FLASH_MUTANT_TORN_SLOT_ENDS) && slot.magic == CV_FLASH_ERASED32)
			break;
		out->next_slot = i + 1;
		if (slot.magic == CV_FLASH_SLOT_MAGIC && slot.check == cv_flash_slot_check(&slot)) {
			out->found = true;
			out->last = slot;
		}
	}
	return CV_OK;
}

/* The newer block (by generation) whose slots hold a checkpoint wins: a cut
 * after a switch wrote the new block's header but before its first slot
 * leaves the checkpoint in the older block, which stays valid until the
 * next switch erases it. */
enum cv_status cv_flash_meta_mount(struct cv_mcu_flash_storage *s)
{
	uint32_t generation[CV_FLASH_META_BLOCKS] = {cv_flash_meta_generation(s, 0), cv_flash_meta_generation(s, 1)};
	uint32_t newer = generation[1] > generation[0] ? 1 : 0;
	uint32_t order[CV_FLASH_META_BLOCKS] = {newer, 1 - newer};
	s->meta_block = newer;
	s->meta_generation = generation[newer];
	s->meta_next_slot = 0;
	s->has_checkpoint = 0;
	for (unsigned k = 0; k < CV_FLASH_META_BLOCKS; k++) {
		uint32_t block = order[k];
		if (generation[block] == 0)
			continue;
		struct cv_flash_meta_scan scan;
		enum cv_status rc = cv_flash_meta_scan(s, block, &scan);
		if (rc != CV_OK)
			return rc;
		if (k == 0)
			s->meta_next_slot = scan.next_slot;
		if (!scan.found) {
			/* No whole slot here: the older block's checkpoint stands. */
			if (CV_FLASH_MUTATED(CV_FLASH_MUTANT_NO_FALLBACK))
				return CV_OK;
			continue;
		}
		s->meta_block = block;
		s->meta_generation = generation[block];
		s->meta_next_slot = scan.next_slot;
		s->has_checkpoint = 1;
		s->checkpoint_offset = (uint64_t)scan.last.offset_hi << 32 | scan.last.offset_lo;
		s->checkpoint_seq = (uint64_t)scan.last.seq_hi << 32 | scan.last.seq_lo;
		return CV_OK;
	}
	return CV_OK;
}

/* Erases the other meta block and makes it the one in use. */
static enum cv_status cv_flash_meta_switch(struct cv_mcu_flash_storage *s)
{
	uint32_t block = s->meta_generation == 0 ? 0 : 1 - s->meta_block;
	struct cv_flash_meta_header h = {
		.magic = CV_FLASH_META_MAGIC,
		.generation = s->meta_generation + 1,
		.check = ~(s->meta_generation + 1),
		.spare = CV_FLASH_ERASED32,
	};
	enum cv_status rc = cv_mcu_flash_erase(s->flash, block);
	if (rc == CV_OK)
		rc = cv_flash_program(s, block * s->flash->block_size, &h, sizeof(h));
	if (rc != CV_OK)
		return rc;
	s->meta_block = block;
	s->meta_generation = h.generation;
	s->meta_next_slot = 0;
	return CV_OK;
}

enum cv_status cv_flash_meta_write(struct cv_mcu_flash_storage *s, uint64_t offset, uint64_t seq)
{
	if (s->meta_generation == 0 || s->meta_next_slot >= cv_flash_meta_slots(s)) {
		enum cv_status rc = cv_flash_meta_switch(s);
		if (rc != CV_OK)
			return rc;
	}
	struct cv_flash_slot slot = {
		.magic = CV_FLASH_SLOT_MAGIC,
		.offset_lo = (uint32_t)offset,
		.offset_hi = (uint32_t)(offset >> 32),
		.seq_lo = (uint32_t)seq,
		.seq_hi = (uint32_t)(seq >> 32),
	};
	slot.check = cv_flash_slot_check(&slot);
	enum cv_status rc =
		cv_flash_program(s, cv_flash_slot_address(s, s->meta_block, s->meta_next_slot), &slot, sizeof(slot));
	s->meta_next_slot++; /* A refused slot is skipped, never reprogrammed. */
	if (rc != CV_OK)
		return rc;
	s->has_checkpoint = 1;
	s->checkpoint_offset = offset;
	s->checkpoint_seq = seq;
	return CV_OK;
}
