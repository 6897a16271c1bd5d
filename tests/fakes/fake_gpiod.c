/* SPDX-License-Identifier: MIT */
/* The link-time fake of libgpiod v1: see fake_gpiod.h for what it models.
 * The prototypes come from the real <gpiod.h>, so a signature that drifts
 * from libgpiod 1.6 fails to compile. */
#define _GNU_SOURCE

#include "fake_gpiod.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAKE_CHIPS_MAX 4
#define FAKE_LINES_MAX 128
#define FAKE_HANDLES_MAX 8

enum fake_request { FAKE_FREE = 0, FAKE_OUTPUT, FAKE_INPUT, FAKE_EVENTS, FAKE_HELD };

/* The physical line. */
struct fake_line_model {
	int level;
	enum fake_request request;
	char consumer[32];
	unsigned changes;
	int pipe[2];
	struct gpiod_line_event queue[FAKE_GPIOD_EVENT_QUEUE];
	unsigned queued;
};

struct fake_chip_model {
	char name[32];
	unsigned num_lines;
	struct fake_line_model lines[FAKE_LINES_MAX];
};

/* What libgpiod hands out: per open chip, one line object per offset. */
struct gpiod_line {
	struct gpiod_chip *chip;
	unsigned offset;
	bool requested_here;
};

struct gpiod_chip {
	struct fake_chip_model *model;
	struct gpiod_line lines[FAKE_LINES_MAX];
	bool open;
};

static struct fake_chip_model fake_chips[FAKE_CHIPS_MAX];
static unsigned fake_chip_count;
static struct gpiod_chip fake_handles[FAKE_HANDLES_MAX];
static char fake_log[FAKE_GPIOD_LOG_MAX][96];
static size_t fake_log_count;
static unsigned fake_blocking_reads;
static unsigned fake_dropped;

static void fake_log_add(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void fake_log_add(const char *format, ...)
{
	if (fake_log_count == FAKE_GPIOD_LOG_MAX)
		return;
	va_list args;
	va_start(args, format);
	vsnprintf(fake_log[fake_log_count++], sizeof(fake_log[0]), format, args);
	va_end(args);
}

static struct fake_chip_model *fake_chip_find(const char *name)
{
	for (unsigned i = 0; i < fake_chip_count; i++)
		if (strcmp(fake_chips[i].name, name) == 0)
			return &fake_chips[i];
	return NULL;
}

static struct fake_line_model *fake_line_find(const char *chip, unsigned offset)
{
	struct fake_chip_model *model = fake_chip_find(chip);
	return model != NULL && offset < model->num_lines ? &model->lines[offset] : NULL;
}

static struct fake_line_model *fake_model(struct gpiod_line *line)
{
	return &line->chip->model->lines[line->offset];
}

static void fake_line_free(struct fake_line_model *l)
{
	if (l->pipe[0] >= 0) {
		close(l->pipe[0]);
		close(l->pipe[1]);
	}
	l->pipe[0] = l->pipe[1] = -1;
	l->queued = 0;
	l->request = FAKE_FREE;
	l->consumer[0] = '\0';
}

void fake_gpiod_reset(void)
{
	for (unsigned c = 0; c < fake_chip_count; c++)
		for (unsigned i = 0; i < fake_chips[c].num_lines; i++)
			fake_line_free(&fake_chips[c].lines[i]);
	memset(fake_chips, 0, sizeof(fake_chips));
	memset(fake_handles, 0, sizeof(fake_handles));
	fake_chip_count = 0;
	fake_log_count = 0;
	fake_blocking_reads = 0;
	fake_dropped = 0;
}

void fake_gpiod_add_chip(const char *name, unsigned num_lines)
{
	if (fake_chip_count == FAKE_CHIPS_MAX || num_lines > FAKE_LINES_MAX)
		abort();
	struct fake_chip_model *model = &fake_chips[fake_chip_count++];
	memset(model, 0, sizeof(*model));
	snprintf(model->name, sizeof(model->name), "%s", name);
	model->num_lines = num_lines;
	for (unsigned i = 0; i < num_lines; i++)
		model->lines[i].pipe[0] = model->lines[i].pipe[1] = -1;
}

int fake_gpiod_drive(const char *chip, unsigned offset, int level, uint64_t time_ms)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	if (l == NULL || l->request == FAKE_OUTPUT)
		abort(); /* A test bug: driving a line that does not exist or is an output. */
	level = level != 0;
	if (level == l->level)
		return 0;
	l->level = level;
	if (l->request != FAKE_EVENTS)
		return 0;
	if (l->queued == FAKE_GPIOD_EVENT_QUEUE) {
		fake_dropped++;
		return -1;
	}
	struct gpiod_line_event *event = &l->queue[l->queued++];
	event->event_type = level ? GPIOD_LINE_EVENT_RISING_EDGE : GPIOD_LINE_EVENT_FALLING_EDGE;
	event->ts.tv_sec = (time_t)(time_ms / 1000u);
	event->ts.tv_nsec = (long)(time_ms % 1000u) * 1000000L;
	char byte = 1;
	if (write(l->pipe[1], &byte, 1) != 1)
		abort();
	return 1;
}

int fake_gpiod_level(const char *chip, unsigned offset)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	return l != NULL ? l->level : -1;
}

bool fake_gpiod_is_output(const char *chip, unsigned offset)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	return l != NULL && l->request == FAKE_OUTPUT;
}

bool fake_gpiod_is_event_line(const char *chip, unsigned offset)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	return l != NULL && l->request == FAKE_EVENTS;
}

void fake_gpiod_hold(const char *chip, unsigned offset, const char *consumer)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	if (l == NULL)
		abort();
	l->request = FAKE_HELD;
	snprintf(l->consumer, sizeof(l->consumer), "%s", consumer);
}

unsigned fake_gpiod_changes(const char *chip, unsigned offset)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	return l != NULL ? l->changes : 0;
}

unsigned fake_gpiod_pending(const char *chip, unsigned offset)
{
	struct fake_line_model *l = fake_line_find(chip, offset);
	return l != NULL ? l->queued : 0;
}

unsigned fake_gpiod_open_chips(void)
{
	unsigned count = 0;
	for (unsigned i = 0; i < FAKE_HANDLES_MAX; i++)
		count += fake_handles[i].open;
	return count;
}

unsigned fake_gpiod_requested_lines(void)
{
	unsigned count = 0;
	for (unsigned c = 0; c < fake_chip_count; c++)
		for (unsigned i = 0; i < fake_chips[c].num_lines; i++)
			count += fake_chips[c].lines[i].request != FAKE_FREE &&
				 fake_chips[c].lines[i].request != FAKE_HELD;
	return count;
}

unsigned fake_gpiod_blocking_reads(void)
{
	return fake_blocking_reads;
}

unsigned fake_gpiod_dropped_events(void)
{
	return fake_dropped;
}

size_t fake_gpiod_log_count(void)
{
	return fake_log_count;
}

const char *fake_gpiod_log_line(size_t index)
{
	return index < fake_log_count ? fake_log[index] : "";
}

unsigned fake_gpiod_log_has(const char *prefix)
{
	unsigned count = 0;
	for (size_t i = 0; i < fake_log_count; i++)
		count += strncmp(fake_log[i], prefix, strlen(prefix)) == 0;
	return count;
}

/* ---- The libgpiod v1 functions the backend calls. ---- */

struct gpiod_chip *gpiod_chip_open_by_name(const char *name)
{
	fake_log_add("chip_open_by_name %s", name);
	struct fake_chip_model *model = fake_chip_find(name);
	if (model == NULL) {
		errno = ENOENT;
		return NULL;
	}
	for (unsigned i = 0; i < FAKE_HANDLES_MAX; i++) {
		struct gpiod_chip *chip = &fake_handles[i];
		if (chip->open)
			continue;
		memset(chip, 0, sizeof(*chip));
		chip->model = model;
		chip->open = true;
		for (unsigned j = 0; j < model->num_lines; j++) {
			chip->lines[j].chip = chip;
			chip->lines[j].offset = j;
		}
		return chip;
	}
	errno = EMFILE;
	return NULL;
}

struct gpiod_chip *gpiod_chip_open(const char *path)
{
	fake_log_add("chip_open %s", path);
	if (strncmp(path, "/dev/", 5) != 0) {
		errno = ENOENT;
		return NULL;
	}
	return gpiod_chip_open_by_name(path + 5);
}

unsigned int gpiod_chip_num_lines(struct gpiod_chip *chip)
{
	return chip->model->num_lines;
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset)
{
	if (offset >= chip->model->num_lines) {
		errno = EINVAL;
		return NULL;
	}
	return &chip->lines[offset];
}

const char *gpiod_line_consumer(struct gpiod_line *line)
{
	struct fake_line_model *l = fake_model(line);
	return l->request == FAKE_FREE ? NULL : l->consumer;
}

static int fake_request(struct gpiod_line *line, const char *consumer, enum fake_request request)
{
	struct fake_line_model *l = fake_model(line);
	if (l->request != FAKE_FREE) {
		errno = EBUSY;
		return -1;
	}
	if (request == FAKE_EVENTS && pipe2(l->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	l->request = request;
	snprintf(l->consumer, sizeof(l->consumer), "%s", consumer != NULL ? consumer : "?");
	line->requested_here = true;
	return 0;
}

int gpiod_line_request_output(struct gpiod_line *line, const char *consumer, int default_val)
{
	fake_log_add("request_output %s %u %s %d", line->chip->model->name, line->offset, consumer, default_val != 0);
	if (fake_request(line, consumer, FAKE_OUTPUT) != 0)
		return -1;
	struct fake_line_model *l = fake_model(line);
	l->level = default_val != 0;
	return 0;
}

int gpiod_line_request_input(struct gpiod_line *line, const char *consumer)
{
	fake_log_add("request_input %s %u %s", line->chip->model->name, line->offset, consumer);
	return fake_request(line, consumer, FAKE_INPUT);
}

int gpiod_line_request_both_edges_events(struct gpiod_line *line, const char *consumer)
{
	fake_log_add("request_both_edges_events %s %u %s", line->chip->model->name, line->offset, consumer);
	return fake_request(line, consumer, FAKE_EVENTS);
}

void gpiod_line_release(struct gpiod_line *line)
{
	fake_log_add("release %s %u", line->chip->model->name, line->offset);
	if (!line->requested_here)
		return;
	line->requested_here = false;
	fake_line_free(fake_model(line));
}

int gpiod_line_set_value(struct gpiod_line *line, int value)
{
	struct fake_line_model *l = fake_model(line);
	fake_log_add("set_value %s %u %d", line->chip->model->name, line->offset, value != 0);
	if (!line->requested_here || l->request != FAKE_OUTPUT) {
		errno = EPERM;
		return -1;
	}
	if (l->level != (value != 0))
		l->changes++;
	l->level = value != 0;
	return 0;
}

int gpiod_line_get_value(struct gpiod_line *line)
{
	if (!line->requested_here) {
		errno = EPERM;
		return -1;
	}
	return fake_model(line)->level;
}

int gpiod_line_event_get_fd(struct gpiod_line *line)
{
	struct fake_line_model *l = fake_model(line);
	if (!line->requested_here || l->request != FAKE_EVENTS) {
		errno = EPERM;
		return -1;
	}
	return l->pipe[0];
}

int gpiod_line_event_read(struct gpiod_line *line, struct gpiod_line_event *event)
{
	struct fake_line_model *l = fake_model(line);
	if (!line->requested_here || l->request != FAKE_EVENTS) {
		errno = EPERM;
		return -1;
	}
	if (l->queued == 0) {
		fake_blocking_reads++; /* libgpiod would block here for the next edge. */
		errno = EAGAIN;
		return -1;
	}
	char byte;
	if (read(l->pipe[0], &byte, 1) != 1)
		abort();
	*event = l->queue[0];
	memmove(l->queue, l->queue + 1, (l->queued - 1) * sizeof(l->queue[0]));
	l->queued--;
	return 0;
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
	fake_log_add("chip_close %s", chip->model->name);
	for (unsigned i = 0; i < chip->model->num_lines; i++)
		if (chip->lines[i].requested_here) {
			chip->lines[i].requested_here = false;
			fake_line_free(&chip->model->lines[i]);
		}
	chip->open = false;
}
