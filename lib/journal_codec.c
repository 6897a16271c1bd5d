/* SPDX-License-Identifier: MIT */
/* The encoder and the decoder of the journal's records (journal_codec.h).
 * Every record type is a table of its fields, which cv_rec_put() and
 * cv_rec_get() both walk; the round-trip tests
 * (tests/unit/test_journal_codec.c) hold them to each other and to the
 * crash test's own reader.
 *
 * Table-driven: the MCU core has a 16 KiB flash budget, and a record's
 * fields as one hand-written call per field cost about ten bytes of code
 * each, twice (encoder and decoder). A record is instead a table of field
 * descriptors (three bytes a field), which one put loop and one get loop
 * walk. The descriptors are built with offsetof and sizeof, so they follow
 * the structs. The two optional fields are kinds of their own (a trailing
 * number written only when not 0, a field of format 3 only); the range
 * checks of each type stay code after the loop (cv_rec_in_range). */
#include "machine_private.h"

/* How a field is laid out in the payload. */
enum cv_field_kind {
	CV_FIELD_U8,           /* u8; also an enum (stored as u8) and a bool's encoding. */
	CV_FIELD_BOOL,         /* u8, decoded as != 0. */
	CV_FIELD_U16,          /* Little-endian u16. */
	CV_FIELD_U32,          /* Little-endian u32. */
	CV_FIELD_U64,          /* Little-endian u64; also an int64_t (two's complement). */
	CV_FIELD_TRAILING_U32, /* Last: u32 written only when not 0, read by cv_journal_get_trailing_u32. */
	CV_FIELD_TAGGED_U64,   /* Format 3 only (tagged payloads): u64, else absent and read as 0. */
	CV_FIELD_STR,          /* cv_journal_put_str / cv_journal_get_str with the field's size. */
	CV_FIELD_BYTES,        /* The field's bytes as they are (cv_journal_put_bytes). */
};

/* One field of a record: where it sits in the record's struct, its layout
 * in the payload, and its size in the struct (an integer's width there,
 * which for an enum may differ from its u8 in the payload; a string's or a
 * byte array's whole size). Offsets and sizes fit a byte: every record
 * struct is asserted below to be smaller than 256 bytes, or its fields to
 * begin within its first 256. */
struct cv_field {
	uint8_t offset;
	uint8_t kind; /* enum cv_field_kind */
	uint8_t size;
};

/* clang-format off */
#define CV_FIELD(type, member, kind) {offsetof(type, member), (kind), sizeof(((type *)0)->member)}
/* clang-format on */

_Static_assert(sizeof(struct cv_rec_header) <= UINT8_MAX, "cv_field offsets and sizes are bytes");
_Static_assert(sizeof(struct cv_rec_machine_start) <= UINT8_MAX, "cv_field offsets and sizes are bytes");
/* The vend (a VEND_BEGIN or VEND_STATE record) is larger, but its journaled
 * fields begin within its first 256 bytes: its scalars come first, then
 * these. */
_Static_assert(offsetof(struct cv_vend, uuid) <= UINT8_MAX && offsetof(struct cv_vend, card) <= UINT8_MAX &&
		       offsetof(struct cv_vend, processor_ref) <= UINT8_MAX,
	       "cv_field offsets are bytes");
_Static_assert(sizeof(struct cv_lane) <= UINT8_MAX, "cv_field offsets and sizes are bytes");
_Static_assert(sizeof(struct cv_rec_alert) <= UINT8_MAX, "cv_field offsets and sizes are bytes");
_Static_assert(sizeof(struct cv_rec_checkpoint_begin) <= UINT8_MAX, "cv_field offsets and sizes are bytes");
/* An enum field (a u8 in the payload) is loaded and stored by its width. */
_Static_assert(sizeof(enum cv_card_entry) == 1 || sizeof(enum cv_card_entry) == 4, "enum width");
_Static_assert(sizeof(enum cv_verify_mode) == 1 || sizeof(enum cv_verify_mode) == 4, "enum width");
_Static_assert(sizeof(bool) == 1, "a bool field is stored as one byte");

/* Stores @p value into an integer field of @p size bytes in the struct. On
 * a little-endian CPU the value's first bytes are the field's: one copy of
 * the field's size replaces a store for each width. */
static void cv_field_store(uint8_t *p, unsigned size, uint64_t value)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &value, size);
#else
	switch (size) {
	case 1:
		*p = (uint8_t)value;
		break;
	case 2: {
		uint16_t v = (uint16_t)value;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case 4: {
		uint32_t v = (uint32_t)value;
		memcpy(p, &v, sizeof(v));
		break;
	}
	default:
		memcpy(p, &value, sizeof(value));
		break;
	}
#endif
}

/* The payload width of each integer kind. */
static const uint8_t cv_field_width[CV_FIELD_STR] = {
	[CV_FIELD_U8] = 1,  [CV_FIELD_BOOL] = 1,         [CV_FIELD_U16] = 2,        [CV_FIELD_U32] = 4,
	[CV_FIELD_U64] = 8, [CV_FIELD_TRAILING_U32] = 4, [CV_FIELD_TAGGED_U64] = 8,
};

/* Appends the @p count fields of @p rec, in table order. */
static void cv_fields_put(struct cv_journal_writer *w, const void *rec, const struct cv_field *fields, size_t count)
{
	for (const struct cv_field *f = fields; f < fields + count; f++) {
		const uint8_t *p = (const uint8_t *)rec + f->offset;
		if (f->kind == CV_FIELD_STR) {
			cv_journal_put_str(w, (const char *)p, f->size);
			continue;
		}
		if (f->kind == CV_FIELD_BYTES) {
			cv_journal_put_bytes(w, p, f->size);
			continue;
		}
		uint64_t value = cv_uint_load(p, f->size);
		if ((f->kind == CV_FIELD_TRAILING_U32 && value == 0) || (f->kind == CV_FIELD_TAGGED_U64 && !w->tagged))
			continue; /* An optional field left out. */
		cv_journal_put_uint(w, value, cv_field_width[f->kind]);
	}
}

/* Reads the @p count fields of @p rec, in table order; the caller checks
 * the reader (cv_journal_reader_done) once after. */
static void cv_fields_get(struct cv_journal_reader *r, void *rec, const struct cv_field *fields, size_t count)
{
	for (const struct cv_field *f = fields; f < fields + count; f++) {
		uint8_t *p = (uint8_t *)rec + f->offset;
		if (f->kind == CV_FIELD_STR) {
			cv_journal_get_str(r, (char *)p, f->size);
			continue;
		}
		if (f->kind == CV_FIELD_BYTES) {
			cv_journal_get_bytes(r, p, f->size);
			continue;
		}
		uint64_t value = 0;
		if (f->kind == CV_FIELD_TRAILING_U32)
			value = cv_journal_get_trailing_u32(r);
		else if (f->kind != CV_FIELD_TAGGED_U64 || r->tagged)
			value = cv_journal_get_uint(r, cv_field_width[f->kind]);
		if (f->kind == CV_FIELD_BOOL)
			value = value != 0;
		cv_field_store(p, f->size, value);
	}
}

static const struct cv_field cv_header_fields[] = {
	CV_FIELD(struct cv_rec_header, magic, CV_FIELD_BYTES),
	CV_FIELD(struct cv_rec_header, version, CV_FIELD_U16),
};

static const struct cv_field cv_machine_start_fields[] = {
	CV_FIELD(struct cv_rec_machine_start, machine_id, CV_FIELD_STR),
	CV_FIELD(struct cv_rec_machine_start, currency, CV_FIELD_STR),
	CV_FIELD(struct cv_rec_machine_start, lane_count, CV_FIELD_U16),
	CV_FIELD(struct cv_rec_machine_start, mark_generation, CV_FIELD_TRAILING_U32),
};

static const struct cv_field cv_vend_begin_fields[] = {
	CV_FIELD(struct cv_vend, uuid, CV_FIELD_BYTES),   CV_FIELD(struct cv_vend, number, CV_FIELD_U32),
	CV_FIELD(struct cv_vend, lane, CV_FIELD_U16),     CV_FIELD(struct cv_vend, price_minor, CV_FIELD_U64),
	CV_FIELD(struct cv_vend, currency, CV_FIELD_STR),
};

/* held_minor: format 3 (tagged) only. */
static const struct cv_field cv_vend_state_fields[] = {
	CV_FIELD(struct cv_vend, uuid, CV_FIELD_BYTES),
	CV_FIELD(struct cv_vend, number, CV_FIELD_U32),
	CV_FIELD(struct cv_vend, state, CV_FIELD_U8),
	CV_FIELD(struct cv_vend, reason, CV_FIELD_U8),
	CV_FIELD(struct cv_vend, lane, CV_FIELD_U16),
	CV_FIELD(struct cv_vend, price_minor, CV_FIELD_U64),
	CV_FIELD(struct cv_vend, auth_attempt, CV_FIELD_U8),
	CV_FIELD(struct cv_vend, respins, CV_FIELD_U8),
	CV_FIELD(struct cv_vend, drop_verified, CV_FIELD_BOOL),
	CV_FIELD(struct cv_vend, processor_ref, CV_FIELD_STR),
	CV_FIELD(struct cv_vend, card.brand, CV_FIELD_STR),
	CV_FIELD(struct cv_vend, card.last4, CV_FIELD_STR),
	CV_FIELD(struct cv_vend, card.auth_code, CV_FIELD_STR),
	CV_FIELD(struct cv_vend, card.aid, CV_FIELD_STR),
	CV_FIELD(struct cv_vend, card.app_label, CV_FIELD_STR),
	CV_FIELD(struct cv_vend, card.entry, CV_FIELD_U8),
	CV_FIELD(struct cv_vend, journal_flags, CV_FIELD_U8),
	CV_FIELD(struct cv_vend, capture_before_s, CV_FIELD_U64),
	CV_FIELD(struct cv_vend, held_minor, CV_FIELD_TAGGED_U64),
};

static const struct cv_field cv_lane_state_fields[] = {
	CV_FIELD(struct cv_lane, index, CV_FIELD_U16),
	CV_FIELD(struct cv_lane, config.count, CV_FIELD_U16),
	CV_FIELD(struct cv_lane, config.price_minor, CV_FIELD_U64),
	CV_FIELD(struct cv_lane, enabled, CV_FIELD_BOOL),
	CV_FIELD(struct cv_lane, quarantined, CV_FIELD_BOOL),
	CV_FIELD(struct cv_lane, consecutive_failures, CV_FIELD_U8),
};

/* Only the planogram fields of the lane configuration. */
static const struct cv_field cv_lane_config_fields[] = {
	CV_FIELD(struct cv_lane, index, CV_FIELD_U16),
	CV_FIELD(struct cv_lane, config.label, CV_FIELD_STR),
	CV_FIELD(struct cv_lane, config.product_id, CV_FIELD_STR),
	CV_FIELD(struct cv_lane, config.product_name, CV_FIELD_STR),
	CV_FIELD(struct cv_lane, config.price_minor, CV_FIELD_U64),
	CV_FIELD(struct cv_lane, config.capacity, CV_FIELD_U16),
	CV_FIELD(struct cv_lane, config.count, CV_FIELD_U16),
	CV_FIELD(struct cv_lane, config.low_stock_threshold, CV_FIELD_U16),
	CV_FIELD(struct cv_lane, config.verify_mode, CV_FIELD_U8),
	CV_FIELD(struct cv_lane, config.vend_quarter_turns, CV_FIELD_U8),
	CV_FIELD(struct cv_lane, config.respin_count_max, CV_FIELD_U8),
	CV_FIELD(struct cv_lane, config.respin_quarter_turns, CV_FIELD_U8),
	CV_FIELD(struct cv_lane, config.quarantine_after_failures, CV_FIELD_U8),
};

/* The record's one field. */
static const struct cv_field cv_service_fields[] = {{0, CV_FIELD_BOOL, sizeof(bool)}};

static const struct cv_field cv_alert_fields[] = {
	CV_FIELD(struct cv_rec_alert, kind, CV_FIELD_U8),
	CV_FIELD(struct cv_rec_alert, lane, CV_FIELD_U16),
	CV_FIELD(struct cv_rec_alert, active, CV_FIELD_BOOL),
};

/* The stats but journal_records (the record's sequence number). */
static const struct cv_field cv_checkpoint_begin_fields[] = {
	CV_FIELD(struct cv_rec_checkpoint_begin, next_vend_number, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.vends_started, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.vends_captured, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.vends_voided, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.vends_abandoned, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.vends_capture_failed, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.vends_void_failed, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.declines, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.unknown_outcomes, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.respins, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.drops_verified, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.captured_minor, CV_FIELD_U64),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.dispensed_value_minor, CV_FIELD_U64),
	CV_FIELD(struct cv_rec_checkpoint_begin, stats.offline_approvals, CV_FIELD_U32),
	CV_FIELD(struct cv_rec_checkpoint_begin, mark_generation, CV_FIELD_TRAILING_U32),
};

/* The record's one field. */
static const struct cv_field cv_checkpoint_end_fields[] = {{0, CV_FIELD_U64, sizeof(uint64_t)}};

/* The field tables by record type, their lengths and the sizes of the
 * records' structs: three arrays, since a pointer and two counts would take
 * 8 bytes a row. */
/* clang-format off */
#define CV_REC_FIELDS(type, fields, rec) [(type) - 1] = (fields)
#define CV_REC_COUNT(type, fields, rec) [(type) - 1] = sizeof(fields) / sizeof((fields)[0])
#define CV_REC_SIZE(type, fields, rec) [(type) - 1] = sizeof(rec)
#define CV_REC_TABLES(X)                                                                            \
	X(CV_JOURNAL_MACHINE_START, cv_machine_start_fields, struct cv_rec_machine_start),          \
	X(CV_JOURNAL_VEND_BEGIN, cv_vend_begin_fields, struct cv_vend),                             \
	X(CV_JOURNAL_VEND_STATE, cv_vend_state_fields, struct cv_vend),                             \
	X(CV_JOURNAL_LANE_STATE, cv_lane_state_fields, struct cv_lane),                             \
	X(CV_JOURNAL_LANE_CONFIG, cv_lane_config_fields, struct cv_lane),                           \
	X(CV_JOURNAL_SERVICE, cv_service_fields, bool),                                             \
	X(CV_JOURNAL_ALERT, cv_alert_fields, struct cv_rec_alert),                                  \
	X(CV_JOURNAL_FILE_HEADER, cv_header_fields, struct cv_rec_header),                          \
	X(CV_JOURNAL_CHECKPOINT_BEGIN, cv_checkpoint_begin_fields, struct cv_rec_checkpoint_begin), \
	X(CV_JOURNAL_CHECKPOINT_END, cv_checkpoint_end_fields, uint64_t)
/* clang-format on */
static const struct cv_field *const cv_rec_fields[] = {CV_REC_TABLES(CV_REC_FIELDS)};
static const uint8_t cv_rec_field_count[] = {CV_REC_TABLES(CV_REC_COUNT)};
static const uint16_t cv_rec_size[] = {CV_REC_TABLES(CV_REC_SIZE)};
#define CV_REC_TYPES (sizeof(cv_rec_size) / sizeof(cv_rec_size[0]))

void cv_rec_put(struct cv_journal_writer *w, enum cv_journal_record_type type, const void *rec)
{
	cv_fields_put(w, rec, cv_rec_fields[type - 1], cv_rec_field_count[type - 1]);
}

/* The checks of a decoded record's fields beyond their layout. */
static bool cv_rec_in_range(enum cv_journal_record_type type, const void *rec)
{
	switch (type) {
	case CV_JOURNAL_FILE_HEADER: {
		const struct cv_rec_header *h = rec;
		return memcmp(h->magic, CV_JOURNAL_MAGIC, sizeof(h->magic)) == 0;
	}
	case CV_JOURNAL_VEND_BEGIN:
		return ((const struct cv_vend *)rec)->lane < CV_LANES_MAX;
	case CV_JOURNAL_VEND_STATE: {
		/* Enums hold the u8 read, whatever their width. */
		const struct cv_vend *s = rec;
		return s->held_minor >= 0 && (unsigned)s->state <= CV_VEND_STATE_VOID_FAILED &&
		       (unsigned)s->reason <= CV_VEND_REASON_OFFLINE_POLICY &&
		       (unsigned)s->card.entry <= CV_CARD_ENTRY_MOBILE_WALLET && s->lane < CV_LANES_MAX;
	}
	case CV_JOURNAL_LANE_STATE: {
		const struct cv_lane *l = rec;
		return l->config.price_minor >= 0 && l->config.price_minor <= CV_PRICE_MAX;
	}
	case CV_JOURNAL_LANE_CONFIG: {
		/* The fields not journaled are the ones cv_rec_get() cleared. */
		const struct cv_lane *l = rec;
		return cv_lane_config_validate(&l->config) == CV_OK;
	}
	default:
		return true;
	}
}

bool cv_rec_get(struct cv_journal_reader *r, enum cv_journal_record_type type, void *rec)
{
	unsigned i = (unsigned)type - 1u;
	if (i >= CV_REC_TYPES)
		return false;
	memset(rec, 0, cv_rec_size[i]);
	cv_fields_get(r, rec, cv_rec_fields[i], cv_rec_field_count[i]);
	return cv_journal_reader_done(r) && cv_rec_in_range(type, rec);
}

uint64_t cv_rec_append(struct cv_machine *m, enum cv_journal_record_type type, const void *rec)
{
	struct cv_journal_writer w;
	cv_journal_writer_init(&w);
	cv_rec_put(&w, type, rec);
	return cv_journal_append(m, type, &w);
}

void cv_rec_copy(void *to, const void *from, enum cv_journal_record_type type)
{
	const struct cv_field *f = cv_rec_fields[type - 1];
	for (const struct cv_field *end = f + cv_rec_field_count[type - 1]; f < end; f++)
		memcpy((uint8_t *)to + f->offset, (const uint8_t *)from + f->offset, f->size);
}
