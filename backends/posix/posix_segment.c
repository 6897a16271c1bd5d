/* SPDX-License-Identifier: MIT */
/* Segment files and their directory: naming, listing, creating, and the
 * system calls with their EINTR and short-count loops. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_private.h"

#define CV_POSIX_PREFIX "journal-"
#define CV_POSIX_SUFFIX ".cvj"
#define CV_POSIX_PREFIX_LENGTH 8
#define CV_POSIX_HEX_DIGITS 16

/* Owner only: the journal holds card brands, last digits and auth codes. */
#define CV_POSIX_FILE_MODE 0600

void cv_posix_segment_name(char name[CV_POSIX_SEGMENT_NAME_SIZE], uint64_t start)
{
	snprintf(name, CV_POSIX_SEGMENT_NAME_SIZE, CV_POSIX_PREFIX "%016" PRIx64 CV_POSIX_SUFFIX, start);
}

/* Only the exact form we write is a segment: lowercase digits, no sign, no
 * other length. Anything else in the directory is not ours. */
bool cv_posix_segment_parse(const char *name, uint64_t *start)
{
	if (strlen(name) != CV_POSIX_SEGMENT_NAME_SIZE - 1 ||
	    strncmp(name, CV_POSIX_PREFIX, CV_POSIX_PREFIX_LENGTH) != 0 ||
	    strcmp(name + CV_POSIX_PREFIX_LENGTH + CV_POSIX_HEX_DIGITS, CV_POSIX_SUFFIX) != 0)
		return false;
	uint64_t value = 0;
	for (unsigned i = 0; i < CV_POSIX_HEX_DIGITS; i++) {
		char c = name[CV_POSIX_PREFIX_LENGTH + i];
		unsigned digit;
		if (c >= '0' && c <= '9')
			digit = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (unsigned)(c - 'a') + 10u;
		else
			return false;
		value = (value << 4) | digit;
	}
	*start = value;
	return true;
}

void cv_posix_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd); /* Nothing to retry: Linux releases the fd even on EINTR. */
	*fd = -1;
}

enum cv_status cv_posix_open_directory(const char *path, int *fd_out)
{
	int fd;
	do
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno == ENOENT ? CV_E_NOT_FOUND : CV_E_IO;
	*fd_out = fd;
	return CV_OK;
}

enum cv_status cv_posix_failed(struct cv_posix_storage *s, int err)
{
	enum cv_status rc = err == ENOSPC || err == EDQUOT ? CV_E_FULL : CV_E_IO;
	cv_posix_break(s, rc);
	return rc;
}

enum cv_status cv_posix_sync_directory(struct cv_posix_storage *s)
{
	int rc;
	do
		rc = fsync(s->dir_fd);
	while (rc != 0 && errno == EINTR);
	return rc == 0 ? CV_OK : cv_posix_failed(s, errno);
}

enum cv_status cv_posix_fdatasync(struct cv_posix_storage *s, int fd)
{
	int rc;
	s->fdatasync_count++;
	do
		rc = fdatasync(fd);
	while (rc != 0 && errno == EINTR);
	return rc == 0 ? CV_OK : cv_posix_failed(s, errno);
}

static int cv_posix_segment_compare(const void *a, const void *b)
{
	const struct cv_posix_segment *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* Adds one directory entry if it is a segment. */
static enum cv_status cv_posix_scan_entry(struct cv_posix_storage *s, const char *name)
{
	uint64_t start;
	struct stat st;
	if (!cv_posix_segment_parse(name, &start))
		return CV_OK;
	if (s->segment_count >= CV_POSIX_STORAGE_SEGMENT_MAX)
		return CV_E_FULL;
	if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return CV_E_IO;
	if (!S_ISREG(st.st_mode))
		return CV_E_CORRUPT;
	struct cv_posix_segment *seg = &s->segments[s->segment_count++];
	seg->start = start;
	seg->size = (uint64_t)st.st_size;
	seg->dirty = true; /* Whoever wrote it may have crashed before syncing. */
	return CV_OK;
}

static enum cv_status cv_posix_scan_list(struct cv_posix_storage *s)
{
	int fd = dup(s->dir_fd);
	if (fd < 0)
		return CV_E_IO;
	DIR *dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return CV_E_IO;
	}
	enum cv_status rc = CV_OK;
	for (;;) {
		errno = 0;
		struct dirent *entry = readdir(dir);
		if (entry == NULL) {
			if (errno != 0)
				rc = CV_E_IO;
			break;
		}
		rc = cv_posix_scan_entry(s, entry->d_name);
		if (rc != CV_OK)
			break;
	}
	closedir(dir);
	return rc;
}

enum cv_status cv_posix_scan(struct cv_posix_storage *s)
{
	s->segment_count = 0;
	enum cv_status rc = cv_posix_scan_list(s);
	if (rc != CV_OK)
		return rc;
	qsort(s->segments, s->segment_count, sizeof(s->segments[0]), cv_posix_segment_compare);
	/* Contiguous from the first segment (which starts above 0 once the
	 * journal was trimmed): a missing, overlapping or shortened segment
	 * means records are lost or doubled, which only a person can sort out. */
	uint64_t expected = s->segment_count > 0 ? s->segments[0].start : 0;
	for (uint32_t i = 0; i < s->segment_count; i++) {
		const struct cv_posix_segment *seg = &s->segments[i];
		if (seg->start != expected || seg->size > UINT64_MAX - seg->start)
			return CV_E_CORRUPT;
		expected = seg->start + seg->size;
	}
	s->length = expected;
	return CV_OK;
}

enum cv_status cv_posix_segment_open(const struct cv_posix_storage *s, uint32_t index, int flags, int *fd_out)
{
	char name[CV_POSIX_SEGMENT_NAME_SIZE];
	int fd;
	cv_posix_segment_name(name, s->segments[index].start);
	do
		fd = openat(s->dir_fd, name, flags | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return CV_E_IO;
	*fd_out = fd;
	return CV_OK;
}

enum cv_status cv_posix_segment_create(struct cv_posix_storage *s, int *fd_out)
{
	char name[CV_POSIX_SEGMENT_NAME_SIZE];
	int fd;
	cv_posix_segment_name(name, s->length);
	do
		fd = openat(s->dir_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC, CV_POSIX_FILE_MODE);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return cv_posix_failed(s, errno);
	/* The name must be durable before anything in the file counts. */
	enum cv_status rc = cv_posix_sync_directory(s);
	if (rc != CV_OK) {
		close(fd);
		unlinkat(s->dir_fd, name, 0);
		return rc;
	}
	*fd_out = fd;
	return CV_OK;
}

enum cv_status cv_posix_write_all(struct cv_posix_storage *s, int fd, const void *buf, size_t length)
{
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < length) {
		ssize_t n = write(fd, p + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cv_posix_failed(s, errno);
		if (n == 0)
			return cv_posix_failed(s, EIO);
		done += (size_t)n;
	}
	return CV_OK;
}

enum cv_status cv_posix_pread_all(int fd, void *buf, size_t length, uint64_t offset)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < length) {
		ssize_t n = pread(fd, p + done, length - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CV_E_IO;
		done += (size_t)n;
	}
	return CV_OK;
}
