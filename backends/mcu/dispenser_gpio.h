/* SPDX-License-Identifier: MIT */
/* Dispenser on GPIO: one motor output pin per lane and one home/index input
 * pin per lane that pulses once per quarter turn. Polled from the main loop. */
#ifndef CANDYVEND_MCU_DISPENSER_GPIO_H
#define CANDYVEND_MCU_DISPENSER_GPIO_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/event.h>

#include "pins.h"

#define CV_MCU_DISPENSER_LANES_MAX 16

struct cv_mcu_dispenser_config {
	uint16_t lane_count;
	uint8_t motor_pin[CV_MCU_DISPENSER_LANES_MAX]; /* Output pin of each lane's motor. */
	uint8_t index_pin[CV_MCU_DISPENSER_LANES_MAX]; /* Input pin of each lane's index switch. */
	uint32_t stall_ms;                             /* No index pulse for this long while running: a jam. */
};

struct cv_mcu_dispenser {
	struct cv_mcu_dispenser_config config;
	struct cv_mcu_pins pins;
	struct cv_machine *machine;
	bool running;
	uint16_t lane;
	uint32_t op_id;
	uint8_t turns_wanted;   /* Quarter turns asked for. */
	uint8_t turns_seen;     /* Index pulses counted. */
	bool index_level;       /* Last level read. */
	uint64_t last_pulse_ms; /* Time of the last pulse (or of the start). */
	uint64_t now_ms;        /* Time of the last poll. */
	bool post_pending;      /* A completion the engine's queue refused, to retry. */
	struct cv_event pending;
	uint32_t movements; /* Counters for reports. */
	uint32_t jams;
};

extern const struct cv_dispenser_ops cv_mcu_dispenser_ops;

void cv_mcu_dispenser_init(struct cv_mcu_dispenser *dispenser, const struct cv_mcu_dispenser_config *config,
			   struct cv_mcu_pins pins);
/* Reads the index pins, counts pulses, stops the motor when done or
 * stalled and posts the completion. Call every loop; never blocks. */
void cv_mcu_dispenser_poll(struct cv_mcu_dispenser *dispenser, uint64_t now_ms);

#endif
