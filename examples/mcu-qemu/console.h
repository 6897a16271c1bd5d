/* SPDX-License-Identifier: MIT */
/* Text output on the kiosk UART without printf (newlib's would pull in
 * stdio buffers and malloc). */
#ifndef CV_FIRMWARE_CONSOLE_H
#define CV_FIRMWARE_CONSOLE_H

#include <stdint.h>

#include "uart_cmsdk.h"

void cv_console_init(struct cv_mcu_uart *uart);
void cv_console_str(const char *s);
void cv_console_u64(uint64_t value);
/* Minor units as "1.50". */
void cv_console_money(int64_t minor);
/* Label, then a value, then a newline: "name: 42\n". */
void cv_console_kv(const char *name, uint64_t value);

#endif
