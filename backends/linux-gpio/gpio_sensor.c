/* SPDX-License-Identifier: MIT */
/* The drop beam: one input over the delivery bin, shared by all lanes. A
 * debounced break while armed is a drop; a beam blocked longer than
 * beam_stuck_ms makes the sensor faulted until it clears. Arming a blocked
 * beam is refused: a drop can only be seen as a new break, so a blocked
 * beam would miss it and the engine would turn the motor again. The engine
 * counts the refusal as a sensor fault, which the beam clears when it is
 * released. */
#include <candyvend/machine.h>

#include "gpio_private.h"

static void cv_gpio_beam_post_status(struct cv_gpio *gpio, bool faulted)
{
	gpio->beam_faulted = faulted;
	cv_gpio_beam_report(gpio);
}

void cv_gpio_beam_on_change(struct cv_gpio *gpio, enum cv_gpio_change change)
{
	if (change == CV_GPIO_CHANGE_RELEASED) {
		if (gpio->beam_faulted)
			cv_gpio_beam_post_status(gpio, false);
		return;
	}
	if (change != CV_GPIO_CHANGE_ACTIVATED)
		return;
	gpio->stats.beam_breaks++;
	if (!gpio->beam_armed)
		return;
	struct cv_event event = {.type = CV_EVENT_DROP_DETECTED};
	event.u.drop.op_id = gpio->beam_op_id;
	gpio->stats.drops_posted++;
	cv_gpio_post(gpio, gpio->sensor_machine, &event);
}

void cv_gpio_beam_tick(struct cv_gpio *gpio)
{
	if (gpio->beam.level && !gpio->beam_faulted &&
	    gpio->now_ms >= gpio->beam.changed_ms + gpio->config.beam_stuck_ms)
		cv_gpio_beam_post_status(gpio, true);
}

int64_t cv_gpio_beam_wait_ms(const struct cv_gpio *gpio, uint64_t now_ms)
{
	if (!gpio->beam.level || gpio->beam_faulted)
		return -1;
	uint64_t due = gpio->beam.changed_ms + gpio->config.beam_stuck_ms;
	return due > now_ms ? (int64_t)(due - now_ms) : 0;
}

static enum cv_status cv_gpio_sensor_open(void *ctx, struct cv_machine *machine)
{
	struct cv_gpio *gpio = ctx;
	gpio->sensor_machine = machine;
	gpio->beam_armed = false;
	/* A new machine starts healthy; a blocked beam faults it again. */
	gpio->beam_faulted = gpio->beam_faulted_reported = gpio->beam_report_waiting = false;
	return CV_OK;
}

static void cv_gpio_sensor_close(void *ctx)
{
	struct cv_gpio *gpio = ctx;
	gpio->beam_armed = false;
	gpio->sensor_machine = NULL;
}

static enum cv_status cv_gpio_sensor_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	struct cv_gpio *gpio = ctx;
	if (lane >= gpio->config.lane_count)
		return CV_E_NOT_FOUND;
	if (gpio->beam.level) {
		/* The engine marks itself faulted on this refusal: so does the beam,
		 * and its release tells the engine it is clear. */
		gpio->beam_faulted = gpio->beam_faulted_reported = true;
		gpio->beam_report_waiting = false;
		return CV_E_IO;
	}
	gpio->beam_armed = true; /* One beam: the latest arm wins. */
	gpio->beam_op_id = op_id;
	return CV_OK;
}

static enum cv_status cv_gpio_sensor_disarm(void *ctx, uint32_t op_id)
{
	struct cv_gpio *gpio = ctx;
	if (gpio->beam_armed && gpio->beam_op_id == op_id)
		gpio->beam_armed = false;
	return CV_OK;
}

CV_GPIO_EXPORT const struct cv_sensor_ops cv_gpio_sensor_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "linux-gpio-beam",
	.open = cv_gpio_sensor_open,
	.close = cv_gpio_sensor_close,
	.arm = cv_gpio_sensor_arm,
	.disarm = cv_gpio_sensor_disarm,
};
