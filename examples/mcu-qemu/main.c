/* SPDX-License-Identifier: MIT */
/* The firmware: boot, run the scripted day, check the invariants, and
 * exit through semihosting with 0 only if everything held. */
#include <stddef.h>

#include "console.h"
#include "firmware.h"

int cv_firmware_main(void);

int cv_firmware_main(void)
{
	struct cv_firmware *fw = &cv_fw;
	if (cv_firmware_boot(fw) != 0)
		return 2;
	for (size_t i = 0; cv_firmware_script[i] != NULL; i++) {
		if (cv_kiosk_command(fw, cv_firmware_script[i]) != 0 || fw->failures != 0) {
			cv_console_str("script stopped\n");
			return 3;
		}
	}
	if (cv_firmware_check_invariants(fw) != 0) {
		cv_console_str("RESULT: FAIL\n");
		return 1;
	}
	cv_console_str("RESULT: PASS\n");
	return 0;
}
