/* SPDX-License-Identifier: MIT */
/* Posting completions. The engine's input queue is bounded; what it refuses
 * (CV_E_FULL) waits and is retried on every cv_gpio_process() until it is
 * accepted. Nothing is ever dropped: a completion never delivered would
 * count, when the engine's wait ends, as a motor fault or a missed drop,
 * and a lost "sensor recovered" would stop every lane that requires drop
 * verification for good.
 *
 * - One-shot completions (DISPENSE_DONE, DROP_DETECTED) wait in order in
 *   the outbox. Each names an operation; a second one for an operation
 *   that waits already is the same news and is not queued again. The
 *   engine runs at most CV_VENDS_MAX vends, each with one movement and one
 *   beam operation at a time, so the outbox never fills.
 * - The beam's health is a state, not an event: the latest state the
 *   engine has not accepted waits, and replaces an older one
 *   (cv_gpio_beam_report()). */
#include <string.h>

#include <candyvend/machine.h>
#include <candyvend/vend.h>

#include "gpio_private.h"

_Static_assert(CV_GPIO_OUTBOX_MAX >= 2 * CV_VENDS_MAX, "a movement and a beam operation per vend can wait");

static uint32_t cv_gpio_event_op(const struct cv_event *event)
{
	return event->type == CV_EVENT_DISPENSE_DONE ? event->u.dispense.op_id : event->u.drop.op_id;
}

static bool cv_gpio_outbox_holds(const struct cv_gpio *gpio, const struct cv_event *event)
{
	for (unsigned i = 0; i < gpio->outbox_count; i++)
		if (gpio->outbox[i].type == event->type &&
		    cv_gpio_event_op(&gpio->outbox[i]) == cv_gpio_event_op(event))
			return true;
	return false;
}

void cv_gpio_post(struct cv_gpio *gpio, struct cv_machine *machine, const struct cv_event *event)
{
	if (machine == NULL)
		return; /* Not opened by a machine (yet): nobody to tell. */
	if (gpio->outbox_count == 0 && cv_machine_post(machine, event) != CV_E_FULL)
		return;
	if (cv_gpio_outbox_holds(gpio, event))
		return;
	gpio->stats.posts_deferred++;
	if (gpio->outbox_count == CV_GPIO_OUTBOX_MAX) {
		gpio->stats.posts_lost++; /* Not reachable with the engine's bounds (see above). */
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
	cv_gpio_beam_report(gpio);
}

void cv_gpio_beam_report(struct cv_gpio *gpio)
{
	if (gpio->sensor_machine == NULL || gpio->beam_faulted == gpio->beam_faulted_reported)
		return;
	struct cv_event event = {.type = CV_EVENT_SENSOR_STATUS};
	event.u.sensor.faulted = gpio->beam_faulted;
	if (cv_machine_post(gpio->sensor_machine, &event) == CV_E_FULL) {
		if (!gpio->beam_report_waiting)
			gpio->stats.posts_deferred++;
		gpio->beam_report_waiting = true;
		return;
	}
	gpio->beam_faulted_reported = gpio->beam_faulted;
	gpio->beam_report_waiting = false;
}
