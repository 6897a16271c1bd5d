/* SPDX-License-Identifier: MIT */
/*
 * The POSIX file storage (candyvend-posix): the ops called directly on a
 * temporary directory, and the engine itself journaling into the files.
 * Completions go to a real machine from the rig; the tests read them back
 * from its event queue (an internal of the library) before it handles them.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <candyvend/storage_posix.h>

#include "journal_read.h"
#include "leak_check.h"
#include "machine_private.h"
#include "rig.h"

#define SEGMENT_SIZE 4096u
#define RECORD_SIZE 200u
/* 20 records of 200 bytes fill 4000 of a segment's 4096 bytes. */
#define RECORDS_PER_SEGMENT 20u
#define SEGMENT_BYTES (RECORDS_PER_SEGMENT * RECORD_SIZE)

static char dir[64];
static struct cv_posix_storage *store;
static const struct cv_storage_ops *ops = &cv_posix_storage_ops;

/* ---- Helpers ------------------------------------------------------------- */

static void make_dir(void)
{
	strcpy(dir, "/tmp/cv-posix-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	store = NULL;
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		char path[512];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static enum cv_status open_store_sized(uint64_t segment_size, struct cv_posix_storage **out)
{
	struct cv_posix_storage_config config;
	cv_posix_storage_config_default(&config);
	config.directory = dir;
	config.segment_size_bytes = segment_size;
	return cv_posix_storage_open(&config, out);
}

/* Opens the storage on dir and points its completions at the rig's machine. */
static void open_store(void)
{
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &store), CV_OK);
	cr_assert_eq(ops->open(store, rig.m), CV_OK);
}

static void reopen_store(void)
{
	cv_posix_storage_close(store);
	store = NULL;
	open_store();
}

/* One journal, one writer: the test's own storage closes before another
 * opener tries the folder. */
static void let_go_of_the_folder(void)
{
	cv_posix_storage_close(store);
	store = NULL;
}

static void path_of(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", dir, name);
}

/* Size of a file in dir, -1 if it does not exist. */
static long long file_size(const char *name)
{
	char path[512];
	struct stat st;
	path_of(path, sizeof(path), name);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static long long segment_file_size(uint64_t start)
{
	char name[64];
	snprintf(name, sizeof(name), "journal-%016llx.cvj", (unsigned long long)start);
	return file_size(name);
}

static void write_file(const char *name, const void *bytes, size_t length, int flags)
{
	char path[512];
	path_of(path, sizeof(path), name);
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bytes, length), (ssize_t)length);
	close(fd);
}

/* Record k: 200 bytes nobody else has. */
static void make_record(uint8_t *buf, size_t length, unsigned k)
{
	for (size_t i = 0; i < length; i++)
		buf[i] = (uint8_t)(k * 31u + i * 7u + 1u);
}

/* Appends records first .. first+count-1 of RECORD_SIZE bytes. */
static void append_records(unsigned first, unsigned count)
{
	uint8_t rec[RECORD_SIZE];
	for (unsigned k = first; k < first + count; k++) {
		make_record(rec, sizeof(rec), k);
		cr_assert_eq(ops->append(store, k + 1, rec, sizeof(rec)), CV_OK, "record %u", k);
	}
}

/* The journal holds exactly records 0 .. count-1. */
static void expect_records(unsigned count)
{
	static uint8_t got[64 * 1024], want[64 * 1024];
	size_t length = (size_t)count * RECORD_SIZE;
	cr_assert_leq(length, sizeof(got));
	for (unsigned k = 0; k < count; k++)
		make_record(want + (size_t)k * RECORD_SIZE, RECORD_SIZE, k);
	size_t n = 0;
	cr_assert_eq(ops->read(store, 0, got, sizeof(got), &n), CV_OK);
	cr_assert_eq(n, length);
	cr_assert_eq(memcmp(got, want, length), 0);
	cr_assert_eq(cv_posix_storage_length(store), length);
}

/* Calls sync and takes its completion from the machine's queue. */
static void sync_and_expect(uint64_t seq)
{
	cr_assert_eq(ops->sync(store, seq), CV_PENDING);
	struct cv_input_event ev;
	cr_assert(cv_event_queue_pop(&rig.m->queue, &ev), "sync posted nothing");
	cr_assert_eq(ev.type, CV_EVENT_STORAGE_SYNCED);
	cr_assert_eq(ev.u.storage.seq, seq);
	cr_assert_eq(ev.u.storage.status, CV_OK);
	cr_assert_not(cv_event_queue_pop(&rig.m->queue, &ev), "one completion per sync");
}

/* ---- The ops on their own ------------------------------------------------ */

static void ops_init(void)
{
	make_dir();
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	open_store();
}

static void ops_fini(void)
{
	cv_posix_storage_close(store);
	store = NULL;
	remove_dir();
	rig_teardown();
}

TestSuite(posix, .init = ops_init, .fini = ops_fini);

Test(posix, records_span_segments_and_read_back_whole)
{
	cr_assert_eq(ops->caps(store), CV_STORAGE_CAP_DURABLE);
	append_records(0, 3 * RECORDS_PER_SEGMENT);
	sync_and_expect(3 * RECORDS_PER_SEGMENT);
	cr_assert_eq(cv_posix_storage_segment_count(store), 3, "a record is never split");
	expect_records(3 * RECORDS_PER_SEGMENT);

	/* A read across a segment boundary, and reads at and past the end. */
	uint8_t got[40], want[RECORD_SIZE];
	size_t n = 0;
	cr_assert_eq(ops->read(store, SEGMENT_BYTES - 10, got, sizeof(got), &n), CV_OK);
	cr_assert_eq(n, sizeof(got));
	make_record(want, sizeof(want), RECORDS_PER_SEGMENT - 1);
	cr_assert_eq(memcmp(got, want + RECORD_SIZE - 10, 10), 0);
	make_record(want, sizeof(want), RECORDS_PER_SEGMENT);
	cr_assert_eq(memcmp(got + 10, want, 30), 0);
	cr_assert_eq(ops->read(store, 3 * SEGMENT_BYTES, got, sizeof(got), &n), CV_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(ops->read(store, 1u << 30, got, sizeof(got), &n), CV_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(ops->read(store, 3 * SEGMENT_BYTES - 5, got, sizeof(got), &n), CV_OK);
	cr_assert_eq(n, 5, "a read stops at the end");
}

Test(posix, segment_files_are_named_by_their_logical_offset)
{
	append_records(0, 2 * RECORDS_PER_SEGMENT + 1);
	cr_assert_eq(file_size("journal-0000000000000000.cvj"), SEGMENT_BYTES);
	cr_assert_eq(file_size("journal-0000000000000fa0.cvj"), SEGMENT_BYTES);
	cr_assert_eq(file_size("journal-0000000000001f40.cvj"), RECORD_SIZE);
	cr_assert_eq(segment_file_size(3 * SEGMENT_BYTES), -1);
}

Test(posix, a_reopened_journal_has_the_same_bytes_and_goes_on)
{
	append_records(0, 45);
	sync_and_expect(45);
	reopen_store();
	cr_assert_eq(cv_posix_storage_segment_count(store), 3);
	cr_assert_eq(cv_posix_storage_sync_count(store), 3, "what was found is made durable first");
	expect_records(45);
	append_records(45, 20);
	sync_and_expect(65);
	expect_records(65);
	cr_assert_eq(segment_file_size(3 * SEGMENT_BYTES), 5 * RECORD_SIZE,
		     "the last segment went on filling, then a fourth began");
	reopen_store();
	expect_records(65);
}

Test(posix, sync_posts_the_seq_it_was_asked_for)
{
	append_records(0, 3);
	sync_and_expect(3);
	append_records(3, 1);
	sync_and_expect(4);
	cr_assert_eq(ops->sync(store, 4), CV_PENDING, "syncing again is harmless");
	struct cv_input_event ev;
	cr_assert(cv_event_queue_pop(&rig.m->queue, &ev));
	cr_assert_eq(ev.u.storage.seq, 4);
}

Test(posix, one_fdatasync_per_sync_of_one_segment)
{
	uint64_t before = cv_posix_storage_sync_count(store);
	append_records(0, 5);
	sync_and_expect(5);
	cr_assert_eq(cv_posix_storage_sync_count(store), before + 1);
	append_records(5, 1);
	sync_and_expect(6);
	cr_assert_eq(cv_posix_storage_sync_count(store), before + 2);
	sync_and_expect(6);
	cr_assert_eq(cv_posix_storage_sync_count(store), before + 2, "nothing new, nothing to sync");
	/* A round that started a segment syncs the old one and the new one. */
	append_records(6, RECORDS_PER_SEGMENT);
	sync_and_expect(6 + RECORDS_PER_SEGMENT);
	cr_assert_eq(cv_posix_storage_sync_count(store), before + 4);
}

Test(posix, a_full_event_queue_answers_busy_with_the_data_synced)
{
	struct cv_event filler = {.type = CV_EVENT_STORAGE_SYNCED};
	unsigned queued = 0;
	while (cv_machine_post(rig.m, &filler) == CV_OK)
		cr_assert_leq(++queued, CV_EVENT_QUEUE_MAX);
	append_records(0, 2);
	uint64_t before = cv_posix_storage_sync_count(store);
	cr_assert_eq(ops->sync(store, 2), CV_E_BUSY);
	cr_assert_eq(cv_posix_storage_sync_count(store), before + 1, "the data is durable anyway");
	struct cv_input_event ev;
	while (cv_event_queue_pop(&rig.m->queue, &ev))
		cr_assert_eq(ev.u.storage.seq, 0, "only the fillers were queued");
	sync_and_expect(2);
	cr_assert_eq(cv_posix_storage_sync_count(store), before + 1);
}

Test(posix, truncate_inside_a_segment_deletes_the_later_ones)
{
	append_records(0, 3 * RECORDS_PER_SEGMENT);
	sync_and_expect(3 * RECORDS_PER_SEGMENT);
	cr_assert_eq(ops->truncate(store, 1u << 20), CV_E_INVAL, "no growing");
	uint64_t cut = SEGMENT_BYTES + 5 * RECORD_SIZE;
	cr_assert_eq(ops->truncate(store, cut), CV_OK);
	cr_assert_eq(cv_posix_storage_length(store), cut);
	cr_assert_eq(cv_posix_storage_segment_count(store), 2);
	cr_assert_eq(segment_file_size(SEGMENT_BYTES), 5 * RECORD_SIZE);
	cr_assert_eq(segment_file_size(2 * SEGMENT_BYTES), -1);
	expect_records(RECORDS_PER_SEGMENT + 5);
	append_records(RECORDS_PER_SEGMENT + 5, 3);
	sync_and_expect(RECORDS_PER_SEGMENT + 8);
	expect_records(RECORDS_PER_SEGMENT + 8);
	reopen_store();
	expect_records(RECORDS_PER_SEGMENT + 8);
}

Test(posix, truncate_at_a_boundary_and_to_nothing)
{
	append_records(0, 3 * RECORDS_PER_SEGMENT);
	uint8_t byte;
	size_t n = 0;
	cr_assert_eq(ops->read(store, SEGMENT_BYTES, &byte, 1, &n), CV_OK); /* Caches a read fd. */
	cr_assert_eq(ops->truncate(store, SEGMENT_BYTES), CV_OK);
	cr_assert_eq(cv_posix_storage_segment_count(store), 1, "no empty segment is kept");
	cr_assert_eq(segment_file_size(SEGMENT_BYTES), -1);
	cr_assert_eq(segment_file_size(2 * SEGMENT_BYTES), -1);
	cr_assert_eq(ops->read(store, SEGMENT_BYTES, &byte, 1, &n), CV_OK);
	cr_assert_eq(n, 0);
	/* A new file of the same name: reads must not see the deleted one. */
	uint8_t rec[RECORD_SIZE], got[RECORD_SIZE];
	make_record(rec, sizeof(rec), 77);
	cr_assert_eq(ops->append(store, RECORDS_PER_SEGMENT + 1, rec, sizeof(rec)), CV_OK);
	cr_assert_eq(segment_file_size(SEGMENT_BYTES), RECORD_SIZE, "the full segment is not reused");
	cr_assert_eq(ops->read(store, SEGMENT_BYTES, got, sizeof(got), &n), CV_OK);
	cr_assert_eq(n, sizeof(got));
	cr_assert_eq(memcmp(got, rec, sizeof(rec)), 0);

	cr_assert_eq(ops->truncate(store, 0), CV_OK);
	cr_assert_eq(cv_posix_storage_segment_count(store), 0);
	cr_assert_eq(segment_file_size(0), -1);
	cr_assert_eq(ops->read(store, 0, &byte, 1, &n), CV_OK);
	cr_assert_eq(n, 0);
	append_records(0, 2);
	sync_and_expect(2);
	expect_records(2);
	reopen_store();
	expect_records(2);
}

Test(posix, a_gap_an_overlap_or_a_missing_start_is_corrupt)
{
	append_records(0, 2 * RECORDS_PER_SEGMENT + 1);
	sync_and_expect(2 * RECORDS_PER_SEGMENT + 1);
	cv_posix_storage_close(store);
	store = NULL;
	struct cv_posix_storage *other = (struct cv_posix_storage *)&other;

	/* A shortened middle segment leaves a gap before the next. */
	char path[512];
	path_of(path, sizeof(path), "journal-0000000000000fa0.cvj");
	cr_assert_eq(truncate(path, SEGMENT_BYTES - 1), 0);
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);
	cr_assert_null(other, "nothing is handed out on failure");
	cr_assert_eq(truncate(path, SEGMENT_BYTES), 0);
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &store), CV_OK, "made whole again");
	cv_posix_storage_close(store);
	store = NULL;

	/* A segment that starts inside the previous one. */
	uint8_t rec[RECORD_SIZE];
	make_record(rec, sizeof(rec), 99);
	write_file("journal-0000000000000064.cvj", rec, sizeof(rec), O_EXCL);
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);
	cr_assert_eq(unlink(path), 0);
	path_of(path, sizeof(path), "journal-0000000000000064.cvj");
	cr_assert_eq(unlink(path), 0);

	/* The first segment lost. */
	path_of(path, sizeof(path), "journal-0000000000000000.cvj");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);
	cr_assert_null(other);
}

Test(posix, a_segment_name_that_is_no_file_is_corrupt)
{
	char path[512];
	path_of(path, sizeof(path), "journal-0000000000000000.cvj");
	cr_assert_eq(mkdir(path, 0700), 0);
	let_go_of_the_folder();
	struct cv_posix_storage *other = NULL;
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);
	cr_assert_eq(rmdir(path), 0);
}

Test(posix, stray_files_are_ignored)
{
	static const char *const strays[] = {
		"notes.txt",
		"journal-0000000000000000.cvj.tmp",
		"journal-000000000000000A.cvj", /* Uppercase: not a name we write. */
		"journal-0.cvj",
		"journal-00000000000000000.cvj",
		"xjournal-0000000000000000.cvj",
	};
	for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++)
		write_file(strays[i], "junk", 4, O_EXCL);
	reopen_store();
	cr_assert_eq(cv_posix_storage_segment_count(store), 0);
	cr_assert_eq(cv_posix_storage_length(store), 0);
	append_records(0, 3);
	sync_and_expect(3);
	reopen_store();
	expect_records(3);
	for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++)
		cr_assert_eq(file_size(strays[i]), 4, "%s untouched", strays[i]);
}

Test(posix, bad_configurations_are_refused)
{
	struct cv_posix_storage_config config;
	struct cv_posix_storage *other = (struct cv_posix_storage *)&other;
	char missing[128];
	cv_posix_storage_config_default(&config);
	cr_assert_eq(config.segment_size_bytes, 4u * 1024u * 1024u);
	cr_assert_null(config.directory);
	cr_assert_eq(cv_posix_storage_open(&config, &other), CV_E_INVAL, "no directory");
	cr_assert_null(other);
	cr_assert_eq(cv_posix_storage_open(NULL, &other), CV_E_INVAL);
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	config.directory = missing;
	cr_assert_eq(cv_posix_storage_open(&config, &other), CV_E_NOT_FOUND, "never created");
	cr_assert_eq(access(missing, F_OK), -1);
	write_file("plain", "x", 1, O_EXCL);
	snprintf(missing, sizeof(missing), "%s/plain", dir);
	cr_assert_eq(cv_posix_storage_open(&config, &other), CV_E_IO, "a file is no directory");
	config.directory = dir;
	config.segment_size_bytes = CV_POSIX_STORAGE_SEGMENT_SIZE_MIN - 1;
	cr_assert_eq(cv_posix_storage_open(&config, &other), CV_E_INVAL);
	cr_assert_null(other);
	cr_assert_eq(cv_posix_storage_open(&config, NULL), CV_E_INVAL);
}

Test(posix, a_record_bigger_than_a_segment_is_invalid)
{
	static uint8_t big[SEGMENT_SIZE + 1];
	cr_assert_eq(ops->append(store, 1, big, sizeof(big)), CV_E_INVAL);
	cr_assert_eq(ops->append(store, 1, big, 0), CV_E_INVAL);
	cr_assert_eq(cv_posix_storage_length(store), 0);
	cr_assert_eq(cv_posix_storage_segment_count(store), 0, "nothing created for it");
	cr_assert_eq(ops->append(store, 1, big, SEGMENT_SIZE), CV_OK, "an exact fit is fine");
	cr_assert_eq(ops->append(store, 2, big, 1), CV_OK);
	cr_assert_eq(cv_posix_storage_segment_count(store), 2);
	cr_assert_eq(cv_posix_storage_length(store), SEGMENT_SIZE + 1);
}

/* RLIMIT_FSIZE makes write() really fail (EFBIG), or stop short when a
 * record crosses the limit; the signal it also raises is ignored. */
static void limit_file_size(rlim_t bytes)
{
	struct rlimit limit;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &limit), 0);
	limit.rlim_cur = bytes;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
}

Test(posix, a_failed_write_leaves_no_partial_record_and_is_final_until_reopened)
{
	cr_assert_neq(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	struct rlimit saved;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
	append_records(0, 10);
	uint8_t rec[RECORD_SIZE];
	make_record(rec, sizeof(rec), 10);

	limit_file_size(10 * RECORD_SIZE + RECORD_SIZE / 2); /* A short write. */
	cr_assert_eq(ops->append(store, 11, rec, sizeof(rec)), CV_E_IO);
	cr_assert_eq(cv_posix_storage_length(store), 10 * RECORD_SIZE);
	cr_assert_eq(segment_file_size(0), 10 * RECORD_SIZE, "the half record was cut off");
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
	/* The disk would take it now, but a failed write is final: nothing
	 * more is appended or called durable until the storage is reopened. */
	cr_assert_eq(ops->append(store, 11, rec, sizeof(rec)), CV_E_IO);
	cr_assert_eq(ops->sync(store, 10), CV_E_IO);
	reopen_store();
	expect_records(10);

	limit_file_size(10 * RECORD_SIZE); /* No byte at all. */
	cr_assert_eq(ops->append(store, 11, rec, sizeof(rec)), CV_E_IO);
	cr_assert_eq(cv_posix_storage_length(store), 10 * RECORD_SIZE);
	cr_assert_eq(segment_file_size(0), 10 * RECORD_SIZE);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
	reopen_store();
	append_records(10, 5);
	sync_and_expect(15);
	expect_records(15);
	reopen_store();
	expect_records(15);
}

/* ---- Checkpoints and trimming -------------------------------------------- */

#define CHECKPOINT_FILE "checkpoint"
#define CHECKPOINT_TMP "checkpoint.tmp"

/* Number of segment files in dir, and the lowest start among them. */
static unsigned count_segment_files(uint64_t *first_start)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	unsigned n = 0;
	uint64_t first = UINT64_MAX;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		unsigned long long start;
		char tail[8];
		if (strlen(e->d_name) == 28 && sscanf(e->d_name, "journal-%16llx%7s", &start, tail) == 2 &&
		    strcmp(tail, ".cvj") == 0) {
			n++;
			if (start < first)
				first = start;
		}
	}
	closedir(d);
	if (first_start != NULL)
		*first_start = first;
	return n;
}

/* Reads a whole small file of dir; returns its length. */
static size_t read_whole(const char *name, uint8_t *buf, size_t size)
{
	char path[512];
	path_of(path, sizeof(path), name);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s missing", name);
	ssize_t n = read(fd, buf, size);
	close(fd);
	cr_assert_geq(n, 0);
	return (size_t)n;
}

static void expect_checkpoint(uint64_t offset, uint64_t seq)
{
	uint64_t got_offset = 0, got_seq = 0;
	cr_assert_eq(ops->checkpoint_get(store, &got_offset, &got_seq), CV_OK);
	cr_assert_eq(got_offset, offset);
	cr_assert_eq(got_seq, seq);
}

/* Record k of RECORD_SIZE bytes is readable at its offset. */
static void expect_record_at(unsigned k)
{
	uint8_t got[RECORD_SIZE], want[RECORD_SIZE];
	size_t n = 0;
	make_record(want, sizeof(want), k);
	cr_assert_eq(ops->read(store, (uint64_t)k * RECORD_SIZE, got, sizeof(got), &n), CV_OK, "record %u", k);
	cr_assert_eq(n, sizeof(got));
	cr_assert_eq(memcmp(got, want, sizeof(got)), 0, "record %u", k);
}

static void expect_trimmed(uint64_t offset)
{
	uint8_t byte;
	size_t n = 7;
	cr_assert_eq(ops->read(store, offset, &byte, 1, &n), CV_E_NOT_FOUND, "offset %" PRIu64, offset);
	cr_assert_eq(n, 0);
}

Test(posix, no_checkpoint_is_remembered_at_first)
{
	uint64_t offset = 11, seq = 12;
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_NOT_FOUND);
	append_records(0, 5);
	sync_and_expect(5);
	reopen_store();
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_NOT_FOUND);
	cr_assert_eq(file_size(CHECKPOINT_FILE), -1);
	cr_assert_eq(ops->checkpoint_get(store, NULL, &seq), CV_E_INVAL);
}

Test(posix, a_checkpoint_is_remembered_across_reopening)
{
	append_records(0, 45);
	sync_and_expect(45);
	cr_assert_eq(ops->checkpoint_set(store, SEGMENT_BYTES + 3 * RECORD_SIZE, 24), CV_OK);
	expect_checkpoint(SEGMENT_BYTES + 3 * RECORD_SIZE, 24);
	cr_assert_eq(file_size(CHECKPOINT_FILE), 28);
	cr_assert_eq(file_size(CHECKPOINT_TMP), -1, "renamed, not left behind");
	char path[512];
	struct stat st;
	path_of(path, sizeof(path), CHECKPOINT_FILE);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	reopen_store();
	expect_checkpoint(SEGMENT_BYTES + 3 * RECORD_SIZE, 24);
	/* A later one replaces it; the end of the journal is a valid place too. */
	cr_assert_eq(ops->checkpoint_set(store, 45 * RECORD_SIZE, 0x123456789abcdefull), CV_OK);
	expect_checkpoint(45 * RECORD_SIZE, 0x123456789abcdefull);
	reopen_store();
	expect_checkpoint(45 * RECORD_SIZE, 0x123456789abcdefull);
	expect_records(45);
}

Test(posix, a_checkpoint_outside_the_journal_is_invalid)
{
	cr_assert_eq(ops->checkpoint_set(store, 1, 1), CV_E_INVAL, "an empty journal has only offset 0");
	append_records(0, 10);
	cr_assert_eq(ops->checkpoint_set(store, 10 * RECORD_SIZE + 1, 3), CV_E_INVAL);
	cr_assert_eq(ops->checkpoint_set(store, UINT64_MAX, 3), CV_E_INVAL);
	uint64_t offset, seq;
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_NOT_FOUND, "nothing was written");
	cr_assert_eq(file_size(CHECKPOINT_FILE), -1);
	cr_assert_eq(ops->checkpoint_set(store, 4 * RECORD_SIZE, 5), CV_OK);
	cr_assert_eq(ops->checkpoint_set(store, 11 * RECORD_SIZE, 12), CV_E_INVAL);
	expect_checkpoint(4 * RECORD_SIZE, 5);
}

/* The good checkpoint file back, and the test's storage open on it again. */
static void open_store_after_damage(const uint8_t *good, size_t length)
{
	write_file(CHECKPOINT_FILE, good, length, O_TRUNC);
	if (store == NULL)
		open_store();
}

Test(posix, a_damaged_checkpoint_file_is_corrupt)
{
	append_records(0, 30);
	sync_and_expect(30);
	cr_assert_eq(ops->checkpoint_set(store, 25 * RECORD_SIZE, 26), CV_OK);
	uint8_t good[64];
	size_t length = read_whole(CHECKPOINT_FILE, good, sizeof(good));
	cr_assert_eq(length, 28);
	uint64_t offset, seq;
	struct cv_posix_storage *other = (struct cv_posix_storage *)&other;

	/* Each byte flipped in turn: the magic, the version, the values or the
	 * CRC; seen by checkpoint_get(), then by another opener. */
	for (int opener = 0; opener < 2; opener++) {
		if (opener)
			let_go_of_the_folder();
		for (size_t i = 0; i < length; i++) {
			uint8_t bad[64];
			memcpy(bad, good, length);
			bad[i] ^= 0x10;
			write_file(CHECKPOINT_FILE, bad, length, O_TRUNC);
			if (!opener) {
				cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_CORRUPT, "byte %zu", i);
				continue;
			}
			cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT, "byte %zu", i);
			cr_assert_null(other);
		}
	}
	open_store_after_damage(good, length);
	/* Too short, too long, empty. */
	write_file(CHECKPOINT_FILE, good, length - 1, O_TRUNC);
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_CORRUPT);
	write_file(CHECKPOINT_FILE, good, length + 1, O_TRUNC);
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_CORRUPT);
	write_file(CHECKPOINT_FILE, good, 0, O_TRUNC);
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_CORRUPT);
	let_go_of_the_folder();
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);

	open_store_after_damage(good, length);
	expect_checkpoint(25 * RECORD_SIZE, 26);
	reopen_store();
	expect_checkpoint(25 * RECORD_SIZE, 26);
}

/* The file is as documented: "CVCP", version, offset, seq, CRC32C of the 24
 * bytes before it, little-endian; another version is not read. */
static void put_le(uint8_t *p, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8u * i));
}

Test(posix, the_checkpoint_file_has_the_documented_layout)
{
	append_records(0, 30);
	cr_assert_eq(ops->checkpoint_set(store, 0x1234, 0x0102030405060708ull), CV_OK);
	uint8_t file[64], want[28];
	cr_assert_eq(read_whole(CHECKPOINT_FILE, file, sizeof(file)), sizeof(want));
	memcpy(want, "CVCP", 4);
	put_le(want + 4, 1, 4);
	put_le(want + 8, 0x1234, 8);
	put_le(want + 16, 0x0102030405060708ull, 8);
	put_le(want + 24, cv_crc32c(0, want, 24), 4);
	cr_assert_eq(memcmp(file, want, sizeof(want)), 0);

	/* One written by hand is read. */
	put_le(want + 8, 17 * RECORD_SIZE, 8);
	put_le(want + 24, cv_crc32c(0, want, 24), 4);
	write_file(CHECKPOINT_FILE, want, sizeof(want), O_TRUNC);
	expect_checkpoint(17 * RECORD_SIZE, 0x0102030405060708ull);

	/* A later format version, though its CRC32C matches, is not. */
	put_le(want + 4, 2, 4);
	put_le(want + 24, cv_crc32c(0, want, 24), 4);
	write_file(CHECKPOINT_FILE, want, sizeof(want), O_TRUNC);
	uint64_t offset, seq;
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_CORRUPT);
}

Test(posix, a_checkpoint_pointing_past_the_segments_is_corrupt)
{
	append_records(0, 25);
	sync_and_expect(25);
	cr_assert_eq(ops->checkpoint_set(store, 22 * RECORD_SIZE, 23), CV_OK);
	cv_posix_storage_close(store);
	store = NULL;
	/* The last segment lost: the rest is contiguous, but the checkpoint is gone. */
	char path[512];
	path_of(path, sizeof(path), "journal-0000000000000fa0.cvj");
	uint8_t saved[5 * RECORD_SIZE];
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, saved, sizeof(saved)), (ssize_t)sizeof(saved));
	close(fd);
	cr_assert_eq(unlink(path), 0);
	let_go_of_the_folder();
	struct cv_posix_storage *other = (struct cv_posix_storage *)&other;
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);
	cr_assert_null(other);
	write_file("journal-0000000000000fa0.cvj", saved, sizeof(saved), O_EXCL);
	open_store();
	expect_checkpoint(22 * RECORD_SIZE, 23);

	/* The same seen by checkpoint_get(): a file for an end the journal no
	 * longer reaches. */
	uint8_t far[64];
	size_t length = read_whole(CHECKPOINT_FILE, far, sizeof(far));
	cr_assert_eq(ops->checkpoint_set(store, 5 * RECORD_SIZE, 6), CV_OK);
	cr_assert_eq(ops->truncate(store, 10 * RECORD_SIZE), CV_OK);
	write_file(CHECKPOINT_FILE, far, length, O_TRUNC);
	uint64_t offset, seq;
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_CORRUPT);
	let_go_of_the_folder();
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT);
}

Test(posix, a_leftover_checkpoint_tmp_is_ignored_and_removed)
{
	append_records(0, 30);
	sync_and_expect(30);
	/* A tmp file alone: a first checkpoint_set() cut before its rename. */
	cr_assert_eq(ops->checkpoint_set(store, 20 * RECORD_SIZE, 21), CV_OK);
	uint8_t bytes[64];
	size_t length = read_whole(CHECKPOINT_FILE, bytes, sizeof(bytes));
	char path[512];
	path_of(path, sizeof(path), CHECKPOINT_FILE);
	cr_assert_eq(unlink(path), 0);
	write_file(CHECKPOINT_TMP, bytes, length, O_EXCL);
	reopen_store();
	uint64_t offset, seq;
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_E_NOT_FOUND, "a tmp file is never read");
	cr_assert_eq(file_size(CHECKPOINT_TMP), -1, "removed on open");

	/* Next to a real one: a later checkpoint_set() cut before its rename. */
	cr_assert_eq(ops->checkpoint_set(store, 10 * RECORD_SIZE, 11), CV_OK);
	write_file(CHECKPOINT_TMP, bytes, length, O_EXCL);
	expect_checkpoint(10 * RECORD_SIZE, 11);
	reopen_store();
	expect_checkpoint(10 * RECORD_SIZE, 11);
	cr_assert_eq(file_size(CHECKPOINT_TMP), -1);
	/* Half written, or garbage: just as well ignored. */
	write_file(CHECKPOINT_TMP, "junk", 4, O_EXCL);
	reopen_store();
	expect_checkpoint(10 * RECORD_SIZE, 11);
	write_file(CHECKPOINT_TMP, "junk", 4, O_EXCL);
	cr_assert_eq(ops->checkpoint_set(store, 12 * RECORD_SIZE, 13), CV_OK, "a stale tmp is overwritten");
	expect_checkpoint(12 * RECORD_SIZE, 13);
	cr_assert_eq(file_size(CHECKPOINT_TMP), -1);
}

Test(posix, trim_unlinks_exactly_the_segments_wholly_before_the_offset)
{
	append_records(0, 5 * RECORDS_PER_SEGMENT); /* Segments 0..4, 20 records each. */
	sync_and_expect(5 * RECORDS_PER_SEGMENT);
	cr_assert_eq(count_segment_files(NULL), 5);
	uint64_t checkpoint = 3 * SEGMENT_BYTES + 7 * RECORD_SIZE;
	cr_assert_eq(ops->checkpoint_set(store, checkpoint, 68), CV_OK);
	uint8_t byte;
	size_t n = 0;
	cr_assert_eq(ops->read(store, 0, &byte, 1, &n), CV_OK); /* Caches segment 0's fd. */

	/* At a boundary: segments 0 and 1 end at or before it. */
	cr_assert_eq(ops->trim(store, 2 * SEGMENT_BYTES), CV_OK);
	uint64_t first = 0;
	cr_assert_eq(count_segment_files(&first), 3);
	cr_assert_eq(first, 2 * SEGMENT_BYTES);
	cr_assert_eq(cv_posix_storage_segment_count(store), 3);
	cr_assert_eq(cv_posix_storage_length(store), 5 * SEGMENT_BYTES, "offsets do not move");
	expect_trimmed(0);
	expect_trimmed(SEGMENT_BYTES);
	expect_trimmed(2 * SEGMENT_BYTES - 1);
	expect_record_at(2 * RECORDS_PER_SEGMENT);
	expect_record_at(5 * RECORDS_PER_SEGMENT - 1);

	/* Inside a segment: the one holding the offset stays whole. The
	 * segment last read moves down the list: no read may take it for
	 * another. */
	expect_record_at(3 * RECORDS_PER_SEGMENT + 5);
	cr_assert_eq(ops->trim(store, 3 * SEGMENT_BYTES + 2 * RECORD_SIZE), CV_OK);
	cr_assert_eq(count_segment_files(&first), 2);
	cr_assert_eq(first, 3 * SEGMENT_BYTES);
	expect_record_at(4 * RECORDS_PER_SEGMENT + 3);
	expect_trimmed(3 * SEGMENT_BYTES - 1);
	expect_record_at(3 * RECORDS_PER_SEGMENT);
	expect_record_at(3 * RECORDS_PER_SEGMENT + 1);
	cr_assert_eq(ops->trim(store, checkpoint), CV_OK, "nothing more lies wholly before it");
	cr_assert_eq(count_segment_files(NULL), 2);

	/* A reopened journal starts at its first segment and goes on. */
	reopen_store();
	cr_assert_eq(cv_posix_storage_segment_count(store), 2);
	cr_assert_eq(cv_posix_storage_length(store), 5 * SEGMENT_BYTES);
	expect_checkpoint(checkpoint, 68);
	expect_trimmed(0);
	expect_trimmed(3 * SEGMENT_BYTES - 1);
	for (unsigned k = 3 * RECORDS_PER_SEGMENT; k < 5 * RECORDS_PER_SEGMENT; k++)
		expect_record_at(k);
	append_records(5 * RECORDS_PER_SEGMENT, 3);
	sync_and_expect(5 * RECORDS_PER_SEGMENT + 3);
	reopen_store();
	expect_record_at(5 * RECORDS_PER_SEGMENT + 2);
	cr_assert_eq(cv_posix_storage_length(store), 5 * SEGMENT_BYTES + 3 * RECORD_SIZE);
}

Test(posix, trim_keeps_the_current_segment)
{
	append_records(0, 2 * RECORDS_PER_SEGMENT); /* Two full segments, the second current. */
	sync_and_expect(2 * RECORDS_PER_SEGMENT);
	cr_assert_eq(ops->checkpoint_set(store, 2 * SEGMENT_BYTES, 41), CV_OK);
	cr_assert_eq(ops->trim(store, 2 * SEGMENT_BYTES), CV_OK);
	uint64_t first = 0;
	cr_assert_eq(count_segment_files(&first), 1, "the current segment stays, though wholly before");
	cr_assert_eq(first, SEGMENT_BYTES);
	expect_record_at(RECORDS_PER_SEGMENT);
	append_records(2 * RECORDS_PER_SEGMENT, 1);
	sync_and_expect(2 * RECORDS_PER_SEGMENT + 1);
	cr_assert_eq(segment_file_size(2 * SEGMENT_BYTES), RECORD_SIZE);
	reopen_store();
	expect_record_at(2 * RECORDS_PER_SEGMENT);
	expect_trimmed(SEGMENT_BYTES - 1);
}

Test(posix, trim_never_passes_the_remembered_checkpoint)
{
	append_records(0, 3 * RECORDS_PER_SEGMENT);
	sync_and_expect(3 * RECORDS_PER_SEGMENT);
	cr_assert_eq(ops->trim(store, SEGMENT_BYTES), CV_E_INVAL, "no checkpoint, nothing to trim behind");
	cr_assert_eq(count_segment_files(NULL), 3);
	cr_assert_eq(ops->trim(store, 0), CV_OK, "trimming nothing is fine");

	cr_assert_eq(ops->checkpoint_set(store, SEGMENT_BYTES + RECORD_SIZE, 22), CV_OK);
	cr_assert_eq(ops->trim(store, 2 * SEGMENT_BYTES), CV_E_INVAL, "past the checkpoint");
	cr_assert_eq(ops->trim(store, SEGMENT_BYTES + RECORD_SIZE + 1), CV_E_INVAL);
	cr_assert_eq(ops->trim(store, 1u << 30), CV_E_INVAL, "past the end");
	cr_assert_eq(count_segment_files(NULL), 3, "a refused trim unlinks nothing");
	expect_record_at(0);
	cr_assert_eq(ops->trim(store, SEGMENT_BYTES + RECORD_SIZE), CV_OK);
	cr_assert_eq(count_segment_files(NULL), 2);

	/* Below the journal's start: nothing there any more. */
	cr_assert_eq(ops->trim(store, SEGMENT_BYTES - 1), CV_E_INVAL);
	cr_assert_eq(ops->checkpoint_set(store, SEGMENT_BYTES - 1, 20), CV_E_INVAL, "trimmed away");
	expect_checkpoint(SEGMENT_BYTES + RECORD_SIZE, 22);

	reopen_store();
	cr_assert_eq(ops->trim(store, 2 * SEGMENT_BYTES), CV_E_INVAL, "the limit comes back from the file");
}

Test(posix, truncate_keeps_a_trimmed_journal_and_its_checkpoint)
{
	append_records(0, 3 * RECORDS_PER_SEGMENT);
	sync_and_expect(3 * RECORDS_PER_SEGMENT);
	cr_assert_eq(ops->checkpoint_set(store, 2 * SEGMENT_BYTES + RECORD_SIZE, 42), CV_OK);
	cr_assert_eq(ops->truncate(store, 2 * SEGMENT_BYTES), CV_E_INVAL, "below the checkpoint");
	cr_assert_eq(ops->truncate(store, SEGMENT_BYTES / 2), CV_E_INVAL);
	cr_assert_eq(count_segment_files(NULL), 3);
	cr_assert_eq(cv_posix_storage_length(store), 3 * SEGMENT_BYTES, "a refused cut cuts nothing");
	cr_assert_eq(ops->checkpoint_set(store, SEGMENT_BYTES, 21), CV_OK);
	cr_assert_eq(ops->trim(store, SEGMENT_BYTES), CV_OK);
	cr_assert_eq(ops->truncate(store, SEGMENT_BYTES - 1), CV_E_INVAL, "before the journal's start");
	cr_assert_eq(count_segment_files(NULL), 2);
	/* Down to the checkpoint, which is the journal's start: the first
	 * segment stays, empty, so the journal still begins there. */
	cr_assert_eq(ops->truncate(store, SEGMENT_BYTES), CV_OK);
	uint64_t first = 0;
	cr_assert_eq(count_segment_files(&first), 1);
	cr_assert_eq(first, SEGMENT_BYTES);
	cr_assert_eq(segment_file_size(SEGMENT_BYTES), 0);
	cr_assert_eq(cv_posix_storage_length(store), SEGMENT_BYTES);
	reopen_store();
	cr_assert_eq(cv_posix_storage_length(store), SEGMENT_BYTES);
	expect_checkpoint(SEGMENT_BYTES, 21);
	append_records(RECORDS_PER_SEGMENT, 2);
	sync_and_expect(RECORDS_PER_SEGMENT + 2);
	reopen_store();
	expect_record_at(RECORDS_PER_SEGMENT + 1);
	expect_trimmed(0);
}

Test(posix, a_trimmed_journal_without_its_checkpoint_is_corrupt)
{
	append_records(0, 3 * RECORDS_PER_SEGMENT);
	sync_and_expect(3 * RECORDS_PER_SEGMENT);
	cr_assert_eq(ops->checkpoint_set(store, 2 * SEGMENT_BYTES, 41), CV_OK);
	cr_assert_eq(ops->trim(store, 2 * SEGMENT_BYTES), CV_OK);
	cv_posix_storage_close(store);
	store = NULL;
	char path[512];
	path_of(path, sizeof(path), CHECKPOINT_FILE);
	cr_assert_eq(unlink(path), 0);
	struct cv_posix_storage *other = (struct cv_posix_storage *)&other;
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &other), CV_E_CORRUPT, "its start is lost");
	cr_assert_null(other);
}

/* ---- The engine journaling into files ------------------------------------ */

static void engine_init(void)
{
	make_dir();
	rig_setup();
}

static void engine_fini(void)
{
	rig_teardown();
	cv_posix_storage_close(store);
	store = NULL;
	remove_dir();
}

TestSuite(posix_engine, .init = engine_init, .fini = engine_fini);

#define VENDS 12

static void run_vends(void)
{
	for (uint16_t i = 0; i < VENDS; i++)
		rig_vend_ok((uint16_t)(i % RIG_LANES));
	/* The final records guard no side effect: they are synced within flush_ms. */
	rig_step(rig.config.timeouts.flush_ms);
}

/* Starts the rig's machine on the files in dir. */
static void start_on_files(void)
{
	cr_assert_eq(open_store_sized(SEGMENT_SIZE, &store), CV_OK);
	rig.config.storage = &cv_posix_storage_ops;
	rig.config.storage_ctx = store;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

/* A power cut and a restart: the machine and the storage are gone, the
 * files stay. */
static void restart_on_files(void)
{
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cv_posix_storage_close(store);
	store = NULL;
	rig.event_count = 0;
	rig.payment_count = 0;
	rig.motor_count = 0;
	start_on_files();
}

Test(posix_engine, the_files_hold_what_ram_storage_would)
{
	/* The same vends on RAM storage first: the rig is deterministic. */
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
	run_vends();
	static uint8_t ram[1 << 16];
	size_t ram_length = rig.storage.length;
	memcpy(ram, rig.journal, ram_length);
	rig_teardown();

	rig_setup();
	start_on_files();
	run_vends();
	cr_assert_eq(cv_posix_storage_length(store), ram_length);
	cr_assert_gt(cv_posix_storage_segment_count(store), 1, "%zu bytes fit one segment", ram_length);
	static uint8_t files[1 << 16];
	size_t n = 0;
	cr_assert_eq(ops->read(store, 0, files, sizeof(files), &n), CV_OK);
	cr_assert_eq(n, ram_length);
	cr_assert_eq(memcmp(files, ram, ram_length), 0);

	/* Every segment file holds whole records. */
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(&cv_posix_storage_ops, store, 0, 1, NULL, NULL, NULL, &scan), CV_OK);
	cr_assert_eq(scan.valid_length, ram_length);
	cr_assert_eq(scan.torn_bytes, 0);
	cr_assert_eq(rig.m->durable_seq, rig.m->last_seq, "every completion arrived");
	cr_log_info("%" PRIu64 " fdatasync calls for %d vends", cv_posix_storage_sync_count(store), VENDS);
}

Test(posix_engine, a_restart_reads_the_files_and_goes_on)
{
	start_on_files();
	uint32_t last = 0;
	for (unsigned i = 0; i < 4; i++)
		last = rig_vend_ok((uint16_t)i);
	uint64_t length = cv_posix_storage_length(store);
	restart_on_files();
	cr_assert_eq(rig_count(CV_EVENT_RECOVERY), 0, "a clean journal needs no recovery");
	cr_assert_eq(rig_lane(0).config.count, 4, "stock came back from the files");
	cr_assert_geq(cv_posix_storage_length(store), length);
	uint32_t next = rig_vend_ok(0);
	cr_assert_gt(next, last, "vend numbers go on after a restart");
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(&cv_posix_storage_ops, store, 0, 1, NULL, NULL, NULL, &scan), CV_OK);
	cr_assert_eq(scan.valid_length, cv_posix_storage_length(store));
}

/* The segment file with the highest start offset. */
static uint64_t last_segment_file(char name[300])
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	uint64_t best = 0;
	struct dirent *e;
	name[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		unsigned long long start;
		if (sscanf(e->d_name, "journal-%16llx.cvj", &start) == 1 && start >= best) {
			best = start;
			snprintf(name, 300, "%s", e->d_name);
		}
	}
	closedir(d);
	cr_assert_neq(name[0], '\0');
	return best;
}

Test(posix_engine, a_torn_tail_in_the_files_is_cut_on_restart)
{
	start_on_files();
	rig_vend_ok(0);
	uint64_t length = cv_posix_storage_length(store);
	cv_machine_deinit(rig.m);
	rig.m = NULL;
	cv_posix_storage_close(store);
	store = NULL;
	/* Half a record, as a power cut in the middle of write() leaves it. */
	static const uint8_t torn[] = {60, 0, 0, 0, 3, 0, 0, 0, 2, 0};
	char name[300];
	uint64_t start = last_segment_file(name);
	write_file(name, torn, sizeof(torn), O_APPEND);
	cr_assert_eq((uint64_t)file_size(name), length + sizeof(torn) - start);

	rig.event_count = 0;
	start_on_files();
	const struct cv_recovery *recovery = NULL;
	for (unsigned i = 0; i < rig.event_count; i++)
		if (rig.events[i].type == CV_EVENT_RECOVERY)
			recovery = &rig.events[i].u.recovery;
	cr_assert_not_null(recovery);
	cr_assert_eq(recovery->action, CV_RECOVERY_TAIL_TRUNCATED);
	cr_assert_eq(recovery->torn_bytes, sizeof(torn));
	rig_vend_ok(1);
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(&cv_posix_storage_ops, store, 0, 1, NULL, NULL, NULL, &scan), CV_OK);
	cr_assert_eq(scan.torn_bytes, 0, "what came after the cut is whole");
	cr_assert_eq(scan.valid_length, cv_posix_storage_length(store));
	cr_assert_gt(scan.valid_length, length);
}

/* ---- The engine checkpointing and trimming the files ---------------------- */

#define SEEN_MAX 4096

/* Segment starts ever seen in dir, to tell how many were created. */
static uint64_t seen[SEEN_MAX];
static unsigned seen_count;

static void note_segments(void)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		unsigned long long start;
		if (sscanf(e->d_name, "journal-%16llx.cvj", &start) != 1)
			continue;
		bool known = false;
		for (unsigned i = 0; i < seen_count && !known; i++)
			known = seen[i] == start;
		if (!known) {
			cr_assert_lt(seen_count, SEEN_MAX);
			seen[seen_count++] = start;
		}
	}
	closedir(d);
}

/* Sells, refilling empty lanes, until the first segment on disk starts
 * past `beyond`; returns the last vend number. */
static uint32_t sell_until_trimmed_past(uint64_t beyond)
{
	uint32_t last = 0;
	uint64_t first = 0;
	for (unsigned i = 0; i < 600; i++) {
		uint16_t lane = (uint16_t)(i % RIG_LANES);
		if (rig_lane(lane).config.count == 0) {
			cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
			cr_assert_eq(cv_machine_lane_refill(rig.m, lane, 10), CV_OK);
			cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
		}
		last = rig_vend_ok(lane);
		rig_step(rig.config.timeouts.flush_ms);
		note_segments();
		count_segment_files(&first);
		if (first > beyond)
			return last;
	}
	cr_assert_fail("the journal was never trimmed past %" PRIu64, beyond);
	return last;
}

Test(posix_engine, checkpoints_trim_the_files_and_a_restart_reads_from_them)
{
	seen_count = 0;
	rig.config.checkpoint_records = 256;
	start_on_files();
	uint32_t last = sell_until_trimmed_past(0);
	uint64_t first = 0;
	unsigned files = count_segment_files(&first);
	cr_assert_lt(files, seen_count, "%u segment files of %u created", files, seen_count);
	cr_assert_eq(segment_file_size(0), -1);
	uint64_t offset = 0, seq = 0;
	cr_assert_eq(ops->checkpoint_get(store, &offset, &seq), CV_OK);
	cr_assert_geq(offset, first, "the remembered checkpoint is kept");
	cr_assert_lt(offset, cv_posix_storage_length(store));
	cr_log_info("%u segment files of %u, first at %" PRIu64 ", checkpoint at %" PRIu64 " (seq %" PRIu64 ")", files,
		    seen_count, first, offset, seq);

	/* A restart: the files, opened afresh, rebuild the same machine. */
	struct cv_lane_info before[RIG_LANES];
	for (uint16_t i = 0; i < RIG_LANES; i++)
		before[i] = rig_lane(i);
	restart_on_files();
	cr_assert_eq(rig_count(CV_EVENT_RECOVERY), 0, "a clean journal needs no recovery");
	for (uint16_t i = 0; i < RIG_LANES; i++) {
		struct cv_lane_info after = rig_lane(i);
		cr_assert_eq(after.config.count, before[i].config.count, "lane %u count", i);
		cr_assert_eq(after.config.price_minor, before[i].config.price_minor, "lane %u price", i);
		cr_assert_str_eq(after.config.product_name, before[i].config.product_name);
	}
	uint32_t next = sell_until_trimmed_past(first);
	cr_assert_gt(next, last, "vend numbers go on after a restart");

	/* Trimmed again after the restart, and the files still open. */
	for (uint16_t i = 0; i < RIG_LANES; i++)
		before[i] = rig_lane(i);
	restart_on_files();
	for (uint16_t i = 0; i < RIG_LANES; i++)
		cr_assert_eq(rig_lane(i).config.count, before[i].config.count, "lane %u count", i);
	cr_assert_gt(rig_vend_ok(0), next);
	cr_assert_lt(count_segment_files(NULL), seen_count);
}

/* ---- One journal, one writer -------------------------------------------- */

static enum cv_status open_second(char *why, size_t why_size, struct cv_posix_storage **out)
{
	struct cv_posix_storage_config config;
	cv_posix_storage_config_default(&config);
	config.directory = dir;
	return cv_posix_storage_open_with_error(&config, out, why, why_size);
}

Test(posix, a_second_storage_on_the_same_folder_in_this_process_is_refused)
{
	struct cv_posix_storage *second = NULL;
	char why[CV_POSIX_STORAGE_ERROR_LEN];
	cr_assert_eq(open_second(why, sizeof(why), &second), CV_E_BUSY);
	cr_assert_null(second);
	char pid[32];
	snprintf(pid, sizeof(pid), "process %ld", (long)getpid());
	cr_assert(strstr(why, dir) != NULL && strstr(why, pid) != NULL, "the message names the folder and %s: %s", pid,
		  why);
	/* Closed, the folder is free again. */
	cv_posix_storage_close(store);
	store = NULL;
	cr_assert_eq(open_second(why, sizeof(why), &store), CV_OK);
	cr_assert_str_empty(why);
	cr_assert_eq(ops->open(store, rig.m), CV_OK);
}

Test(posix, a_folder_held_by_another_process_is_refused_until_it_dies)
{
	cv_posix_storage_close(store);
	store = NULL;
	int ready[2];
	cr_assert_eq(pipe(ready), 0);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct cv_posix_storage *held = NULL;
		char byte = open_second(NULL, 0, &held) == CV_OK ? 'y' : 'n';
		(void)!write(ready[1], &byte, 1);
		for (;;)
			pause(); /* Holds the folder until killed. */
	}
	char byte = 0;
	cr_assert_eq(read(ready[0], &byte, 1), 1);
	cr_assert_eq(byte, 'y', "the child could not open the folder");
	char why[CV_POSIX_STORAGE_ERROR_LEN];
	struct cv_posix_storage *mine = NULL;
	cr_assert_eq(open_second(why, sizeof(why), &mine), CV_E_BUSY);
	char pid[32];
	snprintf(pid, sizeof(pid), "process %ld", (long)child);
	cr_assert(strstr(why, pid) != NULL, "the message names the holder, %s: %s", pid, why);
	/* SIGKILL: no cleanup runs, the kernel frees the lock. */
	kill(child, SIGKILL);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	close(ready[0]);
	close(ready[1]);
	cr_assert_eq(open_second(why, sizeof(why), &store), CV_OK, "after the holder died: %s", why);
	cr_assert_eq(ops->open(store, rig.m), CV_OK);
}
