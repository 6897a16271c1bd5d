/* SPDX-License-Identifier: MIT */
/* The payment link as the engine sees it: health, the operator's offline
 * policy (enforced, never an approval of the library's own), and card sales
 * stopping when neither the processor nor an offline approval is possible. */
#include <criterion/criterion.h>

#include "rig.h"

/* Offline-capable reader and a policy: 5.00 a vend, 3 unsent, 10.00 in all, an hour old at most. */
static void setup_offline(void)
{
	rig_setup();
	rig.payment_caps |= CV_PAYMENT_CAP_OFFLINE;
	rig.config.offline.enabled = true;
	rig.config.offline.max_amount_minor = 500;
	rig.config.offline.max_count = 3;
	rig.config.offline.max_total_minor = 1000;
	rig.config.offline.max_age_s = 3600;
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

static void setup_online_only(void)
{
	rig_setup();
	cr_assert_eq(rig_start(), CV_OK);
	rig_step(0);
}

TestSuite(payment_link, .init = setup_offline, .fini = rig_teardown);
TestSuite(online_only, .init = setup_online_only, .fini = rig_teardown);

static enum cv_status try_select(uint16_t lane)
{
	enum cv_status rc = cv_machine_select(rig.m, lane, NULL);
	rig_step(0);
	return rc;
}

static void link_down(void)
{
	rig.health_rc = CV_E_IO;
	rig_step(0);
}

Test(online_only, link_down_stops_card_sales_and_tells_the_operator)
{
	link_down();
	cr_assert_eq(rig_alerts(CV_ALERT_PAYMENT_LINK_DOWN, CV_ALERT_NO_LANE, true), 1);
	cr_assert_eq(rig_msg(), CV_MSG_CARD_UNAVAILABLE);
	unsigned before = rig.payment_count;
	cr_assert_eq(try_select(0), CV_E_PAYMENT_UNAVAILABLE);
	cr_assert_eq(rig.payment_count, before, "nothing sent");
	cr_assert_eq(rig_stats().vends_started, 0, "no vend begun");
	rig_step(1000);
	cr_assert_eq(rig_alerts(CV_ALERT_PAYMENT_LINK_DOWN, CV_ALERT_NO_LANE, true), 1, "raised once");

	rig.health_rc = CV_OK;
	rig_step(0);
	cr_assert_eq(rig_alerts(CV_ALERT_PAYMENT_LINK_DOWN, CV_ALERT_NO_LANE, false), 1);
	rig_step(rig.config.timeouts.message_ms);
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT);
	uint32_t n = rig_vend_ok(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
}

Test(online_only, no_offline_allowed_without_a_policy)
{
	uint32_t n = rig_select(0);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_AUTHORIZE);
	cr_assert_not(rig_last_payment()->offline_allowed);
	(void)n;
}

Test(online_only, an_offline_approval_policy_did_not_allow_is_voided_undispensed)
{
	uint32_t n = rig_select(0);
	rig.pay_offline = true;
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_OFFLINE_POLICY);
	cr_assert_eq(rig.motor_count, 0, "no candy on an approval the operator did not allow");
	rig.pay_offline = false;
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED);
}

Test(payment_link, offline_approval_within_policy_sells_and_is_recorded)
{
	link_down();
	cr_assert_eq(rig_msg(), CV_MSG_CHOOSE_PRODUCT, "customers are not told while sales go on");
	uint32_t n = rig_select(0);
	cr_assert(rig_last_payment()->offline_allowed);
	rig.pay_offline = true;
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	cr_assert(rig_vend(n).offline_approved);
	rig_motor(CV_OK);
	rig_drop();
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURED);
	cr_assert(rig_vend(n).offline_approved);
	cr_assert_eq(rig_stats().offline_approvals, 1);
}

Test(payment_link, online_approvals_are_not_counted_as_offline)
{
	uint32_t n = rig_vend_ok(0);
	cr_assert_not(rig_vend(n).offline_approved);
	cr_assert_eq(rig_stats().offline_approvals, 0);
}

static void expect_offline_refused(const char *why)
{
	link_down();
	cr_assert_eq(try_select(0), CV_E_PAYMENT_UNAVAILABLE, "%s", why);
	cr_assert_eq(rig_msg(), CV_MSG_CARD_UNAVAILABLE, "%s", why);
	rig.health_rc = CV_OK;
	rig_step(0);
	uint32_t n = rig_select(0);
	cr_assert_not(rig_last_payment()->offline_allowed, "%s: online, but no offline either", why);
	(void)n;
}

Test(payment_link, price_above_the_offline_limit)
{
	cr_assert_eq(cv_machine_service_enter(rig.m), CV_OK);
	for (uint16_t i = 0; i < RIG_LANES; i++)
		cr_assert_eq(cv_machine_lane_set_price(rig.m, i, 600), CV_OK);
	cr_assert_eq(cv_machine_service_exit(rig.m), CV_OK);
	rig_step(0);
	expect_offline_refused("6.00 > 5.00");
}

Test(payment_link, count_limit)
{
	rig.offline.unsent_count = 3;
	rig.offline.unsent_total_minor = 300;
	expect_offline_refused("3 unsent already");
}

Test(payment_link, total_limit)
{
	rig.offline.unsent_count = 2;
	rig.offline.unsent_total_minor = 900; /* + 1.50 > 10.00 */
	expect_offline_refused("total would pass 10.00");
}

Test(payment_link, age_limit)
{
	rig.offline.unsent_count = 1;
	rig.offline.unsent_total_minor = 150;
	rig.offline.oldest_age_s = 3600;
	expect_offline_refused("oldest unsent is an hour old");
}

Test(payment_link, a_reader_that_cannot_report_gets_no_offline)
{
	rig.offline_rc = CV_E_IO;
	expect_offline_refused("offline_status failed");
}

Test(payment_link, exactly_at_the_limits_is_allowed)
{
	rig.offline.unsent_count = 2;
	rig.offline.unsent_total_minor = 850; /* + 1.50 = 10.00 */
	rig.offline.oldest_age_s = 3599;
	link_down();
	cr_assert_eq(try_select(0), CV_OK);
	cr_assert(rig_last_payment()->offline_allowed);
}

Test(payment_link, offline_flag_and_count_survive_a_restart)
{
	link_down();
	uint32_t n = rig_select(0);
	rig.pay_offline = true;
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	rig_drop();
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
	rig_step(rig.config.timeouts.flush_ms);
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	cr_assert(rig_vend(n).offline_approved, "the journal keeps the offline flag");
	cr_assert_eq(rig_stats().offline_approvals, 1, "replay counts it once");
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_CAPTURE, "the capture (forwarding) is resent");
}

Test(payment_link, bad_policies_are_refused_at_init)
{
	struct cv_offline_policy good = rig.config.offline;
	struct cv_offline_policy bad[5];
	for (unsigned i = 0; i < 5; i++)
		bad[i] = good;
	bad[0].max_amount_minor = 0;
	bad[1].max_count = 0;
	bad[2].max_total_minor = 499; /* below one vend */
	bad[3].max_age_s = 0;
	bad[4].enabled = false; /* limits set but disabled: a config mistake */
	for (unsigned i = 0; i < 5; i++) {
		struct cv_machine_config c = rig.config;
		c.offline = bad[i];
		void *memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
		struct cv_machine *m = NULL;
		cr_assert_eq(cv_machine_init(memory, cv_machine_size(), &c, &m), CV_E_INVAL, "policy %u", i);
		free(memory);
	}
}
