/* SPDX-License-Identifier: MIT */
/* Polled CMSDK APB UART. */
#include "uart_cmsdk.h"

void cv_mcu_uart_init(struct cv_mcu_uart *uart, struct cv_cmsdk_uart_regs *regs, uint32_t pclk_hz, uint32_t baud)
{
	uint32_t div = pclk_hz / baud;
	uart->regs = regs;
	regs->ctrl = 0;
	regs->bauddiv = div < 16 ? 16 : div; /* The UART refuses divisors below 16. */
	regs->ctrl = CV_CMSDK_UART_CTRL_TX_EN | CV_CMSDK_UART_CTRL_RX_EN;
}

void cv_mcu_uart_putc(struct cv_mcu_uart *uart, char c)
{
	/* Bounded: a wedged UART loses output instead of hanging the machine. */
	for (uint32_t spins = 0; (uart->regs->state & CV_CMSDK_UART_STATE_TX_FULL) && spins < 100000u; spins++)
		;
	uart->regs->data = (uint8_t)c;
}

void cv_mcu_uart_puts(struct cv_mcu_uart *uart, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			cv_mcu_uart_putc(uart, '\r');
		cv_mcu_uart_putc(uart, *s);
	}
}

bool cv_mcu_uart_getc(struct cv_mcu_uart *uart, char *out)
{
	if (!(uart->regs->state & CV_CMSDK_UART_STATE_RX_FULL))
		return false;
	*out = (char)(uart->regs->data & 0xffu);
	return true;
}
