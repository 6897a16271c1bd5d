/* SPDX-License-Identifier: MIT */
/* Marks: what the storage remembers of a sealed journal (where its last
 * durable checkpoint begins, the one before it, and how far the journal
 * reached), kept as the tag of a tagged checkpoint and authenticated with a
 * key derived from the journal key. A journal cut short, and a mark forged,
 * put back from an older copy or deleted, then fail init with CV_E_CORRUPT
 * (docs/journal-format.md, "Marks"). Built with the crypto module; without
 * it no journal is sealed, so none is marked. */
#ifndef CANDYVEND_JOURNAL_MARK_H
#define CANDYVEND_JOURNAL_MARK_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/status.h>

#include "journal_read.h"

struct cv_machine;

/* Test only: a build with -DCV_MARK_MUTANT=n puts back bug n, so that the
 * marks tests (tests/unit/test_marks.c, run by scripts/mutants.sh) can show
 * that they catch it. Release and test builds have none. */
#ifndef CV_MARK_MUTANT
#define CV_MARK_MUTANT 0
#endif
#define CV_MARK_MUTATED(n) (CV_MARK_MUTANT == (n))
enum cv_mark_mutant {
	CV_MARK_MUTANT_MAC_UNCHECKED = 1,        /* A tag is taken without checking its MAC. */
	CV_MARK_MUTANT_REACH_UNCHECKED = 2,      /* A journal ending before the reach opens. */
	CV_MARK_MUTANT_SPARE_UNCHECKED = 3,      /* A mark whose spare is gone opens. */
	CV_MARK_MUTANT_PROMISE_IGNORED = 4,      /* A journal that keeps marks opens without one. */
	CV_MARK_MUTANT_POSIX_NO_ROLL = 5,        /* The POSIX storage goes on in the same segment after a mark. */
	CV_MARK_MUTANT_GENERATION_UNCHECKED = 6, /* A mark older than the journal's records opens. */
	CV_MARK_MUTANT_COUNT = 7
};

/* The mark the storage holds, as the engine knows it. */
struct cv_journal_mark {
	bool present;          /* A tagged mark that authenticated (read or written). */
	bool start;            /* It names the journal's start: no checkpoint yet. */
	uint64_t offset;       /* The checkpoint's first record (0 for the start). */
	uint64_t seq;          /* Its sequence number (1 for the start). */
	uint64_t reach;        /* Every record up to this one was durable when it was written. */
	uint64_t spare_offset; /* The checkpoint before it, still held (offset 0, seq 1: */
	uint64_t spare_seq;    /* the journal's start; seq 0: none). */
	uint32_t generation;   /* One more at every mark written: records name the one in force. */
};

#ifdef CV_HAVE_CRYPTO
/* Whether this machine keeps marks: a sealed journal on a storage with both
 * tagged checkpoint calls. Logs a warning for a sealed one without them. */
bool cv_mark_supported(struct cv_machine *m);
/* Reads the storage's mark for replay: CV_OK with the checkpoint to start
 * at, CV_E_NOT_FOUND to read from the start (no mark, or a mark of the
 * start), CV_E_CORRUPT for a tag that does not authenticate, or the
 * storage's error. A pair set without a tag (an older library's) is
 * CV_OK with m->mark.present false. */
enum cv_status cv_mark_load(struct cv_machine *m, uint64_t *offset, uint64_t *seq);
/* After replay: CV_E_CORRUPT if the journal ends before the mark's reach,
 * its spare checkpoint is gone, a record names a newer mark than the one
 * found (newest_generation: the newest named, 0 if none: the journal keeps
 * no marks), or a record said the journal keeps marks and there is none. */
enum cv_status cv_mark_check(struct cv_machine *m, uint32_t newest_generation, const struct cv_journal_scan *scan);
/* Before this life's first record: writes a mark for a journal that has
 * none yet, then asks for its reach to be written again once this life's
 * start records are durable. */
enum cv_status cv_mark_begin_life(struct cv_machine *m);
/* The storage is to open at the checkpoint (offset, seq) whose END is
 * durable: the tagged checkpoint_set, the previous checkpoint (or the
 * journal's start) as its spare. */
enum cv_status cv_mark_commit_checkpoint(struct cv_machine *m, uint64_t offset, uint64_t seq);
/* From the step loop: writes the reach again when it is due. */
void cv_mark_tick(struct cv_machine *m);
#else
static inline bool cv_mark_supported(struct cv_machine *m)
{
	(void)m;
	return false;
}
static inline enum cv_status cv_mark_load(struct cv_machine *m, uint64_t *offset, uint64_t *seq)
{
	(void)m, (void)offset, (void)seq;
	return CV_E_NOTSUP;
}
static inline enum cv_status cv_mark_check(struct cv_machine *m, uint32_t newest_generation,
					   const struct cv_journal_scan *scan)
{
	(void)m, (void)scan;
	return newest_generation != 0 ? CV_E_CORRUPT : CV_OK;
}
static inline enum cv_status cv_mark_begin_life(struct cv_machine *m)
{
	(void)m;
	return CV_OK;
}
static inline enum cv_status cv_mark_commit_checkpoint(struct cv_machine *m, uint64_t offset, uint64_t seq)
{
	(void)m, (void)offset, (void)seq;
	return CV_E_NOTSUP;
}
static inline void cv_mark_tick(struct cv_machine *m)
{
	(void)m;
}
#endif

#endif
