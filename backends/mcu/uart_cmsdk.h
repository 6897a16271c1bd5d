/* SPDX-License-Identifier: MIT */
/* Polled CMSDK APB UART: the kiosk console. */
#ifndef CANDYVEND_MCU_UART_CMSDK_H
#define CANDYVEND_MCU_UART_CMSDK_H

#include <stdbool.h>
#include <stdint.h>

#include "cmsdk.h"

struct cv_mcu_uart {
	struct cv_cmsdk_uart_regs *regs;
};

/* Enables TX and RX at @p baud (8N1) from a peripheral clock of @p pclk_hz. */
void cv_mcu_uart_init(struct cv_mcu_uart *uart, struct cv_cmsdk_uart_regs *regs, uint32_t pclk_hz, uint32_t baud);
/* Sends one byte, waiting while the transmit buffer is full. */
void cv_mcu_uart_putc(struct cv_mcu_uart *uart, char c);
/* Sends a NUL-terminated string ("\n" becomes "\r\n"). */
void cv_mcu_uart_puts(struct cv_mcu_uart *uart, const char *s);
/* Takes a received byte if one is waiting; never blocks. */
bool cv_mcu_uart_getc(struct cv_mcu_uart *uart, char *out);

#endif
