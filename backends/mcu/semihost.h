/* SPDX-License-Identifier: MIT */
/* Arm semihosting, only what the firmware needs: a message and the exit
 * status (SYS_EXIT_EXTENDED, so any code reaches QEMU's exit status). */
#ifndef CANDYVEND_MCU_SEMIHOST_H
#define CANDYVEND_MCU_SEMIHOST_H

/* Writes a NUL-terminated string to the host's console (SYS_WRITE0). */
void cv_mcu_semihost_write(const char *message);
/* Ends the program with @p code as the host's exit status. */
_Noreturn void cv_mcu_semihost_exit(int code);

#endif
