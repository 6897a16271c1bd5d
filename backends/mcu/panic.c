/* SPDX-License-Identifier: MIT */
/* The assert hook for bare metal: newlib's __assert_func would pull in
 * fprintf and with it stdio and malloc. This one reports over semihosting
 * and stops with status 0xAF. The core keeps its asserts on (no NDEBUG);
 * at -Os they trap instead (lib/internal.h), and this hook serves builds
 * at other levels. */
#include "semihost.h"

_Noreturn void __assert_func(const char *file, int line, const char *function, const char *expression);

void __assert_func(const char *file, int line, const char *function, const char *expression)
{
	(void)line;
	cv_mcu_semihost_write("assertion failed: ");
	cv_mcu_semihost_write(expression);
	cv_mcu_semihost_write(" in ");
	cv_mcu_semihost_write(function != 0 ? function : "?");
	cv_mcu_semihost_write(" (");
	cv_mcu_semihost_write(file);
	cv_mcu_semihost_write(")\n");
	cv_mcu_semihost_exit(0xaf);
}
