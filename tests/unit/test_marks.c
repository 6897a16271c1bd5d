/* SPDX-License-Identifier: MIT */
/* Marks of a sealed journal (suite 'unit', test 'marks'): what the storage
 * remembers of it (where the last durable checkpoint begins, the one before
 * it, how far the journal reached) is authenticated with the journal key.
 * Each test plays an attacker with the storage's bytes but not the key:
 * it forges, moves, puts back or deletes the remembered checkpoint, and cuts
 * the journal, and the machine must refuse to open (CV_E_CORRUPT) instead
 * of taking the cut for a power cut. The last tests pin what marks can't
 * tell (a whole older copy, the records after the reach). */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <candyvend/storage_posix.h>

#include "machine_private.h"
#include "rig.h"

static const uint8_t key[CV_JOURNAL_KEY_LEN] = {
	7,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

/* The logs of the machine, to check that a refusal says why. */
static char last_error[256];

static void capture_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	if (level == CV_LOG_ERROR || level == CV_LOG_WARN)
		snprintf(last_error, sizeof(last_error), "%s", message);
}

static struct cv_platform_ops platform;

/* Sealed records are 40 bytes longer: two checkpoint intervals of them do
 * not fit the rig's own 64 KiB. */
static uint8_t journal[1u << 18];

static void start(void)
{
	rig_setup();
	if (!cv_machine_sealing_available())
		cr_skip_test("SKIPPED: built without the crypto module (-Dcrypto=enabled)");
	platform = *rig.config.platform;
	platform.log = capture_log;
	rig.config.platform = &platform;
	rig.config.journal_key = key;
	rig.config.checkpoint_records = 256;
	cv_ram_storage_init(&rig.storage, journal, sizeof(journal));
	last_error[0] = '\0';
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(marks, .init = start, .fini = rig_teardown);

/* What an attacker can copy and put back: the RAM storage's mark. */
struct saved_mark {
	uint64_t offset;
	uint64_t seq;
	uint8_t tag[CV_STORAGE_TAG_MAX];
	size_t tag_length;
};

static struct saved_mark mark_save(void)
{
	struct saved_mark s = {.offset = rig.storage.checkpoint_offset,
			       .seq = rig.storage.checkpoint_seq,
			       .tag_length = rig.storage.checkpoint_tag_length};
	memcpy(s.tag, rig.storage.checkpoint_tag, sizeof(s.tag));
	return s;
}

static void mark_put_back(const struct saved_mark *s)
{
	rig.storage.checkpoint_offset = s->offset;
	rig.storage.checkpoint_seq = s->seq;
	rig.storage.checkpoint_tag_length = s->tag_length;
	memcpy(rig.storage.checkpoint_tag, s->tag, sizeof(s->tag));
}

/* The tag's fields the tests read (docs/journal-format.md, "Marks"). */
static uint64_t tag_u64(const struct saved_mark *s, unsigned at)
{
	uint64_t value = 0;
	for (unsigned i = 8; i-- > 0;)
		value = value << 8 | s->tag[at + i];
	return value;
}

static uint64_t mark_reach(const struct saved_mark *s)
{
	return tag_u64(s, 2);
}

static uint64_t mark_spare_offset(const struct saved_mark *s)
{
	return tag_u64(s, 10);
}

/* Sells (refilling as needed) until done() or fails. */
static void sell_until(bool (*done)(void))
{
	for (unsigned i = 0; i < 600 && !done(); i++)
		rig_sell_one(i);
	cr_assert(done(), "never got there");
}

static void sell(unsigned vends)
{
	for (unsigned i = 0; i < vends; i++)
		rig_sell_one(i);
}

static bool trimmed(void)
{
	return rig.storage.base > 0;
}

static uint64_t first_checkpoint_offset;

static bool checkpoint_moved(void)
{
	return rig.storage.checkpoint_offset != first_checkpoint_offset;
}

static enum cv_status reopen(void)
{
	last_error[0] = '\0';
	return rig_reboot();
}

/* Sells until the remembered checkpoint has changed `times` more times,
 * restarting in between (the rig answers a bounded number of requests per
 * life). */
static void sell_checkpoints(unsigned times)
{
	for (unsigned i = 0; i < times; i++) {
		first_checkpoint_offset = rig.storage.checkpoint_offset;
		sell_until(checkpoint_moved);
		cr_assert_eq(reopen(), CV_OK);
		rig_step(rig.config.timeouts.flush_ms);
	}
}

/* Journal bytes: the record at journal offset `offset`. */
static const uint8_t *record_at(uint64_t offset)
{
	return journal + (offset - rig.storage.base);
}

static uint64_t record_seq(uint64_t offset)
{
	const uint8_t *r = record_at(offset);
	uint64_t seq = 0;
	for (unsigned i = 8; i-- > 0;)
		seq = seq << 8 | r[12 + i];
	return seq;
}

static uint64_t record_length(uint64_t offset)
{
	const uint8_t *r = record_at(offset);
	return (uint64_t)r[0] | (uint64_t)r[1] << 8;
}

/* Journal offset just past the record with sequence number `seq`. */
static uint64_t end_of_record(uint64_t seq)
{
	for (uint64_t at = rig.storage.base; at < rig.storage.base + rig.storage.length; at += record_length(at))
		if (record_seq(at) == seq)
			return at + record_length(at);
	cr_assert_fail("record %llu is not in the journal", (unsigned long long)seq);
	return 0;
}

/* Cuts the journal to end just after record `seq`, as whole records. */
static void cut_after(uint64_t seq)
{
	rig.storage.length = (size_t)(end_of_record(seq) - rig.storage.base);
}

static void expect_refused(const char *why)
{
	enum cv_status rc = reopen();
	cr_assert_eq(rc, CV_E_CORRUPT, "%s: open answered %s", why, cv_status_name(rc));
	cr_assert_neq(last_error[0], '\0', "%s: a refusal says why in the log", why);
}

Test(marks, every_checkpoint_is_remembered_with_a_tag_that_authenticates_it)
{
	sell_until(trimmed);
	struct saved_mark good = mark_save();
	cr_assert_eq(good.tag_length, 62);
	cr_assert_eq(mark_spare_offset(&good), rig.storage.base, "the spare is where the journal now begins");
	cr_assert_geq(mark_reach(&good), rig.storage.checkpoint_seq);
	/* Every byte of the tag counts. */
	for (unsigned i = 0; i < good.tag_length; i++) {
		struct saved_mark bad = good;
		bad.tag[i] ^= 0x10;
		mark_put_back(&bad);
		expect_refused("a tag with one byte changed");
		mark_put_back(&good);
		cr_assert_eq(reopen(), CV_OK, "the genuine mark opens (byte %u)", i);
	}
}

Test(marks, a_tag_made_with_another_key_or_for_another_pair_is_refused)
{
	sell_until(trimmed);
	struct saved_mark good = mark_save();
	/* The pair is under the MAC: the same tag beside another pair fails. */
	struct saved_mark moved = good;
	moved.offset = mark_spare_offset(&good);
	moved.seq = record_seq(moved.offset);
	mark_put_back(&moved);
	expect_refused("a genuine tag beside the spare's pair");
	/* Another machine's key: the journal itself does not open either, but
	 * the mark is checked first and fails on its own. */
	mark_put_back(&good);
	static const uint8_t other[CV_JOURNAL_KEY_LEN] = {9};
	rig.config.journal_key = other;
	cr_assert_eq(reopen(), CV_E_CORRUPT);
}

/* The attack of the issue: cut the journal after the spare checkpoint, and
 * point the remembered checkpoint at the spare. */
Test(marks, a_journal_cut_after_the_spare_and_pointed_at_it_is_refused)
{
	sell_until(trimmed);
	sell(20);
	struct saved_mark good = mark_save();
	uint64_t spare = mark_spare_offset(&good);
	uint64_t spare_seq = record_seq(spare);
	cut_after(spare_seq + 40); /* Past the spare's END, before the current checkpoint. */
	cr_assert_lt(rig.storage.base + rig.storage.length, good.offset);
	/* With the genuine tag kept. */
	struct saved_mark forged = good;
	forged.offset = spare;
	forged.seq = spare_seq;
	mark_put_back(&forged);
	expect_refused("the checkpoint moved to the spare, tag kept");
	/* As an older library would have written it: no tag at all. */
	forged.tag_length = 0;
	mark_put_back(&forged);
	expect_refused("the checkpoint moved to the spare, untagged");
}

Test(marks, an_older_mark_put_back_is_refused)
{
	sell_until(trimmed);
	struct saved_mark older = mark_save();
	sell_checkpoints(1);
	/* The very next checkpoint trimmed the older mark's spare away. */
	mark_put_back(&older);
	expect_refused("the previous mark put back");
	/* And with the journal cut to what the older mark knew. */
	cut_after(mark_reach(&older) + 5);
	expect_refused("the previous mark put back, the journal cut to it");
}

/* A mark of the same checkpoint, two marks old, put back alone: the
 * journal is whole, but its records name a newer mark. (The mark just
 * before the newest is not caught this way: the records written since
 * name it; and with a cut at its reach, it is an older copy.) */
Test(marks, an_older_mark_of_the_same_checkpoint_put_back_is_refused)
{
	sell(6);
	struct saved_mark older = mark_save();
	for (unsigned life = 0; life < 2; life++) {
		cr_assert_eq(reopen(), CV_OK);
		rig_step(rig.config.timeouts.flush_ms);
	}
	cr_assert_eq(rig.storage.checkpoint_offset, older.offset, "still the same checkpoint");
	mark_put_back(&older);
	expect_refused("a mark of the same checkpoint, two marks old");
	cr_assert(strstr(last_error, "older copy") != NULL, "%s", last_error);
}

Test(marks, a_mark_from_several_checkpoints_ago_is_refused)
{
	sell_until(trimmed);
	struct saved_mark older = mark_save();
	sell_checkpoints(3);
	mark_put_back(&older);
	expect_refused("a mark three checkpoints old put back");
}

Test(marks, a_deleted_mark_is_refused_before_and_after_the_first_trim)
{
	/* A young journal: its mark names the journal's start. */
	sell(10);
	cr_assert_eq(rig.storage.checkpoint_tag_length, 62);
	cr_assert_eq(rig.storage.checkpoint_offset, 0);
	rig.storage.has_checkpoint = 0;
	expect_refused("the start mark deleted");
	rig.storage.has_checkpoint = 1;
	cr_assert_eq(reopen(), CV_OK);
	/* A trimmed journal: nothing says where it begins now. */
	sell_until(trimmed);
	rig.storage.has_checkpoint = 0;
	cr_assert_eq(reopen(), CV_E_CORRUPT);
}

Test(marks, a_journal_cut_before_its_reach_is_refused)
{
	sell(12);
	/* A restart writes the reach again once its own start is durable. */
	cr_assert_eq(reopen(), CV_OK);
	rig_step(rig.config.timeouts.flush_ms);
	struct saved_mark now = mark_save();
	uint64_t reach = mark_reach(&now);
	cr_assert_geq(reach, rig.m->last_seq - rig.config.lane_count - 1,
		      "the reach covers the previous life (reach %llu, last %llu)", (unsigned long long)reach,
		      (unsigned long long)rig.m->last_seq);
	cut_after(reach - 3);
	expect_refused("three records before the reach cut away");
}

Test(marks, the_marks_survive_restarts_and_the_journal_opens_as_usual)
{
	for (unsigned life = 0; life < 12; life++) {
		sell(15);
		cr_assert_eq(reopen(), CV_OK, "life %u", life);
		rig_step(rig.config.timeouts.flush_ms);
	}
	cr_assert(trimmed());
	cr_assert_eq(rig.storage.checkpoint_tag_length, 62);
	struct saved_mark now = mark_save();
	cr_assert_eq(mark_reach(&now), rig.m->durable_seq, "the reach is this life's durable end");
	cr_assert_eq(rig_stats().vends_captured, 12 * 15);
}

/* A journal written before marks existed (a storage without the tagged
 * calls) opens, gets a mark at once, and is protected from then on. */
Test(marks, a_journal_sealed_before_marks_gets_one)
{
	static struct cv_storage_ops v1;
	v1 = cv_ram_storage_ops;
	v1.struct_size = CV_STORAGE_OPS_V1_SIZE;
	rig.config.storage = &v1;
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cv_ram_storage_init(&rig.storage, journal, sizeof(journal)); /* A new journal, on the older storage. */
	cr_assert_eq(reopen(), CV_OK);
	cr_assert(strstr(last_error, "tagged") != NULL, "a sealed journal without marks is logged: %s", last_error);
	sell_until(trimmed);
	cr_assert_eq(rig.storage.checkpoint_tag_length, 0, "an older storage keeps no tag");
	struct saved_mark legacy = mark_save();
	rig.config.storage = &cv_ram_storage_ops;
	cr_assert_eq(reopen(), CV_OK, "a legacy checkpoint opens");
	cr_assert_eq(rig.storage.checkpoint_tag_length, 62, "and gets a mark at once");
	rig_step(rig.config.timeouts.flush_ms);
	mark_put_back(&legacy);
	expect_refused("the legacy checkpoint put back once the journal keeps marks");
}

/* What marks can't tell, pinned so that the documentation stays true. */
Test(marks, limits_a_whole_older_copy_and_records_after_the_reach_are_not_detected)
{
	sell_until(trimmed);
	static struct cv_ram_storage old_storage;
	static uint8_t old_journal[sizeof(journal)];
	old_storage = rig.storage;
	memcpy(old_journal, journal, sizeof(old_journal));
	sell_checkpoints(2);
	rig.storage = old_storage;
	memcpy(journal, old_journal, sizeof(old_journal));
	cr_assert_eq(reopen(), CV_OK, "a whole older copy (journal and mark together) opens");
	/* Records after the reach look like the tail a power cut takes. */
	struct saved_mark now = mark_save();
	uint64_t last = rig.m->last_seq;
	cr_assert_gt(last, mark_reach(&now) + 2);
	cut_after(last - 2);
	cr_assert_eq(reopen(), CV_OK, "records after the reach cut away");
}

/* ---- the POSIX storage: the attack on the files themselves ---- */

static char dir[64];
static struct cv_posix_storage *store;

/* Default segments (4 MiB): several checkpoints share one unless the
 * storage starts a new segment at each mark, as it must. */
static enum cv_status posix_open(void)
{
	struct cv_posix_storage_config sc;
	cv_posix_storage_config_default(&sc);
	sc.directory = dir;
	enum cv_status rc = cv_posix_storage_open(&sc, &store);
	rig.config.storage_ctx = store;
	return rc;
}

static void start_posix(void)
{
	start();
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	snprintf(dir, sizeof(dir), "/tmp/cv-marks-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	rig.config.storage = &cv_posix_storage_ops;
	cr_assert_eq(posix_open(), CV_OK);
	cr_assert_eq(reopen(), CV_OK);
	rig_step(0);
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.')
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	(void)rmdir(dir);
}

static void stop_posix(void)
{
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	if (store != NULL)
		cv_posix_storage_close(store);
	store = NULL;
	remove_dir();
	rig_teardown();
}

TestSuite(marks_posix, .init = start_posix, .fini = stop_posix);

/* The machine stops and the storage is closed: the files are the attacker's. */
static void posix_shut_down(void)
{
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cv_posix_storage_close(store);
	store = NULL;
}

/* Opens the files again: the storage itself may refuse them already. */
static enum cv_status posix_start_again(void)
{
	enum cv_status rc = posix_open();
	return rc != CV_OK ? rc : reopen();
}

static void file_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static size_t file_read(const char *name, uint8_t *buf, size_t size)
{
	char path[512];
	file_path(path, sizeof(path), name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static void file_write(const char *name, const uint8_t *buf, size_t size)
{
	char path[512];
	file_path(path, sizeof(path), name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
}

static uint64_t le_get(const uint8_t *p, unsigned bytes)
{
	uint64_t value = 0;
	for (unsigned i = bytes; i-- > 0;)
		value = value << 8 | p[i];
	return value;
}

static void le_put(uint8_t *p, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8 * i));
}

/* The checkpoint file as the storage's source documents it: version 1
 * (28 bytes) or 2 (96 bytes, with the tag), a CRC32C at the end. */
static void checkpoint_file_write(const uint8_t *bytes, size_t size)
{
	uint8_t buf[96];
	memcpy(buf, bytes, size);
	le_put(buf + size - 4, cv_crc32c(0, buf, size - 4), 4);
	file_write("checkpoint", buf, size);
}

/* Cuts the journal's files so that it ends at byte `end`. */
static void journal_cut_at(uint64_t end)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		unsigned long long start = 0;
		if (sscanf(e->d_name, "journal-%16llx.cvj", &start) != 1)
			continue;
		if (start >= end && start > 0)
			cr_assert_eq(unlinkat(dirfd(d), e->d_name, 0), 0);
		else if (start < end) {
			char path[512];
			file_path(path, sizeof(path), e->d_name);
			struct stat st;
			cr_assert_eq(stat(path, &st), 0);
			if ((uint64_t)st.st_size > end - start)
				cr_assert_eq(truncate(path, (off_t)(end - start)), 0);
		}
	}
	closedir(d);
}

/* Sells through `checkpoints` remembered checkpoints on the files. */
static void posix_sell_checkpoints(unsigned checkpoints)
{
	for (unsigned i = 0; i < checkpoints; i++) {
		uint8_t before[96], now[96];
		size_t n = file_read("checkpoint", before, sizeof(before));
		for (unsigned tries = 0; tries < 20; tries++) {
			sell(40);
			cr_assert_eq(reopen(), CV_OK);
			rig_step(rig.config.timeouts.flush_ms);
			size_t m = file_read("checkpoint", now, sizeof(now));
			if (m == 96 && n == 96 && le_get(now + 8, 8) != le_get(before + 8, 8))
				break;
			if (m == 96 && n == 96 && tries == 19)
				cr_assert_fail("no new checkpoint");
			n = m;
			memcpy(before, now, sizeof(before));
		}
	}
}

Test(marks_posix, the_files_cut_and_pointed_at_the_spare_are_refused)
{
	posix_sell_checkpoints(3);
	uint8_t file[96];
	cr_assert_eq(file_read("checkpoint", file, sizeof(file)), 96, "a sealed journal's file is version 2");
	/* The test's encoder is the storage's: the genuine file comes out the same. */
	uint8_t again[96];
	memcpy(again, file, sizeof(again));
	le_put(again + 92, cv_crc32c(0, again, 92), 4);
	cr_assert_arr_eq(again, file, sizeof(file));
	uint64_t current = le_get(file + 8, 8);
	uint64_t spare = le_get(file + 28 + 10, 8);
	uint64_t spare_seq = le_get(file + 28 + 18, 8);
	cr_assert_gt(spare, 0);
	cr_assert_lt(spare, current);
	posix_shut_down();
	/* Everything from the current checkpoint on is cut away; the file is
	 * rewritten as an older library would have written it. */
	journal_cut_at(current);
	uint8_t v1[28];
	memcpy(v1, "CVCP", 4);
	le_put(v1 + 4, 1, 4);
	le_put(v1 + 8, spare, 8);
	le_put(v1 + 16, spare_seq, 8);
	checkpoint_file_write(v1, sizeof(v1));
	cr_assert_eq(posix_start_again(), CV_E_CORRUPT, "an untagged file pointing at the spare");
	cr_assert(strstr(last_error, "checkpoint file") != NULL, "%s", last_error);
	posix_shut_down();
	/* The genuine tag kept, the pair moved to the spare. */
	uint8_t moved[96];
	memcpy(moved, file, sizeof(moved));
	le_put(moved + 8, spare, 8);
	le_put(moved + 16, spare_seq, 8);
	checkpoint_file_write(moved, sizeof(moved));
	cr_assert_eq(posix_start_again(), CV_E_CORRUPT, "the genuine tag beside the spare's pair");
}

Test(marks_posix, an_older_checkpoint_file_put_back_is_refused)
{
	posix_sell_checkpoints(2);
	uint8_t older[96];
	cr_assert_eq(file_read("checkpoint", older, sizeof(older)), 96);
	posix_sell_checkpoints(1);
	uint8_t file[96];
	cr_assert_eq(file_read("checkpoint", file, sizeof(file)), 96);
	posix_shut_down();
	file_write("checkpoint", older, sizeof(older));
	cr_assert_eq(posix_start_again(), CV_E_CORRUPT, "the previous file put back");
	posix_shut_down();
	/* And with the journal cut to what the older file knew: it ends before
	 * the checkpoint that replaced it. */
	journal_cut_at(le_get(file + 8, 8));
	cr_assert_eq(posix_start_again(), CV_E_CORRUPT, "the previous file put back, the journal cut to it");
}

Test(marks_posix, a_deleted_checkpoint_file_is_refused)
{
	posix_sell_checkpoints(2);
	posix_shut_down();
	char path[512];
	file_path(path, sizeof(path), "checkpoint");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(posix_start_again(), CV_E_CORRUPT);
}

Test(marks_posix, untouched_files_open_and_keep_selling)
{
	posix_sell_checkpoints(2);
	posix_shut_down();
	cr_assert_eq(posix_start_again(), CV_OK);
	sell(8);
	cr_assert_eq(cv_posix_storage_segment_count(store) < 16, true, "trimming keeps the segments few");
}
