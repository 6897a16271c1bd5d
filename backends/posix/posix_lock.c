/* SPDX-License-Identifier: MIT */
/* One journal, one writer: an exclusive flock() on the file `lock` in the
 * journal's directory, held while the storage is open. A flock() belongs to
 * the open file description, so a second opener is refused in the same
 * process as in another one, and the kernel frees it when the holder dies
 * (SIGKILL, a crash). The holder writes its PID into the file, only so
 * that a refused opener can name it. */
#define _DEFAULT_SOURCE /* flock() */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "posix_private.h"

#define CV_POSIX_LOCK_NAME "lock"
#define CV_POSIX_LOCK_MODE 0600

/* The PID the holder wrote, or 0 if it can't be read. */
static long cv_posix_lock_holder(int fd)
{
	char text[24] = {0};
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return 0;
	char *end = NULL;
	long pid = strtol(text, &end, 10);
	return end != text && pid > 0 ? pid : 0;
}

static void cv_posix_lock_write_pid(int fd)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	/* Only for a refused opener's message: a failure here changes nothing. */
	if (ftruncate(fd, 0) == 0 && n > 0)
		(void)!pwrite(fd, text, (size_t)n, 0);
}

enum cv_status cv_posix_lock(struct cv_posix_storage *s, const char *directory, char *why, size_t why_size)
{
	int fd;
	do
		fd = openat(s->dir_fd, CV_POSIX_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			    CV_POSIX_LOCK_MODE);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		cv_posix_why(why, why_size, "journal folder %s: can't open its lock file: %s", directory,
			     strerror(errno));
		return CV_E_IO;
	}
	int rc;
	do
		rc = flock(fd, LOCK_EX | LOCK_NB);
	while (rc != 0 && errno == EINTR);
	if (rc != 0) {
		int err = errno;
		long holder = err == EWOULDBLOCK ? cv_posix_lock_holder(fd) : 0;
		cv_posix_close_fd(&fd);
		if (err != EWOULDBLOCK) {
			cv_posix_why(why, why_size, "journal folder %s: can't lock it: %s", directory, strerror(err));
			return CV_E_IO;
		}
		if (holder > 0)
			cv_posix_why(why, why_size,
				     "journal folder %s is in use by process %ld (one journal, one writer)", directory,
				     holder);
		else
			cv_posix_why(why, why_size,
				     "journal folder %s is in use by another storage (one journal, one writer)",
				     directory);
		return CV_E_BUSY;
	}
	cv_posix_lock_write_pid(fd);
	s->lock_fd = fd;
	return CV_OK;
}
