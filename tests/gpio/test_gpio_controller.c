/* SPDX-License-Identifier: MIT */
/* The example controller's own code (examples/linux-gpio/controller.c)
 * against the fake libgpiod, on the real clock: its poll loop sleeps on
 * the line event descriptors and its timeout, the POSIX journal is real
 * (a temporary directory), the test plays the motor, switch and beam with
 * the example configuration's polarities. One vend must be captured. */
#define _GNU_SOURCE

#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "fake_gpiod.h"

static char journal_dir[] = "/tmp/cv-gpio-controller-XXXXXX";

static void cleanup(void)
{
	char command[128];
	snprintf(command, sizeof(command), "rm -rf %s", journal_dir);
	if (system(command) != 0)
		abort();
	fake_gpiod_reset();
}

Test(gpio_controller, example_config_sells_one_item_on_the_real_clock, .fini = cleanup)
{
	fake_gpiod_reset();
	fake_gpiod_add_chip("gpiochip0", 32);
	/* Active-low switches and beam rest high (pull-ups). */
	static const unsigned idle_high[] = {27, 23, 25, 6, 22};
	for (unsigned i = 0; i < 5; i++)
		fake_gpiod_drive("gpiochip0", idle_high[i], 1, 0);
	cr_assert_not_null(mkdtemp(journal_dir));
	struct controller_options options = {
		.config_path = CV_GPIO_EXAMPLE_CONFIG,
		.journal_dir = journal_dir,
		.price_minor = 150,
		.stock = 10,
	};
	struct controller c;
	cr_assert(controller_open(&c, &options));
	cr_assert(controller_command(&c, "A1"));
	uint64_t start = controller_now_ms(), motor_since = 0, pulse_end = 0, beam_at = 0, beam_end = 0;
	bool was_on = false;
	struct cv_machine_stats stats = {0};
	unsigned wakeups = 0;
	while (controller_now_ms() - start < 8000 && stats.vends_captured == 0) {
		uint64_t now = controller_now_ms();
		/* The hardware: A1's motor (line 17, active high) closes its
		 * switch (27, active low) 150 ms after it starts; 60 ms after
		 * the motor stops the item crosses the beam (22, active low). */
		bool on = fake_gpiod_level("gpiochip0", 17) == 1;
		if (on && !was_on)
			motor_since = now;
		if (on && motor_since != 0 && now - motor_since >= 150 && pulse_end == 0) {
			fake_gpiod_drive("gpiochip0", 27, 0, now);
			pulse_end = now + 20;
		}
		if (pulse_end != 0 && now >= pulse_end) {
			fake_gpiod_drive("gpiochip0", 27, 1, now);
			pulse_end = 0;
			motor_since = 0;
		}
		if (was_on && !on)
			beam_at = now + 60;
		if (beam_at != 0 && now >= beam_at) {
			fake_gpiod_drive("gpiochip0", 22, 0, now);
			beam_end = now + 20;
			beam_at = 0;
		}
		if (beam_end != 0 && now >= beam_end) {
			fake_gpiod_drive("gpiochip0", 22, 1, now);
			beam_end = 0;
		}
		was_on = on;
		/* The loop of main.c: an edge just driven must wake poll() at once. */
		struct pollfd fds[8];
		size_t count = cv_gpio_pollfds(c.gpio, fds, 8);
		if (poll(fds, (nfds_t)count, controller_timeout_ms(&c, controller_now_ms())) > 0)
			wakeups++;
		controller_step(&c, controller_now_ms());
		cr_assert_eq(cv_machine_stats(c.machine, &stats), CV_OK);
	}
	cr_assert_eq(stats.vends_captured, 1, "no vend captured in 8 s");
	cr_assert_eq(stats.drops_verified, 1);
	cr_assert_eq(fake_gpiod_level("gpiochip0", 17), 0, "motor off");
	cr_assert_eq(fake_gpiod_changes("gpiochip0", 17), 2);
	cr_assert_gt(wakeups, 0, "poll() woke on line events");
	controller_close(&c);
	cr_assert_eq(fake_gpiod_requested_lines(), 0);
	cr_assert_eq(fake_gpiod_blocking_reads(), 0);
}
