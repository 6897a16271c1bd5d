/* SPDX-License-Identifier: MIT */
/* Platform ops: deterministic random bytes (a real board would use a TRNG),
 * a wall clock from the loop's time, log lines on the console. */
#include "console.h"
#include "firmware.h"

static uint32_t cv_firmware_random_state = 0x9e3779b9u;

static void cv_firmware_random(void *ctx, void *buf, size_t length)
{
	(void)ctx;
	uint8_t *b = buf;
	for (size_t i = 0; i < length; i++) {
		uint32_t x = cv_firmware_random_state; /* xorshift32 */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		cv_firmware_random_state = x;
		b[i] = (uint8_t)x;
	}
}

static int64_t cv_firmware_wall_clock(void *ctx)
{
	const struct cv_firmware *fw = ctx;
	return 1767268800000 + (int64_t)fw->now_ms; /* 2026-01-01T12:00Z at boot. */
}

static void cv_firmware_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	cv_console_str(level <= CV_LOG_WARN ? "log(warn): " : "log: ");
	cv_console_str(message);
	cv_console_str("\n");
}

const struct cv_platform_ops cv_firmware_platform = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_platform_ops),
	.random_bytes = cv_firmware_random,
	.wall_clock_ms = cv_firmware_wall_clock,
	.log = cv_firmware_log,
};
