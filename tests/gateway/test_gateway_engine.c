/* SPDX-License-Identifier: MIT */
/* The real engine with the gateway as its payment backend against the
 * processor emulator, through every injected failure: latency past the
 * timeout, 5xx, connections dropped before and after commit, declines, rate
 * limits, key expiry, a dead link. After every scenario the invariants are
 * checked over the emulator's state (gw_harness.c: h_check_invariants). */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_harness.h"
#include "leak_check.h"

#define SETTLE_MS 15000

static void setup_default(void)
{
	struct h_options o;
	h_options_default(&o);
	h_setup(&o);
}

static void teardown(void)
{
	h_teardown();
	cv_test_leak_check();
}

TestSuite(gateway, .init = setup_default, .fini = teardown, .timeout = 60);

static char *auth_key(const struct h_vend *v, int attempt, char out[CV_IDEM_KEY_LEN])
{
	snprintf(out, CV_IDEM_KEY_LEN, "cv1.%s.auth.%d", v->vend_id, attempt);
	return out;
}

static void vend_ok(const char *token)
{
	uint32_t n = h_select(0, token);
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_CAPTURED, "ended %s", cv_vend_state_str(h_vend(n)->state));
}

Test(gateway, clean_vend_one_intent_captured_at_price)
{
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED);
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(json_object_size(json_object_get(state, "intents")), 1);
	cr_assert_eq(h_intents_for(state, v->vend_id, "succeeded"), 1);
	const char *id;
	json_t *pi;
	json_object_foreach(json_object_get(state, "intents"), id, pi)
	{
		cr_assert_eq(json_integer_value(json_object_get(pi, "amount_received")), H_PRICE);
		cr_assert_str_eq(json_string_value(json_object_get(pi, "payment_method")), "pm_card_visa");
	}
	char key[CV_IDEM_KEY_LEN];
	cr_assert_eq(h_idem_entries(state, auth_key(v, 1, key), "/v1/payment_intents"), 1);
	json_decref(state);
	struct cv_vend_info info;
	cr_assert_eq(cv_machine_vend_info(h.m, n, &info), CV_OK);
	cr_assert_str_eq(info.card.brand, "VISA");
	cr_assert_str_eq(info.card.last4, "4242");
	cr_assert_str_eq(info.card.aid, "A0000000031010"); /* From the reader. */
	cr_assert_gt(info.capture_before_s, 0);
	cr_assert_eq(h.reader.collects, 1);
	h_check_invariants(NULL);
}

Test(gateway, no_drop_voids_and_captures_nothing)
{
	cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert_eq(v->state, CV_VEND_STATE_VOIDED, "ended %s", cv_vend_state_str(v->state));
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, "canceled"), 1);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1);
	json_decref(state);
	h_check_invariants(NULL);
}

Test(gateway, decline_then_retry_with_a_new_key)
{
	uint32_t n = h_select(0, "pm_card_insufficient_funds");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	struct cv_vend_info info;
	cr_assert_eq(cv_machine_vend_info(h.m, n, &info), CV_OK);
	cr_assert_eq(info.decline_reason, CV_DECLINE_INSUFFICIENT);
	uint32_t again = h_select(0, "pm_card_visa");
	cr_assert_eq(again, n, "the retry belongs to the same vend");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED);
	json_t *state = emu_state(&h.emu);
	char key[CV_IDEM_KEY_LEN];
	cr_assert_eq(h_idem_entries(state, auth_key(v, 1, key), "/v1/payment_intents"), 1);
	cr_assert_eq(h_idem_entries(state, auth_key(v, 2, key), "/v1/payment_intents"), 1);
	cr_assert_eq(h_intents_for(state, v->vend_id, "requires_payment_method"), 1);
	cr_assert_eq(h_intents_for(state, v->vend_id, "succeeded"), 1);
	json_decref(state);
	h_check_invariants(NULL);
}

Test(gateway, hard_decline_walk_away_abandons)
{
	uint32_t n = h_select(0, "pm_card_chargeDeclined");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_ABANDONED);
	h_check_invariants(NULL);
}

Test(gateway, latency_past_the_timeout_is_looked_up_without_a_second_hold)
{
	/* Authorize answers after 1.3 s; the engine waits 1 s: unknown, then lookups. */
	h_teardown();
	struct h_options o;
	h_options_default(&o);
	o.timeouts.payment_ms = 1000;
	o.timeouts.lookup_ms = 2500;
	o.timeouts.settle_ms = 2500;
	h_setup(&o);
	emu_control(&h.emu, "{\"latency_ms\":1300}");
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(30000));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP], "the timeout must be looked up");
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "ended %s", cv_vend_state_str(v->state));
	cr_assert_geq(h.log_unknown, 1);
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1, "exactly one hold");
	json_decref(state);
	emu_control(&h.emu, "{\"latency_ms\":0}");
	h_check_invariants(NULL);
}

Test(gateway, create_5xx_is_unknown_looked_up_and_never_held_twice)
{
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "500", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP]);
	/* The lookup found nothing: the customer tries again with the same key,
	 * which Stripe answers with the stored 500; the gateway finds nothing
	 * under it and says the key is spent (invalid), and the next try uses a
	 * new key. */
	for (int tries = 0; tries < CV_AUTH_ATTEMPTS_MAX && v->state == CV_VEND_STATE_AUTH_DECLINED; tries++) {
		h_select(0, "pm_card_visa");
		(void)h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS);
	}
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "ended %s (%s)", cv_vend_state_str(v->state),
		     cv_vend_reason_str(v->reason));
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1);
	json_decref(state);
	h_check_invariants(NULL);
}

Test(gateway, create_dropped_after_commit_is_found_by_lookup)
{
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "drop_after_commit", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP], "did it go through? must be looked up");
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "ended %s", cv_vend_state_str(v->state));
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1, "one hold, found, never a second");
	json_decref(state);
	h_check_invariants(NULL);
}

Test(gateway, create_dropped_before_commit_is_retried_with_the_same_key)
{
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "drop_before_commit", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP]);
	h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "ended %s", cv_vend_state_str(v->state));
	cr_assert_eq(v->auth_attempt, 1, "the first key again: it may still have landed");
	json_t *state = emu_state(&h.emu);
	char key[CV_IDEM_KEY_LEN];
	cr_assert_eq(h_idem_entries(state, auth_key(v, 1, key), "/v1/payment_intents"), 1);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1);
	json_decref(state);
	h_check_invariants(NULL);
}

static void capture_fault(const char *mode, int count)
{
	emu_fail_next(&h.emu, "/v1/payment_intents/pi_", "POST", mode, count);
}

Test(gateway, capture_5xx_settles_exactly_once)
{
	capture_fault("500", 1);
	vend_ok("pm_card_visa");
	cr_assert_geq(h.log_keyless, 1, "the spoilt capture key is settled without it");
	h_check_invariants(NULL);
}

Test(gateway, capture_5xx_twice_settles_exactly_once)
{
	capture_fault("503", 2);
	vend_ok("pm_card_visa");
	h_check_invariants(NULL);
}

Test(gateway, capture_dropped_after_commit_is_resent_and_replayed)
{
	capture_fault("drop_after_commit", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED);
	cr_assert_geq(h.log_unknown, 1);
	json_t *state = emu_state(&h.emu);
	char key[CV_IDEM_KEY_LEN];
	snprintf(key, sizeof(key), "cv1.%s.cap", v->vend_id);
	cr_assert_eq(h_idem_entries(state, key, "/capture"), 1, "one capture key, resent");
	json_decref(state);
	h_check_invariants(NULL);
}

Test(gateway, capture_dropped_before_commit_is_resent)
{
	capture_fault("drop_before_commit", 2);
	vend_ok("pm_card_visa");
	h_check_invariants(NULL);
}

Test(gateway, capture_resent_after_the_key_expired_still_captures_once)
{
	emu_control(&h.emu, "{\"key_ttl_s\":0.05}");
	capture_fault("drop_after_commit", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_CAPTURED);
	h_check_invariants(NULL);
}

Test(gateway, capture_rate_limited_is_resent)
{
	capture_fault("429", 2);
	vend_ok("pm_card_visa");
	h_check_invariants(NULL);
}

static uint32_t vend_no_drop(void)
{
	cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_VOIDED, "ended %s", cv_vend_state_str(h_vend(n)->state));
	return n;
}

Test(gateway, cancel_dropped_after_commit_is_resent_and_cancelled)
{
	emu_fail_next(&h.emu, "/v1/payment_intents/pi_", "POST", "drop_after_commit", 1);
	vend_no_drop();
	cr_assert_geq(h.log_unknown, 1);
	h_check_invariants(NULL);
}

Test(gateway, cancel_5xx_is_settled_without_the_spoilt_key)
{
	emu_fail_next(&h.emu, "/v1/payment_intents/pi_", "POST", "500", 1);
	vend_no_drop();
	h_check_invariants(NULL);
}

Test(gateway, cancel_dropped_before_commit_is_resent)
{
	emu_fail_next(&h.emu, "/v1/payment_intents/pi_", "POST", "drop_before_commit", 2);
	vend_no_drop();
	h_check_invariants(NULL);
}

Test(gateway, create_rate_limited_is_a_definite_failure)
{
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "429", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	cr_assert_not(h_vend(n)->visited[CV_VEND_STATE_AUTH_LOOKUP], "a 429 is definite: nothing to look up");
	h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_CAPTURED);
	h_check_invariants(NULL);
}

Test(gateway, lookup_failures_end_in_a_void_of_whatever_is_held)
{
	/* The create is dropped after commit and every lookup too: past the
	 * lookup budget the engine voids, and the void finds the hold by key. */
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "drop_after_commit", 1);
	emu_fail_next(&h.emu, "/v1/payment_intents", "GET", "503", 10);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP]);
	cr_assert_eq(v->state, CV_VEND_STATE_VOIDED, "ended %s", cv_vend_state_str(v->state));
	emu_control(&h.emu, "{\"reset\":false}");
	h_check_invariants(NULL);
}

Test(gateway, customer_walks_away_before_presenting_a_card)
{
	h_teardown();
	struct h_options o;
	h_options_default(&o);
	o.timeouts.payment_ms = 800;
	h_setup(&o);
	uint32_t n = h_select(0, NULL); /* No card ever. */
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_ABANDONED);
	cr_assert_eq(h.reader.aborts, 1, "the reader was told to stop");
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(json_object_size(json_object_get(state, "intents")), 0);
	json_decref(state);
	h_check_invariants(NULL);
}

Test(gateway, a_token_that_looks_like_a_pan_never_leaves)
{
	uint32_t n = h_select(0, "4242424242424242");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(json_object_size(json_object_get(state, "intents")), 0);
	cr_assert_eq(json_array_size(json_object_get(state, "idempotency")), 0);
	json_decref(state);
	cr_assert_eq(h.link_calls[0], 0, "no request was made");
	cr_assert_eq(h.reader.refused, 1);
	h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_CAPTURED);
	h_check_invariants(NULL);
}

/* A TCP port nothing listens on (bound, then closed). */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

Test(gateway, failover_only_when_nothing_was_sent)
{
	h_teardown();
	struct emu e;
	emu_start(&e);
	char dead[64];
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", closed_port());
	struct h_options o;
	h_options_default(&o);
	o.links[0] = dead;
	o.links[1] = e.base;
	o.breaker.open_ms = 60000;
	h_setup(&o);
	h.emu = e; /* Stopped by teardown. */
	for (int i = 0; i < 4; i++)
		vend_ok("pm_card_visa");
	cr_assert_geq(h.link_calls[0], 3, "link 0 was tried until its breaker opened");
	cr_assert_geq(h.link_calls[1], 4 * 2);
	cr_assert_eq(cv_gateway_link_state(h.gw, 0), CV_BREAKER_OPEN);
	cr_assert_eq(cv_gateway_link_state(h.gw, 1), CV_BREAKER_CLOSED);
	h_check_invariants(NULL);
}

Test(gateway, an_unknown_outcome_is_never_retried_on_the_other_link)
{
	struct emu other;
	emu_start(&other);
	h_teardown();
	struct emu first;
	emu_start(&first);
	struct h_options o;
	h_options_default(&o);
	o.links[0] = first.base;
	o.links[1] = other.base;
	h_setup(&o);
	h.emu = first;
	/* Link 0: the create is committed but dropped, and the first lookup
	 * gets no answer either. Everything about that key stays on link 0. */
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "drop_after_commit", 1);
	emu_fail_next(&h.emu, "/v1/payment_intents", "GET", "drop_before_commit", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP]);
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "ended %s", cv_vend_state_str(v->state));
	cr_assert_eq(h.link_calls[1], 0, "nothing went over link 1");
	json_t *state = emu_state(&other);
	cr_assert_eq(json_object_size(json_object_get(state, "intents")), 0);
	cr_assert_eq(json_array_size(json_object_get(state, "idempotency")), 0);
	json_decref(state);
	h_check_invariants(&other);
	emu_stop(&other);
}

/* ---- a hold that lands after the engine stopped waiting ---- */

static void setup_short_payment(const char *link0, const char *link1)
{
	h_teardown();
	struct h_options o;
	h_options_default(&o);
	o.timeouts.payment_ms = 1000;
	o.links[0] = link0;
	o.links[1] = link1;
	h_setup(&o);
}

/* The create reaches emulator @p e but runs only after the gateway gave up
 * on it (unknown outcome), and the lookup, answered at once, finds nothing:
 * the vend waits in AUTH_DECLINED keeping its key while the hold lands. */
static uint32_t late_hold(const struct emu *e, const char *token)
{
	emu_control(e, "{\"latency_ms\":1500}");
	uint32_t n = h_select(0, token);
	for (int i = 0; i < 1000 && h.link_calls[0] == 0; i++)
		h_run(2);
	h_run(150); /* The emulator has read its latency for the create. */
	emu_control(e, "{\"latency_ms\":0}");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	struct h_vend *v = h_vend(n);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP]);
	h_run(1200); /* The hold lands. */
	json_t *state = emu_state(e);
	cr_assert_eq(h_intents_for(state, v->vend_id, "requires_capture"), 1, "the late create held");
	json_decref(state);
	return n;
}

/* Vend @p n ended captured, on the only intent it ever made. */
static void captured_on_one_hold(uint32_t n)
{
	struct h_vend *v = h_vend(n);
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "ended %s", cv_vend_state_str(v->state));
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1, "one hold, never a second");
	json_decref(state);
	h_check_invariants(NULL);
}

/* The customer tries again with @p token; runs until the vend is declined again or finished. */
static void retry_once(uint32_t n, const char *token)
{
	h_select(0, token);
	h_run(20); /* The vend leaves AUTH_DECLINED. */
	(void)h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS);
}

/* The customer tries again (with @p token) until the vend leaves AUTH_DECLINED. */
static void retry_until_settled(uint32_t n, const char *token)
{
	struct h_vend *v = h_vend(n);
	for (int tries = 0; tries < CV_AUTH_ATTEMPTS_MAX && v->state == CV_VEND_STATE_AUTH_DECLINED; tries++)
		retry_once(n, token);
	cr_assert(h_run_settled(SETTLE_MS));
}

Test(gateway, a_key_reused_with_another_card_finds_its_late_hold)
{
	/* The resent key carries another token: the processor answers 400
	 * idempotency_error, which says the key already ran. Its hold must be
	 * found, not taken for a definite failure (a new key: a second hold). */
	setup_short_payment(NULL, NULL);
	uint32_t n = late_hold(&h.emu, "pm_card_visa");
	retry_until_settled(n, "pm_card_mastercard");
	captured_on_one_hold(n);
}

Test(gateway, a_replayed_create_whose_check_is_rate_limited_stays_unknown)
{
	/* The resent key is answered from the store (200); retrieving the
	 * intent is rate limited. That says nothing about the hold. */
	setup_short_payment(NULL, NULL);
	uint32_t n = late_hold(&h.emu, "pm_card_visa");
	emu_fail_next(&h.emu, "/v1/payment_intents/pi_", "GET", "429", 1);
	retry_until_settled(n, "pm_card_visa");
	captured_on_one_hold(n);
}

Test(gateway, a_stored_5xx_whose_list_is_rate_limited_stays_unknown)
{
	emu_fail_next(&h.emu, "/v1/payment_intents", "POST", "500", 1);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	struct h_vend *v = h_vend(n);
	/* The same key again: the stored 500, then the list under the key is
	 * rate limited. Unknown: looked up, not a definite failure. */
	emu_fail_next(&h.emu, "/v1/payment_intents", "GET", "429", 1);
	v->visited[CV_VEND_STATE_AUTH_LOOKUP] = false;
	retry_once(n, "pm_card_visa");
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP], "a list that was refused proves nothing");
	cr_assert_eq(v->auth_attempt, 1, "the key is kept");
	retry_until_settled(n, "pm_card_visa");
	h_check_invariants(NULL);
}

Test(gateway, a_key_looked_up_and_not_found_stays_pinned_and_unknown)
{
	/* Link 0's create lands late; the lookup finds nothing yet; then link 0
	 * dies. The resent key must neither move to link 1 nor come back as a
	 * definite "not sent" (the engine would take a new key while the first
	 * hold may stand). */
	struct emu other;
	emu_start(&other);
	h_teardown();
	struct emu first;
	emu_start(&first);
	h_teardown();
	struct h_options o;
	h_options_default(&o);
	o.timeouts.payment_ms = 1000;
	o.links[0] = first.base;
	o.links[1] = other.base;
	o.settle_attempts_max = 4;
	h_setup(&o);
	h.emu = first;
	uint32_t n = late_hold(&h.emu, "pm_card_visa");
	struct h_vend *v = h_vend(n);
	char key[CV_IDEM_KEY_LEN];
	auth_key(v, 1, key);
	emu_stop(&h.emu); /* Link 0 refuses connections from now on. */
	for (int tries = 0; tries < CV_AUTH_ATTEMPTS_MAX && v->state == CV_VEND_STATE_AUTH_DECLINED; tries++)
		retry_once(n, "pm_card_visa");
	h_run(2000);
	cr_assert(!v->visited[CV_VEND_STATE_DISPENSING], "no sale while the first hold is in doubt");
	/* The void of whatever the key made waits for link 0 too: link 1's
	 * empty list would say nothing about a hold on link 0's path. Link 0
	 * staying dead, it is resent for as long as it takes (the operator is
	 * alerted past settle_attempts_max). */
	cr_assert_eq(v->state, CV_VEND_STATE_VOID_PENDING, "now %s", cv_vend_state_str(v->state));
	cr_assert_eq(h.link_calls[1], 0, "nothing about the unknown authorization went over link 1");
	json_t *state = emu_state(&other);
	cr_assert_eq(h_idem_entries(state, key, NULL), 0, "the unknown key never went over link 1");
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 0, "no second hold");
	json_decref(state);
	struct cv_machine_stats stats;
	cr_assert_eq(cv_machine_stats(h.m, &stats), CV_OK);
	cr_assert_eq(stats.captured_minor, 0);
	emu_stop(&other);
}

/* ---- a seeded day: random customers, random injected faults ---- */

static uint64_t rng_state;

static uint32_t rng(uint32_t n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

static void random_fault(void)
{
	static const char *const modes[] = {"500", "503", "drop_after_commit", "drop_before_commit", "429"};
	static const char *const targets[][2] = {
		{"/v1/payment_intents", "POST"},     /* create (and settlements: same prefix) */
		{"/v1/payment_intents/pi_", "POST"}, /* capture, cancel */
		{"/v1/payment_intents", "GET"},      /* lookups, retrieves */
	};
	unsigned t = rng(3);
	const char *mode = modes[rng(5)];
	if (t == 2 && strcmp(mode, "drop_after_commit") == 0)
		mode = "drop_before_commit";
	emu_fail_next(&h.emu, targets[t][0], targets[t][1], mode, 1 + (int)rng(2));
}

static const char *random_card(void)
{
	uint32_t r = rng(100);
	if (r < 8)
		return "pm_card_chargeDeclined";
	if (r < 14)
		return "pm_card_insufficient_funds";
	if (r < 20)
		return "pm_card_mastercard";
	return "pm_card_visa";
}

static void service_visit(void)
{
	cr_assert_eq(cv_machine_service_enter(h.m), CV_OK);
	for (uint16_t lane = 0; lane < H_LANES; lane++)
		(void)cv_machine_lane_clear_quarantine(h.m, lane);
	cr_assert_eq(cv_machine_service_exit(h.m), CV_OK);
}

static uint32_t random_select(uint16_t lane, const char *card)
{
	for (int i = 0; i < 2000; i++) {
		h.reader.token = card;
		uint32_t number = 0;
		enum cv_status rc = cv_machine_select(h.m, lane, &number);
		if (rc == CV_OK)
			return number;
		if (rc == CV_E_OUT_OF_SERVICE)
			service_visit();
		else
			h_run(5); /* Busy (settlements), or the link is down for now. */
	}
	cr_assert_fail("no selection possible");
	return 0;
}

Test(gateway, seeded_random_customers_with_random_faults, .timeout = 240)
{
	const char *env_seed = getenv("CV_TEST_SEED");
	uint64_t seed = env_seed != NULL ? strtoull(env_seed, NULL, 10) : 20261124u;
	const char *env_customers = getenv("CV_GW_CUSTOMERS");
	unsigned customers = env_customers != NULL ? (unsigned)strtoul(env_customers, NULL, 10) : 300;
	rng_state = seed;
	cr_log_info("seed %llu, %u customers (replay: CV_TEST_SEED=%llu)", (unsigned long long)seed, customers,
		    (unsigned long long)seed);
	unsigned faults = 0;
	for (unsigned c = 0; c < customers; c++) {
		if (rng(100) < 35) {
			random_fault();
			faults++;
		}
		if (rng(100) < 8)
			cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
		uint16_t lane = (uint16_t)rng(H_LANES);
		uint32_t n = random_select(lane, random_card());
		for (int tries = 0; tries < 8; tries++) {
			(void)h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, 20000);
			struct h_vend *v = h_vend(n);
			cr_assert_not_null(v);
			if (v->state != CV_VEND_STATE_AUTH_DECLINED)
				break;
			if (rng(100) < 70) {
				h.reader.token = random_card();
				cr_assert_eq(cv_machine_select(h.m, lane, NULL), CV_OK);
			} else {
				cr_assert_eq(cv_machine_cancel(h.m), CV_OK);
			}
		}
		/* Until it is settled; a wedged item is put right by the operator. */
		(void)h_run_until_state(n, CV_VEND_STATE_CAPTURED, 20000);
		if (h_vend(n)->reason == CV_VEND_REASON_NO_DROP)
			cr_assert_eq(cv_sim_load(h.sim, lane, 0), CV_OK);
	}
	cr_assert(h_run_settled(60000), "seed %llu: vends still open", (unsigned long long)seed);
	struct cv_machine_stats stats;
	cv_machine_stats(h.m, &stats);
	cr_log_info("seed %llu: %u vends, %u captured, %u voided, %u abandoned, %u unknown outcomes, %u faults queued",
		    (unsigned long long)seed, (unsigned)stats.vends_started, (unsigned)stats.vends_captured,
		    (unsigned)stats.vends_voided, (unsigned)stats.vends_abandoned, (unsigned)stats.unknown_outcomes,
		    faults);
	cr_assert_gt(stats.vends_captured, customers / 2);
	cr_assert_gt(stats.unknown_outcomes, 0);
	h_check_invariants(NULL);
}

Test(gateway, all_links_down_refuses_at_once_and_stops_card_sales)
{
	h_teardown();
	char dead[64];
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", closed_port());
	struct h_options o;
	h_options_default(&o);
	o.links[0] = dead;
	o.breaker.open_ms = 300;
	h_setup(&o);
	/* Each attempt is refused by the dead link (nothing sent: a definite
	 * failure) until the breaker opens. */
	uint32_t n = h_select(0, "pm_card_visa");
	for (int i = 0; i < 2; i++) {
		cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
		h_select(0, "pm_card_visa");
	}
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_ABANDONED);
	cr_assert_eq(cv_gateway_link_state(h.gw, 0), CV_BREAKER_OPEN);
	cr_assert_eq(cv_gateway_payment_ops.health(h.gw), CV_E_IO);
	h_run(20);
	uint32_t number = 0;
	cr_assert_eq(cv_machine_select(h.m, 0, &number), CV_E_PAYMENT_UNAVAILABLE, "no card sale without a link");
	/* While open, a request is refused at once, without a transfer. */
	struct cv_payment_request req;
	memset(&req, 0, sizeof(req));
	req.op = CV_PAYMENT_OP_LOOKUP;
	strcpy(req.vend_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	strcpy(req.idempotency_key, "cv1.ABCDEFGHIJKLMNOPQRSTUVWXYZ.auth.1");
	strcpy(req.auth_key, req.idempotency_key);
	req.timeout_ms = 1000;
	cr_assert_eq(cv_gateway_payment_ops.lookup(h.gw, &req), CV_E_IO);
	/* Half-open after 300 ms: a probe goes out, fails, and it opens again. */
	unsigned calls = h.link_calls[0];
	h_run(700);
	cr_assert_eq(h.link_calls[0], calls, "only probes while open");
	cr_assert_neq(cv_gateway_link_state(h.gw, 0), CV_BREAKER_CLOSED);
	h_check_invariants(NULL); /* No processor here: the engine's side only (nothing captured). */
}

/* ---- creation and misuse, no processor needed ---- */

static struct cv_gateway_config config_ok(void)
{
	struct cv_gateway_config c;
	memset(&c, 0, sizeof(c));
	c.links[0] = "http://127.0.0.1:9";
	c.api_key = "sk_test_x";
	c.collect = h_collect_never;
	return c;
}

Test(gateway_config, bad_configurations_are_refused, .fini = cv_test_leak_check)
{
	struct cv_gateway *gw = (struct cv_gateway *)0x1;
	struct cv_gateway_config c = config_ok();
	cr_assert_eq(cv_gateway_new(NULL, &gw), CV_E_INVAL);
	cr_assert_eq(cv_gateway_new(&c, NULL), CV_E_INVAL);
	const char *bad_links[] = {"ftp://127.0.0.1", "127.0.0.1:80", "http://a b", "http://x/?q=1", ""};
	for (unsigned i = 0; i < sizeof(bad_links) / sizeof(bad_links[0]); i++) {
		c = config_ok();
		c.links[0] = bad_links[i];
		cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL, "link '%s'", bad_links[i]);
		cr_assert_null(gw);
	}
	c = config_ok();
	c.links[0] = NULL;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL);
	c = config_ok();
	c.api_key = "sk_test\r\nX-Injected: 1";
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL);
	c = config_ok();
	c.api_key = NULL;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL);
	c = config_ok();
	c.collect = NULL;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL);
	c = config_ok();
	c.breaker.failures_to_open = 101;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL);
	cv_gateway_free(NULL);
}

Test(gateway_config, unopened_and_unknown_operations, .fini = cv_test_leak_check)
{
	struct cv_gateway_config c = config_ok();
	c.links[1] = "http://127.0.0.1:10/";
	struct cv_gateway *gw = NULL;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_OK);
	cr_assert_eq(cv_gateway_link_state(gw, 0), CV_BREAKER_CLOSED);
	cr_assert_eq(cv_gateway_link_state(gw, 1), CV_BREAKER_CLOSED);
	cr_assert_eq(cv_gateway_link_state(gw, 2), CV_BREAKER_OPEN);
	cr_assert_eq(cv_gateway_payment_ops.health(gw), CV_OK);
	cr_assert_null(cv_gateway_payment_ops.caps, "no capability flag applies");
	struct cv_payment_request req;
	memset(&req, 0, sizeof(req));
	req.op = CV_PAYMENT_OP_LOOKUP;
	cr_assert_eq(cv_gateway_payment_ops.lookup(gw, &req), CV_E_STATE, "not opened by a machine");
	cr_assert_eq(cv_gateway_card_token(gw, 5, "pm_card_visa", NULL), CV_E_NOT_FOUND);
	cr_assert_eq(cv_gateway_card_failed(gw, 5, CV_PAY_CANCELLED), CV_E_NOT_FOUND);
	cr_assert_eq(cv_gateway_card_failed(gw, 5, CV_PAY_OK), CV_E_INVAL);
	cr_assert_eq(cv_gateway_timeout_ms(gw, 1000), -1, "nothing due");
	struct pollfd fds[CV_GATEWAY_POLLFDS_MAX];
	cr_assert_eq(cv_gateway_pollfds(gw, fds, CV_GATEWAY_POLLFDS_MAX), 0);
	cv_gateway_process(gw, 1000, NULL, 0);
	cv_gateway_free(gw);
}
