/* SPDX-License-Identifier: MIT */
/* A scripted card reader and processor: no network. The kiosk script says
 * what the next card does; the processor keeps a ledger of holds so the
 * firmware can check the money at the end. */
#ifndef CV_FIRMWARE_PAYMENT_SCRIPT_H
#define CV_FIRMWARE_PAYMENT_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/event.h>

#define CV_SCRIPT_HOLDS_MAX 256
#define CV_SCRIPT_PENDING_MAX 4
#define CV_SCRIPT_LATENCY_MS 150u

enum cv_script_card {
	CV_SCRIPT_CARD_APPROVE = 0,      /* Hold placed, answer OK. */
	CV_SCRIPT_CARD_DECLINE = 1,      /* No hold, answer DECLINED. */
	CV_SCRIPT_CARD_UNKNOWN_HELD = 2, /* Hold placed, answer lost (UNKNOWN): the lookup finds it. */
};

enum cv_script_hold_state {
	CV_SCRIPT_HOLD_HELD = 0,
	CV_SCRIPT_HOLD_CAPTURED = 1,
	CV_SCRIPT_HOLD_VOIDED = 2,
};

struct cv_script_hold {
	char auth_key[CV_IDEM_KEY_LEN];
	int64_t amount_minor;
	enum cv_script_hold_state state;
};

struct cv_script_payment {
	struct cv_machine *machine;
	enum cv_script_card next_card; /* Used by the next authorization, then back to APPROVE. */
	uint64_t now_ms;
	struct {
		uint64_t due_ms;
		struct cv_event event;
		bool used;
	} pending[CV_SCRIPT_PENDING_MAX];
	struct cv_script_hold holds[CV_SCRIPT_HOLDS_MAX];
	uint32_t hold_count;
	int64_t captured_minor; /* The processor's view of money taken. */
	uint32_t declines, unknowns, lookups, captures, voids;
};

extern const struct cv_payment_ops cv_script_payment_ops;

void cv_script_payment_init(struct cv_script_payment *payment);
/* Delivers answers whose time has come. */
void cv_script_payment_poll(struct cv_script_payment *payment, uint64_t now_ms);
/* Holds neither captured nor voided. */
uint32_t cv_script_payment_open_holds(const struct cv_script_payment *payment);
/* Nothing waiting to be answered. */
bool cv_script_payment_idle(const struct cv_script_payment *payment);

#endif
