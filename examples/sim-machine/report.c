/* SPDX-License-Identifier: MIT */
/*
 * Everything the program prints about the machine: finished vends, alerts,
 * the customer's screen, receipts, and the final reconciliation of the
 * engine's books against the simulated processor and shelves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim_machine.h"

const char *sm_money_text(int64_t amount_minor, char buf[SM_MONEY_TEXT_LEN])
{
	struct cv_money money;
	if (cv_money_make(amount_minor, SM_CURRENCY, &money) != CV_OK ||
	    cv_money_format(&money, buf, SM_MONEY_TEXT_LEN) != CV_OK)
		snprintf(buf, SM_MONEY_TEXT_LEN, "%" PRId64 " (minor units)", amount_minor);
	return buf;
}

/* The engine's lane snapshot; lane indexes in events are always valid. */
static struct cv_lane_info sm_lane(const struct sm_rig *rig, uint16_t lane)
{
	struct cv_lane_info info;
	if (cv_machine_lane_info(rig->machine, lane, &info) != CV_OK)
		memset(&info, 0, sizeof(info));
	return info;
}

static void sm_tally_finished_vend(struct sm_tally *tally, const struct cv_vend_info *vend)
{
	tally->vends_finished++;
	if (vend->state == CV_VEND_STATE_VOID_FAILED)
		tally->void_failed++;
	if (vend->state == CV_VEND_STATE_CAPTURE_FAILED) {
		tally->capture_failed++;
		tally->capture_failed_minor += vend->price.amount_minor;
	}
}

static void sm_print_vend(const struct sm_rig *rig, const struct cv_vend_info *vend)
{
	struct cv_lane_info lane = sm_lane(rig, vend->lane);
	char price[SM_MONEY_TEXT_LEN];
	char outcome[80];
	if (vend->reason == CV_VEND_REASON_NONE)
		snprintf(outcome, sizeof(outcome), "%s", cv_vend_state_str(vend->state));
	else
		snprintf(outcome, sizeof(outcome), "%s (%s)", cv_vend_state_str(vend->state),
			 cv_vend_reason_str(vend->reason));
	printf("vend %5" PRIu32 "  %-3s %-16s %10s  %-44s respins %u\n", vend->vend_number, lane.config.label,
	       lane.config.product_name, cv_money_format(&vend->price, price, sizeof(price)) == CV_OK ? price : "?",
	       outcome, (unsigned)vend->respins);
}

static void sm_on_vend_state(struct sm_rig *rig, const struct cv_vend_info *vend)
{
	if (!cv_vend_state_is_terminal(vend->state))
		return;
	sm_tally_finished_vend(&rig->tally, vend);
	if (rig->output.vends)
		sm_print_vend(rig, vend);
}

/* EVA-DTS style: the code, with the lane label as suffix when the alert is
 * about one lane ("ELB_A3"). */
static void sm_on_alert(struct sm_rig *rig, const struct cv_alert *alert)
{
	if (alert->active)
		rig->tally.alerts_raised++;
	/* Said even when quiet: nothing else explains why selling stops. */
	if (alert->kind == CV_ALERT_JOURNAL_FAULT && alert->active)
		fprintf(stderr, "sim-machine: the journal cannot be written (I/O error or disk full): the machine "
				"stops selling; it settles what it can and needs a restart once storage works\n");
	if (!rig->output.alerts)
		return;
	char code[CV_ALERT_CODE_LEN];
	if (alert->lane == CV_ALERT_NO_LANE)
		snprintf(code, sizeof(code), "%s", cv_alert_kind_code(alert->kind));
	else
		snprintf(code, sizeof(code), "%s_%s", cv_alert_kind_code(alert->kind),
			 sm_lane(rig, alert->lane).config.label);
	printf("alert %-8s %-8s %s\n", alert->active ? "raised" : "cleared", code, cv_alert_kind_str(alert->kind));
}

static bool sm_same_screen(const struct cv_display *a, const struct cv_display *b)
{
	return a->msg == b->msg && a->lane == b->lane && a->amount.amount_minor == b->amount.amount_minor;
}

static void sm_on_display(struct sm_rig *rig, const struct cv_display *display)
{
	if (!rig->output.screen || (rig->screen_printed && sm_same_screen(&rig->screen, display)))
		return;
	rig->screen = *display;
	rig->screen_printed = true;
	if (display->lane == CV_DISPLAY_NO_LANE) {
		printf("  [screen] %s\n", cv_msg_text(display->msg));
		return;
	}
	char price[SM_MONEY_TEXT_LEN];
	struct cv_lane_info lane = sm_lane(rig, display->lane);
	printf("  [screen] %s  (%s %s, %s)\n", cv_msg_text(display->msg), lane.config.label, lane.config.product_name,
	       sm_money_text(display->amount.amount_minor, price));
}

static void sm_on_receipt(const struct sm_rig *rig, const struct cv_receipt *receipt)
{
	if (!rig->output.receipts)
		return;
	char text[CV_RECEIPT_TEXT_MAX];
	enum cv_status rc = cv_receipt_render(receipt, CV_RECEIPT_WIDTH_NARROW, text, sizeof(text), NULL);
	if (rc != CV_OK) {
		printf("  (receipt for vend %s could not be rendered: %s)\n", receipt->vend_id, cv_status_str(rc));
		return;
	}
	printf("  -------- receipt --------\n%s  -------------------------\n", text);
}

static void sm_on_lane_changed(const struct sm_rig *rig, uint16_t lane_index)
{
	if (!rig->output.lanes)
		return;
	struct cv_lane_info lane = sm_lane(rig, lane_index);
	char price[SM_MONEY_TEXT_LEN];
	printf("  [lane] %s %s: %s, %u of %u, %s\n", lane.config.label, lane.config.product_name,
	       sm_money_text(lane.config.price_minor, price), (unsigned)lane.config.count,
	       (unsigned)lane.config.capacity, cv_lane_availability_str(lane.availability));
}

/* What recovery decided, in the words an operator would use. */
static const char *sm_recovery_words(enum cv_recovery_action action)
{
	switch (action) {
	case CV_RECOVERY_DISCARDED:
		return "nothing could hold money yet: abandoned, no charge";
	case CV_RECOVERY_LOOKUP_THEN_VOID:
		return "the card payment may have gone out: asking the processor and voiding any hold; "
		       "nothing is dispensed";
	case CV_RECOVERY_VOID:
		return "money was held but the motor had not started: voiding the hold";
	case CV_RECOVERY_VOID_UNVERIFIED:
		return "cut mid-dispense and no drop was seen: voiding the hold (not charged), alert for the lane";
	case CV_RECOVERY_CAPTURE_RESEND:
		return "the candy had dropped and the charge was on its way: sending it again (same key)";
	case CV_RECOVERY_VOID_RESEND:
		return "a void was on its way: sending it again (same key)";
	case CV_RECOVERY_CAPTURE_PROVEN:
		return "cut mid-dispense after the drop was seen: charging";
	default:
		return "no decision (unknown action)";
	}
}

static void sm_on_recovery(const struct sm_rig *rig, const struct cv_recovery *recovery)
{
	if (!rig->output.recovery)
		return;
	if (recovery->action == CV_RECOVERY_TAIL_TRUNCATED) {
		printf("recovery: the journal's last %" PRIu64 " bytes were torn by the cut: cut off\n",
		       recovery->torn_bytes);
		return;
	}
	printf("recovery: vend %" PRIu32 " (was %s): %s\n", recovery->vend_number,
	       cv_vend_state_str(recovery->found_state), sm_recovery_words(recovery->action));
}

void sm_report_event(struct sm_rig *rig, const struct cv_event *event)
{
	switch (event->type) {
	case CV_EVENT_VEND_STATE:
		sm_on_vend_state(rig, &event->u.vend);
		break;
	case CV_EVENT_ALERT:
		sm_on_alert(rig, &event->u.alert);
		break;
	case CV_EVENT_DISPLAY:
		sm_on_display(rig, &event->u.display);
		break;
	case CV_EVENT_RECEIPT:
		sm_on_receipt(rig, &event->u.receipt);
		break;
	case CV_EVENT_LANE_CHANGED:
		sm_on_lane_changed(rig, event->u.lane.lane);
		break;
	case CV_EVENT_RECOVERY:
		sm_on_recovery(rig, &event->u.recovery);
		break;
	default:
		/* Input events never reach the listener. */
		break;
	}
}

/* ---- Reconciliation ------------------------------------------------------ */

static void sm_print_money_line(const char *what, int64_t amount_minor)
{
	char text[SM_MONEY_TEXT_LEN];
	printf("  %-34s %14s\n", what, sm_money_text(amount_minor, text));
}

static void sm_print_counts(const struct sm_rig *rig, const struct cv_machine_stats *stats,
			    const struct cv_sim_truth *truth)
{
	printf("vends\n");
	printf("  %-34s %14" PRIu32 "\n", "started", stats->vends_started);
	printf("  %-34s %14" PRIu32 "\n", "sales (captured)", stats->vends_captured);
	printf("  %-34s %14" PRIu32 "\n", "voided", stats->vends_voided);
	printf("  %-34s %14" PRIu32 "\n", "abandoned", stats->vends_abandoned);
	printf("  %-34s %14" PRIu32 "\n", "capture failed", stats->vends_capture_failed);
	printf("  %-34s %14" PRIu32 "\n", "void failed", stats->vends_void_failed);
	printf("  %-34s %14" PRIu32 "\n", "declines", stats->declines);
	printf("  %-34s %14" PRIu32 "\n", "unknown payment outcomes", stats->unknown_outcomes);
	printf("  %-34s %14" PRIu32 "\n", "respins", stats->respins);
	printf("  %-34s %14" PRIu32 "\n", "payment failovers to link 2", truth->failovers);
	printf("  %-34s %14" PRIu32 "\n", "payment link breaker opens", truth->breaker_opens);
	printf("  %-34s %14" PRIu32 "\n", "alerts raised", rig->tally.alerts_raised);
	printf("  %-34s %14" PRIu32 "\n", "service visits", rig->tally.service_visits);
}

static void sm_print_money(const struct sm_rig *rig, const struct cv_machine_stats *stats,
			   const struct cv_sim_truth *truth)
{
	printf("money\n");
	sm_print_money_line("captured by the engine", stats->captured_minor);
	sm_print_money_line("captured by the processor", truth->captured_minor);
	char difference[SM_MONEY_TEXT_LEN];
	printf("  difference: %s\n", sm_money_text(stats->captured_minor - truth->captured_minor, difference));
	sm_print_money_line("value dispensed (verified drops)", stats->dispensed_value_minor);
	sm_print_money_line("value delivered, capture failed", rig->tally.capture_failed_minor);
	printf("  %-34s %14" PRIu32 "\n", "verified drops", stats->drops_verified);
	printf("  %-34s %14" PRIu32 "\n", "items that really fell", truth->items_dropped);
	printf("  %-34s %14" PRIu32 "\n", "  falls the sensor missed", truth->missed_drops);
	printf("  %-34s %14" PRIu32 "\n", "  sensor firings, nothing fell", truth->false_drops);
	printf("  %-34s %14" PRIu32 "\n", "open holds at the processor", truth->holds_open);
	sm_print_money_line("  money held in them", truth->held_minor);
}

/* The engine's count drifts from the shelf after missed or false drops;
 * showing both side by side is the point of the simulation. */
static void sm_print_stock(const struct sm_rig *rig, const struct cv_sim_truth *truth)
{
	printf("stock left           engine  physical\n");
	uint16_t lanes = cv_machine_lane_count(rig->machine);
	for (uint16_t i = 0; i < lanes; i++) {
		struct cv_lane_info lane = sm_lane(rig, i);
		printf("  %-3s %-16s %6u %9u%s\n", lane.config.label, lane.config.product_name,
		       (unsigned)lane.config.count, (unsigned)truth->stock[i],
		       lane.config.count == truth->stock[i] ? "" : "  (differs)");
	}
}

/* One check of the books; prints it and returns whether it passed. */
static bool sm_check(bool passed, const char *what)
{
	printf("  [%s] %s\n", passed ? " ok " : "FAIL", what);
	return passed;
}

/* Every verified drop is captured or ended CAPTURE_FAILED. The prices of
 * the latter come from the listener; a kill can take the event of one that
 * ended in the engine's last step (the journal has it, the tally not), and
 * then only a bound can be checked. */
static bool sm_check_delivered_value(const struct sm_rig *rig, const struct cv_machine_stats *stats)
{
	int64_t uncaptured = stats->dispensed_value_minor - stats->captured_minor;
	if (rig->tally.capture_failed == stats->vends_capture_failed)
		return sm_check(uncaptured == rig->tally.capture_failed_minor,
				"engine captured + capture-failed value == value dispensed");
	uint32_t unseen = stats->vends_capture_failed - rig->tally.capture_failed;
	printf("  (%u capture-failed vends ended during a kill: their price is bounded, not known)\n",
	       (unsigned)unseen);
	return sm_check(uncaptured > rig->tally.capture_failed_minor &&
				uncaptured - rig->tally.capture_failed_minor <= (int64_t)unseen * SM_PRICE_MAX_MINOR,
			"engine captured + capture-failed value == value dispensed (within the bound)");
}

static bool sm_books_reconcile(const struct sm_rig *rig, const struct cv_machine_stats *stats,
			       const struct cv_sim_truth *truth)
{
	bool ok = true;
	uint32_t terminal = stats->vends_captured + stats->vends_voided + stats->vends_abandoned +
			    stats->vends_capture_failed + stats->vends_void_failed;
	printf("checks\n");
	ok &= sm_check(stats->captured_minor == truth->captured_minor, "engine captured == processor captured");
	ok &= sm_check_delivered_value(rig, stats);
	/* A VOID_FAILED vend may leave its hold to expire at the issuer. */
	ok &= sm_check(truth->holds_open <= stats->vends_void_failed,
		       "no open holds at the processor (beyond VOID_FAILED vends)");
	/* The listener sees every end only when no kill came between. */
	ok &= sm_check(cv_machine_open_vends(rig->machine) == 0 && terminal == stats->vends_started &&
			       (rig->persist != NULL || rig->tally.vends_finished == stats->vends_started),
		       "every vend reached a terminal state");
	return ok;
}

static void sm_print_journal(const struct sm_rig *rig, const struct cv_machine_stats *stats)
{
	if (rig->persist == NULL) {
		printf("journal: %" PRIu64 " records, %zu of %zu bytes\n", stats->journal_records, rig->storage.length,
		       rig->journal_size);
		return;
	}
	printf("journal: %" PRIu64 " records in %s/journal\n", stats->journal_records, rig->persist->options.dir);
	printf("lives: %u (%u cut off by a kill or power cut); the books cover them all\n",
	       (unsigned)rig->progress.lives, (unsigned)rig->progress.cuts);
}

bool sm_report_reconciliation(const struct sm_rig *rig)
{
	struct cv_machine_stats stats;
	struct cv_sim_truth truth;
	cv_machine_stats(rig->machine, &stats);
	cv_sim_truth(rig->sim, &truth);

	printf("\n==== reconciliation ====\n");
	sm_print_counts(rig, &stats, &truth);
	sm_print_money(rig, &stats, &truth);
	sm_print_stock(rig, &truth);
	sm_print_journal(rig, &stats);
	bool ok = sm_books_reconcile(rig, &stats, &truth);
	printf("%s\n", ok ? "BOOKS RECONCILE" : "BOOKS DO NOT RECONCILE");
	return ok;
}
