/* SPDX-License-Identifier: MIT */
/* Pins over CMSDK AHB GPIO registers: plain polled I/O, no interrupts. */
#include "gpio_cmsdk.h"

#include <string.h>

static uint32_t cv_mcu_gpio_cmsdk_read(void *ctx)
{
	struct cv_mcu_gpio_cmsdk *gpio = ctx;
	return gpio->in_port->data & gpio->in_mask;
}

static void cv_mcu_gpio_cmsdk_write(void *ctx, uint32_t mask, uint32_t value)
{
	struct cv_mcu_gpio_cmsdk *gpio = ctx;
	mask &= gpio->out_mask;
	gpio->out_shadow = (gpio->out_shadow & ~mask) | (value & mask);
	/* DATAOUT is written whole from the shadow: read-modify-write of the
	 * register itself would depend on reading back what was written. */
	gpio->out_port->dataout = gpio->out_shadow;
}

const struct cv_mcu_pins_ops cv_mcu_gpio_cmsdk_ops = {
	.read = cv_mcu_gpio_cmsdk_read,
	.write = cv_mcu_gpio_cmsdk_write,
};

void cv_mcu_gpio_cmsdk_init(struct cv_mcu_gpio_cmsdk *gpio, struct cv_cmsdk_gpio_regs *out_port, uint32_t out_mask,
			    struct cv_cmsdk_gpio_regs *in_port, uint32_t in_mask)
{
	memset(gpio, 0, sizeof(*gpio));
	gpio->out_port = out_port;
	gpio->in_port = in_port;
	gpio->out_mask = out_mask;
	gpio->in_mask = in_mask;
	out_port->dataout = 0;
	out_port->outenset = out_mask;
	in_port->outenclr = in_mask;
	in_port->intenclr = in_mask;
}
