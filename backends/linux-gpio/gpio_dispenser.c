/* SPDX-License-Identifier: MIT */
/* The dispenser: one motor output and one home/index switch per lane. A
 * movement runs the motor until the switch has closed the asked number of
 * times; no closing within motor_timeout_ms is a jam. */
#include <candyvend/machine.h>

#include "gpio_private.h"

static void cv_gpio_lane_finish(struct cv_gpio *gpio, struct cv_gpio_lane *lane, enum cv_status status)
{
	lane->moving = false;
	if (cv_gpio_motor_set(gpio, lane, false) != CV_OK)
		status = CV_E_IO; /* The motor may still run: never report it as done. */
	struct cv_event event = {.type = CV_EVENT_DISPENSE_DONE};
	event.u.dispense.op_id = lane->op_id;
	event.u.dispense.lane = (uint16_t)(lane - gpio->lanes);
	event.u.dispense.status = status;
	cv_gpio_post(gpio, gpio->dispenser_machine, &event);
}

void cv_gpio_lane_on_change(struct cv_gpio *gpio, struct cv_gpio_lane *lane, enum cv_gpio_change change)
{
	if (change != CV_GPIO_CHANGE_ACTIVATED || !lane->moving)
		return;
	gpio->stats.index_pulses++;
	lane->pulses_seen++;
	lane->pulse_deadline_ms = gpio->now_ms + gpio->config.motor_timeout_ms;
	if (lane->pulses_seen < lane->pulses_target)
		return;
	gpio->stats.movements_done++;
	cv_gpio_lane_finish(gpio, lane, CV_OK);
}

void cv_gpio_lane_tick(struct cv_gpio *gpio, struct cv_gpio_lane *lane)
{
	/* A switch closing that waits for its debounce time is not a jam yet. */
	if (!lane->moving || gpio->now_ms < lane->pulse_deadline_ms || (lane->index.pending && !lane->index.level))
		return;
	gpio->stats.jams++;
	cv_gpio_lane_finish(gpio, lane, CV_E_JAM);
}

static uint32_t cv_gpio_dispenser_caps(void *ctx)
{
	const struct cv_gpio *gpio = ctx;
	/* Any number of quarter turns only if every lane counts a pulse per
	 * quarter turn; otherwise the engine re-spins whole turns. */
	for (uint16_t i = 0; i < gpio->config.lane_count; i++)
		if (cv_gpio_lane_quarter_turns_min(gpio, i) != 1)
			return 0;
	return CV_DISPENSER_CAP_PARTIAL_TURN;
}

static enum cv_status cv_gpio_dispenser_open(void *ctx, struct cv_machine *machine)
{
	struct cv_gpio *gpio = ctx;
	gpio->dispenser_machine = machine;
	return CV_OK;
}

static void cv_gpio_dispenser_close(void *ctx)
{
	struct cv_gpio *gpio = ctx;
	for (uint16_t i = 0; i < gpio->config.lane_count; i++) {
		gpio->lanes[i].moving = false;
		(void)cv_gpio_motor_set(gpio, &gpio->lanes[i], false);
	}
	gpio->dispenser_machine = NULL;
}

static enum cv_status cv_gpio_dispenser_start(void *ctx, const struct cv_dispense_request *request)
{
	struct cv_gpio *gpio = ctx;
	if (request->lane >= gpio->config.lane_count)
		return CV_E_NOT_FOUND;
	struct cv_gpio_lane *lane = &gpio->lanes[request->lane];
	if (lane->moving)
		return CV_E_BUSY;
	uint32_t pulses = (uint32_t)request->quarter_turns * lane->config.pulses_per_turn;
	if (pulses == 0 || pulses % 4u != 0)
		return CV_E_INVAL; /* Not a whole number of index pulses: it can't be measured. */
	if (cv_gpio_motor_set(gpio, lane, true) != CV_OK) {
		(void)cv_gpio_motor_set(gpio, lane, false);
		return CV_E_IO;
	}
	lane->moving = true;
	lane->op_id = request->op_id;
	lane->pulses_target = pulses / 4u;
	lane->pulses_seen = 0;
	lane->pulse_deadline_ms = gpio->now_ms + gpio->config.motor_timeout_ms;
	return CV_PENDING;
}

/* The engine gave up (its own motor timeout): stop, report nothing more. */
static enum cv_status cv_gpio_dispenser_stop(void *ctx, uint16_t lane_index)
{
	struct cv_gpio *gpio = ctx;
	if (lane_index >= gpio->config.lane_count)
		return CV_E_NOT_FOUND;
	struct cv_gpio_lane *lane = &gpio->lanes[lane_index];
	lane->moving = false;
	return cv_gpio_motor_set(gpio, lane, false);
}

CV_GPIO_EXPORT const struct cv_dispenser_ops cv_gpio_dispenser_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "linux-gpio",
	.caps = cv_gpio_dispenser_caps,
	.open = cv_gpio_dispenser_open,
	.close = cv_gpio_dispenser_close,
	.start = cv_gpio_dispenser_start,
	.stop = cv_gpio_dispenser_stop,
};
