/* SPDX-License-Identifier: MIT */
/* The fault-injecting file system of fault_fs.h: link-time wrappers of the
 * storage's system calls, a counter that fails the armed one, and a record
 * of what a disk would keep through a power cut. The record is taken from
 * the files themselves at each successful sync (read back through
 * /proc/self/fd), so it needs no model of the storage's own bookkeeping. */
#define _GNU_SOURCE

#include "fault_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define FF_FILES_MAX 512
#define FF_NAMES_MAX 256

/* The real calls, reached through the linker's --wrap. */
ssize_t __real_write(int fd, const void *buf, size_t count);
ssize_t __real_pread64(int fd, void *buf, size_t count, off_t offset);
int __real_fdatasync(int fd);
int __real_fsync(int fd);
int __real_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int __real_open64(const char *path, int flags, ...);
int __real_openat64(int dirfd, const char *path, int flags, ...);
int __real_ftruncate64(int fd, off_t length);
int __real_unlinkat(int dirfd, const char *path, int flags);

ssize_t __wrap_write(int fd, const void *buf, size_t count);
ssize_t __wrap_pread64(int fd, void *buf, size_t count, off_t offset);
int __wrap_fdatasync(int fd);
int __wrap_fsync(int fd);
int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_openat64(int dirfd, const char *path, int flags, ...);
int __wrap_ftruncate64(int fd, off_t length);
int __wrap_unlinkat(int dirfd, const char *path, int flags);

/* One version of a file's bytes: an inode gets a new generation each time a
 * file is created on it (inode numbers are reused). */
struct ff_file {
	ino_t ino;
	unsigned gen;
	uint8_t *data; /* As of its last successful sync. */
	size_t length;
	/* Bytes a failed sync lost: the kernel dropped those dirty pages, so
	 * a later sync that succeeds does not bring them to the disk. */
	size_t lost_from;
	size_t lost_to;
};

/* A name the directory durably holds. */
struct ff_name {
	char name[NAME_MAX + 1];
	ino_t ino;
	unsigned gen;
};

static struct {
	bool active;
	char dir[PATH_MAX];
	dev_t dir_dev;
	ino_t dir_ino;
	unsigned calls;
	unsigned armed;
	int err;
	const char *armed_name; /* The next call of this name fails (fault_fs_arm_next). */
	unsigned renames;       /* Counted renames and unlinks (a scenario's checkpoints and trims). */
	unsigned unlinks;
	const char *failed;
	struct ff_file files[FF_FILES_MAX];
	unsigned file_count;
	struct ff_name names[FF_NAMES_MAX];
	unsigned name_count;
} ff;

static void ff_die(const char *what)
{
	fprintf(stderr, "fault_fs: %s\n", what);
	abort();
}

/* Counts a call; true if it is the armed one, which then fails. */
static bool ff_hit(const char *name)
{
	if (!ff.active)
		return false;
	ff.calls++;
	if (ff.armed_name != NULL && strcmp(ff.armed_name, name) == 0)
		ff.armed_name = NULL;
	else if (ff.calls != ff.armed)
		return false;
	ff.failed = name;
	errno = ff.err;
	return true;
}

/* The newest version of an inode's bytes, or NULL. */
static struct ff_file *ff_latest(ino_t ino)
{
	struct ff_file *found = NULL;
	for (unsigned i = 0; i < ff.file_count; i++)
		if (ff.files[i].ino == ino && (found == NULL || ff.files[i].gen > found->gen))
			found = &ff.files[i];
	return found;
}

/* A new, empty version of an inode (a file was just created on it). */
static struct ff_file *ff_new_version(ino_t ino)
{
	if (ff.file_count == FF_FILES_MAX)
		ff_die("too many file versions");
	const struct ff_file *older = ff_latest(ino);
	struct ff_file *f = &ff.files[ff.file_count++];
	memset(f, 0, sizeof(*f));
	f->ino = ino;
	f->gen = older != NULL ? older->gen + 1 : 1;
	return f;
}

/* Reads a whole file through a descriptor that may be write-only. */
static void ff_read_all(int fd, struct ff_file *f)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int rfd = __real_open64(proc, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		ff_die("cannot read a file back");
	struct stat st;
	if (fstat(rfd, &st) != 0)
		ff_die("fstat");
	uint8_t *data = malloc((size_t)st.st_size + 1);
	if (data == NULL)
		ff_die("out of memory");
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = __real_pread64(rfd, data + done, (size_t)st.st_size - done, (off_t)done);
		if (n <= 0)
			ff_die("read back");
		done += (size_t)n;
	}
	close(rfd);
	for (size_t i = f->lost_from; i < f->lost_to && i < done; i++)
		data[i] = 0;
	free(f->data);
	f->data = data;
	f->length = done;
}

static bool ff_in_watched_fs(const struct stat *st)
{
	return st->st_dev == ff.dir_dev;
}

/* The directory's names, as they are now, become the durable ones. */
static void ff_capture_names(void)
{
	DIR *d = opendir(ff.dir);
	if (d == NULL)
		ff_die("opendir");
	ff.name_count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (ff.name_count == FF_NAMES_MAX)
			ff_die("too many names");
		struct ff_file *f = ff_latest(st.st_ino);
		if (f == NULL)
			f = ff_new_version(st.st_ino);
		struct ff_name *n = &ff.names[ff.name_count++];
		snprintf(n->name, sizeof(n->name), "%s", e->d_name);
		n->ino = f->ino;
		n->gen = f->gen;
	}
	closedir(d);
}

/* A sync succeeded on fd: its bytes, or the directory's names, are durable. */
static void ff_synced(int fd)
{
	struct stat st;
	if (!ff.active || fstat(fd, &st) != 0 || !ff_in_watched_fs(&st))
		return;
	if (S_ISDIR(st.st_mode) && st.st_ino == ff.dir_ino) {
		ff_capture_names();
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	struct ff_file *f = ff_latest(st.st_ino);
	if (f == NULL)
		f = ff_new_version(st.st_ino);
	ff_read_all(fd, f);
}

/* A sync failed on fd: what was written since the last good sync is lost
 * for good, whatever later syncs say (PostgreSQL's "fsyncgate"). */
static void ff_sync_failed(int fd)
{
	struct stat st;
	if (!ff.active || fstat(fd, &st) != 0 || !ff_in_watched_fs(&st) || !S_ISREG(st.st_mode))
		return;
	struct ff_file *f = ff_latest(st.st_ino);
	if (f == NULL)
		f = ff_new_version(st.st_ino);
	size_t from = f->length;
	size_t to = (size_t)st.st_size;
	if (from >= to)
		return;
	if (f->lost_to <= f->lost_from) {
		f->lost_from = from;
		f->lost_to = to;
	} else {
		f->lost_from = from < f->lost_from ? from : f->lost_from;
		f->lost_to = to > f->lost_to ? to : f->lost_to;
	}
}

/* After an open with O_CREAT: a file that did not exist is a new version of its inode. */
static void ff_opened(int fd, bool existed)
{
	struct stat st;
	if (!ff.active || existed || fd < 0 || fstat(fd, &st) != 0 || !ff_in_watched_fs(&st) || !S_ISREG(st.st_mode))
		return;
	ff_new_version(st.st_ino);
}

static bool ff_exists(int dirfd, const char *path)
{
	struct stat st;
	return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static mode_t ff_mode(int flags, va_list ap)
{
	/* O_TMPFILE includes O_DIRECTORY's bit: test it whole, as glibc does. */
	return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

ssize_t __wrap_write(int fd, const void *buf, size_t count)
{
	return ff_hit("write") ? -1 : __real_write(fd, buf, count);
}

ssize_t __wrap_pread64(int fd, void *buf, size_t count, off_t offset)
{
	return ff_hit("pread") ? -1 : __real_pread64(fd, buf, count, offset);
}

/* fdatasync or fsync: counted, failed if armed (losing what it would have
 * made durable), else done and what it made durable recorded. */
static int ff_sync_call(const char *name, int (*real)(int), int fd)
{
	if (ff_hit(name)) {
		ff_sync_failed(fd);
		return -1;
	}
	int rc = real(fd);
	if (rc == 0)
		ff_synced(fd);
	return rc;
}

int __wrap_fdatasync(int fd)
{
	return ff_sync_call("fdatasync", __real_fdatasync, fd);
}

int __wrap_fsync(int fd)
{
	return ff_sync_call("fsync", __real_fsync, fd);
}

int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	ff.renames += ff.active;
	return ff_hit("rename") ? -1 : __real_renameat(olddirfd, oldpath, newdirfd, newpath);
}

int __wrap_open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = ff_mode(flags, ap);
	va_end(ap);
	if (ff_hit("open"))
		return -1;
	bool existed = (flags & O_CREAT) == 0 || ff_exists(AT_FDCWD, path);
	int fd = __real_open64(path, flags, mode);
	ff_opened(fd, existed);
	return fd;
}

int __wrap_openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = ff_mode(flags, ap);
	va_end(ap);
	if (ff_hit("open"))
		return -1;
	bool existed = (flags & O_CREAT) == 0 || ff_exists(dirfd, path);
	int fd = __real_openat64(dirfd, path, flags, mode);
	ff_opened(fd, existed);
	return fd;
}

int __wrap_ftruncate64(int fd, off_t length)
{
	return ff_hit("ftruncate") ? -1 : __real_ftruncate64(fd, length);
}

int __wrap_unlinkat(int dirfd, const char *path, int flags)
{
	ff.unlinks += ff.active;
	return ff_hit("unlink") ? -1 : __real_unlinkat(dirfd, path, flags);
}

static void ff_forget(void)
{
	for (unsigned i = 0; i < ff.file_count; i++)
		free(ff.files[i].data);
	memset(&ff, 0, sizeof(ff));
}

void fault_fs_begin(const char *dir)
{
	ff_forget();
	snprintf(ff.dir, sizeof(ff.dir), "%s", dir);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		ff_die("not a directory");
	ff.dir_dev = st.st_dev;
	ff.dir_ino = st.st_ino;
	/* Everything there now counts as durable. */
	DIR *d = opendir(dir);
	if (d == NULL)
		ff_die("opendir");
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		int fd = __real_openat64(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			ff_die("open an existing file");
		ff_read_all(fd, ff_new_version(st.st_ino));
		close(fd);
	}
	closedir(d);
	ff_capture_names();
	ff.active = true;
}

void fault_fs_arm(unsigned n, int err)
{
	ff.armed = n;
	ff.err = err;
}

void fault_fs_arm_next(const char *call, int err)
{
	ff.armed_name = call;
	ff.err = err;
}

unsigned fault_fs_calls(void)
{
	return ff.calls;
}

unsigned fault_fs_renames(void)
{
	return ff.renames;
}

unsigned fault_fs_unlinks(void)
{
	return ff.unlinks;
}

const char *fault_fs_failed_call(void)
{
	return ff.failed;
}

void fault_fs_power_cut(void)
{
	ff.active = false;
	int dfd = __real_open64(ff.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		ff_die("open the directory");
	DIR *d = fdopendir(dup(dfd));
	if (d == NULL)
		ff_die("fdopendir");
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    __real_unlinkat(dfd, e->d_name, 0) != 0)
			ff_die("unlink");
	}
	closedir(d);
	for (unsigned i = 0; i < ff.name_count; i++) {
		const struct ff_name *n = &ff.names[i];
		const struct ff_file *f = NULL;
		for (unsigned k = 0; k < ff.file_count; k++)
			if (ff.files[k].ino == n->ino && ff.files[k].gen == n->gen)
				f = &ff.files[k];
		int fd = __real_openat64(dfd, n->name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			ff_die("recreate a file");
		if (f != NULL && f->length > 0 && __real_write(fd, f->data, f->length) != (ssize_t)f->length)
			ff_die("rewrite a file");
		close(fd);
	}
	close(dfd);
	char dir[PATH_MAX];
	memcpy(dir, ff.dir, sizeof(dir));
	ff_forget();
	memcpy(ff.dir, dir, sizeof(dir));
}
