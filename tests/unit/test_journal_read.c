/* SPDX-License-Identifier: MIT */
/* Reading journals back: clean journals, torn tails at every byte, garbled
 * tails, corruption before the tail, reordered and replayed records. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine_private.h"
#include "rig.h"

static void start(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(journal_read, .init = start, .fini = rig_teardown);

struct seen {
	uint64_t count;
	uint64_t next_offset;
	uint16_t first_type;
	uint64_t stop_after;
};

static bool record_seen(void *arg, const struct cv_journal_record *r)
{
	struct seen *s = arg;
	cr_assert_eq(r->offset, s->next_offset, "records are contiguous");
	cr_assert_eq(r->seq, s->count + 1);
	cr_assert_eq(r->epoch, 1);
	if (s->count == 0)
		s->first_type = r->type;
	s->next_offset = r->offset + CV_JOURNAL_RECORD_MIN + r->payload_length;
	s->count++;
	return s->stop_after == 0 || s->count < s->stop_after;
}

static struct cv_journal_scan scan(enum cv_status expected)
{
	struct cv_journal_scan result;
	enum cv_status rc = cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, NULL, NULL, &result);
	cr_assert_eq(rc, expected, "scan: %s", cv_status_name(rc));
	return result;
}

/* Offsets of every record, from the framing alone. */
static unsigned record_offsets(uint64_t *offsets, unsigned max)
{
	unsigned n = 0;
	for (size_t at = 0; at < rig.storage.length && n < max;) {
		offsets[n++] = at;
		uint32_t length = (uint32_t)rig.journal[at] | (uint32_t)rig.journal[at + 1] << 8 |
				  (uint32_t)rig.journal[at + 2] << 16 | (uint32_t)rig.journal[at + 3] << 24;
		at += length;
	}
	return n;
}

Test(journal_read, an_engine_journal_reads_back_whole)
{
	rig_vend_ok(0);
	rig_vend_no_drop(1);
	struct seen s = {0};
	struct cv_journal_scan r;
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, record_seen, &s, &r), CV_OK);
	cr_assert_eq(r.records, rig_stats().journal_records);
	cr_assert_eq(s.count, r.records);
	cr_assert_eq(r.last_seq, r.records);
	cr_assert_eq(r.valid_length, rig.storage.length);
	cr_assert_eq(r.torn_bytes, 0);
	cr_assert_eq(s.first_type, 8, "the journal starts with its file header");
}

Test(journal_read, an_empty_journal_is_clean)
{
	rig_teardown();
	rig_setup();
	cv_ram_storage_init(&rig.storage, rig.journal, sizeof(rig.journal));
	struct cv_journal_scan r;
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, NULL, NULL, &r), CV_OK);
	cr_assert_eq(r.records, 0);
	cr_assert_eq(r.valid_length, 0);
}

Test(journal_read, a_tail_torn_at_any_byte_is_found_and_nothing_before_it_is_lost)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	size_t full = rig.storage.length;
	uint64_t last = offsets[n - 1];
	for (size_t cut = last + 1; cut < full; cut++) {
		rig.storage.length = cut;
		struct cv_journal_scan r = scan(CV_OK);
		cr_assert_eq(r.records, n - 1, "cut at %zu", cut);
		cr_assert_eq(r.valid_length, last);
		cr_assert_eq(r.torn_bytes, cut - last);
	}
	rig.storage.length = full;
	cr_assert_eq(scan(CV_OK).torn_bytes, 0);
}

Test(journal_read, a_garbled_last_record_is_a_torn_tail)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	rig.journal[offsets[n - 1] + CV_JOURNAL_HEADER_SIZE] ^= 0x40;
	struct cv_journal_scan r = scan(CV_OK);
	cr_assert_eq(r.records, n - 1);
	cr_assert_eq(r.torn_bytes, rig.storage.length - offsets[n - 1]);
}

Test(journal_read, corruption_far_from_the_end_stops_the_scan)
{
	while (rig.storage.length < 8 * CV_JOURNAL_RECORD_MAX) {
		rig_vend_ok(0);
		if (rig_lane(0).config.count == 0) {
			cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
			cr_assert_eq(cv_machine_lane_refill(rig.m, 0, 10), CV_OK);
			cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
		}
	}
	uint64_t offsets[2048];
	unsigned n = record_offsets(offsets, 2048);
	cr_assert_gt(n, 20);
	rig.journal[offsets[10] + CV_JOURNAL_HEADER_SIZE + 1] ^= 0x01;
	struct cv_journal_scan r = scan(CV_E_CORRUPT);
	cr_assert_eq(r.bad_offset, offsets[10], "the bad record is named");
	cr_assert_eq(r.records, 10, "nothing after it is taken as valid");
}

Test(journal_read, reordered_records_are_corruption_even_at_the_tail)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	/* Swap the last two records (equal lengths are not needed: rebuild). */
	uint8_t a[CV_JOURNAL_RECORD_MAX], b[CV_JOURNAL_RECORD_MAX];
	size_t la = offsets[n - 1] - offsets[n - 2], lb = rig.storage.length - offsets[n - 1];
	memcpy(a, rig.journal + offsets[n - 2], la);
	memcpy(b, rig.journal + offsets[n - 1], lb);
	memcpy(rig.journal + offsets[n - 2], b, lb);
	memcpy(rig.journal + offsets[n - 2] + lb, a, la);
	struct cv_journal_scan r = scan(CV_E_CORRUPT);
	cr_assert_eq(r.bad_offset, offsets[n - 2]);
}

Test(journal_read, a_replayed_record_is_corruption)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	size_t length = offsets[1] - offsets[0];
	size_t end = rig.storage.length;
	memcpy(rig.journal + end, rig.journal + offsets[0], length);
	rig.storage.length = end + length;
	struct cv_journal_scan r = scan(CV_E_CORRUPT);
	cr_assert_eq(r.bad_offset, end);
	cr_assert_eq(r.records, n);
}

Test(journal_read, the_callback_can_stop_the_scan)
{
	rig_vend_ok(0);
	struct seen s = {.stop_after = 3};
	struct cv_journal_scan r;
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, record_seen, &s, &r), CV_OK);
	cr_assert_eq(s.count, 3);
	cr_assert_eq(r.records, 3);
}

Test(journal_read, a_storage_without_read_cannot_be_scanned)
{
	struct cv_storage_ops no_read = cv_ram_storage_ops;
	no_read.read = NULL;
	struct cv_journal_scan r;
	cr_assert_eq(cv_journal_scan(&no_read, &rig.storage, 0, 1, NULL, NULL, NULL, &r), CV_E_NOTSUP);
}

Test(journal_read, an_insane_length_near_the_end_is_a_torn_tail)
{
	rig_vend_ok(0);
	size_t end = rig.storage.length;
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
	memcpy(rig.journal + end, garbage, sizeof(garbage));
	rig.storage.length = end + sizeof(garbage);
	struct cv_journal_scan r = scan(CV_OK);
	cr_assert_eq(r.valid_length, end);
	cr_assert_eq(r.torn_bytes, sizeof(garbage));
}

Test(journal_read, a_bad_record_with_records_after_it_is_corruption_not_a_tail)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	cr_assert_gt(n, 5);
	/* Garble the file header: a small journal must not be "truncated" to nothing. */
	rig.journal[offsets[0] + CV_JOURNAL_HEADER_SIZE] ^= 0x20;
	struct cv_journal_scan r = scan(CV_E_CORRUPT);
	cr_assert_eq(r.bad_offset, 0);
	cr_assert_eq(r.records, 0);
}

Test(journal_read, a_zero_filled_tail_of_any_length_is_a_torn_tail_even_with_bytes_behind_it)
{
	rig_vend_ok(0);
	size_t end = rig.storage.length;
	memset(rig.journal + end, 0, 4096);
	rig.storage.length = end + 4096;
	struct cv_journal_scan r = scan(CV_OK);
	cr_assert_eq(r.valid_length, end);
	cr_assert_eq(r.torn_bytes, 4096);
	/* Bytes behind the hole: unsynced writes that reached the disk while
	 * an earlier one did not (any subset of the write-back may land). A
	 * sync makes everything before it durable, so they were never synced:
	 * the torn tail runs from the hole to the end. */
	rig.journal[end + 4000] = 1;
	r = scan(CV_OK);
	cr_assert_eq(r.valid_length, end);
	cr_assert_eq(r.torn_bytes, 4096);
	/* Garbage that is not fill, with bytes behind it: it was written, so
	 * it may have been durable; it is corruption. */
	memset(rig.journal + end, 0x55, 64);
	r = scan(CV_E_CORRUPT);
	cr_assert_eq(r.bad_offset, end);
}

Test(journal_read, a_record_lost_or_torn_before_a_sound_one_is_a_torn_tail)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	size_t lost = offsets[n - 3];
	size_t lost_length = offsets[n - 2] - lost;
	/* The third-to-last record torn after 10 bytes (zeros for the rest),
	 * the two behind it whole: everything from it on is the tail. */
	memset(rig.journal + lost + 10, 0, lost_length - 10);
	struct cv_journal_scan r = scan(CV_OK);
	cr_assert_eq(r.valid_length, lost);
	cr_assert_eq(r.torn_bytes, rig.storage.length - lost);
	/* Lost whole (zeros where it was). */
	memset(rig.journal + lost, 0, lost_length);
	r = scan(CV_OK);
	cr_assert_eq(r.valid_length, lost);
}

Test(journal_read, crc32c_gives_the_standard_check_value)
{
	cr_assert_eq(cv_crc32c(0, "123456789", 9), 0xe3069283u, "CRC32C check value (RFC 3720)");
	cr_assert_eq(cv_crc32c(0, "", 0), 0);
	cr_assert_eq(cv_crc32c_portable(0, "123456789", 9), 0xe3069283u);
}

Test(journal_read, both_crc32c_paths_agree_on_every_length_and_alignment)
{
	uint8_t data[300];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37u + 11u);
	for (unsigned start = 0; start < 8; start++)
		for (unsigned length = 0; length + start <= sizeof(data); length += 7)
			cr_assert_eq(cv_crc32c(0, data + start, length), cv_crc32c_portable(0, data + start, length),
				     "start %u length %u", start, length);
	/* Chaining: the CRC of a whole equals the CRC continued over its parts. */
	uint32_t part = cv_crc32c(0, data, 100);
	cr_assert_eq(cv_crc32c(part, data + 100, 200), cv_crc32c(0, data, 300));
}

Test(journal_read, a_torn_record_followed_by_zero_fill_is_a_torn_tail)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	size_t last = offsets[n - 1];
	/* The file grew before the last record's bytes landed: 30 of them, then zeros. */
	memset(rig.journal + last + 30, 0, 4096);
	rig.storage.length = last + 30 + 4096;
	struct cv_journal_scan r = scan(CV_OK);
	cr_assert_eq(r.valid_length, last);
	cr_assert_eq(r.torn_bytes, 30 + 4096);
}

Test(journal_read, a_bad_record_with_a_sound_one_behind_it_is_corruption)
{
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	/* Damage the second-to-last record; the last one is sound and may have been durable. */
	rig.journal[offsets[n - 2] + CV_JOURNAL_HEADER_SIZE] ^= 0x01;
	struct cv_journal_scan r = scan(CV_E_CORRUPT);
	cr_assert_eq(r.bad_offset, offsets[n - 2]);
}

Test(journal_read, a_flipped_bit_in_a_length_field_is_corruption_not_a_tail)
{
	/* A record that reached the disk whole, its length field damaged: with
	 * the right length its CRC matches, so it was written, and the records
	 * behind it may have been durable. */
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	cr_assert_geq(n, 4);
	size_t at = offsets[n - 3];
	for (unsigned bit = 0; bit < 32; bit++) {
		rig.journal[at + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		struct cv_journal_scan r = scan(CV_E_CORRUPT);
		cr_assert_eq(r.bad_offset, at, "bit %u", bit);
		rig.journal[at + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

Test(journal_read, a_record_whose_start_never_reached_the_disk_is_a_tail)
{
	/* The page holding a record's first bytes lost, the next page (with the
	 * rest of it and the records behind) written: zeros where it began.
	 * (Records are shorter than 256 bytes: one lost byte zeroes the whole
	 * length field. A field zeroed only in part would read as a damaged
	 * one, corruption.) */
	rig_vend_ok(0);
	uint64_t offsets[512];
	unsigned n = record_offsets(offsets, 512);
	size_t at = offsets[n - 3];
	cr_assert_lt(offsets[n - 2] - at, 256);
	for (size_t k = 1; k < offsets[n - 2] - at; k++) {
		uint8_t saved[CV_JOURNAL_RECORD_MAX];
		memcpy(saved, rig.journal + at, k);
		memset(rig.journal + at, 0, k);
		struct cv_journal_scan r;
		enum cv_status rc = cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, NULL, NULL, &r);
		cr_assert_eq(rc, CV_OK, "the first %zu bytes lost: %s", k, cv_status_name(rc));
		cr_assert_eq(r.valid_length, at, "the first %zu bytes lost", k);
		memcpy(rig.journal + at, saved, k);
	}
}
