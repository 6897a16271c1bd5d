/* SPDX-License-Identifier: MIT */
/* The worked backend example (examples/backend-example/bench_board.c) keeps
 * its own rule: a completion the engine's full queue refuses waits and is
 * posted later, never dropped, even when a second one is refused too. */
#include <criterion/criterion.h>

#include "bench_board.h"
#include "rig.h"

static struct bench_board board;

static void start(void)
{
	rig_setup();
	static const uint16_t stock[RIG_LANES] = {5, 5, 5, 5};
	bench_board_init(&board, stock, RIG_LANES);
	rig.config.dispenser = &bench_board_dispenser_ops;
	rig.config.dispenser_ctx = &board;
	rig.config.sensor = &bench_board_sensor_ops;
	rig.config.sensor_ctx = &board;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(bench_board, .init = start, .fini = rig_teardown);

static unsigned fill_engine_queue(void)
{
	struct cv_event noop = {.type = CV_EVENT_SENSOR_STATUS};
	unsigned n = 0;
	while (cv_machine_post(rig.m, &noop) == CV_OK)
		n++;
	return n;
}

Test(bench_board, the_done_and_the_drop_both_refused_are_both_delivered)
{
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert(board.motor_running);
	cr_assert_gt(fill_engine_queue(), 0);
	/* The movement ends and the item lands while the engine takes nothing. */
	uint64_t t = rig.now_ms;
	for (unsigned i = 0; i < 2000 && board.items_dropped == 0; i++)
		bench_board_poll(&board, ++t);
	cr_assert_eq(board.items_dropped, 1);
	cr_assert_eq(board.waiting_count, 2, "the done and the drop wait");
	/* The engine drains its queue; the board posts what waits, in order. */
	for (unsigned i = 0; i < 20 && rig_state(n) != CV_VEND_STATE_CAPTURE_PENDING; i++) {
		rig_step(1);
		bench_board_poll(&board, rig.now_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING, "vend %u in %s", n, cv_vend_state_str(rig_state(n)));
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(board.waiting_count, 0);
}
