/* SPDX-License-Identifier: MIT */
/*
 * sim-machine: a libcandyvend machine wired to the simulated backends.
 * Private header shared by the example's files; nothing here is library API.
 */
#ifndef SIM_MACHINE_H
#define SIM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>
#include <candyvend/storage_posix.h>

/* Exit statuses of the program. */
enum sm_exit {
	SM_EXIT_OK = 0,     /* Ran and (demo) the books reconcile. */
	SM_EXIT_FAILED = 1, /* Setup failed, the engine got stuck, or the books don't reconcile. */
	SM_EXIT_USAGE = 2,  /* Bad command line. */
};

/* Simulated time advances in fixed ticks; nothing sleeps for real. */
#define SM_TICK_MS 50u
#define SM_SECOND_MS 1000u
#define SM_MINUTE_MS (60u * SM_SECOND_MS)
#define SM_HOUR_MS (60u * SM_MINUTE_MS)

/* The currency of every price in the embedded planogram. */
#define SM_CURRENCY "USD"
/* Buffer size for cv_money_format(); the header promises 32 always suffices. */
#define SM_MONEY_TEXT_LEN 32
/* Highest price the kiosk's operator can type, in cents. */
#define SM_PRICE_MAX_MINOR 100000u
/* Most customers one demo run accepts (the journal is sized from it). */
#define SM_CUSTOMERS_MAX 100000u

/* Command-line options of `sim-machine demo`. */
struct sm_demo_options {
	uint32_t customers;
	uint64_t seed;
	bool faults;
	bool quiet;
	const char *journal_dir; /* --journal DIR; NULL: a RAM journal that dies with the program. */
};

/* Command-line options of `sim-machine kiosk`. */
struct sm_kiosk_options {
	uint64_t seed;
	const char *journal_dir;
};

/* What a persistent folder was made for: a restart must ask for the same. */
enum sm_mode {
	SM_MODE_DEMO = 1,
	SM_MODE_KIOSK = 2,
};

struct sm_persist_options {
	const char *dir;
	enum sm_mode mode;
	uint64_t seed;
	uint32_t customers; /* Demo only (0 for the kiosk). */
	bool faults;
};

/* Which engine events the listener prints. */
struct sm_output {
	bool vends;    /* One line per finished vend. */
	bool alerts;   /* Alerts as they are raised and cleared. */
	bool screen;   /* The customer's display as it changes. */
	bool receipts; /* Receipts rendered for a narrow thermal printer. */
	bool lanes;    /* A lane's state whenever its stock, price or service state changes. */
	bool recovery; /* What recovery decided about each vend a cut left open. */
};

/* Totals the listener keeps because the engine's stats don't carry them. */
struct sm_tally {
	uint32_t vends_finished;      /* Vends that reached a terminal state. */
	uint32_t void_failed;         /* Of those, VOID_FAILED (a hold may stay open). */
	uint32_t capture_failed;      /* Of those, CAPTURE_FAILED. */
	int64_t capture_failed_minor; /* Price of delivered items whose capture failed. */
	uint32_t alerts_raised;
	uint32_t service_visits;
};

/* Where a persistent run stands, kept in DIR/world with the simulated world. */
struct sm_progress {
	uint32_t lives;            /* Starts of the program on this folder. */
	uint32_t cuts;             /* Lives that ended without an orderly stop. */
	uint32_t running;          /* 1 while a life runs: found set at a start, it was cut. */
	uint32_t customers_served; /* Demo: customers done (one cut short by a kill is served again). */
	uint64_t prng_state;       /* Demo: the customers' own choices. */
	uint64_t journal_records;  /* The engine's journal at the last save (a later journal has more). */
};

/* The persistent mode's files and what was last written (persist.c). */
struct sm_persist {
	char world_path[1024];
	char world_tmp_path[1040];
	struct cv_posix_storage *storage;
	unsigned char *image; /* Being written. */
	unsigned char *saved; /* As last written (compared to skip unchanged writes). */
	size_t image_size;
	bool saved_valid;
	bool life_began; /* The engine started and the life was counted. */
	uint64_t saved_now_ms;
	struct sm_persist_options options;
};

/* The machine, its simulated hardware and the clock they share. */
struct sm_rig {
	struct cv_sim *sim;
	struct cv_machine *machine;
	void *machine_memory;
	void *journal;
	size_t journal_size;
	struct cv_ram_storage storage;
	struct sm_persist *persist; /* NULL: the RAM journal above. */
	uint64_t now_ms;
	struct sm_output output;
	struct sm_tally tally; /* Across every life in persistent mode. */
	struct sm_progress progress;
	/* The customer's vend, followed through the listener (0 = none yet). */
	uint32_t customer_vend;
	enum cv_vend_state customer_state;
	/* Last screen printed, so an unchanged screen is not printed twice. */
	struct cv_display screen;
	bool screen_printed;
};

/* main.c: the modes it hands over to, and its number parser (digits only). */
bool sm_parse_u64(const char *text, uint64_t *out);
int sm_demo_run(const struct sm_demo_options *options);
int sm_kiosk_run(const struct sm_kiosk_options *options);

/* machine_setup.c: planogram, wiring, clock. persist is NULL for a RAM
 * journal of journal_size bytes; open prints what went wrong. */
void sm_sim_config_fill(struct cv_sim_config *config, uint64_t seed, bool faults);
bool sm_rig_open(struct sm_rig *rig, const struct cv_sim_config *sim_config, size_t journal_size,
		 const struct sm_persist_options *persist, struct sm_output output);
void sm_rig_close(struct sm_rig *rig);
void sm_rig_tick(struct sm_rig *rig);
typedef bool (*sm_rig_done_fn)(const struct sm_rig *rig);
bool sm_rig_run_until(struct sm_rig *rig, sm_rig_done_fn done, uint64_t limit_ms);
bool sm_rig_no_open_vends(const struct sm_rig *rig);
enum cv_status sm_rig_select(struct sm_rig *rig, uint16_t lane);
bool sm_vend_state_is_customer_phase(enum cv_vend_state state);

/* persist.c: the journal folder and the world file. open (before the
 * engine starts) and begin_life (after it read its journal back) print what
 * is wrong and return false, writing nothing; save writes DIR/world when it
 * changed (force: always); finish marks an orderly stop. */
bool sm_persist_open(struct sm_rig *rig, const struct sm_persist_options *options,
		     const struct cv_sim_config *sim_config);
bool sm_persist_begin_life(struct sm_rig *rig);
void sm_persist_save(struct sm_rig *rig, bool force);
void sm_persist_finish(struct sm_rig *rig);
void sm_persist_close(struct sm_rig *rig);

/* report.c: printing events, money and the reconciliation. */
void sm_report_event(struct sm_rig *rig, const struct cv_event *event);
const char *sm_money_text(int64_t amount_minor, char buf[SM_MONEY_TEXT_LEN]);
bool sm_report_reconciliation(const struct sm_rig *rig);

#endif
