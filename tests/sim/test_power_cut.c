/* SPDX-License-Identifier: MIT */
/* Exhaustive power cuts: a scripted scenario of vends that covers every kind
 * of fault runs once to count its storage operations (appends and syncs);
 * then, for every operation in turn, the power is cut during it (unsynced
 * records dropped, the newest torn at a random byte, or each kept, lost or
 * torn on its own), the machine
 * restarts on what survived, recovers, settles, and the money and inventory
 * invariants are checked against the simulated processor and mechanics,
 * which live on through the cut as the real world would. CUT_DEBUG=1 prints
 * each run's final journal view (vend, lane, last state).
 *
 * The flash variants run the same scenarios on the MCU port's flash journal
 * (backends/mcu/storage_flash*.c, compiled for the host) over a NOR flash
 * model (tests/support/nor_flash.c): the power goes out inside an erase or
 * a program, which then leaves a random part of its work done (weak bits
 * after an interrupted erase). Each restart mounts the region again, and
 * every record whose sync completed must read back byte for byte. */
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
#include "nor_flash.h"
#include "sim_visit.h"
#include "storage_flash.h"

#define CUT_LANES 3
#define CUT_TICK_MS 50
#define CUT_JOURNAL_SIZE (1u << 16)
/* The firmware's journal region: 64 KiB in 2 KiB blocks. */
#define CUT_FLASH_BLOCK 2048u
#define CUT_FLASH_BLOCKS 32u

/* A record the flash storage took, kept to check what reads back. */
struct cut_shadow_record {
	uint16_t length;
	uint8_t *bytes;
};

struct cut_vend_view {
	bool seen;
	uint8_t last_state;
	uint16_t lane;
	int64_t price;
	bool verified;
};

/* What one life of the machine (or two) did, as seen from outside. */
struct cut_run {
	struct cv_sim *sim;
	struct cv_ram_storage ram;
	uint8_t *journal;
	struct crash_storage cs;
	struct cv_lane_config lanes[CUT_LANES];
	void *memory;
	struct cv_machine *m;
	uint64_t now_ms;
	unsigned life;                       /* 1 before the first cut, then one more per restart. */
	uint32_t vends_seen;                 /* Highest vend number seen. */
	char (*earlier_ids)[CV_VEND_ID_LEN]; /* Per vend number: its id if it began in an earlier life. */
	char (*ids)[CV_VEND_ID_LEN];         /* Per vend number: its id in this life. */
	struct cut_vend_view *views;         /* Per vend number: the last state any life reported. */
	uint32_t id_capacity;
	unsigned dispensed_after_restart; /* Must stay 0: never dispense after a restart. */
	unsigned recoveries;
	int32_t refilled[CUT_LANES]; /* Items added by (durable) service visits. */
	/* The flash variants. */
	bool on_flash;
	uint8_t *region;
	struct cv_mcu_flash flash;
	struct cv_mcu_flash_storage fs;
	bool flash_armed;
	struct cut_shadow_record *shadow; /* Per sequence number: what was appended. */
	uint64_t shadow_capacity;
	uint64_t synced_seq;      /* Highest seq of a sync that completed. */
	uint64_t records_checked; /* Durable records read back and compared. */
};

static struct cut_run run;
/* The journal key of the sealed variants, or NULL. */
static const uint8_t *cut_key;
/* The variants on the flash journal and the NOR model. */
static bool cut_on_flash;
/* The machine's checkpoint interval (the engine's default: 4096). */
static uint32_t cut_checkpoint_records = 256;

/* The flash storage, with what it is given watched: every record appended
 * is kept by sequence number, and the highest sync it completed noted. */
static enum cv_status cut_shadow_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	enum cv_status rc = cv_mcu_flash_storage_ops.append(ctx, seq, record, length);
	if (rc != CV_OK)
		return rc;
	cr_assert_lt(seq, run.shadow_capacity, "more records than the shadow holds");
	struct cut_shadow_record *r = &run.shadow[seq];
	free(r->bytes);
	r->bytes = malloc(length);
	memcpy(r->bytes, record, length);
	r->length = (uint16_t)length;
	return CV_OK;
}

static enum cv_status cut_shadow_sync(void *ctx, uint64_t seq)
{
	enum cv_status rc = cv_mcu_flash_storage_ops.sync(ctx, seq);
	if ((rc == CV_PENDING || rc == CV_OK) && seq > run.synced_seq)
		run.synced_seq = seq;
	return rc;
}

static struct cv_storage_ops cut_shadow_ops;

static const struct cv_storage_ops *cut_flash_storage(void)
{
	cut_shadow_ops = cv_mcu_flash_storage_ops;
	cut_shadow_ops.append = cut_shadow_append;
	cut_shadow_ops.sync = cut_shadow_sync;
	return &cut_shadow_ops;
}
static const uint8_t cut_sealing_key[CV_JOURNAL_KEY_LEN] = {7, 7, 7, 7, 1, 2, 3, 4};

static void cut_on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m;
	(void)user_data;
	if (e->type == CV_EVENT_VEND_STATE) {
		uint32_t n = e->u.vend.vend_number;
		cr_assert_lt(n, run.id_capacity);
		if (n > run.vends_seen)
			run.vends_seen = n;
		memcpy(run.ids[n], e->u.vend.vend_id, CV_VEND_ID_LEN);
		struct cut_vend_view *view = &run.views[n];
		view->seen = true;
		view->last_state = (uint8_t)e->u.vend.state;
		view->lane = e->u.vend.lane;
		view->price = e->u.vend.price.amount_minor;
		/* A vend of an earlier life must never turn a motor again. */
		if (e->u.vend.state == CV_VEND_STATE_DISPENSING && strcmp(run.earlier_ids[n], e->u.vend.vend_id) == 0)
			run.dispensed_after_restart++;
	}
	if (e->type == CV_EVENT_RECOVERY)
		run.recoveries++;
}

/* Items in each lane at the start (the rounds need more). */
static uint16_t cut_stock = 6;

static void cut_planogram(void)
{
	for (unsigned i = 0; i < CUT_LANES; i++) {
		struct cv_lane_config *l = &run.lanes[i];
		cv_lane_config_default(l);
		snprintf(l->label, sizeof(l->label), "A%u", i + 1);
		snprintf(l->product_name, sizeof(l->product_name), "Candy %u", i + 1);
		l->price_minor = 100 + 25 * (int64_t)i;
		l->capacity = cut_stock > 10 ? cut_stock : 10;
		l->count = cut_stock;
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
	/* Often, so that cuts land inside checkpoints and trims too. */
	c.checkpoint_records = cut_checkpoint_records;
	cv_sim_attach(run.sim, &c);
	c.storage = &crash_storage_ops;
	c.storage_ctx = &run.cs;
	c.accept_volatile_journal = true; /* RAM under the crash wrapper. */
	if (run.on_flash) {
		/* A boot: the region is read back as it is. */
		enum cv_status rc = cv_mcu_flash_storage_mount(&run.fs, &run.flash);
		if (rc != CV_OK)
			return rc;
		c.storage = cut_flash_storage();
		c.storage_ctx = &run.fs;
	}
	c.on_event = cut_on_event;
	c.journal_key = cut_key;
	return cv_machine_init(run.memory, cv_machine_size(), &c, &run.m);
}

/* A fresh world and machine; with cut_op > 0 the power will go out during
 * that storage operation, which may be one of the machine's own start. */
static void cut_world(const struct cv_sim_config *faults, size_t journal_size, uint32_t vends_max)
{
	memset(&run, 0, sizeof(run));
	run.id_capacity = vends_max;
	run.ids = calloc(vends_max, CV_VEND_ID_LEN);
	run.earlier_ids = calloc(vends_max, CV_VEND_ID_LEN);
	run.views = calloc(vends_max, sizeof(*run.views));
	cut_planogram();
	struct cv_sim_config sc = *faults;
	sc.lane_count = CUT_LANES;
	for (unsigned i = 0; i < CUT_LANES; i++)
		sc.stock[i] = run.lanes[i].count;
	cr_assert_eq(cv_sim_new(&sc, &run.sim), CV_OK);
	run.journal = malloc(journal_size);
	cv_ram_storage_init(&run.ram, run.journal, journal_size);
	crash_storage_init(&run.cs, &cv_ram_storage_ops, &run.ram);
	run.on_flash = cut_on_flash;
	if (run.on_flash) {
		run.region = malloc(CUT_FLASH_BLOCK * CUT_FLASH_BLOCKS);
		memset(run.region, 0xff, CUT_FLASH_BLOCK * CUT_FLASH_BLOCKS);
		cv_mcu_flash_init(&run.flash, run.region, CUT_FLASH_BLOCK, CUT_FLASH_BLOCKS);
		nor_attach(&run.flash);
		run.shadow_capacity = (uint64_t)vends_max * 64 + 65536;
		run.shadow = calloc(run.shadow_capacity, sizeof(*run.shadow));
	}
	run.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
	run.life = 1;
}

static bool cut_powered(void)
{
	return run.on_flash ? !nor_dead() : !crash_storage_is_dead(&run.cs);
}

/* Storage operations in this life: appends and syncs, or flash erases and programs. */
static unsigned cut_op_count(void)
{
	return run.on_flash ? nor_stats().ops : crash_storage_op_count(&run.cs);
}

/* The power will go out during operation cut_op of this life (0 disarms). */
static void cut_arm(unsigned cut_op, enum crash_mode mode, uint64_t seed)
{
	if (run.on_flash) {
		nor_arm(cut_op, seed);
		run.flash_armed = cut_op > 0;
	} else {
		crash_storage_arm(&run.cs, cut_op, mode, seed);
	}
}

static bool cut_armed(void)
{
	return run.on_flash ? run.flash_armed : run.cs.cut_at_op != 0;
}

static void cut_setup(unsigned cut_op, enum crash_mode mode)
{
	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = 424242;
	cut_world(&sc, CUT_JOURNAL_SIZE, 512);
	if (cut_op > 0)
		cut_arm(cut_op, mode, 1000u + cut_op);
	enum cv_status rc = cut_machine_start();
	if (rc != CV_OK) {
		cr_assert(!cut_powered(), "start failed without a cut: %s", cv_status_name(rc));
		run.m = NULL; /* The power went out while it started. */
	}
}

static void cut_teardown(void)
{
	cv_machine_deinit(run.m);
	cv_sim_free(run.sim);
	free(run.memory);
	free(run.journal);
	free(run.ids);
	free(run.earlier_ids);
	free(run.views);
	if (run.on_flash) {
		nor_detach();
		free(run.region);
		for (uint64_t i = 0; i < run.shadow_capacity; i++)
			free(run.shadow[i].bytes);
		free(run.shadow);
	}
	memset(&run, 0, sizeof(run));
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
static void cut_scenario_once(void)
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
 * storage), the power comes back, a new machine recovers. */
static bool cut_compare_durable(void *arg, const struct cv_journal_record *record)
{
	(void)arg;
	if (record->seq > run.synced_seq)
		return true;
	const struct cut_shadow_record *r = &run.shadow[record->seq];
	cr_assert_not_null(r->bytes, "record %" PRIu64 " read back was never appended", record->seq);
	uint8_t bytes[CV_JOURNAL_RECORD_MAX];
	size_t got = 0;
	cr_assert_eq(cv_mcu_flash_storage_ops.read(&run.fs, record->offset, bytes, r->length, &got), CV_OK);
	cr_assert_eq(got, r->length, "record %" PRIu64 " reads back short", record->seq);
	cr_assert_arr_eq(bytes, r->bytes, r->length, "record %" PRIu64 " reads back changed", record->seq);
	run.records_checked++;
	return true;
}

/* After a cut on flash: the region mounts, and every record whose sync
 * completed reads back byte for byte, from the remembered checkpoint on
 * (what is before it may be trimmed). */
static void cut_check_durable(void)
{
	cr_assert_eq(cv_mcu_flash_storage_mount(&run.fs, &run.flash), CV_OK, "the region does not mount");
	uint64_t start = run.fs.has_checkpoint ? run.fs.checkpoint_offset : 0;
	uint64_t first = run.fs.has_checkpoint ? run.fs.checkpoint_seq : 1;
	struct cv_journal_scan scan;
	enum cv_status rc = cv_journal_scan(&cv_mcu_flash_storage_ops, &run.fs, start, first, cut_key,
					    cut_compare_durable, NULL, &scan);
	cr_assert_eq(rc, CV_OK, "the journal does not read back after the cut: %s", cv_status_name(rc));
	cr_assert_geq(scan.last_seq, run.synced_seq, "records %" PRIu64 "..%" PRIu64 " were durable and are gone",
		      scan.last_seq + 1, run.synced_seq);
}

static void cut_restart(void)
{
	cv_machine_deinit(run.m);
	crash_storage_reset(&run.cs);
	if (run.on_flash) {
		nor_power_on();
		run.flash_armed = false;
		cut_check_durable();
	}
	run.life++;
	memcpy(run.earlier_ids, run.ids, (size_t)run.id_capacity * CV_VEND_ID_LEN);
	enum cv_status rc = cut_machine_start();
	cr_assert_eq(rc, CV_OK, "restart failed: %s", cv_status_name(rc));
}

static void cut_restart_and_settle(void)
{
	cut_restart();
	for (unsigned i = 0; i < 8000 && cv_machine_open_vends(run.m) > 0; i++)
		cut_tick();
	cr_assert_eq(cv_machine_open_vends(run.m), 0, "a vend was never settled after the restart");
	for (unsigned i = 0; i < 40; i++)
		cut_tick();
}

/* The journal the machine ends with must read back whole, from its last
 * checkpoint (the part before may be trimmed) or from its start. */
static void cut_check_journal(const char *what)
{
	uint64_t start = 0, first_seq = 1;
	const struct cv_storage_ops *ops = &cv_ram_storage_ops;
	void *ctx = &run.ram;
	if (run.on_flash && run.fs.has_checkpoint) {
		start = run.fs.checkpoint_offset;
		first_seq = run.fs.checkpoint_seq;
	} else if (!run.on_flash && run.ram.has_checkpoint) {
		start = run.ram.checkpoint_offset;
		first_seq = run.ram.checkpoint_seq;
	}
	if (run.on_flash) {
		ops = &cv_mcu_flash_storage_ops;
		ctx = &run.fs;
	}
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(ops, ctx, start, first_seq, cut_key, NULL, NULL, &scan), CV_OK,
		     "%s: the final journal does not scan", what);
	cr_assert_eq(scan.torn_bytes, 0, "%s: a torn tail survived the restart", what);
}

/* Money and stock, from the last state every vend reached (in whichever
 * life) and the simulated world. A vend's item left the lane's count iff
 * its drop was durably recorded, i.e. iff it ended CAPTURED or CAPTURE_FAILED
 * (a capture only ever goes out on a durable record). */
static void cut_check_invariants(const char *what)
{
	cut_check_journal(what);
	struct cv_sim_truth truth;
	cv_sim_truth(run.sim, &truth);
	int64_t captured = 0;
	uint32_t captured_count = 0, void_failed = 0;
	uint32_t ended[CV_VEND_STATE_VOID_FAILED + 1] = {0};
	int32_t taken_per_lane[CUT_LANES] = {0};
	for (uint32_t n = 1; n <= run.vends_seen; n++) {
		const struct cut_vend_view *v = &run.views[n];
		if (!v->seen)
			continue;
		enum cv_vend_state state = (enum cv_vend_state)v->last_state;
		if (getenv("CUT_DEBUG"))
			fprintf(stderr, "vend %u lane %u last %s\n", n, v->lane, cv_vend_state_str(state));
		cr_assert(cv_vend_state_is_terminal(state), "%s: vend %u ends in %s", what, n,
			  cv_vend_state_str(state));
		if (state == CV_VEND_STATE_CAPTURED) {
			captured += v->price;
			captured_count++;
		}
		void_failed += state == CV_VEND_STATE_VOID_FAILED;
		if ((unsigned)state <= CV_VEND_STATE_VOID_FAILED)
			ended[state]++;
		if (state == CV_VEND_STATE_CAPTURED || state == CV_VEND_STATE_CAPTURE_FAILED)
			taken_per_lane[v->lane]++;
	}
	cr_assert_eq(truth.captured_minor, captured, "%s: the processor captured %" PRId64 ", the vends say %" PRId64,
		     what, truth.captured_minor, captured);
	cr_assert_eq(truth.holds_open, void_failed, "%s: %u holds left open", what, truth.holds_open);
	cr_assert_leq(captured_count, truth.items_dropped + truth.false_drops, "%s: charged for more items than fell",
		      what);
	cr_assert_eq(run.dispensed_after_restart, 0, "%s: dispensed a vend of an earlier life", what);
	/* The totals the machine reports, rebuilt from its journal across every
	 * restart, against the same truth. */
	struct cv_machine_stats stats;
	cr_assert_eq(cv_machine_stats(run.m, &stats), CV_OK);
	cr_assert_eq(stats.captured_minor, truth.captured_minor,
		     "%s: the machine reports %" PRId64 " captured, the processor captured %" PRId64, what,
		     stats.captured_minor, truth.captured_minor);
	cr_assert_eq(stats.vends_captured, captured_count, "%s: the machine reports %u vends captured, %u were", what,
		     stats.vends_captured, captured_count);
	cr_assert_eq(stats.vends_voided, ended[CV_VEND_STATE_VOIDED], "%s: the machine reports %u voided, %u were",
		     what, stats.vends_voided, ended[CV_VEND_STATE_VOIDED]);
	/* Not the abandoned ones: a vend whose first record never reached the
	 * disk ended with the power, unrecorded (it held no money). */
	cr_assert_eq(stats.vends_capture_failed, ended[CV_VEND_STATE_CAPTURE_FAILED], "%s: capture failures", what);
	cr_assert_eq(stats.vends_void_failed, ended[CV_VEND_STATE_VOID_FAILED], "%s: void failures", what);
	for (uint16_t lane = 0; lane < CUT_LANES; lane++) {
		struct cv_lane_info info;
		cv_machine_lane_info(run.m, lane, &info);
		int32_t expected = run.lanes[lane].count + run.refilled[lane] - taken_per_lane[lane];
		cr_assert_eq((int32_t)info.config.count, expected,
			     "%s: lane %u holds %u, start %u + refills %d - %d taken", what, lane, info.config.count,
			     run.lanes[lane].count, run.refilled[lane], taken_per_lane[lane]);
	}
}

TestSuite(power_cut, .fini = cv_test_leak_check);

/* The scenario, repeated: a few rounds reach a checkpoint (every 256
 * records), so that cuts land inside one too. */
static unsigned cut_rounds = 1;

static void cut_scenario(void)
{
	for (unsigned round = 0; round < cut_rounds && cut_powered(); round++)
		cut_scenario_once();
}

/* Counts the scenario's operations, and checks the uncut run itself. */
static unsigned cut_count_ops(void)
{
	cut_setup(0, CRASH_DROP);
	cut_scenario();
	cr_assert(cut_powered());
	unsigned ops = cut_op_count();
	cut_restart_and_settle();
	cut_check_invariants("no cut");
	cut_teardown();
	return ops;
}

static const char *crash_mode_name(enum crash_mode mode)
{
	if (cut_on_flash)
		return "flash: inside an erase or a program";
	static const char *const names[] = {"drop unsynced", "tear the newest", "any subset", "an in-order prefix"};
	return names[mode];
}

static void cut_every_operation(enum crash_mode mode)
{
	unsigned ops = cut_count_ops();
	cr_assert_gt(ops, 50, "the scenario is too short to mean much");
	unsigned recovered_runs = 0;
	uint64_t records_checked = 0;
	struct nor_stats flash_cuts = {0};
	for (unsigned op = 1; op <= ops; op++) {
		char what[64];
		snprintf(what, sizeof(what), "%s at operation %u of %u", crash_mode_name(mode), op, ops);
		cut_setup(op, mode);
		cut_scenario();
		cr_assert_not(cut_powered(), "%s: no cut happened", what);
		cut_restart_and_settle();
		cut_check_invariants(what);
		/* Once more, switched off and on cleanly: what the restart's
		 * own life journaled must replay to the same totals. */
		cut_restart();
		cut_check_invariants(what);
		recovered_runs += run.recoveries > 0;
		records_checked += run.records_checked;
		if (run.on_flash) {
			flash_cuts.cuts_in_erase += nor_stats().cuts_in_erase;
			flash_cuts.cuts_in_program += nor_stats().cuts_in_program;
			flash_cuts.weak_reads += nor_stats().weak_reads;
		}
		cut_teardown();
	}
	if (cut_on_flash)
		printf("power cuts (flash): %u inside programs, %u inside erases, %u reads met weak bits, "
		       "%" PRIu64 " durable records read back and compared\n",
		       flash_cuts.cuts_in_program, flash_cuts.cuts_in_erase, flash_cuts.weak_reads, records_checked);
	printf("power cuts (%s): %u cut points, %u restarts found something to recover, 0 violations\n",
	       crash_mode_name(mode), ops, recovered_runs);
	cr_assert_gt(recovered_runs, ops / 4, "most cuts should leave something to recover");
}

Test(power_cut, at_every_operation_unsynced_writes_are_dropped, .timeout = 600)
{
	cut_key = NULL;
	cut_every_operation(CRASH_DROP);
}

Test(power_cut, at_every_operation_the_newest_write_is_torn, .timeout = 600)
{
	cut_key = NULL;
	cut_every_operation(CRASH_TEAR);
}

Test(power_cut, at_every_operation_any_subset_of_unsynced_writes_survives, .timeout = 600)
{
	cut_key = NULL;
	cut_every_operation(CRASH_SUBSET);
}

Test(power_cut, at_every_operation_of_rounds_with_checkpoints_any_subset_survives, .timeout = 600)
{
	/* Cuts inside checkpoints, the second one too (after one is
	 * remembered): a BEGIN kept with its END lost is the half checkpoint
	 * the next life must not mistake its own sales for. */
	cut_key = NULL;
	cut_rounds = 16;
	cut_stock = 120;
	cut_every_operation(CRASH_SUBSET);
	cut_every_operation(CRASH_PREFIX);
	cut_rounds = 1;
	cut_stock = 6;
}

/* ---- Random customers, random faults, random power cuts ----------------- */

static uint64_t cut_rng_state;

static uint32_t cut_random(uint32_t bound)
{
	return (uint32_t)(sim_visit_random(&cut_rng_state) % bound);
}

/* A service visit, with no cut armed, and durable before anyone goes on:
 * the test's tally of refills is then what the journal holds. */
static void cut_service_visit(void)
{
	sim_visit_service(run.m, run.sim, run.refilled);
	for (unsigned i = 0; i * CUT_TICK_MS <= 1000 + CUT_TICK_MS; i++)
		cut_tick(); /* Past flush_ms: the visit is on disk. */
}

static void cut_random_customer(void)
{
	uint16_t lane;
	if (!sim_visit_pick_lane(run.m, cut_random, &lane)) {
		cut_arm(0, CRASH_DROP, 0); /* No cut during the visit. */
		cut_service_visit();
		if (!sim_visit_pick_lane(run.m, cut_random, &lane))
			return;
	}
	uint32_t vend = 0;
	enum cv_status rc = cv_machine_select(run.m, lane, &vend);
	if (rc == CV_E_BUSY) {
		for (unsigned i = 0; i < 100 && cut_powered(); i++)
			cut_tick();
		return;
	}
	if (rc != CV_OK && !cut_powered())
		return; /* The power went out on the selection's own record. */
	cr_assert_eq(rc, CV_OK, "select: %s", cv_status_name(rc));
	for (unsigned i = 0; i < 2000 && cut_powered(); i++) {
		cut_tick();
		struct cv_vend_info v;
		if (cv_machine_vend_info(run.m, vend, &v) != CV_OK || v.state >= CV_VEND_STATE_CAPTURE_PENDING)
			return;
		if (v.state == CV_VEND_STATE_AUTH_DECLINED) {
			if (cut_random(2) == 0)
				cv_machine_cancel(run.m);
			else
				cv_machine_select(run.m, lane, NULL);
		}
	}
}

/* Journal bytes freed behind checkpoints so far. */
static uint64_t cut_trimmed(void)
{
	return run.on_flash ? run.fs.trimmed : run.ram.base;
}

static void cut_random_run(void)
{
	uint64_t seed = 20261124;
	const char *env = getenv("CV_TEST_SEED");
	if (env != NULL && *env != '\0')
		seed = strtoull(env, NULL, 10);
	unsigned customers = 3000;
	env = getenv("CV_CUT_CUSTOMERS");
	if (env != NULL && *env != '\0')
		customers = (unsigned)strtoul(env, NULL, 10);
	cut_rng_state = seed;

	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = seed;
	sim_visit_fault_rates(&sc);
	cut_world(&sc, (size_t)customers * 2048 + 65536, customers * 3 + 4096);
	cv_sim_set_auto_card(run.sim, true);
	cr_assert_eq(cut_machine_start(), CV_OK);

	unsigned cuts = 0;
	for (unsigned c = 0; c < customers; c++) {
		/* Now and then, the power will go out within the next few operations. */
		if (cut_random(25) == 0 && !cut_armed())
			cut_arm(cut_op_count() + 1 + cut_random(30), (enum crash_mode)cut_random(4), seed + c);
		cut_random_customer();
		if (!cut_powered()) {
			cuts++;
			cut_restart();
		}
	}
	cut_arm(0, CRASH_DROP, 0);
	for (unsigned i = 0; i < 20000 && cv_machine_open_vends(run.m) > 0; i++)
		cut_tick();
	cr_assert_eq(cv_machine_open_vends(run.m), 0, "seed %" PRIu64 ": a vend never settled", seed);
	for (unsigned i = 0; i * CUT_TICK_MS <= 1000 + CUT_TICK_MS; i++)
		cut_tick();
	char what[96];
	snprintf(what, sizeof(what), "seed %" PRIu64 " (replay: CV_TEST_SEED=%" PRIu64 ")", seed, seed);
	cut_check_invariants(what);
	struct cv_sim_truth truth;
	cv_sim_truth(run.sim, &truth);
	printf("power cuts (random): seed %" PRIu64 ", %u customers, vend numbers up to %u, %u power cuts, %u recovery "
	       "decisions, %" PRId64 " minor captured, %" PRIu64 " journal bytes trimmed behind checkpoints, "
	       "0 violations\n",
	       seed, customers, run.vends_seen, cuts, run.recoveries, truth.captured_minor, cut_trimmed());
	cr_assert_gt(cut_trimmed(), 0, "no checkpoint ever let the journal be trimmed");
	cr_assert_gt(cuts, customers / 60, "too few power cuts to mean much");
	cut_teardown();
}

Test(power_cut, random_customers_through_random_power_cuts, .timeout = 600)
{
	cut_key = NULL;
	cut_random_run();
}

Test(power_cut, random_customers_through_random_power_cuts_sealed, .timeout = 600)
{
	if (!cv_machine_sealing_available())
		cr_skip_test("SKIPPED: built without the crypto module (-Dcrypto=enabled)");
	cut_key = cut_sealing_key;
	cut_random_run();
}

Test(power_cut, at_every_operation_of_a_sealed_journal_the_newest_write_is_torn, .timeout = 600)
{
	if (!cv_machine_sealing_available())
		cr_skip_test("SKIPPED: built without the crypto module (-Dcrypto=enabled)");
	cut_key = cut_sealing_key;
	cut_every_operation(CRASH_TEAR);
}

/* ---- The MCU port's flash journal on a NOR flash model ------------------ */

Test(power_cut, on_flash_inside_every_erase_and_program, .timeout = 600)
{
	cut_key = NULL;
	cut_on_flash = true;
	cut_every_operation(CRASH_DROP);
	cut_on_flash = false;
}

Test(power_cut, on_flash_inside_every_erase_and_program_of_rounds_with_checkpoints, .timeout = 600)
{
	cut_key = NULL;
	cut_on_flash = true;
	cut_rounds = 16;
	cut_stock = 120;
	cut_every_operation(CRASH_DROP);
	cut_rounds = 1;
	cut_stock = 6;
	cut_on_flash = false;
}

Test(power_cut, on_flash_random_customers_through_random_power_cuts, .timeout = 600)
{
	cut_key = NULL;
	cut_on_flash = true;
	cut_random_run();
	cut_on_flash = false;
}

/* A machine switched off every few customers, on the firmware's 64 KiB
 * region with the engine's default checkpoint interval (4096 records, far
 * more than the region holds): the storage's room makes the engine
 * checkpoint early and trim, so the region never fills and every life
 * boots and sells. */
Test(power_cut, on_flash_a_machine_switched_off_every_few_customers_never_fills, .timeout = 600)
{
	cut_key = NULL;
	cut_on_flash = true;
	cut_checkpoint_records = 4096;
	cut_rng_state = 99;
	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = 99;
	cut_world(&sc, CUT_JOURNAL_SIZE, 4096);
	cv_sim_set_auto_card(run.sim, true);
	cr_assert_eq(cut_machine_start(), CV_OK);
	unsigned lives = 100, per_life = 15;
	for (unsigned life = 0; life < lives; life++) {
		for (unsigned c = 0; c < per_life; c++)
			cut_random_customer();
		for (unsigned i = 0; i < 200 && cv_machine_open_vends(run.m) > 0; i++)
			cut_tick();
		cr_assert_not(run.m->journal_fault, "life %u: the journal failed (%s)", life,
			      cv_status_name(run.m->journal_error));
		cut_restart();
	}
	cut_check_invariants("100 lives of 15 customers on 64 KiB");
	struct cv_sim_truth truth;
	cv_sim_truth(run.sim, &truth);
	printf("flash lives: %u lives of %u customers, %u vends captured, %" PRIu64 " journal bytes trimmed, "
	       "%" PRIu64 " durable records read back, 0 journal faults\n",
	       lives, per_life, truth.items_dropped, cut_trimmed(), run.records_checked);
	cr_assert_gt(cut_trimmed(), 0);
	cut_teardown();
	cut_checkpoint_records = 256;
	cut_on_flash = false;
}
