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
	"{\"amount\":150,\"amount_captured\":0,\"amount_refunded\":0,\"authorization_code\":\"641368\","      \
	"\"captured\":false,\"created\":1795555581,\"currency\":\"usd\",\"failure_code\":null,"                \
	"\"id\":\"ch_246ab3d58a9b353591118d74\",\"object\":\"charge\",\"outcome\":{\"network_status\":"     \
	"\"approved_by_network\",\"type\":\"authorized\"},\"paid\":true,\"payment_intent\":"                   \
	"\"pi_ee040c44d0e2882bb4669500\",\"payment_method_details\":{\"card_present\":{\"brand\":\"visa\","  \
	"\"capture_before\":1795987581,\"last4\":\"4242\",\"read_method\":\"contactless_emv\"},\"type\":"     \
	"\"card_present\"},\"status\":\"succeeded\"}"

/* POST /v1/payment_intents, 200. */
static const char CREATED[] =
	"{\"amount\":150,\"amount_capturable\":150,\"amount_received\":0,\"canceled_at\":null,"
	"\"cancellation_reason\":null,\"capture_method\":\"manual\",\"confirmation_method\":\"automatic\","
	"\"created\":1795555581,\"currency\":\"usd\",\"description\":null,\"id\":\"pi_ee040c44d0e2882bb4669500\","
	"\"last_payment_error\":null,\"latest_charge\":" CHARGE_HELD ",\"livemode\":false,\"metadata\":"
	"{\"vend_id\":\"v-1\"},\"object\":\"payment_intent\",\"payment_method\":\"pm_card_visa\","
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
	"\"livemode\":false,\"metadata\":{\"vend_id\":\"v-1\"},\"object\":\"payment_intent\",\"payment_method\":"
	"\"pm_card_insufficient_funds\",\"payment_method_types\":[\"card_present\"],\"status\":"
	"\"requires_payment_method\"},\"type\":\"card_error\"}}";

/* POST .../capture, 200. */
static const char CAPTURED[] =
	"{\"amount\":150,\"amount_capturable\":0,\"amount_received\":150,\"canceled_at\":null,"
	"\"cancellation_reason\":null,\"capture_method\":\"manual\",\"confirmation_method\":\"automatic\","
	"\"created\":1795555581,\"currency\":\"usd\",\"description\":null,\"id\":\"pi_ee040c44d0e2882bb4669500\","
	"\"last_payment_error\":null,\"latest_charge\":" CHARGE_HELD ",\"livemode\":false,\"metadata\":"
	"{\"vend_id\":\"v-1\"},\"object\":\"payment_intent\",\"payment_method\":\"pm_card_visa\","
	"\"payment_method_types\":[\"card_present\"],\"status\":\"succeeded\"}";

/* POST .../cancel on a captured intent, 400 (the intent's status is filled in). */
static const char UNEXPECTED_FMT[] =
	"{\"error\":{\"code\":\"payment_intent_unexpected_state\",\"message\":\"This PaymentIntent could not be "
	"canceled because it has a status of %s.\",\"payment_intent\":{\"amount\":150,\"amount_capturable\":0,"
	"\"amount_received\":%d,\"currency\":\"usd\",\"id\":\"pi_ee040c44d0e2882bb4669500\",\"latest_charge\":null,"
	"\"object\":\"payment_intent\",\"status\":\"%s\"},\"type\":\"invalid_request_error\"}}";

/* Any call on an unknown id, 404 (Stripe's shape). */
static const char MISSING[] = "{\"error\":{\"code\":\"resource_missing\",\"message\":\"No such payment_intent: 'pi_x'\","
			      "\"param\":\"intent\",\"type\":\"invalid_request_error\"}}";

static const char LIST_EMPTY[] = "{\"data\":[],\"has_more\":false,\"object\":\"list\",\"url\":\"/v1/payment_intents\"}";

static struct cv_payment_result decode(enum cv_gw_call call, long status, const char *body)
{
	struct cv_payment_result r;
	memset(&r, 0x5a, sizeof(r));
	r.op_id = 77;
	r.op = CV_PAYMENT_OP_LOOKUP;
	cv_gw_response_decode(call, status, body, body != NULL ? strlen(body) : 0, &r);
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

static char *list_of(const char *intent)
{
	size_t n = strlen(intent) + 64;
	char *out = malloc(n);
	cr_assert_not_null(out);
	snprintf(out, n, "{\"data\":[%s],\"has_more\":false,\"object\":\"list\"}", intent);
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
	char *expired = replace(DECLINED, "\"decline_code\":\"insufficient_funds\"", "\"decline_code\":\"expired_card\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 402, expired).decline_reason, CV_DECLINE_EXPIRED_CARD);
	char *generic = replace(DECLINED, "\"decline_code\":\"insufficient_funds\"", "\"decline_code\":\"stolen_card\"");
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 402, generic).decline_reason, CV_DECLINE_GENERIC);
	/* A 402 is a decline whatever its body says. */
	r = decode(CV_GW_CALL_CREATE, 402, "not json");
	cr_assert_eq(r.result, CV_PAY_DECLINED);
	cr_assert_eq(r.decline_reason, CV_DECLINE_GENERIC);
	free(expired);
	free(generic);
}

Test(gateway_response, status_classes)
{
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 400, "{\"error\":{\"type\":\"idempotency_error\"}}").result,
		     CV_PAY_INVALID);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 400, "{\"error\":{\"type\":\"invalid_request_error\"}}").result,
		     CV_PAY_INVALID);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 401, "").result, CV_PAY_INVALID);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 409, "{}").result, CV_PAY_CONFLICT);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 429, "{}").result, CV_PAY_RATE_LIMITED);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 429, NULL).result, CV_PAY_RATE_LIMITED);
	for (long s = 500; s <= 504; s++)
		cr_assert_eq(decode(CV_GW_CALL_CREATE, s, "{\"error\":{\"type\":\"api_error\"}}").result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 503, NULL).result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 302, "").result, CV_PAY_UNKNOWN);
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 404, MISSING).result, CV_PAY_NOT_FOUND);
	cr_assert_eq(decode(CV_GW_CALL_CANCEL, 404, MISSING).result, CV_PAY_NOT_FOUND);
	cr_assert_eq(decode(CV_GW_CALL_RETRIEVE, 404, MISSING).result, CV_PAY_NOT_FOUND);
	cr_assert_eq(decode(CV_GW_CALL_CREATE, 404, MISSING).result, CV_PAY_INVALID);
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
	const char *reused = "{\"error\":{\"type\":\"idempotency_error\",\"message\":\"Keys for idempotent requests\"}}";
	enum cv_gw_intent seen = cv_gw_response_decode(CV_GW_CALL_CREATE, 400, reused, strlen(reused), &r);
	cr_assert_eq(seen, CV_GW_INTENT_KEY_IN_USE);
	cr_assert_eq(r.result, CV_PAY_INVALID);
	const char *plain = "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"parameter_invalid\"}}";
	seen = cv_gw_response_decode(CV_GW_CALL_CREATE, 400, plain, strlen(plain), &r);
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
	cr_assert_eq(decode(CV_GW_CALL_CAPTURE, 400, declined).result, CV_PAY_INVALID);
	free(succeeded);
	free(canceled);
	free(declined);
}

Test(gateway_response, cancel_ok_already_cancelled_or_captured)
{
	char *cancelled = replace(CREATED, "\"status\":\"requires_capture\"", "\"status\":\"canceled\"");
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
	char *cancelled_intent = replace(CREATED, "\"status\":\"requires_capture\"", "\"status\":\"canceled\"");
	char *cancelled = list_of(cancelled_intent);
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
	free(cancelled_intent);
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
	cv_gw_response_decode(CV_GW_CALL_CREATE, 200, buf, sizeof(CREATED) - 1, &r);
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
