/* SPDX-License-Identifier: MIT */
/* The exhaustive model check (suite 'model'): the real engine, on a journal
 * storage whose syncs complete at once or when told, driven through every
 * interleaving of inputs up to a bounded depth: customer select, cancel and
 * walk-away (time passing); every payment result for authorize, lookup,
 * capture and void, and lost answers; a key in limbo landing late; motor
 * done, jam, error, lost (timeout); drops while the sensor watches (early,
 * late, false); sensor faults; syncs completing or failing; power cuts
 * (losing what no sync confirmed, or keeping it all) with a restart on the
 * same storage; service mode between vends; a journal
 * write failing; two inputs arriving before one step; and, in one
 * configuration, a hostile reader whose approvals carry card numbers (dots
 * between the digit groups, digits split across neighbouring fields, a card
 * number as the capture deadline). States are told apart by a hash of what
 * the engine and the world can observe.
 *
 * Every state reached is checked against the ledger and the processor of
 * model_world.c (written from the payment and vending rules, not from the
 * engine's flags); every leaf is run to quiescence with truthful answers and
 * its books checked. The first broken rule stops the run with the inputs
 * that led there. The state table's coverage is reported; a row no run
 * took, or an edge the table refused, fails the check.
 *
 * CI budget: each configuration below explores to the depth it names:
 * about 75 s in all under ASan on one core of the development machine,
 * under 3 minutes on the CI machine (2 cores). Deeper runs:
 * CV_MODEL_DEPTH=n adds n to every configuration's depth (n may be
 * negative for a quick look). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine_private.h"
#include "model_world.h"

enum input_kind {
	IN_SELECT,
	IN_CANCEL,
	IN_TICK_SHORT, /* Retries and backoff come due. */
	IN_TICK_LONG,  /* Every timeout: payment, motor, verify, session (a walk-away). */
	IN_PAY,
	IN_LOSE,
	IN_MOTOR,
	IN_LAND,
	IN_DROP,
	IN_SENSOR_FAULT,
	IN_SENSOR_OK,
	IN_SYNC_OK,
	IN_SYNC_FAIL,
	IN_CUT,
	IN_CUT_KEEP, /* A power cut after the disk wrote what no sync had confirmed yet. */
	IN_SERVICE,
	IN_APPEND_FAILS, /* The next journal write fails. */
	IN_DEFER,        /* The next input comes before the engine steps: two inputs in one step. */
};

struct input {
	uint8_t kind;
	uint8_t a; /* Request, or vend. */
	uint8_t b; /* Result code, status, or key. */
	uint8_t short_amount;
};

#define INPUTS_MAX 400
#define DEPTH_MAX 24

/* --- Which answers a truthful-enough processor may give. --- */

static const enum cv_pay_result all_results[] = {
	CV_PAY_OK,      CV_PAY_DECLINED,     CV_PAY_CANCELLED, CV_PAY_NOT_SENT, CV_PAY_NOT_FOUND,    CV_PAY_INVALID,
	CV_PAY_UNKNOWN, CV_PAY_RATE_LIMITED, CV_PAY_EXPIRED,   CV_PAY_CONFLICT, CV_PAY_READER_FAULT,
};

/* Answers that tell nothing about the key: allowed whatever it is. The
 * reader's cancel and fault mean nothing was sent for an authorization,
 * and a lookup refused or failed tells nothing either; for a capture or a
 * void they are failures for good (below). */
static bool result_is_transient(enum cv_payment_op op, enum cv_pay_result r)
{
	switch (r) {
	case CV_PAY_UNKNOWN:
	case CV_PAY_NOT_SENT:
	case CV_PAY_RATE_LIMITED:
	case CV_PAY_CONFLICT:
		return true;
	case CV_PAY_CANCELLED:
		return op == CV_PAYMENT_OP_AUTHORIZE;
	case CV_PAY_READER_FAULT:
		return op == CV_PAYMENT_OP_AUTHORIZE || op == CV_PAYMENT_OP_LOOKUP;
	case CV_PAY_INVALID:
	case CV_PAY_EXPIRED:
		return op == CV_PAYMENT_OP_LOOKUP;
	default:
		return false;
	}
}

static bool result_allowed(enum cv_payment_op op, uint8_t s, bool refused, enum cv_pay_result r)
{
	if (result_is_transient(op, r))
		return true;
	/* A settlement refused for good is replayed as refused (same key). */
	if (refused && (op == CV_PAYMENT_OP_CAPTURE || op == CV_PAYMENT_OP_VOID))
		return r == CV_PAY_INVALID;
	switch (op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		if (r == CV_PAY_OK)
			return s == MK_NEVER || s == MK_LIMBO || s == MK_HELD;
		if (r == CV_PAY_DECLINED)
			return s == MK_NEVER || s == MK_LIMBO || s == MK_DECLINED;
		if (r == CV_PAY_INVALID) /* Nothing created, or a spent key. */
			return s != MK_HELD && s != MK_DECLINED;
		return r == CV_PAY_EXPIRED && (s == MK_NEVER || s == MK_LIMBO);
	case CV_PAYMENT_OP_LOOKUP:
		if (r == CV_PAY_OK)
			return s == MK_HELD;
		if (r == CV_PAY_DECLINED)
			return s == MK_DECLINED;
		if (r == CV_PAY_NOT_FOUND)
			return s == MK_NEVER || s == MK_LIMBO || s == MK_DEAD;
		return r == CV_PAY_CANCELLED && (s == MK_VOIDED || s == MK_EXPIRED);
	default: {
		uint8_t done = op == CV_PAYMENT_OP_CAPTURE ? MK_CAPTURED : MK_VOIDED;
		if (r == CV_PAY_OK)
			return s == MK_HELD || s == done;
		if (r == CV_PAY_NOT_FOUND)
			return s != MK_HELD && s != MK_CAPTURED;
		return s == MK_HELD; /* Refused for good: the hold lapses. */
	}
	}
}

/* --- Inputs. --- */

static unsigned inputs_enabled(struct input *out)
{
	unsigned n = 0;
	out[n++] = (struct input){.kind = IN_SELECT};
	out[n++] = (struct input){.kind = IN_CANCEL};
	out[n++] = (struct input){.kind = IN_TICK_SHORT};
	out[n++] = (struct input){.kind = IN_TICK_LONG};
	for (unsigned r = 0; r < W.req_count; r++) {
		const struct model_req *req = &W.reqs[r];
		out[n++] = (struct input){.kind = IN_LOSE, .a = (uint8_t)r};
		if (req->motor) {
			out[n++] = (struct input){.kind = IN_MOTOR, .a = (uint8_t)r, .b = CV_OK};
			out[n++] = (struct input){.kind = IN_MOTOR, .a = (uint8_t)r, .b = CV_E_JAM};
			out[n++] = (struct input){.kind = IN_MOTOR, .a = (uint8_t)r, .b = CV_E_IO};
			continue;
		}
		uint8_t s = W.vends[req->vend].keys[req->key];
		bool refused = W.vends[req->vend].void_refused[req->key];
		for (unsigned i = 0; i < sizeof(all_results) / sizeof(all_results[0]); i++)
			if (result_allowed(req->op, s, refused, all_results[i]))
				out[n++] =
					(struct input){.kind = IN_PAY, .a = (uint8_t)r, .b = (uint8_t)all_results[i]};
		if (req->op == CV_PAYMENT_OP_AUTHORIZE && (s == MK_NEVER || s == MK_LIMBO))
			out[n++] = (struct input){.kind = IN_PAY, .a = (uint8_t)r, .b = CV_PAY_OK, .short_amount = 1};
	}
	for (unsigned v = 0; v < W.vend_count; v++)
		for (unsigned k = 1; k <= MODEL_KEYS_MAX; k++)
			if (W.vends[v].keys[k] == MK_LIMBO)
				out[n++] = (struct input){.kind = IN_LAND, .a = (uint8_t)v, .b = (uint8_t)k};
	if (W.sensor_armed && !W.sensor_faulted)
		out[n++] = (struct input){.kind = IN_DROP};
	out[n++] = (struct input){.kind = W.sensor_faulted ? IN_SENSOR_OK : IN_SENSOR_FAULT};
	if (held_storage_sync_waiting(&W.storage)) {
		out[n++] = (struct input){.kind = IN_SYNC_OK};
		out[n++] = (struct input){.kind = IN_SYNC_FAIL};
	}
	out[n++] = (struct input){.kind = IN_CUT};
	if (W.storage.length > W.storage.durable_length)
		out[n++] = (struct input){.kind = IN_CUT_KEEP};
	out[n++] = (struct input){.kind = IN_SERVICE};
	if (!W.storage.fail_next_append)
		out[n++] = (struct input){.kind = IN_APPEND_FAILS};
	if (!W.defer_step)
		out[n++] = (struct input){.kind = IN_DEFER};
	return n;
}

static void post_or_fail(const struct cv_event *ev)
{
	if (cv_machine_post(W.m, ev) != CV_OK)
		model_violation("the engine refused an input event");
}

static void service_toggle(void)
{
	if (cv_machine_in_service(W.m))
		cv_machine_service_exit(W.m);
	else
		cv_machine_service_enter(W.m); /* Refused while a customer is served: that's fine. */
}

static void input_apply(const struct input *in)
{
	struct cv_event ev;
	uint32_t number = 0;
	switch (in->kind) {
	case IN_SELECT:
		if (cv_machine_select(W.m, 0, &number) == CV_OK)
			model_vend_selected(number);
		break;
	case IN_CANCEL:
		if (cv_machine_cancel(W.m) == CV_OK && W.session_vend >= 0)
			W.vends[W.session_vend].customer_left = true;
		break;
	case IN_TICK_SHORT:
		W.now_ms += 11;
		break;
	case IN_TICK_LONG:
		W.now_ms += 1001;
		break;
	case IN_PAY:
		model_answer_payment(in->a, (enum cv_pay_result)in->b, in->short_amount);
		break;
	case IN_LOSE:
		model_lose_request(in->a);
		break;
	case IN_MOTOR:
		model_answer_motor(in->a, (enum cv_status)in->b);
		break;
	case IN_LAND:
		model_key_lands(in->a, in->b);
		break;
	case IN_DROP:
		W.vends[W.sensor_vend].drop_seen = true;
		ev = (struct cv_event){.type = CV_EVENT_DROP_DETECTED};
		ev.u.drop.op_id = W.sensor_op_id;
		post_or_fail(&ev);
		break;
	case IN_SENSOR_FAULT:
	case IN_SENSOR_OK:
		W.sensor_faulted = in->kind == IN_SENSOR_FAULT;
		ev = (struct cv_event){.type = CV_EVENT_SENSOR_STATUS};
		ev.u.sensor.faulted = W.sensor_faulted;
		post_or_fail(&ev);
		break;
	case IN_SYNC_OK:
		held_storage_complete(&W.storage, CV_OK);
		break;
	case IN_SYNC_FAIL:
		held_storage_complete(&W.storage, CV_E_IO);
		break;
	case IN_CUT:
	case IN_CUT_KEEP:
		model_power_cut(in->kind == IN_CUT_KEEP);
		return;
	case IN_APPEND_FAILS:
		W.storage.fail_next_append = true;
		return;
	case IN_DEFER:
		W.defer_step = true;
		return;
	default:
		service_toggle();
		break;
	}
	if (W.defer_step) {
		W.defer_step = false;
		return;
	}
	if (W.m != NULL && cv_machine_step(W.m, W.now_ms) != CV_OK)
		model_violation("step refused");
}

static const char *result_name(uint8_t r)
{
	return cv_pay_result_str((enum cv_pay_result)r);
}

static void input_print(const struct input *in, FILE *f)
{
	static const char *const names[] = {"select",
					    "cancel",
					    "tick 11 ms",
					    "tick 1001 ms",
					    "answer",
					    "lose answer",
					    "motor",
					    "key lands",
					    "drop seen",
					    "sensor fault",
					    "sensor ok",
					    "sync done",
					    "sync fails",
					    "power cut",
					    "power cut keeping unsynced records",
					    "service toggle",
					    "the next journal write fails",
					    "the next input comes before a step"};
	fprintf(f, "%s", names[in->kind]);
	if (in->kind == IN_PAY)
		fprintf(f, " request %u: %s%s", in->a, result_name(in->b), in->short_amount ? " (short)" : "");
	else if (in->kind == IN_LOSE)
		fprintf(f, " of request %u", in->a);
	else if (in->kind == IN_MOTOR)
		fprintf(f, " request %u: %s", in->a, cv_status_str((enum cv_status)in->b));
	else if (in->kind == IN_LAND)
		fprintf(f, ": vend %u .auth.%u", W.vends[in->a].number, in->b);
}

/* --- The observable state, hashed. --- */

struct hasher {
	uint64_t h;
};

static void hash_bytes(struct hasher *hs, const void *data, size_t length)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < length; i++)
		hs->h = (hs->h ^ p[i]) * 0x100000001b3u;
}

static void hash_u64(struct hasher *hs, uint64_t value)
{
	hash_bytes(hs, &value, sizeof(value));
}

static void hash_vend(struct hasher *hs, const struct cv_machine *m, const struct cv_vend *v)
{
	uint8_t fields[] = {(uint8_t)v->state,
			    (uint8_t)v->reason,
			    v->key,
			    v->owner,
			    v->auth_attempt,
			    v->auth_tries,
			    v->respins,
			    v->drop_verified,
			    v->sensor_armed,
			    v->unwatched,
			    (uint8_t)v->op,
			    v->op_started,
			    (uint8_t)(v->attempts > 4 ? 4 : v->attempts)};
	hash_bytes(hs, fields, sizeof(fields));
	hash_u64(hs, m->durable_seq >= v->wait_seq);
	hash_u64(hs, v->next_attempt_ms > m->now_ms);
	hash_u64(hs, v->op_deadline_ms > m->now_ms);
	hash_u64(hs, v->session_deadline_ms > m->now_ms);
	hash_u64(hs, m->session == v);
}

static void hash_engine(struct hasher *hs, const struct cv_machine *m)
{
	for (unsigned i = 0; i < CV_VENDS_MAX; i++)
		if (m->vends[i].in_use)
			hash_vend(hs, m, &m->vends[i]);
	uint8_t fields[] = {m->sensor_faulted,
			    m->journal_fault,
			    m->sync_failed,
			    m->in_service,
			    m->durable_seq < m->last_seq,
			    m->sync_requested_seq < m->last_seq};
	hash_bytes(hs, fields, sizeof(fields));
	const struct cv_lane *lane = &m->lanes[0];
	uint8_t lane_fields[] = {(uint8_t)lane->config.count, lane->quarantined, lane->enabled,
				 lane->consecutive_failures};
	hash_bytes(hs, lane_fields, sizeof(lane_fields));
	hash_u64(hs, (uint64_t)m->stats.captured_minor);
	hash_u64(hs, m->stats.vends_voided + 7u * m->stats.vends_abandoned + 49u * m->stats.vends_void_failed);
}

static uint64_t state_hash(void)
{
	struct hasher hs = {.h = 0xcbf29ce484222325u};
	if (W.m != NULL)
		hash_engine(&hs, W.m);
	for (unsigned r = 0; r < W.req_count; r++) {
		const struct model_req *q = &W.reqs[r];
		uint8_t fields[] = {q->motor, (uint8_t)q->op, q->vend, q->key};
		hash_bytes(&hs, fields, sizeof(fields));
	}
	for (unsigned v = 0; v < W.vend_count; v++) {
		const struct model_vend *mv = &W.vends[v];
		hash_bytes(&hs, mv->keys, sizeof(mv->keys));
		hash_bytes(&hs, mv->held_amount, sizeof(mv->held_amount));
		hash_bytes(&hs, mv->void_refused, sizeof(mv->void_refused));
		uint8_t fields[] = {mv->drop_seen, mv->unwatched, mv->customer_left, mv->motor_started,
				    (uint8_t)(mv->life == W.life)};
		hash_bytes(&hs, fields, sizeof(fields));
	}
	uint8_t world[] = {W.sensor_faulted,
			   W.sensor_armed,
			   held_storage_sync_waiting(&W.storage),
			   W.storage.fail_next_append,
			   W.defer_step,
			   (uint8_t)(W.m != NULL ? W.m->queue.count : 0),
			   (uint8_t)W.unverified_alerts,
			   (uint8_t)(W.session_vend < 0 ? 255 : W.session_vend)};
	hash_bytes(&hs, world, sizeof(world));
	return hs.h;
}

/* --- Visited states: hash → the shallowest depth seen. --- */

struct visited {
	uint64_t *keys;
	uint8_t *depth;
	size_t capacity;
	size_t count;
};

static struct visited seen;

static void visited_grow(void);

/* Whether the state was already explored from this depth or a shallower one; records it if not. */
static bool visited_check(uint64_t h, unsigned depth)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot. */
	if (seen.count * 2 >= seen.capacity)
		visited_grow();
	size_t i = h & (seen.capacity - 1);
	while (seen.keys[i] != 0 && seen.keys[i] != h)
		i = (i + 1) & (seen.capacity - 1);
	if (seen.keys[i] == h) {
		if (seen.depth[i] <= depth)
			return true;
		seen.depth[i] = (uint8_t)depth;
		return false;
	}
	seen.keys[i] = h;
	seen.depth[i] = (uint8_t)depth;
	seen.count++;
	return false;
}

static void visited_grow(void)
{
	struct visited old = seen;
	seen.capacity = old.capacity ? old.capacity * 2 : 1u << 16;
	seen.keys = calloc(seen.capacity, sizeof(*seen.keys));
	seen.depth = calloc(seen.capacity, 1);
	seen.count = 0;
	if (seen.keys == NULL || seen.depth == NULL) {
		fprintf(stderr, "model: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < old.capacity; i++)
		if (old.keys[i] != 0)
			visited_check(old.keys[i], old.depth[i]);
	free(old.keys);
	free(old.depth);
}

/* --- The search. --- */

struct run {
	const char *name;
	bool immediate_sync;
	enum cv_verify_mode mode;
	bool hostile;
	unsigned depth;
};

static struct {
	unsigned long long states;
	unsigned long long edges;
	unsigned long long leaves;
	unsigned max_depth;
	unsigned long long rows[64];
	unsigned long long refused;
	char refused_text[160];
} stats;

static struct input trace[DEPTH_MAX];
static struct model_world saved[DEPTH_MAX + 1];
static struct input choices[DEPTH_MAX + 1][INPUTS_MAX];

void cv_model_edge_taken(unsigned row);
void cv_model_edge_refused(unsigned from, unsigned trigger, unsigned key, unsigned owner);

void cv_model_edge_taken(unsigned row)
{
	if (row < sizeof(stats.rows) / sizeof(stats.rows[0]))
		stats.rows[row]++;
}

/* The engine asked for an edge the table does not allow. Counted, and the
 * search goes on (the engine takes the edge in this build), so that the
 * ledger shows what the edge would have done: the table and the ledger
 * are two oracles, and a planted bug must get past neither. */
void cv_model_edge_refused(unsigned from, unsigned trigger, unsigned key, unsigned owner)
{
	if (stats.refused++ == 0)
		snprintf(stats.refused_text, sizeof(stats.refused_text), "%s --%s--> with key %s, owner %s",
			 from == CV_VEND_STATE_START ? "START" : cv_vend_state_str((enum cv_vend_state)from),
			 cv_vend_trigger_name((enum cv_vend_trigger)trigger), cv_vend_key_name((enum cv_vend_key)key),
			 cv_vend_owner_name((enum cv_vend_owner)owner));
}

static void report_violation(const struct run *run, unsigned depth)
{
	printf("VIOLATION (%s): %s\n", run->name, W.violation);
	if (stats.refused > 0)
		printf("  (the state table had refused %llu edges before; the first: %s)\n", stats.refused,
		       stats.refused_text);
	printf("  after:");
	for (unsigned i = 0; i < depth; i++) {
		printf("\n    %u. ", i + 1);
		input_print(&trace[i], stdout);
	}
	printf("\n");
	fflush(stdout);
	exit(1);
}

static void explore(const struct run *run, unsigned depth)
{
	if (visited_check(state_hash(), depth))
		return;
	stats.states++;
	if (depth > stats.max_depth)
		stats.max_depth = depth;
	if (depth == run->depth || W.m == NULL) {
		stats.leaves++;
		saved[depth] = W;
		model_check_quiescent();
		if (W.violation[0] != '\0')
			report_violation(run, depth);
		W = saved[depth];
		return;
	}
	saved[depth] = W;
	unsigned n = inputs_enabled(choices[depth]);
	for (unsigned i = 0; i < n; i++) {
		trace[depth] = choices[depth][i];
		input_apply(&choices[depth][i]);
		stats.edges++;
		if (W.violation[0] != '\0')
			report_violation(run, depth + 1);
		explore(run, depth + 1);
		W = saved[depth];
	}
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void run_model(const struct run *run, int extra_depth)
{
	struct run r = *run;
	r.depth = (unsigned)((int)r.depth + extra_depth < 1 ? 1 : (int)r.depth + extra_depth);
	if (r.depth > DEPTH_MAX)
		r.depth = DEPTH_MAX;
	free(seen.keys);
	free(seen.depth);
	memset(&seen, 0, sizeof(seen));
	unsigned long long states0 = stats.states, edges0 = stats.edges, leaves0 = stats.leaves;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	model_world_setup(r.immediate_sync, r.mode, r.hostile);
	if (!model_world_boot())
		report_violation(&r, 0);
	explore(&r, 0);
	printf("model: %-34s depth %2u: %9llu states, %10llu edges, %8llu leaves checked quiet, %.1f s\n", r.name,
	       r.depth, stats.states - states0, stats.edges - edges0, stats.leaves - leaves0, seconds_since(&t0));
	fflush(stdout);
}

/* Cheapest first, so that a planted bug is found as soon as it can be. */
static const struct run runs[] = {
	/* Every journal byte of every leaf scanned: a shallower search. */
	{"hostile reader, journal scanned", true, CV_VERIFY_MODE_REQUIRED, true, 7},
	{"sync when told, sensor required", false, CV_VERIFY_MODE_REQUIRED, false, 10},
	{"sync when told, sensor optional", false, CV_VERIFY_MODE_OPTIONAL, false, 10},
	{"sync at once, sensor optional", true, CV_VERIFY_MODE_OPTIONAL, false, 8},
	{"sync at once, sensor required", true, CV_VERIFY_MODE_REQUIRED, false, 9},
};

static bool report_rows(void)
{
	unsigned taken = 0;
	for (unsigned i = 0; i < cv_vend_edge_count; i++)
		taken += stats.rows[i] > 0;
	printf("model: table rows exercised: %u of %u\n", taken, cv_vend_edge_count);
	for (unsigned i = 0; i < cv_vend_edge_count; i++) {
		const struct cv_vend_edge *e = &cv_vend_edges[i];
		printf("  %-3s %-16s --%-14s--> %-16s %10llu\n", stats.rows[i] ? "" : "NOT",
		       e->from == CV_VEND_STATE_START ? "START" : cv_vend_state_str((enum cv_vend_state)e->from),
		       cv_vend_trigger_name((enum cv_vend_trigger)e->trigger),
		       cv_vend_state_str((enum cv_vend_state)e->to), stats.rows[i]);
	}
	return taken == cv_vend_edge_count;
}

int main(void)
{
	const char *extra = getenv("CV_MODEL_DEPTH");
	int extra_depth = extra != NULL ? atoi(extra) : 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		run_model(&runs[i], extra_depth);
	printf("model: %llu states, %llu edges, max depth %u, %llu leaves checked quiet, %.1f s\n", stats.states,
	       stats.edges, stats.max_depth, stats.leaves, seconds_since(&t0));
	bool all_rows = report_rows();
	if (stats.refused > 0) {
		printf("FAIL: the state table refused %llu edges the engine asked for; the first: %s\n", stats.refused,
		       stats.refused_text);
		return 3;
	}
	if (!all_rows) {
		printf("FAIL: a row of the state table was never taken\n");
		return 2;
	}
	printf("model: no violation\n");
	return 0;
}
