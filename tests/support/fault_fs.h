/* SPDX-License-Identifier: MIT */
/* A file system that fails on demand and loses power, for the POSIX
 * storage's tests (after SQLite's test VFS and its crash model, test6.c).
 *
 * A test executable linked with fault_fs.c and the link options in
 * FAULT_FS_LINK_ARGS (tests/crash/meson.build: -Wl,--wrap=<call> for write,
 * pread64, fdatasync, fsync, renameat, open64, openat64, ftruncate64 and
 * unlinkat) sends every such call of the code linked into it through here.
 * Between fault_fs_begin() and fault_fs_power_cut() the calls are counted,
 * and the one armed fails with the errno asked for, without doing anything.
 *
 * It also keeps what a disk would keep through a power cut: a file's bytes
 * as of its last successful fdatasync/fsync, and the directory's names as
 * of its last successful fsync. A failed sync loses the bytes written since
 * the last good one for good (the kernel drops those dirty pages and a later
 * sync succeeds without them): they read back as zeros. fault_fs_power_cut() then rewrites the
 * watched directory to that: unsynced bytes, creations, renames and
 * deletions are gone (an unsynced name keeps the bytes its file last had
 * synced; a file never synced under a durable name comes back empty). */
#ifndef CANDYVEND_TEST_FAULT_FS_H
#define CANDYVEND_TEST_FAULT_FS_H

#include <stdbool.h>

/* Watches @p dir (an existing directory): what it holds now counts as
 * durable; counting starts at 0, no fault armed. */
void fault_fs_begin(const char *dir);

/* The @p n-th counted call from the beginning fails with @p err (0: none). */
void fault_fs_arm(unsigned n, int err);

/* The next call named @p call ("write", "fdatasync", ...) fails with @p err. */
void fault_fs_arm_next(const char *call, int err);

/* Calls counted since fault_fs_begin(). */
unsigned fault_fs_calls(void);

/* Renames and unlinks counted since fault_fs_begin() (checkpoints, trims). */
unsigned fault_fs_renames(void);
unsigned fault_fs_unlinks(void);

/* The name of the call that failed ("fdatasync", ...), or NULL if none did. */
const char *fault_fs_failed_call(void);

/* Cuts the power: the watched directory becomes what was durable, and the
 * counting stops (later calls go straight through). */
void fault_fs_power_cut(void);

#endif
