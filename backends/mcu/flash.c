/* SPDX-License-Identifier: MIT */
/* The erase/program model of NOR flash over a plain memory region. */
#include "flash.h"

#include <string.h>

void cv_mcu_flash_init(struct cv_mcu_flash *flash, void *base, uint32_t block_size, uint32_t block_count)
{
	memset(flash, 0, sizeof(*flash));
	flash->base = base;
	flash->block_size = block_size;
	flash->block_count = block_count;
}

static int cv_mcu_flash_in_range(const struct cv_mcu_flash *flash, uint32_t address, size_t length)
{
	uint32_t size = cv_mcu_flash_size(flash);
	return address <= size && length <= size - address;
}

enum cv_status cv_mcu_flash_erase(struct cv_mcu_flash *flash, uint32_t block)
{
	if (block >= flash->block_count)
		return CV_E_INVAL;
	memset(flash->base + (size_t)block * flash->block_size, 0xff, flash->block_size);
	flash->erase_count++;
	return CV_OK;
}

enum cv_status cv_mcu_flash_program(struct cv_mcu_flash *flash, uint32_t address, const void *data, size_t length)
{
	if (!cv_mcu_flash_in_range(flash, address, length))
		return CV_E_INVAL;
	const uint8_t *src = data;
	uint8_t *dst = flash->base + address;
	/* Check all of it first: a refused program changes nothing. */
	for (size_t i = 0; i < length; i++) {
		if ((uint8_t)(dst[i] & src[i]) != src[i]) {
			flash->program_refused++;
			return CV_E_IO;
		}
	}
	for (size_t i = 0; i < length; i++)
		dst[i] &= src[i];
	flash->program_count++;
	return CV_OK;
}

enum cv_status cv_mcu_flash_read(const struct cv_mcu_flash *flash, uint32_t address, void *buf, size_t length)
{
	if (!cv_mcu_flash_in_range(flash, address, length))
		return CV_E_INVAL;
	memcpy(buf, flash->base + address, length);
	return CV_OK;
}
