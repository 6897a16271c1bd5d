/* SPDX-License-Identifier: MIT */
/* Drop sensor on one GPIO input: a light beam across the delivery chute,
 * high while something blocks it. Polled, with a debounce. */
#ifndef CANDYVEND_MCU_SENSOR_GPIO_H
#define CANDYVEND_MCU_SENSOR_GPIO_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/event.h>

#include "pins.h"

struct cv_mcu_sensor {
	struct cv_mcu_pins pins;
	uint8_t beam_pin;
	uint32_t debounce_ms; /* The beam must stay blocked this long to count. */
	struct cv_machine *machine;
	bool armed;
	bool counted; /* This blocking was already reported. */
	uint32_t op_id;
	uint64_t blocked_since_ms;
	bool blocked;
	bool post_pending;
	struct cv_event pending;
	uint32_t drops_reported;
};

extern const struct cv_sensor_ops cv_mcu_sensor_ops;

void cv_mcu_sensor_init(struct cv_mcu_sensor *sensor, struct cv_mcu_pins pins, uint8_t beam_pin, uint32_t debounce_ms);
/* Reads the beam; posts CV_EVENT_DROP_DETECTED for each debounced blocking
 * while armed. Call every loop; never blocks. */
void cv_mcu_sensor_poll(struct cv_mcu_sensor *sensor, uint64_t now_ms);

#endif
