/* SPDX-License-Identifier: MIT */
/* I/O errors and power cuts under the real POSIX storage, the real engine
 * and the simulated machine (suite 'crash'). The storage's system calls go
 * through the fault-injecting file system (tests/support/fault_fs.c): a
 * scenario of customers runs once to count them; then, for every call N in
 * turn and for EIO and ENOSPC, call N fails, the scenario goes on as far as
 * the machine lets it, the power is cut (the disk keeps only what was
 * synced), the machine starts again on what is left and settles. Every run
 * is checked against the simulated world's truth (money the processor
 * captured, holds left open, items that fell, items left in each lane),
 * never against the engine's own records: the totals cv_machine_stats
 * reports must match that truth too. FAULT_DEBUG=1 prints each run.
 * Directed tests first: the storage's own answers after a failure. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>
#include <candyvend/storage_posix.h>

#include "fault_fs.h"
#include "leak_check.h"
#include "rig.h"

#define FW_LANES 2
#define FW_STOCK 30
#define FW_TICK_MS 50
#define FW_CUSTOMERS 8
#define FW_WARM_CUSTOMERS 48
#define FW_WINDOW_CUSTOMERS 10
#define FW_SHIFTS 16

/* ---- the storage alone: a failure is final until it is opened again ---- */

#define DT_RECORD 200u
#define DT_SEGMENT CV_POSIX_STORAGE_SEGMENT_SIZE_MIN

static char dt_dir[512];
static struct cv_posix_storage *dt_store;
static const struct cv_storage_ops *dt_ops = &cv_posix_storage_ops;

/* Opens the storage on dt_dir, its completions going to the rig's machine. */
static void dt_open(void)
{
	struct cv_posix_storage_config sc;
	cv_posix_storage_config_default(&sc);
	sc.directory = dt_dir;
	sc.segment_size_bytes = DT_SEGMENT;
	cr_assert_eq(cv_posix_storage_open(&sc, &dt_store), CV_OK);
	cr_assert_eq(dt_ops->open(dt_store, rig.m), CV_OK);
}

/* A storage on an empty directory watched by the fault file system; its
 * completions go to the rig's machine (never stepped: they just queue). */
static void dt_setup(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	const char *base = getenv("CV_CRASH_DIR");
	snprintf(dt_dir, sizeof(dt_dir), "%s/storage-alone-XXXXXX", base != NULL ? base : ".");
	cr_assert_not_null(mkdtemp(dt_dir));
	fault_fs_begin(dt_dir);
	dt_open();
}

static void dt_reopen(void)
{
	cv_posix_storage_close(dt_store);
	dt_open();
}

static void dt_teardown(void)
{
	cv_posix_storage_close(dt_store);
	dt_store = NULL;
	fault_fs_power_cut();
	char command[600];
	snprintf(command, sizeof(command), "rm -rf '%s'", dt_dir);
	cr_assert_eq(system(command), 0);
	rig_teardown();
	cv_test_leak_check();
}

static void dt_append(uint64_t seq, enum cv_status expected)
{
	uint8_t record[DT_RECORD];
	memset(record, (int)(seq & 0xff), sizeof(record));
	enum cv_status rc = dt_ops->append(dt_store, seq, record, sizeof(record));
	cr_assert_eq(rc, expected, "record %llu: %s", (unsigned long long)seq, cv_status_name(rc));
}

/* A sync that must work; its completion is drained from the rig's queue. */
static void dt_sync(uint64_t seq)
{
	enum cv_status rc = dt_ops->sync(dt_store, seq);
	cr_assert_eq(rc, CV_PENDING, "sync: %s", cv_status_name(rc));
	rig_step(0);
}

/* The failure of call n from now, by the next storage operation. */
static void dt_fail_next(unsigned n, int err)
{
	fault_fs_arm(fault_fs_calls() + n, err);
}

Test(storage_faults, a_failed_sync_while_a_segment_is_started_is_final, .init = dt_setup, .fini = dt_teardown)
{
	/* 20 records fill 4000 of the segment's bytes, none synced yet. */
	for (uint64_t seq = 1; seq <= 20; seq++)
		dt_append(seq, CV_OK);
	/* Record 21 needs a new segment: the full one is synced first, and
	 * that fdatasync fails (the kernel may have dropped its pages). */
	dt_fail_next(1, EIO);
	dt_append(21, CV_E_IO);
	cr_assert_str_eq(fault_fs_failed_call(), "fdatasync");
	/* A later sync would succeed at the kernel, with nothing behind it:
	 * the storage must not say durable. */
	cr_assert_eq(dt_ops->sync(dt_store, 20), CV_E_IO, "records 1..20 are not durable");
	dt_append(21, CV_E_IO);
	/* Reopened after a power cut, it holds what the disk kept: nothing. */
	cv_posix_storage_close(dt_store);
	dt_store = NULL;
	fault_fs_power_cut();
	fault_fs_begin(dt_dir);
	dt_reopen();
	cr_assert_eq(cv_posix_storage_length(dt_store), 0);
	dt_append(1, CV_OK);
}

Test(storage_faults, every_kind_of_failure_is_final_until_reopened, .init = dt_setup, .fini = dt_teardown)
{
	/* A failed write, fdatasync, rename or directory sync breaks the
	 * storage; an open afterwards works on what is on disk. */
	static const struct {
		const char *call;
		int err;
		enum cv_status status; /* What the failing operation answers. */
		enum cv_status later;  /* What appends answer afterwards. */
	} cases[] = {
		{"write", EIO, CV_E_IO, CV_E_IO},       {"write", ENOSPC, CV_E_FULL, CV_E_FULL},
		{"fdatasync", EIO, CV_E_IO, CV_E_IO},   {"fdatasync", ENOSPC, CV_E_IO, CV_E_FULL},
		{"rename", EIO, CV_E_IO, CV_E_IO},      {"fsync", EIO, CV_E_IO, CV_E_IO},
		{"open", ENOSPC, CV_E_FULL, CV_E_FULL},
	};
	uint64_t seq = 1;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dt_append(seq++, CV_OK);
		enum cv_status rc = CV_OK;
		if (strcmp(cases[i].call, "write") == 0) {
			uint8_t record[DT_RECORD] = {0};
			dt_fail_next(1, cases[i].err);
			rc = dt_ops->append(dt_store, seq, record, sizeof(record));
		} else if (strcmp(cases[i].call, "fdatasync") == 0) {
			dt_fail_next(1, cases[i].err);
			rc = dt_ops->sync(dt_store, seq - 1);
		} else if (strcmp(cases[i].call, "open") == 0) {
			/* A new segment's file cannot be created. */
			for (uint64_t k = 0; k < 25 && rc == CV_OK; k++) {
				fault_fs_arm(0, 0);
				uint64_t length = cv_posix_storage_length(dt_store);
				if ((length % DT_SEGMENT) + DT_RECORD > DT_SEGMENT) {
					dt_sync(seq - 1);
					dt_fail_next(1, cases[i].err);
				}
				uint8_t record[DT_RECORD] = {0};
				rc = dt_ops->append(dt_store, seq++, record, sizeof(record));
			}
		} else {
			/* A checkpoint: open, write and fdatasync the tmp file,
			 * rename it, fsync the directory. */
			dt_sync(seq - 1);
			dt_fail_next(strcmp(cases[i].call, "rename") == 0 ? 4 : 5, cases[i].err);
			rc = dt_ops->checkpoint_set(dt_store, cv_posix_storage_length(dt_store), seq);
		}
		cr_assert_not_null(fault_fs_failed_call(), "case %u: nothing failed", i);
		cr_assert_str_eq(fault_fs_failed_call(), cases[i].call, "case %u", i);
		cr_assert_eq(rc, cases[i].status, "case %u, %s failing with %d: %s", i, cases[i].call, cases[i].err,
			     cv_status_name(rc));
		/* Appends keep the first failure's cause (a full disk stays full);
		 * a sync is always CV_E_IO: nothing will become durable again (the
		 * engine would take CV_E_FULL from a sync for "ask again"). */
		dt_append(seq, cases[i].later);
		cr_assert_eq(dt_ops->sync(dt_store, seq), CV_E_IO, "%s: nothing durable after it", cases[i].call);
		cr_assert_eq(dt_ops->checkpoint_set(dt_store, 0, 1), CV_E_IO);
		fault_fs_arm(0, 0);
		dt_reopen();
		seq = 1 + cv_posix_storage_length(dt_store) / DT_RECORD;
	}
}

/* One world: the simulated machine and processor, which outlive power cuts,
 * and the machine's journal directory. */
struct fault_world {
	char dir[512];
	struct cv_sim *sim;
	struct cv_posix_storage *storage;
	struct cv_machine *m;
	struct cv_lane_config lanes[FW_LANES];
	uint64_t now_ms;
	unsigned alerts_journal;         /* CV_ALERT_JOURNAL_FAULT raised. */
	unsigned shift;                  /* Moves every segment boundary by fw_step() bytes a step. */
	struct cv_platform_ops platform; /* The sim's, its log kept here too. */
	const struct cv_platform_ops *sim_platform;
	void *sim_platform_ctx;
	char last_error[128];    /* The machine's last CV_LOG_ERROR line. */
	enum cv_status start_rc; /* The first life's cv_machine_new(). */
};

static struct fault_world w;

static void fw_on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m;
	(void)user_data;
	if (e->type == CV_EVENT_ALERT && e->u.alert.kind == CV_ALERT_JOURNAL_FAULT && e->u.alert.active)
		w.alerts_journal++;
}

/* The machine's log: the last error line is kept, then the sim's log has it. */
static void fw_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	if (level == CV_LOG_ERROR)
		snprintf(w.last_error, sizeof(w.last_error), "%s", message);
	if (CV_OPS_HAS(struct cv_platform_ops, w.sim_platform, log))
		w.sim_platform->log(w.sim_platform_ctx, level, message);
}

static void fw_make_dir(void)
{
	const char *base = getenv("CV_CRASH_DIR");
	snprintf(w.dir, sizeof(w.dir), "%s/storage-faults-XXXXXX", base != NULL ? base : ".");
	cr_assert_not_null(mkdtemp(w.dir), "mkdtemp %s", w.dir);
}

static void fw_remove_dir(void)
{
	char command[600];
	snprintf(command, sizeof(command), "rm -rf '%s'", w.dir);
	cr_assert_eq(system(command), 0);
}

/* Bytes between the segment sizes tried (FAULT_STEP overrides). */
static unsigned fw_step(void)
{
	const char *env = getenv("FAULT_STEP");
	return env != NULL ? (unsigned)strtoul(env, NULL, 10) : 41u;
}

/* Segment sizes tried (FAULT_SIZES overrides). */
static unsigned fw_sizes(void)
{
	const char *env = getenv("FAULT_SIZES");
	return env != NULL ? (unsigned)strtoul(env, NULL, 10) : FW_SHIFTS;
}

/* Opens the storage and a machine on it; the status of whichever failed. */
static enum cv_status fw_start(void)
{
	struct cv_posix_storage_config sc;
	cv_posix_storage_config_default(&sc);
	sc.directory = w.dir;
	/* New segments often, and across shifts each kind of record comes to
	 * be the one that has to start a new segment. */
	sc.segment_size_bytes = CV_POSIX_STORAGE_SEGMENT_SIZE_MIN + fw_step() * w.shift;
	enum cv_status rc = cv_posix_storage_open(&sc, &w.storage);
	if (rc != CV_OK)
		return rc;
	struct cv_machine_config c;
	cv_machine_config_default(&c);
	strcpy(c.machine_id, "fault-fs-1");
	for (unsigned i = 0; i < FW_LANES; i++) {
		cv_lane_config_default(&w.lanes[i]);
		snprintf(w.lanes[i].label, sizeof(w.lanes[i].label), "A%u", i + 1);
		snprintf(w.lanes[i].product_name, sizeof(w.lanes[i].product_name), "Candy %u", i + 1);
		w.lanes[i].price_minor = 100 + 50 * (int64_t)i;
		w.lanes[i].capacity = FW_STOCK;
		w.lanes[i].count = FW_STOCK;
	}
	c.lanes = w.lanes;
	c.lane_count = FW_LANES;
	c.checkpoint_records = 256; /* The smallest: checkpoints and trims within 60 customers. */
	cv_sim_attach(w.sim, &c);
	w.sim_platform = c.platform;
	w.sim_platform_ctx = c.platform_ctx;
	w.platform = *c.platform;
	w.platform.log = fw_log;
	c.platform = &w.platform;
	c.storage = &cv_posix_storage_ops;
	c.storage_ctx = w.storage;
	c.on_event = fw_on_event;
	rc = cv_machine_new(&c, &w.m);
	if (rc != CV_OK) {
		w.m = NULL;
		cv_posix_storage_close(w.storage);
		w.storage = NULL;
	}
	return rc;
}

static void fw_stop(void)
{
	if (w.m != NULL)
		cv_machine_free(w.m);
	if (w.storage != NULL)
		cv_posix_storage_close(w.storage);
	w.m = NULL;
	w.storage = NULL;
}

static void fw_tick(void)
{
	w.now_ms += FW_TICK_MS;
	cv_sim_step(w.sim, w.now_ms);
	if (w.m != NULL)
		cv_machine_step(w.m, w.now_ms);
}

/* A new world, the fault file system watching its empty directory. */
static void fw_world(unsigned shift, unsigned fail_call, int err)
{
	memset(&w, 0, sizeof(w));
	w.shift = shift;
	fw_make_dir();
	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = 777;
	sc.lane_count = FW_LANES;
	for (unsigned i = 0; i < FW_LANES; i++)
		sc.stock[i] = FW_STOCK;
	cr_assert_eq(cv_sim_new(&sc, &w.sim), CV_OK);
	fault_fs_begin(w.dir);
	fault_fs_arm(fail_call, err);
	w.start_rc = fw_start();
}

/* Customers buy until the machine refuses them (a journal fault stops
 * sales) or @p customers have bought; then the machine runs on a while, so
 * that what it still owes (captures, voids) can go out. */
static void fw_customers(unsigned customers)
{
	for (unsigned k = 0; k < customers && w.m != NULL; k++) {
		uint32_t vend = 0;
		if (cv_machine_select(w.m, (uint16_t)(k % FW_LANES), &vend) != CV_OK)
			break;
		for (unsigned i = 0; i < 400; i++) {
			if (cv_sim_is_collecting(w.sim))
				cv_sim_present_card(w.sim, CV_SIM_CARD_APPROVED);
			fw_tick();
			struct cv_vend_info v;
			if (cv_machine_vend_info(w.m, vend, &v) != CV_OK || v.state >= CV_VEND_STATE_CAPTURED)
				break;
		}
	}
	for (unsigned i = 0; i < 200; i++)
		fw_tick();
}

static void fw_scenario(void)
{
	fw_customers(FW_CUSTOMERS);
}

/* The power is cut; it comes back and the machine must start and settle. */
static void fw_restart_and_settle(const char *what)
{
	fw_stop();
	fault_fs_power_cut();
	enum cv_status rc = fw_start();
	cr_assert_eq(rc, CV_OK, "%s: the machine does not start again: %s", what, cv_status_name(rc));
	for (unsigned i = 0; i < 4000 && cv_machine_open_vends(w.m) > 0; i++)
		fw_tick();
	cr_assert_eq(cv_machine_open_vends(w.m), 0, "%s: a vend was never settled", what);
}

/* The world's truth against what the machine says. */
static void fw_check(const char *what)
{
	struct cv_sim_truth truth;
	cv_sim_truth(w.sim, &truth);
	struct cv_machine_stats stats;
	cr_assert_eq(cv_machine_stats(w.m, &stats), CV_OK);
	cr_assert_eq(stats.captured_minor, truth.captured_minor,
		     "%s: the machine reports %" PRId64 " captured, the processor captured %" PRId64, what,
		     stats.captured_minor, truth.captured_minor);
	cr_assert_eq(truth.holds_open, stats.vends_void_failed, "%s: %u holds left open", what, truth.holds_open);
	cr_assert_leq(stats.drops_verified, truth.items_dropped, "%s: more drops counted than items fell", what);
	cr_assert_leq(truth.captures, truth.items_dropped, "%s: charged for more items than fell", what);
	/* An item that fell without a durable record of it stays in the
	 * machine's count (never charged): the difference is exactly those. */
	int64_t counted_over = 0;
	for (uint16_t lane = 0; lane < FW_LANES; lane++) {
		struct cv_lane_info info;
		cr_assert_eq(cv_machine_lane_info(w.m, lane, &info), CV_OK);
		cr_assert_geq(info.config.count, truth.stock[lane], "%s: lane %u counts %u, holds %u", what, lane,
			      info.config.count, truth.stock[lane]);
		counted_over += (int64_t)info.config.count - truth.stock[lane];
	}
	cr_assert_eq(counted_over, (int64_t)truth.items_dropped - stats.drops_verified,
		     "%s: %" PRId64 " items counted but gone, %u fell without a verified drop", what, counted_over,
		     truth.items_dropped - stats.drops_verified);
	if (getenv("FAULT_DEBUG") != NULL)
		fprintf(stderr, "%s: %u captured (%" PRId64 "), %u fell, %u verified, %u voided\n", what,
			truth.captures, truth.captured_minor, truth.items_dropped, stats.drops_verified, truth.voids);
}

static void fw_teardown(void)
{
	fw_stop();
	cv_sim_free(w.sim);
	w.sim = NULL;
	fw_remove_dir();
}

TestSuite(storage_faults, .fini = cv_test_leak_check, .timeout = 600);

/* Calls counted in an unfaulted run (which is checked too). */
static unsigned fw_count_calls(unsigned shift)
{
	fw_world(shift, 0, 0);
	cr_assert_eq(w.start_rc, CV_OK, "start: %s", cv_status_name(w.start_rc));
	fw_scenario();
	unsigned calls = fault_fs_calls();
	fw_restart_and_settle("no fault");
	fw_check("no fault");
	struct cv_sim_truth truth;
	cv_sim_truth(w.sim, &truth);
	cr_assert_eq(truth.captures, FW_CUSTOMERS, "every customer bought when nothing failed");
	fw_teardown();
	return calls;
}

Test(storage_faults, a_full_disk_stops_sales_with_a_clear_error)
{
	fw_world(0, 0, 0);
	cr_assert_eq(w.start_rc, CV_OK);
	uint32_t vend = 0;
	cr_assert_eq(cv_machine_select(w.m, 0, &vend), CV_OK);
	fw_tick();
	fault_fs_arm_next("write", ENOSPC); /* The next record finds the disk full. */
	for (unsigned i = 0; i < 200 && w.alerts_journal == 0; i++) {
		if (cv_sim_is_collecting(w.sim))
			cv_sim_present_card(w.sim, CV_SIM_CARD_APPROVED);
		fw_tick();
	}
	cr_assert_str_eq(fault_fs_failed_call(), "write");
	cr_assert_eq(w.alerts_journal, 1, "the journal fault alert is raised");
	cr_assert_str_eq(w.last_error, "journal: full, sales stopped");
	for (unsigned i = 0; i < 200; i++)
		fw_tick();
	uint32_t next = 0;
	cr_assert_neq(cv_machine_select(w.m, 1, &next), CV_OK, "no sale on a full disk");
	fw_restart_and_settle("full disk");
	fw_check("full disk");
	fw_teardown();
}

static void fw_every_call(int err, const char *err_name, unsigned sizes)
{
	unsigned runs = 0, stopped = 0;
	for (unsigned shift = 0; shift < sizes; shift++) {
		unsigned calls = fw_count_calls(shift);
		cr_assert_gt(calls, 50, "the scenario is too short to mean much");
		for (unsigned n = 1; n <= calls; n++) {
			char what[128];
			fw_world(shift, n, err);
			fw_scenario();
			const char *failed = fault_fs_failed_call();
			snprintf(what, sizeof(what), "%s on call %u of %u (%s), shift %u", err_name, n, calls,
				 failed != NULL ? failed : "-", shift);
			cr_assert_not_null(failed, "%s: the armed call never came", what);
			stopped += w.alerts_journal > 0 || w.m == NULL;
			runs++;
			fw_restart_and_settle(what);
			fw_check(what);
			fw_teardown();
		}
	}
	printf("storage faults (%s): %u runs (%u segment sizes, each call of each failed in turn), %u stopped the "
	       "machine (journal fault or no start), 0 violations\n",
	       err_name, runs, sizes, stopped);
	cr_assert_gt(stopped, runs / 2, "most failures must stop the machine");
}

Test(storage_faults, every_call_around_a_checkpoint_and_a_trim_failing_then_a_power_cut)
{
	/* The journal's second checkpoint (its file written, renamed, the
	 * directory synced) and the trim behind it (segments unlinked) come
	 * after some 50 customers: every call from the 48th customer on fails
	 * in turn. */
	fw_world(0, 0, 0);
	cr_assert_eq(w.start_rc, CV_OK);
	fw_customers(FW_WARM_CUSTOMERS);
	unsigned from = fault_fs_calls();
	unsigned renames = fault_fs_renames(), unlinks = fault_fs_unlinks();
	fw_customers(FW_WINDOW_CUSTOMERS);
	unsigned to = fault_fs_calls();
	cr_assert_gt(fault_fs_renames(), renames, "a checkpoint is remembered inside the window");
	cr_assert_gt(fault_fs_unlinks(), unlinks, "the journal is trimmed inside the window");
	fw_restart_and_settle("no fault");
	fw_check("no fault");
	fw_teardown();
	unsigned runs = 0;
	for (unsigned n = from + 1; n <= to; n++) {
		char what[128];
		fw_world(0, n, EIO);
		fw_customers(FW_WARM_CUSTOMERS); /* The same steps as the counting run. */
		fw_customers(FW_WINDOW_CUSTOMERS);
		const char *failed = fault_fs_failed_call();
		snprintf(what, sizeof(what), "EIO on call %u (%s), window %u..%u", n, failed != NULL ? failed : "-",
			 from + 1, to);
		cr_assert_not_null(failed, "%s: the armed call never came", what);
		fw_restart_and_settle(what);
		fw_check(what);
		fw_teardown();
		runs++;
	}
	printf("storage faults (EIO around a checkpoint and a trim): %u runs, 0 violations\n", runs);
}

Test(storage_faults, every_call_failing_with_eio_then_a_power_cut)
{
	fw_every_call(EIO, "EIO", fw_sizes());
}

Test(storage_faults, every_call_failing_with_enospc_then_a_power_cut)
{
	/* Half the sizes: a full disk fails the same calls as EIO does. */
	fw_every_call(ENOSPC, "ENOSPC", (fw_sizes() + 1) / 2);
}
