/* SPDX-License-Identifier: MIT */
/* The remembered checkpoint: one small file, `checkpoint`, holding where the
 * last durable checkpoint begins. It is never written in place: a new one
 * goes to `checkpoint.tmp`, is fdatasync'ed, renamed over the old one, and
 * the directory is fsync'ed, so after a crash the file is the old one or the
 * new one, whole.
 *
 * Layout (little-endian), version 1 (28 bytes) when set without a tag:
 *   0  magic "CVCP"
 *   4  u32 format version (1)
 *   8  u64 journal offset of the checkpoint's first record
 *  16  u64 sequence number of that record
 *  24  u32 CRC32C of bytes 0..23
 * and version 2 (96 bytes) when set with one (checkpoint_set_tagged):
 *   0..23 as version 1, with version 2
 *  24  u32 tag length (at most 64)
 *  28  the tag, zero-padded to 64 bytes
 *  92  u32 CRC32C of bytes 0..91
 * The CRC only tells a torn or damaged file; the tag, the engine's, is what
 * authenticates it. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_private.h"

#define CV_POSIX_CHECKPOINT_NAME "checkpoint"
#define CV_POSIX_CHECKPOINT_TMP "checkpoint.tmp"
#define CV_POSIX_CHECKPOINT_MAGIC "CVCP"
#define CV_POSIX_CHECKPOINT_VERSION 1u
#define CV_POSIX_CHECKPOINT_SIZE 28u
#define CV_POSIX_CHECKPOINT_TAGGED_VERSION 2u
#define CV_POSIX_CHECKPOINT_TAG_AT 28u
#define CV_POSIX_CHECKPOINT_TAGGED_SIZE (CV_POSIX_CHECKPOINT_TAG_AT + CV_STORAGE_TAG_MAX + 4u)
#define CV_POSIX_CHECKPOINT_BUFFER CV_POSIX_CHECKPOINT_TAGGED_SIZE

/* Owner only, like the segments. */
#define CV_POSIX_CHECKPOINT_MODE 0600

/* CRC32C (Castagnoli, reflected 0x82F63B78), bit by bit: 24 bytes, rarely. */
static uint32_t cv_posix_crc32c(const uint8_t *data, size_t length)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < length; i++) {
		crc ^= data[i];
		for (unsigned bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void cv_posix_put_le(uint8_t *p, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8u * i));
}

static uint64_t cv_posix_get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t value = 0;
	for (unsigned i = bytes; i-- > 0;)
		value = value << 8 | p[i];
	return value;
}

/* Encodes a file (version 2 if there is a tag) into buf; answers its size. */
static size_t cv_posix_checkpoint_encode(uint8_t buf[CV_POSIX_CHECKPOINT_BUFFER], const struct cv_posix_checkpoint *cp)
{
	bool tagged = cp->tag_length > 0;
	size_t crc_at = tagged ? CV_POSIX_CHECKPOINT_TAGGED_SIZE - 4u : CV_POSIX_CHECKPOINT_SIZE - 4u;
	memset(buf, 0, CV_POSIX_CHECKPOINT_BUFFER);
	memcpy(buf, CV_POSIX_CHECKPOINT_MAGIC, 4);
	cv_posix_put_le(buf + 4, tagged ? CV_POSIX_CHECKPOINT_TAGGED_VERSION : CV_POSIX_CHECKPOINT_VERSION, 4);
	cv_posix_put_le(buf + 8, cp->offset, 8);
	cv_posix_put_le(buf + 16, cp->seq, 8);
	if (tagged) {
		cv_posix_put_le(buf + 24, cp->tag_length, 4);
		memcpy(buf + CV_POSIX_CHECKPOINT_TAG_AT, cp->tag, cp->tag_length);
	}
	cv_posix_put_le(buf + crc_at, cv_posix_crc32c(buf, crc_at), 4);
	return crc_at + 4;
}

static enum cv_status cv_posix_checkpoint_decode(const uint8_t *buf, size_t size, struct cv_posix_checkpoint *cp)
{
	if (size < CV_POSIX_CHECKPOINT_SIZE || memcmp(buf, CV_POSIX_CHECKPOINT_MAGIC, 4) != 0)
		return CV_E_CORRUPT;
	uint64_t version = cv_posix_get_le(buf + 4, 4);
	bool tagged = version == CV_POSIX_CHECKPOINT_TAGGED_VERSION;
	size_t expected = tagged ? CV_POSIX_CHECKPOINT_TAGGED_SIZE : CV_POSIX_CHECKPOINT_SIZE;
	if ((!tagged && version != CV_POSIX_CHECKPOINT_VERSION) || size != expected ||
	    cv_posix_get_le(buf + size - 4, 4) != cv_posix_crc32c(buf, size - 4))
		return CV_E_CORRUPT;
	cp->offset = cv_posix_get_le(buf + 8, 8);
	cp->seq = cv_posix_get_le(buf + 16, 8);
	cp->tag_length = tagged ? (size_t)cv_posix_get_le(buf + 24, 4) : 0;
	if (tagged && (cp->tag_length == 0 || cp->tag_length > CV_STORAGE_TAG_MAX))
		return CV_E_CORRUPT;
	memcpy(cp->tag, buf + CV_POSIX_CHECKPOINT_TAG_AT, cp->tag_length);
	return CV_OK;
}

enum cv_status cv_posix_checkpoint_load(const struct cv_posix_storage *s, struct cv_posix_checkpoint *cp)
{
	int fd;
	do
		fd = openat(s->dir_fd, CV_POSIX_CHECKPOINT_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno == ENOENT)
			return CV_E_NOT_FOUND;
		return errno == ELOOP ? CV_E_CORRUPT : CV_E_IO; /* ELOOP: a symlink, not ours. */
	}
	struct stat st;
	uint8_t buf[CV_POSIX_CHECKPOINT_BUFFER];
	enum cv_status rc;
	if (fstat(fd, &st) != 0)
		rc = CV_E_IO;
	else if (!S_ISREG(st.st_mode) ||
		 (st.st_size != CV_POSIX_CHECKPOINT_SIZE && st.st_size != CV_POSIX_CHECKPOINT_TAGGED_SIZE))
		rc = CV_E_CORRUPT;
	else
		rc = cv_posix_pread_all(fd, buf, (size_t)st.st_size, 0);
	cv_posix_close_fd(&fd);
	if (rc != CV_OK)
		return rc;
	return cv_posix_checkpoint_decode(buf, (size_t)st.st_size, cp);
}

static enum cv_status cv_posix_checkpoint_write_tmp(struct cv_posix_storage *s, const struct cv_posix_checkpoint *cp)
{
	uint8_t buf[CV_POSIX_CHECKPOINT_BUFFER];
	size_t size = cv_posix_checkpoint_encode(buf, cp);
	int fd;
	do
		fd = openat(s->dir_fd, CV_POSIX_CHECKPOINT_TMP, O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			    CV_POSIX_CHECKPOINT_MODE);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return cv_posix_failed(s, errno);
	enum cv_status rc = cv_posix_write_all(s, fd, buf, size);
	if (rc == CV_OK)
		rc = cv_posix_fdatasync(s, fd);
	cv_posix_close_fd(&fd);
	return rc;
}

enum cv_status cv_posix_checkpoint_store(struct cv_posix_storage *s, const struct cv_posix_checkpoint *cp)
{
	enum cv_status rc = cv_posix_checkpoint_write_tmp(s, cp);
	if (rc == CV_OK && renameat(s->dir_fd, CV_POSIX_CHECKPOINT_TMP, s->dir_fd, CV_POSIX_CHECKPOINT_NAME) != 0)
		rc = cv_posix_failed(s, errno);
	if (rc != CV_OK) {
		cv_posix_checkpoint_remove_tmp(s);
		return rc;
	}
	/* The rename is only durable once the directory is. */
	return cv_posix_sync_directory(s);
}

void cv_posix_checkpoint_remove_tmp(const struct cv_posix_storage *s)
{
	/* Nothing to do if it fails: a tmp file is never read, and the next
	 * checkpoint_set truncates it. */
	(void)unlinkat(s->dir_fd, CV_POSIX_CHECKPOINT_TMP, 0);
}
