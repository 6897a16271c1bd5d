/* SPDX-License-Identifier: MIT */
/* Circuit breaker for a payment link (include/candyvend/breaker.h). */
#include <candyvend/breaker.h>

#include <stddef.h>

#include "internal.h"

CV_EXPORT void cv_breaker_policy_default(struct cv_breaker_policy *policy)
{
	policy->failures_to_open = 5;
	policy->window_ms = 60000;
	policy->open_ms = 30000;
	policy->probes_to_close = 2;
}

CV_EXPORT enum cv_status cv_breaker_init(struct cv_breaker *breaker, const struct cv_breaker_policy *policy)
{
	struct cv_breaker_policy p;
	if (breaker == NULL)
		return CV_E_INVAL;
	if (policy == NULL)
		cv_breaker_policy_default(&p);
	else
		p = *policy;
	if (p.failures_to_open < 1 || p.failures_to_open > 100 || p.window_ms < 1 || p.open_ms < 1 ||
	    p.probes_to_close < 1 || p.probes_to_close > 100)
		return CV_E_INVAL;
	memset(breaker, 0, sizeof(*breaker));
	breaker->policy = p;
	breaker->state = CV_BREAKER_CLOSED;
	return CV_OK;
}

static void cv_breaker_open(struct cv_breaker *b, uint64_t now_ms)
{
	b->state = CV_BREAKER_OPEN;
	b->opened_ms = now_ms;
	b->failures = 0;
	b->good_probes = 0;
	b->probe_out = false;
	b->times_opened++;
}

CV_EXPORT enum cv_breaker_state cv_breaker_state(struct cv_breaker *breaker, uint64_t now_ms)
{
	if (breaker->state == CV_BREAKER_OPEN && now_ms >= cv_deadline(breaker->opened_ms, breaker->policy.open_ms)) {
		breaker->state = CV_BREAKER_HALF_OPEN;
		breaker->good_probes = 0;
		breaker->probe_out = false;
	}
	return breaker->state;
}

CV_EXPORT bool cv_breaker_allows(struct cv_breaker *breaker, uint64_t now_ms)
{
	return cv_breaker_state(breaker, now_ms) == CV_BREAKER_CLOSED;
}

CV_EXPORT bool cv_breaker_take_probe(struct cv_breaker *breaker, uint64_t now_ms)
{
	if (cv_breaker_state(breaker, now_ms) != CV_BREAKER_HALF_OPEN || breaker->probe_out)
		return false;
	breaker->probe_out = true;
	return true;
}

static void cv_breaker_record_closed(struct cv_breaker *b, uint64_t now_ms, bool link_ok)
{
	if (link_ok) {
		b->failures = 0;
		return;
	}
	/* Only failures in a row within the window count: a slow trickle of
	 * failures on a busy link is not an outage. */
	if (b->failures == 0 || now_ms - b->first_failure_ms > b->policy.window_ms) {
		b->failures = 0;
		b->first_failure_ms = now_ms;
	}
	if (++b->failures >= b->policy.failures_to_open)
		cv_breaker_open(b, now_ms);
}

CV_EXPORT void cv_breaker_record(struct cv_breaker *breaker, uint64_t now_ms, bool link_ok)
{
	switch (cv_breaker_state(breaker, now_ms)) {
	case CV_BREAKER_CLOSED:
		cv_breaker_record_closed(breaker, now_ms, link_ok);
		break;
	case CV_BREAKER_HALF_OPEN:
		breaker->probe_out = false;
		if (!link_ok) {
			cv_breaker_open(breaker, now_ms);
			break;
		}
		if (++breaker->good_probes >= breaker->policy.probes_to_close) {
			breaker->state = CV_BREAKER_CLOSED;
			breaker->failures = 0;
		}
		break;
	default:
		/* Answers of requests sent before it opened change nothing. */
		break;
	}
}

CV_EXPORT const char *cv_breaker_state_str(enum cv_breaker_state state)
{
	switch (state) {
	case CV_BREAKER_CLOSED:
		return "CLOSED";
	case CV_BREAKER_OPEN:
		return "OPEN";
	case CV_BREAKER_HALF_OPEN:
		return "HALF_OPEN";
	default:
		return "?";
	}
}
