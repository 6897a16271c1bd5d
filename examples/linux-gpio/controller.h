/* SPDX-License-Identifier: MIT */
/* The GPIO controller example: the engine wired to the GPIO dispenser and
 * drop beam, a payment backend and the POSIX journal. */
#ifndef CANDYVEND_EXAMPLE_GPIO_CONTROLLER_H
#define CANDYVEND_EXAMPLE_GPIO_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/candyvend.h>
#include <candyvend/linux_gpio.h>
#include <candyvend/sim.h>
#include <candyvend/storage_posix.h>

struct controller_options {
	const char *config_path;
	const char *journal_dir; /* Created (0700) if missing. */
	int64_t price_minor;     /* Price of every lane on first start (then the journal keeps it). */
	uint16_t stock;          /* Items per lane on first start. */
};

struct controller {
	struct cv_gpio_config gpio_config;
	struct cv_gpio *gpio;
	struct cv_sim *payment; /* STAND-IN card reader: see controller.c. */
	struct cv_posix_storage *journal;
	struct cv_machine *machine;
	void *machine_memory;
	struct cv_lane_config lanes[CV_GPIO_LANES_MAX];
};

/* Monotonic time in ms. */
uint64_t controller_now_ms(void);
/* Opens everything; prints what failed and returns false. */
bool controller_open(struct controller *c, const struct controller_options *options);
/* Deinitializes the machine, turns the motors off, closes everything. */
void controller_close(struct controller *c);
/* One round of the loop after poll() returned. */
void controller_step(struct controller *c, uint64_t now_ms);
/* How long poll() may wait. */
int controller_timeout_ms(struct controller *c, uint64_t now_ms);
/* A console command: a lane label selects it; returns false for "quit". */
bool controller_command(struct controller *c, const char *line);

#endif
