/* SPDX-License-Identifier: MIT */
/* Kiosk console output on the CMSDK UART. */
#include "console.h"

static struct cv_mcu_uart *cv_console_uart;

void cv_console_init(struct cv_mcu_uart *uart)
{
	cv_console_uart = uart;
}

void cv_console_str(const char *s)
{
	cv_mcu_uart_puts(cv_console_uart, s);
}

void cv_console_u64(uint64_t value)
{
	char buf[21];
	unsigned i = sizeof(buf) - 1;
	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + value % 10u);
		value /= 10u;
	} while (value != 0 && i > 0);
	cv_console_str(&buf[i]);
}

void cv_console_money(int64_t minor)
{
	if (minor < 0) {
		cv_console_str("-");
		minor = -minor;
	}
	cv_console_u64((uint64_t)minor / 100u);
	cv_console_str((uint64_t)minor % 100u < 10u ? ".0" : ".");
	cv_console_u64((uint64_t)minor % 100u);
}

void cv_console_kv(const char *name, uint64_t value)
{
	cv_console_str(name);
	cv_console_str(": ");
	cv_console_u64(value);
	cv_console_str("\n");
}
