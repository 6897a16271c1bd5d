/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L

#include "crash_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t cu_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

uint32_t cu_below(uint64_t *state, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(cu_rand(state) % n);
}

bool cu_chance(uint64_t *state, uint32_t permille)
{
	return cu_below(state, 1000) < permille;
}

void cu_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "crash: path too long: %s/%s\n", dir, name);
		abort();
	}
}

/* Reads the whole file at fd into a fresh buffer (NUL-terminated). */
static int cu_slurp(int fd, char **buf_out, size_t *length_out)
{
	size_t capacity = 1 << 16, length = 0;
	char *buf = malloc(capacity + 1);
	if (buf == NULL)
		return -1;
	for (;;) {
		if (length == capacity) {
			capacity *= 2;
			char *bigger = realloc(buf, capacity + 1);
			if (bigger == NULL) {
				free(buf);
				return -1;
			}
			buf = bigger;
		}
		ssize_t n = pread(fd, buf + length, capacity - length, (off_t)length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		length += (size_t)n;
	}
	buf[length] = '\0';
	*buf_out = buf;
	*length_out = length;
	return 0;
}

/* Feeds the complete lines of buf to fn; returns the length they cover, or -1 if fn refused one. */
static int64_t cu_lines(char *buf, size_t length, cu_line_fn fn, void *arg)
{
	size_t at = 0;
	while (at < length) {
		char *nl = memchr(buf + at, '\n', length - at);
		if (nl == NULL)
			break;
		*nl = '\0';
		size_t end = (size_t)(nl - buf) + 1;
		if (fn != NULL && !fn(arg, buf + at, at, end))
			return -1;
		at = end;
	}
	return (int64_t)at;
}

int cu_log_read(const char *path, cu_line_fn fn, void *arg, uint64_t *torn_out)
{
	*torn_out = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	char *buf = NULL;
	size_t length = 0;
	int rc = cu_slurp(fd, &buf, &length);
	close(fd);
	if (rc != 0)
		return -1;
	int64_t complete = cu_lines(buf, length, fn, arg);
	free(buf);
	if (complete < 0)
		return -1;
	*torn_out = length - (uint64_t)complete;
	return 0;
}

static int cu_sync_parent(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int cu_log_open(struct cu_log *log, const char *path, cu_line_fn fn, void *arg)
{
	log->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log->fd < 0) {
		fprintf(stderr, "crash: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t length = 0;
	if (cu_slurp(log->fd, &buf, &length) != 0) {
		fprintf(stderr, "crash: read %s: %s\n", path, strerror(errno));
		goto fail;
	}
	int64_t complete = cu_lines(buf, length, fn, arg);
	free(buf);
	if (complete < 0) {
		fprintf(stderr, "crash: %s holds a record that makes no sense\n", path);
		goto fail;
	}
	log->length = (uint64_t)complete;
	/* A line cut by a kill never counted: its effect was never reported. */
	if ((uint64_t)complete != length && (ftruncate(log->fd, (off_t)complete) != 0 || fdatasync(log->fd) != 0)) {
		fprintf(stderr, "crash: cut %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (cu_sync_parent(path) != 0) {
		fprintf(stderr, "crash: sync directory of %s: %s\n", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close(log->fd);
	log->fd = -1;
	return -1;
}

int cu_log_append(struct cu_log *log, const char *line, bool sync)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	size_t done = 0;
	while (done < (size_t)n) {
		ssize_t w = write(log->fd, buf + done, (size_t)n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	if (sync && fdatasync(log->fd) != 0)
		return -1;
	log->length += (uint64_t)n;
	return 0;
}

void cu_log_close(struct cu_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}

/* FNV-1a. */
static uint64_t cu_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 0x100000001b3u;
	return h;
}

void cu_map_init(struct cu_map *map)
{
	map->capacity = 1024;
	map->count = 0;
	map->slots = calloc(map->capacity, sizeof(map->slots[0]));
	if (map->slots == NULL)
		abort();
}

void cu_map_free(struct cu_map *map)
{
	free(map->slots);
	map->slots = NULL;
	map->capacity = map->count = 0;
}

static struct cu_map_slot *cu_map_find(const struct cu_map *map, const char *key)
{
	size_t mask = map->capacity - 1;
	for (size_t i = cu_hash(key) & mask;; i = (i + 1) & mask) {
		struct cu_map_slot *s = &map->slots[i];
		if (!s->used || strcmp(s->key, key) == 0)
			return s;
	}
}

int64_t *cu_map_get(const struct cu_map *map, const char *key)
{
	struct cu_map_slot *s = cu_map_find(map, key);
	return s->used ? &s->value : NULL;
}

static void cu_map_grow(struct cu_map *map)
{
	struct cu_map old = *map;
	map->capacity *= 2;
	map->count = 0;
	map->slots = calloc(map->capacity, sizeof(map->slots[0]));
	if (map->slots == NULL)
		abort();
	for (size_t i = 0; i < old.capacity; i++)
		if (old.slots[i].used)
			cu_map_put(map, old.slots[i].key, old.slots[i].value, NULL);
	free(old.slots);
}

int64_t *cu_map_put(struct cu_map *map, const char *key, int64_t value, bool *inserted)
{
	if (strlen(key) >= CU_KEY_MAX)
		abort();
	if ((map->count + 1) * 2 > map->capacity)
		cu_map_grow(map);
	struct cu_map_slot *s = cu_map_find(map, key);
	if (inserted != NULL)
		*inserted = !s->used;
	if (!s->used) {
		s->used = true;
		strcpy(s->key, key);
		s->value = value;
		map->count++;
	}
	return &s->value;
}
