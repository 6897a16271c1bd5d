/* SPDX-License-Identifier: MIT */
/* A NOR-flash-like memory region: erase blocks that erase to 0xFF, and
 * programming that can only clear bits. A program that would need a 0 -> 1
 * change is refused (CV_E_IO) and leaves the region untouched, as the rule
 * of real NOR flash demands; the storage above must never ask for one. */
#ifndef CANDYVEND_MCU_FLASH_H
#define CANDYVEND_MCU_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include <candyvend/status.h>

struct cv_mcu_flash {
	uint8_t *base;            /* The region (e.g. a linker section). */
	uint32_t block_size;      /* Erase block size in bytes. */
	uint32_t block_count;     /* Erase blocks in the region. */
	uint32_t erase_count;     /* Block erases since init. */
	uint32_t program_count;   /* Program operations since init. */
	uint32_t program_refused; /* Programs refused for a 0 -> 1 bit. */
};

void cv_mcu_flash_init(struct cv_mcu_flash *flash, void *base, uint32_t block_size, uint32_t block_count);
/* Sets every byte of block @p block to 0xFF. */
enum cv_status cv_mcu_flash_erase(struct cv_mcu_flash *flash, uint32_t block);
/* ANDs @p length bytes into the region at @p address (offset from base);
 * CV_E_IO if any byte would need a bit set, CV_E_INVAL out of range. */
enum cv_status cv_mcu_flash_program(struct cv_mcu_flash *flash, uint32_t address, const void *data, size_t length);
/* Copies bytes out of the region. */
enum cv_status cv_mcu_flash_read(const struct cv_mcu_flash *flash, uint32_t address, void *buf, size_t length);
/* Size of the region in bytes. */
static inline uint32_t cv_mcu_flash_size(const struct cv_mcu_flash *flash)
{
	return flash->block_size * flash->block_count;
}

#endif
