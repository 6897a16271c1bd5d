/* SPDX-License-Identifier: MIT */
/* Filling a cv_gpio_error. */
#include <stdio.h>

#include "gpio_private.h"

void cv_gpio_error_set(struct cv_gpio_error *error, unsigned line, const char *format, ...)
{
	if (error == NULL)
		return;
	error->line = line;
	va_list args;
	va_start(args, format);
	vsnprintf(error->message, sizeof(error->message), format, args);
	va_end(args);
}
