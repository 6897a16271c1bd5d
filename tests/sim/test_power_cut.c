/* SPDX-License-Identifier: MIT */
/* Exhaustive power cuts: a scripted scenario of vends that covers every kind
 * of fault runs once to count its storage operations (appends and syncs);
 * then, for every operation in turn, the power is cut during it (unsynced
 * records dropped, or the newest torn at a random byte), the machine
 * restarts on what survived, recovers, settles, and the money and inventory
 * invariants are checked against the simulated processor and mechanics,
 * which live on through the cut as the real world would. CUT_DEBUG=1 prints
 * each run's final journal view (vend, lane, last state). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

#include "crash_storage.h"
#include "leak_check.h"
#include "machine_private.h"

#define CUT_LANES 3
#define CUT_TICK_MS 50
#define CUT_JOURNAL_SIZE (1u << 16)
#define CUT_VENDS_MAX 64

/* What one life of the machine (or two) did, as seen from outside. */
struct cut_run {
	struct cv_sim *sim;
	struct cv_ram_storage ram;
	uint8_t journal[CUT_JOURNAL_SIZE];
	struct crash_storage cs;
	struct cv_lane_config lanes[CUT_LANES];
	void *memory;
	struct cv_machine *m;
	uint64_t now_ms;
	unsigned life;                 /* 1 before the cut, 2 after. */
	unsigned dispensing_in_life_2; /* Must stay 0: never dispense after a restart. */
	unsigned recoveries;
};

static struct cut_run run;

static void cut_on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m;
	(void)user_data;
	if (e->type == CV_EVENT_VEND_STATE && e->u.vend.state == CV_VEND_STATE_DISPENSING && run.life == 2)
		run.dispensing_in_life_2++;
	if (e->type == CV_EVENT_RECOVERY)
		run.recoveries++;
}

static void cut_planogram(void)
{
	for (unsigned i = 0; i < CUT_LANES; i++) {
		struct cv_lane_config *l = &run.lanes[i];
		cv_lane_config_default(l);
		snprintf(l->label, sizeof(l->label), "A%u", i + 1);
		snprintf(l->product_name, sizeof(l->product_name), "Candy %u", i + 1);
		l->price_minor = 100 + 25 * (int64_t)i;
		l->capacity = 10;
		l->count = 6;
	}
}

static enum cv_status cut_machine_start(void)
{
	struct cv_machine_config c;
	cv_machine_config_default(&c);
	c.lanes = run.lanes;
	c.lane_count = CUT_LANES;
	c.timeouts.retry_base_ms = 200;
	c.timeouts.retry_cap_ms = 2000;
	c.platform = &cv_sim_platform_ops;
	c.platform_ctx = run.sim;
	c.dispenser = &cv_sim_dispenser_ops;
	c.dispenser_ctx = run.sim;
	c.sensor = &cv_sim_sensor_ops;
	c.sensor_ctx = run.sim;
	c.payment = &cv_sim_payment_ops;
	c.payment_ctx = run.sim;
	c.storage = &crash_storage_ops;
	c.storage_ctx = &run.cs;
	c.on_event = cut_on_event;
	return cv_machine_init(run.memory, cv_machine_size(), &c, &run.m);
}

/* A fresh world and machine; with cut_op > 0 the power will go out during
 * that storage operation, which may be one of the machine's own start. */
static void cut_setup(unsigned cut_op, enum crash_mode mode)
{
	memset(&run, 0, sizeof(run));
	cut_planogram();
	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = 424242;
	sc.lane_count = CUT_LANES;
	for (unsigned i = 0; i < CUT_LANES; i++)
		sc.stock[i] = run.lanes[i].count;
	cr_assert_eq(cv_sim_new(&sc, &run.sim), CV_OK);
	cv_ram_storage_init(&run.ram, run.journal, sizeof(run.journal));
	crash_storage_init(&run.cs, &cv_ram_storage_ops, &run.ram);
	run.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
	run.life = 1;
	if (cut_op > 0)
		crash_storage_arm(&run.cs, cut_op, mode, 1000u + cut_op);
	enum cv_status rc = cut_machine_start();
	if (rc != CV_OK) {
		cr_assert(crash_storage_is_dead(&run.cs), "start failed without a cut: %s", cv_status_name(rc));
		run.m = NULL; /* The power went out while it started. */
	}
}

static void cut_teardown(void)
{
	cv_machine_deinit(run.m);
	cv_sim_free(run.sim);
	free(run.memory);
	memset(&run, 0, sizeof(run));
}

static bool cut_powered(void)
{
	return !crash_storage_is_dead(&run.cs);
}

static void cut_tick(void)
{
	run.now_ms += CUT_TICK_MS;
	cv_sim_step(run.sim, run.now_ms);
	cv_machine_step(run.m, run.now_ms);
}

/* Ticks until the vend leaves the customer's hands (or the power is gone). */
static void cut_wait_customer(uint32_t vend, enum cv_sim_card card)
{
	for (unsigned i = 0; i < 2000 && cut_powered(); i++) {
		if (cv_sim_is_collecting(run.sim))
			cv_sim_present_card(run.sim, card);
		cut_tick();
		struct cv_vend_info v;
		if (cv_machine_vend_info(run.m, vend, &v) != CV_OK || v.state >= CV_VEND_STATE_CAPTURE_PENDING ||
		    v.state == CV_VEND_STATE_AUTH_DECLINED)
			return;
	}
}

static void cut_vend(uint16_t lane, enum cv_sim_card card)
{
	uint32_t vend = 0;
	if (!cut_powered() || cv_machine_select(run.m, lane, &vend) != CV_OK)
		return;
	cut_wait_customer(vend, card);
}

/* Every kind of fault: a clean vend, a re-spin, a jam, an unknown
 * authorization found held, a lost capture answer, a decline and a retry, a
 * missed drop, a cancel. */
static void cut_scenario(void)
{
	cut_vend(0, CV_SIM_CARD_APPROVED);
	cv_sim_script_fault(run.sim, CV_SIM_FAULT_PRODUCT_STUCK);
	cut_vend(1, CV_SIM_CARD_WALLET);
	cv_sim_script_fault(run.sim, CV_SIM_FAULT_MOTOR_JAM);
	cut_vend(2, CV_SIM_CARD_APPROVED);
	cv_sim_script_fault(run.sim, CV_SIM_FAULT_CAPTURE_UNKNOWN);
	cut_vend(0, CV_SIM_CARD_TIMEOUT_APPROVED);
	uint32_t vend = 0;
	if (cut_powered() && cv_machine_select(run.m, 1, &vend) == CV_OK) {
		cut_wait_customer(vend, CV_SIM_CARD_DECLINED);
		if (cut_powered() && cv_machine_select(run.m, 1, NULL) == CV_OK)
			cut_wait_customer(vend, CV_SIM_CARD_APPROVED);
	}
	cv_sim_script_fault(run.sim, CV_SIM_FAULT_MISSED_DROP);
	cut_vend(0, CV_SIM_CARD_APPROVED);
	if (cut_powered() && cv_machine_select(run.m, 2, &vend) == CV_OK) {
		cut_tick();
		cv_machine_cancel(run.m);
		cut_wait_customer(vend, CV_SIM_CARD_APPROVED);
	}
	/* Let every settlement finish while the power is on. */
	for (unsigned i = 0; i < 4000 && cut_powered() && cv_machine_open_vends(run.m) > 0; i++)
		cut_tick();
	for (unsigned i = 0; i < 40 && cut_powered(); i++)
		cut_tick();
}

/* The restart: the dead machine is dropped (its closing sync fails with the
 * storage), the power comes back, a new machine recovers and settles. */
static void cut_restart_and_settle(void)
{
	cv_machine_deinit(run.m);
	crash_storage_reset(&run.cs);
	run.life = 2;
	enum cv_status rc = cut_machine_start();
	cr_assert_eq(rc, CV_OK, "restart failed: %s", cv_status_name(rc));
	for (unsigned i = 0; i < 8000 && cv_machine_open_vends(run.m) > 0; i++)
		cut_tick();
	cr_assert_eq(cv_machine_open_vends(run.m), 0, "a vend was never settled after the restart");
	for (unsigned i = 0; i < 40; i++)
		cut_tick();
}

/* What the final journal says: each vend's last state, and which vends had a
 * verified drop recorded (CAPTURE_PENDING reached). */
struct cut_journal {
	uint32_t count;
	uint32_t number[CUT_VENDS_MAX];
	uint8_t last_state[CUT_VENDS_MAX];
	uint16_t lane[CUT_VENDS_MAX];
	int64_t price[CUT_VENDS_MAX];
	bool verified[CUT_VENDS_MAX];
};

static int cut_journal_index(struct cut_journal *j, uint32_t number)
{
	for (uint32_t i = 0; i < j->count; i++)
		if (j->number[i] == number)
			return (int)i;
	cr_assert_lt(j->count, CUT_VENDS_MAX);
	j->number[j->count] = number;
	return (int)j->count++;
}

static bool cut_journal_record(void *arg, const struct cv_journal_record *record)
{
	struct cut_journal *j = arg;
	if (record->type != CV_JOURNAL_VEND_STATE)
		return true;
	struct cv_journal_reader r;
	uint8_t uuid[16];
	cv_journal_reader_init(&r, record);
	cv_journal_get_bytes(&r, uuid, sizeof(uuid));
	int i = cut_journal_index(j, cv_journal_get_u32(&r));
	j->last_state[i] = cv_journal_get_u8(&r);
	(void)cv_journal_get_u8(&r);
	j->lane[i] = cv_journal_get_u16(&r);
	j->price[i] = (int64_t)cv_journal_get_u64(&r);
	if (j->last_state[i] == CV_VEND_STATE_CAPTURE_PENDING)
		j->verified[i] = true;
	return true;
}

static void cut_check_invariants(const char *what)
{
	struct cut_journal j;
	struct cv_journal_scan scan;
	memset(&j, 0, sizeof(j));
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &run.ram, cut_journal_record, &j, &scan), CV_OK,
		     "%s: the final journal does not scan", what);
	cr_assert_eq(scan.torn_bytes, 0, "%s: a torn tail survived the restart", what);

	struct cv_sim_truth truth;
	cv_sim_truth(run.sim, &truth);
	int64_t captured = 0;
	uint32_t captured_count = 0, void_failed = 0;
	int32_t verified_per_lane[CUT_LANES] = {0};
	for (uint32_t i = 0; i < j.count && getenv("CUT_DEBUG"); i++)
		fprintf(stderr, "vend %u lane %u last %s verified %d\n", j.number[i], j.lane[i],
			cv_vend_state_str((enum cv_vend_state)j.last_state[i]), j.verified[i]);
	for (uint32_t i = 0; i < j.count; i++) {
		cr_assert(cv_vend_state_is_terminal((enum cv_vend_state)j.last_state[i]),
			  "%s: vend %u ends in %s", what, j.number[i],
			  cv_vend_state_str((enum cv_vend_state)j.last_state[i]));
		if (j.last_state[i] == CV_VEND_STATE_CAPTURED) {
			cr_assert(j.verified[i], "%s: vend %u captured without a recorded drop", what, j.number[i]);
			captured += j.price[i];
			captured_count++;
		}
		void_failed += j.last_state[i] == CV_VEND_STATE_VOID_FAILED;
		if (j.verified[i])
			verified_per_lane[j.lane[i]]++;
	}
	cr_assert_eq(truth.captured_minor, captured, "%s: the processor captured %" PRId64 ", the journal says %" PRId64,
		     what, truth.captured_minor, captured);
	cr_assert_eq(truth.holds_open, void_failed, "%s: %u holds left open", what, truth.holds_open);
	cr_assert_leq(captured_count, truth.items_dropped, "%s: charged for more items than fell", what);
	cr_assert_eq(run.dispensing_in_life_2, 0, "%s: dispensed after the restart", what);
	for (uint16_t lane = 0; lane < CUT_LANES; lane++) {
		struct cv_lane_info info;
		cv_machine_lane_info(run.m, lane, &info);
		cr_assert_eq((int32_t)info.config.count, run.lanes[lane].count - verified_per_lane[lane],
			     "%s: lane %u holds %u, start %u minus %d recorded drops", what, lane, info.config.count,
			     run.lanes[lane].count, verified_per_lane[lane]);
	}
}

TestSuite(power_cut, .fini = cv_test_leak_check);

/* Counts the scenario's operations, and checks the uncut run itself. */
static unsigned cut_count_ops(void)
{
	cut_setup(0, CRASH_DROP);
	cut_scenario();
	cr_assert(cut_powered());
	unsigned ops = crash_storage_op_count(&run.cs);
	cut_restart_and_settle();
	cut_check_invariants("no cut");
	cut_teardown();
	return ops;
}

static void cut_every_operation(enum crash_mode mode)
{
	unsigned ops = cut_count_ops();
	cr_assert_gt(ops, 50, "the scenario is too short to mean much");
	unsigned recovered_runs = 0;
	for (unsigned op = 1; op <= ops; op++) {
		char what[64];
		snprintf(what, sizeof(what), "%s at operation %u of %u", mode == CRASH_DROP ? "drop" : "tear", op, ops);
		cut_setup(op, mode);
		cut_scenario();
		cr_assert_not(cut_powered(), "%s: no cut happened", what);
		cut_restart_and_settle();
		cut_check_invariants(what);
		recovered_runs += run.recoveries > 0;
		cut_teardown();
	}
	printf("power cuts (%s): %u cut points, %u restarts found something to recover, 0 violations\n",
	       mode == CRASH_DROP ? "drop unsynced" : "tear the newest", ops, recovered_runs);
	cr_assert_gt(recovered_runs, ops / 4, "most cuts should leave something to recover");
}

Test(power_cut, at_every_operation_unsynced_writes_are_dropped, .timeout = 600)
{
	cut_every_operation(CRASH_DROP);
}

Test(power_cut, at_every_operation_the_newest_write_is_torn, .timeout = 600)
{
	cut_every_operation(CRASH_TEAR);
}
