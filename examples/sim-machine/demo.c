/* SPDX-License-Identifier: MIT */
/*
 * Scripted mode: a queue of simulated customers buys candy with auto-presented
 * cards while the simulated hardware and processor misbehave at realistic
 * rates; at the end the engine's books are checked against the simulation.
 */
#include <stdio.h>

#include "sim_machine.h"

/* Journal room: generous per customer (a vend with retries and lookups writes
 * a few hundred bytes) plus the service visits and start-up records. */
#define SM_JOURNAL_PER_CUSTOMER 2048u
#define SM_JOURNAL_BASE (64u * 1024u)

/* A customer who can't be served within this much simulated time means the
 * engine is stuck; so does a backlog of settlements that never drains. */
#define SM_CUSTOMER_LIMIT_MS (10u * SM_MINUTE_MS)
#define SM_DRAIN_LIMIT_MS SM_HOUR_MS

/* The customers' own choices come from a small PRNG of the demo (splitmix64),
 * not rand(): the run must be the same on every C library. Its state is the
 * rig's, so a persistent run carries it across lives. */
struct sm_prng {
	uint64_t *state;
};

static uint64_t sm_prng_next(struct sm_prng *prng)
{
	uint64_t x = (*prng->state += 0x9E3779B97F4A7C15ull);
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static uint32_t sm_prng_below(struct sm_prng *prng, uint32_t bound)
{
	return (uint32_t)((sm_prng_next(prng) >> 32) * bound >> 32);
}

static bool sm_prng_coin(struct sm_prng *prng)
{
	return sm_prng_below(prng, 2) == 0;
}

struct sm_demo {
	struct sm_rig rig;
	struct sm_prng prng;
	const struct sm_demo_options *options;
};

static bool sm_customer_done(const struct sm_rig *rig)
{
	return !sm_vend_state_is_customer_phase(rig->customer_state);
}

static bool sm_customer_not_declined(const struct sm_rig *rig)
{
	return rig->customer_state != CV_VEND_STATE_AUTH_DECLINED;
}

static bool sm_fail(const char *what)
{
	fprintf(stderr, "sim-machine: %s\n", what);
	return false;
}

/* A random lane among those the menu offers; false when none can be sold. */
static bool sm_pick_lane(struct sm_demo *demo, uint16_t *lane_out)
{
	struct cv_menu_item menu[CV_LANES_MAX];
	size_t count = 0;
	if (cv_machine_menu(demo->rig.machine, menu, CV_LANES_MAX, &count) != CV_OK)
		return false;
	uint16_t available[CV_LANES_MAX];
	uint32_t available_count = 0;
	for (size_t i = 0; i < count; i++)
		if (menu[i].availability == CV_LANE_AVAILABLE)
			available[available_count++] = menu[i].lane;
	if (available_count == 0)
		return false;
	*lane_out = available[sm_prng_below(&demo->prng, available_count)];
	return true;
}

/* The operator fills every lane to the brim and types in the count. The
 * engine's own count may be wrong by then (a missed drop leaves it too high,
 * a false drop too low), so the visit does not add "capacity - engine count":
 * it loads what physically fits and sets the engine to the counted, full lane.
 * This also brings quarantined lanes back once the operator has looked. */
static bool sm_fill_lane(struct sm_demo *demo, uint16_t lane, uint16_t on_shelf)
{
	struct cv_lane_info info;
	struct sm_rig *rig = &demo->rig;
	if (cv_machine_lane_info(rig->machine, lane, &info) != CV_OK)
		return false;
	uint16_t capacity = info.config.capacity;
	if (on_shelf < capacity && cv_sim_load(rig->sim, lane, (uint16_t)(capacity - on_shelf)) != CV_OK)
		return false;
	sm_persist_save(rig, false); /* The items are in before the engine is told. */
	if (cv_machine_lane_set_count(rig->machine, lane, capacity) != CV_OK)
		return false;
	return !info.quarantined || cv_machine_lane_clear_quarantine(rig->machine, lane) == CV_OK;
}

static bool sm_service_visit(struct sm_demo *demo)
{
	struct sm_rig *rig = &demo->rig;
	if (!demo->options->quiet)
		printf("service visit at %.1f min: refilling every lane\n", (double)rig->now_ms / SM_MINUTE_MS);
	if (cv_machine_service_enter(rig->machine) != CV_OK)
		return sm_fail("service visit: the machine would not enter service mode");
	struct cv_sim_truth truth;
	cv_sim_truth(rig->sim, &truth);
	for (uint16_t lane = 0; lane < cv_machine_lane_count(rig->machine); lane++)
		if (!sm_fill_lane(demo, lane, truth.stock[lane]))
			return sm_fail("service visit: refilling a lane failed");
	rig->tally.service_visits++;
	if (cv_machine_service_exit(rig->machine) != CV_OK)
		return sm_fail("service visit: the machine would not leave service mode");
	return true;
}

/* Selects, waiting while every vend slot is taken by settlements or card
 * payments are unavailable (both links down). */
static bool sm_select(struct sm_demo *demo, uint16_t lane)
{
	struct sm_rig *rig = &demo->rig;
	uint64_t deadline_ms = rig->now_ms + SM_CUSTOMER_LIMIT_MS;
	for (;;) {
		enum cv_status rc = sm_rig_select(rig, lane);
		if (rc == CV_OK)
			return true;
		bool wait = rc == CV_E_BUSY || rc == CV_E_PAYMENT_UNAVAILABLE;
		if (!wait || rig->now_ms >= deadline_ms) {
			fprintf(stderr, "sim-machine: selecting lane %u failed: %s\n", (unsigned)lane,
				cv_status_str(rc));
			return false;
		}
		sm_rig_tick(rig);
	}
}

static bool sm_wait_customer_phase(struct sm_demo *demo)
{
	if (sm_rig_run_until(&demo->rig, sm_customer_done, SM_CUSTOMER_LIMIT_MS))
		return true;
	return sm_fail("a customer's vend did not finish within 10 simulated minutes");
}

/* A declined customer gives up: by pressing cancel, or by walking away and
 * letting the engine's session timeout close the vend. */
static bool sm_give_up(struct sm_demo *demo)
{
	if (sm_prng_coin(&demo->prng))
		return cv_machine_cancel(demo->rig.machine) == CV_OK ||
		       sm_fail("cancelling a declined vend was refused");
	if (sm_rig_run_until(&demo->rig, sm_customer_not_declined, SM_CUSTOMER_LIMIT_MS))
		return true;
	return sm_fail("a declined vend was never closed by the session timeout");
}

static bool sm_serve_customer(struct sm_demo *demo)
{
	uint16_t lane;
	if (!sm_pick_lane(demo, &lane) && !(sm_service_visit(demo) && sm_pick_lane(demo, &lane)))
		return sm_fail("no lane can be sold, even after a service visit");
	if (!sm_select(demo, lane) || !sm_wait_customer_phase(demo))
		return false;
	if (demo->rig.customer_state != CV_VEND_STATE_AUTH_DECLINED)
		return true;
	/* Half the declined customers try their card once more. */
	if (sm_prng_coin(&demo->prng) && (!sm_select(demo, lane) || !sm_wait_customer_phase(demo)))
		return false;
	if (demo->rig.customer_state != CV_VEND_STATE_AUTH_DECLINED)
		return true;
	return sm_give_up(demo);
}

/* A persistent run may come back in service mode (cut during a visit): the
 * operator closes the door first. */
static bool sm_close_door(struct sm_demo *demo)
{
	if (!cv_machine_in_service(demo->rig.machine))
		return true;
	if (!demo->options->quiet)
		printf("the machine came back in service mode: the operator closes the door\n");
	return cv_machine_service_exit(demo->rig.machine) == CV_OK ||
	       sm_fail("the machine would not leave service mode after the restart");
}

static bool sm_serve_all(struct sm_demo *demo)
{
	struct sm_progress *progress = &demo->rig.progress;
	if (!sm_close_door(demo))
		return false;
	for (; progress->customers_served < demo->options->customers; progress->customers_served++)
		if (!sm_serve_customer(demo))
			return false;
	/* Captures and voids may still be retrying in the background. */
	if (sm_rig_run_until(&demo->rig, sm_rig_no_open_vends, SM_DRAIN_LIMIT_MS))
		return true;
	return sm_fail("vends still open after a simulated hour of settling");
}

static void sm_print_banner(const struct sm_demo *demo)
{
	const struct sm_demo_options *options = demo->options;
	printf("sim-machine demo: %u customers, seed %llu, faults %s\n", (unsigned)options->customers,
	       (unsigned long long)options->seed, options->faults ? "on" : "off");
	uint32_t served = demo->rig.progress.customers_served;
	if (options->journal_dir != NULL && served >= options->customers)
		printf("all %u customers were served in earlier lives: settling and reconciling\n", (unsigned)served);
	else if (options->journal_dir != NULL && served > 0)
		printf("carrying on after %u customers served in earlier lives\n", (unsigned)served);
}

int sm_demo_run(const struct sm_demo_options *options)
{
	struct sm_demo demo = {.options = options};
	struct cv_sim_config sim_config;
	sm_sim_config_fill(&sim_config, options->seed, options->faults);
	struct sm_output output = {.vends = !options->quiet, .alerts = !options->quiet, .recovery = true};
	size_t journal_size = SM_JOURNAL_BASE + (size_t)options->customers * SM_JOURNAL_PER_CUSTOMER;
	struct sm_persist_options persist = {.dir = options->journal_dir,
					     .mode = SM_MODE_DEMO,
					     .seed = options->seed,
					     .customers = options->customers,
					     .faults = options->faults};

	if (!sm_rig_open(&demo.rig, &sim_config, journal_size, options->journal_dir != NULL ? &persist : NULL, output))
		return SM_EXIT_FAILED;
	/* A different stream from the sim's, which is seeded with the same value. */
	demo.prng.state = &demo.rig.progress.prng_state;
	if (*demo.prng.state == 0 && demo.rig.progress.customers_served == 0)
		*demo.prng.state = options->seed ^ 0xD1CEB0A7D1CEB0A7ull;
	cv_sim_set_auto_card(demo.rig.sim, true);
	sm_print_banner(&demo);
	bool served = sm_serve_all(&demo);
	bool reconciled = sm_report_reconciliation(&demo.rig);
	printf("simulated time: %.1f min\n", (double)demo.rig.now_ms / SM_MINUTE_MS);
	sm_rig_close(&demo.rig);
	return served && reconciled ? SM_EXIT_OK : SM_EXIT_FAILED;
}
