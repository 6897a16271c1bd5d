/* SPDX-License-Identifier: MIT */
/*
 * The embedded planogram, the wiring of the engine to the simulated backends,
 * and the simulated clock that drives both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_machine.h"

/* One row of the planogram as an operator would write it down. */
struct sm_lane_row {
	const char *label;
	const char *product_id;
	const char *product_name;
	int64_t price_minor;
	uint16_t capacity;
	uint16_t count;
	uint16_t low_stock_threshold;
	enum cv_verify_mode verify_mode;
};

/* Mint Strips are too thin for the drop beam, so their lane trusts the motor
 * cycle; the gummy lane uses the beam while it works and the motor otherwise. */
static const struct sm_lane_row sm_planogram[] = {
	{"A1", "SKU-040000-00101", "Snickers", 175, 12, 12, 3, CV_VERIFY_MODE_REQUIRED},
	{"A2", "SKU-040000-00102", "M&M's Peanut", 165, 12, 10, 3, CV_VERIFY_MODE_REQUIRED},
	{"A3", "SKU-034000-00203", "Reese's Cups", 175, 12, 8, 3, CV_VERIFY_MODE_REQUIRED},
	{"A4", "SKU-034000-00204", "Kit Kat", 150, 15, 15, 4, CV_VERIFY_MODE_REQUIRED},
	{"B1", "SKU-022000-00301", "Skittles", 150, 15, 14, 4, CV_VERIFY_MODE_REQUIRED},
	{"B2", "SKU-040000-00302", "Twix", 175, 12, 6, 3, CV_VERIFY_MODE_REQUIRED},
	{"B3", "SKU-012546-00303", "Mint Strips", 125, 15, 15, 4, CV_VERIFY_MODE_OFF},
	{"B4", "SKU-070462-00304", "Sour Patch Kids", 250, 10, 10, 2, CV_VERIFY_MODE_OPTIONAL},
};

#define SM_LANE_COUNT ((uint16_t)(sizeof(sm_planogram) / sizeof(sm_planogram[0])))

/* Copies and cuts to fit; the embedded strings all fit their fields. */
static void sm_copy_text(char *dst, size_t size, const char *src)
{
	size_t length = strlen(src);
	if (length >= size)
		length = size - 1;
	memcpy(dst, src, length);
	dst[length] = '\0';
}

static void sm_lane_config_from_row(const struct sm_lane_row *row, struct cv_lane_config *config)
{
	cv_lane_config_default(config);
	sm_copy_text(config->label, sizeof(config->label), row->label);
	sm_copy_text(config->product_id, sizeof(config->product_id), row->product_id);
	sm_copy_text(config->product_name, sizeof(config->product_name), row->product_name);
	config->price_minor = row->price_minor;
	config->capacity = row->capacity;
	config->count = row->count;
	config->low_stock_threshold = row->low_stock_threshold;
	config->verify_mode = row->verify_mode;
}

void sm_sim_config_fill(struct cv_sim_config *config, uint64_t seed, bool faults)
{
	cv_sim_config_default(config);
	config->seed = seed;
	config->lane_count = SM_LANE_COUNT;
	for (uint16_t i = 0; i < SM_LANE_COUNT; i++)
		config->stock[i] = sm_planogram[i].count;
	if (!faults)
		return;
	/* Rates a busy machine in the field might plausibly see, per mille. */
	config->decline_permille = 80;
	config->unknown_permille = 30;
	config->lookup_unknown_permille = 100;
	config->settle_unknown_permille = 50;
	config->jam_permille = 15;
	config->stuck_permille = 40;
	config->missed_drop_permille = 20;
	config->false_drop_permille = 5;
	/* Two network paths (say Wi-Fi and cellular), each down ~15 s every ~3 min. */
	config->link_count = 2;
	config->link_outage_every_ms = 180000;
	config->link_outage_ms = 15000;
}

/* Remembers the customer's vend state before printing, so the modes can
 * wait on it without polling cv_machine_vend_info() (which forgets a vend
 * once a later one finishes). */
static void sm_rig_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	struct sm_rig *rig = user_data;
	if (event->type == CV_EVENT_VEND_STATE && event->u.vend.vend_number == rig->customer_vend)
		rig->customer_state = event->u.vend.state;
	sm_report_event(rig, event);
}

/* C11 aligned_alloc() wants the size to be a multiple of the alignment. */
static size_t sm_round_up(size_t size, size_t alignment)
{
	return (size + alignment - 1) / alignment * alignment;
}

static enum cv_status sm_rig_init_machine(struct sm_rig *rig)
{
	struct cv_lane_config lanes[SM_LANE_COUNT];
	for (uint16_t i = 0; i < SM_LANE_COUNT; i++)
		sm_lane_config_from_row(&sm_planogram[i], &lanes[i]);

	struct cv_machine_config config;
	cv_machine_config_default(&config);
	sm_copy_text(config.machine_id, sizeof(config.machine_id), "sim-0001");
	sm_copy_text(config.currency, sizeof(config.currency), SM_CURRENCY);
	config.lanes = lanes;
	config.lane_count = SM_LANE_COUNT;
	cv_sim_attach(rig->sim, &config);
	if (rig->persist != NULL) {
		config.storage = &cv_posix_storage_ops;
		config.storage_ctx = rig->persist->storage;
	} else {
		config.storage = &cv_ram_storage_ops;
		config.storage_ctx = &rig->storage;
		config.accept_volatile_journal = true; /* The RAM journal dies with the process. */
	}
	config.on_event = sm_rig_on_event;
	config.user_data = rig;

	/* The caller-memory API: the application decides where the machine lives
	 * (on a microcontroller a static buffer; here the heap). */
	size_t size = sm_round_up(cv_machine_size(), CV_MACHINE_ALIGN);
	rig->machine_memory = aligned_alloc(CV_MACHINE_ALIGN, size);
	if (rig->machine_memory == NULL)
		return CV_E_NOMEM;
	return cv_machine_init(rig->machine_memory, size, &config, &rig->machine);
}

static bool sm_rig_open_ram(struct sm_rig *rig, const struct cv_sim_config *sim_config, size_t journal_size)
{
	rig->journal_size = journal_size;
	rig->journal = malloc(journal_size);
	if (rig->journal == NULL)
		return false;
	cv_ram_storage_init(&rig->storage, rig->journal, journal_size);
	return cv_sim_new(sim_config, &rig->sim) == CV_OK;
}

bool sm_rig_open(struct sm_rig *rig, const struct cv_sim_config *sim_config, size_t journal_size,
		 const struct sm_persist_options *persist, struct sm_output output)
{
	memset(rig, 0, sizeof(*rig));
	rig->output = output;
	bool opened = persist != NULL ? sm_persist_open(rig, persist, sim_config)
				      : sm_rig_open_ram(rig, sim_config, journal_size);
	if (!opened) {
		if (persist == NULL)
			fprintf(stderr, "sim-machine: cannot start the machine: out of memory\n");
		sm_rig_close(rig);
		return false;
	}
	enum cv_status rc = sm_rig_init_machine(rig);
	if (rc != CV_OK) {
		if (persist != NULL)
			fprintf(stderr,
				"sim-machine: cannot start the machine on %s/journal: %s (%s is left as it was)\n",
				persist->dir, cv_status_str(rc), rig->persist->world_path);
		else
			fprintf(stderr, "sim-machine: cannot start the machine: %s\n", cv_status_str(rc));
		sm_rig_close(rig);
		return false;
	}
	if (!sm_persist_begin_life(rig)) {
		sm_rig_close(rig);
		return false;
	}
	return true;
}

/* An orderly stop: the next start on the same folder is no power cut. */
void sm_rig_close(struct sm_rig *rig)
{
	if (rig->machine != NULL) {
		cv_machine_deinit(rig->machine);
		rig->machine = NULL; /* The world keeps the journal count of its last save. */
		sm_persist_finish(rig);
	}
	sm_persist_close(rig);
	free(rig->machine_memory);
	cv_sim_free(rig->sim);
	free(rig->journal);
	memset(rig, 0, sizeof(*rig));
}

/* The sim first, so completions it posts are handled in the same tick. */
void sm_rig_tick(struct sm_rig *rig)
{
	rig->now_ms += SM_TICK_MS;
	cv_sim_step(rig->sim, rig->now_ms);
	sm_persist_save(rig, false); /* Before the engine hears of what the step did. */
	cv_machine_step(rig->machine, rig->now_ms);
}

bool sm_rig_run_until(struct sm_rig *rig, sm_rig_done_fn done, uint64_t limit_ms)
{
	uint64_t deadline_ms = rig->now_ms + limit_ms;
	while (!done(rig)) {
		if (rig->now_ms >= deadline_ms)
			return false;
		sm_rig_tick(rig);
	}
	return true;
}

bool sm_rig_no_open_vends(const struct sm_rig *rig)
{
	return cv_machine_open_vends(rig->machine) == 0;
}

enum cv_status sm_rig_select(struct sm_rig *rig, uint16_t lane)
{
	uint32_t vend_number = 0;
	enum cv_status rc = cv_machine_select(rig->machine, lane, &vend_number);
	if (rc != CV_OK)
		return rc;
	/* A retry after a decline keeps the vend; its state events already
	 * arrived, so read the current state instead of waiting for one. */
	struct cv_vend_info info;
	rig->customer_vend = vend_number;
	if (cv_machine_vend_info(rig->machine, vend_number, &info) == CV_OK)
		rig->customer_state = info.state;
	return CV_OK;
}

/* While the vend is in one of these states the customer stands at the machine. */
bool sm_vend_state_is_customer_phase(enum cv_vend_state state)
{
	switch (state) {
	case CV_VEND_STATE_SELECTED:
	case CV_VEND_STATE_AUTH_PENDING:
	case CV_VEND_STATE_AUTH_LOOKUP:
	case CV_VEND_STATE_AUTHORIZED:
	case CV_VEND_STATE_DISPENSING:
	case CV_VEND_STATE_VERIFYING:
		return true;
	default:
		return false;
	}
}
