/* SPDX-License-Identifier: MIT */
/* The gateway's response decoder on bodies the processor emulator really
 * sends (captured from tests/fixtures/processor_emulator.py), and on the
 * ways they can go wrong. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_response.h"
#include "leak_check.h"

TestSuite(gateway_response, .fini = cv_test_leak_check);

#define CHARGE_HELD                                                                                         \
	"{\"amount\":150,\"amount_captured\":0,\"amount_refunded\":0,\"authorization_code\":\"641368\","    \
	"\"captured\":false,\"created\":1795555581,\"currency\":\"usd\",\"failure_code\":null,"             \
	"\"id\":\"ch_246ab3d58a9b353591118d74\",\"object\":\"charge\",\"outcome\":{\"network_status\":"     \
	"\"approved_by_network\",\"type\":\"authorized\"},\"paid\":true,\"payment_intent\":"                \
	"\"pi_ee040c44d0e2882bb4669500\",\"payment_method_details\":{\"card_present\":{\"brand\":\"visa\"," \
	"\"capture_before\":1795987581,\"last4\":\"4242\",\"read_method\":\"contactless_emv\"},\"type\":"   \
	"\"card_present\"},\"status\":\"succeeded\"}"

/* POST /v1/payment_intents, 200. */
static const char CREATED[] =
	"{\"amount\":150,\"amount_capturable\":150,\"amount_received\":0,\"canceled_at\":null,"
	"\"cancellation_reason\":null,\"capture_method\":\"manual\",\"confirmation_method\":\"automatic\","
	"\"created\":1795555581,\"currency\":\"usd\",\"description\":null,\"id\":\"pi_ee040c44d0e2882bb4669500\","
	"\"last_payment_error\":null,\"latest_charge\":" CHARGE_HELD ",\"livemode\":false,\"metadata\":"
	"{\"auth_key\":\"cv1.v-1.auth.1\",\"vend_id\":\"v-1\"},\"object\":\"payment_intent\",\"payment_method\":\"pm_"
	"card_visa\","
	"\"payment_method_types\":[\"card_present\"],\"status\":\"requires_capture\"}";

/* POST /v1/payment_intents with pm_card_insufficient_funds, 402. */
static const char DECLINED[] =
	"{\"error\":{\"charge\":\"ch_24e57649145d012c355a69b7\",\"code\":\"card_declined\",\"decline_code\":"
	"\"insufficient_funds\",\"message\":\"Your card has insufficient funds.\",\"payment_intent\":{\"amount\":150,"
	"\"amount_capturable\":0,\"amount_received\":0,\"canceled_at\":null,\"cancellation_reason\":null,"
	"\"capture_method\":\"manual\",\"confirmation_method\":\"automatic\",\"created\":1795555581,\"currency\":"
	"\"usd\",\"description\":null,\"id\":\"pi_cbdaa7691543f0d4ffd9c0aa\",\"last_payment_error\":{\"charge\":"
	"\"ch_24e57649145d012c355a69b7\",\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\","
	"\"message\":\"Your card has insufficient funds.\",\"type\":\"card_error\"},\"latest_charge\":null,"
	"\"livemode\":false,\"metadata\":{\"auth_key\":\"cv1.v-1.auth.1\",\"vend_id\":\"v-1\"},\"object\":\"payment_"
	"intent\",\"payment_method\":"
	"\"pm_card_insufficient_funds\",\"payment_method_types\":[\"card_present\"],\"status\":"
	"\"requires_payment_method\"},\"type\":\"card_error\"}}";

/* POST .../capture, 200. */
static const char CAPTURED[] =
	"{\"amount\":150,\"amount_capturable\":0,\"amount_received\":150,\"canceled_at\":null,"
	"\"cancellation_reason\":null,\"capture_method\":\"manual\",\"confirmation_method\":\"automatic\","
	"\"created\":1795555581,\"currency\":\"usd\",\"description\":null,\"id\":\"pi_ee040c44d0e2882bb4669500\","
	"\"last_payment_error\":null,\"latest_charge\":" CHARGE_HELD ",\"livemode\":false,\"metadata\":"
	"{\"auth_key\":\"cv1.v-1.auth.1\",\"vend_id\":\"v-1\"},\"object\":\"payment_intent\",\"payment_method\":\"pm_"
	"card_visa\","
	"\"payment_method_types\":[\"card_present\"],\"status\":\"succeeded\"}";

/* POST .../cancel on a captured intent, 400 (the intent's status is filled in). */
static const char UNEXPECTED_FMT[] =
	"{\"error\":{\"code\":\"payment_intent_unexpected_state\",\"message\":\"This PaymentIntent could not be "
	"canceled because it has a status of %s.\",\"payment_intent\":{\"amount\":150,\"amount_capturable\":0,"
	"\"amount_received\":%d,\"currency\":\"usd\",\"id\":\"pi_ee040c44d0e2882bb4669500\",\"latest_charge\":null,"
	"\"metadata\":{\"auth_key\":\"cv1.v-1.auth.1\",\"vend_id\":\"v-1\"},\"object\":\"payment_intent\",\"status\":"
	"\"%s\"},"
	"\"type\":\"invalid_request_error\"}}";

/* Any call on an unknown id, 404 (Stripe's shape). */
static const char MISSING[] =
	"{\"error\":{\"code\":\"resource_missing\",\"message\":\"No such payment_intent: 'pi_x'\","
	"\"param\":\"intent\",\"type\":\"invalid_request_error\"}}";

static const char LIST_EMPTY[] = "{\"data\":[],\"has_more\":false,\"idempotency_key\":\"cv1.v-1.auth.1\",\"object\":"
				 "\"list\",\"url\":\"/v1/payment_intents\"}";

/* The request every fixture answers: vend v-1, 1.50 USD, its intent. */
static const struct cv_payment_request REQ = {
	.vend_id = "v-1",
	.idempotency_key = "cv1.v-1.auth.1",
	.auth_key = "cv1.v-1.auth.1",
	.processor_ref = "pi_ee040c44d0e2882bb4669500",
	.amount = {.amount_minor = 150, .currency = "USD"},
};

static struct cv_payment_result decode(enum cv_gw_call call, long status, const char *body)
{
	struct cv_payment_result r;
	memset(&r, 0x5a, sizeof(r));
	r.op_id = 77;
	r.op = CV_PAYMENT_OP_LOOKUP;
	cv_gw_response_decode(call, &REQ, status, body, body != NULL ? strlen(body) : 0, &r);
	cr_assert_eq(r.op_id, 77, "op_id must be left alone");
	cr_assert_eq(r.op, CV_PAYMENT_OP_LOOKUP, "op must be left alone");
	return r;
}

/* A copy of @p body with the first @p from replaced by @p to (caller frees). */
static char *replace(const char *body, const char *from, const char *to)
{
	const char *at = strstr(body, from);
	cr_assert_not_null(at, "fixture lacks %s", from);
	size_t n = strlen(body) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	cr_assert_not_null(out);
	size_t head = (size_t)(at - body);
	memcpy(out, body, head);
	strcpy(out + head, to);
	strcat(out, at + strlen(from));
	return out;
}

static char *unexpected(const char *status, int received)
{
	char *out = malloc(1024);
	cr_assert_not_null(out);
	snprintf(out, 1024, UNEXPECTED_FMT, status, received, status);
	return out;
}

/* CREATED after a cancel: nothing capturable any more. */
static char *cancelled_intent(void)
{
	char *status = replace(CREATED, "\"status\":\"requires_capture\"", "\"status\":\"canceled\"");
	char *out = replace(status, "\"amount_capturable\":150", "\"amount_capturable\":0");
	free(status);
	return out;
}

static char *list_of(const char *intent)
{
	size_t n = strlen(intent) + 128;
	char *out = malloc(n);
	cr_assert_not_null(out);
	snprintf(out, n,
		 "{\"data\":[%s],\"has_more\":false,\"idempotency_key\":\"cv1.v-1.auth.1\",\"object\":\"list\"}",
		 intent);
	return out;
}

Test(gateway_response, create_held_gives_everything_the_engine_needs)
{
	struct cv_payment_result r = decode(CV_GW_CALL_CREATE, 200, CREATED);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_str_eq(r.processor_ref, "pi_ee040c44d0e2882bb4669500");
	cr_assert_eq(r.amount.amount_minor, 150);
	cr_assert_str_eq(r.amount.currency, "USD");
	cr_assert_str_eq(r.card.brand, "VISA");
	cr_assert_str_eq(r.card.last4, "4242");
	cr_assert_str_eq(r.card.auth_code, "641368");
	cr_assert_eq(r.card.entry, CV_CARD_ENTRY_CONTACTLESS);
	cr_assert_eq(r.capture_before_s, 1795987581);
	cr_assert_eq(r.decline_reason, CV_DECLINE_NONE);
	cr_assert_not(r.offline_approved);
}

Test(gateway_response, amount_is_what_is_capturable_not_what_was_asked)
{
	char *partial = replace(CREATED, "\"amount_capturable\":150", "\"amount_capturable\":100");
	struct cv_payment_result r = decode(CV_GW_CALL_CREATE, 200, partial);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.amount.amount_minor, 100);
	free(partial);
}

Test(gateway_response, entry_modes_and_bad_card_fields)
{
	const char *methods[][2] = {{"contact_emv", "chip"}, {"wallet", "wallet"}, {"magnetic_stripe", "unknown"}};
	enum cv_card_entry want[] = {CV_CARD_ENTRY_CHIP, CV_CARD_ENTRY_MOBILE_WALLET, CV_CARD_ENTRY_UNKNOWN};
	for (unsigned i = 0; i < 3; i++) {
		char *b = replace(CREATED, "contactless_emv", methods[i][0]);
		cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, b).card.entry, want[i]);
		free(b);
	}
	/* Fields that fail their checks are blanked, the hold still counts. */
	char *b1 = replace(CREATED, "\"last4\":\"4242\"", "\"last4\":\"4242424242424242\"");
	char *b2 = replace(b1, "\"authorization_code\":\"641368\"", "\"authorization_code\":\"ab<12>\"");
	char *b3 = replace(b2, "\"brand\":\"visa\"", "\"brand\":\"visa\\ncredit\"");
	struct cv_payment_result r = decode(CV_GW_CALL_CREATE, 200, b3);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_str_eq(r.card.last4, "");
	cr_assert_str_eq(r.card.auth_code, "");
	cr_assert_str_eq(r.card.brand, "");
	free(b1);
	free(b2);
	free(b3);
}

Test(gateway_response, declines_map_their_reason)
{
	struct cv_payment_result r = decode(CV_GW_CALL_CREATE, 402, DECLINED);
	cr_assert_eq(r.result, CV_PAY_DECLINED);
	cr_assert_eq(r.decline_reason, CV_DECLINE_INSUFFICIENT);
	cr_assert_str_eq(r.processor_ref, "pi_cbdaa7691543f0d4ffd9c0aa");
	char *expired =
		replace(DECLINED, "\"decline_code\":\"insufficient_funds\"", "\"decline_code\":\"expired_card\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 402, expired).decline_reason, CV_DECLINE_EXPIRED_CARD);
	char *generic =
		replace(DECLINED, "\"decline_code\":\"insufficient_funds\"", "\"decline_code\":\"stolen_card\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 402, generic).decline_reason, CV_DECLINE_GENERIC);
	/* A 402 is a decline only with the declined intent in it. */
	r = decode(CV_GW_CALL_CREATE, 402, "not json");
	cr_assert_eq(r.result, CV_PAY_UNKNOWN);
	cr_assert_eq(r.decline_reason, CV_DECLINE_NONE);
	free(expired);
	free(generic);
}

Test(gateway_response, status_classes)
{
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 400, "{\"error\":{\"type\":\"idempotency_error\"}}").result,
		     CV_PAY_INVALID);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 400, "{\"error\":{\"type\":\"invalid_request_error\"}}").result,
		     CV_PAY_INVALID);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 401, "{\"error\":{\"type\":\"invalid_request_error\"}}").result,
		     CV_PAY_INVALID);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 409, "{\"error\":{\"type\":\"idempotency_error\"}}").result,
		     CV_PAY_CONFLICT);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 429,
			    "{\"error\":{\"type\":\"invalid_request_error\",\"code\":"
			    "\"rate_limit\"}}")
			     .result,
		     CV_PAY_RATE_LIMITED);
	for (long s = 500; s <= 504; s++)
		cr_assert_eq(decode(CV_GW_CALL_CREATE, s, "{\"error\":{\"type\":\"api_error\"}}").result,
			     CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 503, NULL).result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 302, "").result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 404, MISSING).result, CV_PAY_NOT_FOUND);
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 404, MISSING).result, CV_PAY_NOT_FOUND);
	cr_assert_eq(decode(CV_GW_CALL_RETRIEVE, 404, MISSING).result, CV_PAY_NOT_FOUND);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 404, MISSING).result, CV_PAY_INVALID);
}

Test(gateway_response, a_4xx_without_the_processors_error_is_unknown)
{
	/* A proxy or load balancer answers after it may have forwarded the
	 * request (408 above all); only the processor's own error object says
	 * the request was refused, or limited, before it ran. */
	const char *bodies[] = {
		NULL, "", "{}", "<html><h1>408 Request Timeout</h1></html>", "{\"error\":{}}", "{\"error\":\"busy\"}"};
	const long statuses[] = {400, 401, 403, 408, 409, 413, 429, 499};
	for (unsigned b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
		for (unsigned i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			cr_assert_eq(decode(CV_GW_CALL_CREATE, statuses[i], bodies[b]).result, CV_PAY_UNKNOWN,
				     "HTTP %ld, body %u", statuses[i], b);
	/* Even with the processor's error, a 408 may have run. */
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 408, "{\"error\":{\"type\":\"invalid_request_error\"}}").result,
		     CV_PAY_UNKNOWN);
}

Test(gateway_response, a_404_not_from_the_processor_is_unknown)
{
	/* A proxy, a captive portal or a wrong base path answers 404 without
	 * the processor's error: nothing says the intent is gone. A void taken
	 * as NOT_FOUND would count as done and leave the hold standing. */
	const char *bodies[] = {"", "{}", "<html>Not Found</html>", "{\"error\":{\"type\":\"invalid_request_error\"}}",
				"{\"error\":{\"code\":\"route_missing\"}}"};
	const enum cv_gw_call calls[] = {CV_GW_CALL_CAPTURE, CV_GW_CALL_CANCEL, CV_GW_CALL_RETRIEVE};
	for (unsigned i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		for (unsigned c = 0; c < 3; c++)
			cr_assert_eq(decode(calls[c], 404, bodies[i]).result, CV_PAY_UNKNOWN, "body %u call %u", i, c);
}

Test(gateway_response, a_key_used_with_other_parameters_is_told_apart)
{
	/* 400 idempotency_error on a create: the key already ran (its request
	 * may hold money). The gateway must be able to tell it from a plain
	 * 400, which ran nothing. */
	struct cv_payment_result r;
	memset(&r, 0, sizeof(r));
	const char *reused =
		"{\"error\":{\"type\":\"idempotency_error\",\"message\":\"Keys for idempotent requests\"}}";
	enum cv_gw_intent seen = cv_gw_response_decode(CV_GW_CALL_CREATE, &REQ, 400, reused, strlen(reused), &r);
	cr_assert_eq(seen, CV_GW_INTENT_KEY_IN_USE);
	cr_assert_eq(r.result, CV_PAY_INVALID);
	const char *plain = "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"parameter_invalid\"}}";
	seen = cv_gw_response_decode(CV_GW_CALL_CREATE, &REQ, 400, plain, strlen(plain), &r);
	cr_assert_eq(seen, CV_GW_INTENT_NONE);
	cr_assert_eq(r.result, CV_PAY_INVALID);
}

Test(gateway_response, unreadable_success_is_unknown_never_ok)
{
	const char *bodies[] = {"", "{", "[]", "null", "{\"id\":\"pi_1\"}", "<html>OK</html>"};
	for (unsigned i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct cv_payment_result r = decode(CV_GW_CALL_CREATE, 200, bodies[i]);
		cr_assert_eq(r.result, CV_PAY_UNKNOWN, "body %u", i);
		cr_assert_str_eq(r.processor_ref, "");
	}
	/* An id that would change the URL it is put into. */
	char *slash = replace(CREATED, "\"id\":\"pi_ee040c44d0e2882bb4669500\"", "\"id\":\"pi_1/../x\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, slash).result, CV_PAY_UNKNOWN);
	char *longid = replace(CREATED, "\"id\":\"pi_ee040c44d0e2882bb4669500\"",
			       "\"id\":\"pi_0123456789012345678901234567890123456789\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, longid).result, CV_PAY_UNKNOWN);
	char *noamount = replace(CREATED, "\"amount_capturable\":150", "\"amount_capturable\":\"150\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, noamount).result, CV_PAY_UNKNOWN);
	char *negative = replace(CREATED, "\"amount_capturable\":150", "\"amount_capturable\":-1");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, negative).result, CV_PAY_UNKNOWN);
	char *dup = replace(CREATED, "\"amount\":150,", "\"amount\":150,\"amount\":151,");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, dup).result, CV_PAY_UNKNOWN);
	char *processing = replace(CREATED, "\"status\":\"requires_capture\"", "\"status\":\"processing\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, processing).result, CV_PAY_UNKNOWN);
	free(slash);
	free(longid);
	free(noamount);
	free(negative);
	free(dup);
	free(processing);
}

Test(gateway_response, capture_ok_and_already_captured_or_cancelled)
{
	struct cv_payment_result r = decode(CV_GW_CALL_CAPTURE, 200, CAPTURED);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.amount.amount_minor, 150);
	cr_assert_str_eq(r.processor_ref, "pi_ee040c44d0e2882bb4669500");
	/* A 200 that did not capture is not a capture. */
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 200, CREATED).result, CV_PAY_UNKNOWN);
	char *succeeded = unexpected("succeeded", 150);
	r = decode(CV_GW_CALL_CAPTURE, 400, succeeded);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.amount.amount_minor, 150);
	char *canceled = unexpected("canceled", 0);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 400, canceled).result, CV_PAY_EXPIRED);
	char *declined = unexpected("requires_payment_method", 0);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 400, declined).result, CV_PAY_INVALID, "nothing to capture");
	free(succeeded);
	free(canceled);
	free(declined);
}

Test(gateway_response, cancel_ok_already_cancelled_or_captured)
{
	char *cancelled = cancelled_intent();
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 200, cancelled).result, CV_PAY_OK);
	char *already = unexpected("canceled", 0);
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 400, already).result, CV_PAY_OK);
	char *captured = unexpected("succeeded", 150);
	struct cv_payment_result r = decode(CV_GW_CALL_CANCEL, 400, captured);
	cr_assert_eq(r.result, CV_PAY_INVALID);
	cr_assert_str_eq(r.processor_ref, "pi_ee040c44d0e2882bb4669500");
	free(cancelled);
	free(already);
	free(captured);
}

Test(gateway_response, list_finds_held_declined_cancelled_or_nothing)
{
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, LIST_EMPTY).result, CV_PAY_NOT_FOUND);
	char *held = list_of(CREATED);
	struct cv_payment_result r = decode(CV_GW_CALL_LIST, 200, held);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.amount.amount_minor, 150);
	cr_assert_eq(r.capture_before_s, 1795987581);
	const char *intent = strstr(DECLINED, "\"payment_intent\":{") + strlen("\"payment_intent\":");
	char *declined_intent = strndup(intent, strlen(intent) - strlen(",\"type\":\"card_error\"}}"));
	char *declined = list_of(declined_intent);
	r = decode(CV_GW_CALL_LIST, 200, declined);
	cr_assert_eq(r.result, CV_PAY_DECLINED);
	cr_assert_eq(r.decline_reason, CV_DECLINE_INSUFFICIENT);
	char *cancelled_one = cancelled_intent();
	char *cancelled = list_of(cancelled_one);
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, cancelled).result, CV_PAY_CANCELLED);
	char *captured = list_of(CAPTURED);
	r = decode(CV_GW_CALL_LIST, 200, captured);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_eq(r.amount.amount_minor, 150);
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, "{\"data\":{},\"object\":\"list\"}").result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_LIST, 500, "{}").result, CV_PAY_UNKNOWN);
	free(held);
	free(declined_intent);
	free(declined);
	free(cancelled_one);
	free(cancelled);
	free(captured);
}

Test(gateway_response, body_without_nul_terminator)
{
	/* The decoder gets a length; the bytes after it must not matter. */
	char buf[sizeof(CREATED) + 8];
	memcpy(buf, CREATED, sizeof(CREATED) - 1);
	memset(buf + sizeof(CREATED) - 1, 'x', 9);
	struct cv_payment_result r;
	memset(&r, 0, sizeof(r));
	cv_gw_response_decode(CV_GW_CALL_CREATE, &REQ, 200, buf, sizeof(CREATED) - 1, &r);
	cr_assert_eq(r.result, CV_PAY_OK);
}

Test(gateway_response, tokens_that_could_be_card_numbers_are_refused)
{
	cr_assert(cv_gw_token_valid("pm_card_visa"));
	cr_assert(cv_gw_token_valid("tok_123456789012")); /* 12 digits in a row: fine. */
	cr_assert_not(cv_gw_token_valid("tok_1234567890123"));
	cr_assert_not(cv_gw_token_valid("4242424242424242"));
	cr_assert_not(cv_gw_token_valid(""));
	cr_assert_not(cv_gw_token_valid(NULL));
	cr_assert_not(cv_gw_token_valid("pm card"));
	cr_assert_not(cv_gw_token_valid("pm_card\r\nX-Evil: 1"));
	char longest[CV_GATEWAY_TOKEN_MAX + 2];
	memset(longest, 'a', sizeof(longest));
	longest[CV_GATEWAY_TOKEN_MAX] = '\0';
	cr_assert(cv_gw_token_valid(longest));
	longest[CV_GATEWAY_TOKEN_MAX] = 'a';
	longest[CV_GATEWAY_TOKEN_MAX + 1] = '\0';
	cr_assert_not(cv_gw_token_valid(longest));
	cr_assert(cv_gw_id_valid("pi_ABC123"));
	cr_assert_not(cv_gw_id_valid("pi_1?x=1"));
	cr_assert_not(cv_gw_id_valid(""));
}

/* ---- every answer bound to its request ---- */

Test(gateway_response, an_intent_of_another_vend_amount_currency_or_id_is_no_answer)
{
	const char *swaps[][2] = {
		{"\"vend_id\":\"v-1\"", "\"vend_id\":\"v-2\""},
		{"\"metadata\":{\"auth_key\":\"cv1.v-1.auth.1\",\"vend_id\":\"v-1\"}", "\"metadata\":{}"},
		{"\"auth_key\":\"cv1.v-1.auth.1\"", "\"auth_key\":\"cv1.v-1.auth.2\""}, /* Another attempt. */
		{"\"amount\":150,", "\"amount\":200,"},
		{"\"currency\":\"usd\",\"description\"", "\"currency\":\"eur\",\"description\""},
	};
	for (unsigned i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
		char *created = replace(CREATED, swaps[i][0], swaps[i][1]);
		cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, created).result, CV_PAY_UNKNOWN, "create, swap %u", i);
		char *listed = list_of(created);
		cr_assert_eq(decode(CV_GW_CALL_LIST, 200, listed).result, CV_PAY_UNKNOWN, "list, swap %u", i);
		char *captured = replace(CAPTURED, swaps[i][0], swaps[i][1]);
		cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 200, captured).result, CV_PAY_UNKNOWN, "capture, swap %u", i);
		free(created);
		free(listed);
		free(captured);
	}
	/* Another intent answering a call made by reference. */
	char *other = replace(CAPTURED, "pi_ee040c44d0e2882bb4669500", "pi_aaaa");
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 200, other).result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_RETRIEVE, 200, other).result, CV_PAY_UNKNOWN);
	char *already = unexpected("succeeded", 150);
	char *already_other = replace(already, "pi_ee040c44d0e2882bb4669500", "pi_aaaa");
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 400, already_other).result, CV_PAY_UNKNOWN);
	char *gone = unexpected("canceled", 0);
	char *gone_other = replace(gone, "\"vend_id\":\"v-1\"", "\"vend_id\":\"v-9\"");
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 400, gone_other).result, CV_PAY_UNKNOWN);
	/* Captured, but not for the amount asked. */
	char *less = replace(CAPTURED, "\"amount_received\":150", "\"amount_received\":100");
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 200, less).result, CV_PAY_UNKNOWN);
	free(other);
	free(already);
	free(already_other);
	free(gone);
	free(gone_other);
	free(less);
}

Test(gateway_response, a_list_led_by_another_vends_intent_is_no_answer)
{
	char *foreign = replace(CAPTURED, "\"vend_id\":\"v-1\"", "\"vend_id\":\"v-2\"");
	size_t n = strlen(foreign) + strlen(CREATED) + 128;
	char *both = malloc(n);
	cr_assert_not_null(both);
	snprintf(both, n,
		 "{\"data\":[%s,%s],\"has_more\":false,\"idempotency_key\":\"cv1.v-1.auth.1\",\"object\":\"list\"}",
		 foreign, CREATED);
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, both).result, CV_PAY_UNKNOWN);
	/* Two intents of this vend's key: the hold among them is the answer. */
	char *gone = cancelled_intent();
	char *gone_other_id = replace(gone, "pi_ee040c44d0e2882bb4669500", "pi_bbbb");
	snprintf(both, n,
		 "{\"data\":[%s,%s],\"has_more\":false,\"idempotency_key\":\"cv1.v-1.auth.1\",\"object\":\"list\"}",
		 gone_other_id, CREATED);
	struct cv_payment_result r = decode(CV_GW_CALL_LIST, 200, both);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_str_eq(r.processor_ref, "pi_ee040c44d0e2882bb4669500");
	/* Two holds under one key: no single answer. */
	char *held_other_id = replace(CREATED, "pi_ee040c44d0e2882bb4669500", "pi_cccc");
	snprintf(both, n,
		 "{\"data\":[%s,%s],\"has_more\":false,\"idempotency_key\":\"cv1.v-1.auth.1\",\"object\":\"list\"}",
		 held_other_id, CREATED);
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, both).result, CV_PAY_UNKNOWN);
	free(foreign);
	free(both);
	free(gone);
	free(gone_other_id);
	free(held_other_id);
}

Test(gateway_response, answers_that_contradict_themselves_are_unknown)
{
	/* A decline carrying a hold, or no intent at all. */
	char *held_decline = replace(DECLINED, "\"amount_capturable\":0", "\"amount_capturable\":150");
	char *held_decline2 =
		replace(held_decline, "\"status\":\"requires_payment_method\"", "\"status\":\"requires_capture\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 402, held_decline2).result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 402, "{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\"}}")
			     .result,
		     CV_PAY_UNKNOWN);
	/* "Unexpected state" while in the state the request expects. */
	char *held = unexpected("requires_capture", 0);
	char *held_fit = replace(held, "\"amount_capturable\":0", "\"amount_capturable\":150");
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 400, held_fit).result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 400, held_fit).result, CV_PAY_UNKNOWN);
	char *declined = unexpected("requires_payment_method", 0);
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 400, declined).result, CV_PAY_UNKNOWN, "cancellable: not unexpected");
	/* Amounts that do not fit the status. */
	char *over = replace(CREATED, "\"amount_capturable\":150", "\"amount_capturable\":250");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, over).result, CV_PAY_UNKNOWN);
	char *nothing_held = replace(CREATED, "\"amount_capturable\":150", "\"amount_capturable\":0");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, nothing_held).result, CV_PAY_UNKNOWN);
	char *free_capture = replace(CAPTURED, "\"amount_received\":150", "\"amount_received\":0");
	cr_assert_eq(decode(CV_GW_CALL_RETRIEVE, 200, free_capture).result, CV_PAY_UNKNOWN);
	char *held_cancel = replace(CREATED, "\"status\":\"requires_capture\"", "\"status\":\"canceled\"");
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 200, held_cancel).result, CV_PAY_UNKNOWN);
	free(held_decline);
	free(held_decline2);
	free(held);
	free(held_fit);
	free(declined);
	free(over);
	free(nothing_held);
	free(free_capture);
	free(held_cancel);
}

Test(gateway_response, a_list_names_its_key_and_only_a_hold_answers_a_create)
{
	/* An empty list names nothing but its key: another key's, or none, is no answer. */
	char *other_key = replace(LIST_EMPTY, "cv1.v-1.auth.1", "cv1.v-1.auth.2");
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, other_key).result, CV_PAY_UNKNOWN);
	char *no_key = replace(LIST_EMPTY, "\"idempotency_key\":\"cv1.v-1.auth.1\",", "");
	cr_assert_eq(decode(CV_GW_CALL_LIST, 200, no_key).result, CV_PAY_UNKNOWN);
	/* A cancelled intent newer than a captured one: the capture answers. */
	char *gone = cancelled_intent();
	char *gone_newer = replace(gone, "pi_ee040c44d0e2882bb4669500", "pi_dddd");
	size_t n = strlen(gone_newer) + strlen(CAPTURED) + 128;
	char *both = malloc(n);
	cr_assert_not_null(both);
	snprintf(both, n,
		 "{\"data\":[%s,%s],\"has_more\":false,\"idempotency_key\":\"cv1.v-1.auth.1\",\"object\":\"list\"}",
		 gone_newer, CAPTURED);
	struct cv_payment_result r = decode(CV_GW_CALL_LIST, 200, both);
	cr_assert_eq(r.result, CV_PAY_OK);
	cr_assert_str_eq(r.processor_ref, "pi_ee040c44d0e2882bb4669500");
	/* A create (confirmed, manual capture) answered 200 with anything but a hold. */
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, gone).result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 200, CAPTURED).result, CV_PAY_UNKNOWN);
	free(other_key);
	free(no_key);
	free(gone);
	free(gone_newer);
	free(both);
}
