/* SPDX-License-Identifier: MIT */
/* Every call into libgpiod (v1 API) lives here: opening the chip,
 * requesting and releasing lines, motor levels, reading line events.
 * Polarity is applied here too: the rest of the backend sees logical
 * levels (true = motor on, switch closed, beam broken). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <gpiod.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "gpio_private.h"

static int cv_gpio_physical(enum cv_gpio_active active, bool logical)
{
	return (active == CV_GPIO_ACTIVE_LOW) != logical ? 1 : 0;
}

static bool cv_gpio_logical(enum cv_gpio_active active, int physical)
{
	return (physical != 0) != (active == CV_GPIO_ACTIVE_LOW);
}

static enum cv_status cv_gpio_request_fail(struct cv_gpio *gpio, struct gpiod_line *line, uint32_t offset,
					   const char *what, struct cv_gpio_error *error)
{
	int err = errno;
	const char *holder = line != NULL ? gpiod_line_consumer(line) : NULL;
	if (err == EBUSY) {
		cv_gpio_error_set(error, 0, "line %u (%s) on %s is busy%s%s", (unsigned)offset, what, gpio->config.chip,
				  holder != NULL ? ", held by " : "", holder != NULL ? holder : "");
		return CV_E_BUSY;
	}
	cv_gpio_error_set(error, 0, "cannot request line %u (%s) on %s: %s", (unsigned)offset, what, gpio->config.chip,
			  strerror(err));
	return CV_E_IO;
}

static struct gpiod_line *cv_gpio_get_line(struct cv_gpio *gpio, uint32_t offset, const char *what,
					   struct cv_gpio_error *error)
{
	unsigned count = gpiod_chip_num_lines(gpio->chip);
	if (offset >= count) {
		cv_gpio_error_set(error, 0, "line %u (%s) does not exist: %s has %u lines", (unsigned)offset, what,
				  gpio->config.chip, count);
		return NULL;
	}
	struct gpiod_line *line = gpiod_chip_get_line(gpio->chip, (unsigned)offset);
	if (line == NULL)
		cv_gpio_error_set(error, 0, "cannot get line %u (%s) on %s: %s", (unsigned)offset, what,
				  gpio->config.chip, strerror(errno));
	return line;
}

/* An input with both-edge events; its debounced level starts as read now. */
static enum cv_status cv_gpio_input_open(struct cv_gpio *gpio, struct cv_gpio_input *input, uint32_t offset,
					 const char *what, struct cv_gpio_error *error)
{
	struct gpiod_line *line = cv_gpio_get_line(gpio, offset, what, error);
	if (line == NULL)
		return CV_E_NOT_FOUND;
	if (gpiod_line_request_both_edges_events(line, gpio->config.consumer) != 0)
		return cv_gpio_request_fail(gpio, line, offset, what, error);
	input->line = line;
	input->fd = gpiod_line_event_get_fd(line);
	int value = gpiod_line_get_value(line);
	if (input->fd < 0 || value < 0) {
		cv_gpio_error_set(error, 0, "line %u (%s): no event descriptor or value: %s", (unsigned)offset, what,
				  strerror(errno));
		return CV_E_IO;
	}
	cv_gpio_input_reset(input, cv_gpio_logical(input->active, value), gpio->now_ms);
	return CV_OK;
}

static enum cv_status cv_gpio_lane_open(struct cv_gpio *gpio, struct cv_gpio_lane *lane, struct cv_gpio_error *error)
{
	char what[40];
	snprintf(what, sizeof(what), "lane %s motor", lane->config.label);
	struct gpiod_line *line = cv_gpio_get_line(gpio, lane->config.motor_offset, what, error);
	if (line == NULL)
		return CV_E_NOT_FOUND;
	int off = cv_gpio_physical(lane->config.motor_active, false);
	if (gpiod_line_request_output(line, gpio->config.consumer, off) != 0)
		return cv_gpio_request_fail(gpio, line, lane->config.motor_offset, what, error);
	lane->motor = line;
	lane->motor_on = false;
	snprintf(what, sizeof(what), "lane %s index", lane->config.label);
	return cv_gpio_input_open(gpio, &lane->index, lane->config.index_offset, what, error);
}

enum cv_status cv_gpio_lines_open(struct cv_gpio *gpio, struct cv_gpio_error *error)
{
	const char *name = gpio->config.chip;
	gpio->chip = name[0] == '/' ? gpiod_chip_open(name) : gpiod_chip_open_by_name(name);
	if (gpio->chip == NULL) {
		int err = errno;
		cv_gpio_error_set(error, 0, "cannot open GPIO chip %s: %s", name, strerror(err));
		return err == ENOENT ? CV_E_NOT_FOUND : CV_E_IO;
	}
	for (uint16_t i = 0; i < gpio->config.lane_count; i++) {
		enum cv_status rc = cv_gpio_lane_open(gpio, &gpio->lanes[i], error);
		if (rc != CV_OK)
			return rc;
	}
	return cv_gpio_input_open(gpio, &gpio->beam, gpio->config.beam_offset, "drop beam", error);
}

void cv_gpio_lines_close(struct cv_gpio *gpio)
{
	for (uint16_t i = 0; i < gpio->config.lane_count; i++) {
		struct cv_gpio_lane *lane = &gpio->lanes[i];
		if (lane->motor != NULL) {
			(void)cv_gpio_motor_set(gpio, lane, false);
			gpiod_line_release(lane->motor);
			lane->motor = NULL;
		}
		if (lane->index.line != NULL)
			gpiod_line_release(lane->index.line);
		lane->index.line = NULL;
		lane->index.fd = -1;
	}
	if (gpio->beam.line != NULL)
		gpiod_line_release(gpio->beam.line);
	gpio->beam.line = NULL;
	gpio->beam.fd = -1;
	if (gpio->chip != NULL)
		gpiod_chip_close(gpio->chip);
	gpio->chip = NULL;
}

enum cv_status cv_gpio_motor_set(struct cv_gpio *gpio, struct cv_gpio_lane *lane, bool on)
{
	if (gpiod_line_set_value(lane->motor, cv_gpio_physical(lane->config.motor_active, on)) != 0) {
		gpio->stats.io_errors++;
		return CV_E_IO;
	}
	lane->motor_on = on;
	return CV_OK;
}

int cv_gpio_input_read(struct cv_gpio *gpio, struct cv_gpio_input *input, bool *level, uint64_t *edge_us)
{
	if (input->fd < 0)
		return 0;
	struct pollfd pfd = {.fd = input->fd, .events = POLLIN};
	int ready = poll(&pfd, 1, 0);
	if (ready == 0 || (ready < 0 && errno == EINTR))
		return 0;
	if (ready < 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 || (pfd.revents & POLLIN) == 0) {
		gpio->stats.io_errors++;
		return -1;
	}
	struct gpiod_line_event event;
	if (gpiod_line_event_read(input->line, &event) != 0) {
		gpio->stats.io_errors++;
		return -1;
	}
	gpio->stats.events_read++;
	int physical = event.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? 1 : 0;
	*level = cv_gpio_logical(input->active, physical);
	*edge_us = (uint64_t)event.ts.tv_sec * 1000000u + (uint64_t)event.ts.tv_nsec / 1000u;
	return 1;
}
