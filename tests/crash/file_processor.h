/* SPDX-License-Identifier: MIT */
/* A payment processor that survives SIGKILL: its state is an append-only
 * log of the operations it performed, each written and fdatasync'ed before
 * the answer leaves (so the processor always knows at least as much as any
 * engine it answered). It is the "outside world" of the crash test: a real
 * processor does not forget a hold because the vending machine crashed.
 *
 * Semantics, by idempotency key:
 *  - authorize(auth key): a new key is held (or declined); the same key
 *    again gets the stored answer.
 *  - capture(cap key, auth key): settles a held authorization at most once,
 *    for at most the held amount; the same cap key again gets the stored
 *    answer. Capturing a voided, declined, unknown or already captured
 *    hold, or with another hold's processor reference, is refused.
 *  - void(void key, auth key): releases a held authorization; voiding a
 *    voided one is OK, an unknown or declined one NOT_FOUND, a captured one
 *    is refused.
 *  - lookup(auth key): OK while held (or captured), DECLINED, or NOT_FOUND.
 * Every refused request is logged too (an 'R' record): the engine should
 * never send one, and the crash test fails if it did.
 *
 * Log lines:
 *   H <life> <auth key> <amount> <ref>       hold placed
 *   D <life> <auth key> <amount>             declined (the stored answer)
 *   C <life> <auth key> <cap key> <amount>   captured
 *   V <life> <auth key> <void key>           voided
 *   R <life> <what> <auth key> <key> <amount> a request refused, and why
 */
#ifndef CANDYVEND_CRASH_FILE_PROCESSOR_H
#define CANDYVEND_CRASH_FILE_PROCESSOR_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/payment.h>

struct fp_record {
	char type;     /* 'H', 'D', 'C', 'V' or 'R'. */
	uint32_t life; /* The child process that wrote it. */
	char auth_key[CV_IDEM_KEY_LEN];
	char key[CV_IDEM_KEY_LEN];      /* C, V, R: the request's key ("-" if none). */
	int64_t amount;                 /* H, D: authorized; C: captured; R: requested. */
	char ref[CV_PROCESSOR_REF_LEN]; /* H: the processor's reference of the hold. */
	char what[24];                  /* R: why it was refused. */
};

/* Parses one log line; false if it is malformed. */
bool fp_record_parse(const char *line, struct fp_record *out);

struct fp_answer {
	enum cv_pay_result result;
	int64_t amount;
	char ref[CV_PROCESSOR_REF_LEN];
};

struct file_processor;

/* Opens the processor on its log (created if missing), replaying it.
 * life tags every record written from now on. 0 or -1. */
int fp_open(struct file_processor **out, const char *path, uint32_t life);
void fp_close(struct file_processor *fp);
/* Length of the log: every operation performed so far lies before it. */
uint64_t fp_offset(const struct file_processor *fp);

/* The operations; each returns 0 (answer in *out), or -1 if the log could
 * not be written (nothing was done then). decline: what a new
 * authorization's issuer says. */
int fp_authorize(struct file_processor *fp, const char *auth_key, int64_t amount, bool decline, struct fp_answer *out);
int fp_capture(struct file_processor *fp, const char *key, const char *auth_key, const char *ref, int64_t amount,
	       struct fp_answer *out);
int fp_void(struct file_processor *fp, const char *key, const char *auth_key, const char *ref, struct fp_answer *out);
int fp_lookup(struct file_processor *fp, const char *auth_key, struct fp_answer *out);

#endif
