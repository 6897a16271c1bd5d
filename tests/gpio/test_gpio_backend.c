/* SPDX-License-Identifier: MIT */
/* The backend on its own against the fake libgpiod: opening and its
 * errors, clean unwinding, the poll descriptors, non-blocking reads, and
 * the dispenser's refusals. */
#include <criterion/criterion.h>
#include <poll.h>
#include <string.h>

#include "fake_gpiod.h"
#include "gpio_harness.h"

static void teardown(void)
{
	gh_teardown();
}

TestSuite(gpio_backend, .fini = teardown);

static enum cv_status try_open(const char *text, struct cv_gpio_error *error)
{
	gh_prepare(text);
	return cv_gpio_open(&gh.gpio_config, &gh.gpio, error);
}

Test(gpio_backend, missing_chip)
{
	struct cv_gpio_error error;
	cr_assert_eq(try_open("chip = gpiochip7\nbeam = 22\nlane A1 motor=17 index=27\n", &error), CV_E_NOT_FOUND);
	cr_assert_str_eq(error.message, "cannot open GPIO chip gpiochip7: No such file or directory");
	cr_assert_null(gh.gpio);
}

Test(gpio_backend, chip_by_path)
{
	struct cv_gpio_error error;
	cr_assert_eq(try_open("chip = /dev/gpiochip0\nbeam = 22\nlane A1 motor=17 index=27\n", &error), CV_OK, "%s",
		     error.message);
	cr_assert_eq(fake_gpiod_log_has("chip_open /dev/gpiochip0"), 1);
}

Test(gpio_backend, offset_beyond_the_chip_unwinds)
{
	struct cv_gpio_error error;
	cr_assert_eq(try_open("chip = gpiochip0\nbeam = 40\nlane A1 motor=17 index=27\n", &error), CV_E_NOT_FOUND);
	cr_assert_str_eq(error.message, "line 40 (drop beam) does not exist: gpiochip0 has 32 lines");
	cr_assert_null(gh.gpio);
	cr_assert_eq(fake_gpiod_requested_lines(), 0, "the lines requested before were released");
	cr_assert_eq(fake_gpiod_open_chips(), 0);
}

Test(gpio_backend, line_held_by_another_consumer)
{
	struct cv_gpio_error error;
	gh_prepare("chip = gpiochip0\nbeam = 22\nlane A1 motor=17 index=27\nlane A2 motor=18 index=28\n");
	fake_gpiod_hold(GH_CHIP, 28, "other-daemon");
	cr_assert_eq(cv_gpio_open(&gh.gpio_config, &gh.gpio, &error), CV_E_BUSY);
	cr_assert_str_eq(error.message, "line 28 (lane A2 index) on gpiochip0 is busy, held by other-daemon");
	cr_assert_eq(fake_gpiod_requested_lines(), 0);
	cr_assert_eq(fake_gpiod_open_chips(), 0);
}

Test(gpio_backend, bad_config_refused_before_any_gpio_call)
{
	struct cv_gpio_error error;
	gh_prepare(gh_config_default);
	gh.gpio_config.lanes[1].motor_offset = 22;
	cr_assert_eq(cv_gpio_open(&gh.gpio_config, &gh.gpio, &error), CV_E_INVAL);
	cr_assert_str_eq(error.message, "line offset 22 is used twice: lane A2 motor and the beam");
	cr_assert_eq(fake_gpiod_log_count(), 0);
}

Test(gpio_backend, lines_requested_and_released)
{
	gh_prepare(gh_config_default);
	gh_start();
	cr_assert(fake_gpiod_is_output(GH_CHIP, 17));
	cr_assert(fake_gpiod_is_output(GH_CHIP, 18));
	cr_assert(fake_gpiod_is_event_line(GH_CHIP, 27));
	cr_assert(fake_gpiod_is_event_line(GH_CHIP, 28));
	cr_assert(fake_gpiod_is_event_line(GH_CHIP, 22));
	cr_assert_eq(fake_gpiod_requested_lines(), 5);
	cr_assert_eq(cv_gpio_dispenser_ops.caps(gh.gpio), 0, "a lane can't measure a quarter turn");
	cv_machine_deinit(gh.m);
	gh.m = NULL;
	cv_gpio_close(gh.gpio);
	gh.gpio = NULL;
	cr_assert_eq(fake_gpiod_requested_lines(), 0);
	cr_assert_eq(fake_gpiod_open_chips(), 0);
	cr_assert_eq(fake_gpiod_log_has("release "), 5);
}

Test(gpio_backend, poll_wakes_on_an_edge_and_reads_never_block)
{
	gh_prepare(gh_config_default);
	gh_start();
	struct pollfd fds[8];
	cr_assert_eq(cv_gpio_pollfds(gh.gpio, fds, 8), 3);
	cr_assert_eq(cv_gpio_pollfds(gh.gpio, fds, 1), 3, "count even when the array is short");
	cv_gpio_pollfds(gh.gpio, fds, 8);
	cr_assert_eq(poll(fds, 3, 0), 0, "nothing pending");
	cr_assert_eq(cv_gpio_timeout_ms(gh.gpio, gh.now_ms), -1, "nothing timed");
	gh_drive_beam(true);
	cr_assert_eq(poll(fds, 3, 0), 1);
	cr_assert_eq(fds[2].revents & POLLIN, POLLIN, "the beam's descriptor woke");
	cv_gpio_process(gh.gpio, gh.now_ms);
	cr_assert_eq(fake_gpiod_pending(GH_CHIP, 22), 0, "the event was read");
	cr_assert_eq(cv_gpio_timeout_ms(gh.gpio, gh.now_ms), 5, "debounce to confirm");
	cv_gpio_process(gh.gpio, gh.now_ms + 5);
	cr_assert_eq(gh_stats().beam_breaks, 1);
	cr_assert_eq(cv_gpio_timeout_ms(gh.gpio, gh.now_ms + 5), 2000, "stuck timer");
	/* Many processes with nothing pending: no read is attempted. */
	for (int i = 0; i < 100; i++)
		cv_gpio_process(gh.gpio, gh.now_ms + 10);
	cr_assert_eq(fake_gpiod_blocking_reads(), 0);
}

Test(gpio_backend, many_edges_read_in_bounded_batches)
{
	gh_prepare(gh_config_default);
	gh_start();
	gh.model_on = false;
	/* 16 edges fill the kernel's queue; the 17th is dropped. */
	for (int i = 0; i < 17; i++) {
		gh.now_ms += 1;
		gh_drive_index(0, i % 2 == 0);
	}
	cr_assert_eq(fake_gpiod_pending(GH_CHIP, 27), 16);
	cr_assert_eq(fake_gpiod_dropped_events(), 1);
	cv_gpio_process(gh.gpio, gh.now_ms);
	cr_assert_eq(fake_gpiod_pending(GH_CHIP, 27), 0);
	cr_assert_eq(gh_stats().events_read, 16);
}

Test(gpio_backend, dispenser_refusals)
{
	gh_prepare(gh_config_default);
	gh_start();
	cr_assert_eq(cv_gpio_lane_quarter_turns_min(gh.gpio, 0), 4);
	cr_assert_eq(cv_gpio_lane_quarter_turns_min(gh.gpio, 9), 0);
	struct cv_dispense_request request = {.op_id = 77, .lane = 0, .quarter_turns = 1, .timeout_ms = 5000};
	cr_assert_eq(cv_gpio_dispenser_ops.start(gh.gpio, &request), CV_E_INVAL, "a quarter turn can't be counted");
	cr_assert_not(gh_motor_on(0), "a refused start leaves the motor off");
	request.lane = 5;
	cr_assert_eq(cv_gpio_dispenser_ops.start(gh.gpio, &request), CV_E_NOT_FOUND);
	request.lane = 0;
	request.quarter_turns = 8;
	cr_assert_eq(cv_gpio_dispenser_ops.start(gh.gpio, &request), CV_PENDING);
	cr_assert(gh_motor_on(0));
	cr_assert_eq(cv_gpio_dispenser_ops.start(gh.gpio, &request), CV_E_BUSY);
	cr_assert_eq(cv_gpio_dispenser_ops.stop(gh.gpio, 0), CV_OK);
	cr_assert_not(gh_motor_on(0));
	cr_assert_eq(cv_gpio_sensor_ops.arm(gh.gpio, 5, 9), CV_E_NOT_FOUND);
}

/* The engine re-spins a lane's respin_quarter_turns only with PARTIAL_TURN,
 * which holds only when every lane counts a pulse per quarter turn. */
Test(gpio_backend, partial_turns_declared_only_when_every_lane_counts_quarter_turns)
{
	struct cv_gpio_error error;
	cr_assert_eq(try_open("chip = gpiochip0\nbeam = 22\nlane A1 motor=17 index=27 pulses_per_turn=4\n"
			      "lane A2 motor=18 index=28 pulses_per_turn=8\n",
			      &error),
		     CV_OK, "%s", error.message);
	cr_assert_eq(cv_gpio_dispenser_ops.caps(gh.gpio), CV_DISPENSER_CAP_PARTIAL_TURN);
	cv_gpio_close(gh.gpio);
	gh.gpio = NULL;
	cr_assert_eq(try_open("chip = gpiochip0\nbeam = 22\nlane A1 motor=17 index=27 pulses_per_turn=4\n"
			      "lane A2 motor=18 index=28 pulses_per_turn=2\n",
			      &error),
		     CV_OK, "%s", error.message);
	cr_assert_eq(cv_gpio_dispenser_ops.caps(gh.gpio), 0, "lane A2 moves in half turns only");
}

Test(gpio_backend, close_turns_a_running_motor_off)
{
	gh_prepare(gh_config_default);
	gh_start();
	struct cv_dispense_request request = {.op_id = 9, .lane = 1, .quarter_turns = 4, .timeout_ms = 5000};
	cr_assert_eq(cv_gpio_dispenser_ops.start(gh.gpio, &request), CV_PENDING);
	cr_assert(gh_motor_on(1));
	cv_machine_deinit(gh.m); /* closes the dispenser: motors off */
	gh.m = NULL;
	cr_assert_eq(fake_gpiod_level(GH_CHIP, 18), 0);
}
