/* SPDX-License-Identifier: MIT */
/* Wiring: platform (getrandom, wall clock, log to stderr), the GPIO
 * backends from the configuration file, the POSIX journal, and a payment
 * backend.
 *
 * PAYMENT STAND-IN: this example has no card reader hardware, so the
 * payment backend is the simulated terminal of libcandyvend-sim with
 * automatic approved test cards: no money moves. A real machine puts its
 * reader's cv_payment_ops here (e.g. libcandyvend-gateway). */
#define _GNU_SOURCE

#include "controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

uint64_t controller_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void controller_random(void *ctx, void *buf, size_t length)
{
	(void)ctx;
	unsigned char *out = buf;
	while (length > 0) {
		ssize_t got = getrandom(out, length, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			abort(); /* No entropy means no unique vend ids: do not sell. */
		out += got;
		length -= (size_t)got;
	}
}

static int64_t controller_wall_clock(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void controller_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	static const char *const names[] = {"error", "warn", "info", "debug"};
	fprintf(stderr, "candyvend %s: %s\n", names[level & 3], message);
}

static const struct cv_platform_ops controller_platform = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_platform_ops),
	.random_bytes = controller_random,
	.wall_clock_ms = controller_wall_clock,
	.log = controller_log,
};

static void controller_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	(void)user_data;
	if (event->type == CV_EVENT_VEND_STATE) {
		printf("vend %u lane %u: %s\n", (unsigned)event->u.vend.vend_number, (unsigned)event->u.vend.lane,
		       cv_vend_state_str(event->u.vend.state));
	} else if (event->type == CV_EVENT_ALERT) {
		printf("alert %s %s lane %u\n", cv_alert_kind_code(event->u.alert.kind),
		       event->u.alert.active ? "raised" : "cleared", (unsigned)event->u.alert.lane);
	} else if (event->type == CV_EVENT_DISPLAY) {
		printf("screen: %s\n", cv_msg_text(event->u.display.msg));
	}
	fflush(stdout);
}

/* The planogram comes from the GPIO configuration's lanes, in order; the
 * journal keeps prices and stock after the first start. */
static void controller_lanes(struct controller *c, const struct controller_options *options)
{
	for (uint16_t i = 0; i < c->gpio_config.lane_count; i++) {
		struct cv_lane_config *lane = &c->lanes[i];
		cv_lane_config_default(lane);
		memcpy(lane->label, c->gpio_config.lanes[i].label, sizeof(lane->label));
		char name[CV_PRODUCT_NAME_LEN];
		snprintf(name, sizeof(name), "Lane %.7s", lane->label);
		memcpy(lane->product_name, name, sizeof(name));
		lane->price_minor = options->price_minor;
		lane->capacity = options->stock > 10 ? options->stock : 10;
		lane->count = options->stock;
		/* Movements must be whole index pulses: a 1-pulse switch can't measure a quarter turn. */
		uint8_t step = cv_gpio_lane_quarter_turns_min(c->gpio, i);
		lane->vend_quarter_turns = 4;
		lane->respin_quarter_turns = step;
	}
}

static bool controller_open_journal(struct controller *c, const char *directory)
{
	if (mkdir(directory, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "cannot create journal directory %s: %s\n", directory, strerror(errno));
		return false;
	}
	struct cv_posix_storage_config config;
	cv_posix_storage_config_default(&config);
	config.directory = directory;
	enum cv_status rc = cv_posix_storage_open(&config, &c->journal);
	if (rc != CV_OK)
		fprintf(stderr, "cannot open the journal in %s: %s\n", directory, cv_status_str(rc));
	return rc == CV_OK;
}

static bool controller_open_payment(struct controller *c)
{
	struct cv_sim_config config;
	cv_sim_config_default(&config);
	config.lane_count = c->gpio_config.lane_count;
	if (cv_sim_new(&config, &c->payment) != CV_OK)
		return false;
	cv_sim_set_auto_card(c->payment, true);
	fprintf(stderr, "PAYMENT: simulated card reader (stand-in, test cards, no money moves)\n");
	return true;
}

static bool controller_open_machine(struct controller *c)
{
	struct cv_machine_config config;
	cv_machine_config_default(&config);
	config.lanes = c->lanes;
	config.lane_count = c->gpio_config.lane_count;
	config.platform = &controller_platform;
	cv_gpio_attach(c->gpio, &config);
	config.payment = &cv_sim_payment_ops;
	config.payment_ctx = c->payment;
	config.storage = &cv_posix_storage_ops;
	config.storage_ctx = c->journal;
	config.on_event = controller_on_event;
	size_t size = (cv_machine_size() + CV_MACHINE_ALIGN - 1) / CV_MACHINE_ALIGN * CV_MACHINE_ALIGN;
	c->machine_memory = aligned_alloc(CV_MACHINE_ALIGN, size);
	if (c->machine_memory == NULL)
		return false;
	enum cv_status rc = cv_machine_init(c->machine_memory, size, &config, &c->machine);
	if (rc != CV_OK) {
		fprintf(stderr, "cannot start the machine: %s\n", cv_status_str(rc));
		c->machine = NULL;
	}
	return rc == CV_OK;
}

bool controller_open(struct controller *c, const struct controller_options *options)
{
	memset(c, 0, sizeof(*c));
	struct cv_gpio_error error;
	if (cv_gpio_config_load(options->config_path, &c->gpio_config, &error) != CV_OK) {
		fprintf(stderr, "%s:%u: %s\n", options->config_path, error.line, error.message);
		return false;
	}
	if (cv_gpio_open(&c->gpio_config, &c->gpio, &error) != CV_OK) {
		fprintf(stderr, "%s: %s\n", options->config_path, error.message);
		return false;
	}
	controller_lanes(c, options);
	return controller_open_journal(c, options->journal_dir) && controller_open_payment(c) &&
	       controller_open_machine(c);
}

void controller_close(struct controller *c)
{
	cv_machine_deinit(c->machine); /* closes the backends: motors off */
	free(c->machine_memory);
	cv_sim_free(c->payment);
	cv_posix_storage_close(c->journal);
	cv_gpio_close(c->gpio);
	memset(c, 0, sizeof(*c));
}

void controller_step(struct controller *c, uint64_t now_ms)
{
	cv_gpio_process(c->gpio, now_ms);
	cv_sim_step(c->payment, now_ms);
	cv_machine_step(c->machine, now_ms);
}

int controller_timeout_ms(struct controller *c, uint64_t now_ms)
{
	/* The engine and the stand-in reader have timers of their own and no
	 * descriptors: they are stepped at least every 20 ms. */
	int timeout = cv_gpio_timeout_ms(c->gpio, now_ms);
	return timeout < 0 || timeout > 20 ? 20 : timeout;
}

bool controller_command(struct controller *c, const char *line)
{
	if (strcmp(line, "quit") == 0 || strcmp(line, "q") == 0)
		return false;
	if (strcmp(line, "cancel") == 0) {
		printf("cancel: %s\n", cv_status_str(cv_machine_cancel(c->machine)));
		return true;
	}
	for (uint16_t i = 0; i < c->gpio_config.lane_count; i++)
		if (strcmp(line, c->gpio_config.lanes[i].label) == 0) {
			printf("select %s: %s\n", line, cv_status_str(cv_machine_select(c->machine, i, NULL)));
			return true;
		}
	if (line[0] != '\0')
		printf("commands: a lane label (select it), cancel, quit\n");
	return true;
}
