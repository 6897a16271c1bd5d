/* SPDX-License-Identifier: MIT */
/* Pins on two CMSDK AHB GPIO ports: one for outputs, one for inputs. */
#ifndef CANDYVEND_MCU_GPIO_CMSDK_H
#define CANDYVEND_MCU_GPIO_CMSDK_H

#include "cmsdk.h"
#include "pins.h"

struct cv_mcu_gpio_cmsdk {
	struct cv_cmsdk_gpio_regs *out_port;
	struct cv_cmsdk_gpio_regs *in_port;
	uint32_t out_mask;   /* Pins of out_port driven as outputs. */
	uint32_t in_mask;    /* Pins of in_port read as inputs. */
	uint32_t out_shadow; /* Last value written to out_port's DATAOUT. */
};

extern const struct cv_mcu_pins_ops cv_mcu_gpio_cmsdk_ops;

/* Makes out_mask outputs (driven low) and in_mask inputs, no interrupts. */
void cv_mcu_gpio_cmsdk_init(struct cv_mcu_gpio_cmsdk *gpio, struct cv_cmsdk_gpio_regs *out_port, uint32_t out_mask,
			    struct cv_cmsdk_gpio_regs *in_port, uint32_t in_mask);

#endif
