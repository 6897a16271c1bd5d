/* SPDX-License-Identifier: MIT */
/* Posting completions. The engine's input queue is bounded; a post it
 * refuses with CV_E_FULL waits here and is retried, in order, on the next
 * cv_gpio_process(). A completion never delivered would count, when the
 * engine's wait ends, as a motor fault or a missed drop. */
#include <string.h>

#include <candyvend/machine.h>

#include "gpio_private.h"

void cv_gpio_post(struct cv_gpio *gpio, struct cv_machine *machine, const struct cv_event *event)
{
	if (machine == NULL)
		return; /* Not opened by a machine (yet): nobody to tell. */
	if (gpio->outbox_count == 0 && cv_machine_post(machine, event) != CV_E_FULL)
		return;
	gpio->stats.posts_deferred++;
	if (gpio->outbox_count == CV_GPIO_OUTBOX_MAX) {
		gpio->stats.posts_lost++;
		return;
	}
	gpio->outbox[gpio->outbox_count++] = *event;
}

/* Which machine an event goes to: the dispenser's or the sensor's. */
static struct cv_machine *cv_gpio_post_target(const struct cv_gpio *gpio, const struct cv_event *event)
{
	return event->type == CV_EVENT_DISPENSE_DONE ? gpio->dispenser_machine : gpio->sensor_machine;
}

void cv_gpio_outbox_flush(struct cv_gpio *gpio)
{
	unsigned sent = 0;
	while (sent < gpio->outbox_count) {
		const struct cv_event *event = &gpio->outbox[sent];
		struct cv_machine *machine = cv_gpio_post_target(gpio, event);
		if (machine != NULL && cv_machine_post(machine, event) == CV_E_FULL)
			break;
		sent++;
	}
	memmove(gpio->outbox, gpio->outbox + sent, (gpio->outbox_count - sent) * sizeof(gpio->outbox[0]));
	gpio->outbox_count -= sent;
}
