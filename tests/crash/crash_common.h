/* SPDX-License-Identifier: MIT */
/* What the crash test's parent (kill_test.c) and child (kill_child.c) agree
 * on: the planogram, the files of the outside world and the exit codes. */
#ifndef CANDYVEND_CRASH_COMMON_H
#define CANDYVEND_CRASH_COMMON_H

#include <stdint.h>

/* Planogram: every lane starts full; prices differ per lane so a capture of
 * the wrong amount shows. Stock only goes down (no refills), so the
 * inventory invariant stays exact. */
#define CRASH_LANES 16
#define CRASH_CAPACITY 1000
#define CRASH_CURRENCY "USD"

static inline int64_t crash_price(uint16_t lane)
{
	return 100 + 25 * (int64_t)lane;
}

/* Small segments, so segment creation is killed too. */
#define CRASH_SEGMENT_SIZE (64u * 1024u)

/* Files in the run directory. The journal has a directory of its own. */
#define CRASH_DIR_JOURNAL "journal"
#define CRASH_FILE_PROCESSOR "processor.log" /* The payment processor (file_processor.c). */
#define CRASH_FILE_BIN "bin.log"             /* The machine's mechanics: motor starts, items that fell. */
#define CRASH_FILE_RECOVERY "recovery.log"   /* CV_EVENT_RECOVERY, one line each. */
#define CRASH_FILE_LIVES "lives.log"         /* One line per child whose cv_machine_init returned. */
#define CRASH_FILE_FINAL "final.txt"         /* Lane counts written by the settle-mode child. */

/* How a child ends other than by SIGKILL (each a failure, but SETTLED from the settle-mode child). */
enum {
	CRASH_EXIT_SETTLED = 0, /* settle mode: every vend settled, machine closed. */
	CRASH_EXIT_INIT = 42,   /* cv_machine_init did not return CV_OK. */
	CRASH_EXIT_STUCK = 43,  /* Open vends did not settle within the step budget. */
	CRASH_EXIT_WORLD = 44,  /* The outside world's files failed (I/O, a bad record). */
	CRASH_EXIT_ENGINE = 45, /* An engine call answered something impossible. */
	CRASH_EXIT_USAGE = 46,  /* Bad arguments. */
};

#endif
