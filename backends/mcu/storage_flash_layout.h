/* SPDX-License-Identifier: MIT */
/* On-flash formats of the flash journal storage; private to storage_flash*.c. */
#ifndef CANDYVEND_MCU_STORAGE_FLASH_LAYOUT_H
#define CANDYVEND_MCU_STORAGE_FLASH_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "storage_flash.h"

/* Test only: a build with -DCV_FLASH_MUTANT=n puts back bug n, so that the
 * flash journal's tests (tests/unit/test_flash_journal.c, run by
 * scripts/mutants.sh) can show that they catch it. Firmware and test
 * builds have none. */
#ifndef CV_FLASH_MUTANT
#define CV_FLASH_MUTANT 0
#endif
#define CV_FLASH_MUTATED(n) (CV_FLASH_MUTANT == (n))
enum cv_flash_mutant {
	CV_FLASH_MUTANT_NO_FALLBACK = 1,    /* A mount takes the newer meta block even with no whole slot. */
	CV_FLASH_MUTANT_TORN_SLOT_ENDS = 2, /* A slot whose magic stayed erased ends the slot list. */
	CV_FLASH_MUTANT_NO_READ_BACK = 3,   /* A program that reported success is not read back. */
	CV_FLASH_MUTANT_COUNT = 4
};

#define CV_FLASH_META_BLOCKS 2u
#define CV_FLASH_BLOCK_MAGIC 0x314a5643u /* "CVJ1" */
#define CV_FLASH_META_MAGIC 0x314d5643u  /* "CVM1" */
#define CV_FLASH_SLOT_MAGIC 0x314b5043u  /* "CPK1" */
#define CV_FLASH_ERASED32 0xffffffffu
#define CV_FLASH_ERASED16 0xffffu
#define CV_FLASH_BLOCK_LIVE 0xffffffffu /* Header state: erased = live. */
#define CV_FLASH_BLOCK_TRIMMED 0u

/* At the start of every journal block. */
struct cv_flash_block_header {
	uint32_t magic;
	uint32_t seq;
	uint32_t base_lo;
	uint32_t base_hi;
	uint32_t check;
	uint32_t state; /* Programmed to CV_FLASH_BLOCK_TRIMMED by trim. */
};

/* Before every record. */
struct cv_flash_entry_header {
	uint16_t length;
	uint16_t length_inv;
	uint16_t kept; /* CV_FLASH_ERASED16: all of it; else that many bytes. */
	uint16_t spare;
};

/* At the start of a meta block. */
struct cv_flash_meta_header {
	uint32_t magic;
	uint32_t generation;
	uint32_t check;
	uint32_t spare;
};

/* One remembered checkpoint; the last valid slot wins. */
struct cv_flash_slot {
	uint32_t magic;
	uint32_t check;
	uint32_t offset_lo;
	uint32_t offset_hi;
	uint32_t seq_lo;
	uint32_t seq_hi;
};

static inline uint32_t cv_flash_block_check(const struct cv_flash_block_header *h)
{
	return h->magic ^ h->seq ^ h->base_lo ^ h->base_hi ^ 0xa5a5a5a5u;
}

static inline uint32_t cv_flash_slot_check(const struct cv_flash_slot *s)
{
	return s->magic ^ s->offset_lo ^ s->offset_hi ^ s->seq_lo ^ s->seq_hi ^ 0x5a5a5a5au;
}

static inline uint32_t cv_flash_align4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static inline uint32_t cv_flash_ring_block(const struct cv_mcu_flash_storage *s, uint32_t index)
{
	(void)s;
	return CV_FLASH_META_BLOCKS + index;
}

static inline uint32_t cv_flash_ring_address(const struct cv_mcu_flash_storage *s, uint32_t index, uint32_t pos)
{
	return cv_flash_ring_block(s, index) * s->flash->block_size + pos;
}

/* Ring index of the n-th live block (0 = oldest). */
static inline uint32_t cv_flash_live_index(const struct cv_mcu_flash_storage *s, uint32_t n)
{
	return (s->head + n) % s->ring_count;
}

/* Walks the entries of one journal block (storage_flash_scan.c). */
struct cv_flash_entry_walk {
	uint32_t pos;    /* Entry header position. */
	uint32_t next;   /* Position after the entry. */
	uint16_t length; /* Record length. */
	uint16_t kept;   /* Bytes of it in the journal. */
	bool closed;     /* Stopped at a torn header. */
};
/* Reads the entry at walk->next; false at the end of the block's entries. */
bool cv_flash_entry_next(const struct cv_mcu_flash_storage *s, uint32_t index, struct cv_flash_entry_walk *walk);

/* Programs, then reads back what it programmed (storage_flash.c): some parts
 * report success for a program that did not take, especially once worn, so
 * a mismatch is CV_E_IO, as a refused program is. */
enum cv_status cv_flash_program(const struct cv_mcu_flash_storage *s, uint32_t address, const void *data,
				size_t length);

/* Cuts the journal to @p length (storage_flash_truncate.c). */
enum cv_status cv_flash_truncate(struct cv_mcu_flash_storage *s, uint64_t length);

/* Meta blocks (storage_flash_meta.c). */
enum cv_status cv_flash_meta_mount(struct cv_mcu_flash_storage *s);
enum cv_status cv_flash_meta_write(struct cv_mcu_flash_storage *s, uint64_t offset, uint64_t seq);

#endif
