/* SPDX-License-Identifier: MIT */
/* Duties a vend must never drop, one test per way an outside review found
 * to drop one: a key that may still land, a motor after a verified drop, a
 * capture with no drop seen on an OPTIONAL lane. */
#include <criterion/criterion.h>
#include <string.h>

#include "held_storage.h"
#include "rig.h"

TestSuite(vend_duties, .init = rig_setup, .fini = rig_teardown);

/* Key .auth.1 was sent, its outcome unknown, and the lookup did not find
 * it: it may still land. The customer is asked to pay again. */
static uint32_t key_that_may_land(void)
{
	cr_assert_eq(rig_start(), CV_OK);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_UNKNOWN);
	rig_pay(CV_PAY_NOT_FOUND);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	return n;
}

/* The vend went to the background orphan check for key .auth.1: looked
 * up, and voided with that key when the budget is spent, never dispensed. */
static void expect_orphan_check(uint32_t n)
{
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_LOOKUP, "got %s", cv_vend_state_str(rig_state(n)));
	for (unsigned i = 0; i < rig.config.lookup_attempts_max; i++) {
		cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_LOOKUP);
		cr_assert_str_eq(rig_last_payment()->auth_key, rig.payments[0].idempotency_key);
		rig_pay(CV_PAY_NOT_FOUND);
		if (i + 1 < rig.config.lookup_attempts_max)
			rig_step(rig.config.timeouts.retry_cap_ms);
	}
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_last_payment()->op, CV_PAYMENT_OP_VOID);
	cr_assert_str_eq(rig_last_payment()->auth_key, rig.payments[0].idempotency_key);
	rig_pay(CV_PAY_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOIDED, "got %s", cv_vend_state_str(rig_state(n)));
	cr_assert_eq(rig.motor_count, 0);
}

static unsigned authorizations_with_key(const char *suffix)
{
	unsigned count = 0;
	for (unsigned i = 0; i < rig.payment_count; i++)
		if (rig.payments[i].op == CV_PAYMENT_OP_AUTHORIZE &&
		    strstr(rig.payments[i].idempotency_key, suffix) != NULL)
			count++;
	return count;
}

Test(vend_duties, a_cancel_before_the_resend_goes_out_keeps_the_orphan_check)
{
	uint32_t n = key_that_may_land();
	cr_assert_eq(cv_machine_select(rig.m, 0, NULL), CV_OK); /* AUTH_PENDING, resend not sent yet */
	cr_assert_eq(cv_machine_cancel(rig.m), CV_OK);
	rig_step(0);
	cr_assert_eq(authorizations_with_key(".auth.1"), 1, "the resend never left");
	expect_orphan_check(n);
}

Test(vend_duties, a_resend_the_reader_cancelled_keeps_the_orphan_check)
{
	uint32_t n = key_that_may_land();
	rig_select(0);
	cr_assert_eq(authorizations_with_key(".auth.1"), 2);
	rig_pay(CV_PAY_CANCELLED); /* the reader stopped collecting: nothing sent this time */
	expect_orphan_check(n);
}

Test(vend_duties, a_resend_the_reader_failed_keeps_the_same_key)
{
	uint32_t n = key_that_may_land();
	rig_select(0);
	rig_pay(CV_PAY_READER_FAULT);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_AUTH_DECLINED);
	rig_select(0);
	cr_assert_eq(authorizations_with_key(".auth.2"), 0, "no second key while .auth.1 may land");
	cr_assert_eq(authorizations_with_key(".auth.1"), 3);
}

Test(vend_duties, the_last_try_ending_in_a_not_sent_resend_keeps_the_orphan_check)
{
	uint32_t n = key_that_may_land();
	for (unsigned i = 1; i < CV_AUTH_ATTEMPTS_MAX; i++) {
		rig_select(0);
		rig_pay(CV_PAY_NOT_SENT);
	}
	expect_orphan_check(n);
}

Test(vend_duties, a_power_cut_while_the_key_may_land_keeps_the_orphan_check)
{
	uint32_t n = key_that_may_land();
	cr_assert_eq(rig_reboot(), CV_OK);
	rig_step(0);
	expect_orphan_check(n);
}

/* A vend whose first movement saw no drop: its re-spin is journaled but
 * waits for a sync the storage has not answered. Returns its number. */
static uint32_t respin_waiting_for_its_sync(struct held_storage *hs)
{
	rig_start_on_held_storage(hs);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	hs->immediate = false;
	rig_step(rig.config.timeouts.verify_ms); /* nothing fell in time: re-spin */
	cr_assert_eq(rig_state(n), CV_VEND_STATE_DISPENSING);
	return n;
}

/* A re-spin whose record waits for a slow sync while the drop arrives: the
 * item fell, so the motor must not turn again (a second item for one charge). */
Test(vend_duties, no_motor_starts_after_a_verified_drop_while_the_respin_waits_for_its_sync)
{
	static struct held_storage hs;
	uint32_t n = respin_waiting_for_its_sync(&hs);
	cr_assert_eq(rig.motor_count, 1);
	rig_drop(); /* the first item fell late */
	held_storage_complete(&hs, CV_OK);
	hs.immediate = true;
	rig_step(0);
	rig_step(0);
	cr_assert_eq(rig.motor_count, 1, "a motor started for a vend whose drop is verified");
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
}

/* OPTIONAL lane: the sensor watched the whole movement and saw nothing,
 * then failed while waiting for the drop. Its failure excuses nothing it
 * watched: no capture without a drop seen. */
Test(vend_duties, a_sensor_failing_after_watching_a_movement_does_not_prove_a_drop)
{
	rig.lanes[0].verify_mode = CV_VERIFY_MODE_OPTIONAL;
	cr_assert_eq(rig_start(), CV_OK);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert(rig.sensor_armed);
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VERIFYING);
	rig_sensor(true);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING, "got %s", cv_vend_state_str(rig_state(n)));
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_SENSOR_FAULT);
	cr_assert_eq(rig.motor_count, 1, "no re-spin without a sensor to watch it");
}

/* The other side of the rule: a movement the faulted sensor never watched
 * is proven by its completed cycle on an OPTIONAL lane. */
Test(vend_duties, an_unwatched_movement_on_an_optional_lane_is_proven_by_its_cycle)
{
	rig.lanes[0].verify_mode = CV_VERIFY_MODE_OPTIONAL;
	cr_assert_eq(rig_start(), CV_OK);
	rig_sensor(true);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	cr_assert_not(rig.sensor_armed);
	rig_motor(CV_OK);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING);
}

/* Found by the model check: a vend voided because the journal failed as
 * its re-spin began left the sensor armed, so a late drop was counted for
 * nobody. The sensor watches only while a vend dispenses. */
Test(vend_duties, a_vend_stopped_by_a_journal_fault_disarms_the_sensor)
{
	static struct held_storage hs;
	rig_start_on_held_storage(&hs);
	uint32_t n = rig_select(0);
	rig_pay(CV_PAY_OK);
	rig_motor(CV_OK);
	cr_assert(rig.sensor_armed);
	hs.fail_next_append = true;
	rig_step(rig.config.timeouts.verify_ms); /* the re-spin's record can't be written */
	cr_assert_eq(rig_state(n), CV_VEND_STATE_VOID_PENDING);
	cr_assert_eq(rig_vend(n).reason, CV_VEND_REASON_JOURNAL_FAULT);
	cr_assert_not(rig.sensor_armed, "the sensor still watches for a vend that is being voided");
	cr_assert_eq(rig.motor_count, 1);
}

/* Found by the model check: the drop arrives while the re-spin's record
 * waits for its sync, and that sync fails in the same step. The item fell:
 * the vend is delivered (its capture waits for a journal that works), not
 * voided with the item gone and the stock still counting it. */
Test(vend_duties, a_drop_seen_as_the_journal_fails_is_a_delivery_not_a_void)
{
	static struct held_storage hs;
	uint32_t n = respin_waiting_for_its_sync(&hs);
	struct cv_event drop = {.type = CV_EVENT_DROP_DETECTED};
	drop.u.drop.op_id = rig.sensor_op_id;
	cr_assert_eq(cv_machine_post(rig.m, &drop), CV_OK);
	held_storage_complete(&hs, CV_E_IO); /* queued behind the drop */
	rig_step(0);
	cr_assert_eq(rig_state(n), CV_VEND_STATE_CAPTURE_PENDING, "got %s", cv_vend_state_str(rig_state(n)));
	cr_assert_eq(rig.motor_count, 1, "no re-spin");
	cr_assert_eq(rig_lane(0).config.count, 4, "the item that fell is counted out");
}
