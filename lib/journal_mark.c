/* SPDX-License-Identifier: MIT */
/* Marks of a sealed journal; see journal_mark.h and docs/journal-format.md.
 *
 * Tag layout (62 bytes, little-endian), opaque to the storage:
 *   0  u8  tag version (1)
 *   1  u8  kind: 1 = a checkpoint, 2 = the journal's start
 *   2  u64 reach: every record up to this sequence number was durable
 *  10  u64 spare offset \ the checkpoint before (seq 0: none;
 *  18  u64 spare seq    / offset 0, seq 1: the journal's start)
 *  26  u32 generation: one more at every mark written
 *  30  32-byte BLAKE2b MAC over "CVJM" | offset | seq | bytes 0..29, keyed
 *      with a subkey of the journal key (crypto_kdf, id 1, "cvjmark1"), so
 *      a tag is bound to the pair it was stored with. */
#include <sodium.h>

#include "machine_private.h"

#define CV_MARK_VERSION 1u
#define CV_MARK_KIND_CHECKPOINT 1u
#define CV_MARK_KIND_START 2u
#define CV_MARK_BODY 30u
#define CV_MARK_MAC 32u
#define CV_MARK_SIZE (CV_MARK_BODY + CV_MARK_MAC)
#define CV_MARK_SUBKEY_ID 1u

static void cv_mark_put_u64(uint8_t *p, uint64_t value)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(value >> (8u * i));
}

static uint64_t cv_mark_get_u64(const uint8_t *p)
{
	uint64_t value = 0;
	for (unsigned i = 8; i-- > 0;)
		value = value << 8 | p[i];
	return value;
}

static void cv_mark_mac(const struct cv_machine *m, const struct cv_journal_mark *mark,
			const uint8_t body[CV_MARK_BODY], uint8_t mac[CV_MARK_MAC])
{
	static const char context[crypto_kdf_CONTEXTBYTES] = {'c', 'v', 'j', 'm', 'a', 'r', 'k', '1'};
	uint8_t subkey[crypto_generichash_KEYBYTES];
	uint8_t message[4 + 8 + 8 + CV_MARK_BODY];
	crypto_kdf_derive_from_key(subkey, sizeof(subkey), CV_MARK_SUBKEY_ID, context, m->journal_key);
	memcpy(message, "CVJM", 4);
	cv_mark_put_u64(message + 4, mark->offset);
	cv_mark_put_u64(message + 12, mark->seq);
	memcpy(message + 20, body, CV_MARK_BODY);
	crypto_generichash(mac, CV_MARK_MAC, message, sizeof(message), subkey, sizeof(subkey));
	sodium_memzero(subkey, sizeof(subkey));
}

static void cv_mark_encode(const struct cv_machine *m, const struct cv_journal_mark *mark, uint8_t tag[CV_MARK_SIZE])
{
	tag[0] = CV_MARK_VERSION;
	tag[1] = mark->start ? CV_MARK_KIND_START : CV_MARK_KIND_CHECKPOINT;
	cv_mark_put_u64(tag + 2, mark->reach);
	cv_mark_put_u64(tag + 10, mark->spare_offset);
	cv_mark_put_u64(tag + 18, mark->spare_seq);
	for (unsigned i = 0; i < 4; i++)
		tag[26 + i] = (uint8_t)(mark->generation >> (8u * i));
	cv_mark_mac(m, mark, tag, tag + CV_MARK_BODY);
}

static enum cv_status cv_mark_decode(const struct cv_machine *m, const uint8_t *tag, size_t length,
				     struct cv_journal_mark *mark)
{
	if (length != CV_MARK_SIZE || tag[0] != CV_MARK_VERSION ||
	    (tag[1] != CV_MARK_KIND_CHECKPOINT && tag[1] != CV_MARK_KIND_START))
		return CV_E_CORRUPT;
	uint8_t mac[CV_MARK_MAC];
	cv_mark_mac(m, mark, tag, mac);
	bool authentic = crypto_verify_32(mac, tag + CV_MARK_BODY) == 0;
	if (!authentic && !CV_MARK_MUTATED(CV_MARK_MUTANT_MAC_UNCHECKED))
		return CV_E_CORRUPT;
	mark->start = tag[1] == CV_MARK_KIND_START;
	mark->reach = cv_mark_get_u64(tag + 2);
	mark->spare_offset = cv_mark_get_u64(tag + 10);
	mark->spare_seq = cv_mark_get_u64(tag + 18);
	mark->generation =
		(uint32_t)tag[26] | (uint32_t)tag[27] << 8 | (uint32_t)tag[28] << 16 | (uint32_t)tag[29] << 24;
	if (mark->generation == 0 || (mark->start && (mark->offset != 0 || mark->seq != 1)))
		return CV_E_CORRUPT;
	mark->present = true;
	return CV_OK;
}

/* Durably replaces the storage's mark with *mark, one generation on (present on success). */
static enum cv_status cv_mark_store(struct cv_machine *m, const struct cv_journal_mark *mark)
{
	const struct cv_storage_ops *ops = m->config.storage;
	struct cv_journal_mark next = *mark;
	next.generation = m->mark.generation + 1;
	uint8_t tag[CV_MARK_SIZE];
	cv_mark_encode(m, &next, tag);
	enum cv_status rc = ops->checkpoint_set_tagged(m->config.storage_ctx, next.offset, next.seq, tag, sizeof(tag));
	if (rc != CV_OK)
		return rc;
	m->mark = next;
	m->mark.present = true;
	return CV_OK;
}

bool cv_mark_supported(struct cv_machine *m)
{
	const struct cv_storage_ops *ops = m->config.storage;
	if (!m->sealed)
		return false;
	if (CV_OPS_HAS(struct cv_storage_ops, ops, checkpoint_set_tagged) &&
	    CV_OPS_HAS(struct cv_storage_ops, ops, checkpoint_get_tagged))
		return true;
	cv_machine_log(m, CV_LOG_WARN,
		       "journal: the storage keeps no tagged checkpoint, so a sealed journal cut short "
		       "looks like a power cut");
	return false;
}

enum cv_status cv_mark_load(struct cv_machine *m, uint64_t *offset, uint64_t *seq)
{
	const struct cv_storage_ops *ops = m->config.storage;
	uint8_t tag[CV_STORAGE_TAG_MAX];
	size_t length = 0;
	struct cv_journal_mark mark = {0};
	memset(&m->mark, 0, sizeof(m->mark));
	enum cv_status rc =
		ops->checkpoint_get_tagged(m->config.storage_ctx, &mark.offset, &mark.seq, tag, sizeof(tag), &length);
	if (rc != CV_OK)
		return rc;
	if (length > sizeof(tag))
		return CV_E_CORRUPT;
	if (length > 0) {
		rc = cv_mark_decode(m, tag, length, &mark);
		if (rc != CV_OK) {
			cv_machine_log(m, CV_LOG_ERROR,
				       "journal: its checkpoint file does not authenticate "
				       "with the journal key");
			return rc;
		}
		m->mark = mark;
		if (mark.start)
			return CV_E_NOT_FOUND; /* No checkpoint yet: replay reads from the start. */
	}
	*offset = mark.offset;
	*seq = mark.seq;
	return CV_OK;
}

static bool cv_mark_first_record(void *arg, const struct cv_journal_record *record)
{
	*(uint16_t *)arg = record->type;
	return false;
}

/* The spare must still be where the mark says: the checkpoint before (or
 * the journal's start), whole and sealed. An older mark put back names a
 * spare that a trim has freed since. */
static enum cv_status cv_mark_check_spare(struct cv_machine *m)
{
	const struct cv_journal_mark *mark = &m->mark;
	uint16_t type = 0;
	struct cv_journal_scan scan;
	enum cv_status rc = cv_journal_scan(m->config.storage, m->config.storage_ctx, mark->spare_offset,
					    mark->spare_seq, m->journal_key, cv_mark_first_record, &type, &scan);
	if (rc == CV_E_IO)
		return rc;
	bool journal_start = mark->spare_offset == 0 && mark->spare_seq == 1;
	uint16_t expected = journal_start ? CV_JOURNAL_FILE_HEADER : CV_JOURNAL_CHECKPOINT_BEGIN;
	if (rc != CV_OK || scan.records == 0 || type != expected) {
		cv_machine_log(m, CV_LOG_ERROR,
			       "journal: the checkpoint before the remembered one is gone: "
			       "the checkpoint file is older than the journal");
		return CV_E_CORRUPT;
	}
	return CV_OK;
}

enum cv_status cv_mark_check(struct cv_machine *m, uint32_t newest_generation, const struct cv_journal_scan *scan)
{
	if (!m->mark.present) {
		if (newest_generation == 0 || CV_MARK_MUTATED(CV_MARK_MUTANT_PROMISE_IGNORED))
			return CV_OK;
		cv_machine_log(m, CV_LOG_ERROR,
			       "journal: it keeps an authenticated checkpoint file, "
			       "which is missing or unauthenticated");
		return CV_E_CORRUPT;
	}
	if (newest_generation > m->mark.generation && !CV_MARK_MUTATED(CV_MARK_MUTANT_GENERATION_UNCHECKED)) {
		cv_machine_log(m, CV_LOG_ERROR,
			       "journal: its records name a newer checkpoint file than the one "
			       "found: the file was put back from an older copy");
		return CV_E_CORRUPT;
	}
	if (scan->last_seq < m->mark.reach && !CV_MARK_MUTATED(CV_MARK_MUTANT_REACH_UNCHECKED)) {
		cv_machine_log(m, CV_LOG_ERROR,
			       "journal: it ends before records its checkpoint file "
			       "says were durable: it was cut");
		return CV_E_CORRUPT;
	}
	if (m->mark.spare_seq == 0 || CV_MARK_MUTATED(CV_MARK_MUTANT_SPARE_UNCHECKED))
		return CV_OK;
	return cv_mark_check_spare(m);
}

enum cv_status cv_mark_begin_life(struct cv_machine *m)
{
	if (!m->marked)
		return CV_OK;
	if (!m->mark.present) {
		/* A new journal, or one an older library wrote: a mark comes before
		 * any record that says the journal keeps them. The records read
		 * may never have been synced (a process that died in this boot),
		 * so only a remembered checkpoint counts as reached. */
		struct cv_journal_mark mark = {.start = !m->has_checkpoint, .offset = 0, .seq = 1};
		if (m->has_checkpoint) {
			mark.offset = m->checkpoint_offset;
			mark.seq = m->checkpoint_seq;
			mark.reach = m->checkpoint_written_seq;
		}
		enum cv_status rc = cv_mark_store(m, &mark);
		if (rc != CV_OK)
			return rc;
	}
	m->mark_refresh_seq = m->last_seq + 1; /* This life's MACHINE_START. */
	return CV_OK;
}

enum cv_status cv_mark_commit_checkpoint(struct cv_machine *m, uint64_t offset, uint64_t seq)
{
	struct cv_journal_mark mark = {.offset = offset, .seq = seq, .reach = m->durable_seq};
	if (m->has_checkpoint) {
		mark.spare_offset = m->checkpoint_offset;
		mark.spare_seq = m->checkpoint_seq;
	} else {
		mark.spare_seq = 1; /* The journal's start, at offset 0. */
	}
	return cv_mark_store(m, &mark);
}

void cv_mark_tick(struct cv_machine *m)
{
	if (m->mark_refresh_seq == 0 || m->journal_fault || !m->mark.present ||
	    !cv_journal_is_durable(m, m->mark_refresh_seq))
		return;
	m->mark_refresh_seq = 0;
	struct cv_journal_mark mark = m->mark;
	mark.reach = m->durable_seq;
	if (cv_mark_store(m, &mark) != CV_OK)
		cv_machine_log(m, CV_LOG_WARN, "journal: the storage could not remember how far the journal reached");
}
