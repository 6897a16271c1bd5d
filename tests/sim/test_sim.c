/* SPDX-License-Identifier: MIT */
/* Seeded simulation: thousands of random customers against the simulated
 * machine with random faults, and the money and inventory invariants checked
 * after every step. A failure prints its seed; CV_TEST_SEED=<seed> replays
 * it identically (with CV_SIM_SEEDS=1), CV_SIM_CUSTOMERS=<n> changes the run
 * length, CV_SIM_SEEDS=<n> the number of seeds run one after another. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

#include "leak_check.h"
#include "sim_visit.h"

#define SIM_LANES SIM_VISIT_LANES
#define SIM_TICK_MS 50
#define SIM_VENDS_MAX 200000
#define SIM_DRAIN_MS (6ull * 3600 * 1000)

/* What the test knows of each vend, from the engine's events. */
struct sim_vend {
	enum cv_vend_state state;
	uint16_t lane;
	int64_t price_minor;
	bool seen;
};

struct sim_run {
	uint64_t seed;
	uint64_t rng;
	uint64_t now_ms;
	struct cv_sim *sim;
	struct cv_machine *m;
	void *memory;
	uint8_t *journal;
	struct cv_ram_storage storage;
	struct cv_lane_config lanes[SIM_LANES];
	struct sim_vend *vends;
	uint32_t vend_count_max;
	int32_t refilled[SIM_LANES];   /* Items added by service visits, per lane. */
	int32_t taken[SIM_LANES];      /* Verified drops seen as events, per lane. */
	int64_t pending_capture_minor; /* Price of vends now in CAPTURE_PENDING. */
	int64_t capture_failed_minor;  /* Price of vends that ended CAPTURE_FAILED. */
	uint64_t digest;               /* FNV-1a over every output event. */
	unsigned violations;
	char first_violation[256];
	unsigned unavailable; /* Customers turned away: card payments unavailable. */
	struct cv_offline_policy offline;
};

static struct sim_run run;

/* Over every run of a test: the paths that must have been exercised. */
static struct {
	uint32_t failovers;
	uint32_t breaker_opens;
	uint32_t unavailable;
	uint32_t unknown_outcomes;
	uint32_t offline_approvals;
} totals;

static unsigned sim_below(unsigned n)
{
	return (unsigned)(sim_visit_random(&run.rng) % n);
}

static void sim_violation(const char *what)
{
	if (run.violations++ == 0)
		snprintf(run.first_violation, sizeof(run.first_violation), "t=%" PRIu64 " ms: %s", run.now_ms, what);
}

static void sim_digest(const void *bytes, size_t length)
{
	const uint8_t *p = bytes;
	for (size_t i = 0; i < length; i++)
		run.digest = (run.digest ^ p[i]) * 0x100000001b3ull;
}

/* The auth key of a vend's current attempt, as the engine derives it. */
static void sim_auth_key(const struct cv_vend_info *v, char *out, size_t size)
{
	snprintf(out, size, "cv1.%s.auth.%u", v->vend_id, (unsigned)v->auth_attempt);
}

static void sim_on_vend(const struct cv_vend_info *v)
{
	if (v->vend_number >= run.vend_count_max) {
		sim_violation("more vends than the test's table holds");
		return;
	}
	struct sim_vend *s = &run.vends[v->vend_number];
	if (s->seen && s->state == CV_VEND_STATE_CAPTURE_PENDING)
		run.pending_capture_minor -= s->price_minor;
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING)
		run.pending_capture_minor += v->price.amount_minor;
	if (v->state == CV_VEND_STATE_CAPTURE_FAILED)
		run.capture_failed_minor += v->price.amount_minor;
	s->seen = true;
	s->state = v->state;
	s->lane = v->lane;
	s->price_minor = v->price.amount_minor;
	if (v->state == CV_VEND_STATE_DISPENSING) {
		/* Never dispense without a held authorization of at least the price. */
		char key[CV_IDEM_KEY_LEN];
		int64_t held = 0;
		sim_auth_key(v, key, sizeof(key));
		if (cv_sim_hold_amount(run.sim, key, &held) != CV_OK || held < v->price.amount_minor)
			sim_violation("dispensing without a held authorization");
	}
	if (v->state == CV_VEND_STATE_CAPTURE_PENDING) {
		if (!v->drop_verified)
			sim_violation("capture without a verified drop");
		run.taken[v->lane]++;
	}
}

static void sim_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	(void)user_data;
	sim_digest(&event->type, sizeof(event->type));
	sim_digest(&event->time_ms, sizeof(event->time_ms));
	if (event->type == CV_EVENT_VEND_STATE) {
		sim_digest(&event->u.vend.state, sizeof(event->u.vend.state));
		sim_digest(event->u.vend.vend_id, sizeof(event->u.vend.vend_id));
		sim_on_vend(&event->u.vend);
	}
}

/* Checked after every step. */
static void sim_check_invariants(void)
{
	struct cv_machine_stats st;
	struct cv_sim_truth truth;
	cv_machine_stats(run.m, &st);
	cv_sim_truth(run.sim, &truth);

	int64_t pending_capture = run.pending_capture_minor;
	int64_t capture_failed = run.capture_failed_minor;
	/* Captured money = price of verified drops (some still settling). */
	if (st.captured_minor + pending_capture + capture_failed != st.dispensed_value_minor)
		sim_violation("captured + settling + failed captures != value of verified drops");
	/* The processor (with what the reader holds offline, to forward) never
	 * has more captured money than the engine may have asked for. */
	int64_t settled = truth.captured_minor + truth.offline_unsent_captured_minor;
	if (settled < st.captured_minor || settled > st.captured_minor + pending_capture)
		sim_violation("processor's captured money disagrees with the engine");
	/* The operator's offline limits hold at every moment. */
	if (truth.offline_unsent > run.offline.max_count)
		sim_violation("the reader holds more unsent offline approvals than policy allows");
	/* On sensor lanes every verified drop needs a sensor report behind it:
	 * the engine's own flag is not evidence. */
	int32_t verified = 0;
	for (uint16_t i = 0; i < SIM_LANES; i++) {
		struct cv_lane_info lane;
		cv_machine_lane_info(run.m, i, &lane);
		if ((int32_t)lane.config.count != run.lanes[i].count + run.refilled[i] - run.taken[i])
			sim_violation("inventory not conserved: count != start + refills - verified drops");
		if (run.lanes[i].verify_mode != CV_VERIFY_MODE_OFF)
			verified += run.taken[i];
	}
	if (verified > (int32_t)truth.sensor_reports)
		sim_violation("more verified drops on sensor lanes than the sensor reported");
}

static void sim_tick(void)
{
	run.now_ms += SIM_TICK_MS;
	cv_sim_step(run.sim, run.now_ms);
	cr_assert_eq(cv_machine_step(run.m, run.now_ms), CV_OK);
	sim_check_invariants();
}

static void sim_planogram(void)
{
	sim_visit_planogram(run.lanes);
}

static void sim_start(uint64_t seed, unsigned customers)
{
	memset(&run, 0, sizeof(run));
	run.seed = seed;
	run.rng = seed * 7919u + 1;
	run.digest = 0xcbf29ce484222325ull;
	run.vend_count_max = customers * 2 + 16;
	cr_assert_lt(run.vend_count_max, SIM_VENDS_MAX);
	run.vends = calloc(run.vend_count_max, sizeof(*run.vends));
	sim_planogram();

	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = seed;
	sc.lane_count = SIM_LANES;
	for (unsigned i = 0; i < SIM_LANES; i++)
		sc.stock[i] = run.lanes[i].count;
	sim_visit_fault_rates(&sc);
	/* Two network paths that each drop out for ~20 s every ~4 min: failover,
	 * breakers, and now and then both down at once (card sales stop). */
	sc.link_count = 2;
	sc.link_outage_every_ms = 240000;
	sc.link_outage_ms = 20000;
	sc.offline_capable = true;
	cr_assert_eq(cv_sim_new(&sc, &run.sim), CV_OK);
	cv_sim_set_auto_card(run.sim, true);

	size_t journal_size = (size_t)customers * 3072 + 65536;
	run.journal = malloc(journal_size);
	cv_ram_storage_init(&run.storage, run.journal, journal_size);

	struct cv_machine_config c;
	cv_machine_config_default(&c);
	snprintf(c.machine_id, sizeof(c.machine_id), "sim-%" PRIu64, seed);
	c.lanes = run.lanes;
	c.lane_count = SIM_LANES;
	c.timeouts.retry_cap_ms = 60000;
	/* Offline up to 2.00 a vend (the two dearest lanes stop selling while
	 * both links are down), 4 unsent at once, 8.00 in all, 10 minutes old. */
	run.offline = (struct cv_offline_policy){
		.enabled = true, .max_amount_minor = 200, .max_count = 4, .max_total_minor = 800, .max_age_s = 600};
	c.offline = run.offline;
	cv_sim_attach(run.sim, &c);
	c.storage = &cv_ram_storage_ops;
	c.storage_ctx = &run.storage;
	c.accept_volatile_journal = true;
	c.on_event = sim_on_event;
	run.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
	cr_assert_eq(cv_machine_init(run.memory, cv_machine_size(), &c, &run.m), CV_OK);
}

static void sim_stop(void)
{
	cv_machine_deinit(run.m);
	cv_sim_free(run.sim);
	free(run.memory);
	free(run.journal);
	free(run.vends);
}

static bool sim_in_customer_phase(uint32_t vend)
{
	enum cv_vend_state s = run.vends[vend].state;
	return s <= CV_VEND_STATE_VERIFYING && s != CV_VEND_STATE_AUTH_DECLINED;
}

/* One customer: choose, pay (the sim presents a random card), maybe cancel,
 * maybe retry after a decline, then leave. Settlement continues later. */
static void sim_customer(void)
{
	uint16_t lane;
	if (!sim_visit_pick_lane(run.m, sim_below, &lane)) {
		sim_visit_service(run.m, run.sim, run.refilled);
		if (!sim_visit_pick_lane(run.m, sim_below, &lane))
			return;
	}
	uint32_t vend = 0;
	enum cv_status rc = cv_machine_select(run.m, lane, &vend);
	if (rc == CV_E_PAYMENT_UNAVAILABLE)
		run.unavailable++;
	if (rc == CV_E_BUSY || rc == CV_E_PAYMENT_UNAVAILABLE) {
		/* Every vend slot is settling, or the processor is out of reach:
		 * wait a little, as a customer would. */
		for (unsigned i = 0; i < 200; i++)
			sim_tick();
		return;
	}
	cr_assert_eq(rc, CV_OK, "seed %" PRIu64 ": select: %s", run.seed, cv_status_str(rc));
	bool cancel = sim_below(100) < 5;
	unsigned cancel_tick = sim_below(20);
	for (unsigned t = 0; t < 4000; t++) {
		sim_tick();
		if (cancel && t == cancel_tick)
			cv_machine_cancel(run.m);
		if (run.vends[vend].state == CV_VEND_STATE_AUTH_DECLINED) {
			if (sim_below(2) == 0)
				return; /* Walks away; the session times out. */
			cv_machine_select(run.m, lane, NULL);
		}
		if (!sim_in_customer_phase(vend) && run.vends[vend].state != CV_VEND_STATE_AUTH_DECLINED)
			return;
	}
	sim_violation("a customer waited 200 s for their vend");
}

static void sim_drain(void)
{
	uint64_t until = run.now_ms + SIM_DRAIN_MS;
	while (cv_machine_open_vends(run.m) > 0 && run.now_ms < until)
		sim_tick();
}

static void sim_check_end(unsigned customers)
{
	struct cv_machine_stats st;
	struct cv_sim_truth truth;
	cv_machine_stats(run.m, &st);
	cv_sim_truth(run.sim, &truth);
	if (cv_machine_open_vends(run.m) != 0)
		sim_violation("a vend never reached a terminal state");
	for (uint32_t n = 1; n < run.vend_count_max && run.vends[n].seen; n++)
		if (!cv_vend_state_is_terminal(run.vends[n].state))
			sim_violation("a vend's last state is not terminal");
	if (truth.captured_minor + truth.offline_unsent_captured_minor != st.captured_minor)
		sim_violation("processor captured (and unsent offline) != engine captured");
	if (truth.holds_open != st.vends_void_failed)
		sim_violation("holds left open at the processor");
	if (truth.unknown_failovers != 0)
		sim_violation("an operation with an unknown outcome was resent over another link");
	if (truth.pin_overflows != 0)
		sim_violation("the sim lost track of an unknown outcome's link");
	totals.failovers += truth.failovers;
	totals.breaker_opens += truth.breaker_opens;
	totals.unavailable += run.unavailable;
	totals.unknown_outcomes += st.unknown_outcomes;
	totals.offline_approvals += truth.offline_approvals;
	if (st.offline_approvals > truth.offline_approvals)
		sim_violation("the engine counted offline approvals the reader never gave");
	printf("sim seed %" PRIu64 ": %u customers, %u vends: %u captured (%" PRId64
	       " minor), %u voided, %u abandoned, %u capture failed, %u void failed, %u declines, "
	       "%u unknown outcomes, %u respins; physical drops %u (missed %u, false %u); "
	       "journal %" PRIu64 " records; %u violations\n",
	       run.seed, customers, st.vends_started, st.vends_captured, st.captured_minor, st.vends_voided,
	       st.vends_abandoned, st.vends_capture_failed, st.vends_void_failed, st.declines, st.unknown_outcomes,
	       st.respins, truth.items_dropped, truth.missed_drops, truth.false_drops, st.journal_records,
	       run.violations);
	printf("sim seed %" PRIu64 ": links: %u failovers, %u sends refused by a down link, %u breaker opens, "
	       "%u offline approvals, %u customers turned away (card payments unavailable)\n",
	       run.seed, truth.failovers, truth.link_refusals, truth.breaker_opens, truth.offline_approvals,
	       run.unavailable);
}

static uint64_t sim_env(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);
	return s != NULL && *s != '\0' ? strtoull(s, NULL, 10) : fallback;
}

/* Runs a whole simulation and returns its event digest. */
static uint64_t sim_run(uint64_t seed, unsigned customers)
{
	sim_start(seed, customers);
	for (unsigned i = 0; i < customers && run.violations == 0; i++)
		sim_customer();
	sim_drain();
	sim_check_end(customers);
	uint64_t digest = run.digest;
	unsigned violations = run.violations;
	char first[sizeof(run.first_violation)];
	memcpy(first, run.first_violation, sizeof(first));
	sim_stop();
	cr_assert_eq(violations, 0, "seed %" PRIu64 " (replay: CV_TEST_SEED=%" PRIu64 "): %u violations, first: %s",
		     seed, seed, violations, first);
	return digest;
}

TestSuite(sim, .fini = cv_test_leak_check);

/* CV_SIM_SEEDS consecutive seeds from CV_TEST_SEED, CV_SIM_CUSTOMERS each. */
Test(sim, random_customers_keep_every_invariant, .timeout = 900)
{
	uint64_t seed = sim_env("CV_TEST_SEED", 20261124);
	unsigned customers = (unsigned)sim_env("CV_SIM_CUSTOMERS", 10000);
	uint64_t seeds = sim_env("CV_SIM_SEEDS", 1);
	memset(&totals, 0, sizeof(totals));
	for (uint64_t i = 0; i < seeds; i++)
		sim_run(seed + i, customers);
	/* The faults this test exists for must really have happened. */
	if (customers >= 1000) {
		cr_assert_gt(totals.unknown_outcomes, 0, "no unknown payment outcome was simulated");
		cr_assert_gt(totals.failovers, 0, "no operation failed over to the second link");
		cr_assert_gt(totals.breaker_opens, 0, "no link breaker ever opened");
		cr_assert_gt(totals.offline_approvals, 0, "no card was approved offline");
	}
}

Test(sim, a_seed_replays_identically, .timeout = 300)
{
	uint64_t seed = sim_env("CV_TEST_SEED", 7) + 1;
	uint64_t first = sim_run(seed, 300);
	uint64_t second = sim_run(seed, 300);
	cr_assert_eq(first, second, "seed %" PRIu64 " did not replay identically", seed);
	cr_assert_neq(sim_run(seed + 1, 300), first, "different seeds gave the same run");
}
