/* SPDX-License-Identifier: MIT */
/* The crash test's own reading of the vend records, written from
 * docs/journal-format.md rather than taken from the library's codec, so
 * that the crash test stays an independent judge of what the engine wrote.
 * tests/unit/test_journal_codec.c checks that the two agree. */
#ifndef CANDYVEND_CRASH_RECORDS_H
#define CANDYVEND_CRASH_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "journal_read.h"

#define CRASH_TEXT_FIELDS 6 /* Processor ref, brand, last 4, auth code, AID, application label. */

struct crash_vend_begin {
	uint8_t uuid[16];
	uint32_t number;
	uint16_t lane;
	int64_t price;
	char currency[4];
};

struct crash_vend_state {
	uint8_t uuid[16];
	uint32_t number;
	uint8_t state;
	uint8_t reason;
	uint16_t lane;
	int64_t price;
	uint8_t attempt;
	uint8_t respins;
	bool verified;
	char text[CRASH_TEXT_FIELDS][64];
	uint8_t entry;
	uint8_t flags;
	int64_t capture_before;
	int64_t held; /* Format 3 only. */
};

/* Whole payloads only: false if the record has other fields than these. */
bool crash_read_vend_begin(const struct cv_journal_record *record, struct crash_vend_begin *out);
bool crash_read_vend_state(const struct cv_journal_record *record, struct crash_vend_state *out);

#endif
