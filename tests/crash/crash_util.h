/* SPDX-License-Identifier: MIT */
/* Helpers of the crash test: a seeded PRNG, append-only line logs that
 * survive SIGKILL (a line is written whole, then fdatasync'ed; a line cut
 * by a kill has no newline and is cut off when the log is opened again),
 * and a string-keyed hash map. */
#ifndef CANDYVEND_CRASH_UTIL_H
#define CANDYVEND_CRASH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* splitmix64. */
uint64_t cu_rand(uint64_t *state);
/* Uniform in [0, n). */
uint32_t cu_below(uint64_t *state, uint32_t n);
/* True with probability permille / 1000. */
bool cu_chance(uint64_t *state, uint32_t permille);

/* Called for every complete line (NUL-terminated, newline removed; the
 * callee may modify it), with its byte range in the file. Returning false
 * stops the read with an error. */
typedef bool (*cu_line_fn)(void *arg, char *line, uint64_t offset, uint64_t end);

struct cu_log {
	int fd;
	uint64_t length; /* Bytes in the file: complete lines only. */
};

/* Opens (or creates) the log at path for appending: every complete line is
 * given to fn (may be NULL), then a torn last line is cut off durably.
 * Returns 0, or -1 with a message on stderr. */
int cu_log_open(struct cu_log *log, const char *path, cu_line_fn fn, void *arg);
/* Appends line + '\n' (one write) and, if sync, fdatasyncs. 0 or -1. */
int cu_log_append(struct cu_log *log, const char *line, bool sync);
void cu_log_close(struct cu_log *log);
/* Reads a log without changing it; *torn_out receives the bytes after the
 * last newline. A missing file reads as empty. 0 or -1. */
int cu_log_read(const char *path, cu_line_fn fn, void *arg, uint64_t *torn_out);

/* A map from short strings (< CU_KEY_MAX bytes) to int64 values. */
#define CU_KEY_MAX 64

struct cu_map_slot {
	char key[CU_KEY_MAX];
	int64_t value;
	bool used;
};

struct cu_map {
	struct cu_map_slot *slots;
	size_t capacity; /* A power of two. */
	size_t count;
};

void cu_map_init(struct cu_map *map);
void cu_map_free(struct cu_map *map);
/* The value of key, or NULL. */
int64_t *cu_map_get(const struct cu_map *map, const char *key);
/* The value of key, inserted with `value` if absent (*inserted tells). Aborts on OOM or a key too long. */
int64_t *cu_map_put(struct cu_map *map, const char *key, int64_t value, bool *inserted);

/* path = dir + "/" + name; aborts if it does not fit. */
void cu_path(char *out, size_t size, const char *dir, const char *name);

#endif
