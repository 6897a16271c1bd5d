/* SPDX-License-Identifier: MIT */
/* The real engine and gateway against a processor that lies
 * (tests/fixtures/hostile_processor.py): the honest emulator behind it runs
 * every request and keeps the truth, and the hostile front answers late, not
 * at all, with garbage, with another request's answer, with another vend's
 * intent, or with an answer that contradicts itself. After each scenario the
 * invariants are checked over the truth (gw_harness.c: h_check_invariants):
 * no hold left open, nothing captured without a verified drop, the engine's
 * books equal to the processor's. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_harness.h"
#include "leak_check.h"

#define SETTLE_MS 15000

static void hostile_options(struct h_options *o)
{
	h_options_default(o);
	o->processor.script_env = "CV_HOSTILE";
}

static void setup_hostile(void)
{
	struct h_options o;
	hostile_options(&o);
	h_setup(&o);
}

static void teardown(void)
{
	h_teardown();
	cv_test_leak_check();
}

TestSuite(hostile, .init = setup_hostile, .fini = teardown, .timeout = 300);

/* The next request of @p kind is answered as @p mode says (@p how: which mismatch, or NULL). */
static void lie_next(const char *kind, const char *mode, const char *how)
{
	char extra[48] = "";
	if (how != NULL)
		snprintf(extra, sizeof(extra), ",\"how\":\"%s\"", how);
	emu_control(&h.emu, "{\"hostile_next\":[{\"kind\":\"%s\",\"mode\":\"%s\"%s}]}", kind, mode, extra);
}

/* How many answers the hostile processor gave in @p mode. */
static long told(const char *mode)
{
	json_t *state = emu_state(&h.emu);
	long n = (long)json_integer_value(
		json_object_get(json_object_get(json_object_get(state, "hostile"), "counts"), mode));
	json_decref(state);
	return n;
}

static struct h_vend *vend_settled(const char *token)
{
	uint32_t n = h_select(0, token);
	cr_assert(h_run_settled(SETTLE_MS), "vend %u still open", (unsigned)n);
	return h_vend(n);
}

static void assert_captured_on_its_own_hold(const struct h_vend *v)
{
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "vend %u ended %s (%s)", (unsigned)v->number,
		     cv_vend_state_str(v->state), cv_vend_reason_str(v->reason));
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, "succeeded"), 1, "vend %u: its own hold captured",
		     (unsigned)v->number);
	json_decref(state);
}

/* ---- 1. every answer bound to its request ---- */

Test(hostile, a_create_answered_with_another_vends_hold_is_looked_up)
{
	struct h_vend *first = vend_settled("pm_card_visa");
	assert_captured_on_its_own_hold(first);
	lie_next("create", "stale", NULL); /* The first vend's 200, no replay header. */
	struct h_vend *second = vend_settled("pm_card_visa");
	cr_assert_eq(told("stale"), 1);
	cr_assert(second->visited[CV_VEND_STATE_AUTH_LOOKUP], "another vend's answer is no answer: looked up");
	assert_captured_on_its_own_hold(second);
	h_check_invariants(NULL);
}

Test(hostile, a_create_answer_naming_another_amount_currency_vend_attempt_or_intent_is_looked_up)
{
	static const char *const hows[] = {"amount", "currency", "vend", "attempt", "intent"};
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa")); /* An intent to point at. */
	for (unsigned i = 0; i < 5; i++) {
		lie_next("create", "mismatched", hows[i]);
		struct h_vend *v = vend_settled("pm_card_visa");
		cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP], "%s: looked up", hows[i]);
		assert_captured_on_its_own_hold(v);
	}
	cr_assert_eq(told("mismatched"), 5);
	h_check_invariants(NULL);
}

Test(hostile, a_list_led_by_another_vends_intent_is_not_taken)
{
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa"));
	lie_next("create", "lost", NULL);
	lie_next("list", "mismatched", NULL); /* Another vend's captured intent first. */
	struct h_vend *v = vend_settled("pm_card_visa");
	cr_assert_eq(told("mismatched"), 1);
	assert_captured_on_its_own_hold(v);
	h_check_invariants(NULL);
}

Test(hostile, settlement_answers_naming_another_intent_settle_nothing)
{
	/* A voided vend and a captured one leave intents to point at. */
	cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	cr_assert_eq(vend_settled("pm_card_visa")->state, CV_VEND_STATE_VOIDED);
	cr_assert_eq(cv_sim_load(h.sim, 0, 0), CV_OK);
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa"));
	/* A capture answered "unexpected state: captured" with the other intent. */
	lie_next("capture", "foreign_state", NULL);
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa"));
	/* A cancel answered "unexpected state: cancelled" with the other intent. */
	cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	lie_next("cancel", "foreign_state", NULL);
	cr_assert_eq(vend_settled("pm_card_visa")->state, CV_VEND_STATE_VOIDED);
	cr_assert_eq(cv_sim_load(h.sim, 0, 0), CV_OK);
	cr_assert_eq(told("foreign_state"), 2);
	/* 200 answers that name another intent or amount. */
	lie_next("capture", "mismatched", "intent");
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa"));
	lie_next("capture", "mismatched", "amount");
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa"));
	cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	lie_next("cancel", "mismatched", "intent");
	cr_assert_eq(vend_settled("pm_card_visa")->state, CV_VEND_STATE_VOIDED);
	cr_assert_eq(told("mismatched"), 3);
	h_check_invariants(NULL);
}

/* ---- 2. no definite result from an ambiguous answer ---- */

static void create_answered(const char *mode)
{
	lie_next("create", mode, NULL);
	struct h_vend *v = vend_settled("pm_card_visa");
	cr_assert_eq(told(mode), 1, "%s was told", mode);
	cr_assert(v->visited[CV_VEND_STATE_AUTH_LOOKUP], "%s: the hold may stand, so it is looked up", mode);
	assert_captured_on_its_own_hold(v);
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, NULL), 1, "%s: one hold, never a second", mode);
	json_decref(state);
	h_check_invariants(NULL);
}

Test(hostile, an_answer_that_is_not_http_is_unknown)
{
	create_answered("garbage");
}

Test(hostile, a_proxy_408_after_forwarding_is_unknown)
{
	create_answered("proxy_408");
}

Test(hostile, a_reset_or_cut_answer_is_unknown)
{
	create_answered("reset");
	create_answered("truncated");
}

Test(hostile, a_decline_carrying_a_hold_is_unknown)
{
	create_answered("contradictory");
}

Test(hostile, an_unexpected_state_carrying_the_expected_state_is_unknown)
{
	lie_next("capture", "contradictory", NULL);
	assert_captured_on_its_own_hold(vend_settled("pm_card_visa"));
	cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
	lie_next("cancel", "contradictory", NULL);
	cr_assert_eq(vend_settled("pm_card_visa")->state, CV_VEND_STATE_VOIDED);
	cr_assert_eq(told("contradictory"), 2);
	h_check_invariants(NULL);
}

/* Two paths: link 0 the hostile processor, link 1 an honest emulator of its
 * own (another path, which knows nothing of link 0's requests). */
static struct emu two_links_first;

static void two_links(struct emu *other, struct h_options *o)
{
	emu_start(other);
	h_teardown();
	hostile_options(o);
	emu_start_as(&two_links_first, &o->processor);
	o->links[0] = two_links_first.base;
	o->links[1] = other->base;
}

static void setup_two_links(const struct h_options *o)
{
	h_setup(o);
	h.emu = two_links_first; /* Stopped by the teardown. */
}

Test(hostile, an_answer_that_is_not_http_never_fails_over)
{
	/* "Not sent" would send the same key over link 1 too: a second hold
	 * on another path while the first stands. */
	struct emu other;
	struct h_options o;
	two_links(&other, &o);
	setup_two_links(&o);
	lie_next("create", "garbage", NULL);
	struct h_vend *v = vend_settled("pm_card_visa");
	cr_assert_eq(told("garbage"), 1);
	assert_captured_on_its_own_hold(v);
	cr_assert_eq(h.link_calls[1], 0, "nothing went over link 1");
	h_check_invariants(&other);
	emu_stop(&other);
}

/* ---- 3. every request about an unknown authorization follows its pin ---- */

Test(hostile, a_void_by_key_follows_the_authorizations_pin)
{
	/* Link 0: the create runs but is never answered (pinned there), and the
	 * lookups get no answer until link 0's breaker opens. The engine then
	 * voids "whatever may exist" by the authorization's key: that void
	 * must wait for link 0, never ask link 1 (another path, which knows
	 * nothing yet) and take its empty list for "nothing to void". */
	struct emu other;
	struct h_options o;
	two_links(&other, &o);
	o.breaker.failures_to_open = 3;
	o.breaker.open_ms = 1500;
	o.settle_attempts_max = 40;
	setup_two_links(&o);
	lie_next("create", "lost", NULL);
	emu_control(&h.emu, "{\"hostile_next\":[{\"kind\":\"list\",\"mode\":\"reset\",\"count\":2}]}");
	uint32_t n = h_select(0, "pm_card_visa");
	/* If the customer is asked to pay again, they leave instead. */
	if (h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, 30000))
		cr_assert_eq(cv_machine_cancel(h.m), CV_OK);
	cr_assert(h_run_settled(30000));
	struct h_vend *v = h_vend(n);
	cr_assert_neq(v->state, CV_VEND_STATE_CAPTURED);
	cr_assert_eq(h.link_calls[1], 0, "nothing about the unknown authorization went over link 1");
	h_check_invariants(&other);
	emu_stop(&other);
}

/* ---- 5. the replay header alone decides nothing ---- */

/* The create runs only after the gateway gave up on it, and the lookup finds
 * nothing yet: the vend waits keeping its key while the hold lands. Then the
 * processor lets the hold expire, so a stored answer replayed for that key
 * is out of date. */
static uint32_t late_hold_then_expired(void)
{
	h_teardown();
	struct h_options o;
	hostile_options(&o);
	o.timeouts.payment_ms = 1000;
	h_setup(&o);
	emu_control(&h.emu, "{\"latency_ms\":1500}");
	uint32_t n = h_select(0, "pm_card_visa");
	for (int i = 0; i < 1000 && h.link_calls[0] == 0; i++)
		h_run(2);
	h_run(150);
	emu_control(&h.emu, "{\"latency_ms\":0}");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	h_run(1200);
	/* Ten days on, the key still remembered (30-day keys). */
	emu_control(&h.emu, "{\"key_ttl_s\":2592000,\"clock_offset_s\":864000}");
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, h_vend(n)->vend_id, "canceled"), 1, "the late hold expired");
	json_decref(state);
	return n;
}

/* The customer tries again with the first key: the processor replays its
 * stored approval for the hold that has since expired, and the hostile
 * front hides that it is a replay (@p mode). The gateway must look at the
 * intent (the key was sent before with no answer), find it cancelled and
 * call the key spent; the customer's next try takes a new key and buys. */
static void replay_told(const char *mode)
{
	uint32_t n = late_hold_then_expired();
	struct h_vend *v = h_vend(n);
	lie_next("create", mode, NULL);
	h_select(0, "pm_card_visa");
	h_run(20);
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS), "%s: no decline for a spent key (%s)",
		  mode, cv_vend_state_str(v->state));
	cr_assert_eq(told(mode), 1, "%s was told", mode);
	cr_assert_eq(v->auth_attempt, 1);
	h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(v->state, CV_VEND_STATE_CAPTURED, "%s: ended %s", mode, cv_vend_state_str(v->state));
	cr_assert_eq(v->auth_attempt, 2, "the spent key was not used again");
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(h_intents_for(state, v->vend_id, "succeeded"), 1);
	cr_assert_eq(h_intents_for(state, v->vend_id, "canceled"), 1);
	json_decref(state);
	h_check_invariants(NULL);
}

Test(hostile, a_replay_with_its_header_stripped_is_checked)
{
	replay_told("replay_stripped");
}

Test(hostile, a_replay_saying_true_then_false_is_checked)
{
	replay_told("replay_duplicated");
}

/* ---- the randomized hostile processor ---- */

/* Every way the hostile processor can answer but the honest one. */
static const char *const lies[] = {
	"late",          "lost",         "lost_before", "reset",           "garbage",           "truncated",
	"proxy_408",     "proxy_502",    "stale",       "replay_stripped", "replay_duplicated", "mismatched",
	"contradictory", "foreign_state"};

/* " key=n" for every member of @p counts into @p line; returns how many. */
static unsigned describe(json_t *counts, char *line, size_t size)
{
	size_t used = 0;
	unsigned n = 0;
	const char *key;
	json_t *count;
	line[0] = '\0';
	json_object_foreach(counts, key, count)
	{
		int w = snprintf(line + used, size - used, " %s=%lld", key, (long long)json_integer_value(count));
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
		n++;
	}
	return n;
}

Test(hostile, seeded_customers_against_a_processor_that_lies)
{
	const char *env_seed = getenv("CV_TEST_SEED");
	uint64_t seed = env_seed != NULL ? strtoull(env_seed, NULL, 10) : 20261202u;
	const char *env_customers = getenv("CV_GW_CUSTOMERS");
	unsigned customers = env_customers != NULL ? (unsigned)strtoul(env_customers, NULL, 10) : 200;
	h_teardown();
	struct h_options o;
	hostile_options(&o);
	o.timeouts.payment_ms = 1500;
	o.timeouts.lookup_ms = 800;
	o.timeouts.settle_ms = 800;
	o.lookup_attempts_max = 20;
	o.settle_attempts_max = 40;
	o.breaker.failures_to_open = 50; /* One link: lies are not outages. */
	o.seed = seed;
	h_setup(&o);
	char modes[512] = "";
	for (unsigned i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
		snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes), "%s\"%s\"", i > 0 ? "," : "", lies[i]);
	emu_control(&h.emu, "{\"hostile_random\":{\"seed\":%llu,\"percent\":30,\"late_ms\":1700,\"modes\":[%s]}}",
		    (unsigned long long)seed, modes);
	cr_log_info("seed %llu, %u customers (replay: CV_TEST_SEED=%llu)", (unsigned long long)seed, customers,
		    (unsigned long long)seed);
	static const char *const cards[] = {"pm_card_visa",       "pm_card_visa",
					    "pm_card_mastercard", "pm_card_insufficient_funds",
					    "pm_card_visa",       "pm_card_amex"};
	uint64_t r = seed;
	for (unsigned c = 0; c < customers; c++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		uint16_t lane = (uint16_t)((r >> 33) % H_LANES);
		const char *card = cards[(r >> 40) % 6];
		if ((r >> 20) % 100 < 8)
			cr_assert_eq(cv_sim_script_fault(h.sim, CV_SIM_FAULT_PRODUCT_WEDGED), CV_OK);
		uint32_t n = 0;
		for (int i = 0; i < 4000 && n == 0; i++) {
			h.reader.token = card;
			if (cv_machine_select(h.m, lane, &n) != CV_OK) {
				n = 0;
				h_run(5);
			}
		}
		cr_assert_neq(n, 0, "customer %u could not select", c);
		(void)h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, 20000);
		if (h_vend(n)->state == CV_VEND_STATE_AUTH_DECLINED)
			cr_assert_eq(cv_machine_cancel(h.m), CV_OK);
		(void)h_run_until_state(n, CV_VEND_STATE_CAPTURED, 30000);
		if (h_vend(n)->reason == CV_VEND_REASON_NO_DROP)
			cr_assert_eq(cv_sim_load(h.sim, lane, 0), CV_OK);
	}
	cr_assert(h_run_settled(60000), "seed %llu: vends still open", (unsigned long long)seed);
	json_t *state = emu_state(&h.emu);
	char line[512];
	char by_kind[1024];
	json_t *counts = json_object_get(json_object_get(state, "hostile"), "counts");
	(void)describe(counts, line, sizeof(line));
	(void)describe(json_object_get(json_object_get(state, "hostile"), "by_kind"), by_kind, sizeof(by_kind));
	for (unsigned i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
		cr_assert_gt(json_integer_value(json_object_get(counts, lies[i])), 0, "%s was never told (%s)", lies[i],
			     line);
	json_decref(state);
	struct cv_machine_stats stats;
	cv_machine_stats(h.m, &stats);
	cr_log_info("seed %llu: %u vends, %u captured, %u voided, %u abandoned, %u unknown outcomes; answers:%s",
		    (unsigned long long)seed, (unsigned)stats.vends_started, (unsigned)stats.vends_captured,
		    (unsigned)stats.vends_voided, (unsigned)stats.vends_abandoned, (unsigned)stats.unknown_outcomes,
		    line);
	cr_log_info("lies by request:%s", by_kind);
	cr_assert_gt(stats.vends_captured, customers / 3);
	h_check_invariants(NULL);
}
