/* SPDX-License-Identifier: MIT */
/*
 * A worked example of libcandyvend backends: the dispenser and drop sensor
 * of a "bench board", a motor driver with a home switch and an infrared drop
 * beam. docs/writing-a-backend.md walks through this file and bench_board.c.
 *
 * The board's hardware is modelled in software (bench_board_poll() plays the
 * interrupts) so the example runs anywhere; on a real board the same code
 * would read GPIO edges instead.
 */
#ifndef BENCH_BOARD_H
#define BENCH_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/candyvend.h>

/* Milliseconds one quarter turn takes, and how long an item falls. */
#define BENCH_BOARD_QUARTER_TURN_MS 200u
#define BENCH_BOARD_FALL_MS 80u
/* Completions that can wait for the engine's queue at once (see below). */
#define BENCH_BOARD_WAITING_MAX 2u

/* The backend's own state: the ctx of both tables. The core never looks
 * inside; the application owns the memory (static on an MCU). */
struct bench_board {
	struct cv_machine *machine; /* Kept from open(): where completions go. */
	uint64_t now_ms;            /* The board's view of time, from bench_board_poll(). */
	/* The motor. */
	bool motor_running;
	uint32_t motor_op_id;
	uint16_t motor_lane;
	uint64_t motor_done_ms;
	/* The beam. */
	bool beam_armed;
	uint32_t beam_op_id;
	bool item_falling;
	uint64_t item_lands_ms;
	/* Completions cv_machine_post() refused with CV_E_FULL, kept in order to
	 * retry: never dropped. One motor and one beam: a movement's done and
	 * its drop are all that can wait at once. */
	struct cv_event waiting[BENCH_BOARD_WAITING_MAX];
	unsigned waiting_count;
	/* What the hardware did, for the example's checks. */
	uint16_t stock[CV_LANES_MAX];
	uint32_t items_dropped;
};

/* The tables to put in cv_machine_config (ctx = a struct bench_board). */
extern const struct cv_dispenser_ops bench_board_dispenser_ops;
extern const struct cv_sensor_ops bench_board_sensor_ops;

/* Prepares the board with the stock of each lane. */
void bench_board_init(struct bench_board *board, const uint16_t *stock, uint16_t lane_count);

/* The application's loop calls this before cv_machine_step(): the board's
 * "interrupts" happen here and their completions are posted. */
void bench_board_poll(struct bench_board *board, uint64_t now_ms);

#endif
