/* SPDX-License-Identifier: MIT */
/* Mounting the flash journal: what a boot finds in the region. */
#include <string.h>

#include "storage_flash_layout.h"

bool cv_flash_entry_next(const struct cv_mcu_flash_storage *s, uint32_t index, struct cv_flash_entry_walk *walk)
{
	struct cv_flash_entry_header h;
	uint32_t pos = walk->next;
	if (pos + sizeof(h) > s->flash->block_size)
		return false;
	if (cv_mcu_flash_read(s->flash, cv_flash_ring_address(s, index, pos), &h, sizeof(h)) != CV_OK)
		return false;
	if (h.length == CV_FLASH_ERASED16 && h.length_inv == CV_FLASH_ERASED16)
		return false; /* Erased: the block's entries end here. */
	uint32_t next = cv_flash_align4(pos + (uint32_t)sizeof(h) + h.length);
	if ((uint16_t)(h.length ^ h.length_inv) != CV_FLASH_ERASED16 || next > s->flash->block_size) {
		walk->closed = true; /* A header torn by a power cut. */
		return false;
	}
	walk->pos = pos;
	walk->next = next;
	walk->length = h.length;
	walk->kept = h.kept == CV_FLASH_ERASED16 ? h.length : (h.kept < h.length ? h.kept : h.length);
	return true;
}

/* Reads one block's header and entries into its RAM state. */
static void cv_flash_scan_block(struct cv_mcu_flash_storage *s, uint32_t index)
{
	struct cv_mcu_flash_block_state *b = &s->blocks[index];
	struct cv_flash_block_header h;
	memset(b, 0, sizeof(*b));
	if (cv_mcu_flash_read(s->flash, cv_flash_ring_address(s, index, 0), &h, sizeof(h)) != CV_OK ||
	    h.magic != CV_FLASH_BLOCK_MAGIC || h.check != cv_flash_block_check(&h) || h.seq == 0 ||
	    h.seq == CV_FLASH_ERASED32 || h.state != CV_FLASH_BLOCK_LIVE)
		return; /* Free: blank, trimmed, or never formatted. */
	b->seq = h.seq;
	b->base = (uint64_t)h.base_hi << 32 | h.base_lo;
	struct cv_flash_entry_walk walk = {.next = (uint32_t)sizeof(h)};
	while (cv_flash_entry_next(s, index, &walk))
		b->length += walk.kept;
	b->write_pos = walk.next;
	b->closed = walk.closed;
}

/* The live chain ends at the block with the highest sequence number and
 * runs back through consecutive numbers whose offsets join up. */
static void cv_flash_find_chain(struct cv_mcu_flash_storage *s)
{
	uint32_t tail = 0, best = 0;
	for (uint32_t i = 0; i < s->ring_count; i++) {
		if (s->blocks[i].seq > best) {
			best = s->blocks[i].seq;
			tail = i;
		}
	}
	s->live = 0;
	s->head = 0;
	s->end = 0;
	s->next_block_seq = best + 1;
	if (best == 0)
		return; /* An empty journal. */
	uint32_t head = tail;
	s->live = 1;
	while (s->live < s->ring_count) {
		uint32_t prev = (head + s->ring_count - 1) % s->ring_count;
		const struct cv_mcu_flash_block_state *p = &s->blocks[prev], *h = &s->blocks[head];
		if (p->seq == 0 || p->seq + 1 != h->seq || p->base + p->length != h->base)
			break;
		head = prev;
		s->live++;
	}
	/* Anything outside the chain is stale: free, erased when reused. */
	for (uint32_t i = 0; i < s->ring_count; i++) {
		uint32_t from_head = (i + s->ring_count - head) % s->ring_count;
		if (from_head >= s->live)
			s->blocks[i].seq = 0;
	}
	s->head = head;
	s->end = s->blocks[tail].base + s->blocks[tail].length;
}

enum cv_status cv_mcu_flash_storage_mount(struct cv_mcu_flash_storage *s, struct cv_mcu_flash *flash)
{
	memset(s, 0, sizeof(*s));
	s->flash = flash;
	if (flash->block_count <= CV_FLASH_META_BLOCKS + 1 ||
	    flash->block_count - CV_FLASH_META_BLOCKS > CV_MCU_FLASH_STORAGE_BLOCKS_MAX || flash->block_size % 4 != 0 ||
	    flash->block_size > 0xffffu || flash->block_size < 512)
		return CV_E_INVAL;
	s->ring_count = flash->block_count - CV_FLASH_META_BLOCKS;
	for (uint32_t i = 0; i < s->ring_count; i++)
		cv_flash_scan_block(s, i);
	cv_flash_find_chain(s);
	s->trimmed = s->live > 0 ? s->blocks[s->head].base : 0;
	return cv_flash_meta_mount(s);
}
