/* SPDX-License-Identifier: MIT */
/* The NOR flash model; see nor_flash.h. */
#include "nor_flash.h"

#include <stdlib.h>
#include <string.h>

static struct {
	struct cv_mcu_flash *flash;
	uint8_t *weak;    /* Per byte: bits that read at random. */
	uint32_t *erases; /* Per block. */
	unsigned cut_at_op;
	bool dead;
	uint64_t rng;
	uint32_t erase_limit;
	bool wear_silent;
	struct nor_stats stats;
} nor;

/* splitmix64 */
static uint64_t nor_random(void)
{
	uint64_t z = (nor.rng += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint8_t nor_random_byte(void)
{
	return (uint8_t)nor_random();
}

void cv_mcu_flash_init(struct cv_mcu_flash *flash, void *base, uint32_t block_size, uint32_t block_count)
{
	memset(flash, 0, sizeof(*flash));
	flash->base = base;
	flash->block_size = block_size;
	flash->block_count = block_count;
}

void nor_attach(struct cv_mcu_flash *flash)
{
	nor_detach();
	nor.flash = flash;
	nor.weak = calloc(cv_mcu_flash_size(flash), 1);
	nor.erases = calloc(flash->block_count, sizeof(*nor.erases));
	nor.rng = 1;
}

void nor_detach(void)
{
	free(nor.weak);
	free(nor.erases);
	memset(&nor, 0, sizeof(nor));
}

void nor_arm(unsigned cut_at_op, uint64_t seed)
{
	nor.cut_at_op = cut_at_op;
	nor.rng = seed;
}

bool nor_dead(void)
{
	return nor.dead;
}

void nor_power_on(void)
{
	nor.dead = false;
	nor.cut_at_op = 0;
	nor.stats.ops = 0;
}

void nor_wear(uint32_t erase_limit, bool silent)
{
	nor.erase_limit = erase_limit;
	nor.wear_silent = silent;
}

struct nor_stats nor_stats(void)
{
	return nor.stats;
}

static bool nor_in_range(const struct cv_mcu_flash *flash, uint32_t address, size_t length)
{
	uint32_t size = cv_mcu_flash_size(flash);
	return address <= size && length <= size - address;
}

/* Counts an erase or a program; true if the power goes out inside it. */
static bool nor_op_cuts(void)
{
	nor.stats.ops++;
	if (nor.cut_at_op == 0 || nor.stats.ops != nor.cut_at_op)
		return false;
	nor.dead = true;
	return true;
}

/* Each byte erased, left as it was, or weak: its 0 bits read at random. */
static void nor_erase_interrupted(uint8_t *bytes, uint8_t *weak, uint32_t size)
{
	unsigned erased_permille = (unsigned)(nor_random() % 1001);
	for (uint32_t i = 0; i < size; i++) {
		unsigned roll = (unsigned)(nor_random() % 1000);
		if (roll < erased_permille) {
			bytes[i] = 0xff;
			weak[i] = 0;
		} else if (roll % 3 == 0) {
			weak[i] |= (uint8_t)~bytes[i];
		}
	}
}

enum cv_status cv_mcu_flash_erase(struct cv_mcu_flash *flash, uint32_t block)
{
	if (nor.dead)
		return CV_E_IO;
	if (block >= flash->block_count)
		return CV_E_INVAL;
	uint8_t *bytes = flash->base + (size_t)block * flash->block_size;
	uint8_t *weak = nor.weak + (size_t)block * flash->block_size;
	if (nor_op_cuts()) {
		nor.stats.cuts_in_erase++;
		nor_erase_interrupted(bytes, weak, flash->block_size);
		return CV_E_IO;
	}
	memset(bytes, 0xff, flash->block_size);
	memset(weak, 0, flash->block_size);
	nor.erases[block]++;
	flash->erase_count++;
	return CV_OK;
}

/* How much of a program a cut leaves done. */
enum nor_partial {
	NOR_PREFIX,      /* The bytes before some point, and part of the one at it. */
	NOR_BIT_SUBSET,  /* Any subset of the bits being cleared. */
	NOR_WORD_SUBSET, /* Each 32-bit word done, not done, or half done: parts that
			  * program a row's words in no fixed order. */
};

/* How much of byte i of a program the cut leaves done: all, none, or a
 * random part of its bits (as a mask of the bits to clear). */
static uint8_t nor_partial_mask(enum nor_partial how, size_t i, size_t point, uint32_t address, uint8_t *word_fate)
{
	switch (how) {
	case NOR_PREFIX:
		return i < point ? 0xff : i == point ? nor_random_byte() : 0;
	case NOR_BIT_SUBSET:
		return nor_random_byte();
	case NOR_WORD_SUBSET:
	default:
		if ((address + i) % 4 == 0 || i == 0)
			*word_fate = (uint8_t)(nor_random() % 3);
		return *word_fate == 0 ? 0xff : *word_fate == 1 ? 0 : nor_random_byte();
	}
}

/* Clears bits of the range: all of them, or (cut) a random part. */
static void nor_clear(uint8_t *dst, uint8_t *weak, uint32_t address, const uint8_t *src, size_t length, bool cut)
{
	enum nor_partial how = (enum nor_partial)(nor_random() % 3);
	size_t point = length > 0 ? (size_t)(nor_random() % length) : 0;
	uint8_t word_fate = 0;
	for (size_t i = 0; i < length; i++) {
		uint8_t clear = (uint8_t)~src[i];
		if (cut)
			clear &= nor_partial_mask(how, i, point, address, &word_fate);
		dst[i] &= (uint8_t)~clear;
		weak[i] &= (uint8_t)~clear; /* Programmed to 0: no longer weak. */
	}
}

enum cv_status cv_mcu_flash_program(struct cv_mcu_flash *flash, uint32_t address, const void *data, size_t length)
{
	if (nor.dead)
		return CV_E_IO;
	if (!nor_in_range(flash, address, length))
		return CV_E_INVAL;
	const uint8_t *src = data;
	uint8_t *dst = flash->base + address;
	uint8_t *weak = nor.weak + address;
	/* A stable 0 asked to become 1: refused, nothing changes. */
	for (size_t i = 0; i < length; i++) {
		if ((uint8_t)((dst[i] | weak[i]) & src[i]) != src[i]) {
			flash->program_refused++;
			return CV_E_IO;
		}
	}
	if (nor_op_cuts()) {
		nor.stats.cuts_in_program++;
		nor_clear(dst, weak, address, src, length, true);
		return CV_E_IO;
	}
	uint32_t block = address / flash->block_size;
	if (nor.erase_limit != 0 && nor.erases[block] > nor.erase_limit) {
		/* Worn: some bits don't take. */
		nor.stats.worn_programs++;
		nor_clear(dst, weak, address, src, length, true);
		return nor.wear_silent ? CV_OK : CV_E_IO;
	}
	nor_clear(dst, weak, address, src, length, false);
	flash->program_count++;
	return CV_OK;
}

enum cv_status cv_mcu_flash_read(const struct cv_mcu_flash *flash, uint32_t address, void *buf, size_t length)
{
	if (nor.dead)
		return CV_E_IO;
	if (!nor_in_range(flash, address, length))
		return CV_E_INVAL;
	uint8_t *out = buf;
	const uint8_t *weak = nor.weak + address;
	memcpy(out, flash->base + address, length);
	for (size_t i = 0; i < length; i++) {
		if (weak[i] == 0)
			continue;
		nor.stats.weak_reads++;
		out[i] = (uint8_t)((out[i] & ~weak[i]) | (nor_random_byte() & weak[i]));
	}
	return CV_OK;
}
