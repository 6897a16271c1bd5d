/* SPDX-License-Identifier: MIT */
/* The bench board's dispenser and drop sensor backends (see bench_board.h). */
#include <assert.h>
#include <string.h>

#include "bench_board.h"

void bench_board_init(struct bench_board *board, const uint16_t *stock, uint16_t lane_count)
{
	memset(board, 0, sizeof(*board));
	for (uint16_t i = 0; i < lane_count && i < CV_LANES_MAX; i++)
		board->stock[i] = stock[i];
}

/* Posts a completion; one the engine's queue can't take now waits, behind
 * any that wait already, and is posted again on the next poll (the backend
 * contract: retry CV_E_FULL; a completion must never be dropped). */
static void bench_board_post(struct bench_board *board, const struct cv_event *event)
{
	if (board->waiting_count == 0 && cv_machine_post(board->machine, event) != CV_E_FULL)
		return;
	/* One motor and one beam: a movement's done and its drop. The engine
	 * starts the next movement only once it has both (the customer's vend
	 * is the only one that dispenses), so the room can't run out. */
	assert(board->waiting_count < BENCH_BOARD_WAITING_MAX);
	board->waiting[board->waiting_count++] = *event;
}

/* Posts what waits, in order, until the queue is full again. */
static void bench_board_post_waiting(struct bench_board *board)
{
	unsigned sent = 0;
	while (sent < board->waiting_count && cv_machine_post(board->machine, &board->waiting[sent]) != CV_E_FULL)
		sent++;
	memmove(board->waiting, board->waiting + sent, (board->waiting_count - sent) * sizeof(board->waiting[0]));
	board->waiting_count -= sent;
}

/* ---- Dispenser --------------------------------------------------------- */

static uint32_t bench_dispenser_caps(void *ctx)
{
	(void)ctx;
	return CV_DISPENSER_CAP_PARTIAL_TURN; /* The motor is timed per quarter turn. */
}

static enum cv_status bench_dispenser_open(void *ctx, struct cv_machine *machine)
{
	struct bench_board *board = ctx;
	board->machine = machine; /* Completions are posted to this machine. */
	return CV_OK;
}

static void bench_dispenser_close(void *ctx)
{
	struct bench_board *board = ctx;
	board->motor_running = false;
}

/* Starts the motor and returns at once: the movement ends in
 * bench_board_poll(), which posts CV_EVENT_DISPENSE_DONE. */
static enum cv_status bench_dispenser_start(void *ctx, const struct cv_dispense_request *request)
{
	struct bench_board *board = ctx;
	if (board->motor_running)
		return CV_E_BUSY; /* A definite error: nothing started, nothing will be posted. */
	if (request->lane >= CV_LANES_MAX || request->quarter_turns == 0)
		return CV_E_INVAL;
	board->motor_running = true;
	board->motor_op_id = request->op_id;
	board->motor_lane = request->lane;
	board->motor_done_ms = board->now_ms + (uint64_t)request->quarter_turns * BENCH_BOARD_QUARTER_TURN_MS;
	return CV_PENDING;
}

/* The engine gave up on a movement (motor timeout): cut the power. */
static enum cv_status bench_dispenser_stop(void *ctx, uint16_t lane)
{
	struct bench_board *board = ctx;
	if (board->motor_running && board->motor_lane == lane)
		board->motor_running = false;
	return CV_OK;
}

const struct cv_dispenser_ops bench_board_dispenser_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_dispenser_ops),
	.name = "bench-board-motor",
	.caps = bench_dispenser_caps,
	.open = bench_dispenser_open,
	.close = bench_dispenser_close,
	.start = bench_dispenser_start,
	.stop = bench_dispenser_stop,
};

/* ---- Drop sensor ------------------------------------------------------- */

static enum cv_status bench_sensor_open(void *ctx, struct cv_machine *machine)
{
	struct bench_board *board = ctx;
	board->machine = machine;
	return CV_OK;
}

static enum cv_status bench_sensor_arm(void *ctx, uint32_t op_id, uint16_t lane)
{
	struct bench_board *board = ctx;
	(void)lane; /* One beam across the whole bin: it can't tell lanes apart. */
	board->beam_armed = true;
	board->beam_op_id = op_id;
	return CV_OK;
}

static enum cv_status bench_sensor_disarm(void *ctx, uint32_t op_id)
{
	struct bench_board *board = ctx;
	if (board->beam_armed && board->beam_op_id != op_id)
		return CV_E_STATE;
	board->beam_armed = false;
	return CV_OK;
}

/* close is optional: this table leaves it NULL and the core skips it. */
const struct cv_sensor_ops bench_board_sensor_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_sensor_ops),
	.name = "bench-board-beam",
	.open = bench_sensor_open,
	.close = NULL,
	.arm = bench_sensor_arm,
	.disarm = bench_sensor_disarm,
};

/* ---- The board's "interrupts" ------------------------------------------ */

void bench_board_poll(struct bench_board *board, uint64_t now_ms)
{
	board->now_ms = now_ms;
	bench_board_post_waiting(board);
	/* Home switch: the movement is complete; the front item leaves the lane. */
	if (board->motor_running && now_ms >= board->motor_done_ms) {
		board->motor_running = false;
		struct cv_event done = {.type = CV_EVENT_DISPENSE_DONE};
		done.u.dispense.op_id = board->motor_op_id;
		done.u.dispense.lane = board->motor_lane;
		done.u.dispense.status = CV_OK;
		if (board->stock[board->motor_lane] > 0) {
			board->stock[board->motor_lane]--;
			board->item_falling = true;
			board->item_lands_ms = now_ms + BENCH_BOARD_FALL_MS;
		}
		bench_board_post(board, &done);
	}
	/* Beam edge: the item lands in the bin. */
	if (board->item_falling && now_ms >= board->item_lands_ms) {
		board->item_falling = false;
		board->items_dropped++;
		if (board->beam_armed) {
			struct cv_event drop = {.type = CV_EVENT_DROP_DETECTED};
			drop.u.drop.op_id = board->beam_op_id;
			bench_board_post(board, &drop);
		}
	}
}
