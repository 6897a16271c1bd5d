/* SPDX-License-Identifier: MIT */
#include "gpio_harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_gpiod.h"
#include "leak_check.h"

struct gh gh;

const char gh_config_default[] = "# Two lanes and a beam on the fake chip.\n"
				 "chip = " GH_CHIP "\n"
				 "motor_timeout_ms = 1000\n"
				 "index_debounce_ms = 2\n"
				 "beam = 22 active=high debounce_ms=5 stuck_ms=2000\n"
				 "lane A1 motor=17 motor_active=high index=27 index_active=high\n"
				 "lane A2 motor=18 index=28 pulses_per_turn=1\n";

static void gh_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	(void)user_data;
	if (event->type == CV_EVENT_VEND_STATE && event->u.vend.vend_number < 64) {
		gh.vend_state[event->u.vend.vend_number] = event->u.vend.state;
		gh.vend[event->u.vend.vend_number] = event->u.vend;
	}
	if (event->type == CV_EVENT_ALERT && gh.alert_count < GH_ALERTS_MAX)
		gh.alerts[gh.alert_count++] = event->u.alert;
}

void gh_prepare(const char *config_text)
{
	memset(&gh, 0, sizeof(gh));
	fake_gpiod_reset();
	fake_gpiod_add_chip(GH_CHIP, GH_CHIP_LINES);
	struct cv_gpio_error error;
	enum cv_status rc = cv_gpio_config_parse(config_text, strlen(config_text), &gh.gpio_config, &error);
	cr_assert_eq(rc, CV_OK, "config: line %u: %s", error.line, error.message);
	cr_assert_leq(gh.gpio_config.lane_count, GH_LANES_MAX);
	gh.lane_count = gh.gpio_config.lane_count;
	for (uint16_t i = 0; i < gh.lane_count; i++) {
		struct cv_lane_config *lane = &gh.lanes[i];
		cv_lane_config_default(lane);
		memcpy(lane->label, gh.gpio_config.lanes[i].label, sizeof(lane->label));
		char name[CV_PRODUCT_NAME_LEN];
		snprintf(name, sizeof(name), "Candy %s", lane->label);
		memcpy(lane->product_name, name, sizeof(name));
		lane->price_minor = 150;
		lane->count = 5;
		lane->vend_quarter_turns = 4;
		lane->respin_count_max = 1;
		lane->respin_quarter_turns = 4;
		gh.lane_model[i].ms_per_pulse = 200;
		gh.lane_model[i].pulse_ms = 30;
		gh.lane_model[i].falls = 1u; /* The first movement drops an item. */
	}
	gh.beam.drop_delay_ms = 80;
	gh.beam.break_ms = 25;
	gh.model_on = true;
	gh.now_ms = 1000; /* Not zero: the backend must take its time from the loop. */
}

void gh_start(void)
{
	struct cv_gpio_error error;
	enum cv_status rc = cv_gpio_open(&gh.gpio_config, &gh.gpio, &error);
	cr_assert_eq(rc, CV_OK, "open: %s", error.message);

	struct cv_sim_config sim_config;
	cv_sim_config_default(&sim_config);
	sim_config.lane_count = gh.lane_count;
	rc = cv_sim_new(&sim_config, &gh.sim);
	cr_assert_eq(rc, CV_OK);
	cv_sim_set_auto_card(gh.sim, true);

	cv_ram_storage_init(&gh.storage, gh.journal, sizeof(gh.journal));
	struct cv_machine_config config;
	cv_machine_config_default(&config);
	config.lanes = gh.lanes;
	config.lane_count = gh.lane_count;
	cv_sim_attach(gh.sim, &config);   /* platform and payment */
	cv_gpio_attach(gh.gpio, &config); /* dispenser and sensor */
	config.storage = &cv_ram_storage_ops;
	config.storage_ctx = &gh.storage;
	config.accept_volatile_journal = true;
	config.on_event = gh_on_event;
	size_t size = (cv_machine_size() + CV_MACHINE_ALIGN - 1) / CV_MACHINE_ALIGN * CV_MACHINE_ALIGN;
	gh.memory = aligned_alloc(CV_MACHINE_ALIGN, size);
	cr_assert_not_null(gh.memory);
	rc = cv_machine_init(gh.memory, size, &config, &gh.m);
	cr_assert_eq(rc, CV_OK, "machine init: %s", cv_status_str(rc));
}

void gh_teardown(void)
{
	cv_machine_deinit(gh.m);
	free(gh.memory);
	cv_sim_free(gh.sim);
	cv_gpio_close(gh.gpio);
	gh.m = NULL;
	gh.memory = NULL;
	gh.sim = NULL;
	gh.gpio = NULL;
	unsigned requested = fake_gpiod_requested_lines();
	unsigned chips = fake_gpiod_open_chips();
	unsigned blocking = fake_gpiod_blocking_reads();
	fake_gpiod_reset();
	if (requested != 0 || chips != 0 || blocking != 0) {
		fprintf(stderr, "teardown: %u lines still requested, %u chips open, %u blocking reads\n", requested,
			chips, blocking);
		abort();
	}
	cv_test_leak_check();
}

static const struct cv_gpio_lane_config *gh_lane_config(uint16_t lane)
{
	return &gh.gpio_config.lanes[lane];
}

static int gh_physical(enum cv_gpio_active active, bool logical)
{
	return (active == CV_GPIO_ACTIVE_LOW) != logical;
}

bool gh_motor_on(uint16_t lane)
{
	const struct cv_gpio_lane_config *c = gh_lane_config(lane);
	int level = fake_gpiod_level(GH_CHIP, c->motor_offset);
	cr_assert(fake_gpiod_is_output(GH_CHIP, c->motor_offset), "motor line is not an output");
	return level == gh_physical(c->motor_active, true);
}

void gh_drive_beam(bool blocked)
{
	fake_gpiod_drive(GH_CHIP, gh.gpio_config.beam_offset, gh_physical(gh.gpio_config.beam_active, blocked),
			 gh.now_ms);
	gh.beam.blocked = blocked;
}

void gh_drive_index(uint16_t lane, bool closed)
{
	const struct cv_gpio_lane_config *c = gh_lane_config(lane);
	fake_gpiod_drive(GH_CHIP, c->index_offset, gh_physical(c->index_active, closed), gh.now_ms);
}

/* One lane's mechanics for the current millisecond. */
static void gh_model_lane(uint16_t lane)
{
	struct gh_lane_model *model = &gh.lane_model[lane];
	bool on = gh_motor_on(lane);
	if (model->release_at != 0 && gh.now_ms >= model->release_at) {
		gh_drive_index(lane, false);
		model->release_at = 0;
	}
	if (model->bounce_left > 0) {
		/* Contact bounce: toggles 1 ms apart, ending closed. */
		model->bounce_left--;
		gh_drive_index(lane, model->bounce_left % 2u == 0);
	}
	if (on && !model->jammed && ++model->run_ms % model->ms_per_pulse == 0) {
		gh_drive_index(lane, true);
		model->pulses_made++;
		model->release_at = gh.now_ms + model->pulse_ms;
		model->bounce_left = model->bounce_edges * 2u;
	}
	if (model->motor_was_on && !on) {
		if ((model->falls >> model->movements) & 1u) {
			gh.beam.break_at = gh.now_ms + gh.beam.drop_delay_ms;
			gh.beam.clear_at = gh.beam.break_at + gh.beam.break_ms;
		}
		model->movements++;
	}
	model->motor_was_on = on;
}

static void gh_model_tick(void)
{
	for (uint16_t i = 0; i < gh.lane_count; i++)
		gh_model_lane(i);
	if (gh.beam.break_at != 0 && gh.now_ms >= gh.beam.break_at) {
		gh_drive_beam(true);
		gh.beam.break_at = 0;
	}
	if (gh.beam.clear_at != 0 && gh.now_ms >= gh.beam.clear_at) {
		gh_drive_beam(false);
		gh.beam.clear_at = 0;
	}
}

void gh_run(uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++) {
		gh.now_ms++;
		if (gh.model_on)
			gh_model_tick();
		cv_sim_step(gh.sim, gh.now_ms);
		cv_gpio_process(gh.gpio, gh.now_ms);
		cr_assert_eq(cv_machine_step(gh.m, gh.now_ms), CV_OK);
	}
}

static bool gh_final(enum cv_vend_state state)
{
	return state == CV_VEND_STATE_CAPTURED || state == CV_VEND_STATE_VOIDED || state == CV_VEND_STATE_ABANDONED ||
	       state == CV_VEND_STATE_CAPTURE_FAILED || state == CV_VEND_STATE_VOID_FAILED;
}

enum cv_vend_state gh_run_vend(uint32_t vend_number, uint64_t limit_ms)
{
	cr_assert_lt(vend_number, 64);
	for (uint64_t t = 0; t < limit_ms && !gh_final(gh.vend_state[vend_number]); t++)
		gh_run(1);
	return gh.vend_state[vend_number];
}

uint32_t gh_select(uint16_t lane)
{
	uint32_t vend_number = 0;
	enum cv_status rc = cv_machine_select(gh.m, lane, &vend_number);
	cr_assert_eq(rc, CV_OK, "select: %s", cv_status_str(rc));
	return vend_number;
}

unsigned gh_alerts(enum cv_alert_kind kind, bool active)
{
	unsigned count = 0;
	for (unsigned i = 0; i < gh.alert_count; i++)
		count += gh.alerts[i].kind == kind && gh.alerts[i].active == active;
	return count;
}

struct cv_gpio_stats gh_stats(void)
{
	struct cv_gpio_stats stats;
	cv_gpio_stats(gh.gpio, &stats);
	return stats;
}
