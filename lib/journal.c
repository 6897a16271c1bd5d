/* SPDX-License-Identifier: MIT */
/* Framing and appending of journal records; see docs/journal-format.md.
 *
 * A record is: u32 length (whole record) | u16 type | u16 flags | u32 epoch |
 * u64 seq | payload | u32 CRC32C over everything before it. All integers are
 * little-endian, so the MCU port reads the same bytes. */
#include "machine_private.h"
#ifdef CV_HAVE_CRYPTO
#include "journal_seal.h"
#endif

void cv_journal_writer_init(struct cv_journal_writer *w)
{
	w->length = 0;
	w->overflow = false;
	w->tagged = !CV_MUTATED(CV_MUTANT_FIELDS_UNTAGGED);
}

/* Room for @p length more bytes, or the writer overflows (sticky). */
static bool cv_journal_reserve(struct cv_journal_writer *w, size_t length)
{
	if (w->overflow || length > sizeof(w->bytes) - w->length)
		w->overflow = true;
	return !w->overflow;
}

/* Room for a field of @p length bytes and, in format 3, the letter before
 * it; the letter is written, and the field's bytes start at the pointer
 * returned (NULL once the writer overflowed). */
static inline uint8_t *cv_journal_field(struct cv_journal_writer *w, size_t length)
{
	size_t tag = w->tagged ? 1 : 0;
	if (!cv_journal_reserve(w, tag + length))
		return NULL;
	uint8_t *dst = w->bytes + w->length;
	w->length += tag + length;
	if (tag)
		*dst++ = CV_JOURNAL_FIELD_TAG;
	return dst;
}

void cv_journal_put_bytes(struct cv_journal_writer *w, const void *bytes, size_t length)
{
	uint8_t *dst = cv_journal_field(w, length);
	if (dst != NULL)
		memcpy(dst, bytes, length);
}

/* A little-endian number of size bytes at dst: on a little-endian CPU the
 * value's own bytes are already in journal order, so a constant-size copy
 * (one store once inlined) replaces the byte loop. */
static inline void cv_journal_le(uint8_t *dst, uint64_t value, unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(dst, &value, size);
#else
	for (unsigned i = 0; i < size; i++)
		dst[i] = (uint8_t)(value >> (8 * i));
#endif
}

/* Every number of every record goes through here. The field is the
 * value's first size bytes in little-endian order: on a little-endian CPU
 * the value's own bytes, elsewhere those bytes put in that order first. */
void cv_journal_put_uint(struct cv_journal_writer *w, uint64_t value, unsigned size)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	uint8_t le[sizeof(value)];
	cv_journal_le(le, value, sizeof(le));
	memcpy(&value, le, sizeof(value));
#endif
	cv_journal_put_bytes(w, &value, size);
}

/* Strings are stored as u8 length + bytes, without the NUL. */
void cv_journal_put_str(struct cv_journal_writer *w, const char *s, size_t size)
{
	/* Journal strings are short: a plain loop finds the length (C11 has no
	 * strnlen), one copy stores the bytes. */
	size_t limit = size < 255 ? size : 255;
	size_t length = 0;
	while (length < limit && s[length] != '\0')
		length++;
	uint8_t *dst = cv_journal_field(w, 1 + length);
	if (dst == NULL)
		return;
	dst[0] = (uint8_t)length;
	memcpy(dst + 1, s, length);
}

/* What the operator reads in the log when the journal fails. */
static const char *cv_journal_fault_message(enum cv_status rc)
{
	switch (rc) {
	case CV_E_FULL:
		return "journal: full, sales stopped";
	case CV_E_IO:
		return "journal: I/O error, sales stopped";
	default:
		return cv_status_str(rc);
	}
}

static void cv_journal_fail(struct cv_machine *m, enum cv_status rc)
{
	if (m->journal_fault)
		return;
	m->journal_fault = true;
	m->journal_error = rc;
	cv_machine_log(m, CV_LOG_ERROR, cv_journal_fault_message(rc));
	/* No record of the alert itself: the journal is what failed. */
	cv_machine_raise_alert(m, CV_ALERT_JOURNAL_FAULT, CV_ALERT_NO_LANE, true);
}

/* A failed sync means nothing more will become durable: the machine stops
 * selling, and obligations (voids, captures) go out without waiting. */
static void cv_journal_sync_failed(struct cv_machine *m, enum cv_status rc)
{
	m->sync_failed = true;
	cv_journal_fail(m, rc);
}

/* The payload as stored: plain, or nonce | ciphertext | tag with the header
 * (final length and flags included) as associated data. */
static void cv_journal_put_payload(struct cv_machine *m, uint8_t *record, const struct cv_journal_writer *w)
{
#ifdef CV_HAVE_CRYPTO
	/* The frame's length, written before sealing, counts this much. */
	_Static_assert(CV_JOURNAL_SEAL_OVERHEAD == CV_JOURNAL_SEAL_OVERHEAD_MAX, "a sealed payload's overhead");
	if (cv_machine_sealed(m)) {
		uint8_t nonce[CV_JOURNAL_SEAL_NONCE];
		m->config.platform->random_bytes(m->config.platform_ctx, nonce, sizeof(nonce));
		cv_journal_seal(m->journal_key, nonce, record, CV_JOURNAL_HEADER_SIZE, w->bytes, w->length,
				record + CV_JOURNAL_HEADER_SIZE);
		return;
	}
#else
	(void)m; /* Init refuses a key without the crypto module. */
#endif
	memcpy(record + CV_JOURNAL_HEADER_SIZE, w->bytes, w->length);
}

uint64_t cv_journal_append(struct cv_machine *m, enum cv_journal_record_type type, const struct cv_journal_writer *w)
{
	/* A payload that does not fit is a bug in an encoder, not bad input. */
	CV_ASSERT(!w->overflow);
	if (m->journal_fault)
		return 0;
	uint8_t record[CV_JOURNAL_RECORD_MAX];
	uint64_t seq = m->last_seq + 1;
	size_t body = w->length + (cv_machine_sealed(m) ? CV_JOURNAL_SEAL_OVERHEAD_MAX : 0);
	uint32_t length = (uint32_t)(CV_JOURNAL_HEADER_SIZE + body + CV_JOURNAL_TRAILER_SIZE);

	/* The frame has a fixed layout of its own, written in place. */
	uint16_t flags = (uint16_t)((w->tagged ? CV_JOURNAL_FLAG_TAGGED : 0) |
				    (cv_machine_sealed(m) ? CV_JOURNAL_FLAG_SEALED : 0));
	cv_journal_le(record, length, 4);
	cv_journal_le(record + 4, (uint16_t)type, 2);
	cv_journal_le(record + 6, flags, 2);
	cv_journal_le(record + 8, m->epoch, 4);
	cv_journal_le(record + 12, seq, 8);
	cv_journal_put_payload(m, record, w);
	uint32_t crc = cv_crc32c(0, record, CV_JOURNAL_HEADER_SIZE + body);
	cv_journal_le(record + CV_JOURNAL_HEADER_SIZE + body, crc, 4);

	enum cv_status rc = m->config.storage->append(m->config.storage_ctx, seq, record, length);
	if (rc != CV_OK) {
		cv_journal_fail(m, rc);
		return 0;
	}
	if (m->last_seq == m->sync_requested_seq)
		m->unsynced_since_ms = m->now_ms;
	m->last_seq = seq;
	m->journal_end += length;
	m->stats.journal_records = seq; /* Every record the journal ever had. */
	return seq;
}

/* Whether a side effect is held up until the journal syncs. */
static bool cv_journal_needed(const struct cv_machine *m)
{
	if (m->journal_fault)
		return true; /* Sync what could be written, so obligations can go. */
	for (unsigned i = 0; i < CV_VENDS_MAX; i++)
		if (m->vends[i].in_use && cv_vend_awaits_durability(m, &m->vends[i]))
			return true;
	return false;
}

/* One sync covers every record appended since the last one (group commit),
 * and a sync happens only when it must: when a side effect waits for its
 * intent, or when records nothing waits for (a final state, a refill) are
 * flush_ms old. That is the fewest fdatasync calls the write-ahead rule
 * allows: one per authorize, motor start, capture and void. Records appended
 * before a fault are still synced: they are valid. A sync whose completion
 * never came (lost, say, to a full event queue) is asked again after
 * sync_ms; syncing is idempotent. */
static void cv_journal_sync(struct cv_machine *m)
{
	enum cv_status rc = m->config.storage->sync(m->config.storage_ctx, m->last_seq);
	/* A backend that can't take the request now (its completion could not
	 * be queued) is asked again in the next round; nothing waits on it. */
	if (rc == CV_E_BUSY || rc == CV_E_FULL)
		return;
	if (rc != CV_OK && rc != CV_PENDING) {
		cv_journal_sync_failed(m, rc);
		return;
	}
	m->sync_requested_seq = m->last_seq;
	m->sync_deadline_ms = cv_deadline(m->now_ms, m->config.timeouts.sync_ms);
}

void cv_journal_flush(struct cv_machine *m)
{
	if (m->sync_failed)
		return;
	/* A sync asked for and not confirmed in time is asked again. */
	if (m->durable_seq < m->sync_requested_seq && m->now_ms >= m->sync_deadline_ms) {
		cv_journal_sync(m);
		return;
	}
	if (m->last_seq <= m->sync_requested_seq)
		return;
	if (m->now_ms >= cv_deadline(m->unsynced_since_ms, m->config.timeouts.flush_ms) || cv_journal_needed(m))
		cv_journal_sync(m);
}

/* Start and stop are durability points of their own: a machine that has
 * started has its start on disk, one that stopped left nothing behind. */
void cv_journal_flush_now(struct cv_machine *m)
{
	if (!m->sync_failed && m->last_seq > m->sync_requested_seq)
		cv_journal_sync(m);
}

void cv_journal_on_synced(struct cv_machine *m, const struct cv_storage_result *result)
{
	if (result->status != CV_OK) {
		cv_journal_sync_failed(m, result->status);
		return;
	}
	if (result->seq > m->durable_seq && result->seq <= m->last_seq)
		m->durable_seq = result->seq;
}

/* Under a journal fault, the prefix that could still be written is synced
 * before anything goes out, unless syncing itself has failed. */
bool cv_journal_settled(const struct cv_machine *m)
{
	return m->sync_failed || m->durable_seq >= m->last_seq;
}

bool cv_journal_is_durable(const struct cv_machine *m, uint64_t seq)
{
	return m->durable_seq >= seq;
}
