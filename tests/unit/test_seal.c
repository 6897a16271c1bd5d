/* SPDX-License-Identifier: MIT */
/* Journal sealing: records are unreadable without the key, and a tampered,
 * moved, replayed or unsealed record, a wrong key or a missing key stops the
 * machine from opening its journal. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine_private.h"
#include "rig.h"

static const uint8_t key[CV_JOURNAL_KEY_LEN] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
static uint8_t other_key[CV_JOURNAL_KEY_LEN];

static void start(void)
{
	rig_setup();
	if (!cv_machine_sealing_available())
		cr_skip_test("SKIPPED: built without the crypto module (-Dcrypto=enabled)");
	rig.config.journal_key = key;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(seal, .init = start, .fini = rig_teardown);

static size_t record_at(unsigned index)
{
	size_t at = 0;
	for (unsigned i = 0; i < index; i++)
		at += (size_t)rig.journal[at] | (size_t)rig.journal[at + 1] << 8;
	return at;
}

static unsigned record_count(void)
{
	unsigned n = 0;
	for (size_t at = 0; at < rig.storage.length; n++)
		at += (size_t)rig.journal[at] | (size_t)rig.journal[at + 1] << 8;
	return n;
}

/* Rewrites a record's CRC, as an attacker who knows the format would. */
static void fix_crc(size_t at)
{
	uint32_t length = (uint32_t)rig.journal[at] | (uint32_t)rig.journal[at + 1] << 8;
	uint32_t crc = cv_crc32c(0, rig.journal + at, length - 4);
	for (unsigned i = 0; i < 4; i++)
		rig.journal[at + length - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void expect_open(enum cv_status expected)
{
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	enum cv_status rc = rig_start();
	cr_assert_eq(rc, expected, "open: %s", cv_status_name(rc));
}

static bool contains(const void *needle, size_t length)
{
	for (size_t i = 0; i + length <= rig.storage.length; i++)
		if (memcmp(rig.journal + i, needle, length) == 0)
			return true;
	return false;
}

Test(seal, every_record_is_sealed_and_unreadable_without_the_key)
{
	rig_vend_ok(0);
	rig_step(rig.config.timeouts.flush_ms);
	for (unsigned i = 0; i < record_count(); i++)
		cr_assert(rig.journal[record_at(i) + 6] & CV_JOURNAL_FLAG_SEALED, "record %u is not sealed", i);
	cr_assert_not(contains("4242", 4), "the card's last four are readable");
	cr_assert_not(contains("USD", 3), "the currency is readable");
	cr_assert_not(contains("CVJL", 4), "the file header is readable");
	cr_assert_not(contains("Gummy", 5), "the product is readable");
}

Test(seal, a_restart_with_the_key_recovers_as_usual)
{
	rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	cr_assert_eq(rig_lane(0).config.count, 4);
}

Test(seal, a_tampered_record_is_detected_even_with_its_crc_fixed)
{
	rig_vend_ok(0);
	size_t at = record_at(record_count() - 1); /* Even the last one: it is not torn, its CRC is right. */
	rig.journal[at + CV_JOURNAL_HEADER_SIZE + 30] ^= 0x01;
	fix_crc(at);
	expect_open(CV_E_CORRUPT);
}

Test(seal, swapped_records_are_detected)
{
	rig_vend_ok(0);
	/* Two records of the same size: swap their sealed payloads, keep headers. */
	unsigned n = record_count();
	for (unsigned i = 1; i < n; i++) {
		for (unsigned j = i + 1; j < n; j++) {
			size_t a = record_at(i), b = record_at(j);
			if (rig.journal[a] != rig.journal[b] || rig.journal[a + 1] != rig.journal[b + 1])
				continue;
			size_t body = (size_t)rig.journal[a] - CV_JOURNAL_RECORD_MIN;
			uint8_t tmp[CV_JOURNAL_RECORD_MAX];
			memcpy(tmp, rig.journal + a + CV_JOURNAL_HEADER_SIZE, body);
			memcpy(rig.journal + a + CV_JOURNAL_HEADER_SIZE, rig.journal + b + CV_JOURNAL_HEADER_SIZE,
			       body);
			memcpy(rig.journal + b + CV_JOURNAL_HEADER_SIZE, tmp, body);
			fix_crc(a);
			fix_crc(b);
			expect_open(CV_E_CORRUPT);
			return;
		}
	}
	cr_assert_fail("no two records of the same size to swap");
}

Test(seal, a_record_replayed_under_a_new_sequence_number_is_detected)
{
	rig_vend_ok(0);
	size_t end = rig.storage.length;
	size_t first = record_at(1);
	size_t length = record_at(2) - first;
	memcpy(rig.journal + end, rig.journal + first, length);
	/* Give it the next sequence number, so only the seal can tell. */
	uint64_t seq = record_count();
	for (unsigned i = 0; i < 8; i++)
		rig.journal[end + 12 + i] = (uint8_t)(seq >> (8 * i));
	rig.storage.length = end + length;
	fix_crc(end);
	expect_open(CV_E_CORRUPT);
}

Test(seal, an_unsealed_record_in_a_sealed_journal_is_detected)
{
	rig_vend_ok(0);
	size_t at = record_at(record_count() - 1);
	rig.journal[at + 6] = 0; /* Claims to be plain. */
	fix_crc(at);
	expect_open(CV_E_CORRUPT);
}

Test(seal, the_wrong_key_or_no_key_cannot_open_it)
{
	rig_vend_ok(0);
	memcpy(other_key, key, sizeof(other_key));
	other_key[0] ^= 1;
	rig.config.journal_key = other_key;
	expect_open(CV_E_CORRUPT);
	rig.config.journal_key = NULL;
	expect_open(CV_E_CORRUPT);
	rig.config.journal_key = key;
	expect_open(CV_OK);
}

Test(seal, the_key_is_copied_and_wiped)
{
	cr_assert_eq(memcmp(rig.m->journal_key, key, sizeof(key)), 0);
	cr_assert_neq((const void *)rig.m->config.journal_key, (const void *)key, "the caller's key is not kept");
	struct cv_machine *m = rig.m;
	cv_machine_deinit(m);
	rig.m = NULL;
	static const uint8_t zeros[CV_JOURNAL_KEY_LEN];
	cr_assert_eq(memcmp(m->journal_key, zeros, sizeof(zeros)), 0, "the key outlived the machine");
}
