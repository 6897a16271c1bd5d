/* SPDX-License-Identifier: MIT */
/* The durable journal in segment files: the storage ops and the public
 * functions. See storage_posix.h for the guarantees. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "posix_private.h"

/* Test only: the marks mutant CV_MARK_MUTANT_POSIX_NO_ROLL (5, enum
 * cv_mark_mutant in lib/journal_mark.h) drops the new segment at a mark. */
#if defined(CV_MARK_MUTANT) && CV_MARK_MUTANT == 5
#define CV_POSIX_ROLL_AT_MARK false
#else
#define CV_POSIX_ROLL_AT_MARK true
#endif

static struct cv_posix_segment *cv_posix_last(struct cv_posix_storage *s)
{
	return s->segment_count > 0 ? &s->segments[s->segment_count - 1] : NULL;
}

/* Cuts the current segment's file back to what counts after a failed
 * write (the storage is broken already: this only keeps the file tidy for
 * the next open, which reads what is on disk anyway). */
static void cv_posix_cut_partial(struct cv_posix_storage *s)
{
	struct cv_posix_segment *seg = cv_posix_last(s);
	int rc;
	do
		rc = ftruncate(s->write_fd, (off_t)seg->size);
	while (rc != 0 && errno == EINTR);
	seg->dirty = true;
}

/* Starts a new segment at the journal's end for the appends to come. */
static enum cv_status cv_posix_start_segment(struct cv_posix_storage *s)
{
	if (s->segment_count >= CV_POSIX_STORAGE_SEGMENT_MAX)
		return CV_E_FULL;
	/* The next segment's name becomes durable at once, so the current one
	 * must be whole on disk first: after a power cut a short segment with a
	 * successor would be a gap, and a gap reads as corruption. */
	if (s->write_fd >= 0 && s->segment_count > 0 && s->segments[s->segment_count - 1].dirty) {
		enum cv_status synced = cv_posix_fdatasync(s, s->write_fd);
		if (synced != CV_OK)
			return synced;
		s->segments[s->segment_count - 1].dirty = false;
	}
	int fd = -1;
	enum cv_status rc = cv_posix_segment_create(s, &fd);
	if (rc != CV_OK)
		return rc;
	cv_posix_close_fd(&s->write_fd);
	s->write_fd = fd;
	s->segments[s->segment_count++] = (struct cv_posix_segment){.start = s->length};
	return CV_OK;
}

/* Makes sure the current segment can take length more bytes, starting a
 * new one if not. */
static enum cv_status cv_posix_make_room(struct cv_posix_storage *s, size_t length)
{
	const struct cv_posix_segment *last = cv_posix_last(s);
	if (s->write_fd >= 0 && last->size <= s->segment_size - length)
		return CV_OK;
	return cv_posix_start_segment(s);
}

static enum cv_status cv_posix_storage_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct cv_posix_storage *s = ctx;
	(void)seq; /* Records carry their own sequence numbers. */
	if (s->broken)
		return s->failure; /* The first failure's cause: a full disk stays "full". */
	if (record == NULL || length == 0 || length > s->segment_size)
		return CV_E_INVAL;
	enum cv_status rc = cv_posix_make_room(s, length);
	if (rc != CV_OK)
		return rc;
	struct cv_posix_segment *seg = cv_posix_last(s);
	rc = cv_posix_write_all(s, s->write_fd, record, length);
	if (rc != CV_OK) {
		cv_posix_cut_partial(s);
		return rc;
	}
	seg->size += length;
	seg->dirty = true;
	s->length += length;
	return CV_OK;
}

/* fdatasync of one segment, through the write fd for the current one. */
static enum cv_status cv_posix_sync_segment(struct cv_posix_storage *s, uint32_t index)
{
	if (index + 1 == s->segment_count && s->write_fd >= 0)
		return cv_posix_fdatasync(s, s->write_fd);
	int fd = -1;
	enum cv_status rc = cv_posix_segment_open(s, index, O_WRONLY, &fd);
	if (rc != CV_OK)
		return rc;
	rc = cv_posix_fdatasync(s, fd);
	cv_posix_close_fd(&fd);
	return rc;
}

/* After a failed fdatasync the kernel may have marked the lost pages clean,
 * so a later fdatasync could succeed without the data: durability stays in
 * doubt for good (the storage is broken). */
static enum cv_status cv_posix_sync_dirty(struct cv_posix_storage *s)
{
	for (uint32_t i = 0; i < s->segment_count; i++) {
		if (!s->segments[i].dirty)
			continue;
		enum cv_status rc = cv_posix_sync_segment(s, i);
		if (rc != CV_OK) {
			cv_posix_break(s, rc);
			return rc;
		}
		s->segments[i].dirty = false;
	}
	return CV_OK;
}

static enum cv_status cv_posix_storage_sync(void *ctx, uint64_t seq)
{
	struct cv_posix_storage *s = ctx;
	if (s->broken)
		return CV_E_IO;
	if (s->machine == NULL)
		return CV_E_STATE;
	/* Always CV_E_IO: the engine takes CV_E_FULL from a sync for "ask me
	 * again", and nothing will ever become durable here again. */
	if (cv_posix_sync_dirty(s) != CV_OK)
		return CV_E_IO;
	enum cv_status rc;
	struct cv_event ev = {.type = CV_EVENT_STORAGE_SYNCED};
	ev.u.storage.seq = seq;
	ev.u.storage.status = CV_OK;
	rc = cv_machine_post(s->machine, &ev);
	if (rc == CV_OK)
		return CV_PENDING;
	/* The data is durable; only the news is late. The engine asks again,
	 * and the next sync finds nothing dirty. */
	return rc == CV_E_FULL ? CV_E_BUSY : rc;
}

/* The segment holding offset (< s->length): the last one starting at or
 * before it. */
static uint32_t cv_posix_find(const struct cv_posix_storage *s, uint64_t offset)
{
	uint32_t low = 0, high = s->segment_count;
	while (high - low > 1) {
		uint32_t mid = low + (high - low) / 2;
		if (s->segments[mid].start <= offset)
			low = mid;
		else
			high = mid;
	}
	return low;
}

static enum cv_status cv_posix_read_fd(struct cv_posix_storage *s, uint32_t index, int *fd_out)
{
	if (s->read_fd < 0 || s->read_index != index) {
		cv_posix_close_fd(&s->read_fd);
		enum cv_status rc = cv_posix_segment_open(s, index, O_RDONLY, &s->read_fd);
		if (rc != CV_OK)
			return rc;
		s->read_index = index;
	}
	*fd_out = s->read_fd;
	return CV_OK;
}

static enum cv_status cv_posix_storage_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct cv_posix_storage *s = ctx;
	if (length_out == NULL || (buf == NULL && size > 0))
		return CV_E_INVAL;
	*length_out = 0;
	if (offset < cv_posix_first_start(s))
		return CV_E_NOT_FOUND; /* Trimmed away. */
	uint8_t *out = buf;
	size_t done = 0;
	for (uint32_t i = offset < s->length ? cv_posix_find(s, offset) : s->segment_count;
	     i < s->segment_count && done < size; i++) {
		const struct cv_posix_segment *seg = &s->segments[i];
		uint64_t within = offset + done - seg->start;
		if (within >= seg->size)
			continue;
		uint64_t left = seg->size - within;
		size_t n = size - done < left ? size - done : (size_t)left;
		int fd = -1;
		enum cv_status rc = cv_posix_read_fd(s, i, &fd);
		if (rc == CV_OK)
			rc = cv_posix_pread_all(fd, out + done, n, within);
		if (rc != CV_OK)
			return rc;
		done += n;
	}
	*length_out = done;
	return CV_OK;
}

/* Deletes the segments that start at or after length, last first, so that
 * a crash in between leaves a contiguous prefix; then makes it durable. A
 * trimmed journal's first segment is kept, cut empty by the caller: its name
 * is where the journal begins. */
static enum cv_status cv_posix_delete_from(struct cv_posix_storage *s, uint64_t length)
{
	bool deleted = false;
	while (s->segment_count > 0 && cv_posix_last(s)->start >= length &&
	       (s->segment_count > 1 || cv_posix_last(s)->start == 0)) {
		char name[CV_POSIX_SEGMENT_NAME_SIZE];
		uint32_t index = s->segment_count - 1;
		cv_posix_segment_name(name, s->segments[index].start);
		cv_posix_close_fd(&s->write_fd);
		if (s->read_index == index)
			cv_posix_close_fd(&s->read_fd);
		if (unlinkat(s->dir_fd, name, 0) != 0)
			return CV_E_IO;
		s->segment_count--;
		s->length = s->segments[index].start;
		deleted = true;
	}
	return deleted ? cv_posix_sync_directory(s) : CV_OK;
}

/* Cuts the last segment so that the journal ends at length, and makes the
 * cut durable. */
static enum cv_status cv_posix_cut_last(struct cv_posix_storage *s, uint64_t length)
{
	struct cv_posix_segment *seg = cv_posix_last(s);
	if (seg == NULL)
		return CV_OK;
	if (s->write_fd < 0) {
		enum cv_status rc = cv_posix_segment_open(s, s->segment_count - 1, O_WRONLY | O_APPEND, &s->write_fd);
		if (rc != CV_OK)
			return rc;
	}
	if (s->length == length)
		return CV_OK;
	int rc;
	do
		rc = ftruncate(s->write_fd, (off_t)(length - seg->start));
	while (rc != 0 && errno == EINTR);
	if (rc != 0)
		return CV_E_IO;
	seg->size = length - seg->start;
	s->length = length;
	if (cv_posix_fdatasync(s, s->write_fd) != CV_OK)
		return CV_E_IO;
	seg->dirty = false;
	return CV_OK;
}

/* Any failure leaves the files somewhere between the old and the new length,
 * so the storage refuses further work rather than guess. */
static enum cv_status cv_posix_storage_truncate(void *ctx, uint64_t length)
{
	struct cv_posix_storage *s = ctx;
	if (s->broken)
		return CV_E_IO;
	if (length > s->length || length < cv_posix_first_start(s) ||
	    (s->has_checkpoint && length < s->checkpoint_offset))
		return CV_E_INVAL;
	if (length == s->length)
		return CV_OK;
	enum cv_status rc = cv_posix_delete_from(s, length);
	if (rc == CV_OK)
		rc = cv_posix_cut_last(s, length);
	if (rc != CV_OK) {
		cv_posix_break(s, rc);
		return rc;
	}
	return CV_OK;
}

/* A checkpoint outside the bytes the journal has would open on nothing. */
static bool cv_posix_holds(const struct cv_posix_storage *s, uint64_t offset)
{
	return offset >= cv_posix_first_start(s) && offset <= s->length;
}

/* With a tag, what follows goes to a new segment first: a checkpoint's
 * first record then never shares a segment with the one before it, so
 * trimming to a checkpoint deletes the one before it, and a mark put back
 * from an older copy names a checkpoint that is gone. */
static enum cv_status cv_posix_storage_checkpoint_set_tagged(void *ctx, uint64_t offset, uint64_t seq, const void *tag,
							     size_t tag_length)
{
	struct cv_posix_storage *s = ctx;
	if (s->broken)
		return CV_E_IO;
	struct cv_posix_checkpoint cp = {.offset = offset, .seq = seq, .tag_length = tag_length};
	if (!cv_posix_holds(s, offset) || tag_length > sizeof(cp.tag) || (tag == NULL && tag_length > 0))
		return CV_E_INVAL;
	if (tag_length > 0)
		memcpy(cp.tag, tag, tag_length);
	enum cv_status rc = CV_OK;
	if (CV_POSIX_ROLL_AT_MARK && tag_length > 0 && s->segment_count > 0 && cv_posix_last(s)->size > 0)
		rc = cv_posix_start_segment(s);
	if (rc == CV_OK)
		rc = cv_posix_checkpoint_store(s, &cp);
	if (rc != CV_OK)
		return rc; /* trim() keeps to the checkpoint known durable before. */
	s->has_checkpoint = true;
	s->checkpoint_offset = offset;
	s->checkpoint_seq = seq;
	return CV_OK;
}

static enum cv_status cv_posix_storage_checkpoint_set(void *ctx, uint64_t offset, uint64_t seq)
{
	return cv_posix_storage_checkpoint_set_tagged(ctx, offset, seq, NULL, 0);
}

static enum cv_status cv_posix_storage_checkpoint_get_tagged(void *ctx, uint64_t *offset, uint64_t *seq, void *tag,
							     size_t tag_size, size_t *tag_length)
{
	struct cv_posix_storage *s = ctx;
	if (offset == NULL || seq == NULL || tag_length == NULL || (tag == NULL && tag_size > 0))
		return CV_E_INVAL;
	struct cv_posix_checkpoint cp;
	enum cv_status rc = cv_posix_checkpoint_load(s, &cp);
	if (rc != CV_OK)
		return rc;
	if (!cv_posix_holds(s, cp.offset))
		return CV_E_CORRUPT;
	if (cp.tag_length > tag_size)
		return CV_E_INVAL;
	*offset = cp.offset;
	*seq = cp.seq;
	if (cp.tag_length > 0)
		memcpy(tag, cp.tag, cp.tag_length);
	*tag_length = cp.tag_length;
	return CV_OK;
}

static enum cv_status cv_posix_storage_checkpoint_get(void *ctx, uint64_t *offset, uint64_t *seq)
{
	uint8_t tag[CV_STORAGE_TAG_MAX];
	size_t tag_length = 0;
	return cv_posix_storage_checkpoint_get_tagged(ctx, offset, seq, tag, sizeof(tag), &tag_length);
}

/* Unlinks the segments wholly below offset, oldest first, so that a crash
 * in between leaves a contiguous suffix that still holds the checkpoint. */
static enum cv_status cv_posix_unlink_below(struct cv_posix_storage *s, uint64_t offset, uint32_t *removed)
{
	*removed = 0;
	/* The current (last) segment always stays: appends go on into it. */
	while (*removed + 1 < s->segment_count) {
		const struct cv_posix_segment *seg = &s->segments[*removed];
		if (seg->size > offset - seg->start)
			break; /* It holds offset (or starts after it). */
		char name[CV_POSIX_SEGMENT_NAME_SIZE];
		cv_posix_segment_name(name, seg->start);
		if (s->read_fd >= 0 && s->read_index == *removed)
			cv_posix_close_fd(&s->read_fd);
		if (unlinkat(s->dir_fd, name, 0) != 0 && errno != ENOENT)
			return CV_E_IO;
		++*removed;
	}
	return CV_OK;
}

/* Only bytes before the remembered checkpoint may go: the storage must
 * always hold the checkpoint it opens at. */
static enum cv_status cv_posix_storage_trim(void *ctx, uint64_t offset)
{
	struct cv_posix_storage *s = ctx;
	if (s->broken)
		return CV_E_IO;
	uint64_t limit = s->has_checkpoint ? s->checkpoint_offset : cv_posix_first_start(s);
	if (!cv_posix_holds(s, offset) || offset > limit)
		return CV_E_INVAL;
	uint32_t removed = 0;
	enum cv_status rc = cv_posix_unlink_below(s, offset, &removed);
	if (removed > 0) {
		/* Forget what is gone, even after a failure part way. */
		s->segment_count -= removed;
		memmove(s->segments, s->segments + removed, s->segment_count * sizeof(s->segments[0]));
		if (s->read_fd >= 0)
			s->read_index -= removed;
		/* An unlink that a crash undoes only brings back a contiguous
		 * prefix; the directory is synced so that it rarely does. */
		enum cv_status sync_rc = cv_posix_sync_directory(s);
		if (rc == CV_OK)
			rc = sync_rc;
	}
	return rc;
}

static uint32_t cv_posix_storage_caps(void *ctx)
{
	(void)ctx;
	return CV_STORAGE_CAP_DURABLE;
}

static enum cv_status cv_posix_storage_ops_open(void *ctx, struct cv_machine *machine)
{
	struct cv_posix_storage *s = ctx;
	if (s == NULL)
		return CV_E_INVAL;
	s->machine = machine;
	return CV_OK;
}

/* The files stay open until cv_posix_storage_close(). */
static void cv_posix_storage_ops_close(void *ctx)
{
	struct cv_posix_storage *s = ctx;
	if (s != NULL)
		s->machine = NULL;
}

CV_POSIX_EXPORT const struct cv_storage_ops cv_posix_storage_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "posix",
	.caps = cv_posix_storage_caps,
	.open = cv_posix_storage_ops_open,
	.close = cv_posix_storage_ops_close,
	.append = cv_posix_storage_append,
	.sync = cv_posix_storage_sync,
	.read = cv_posix_storage_read,
	.truncate = cv_posix_storage_truncate,
	.checkpoint_set = cv_posix_storage_checkpoint_set,
	.checkpoint_get = cv_posix_storage_checkpoint_get,
	.trim = cv_posix_storage_trim,
	.checkpoint_set_tagged = cv_posix_storage_checkpoint_set_tagged,
	.checkpoint_get_tagged = cv_posix_storage_checkpoint_get_tagged,
};

CV_POSIX_EXPORT void cv_posix_storage_config_default(struct cv_posix_storage_config *config)
{
	config->directory = NULL;
	config->segment_size_bytes = CV_POSIX_STORAGE_SEGMENT_SIZE_DEFAULT;
}

/* A checkpoint file must point into the segments found, and a journal that
 * begins above 0 must have one; a tmp file is a checkpoint_set that a crash
 * interrupted before its rename, never read. */
static enum cv_status cv_posix_open_checkpoint(struct cv_posix_storage *s)
{
	cv_posix_checkpoint_remove_tmp(s);
	struct cv_posix_checkpoint cp;
	enum cv_status rc = cv_posix_checkpoint_load(s, &cp);
	if (rc == CV_E_NOT_FOUND) /* Trimmed only behind a checkpoint: else the start is lost. */
		return cv_posix_first_start(s) > 0 ? CV_E_CORRUPT : CV_OK;
	if (rc != CV_OK)
		return rc;
	if (!cv_posix_holds(s, cp.offset))
		return CV_E_CORRUPT;
	s->has_checkpoint = true;
	s->checkpoint_offset = cp.offset;
	s->checkpoint_seq = cp.seq;
	return CV_OK;
}

/* Whatever was found may not be durable yet (its writer may have crashed
 * before syncing): the engine must not act on records that could vanish. */
static enum cv_status cv_posix_open_files(struct cv_posix_storage *s, const char *directory, char *why, size_t why_size)
{
	enum cv_status rc = cv_posix_open_directory(directory, &s->dir_fd);
	if (rc == CV_OK)
		rc = cv_posix_lock(s, directory, why, why_size);
	if (rc == CV_OK)
		rc = cv_posix_scan(s);
	if (rc == CV_OK)
		rc = cv_posix_open_checkpoint(s);
	if (rc == CV_OK && s->segment_count > 0)
		rc = cv_posix_segment_open(s, s->segment_count - 1, O_WRONLY | O_APPEND, &s->write_fd);
	if (rc == CV_OK)
		rc = cv_posix_sync_dirty(s);
	if (rc == CV_OK)
		rc = cv_posix_sync_directory(s);
	return rc;
}

void cv_posix_why(char *why, size_t why_size, const char *format, ...)
{
	if (why == NULL || why_size == 0)
		return;
	va_list args;
	va_start(args, format);
	vsnprintf(why, why_size, format, args);
	va_end(args);
}

CV_POSIX_EXPORT enum cv_status cv_posix_storage_open_with_error(const struct cv_posix_storage_config *config,
								struct cv_posix_storage **out, char *error,
								size_t error_size)
{
	cv_posix_why(error, error_size, "%s", "");
	if (out == NULL)
		return CV_E_INVAL;
	*out = NULL;
	if (config == NULL || config->directory == NULL) {
		cv_posix_why(error, error_size, "no journal folder given");
		return CV_E_INVAL;
	}
	if (config->segment_size_bytes < CV_POSIX_STORAGE_SEGMENT_SIZE_MIN) {
		cv_posix_why(error, error_size, "segment_size_bytes %llu is below the minimum %u",
			     (unsigned long long)config->segment_size_bytes, CV_POSIX_STORAGE_SEGMENT_SIZE_MIN);
		return CV_E_INVAL;
	}
	struct cv_posix_storage *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CV_E_NOMEM;
	s->dir_fd = -1;
	s->lock_fd = -1;
	s->write_fd = -1;
	s->read_fd = -1;
	s->segment_size = config->segment_size_bytes;
	s->segments = calloc(CV_POSIX_STORAGE_SEGMENT_MAX, sizeof(s->segments[0]));
	enum cv_status rc =
		s->segments != NULL ? cv_posix_open_files(s, config->directory, error, error_size) : CV_E_NOMEM;
	if (rc != CV_OK) {
		if (error != NULL && error_size > 0 && error[0] == '\0')
			cv_posix_why(error, error_size, "journal folder %s: %s", config->directory, cv_status_str(rc));
		cv_posix_storage_close(s);
		return rc;
	}
	*out = s;
	return CV_OK;
}

CV_POSIX_EXPORT enum cv_status cv_posix_storage_open(const struct cv_posix_storage_config *config,
						     struct cv_posix_storage **out)
{
	return cv_posix_storage_open_with_error(config, out, NULL, 0);
}

CV_POSIX_EXPORT void cv_posix_storage_close(struct cv_posix_storage *storage)
{
	if (storage == NULL)
		return;
	cv_posix_close_fd(&storage->read_fd);
	cv_posix_close_fd(&storage->write_fd);
	cv_posix_close_fd(&storage->lock_fd); /* Frees the lock. */
	cv_posix_close_fd(&storage->dir_fd);
	free(storage->segments);
	free(storage);
}

CV_POSIX_EXPORT uint64_t cv_posix_storage_sync_count(const struct cv_posix_storage *storage)
{
	return storage->fdatasync_count;
}

CV_POSIX_EXPORT uint64_t cv_posix_storage_length(const struct cv_posix_storage *storage)
{
	return storage->length;
}

CV_POSIX_EXPORT uint32_t cv_posix_storage_segment_count(const struct cv_posix_storage *storage)
{
	return storage->segment_count;
}
