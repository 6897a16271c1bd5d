/* SPDX-License-Identifier: MIT */
/* The kernel's gpio-sim: where it exists (Linux >= 5.17 with
 * CONFIG_GPIO_SIM and configfs mounted, as root) the backend should also be
 * run against real character-device lines. No driver for it is written yet;
 * on machines without it this test says so and is counted as skipped
 * (exit status 77), never as passed. */
#include <stdio.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st;
	if (stat("/sys/kernel/config/gpio-sim", &st) != 0) {
		printf("SKIPPED: no gpio-sim (/sys/kernel/config/gpio-sim is absent): the GPIO backends were "
		       "tested against the fake libgpiod only\n");
		return 77;
	}
	printf("SKIPPED: gpio-sim is present, but the gpio-sim bench is not written yet: the GPIO backends were "
	       "tested against the fake libgpiod only\n");
	return 77;
}
