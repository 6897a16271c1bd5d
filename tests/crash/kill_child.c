/* SPDX-License-Identifier: MIT */
/*
 * The machine process of the crash test. Usage:
 *
 *   kill-child DIR vend|settle LIFE SEED [READY_FD]
 *
 * Opens a machine on the POSIX journal in DIR/journal (cv_machine_init runs
 * recovery), steps until every vend the previous life left open is settled,
 * then in "vend" mode sells as fast as it can until it is SIGKILLed; in
 * "settle" mode it closes the machine, writes the lane counts to
 * DIR/final.txt and exits 0 instead.
 *
 * Its backends are synchronous and automatic: every completion is posted
 * before the call returns. The outside world lives in files that survive the
 * kill: the payment processor (file_processor.c) and the machine's mechanics
 * (DIR/bin.log: every motor start with the vend and authorization the engine
 * was dispensing for and the processor's log length at that moment, and
 * every item that physically fell). Each such record is written and
 * fdatasync'ed before the engine hears of it. Faults (declines, unknown
 * outcomes, lost requests, jams, items that need a re-spin) come from a PRNG
 * seeded by SEED and LIFE; vend ids from one re-seeded by pid and time.
 * Once cv_machine_init has returned CV_OK, one byte is written to READY_FD
 * (if given), so the parent can aim some kills after the start.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <candyvend/candyvend.h>
#include <candyvend/storage_posix.h>

#include "crash_common.h"
#include "crash_util.h"
#include "file_processor.h"

/* Virtual time per loop iteration; the engine's waits are a few of them. */
#define TICK_MS 100
/* Iterations allowed for open vends to settle before the child calls itself stuck. */
#define SETTLE_BUDGET 100000u

/* Fault rates, per mille. */
#define AUTH_NOT_SENT 20    /* The reader could not reach the processor. */
#define AUTH_LOST 30        /* The request was lost on its way: UNKNOWN, nothing held. */
#define AUTH_DECLINE 100    /* The issuer declines a new authorization. */
#define AUTH_ANSWER_LOST 60 /* Done at the processor, answered UNKNOWN. */
#define LOOKUP_UNKNOWN 150
#define SETTLE_LOST 40        /* Capture or void lost on its way: UNKNOWN, not done. */
#define SETTLE_ANSWER_LOST 80 /* Done, answered UNKNOWN. */
#define MOTOR_JAM 20
#define ITEM_FALLS 800     /* A movement that does not jam drops the item. */
#define CUSTOMER_CANCEL 15 /* Per iteration while paying. */

struct dispensing {
	bool active;
	char vend_id[CV_VEND_ID_LEN];
	uint8_t auth_attempt;
};

struct sensor_arm {
	bool armed;
	uint32_t op_id;
};

static struct {
	const char *dir;
	bool settle;
	uint32_t life;
	uint64_t fault_rng;
	uint64_t platform_rng;
	struct cv_machine *m;
	struct file_processor *fp;
	struct cu_log bin;
	struct cu_log recovery;
	struct cu_log lives;
	uint16_t physical_stock[CRASH_LANES];
	/* What the engine is dispensing per lane, from its VEND_STATE events. */
	struct dispensing dispensing[CRASH_LANES];
	struct sensor_arm sensor[CRASH_LANES];
	uint64_t now_ms;
} c;

static _Noreturn void world_fail(const char *what)
{
	fprintf(stderr, "kill-child[%" PRIu32 "]: %s: %s\n", c.life, what, strerror(errno));
	exit(CRASH_EXIT_WORLD);
}

static void post(const struct cv_event *ev)
{
	enum cv_status rc = cv_machine_post(c.m, ev);
	/* A lost completion is legal (the engine times out), but should not happen here. */
	if (rc != CV_OK)
		fprintf(stderr, "kill-child[%" PRIu32 "]: post %s: %s\n", c.life, cv_event_type_str(ev->type),
			cv_status_name(rc));
}

/* ---- Platform ------------------------------------------------------------ */

static void platform_random(void *ctx, void *buf, size_t length)
{
	(void)ctx;
	uint8_t *b = buf;
	for (size_t i = 0; i < length; i += 8) {
		uint64_t r = cu_rand(&c.platform_rng);
		for (size_t j = 0; j < 8 && i + j < length; j++)
			b[i + j] = (uint8_t)(r >> (8 * j));
	}
}

static int64_t platform_wall_clock(void *ctx)
{
	(void)ctx;
	return 1767225600000 + (int64_t)c.now_ms;
}

static void platform_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	if (level == CV_LOG_ERROR)
		fprintf(stderr, "kill-child[%" PRIu32 "]: engine: %s\n", c.life, message);
}

static const struct cv_platform_ops platform_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_platform_ops),
	.random_bytes = platform_random,
	.wall_clock_ms = platform_wall_clock,
	.log = platform_log,
};

static enum cv_status backend_open(void *ctx, struct cv_machine *machine)
{
	(void)ctx;
	(void)machine;
	return CV_OK;
}

/* ---- Mechanics: dispenser and drop sensor --------------------------------- */

static void auth_key_of(const struct dispensing *d, char out[CV_IDEM_KEY_LEN])
{
	if (d->active)
		snprintf(out, CV_IDEM_KEY_LEN, "cv1.%s.auth.%u", d->vend_id, (unsigned)d->auth_attempt);
	else
		snprintf(out, CV_IDEM_KEY_LEN, "-");
}

static enum cv_status dispenser_start(void *ctx, const struct cv_dispense_request *req)
{
	(void)ctx;
	if (req->lane >= CRASH_LANES)
		return CV_E_INVAL;
	const struct dispensing *d = &c.dispensing[req->lane];
	const char *vend_id = d->active ? d->vend_id : "-";
	char key[CV_IDEM_KEY_LEN], line[256];
	auth_key_of(d, key);
	snprintf(line, sizeof(line), "M %" PRIu32 " %u %s %s %" PRIu64, c.life, (unsigned)req->lane, vend_id, key,
		 fp_offset(c.fp));
	if (cu_log_append(&c.bin, line, true) != 0)
		world_fail("bin log");
	bool jam = cu_chance(&c.fault_rng, MOTOR_JAM);
	if (!jam && c.physical_stock[req->lane] > 0 && cu_chance(&c.fault_rng, ITEM_FALLS)) {
		snprintf(line, sizeof(line), "P %" PRIu32 " %u %s", c.life, (unsigned)req->lane, vend_id);
		if (cu_log_append(&c.bin, line, true) != 0)
			world_fail("bin log");
		c.physical_stock[req->lane]--;
		const struct sensor_arm *s = &c.sensor[req->lane];
		if (s->armed) {
			struct cv_event ev = {.type = CV_EVENT_DROP_DETECTED};
			ev.u.drop.op_id = s->op_id;
			post(&ev);
		}
	}
	struct cv_event ev = {.type = CV_EVENT_DISPENSE_DONE};
	ev.u.dispense.op_id = req->op_id;
	ev.u.dispense.lane = req->lane;
	ev.u.dispense.status = jam ? CV_E_JAM : CV_OK;
	post(&ev);
	return CV_PENDING;
}

static const struct cv_dispenser_ops dispenser_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "crash",
	.open = backend_open,
	.start = dispenser_start,
};

static enum cv_status sensor_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	(void)ctx;
	if (lane >= CRASH_LANES)
		return CV_E_INVAL;
	c.sensor[lane] = (struct sensor_arm){.armed = true, .op_id = op_id};
	return CV_OK;
}

static enum cv_status sensor_disarm(void *ctx, uint32_t op_id)
{
	(void)ctx;
	for (unsigned i = 0; i < CRASH_LANES; i++)
		if (c.sensor[i].armed && c.sensor[i].op_id == op_id)
			c.sensor[i].armed = false;
	return CV_OK;
}

static const struct cv_sensor_ops sensor_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "crash",
	.open = backend_open,
	.arm = sensor_arm,
	.disarm = sensor_disarm,
};

/* ---- Payment: a reader in front of the file processor --------------------- */

static void post_payment(const struct cv_payment_request *req, enum cv_pay_result result,
			 const struct fp_answer *answer)
{
	struct cv_event ev = {.type = CV_EVENT_PAYMENT_RESULT};
	struct cv_payment_result *r = &ev.u.payment;
	r->op_id = req->op_id;
	r->op = req->op;
	r->result = result;
	if (result == CV_PAY_DECLINED)
		r->decline_reason = CV_DECLINE_GENERIC;
	if (answer != NULL && result == CV_PAY_OK) {
		cv_money_make(answer->amount, CRASH_CURRENCY, &r->amount);
		snprintf(r->processor_ref, sizeof(r->processor_ref), "%s", answer->ref);
		if (req->op == CV_PAYMENT_OP_AUTHORIZE || req->op == CV_PAYMENT_OP_LOOKUP) {
			strcpy(r->card.brand, "VISA");
			strcpy(r->card.last4, "4242");
			strcpy(r->card.auth_code, "A1B2C3");
		}
	} else {
		cv_money_make(0, CRASH_CURRENCY, &r->amount);
	}
	post(&ev);
}

static enum cv_status payment_authorize(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	uint32_t roll = cu_below(&c.fault_rng, 1000);
	if (roll < AUTH_NOT_SENT) {
		post_payment(req, CV_PAY_NOT_SENT, NULL);
		return CV_PENDING;
	}
	if (roll < AUTH_NOT_SENT + AUTH_LOST) {
		post_payment(req, CV_PAY_UNKNOWN, NULL);
		return CV_PENDING;
	}
	struct fp_answer a;
	if (fp_authorize(c.fp, req->auth_key, req->amount.amount_minor, cu_chance(&c.fault_rng, AUTH_DECLINE), &a) != 0)
		world_fail("processor log");
	post_payment(req, cu_chance(&c.fault_rng, AUTH_ANSWER_LOST) ? CV_PAY_UNKNOWN : a.result, &a);
	return CV_PENDING;
}

static enum cv_status payment_lookup(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	if (cu_chance(&c.fault_rng, LOOKUP_UNKNOWN)) {
		post_payment(req, CV_PAY_UNKNOWN, NULL);
		return CV_PENDING;
	}
	struct fp_answer a;
	if (fp_lookup(c.fp, req->auth_key, &a) != 0)
		world_fail("processor log");
	post_payment(req, a.result, &a);
	return CV_PENDING;
}

static enum cv_status payment_settle(const struct cv_payment_request *req, bool capture)
{
	if (cu_chance(&c.fault_rng, SETTLE_LOST)) {
		post_payment(req, CV_PAY_UNKNOWN, NULL);
		return CV_PENDING;
	}
	struct fp_answer a;
	int rc = capture ? fp_capture(c.fp, req->idempotency_key, req->auth_key, req->processor_ref,
				      req->amount.amount_minor, &a)
			 : fp_void(c.fp, req->idempotency_key, req->auth_key, req->processor_ref, &a);
	if (rc != 0)
		world_fail("processor log");
	post_payment(req, cu_chance(&c.fault_rng, SETTLE_ANSWER_LOST) ? CV_PAY_UNKNOWN : a.result, &a);
	return CV_PENDING;
}

static enum cv_status payment_capture(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	return payment_settle(req, true);
}

static enum cv_status payment_void(void *ctx, const struct cv_payment_request *req)
{
	(void)ctx;
	return payment_settle(req, false);
}

static const struct cv_payment_ops payment_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "crash",
	.open = backend_open,
	.authorize = payment_authorize,
	.capture = payment_capture,
	.void_auth = payment_void,
	.lookup = payment_lookup,
};

/* ---- Listener ------------------------------------------------------------- */

static void on_event(struct cv_machine *machine, const struct cv_event *ev, void *user_data)
{
	(void)machine;
	(void)user_data;
	if (ev->type == CV_EVENT_VEND_STATE) {
		const struct cv_vend_info *v = &ev->u.vend;
		if (v->lane >= CRASH_LANES)
			return;
		struct dispensing *d = &c.dispensing[v->lane];
		if (v->state == CV_VEND_STATE_DISPENSING) {
			d->active = true;
			memcpy(d->vend_id, v->vend_id, sizeof(d->vend_id));
			d->auth_attempt = v->auth_attempt;
		} else if (v->state != CV_VEND_STATE_VERIFYING && d->active && strcmp(d->vend_id, v->vend_id) == 0) {
			d->active = false;
		}
	} else if (ev->type == CV_EVENT_RECOVERY) {
		const struct cv_recovery *r = &ev->u.recovery;
		char line[160];
		snprintf(line, sizeof(line), "%" PRIu32 " %d %" PRIu32 " %s %d %" PRIu64, c.life, (int)r->action,
			 r->vend_number, r->vend_id[0] ? r->vend_id : "-", (int)r->found_state, r->torn_bytes);
		if (cu_log_append(&c.recovery, line, false) != 0)
			world_fail("recovery log");
	}
}

/* ---- The customer --------------------------------------------------------- */

static void customer(uint32_t *session)
{
	struct cv_vend_info info;
	if (*session != 0 && cv_machine_vend_info(c.m, *session, &info) == CV_OK &&
	    info.state <= CV_VEND_STATE_VERIFYING) {
		if (info.state == CV_VEND_STATE_AUTH_DECLINED) {
			uint32_t roll = cu_below(&c.fault_rng, 10);
			if (roll < 7) {
				/* Try again on the same lane (roll < 5), or choose another. */
				uint16_t lane = roll < 5 ? info.lane : (uint16_t)cu_below(&c.fault_rng, CRASH_LANES);
				uint32_t number = 0;
				if (cv_machine_select(c.m, lane, &number) == CV_OK)
					*session = number;
			} else {
				/* The customer hesitates (long enough for kills to land here) and may walk away. */
				struct timespec think = {.tv_nsec = 300000};
				nanosleep(&think, NULL);
			}
		} else if (info.state <= CV_VEND_STATE_AUTHORIZED && cu_chance(&c.fault_rng, CUSTOMER_CANCEL)) {
			(void)cv_machine_cancel(c.m);
		}
		return;
	}
	uint16_t lane = (uint16_t)cu_below(&c.fault_rng, CRASH_LANES);
	uint32_t number = 0;
	enum cv_status rc = cv_machine_select(c.m, lane, &number);
	if (rc == CV_OK) {
		*session = number;
	} else if (rc == CV_E_STATE || rc == CV_E_MISUSE || rc == CV_E_INVAL) {
		fprintf(stderr, "kill-child[%" PRIu32 "]: select: %s\n", c.life, cv_status_name(rc));
		exit(CRASH_EXIT_ENGINE);
	}
	/* Sold out, busy (every slot settling), quarantined: choose again next time. */
}

/* ---- Start ---------------------------------------------------------------- */

static bool count_drop(void *arg, char *line, uint64_t offset, uint64_t end)
{
	(void)arg;
	(void)offset;
	(void)end;
	unsigned life = 0, lane = 0;
	if (line[0] != 'P')
		return line[0] == 'M';
	if (sscanf(line, "P %u %u", &life, &lane) != 2 || lane >= CRASH_LANES || c.physical_stock[lane] == 0)
		return false;
	c.physical_stock[lane]--;
	return true;
}

static void lanes_setup(struct cv_lane_config lanes[CRASH_LANES])
{
	for (uint16_t i = 0; i < CRASH_LANES; i++) {
		struct cv_lane_config *l = &lanes[i];
		cv_lane_config_default(l);
		snprintf(l->label, sizeof(l->label), "%c%u", 'A' + i / 8, (unsigned)(i % 8 + 1));
		snprintf(l->product_id, sizeof(l->product_id), "SKU-%02u", (unsigned)i);
		snprintf(l->product_name, sizeof(l->product_name), "Candy %u", (unsigned)i);
		l->price_minor = crash_price(i);
		l->capacity = CRASH_CAPACITY;
		l->count = CRASH_CAPACITY;
		l->low_stock_threshold = 0;
		l->verify_mode = CV_VERIFY_MODE_REQUIRED;
		l->vend_quarter_turns = 4;
		l->respin_count_max = 3;
		l->respin_quarter_turns = 2;
		l->quarantine_after_failures = 255;
	}
}

static void timeouts_setup(struct cv_timeouts *t)
{
	t->payment_ms = 2000;
	t->lookup_ms = 2000;
	t->settle_ms = 2000;
	t->motor_ms = 2000;
	t->verify_ms = 200;
	t->session_ms = 1500;
	t->retry_base_ms = 100;
	t->retry_cap_ms = 1600;
	t->message_ms = 300;
	t->sync_ms = 2000;
	t->flush_ms = 300;
}

static void write_final(void)
{
	char path[4096];
	cu_path(path, sizeof(path), c.dir, CRASH_FILE_FINAL);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		world_fail("final.txt");
	for (uint16_t i = 0; i < CRASH_LANES; i++) {
		struct cv_lane_info info;
		if (cv_machine_lane_info(c.m, i, &info) != CV_OK)
			exit(CRASH_EXIT_ENGINE);
		fprintf(f, "lane %u %u\n", (unsigned)i, (unsigned)info.config.count);
	}
	if (fclose(f) != 0)
		world_fail("final.txt");
}

int main(int argc, char **argv)
{
	if ((argc != 5 && argc != 6) || (strcmp(argv[2], "vend") != 0 && strcmp(argv[2], "settle") != 0)) {
		fprintf(stderr, "usage: kill-child DIR vend|settle LIFE SEED [READY_FD]\n");
		return CRASH_EXIT_USAGE;
	}
	c.dir = argv[1];
	c.settle = strcmp(argv[2], "settle") == 0;
	c.life = (uint32_t)strtoul(argv[3], NULL, 10);
	uint64_t seed = strtoull(argv[4], NULL, 10);
	c.fault_rng = seed ^ ((uint64_t)c.life * 0xd1b54a32d192ed03u);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c.platform_rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec * 1000000000u ^ (uint64_t)ts.tv_nsec ^
			 ((uint64_t)c.life << 48);

	char path[4096], journal_dir[4096];
	cu_path(journal_dir, sizeof(journal_dir), c.dir, CRASH_DIR_JOURNAL);
	if (mkdir(journal_dir, 0700) != 0 && errno != EEXIST)
		world_fail("mkdir journal");
	for (unsigned i = 0; i < CRASH_LANES; i++)
		c.physical_stock[i] = CRASH_CAPACITY;
	cu_path(path, sizeof(path), c.dir, CRASH_FILE_BIN);
	if (cu_log_open(&c.bin, path, count_drop, NULL) != 0)
		world_fail("bin log");
	cu_path(path, sizeof(path), c.dir, CRASH_FILE_RECOVERY);
	if (cu_log_open(&c.recovery, path, NULL, NULL) != 0)
		world_fail("recovery log");
	cu_path(path, sizeof(path), c.dir, CRASH_FILE_LIVES);
	if (cu_log_open(&c.lives, path, NULL, NULL) != 0)
		world_fail("lives log");
	cu_path(path, sizeof(path), c.dir, CRASH_FILE_PROCESSOR);
	if (fp_open(&c.fp, path, c.life) != 0)
		world_fail("processor log");

	struct cv_posix_storage_config storage_config;
	cv_posix_storage_config_default(&storage_config);
	storage_config.directory = journal_dir;
	storage_config.segment_size_bytes = CRASH_SEGMENT_SIZE;
	struct cv_posix_storage *storage = NULL;
	enum cv_status rc = cv_posix_storage_open(&storage_config, &storage);
	if (rc != CV_OK) {
		fprintf(stderr, "kill-child[%" PRIu32 "]: cv_posix_storage_open: %s\n", c.life, cv_status_name(rc));
		return CRASH_EXIT_INIT;
	}

	struct cv_lane_config lanes[CRASH_LANES];
	lanes_setup(lanes);
	struct cv_machine_config config;
	cv_machine_config_default(&config);
	snprintf(config.machine_id, sizeof(config.machine_id), "crash-1");
	snprintf(config.currency, sizeof(config.currency), CRASH_CURRENCY);
	config.lanes = lanes;
	config.lane_count = CRASH_LANES;
	timeouts_setup(&config.timeouts);
	config.platform = &platform_ops;
	config.dispenser = &dispenser_ops;
	config.sensor = &sensor_ops;
	config.payment = &payment_ops;
	config.storage = &cv_posix_storage_ops;
	config.storage_ctx = storage;
	config.on_event = on_event;
	/* The checker reads the journal's whole history: no checkpoints, so nothing is trimmed. */
	config.checkpoint_records = 0;
	rc = cv_machine_new(&config, &c.m);
	char line[64];
	snprintf(line, sizeof(line), "S %" PRIu32 " %d", c.life, (int)rc);
	if (cu_log_append(&c.lives, line, false) != 0)
		world_fail("lives log");
	if (rc != CV_OK) {
		fprintf(stderr, "kill-child[%" PRIu32 "]: cv_machine_init: %s\n", c.life, cv_status_name(rc));
		return CRASH_EXIT_INIT;
	}
	if (argc == 6) {
		int ready_fd = atoi(argv[5]);
		if (write(ready_fd, "R", 1) != 1)
			world_fail("ready pipe");
		close(ready_fd);
	}

	/* The previous life's open vends are settled before anyone may buy. */
	bool recovering = true;
	uint32_t budget = 0, session = 0;
	for (;;) {
		rc = cv_machine_step(c.m, c.now_ms);
		if (rc != CV_OK) {
			fprintf(stderr, "kill-child[%" PRIu32 "]: step: %s\n", c.life, cv_status_name(rc));
			return CRASH_EXIT_ENGINE;
		}
		c.now_ms += TICK_MS;
		if (recovering) {
			if (cv_machine_open_vends(c.m) == 0) {
				if (c.settle)
					break;
				recovering = false;
			} else if (++budget > SETTLE_BUDGET) {
				fprintf(stderr, "kill-child[%" PRIu32 "]: %u vends still open after %u steps\n", c.life,
					cv_machine_open_vends(c.m), SETTLE_BUDGET);
				return CRASH_EXIT_STUCK;
			}
			continue;
		}
		customer(&session);
	}

	write_final();
	cv_machine_free(c.m);
	cv_posix_storage_close(storage);
	fp_close(c.fp);
	cu_log_close(&c.bin);
	cu_log_close(&c.recovery);
	cu_log_close(&c.lives);
	return CRASH_EXIT_SETTLED;
}
