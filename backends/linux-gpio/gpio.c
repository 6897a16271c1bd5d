/* SPDX-License-Identifier: MIT */
/* The backend object and the loop integration: descriptors to poll, how
 * long the loop may sleep, and the processing of line events and timeouts. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gpio_private.h"

CV_GPIO_EXPORT enum cv_status cv_gpio_open(const struct cv_gpio_config *config, struct cv_gpio **out,
					   struct cv_gpio_error *error)
{
	if (out == NULL) {
		cv_gpio_error_set(error, 0, "no output pointer");
		return CV_E_INVAL;
	}
	enum cv_status rc = cv_gpio_config_check(config, error);
	if (rc != CV_OK)
		return rc;
	struct cv_gpio *gpio = calloc(1, sizeof(*gpio));
	if (gpio == NULL) {
		cv_gpio_error_set(error, 0, "out of memory");
		return CV_E_NOMEM;
	}
	gpio->config = *config;
	for (uint16_t i = 0; i < config->lane_count; i++) {
		struct cv_gpio_lane *lane = &gpio->lanes[i];
		lane->config = config->lanes[i];
		lane->index.fd = -1;
		lane->index.active = lane->config.index_active;
		lane->index.debounce_ms = config->index_debounce_ms;
	}
	gpio->beam.fd = -1;
	gpio->beam.active = config->beam_active;
	gpio->beam.debounce_ms = config->beam_debounce_ms;
	rc = cv_gpio_lines_open(gpio, error);
	if (rc != CV_OK) {
		cv_gpio_close(gpio);
		return rc;
	}
	*out = gpio;
	return CV_OK;
}

CV_GPIO_EXPORT void cv_gpio_close(struct cv_gpio *gpio)
{
	if (gpio == NULL)
		return;
	cv_gpio_lines_close(gpio);
	free(gpio);
}

CV_GPIO_EXPORT void cv_gpio_attach(struct cv_gpio *gpio, struct cv_machine_config *config)
{
	config->dispenser = &cv_gpio_dispenser_ops;
	config->dispenser_ctx = gpio;
	config->sensor = &cv_gpio_sensor_ops;
	config->sensor_ctx = gpio;
}

CV_GPIO_EXPORT size_t cv_gpio_pollfds(struct cv_gpio *gpio, struct pollfd *fds, size_t capacity)
{
	size_t count = (size_t)gpio->config.lane_count + 1u;
	for (size_t i = 0; i < count && i < capacity; i++) {
		const struct cv_gpio_input *input = i < gpio->config.lane_count ? &gpio->lanes[i].index : &gpio->beam;
		fds[i].fd = input->fd;
		fds[i].events = POLLIN;
		fds[i].revents = 0;
	}
	return count;
}

static int64_t cv_gpio_min_wait(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

CV_GPIO_EXPORT int cv_gpio_timeout_ms(struct cv_gpio *gpio, uint64_t now_ms)
{
	if (gpio->outbox_count > 0)
		return 1; /* The engine's step empties its queue: retry right after it. */
	int64_t wait = -1;
	for (uint16_t i = 0; i < gpio->config.lane_count; i++) {
		const struct cv_gpio_lane *lane = &gpio->lanes[i];
		wait = cv_gpio_min_wait(wait, cv_gpio_input_wait_ms(&lane->index, now_ms));
		if (lane->moving)
			wait = cv_gpio_min_wait(wait, lane->pulse_deadline_ms > now_ms
							      ? (int64_t)(lane->pulse_deadline_ms - now_ms)
							      : 0);
	}
	wait = cv_gpio_min_wait(wait, cv_gpio_input_wait_ms(&gpio->beam, now_ms));
	wait = cv_gpio_min_wait(wait, cv_gpio_beam_wait_ms(gpio, now_ms));
	return wait > INT_MAX ? INT_MAX : (int)wait;
}

/* The first time comes from the caller: what was timed before it counts from it. */
static void cv_gpio_clock_start(struct cv_gpio *gpio, uint64_t now_ms)
{
	gpio->clock_started = true;
	gpio->beam.changed_ms = now_ms;
	for (uint16_t i = 0; i < gpio->config.lane_count; i++) {
		struct cv_gpio_lane *lane = &gpio->lanes[i];
		lane->index.changed_ms = now_ms;
		if (lane->moving)
			lane->pulse_deadline_ms = now_ms + gpio->config.motor_timeout_ms;
	}
}

/* Reads what one input has pending (bounded), then lets the clock confirm. */
static void cv_gpio_input_poll(struct cv_gpio *gpio, struct cv_gpio_input *input, struct cv_gpio_lane *lane)
{
	for (unsigned n = 0; n < CV_GPIO_EVENTS_PER_PROCESS; n++) {
		bool level;
		uint64_t edge_us;
		if (cv_gpio_input_read(gpio, input, &level, &edge_us) != 1)
			break;
		enum cv_gpio_change change =
			cv_gpio_input_edge(input, level, edge_us, gpio->now_ms, &gpio->stats.pulses_ignored);
		if (lane != NULL)
			cv_gpio_lane_on_change(gpio, lane, change);
		else
			cv_gpio_beam_on_change(gpio, change);
	}
	enum cv_gpio_change change = cv_gpio_input_tick(input, gpio->now_ms);
	if (lane != NULL)
		cv_gpio_lane_on_change(gpio, lane, change);
	else
		cv_gpio_beam_on_change(gpio, change);
}

CV_GPIO_EXPORT void cv_gpio_process(struct cv_gpio *gpio, uint64_t now_ms)
{
	if (!gpio->clock_started)
		cv_gpio_clock_start(gpio, now_ms);
	if (now_ms > gpio->now_ms)
		gpio->now_ms = now_ms;
	cv_gpio_outbox_flush(gpio);
	for (uint16_t i = 0; i < gpio->config.lane_count; i++) {
		struct cv_gpio_lane *lane = &gpio->lanes[i];
		cv_gpio_input_poll(gpio, &lane->index, lane);
		cv_gpio_lane_tick(gpio, lane);
	}
	cv_gpio_input_poll(gpio, &gpio->beam, NULL);
	cv_gpio_beam_tick(gpio);
}

CV_GPIO_EXPORT uint8_t cv_gpio_lane_quarter_turns_min(const struct cv_gpio *gpio, uint16_t lane)
{
	if (lane >= gpio->config.lane_count)
		return 0;
	unsigned pulses = gpio->config.lanes[lane].pulses_per_turn;
	for (unsigned quarter_turns = 1; quarter_turns <= 4; quarter_turns++)
		if (quarter_turns * pulses % 4u == 0)
			return (uint8_t)quarter_turns;
	return 4; /* Unreachable: 4 × pulses is always a whole number of pulses. */
}

CV_GPIO_EXPORT void cv_gpio_stats(const struct cv_gpio *gpio, struct cv_gpio_stats *out)
{
	*out = gpio->stats;
}
