/* SPDX-License-Identifier: MIT */
/* The dispensing side of a vend: motor movements, drop verification by the
 * lane's policy, re-spins, and the failures that count toward quarantine. */
#include "machine_private.h"

void cv_vend_sensor_release(struct cv_machine *m, struct cv_vend *v)
{
	if (!v->sensor_armed)
		return;
	m->config.sensor->disarm(m->config.sensor_ctx, v->sensor_op_id);
	v->sensor_armed = false;
}

/* The lane could not deliver: void the hold and count it against the lane.
 * A sensor fault is the machine's, not the lane's, so it does not count. */
static void cv_vend_dispense_failed(struct cv_machine *m, struct cv_vend *v, enum cv_vend_reason reason)
{
	cv_vend_sensor_release(m, v);
	if (reason != CV_VEND_REASON_SENSOR_FAULT)
		cv_lane_record_failure(m, v->lane);
	cv_vend_fire(m, v, CV_VEND_T_NOT_DELIVERED, reason);
}

/* The drop is proven: capture, and take the item from inventory. The
 * CAPTURE_PENDING record comes first and itself stands for the item taken
 * (replay takes it), so a torn journal can never keep the stock change
 * without the verified drop, or the other way round. */
void cv_vend_delivered(struct cv_machine *m, struct cv_vend *v)
{
	v->drop_verified = true;
	cv_vend_sensor_release(m, v);
	cv_vend_fire(m, v, CV_VEND_T_DROP_VERIFIED, CV_VEND_REASON_NONE);
	cv_lane_take_item(m, v->lane);
}

static bool cv_vend_sensor_needed(const struct cv_machine *m, const struct cv_vend *v)
{
	return m->lanes[v->lane].config.verify_mode != CV_VERIFY_MODE_OFF;
}

/* Whether a completed motor cycle alone proves delivery: always on a lane
 * without sensor; on an OPTIONAL lane only when one of this vend's
 * movements ran with no sensor watching it (a drop it never saw is no
 * proof of no drop, and a re-spin could then vend twice). A sensor that
 * watched a movement and then failed excuses nothing: it saw no drop while
 * it worked, and it can't see one now, so the vend is not delivered. */
static bool cv_vend_motor_proves_drop(const struct cv_machine *m, const struct cv_vend *v)
{
	enum cv_verify_mode mode = m->lanes[v->lane].config.verify_mode;
	bool excused = v->unwatched || (CV_MUTATED(CV_MUTANT_SENSOR_FAULT_PROVES) && m->sensor_faulted);
	return mode == CV_VERIFY_MODE_OFF || (mode == CV_VERIFY_MODE_OPTIONAL && excused);
}

/* A re-spin moves by the lane's partial step only where the dispenser can
 * stop short of a turn; otherwise it is a whole turn. */
static uint8_t cv_vend_movement_quarter_turns(const struct cv_machine *m, const struct cv_vend *v)
{
	const struct cv_lane_config *lane = &m->lanes[v->lane].config;
	if (v->respins == 0)
		return lane->vend_quarter_turns;
	return (m->dispenser_caps & CV_DISPENSER_CAP_PARTIAL_TURN) != 0 ? lane->respin_quarter_turns : 4;
}

static void cv_vend_sensor_fault(struct cv_machine *m)
{
	if (m->sensor_faulted)
		return;
	m->sensor_faulted = true;
	cv_machine_raise_alert(m, CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, true);
}

/* Arms the sensor before the first movement of a lane that uses it; a
 * sensor that refuses is faulted. */
static void cv_vend_sensor_arm(struct cv_machine *m, struct cv_vend *v)
{
	if (v->sensor_armed || !cv_vend_sensor_needed(m, v) || m->sensor_faulted)
		return;
	v->sensor_op_id = cv_machine_new_op_id(m);
	enum cv_status rc = m->config.sensor->arm(m->config.sensor_ctx, v->sensor_op_id, v->lane);
	if (rc == CV_OK || rc == CV_PENDING)
		v->sensor_armed = true;
	else
		cv_vend_sensor_fault(m);
}

bool cv_vend_motor_start(struct cv_machine *m, struct cv_vend *v)
{
	const struct cv_lane_config *lane = &m->lanes[v->lane].config;
	/* Never for a vend whose item fell, nor for one no customer waits for
	 * (a mutant may break it: the model check must then see what follows). */
#if !CV_MUTANT
	CV_ASSERT(!v->drop_verified && v->owner == CV_VEND_OWNER_CUSTOMER);
#endif
	cv_vend_sensor_arm(m, v); /* A failure marks the sensor faulted. */
	if (m->sensor_faulted && lane->verify_mode == CV_VERIFY_MODE_REQUIRED) {
		/* Never turn a motor whose result nobody can verify. */
		cv_vend_dispense_failed(m, v, CV_VEND_REASON_SENSOR_FAULT);
		return true;
	}
	if (lane->verify_mode == CV_VERIFY_MODE_OPTIONAL && !v->sensor_armed)
		v->unwatched = true;
	struct cv_dispense_request req = {
		.op_id = cv_machine_new_op_id(m),
		.lane = v->lane,
		.quarter_turns = cv_vend_movement_quarter_turns(m, v),
		.timeout_ms = m->config.timeouts.motor_ms,
	};
	v->op = CV_VEND_OP_MOTOR;
	v->op_id = req.op_id;
	v->op_started = true;
	v->op_deadline_ms = cv_deadline(m->now_ms, req.timeout_ms);
	enum cv_status rc = m->config.dispenser->start(m->config.dispenser_ctx, &req);
	if (rc != CV_OK && rc != CV_PENDING) {
		cv_vend_op_clear(v);
		cv_vend_dispense_failed(m, v, CV_VEND_REASON_DISPENSER_ERROR);
	}
	return true;
}

/* A motor that failed still delivered if the sensor saw the drop. */
static void cv_vend_motor_failed(struct cv_machine *m, struct cv_vend *v, enum cv_vend_reason reason)
{
	cv_lane_set_jam(m, v->lane, true);
	if (v->drop_verified)
		cv_vend_delivered(m, v);
	else
		cv_vend_dispense_failed(m, v, reason);
}

void cv_vend_motor_done(struct cv_machine *m, struct cv_vend *v, enum cv_status status)
{
	cv_vend_op_clear(v);
	if (status != CV_OK) {
		cv_vend_motor_failed(m, v,
				     status == CV_E_JAM ? CV_VEND_REASON_MOTOR_JAM : CV_VEND_REASON_DISPENSER_ERROR);
		return;
	}
	cv_lane_set_jam(m, v->lane, false);
	cv_vend_fire(m, v, CV_VEND_T_MOTOR_HOME, CV_VEND_REASON_NONE);
	v->op_deadline_ms = cv_deadline(m->now_ms, m->config.timeouts.verify_ms);
}

void cv_vend_motor_timeout(struct cv_machine *m, struct cv_vend *v)
{
	if (CV_OPS_HAS(struct cv_dispenser_ops, m->config.dispenser, stop))
		m->config.dispenser->stop(m->config.dispenser_ctx, v->lane);
	cv_vend_op_clear(v);
	cv_vend_motor_failed(m, v, CV_VEND_REASON_MOTOR_TIMEOUT);
}

void cv_vend_drop_seen(struct cv_machine *m, struct cv_vend *v)
{
	(void)m;
	/* Counted once; VERIFYING acts on it, DISPENSING waits for the motor. */
	if (v->state == CV_VEND_STATE_DISPENSING || v->state == CV_VEND_STATE_VERIFYING)
		v->drop_verified = true;
}

bool cv_vend_verify_tick(struct cv_machine *m, struct cv_vend *v)
{
	const struct cv_lane_config *lane = &m->lanes[v->lane].config;
	if (v->drop_verified || cv_vend_motor_proves_drop(m, v)) {
		cv_vend_delivered(m, v);
		return true;
	}
	/* A dead sensor can't confirm a re-spin either: stop before a double vend. */
	if (m->sensor_faulted) {
		cv_vend_dispense_failed(m, v, CV_VEND_REASON_SENSOR_FAULT);
		return true;
	}
	if (m->now_ms < v->op_deadline_ms)
		return false;
	if (v->respins < lane->respin_count_max) {
		v->respins++;
		cv_vend_fire(m, v, CV_VEND_T_RESPIN, CV_VEND_REASON_NONE);
		return true;
	}
	cv_vend_dispense_failed(m, v, CV_VEND_REASON_NO_DROP);
	return true;
}
