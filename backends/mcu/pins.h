/* SPDX-License-Identifier: MIT */
/* The pins the dispenser and sensor backends use: one 16-bit input word and
 * one output word. On silicon this is a CMSDK GPIO port pair (gpio_cmsdk.c);
 * under QEMU the firmware puts a hardware model in between (QEMU's GPIO is
 * a stub whose inputs always read 0). */
#ifndef CANDYVEND_MCU_PINS_H
#define CANDYVEND_MCU_PINS_H

#include <stdint.h>

struct cv_mcu_pins_ops {
	/* Levels of the input pins (bit n = pin n). */
	uint32_t (*read)(void *ctx);
	/* Sets the output pins in @p mask to the bits of @p value. */
	void (*write)(void *ctx, uint32_t mask, uint32_t value);
};

struct cv_mcu_pins {
	const struct cv_mcu_pins_ops *ops;
	void *ctx;
};

static inline uint32_t cv_mcu_pins_read(const struct cv_mcu_pins *pins)
{
	return pins->ops->read(pins->ctx);
}

static inline void cv_mcu_pins_write(const struct cv_mcu_pins *pins, uint32_t mask, uint32_t value)
{
	pins->ops->write(pins->ctx, mask, value);
}

#endif
