/* SPDX-License-Identifier: MIT */
/* Internals of the Linux GPIO backends, shared by the files of backends/linux-gpio only. */
#ifndef CANDYVEND_GPIO_PRIVATE_H
#define CANDYVEND_GPIO_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/event.h>
#include <candyvend/linux_gpio.h>

/* The library is built with hidden visibility: only these definitions are
 * exported. */
#if defined(__GNUC__)
#define CV_GPIO_EXPORT __attribute__((visibility("default")))
#define CV_GPIO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CV_GPIO_EXPORT
#define CV_GPIO_PRINTF(f, a)
#endif

struct gpiod_chip;
struct gpiod_line;

/* A debounced input (gpio_input.c). Times of edges are the kernel's event
 * timestamps in µs; "seen" times are the caller's clock in ms. */
struct cv_gpio_input {
	struct gpiod_line *line;
	int fd; /* Event descriptor, -1 before the request. */
	enum cv_gpio_active active;
	uint32_t debounce_ms;
	bool level;               /* Debounced logical level (true = active). */
	bool pending;             /* A change to !level waits for its debounce time. */
	uint64_t pending_edge_us; /* Event timestamp of that edge. */
	uint64_t pending_seen_ms; /* Caller time when it was read. */
	uint64_t changed_ms;      /* Caller time of the last debounced change. */
};

/* What cv_gpio_input_edge()/_tick() report. */
enum cv_gpio_change {
	CV_GPIO_CHANGE_NONE = 0,
	CV_GPIO_CHANGE_ACTIVATED, /* Debounced level became active. */
	CV_GPIO_CHANGE_RELEASED,  /* Debounced level became inactive. */
};

struct cv_gpio_lane {
	struct cv_gpio_lane_config config;
	struct gpiod_line *motor;
	bool motor_on;
	struct cv_gpio_input index;
	bool moving;
	uint32_t op_id;
	uint32_t pulses_target;
	uint32_t pulses_seen;
	uint64_t pulse_deadline_ms; /* No pulse by then: jam. */
};

struct cv_gpio {
	struct cv_gpio_config config;
	struct gpiod_chip *chip;
	struct cv_machine *dispenser_machine;
	struct cv_machine *sensor_machine;
	struct cv_gpio_lane lanes[CV_GPIO_LANES_MAX];
	struct cv_gpio_input beam;
	bool beam_armed;
	uint32_t beam_op_id;
	bool beam_faulted;          /* Blocked for beam_stuck_ms (or armed while blocked) and not clear since. */
	bool beam_faulted_reported; /* What the engine accepted last (a new machine: healthy). */
	bool beam_report_waiting;   /* The engine's full queue refused the latest state. */
	uint64_t now_ms;            /* Time of the last cv_gpio_process(). */
	bool clock_started;         /* now_ms came from a cv_gpio_process(). */
	struct cv_event outbox[CV_GPIO_OUTBOX_MAX];
	unsigned outbox_count;
	struct cv_gpio_stats stats;
};

/* gpio_error.c */
void cv_gpio_error_set(struct cv_gpio_error *error, unsigned line, const char *format, ...) CV_GPIO_PRINTF(3, 4);

/* gpio_input.c: the debouncer, pure logic (no GPIO calls). */
void cv_gpio_input_reset(struct cv_gpio_input *input, bool level, uint64_t now_ms);
enum cv_gpio_change cv_gpio_input_edge(struct cv_gpio_input *input, bool level, uint64_t edge_us, uint64_t now_ms,
				       uint32_t *ignored);
enum cv_gpio_change cv_gpio_input_tick(struct cv_gpio_input *input, uint64_t now_ms);
/* Time left until a pending change can be confirmed by the clock, or -1. */
int64_t cv_gpio_input_wait_ms(const struct cv_gpio_input *input, uint64_t now_ms);

/* gpio_lines.c: everything that calls libgpiod. */
enum cv_status cv_gpio_lines_open(struct cv_gpio *gpio, struct cv_gpio_error *error);
void cv_gpio_lines_close(struct cv_gpio *gpio);
enum cv_status cv_gpio_motor_set(struct cv_gpio *gpio, struct cv_gpio_lane *lane, bool on);
/* Reads one event if the descriptor is readable: 1 read, 0 none pending, -1 error. */
int cv_gpio_input_read(struct cv_gpio *gpio, struct cv_gpio_input *input, bool *level, uint64_t *edge_us);

/* gpio_post.c: posts with a small outbox for a full engine queue. */
void cv_gpio_post(struct cv_gpio *gpio, struct cv_machine *machine, const struct cv_event *event);
void cv_gpio_outbox_flush(struct cv_gpio *gpio);
/* Tells the engine the beam's state if it has not accepted it yet. */
void cv_gpio_beam_report(struct cv_gpio *gpio);

/* gpio_dispenser.c / gpio_sensor.c: what cv_gpio_process() drives. */
void cv_gpio_lane_on_change(struct cv_gpio *gpio, struct cv_gpio_lane *lane, enum cv_gpio_change change);
void cv_gpio_lane_tick(struct cv_gpio *gpio, struct cv_gpio_lane *lane);
void cv_gpio_beam_on_change(struct cv_gpio *gpio, enum cv_gpio_change change);
void cv_gpio_beam_tick(struct cv_gpio *gpio);
int64_t cv_gpio_beam_wait_ms(const struct cv_gpio *gpio, uint64_t now_ms);

#endif
