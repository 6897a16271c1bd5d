/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine: configuration, seeded randomness, the scheduler of
 * pending completions, scripted faults and the physical truth.
 *
 * Time belongs to the caller: operations schedule their completion at
 * "now + latency" and cv_sim_step() posts whatever is due, in due-time order
 * (ties in the order they were scheduled), so the same seed and the same calls
 * always give the same run.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_private.h"

/* Seed of the platform stream: any constant that differs from 0 keeps the
 * two streams apart. */
#define CV_SIM_PLATFORM_SEED_XOR 0xC0FFEE5EEDF00D5Eull

/* ---- PRNG ---------------------------------------------------------------- */

/* splitmix64 finalizer: also used to derive values (auth codes) that must not
 * consume the random stream. */
uint64_t cv_sim_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

uint64_t cv_sim_rng_next(struct cv_sim_rng *rng)
{
	rng->state += 0x9E3779B97F4A7C15ull;
	return cv_sim_mix(rng->state);
}

/* A value in [0, bound): multiply-shift, no modulo bias worth the name and
 * always exactly one draw, so the stream never depends on the value. */
uint32_t cv_sim_rng_below(struct cv_sim_rng *rng, uint32_t bound)
{
	uint64_t high = cv_sim_rng_next(rng) >> 32;
	return (uint32_t)((high * bound) >> 32);
}

/* One fault die. It is always rolled, even when the rate is 0 or a scripted
 * fault overrides it, so scripting a fault changes only the operation it
 * hits and not every later random choice. */
bool cv_sim_rng_chance(struct cv_sim *sim, uint16_t permille)
{
	return cv_sim_rng_below(&sim->rng, 1000) < permille;
}

/* ---- Scheduler ----------------------------------------------------------- */

/* Entries are taken lowest index first, so every scan can stop at the
 * high-water mark: a few entries instead of CV_SIM_SCHED_MAX. */
size_t cv_sim_sched_free_count(const struct cv_sim *sim)
{
	size_t count = CV_SIM_SCHED_MAX - sim->sched_high;
	for (size_t i = 0; i < sim->sched_high; i++)
		if (!sim->sched[i].used)
			count++;
	return count;
}

/* Takes a free entry; NULL when all CV_SIM_SCHED_MAX are pending. */
struct cv_sim_entry *cv_sim_sched_add(struct cv_sim *sim, uint64_t due_ms, enum cv_sim_task task, uint32_t motion_id)
{
	for (size_t i = 0; i < CV_SIM_SCHED_MAX; i++) {
		struct cv_sim_entry *entry = &sim->sched[i];
		if (entry->used)
			continue;
		memset(entry, 0, sizeof(*entry));
		if (i >= sim->sched_high)
			sim->sched_high = i + 1;
		entry->used = true;
		entry->task = task;
		entry->due_ms = due_ms;
		entry->seq = sim->next_seq++;
		entry->motion_id = motion_id;
		return entry;
	}
	return NULL;
}

/* Makes a parked (reserved) entry due; it queues behind everything scheduled
 * before it for the same time. */
void cv_sim_sched_arm(struct cv_sim *sim, struct cv_sim_entry *entry, uint64_t due_ms)
{
	entry->parked = false;
	entry->due_ms = due_ms;
	entry->seq = sim->next_seq++;
}

void cv_sim_sched_remove_motion(struct cv_sim *sim, uint32_t motion_id)
{
	for (size_t i = 0; i < sim->sched_high; i++) {
		struct cv_sim_entry *entry = &sim->sched[i];
		if (entry->used && entry->task != CV_SIM_TASK_POST && entry->motion_id == motion_id)
			entry->used = false;
	}
}

struct cv_sim_entry *cv_sim_sched_find_motion(struct cv_sim *sim, enum cv_sim_task task, uint32_t motion_id)
{
	for (size_t i = 0; i < sim->sched_high; i++) {
		struct cv_sim_entry *entry = &sim->sched[i];
		if (entry->used && entry->task == task && entry->motion_id == motion_id)
			return entry;
	}
	return NULL;
}

/* The earliest due entry (due_ms, then seq), or NULL. */
static struct cv_sim_entry *cv_sim_sched_next_due(struct cv_sim *sim)
{
	struct cv_sim_entry *best = NULL;
	for (size_t i = 0; i < sim->sched_high; i++) {
		struct cv_sim_entry *entry = &sim->sched[i];
		if (!entry->used || entry->parked || entry->due_ms > sim->now_ms)
			continue;
		if (best == NULL || entry->due_ms < best->due_ms ||
		    (entry->due_ms == best->due_ms && entry->seq < best->seq))
			best = entry;
	}
	return best;
}

/* Posts a due POST entry. The entry is freed before the call so a machine
 * that calls back into the sim can reuse it; it is restored if the engine's
 * queue is full. Returns false when delivery must wait for the next step. */
static bool cv_sim_sched_deliver(struct cv_sim *sim, struct cv_sim_entry *entry)
{
	/* With every table closed the machine may be gone (a power cut): the
	 * completion waits for the next machine to open the sim. */
	if (sim->machine == NULL || sim->open_mask == 0)
		return false;
	struct cv_event ev = entry->ev;
	entry->used = false;
	enum cv_status rc = cv_machine_post(sim->machine, &ev);
	if (rc == CV_E_FULL) {
		entry->used = true;
		return false;
	}
	/* Any other refusal is the engine's verdict on the event: dropped. */
	return true;
}

/* Runs an internal task; afterwards the entry is free or a POST. */
static void cv_sim_sched_run_task(struct cv_sim *sim, struct cv_sim_entry *entry)
{
	switch (entry->task) {
	case CV_SIM_TASK_MOTOR_END:
		cv_sim_motor_end(sim, entry);
		break;
	case CV_SIM_TASK_FALL:
		cv_sim_fall_land(sim, entry);
		break;
	case CV_SIM_TASK_FALSE_FIRE:
		cv_sim_false_fire(sim, entry);
		break;
	case CV_SIM_TASK_POST:
		break;
	}
}

/* Posts an event now; if the engine can't take it yet (or nothing is open),
 * it waits in the scheduler for the next step. Dropped only if that is full. */
void cv_sim_post_now(struct cv_sim *sim, const struct cv_event *ev)
{
	if (sim->machine != NULL && sim->open_mask != 0 && cv_machine_post(sim->machine, ev) != CV_E_FULL)
		return;
	struct cv_sim_entry *entry = cv_sim_sched_add(sim, sim->now_ms, CV_SIM_TASK_POST, 0);
	if (entry != NULL)
		entry->ev = *ev;
}

/* ---- Faults -------------------------------------------------------------- */

static enum cv_sim_fault_kind cv_sim_fault_kind_of(enum cv_sim_fault fault)
{
	switch (fault) {
	case CV_SIM_FAULT_AUTH_NOT_SENT:
	case CV_SIM_FAULT_AUTH_SILENT:
		return CV_SIM_KIND_AUTH;
	case CV_SIM_FAULT_LOOKUP_UNKNOWN:
		return CV_SIM_KIND_LOOKUP;
	case CV_SIM_FAULT_CAPTURE_UNKNOWN:
	case CV_SIM_FAULT_CAPTURE_REJECTED:
		return CV_SIM_KIND_CAPTURE;
	case CV_SIM_FAULT_VOID_UNKNOWN:
		return CV_SIM_KIND_VOID;
	case CV_SIM_FAULT_MOTOR_JAM:
	case CV_SIM_FAULT_MOTOR_SILENT:
		return CV_SIM_KIND_MOTOR;
	case CV_SIM_FAULT_PRODUCT_STUCK:
	case CV_SIM_FAULT_PRODUCT_WEDGED:
		return CV_SIM_KIND_PRODUCT;
	case CV_SIM_FAULT_MISSED_DROP:
		return CV_SIM_KIND_FALL;
	case CV_SIM_FAULT_FALSE_DROP:
		return CV_SIM_KIND_FALSE_DROP;
	}
	return CV_SIM_KIND_COUNT;
}

/* The oldest scripted fault of a kind, or CV_SIM_FAULT_NONE. */
int cv_sim_fault_pop(struct cv_sim *sim, enum cv_sim_fault_kind kind)
{
	struct cv_sim_fault_queue *queue = &sim->faults[kind];
	if (queue->count == 0)
		return CV_SIM_FAULT_NONE;
	int fault = queue->faults[queue->head];
	queue->head = (uint8_t)((queue->head + 1) % CV_SIM_FAULT_QUEUE_MAX);
	queue->count--;
	return fault;
}

CV_SIM_EXPORT enum cv_status cv_sim_script_fault(struct cv_sim *sim, enum cv_sim_fault fault)
{
	if (sim == NULL)
		return CV_E_INVAL;
	enum cv_sim_fault_kind kind = cv_sim_fault_kind_of(fault);
	if (kind == CV_SIM_KIND_COUNT)
		return CV_E_INVAL;
	struct cv_sim_fault_queue *queue = &sim->faults[kind];
	if (queue->count >= CV_SIM_FAULT_QUEUE_MAX)
		return CV_E_FULL;
	size_t tail = (queue->head + queue->count) % CV_SIM_FAULT_QUEUE_MAX;
	queue->faults[tail] = (uint8_t)fault;
	queue->count++;
	return CV_OK;
}

/* ---- Backend plumbing ---------------------------------------------------- */

/* All three tables share one sim and therefore must share one machine. */
enum cv_status cv_sim_table_open(struct cv_sim *sim, struct cv_machine *machine, unsigned bit)
{
	if (sim == NULL || machine == NULL)
		return CV_E_INVAL;
	if (sim->open_mask != 0 && sim->machine != machine)
		return CV_E_STATE;
	sim->machine = machine;
	sim->open_mask |= bit;
	return CV_OK;
}

/* The machine pointer is kept so completions still pending at close are
 * delivered after a reopen; another machine may take over only once every
 * table is closed (see cv_sim_table_open). */
void cv_sim_table_close(struct cv_sim *sim, unsigned bit)
{
	if (sim != NULL)
		sim->open_mask &= ~bit;
}

/* ---- Lifecycle ----------------------------------------------------------- */

CV_SIM_EXPORT void cv_sim_config_default(struct cv_sim_config *config)
{
	if (config == NULL)
		return;
	memset(config, 0, sizeof(*config));
	config->seed = 1;
	config->lane_count = 1;
	config->stock[0] = 10;
	config->payment_latency_ms = 300;
	config->motor_ms = 250;
	config->drop_delay_ms = 100;
}

static bool cv_sim_config_valid(const struct cv_sim_config *config)
{
	if (config->lane_count < 1 || config->lane_count > CV_LANES_MAX)
		return false;
	const uint16_t rates[] = {
		config->decline_permille,        config->unknown_permille,    config->lookup_unknown_permille,
		config->settle_unknown_permille, config->jam_permille,        config->stuck_permille,
		config->missed_drop_permille,    config->false_drop_permille,
	};
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i] > 1000)
			return false;
	if (config->link_count > CV_SIM_LINKS_MAX)
		return false;
	return config->link_outage_every_ms == 0 || config->link_outage_ms >= 1;
}

CV_SIM_EXPORT enum cv_status cv_sim_new(const struct cv_sim_config *config, struct cv_sim **out)
{
	if (config == NULL || out == NULL || !cv_sim_config_valid(config))
		return CV_E_INVAL;
	struct cv_sim *sim = calloc(1, sizeof(*sim));
	if (sim == NULL)
		return CV_E_NOMEM;
	sim->config = *config;
	/* Lanes past lane_count don't exist: no phantom stock in the truth. */
	for (size_t i = config->lane_count; i < CV_LANES_MAX; i++)
		sim->config.stock[i] = 0;
	sim->rng.state = config->seed;
	sim->platform_rng.state = config->seed ^ CV_SIM_PLATFORM_SEED_XOR;
	sim->next_seq = 1;
	if (sim->config.link_count == 0)
		sim->config.link_count = 1;
	cv_sim_mechanics_init(sim);
	cv_sim_links_init(sim);
	*out = sim;
	return CV_OK;
}

CV_SIM_EXPORT void cv_sim_free(struct cv_sim *sim)
{
	free(sim);
}

CV_SIM_EXPORT void cv_sim_step(struct cv_sim *sim, uint64_t now_ms)
{
	if (sim == NULL)
		return;
	/* Monotonic by contract; a clock that steps back must not rewind the sim. */
	if (now_ms > sim->now_ms)
		sim->now_ms = now_ms;
	cv_sim_links_advance(sim);
	/* Bounded: each round frees an entry or stops; internal tasks turn into at
	 * most one POST and may arm one parked entry, never add new ones. */
	for (;;) {
		struct cv_sim_entry *entry = cv_sim_sched_next_due(sim);
		if (entry == NULL)
			return;
		if (entry->task != CV_SIM_TASK_POST)
			cv_sim_sched_run_task(sim, entry);
		if (!entry->used || entry->task != CV_SIM_TASK_POST)
			continue;
		/* Later events wait behind one the engine can't take: order is kept. */
		if (!cv_sim_sched_deliver(sim, entry))
			return;
	}
}

CV_SIM_EXPORT void cv_sim_truth(const struct cv_sim *sim, struct cv_sim_truth *out)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (sim == NULL)
		return;
	cv_sim_mechanics_truth(sim, out);
	cv_sim_payment_truth(sim, out);
	cv_sim_links_truth(sim, out);
	cv_sim_offline_truth(sim, out);
}
