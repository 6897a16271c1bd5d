/* SPDX-License-Identifier: MIT */
/* Wiring and the super-loop: the engine steps every millisecond of loop
 * time; the backends are polled right before it. */
#include "firmware.h"

#include <string.h>

#include "cmsdk.h"
#include "console.h"
#include "storage_flash_layout.h"

struct cv_firmware cv_fw;

static _Alignas(CV_MACHINE_ALIGN) unsigned char cv_firmware_machine_memory[CV_FIRMWARE_MACHINE_BYTES];

extern uint8_t __journal_flash_start__[], __journal_flash_end__[];
#define CV_FIRMWARE_FLASH_BLOCK 2048u

static const struct {
	const char *label, *product;
	int64_t price_minor;
	uint16_t count;
	uint8_t quarantine_after;
} cv_firmware_planogram[CV_FIRMWARE_LANES] = {
	{"A1", "Gummy Bears", 150, 40, 3},
	{"A2", "Sour Worms", 200, 40, 3},
	{"B1", "Choco Bar", 250, 40, 3},
	{"B2", "Mints", 100, 5, 2},
};

static void cv_firmware_on_event(struct cv_machine *m, const struct cv_event *ev, void *user_data)
{
	struct cv_firmware *fw = user_data;
	(void)m;
	if (ev->type == CV_EVENT_VEND_STATE && (!fw->quiet || cv_vend_state_is_terminal(ev->u.vend.state))) {
		cv_console_str("  vend ");
		cv_console_u64(ev->u.vend.vend_number);
		cv_console_str(" ");
		cv_console_str(fw->lanes[ev->u.vend.lane].label);
		cv_console_str(": ");
		cv_console_str(cv_vend_state_str(ev->u.vend.state));
		if (ev->u.vend.reason != CV_VEND_REASON_NONE) {
			cv_console_str(" (");
			cv_console_str(cv_vend_reason_str(ev->u.vend.reason));
			cv_console_str(")");
		}
		cv_console_str("\n");
	} else if (ev->type == CV_EVENT_DISPLAY && !fw->quiet) {
		cv_console_str("  [screen] ");
		cv_console_str(cv_msg_text(ev->u.display.msg));
		cv_console_str("\n");
	} else if (ev->type == CV_EVENT_ALERT) {
		cv_console_str("  [alert] ");
		cv_console_str(cv_alert_kind_str(ev->u.alert.kind));
		if (ev->u.alert.lane < CV_FIRMWARE_LANES) {
			cv_console_str(" ");
			cv_console_str(fw->lanes[ev->u.alert.lane].label);
		}
		cv_console_str(ev->u.alert.active ? " raised\n" : " cleared\n");
	} else if (ev->type == CV_EVENT_RECOVERY) {
		cv_console_str("  [recovery] vend ");
		cv_console_u64(ev->u.recovery.vend_number);
		cv_console_str("\n");
	}
}

static void cv_firmware_configure(struct cv_firmware *fw)
{
	cv_machine_config_default(&fw->config);
	strcpy(fw->config.machine_id, "qemu-an385-1");
	strcpy(fw->config.merchant_name, "Candy Corner");
	for (unsigned i = 0; i < CV_FIRMWARE_LANES; i++) {
		struct cv_lane_config *l = &fw->lanes[i];
		cv_lane_config_default(l);
		strcpy(l->label, cv_firmware_planogram[i].label);
		strcpy(l->product_id, "SKU");
		strcpy(l->product_name, cv_firmware_planogram[i].product);
		l->price_minor = cv_firmware_planogram[i].price_minor;
		l->capacity = 40;
		l->count = cv_firmware_planogram[i].count;
		l->quarantine_after_failures = cv_firmware_planogram[i].quarantine_after;
		fw->start_count[i] = l->count;
	}
	fw->config.lanes = fw->lanes;
	fw->config.lane_count = CV_FIRMWARE_LANES;
	fw->config.timeouts.session_ms = 5000;
	fw->config.platform = &cv_firmware_platform;
	fw->config.platform_ctx = fw;
	fw->config.dispenser = &cv_mcu_dispenser_ops;
	fw->config.dispenser_ctx = &fw->dispenser;
	fw->config.sensor = &cv_mcu_sensor_ops;
	fw->config.sensor_ctx = &fw->sensor;
	fw->config.payment = &cv_script_payment_ops;
	fw->config.payment_ctx = &fw->payment;
	fw->config.storage = &cv_mcu_flash_storage_ops;
	fw->config.storage_ctx = &fw->storage;
	fw->config.on_event = cv_firmware_on_event;
	fw->config.user_data = fw;
}

static int cv_firmware_open_machine(struct cv_firmware *fw)
{
	/* Mounting starts the storage's counters afresh: keep the run's totals. */
	uint32_t opened = fw->storage.blocks_opened, trimmed = fw->storage.blocks_trimmed;
	enum cv_status rc = cv_mcu_flash_storage_mount(&fw->storage, &fw->flash);
	fw->storage.blocks_opened += opened;
	fw->storage.blocks_trimmed += trimmed;
	if (rc == CV_OK)
		rc = cv_machine_init(cv_firmware_machine_memory, sizeof(cv_firmware_machine_memory), &fw->config,
				     &fw->machine);
	if (rc != CV_OK) {
		cv_firmware_fail(fw, "machine init", cv_status_str(rc));
		return 1;
	}
	return 0;
}

int cv_firmware_boot(struct cv_firmware *fw)
{
	memset(fw, 0, sizeof(*fw));
	cv_mcu_uart_init(&fw->uart, (struct cv_cmsdk_uart_regs *)CV_AN385_UART0_BASE, CV_AN385_SYSCLK_HZ, 115200);
	cv_console_init(&fw->uart);
	cv_console_str("candyvend firmware on mps2-an385 (Cortex-M3)\n");
	cv_console_kv("machine bytes needed", cv_machine_size());
	cv_console_kv("machine bytes given", sizeof(cv_firmware_machine_memory));
	if (cv_machine_size() > sizeof(cv_firmware_machine_memory)) {
		cv_firmware_fail(fw, "boot", "machine memory too small");
		return 1;
	}
	cv_firmware_configure(fw);
	uint16_t stock[CV_FIRMWARE_LANES];
	for (unsigned i = 0; i < CV_FIRMWARE_LANES; i++)
		stock[i] = fw->start_count[i];
	cv_plant_init(&fw->plant, stock);
	struct cv_mcu_pins pins = {.ops = &cv_plant_pins_ops, .ctx = &fw->plant};
	struct cv_mcu_dispenser_config dc = {.lane_count = CV_FIRMWARE_LANES, .stall_ms = 300};
	for (uint8_t i = 0; i < CV_FIRMWARE_LANES; i++) {
		dc.motor_pin[i] = i;
		dc.index_pin[i] = i;
	}
	cv_mcu_dispenser_init(&fw->dispenser, &dc, pins);
	cv_mcu_sensor_init(&fw->sensor, pins, CV_PLANT_BEAM_PIN, 5);
	cv_script_payment_init(&fw->payment);
	uint32_t bytes = (uint32_t)(__journal_flash_end__ - __journal_flash_start__);
	cv_mcu_flash_init(&fw->flash, __journal_flash_start__, CV_FIRMWARE_FLASH_BLOCK,
			  bytes / CV_FIRMWARE_FLASH_BLOCK);
	cv_console_kv("journal flash bytes", bytes);
	return cv_firmware_open_machine(fw);
}

/* Totals and stock must come back from the flash exactly as they were. */
static void cv_firmware_snapshot(const struct cv_firmware *fw, struct cv_machine_stats *stats,
				 uint16_t count[CV_FIRMWARE_LANES])
{
	cv_machine_stats(fw->machine, stats);
	for (uint16_t i = 0; i < CV_FIRMWARE_LANES; i++) {
		struct cv_lane_info info;
		cv_machine_lane_info(fw->machine, i, &info);
		count[i] = info.config.count;
	}
}

int cv_firmware_reboot(struct cv_firmware *fw)
{
	struct cv_machine_stats before, after;
	uint16_t count_before[CV_FIRMWARE_LANES], count_after[CV_FIRMWARE_LANES];
	cv_firmware_snapshot(fw, &before, count_before);
	cv_machine_deinit(fw->machine);
	fw->machine = NULL;
	fw->reboots++;
	if (cv_firmware_open_machine(fw) != 0)
		return 1;
	cv_firmware_snapshot(fw, &after, count_after);
	cv_console_kv("  journal bytes on flash", fw->storage.end);
	cv_console_kv("  checkpoint at", fw->storage.checkpoint_offset);
	if (before.captured_minor != after.captured_minor || before.drops_verified != after.drops_verified ||
	    before.vends_captured != after.vends_captured || before.vends_voided != after.vends_voided ||
	    memcmp(count_before, count_after, sizeof(count_before)) != 0) {
		cv_firmware_fail(fw, "reboot", "totals or stock differ after reading the flash back");
		return 1;
	}
	cv_console_str("  totals and stock read back from flash: same\n");
	return 0;
}

int cv_firmware_torn_reboot(struct cv_firmware *fw)
{
	/* A power cut in the middle of an append: the entry header reached the
	 * flash, the record did not (its bytes stay erased). */
	const struct cv_mcu_flash_storage *s = &fw->storage;
	uint32_t index = cv_flash_live_index(s, s->live - 1);
	const struct cv_mcu_flash_block_state *b = &s->blocks[index];
	struct cv_flash_entry_header h = {
		.length = 60, .length_inv = (uint16_t)~60u, .kept = 0xffffu, .spare = 0xffffu};
	if (b->write_pos + sizeof(h) + h.length > fw->flash.block_size ||
	    cv_mcu_flash_program(&fw->flash, cv_flash_ring_address(s, index, b->write_pos), &h, sizeof(h)) != CV_OK) {
		cv_firmware_fail(fw, "torn", "no room for a torn entry in the last block");
		return 1;
	}
	if (cv_firmware_reboot(fw) != 0)
		return 1;
	cv_console_kv("  torn tails cut off the flash journal", fw->storage.truncations);
	if (fw->storage.truncations != 1) {
		cv_firmware_fail(fw, "torn", "recovery did not cut the torn tail");
		return 1;
	}
	return 0;
}

void cv_firmware_tick(struct cv_firmware *fw)
{
	uint64_t now = ++fw->now_ms;
	cv_plant_tick(&fw->plant, now);
	cv_mcu_dispenser_poll(&fw->dispenser, now);
	cv_mcu_sensor_poll(&fw->sensor, now);
	cv_script_payment_poll(&fw->payment, now);
	enum cv_status rc = cv_machine_step(fw->machine, now);
	if (rc != CV_OK)
		cv_firmware_fail(fw, "step", cv_status_str(rc));
}

static bool cv_firmware_hardware_still(const struct cv_firmware *fw)
{
	return cv_plant_idle(&fw->plant) && !fw->dispenser.running && !fw->dispenser.post_pending &&
	       !fw->sensor.post_pending && cv_script_payment_idle(&fw->payment);
}

static bool cv_firmware_settled(const struct cv_firmware *fw)
{
	struct cv_vend_info v;
	if (!cv_firmware_hardware_still(fw))
		return false;
	if (fw->last_vend == 0 || cv_machine_vend_info(fw->machine, fw->last_vend, &v) != CV_OK)
		return true;
	return cv_vend_state_is_terminal(v.state) || v.state == CV_VEND_STATE_AUTH_DECLINED;
}

bool cv_firmware_wait_settled(struct cv_firmware *fw)
{
	for (uint32_t t = 0; t < CV_FIRMWARE_WAIT_MS_MAX; t++) {
		cv_firmware_tick(fw);
		if (cv_firmware_settled(fw))
			return true;
	}
	cv_firmware_fail(fw, "wait", "vend did not settle in time");
	return false;
}

bool cv_firmware_wait_idle(struct cv_firmware *fw)
{
	for (uint32_t t = 0; t < CV_FIRMWARE_WAIT_MS_MAX; t++) {
		cv_firmware_tick(fw);
		if (cv_machine_open_vends(fw->machine) == 0 && cv_firmware_hardware_still(fw))
			return true;
	}
	cv_firmware_fail(fw, "wait", "vends still open");
	return false;
}

void cv_firmware_fail(struct cv_firmware *fw, const char *what, const char *detail)
{
	fw->failures++;
	cv_console_str("FAIL: ");
	cv_console_str(what);
	cv_console_str(": ");
	cv_console_str(detail);
	cv_console_str("\n");
}
