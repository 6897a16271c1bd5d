/* SPDX-License-Identifier: MIT */
/* The response decoder of the processor gateway: untrusted bytes in, a
 * payment result out. No libcurl, no I/O, so it can be fuzzed alone
 * (tests/fuzz/fuzz_gateway_response.c). */
#ifndef CANDYVEND_GATEWAY_RESPONSE_H
#define CANDYVEND_GATEWAY_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include <candyvend/payment.h>
#include <candyvend/payment_gateway.h>

/* Test only: a build with -DCV_GW_MUTANT=n puts back gateway bug n, so that
 * the hostile-processor search (tests/gateway, scripts/mutants.sh) can show
 * that it catches it. Release and test builds have no mutant. */
#ifndef CV_GW_MUTANT
#define CV_GW_MUTANT 0
#endif
#define CV_GW_MUTATED(n) (CV_GW_MUTANT == (n))
enum cv_gw_mutant {
	CV_GW_MUTANT_UNBOUND_ANSWER = 1,   /* An intent is taken without checking it is the request's. */
	CV_GW_MUTANT_PROXY_408_UNSENT = 2, /* A 408 (a proxy may have forwarded) counts as not sent. */
	CV_GW_MUTANT_GARBAGE_UNSENT = 3,   /* An answer that is not HTTP (libcurl: unsupported protocol)
					    * counts as not sent. */
	CV_GW_MUTANT_COUNT = 4
};

/* The HTTP calls the gateway makes. */
enum cv_gw_call {
	CV_GW_CALL_CREATE = 0,   /* POST /v1/payment_intents */
	CV_GW_CALL_CAPTURE = 1,  /* POST /v1/payment_intents/{id}/capture */
	CV_GW_CALL_CANCEL = 2,   /* POST /v1/payment_intents/{id}/cancel */
	CV_GW_CALL_RETRIEVE = 3, /* GET /v1/payment_intents/{id} */
	CV_GW_CALL_LIST = 4,     /* GET /v1/payment_intents?idempotency_key=K */
	CV_GW_CALL_PROBE = 5,    /* GET ...?idempotency_key=cv-health-probe: any answer is good */
};

/* The state of the intent an answer described, if any. */
enum cv_gw_intent {
	CV_GW_INTENT_NONE = 0,                    /* No (readable) intent in the answer. */
	CV_GW_INTENT_REQUIRES_CAPTURE = 1,        /* Held. */
	CV_GW_INTENT_REQUIRES_PAYMENT_METHOD = 2, /* Declined. */
	CV_GW_INTENT_CANCELED = 3,                /* Released (or expired). */
	CV_GW_INTENT_SUCCEEDED = 4,               /* Captured. */
	CV_GW_INTENT_OTHER = 5,                   /* Processing, requires_action, ...; or fields missing. */
	CV_GW_INTENT_KEY_IN_USE = 6,              /* No intent: 400 idempotency_error, the key already
						   * ran with other parameters (and may hold money). */
	CV_GW_INTENT_FOREIGN = 7,                 /* Not the request's intent (another vend, amount,
						   * currency or id), or amounts that contradict its
						   * status: no answer. */
};

/* Decodes the answer to @p call, made for @p req (NULL only for a probe):
 * HTTP @p http_status (100..599) and @p length bytes of @p body (need not be
 * NUL-terminated). Fills every member of @p out but op_id and op. Pure: no
 * I/O, no globals. Every intent in the answer must be the request's (its
 * vend id, amount and currency; for a call by reference its id) with
 * amounts that fit its status, or the outcome is CV_PAY_UNKNOWN; so is a 2xx
 * body that can't be read (not JSON, missing or malformed fields, an id that
 * is not [A-Za-z0-9_]), a 4xx without the processor's error object, a
 * decline that carries a hold, and an "unexpected state" that is the
 * expected one. For CV_GW_CALL_LIST, an empty list is CV_PAY_NOT_FOUND,
 * otherwise the one hold in it, or the newest intent, decides. Returns the
 * state of the intent the answer described (for logs and for the caller's
 * next step). */
enum cv_gw_intent cv_gw_response_decode(enum cv_gw_call call, const struct cv_payment_request *req, long http_status,
					const char *body, size_t length, struct cv_payment_result *out);

/* Whether @p text is an acceptable processor id: 1..CV_PROCESSOR_REF_LEN-1
 * characters of [A-Za-z0-9_]. */
bool cv_gw_id_valid(const char *text);

/* Whether @p token is an acceptable reader token (payment_gateway.h). */
bool cv_gw_token_valid(const char *token);

#endif
