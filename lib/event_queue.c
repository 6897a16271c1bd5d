/* SPDX-License-Identifier: MIT */
/* The bounded input queue between backends and the engine. */
#include "machine_private.h"

void cv_event_queue_init(struct cv_event_queue *queue)
{
	queue->head = 0;
	queue->count = 0;
}

enum cv_status cv_event_queue_push(struct cv_event_queue *queue, const struct cv_input_event *event)
{
	if (queue->count == CV_EVENT_QUEUE_MAX)
		return CV_E_FULL;
	unsigned tail = (queue->head + queue->count) % CV_EVENT_QUEUE_MAX;
	queue->items[tail] = *event;
	queue->count++;
	return CV_OK;
}

bool cv_event_queue_pop(struct cv_event_queue *queue, struct cv_input_event *out)
{
	if (queue->count == 0)
		return false;
	*out = queue->items[queue->head];
	queue->head = (queue->head + 1) % CV_EVENT_QUEUE_MAX;
	queue->count--;
	return true;
}
