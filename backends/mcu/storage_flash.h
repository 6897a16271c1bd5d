/* SPDX-License-Identifier: MIT */
/* The engine's journal on a flash-like region (flash.h): append-only,
 * erase-before-reuse, every bit change one way. See docs/mcu-qemu.md.
 *
 * Layout: blocks 0 and 1 hold checkpoint slots (ping-pong by generation);
 * blocks 2..n-1 are a ring of journal blocks. A journal block starts with a
 * header (magic, block sequence number, journal offset of its first byte,
 * check word, state word cleared when trimmed) and holds entries: an 8-byte
 * entry header (length, ~length, kept length, spare) and one record, padded
 * to 4 bytes. Truncating programs "kept" lower (0xFFFF = all of it), so
 * nothing is ever rewritten; trimmed blocks are erased only when reused. */
#ifndef CANDYVEND_MCU_STORAGE_FLASH_H
#define CANDYVEND_MCU_STORAGE_FLASH_H

#include <stdint.h>

#include <candyvend/backend.h>

#include "flash.h"

/* Most journal blocks one storage tracks (its RAM state is per block). */
#define CV_MCU_FLASH_STORAGE_BLOCKS_MAX 64

struct cv_mcu_flash_block_state {
	uint64_t base;      /* Journal offset of the block's first byte. */
	uint32_t seq;       /* Block sequence number; 0 = free. */
	uint32_t length;    /* Journal bytes the block holds (kept lengths). */
	uint32_t write_pos; /* Where its next entry goes. */
	uint8_t closed;     /* A torn entry header: no more entries here. */
};

struct cv_mcu_flash_storage {
	struct cv_mcu_flash *flash;
	uint32_t ring_count; /* Journal blocks (flash blocks minus the two meta blocks). */
	struct cv_mcu_flash_block_state blocks[CV_MCU_FLASH_STORAGE_BLOCKS_MAX];
	uint32_t head; /* Ring index of the oldest live block. */
	uint32_t live; /* Live blocks: head .. head+live-1. */
	uint32_t next_block_seq;
	uint64_t end;             /* Journal length. */
	uint64_t trimmed;         /* Reads below this answer CV_E_NOT_FOUND. */
	uint32_t meta_block;      /* 0 or 1: the meta block in use. */
	uint32_t meta_generation; /* 0: no meta block written yet. */
	uint32_t meta_next_slot;
	int has_checkpoint;
	uint64_t checkpoint_offset;
	uint64_t checkpoint_seq;
	uint64_t last_seq;
	uint64_t synced_seq;
	struct cv_machine *machine;
	/* Counters for the firmware's report and the tests. */
	uint32_t sync_count;
	uint32_t blocks_opened;
	uint32_t blocks_trimmed;
	uint32_t truncations;
};

extern const struct cv_storage_ops cv_mcu_flash_storage_ops;

/* Reads the region back (what a boot does): finds the live journal blocks,
 * the journal's length and the last checkpoint. Blocks that hold no valid
 * header count as free, so a blank or never-formatted region is an empty
 * journal. CV_E_INVAL if the geometry doesn't fit, CV_E_IO on a flash error. */
enum cv_status cv_mcu_flash_storage_mount(struct cv_mcu_flash_storage *storage, struct cv_mcu_flash *flash);

#endif
