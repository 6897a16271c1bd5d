/* SPDX-License-Identifier: MIT */
/* The engine's view of the payment link: whether the processor is
 * reachable (the backend's cached health), whether the operator's offline
 * policy lets the reader approve a sale offline, whether card sales must
 * stop, and whether a settlement has stalled. The library never approves a
 * card itself: it only tells the reader what policy allows. */
#include "machine_private.h"

#define CV_SECONDS_PER_DAY 86400
/* Capture deadlines are days away: a look every minute is plenty. */
#define CV_STALL_RECHECK_MS 60000

static bool cv_payment_has_offline(const struct cv_machine *m)
{
	return m->config.offline.enabled && (m->payment_caps & CV_PAYMENT_CAP_OFFLINE) != 0 &&
	       CV_OPS_HAS(struct cv_payment_ops, m->config.payment, offline_status);
}

bool cv_payment_offline_allows(const struct cv_machine *m, int64_t price_minor)
{
	const struct cv_offline_policy *p = &m->config.offline;
	if (!cv_payment_has_offline(m) || price_minor > p->max_amount_minor)
		return false;
	struct cv_offline_status s;
	memset(&s, 0, sizeof(s));
	if (m->config.payment->offline_status(m->config.payment_ctx, &s) != CV_OK)
		return false; /* A reader that can't say what it holds gets no more. */
	/* The total is compared without overflow: policy caps it at INT64_MAX / 2. */
	return s.unsent_count < p->max_count && s.unsent_total_minor >= 0 &&
	       s.unsent_total_minor <= p->max_total_minor - price_minor && s.oldest_age_s < p->max_age_s;
}

enum cv_status cv_payment_can_sell(const struct cv_machine *m, int64_t price_minor)
{
	if (!m->payment_link_down || cv_payment_offline_allows(m, price_minor))
		return CV_OK;
	return CV_E_PAYMENT_UNAVAILABLE;
}

static bool cv_payment_link_is_down(const struct cv_machine *m)
{
	const struct cv_payment_ops *ops = m->config.payment;
	if (!CV_OPS_HAS(struct cv_payment_ops, ops, health))
		return false; /* No health report: assume reachable; timeouts still tell. */
	return ops->health(m->config.payment_ctx) != CV_OK;
}

static int64_t cv_payment_wall_s(const struct cv_machine *m)
{
	if (m->config.platform->wall_clock_ms == NULL)
		return 0;
	return m->config.platform->wall_clock_ms(m->config.platform_ctx) / 1000;
}

/* A settlement is stalled once it has used its send budget without a
 * definite answer, or when a capture comes within a day of the processor's
 * capture deadline (docs/payments.md: alert a day before capture_before). The wall
 * clock is read only when a deadline needs it. */
static bool cv_vend_settlement_stalled(const struct cv_machine *m, const struct cv_vend *v)
{
	if (!v->in_use)
		return false;
	if (v->state != CV_VEND_STATE_CAPTURE_PENDING && v->state != CV_VEND_STATE_VOID_PENDING)
		return false;
	/* Sends answered without a definite outcome; the one in flight may still settle it. */
	unsigned unanswered = v->attempts - (v->op_started ? 1u : 0u);
	if (unanswered >= m->config.settle_attempts_max)
		return true;
	if (v->state != CV_VEND_STATE_CAPTURE_PENDING || v->capture_before_s <= 0)
		return false;
	int64_t wall_s = cv_payment_wall_s(m);
	return wall_s > 0 && wall_s >= v->capture_before_s - CV_SECONDS_PER_DAY;
}

static bool cv_payment_any_stalled(const struct cv_machine *m)
{
	for (unsigned i = 0; i < CV_VENDS_MAX; i++)
		if (cv_vend_settlement_stalled(m, &m->vends[i]))
			return true;
	return false;
}

/* Raises or clears a machine-wide alert when its condition changes. */
static void cv_payment_alert_follow(struct cv_machine *m, bool *raised, bool now, enum cv_alert_kind kind)
{
	if (*raised == now)
		return;
	*raised = now;
	cv_machine_raise_alert(m, kind, CV_ALERT_NO_LANE, now);
}

void cv_payment_link_tick(struct cv_machine *m)
{
	m->payment_link_down = cv_payment_link_is_down(m);
	cv_payment_alert_follow(m, &m->link_down_alert_active, m->payment_link_down, CV_ALERT_PAYMENT_LINK_DOWN);
	/* Whether a settlement is stalled changes only with a vend's state or
	 * attempts, or as the wall clock nears a capture deadline: no need to
	 * look at every step. */
	if (!m->settlements_changed && m->now_ms < m->stall_recheck_ms)
		return;
	m->settlements_changed = false;
	m->stall_recheck_ms = cv_deadline(m->now_ms, CV_STALL_RECHECK_MS);
	cv_payment_alert_follow(m, &m->stalled_alert_active, cv_payment_any_stalled(m), CV_ALERT_SETTLEMENT_STALLED);
}
