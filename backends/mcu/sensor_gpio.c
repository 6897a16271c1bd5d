/* SPDX-License-Identifier: MIT */
/* GPIO drop sensor: debounced beam blockings while armed become drop events. */
#include "sensor_gpio.h"

#include <string.h>

#include <candyvend/machine.h>

static enum cv_status cv_mcu_sensor_open(void *ctx, struct cv_machine *machine)
{
	struct cv_mcu_sensor *s = ctx;
	s->machine = machine;
	return CV_OK;
}

static enum cv_status cv_mcu_sensor_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	struct cv_mcu_sensor *s = ctx;
	(void)lane; /* One beam across the common chute. */
	s->armed = true;
	s->op_id = op_id;
	/* A beam blocked before arming is not this vend's drop. */
	s->counted = s->blocked;
	return CV_OK;
}

static enum cv_status cv_mcu_sensor_disarm(void *ctx, uint32_t op_id)
{
	struct cv_mcu_sensor *s = ctx;
	if (s->armed && s->op_id == op_id)
		s->armed = false;
	return CV_OK;
}

void cv_mcu_sensor_poll(struct cv_mcu_sensor *s, uint64_t now_ms)
{
	bool blocked = (cv_mcu_pins_read(&s->pins) >> s->beam_pin) & 1u;
	if (blocked && !s->blocked) {
		s->blocked_since_ms = now_ms;
		s->counted = false;
	}
	s->blocked = blocked;
	if (blocked && !s->counted && s->armed && !s->post_pending && now_ms - s->blocked_since_ms >= s->debounce_ms) {
		s->counted = true;
		memset(&s->pending, 0, sizeof(s->pending));
		s->pending.type = CV_EVENT_DROP_DETECTED;
		s->pending.u.drop.op_id = s->op_id;
		s->post_pending = true;
		s->drops_reported++;
	}
	if (s->post_pending && cv_machine_post(s->machine, &s->pending) != CV_E_FULL)
		s->post_pending = false;
}

const struct cv_sensor_ops cv_mcu_sensor_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "mcu-beam",
	.open = cv_mcu_sensor_open,
	.arm = cv_mcu_sensor_arm,
	.disarm = cv_mcu_sensor_disarm,
};

void cv_mcu_sensor_init(struct cv_mcu_sensor *sensor, struct cv_mcu_pins pins, uint8_t beam_pin, uint32_t debounce_ms)
{
	memset(sensor, 0, sizeof(*sensor));
	sensor->pins = pins;
	sensor->beam_pin = beam_pin;
	sensor->debounce_ms = debounce_ms;
}
