/* SPDX-License-Identifier: MIT */
/* GPIO dispenser: motor on, count index pulses, motor off, report. */
#include "dispenser_gpio.h"

#include <string.h>

#include <candyvend/machine.h>

static enum cv_status cv_mcu_dispenser_open(void *ctx, struct cv_machine *machine)
{
	struct cv_mcu_dispenser *d = ctx;
	d->machine = machine;
	return CV_OK;
}

static uint32_t cv_mcu_dispenser_caps(void *ctx)
{
	(void)ctx;
	return CV_DISPENSER_CAP_PARTIAL_TURN; /* One index pulse per quarter turn. */
}

static void cv_mcu_dispenser_motor(struct cv_mcu_dispenser *d, uint16_t lane, bool on)
{
	uint32_t bit = 1u << d->config.motor_pin[lane];
	cv_mcu_pins_write(&d->pins, bit, on ? bit : 0);
}

static bool cv_mcu_dispenser_index(const struct cv_mcu_dispenser *d)
{
	return (cv_mcu_pins_read(&d->pins) >> d->config.index_pin[d->lane]) & 1u;
}

static enum cv_status cv_mcu_dispenser_start(void *ctx, const struct cv_dispense_request *request)
{
	struct cv_mcu_dispenser *d = ctx;
	if (request->lane >= d->config.lane_count || request->quarter_turns == 0)
		return CV_E_INVAL;
	if (d->running || d->post_pending)
		return CV_E_BUSY;
	d->running = true;
	d->lane = request->lane;
	d->op_id = request->op_id;
	d->turns_wanted = request->quarter_turns;
	d->turns_seen = 0;
	d->index_level = cv_mcu_dispenser_index(d);
	d->last_pulse_ms = d->now_ms;
	d->movements++;
	cv_mcu_dispenser_motor(d, d->lane, true);
	return CV_PENDING;
}

static enum cv_status cv_mcu_dispenser_stop(void *ctx, uint16_t lane)
{
	struct cv_mcu_dispenser *d = ctx;
	if (lane >= d->config.lane_count)
		return CV_E_INVAL;
	cv_mcu_dispenser_motor(d, lane, false);
	if (d->running && d->lane == lane)
		d->running = false; /* Stopped on request: nothing more is posted. */
	return CV_OK;
}

static void cv_mcu_dispenser_finish(struct cv_mcu_dispenser *d, enum cv_status status)
{
	cv_mcu_dispenser_motor(d, d->lane, false);
	d->running = false;
	memset(&d->pending, 0, sizeof(d->pending));
	d->pending.type = CV_EVENT_DISPENSE_DONE;
	d->pending.u.dispense.op_id = d->op_id;
	d->pending.u.dispense.lane = d->lane;
	d->pending.u.dispense.status = status;
	d->post_pending = true;
	if (status == CV_E_JAM)
		d->jams++;
}

void cv_mcu_dispenser_poll(struct cv_mcu_dispenser *d, uint64_t now_ms)
{
	d->now_ms = now_ms;
	if (d->running) {
		bool level = cv_mcu_dispenser_index(d);
		if (level && !d->index_level) { /* Rising edge: one quarter turn. */
			d->turns_seen++;
			d->last_pulse_ms = now_ms;
		}
		d->index_level = level;
		if (d->turns_seen >= d->turns_wanted)
			cv_mcu_dispenser_finish(d, CV_OK);
		else if (now_ms - d->last_pulse_ms >= d->config.stall_ms)
			cv_mcu_dispenser_finish(d, CV_E_JAM);
	}
	if (d->post_pending && cv_machine_post(d->machine, &d->pending) != CV_E_FULL)
		d->post_pending = false;
}

const struct cv_dispenser_ops cv_mcu_dispenser_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "mcu-gpio",
	.caps = cv_mcu_dispenser_caps,
	.open = cv_mcu_dispenser_open,
	.start = cv_mcu_dispenser_start,
	.stop = cv_mcu_dispenser_stop,
};

void cv_mcu_dispenser_init(struct cv_mcu_dispenser *dispenser, const struct cv_mcu_dispenser_config *config,
			   struct cv_mcu_pins pins)
{
	memset(dispenser, 0, sizeof(*dispenser));
	dispenser->config = *config;
	dispenser->pins = pins;
	for (uint16_t i = 0; i < config->lane_count; i++)
		cv_mcu_dispenser_motor(dispenser, i, false);
}
