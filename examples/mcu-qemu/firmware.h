/* SPDX-License-Identifier: MIT */
/* The firmware's state: every backend, the machine and the script's
 * bookkeeping, all static. */
#ifndef CV_FIRMWARE_H
#define CV_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/machine.h>

#include "dispenser_gpio.h"
#include "flash.h"
#include "payment_script.h"
#include "plant.h"
#include "sensor_gpio.h"
#include "storage_flash.h"
#include "uart_cmsdk.h"

#define CV_FIRMWARE_LANES CV_PLANT_LANES
/* Caller memory for the machine; cv_machine_size() must fit (checked at boot). */
#define CV_FIRMWARE_MACHINE_BYTES 20480u
/* Longest a command may take in simulated time before the script fails. */
#define CV_FIRMWARE_WAIT_MS_MAX 120000u

struct cv_firmware {
	struct cv_mcu_uart uart;
	struct cv_plant plant;
	struct cv_mcu_dispenser dispenser;
	struct cv_mcu_sensor sensor;
	struct cv_script_payment payment;
	struct cv_mcu_flash flash;
	struct cv_mcu_flash_storage storage;
	struct cv_lane_config lanes[CV_FIRMWARE_LANES];
	struct cv_machine_config config;
	struct cv_machine *machine;
	uint64_t now_ms;
	uint32_t last_vend; /* Number of the last vend the script started, 0 if none. */
	uint16_t start_count[CV_FIRMWARE_LANES];
	uint32_t failures; /* Script expectations that did not hold. */
	uint32_t reboots;
	bool quiet; /* Soak runs print one line per vend only. */
};

extern struct cv_firmware cv_fw;

/* Sets up the UART, GPIO, flash, backends and the machine. 0 on success. */
int cv_firmware_boot(struct cv_firmware *fw);
/* Power cycle: the machine is closed, the flash mounted afresh and the
 * machine opened again from its journal. 0 on success. */
int cv_firmware_reboot(struct cv_firmware *fw);
/* A power cut tears the last append (header written, record not), then
 * the machine reboots: recovery must cut the torn tail. 0 on success. */
int cv_firmware_torn_reboot(struct cv_firmware *fw);
/* One millisecond of the super-loop: hardware model, backends, engine. */
void cv_firmware_tick(struct cv_firmware *fw);
/* Runs the loop until the script's last vend waits for nobody (terminal
 * or declined) and the hardware is still. false on timeout. */
bool cv_firmware_wait_settled(struct cv_firmware *fw);
/* Runs the loop until no vend is open. false on timeout. */
bool cv_firmware_wait_idle(struct cv_firmware *fw);
/* Notes a failed expectation with a message. */
void cv_firmware_fail(struct cv_firmware *fw, const char *what, const char *detail);

/* Kiosk console commands (kiosk.c); 0 on success. */
int cv_kiosk_command(struct cv_firmware *fw, const char *line);
/* The built-in script (script.c), NULL-terminated. */
extern const char *const cv_firmware_script[];
/* The money and inventory invariants (checks.c); the number that failed. */
unsigned cv_firmware_check_invariants(struct cv_firmware *fw);
/* The platform table (platform.c). */
extern const struct cv_platform_ops cv_firmware_platform;

#endif
