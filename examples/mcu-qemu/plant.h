/* SPDX-License-Identifier: MIT */
/* The hardware model: what QEMU can't provide. QEMU's CMSDK GPIO is a stub
 * (writes ignored, inputs read 0), so this model sits between the backends
 * and the real registers: every output write still goes to the GPIO
 * registers, and the input levels come from simulated mechanics (spiral
 * motors with an index switch, products that fall through a beam). */
#ifndef CV_FIRMWARE_PLANT_H
#define CV_FIRMWARE_PLANT_H

#include <stdbool.h>
#include <stdint.h>

#include "gpio_cmsdk.h"
#include "pins.h"

#define CV_PLANT_LANES 4
/* Pins: motors on GPIO0 bits 0-3, index switches on GPIO1 bits 0-3, beam on GPIO1 bit 8. */
#define CV_PLANT_BEAM_PIN 8u
#define CV_PLANT_QUARTER_MS 60u /* One quarter turn of a spiral. */
#define CV_PLANT_PULSE_MS 10u   /* Index switch closed per quarter turn. */
#define CV_PLANT_FALL_MS 20u    /* From leaving the spiral to the beam. */
#define CV_PLANT_BEAM_MS 30u    /* How long a falling product blocks the beam. */

struct cv_plant_lane {
	uint16_t stock;          /* Products physically in the spiral. */
	uint16_t dropped;        /* Products that fell into the chute. */
	uint8_t quarters_needed; /* Quarter turns that push the next product out. */
	uint8_t quarters_done;   /* Toward it. */
	uint8_t jams_left;       /* Movements that will stall. */
	uint8_t hang_extra;      /* Extra quarter turns the next product needs. */
	bool jammed_now;         /* The current movement stalled. */
	bool motor_on;
	uint32_t run_ms; /* Time the motor has turned in this quarter. */
	uint64_t pulse_until_ms;
	uint32_t quarters_total;
};

struct cv_plant {
	struct cv_mcu_gpio_cmsdk gpio; /* The real registers underneath. */
	struct cv_plant_lane lanes[CV_PLANT_LANES];
	uint64_t now_ms;
	uint64_t beam_from_ms, beam_until_ms;
	uint32_t register_writes; /* Output writes passed to the GPIO registers. */
};

extern const struct cv_mcu_pins_ops cv_plant_pins_ops;

void cv_plant_init(struct cv_plant *plant, const uint16_t stock[CV_PLANT_LANES]);
/* Advances the mechanics to @p now_ms (call once per ms). */
void cv_plant_tick(struct cv_plant *plant, uint64_t now_ms);
/* The next @p movements of @p lane stall. */
void cv_plant_fault_jam(struct cv_plant *plant, uint16_t lane, uint8_t movements);
/* The next product of @p lane hangs on the spiral for one more quarter turn. */
void cv_plant_fault_hang(struct cv_plant *plant, uint16_t lane);
/* No motor running and nothing falling. */
bool cv_plant_idle(const struct cv_plant *plant);

#endif
