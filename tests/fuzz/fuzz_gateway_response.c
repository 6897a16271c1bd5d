/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the gateway's response decoder reads bytes from the
 * network. First byte: which call answered; second: the HTTP status; the
 * rest: the body. Besides the sanitizers, it checks what the gateway relies
 * on: every string terminated, codes in range, no success without a clean
 * processor id, nothing left over in an unknown outcome.
 * Build and run: scripts/fuzz.sh */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_terminated(const char *text, size_t size)
{
	assert(memchr(text, '\0', size) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 201, 400, 401, 402, 404, 408, 409, 429, 500, 502, 503, 302, 100, 0, 599};
	if (size < 2)
		return 0;
	enum cv_gw_call call = (enum cv_gw_call)(data[0] % 6);
	long status = statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
	struct cv_payment_result r;
	memset(&r, 0xa5, sizeof(r));
	r.op_id = 7;
	r.op = CV_PAYMENT_OP_CAPTURE;
	/* The request the answer is checked against (NULL for a probe). */
	static const struct cv_payment_request req = {
		.vend_id = "v-1",
		.idempotency_key = "cv1.v-1.cap",
		.auth_key = "cv1.v-1.auth.1",
		.processor_ref = "pi_1",
		.amount = {.amount_minor = 150, .currency = "USD"},
	};
	enum cv_gw_intent intent = cv_gw_response_decode(call, call == CV_GW_CALL_PROBE ? NULL : &req, status,
							 (const char *)data + 2, size - 2, &r);
	assert(r.op_id == 7 && r.op == CV_PAYMENT_OP_CAPTURE);
	assert((unsigned)intent <= CV_GW_INTENT_FOREIGN);
	assert((unsigned)r.result <= CV_PAY_READER_FAULT);
	assert((unsigned)r.decline_reason <= CV_DECLINE_OFFLINE_REFUSED);
	assert(r.result == CV_PAY_DECLINED || r.decline_reason == CV_DECLINE_NONE);
	check_terminated(r.processor_ref, sizeof(r.processor_ref));
	check_terminated(r.amount.currency, sizeof(r.amount.currency));
	check_terminated(r.card.brand, sizeof(r.card.brand));
	check_terminated(r.card.last4, sizeof(r.card.last4));
	check_terminated(r.card.auth_code, sizeof(r.card.auth_code));
	check_terminated(r.card.aid, sizeof(r.card.aid));
	check_terminated(r.card.app_label, sizeof(r.card.app_label));
	assert(r.processor_ref[0] == '\0' || cv_gw_id_valid(r.processor_ref));
	if (r.result == CV_PAY_OK && call != CV_GW_CALL_PROBE && call != CV_GW_CALL_CANCEL)
		assert(cv_gw_id_valid(r.processor_ref) && r.amount.amount_minor >= 0 && strlen(r.amount.currency) == 3);
	/* Bound to the request: a success names its currency, never more than its amount, and (by reference) its intent. */
	if (r.result == CV_PAY_OK && call != CV_GW_CALL_PROBE) {
		assert(strcmp(r.amount.currency, "USD") == 0 && r.amount.amount_minor <= 150);
		if (call == CV_GW_CALL_CAPTURE || call == CV_GW_CALL_CANCEL || call == CV_GW_CALL_RETRIEVE)
			assert(strcmp(r.processor_ref, "pi_1") == 0);
		if (call == CV_GW_CALL_CAPTURE)
			assert(r.amount.amount_minor == 150);
	}
	if (r.result == CV_PAY_UNKNOWN)
		assert(r.processor_ref[0] == '\0' && r.amount.amount_minor == 0 && r.card.last4[0] == '\0');
	assert(r.card.last4[0] == '\0' || strlen(r.card.last4) == 4);
	assert(strlen(r.card.auth_code) <= 8);
	/* The token check takes the body as a string too. */
	char token[96];
	size_t n = size - 2 < sizeof(token) - 1 ? size - 2 : sizeof(token) - 1;
	memcpy(token, data + 2, n);
	token[n] = '\0';
	(void)cv_gw_token_valid(token);
	return 0;
}
