/* SPDX-License-Identifier: MIT */
/* Semihosting calls: BKPT 0xAB with the operation in r0, the argument in r1. */
#include "semihost.h"

#include <stdint.h>

#define CV_SEMIHOST_SYS_WRITE0 0x04u
#define CV_SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define CV_SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uintptr_t cv_mcu_semihost_call(uintptr_t op, const void *arg)
{
	register uintptr_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

void cv_mcu_semihost_write(const char *message)
{
	(void)cv_mcu_semihost_call(CV_SEMIHOST_SYS_WRITE0, message);
}

_Noreturn void cv_mcu_semihost_exit(int code)
{
	const uintptr_t block[2] = {CV_SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)(intptr_t)code};
	for (;;)
		(void)cv_mcu_semihost_call(CV_SEMIHOST_SYS_EXIT_EXTENDED, block);
}
