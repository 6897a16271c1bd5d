/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L

#include "file_processor.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_util.h"

enum fp_state { FP_HELD, FP_DECLINED, FP_CAPTURED, FP_VOIDED };

struct fp_hold {
	enum fp_state state;
	int64_t held;
	int64_t captured;
	char ref[CV_PROCESSOR_REF_LEN];
};

struct file_processor {
	struct cu_log log;
	uint32_t life;
	uint32_t next_ref;
	struct fp_hold *holds;
	size_t count;
	size_t capacity;
	struct cu_map by_auth; /* auth key → hold index */
	struct cu_map by_key;  /* capture or void key → hold index */
};

bool fp_record_parse(const char *line, struct fp_record *out)
{
	memset(out, 0, sizeof(*out));
	out->type = line[0];
	int n;
	switch (line[0]) {
	case 'H':
		n = sscanf(line, "H %" SCNu32 " %47s %" SCNd64 " %39s", &out->life, out->auth_key, &out->amount,
			   out->ref);
		return n == 4;
	case 'D':
		n = sscanf(line, "D %" SCNu32 " %47s %" SCNd64, &out->life, out->auth_key, &out->amount);
		return n == 3;
	case 'C':
		n = sscanf(line, "C %" SCNu32 " %47s %47s %" SCNd64, &out->life, out->auth_key, out->key, &out->amount);
		return n == 4;
	case 'V':
		n = sscanf(line, "V %" SCNu32 " %47s %47s", &out->life, out->auth_key, out->key);
		return n == 3;
	case 'R':
		n = sscanf(line, "R %" SCNu32 " %23s %47s %47s %" SCNd64, &out->life, out->what, out->auth_key,
			   out->key, &out->amount);
		return n == 5;
	default:
		return false;
	}
}

static struct fp_hold *fp_find(const struct file_processor *fp, const char *auth_key)
{
	int64_t *index = cu_map_get(&fp->by_auth, auth_key);
	return index != NULL ? &fp->holds[*index] : NULL;
}

static bool fp_add_hold(struct file_processor *fp, const struct fp_record *r, enum fp_state state)
{
	bool inserted = false;
	cu_map_put(&fp->by_auth, r->auth_key, (int64_t)fp->count, &inserted);
	if (!inserted)
		return false;
	if (fp->count == fp->capacity) {
		fp->capacity = fp->capacity ? fp->capacity * 2 : 1024;
		struct fp_hold *bigger = realloc(fp->holds, fp->capacity * sizeof(*bigger));
		if (bigger == NULL)
			abort();
		fp->holds = bigger;
	}
	struct fp_hold *h = &fp->holds[fp->count++];
	memset(h, 0, sizeof(*h));
	h->state = state;
	h->held = r->amount;
	snprintf(h->ref, sizeof(h->ref), "%s", r->ref);
	return true;
}

/* Applies a record to the state; false if it contradicts it. */
static bool fp_apply(struct file_processor *fp, const struct fp_record *r)
{
	struct fp_hold *h;
	bool inserted = false;
	switch (r->type) {
	case 'H':
		return fp_add_hold(fp, r, FP_HELD);
	case 'D':
		return fp_add_hold(fp, r, FP_DECLINED);
	case 'C':
	case 'V':
		h = fp_find(fp, r->auth_key);
		if (h == NULL || h->state != FP_HELD)
			return false;
		if (r->type == 'C' && r->amount > h->held)
			return false;
		cu_map_put(&fp->by_key, r->key, h - fp->holds, &inserted);
		if (!inserted)
			return false;
		h->state = r->type == 'C' ? FP_CAPTURED : FP_VOIDED;
		h->captured = r->type == 'C' ? r->amount : 0;
		return true;
	case 'R':
		return true;
	default:
		return false;
	}
}

static bool fp_replay_line(void *arg, char *line, uint64_t offset, uint64_t end)
{
	(void)offset;
	(void)end;
	struct file_processor *fp = arg;
	struct fp_record r;
	return fp_record_parse(line, &r) && fp_apply(fp, &r);
}

int fp_open(struct file_processor **out, const char *path, uint32_t life)
{
	struct file_processor *fp = calloc(1, sizeof(*fp));
	if (fp == NULL)
		return -1;
	fp->life = life;
	cu_map_init(&fp->by_auth);
	cu_map_init(&fp->by_key);
	if (cu_log_open(&fp->log, path, fp_replay_line, fp) != 0) {
		fp_close(fp);
		return -1;
	}
	*out = fp;
	return 0;
}

void fp_close(struct file_processor *fp)
{
	if (fp == NULL)
		return;
	cu_log_close(&fp->log);
	cu_map_free(&fp->by_auth);
	cu_map_free(&fp->by_key);
	free(fp->holds);
	free(fp);
}

uint64_t fp_offset(const struct file_processor *fp)
{
	return fp->log.length;
}

/* Writes a record durably, then applies it. */
static int fp_commit(struct file_processor *fp, const struct fp_record *r)
{
	char line[256];
	switch (r->type) {
	case 'H':
		snprintf(line, sizeof(line), "H %" PRIu32 " %s %" PRId64 " %s", fp->life, r->auth_key, r->amount,
			 r->ref);
		break;
	case 'D':
		snprintf(line, sizeof(line), "D %" PRIu32 " %s %" PRId64, fp->life, r->auth_key, r->amount);
		break;
	case 'C':
		snprintf(line, sizeof(line), "C %" PRIu32 " %s %s %" PRId64, fp->life, r->auth_key, r->key, r->amount);
		break;
	case 'V':
		snprintf(line, sizeof(line), "V %" PRIu32 " %s %s", fp->life, r->auth_key, r->key);
		break;
	default:
		snprintf(line, sizeof(line), "R %" PRIu32 " %s %s %s %" PRId64, fp->life, r->what,
			 r->auth_key[0] ? r->auth_key : "-", r->key[0] ? r->key : "-", r->amount);
		break;
	}
	if (cu_log_append(&fp->log, line, true) != 0)
		return -1;
	if (!fp_apply(fp, r)) {
		fprintf(stderr, "crash: processor record contradicts its state: %s\n", line);
		abort();
	}
	return 0;
}

static int fp_refuse(struct file_processor *fp, const char *what, const char *auth_key, const char *key, int64_t amount,
		     enum cv_pay_result result, struct fp_answer *out)
{
	struct fp_record r = {.type = 'R', .amount = amount};
	snprintf(r.what, sizeof(r.what), "%s", what);
	snprintf(r.auth_key, sizeof(r.auth_key), "%s", auth_key);
	snprintf(r.key, sizeof(r.key), "%s", key);
	out->result = result;
	return fp_commit(fp, &r);
}

static bool fp_key_ok(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n >= CV_IDEM_KEY_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return false;
	return true;
}

int fp_authorize(struct file_processor *fp, const char *auth_key, int64_t amount, bool decline, struct fp_answer *out)
{
	memset(out, 0, sizeof(*out));
	if (!fp_key_ok(auth_key) || amount <= 0)
		return fp_refuse(fp, "auth-malformed", fp_key_ok(auth_key) ? auth_key : "-", "-", amount,
				 CV_PAY_INVALID, out);
	struct fp_hold *h = fp_find(fp, auth_key);
	if (h == NULL) {
		struct fp_record r = {.type = decline ? 'D' : 'H', .amount = amount};
		snprintf(r.auth_key, sizeof(r.auth_key), "%s", auth_key);
		snprintf(r.ref, sizeof(r.ref), "pr-%" PRIu32 "-%" PRIu32, fp->life, ++fp->next_ref);
		if (fp_commit(fp, &r) != 0)
			return -1;
		h = fp_find(fp, auth_key);
	}
	/* The same key again gets the stored answer. */
	out->result = h->state == FP_DECLINED ? CV_PAY_DECLINED : CV_PAY_OK;
	out->amount = h->held;
	snprintf(out->ref, sizeof(out->ref), "%s", h->ref);
	return 0;
}

int fp_capture(struct file_processor *fp, const char *key, const char *auth_key, const char *ref, int64_t amount,
	       struct fp_answer *out)
{
	memset(out, 0, sizeof(*out));
	if (!fp_key_ok(key) || !fp_key_ok(auth_key))
		return fp_refuse(fp, "cap-malformed", "-", "-", amount, CV_PAY_INVALID, out);
	struct fp_hold *h = fp_find(fp, auth_key);
	int64_t *by_key = cu_map_get(&fp->by_key, key);
	if (by_key != NULL) {
		if (h == NULL || &fp->holds[*by_key] != h || h->state != FP_CAPTURED)
			return fp_refuse(fp, "cap-key-reused", auth_key, key, amount, CV_PAY_INVALID, out);
		out->result = CV_PAY_OK; /* The stored answer. */
		out->amount = h->captured;
		snprintf(out->ref, sizeof(out->ref), "%s", h->ref);
		return 0;
	}
	if (h == NULL || h->state == FP_DECLINED)
		return fp_refuse(fp, "cap-no-hold", auth_key, key, amount, CV_PAY_NOT_FOUND, out);
	if (ref[0] != '\0' && strcmp(ref, h->ref) != 0)
		return fp_refuse(fp, "cap-wrong-ref", auth_key, key, amount, CV_PAY_INVALID, out);
	if (h->state == FP_VOIDED)
		return fp_refuse(fp, "cap-of-voided", auth_key, key, amount, CV_PAY_INVALID, out);
	if (h->state == FP_CAPTURED)
		return fp_refuse(fp, "cap-twice", auth_key, key, amount, CV_PAY_INVALID, out);
	if (amount <= 0 || amount > h->held)
		return fp_refuse(fp, "cap-over-held", auth_key, key, amount, CV_PAY_INVALID, out);
	struct fp_record r = {.type = 'C', .amount = amount};
	snprintf(r.auth_key, sizeof(r.auth_key), "%s", auth_key);
	snprintf(r.key, sizeof(r.key), "%s", key);
	if (fp_commit(fp, &r) != 0)
		return -1;
	out->result = CV_PAY_OK;
	out->amount = amount;
	snprintf(out->ref, sizeof(out->ref), "%s", h->ref);
	return 0;
}

int fp_void(struct file_processor *fp, const char *key, const char *auth_key, const char *ref, struct fp_answer *out)
{
	memset(out, 0, sizeof(*out));
	if (!fp_key_ok(key) || !fp_key_ok(auth_key))
		return fp_refuse(fp, "void-malformed", "-", "-", 0, CV_PAY_INVALID, out);
	struct fp_hold *h = fp_find(fp, auth_key);
	int64_t *by_key = cu_map_get(&fp->by_key, key);
	if (by_key != NULL) {
		if (h == NULL || &fp->holds[*by_key] != h || h->state != FP_VOIDED)
			return fp_refuse(fp, "void-key-reused", auth_key, key, 0, CV_PAY_INVALID, out);
		out->result = CV_PAY_OK;
		return 0;
	}
	if (h == NULL || h->state == FP_DECLINED) {
		out->result = CV_PAY_NOT_FOUND; /* Nothing to release. */
		return 0;
	}
	if (ref[0] != '\0' && strcmp(ref, h->ref) != 0)
		return fp_refuse(fp, "void-wrong-ref", auth_key, key, 0, CV_PAY_INVALID, out);
	if (h->state == FP_CAPTURED)
		return fp_refuse(fp, "void-of-captured", auth_key, key, 0, CV_PAY_INVALID, out);
	if (h->state == FP_VOIDED) {
		out->result = CV_PAY_OK;
		return 0;
	}
	struct fp_record r = {.type = 'V'};
	snprintf(r.auth_key, sizeof(r.auth_key), "%s", auth_key);
	snprintf(r.key, sizeof(r.key), "%s", key);
	if (fp_commit(fp, &r) != 0)
		return -1;
	out->result = CV_PAY_OK;
	return 0;
}

int fp_lookup(struct file_processor *fp, const char *auth_key, struct fp_answer *out)
{
	memset(out, 0, sizeof(*out));
	const struct fp_hold *h = fp_key_ok(auth_key) ? fp_find(fp, auth_key) : NULL;
	if (h == NULL || h->state == FP_VOIDED) {
		out->result = CV_PAY_NOT_FOUND;
		return 0;
	}
	out->result = h->state == FP_DECLINED ? CV_PAY_DECLINED : CV_PAY_OK;
	out->amount = h->held;
	snprintf(out->ref, sizeof(out->ref), "%s", h->ref);
	return 0;
}
