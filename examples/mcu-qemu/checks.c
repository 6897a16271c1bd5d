/* SPDX-License-Identifier: MIT */
/* The end-of-run invariants: money, holds, inventory, and the flash rules. */
#include "console.h"
#include "firmware.h"

static unsigned cv_check(struct cv_firmware *fw, bool ok, const char *what)
{
	cv_console_str(ok ? "  ok    " : "  FAIL  ");
	cv_console_str(what);
	cv_console_str("\n");
	if (!ok)
		fw->failures++;
	return ok ? 0u : 1u;
}

static unsigned cv_check_inventory(struct cv_firmware *fw, int64_t *value_dropped, uint32_t *dropped)
{
	unsigned failed = 0;
	for (uint16_t i = 0; i < CV_FIRMWARE_LANES; i++) {
		struct cv_lane_info info;
		const struct cv_plant_lane *pl = &fw->plant.lanes[i];
		cv_machine_lane_info(fw->machine, i, &info);
		*value_dropped += (int64_t)pl->dropped * fw->lanes[i].price_minor;
		*dropped += pl->dropped;
		cv_console_str("  lane ");
		cv_console_str(fw->lanes[i].label);
		cv_console_kv(" dropped", pl->dropped);
		failed += cv_check(fw, info.config.count + pl->dropped == fw->start_count[i],
				   "inventory count == start - products dropped");
		failed += cv_check(fw, info.config.count == pl->stock, "inventory count == products in the spiral");
	}
	return failed;
}

unsigned cv_firmware_check_invariants(struct cv_firmware *fw)
{
	struct cv_machine_stats s;
	int64_t value_dropped = 0;
	uint32_t dropped = 0;
	unsigned failed = 0;
	cv_console_str("invariants:\n");
	cv_machine_stats(fw->machine, &s);
	failed += cv_check_inventory(fw, &value_dropped, &dropped);
	cv_console_str("  captured by the processor: ");
	cv_console_money(fw->payment.captured_minor);
	cv_console_str(", price of products dropped: ");
	cv_console_money(value_dropped);
	cv_console_str("\n");
	failed += cv_check(fw, fw->payment.captured_minor == value_dropped,
			   "money captured == sum of prices of the products dropped");
	failed +=
		cv_check(fw, s.captured_minor == fw->payment.captured_minor && s.dispensed_value_minor == value_dropped,
			 "engine totals == processor ledger == hardware");
	failed += cv_check(fw, s.drops_verified == dropped, "verified drops == products dropped");
	failed += cv_check(fw, cv_script_payment_open_holds(&fw->payment) == 0, "no open holds at the processor");
	failed += cv_check(fw, cv_machine_open_vends(fw->machine) == 0, "no open vends");
	failed += cv_check(fw, fw->flash.program_refused == 0, "flash: no program needed a 0 -> 1 bit");
	failed += cv_check(fw, fw->storage.blocks_trimmed > 0, "flash: journal blocks were trimmed after checkpoints");
	failed += cv_check(fw, fw->storage.blocks_opened > fw->storage.ring_count, "flash: the block ring wrapped");
	failed += cv_check(fw, fw->plant.register_writes > 0, "GPIO: motor writes reached the CMSDK registers");
	cv_console_kv("  vends captured", s.vends_captured);
	cv_console_kv("  vends voided", s.vends_voided);
	cv_console_kv("  vends abandoned", s.vends_abandoned);
	cv_console_kv("  declines", s.declines);
	cv_console_kv("  re-spins", s.respins);
	cv_console_kv("  journal records", s.journal_records);
	cv_console_kv("  flash erases", fw->flash.erase_count);
	cv_console_kv("  flash programs", fw->flash.program_count);
	cv_console_kv("  journal blocks opened", fw->storage.blocks_opened);
	cv_console_kv("  journal blocks trimmed", fw->storage.blocks_trimmed);
	cv_console_kv("  simulated ms", fw->now_ms);
	return failed;
}
