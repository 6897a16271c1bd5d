/* SPDX-License-Identifier: MIT */
/* Reading a journal back; see journal_read.h and docs/journal-format.md. */
#include "journal_read.h"

#include "machine_private.h"
#ifdef CV_HAVE_CRYPTO
#include "journal_seal.h"
#endif

static uint64_t cv_le_get(const uint8_t *p, unsigned size)
{
	uint64_t value = 0;
	for (unsigned i = size; i-- > 0;)
		value = (value << 8) | p[i];
	return value;
}

/* Reads up to size bytes at offset, looping over short reads; the count
 * is below size only at the end of the journal. */
static enum cv_status cv_journal_read_at(const struct cv_storage_ops *ops, void *ctx, uint64_t offset, uint8_t *buf,
					 size_t size, size_t *got)
{
	*got = 0;
	while (*got < size) {
		size_t n = 0;
		enum cv_status rc = ops->read(ctx, offset + *got, buf + *got, size - *got, &n);
		if (rc != CV_OK)
			return rc;
		if (n == 0)
			break;
		*got += n;
	}
	return CV_OK;
}

/* Whether a record is sound: sane length, all of it present, CRC right. */
static bool cv_journal_record_sound(const uint8_t *buf, size_t got, uint32_t length)
{
	if (length < CV_JOURNAL_RECORD_MIN || length > CV_JOURNAL_RECORD_MAX || got < length)
		return false;
	uint32_t crc = (uint32_t)cv_le_get(buf + length - CV_JOURNAL_TRAILER_SIZE, 4);
	return cv_crc32c(0, buf, length - CV_JOURNAL_TRAILER_SIZE) == crc;
}

/* Bytes from offset to the end of the journal, and whether all of them
 * from `zeros_from` on are zero (a file system's zero fill); UINT64_MAX:
 * only the length, read to the end. */
static enum cv_status cv_journal_tail_shape(const struct cv_storage_ops *ops, void *ctx, uint64_t offset,
					    uint64_t zeros_from, uint64_t *left, bool *zeros)
{
	uint8_t chunk[256];
	*left = 0;
	*zeros = true;
	for (;;) {
		size_t got = 0;
		enum cv_status rc = cv_journal_read_at(ops, ctx, offset + *left, chunk, sizeof(chunk), &got);
		if (rc != CV_OK)
			return rc;
		for (size_t i = 0; i < got && *zeros; i++)
			*zeros = *left + i < zeros_from || chunk[i] == 0;
		*left += got;
		/* Past one record of non-zero bytes the shape is known. A caller
		 * that wants the length to the end (zeros_from: none) never sees
		 * a non-zero byte, so it reads on. */
		if (got < sizeof(chunk) || (!*zeros && *left > CV_JOURNAL_RECORD_MAX))
			return CV_OK;
	}
}

/* What the bytes of a bad record at offset say of it: *whole is the length
 * with which its CRC matches (its length field alone was damaged: it was
 * written whole), or 0; *unwritten whether it was never wholly written: its
 * length field is zero (a hole), or no length makes its CRC match and the
 * byte where it claims to end (or where the shortest record would, if that
 * field is garbage) reads as zero fill. A length field zeroed in part only
 * (a page boundary through it) can't be told from a damaged one: it reads
 * as corruption. A power cut can leave any subset of the unsynced writes on disk, so
 * an unsynced record may be a hole, or a prefix of itself and then zeros,
 * with later unsynced records whole behind it. A record that reached the
 * disk and rotted in its body ends in its CRC, non-zero but for one chance
 * in 256. */
static enum cv_status cv_journal_bad_shape(const struct cv_storage_ops *ops, void *ctx, uint64_t offset,
					   uint32_t claimed, uint32_t *whole, bool *unwritten)
{
	uint8_t buf[CV_JOURNAL_RECORD_MAX];
	size_t got = 0;
	*whole = 0;
	*unwritten = false;
	enum cv_status rc = cv_journal_read_at(ops, ctx, offset, buf, sizeof(buf), &got);
	if (rc != CV_OK)
		return rc;
	if (claimed == 0) {
		/* Its length field is zero fill: a hole (a single flipped bit
		 * never clears a whole field). */
		*unwritten = true;
		return CV_OK;
	}
	uint8_t field[4];
	memcpy(field, buf, sizeof(field));
	for (uint32_t length = CV_JOURNAL_RECORD_MIN; length <= got && *whole == 0; length++) {
		for (unsigned i = 0; i < 4; i++)
			buf[i] = (uint8_t)(length >> (8 * i));
		if (cv_journal_record_sound(buf, got, length))
			*whole = length;
	}
	memcpy(buf, field, sizeof(field));
	bool sane = claimed >= CV_JOURNAL_RECORD_MIN && claimed <= CV_JOURNAL_RECORD_MAX;
	uint64_t end = sane ? claimed : CV_JOURNAL_RECORD_MIN;
	*unwritten = *whole == 0 && end <= got && buf[end - 1] == 0;
	return CV_OK;
}

/* A bad record at offset is a torn tail if nothing that could have been
 * durable lies behind it: the record runs to the end of the journal, or
 * only zero fill follows where it claims to end (a record whose length
 * field itself is garbage: the rest fits one record, or is zero fill beyond
 * that), or it was never wholly written. Every synced record comes before
 * every unsynced one, and a sync makes all that came before it durable, so
 * whatever follows a record that never reached the disk was never synced
 * either: all of it is the torn tail. A record written whole (its CRC
 * matches with another length) with bytes behind it, and anything else, is
 * corruption. */
static enum cv_status cv_journal_classify_bad(const struct cv_storage_ops *ops, void *ctx, uint64_t offset,
					      uint32_t claimed, struct cv_journal_scan *out)
{
	bool sane = claimed >= CV_JOURNAL_RECORD_MIN && claimed <= CV_JOURNAL_RECORD_MAX;
	uint64_t zeros_from = sane ? claimed : CV_JOURNAL_RECORD_MAX;
	uint64_t left = 0;
	bool zeros = false;
	uint32_t whole = 0;
	bool unwritten = false;
	enum cv_status rc = cv_journal_bad_shape(ops, ctx, offset, claimed, &whole, &unwritten);
	if (rc == CV_OK)
		rc = cv_journal_tail_shape(ops, ctx, offset, unwritten || whole > 0 ? UINT64_MAX : zeros_from, &left,
					   &zeros);
	if (rc != CV_OK)
		return rc;
	/* Only a record neither whole nor unwritten has its zero fill looked
	 * at, and a non-zero byte past zeros_from is past its end. */
	if ((whole > 0 && left > whole) || !zeros) {
		out->bad_offset = offset;
		return CV_E_CORRUPT;
	}
	out->torn_bytes = left;
	return CV_OK;
}

/* A record's payload as the callback sees it: opened if sealed. Sealing must
 * match the key: all records sealed with it, or none without one. */
static enum cv_status cv_journal_open_payload(const uint8_t *key, const uint8_t *buf, struct cv_journal_record *r,
					      uint8_t *plain)
{
	uint16_t flags = (uint16_t)cv_le_get(buf + 6, 2);
	if ((flags & ~(CV_JOURNAL_FLAG_SEALED | CV_JOURNAL_FLAG_TAGGED)) != 0)
		return CV_E_CORRUPT;
	r->tagged = (flags & CV_JOURNAL_FLAG_TAGGED) != 0;
	if ((flags & CV_JOURNAL_FLAG_SEALED) == 0)
		return key == NULL ? CV_OK : CV_E_CORRUPT;
	if (key == NULL)
		return CV_E_CORRUPT;
#ifdef CV_HAVE_CRYPTO
	size_t length = 0;
	enum cv_status rc =
		cv_journal_unseal(key, buf, CV_JOURNAL_HEADER_SIZE, r->payload, r->payload_length, plain, &length);
	if (rc != CV_OK)
		return rc;
	r->payload = plain;
	r->payload_length = length;
	return CV_OK;
#else
	(void)r;
	(void)plain;
	return CV_E_CORRUPT; /* No key can exist in a build without sealing. */
#endif
}

enum cv_status cv_journal_scan(const struct cv_storage_ops *ops, void *ctx, uint64_t start, uint64_t first_seq,
			       const uint8_t *key, cv_journal_record_fn fn, void *arg, struct cv_journal_scan *out)
{
	memset(out, 0, sizeof(*out));
	if (!CV_OPS_HAS(struct cv_storage_ops, ops, read))
		return CV_E_NOTSUP;
	if (first_seq == 0)
		return CV_E_INVAL;
	uint8_t buf[CV_JOURNAL_RECORD_MAX];
	uint8_t plain[CV_JOURNAL_RECORD_MAX];
	uint64_t offset = start;
	out->last_seq = first_seq - 1;
	out->valid_length = start;
	for (;;) {
		size_t got = 0;
		enum cv_status rc = cv_journal_read_at(ops, ctx, offset, buf, sizeof(buf), &got);
		if (rc != CV_OK)
			return rc;
		if (got == 0)
			return CV_OK;
		uint32_t length = got >= 4 ? (uint32_t)cv_le_get(buf, 4) : 0;
		if (!cv_journal_record_sound(buf, got, length))
			return cv_journal_classify_bad(ops, ctx, offset, length, out);
		/* Each field set (tagged by cv_journal_open_payload), none cleared first. */
		struct cv_journal_record record;
		record.offset = offset;
		record.type = (uint16_t)cv_le_get(buf + 4, 2);
		record.epoch = (uint32_t)cv_le_get(buf + 8, 4);
		record.seq = cv_le_get(buf + 12, 8);
		record.payload = buf + CV_JOURNAL_HEADER_SIZE;
		record.payload_length = length - CV_JOURNAL_RECORD_MIN;
		/* A sound record out of order was not torn: it was moved, replayed
		 * or lost its predecessor. That is corruption, never skipped. */
		if (record.seq != out->last_seq + 1 || cv_journal_open_payload(key, buf, &record, plain) != CV_OK) {
			out->bad_offset = offset;
			return CV_E_CORRUPT;
		}
		out->records++;
		out->last_seq = record.seq;
		offset += length;
		out->valid_length = offset;
		if (fn != NULL && !fn(arg, &record))
			return CV_OK;
	}
}

void cv_journal_reader_init(struct cv_journal_reader *r, const struct cv_journal_record *record)
{
	r->bytes = record->payload;
	r->length = record->payload_length;
	r->pos = 0;
	r->bad = false;
	r->tagged = record->tagged;
}

static void cv_journal_take(struct cv_journal_reader *r, void *out, size_t length)
{
	if (r->bad || length > r->length - r->pos) {
		r->bad = true;
		memset(out, 0, length);
		return;
	}
	memcpy(out, r->bytes + r->pos, length);
	r->pos += length;
}

/* Format 3: the letter every field follows, checked. */
static void cv_journal_take_tag(struct cv_journal_reader *r)
{
	uint8_t tag = CV_JOURNAL_FIELD_TAG;
	if (r->tagged)
		cv_journal_take(r, &tag, 1);
	if (tag != CV_JOURNAL_FIELD_TAG)
		r->bad = true;
}

void cv_journal_get_bytes(struct cv_journal_reader *r, void *out, size_t length)
{
	cv_journal_take_tag(r);
	cv_journal_take(r, out, length);
}

uint64_t cv_journal_get_uint(struct cv_journal_reader *r, unsigned size)
{
	uint8_t b[8];
	cv_journal_get_bytes(r, b, size);
	return cv_le_get(b, size);
}

void cv_journal_get_str(struct cv_journal_reader *r, char *out, size_t size)
{
	size_t length = (size_t)cv_journal_get_uint(r, 1);
	if (length >= size) {
		r->bad = true;
		length = 0;
	}
	cv_journal_take(r, out, length);
	out[r->bad ? 0 : length] = '\0';
}

bool cv_journal_reader_done(const struct cv_journal_reader *r)
{
	return !r->bad && r->pos == r->length;
}

uint32_t cv_journal_get_trailing_u32(struct cv_journal_reader *r)
{
	if (r->bad || r->pos == r->length)
		return 0;
	uint32_t value = (uint32_t)cv_journal_get_uint(r, 4);
	if (value == 0)
		r->bad = true;
	return value;
}
