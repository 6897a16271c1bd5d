/* SPDX-License-Identifier: MIT */
/* The debouncer: a new raw level counts only once it has lasted the input's
 * debounce time. The length of a pulse is measured between the kernel's
 * timestamps of its two edges, so a short glitch read in one batch is
 * recognised however late the loop reads it; a level with no edge after it
 * is confirmed by the caller's clock, debounce_ms after it was read. */
#include "gpio_private.h"

void cv_gpio_input_reset(struct cv_gpio_input *input, bool level, uint64_t now_ms)
{
	input->level = level;
	input->pending = false;
	input->pending_edge_us = 0;
	input->pending_seen_ms = 0;
	input->changed_ms = now_ms;
}

static enum cv_gpio_change cv_gpio_input_commit(struct cv_gpio_input *input, uint64_t now_ms)
{
	input->pending = false;
	input->level = !input->level;
	input->changed_ms = now_ms;
	return input->level ? CV_GPIO_CHANGE_ACTIVATED : CV_GPIO_CHANGE_RELEASED;
}

/* One edge to logical @p level at @p edge_us. The pending change, if this
 * edge proves it lasted long enough, is returned; the edge itself then
 * starts a new pending change (reported later). */
enum cv_gpio_change cv_gpio_input_edge(struct cv_gpio_input *input, bool level, uint64_t edge_us, uint64_t now_ms,
				       uint32_t *ignored)
{
	if (input->debounce_ms == 0) {
		if (level == input->level)
			return CV_GPIO_CHANGE_NONE; /* A repeated edge: the level is already known. */
		input->pending = true;
		return cv_gpio_input_commit(input, now_ms);
	}
	uint64_t debounce_us = (uint64_t)input->debounce_ms * 1000u;
	enum cv_gpio_change change = CV_GPIO_CHANGE_NONE;
	if (input->pending) {
		bool lasted = edge_us >= input->pending_edge_us && edge_us - input->pending_edge_us >= debounce_us;
		if (lasted) {
			change = cv_gpio_input_commit(input, now_ms);
		} else if (level == input->level) {
			/* Back to the debounced level too soon: a glitch or a bounce. */
			input->pending = false;
			(*ignored)++;
			return CV_GPIO_CHANGE_NONE;
		} else {
			/* The same level again (an edge in between was lost): it counts from now. */
			input->pending_edge_us = edge_us;
			input->pending_seen_ms = now_ms;
			return CV_GPIO_CHANGE_NONE;
		}
	}
	if (level != input->level) {
		input->pending = true;
		input->pending_edge_us = edge_us;
		input->pending_seen_ms = now_ms;
	}
	return change;
}

enum cv_gpio_change cv_gpio_input_tick(struct cv_gpio_input *input, uint64_t now_ms)
{
	if (!input->pending || now_ms < input->pending_seen_ms + input->debounce_ms)
		return CV_GPIO_CHANGE_NONE;
	return cv_gpio_input_commit(input, now_ms);
}

int64_t cv_gpio_input_wait_ms(const struct cv_gpio_input *input, uint64_t now_ms)
{
	if (!input->pending)
		return -1;
	uint64_t due = input->pending_seen_ms + input->debounce_ms;
	return due > now_ms ? (int64_t)(due - now_ms) : 0;
}
