/* SPDX-License-Identifier: MIT */
/* The journal's records: their types, and the one encoder and the one
 * decoder of them all (docs/journal-format.md). The engine writes every record
 * through these, checkpoints included, and recovery reads them back through
 * these; nothing else lays out a payload. Internal to the library. */
#ifndef CANDYVEND_JOURNAL_CODEC_H
#define CANDYVEND_JOURNAL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/lane.h>
#include <candyvend/machine.h>
#include <candyvend/payment.h>

#include "journal_read.h"

enum cv_journal_record_type {
	CV_JOURNAL_MACHINE_START = 1,
	CV_JOURNAL_VEND_BEGIN = 2,
	CV_JOURNAL_VEND_STATE = 3,
	CV_JOURNAL_LANE_STATE = 4,
	CV_JOURNAL_LANE_CONFIG = 5,
	CV_JOURNAL_SERVICE = 6,
	CV_JOURNAL_ALERT = 7,
	CV_JOURNAL_FILE_HEADER = 8,
	CV_JOURNAL_CHECKPOINT_BEGIN = 9,
	CV_JOURNAL_CHECKPOINT_END = 10,
};

/* The file header record's payload: magic and format version. */
#define CV_JOURNAL_MAGIC "CVJL"
#define CV_JOURNAL_FORMAT_VERSION 3
/* The oldest format still read (2: no field tags, no key policy). */
#define CV_JOURNAL_FORMAT_OLDEST 2

/* VEND_STATE flags. */
#define CV_JOURNAL_VEND_OFFLINE 0x1u  /* Approved offline by the reader (store and forward). */
#define CV_JOURNAL_VEND_MAY_LAND 0x2u /* Format 3: the key may still land (CV_VEND_KEY_MAY_LAND). */

/* Little-endian fixed-width payload writer; overflow is sticky and checked once. */
struct cv_journal_writer {
	uint8_t bytes[CV_JOURNAL_PAYLOAD_MAX];
	size_t length;
	bool overflow;
	bool tagged; /* Every field follows CV_JOURNAL_FIELD_TAG (payloads; not the frame). */
};

void cv_journal_writer_init(struct cv_journal_writer *w);
/* A little-endian unsigned number of @p size bytes (1, 2, 4 or 8). */
void cv_journal_put_uint(struct cv_journal_writer *w, uint64_t value, unsigned size);
void cv_journal_put_bytes(struct cv_journal_writer *w, const void *bytes, size_t length);
void cv_journal_put_str(struct cv_journal_writer *w, const char *s, size_t size);

struct cv_rec_header {
	char magic[4];
	uint16_t version;
};

struct cv_rec_machine_start {
	char machine_id[CV_MACHINE_ID_LEN];
	char currency[CV_CURRENCY_LEN];
	uint16_t lane_count;
	uint32_t mark_generation; /* The mark in force (journal_mark.h); 0: the journal keeps none (not written). */
};

/* VEND_BEGIN and VEND_STATE records are the vend itself (struct cv_vend,
 * machine_private.h): their fields are tables over the vend, so the engine
 * appends the vend as it is and recovery copies the fields back, with
 * nothing in between to fill in. A VEND_BEGIN has the vend's identity,
 * lane, price and currency; a VEND_STATE everything recovery needs to
 * resend an operation with the same key and the same frozen parameters,
 * and to honour the key's duty. */
struct cv_vend;

/* LANE_STATE and LANE_CONFIG records are the lane itself (struct cv_lane,
 * machine_private.h): the first its mutable state (count, price, enabled,
 * quarantine, failures), the second its planogram. */
struct cv_lane;

struct cv_rec_alert {
	uint8_t kind; /* enum cv_alert_kind */
	uint16_t lane;
	bool active;
};

struct cv_rec_checkpoint_begin {
	uint32_t next_vend_number;
	struct cv_machine_stats stats; /* All but journal_records, which is the sequence number. */
	uint32_t mark_generation;      /* As in cv_rec_machine_start. */
};

/* The record type of a record, from its C type: a VEND_STATE record is a
 * vend, a LANE_STATE record a lane (VEND_BEGIN and LANE_CONFIG records, a
 * vend and a lane too, are named by their types), a SERVICE record a bool (entered), a CHECKPOINT_END one the
 * uint64_t sequence number of its BEGIN. A type that is no record does not
 * compile. */
/* clang-format off */
#define CV_REC_TYPE(rec)                                                             \
	_Generic(*(rec),                                                             \
		 struct cv_rec_header: CV_JOURNAL_FILE_HEADER,                       \
		 struct cv_rec_machine_start: CV_JOURNAL_MACHINE_START,              \
		 struct cv_vend: CV_JOURNAL_VEND_STATE,                              \
		 struct cv_lane: CV_JOURNAL_LANE_STATE,                              \
		 bool: CV_JOURNAL_SERVICE,                                           \
		 struct cv_rec_alert: CV_JOURNAL_ALERT,                              \
		 struct cv_rec_checkpoint_begin: CV_JOURNAL_CHECKPOINT_BEGIN,        \
		 uint64_t: CV_JOURNAL_CHECKPOINT_END)
/* clang-format on */

/* Encodes a record's payload: the one encoder of every record type, used
 * through CV_REC_PUT (tests) and cv_rec_append (the engine). */
void cv_rec_put(struct cv_journal_writer *w, enum cv_journal_record_type type, const void *rec);
#define CV_REC_PUT(w, rec) cv_rec_put((w), CV_REC_TYPE(rec), (rec))

/* Decodes a record's payload: the one decoder of every record type, used
 * through CV_REC_GET (tests) and by recovery, which decodes each record
 * once into a union of them all. It clears the record, reads the whole
 * payload and answers false if it does not have exactly the record's
 * fields, or one of them is out of its range, or @p type is no record
 * type; it never reads past the payload. */
bool cv_rec_get(struct cv_journal_reader *r, enum cv_journal_record_type type, void *rec);
#define CV_REC_GET(r, rec) cv_rec_get((r), CV_REC_TYPE(rec), (rec))

/* Copies the journaled fields of a decoded record (a vend's or a lane's)
 * into the vend or lane it describes. */
void cv_rec_copy(void *to, const void *from, enum cv_journal_record_type type);

/* Encodes a record and appends it to the journal (cv_journal_append, whose
 * sequence number it returns): one writer in one frame rather than one in
 * every caller's. */
struct cv_machine;
uint64_t cv_rec_append(struct cv_machine *m, enum cv_journal_record_type type, const void *rec);
#define CV_REC_APPEND(m, rec) cv_rec_append((m), CV_REC_TYPE(rec), (rec))

#endif
