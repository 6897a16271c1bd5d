/* SPDX-License-Identifier: MIT */
/* Internals of the POSIX file storage; never installed. */
#ifndef CANDYVEND_POSIX_PRIVATE_H
#define CANDYVEND_POSIX_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/storage_posix.h>

/* The library is built with hidden visibility: only these definitions are
 * exported. */
#if defined(__GNUC__)
#define CV_POSIX_EXPORT __attribute__((visibility("default")))
#else
#define CV_POSIX_EXPORT
#endif

/* "journal-" + 16 hex digits + ".cvj" + NUL. */
#define CV_POSIX_SEGMENT_NAME_SIZE 29

struct cv_posix_segment {
	uint64_t start; /* Logical offset of the first byte. */
	uint64_t size;  /* Bytes in the file that count. */
	bool dirty;     /* Written (or found on open) and not fdatasync'ed since. */
};

struct cv_posix_storage {
	int dir_fd;
	int lock_fd;  /* The file `lock`, flock()ed while open (posix_lock.c). */
	int write_fd; /* The last segment, O_WRONLY | O_APPEND; -1 if none. */
	int read_fd;  /* Segment read_index, opened for read(); -1 if none. */
	uint32_t read_index;
	uint64_t segment_size;
	struct cv_posix_segment *segments; /* CV_POSIX_STORAGE_SEGMENT_MAX entries. */
	uint32_t segment_count;
	uint64_t length; /* Logical length: end of the last segment. */
	uint64_t fdatasync_count;
	/* Set by any failed write, fdatasync, rename, directory sync or cut:
	 * the files may no longer match what is known of them, and after a
	 * failed fdatasync the kernel may have dropped the dirty pages, so a
	 * later fdatasync could succeed with nothing behind it. Every later
	 * append, sync, truncate, checkpoint and trim then fails, until the
	 * storage is closed and opened again (which reads only what is on disk). */
	bool broken;
	enum cv_status failure; /* What broke it: CV_E_FULL (disk full) or CV_E_IO. */
	/* The checkpoint the file `checkpoint` holds, as far as this storage
	 * knows it durable: the limit of trim(). */
	bool has_checkpoint;
	uint64_t checkpoint_offset;
	uint64_t checkpoint_seq;
	struct cv_machine *machine;
};

/* Marks the storage broken by a failure of status rc (CV_E_FULL or
 * CV_E_IO); the first failure's status is the one kept. */
static inline void cv_posix_break(struct cv_posix_storage *s, enum cv_status rc)
{
	if (!s->broken)
		s->failure = rc == CV_E_FULL ? CV_E_FULL : CV_E_IO;
	s->broken = true;
}

/* Where the journal's bytes begin: the first segment's start (above 0 once
 * trimmed), or the end when there is no segment. */
static inline uint64_t cv_posix_first_start(const struct cv_posix_storage *s)
{
	return s->segment_count > 0 ? s->segments[0].start : s->length;
}

/* posix_segment.c: files and the directory. Every function answers a status
 * (CV_OK or CV_E_IO unless told) and retries on EINTR. */
/* Marks the storage broken after a failed durable operation and says why:
 * CV_E_FULL when the disk is full (ENOSPC, EDQUOT), else CV_E_IO. */
enum cv_status cv_posix_failed(struct cv_posix_storage *s, int err);
void cv_posix_segment_name(char name[CV_POSIX_SEGMENT_NAME_SIZE], uint64_t start);
bool cv_posix_segment_parse(const char *name, uint64_t *start);
enum cv_status cv_posix_open_directory(const char *path, int *fd_out);
/* fsync of the directory; a failure breaks the storage. */
enum cv_status cv_posix_sync_directory(struct cv_posix_storage *s);
/* Lists, sizes and checks the segments of dir_fd into s->segments. */
enum cv_status cv_posix_scan(struct cv_posix_storage *s);
/* Opens segment index of s with flags (O_CLOEXEC added). */
enum cv_status cv_posix_segment_open(const struct cv_posix_storage *s, uint32_t index, int flags, int *fd_out);
/* Creates an empty segment starting at s->length, makes its name durable
 * and returns its fd (O_WRONLY | O_APPEND); a failure breaks the storage
 * (the name may or may not be on disk). */
enum cv_status cv_posix_segment_create(struct cv_posix_storage *s, int *fd_out);
/* Writes all of buf; a failure breaks the storage (CV_E_FULL: disk full). */
enum cv_status cv_posix_write_all(struct cv_posix_storage *s, int fd, const void *buf, size_t length);
/* Reads exactly length bytes at offset; a short file is CV_E_IO. */
enum cv_status cv_posix_pread_all(int fd, void *buf, size_t length, uint64_t offset);
/* fdatasync, counted; a failure breaks the storage. */
enum cv_status cv_posix_fdatasync(struct cv_posix_storage *s, int fd);
void cv_posix_close_fd(int *fd);

/* posix_lock.c: one journal, one writer. Takes the directory's lock:
 * CV_OK, CV_E_BUSY (another storage holds it: why names the directory and
 * the holder's PID) or CV_E_IO. */
enum cv_status cv_posix_lock(struct cv_posix_storage *s, const char *directory, char *why, size_t why_size);
/* Writes a message into why (why_size bytes, NUL included), if why is not NULL. */
void cv_posix_why(char *why, size_t why_size, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* posix_checkpoint.c: the file `checkpoint`, replaced atomically through
 * `checkpoint.tmp`. */
struct cv_posix_checkpoint {
	uint64_t offset;
	uint64_t seq;
	uint8_t tag[CV_STORAGE_TAG_MAX];
	size_t tag_length; /* 0: set without a tag. */
};
/* Reads it: CV_OK, CV_E_NOT_FOUND (no file), CV_E_CORRUPT (not one we
 * wrote whole) or CV_E_IO. */
enum cv_status cv_posix_checkpoint_load(const struct cv_posix_storage *s, struct cv_posix_checkpoint *cp);
/* Writes the tmp file, fdatasyncs it, renames it over `checkpoint` and
 * fsyncs the directory; on failure the tmp file is removed (best effort)
 * and the storage is broken. */
enum cv_status cv_posix_checkpoint_store(struct cv_posix_storage *s, const struct cv_posix_checkpoint *cp);
/* Removes a tmp file a crash left behind, if any. */
void cv_posix_checkpoint_remove_tmp(const struct cv_posix_storage *s);

#endif
