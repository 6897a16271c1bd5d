/* SPDX-License-Identifier: MIT */
/* Defaults, the whole-configuration check, and reading a configuration file. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpio_private.h"

#define CV_GPIO_CONFIG_FILE_MAX (64u * 1024u)

CV_GPIO_EXPORT void cv_gpio_config_default(struct cv_gpio_config *config)
{
	memset(config, 0, sizeof(*config));
	memcpy(config->consumer, "candyvend", sizeof("candyvend"));
	config->beam_active = CV_GPIO_ACTIVE_HIGH;
	config->beam_debounce_ms = 5;
	config->beam_stuck_ms = 2000;
	config->index_debounce_ms = 2;
	config->motor_timeout_ms = 3000;
}

static bool cv_gpio_text_ok(const char *text, size_t size)
{
	size_t length = strnlen(text, size);
	if (length == 0 || length == size)
		return false;
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)text[i] < 0x21 || (unsigned char)text[i] > 0x7e)
			return false;
	return true;
}

static bool cv_gpio_active_ok(enum cv_gpio_active active)
{
	return active == CV_GPIO_ACTIVE_HIGH || active == CV_GPIO_ACTIVE_LOW;
}

/* Every offset in one list: motors, index switches, then the beam; @p what
 * receives its description ("lane A1 motor", "the beam"). */
static uint32_t cv_gpio_offset_at(const struct cv_gpio_config *c, unsigned i, char *what, size_t size)
{
	unsigned lanes = c->lane_count;
	if (i == 2u * lanes) {
		snprintf(what, size, "the beam");
		return c->beam_offset;
	}
	const struct cv_gpio_lane_config *lane = &c->lanes[i % lanes];
	snprintf(what, size, "lane %s %s", lane->label, i < lanes ? "motor" : "index");
	return i < lanes ? lane->motor_offset : lane->index_offset;
}

static enum cv_status cv_gpio_check_offsets(const struct cv_gpio_config *c, struct cv_gpio_error *error)
{
	unsigned count = 2u * c->lane_count + 1u;
	for (unsigned i = 0; i < count; i++) {
		char what_i[32], what_j[32];
		uint32_t offset = cv_gpio_offset_at(c, i, what_i, sizeof(what_i));
		if (offset > CV_GPIO_OFFSET_MAX) {
			cv_gpio_error_set(error, 0, "%s offset %u is above %u", what_i, (unsigned)offset,
					  CV_GPIO_OFFSET_MAX);
			return CV_E_INVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (cv_gpio_offset_at(c, j, what_j, sizeof(what_j)) != offset)
				continue;
			cv_gpio_error_set(error, 0, "line offset %u is used twice: %s and %s", (unsigned)offset, what_j,
					  what_i);
			return CV_E_INVAL;
		}
	}
	return CV_OK;
}

static enum cv_status cv_gpio_check_lane(const struct cv_gpio_config *c, uint16_t index, struct cv_gpio_error *error)
{
	const struct cv_gpio_lane_config *lane = &c->lanes[index];
	if (!cv_gpio_text_ok(lane->label, sizeof(lane->label))) {
		cv_gpio_error_set(error, 0, "lane %u has no valid label", (unsigned)index);
		return CV_E_INVAL;
	}
	for (uint16_t j = 0; j < index; j++)
		if (strcmp(c->lanes[j].label, lane->label) == 0) {
			cv_gpio_error_set(error, 0, "lane label %s is used twice", lane->label);
			return CV_E_INVAL;
		}
	if (lane->pulses_per_turn < 1 || lane->pulses_per_turn > CV_GPIO_PULSES_PER_TURN_MAX ||
	    !cv_gpio_active_ok(lane->motor_active) || !cv_gpio_active_ok(lane->index_active)) {
		cv_gpio_error_set(error, 0, "lane %s: bad pulses_per_turn or polarity", lane->label);
		return CV_E_INVAL;
	}
	return CV_OK;
}

CV_GPIO_EXPORT enum cv_status cv_gpio_config_check(const struct cv_gpio_config *c, struct cv_gpio_error *error)
{
	if (c == NULL) {
		cv_gpio_error_set(error, 0, "no configuration");
		return CV_E_INVAL;
	}
	if (!cv_gpio_text_ok(c->chip, sizeof(c->chip)) || !cv_gpio_text_ok(c->consumer, sizeof(c->consumer))) {
		cv_gpio_error_set(error, 0, "chip and consumer must be non-empty names without blanks");
		return CV_E_INVAL;
	}
	if (c->lane_count < 1 || c->lane_count > CV_GPIO_LANES_MAX) {
		cv_gpio_error_set(error, 0, "lane count %u is not 1..%u", (unsigned)c->lane_count,
				  (unsigned)CV_GPIO_LANES_MAX);
		return CV_E_INVAL;
	}
	for (uint16_t i = 0; i < c->lane_count; i++) {
		enum cv_status rc = cv_gpio_check_lane(c, i, error);
		if (rc != CV_OK)
			return rc;
	}
	if (!cv_gpio_active_ok(c->beam_active) || c->beam_debounce_ms > 1000 || c->beam_stuck_ms < 100 ||
	    c->beam_stuck_ms > 600000 || c->beam_debounce_ms >= c->beam_stuck_ms) {
		cv_gpio_error_set(error, 0,
				  "beam: polarity, debounce_ms (0..1000) or stuck_ms (100..600000, "
				  "above debounce_ms) out of range");
		return CV_E_INVAL;
	}
	if (c->motor_timeout_ms < 50 || c->motor_timeout_ms > 600000 || c->index_debounce_ms > 1000 ||
	    c->index_debounce_ms >= c->motor_timeout_ms) {
		cv_gpio_error_set(error, 0,
				  "motor_timeout_ms (50..600000) or index_debounce_ms (0..1000, "
				  "below motor_timeout_ms) out of range");
		return CV_E_INVAL;
	}
	return cv_gpio_check_offsets(c, error);
}

CV_GPIO_EXPORT enum cv_status cv_gpio_config_load(const char *path, struct cv_gpio_config *out,
						  struct cv_gpio_error *error)
{
	if (path == NULL || out == NULL) {
		cv_gpio_error_set(error, 0, "no path or no configuration");
		return CV_E_INVAL;
	}
	FILE *file = fopen(path, "rb");
	if (file == NULL) {
		cv_gpio_error_set(error, 0, "cannot open %s: %s", path, strerror(errno));
		return CV_E_IO;
	}
	char *text = malloc(CV_GPIO_CONFIG_FILE_MAX + 1u);
	if (text == NULL) {
		fclose(file);
		cv_gpio_error_set(error, 0, "out of memory");
		return CV_E_NOMEM;
	}
	size_t length = fread(text, 1, CV_GPIO_CONFIG_FILE_MAX + 1u, file);
	bool failed = ferror(file) != 0;
	fclose(file);
	enum cv_status rc;
	if (failed) {
		cv_gpio_error_set(error, 0, "cannot read %s", path);
		rc = CV_E_IO;
	} else if (length > CV_GPIO_CONFIG_FILE_MAX) {
		cv_gpio_error_set(error, 0, "%s is larger than %u bytes", path, CV_GPIO_CONFIG_FILE_MAX);
		rc = CV_E_INVAL;
	} else {
		rc = cv_gpio_config_parse(text, length, out, error);
	}
	free(text);
	return rc;
}
