/* SPDX-License-Identifier: MIT */
/* Reset and fault handlers and the vector table for the Cortex-M3. */
#include <stdint.h>
#include <string.h>

#include "semihost.h"

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__, __stack_top__;

int cv_firmware_main(void);
_Noreturn void cv_mcu_reset_handler(void);
_Noreturn void cv_mcu_fault_handler(void);

_Noreturn void cv_mcu_reset_handler(void)
{
	memcpy(&__data_start__, &__data_load__, (size_t)((uintptr_t)&__data_end__ - (uintptr_t)&__data_start__));
	memset(&__bss_start__, 0, (size_t)((uintptr_t)&__bss_end__ - (uintptr_t)&__bss_start__));
	cv_mcu_semihost_exit(cv_firmware_main());
}

_Noreturn void cv_mcu_fault_handler(void)
{
	cv_mcu_semihost_write("firmware: CPU fault\n");
	cv_mcu_semihost_exit(0xee);
}

/* A struct, not an array of mixed pointers: an object pointer (the stack
 * top) next to function pointers is not valid C with -Wpedantic. */
struct cv_mcu_vectors {
	void *stack_top;
	void (*handlers[15])(void);
};

__attribute__((section(".isr_vector"), used)) static const struct cv_mcu_vectors cv_mcu_vectors = {
	.stack_top = &__stack_top__,
	.handlers =
		{
			cv_mcu_reset_handler,             /* Reset */
			cv_mcu_fault_handler,             /* NMI */
			cv_mcu_fault_handler,             /* HardFault */
			cv_mcu_fault_handler,             /* MemManage */
			cv_mcu_fault_handler,             /* BusFault */
			cv_mcu_fault_handler,             /* UsageFault */
			0, 0, 0, 0, cv_mcu_fault_handler, /* SVCall */
			cv_mcu_fault_handler,             /* DebugMon */
			0, cv_mcu_fault_handler,          /* PendSV */
			cv_mcu_fault_handler,             /* SysTick */
		},
};
