/* SPDX-License-Identifier: MIT */
/*
 * candyvend-gpio: a vending controller on Linux GPIO lines. Reads the GPIO
 * configuration, opens the lines, the POSIX journal and a payment backend
 * (a simulated stand-in here), then runs one poll loop: the line event
 * descriptors, stdin (a service console: type a lane label to sell from
 * it), and a timer. SIGTERM and SIGINT stop it with every motor off.
 *
 *   candyvend-gpio --check-config CONFIG     check the file, open nothing
 *   candyvend-gpio [--journal DIR] [--price MINOR] [--stock N] CONFIG
 */
#define _POSIX_C_SOURCE 200809L

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller.h"

static const char usage[] = "usage: candyvend-gpio --check-config CONFIG\n"
			    "       candyvend-gpio [--journal DIR] [--price MINOR] [--stock N] CONFIG\n"
			    "\n"
			    "  --check-config  parse and check CONFIG, print its lanes, open no GPIO (exit 0 if good)\n"
			    "  --journal DIR   journal directory (default /var/lib/candyvend/journal)\n"
			    "  --price MINOR   price of every lane on the first start, in cents (default 150)\n"
			    "  --stock N       items per lane on the first start (default 10)\n"
			    "Console (stdin): a lane label sells from it; 'cancel'; 'quit'.\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int signal_number)
{
	(void)signal_number;
	stop_requested = 1;
}

static int check_config(const char *path)
{
	struct cv_gpio_config config;
	struct cv_gpio_error error;
	if (cv_gpio_config_load(path, &config, &error) != CV_OK) {
		fprintf(stderr, "%s:%u: %s\n", path, error.line, error.message);
		return 2;
	}
	printf("%s: chip %s, beam on line %u (active %s), %u lanes\n", path, config.chip, (unsigned)config.beam_offset,
	       config.beam_active == CV_GPIO_ACTIVE_LOW ? "low" : "high", (unsigned)config.lane_count);
	for (uint16_t i = 0; i < config.lane_count; i++)
		printf("  lane %s: motor line %u, index line %u, %u pulses per turn\n", config.lanes[i].label,
		       (unsigned)config.lanes[i].motor_offset, (unsigned)config.lanes[i].index_offset,
		       (unsigned)config.lanes[i].pulses_per_turn);
	return 0;
}

static bool parse_number(const char *text, uint64_t max, uint64_t *out)
{
	char *end;
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	unsigned long long value = strtoull(text, &end, 10);
	if (*end != '\0' || value > max)
		return false;
	*out = value;
	return true;
}

/* Reads what stdin has (it is readable); false once it is closed. */
static bool read_console(struct controller *c, bool *running)
{
	static char line[128];
	static size_t length;
	char buf[64];
	ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
	if (got <= 0)
		return false;
	for (ssize_t i = 0; i < got; i++) {
		if (buf[i] != '\n') {
			if (length < sizeof(line) - 1)
				line[length++] = buf[i];
			continue;
		}
		line[length] = '\0';
		length = 0;
		if (!controller_command(c, line))
			*running = false;
	}
	return true;
}

static int run(const struct controller_options *options)
{
	struct controller controller;
	if (!controller_open(&controller, options)) {
		controller_close(&controller);
		return 1;
	}
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	printf("running: type a lane label to sell, 'quit' to stop\n");
	fflush(stdout);
	struct pollfd fds[CV_GPIO_LANES_MAX + 2];
	bool console = true, running = true;
	while (running && !stop_requested) {
		size_t count = cv_gpio_pollfds(controller.gpio, fds, CV_GPIO_LANES_MAX + 1);
		if (console)
			fds[count++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		int ready = poll(fds, (nfds_t)count, controller_timeout_ms(&controller, controller_now_ms()));
		if (ready > 0 && console && (fds[count - 1].revents & (POLLIN | POLLHUP)) != 0)
			console = read_console(&controller, &running);
		controller_step(&controller, controller_now_ms());
	}
	controller_close(&controller);
	printf("stopped: motors off, lines released\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct controller_options options = {
		.journal_dir = "/var/lib/candyvend/journal",
		.price_minor = 150,
		.stock = 10,
	};
	bool check_only = false;
	for (int i = 1; i < argc; i++) {
		uint64_t value;
		if (strcmp(argv[i], "--check-config") == 0) {
			check_only = true;
		} else if (strcmp(argv[i], "--journal") == 0 && i + 1 < argc) {
			options.journal_dir = argv[++i];
		} else if (strcmp(argv[i], "--price") == 0 &&
			   parse_number(i + 1 < argc ? argv[i + 1] : NULL, CV_PRICE_MAX, &value)) {
			options.price_minor = (int64_t)value;
			i++;
		} else if (strcmp(argv[i], "--stock") == 0 &&
			   parse_number(i + 1 < argc ? argv[i + 1] : NULL, CV_LANE_CAPACITY_MAX, &value)) {
			options.stock = (uint16_t)value;
			i++;
		} else if (argv[i][0] != '-' && options.config_path == NULL) {
			options.config_path = argv[i];
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (options.config_path == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	return check_only ? check_config(options.config_path) : run(&options);
}
