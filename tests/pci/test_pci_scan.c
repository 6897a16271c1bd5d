/* SPDX-License-Identifier: MIT */
/* The PCI scan: a full simulated day with the public test
 * cards, on the POSIX journal, with faults and power cuts, and afterwards
 * not one Luhn-valid 13..19 digit sequence may be found in anything the
 * library produced: the journal as written and as left on disk, the
 * checkpoint file, every log line, every output event (as raw struct bytes
 * and rendered as text), every receipt at 32 and 42 columns, and the output
 * of the demo program. The simulated reader does hold the cards' PANs
 * (backends/sim/sim_payment.c), so they are in the process to leak.
 *
 * Controls, so that the scan can fail: a PAN planted in each collected
 * source must be found there, and a misbehaving reader that puts a PAN into
 * the card summary or the processor reference must be blanked or refused by
 * the engine before anything reaches a journal, an event or a receipt.
 *
 * CV_PCI_CUSTOMERS=<n> changes the length of the day (default 2000),
 * CV_TEST_SEED=<n> its seed, CV_SIM_MACHINE the demo binary's path. */
#define _XOPEN_SOURCE 700 /* mkdtemp, popen */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>
#include <candyvend/storage_posix.h>

#include "crash_storage.h"
#include "leak_check.h"
#include "luhn_scan.h"
#include "sim_visit.h"

#define PCI_LANES SIM_VISIT_LANES
#define PCI_TICK_MS 50
#define PCI_CUSTOMERS_DEFAULT 2000u
#define PCI_SEED_DEFAULT 20260407u
#define PCI_POWER_CUTS 2u
#define PCI_SEGMENT_BYTES (64u * 1024u)
#define PCI_CHECKPOINT_RECORDS 1024u
#define PCI_DEMO_CUSTOMERS "300"
#define PCI_HITS_SHOWN_MAX 5u

/* ---- Collected sources ---------------------------------------------------- */

enum pci_source_id {
	PCI_SOURCE_JOURNAL_APPENDS = 0, /* Every record the engine handed the storage. */
	PCI_SOURCE_JOURNAL_FILES,       /* Segment files on disk, at each restart and at the end. */
	PCI_SOURCE_CHECKPOINT_FILE,     /* The POSIX checkpoint file, same times. */
	PCI_SOURCE_LOG,                 /* Every platform log line. */
	PCI_SOURCE_EVENT_BYTES,         /* Every output event struct, raw. */
	PCI_SOURCE_EVENT_TEXT,          /* Every output event rendered as text. */
	PCI_SOURCE_RECEIPT_TEXT,        /* Receipts rendered at 32 and 42 columns. */
	PCI_SOURCE_RECEIPT_JSON,        /* Receipts rendered as JSON records. */
	PCI_SOURCE_DELIVERED_RECEIPTS,  /* Receipts given to the digital receipt hook, raw. */
	PCI_SOURCE_DEMO_OUTPUT,         /* sim-machine demo --faults: stdout and stderr. */
	PCI_SOURCE_COUNT,
};

static const char *const pci_source_names[PCI_SOURCE_COUNT] = {
	[PCI_SOURCE_JOURNAL_APPENDS] = "journal records appended",
	[PCI_SOURCE_JOURNAL_FILES] = "journal segment files",
	[PCI_SOURCE_CHECKPOINT_FILE] = "checkpoint file",
	[PCI_SOURCE_LOG] = "log lines",
	[PCI_SOURCE_EVENT_BYTES] = "output events (raw structs)",
	[PCI_SOURCE_EVENT_TEXT] = "output events (text)",
	[PCI_SOURCE_RECEIPT_TEXT] = "receipts (32 and 42 columns)",
	[PCI_SOURCE_RECEIPT_JSON] = "receipts (JSON)",
	[PCI_SOURCE_DELIVERED_RECEIPTS] = "delivered receipts (raw structs)",
	[PCI_SOURCE_DEMO_OUTPUT] = "demo program output",
};

struct pci_source {
	unsigned char *bytes;
	size_t length;
	size_t capacity;
	size_t items; /* Lines, records, events or files, as the source counts them. */
};

static struct pci_source pci_sources[PCI_SOURCE_COUNT];

static void pci_source_append(enum pci_source_id id, const void *bytes, size_t length)
{
	struct pci_source *source = &pci_sources[id];
	if (source->length + length > source->capacity) {
		size_t capacity = source->capacity == 0 ? 65536 : source->capacity;
		while (capacity < source->length + length)
			capacity *= 2;
		unsigned char *grown = realloc(source->bytes, capacity);
		cr_assert_not_null(grown, "out of memory collecting %s", pci_source_names[id]);
		source->bytes = grown;
		source->capacity = capacity;
	}
	memcpy(source->bytes + source->length, bytes, length);
	source->length += length;
	source->items++;
}

__attribute__((format(printf, 2, 3))) static void pci_source_printf(enum pci_source_id id, const char *format, ...)
{
	char line[512];
	va_list args;
	va_start(args, format);
	int length = vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	cr_assert(length >= 0 && (size_t)length < sizeof(line), "a rendered line was cut");
	pci_source_append(id, line, (size_t)length);
}

static void pci_sources_free(void)
{
	for (size_t i = 0; i < PCI_SOURCE_COUNT; i++)
		free(pci_sources[i].bytes);
	memset(pci_sources, 0, sizeof(pci_sources));
}

/* ---- Scanning ------------------------------------------------------------- */

struct pci_scan_result {
	size_t hit_count;
	char first_hits[PCI_HITS_SHOWN_MAX][96];
};

static void pci_scan_keep(void *user_data, const struct luhn_hit *hit)
{
	struct pci_scan_result *result = user_data;
	if (result->hit_count < PCI_HITS_SHOWN_MAX)
		luhn_hit_describe(hit, result->first_hits[result->hit_count], sizeof(result->first_hits[0]));
	result->hit_count++;
}

static struct pci_scan_result pci_scan(const void *bytes, size_t length)
{
	struct pci_scan_result result;
	memset(&result, 0, sizeof(result));
	luhn_scan(bytes, length, pci_scan_keep, &result);
	return result;
}

/* Fails the test, naming the source and the first hits, if anything passes. */
static void pci_assert_clean(const char *what, const void *bytes, size_t length)
{
	struct pci_scan_result result = pci_scan(bytes, length);
	for (size_t i = 0; i < result.hit_count && i < PCI_HITS_SHOWN_MAX; i++)
		cr_log_error("PAN-like sequence in %s: %s", what, result.first_hits[i]);
	cr_assert_eq(result.hit_count, 0, "%zu Luhn-valid 13..19 digit sequences in %s (%zu bytes)", result.hit_count,
		     what, length);
}

/* ---- The day's world ------------------------------------------------------ */

struct pci_day {
	uint64_t seed;
	uint64_t rng;
	uint64_t now_ms;
	char directory[64];
	struct cv_sim *sim;
	struct cv_posix_storage *posix;
	struct crash_storage crash;
	struct cv_platform_ops platform; /* The sim's, with a log sink. */
	struct cv_lane_config lanes[PCI_LANES];
	void *memory;
	struct cv_machine *m;
	int32_t refilled[PCI_LANES];
	unsigned restarts;
	unsigned receipts;
	unsigned vends_captured_by_card[CV_SIM_CARD_COUNT];
	unsigned presented_by_card[CV_SIM_CARD_COUNT];
	bool last4_seen[CV_SIM_CARD_COUNT];
};

static struct pci_day day;

/* The last four digits of each test card as sim.h documents them. */
static const char *const pci_card_last4[CV_SIM_CARD_COUNT] = {
	[CV_SIM_CARD_APPROVED] = "4242",
	[CV_SIM_CARD_WALLET] = "4444",
	[CV_SIM_CARD_DECLINED] = "0002",
	[CV_SIM_CARD_INSUFFICIENT] = "9995",
	[CV_SIM_CARD_TIMEOUT_APPROVED] = "0119",
	[CV_SIM_CARD_TIMEOUT_NOT_CHARGED] = "0127",
	[CV_SIM_CARD_SLOW] = "8431",
};

static uint32_t pci_below(uint32_t n)
{
	return (uint32_t)(sim_visit_random(&day.rng) % n);
}

static uint64_t pci_env(const char *name, uint64_t fallback)
{
	const char *text = getenv(name);
	return text != NULL && *text != '\0' ? strtoull(text, NULL, 10) : fallback;
}

/* ---- Log and events, rendered ----------------------------------------------- */

static void pci_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	pci_source_printf(PCI_SOURCE_LOG, "log %d: %s\n", (int)level, message);
}

static void pci_render_card(enum pci_source_id id, const struct cv_card_summary *card)
{
	pci_source_printf(id, " card brand=%.*s last4=%.*s auth=%.*s aid=%.*s label=%.*s entry=%d",
			  (int)sizeof(card->brand), card->brand, (int)sizeof(card->last4), card->last4,
			  (int)sizeof(card->auth_code), card->auth_code, (int)sizeof(card->aid), card->aid,
			  (int)sizeof(card->app_label), card->app_label, (int)card->entry);
}

static void pci_render_vend(const struct cv_vend_info *vend)
{
	pci_source_printf(PCI_SOURCE_EVENT_TEXT,
			  "vend %" PRIu32 " %.*s %s (%s) lane %u price %" PRId64 " %.*s attempt %u respins %u"
			  " verified %d decline %d offline %d capture_before %" PRId64,
			  vend->vend_number, (int)sizeof(vend->vend_id), vend->vend_id, cv_vend_state_str(vend->state),
			  cv_vend_reason_str(vend->reason), (unsigned)vend->lane, vend->price.amount_minor,
			  (int)sizeof(vend->price.currency), vend->price.currency, (unsigned)vend->auth_attempt,
			  (unsigned)vend->respins, (int)vend->drop_verified, (int)vend->decline_reason,
			  (int)vend->offline_approved, vend->capture_before_s);
	pci_render_card(PCI_SOURCE_EVENT_TEXT, &vend->card);
	pci_source_printf(PCI_SOURCE_EVENT_TEXT, "\n");
	for (size_t card = 0; card < CV_SIM_CARD_COUNT; card++)
		if (strncmp(vend->card.last4, pci_card_last4[card], sizeof(vend->card.last4)) == 0)
			day.last4_seen[card] = true;
}

static void pci_render_receipt(const struct cv_receipt *receipt)
{
	static const unsigned widths[] = {CV_RECEIPT_WIDTH_NARROW, CV_RECEIPT_WIDTH_WIDE};
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		char text[CV_RECEIPT_TEXT_MAX];
		size_t length = 0;
		enum cv_status rc = cv_receipt_render(receipt, widths[i], text, sizeof(text), &length);
		cr_assert_eq(rc, CV_OK, "cv_receipt_render(%u): %s", widths[i], cv_status_str(rc));
		pci_source_append(PCI_SOURCE_RECEIPT_TEXT, text, length);
	}
	char json[CV_RECEIPT_JSON_MAX];
	size_t json_length = 0;
	enum cv_status rc = cv_receipt_render_json(receipt, json, sizeof(json), &json_length);
	cr_assert_eq(rc, CV_OK, "cv_receipt_render_json: %s", cv_status_str(rc));
	pci_source_append(PCI_SOURCE_RECEIPT_JSON, json, json_length);
	pci_source_append(PCI_SOURCE_RECEIPT_JSON, "\n", 1);
	pci_sources[PCI_SOURCE_RECEIPT_JSON].items--;
	day.receipts++;
}

static void pci_render_event(struct cv_machine *machine, const struct cv_event *event)
{
	pci_source_printf(PCI_SOURCE_EVENT_TEXT, "t=%" PRIu64 " %s: ", event->time_ms, cv_event_type_str(event->type));
	switch (event->type) {
	case CV_EVENT_VEND_STATE:
		pci_render_vend(&event->u.vend);
		return;
	case CV_EVENT_DISPLAY:
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "%s lane %u amount %" PRId64 "\n",
				  cv_msg_text(event->u.display.msg), (unsigned)event->u.display.lane,
				  event->u.display.amount.amount_minor);
		return;
	case CV_EVENT_ALERT:
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "%s %s lane %u %s\n", cv_alert_kind_code(event->u.alert.kind),
				  cv_alert_kind_str(event->u.alert.kind), (unsigned)event->u.alert.lane,
				  event->u.alert.active ? "raised" : "cleared");
		return;
	case CV_EVENT_RECEIPT:
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "%.*s %s", (int)sizeof(event->u.receipt.vend_id),
				  event->u.receipt.vend_id, cv_receipt_status_str(event->u.receipt.status));
		pci_render_card(PCI_SOURCE_EVENT_TEXT, &event->u.receipt.card);
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "\n");
		pci_render_receipt(&event->u.receipt);
		return;
	case CV_EVENT_LANE_CHANGED: {
		struct cv_lane_info lane;
		cr_assert_eq(cv_machine_lane_info(machine, event->u.lane.lane, &lane), CV_OK);
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "lane %u %.*s %.*s count %u price %" PRId64 "\n",
				  (unsigned)event->u.lane.lane, (int)sizeof(lane.config.label), lane.config.label,
				  (int)sizeof(lane.config.product_name), lane.config.product_name,
				  (unsigned)lane.config.count, lane.config.price_minor);
		return;
	}
	case CV_EVENT_RECOVERY:
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "action %d vend %" PRIu32 " %.*s found %s torn %" PRIu64 "\n",
				  (int)event->u.recovery.action, event->u.recovery.vend_number,
				  (int)sizeof(event->u.recovery.vend_id), event->u.recovery.vend_id,
				  cv_vend_state_str(event->u.recovery.found_state), event->u.recovery.torn_bytes);
		return;
	default:
		pci_source_printf(PCI_SOURCE_EVENT_TEXT, "(type %d)\n", (int)event->type);
		return;
	}
}

static void pci_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)user_data;
	pci_source_append(PCI_SOURCE_EVENT_BYTES, event, sizeof(*event));
	pci_render_event(machine, event);
}

static void pci_deliver_receipt(void *ctx, const struct cv_receipt *receipt)
{
	(void)ctx;
	pci_source_append(PCI_SOURCE_DELIVERED_RECEIPTS, receipt, sizeof(*receipt));
}

/* ---- A storage tap: every record the engine appends, byte for byte ---------- */

struct pci_tap {
	const struct cv_storage_ops *inner_ops;
	void *inner_ctx;
};

static struct pci_tap pci_tap_state;

static uint32_t pci_tap_caps(void *ctx)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->caps != NULL ? tap->inner_ops->caps(tap->inner_ctx) : 0;
}

static enum cv_status pci_tap_open(void *ctx, struct cv_machine *machine)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->open(tap->inner_ctx, machine);
}

static void pci_tap_close(void *ctx)
{
	struct pci_tap *tap = ctx;
	if (tap->inner_ops->close != NULL)
		tap->inner_ops->close(tap->inner_ctx);
}

static enum cv_status pci_tap_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct pci_tap *tap = ctx;
	pci_source_append(PCI_SOURCE_JOURNAL_APPENDS, record, length);
	return tap->inner_ops->append(tap->inner_ctx, seq, record, length);
}

static enum cv_status pci_tap_sync(void *ctx, uint64_t seq)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->sync(tap->inner_ctx, seq);
}

static enum cv_status pci_tap_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->read(tap->inner_ctx, offset, buf, size, length_out);
}

static enum cv_status pci_tap_truncate(void *ctx, uint64_t length)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->truncate(tap->inner_ctx, length);
}

static enum cv_status pci_tap_checkpoint_set(void *ctx, uint64_t offset, uint64_t seq)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->checkpoint_set(tap->inner_ctx, offset, seq);
}

static enum cv_status pci_tap_checkpoint_get(void *ctx, uint64_t *offset, uint64_t *seq)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->checkpoint_get(tap->inner_ctx, offset, seq);
}

static enum cv_status pci_tap_trim(void *ctx, uint64_t offset)
{
	struct pci_tap *tap = ctx;
	return tap->inner_ops->trim(tap->inner_ctx, offset);
}

static const struct cv_storage_ops pci_tap_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "pci-tap",
	.caps = pci_tap_caps,
	.open = pci_tap_open,
	.close = pci_tap_close,
	.append = pci_tap_append,
	.sync = pci_tap_sync,
	.read = pci_tap_read,
	.truncate = pci_tap_truncate,
	.checkpoint_set = pci_tap_checkpoint_set,
	.checkpoint_get = pci_tap_checkpoint_get,
	.trim = pci_tap_trim,
};

/* ---- Files on disk --------------------------------------------------------- */

static void pci_collect_file(enum pci_source_id id, const char *path)
{
	FILE *file = fopen(path, "rb");
	cr_assert_not_null(file, "open %s", path);
	unsigned char buffer[65536];
	size_t total = 0, got;
	while ((got = fread(buffer, 1, sizeof(buffer), file)) > 0) {
		pci_source_append(id, buffer, got);
		pci_sources[id].items--; /* One item per file, not per read. */
		total += got;
	}
	fclose(file);
	pci_sources[id].items++;
	(void)total;
}

/* Every file the POSIX backend left in the journal directory. */
static void pci_collect_directory(void)
{
	DIR *dir = opendir(day.directory);
	cr_assert_not_null(dir, "opendir %s", day.directory);
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", day.directory, entry->d_name);
		bool checkpoint = strncmp(entry->d_name, "checkpoint", 10) == 0;
		pci_collect_file(checkpoint ? PCI_SOURCE_CHECKPOINT_FILE : PCI_SOURCE_JOURNAL_FILES, path);
	}
	closedir(dir);
}

static void pci_remove_directory(void)
{
	DIR *dir = opendir(day.directory);
	if (dir == NULL)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", day.directory, entry->d_name);
		unlink(path);
	}
	closedir(dir);
	rmdir(day.directory);
}

/* ---- The machine's lives ---------------------------------------------------- */

static void pci_planogram(void)
{
	sim_visit_planogram(day.lanes);
}

/* A configuration on the sim's machine, its platform given a log sink, the
 * journal behind the tap, every output collected. */
static void pci_config_base(struct cv_machine_config *config)
{
	cv_machine_config_default(config);
	config->lanes = day.lanes;
	config->lane_count = PCI_LANES;
	cv_sim_attach(day.sim, config);
	day.platform = cv_sim_platform_ops;
	day.platform.log = pci_log;
	config->platform = &day.platform;
	config->storage = &pci_tap_ops;
	config->storage_ctx = &pci_tap_state;
	config->on_event = pci_on_event;
	config->deliver_receipt = pci_deliver_receipt;
}

/* Opens the POSIX journal and a machine over it (tap, crash wrapper, files);
 * on a restart the machine recovers from what the files hold. */
static void pci_life_start(void)
{
	struct cv_posix_storage_config storage_config;
	cv_posix_storage_config_default(&storage_config);
	storage_config.directory = day.directory;
	storage_config.segment_size_bytes = PCI_SEGMENT_BYTES;
	cr_assert_eq(cv_posix_storage_open(&storage_config, &day.posix), CV_OK);
	crash_storage_init(&day.crash, &cv_posix_storage_ops, day.posix);
	pci_tap_state.inner_ops = &crash_storage_ops;
	pci_tap_state.inner_ctx = &day.crash;

	struct cv_machine_config config;
	pci_config_base(&config);
	snprintf(config.machine_id, sizeof(config.machine_id), "pci-%" PRIu64, day.seed);
	snprintf(config.merchant_name, sizeof(config.merchant_name), "Candy Corner");
	snprintf(config.merchant_location, sizeof(config.merchant_location), "Hall 4, Springfield");
	config.timeouts.retry_cap_ms = 60000;
	config.checkpoint_records = PCI_CHECKPOINT_RECORDS;
	enum cv_status rc = cv_machine_init(day.memory, cv_machine_size(), &config, &day.m);
	cr_assert_eq(rc, CV_OK, "machine init (life %u): %s", day.restarts + 1, cv_status_str(rc));
}

static void pci_life_end(void)
{
	cv_machine_deinit(day.m);
	day.m = NULL;
	cv_posix_storage_close(day.posix);
	day.posix = NULL;
	pci_collect_directory();
}

static void pci_tick(void)
{
	day.now_ms += PCI_TICK_MS;
	cv_sim_step(day.sim, day.now_ms);
	enum cv_status rc = cv_machine_step(day.m, day.now_ms);
	if (!crash_storage_is_dead(&day.crash))
		cr_assert_eq(rc, CV_OK, "step: %s", cv_status_str(rc));
}

static bool pci_powered(void)
{
	return !crash_storage_is_dead(&day.crash);
}

/* The power goes out a few storage operations from now, tearing the record
 * being written; the machine restarts on what the files hold. */
static void pci_arm_power_cut(void)
{
	unsigned from_now = 2 + pci_below(6);
	crash_storage_arm(&day.crash, crash_storage_op_count(&day.crash) + from_now, CRASH_TEAR,
			  sim_visit_random(&day.rng));
}

static void pci_restart(void)
{
	pci_life_end();
	day.restarts++;
	pci_life_start();
	for (unsigned i = 0; i < 20000 && cv_machine_open_vends(day.m) > 0; i++)
		pci_tick();
}

/* Now and then a scripted fault on top of the random rates. */
static void pci_script_faults(unsigned customer)
{
	static const enum cv_sim_fault faults[] = {
		CV_SIM_FAULT_MOTOR_JAM,      CV_SIM_FAULT_PRODUCT_WEDGED,  CV_SIM_FAULT_AUTH_SILENT,
		CV_SIM_FAULT_AUTH_NOT_SENT,  CV_SIM_FAULT_CAPTURE_UNKNOWN, CV_SIM_FAULT_VOID_UNKNOWN,
		CV_SIM_FAULT_LOOKUP_UNKNOWN, CV_SIM_FAULT_MISSED_DROP,     CV_SIM_FAULT_FALSE_DROP,
	};
	if (customer % 25 == 0)
		(void)cv_sim_script_fault(day.sim, faults[pci_below(sizeof(faults) / sizeof(faults[0]))]);
	if (customer % 500 == 250)
		cv_sim_set_sensor_fault(day.sim, true);
	if (customer % 500 == 260)
		cv_sim_set_sensor_fault(day.sim, false);
}

/* One customer: a lane, a test card (any of them), maybe a cancel, maybe a
 * second card after a decline. */
static void pci_customer(void)
{
	uint16_t lane;
	if (!sim_visit_pick_lane(day.m, pci_below, &lane)) {
		sim_visit_service(day.m, day.sim, day.refilled);
		if (!sim_visit_pick_lane(day.m, pci_below, &lane))
			return;
	}
	enum cv_sim_card card = (enum cv_sim_card)pci_below(CV_SIM_CARD_COUNT);
	uint32_t vend = 0;
	enum cv_status rc = cv_machine_select(day.m, lane, &vend);
	if (rc != CV_OK) {
		/* Busy settling, or out of service for a while: wait as a customer would. */
		for (unsigned i = 0; i < 200 && pci_powered(); i++)
			pci_tick();
		return;
	}
	bool cancel = pci_below(100) < 4;
	unsigned cancel_tick = pci_below(20);
	for (unsigned t = 0; t < 4000 && pci_powered(); t++) {
		if (cv_sim_is_collecting(day.sim) && cv_sim_present_card(day.sim, card) == CV_OK)
			day.presented_by_card[card]++;
		pci_tick();
		if (cancel && t == cancel_tick)
			cv_machine_cancel(day.m);
		struct cv_vend_info info;
		if (cv_machine_vend_info(day.m, vend, &info) != CV_OK)
			return;
		if (info.state == CV_VEND_STATE_AUTH_DECLINED) {
			if (pci_below(2) == 0)
				return; /* Walks away; the session times out. */
			card = (enum cv_sim_card)pci_below(CV_SIM_CARD_COUNT);
			if (cv_machine_select(day.m, lane, NULL) != CV_OK)
				return;
			continue;
		}
		if (info.state >= CV_VEND_STATE_CAPTURE_PENDING || cv_vend_state_is_terminal(info.state))
			return;
	}
}

static void pci_day_start(void)
{
	memset(&day, 0, sizeof(day));
	day.seed = pci_env("CV_TEST_SEED", PCI_SEED_DEFAULT);
	day.rng = day.seed * 7919u + 1;
	/* tmpfs if there is one: the day makes thousands of fdatasync() calls,
	 * which cost seconds on a busy disk and prove nothing here. */
	struct stat shm;
	const char *tmp = getenv("TMPDIR");
	if (stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) && access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(day.directory, sizeof(day.directory), "%s/cv-pci-XXXXXX",
		 tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(day.directory), "mkdtemp");
	pci_planogram();

	struct cv_sim_config sim_config;
	cv_sim_config_default(&sim_config);
	sim_config.seed = day.seed;
	sim_config.lane_count = PCI_LANES;
	for (unsigned i = 0; i < PCI_LANES; i++)
		sim_config.stock[i] = day.lanes[i].count;
	sim_config.lookup_unknown_permille = 150;
	sim_config.settle_unknown_permille = 80;
	sim_config.jam_permille = 20;
	sim_config.stuck_permille = 60;
	sim_config.missed_drop_permille = 20;
	sim_config.false_drop_permille = 5;
	cr_assert_eq(cv_sim_new(&sim_config, &day.sim), CV_OK);
	day.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 63) / 64 * 64);
	cr_assert_not_null(day.memory);
	pci_life_start();
}

static void pci_day_finish(void)
{
	for (unsigned i = 0; i < 20000 && cv_machine_open_vends(day.m) > 0; i++)
		pci_tick();
	cr_assert_eq(cv_machine_open_vends(day.m), 0, "vends still open at the end of the day");
	pci_life_end();
	cv_sim_free(day.sim);
	free(day.memory);
	pci_remove_directory();
}

static void pci_run_day(unsigned customers)
{
	pci_day_start();
	unsigned cuts_done = 0;
	for (unsigned customer = 1; customer <= customers; customer++) {
		pci_script_faults(customer);
		bool cut_now =
			cuts_done < PCI_POWER_CUTS && customer == (cuts_done + 1) * customers / (PCI_POWER_CUTS + 1);
		if (cut_now)
			pci_arm_power_cut();
		pci_customer();
		if (cut_now) {
			for (unsigned i = 0; i < 4000 && pci_powered(); i++)
				pci_tick();
			cr_assert_not(pci_powered(), "the armed power cut never happened");
			cuts_done++;
			pci_restart();
		}
	}
	pci_day_finish();
}

/* ---- The demo program ------------------------------------------------------ */

static void pci_collect_demo(void)
{
	const char *binary = getenv("CV_SIM_MACHINE");
	cr_assert(binary != NULL && *binary != '\0',
		  "CV_SIM_MACHINE is not set (build with -Dexamples=true and run through meson test)");
	char command[1024];
	snprintf(command, sizeof(command), "'%s' demo --customers " PCI_DEMO_CUSTOMERS " --faults 2>&1", binary);
	FILE *pipe = popen(command, "r");
	cr_assert_not_null(pipe, "popen %s", command);
	unsigned char buffer[65536];
	size_t got;
	while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
		pci_source_append(PCI_SOURCE_DEMO_OUTPUT, buffer, got);
	int status = pclose(pipe);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the demo did not reconcile (status %d): %s", status,
		  command);
	pci_sources[PCI_SOURCE_DEMO_OUTPUT].items = 1;
}

/* ---- The scan ---------------------------------------------------------------- */

static void pci_report_sources(void)
{
	size_t total = 0;
	printf("pci scan, seed %" PRIu64 ": %u restarts after power cuts, %u receipts\n", day.seed, day.restarts,
	       day.receipts);
	for (size_t i = 0; i < PCI_SOURCE_COUNT; i++) {
		printf("  %-34s %10zu bytes  (%zu items)\n", pci_source_names[i], pci_sources[i].length,
		       pci_sources[i].items);
		total += pci_sources[i].length;
	}
	printf("  %-34s %10zu bytes\n", "total scanned", total);
	fflush(stdout);
}

/* A PAN written into a copy of a source must be found there, at its place:
 * the source's scan can fail. */
static void pci_assert_planted_pan_found(enum pci_source_id id)
{
	static const char planted[] = "4242 4242 4242 4242";
	const struct pci_source *source = &pci_sources[id];
	size_t length = source->length + sizeof(planted) + 2;
	unsigned char *copy = malloc(length);
	cr_assert_not_null(copy);
	size_t middle = source->length / 2;
	memcpy(copy, source->bytes, middle);
	copy[middle] = '\n';
	memcpy(copy + middle + 1, planted, sizeof(planted) - 1);
	copy[middle + sizeof(planted)] = '\n';
	memcpy(copy + middle + sizeof(planted) + 1, source->bytes + middle, source->length - middle);
	struct pci_scan_result result = pci_scan(copy, length - 1);
	free(copy);
	cr_assert_eq(result.hit_count, 1, "%s: a planted PAN gave %zu hits", pci_source_names[id], result.hit_count);
	char expected[64];
	snprintf(expected, sizeof(expected), "offset %zu: 4242424242424242", middle + 1);
	cr_assert(strncmp(result.first_hits[0], expected, strlen(expected)) == 0, "%s: planted PAN reported as %s",
		  pci_source_names[id], result.first_hits[0]);
}

TestSuite(pci, .fini = cv_test_leak_check);

Test(pci, a_simulated_day_leaks_no_card_number_anywhere, .timeout = 240)
{
	unsigned customers = (unsigned)pci_env("CV_PCI_CUSTOMERS", PCI_CUSTOMERS_DEFAULT);
	pci_run_day(customers);
	pci_collect_demo();
	pci_report_sources();

	/* The day really used every card and every kind of output. */
	for (size_t card = 0; card < CV_SIM_CARD_COUNT; card++)
		cr_assert_gt(day.presented_by_card[card], 0, "test card %zu never presented", card);
	/* Cards that get a hold show their last 4 (taken from the PAN) in events. */
	static const enum cv_sim_card held_cards[] = {CV_SIM_CARD_APPROVED, CV_SIM_CARD_WALLET,
						      CV_SIM_CARD_TIMEOUT_APPROVED, CV_SIM_CARD_SLOW};
	for (size_t i = 0; i < sizeof(held_cards) / sizeof(held_cards[0]); i++)
		cr_assert(day.last4_seen[held_cards[i]], "the last 4 of test card %d (%s) never reached an event",
			  (int)held_cards[i], pci_card_last4[held_cards[i]]);
	cr_assert_eq(day.restarts, PCI_POWER_CUTS);
	cr_assert_gt(day.receipts, customers / 4);
	static const enum pci_source_id never_empty[] = {
		PCI_SOURCE_JOURNAL_APPENDS, PCI_SOURCE_JOURNAL_FILES,      PCI_SOURCE_CHECKPOINT_FILE,
		PCI_SOURCE_EVENT_BYTES,     PCI_SOURCE_EVENT_TEXT,         PCI_SOURCE_RECEIPT_TEXT,
		PCI_SOURCE_RECEIPT_JSON,    PCI_SOURCE_DELIVERED_RECEIPTS, PCI_SOURCE_DEMO_OUTPUT,
	};
	for (size_t i = 0; i < sizeof(never_empty) / sizeof(never_empty[0]); i++)
		cr_assert_gt(pci_sources[never_empty[i]].length, 0, "nothing collected from %s",
			     pci_source_names[never_empty[i]]);

	for (size_t i = 0; i < PCI_SOURCE_COUNT; i++)
		pci_assert_clean(pci_source_names[i], pci_sources[i].bytes, pci_sources[i].length);
	for (size_t i = 0; i < PCI_SOURCE_COUNT; i++)
		pci_assert_planted_pan_found((enum pci_source_id)i);
	pci_sources_free();
}

/* ---- Negative control: a reader that tries to hand over a PAN ------------- */

/* Where the rogue reader writes its PAN in each payment result. */
enum pci_rogue_field {
	PCI_ROGUE_BRAND,
	PCI_ROGUE_LAST4, /* Written from last4 on, so it runs on into auth_code. */
	PCI_ROGUE_AUTH_CODE,
	PCI_ROGUE_AID,
	PCI_ROGUE_APP_LABEL,
	PCI_ROGUE_PROCESSOR_REF,
};

struct pci_rogue_plant {
	char name[48];
	enum pci_rogue_field field;
	/* Bytes written at the field's start (NUL included where one is meant):
	 * a field may look harmless up to its first NUL and hide a PAN after it. */
	char bytes[40];
	size_t length;
	/* The engine must empty the field (it was visibly wrong). */
	bool expect_blank;
};

static void pci_rogue_write(struct cv_payment_result *result, const struct pci_rogue_plant *plant)
{
	char *field = NULL;
	size_t room = 0;
	switch (plant->field) {
	case PCI_ROGUE_BRAND:
		field = result->card.brand;
		room = sizeof(result->card.brand);
		break;
	case PCI_ROGUE_LAST4:
		/* last4 and auth_code as one span of bytes, as a sloppy memcpy would. */
		field = result->card.last4;
		room = sizeof(result->card.last4) + sizeof(result->card.auth_code);
		cr_assert_eq((char *)&result->card.auth_code - (char *)&result->card.last4,
			     (ptrdiff_t)sizeof(result->card.last4));
		break;
	case PCI_ROGUE_AUTH_CODE:
		field = result->card.auth_code;
		room = sizeof(result->card.auth_code);
		break;
	case PCI_ROGUE_AID:
		field = result->card.aid;
		room = sizeof(result->card.aid);
		break;
	case PCI_ROGUE_APP_LABEL:
		field = result->card.app_label;
		room = sizeof(result->card.app_label);
		break;
	case PCI_ROGUE_PROCESSOR_REF:
		field = result->processor_ref;
		room = sizeof(result->processor_ref);
		break;
	}
	cr_assert_leq(plant->length, room, "%s: plant longer than its field", plant->name);
	memset(field, 0, room);
	memcpy(field, plant->bytes, plant->length);
}

struct pci_rogue_reader {
	struct cv_machine *machine;
	struct cv_payment_request pending;
	bool has_pending;
	const struct pci_rogue_plant *plant;
	unsigned answers;
};

static struct pci_rogue_reader pci_rogue;

static uint32_t pci_rogue_caps(void *ctx)
{
	(void)ctx;
	return 0;
}

static enum cv_status pci_rogue_open(void *ctx, struct cv_machine *machine)
{
	struct pci_rogue_reader *reader = ctx;
	reader->machine = machine;
	return CV_OK;
}

static enum cv_status pci_rogue_request(void *ctx, const struct cv_payment_request *request)
{
	struct pci_rogue_reader *reader = ctx;
	if (reader->has_pending)
		return CV_E_BUSY;
	reader->pending = *request;
	reader->has_pending = true;
	return CV_PENDING;
}

/* Answers the pending request: approved, with the PAN planted. */
static void pci_rogue_answer(void)
{
	if (!pci_rogue.has_pending)
		return;
	struct cv_event event;
	memset(&event, 0, sizeof(event));
	event.type = CV_EVENT_PAYMENT_RESULT;
	struct cv_payment_result *result = &event.u.payment;
	result->op_id = pci_rogue.pending.op_id;
	result->op = pci_rogue.pending.op;
	result->result = CV_PAY_OK;
	result->amount = pci_rogue.pending.amount;
	snprintf(result->processor_ref, sizeof(result->processor_ref), "rogue_1");
	snprintf(result->card.brand, sizeof(result->card.brand), "VISA");
	snprintf(result->card.last4, sizeof(result->card.last4), "4242");
	snprintf(result->card.auth_code, sizeof(result->card.auth_code), "A1B2C3");
	snprintf(result->card.aid, sizeof(result->card.aid), "A0000000031010");
	snprintf(result->card.app_label, sizeof(result->card.app_label), "VISA CREDIT");
	result->card.entry = CV_CARD_ENTRY_CONTACTLESS;
	pci_rogue_write(result, pci_rogue.plant);
	if (cv_machine_post(pci_rogue.machine, &event) == CV_OK) {
		pci_rogue.has_pending = false;
		pci_rogue.answers++;
	}
}

static const struct cv_payment_ops pci_rogue_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "pci-rogue-reader",
	.caps = pci_rogue_caps,
	.open = pci_rogue_open,
	.authorize = pci_rogue_request,
	.capture = pci_rogue_request,
	.void_auth = pci_rogue_request,
	.lookup = pci_rogue_request,
};

#define PCI_PLANT(name_, field_, literal_, expect_blank_)                                          \
	{                                                                                          \
		.name = name_, .field = field_, .bytes = literal_, .length = sizeof(literal_) - 1, \
		.expect_blank = expect_blank_                                                      \
	}

/* One vend against the rogue reader, on a RAM journal behind the tap; every
 * source is collected (the RAM journal as "journal segment files"). */
static struct cv_vend_info pci_rogue_run(const struct pci_rogue_plant *plant)
{
	memset(&pci_rogue, 0, sizeof(pci_rogue));
	memset(&day, 0, sizeof(day));
	pci_rogue.plant = plant;
	pci_planogram();
	struct cv_sim_config sim_config;
	cv_sim_config_default(&sim_config);
	sim_config.lane_count = PCI_LANES;
	for (unsigned i = 0; i < PCI_LANES; i++)
		sim_config.stock[i] = day.lanes[i].count;
	cr_assert_eq(cv_sim_new(&sim_config, &day.sim), CV_OK);

	static uint8_t journal[1u << 16];
	struct cv_ram_storage ram;
	memset(journal, 0, sizeof(journal));
	cv_ram_storage_init(&ram, journal, sizeof(journal));
	pci_tap_state.inner_ops = &cv_ram_storage_ops;
	pci_tap_state.inner_ctx = &ram;
	struct cv_machine_config config;
	pci_config_base(&config);
	config.payment = &pci_rogue_ops;
	config.payment_ctx = &pci_rogue;
	config.accept_volatile_journal = true; /* A RAM journal behind the tap. */
	day.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 63) / 64 * 64);
	cr_assert_not_null(day.memory);
	cr_assert_eq(cv_machine_init(day.memory, cv_machine_size(), &config, &day.m), CV_OK);

	uint32_t vend = 0;
	cr_assert_eq(cv_machine_select(day.m, 0, &vend), CV_OK);
	for (unsigned t = 0; t < 40000 && (t < 10 || cv_machine_open_vends(day.m) > 0); t++) {
		pci_rogue_answer();
		pci_tick();
	}
	struct cv_vend_info info;
	cr_assert_eq(cv_machine_vend_info(day.m, vend, &info), CV_OK);
	cr_assert(cv_vend_state_is_terminal(info.state), "%s: vend ended in %s", plant->name,
		  cv_vend_state_str(info.state));
	cr_assert_gt(pci_rogue.answers, 0, "%s: the reader was never asked", plant->name);
	cr_log_info("%s: vend ended %s, card brand='%s' last4='%s' auth='%s' aid='%s' label='%s'", plant->name,
		    cv_vend_state_str(info.state), info.card.brand, info.card.last4, info.card.auth_code, info.card.aid,
		    info.card.app_label);
	cv_machine_deinit(day.m);
	cv_sim_free(day.sim);
	free(day.memory);
	pci_source_append(PCI_SOURCE_JOURNAL_FILES, journal, sizeof(journal));
	return info;
}

/* The visible part of the planted field in the vend's card summary. */
static const char *pci_rogue_field_seen(const struct cv_vend_info *info, enum pci_rogue_field field)
{
	switch (field) {
	case PCI_ROGUE_BRAND:
		return info->card.brand;
	case PCI_ROGUE_LAST4:
		return info->card.last4;
	case PCI_ROGUE_AUTH_CODE:
		return info->card.auth_code;
	case PCI_ROGUE_AID:
		return info->card.aid;
	case PCI_ROGUE_APP_LABEL:
		return info->card.app_label;
	case PCI_ROGUE_PROCESSOR_REF:
		return ""; /* Not in the vend info: only the journal and the log could show it. */
	}
	return "";
}

/* A reader that puts a PAN into a field, visibly or after the field's NUL.
 * The engine (lib/event_check.c) blanks a field that is visibly wrong and
 * zeroes every byte after a terminator.
 * (One parameterized test: two in one binary made Criterion 2.4.1's
 * parallel runner leak 48 bytes under LSan.) */
ParameterizedTestParameters(pci, a_rogue_reader_cannot_get_a_pan_into_anything)
{
	static struct pci_rogue_plant plants[] = {
		PCI_PLANT("brand holds an Amex PAN", PCI_ROGUE_BRAND, "371449635398431\0", true),
		PCI_PLANT("last4 runs on into auth_code", PCI_ROGUE_LAST4, "4242424242424242\0", true),
		PCI_PLANT("auth_code hides digits after its NUL", PCI_ROGUE_AUTH_CODE,
			  "A1\0"
			  "42424242\0",
			  false),
		PCI_PLANT("app_label holds a PAN", PCI_ROGUE_APP_LABEL, "4242424242424242\0", true),
		PCI_PLANT("processor_ref hides a PAN after its NUL", PCI_ROGUE_PROCESSOR_REF,
			  "ch_1\0"
			  "5555555555554444\0",
			  false),
		PCI_PLANT("aid holds a PAN", PCI_ROGUE_AID, "4242424242424242\0", true),
		PCI_PLANT("aid carries a PAN after a real AID", PCI_ROGUE_AID, "A00000000310104242424242424242\0",
			  true),
		PCI_PLANT("aid hides a PAN after its NUL", PCI_ROGUE_AID,
			  "A0000000031010\0"
			  "4242424242424242\0",
			  false),
		PCI_PLANT("processor_ref holds a PAN", PCI_ROGUE_PROCESSOR_REF, "4242424242424242\0", true),
		PCI_PLANT("processor_ref holds a grouped PAN", PCI_ROGUE_PROCESSOR_REF, "ch_4242-4242-4242-4242\0",
			  true),
		PCI_PLANT("brand hides a PAN after its NUL", PCI_ROGUE_BRAND,
			  "V\0"
			  "4222222222222\0",
			  false),
		PCI_PLANT("app_label hides a PAN after its NUL", PCI_ROGUE_APP_LABEL,
			  "V\0"
			  "371449635398431",
			  false),
	};
	return cr_make_param_array(struct pci_rogue_plant, plants, sizeof(plants) / sizeof(plants[0]));
}

/* The engine must blank or refuse the planted field: either way no PAN
 * reaches the journal, an event, a receipt or the log. */
ParameterizedTest(struct pci_rogue_plant *plant, pci, a_rogue_reader_cannot_get_a_pan_into_anything, .timeout = 60)
{
	struct cv_vend_info info = pci_rogue_run(plant);
	if (plant->expect_blank)
		cr_assert_str_empty(pci_rogue_field_seen(&info, plant->field), "%s: not blanked", plant->name);
	char what[128];
	for (size_t i = 0; i < PCI_SOURCE_COUNT; i++) {
		snprintf(what, sizeof(what), "%s (%s)", pci_source_names[i], plant->name);
		pci_assert_clean(what, pci_sources[i].bytes, pci_sources[i].length);
	}
	/* The same scan does find a PAN once it is in the journal. */
	pci_assert_planted_pan_found(PCI_SOURCE_JOURNAL_FILES);
	pci_sources_free();
}
