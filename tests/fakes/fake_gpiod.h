/* SPDX-License-Identifier: MIT */
/* A link-time fake of libgpiod 1.6 (v1 API): the backend's real code is
 * linked with tests/fakes/fake_gpiod.c instead of -lgpiod. This header is
 * the test side: make chips, drive input levels at given times (each edge
 * on a line requested for events is queued and a byte is written to the
 * line's pipe, so poll() on gpiod_line_event_get_fd() really wakes), read
 * back output levels, and read the call log.
 *
 * What it models (and so what tests against it prove) is our reading of
 * libgpiod v1 and the kernel's v1 character device, not the kernel itself:
 * - chips by name ("gpiochip0") or path ("/dev/gpiochip0"), ENOENT if absent;
 * - lines by offset (EINVAL beyond num_lines); a line is requested once
 *   (EBUSY if requested already, by us or by another consumer);
 * - outputs start at the requested default value; set_value on a line that
 *   is not an output fails with EPERM; get_value works on any request;
 * - both-edge events: the kernel's queue holds 16 events, later ones are
 *   dropped; gpiod_line_event_read() on an empty queue would block in the
 *   real library: the fake counts it (fake_gpiod_blocking_reads()) and
 *   fails with EAGAIN instead of hanging the test;
 * - closing a chip releases the lines requested through it.
 * Levels here are physical (0/1); polarity is the backend's business. */
#ifndef CANDYVEND_FAKE_GPIOD_H
#define CANDYVEND_FAKE_GPIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Events the fake keeps per line before it drops new ones (the kernel's 16). */
#define FAKE_GPIOD_EVENT_QUEUE 16
#define FAKE_GPIOD_LOG_MAX 4096

/* Forgets every chip, closes every pipe, clears the log and counters. */
void fake_gpiod_reset(void);
/* A chip with @p num_lines lines, all inputs at level 0. */
void fake_gpiod_add_chip(const char *name, unsigned num_lines);
/* Sets the physical level of an input at @p time_ms; a change on a line
 * requested for edge events queues one event stamped @p time_ms. Returns 1
 * if an event was queued, 0 if not (no change, or not requested), -1 if
 * the queue was full (event dropped, as the kernel does). */
int fake_gpiod_drive(const char *chip, unsigned offset, int level, uint64_t time_ms);
/* The physical level of a line (output value for outputs); -1 if no such line. */
int fake_gpiod_level(const char *chip, unsigned offset);
/* Whether the line is requested as an output / for events. */
bool fake_gpiod_is_output(const char *chip, unsigned offset);
bool fake_gpiod_is_event_line(const char *chip, unsigned offset);
/* Marks the line as held by another process (requests then fail with EBUSY). */
void fake_gpiod_hold(const char *chip, unsigned offset, const char *consumer);
/* How many times an output's level changed through gpiod_line_set_value(). */
unsigned fake_gpiod_changes(const char *chip, unsigned offset);
/* Events queued and not yet read. */
unsigned fake_gpiod_pending(const char *chip, unsigned offset);

/* Chip handles open, lines requested (by anyone but fake_gpiod_hold()). */
unsigned fake_gpiod_open_chips(void);
unsigned fake_gpiod_requested_lines(void);
/* gpiod_line_event_read() calls that would have blocked. */
unsigned fake_gpiod_blocking_reads(void);
/* Events dropped because a queue was full. */
unsigned fake_gpiod_dropped_events(void);

/* The call log: one line per libgpiod call, e.g.
 * "request_output gpiochip0 17 candyvend 0", "set_value gpiochip0 17 1". */
size_t fake_gpiod_log_count(void);
const char *fake_gpiod_log_line(size_t index);
/* How many log lines start with @p prefix. */
unsigned fake_gpiod_log_has(const char *prefix);

#endif
