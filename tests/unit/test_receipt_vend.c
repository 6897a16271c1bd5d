/* SPDX-License-Identifier: MIT */
/* Receipts as the engine makes them: merchant and card fields filled in,
 * the digital delivery hook called once per receipt after the listener,
 * card fields that survive a restart through the journal, and card fields
 * the admission check blanks before they can reach a receipt. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine_private.h"
#include "rig.h"

/* What the delivery hook saw. */
static struct {
	unsigned calls;
	struct cv_receipt last;
	unsigned events_before; /* Receipt events the listener had when the hook ran. */
	enum cv_status select_rc;
	unsigned open_vends;
} hook_log;

static void record_receipt(void *ctx, const struct cv_receipt *receipt)
{
	cr_assert_eq(ctx, &hook_log, "hook got the wrong ctx");
	hook_log.calls++;
	hook_log.last = *receipt;
	hook_log.events_before = rig_count(CV_EVENT_RECEIPT);
	/* Inside the engine: changes are refused, read-only queries work. */
	hook_log.select_rc = cv_machine_select(rig.m, 1, NULL);
	hook_log.open_vends = cv_machine_open_vends(rig.m);
}

static void start(void)
{
	memset(&hook_log, 0, sizeof(hook_log));
	rig_setup();
	strcpy(rig.config.merchant_name, "Sweet Corner Ltd");
	strcpy(rig.config.merchant_location, "Main St 5, Springfield");
	rig.config.deliver_receipt = record_receipt;
	rig.config.deliver_receipt_ctx = &hook_log;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(receipt_vend, .init = start, .fini = rig_teardown);

static struct cv_card_summary chip_card(void)
{
	struct cv_card_summary card;
	memset(&card, 0, sizeof(card));
	strcpy(card.brand, "VISA");
	strcpy(card.last4, "4242");
	strcpy(card.auth_code, "A1B2C3");
	strcpy(card.aid, "A0000000031010");
	strcpy(card.app_label, "VISA CREDIT");
	card.entry = CV_CARD_ENTRY_CHIP;
	return card;
}

static struct cv_vend *open_vend(uint32_t number)
{
	for (unsigned i = 0; i < CV_VENDS_MAX; i++)
		if (rig.m->vends[i].in_use && rig.m->vends[i].number == number)
			return &rig.m->vends[i];
	cr_assert_fail("vend %u is not open", number);
	return NULL;
}

/* Selects, pays with `card`, dispenses, sees the drop: CAPTURE_PENDING. */
static uint32_t vend_to_capture(const struct cv_card_summary *card)
{
	uint32_t n = rig_select(0);
	rig_approve(card, "pi_rig_card", 0);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	return n;
}

Test(receipt_vend, hook_called_once_per_receipt_after_the_listener)
{
	struct cv_card_summary card = chip_card();
	uint32_t n = vend_to_capture(&card);
	cr_assert_eq(hook_log.calls, 0, "no receipt before the vend ends");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert_eq(hook_log.calls, 1);
	cr_assert_eq(rig_count(CV_EVENT_RECEIPT), 1);
	cr_assert_eq(hook_log.events_before, 1, "the listener had the receipt first");
	const struct cv_receipt *event = rig_last_receipt();
	cr_assert_eq(memcmp(&hook_log.last, event, sizeof(*event)), 0, "hook and listener differ");
	cr_assert_str_eq(hook_log.last.vend_id, rig_vend(n).vend_id);
	cr_assert_eq(hook_log.last.status, CV_RECEIPT_CHARGED);
	cr_assert_eq(hook_log.select_rc, CV_E_MISUSE, "the hook changed the machine");
	cr_assert_eq(hook_log.open_vends, 1, "the query answers (the vend ends after its receipt)");

	/* A second vend, voided: one more call, for that vend. */
	uint32_t m = rig_vend_no_drop(1);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(m), CV_VEND_STATE_VOIDED);
	cr_assert_eq(hook_log.calls, 2);
	cr_assert_str_eq(hook_log.last.vend_id, rig_vend(m).vend_id);
	cr_assert_eq(hook_log.last.status, CV_RECEIPT_NOT_CHARGED);
	cr_assert_eq(hook_log.last.lane, 1);
	/* The machine is usable again once the hook returned. */
	cr_assert_eq(cv_machine_select(rig.m, 0, NULL), CV_OK);
}

Test(receipt_vend, receipt_carries_merchant_and_card_fields)
{
	struct cv_card_summary card = chip_card();
	vend_to_capture(&card);
	rig_pay(CV_PAY_OK);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_str_eq(r->merchant_name, "Sweet Corner Ltd");
	cr_assert_str_eq(r->merchant_location, "Main St 5, Springfield");
	cr_assert_str_eq(r->machine_id, "rig-1");
	cr_assert_str_eq(r->card.aid, "A0000000031010");
	cr_assert_str_eq(r->card.app_label, "VISA CREDIT");
	cr_assert_eq(r->card.entry, CV_CARD_ENTRY_CHIP);
	cr_assert_not(r->offline);
	char text[CV_RECEIPT_TEXT_MAX];
	cr_assert_eq(cv_receipt_render(r, CV_RECEIPT_WIDTH_NARROW, text, sizeof(text), NULL), CV_OK);
	cr_assert_not_null(strstr(text, "Sweet Corner Ltd"));
	char json[CV_RECEIPT_JSON_MAX];
	cr_assert_eq(cv_receipt_render_json(r, json, sizeof(json), NULL), CV_OK);
	cr_assert_not_null(strstr(json, "\"aid\":\"A0000000031010\""), "%s", json);
}

Test(receipt_vend, no_hook_no_call)
{
	rig_teardown();
	memset(&hook_log, 0, sizeof(hook_log));
	rig_setup();
	rig.config.deliver_receipt = NULL;
	rig.config.deliver_receipt_ctx = &hook_log; /* A context alone calls nothing. */
	cr_assert_eq(rig_start(), CV_OK);
	rig_vend_ok(0);
	cr_assert_eq(rig_count(CV_EVENT_RECEIPT), 1);
	cr_assert_eq(hook_log.calls, 0);
	cr_assert_str_eq(rig_last_receipt()->merchant_name, "", "no merchant configured");
}

Test(receipt_vend, card_fields_survive_a_restart)
{
	struct cv_card_summary card = chip_card();
	card.entry = CV_CARD_ENTRY_MOBILE_WALLET;
	uint32_t n = vend_to_capture(&card);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE);
	/* The power goes with the capture in flight. */
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	struct cv_vend_info info = rig_vend(n);
	cr_assert_str_eq(info.card.aid, "A0000000031010");
	cr_assert_str_eq(info.card.app_label, "VISA CREDIT");
	cr_assert_eq(info.card.entry, CV_CARD_ENTRY_MOBILE_WALLET);
	cr_assert_str_eq(info.card.last4, "4242");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE, "recovery resends the capture");
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert_str_eq(r->vend_id, info.vend_id);
	cr_assert_str_eq(r->card.aid, "A0000000031010");
	cr_assert_str_eq(r->card.app_label, "VISA CREDIT");
	cr_assert_eq(r->card.entry, CV_CARD_ENTRY_MOBILE_WALLET);
	cr_assert_eq(hook_log.calls, 1, "one receipt, after the restart");
}

/* Whether a payment result's offline flag reaches the vend depends on the
 * offline policy (lib/vend_payment.c); here the flag and the deadline are set
 * on the vend directly, so this checks only what the journal carries. */
Test(receipt_vend, offline_flag_and_deadline_survive_a_restart)
{
	struct cv_card_summary card = chip_card();
	uint32_t n = rig_select(0);
	rig_approve(&card, "pi_rig_card", 0);
	struct cv_vend *v = open_vend(n);
	v->offline_approved = true;
	v->capture_before_s = INT64_C(1767700800);
	rig_motor(CV_OK); /* The next transitions journal both. */
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert(rig_vend(n).offline_approved);
	cr_assert_eq(rig_vend(n).capture_before_s, INT64_C(1767700800));
	rig_pay(CV_PAY_OK);
	const struct cv_receipt *r = rig_last_receipt();
	cr_assert_not_null(r);
	cr_assert(r->offline, "offline approval lost in the restart");
	char text[CV_RECEIPT_TEXT_MAX];
	cr_assert_eq(cv_receipt_render(r, CV_RECEIPT_WIDTH_WIDE, text, sizeof(text), NULL), CV_OK);
	cr_assert_not_null(strstr(text, "OFFLINE, PENDING"), "%s", text);
	cr_assert_str_eq(r->card.aid, "A0000000031010");
}

/* The admission check keeps a misbehaving reader's extra data off receipts. */
Test(receipt_vend, digits_in_label_and_non_hex_aid_are_blanked)
{
	struct {
		const char *aid;
		const char *app_label;
	} bad[] = {
		{"A00000000Z1010", "VISA 4111111111"}, /* not hex; digits in the label */
		{"a0000000031010", "CARD\x01"},        /* lower case; a control byte */
		{"A000000003101", "4111111111111111"}, /* odd length; a PAN as label */
		{"A0000000", "VISA\nDEBIT"},           /* too short; a newline */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cv_card_summary card = chip_card();
		strcpy(card.aid, bad[i].aid);
		strcpy(card.app_label, bad[i].app_label);
		card.entry = (enum cv_card_entry)9; /* out of range: unknown */
		uint32_t n = vend_to_capture(&card);
		rig_pay(CV_PAY_OK);
		cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
		const struct cv_receipt *r = rig_last_receipt();
		cr_assert_str_eq(r->card.aid, "", "case %u: AID %s kept", i, r->card.aid);
		cr_assert_str_eq(r->card.app_label, "", "case %u: label %s kept", i, r->card.app_label);
		cr_assert_eq(r->card.entry, CV_CARD_ENTRY_UNKNOWN, "case %u", i);
		cr_assert_str_eq(r->card.last4, "4242", "case %u: the good fields stay", i);
		cr_assert_str_eq(r->card.brand, "VISA", "case %u", i);
	}
	/* The longest valid AID (16 bytes) and label (16 characters) pass whole. */
	struct cv_card_summary card = chip_card();
	strcpy(card.aid, "A0000000031010FFFFFFFFFFFFFFFFFF");
	strcpy(card.app_label, "VISA DEBIT CARD-");
	vend_to_capture(&card);
	rig_pay(CV_PAY_OK);
	cr_assert_str_eq(rig_last_receipt()->card.aid, "A0000000031010FFFFFFFFFFFFFFFFFF");
	cr_assert_str_eq(rig_last_receipt()->card.app_label, "VISA DEBIT CARD-");
}
