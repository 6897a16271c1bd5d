/* SPDX-License-Identifier: MIT */
/* Whole vends through the real engine, the real GPIO backends and the fake
 * libgpiod; the harness plays the motors, index switches and the beam. */
#include <criterion/criterion.h>

#include "fake_gpiod.h"
#include "gpio_harness.h"

TestSuite(gpio_vend, .fini = gh_teardown);

Test(gpio_vend, one_turn_counted_motor_stopped_drop_captured)
{
	gh_prepare(gh_config_default);
	gh_start();
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
	struct cv_gpio_stats stats = gh_stats();
	cr_assert_eq(stats.index_pulses, 1, "one pulse per turn, one turn: %u", stats.index_pulses);
	cr_assert_eq(stats.movements_done, 1);
	cr_assert_eq(stats.drops_posted, 1);
	cr_assert_eq(stats.jams, 0);
	cr_assert_eq(gh.lane_model[0].pulses_made, 1, "the motor was stopped on the first pulse");
	cr_assert_not(gh_motor_on(0));
	cr_assert_eq(fake_gpiod_changes(GH_CHIP, 17), 2, "motor: on once, off once");
	cr_assert_eq(fake_gpiod_changes(GH_CHIP, 18), 0, "the other lane's motor never moved");
	struct cv_lane_info info;
	cr_assert_eq(cv_machine_lane_info(gh.m, 0, &info), CV_OK);
	cr_assert_eq(info.config.count, 4);
	cr_assert_eq(fake_gpiod_log_has("request_output " GH_CHIP " 17 candyvend 0"), 1);
	cr_assert_eq(fake_gpiod_log_has("request_both_edges_events " GH_CHIP " 27"), 1);
	cr_assert_eq(fake_gpiod_log_has("request_both_edges_events " GH_CHIP " 22"), 1);
}

Test(gpio_vend, four_pulses_per_turn_stops_on_the_fourth)
{
	gh_prepare("chip = gpiochip0\nmotor_timeout_ms = 1000\nbeam = 22\n"
		   "lane A1 motor=17 index=27 pulses_per_turn=4\n");
	gh.lane_model[0].ms_per_pulse = 60;
	gh_start();
	cr_assert_eq(cv_gpio_lane_quarter_turns_min(gh.gpio, 0), 1);
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(gh_stats().index_pulses, 4);
	cr_assert_eq(gh.lane_model[0].pulses_made, 4, "stopped on the 4th pulse, not later");
	cr_assert_not(gh_motor_on(0));
}

Test(gpio_vend, no_index_pulse_is_a_jam_motor_stopped_hold_voided)
{
	gh_prepare(gh_config_default);
	gh.lane_model[0].jammed = true;
	gh_start();
	uint32_t vend = gh_select(0);
	gh_run(1); /* to AUTH_PENDING */
	/* Run until the motor starts, then exactly to the backend's timeout. */
	uint64_t started = 0;
	for (int i = 0; i < 5000 && started == 0; i++) {
		gh_run(1);
		if (gh_motor_on(0))
			started = gh.now_ms;
	}
	cr_assert_neq(started, 0, "the motor never started");
	gh_run(998);
	cr_assert(gh_motor_on(0), "still waiting for the first pulse");
	gh_run(3);
	cr_assert_not(gh_motor_on(0), "motor stopped at motor_timeout_ms");
	cr_assert_eq(gh_stats().jams, 1);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_VOIDED);
	cr_assert_eq(gh.vend[vend].reason, CV_VEND_REASON_MOTOR_JAM);
	cr_assert_geq(gh_alerts(CV_ALERT_MOTOR_JAM, true), 1);
	cr_assert_eq(gh.lane_model[0].movements, 1, "no re-spin after a jam");
}

Test(gpio_vend, jam_after_some_pulses)
{
	gh_prepare("chip = gpiochip0\nmotor_timeout_ms = 500\nbeam = 22\n"
		   "lane A1 motor=17 index=27 pulses_per_turn=4\n");
	gh.lane_model[0].ms_per_pulse = 100;
	gh_start();
	uint32_t vend = gh_select(0);
	/* Jam after the second pulse. */
	for (int i = 0; i < 10000 && gh.lane_model[0].pulses_made < 2; i++)
		gh_run(1);
	gh.lane_model[0].jammed = true;
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_VOIDED);
	cr_assert_eq(gh_stats().index_pulses, 2);
	cr_assert_eq(gh_stats().jams, 1);
	cr_assert_not(gh_motor_on(0));
}

Test(gpio_vend, bouncing_index_switch_counts_once)
{
	gh_prepare("chip = gpiochip0\nmotor_timeout_ms = 1000\nindex_debounce_ms = 3\nbeam = 22\n"
		   "lane A1 motor=17 index=27 pulses_per_turn=2\n");
	gh.lane_model[0].bounce_edges = 3; /* 6 extra edges 1 ms apart at each closing */
	gh_start();
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
	struct cv_gpio_stats stats = gh_stats();
	cr_assert_eq(stats.index_pulses, 2, "two closings, bounces ignored: %u", stats.index_pulses);
	cr_assert_eq(gh.lane_model[0].pulses_made, 2);
	cr_assert_geq(stats.pulses_ignored, 6);
}

Test(gpio_vend, beam_glitch_shorter_than_debounce_is_no_drop)
{
	gh_prepare(gh_config_default); /* beam debounce 5 ms */
	gh.beam.break_ms = 3;          /* every "drop" is a 3 ms glitch */
	gh.lane_model[0].falls = 0x3;  /* after the vend and after the re-spin */
	gh_start();
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 30000), CV_VEND_STATE_VOIDED);
	cr_assert_eq(gh.vend[vend].reason, CV_VEND_REASON_NO_DROP);
	struct cv_gpio_stats stats = gh_stats();
	cr_assert_eq(stats.beam_breaks, 0);
	cr_assert_eq(stats.pulses_ignored, 2);
	cr_assert_eq(gh.lane_model[0].movements, 2, "one vend movement and one re-spin");
}

Test(gpio_vend, beam_break_just_at_debounce_counts)
{
	gh_prepare(gh_config_default);
	gh.beam.break_ms = 5;
	gh_start();
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 30000), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(gh_stats().beam_breaks, 1);
}

Test(gpio_vend, respin_after_no_drop_then_captured)
{
	gh_prepare(gh_config_default);
	gh.lane_model[0].falls = 0x2; /* the item hangs; the re-spin drops it */
	gh_start();
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 30000), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(gh.vend[vend].respins, 1);
	cr_assert_eq(gh.lane_model[0].movements, 2);
	cr_assert_eq(gh_stats().index_pulses, 2);
	cr_assert_eq(gh_stats().movements_done, 2);
	cr_assert_eq(fake_gpiod_changes(GH_CHIP, 17), 4, "motor on/off twice");
}

Test(gpio_vend, active_low_lines)
{
	gh_prepare("chip = gpiochip0\nmotor_timeout_ms = 1000\nbeam = 5 active=low\n"
		   "lane A1 motor=3 motor_active=low index=4 index_active=low\n");
	/* At rest an active-low switch and beam read 1 (open, clear). */
	fake_gpiod_drive(GH_CHIP, 4, 1, gh.now_ms);
	fake_gpiod_drive(GH_CHIP, 5, 1, gh.now_ms);
	gh_start();
	cr_assert_eq(fake_gpiod_level(GH_CHIP, 3), 1, "an active-low motor rests at level 1");
	cr_assert_eq(fake_gpiod_log_has("request_output " GH_CHIP " 3 candyvend 1"), 1);
	uint32_t vend = gh_select(0);
	bool saw_low = false;
	for (int i = 0; i < 20000 && gh.vend_state[vend] != CV_VEND_STATE_CAPTURED; i++) {
		gh_run(1);
		saw_low |= fake_gpiod_level(GH_CHIP, 3) == 0;
	}
	cr_assert(saw_low, "the motor ran at level 0");
	cr_assert_eq(gh.vend_state[vend], CV_VEND_STATE_CAPTURED);
	cr_assert_eq(fake_gpiod_level(GH_CHIP, 3), 1);
	cr_assert_eq(gh_stats().index_pulses, 1);
	cr_assert_eq(gh_stats().beam_breaks, 1);
}

Test(gpio_vend, beam_stuck_faults_the_sensor_and_recovers)
{
	gh_prepare(gh_config_default); /* stuck_ms 2000 */
	gh_start();
	gh_run(10);
	gh_drive_beam(true);
	gh_run(1990);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, true), 0, "not yet");
	gh_run(20);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, true), 1);
	/* A lane that requires the sensor can't be sold now. */
	cr_assert_eq(cv_machine_select(gh.m, 0, NULL), CV_E_SENSOR);
	gh_drive_beam(false);
	gh_run(20);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, false), 1);
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
}

Test(gpio_vend, beam_blocked_at_start_faults_after_stuck_ms)
{
	gh_prepare(gh_config_default);
	fake_gpiod_drive(GH_CHIP, 22, 1, gh.now_ms);
	gh_start();
	gh_run(1999);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, true), 0);
	gh_run(5);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, true), 1);
}

Test(gpio_vend, engine_motor_timeout_stops_the_motor)
{
	/* The backend waits 10 s for a pulse; the engine gives up at 5 s. */
	gh_prepare("chip = gpiochip0\nmotor_timeout_ms = 10000\nbeam = 22\nlane A1 motor=17 index=27\n");
	gh.lane_model[0].jammed = true;
	gh_start();
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 30000), CV_VEND_STATE_VOIDED);
	cr_assert_eq(gh.vend[vend].reason, CV_VEND_REASON_MOTOR_TIMEOUT);
	cr_assert_not(gh_motor_on(0), "stop() turned the motor off");
	gh_run(12000);
	cr_assert_eq(gh_stats().jams, 0, "nothing posted after stop()");
}

Test(gpio_vend, two_vends_on_two_lanes)
{
	gh_prepare(gh_config_default);
	gh.lane_model[1].falls = 1u;
	gh_start();
	uint32_t first = gh_select(0);
	cr_assert_eq(gh_run_vend(first, 20000), CV_VEND_STATE_CAPTURED);
	gh_run(6000); /* the final message goes away */
	uint32_t second = gh_select(1);
	cr_assert_eq(gh_run_vend(second, 20000), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(fake_gpiod_changes(GH_CHIP, 17), 2);
	cr_assert_eq(fake_gpiod_changes(GH_CHIP, 18), 2);
	cr_assert_eq(gh_stats().drops_posted, 2);
}

/* Fills the engine's input queue with posts that change nothing (the
 * sensor is healthy, and is said to be healthy). */
static unsigned fill_engine_queue(void)
{
	struct cv_event noop = {.type = CV_EVENT_SENSOR_STATUS};
	unsigned n = 0;
	while (cv_machine_post(gh.m, &noop) == CV_OK)
		n++;
	return n;
}

/* The backend alone runs (the engine does not step, so its queue stays full). */
static void run_backend_only(uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++)
		cv_gpio_process(gh.gpio, ++gh.now_ms);
}

Test(gpio_vend, beam_states_are_never_lost_while_the_engine_queue_is_full)
{
	gh_prepare(gh_config_default); /* stuck_ms 2000 */
	gh_start();
	gh_run(10);
	cr_assert_gt(fill_engine_queue(), 0);
	/* A storm: twelve times stuck (a fault) and cleared, far more states
	 * than the outbox holds, while nothing is accepted. */
	for (unsigned i = 0; i < 12; i++) {
		gh_drive_beam(true);
		run_backend_only(2100);
		gh_drive_beam(false);
		run_backend_only(50);
	}
	/* Then stuck once more, and left stuck. */
	gh_drive_beam(true);
	run_backend_only(2100);
	cr_assert_eq(gh_stats().posts_lost, 0);
	gh_run(50);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, true), 1, "the engine learns the beam is stuck");
	cr_assert_eq(cv_machine_select(gh.m, 0, NULL), CV_E_SENSOR);
	/* Cleared while the queue is full again: the clear must get through. */
	cr_assert_gt(fill_engine_queue(), 0);
	gh_drive_beam(false);
	run_backend_only(500);
	gh_run(50);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, false), 1, "the engine learns the beam is clear");
	cr_assert_eq(gh_stats().posts_lost, 0);
	uint32_t vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
}

Test(gpio_vend, a_drop_is_never_lost_while_the_engine_queue_is_full)
{
	gh_prepare(gh_config_default);
	gh.lane_model[0].falls = 1; /* The item falls after the first movement. */
	gh_start();
	uint32_t vend = gh_select(0);
	/* Keep the queue full from the moment the motor runs until well after the drop. */
	for (uint64_t t = 0; t < 20000 && !gh_motor_on(0); t++)
		gh_run(1);
	cr_assert(gh_motor_on(0));
	for (unsigned i = 0; i < 600; i++) {
		fill_engine_queue();
		gh_run(1);
	}
	cr_assert_gt(gh_stats().posts_deferred, 0, "the queue was never full for the backend");
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(gh_stats().posts_lost, 0);
	cr_assert_eq(gh.lane_model[0].movements, 1, "no second turn for an item that fell");
}

Test(gpio_vend, arming_a_blocked_beam_is_refused_and_the_release_clears_it)
{
	gh_prepare(gh_config_default);
	gh_start();
	gh_run(10);
	gh_drive_beam(true);
	gh_run(100); /* Debounced blocked, far from stuck_ms. */
	uint32_t vend = gh_select(0);
	enum cv_vend_state state = gh_run_vend(vend, 20000);
	cr_assert(state == CV_VEND_STATE_VOIDED || state == CV_VEND_STATE_ABANDONED, "vend ends %s",
		  cv_vend_state_str(state));
	cr_assert_eq(gh.vend[vend].reason, CV_VEND_REASON_SENSOR_FAULT);
	cr_assert_eq(gh.lane_model[0].movements, 0, "the motor turned with the beam blocked");
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, true), 1);
	gh_drive_beam(false);
	gh_run(50);
	cr_assert_eq(gh_alerts(CV_ALERT_DETECTOR_FAULT, false), 1);
	vend = gh_select(0);
	cr_assert_eq(gh_run_vend(vend, 20000), CV_VEND_STATE_CAPTURED);
}
