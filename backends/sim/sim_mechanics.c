/* SPDX-License-Identifier: MIT */
/*
 * Simulated dispenser and drop sensor: the physical truth of the lanes.
 *
 * A movement runs for motor_ms per quarter turn. At its end the lane may
 * push its front item out (the stock drops then: the item has left the
 * lane) and the item lands in the bin drop_delay_ms later, where an armed,
 * healthy sensor reports it. Decisions are taken when they physically
 * happen, so stop() before the end leaves the lane untouched.
 *
 * Choices this file makes (sim.h leaves them open):
 * - MOTOR_SILENT: the motor stalls without ever reporting; nothing falls and
 *   the dispenser stays busy until stop() is called for that lane.
 * - A stuck item (PRODUCT_STUCK, stuck_permille) hangs on the movement that
 *   should have pushed it and falls on the next good movement of its lane.
 * - A wedged item (PRODUCT_WEDGED) never falls; it still counts as stock.
 *   Only an operator frees it: cv_sim_load() on the lane (the door is open,
 *   the item is put right).
 * - Product faults and stuck_permille apply to a fresh front item, i.e. a
 *   good movement of a lane whose front item is neither stuck nor wedged.
 * - A false-drop movement (FALSE_DROP, false_drop_permille) pushes nothing
 *   out, and the armed beam fires drop_delay_ms after its end.
 * - The beam can't tell lanes apart: while armed it reports every landing
 *   with the op_id it was armed with, whatever the lane.
 * - MISSED_DROP and missed_drop_permille apply to landings the sensor is
 *   watching (armed and healthy). missed_drops counts landings an armed
 *   sensor did not report, faulted sensor included; landings while disarmed
 *   are in items_dropped only.
 * - stop() on a lane that isn't moving, and disarm() while not armed, are
 *   no-ops answering CV_OK; disarm() with another op_id is CV_E_STATE.
 */
#include <string.h>

#include "sim_private.h"

void cv_sim_mechanics_init(struct cv_sim *sim)
{
	for (size_t i = 0; i < CV_LANES_MAX; i++) {
		sim->lanes[i].stock = sim->config.stock[i];
		sim->lanes[i].front = CV_SIM_ITEM_NORMAL;
	}
}

/* Turns an entry into a DROP_DETECTED for the armed op. */
static void cv_sim_entry_make_drop(struct cv_sim *sim, struct cv_sim_entry *entry)
{
	entry->task = CV_SIM_TASK_POST;
	memset(&entry->ev, 0, sizeof(entry->ev));
	entry->ev.type = CV_EVENT_DROP_DETECTED;
	entry->ev.time_ms = entry->due_ms;
	entry->ev.u.drop.op_id = sim->sensor_op_id;
	sim->sensor_reports++;
}

/* ---- Dispenser ----------------------------------------------------------- */

/* A good movement reaches its end: does the front item leave the lane? */
static bool cv_sim_lane_release(struct cv_sim *sim, struct cv_sim_lane *lane)
{
	if (lane->stock == 0) {
		lane->front = CV_SIM_ITEM_NORMAL;
		return false;
	}
	if (lane->front == CV_SIM_ITEM_WEDGED)
		return false;
	if (lane->front == CV_SIM_ITEM_NORMAL) {
		int fault = cv_sim_fault_pop(sim, CV_SIM_KIND_PRODUCT);
		bool stuck = cv_sim_rng_chance(sim, sim->config.stuck_permille);
		if (fault == CV_SIM_FAULT_PRODUCT_WEDGED) {
			lane->front = CV_SIM_ITEM_WEDGED;
			return false;
		}
		if (fault == CV_SIM_FAULT_PRODUCT_STUCK || (stuck && fault == CV_SIM_FAULT_NONE)) {
			lane->front = CV_SIM_ITEM_STUCK;
			return false;
		}
	}
	/* A stuck item is pushed loose by this movement; a fresh one just falls. */
	lane->front = CV_SIM_ITEM_NORMAL;
	lane->stock--;
	return true;
}

/* Scheduler task: the movement ends; the entry becomes its DISPENSE_DONE. */
void cv_sim_motor_end(struct cv_sim *sim, struct cv_sim_entry *entry)
{
	struct cv_sim_motion *motion = &sim->motion;
	struct cv_sim_entry *fall = cv_sim_sched_find_motion(sim, CV_SIM_TASK_FALL, entry->motion_id);
	bool falls =
		motion->status == CV_OK && !motion->false_drop && cv_sim_lane_release(sim, &sim->lanes[motion->lane]);
	if (fall != NULL) {
		if (falls)
			cv_sim_sched_arm(sim, fall, entry->due_ms + sim->config.drop_delay_ms);
		else
			fall->used = false;
	}
	motion->running = false;
	entry->task = CV_SIM_TASK_POST;
	memset(&entry->ev, 0, sizeof(entry->ev));
	entry->ev.type = CV_EVENT_DISPENSE_DONE;
	entry->ev.time_ms = entry->due_ms;
	entry->ev.u.dispense.op_id = motion->op_id;
	entry->ev.u.dispense.lane = motion->lane;
	entry->ev.u.dispense.status = motion->status;
}

/* Scheduler task: an item lands in the bin. */
void cv_sim_fall_land(struct cv_sim *sim, struct cv_sim_entry *entry)
{
	sim->items_dropped++;
	if (!sim->sensor_armed) {
		entry->used = false;
		return;
	}
	if (sim->sensor_faulted) {
		sim->missed_drops++;
		entry->used = false;
		return;
	}
	int fault = cv_sim_fault_pop(sim, CV_SIM_KIND_FALL);
	bool missed = cv_sim_rng_chance(sim, sim->config.missed_drop_permille);
	if (fault == CV_SIM_FAULT_MISSED_DROP || missed) {
		sim->missed_drops++;
		entry->used = false;
		return;
	}
	cv_sim_entry_make_drop(sim, entry);
}

/* Scheduler task: the beam fires with nothing in it. */
void cv_sim_false_fire(struct cv_sim *sim, struct cv_sim_entry *entry)
{
	if (!sim->sensor_armed || sim->sensor_faulted) {
		entry->used = false;
		return;
	}
	sim->false_drops++;
	cv_sim_entry_make_drop(sim, entry);
}

/* Reserves the movement's entries: its end (unless silent), the landing it
 * may cause (parked until the end decides) and a false firing. Scheduler
 * room was checked by the caller. */
static void cv_sim_motion_schedule(struct cv_sim *sim, uint8_t quarter_turns)
{
	const struct cv_sim_motion *motion = &sim->motion;
	uint64_t end = sim->now_ms + (uint64_t)sim->config.motor_ms * quarter_turns;
	if (!motion->silent) {
		cv_sim_sched_add(sim, end, CV_SIM_TASK_MOTOR_END, motion->id);
		cv_sim_sched_add(sim, 0, CV_SIM_TASK_FALL, motion->id)->parked = true;
	}
	if (motion->false_drop)
		cv_sim_sched_add(sim, end + sim->config.drop_delay_ms, CV_SIM_TASK_FALSE_FIRE, motion->id);
}

static enum cv_status cv_sim_disp_start(void *ctx, const struct cv_dispense_request *request)
{
	struct cv_sim *sim = ctx;
	if (request == NULL || request->lane >= sim->config.lane_count || request->quarter_turns == 0)
		return CV_E_INVAL;
	if (!(sim->open_mask & CV_SIM_OPEN_DISPENSER))
		return CV_E_STATE;
	if (sim->motion.running)
		return CV_E_BUSY;
	if (cv_sim_sched_free_count(sim) < 3)
		return CV_E_FULL;
	int motor_fault = cv_sim_fault_pop(sim, CV_SIM_KIND_MOTOR);
	bool jam = cv_sim_rng_chance(sim, sim->config.jam_permille);
	int false_fault = cv_sim_fault_pop(sim, CV_SIM_KIND_FALSE_DROP);
	bool false_drop = cv_sim_rng_chance(sim, sim->config.false_drop_permille);

	struct cv_sim_motion *motion = &sim->motion;
	memset(motion, 0, sizeof(*motion));
	motion->running = true;
	motion->id = ++sim->motion_counter;
	motion->op_id = request->op_id;
	motion->lane = request->lane;
	motion->silent = motor_fault == CV_SIM_FAULT_MOTOR_SILENT;
	motion->status = CV_OK;
	if (motor_fault == CV_SIM_FAULT_MOTOR_JAM || (jam && motor_fault == CV_SIM_FAULT_NONE))
		motion->status = CV_E_JAM;
	motion->false_drop = false_fault == CV_SIM_FAULT_FALSE_DROP || false_drop;
	cv_sim_motion_schedule(sim, request->quarter_turns);
	return CV_PENDING;
}

/* Cancels the movement: no completion, no landing, the lane untouched. */
static enum cv_status cv_sim_disp_stop(void *ctx, uint16_t lane)
{
	struct cv_sim *sim = ctx;
	if (lane >= sim->config.lane_count)
		return CV_E_INVAL;
	if (!sim->motion.running || sim->motion.lane != lane)
		return CV_OK;
	cv_sim_sched_remove_motion(sim, sim->motion.id);
	sim->motion.running = false;
	return CV_OK;
}

static uint32_t cv_sim_disp_caps(void *ctx)
{
	(void)ctx;
	return CV_DISPENSER_CAP_PARTIAL_TURN; /* Any number of quarter turns. */
}

static enum cv_status cv_sim_disp_open(void *ctx, struct cv_machine *machine)
{
	return cv_sim_table_open(ctx, machine, CV_SIM_OPEN_DISPENSER);
}

static void cv_sim_disp_close(void *ctx)
{
	cv_sim_table_close(ctx, CV_SIM_OPEN_DISPENSER);
}

CV_SIM_EXPORT const struct cv_dispenser_ops cv_sim_dispenser_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "sim-dispenser",
	.caps = cv_sim_disp_caps,
	.open = cv_sim_disp_open,
	.close = cv_sim_disp_close,
	.start = cv_sim_disp_start,
	.stop = cv_sim_disp_stop,
};

/* ---- Drop sensor --------------------------------------------------------- */

static void cv_sim_sensor_post_status(struct cv_sim *sim)
{
	struct cv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = CV_EVENT_SENSOR_STATUS;
	ev.time_ms = sim->now_ms;
	ev.u.sensor.faulted = sim->sensor_faulted;
	cv_sim_post_now(sim, &ev);
}

/* A sensor already faulty when opened says so, as a real one would. */
static enum cv_status cv_sim_sensor_open(void *ctx, struct cv_machine *machine)
{
	struct cv_sim *sim = ctx;
	enum cv_status rc = cv_sim_table_open(sim, machine, CV_SIM_OPEN_SENSOR);
	if (rc == CV_OK && sim->sensor_faulted)
		cv_sim_sensor_post_status(sim);
	return rc;
}

static void cv_sim_sensor_close(void *ctx)
{
	cv_sim_table_close(ctx, CV_SIM_OPEN_SENSOR);
}

/* Arming again replaces the op_id: the sensor watches for one vend. */
static enum cv_status cv_sim_sensor_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	struct cv_sim *sim = ctx;
	if (lane >= sim->config.lane_count)
		return CV_E_INVAL;
	if (!(sim->open_mask & CV_SIM_OPEN_SENSOR))
		return CV_E_STATE;
	sim->sensor_armed = true;
	sim->sensor_op_id = op_id;
	return CV_OK;
}

static enum cv_status cv_sim_sensor_disarm(void *ctx, uint32_t op_id)
{
	struct cv_sim *sim = ctx;
	if (!sim->sensor_armed)
		return CV_OK;
	if (sim->sensor_op_id != op_id)
		return CV_E_STATE;
	sim->sensor_armed = false;
	return CV_OK;
}

CV_SIM_EXPORT const struct cv_sensor_ops cv_sim_sensor_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "sim-sensor",
	.open = cv_sim_sensor_open,
	.close = cv_sim_sensor_close,
	.arm = cv_sim_sensor_arm,
	.disarm = cv_sim_sensor_disarm,
};

CV_SIM_EXPORT void cv_sim_set_sensor_fault(struct cv_sim *sim, bool faulted)
{
	if (sim == NULL)
		return;
	sim->sensor_faulted = faulted;
	cv_sim_sensor_post_status(sim);
}

/* ---- Operator and truth -------------------------------------------------- */

CV_SIM_EXPORT enum cv_status cv_sim_load(struct cv_sim *sim, uint16_t lane, uint16_t added)
{
	if (sim == NULL)
		return CV_E_INVAL;
	if (lane >= sim->config.lane_count)
		return CV_E_NOT_FOUND;
	struct cv_sim_lane *target = &sim->lanes[lane];
	uint32_t stock = (uint32_t)target->stock + added;
	target->stock = stock > UINT16_MAX ? UINT16_MAX : (uint16_t)stock;
	target->front = CV_SIM_ITEM_NORMAL;
	return CV_OK;
}

void cv_sim_mechanics_truth(const struct cv_sim *sim, struct cv_sim_truth *out)
{
	for (size_t i = 0; i < sim->config.lane_count; i++)
		out->stock[i] = sim->lanes[i].stock;
	out->items_dropped = sim->items_dropped;
	out->false_drops = sim->false_drops;
	out->sensor_reports = sim->sensor_reports;
	out->missed_drops = sim->missed_drops;
	out->motor_running = sim->motion.running ? 1u : 0u;
}
