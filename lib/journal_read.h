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
#define CV_JOURNAL_PAYLOAD_MAX 232
#define CV_JOURNAL_HEADER_SIZE 20
#define CV_JOURNAL_TRAILER_SIZE 4
#define CV_JOURNAL_RECORD_MIN (CV_JOURNAL_HEADER_SIZE + CV_JOURNAL_TRAILER_SIZE)
/* A sealed payload carries a 24-byte nonce and a 16-byte tag more. */
#define CV_JOURNAL_SEAL_OVERHEAD_MAX 40
/* Header flags: a sealed record, and (format 3) a record whose payload
 * fields each follow CV_JOURNAL_FIELD_TAG. */
#define CV_JOURNAL_FLAG_SEALED 0x0001u
#define CV_JOURNAL_FLAG_TAGGED 0x0002u
/* A letter before every field keeps digits of neighbouring fields (a
 * reference ending in digits, the last four, an authorization code) from
 * reading as one long number to a scanner that looks for card numbers in
 * the raw bytes: no digit run can span two fields. */
#define CV_JOURNAL_FIELD_TAG 'F'
#define CV_JOURNAL_RECORD_MAX (CV_JOURNAL_RECORD_MIN + CV_JOURNAL_PAYLOAD_MAX + CV_JOURNAL_SEAL_OVERHEAD_MAX)

/* One record as read back; payload points into the reader's buffer and is
 * valid only during the callback. */
struct cv_journal_record {
	uint64_t offset;
	uint16_t type;
	uint32_t epoch;
	uint64_t seq;
	const uint8_t *payload;
	size_t payload_length;
	bool tagged; /* Format 3: every field follows CV_JOURNAL_FIELD_TAG. */
};

/* What a scan found. */
struct cv_journal_scan {
	uint64_t records;      /* Valid records. */
	uint64_t last_seq;     /* Sequence number of the last valid record (first_seq - 1 if none). */
	uint64_t valid_length; /* Offset of the end of the last valid record (start if none). */
	uint64_t torn_bytes;   /* Bytes after it that form a torn tail (0 if none). */
	uint64_t bad_offset;   /* Where corruption was found (CV_E_CORRUPT only). */
};

/* Called for every valid record, in order; returning false stops the scan. */
typedef bool (*cv_journal_record_fn)(void *arg, const struct cv_journal_record *record);

/* Reads the journal through ops->read from byte `start` (0, or where a
 * checkpoint begins), whose record must carry sequence number `first_seq`
 * (1 at the start of a journal). A bad record is a torn tail
 * (CV_OK, torn_bytes > 0, to be truncated at valid_length) only if it is the
 * last thing in the journal: it runs to the end, or only zeros (a file
 * system's zero fill) follow where it claims to end; with a garbage length,
 * the rest must fit one record or be zeros beyond that. Any other bad
 * record, and any sound record out of sequence, is CV_E_CORRUPT:
 * money records are never skipped or cut away. CV_E_NOTSUP without read.
 * With a key (32 bytes) every record must be sealed and open with it; without
 * one, none may be sealed; anything else is CV_E_CORRUPT, as is a sealed
 * record that fails authentication. Callbacks see the opened payload. */
enum cv_status cv_journal_scan(const struct cv_storage_ops *ops, void *ctx, uint64_t start, uint64_t first_seq,
			       const uint8_t *key, cv_journal_record_fn fn, void *arg, struct cv_journal_scan *out);

/* Little-endian payload reader, the mirror of the engine's writer. Running
 * past the end (or a string longer than its field) is sticky: check `bad`
 * once after reading a whole payload. */
struct cv_journal_reader {
	const uint8_t *bytes;
	size_t length;
	size_t pos;
	bool bad;
	bool tagged;
};

void cv_journal_reader_init(struct cv_journal_reader *r, const struct cv_journal_record *record);
/* A little-endian unsigned number of @p size bytes (1, 2, 4 or 8). */
uint64_t cv_journal_get_uint(struct cv_journal_reader *r, unsigned size);
void cv_journal_get_bytes(struct cv_journal_reader *r, void *out, size_t length);
/* Reads a u8-length string into a field of `size` bytes, NUL-terminated. */
void cv_journal_get_str(struct cv_journal_reader *r, char *out, size_t size);
/* True if the whole payload was read and nothing was out of bounds. */
bool cv_journal_reader_done(const struct cv_journal_reader *r);
/* A trailing number written only when not 0 (journals without it stay as
 * they were): 0 at the payload's end, else the number (a 0 written there
 * makes the reader go bad). */
uint32_t cv_journal_get_trailing_u32(struct cv_journal_reader *r);

#endif
