/* SPDX-License-Identifier: MIT */
/* Register layouts of the Arm CMSDK peripherals on the MPS2 AN385 FPGA image
 * (Cortex-M System Design Kit TRM, DDI0479; AN385 memory map). QEMU's
 * mps2-an385 implements the APB UARTs; its AHB GPIO ports are an
 * "unimplemented device" stub (writes are ignored, reads return 0), see
 * docs/mcu-qemu.md. */
#ifndef CANDYVEND_MCU_CMSDK_H
#define CANDYVEND_MCU_CMSDK_H

#include <stddef.h>
#include <stdint.h>

/* CMSDK AHB GPIO: 16 pins per port. */
struct cv_cmsdk_gpio_regs {
	volatile uint32_t data;    /* 0x000 pin levels (read), output data (write) */
	volatile uint32_t dataout; /* 0x004 output register */
	volatile uint32_t reserved0[2];
	volatile uint32_t outenset;   /* 0x010 set bits: pin is an output */
	volatile uint32_t outenclr;   /* 0x014 set bits: pin is an input */
	volatile uint32_t altfuncset; /* 0x018 */
	volatile uint32_t altfuncclr; /* 0x01C */
	volatile uint32_t intenset;   /* 0x020 */
	volatile uint32_t intenclr;   /* 0x024 */
	volatile uint32_t inttypeset; /* 0x028 */
	volatile uint32_t inttypeclr; /* 0x02C */
	volatile uint32_t intpolset;  /* 0x030 */
	volatile uint32_t intpolclr;  /* 0x034 */
	volatile uint32_t intstatus;  /* 0x038 read: status, write: clear */
	volatile uint32_t reserved1[241];
	volatile uint32_t masklowbyte[256];  /* 0x400 */
	volatile uint32_t maskhighbyte[256]; /* 0x800 */
};

/* CMSDK APB UART. */
struct cv_cmsdk_uart_regs {
	volatile uint32_t data;      /* 0x00 */
	volatile uint32_t state;     /* 0x04 bit0 TX full, bit1 RX full, bits 2-3 overruns (W1C) */
	volatile uint32_t ctrl;      /* 0x08 bit0 TX enable, bit1 RX enable */
	volatile uint32_t intstatus; /* 0x0C */
	volatile uint32_t bauddiv;   /* 0x10 >= 16 */
};

#define CV_CMSDK_UART_STATE_TX_FULL 0x1u
#define CV_CMSDK_UART_STATE_RX_FULL 0x2u
#define CV_CMSDK_UART_CTRL_TX_EN 0x1u
#define CV_CMSDK_UART_CTRL_RX_EN 0x2u

/* AN385 memory map. */
#define CV_AN385_GPIO0_BASE 0x40010000u
#define CV_AN385_GPIO1_BASE 0x40011000u
#define CV_AN385_UART0_BASE 0x40004000u
#define CV_AN385_SYSCLK_HZ 25000000u

_Static_assert(offsetof(struct cv_cmsdk_gpio_regs, intstatus) == 0x038, "GPIO layout");
_Static_assert(offsetof(struct cv_cmsdk_gpio_regs, masklowbyte) == 0x400, "GPIO layout");
_Static_assert(offsetof(struct cv_cmsdk_uart_regs, bauddiv) == 0x10, "UART layout");

#endif
