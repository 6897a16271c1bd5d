/* SPDX-License-Identifier: MIT */
/* The bench of the GPIO tests: the real engine (cv_machine) with the sim's
 * payment terminal, RAM storage, and the real GPIO backends linked against
 * the fake libgpiod. The test plays the hardware: a model turns each lane's
 * index switch while its motor output is on, and breaks the beam when an
 * item falls. Time is virtual and advances 1 ms per tick. */
#ifndef CANDYVEND_GPIO_HARNESS_H
#define CANDYVEND_GPIO_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/candyvend.h>
#include <candyvend/linux_gpio.h>
#include <candyvend/sim.h>

#define GH_CHIP "gpiochip0"
#define GH_CHIP_LINES 32
#define GH_LANES_MAX 4
#define GH_ALERTS_MAX 64

/* A two-lane configuration: A1 motor 17 index 27, A2 motor 18 index 28, beam 22. */
extern const char gh_config_default[];

/* The physical model of one lane. */
struct gh_lane_model {
	uint32_t ms_per_pulse; /* Motor time between index pulses (default 200). */
	uint32_t pulse_ms;     /* How long the switch stays closed (default 30). */
	unsigned bounce_edges; /* Extra contact bounces (toggles 1 ms apart) at each closing. */
	bool jammed;           /* The motor is on but nothing turns. */
	uint32_t falls;        /* Bit k: an item falls after movement k (0-based) stops. */
	/* State. */
	bool motor_was_on;
	uint32_t run_ms;
	unsigned movements; /* Motor on→off transitions seen. */
	unsigned pulses_made;
	uint64_t release_at; /* When the closed switch opens again (0: open). */
	unsigned bounce_left;
};

struct gh_beam_model {
	uint32_t drop_delay_ms; /* From motor stop to the item in the beam (default 80). */
	uint32_t break_ms;      /* How long a falling item blocks it (default 25). */
	uint64_t break_at;      /* Scheduled break (0: none). */
	uint64_t clear_at;      /* Scheduled clear (0: none). */
	bool blocked;
};

struct gh {
	struct cv_gpio_config gpio_config;
	struct cv_gpio *gpio;
	struct cv_sim *sim;
	struct cv_machine *m;
	void *memory;
	struct cv_ram_storage storage;
	uint8_t journal[1 << 16];
	struct cv_lane_config lanes[GH_LANES_MAX];
	uint16_t lane_count;
	uint64_t now_ms;
	bool model_on; /* Run the hardware model each tick (default true). */
	struct gh_lane_model lane_model[GH_LANES_MAX];
	struct gh_beam_model beam;
	/* What the engine said. */
	enum cv_vend_state vend_state[64];
	struct cv_vend_info vend[64];
	struct cv_alert alerts[GH_ALERTS_MAX];
	unsigned alert_count;
};

extern struct gh gh;

/* Resets the fake (one chip of 32 lines), parses @p config_text into
 * gh.gpio_config and fills gh.lanes from its labels (price 150, 5 items,
 * verification required, one turn per vend, one full-turn re-spin).
 * Change gh.lanes / gh.lane_model / gh.beam, then gh_start(). */
void gh_prepare(const char *config_text);
/* Opens the backend and the machine; asserts success. */
void gh_start(void);
/* Criterion .fini: closes everything, checks that no line stays requested
 * and that no read would ever have blocked, and fails on leaks. */
void gh_teardown(void);

/* Advances @p ms ticks: model, sim, cv_gpio_process, cv_machine_step. */
void gh_run(uint64_t ms);
/* Runs until the vend reaches a final state or @p limit_ms passes; returns its state. */
enum cv_vend_state gh_run_vend(uint32_t vend_number, uint64_t limit_ms);
/* Selects a lane (the sim presents an approved card by itself). */
uint32_t gh_select(uint16_t lane);

/* Logical motor state of a lane, read from the fake's physical output level. */
bool gh_motor_on(uint16_t lane);
/* Drives the beam / an index switch to logical @p active now (polarity from the config). */
void gh_drive_beam(bool blocked);
void gh_drive_index(uint16_t lane, bool closed);

unsigned gh_alerts(enum cv_alert_kind kind, bool active);
struct cv_gpio_stats gh_stats(void);

#endif
