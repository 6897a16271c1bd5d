/* SPDX-License-Identifier: MIT */
/* Reading a journal back: every record framed, checksummed and in sequence,
 * and a torn tail told apart from corruption. Internal to the library. */
#ifndef CANDYVEND_JOURNAL_READ_H
#define CANDYVEND_JOURNAL_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>

/* Sizes of the record frame (docs/journal-format.md). Every payload encoder
 * stays below CV_JOURNAL_PAYLOAD_MAX. */
#define CV_JOURNAL_PAYLOAD_MAX 200
#define CV_JOURNAL_HEADER_SIZE 20
#define CV_JOURNAL_TRAILER_SIZE 4
#define CV_JOURNAL_RECORD_MIN (CV_JOURNAL_HEADER_SIZE + CV_JOURNAL_TRAILER_SIZE)
#define CV_JOURNAL_RECORD_MAX (CV_JOURNAL_RECORD_MIN + CV_JOURNAL_PAYLOAD_MAX)
/* A bad record counts as a torn tail only if no more than this many bytes
 * follow its start: the engine syncs every round, and what one round appends
 * is far smaller. Anything bad further from the end is corruption. */
#define CV_JOURNAL_TAIL_MAX 16384

/* One record as read back; payload points into the reader's buffer and is
 * valid only during the callback. */
struct cv_journal_record {
	uint64_t offset;
	uint16_t type;
	uint32_t epoch;
	uint64_t seq;
	const uint8_t *payload;
	size_t payload_length;
};

/* What a scan found. */
struct cv_journal_scan {
	uint64_t records;       /* Valid records. */
	uint64_t last_seq;      /* Sequence number of the last valid record (0 if none). */
	uint64_t valid_length;  /* Bytes up to the end of the last valid record. */
	uint64_t torn_bytes;    /* Bytes after it that form a torn tail (0 if none). */
	uint64_t bad_offset;    /* Where corruption was found (CV_E_CORRUPT only). */
};

/* Called for every valid record, in order; returning false stops the scan. */
typedef bool (*cv_journal_record_fn)(void *arg, const struct cv_journal_record *record);

/* Reads the whole journal through ops->read. CV_OK with torn_bytes > 0 means
 * a torn tail to truncate at valid_length; CV_E_CORRUPT means a bad record
 * with more than CV_JOURNAL_TAIL_MAX bytes after it, or a valid record out of
 * sequence: never skipped, never truncated. CV_E_NOTSUP without read. */
enum cv_status cv_journal_scan(const struct cv_storage_ops *ops, void *ctx, cv_journal_record_fn fn,
			       void *arg, struct cv_journal_scan *out);

#endif
