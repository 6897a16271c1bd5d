/* SPDX-License-Identifier: MIT */
/**
 * @file storage_posix.h
 * @brief A durable journal storage backend in POSIX files (library candyvend-posix).
 */
#ifndef CANDYVEND_STORAGE_POSIX_H
#define CANDYVEND_STORAGE_POSIX_H

#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup storage_posix POSIX file storage
 * @brief The durable journal: segment files in a directory, synced with fdatasync().
 *
 * The journal is kept in an existing directory as segment files named
 * `journal-<16 lowercase hex digits>.cvj`, the digits being the logical
 * offset of the segment's first byte. The logical journal is the
 * concatenation of the segments in order of their offsets; once trimmed
 * (see below) it begins above offset 0. The file `checkpoint` remembers the
 * last checkpoint; `checkpoint.tmp` is its replacement being written. The
 * file `lock` is flock()ed while a storage has the directory open (one
 * journal, one writer: see cv_posix_storage_open_with_error()); it holds
 * the holder's PID. Other files in the directory are ignored.
 *
 * ## Writing
 *
 * append() writes the record with write(2) at the end of the current segment;
 * a record is never split: when it would take the segment past
 * cv_posix_storage_config::segment_size_bytes, a new segment is started. A
 * new segment is created with `O_CREAT | O_EXCL` and the directory is synced
 * with fsync() before the segment is written to, so its name is durable
 * before anything in it counts. A failed or short write answers ::CV_E_IO
 * (::CV_E_FULL if the disk is full: ENOSPC or EDQUOT) and the partial bytes
 * are cut off again, so the journal never holds half a record that was
 * reported as failed.
 *
 * ## Failures are final
 *
 * Once any write, fdatasync(), fsync() of the directory, rename, cut, or
 * creation of a segment has failed, the storage is broken: every later
 * append() answers the first failure's status (::CV_E_FULL if the disk was
 * full, else ::CV_E_IO), and every later sync(), truncate(), checkpoint_set()
 * and trim() answers ::CV_E_IO, until it is closed and opened again, which
 * reads what is on disk. (Opened again in the same boot after a failed
 * fdatasync(), the files may still show data the kernel never wrote: a
 * restart of the process is not a power cut.) After a failed fdatasync() the kernel may have dropped the dirty
 * pages and a later one would succeed without them; after any other failure
 * the files may no longer be what the storage thinks they are.
 *
 * ## Durability
 *
 * sync() calls fdatasync() on every segment that holds unsynced data
 * (normally only the current one, two when a segment was started since the
 * last sync), then posts ::CV_EVENT_STORAGE_SYNCED before it returns
 * ::CV_PENDING. If fdatasync() fails, sync() answers ::CV_E_IO without
 * posting, and the storage is broken (see above). If the completion cannot be queued
 * (::CV_E_FULL from cv_machine_post()), sync() answers ::CV_E_BUSY; the data
 * is durable all the same and the engine asks again.
 *
 * Data found on open may have been written by a process that crashed before
 * syncing it: cv_posix_storage_open() syncs every existing segment and the
 * directory before it returns, so whatever the engine reads back is durable.
 *
 * truncate() cuts the journal back (the engine cuts a torn tail on open):
 * the segments after the new end are deleted, last first, and the one
 * holding it is cut with ftruncate() and fdatasync()'ed. It answers
 * ::CV_E_INVAL for a length past the end, before the first segment's start,
 * or before the remembered checkpoint. A trimmed journal cut to nothing
 * keeps its first segment as an empty file, so that it still begins where
 * it did.
 *
 * ## Checkpoints and trimming
 *
 * checkpoint_set() writes the checkpoint's offset and sequence number with
 * a CRC32C to `checkpoint.tmp` (28 bytes: magic `CVCP`, format version 1,
 * offset, sequence number, all little-endian, then the CRC32C of the 24
 * bytes before it), fdatasync()s it, renames it over `checkpoint` and
 * fsync()s the directory before it returns ::CV_OK: after a crash the file
 * holds the old checkpoint or the new one, whole. The offset must lie in
 * the journal (from the first segment's start to the end, both included),
 * else ::CV_E_INVAL; an I/O failure is ::CV_E_IO and the checkpoint known
 * before stays the limit of trim(). After a failed fdatasync() of a segment
 * (see Durability) it answers ::CV_E_IO.
 *
 * checkpoint_set_tagged() (the engine uses it for sealed journals) writes
 * the same way a version 2 file (96 bytes: as version 1, then the tag's
 * length, the tag zero-padded to ::CV_STORAGE_TAG_MAX bytes, and the CRC32C
 * of the 92 bytes before it). First, if the current segment holds anything,
 * it starts a new segment: a checkpoint then never shares a segment with the
 * one before it, so trimming to a checkpoint deletes the one before it, and
 * a checkpoint file put back from an older copy names a checkpoint that is
 * gone (docs/journal-format.md, "Marks").
 *
 * checkpoint_get() and checkpoint_get_tagged() read `checkpoint` again:
 * ::CV_E_NOT_FOUND if there is none, ::CV_E_CORRUPT if it is not exactly
 * such a file (either version) with a matching CRC32C or its offset lies
 * outside the journal, ::CV_E_IO if it cannot be read. A version 1 file has
 * no tag (length 0).
 *
 * trim() unlinks, oldest first, every segment that lies wholly before the
 * offset (its start plus its size at most the offset), then fsync()s the
 * directory. The segment holding the offset and the current (last) segment
 * are never unlinked, so up to one segment's worth of bytes before the
 * offset may stay readable; reads before the first remaining segment answer
 * ::CV_E_NOT_FOUND. The offset must lie in the journal and not after the
 * remembered checkpoint, else ::CV_E_INVAL: the storage never gives up the
 * checkpoint the engine opens at, and nothing is trimmed while no checkpoint
 * is remembered. A crash part way leaves a contiguous suffix of segments
 * that still holds the checkpoint. Trimming is what keeps a journal under
 * ::CV_POSIX_STORAGE_SEGMENT_MAX segments for ever.
 *
 * ## Opening
 *
 * On open the segments must be contiguous: each one starts where the
 * previous one ends (its start plus its file size). The first one may start
 * above offset 0 if the journal was trimmed, which only ever happens behind
 * a remembered checkpoint: then `checkpoint` must exist. If it exists it
 * must be whole and its offset must lie within the segments. A gap, an
 * overlap, a first segment above 0 without a checkpoint (the start was
 * lost), a bad checkpoint file or a segment name that is not a regular file
 * is ::CV_E_CORRUPT; the backend never repairs it on its own. A leftover
 * `checkpoint.tmp` (a checkpoint_set() a crash interrupted) is removed.
 *
 * ## Limits
 *
 * At most ::CV_POSIX_STORAGE_SEGMENT_MAX segments; append() answers
 * ::CV_E_FULL when another one would be needed. A record longer than a
 * segment is ::CV_E_INVAL. The backend keeps three file descriptors open at
 * most: the directory, the current segment (for writing) and the segment
 * last read; sync() opens an older segment for a moment when it has to sync
 * it, and checkpoint_set() and checkpoint_get() the checkpoint file. All
 * memory is allocated by cv_posix_storage_open(); no other function
 * allocates. Segment files are created with mode 0600
 * (the journal holds card brands, last digits and authorization codes), and
 * so is the checkpoint file.
 *
 * One storage object serves one machine from one thread; two processes must
 * not open the same directory at once (this is not checked).
 * @since 0.1
 * @{
 */

/** @brief Most segment files a journal may have. */
#define CV_POSIX_STORAGE_SEGMENT_MAX 4096u

/** @brief Smallest allowed segment size in bytes. */
#define CV_POSIX_STORAGE_SEGMENT_SIZE_MIN 4096u

/** @brief Default segment size in bytes (4 MiB). */
#define CV_POSIX_STORAGE_SEGMENT_SIZE_DEFAULT (4u * 1024u * 1024u)

/** @struct cv_posix_storage
 * @brief Opaque POSIX file storage; the ctx of ::cv_posix_storage_ops. */
struct cv_posix_storage;

/** @brief Settings of a POSIX file storage. */
struct cv_posix_storage_config {
	/** @brief Directory holding the segment files. It must exist; it is
	 *  not created. The string is only read during cv_posix_storage_open(). */
	const char *directory;
	/** @brief Largest size of a segment file in bytes, at least
	 *  ::CV_POSIX_STORAGE_SEGMENT_SIZE_MIN. Segments already on disk may be
	 *  larger (written with another setting); they are kept as they are. */
	uint64_t segment_size_bytes;
};

/** @brief The POSIX file storage backend table; its ctx is a struct cv_posix_storage. @since 0.1 */
extern const struct cv_storage_ops cv_posix_storage_ops;

/**
 * @brief Fills a configuration with the defaults: no directory, segments of
 * ::CV_POSIX_STORAGE_SEGMENT_SIZE_DEFAULT bytes.
 * @param config The configuration to fill; set its directory afterwards.
 * @since 0.1
 */
void cv_posix_storage_config_default(struct cv_posix_storage_config *config);

/**
 * @brief Opens the journal in a directory: lists and checks its segments,
 * syncs them, and allocates everything the storage needs.
 * @param config The settings; not kept.
 * @param out Receives the storage on success (NULL otherwise). Free it with
 * cv_posix_storage_close() after the machine using it is deinitialized.
 * @retval CV_OK Opened; the journal's length is the end of the last segment
 * (its start plus its size; 0 without segments).
 * @retval CV_E_INVAL @p config, its directory or @p out is NULL, or the
 * segment size is below ::CV_POSIX_STORAGE_SEGMENT_SIZE_MIN.
 * @retval CV_E_NOT_FOUND The directory does not exist.
 * @retval CV_E_IO The directory is not a directory, cannot be opened or
 * listed, a segment cannot be opened or synced, or the checkpoint file
 * cannot be read.
 * @retval CV_E_CORRUPT The segments are not contiguous from the first one,
 * the first one starts above 0 without a checkpoint file, a segment name is
 * not a regular file, or the checkpoint file is malformed, fails its CRC32C
 * or points outside the segments.
 * @retval CV_E_FULL More than ::CV_POSIX_STORAGE_SEGMENT_MAX segments.
 * @retval CV_E_BUSY Another open storage (in this process or another) holds
 * the directory: one journal, one writer (see
 * cv_posix_storage_open_with_error() for a message naming the holder).
 * @retval CV_E_NOMEM Allocation failed.
 * @since 0.1
 */
enum cv_status cv_posix_storage_open(const struct cv_posix_storage_config *config, struct cv_posix_storage **out);

/**
 * @brief cv_posix_storage_open(), and on failure a message that says what is
 * wrong in @p error: the folder, and for ::CV_E_BUSY the PID of the process
 * that holds it where it can be read.
 *
 * One journal, one writer: an open storage holds an exclusive lock on the
 * file `lock` in its directory (flock(), freed by cv_posix_storage_close()
 * or when the holder dies). A second storage on the same directory, in
 * this process or another, is refused with ::CV_E_BUSY. The lock belongs
 * to the open file, which a child made by fork() without exec() shares:
 * such a child keeps the folder locked until it exits too (even after the
 * parent closed the storage or died), and the message still names the
 * parent's PID, the one written in `lock`.
 * @param config The settings; not kept.
 * @param out Receives the storage on success (NULL otherwise).
 * @param error Receives a NUL-terminated message (empty on success); may be NULL.
 * @param error_size Its size in bytes (::CV_POSIX_STORAGE_ERROR_LEN is enough).
 * @return As cv_posix_storage_open(), and ::CV_E_BUSY when another storage
 * holds the directory.
 * @since 0.1
 */
enum cv_status cv_posix_storage_open_with_error(const struct cv_posix_storage_config *config,
						struct cv_posix_storage **out, char *error, size_t error_size);

/** @brief A size for cv_posix_storage_open_with_error()'s message with room for a long path. */
#define CV_POSIX_STORAGE_ERROR_LEN 512

/**
 * @brief Closes the files of a storage and frees it. Unsynced data is not
 * synced. Accepts NULL.
 * @param storage The storage, or NULL.
 * @since 0.1
 */
void cv_posix_storage_close(struct cv_posix_storage *storage);

/**
 * @brief Number of fdatasync() calls on segment files since open, those
 * made by cv_posix_storage_open() itself included (not those of the
 * checkpoint file); for benchmarks.
 * @param storage The storage.
 * @return The count.
 * @since 0.1
 */
uint64_t cv_posix_storage_sync_count(const struct cv_posix_storage *storage);

/**
 * @brief The logical length of the journal: the offset its next record
 * gets (trimming does not lower it; truncating does).
 * @param storage The storage.
 * @return The length in bytes.
 * @since 0.1
 */
uint64_t cv_posix_storage_length(const struct cv_posix_storage *storage);

/**
 * @brief Number of segment files the journal has now (trimmed ones not
 * counted).
 * @param storage The storage.
 * @return The count, at most ::CV_POSIX_STORAGE_SEGMENT_MAX.
 * @since 0.1
 */
uint32_t cv_posix_storage_segment_count(const struct cv_posix_storage *storage);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
