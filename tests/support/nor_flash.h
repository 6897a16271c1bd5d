/* SPDX-License-Identifier: MIT */
/* A NOR flash model for host tests, linked in place of backends/mcu/flash.c
 * (the same functions, flash.h), with the ways real parts fail:
 *
 * - a power cut inside a program leaves part of it done, drawn at random:
 *   a prefix of its bytes (and part of the next one), any subset of the
 *   bits it was clearing, or each 32-bit word done, not done or half done
 *   (parts program a row's words in no fixed order); then the power is
 *   out: every later operation answers CV_E_IO until nor_power_on();
 * - a power cut inside an erase leaves each byte erased, untouched or
 *   weak: a weak bit reads 0 or 1 at random on every read until its block
 *   is erased whole or the bit is programmed to 0;
 * - a program that would set a bit (0 -> 1) is refused and changes nothing
 *   (a weak bit asked to stay 1 is not refused: the part can't tell);
 * - wear: once a block has been erased more than a limit, its programs
 *   leave some bits unprogrammed, either reporting CV_E_IO or (silent
 *   wear) reporting success.
 *
 * One flash per test process: the model's state is global. */
#ifndef CANDYVEND_TEST_NOR_FLASH_H
#define CANDYVEND_TEST_NOR_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "flash.h"

/* What the model did, for reports. */
struct nor_stats {
	unsigned ops;             /* Erases and programs in this life. */
	unsigned cuts_in_program; /* Power cuts that fell inside a program. */
	unsigned cuts_in_erase;   /* ... inside an erase. */
	unsigned weak_reads;      /* Reads that met a weak bit. */
	unsigned worn_programs;   /* Programs that a worn block did not take whole. */
};

/* Takes a region set up with cv_mcu_flash_init(), blank (0xFF). */
void nor_attach(struct cv_mcu_flash *flash);
void nor_detach(void);
/* The power goes out inside the erase or program that brings this life's
 * count to cut_at_op (0 disarms); seed drives what the cut leaves. */
void nor_arm(unsigned cut_at_op, uint64_t seed);
bool nor_dead(void);
/* Power back: a new life, the count at 0, no cut armed, weak bits stay. */
void nor_power_on(void);
/* Blocks erased more than erase_limit times (0: never) wear out. */
void nor_wear(uint32_t erase_limit, bool silent);
struct nor_stats nor_stats(void);

#endif
