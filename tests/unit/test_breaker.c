/* SPDX-License-Identifier: MIT */
/* The payment-link circuit breaker: opening, probing and closing. */
#include <criterion/criterion.h>

#include <candyvend/breaker.h>

static struct cv_breaker breaker_new(void)
{
	struct cv_breaker b;
	cr_assert_eq(cv_breaker_init(&b, NULL), CV_OK);
	return b;
}

static void fail_times(struct cv_breaker *b, uint64_t now_ms, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cv_breaker_record(b, now_ms + i, false);
}

Test(breaker, defaults_follow_the_payments_reference)
{
	struct cv_breaker_policy p;
	cv_breaker_policy_default(&p);
	cr_assert_eq(p.failures_to_open, 5);
	cr_assert_eq(p.window_ms, 60000);
	cr_assert_eq(p.open_ms, 30000);
	cr_assert_eq(p.probes_to_close, 2);
}

Test(breaker, bad_policies_are_refused)
{
	struct cv_breaker b;
	struct cv_breaker_policy p;
	cv_breaker_policy_default(&p);
	p.failures_to_open = 0;
	cr_assert_eq(cv_breaker_init(&b, &p), CV_E_INVAL);
	cv_breaker_policy_default(&p);
	p.open_ms = 0;
	cr_assert_eq(cv_breaker_init(&b, &p), CV_E_INVAL);
	cv_breaker_policy_default(&p);
	p.probes_to_close = 101;
	cr_assert_eq(cv_breaker_init(&b, &p), CV_E_INVAL);
	cr_assert_eq(cv_breaker_init(NULL, NULL), CV_E_INVAL);
}

Test(breaker, opens_after_five_failures_in_a_row)
{
	struct cv_breaker b = breaker_new();
	fail_times(&b, 1000, 4);
	cr_assert(cv_breaker_allows(&b, 1004));
	cv_breaker_record(&b, 1005, false);
	cr_assert_not(cv_breaker_allows(&b, 1005));
	cr_assert_eq(cv_breaker_state(&b, 1005), CV_BREAKER_OPEN);
	cr_assert_eq(b.times_opened, 1);
}

Test(breaker, an_answer_resets_the_count)
{
	struct cv_breaker b = breaker_new();
	fail_times(&b, 1000, 4);
	cv_breaker_record(&b, 1010, true);
	fail_times(&b, 1020, 4);
	cr_assert(cv_breaker_allows(&b, 1030));
}

Test(breaker, failures_spread_beyond_the_window_do_not_open_it)
{
	struct cv_breaker b = breaker_new();
	for (unsigned i = 0; i < 20; i++)
		cv_breaker_record(&b, 1000 + (uint64_t)i * 20000, false);
	/* Never 5 within 60 s of the first of a run: 4 per window at most. */
	cr_assert(cv_breaker_allows(&b, 1000 + 20 * 20000));
}

Test(breaker, half_open_after_the_open_time_and_one_probe_at_a_time)
{
	struct cv_breaker b = breaker_new();
	fail_times(&b, 0, 5);
	cr_assert_not(cv_breaker_take_probe(&b, 29000));
	cr_assert_eq(cv_breaker_state(&b, 30004), CV_BREAKER_HALF_OPEN);
	cr_assert_not(cv_breaker_allows(&b, 30004), "half-open carries probes only");
	cr_assert(cv_breaker_take_probe(&b, 30004));
	cr_assert_not(cv_breaker_take_probe(&b, 30005), "one probe at a time");
	cv_breaker_record(&b, 30100, true);
	cr_assert_eq(cv_breaker_state(&b, 30100), CV_BREAKER_HALF_OPEN);
	cr_assert(cv_breaker_take_probe(&b, 30200));
	cv_breaker_record(&b, 30300, true);
	cr_assert(cv_breaker_allows(&b, 30300), "two good probes close it");
}

Test(breaker, a_failed_probe_opens_it_again)
{
	struct cv_breaker b = breaker_new();
	fail_times(&b, 0, 5);
	cr_assert(cv_breaker_take_probe(&b, 40000));
	cv_breaker_record(&b, 40100, false);
	cr_assert_eq(cv_breaker_state(&b, 40100), CV_BREAKER_OPEN);
	cr_assert_eq(cv_breaker_state(&b, 70099), CV_BREAKER_OPEN);
	cr_assert_eq(cv_breaker_state(&b, 70100), CV_BREAKER_HALF_OPEN);
	cr_assert_eq(b.times_opened, 2);
}

Test(breaker, late_answers_while_open_change_nothing)
{
	struct cv_breaker b = breaker_new();
	fail_times(&b, 0, 5);
	cv_breaker_record(&b, 100, true);
	cr_assert_eq(cv_breaker_state(&b, 100), CV_BREAKER_OPEN);
}

Test(breaker, state_names)
{
	cr_assert_str_eq(cv_breaker_state_str(CV_BREAKER_HALF_OPEN), "HALF_OPEN");
	cr_assert_str_eq(cv_breaker_state_str((enum cv_breaker_state)9), "?");
}
