/* SPDX-License-Identifier: MIT */
/* The MCU port's flash journal (backends/mcu/storage_flash*.c, built for the
 * host) on the NOR flash model (tests/support/nor_flash.c), without the
 * engine: the checkpoint area under a power cut at every erase and program,
 * and programs that do not take. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leak_check.h"
#include "nor_flash.h"
#include "storage_flash.h"

#define FJ_BLOCK 2048u
#define FJ_BLOCKS 32u
#define FJ_RECORD 60u

static uint8_t region[FJ_BLOCK * FJ_BLOCKS];
static struct cv_mcu_flash flash;
static struct cv_mcu_flash_storage fs;
static const struct cv_storage_ops *ops = &cv_mcu_flash_storage_ops;

static void blank(void)
{
	memset(region, 0xff, sizeof(region));
	cv_mcu_flash_init(&flash, region, FJ_BLOCK, FJ_BLOCKS);
	nor_attach(&flash);
	cr_assert_eq(cv_mcu_flash_storage_mount(&fs, &flash), CV_OK);
}

static void finish(void)
{
	nor_detach();
	cv_test_leak_check();
}

TestSuite(flash_journal, .init = blank, .fini = finish);

static void record_bytes(uint8_t out[FJ_RECORD], uint64_t seq)
{
	for (unsigned i = 0; i < FJ_RECORD; i++)
		out[i] = (uint8_t)(seq * 31u + i);
}

/* Record seq (numbered from 1) starts at this journal offset. */
static uint64_t offset_of(uint64_t seq)
{
	return (seq - 1) * FJ_RECORD;
}

/* Appends record `seq` and remembers a checkpoint at it; the status of the
 * first operation that failed. */
static enum cv_status append_and_remember(uint64_t seq)
{
	uint8_t bytes[FJ_RECORD];
	record_bytes(bytes, seq);
	enum cv_status rc = ops->append(&fs, seq, bytes, sizeof(bytes));
	if (rc == CV_OK)
		rc = ops->checkpoint_set(&fs, offset_of(seq), seq);
	return rc;
}

static void power_back(void)
{
	nor_power_on();
	cr_assert_eq(cv_mcu_flash_storage_mount(&fs, &flash), CV_OK, "the region does not mount");
}

static uint64_t remembered_seq(void)
{
	uint64_t offset = 0, seq = 0;
	if (ops->checkpoint_get(&fs, &offset, &seq) != CV_OK)
		return 0;
	cr_assert_eq(offset, offset_of(seq), "checkpoint %llu at the wrong offset", (unsigned long long)seq);
	return seq;
}

/* Three meta block switches' worth of checkpoints (84 slots a block). */
#define FJ_CHECKPOINTS 200u

/* The power goes out at every erase and program of a run of checkpoints
 * (their records too): after it, the region mounts, the checkpoint is the
 * last one remembered or the one being remembered, and later checkpoints
 * are remembered across mounts as usual. */
Test(flash_journal, the_checkpoint_area_survives_a_cut_at_every_operation)
{
	for (uint64_t seq = 1; seq <= FJ_CHECKPOINTS; seq++)
		cr_assert_eq(append_and_remember(seq), CV_OK);
	unsigned ops_total = nor_stats().ops;
	unsigned in_erase = 0, in_program = 0;
	for (unsigned cut = 1; cut <= ops_total; cut++) {
		nor_detach();
		blank();
		nor_arm(cut, 77u + cut);
		uint64_t done = 0, trying = 0;
		for (uint64_t seq = 1; seq <= FJ_CHECKPOINTS; seq++) {
			trying = seq;
			if (append_and_remember(seq) != CV_OK)
				break;
			done = seq;
		}
		cr_assert(nor_dead(), "cut %u: no cut happened", cut);
		in_erase += nor_stats().cuts_in_erase;
		in_program += nor_stats().cuts_in_program;
		power_back();
		uint64_t found = remembered_seq();
		cr_assert(found == done || found == trying, "cut %u: checkpoint %llu found, %llu was remembered", cut,
			  (unsigned long long)found, (unsigned long long)done);
		/* Life goes on: every checkpoint from now on is remembered. */
		uint64_t next = fs.end / FJ_RECORD + 1;
		for (unsigned k = 0; k < 100; k++, next++) {
			cr_assert_eq(append_and_remember(next), CV_OK, "cut %u: checkpoint %llu after it", cut,
				     (unsigned long long)next);
			if (k % 10 == 9) {
				cr_assert_eq(cv_mcu_flash_storage_mount(&fs, &flash), CV_OK);
				cr_assert_eq(remembered_seq(), next, "cut %u: checkpoint %llu forgotten at a mount",
					     cut, (unsigned long long)next);
			}
		}
	}
	printf("flash checkpoint area: %u cut points (%u inside erases, %u inside programs), 0 violations\n", ops_total,
	       in_erase, in_program);
}

/* A worn part whose programs do not take, and say so (silent: false) or
 * report success (silent: true): the storage reads back what it programmed
 * and answers CV_E_IO, so a record it called written is one that reads
 * back. */
static void worn_part(bool silent)
{
	nor_wear(3, silent);
	uint64_t seq = 1, accepted = 0;
	enum cv_status rc = CV_OK;
	uint8_t bytes[FJ_RECORD];
	for (; seq < 20000 && rc == CV_OK; seq++) {
		record_bytes(bytes, seq);
		rc = ops->append(&fs, seq, bytes, sizeof(bytes));
		if (rc != CV_OK)
			break;
		accepted = seq;
		/* Keep the ring turning so that blocks wear. */
		if (seq % 40 == 0) {
			cr_assert_eq(ops->checkpoint_set(&fs, offset_of(seq), seq), CV_OK);
			cr_assert_eq(ops->trim(&fs, offset_of(seq)), CV_OK);
		}
	}
	cr_assert_eq(rc, CV_E_IO, "a worn block never failed a program (%llu records)", (unsigned long long)seq);
	cr_assert_gt(nor_stats().worn_programs, 0);
	/* Every record it accepted reads back as written. */
	cr_assert_eq(cv_mcu_flash_storage_mount(&fs, &flash), CV_OK);
	uint64_t from = fs.trimmed / FJ_RECORD + 1;
	for (uint64_t s = from; s <= accepted; s++) {
		uint8_t back[FJ_RECORD];
		size_t got = 0;
		record_bytes(bytes, s);
		cr_assert_eq(ops->read(&fs, offset_of(s), back, sizeof(back), &got), CV_OK);
		cr_assert_eq(got, sizeof(back), "record %llu reads back short", (unsigned long long)s);
		cr_assert_arr_eq(back, bytes, sizeof(back), "record %llu reads back changed", (unsigned long long)s);
	}
}

Test(flash_journal, a_program_that_did_not_take_is_an_io_error)
{
	worn_part(true);
}

Test(flash_journal, a_program_that_failed_is_an_io_error)
{
	worn_part(false);
}
