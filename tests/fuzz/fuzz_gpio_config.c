/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the GPIO configuration parser reads a file an operator
 * (or anyone who can write to /etc) wrote. Besides the sanitizers, it
 * checks what the backend relies on: an accepted configuration passes
 * cv_gpio_config_check() (no offset used twice, every lane with motor and
 * index, timings in range), its strings are terminated, and written back
 * as text it parses to the same configuration; a refused one has a
 * terminated, non-empty message and a line number within the text.
 * Build and run: scripts/fuzz.sh */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/linux_gpio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *active_text(enum cv_gpio_active active)
{
	return active == CV_GPIO_ACTIVE_LOW ? "low" : "high";
}

/* The configuration as text again (every key spelled out). */
static size_t render(const struct cv_gpio_config *c, char *out, size_t size)
{
	int used = snprintf(out, size,
			    "chip = %s\nconsumer = %s\nmotor_timeout_ms = %u\nindex_debounce_ms = %u\n"
			    "beam = %u active=%s debounce_ms=%u stuck_ms=%u\n",
			    c->chip, c->consumer, (unsigned)c->motor_timeout_ms, (unsigned)c->index_debounce_ms,
			    (unsigned)c->beam_offset, active_text(c->beam_active), (unsigned)c->beam_debounce_ms,
			    (unsigned)c->beam_stuck_ms);
	assert(used > 0 && (size_t)used < size);
	size_t length = (size_t)used;
	for (uint16_t i = 0; i < c->lane_count; i++) {
		const struct cv_gpio_lane_config *l = &c->lanes[i];
		used = snprintf(out + length, size - length,
				"lane %s motor=%u motor_active=%s index=%u index_active=%s pulses_per_turn=%u\n",
				l->label, (unsigned)l->motor_offset, active_text(l->motor_active),
				(unsigned)l->index_offset, active_text(l->index_active), (unsigned)l->pulses_per_turn);
		assert(used > 0 && (size_t)used < size - length);
		length += (size_t)used;
	}
	return length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cv_gpio_config config, again;
	static char text[16384];
	struct cv_gpio_error error;
	memset(&error, 0xa5, sizeof(error));
	enum cv_status rc = cv_gpio_config_parse((const char *)data, size, &config, &error);
	if (rc != CV_OK) {
		assert(rc == CV_E_INVAL);
		size_t length = strnlen(error.message, sizeof(error.message));
		assert(length > 0 && length < sizeof(error.message));
		size_t lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		assert(error.line <= lines);
		return 0;
	}
	assert(cv_gpio_config_check(&config, &error) == CV_OK);
	assert(memchr(config.chip, '\0', sizeof(config.chip)) != NULL);
	assert(memchr(config.consumer, '\0', sizeof(config.consumer)) != NULL);
	for (uint16_t i = 0; i < config.lane_count; i++)
		assert(memchr(config.lanes[i].label, '\0', sizeof(config.lanes[i].label)) != NULL);
	size_t length = render(&config, text, sizeof(text));
	rc = cv_gpio_config_parse(text, length, &again, &error);
	assert(rc == CV_OK);
	assert(memcmp(&config, &again, sizeof(config)) == 0);
	return 0;
}
