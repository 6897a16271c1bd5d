/* SPDX-License-Identifier: MIT */
/* The scripted day the firmware runs under QEMU (commands: kiosk.c). */
#include <stddef.h>

#include "firmware.h"

/* clang-format off */
const char *const cv_firmware_script[] = {
	"menu",
	/* Good vends. */
	"card approve", "select A1", "expect CAPTURED",
	"card approve", "select A2", "expect CAPTURED",
	"card approve", "select B1", "expect CAPTURED",
	/* A decline, then the same customer pays with another card. */
	"card decline", "select B1", "expect AUTH_DECLINED",
	"card approve", "select B1", "expect CAPTURED",
	/* A decline and the customer walks away: the session times out. */
	"card decline", "select A2", "expect AUTH_DECLINED",
	"idle", "expect ABANDONED",
	/* The answer to an authorization is lost: looked up, found held, sold. */
	"card unknown", "select A2", "expect CAPTURED",
	/* The product hangs on the spiral: no drop, one re-spin drops it. */
	"hang A1", "card approve", "select A1", "expect CAPTURED",
	/* The B2 motor jams twice: each hold is voided, then the lane is quarantined. */
	"jam B2 2",
	"card approve", "select B2", "expect VOIDED",
	"card approve", "select B2", "expect VOIDED",
	"expect-lane B2 quarantined",
	"select B2", "expect REFUSED",
	/* Enough vends for checkpoints, trims and the flash ring to wrap. */
	"soak 100",
	"menu",
	/* Power cycle: everything comes back from the flash journal. */
	"reboot",
	"menu",
	"card approve", "select A1", "expect CAPTURED",
	/* A power cut tears an append: recovery cuts the tail, selling goes on. */
	"torn-reboot",
	"card approve", "select B1", "expect CAPTURED",
	"idle",
	NULL,
};
/* clang-format on */
