/* SPDX-License-Identifier: MIT */
/* The vend state machine, every edge of it (vend_table.h). The money rules
 * are properties of this table: only AUTHORIZED leads to DISPENSING and only
 * a CUSTOMER vend gets there; only a verified drop leads to CAPTURE_PENDING;
 * ABANDONED is reached only with a FRESH key (nothing may land), and a
 * customer who leaves while the key may land sends the vend to the orphan
 * check instead. */
#include "vend_table.h"

#include <stddef.h>

#define S(name) CV_VEND_STATE_##name
#define T(name) CV_VEND_T_##name
#define FRESH CV_KEYS(CV_VEND_KEY_FRESH)
#define MAY_LAND CV_KEYS(CV_VEND_KEY_MAY_LAND)
#define ANY_KEY CV_KEYS_ANY
#define C CV_OWNERS(CV_VEND_OWNER_CUSTOMER)
#define X CV_OWNERS(CV_VEND_OWNER_CANCELLING)
#define O CV_OWNERS(CV_VEND_OWNER_ORPHAN_CHECK)
#define R CV_OWNERS(CV_VEND_OWNER_RECOVERED)
#define ANYONE CV_OWNERS_ANY
#define KEEP CV_VEND_KEEP
#define K_FRESH CV_VEND_KEY_FRESH
#define K_MAY_LAND CV_VEND_KEY_MAY_LAND
#define D(name) CV_VEND_DUTY_##name

/* clang-format off */
const struct cv_vend_edge cv_vend_edges[] = {
	/* from, trigger, to, keys, owners, key after, owner after, journaled, duty, when */
	{S(SELECTED), T(PAY), S(AUTH_PENDING), FRESH, C, KEEP, KEEP, 1, D(AUTHORIZE),
	 "authorize .auth.1 once the intent is durable"},
	{S(SELECTED), T(LEAVE), S(ABANDONED), FRESH, C | R, KEEP, KEEP, 1, D(NONE),
	 "cancel, journal fault, restart: nothing was sent"},

	{S(AUTH_PENDING), T(CANCEL_REQUEST), S(AUTH_PENDING), ANY_KEY, C, KEEP, CV_VEND_OWNER_CANCELLING, 0,
	 D(ANSWER), "cancel while the reader collects: the answer decides"},
	{S(AUTH_PENDING), T(AUTH_HELD), S(AUTHORIZED), ANY_KEY, C, K_FRESH, KEEP, 1, D(MOTOR),
	 "approved"},
	{S(AUTH_PENDING), T(AUTH_RELEASE), S(VOID_PENDING), ANY_KEY, C | X, K_FRESH, KEEP, 1, D(VOID),
	 "approved but unusable: cancelled, short hold, offline policy"},
	{S(AUTH_PENDING), T(AUTH_FAILED), S(AUTH_DECLINED), ANY_KEY, C, K_FRESH, KEEP, 1, D(ANSWER),
	 "declined or another definite failure: the key is spent"},
	{S(AUTH_PENDING), T(AUTH_GONE), S(ABANDONED), ANY_KEY, C | X, K_FRESH, KEEP, 1, D(NONE),
	 "a definite failure and nobody retries: cancelled, tries used up"},
	{S(AUTH_PENDING), T(AUTH_NOT_SENT), S(AUTH_DECLINED), ANY_KEY, C, KEEP, KEEP, 1, D(ANSWER),
	 "not sent, rate limited, reader fault: a resent key keeps its duty"},
	{S(AUTH_PENDING), T(AUTH_UNKNOWN), S(AUTH_LOOKUP), ANY_KEY, C | X | R, K_MAY_LAND, KEEP, 1, D(LOOKUP),
	 "unknown outcome, timeout, conflict; restart"},
	{S(AUTH_PENDING), T(LEAVE), S(ABANDONED), FRESH, C | X, KEEP, KEEP, 1, D(NONE),
	 "nothing sent, nothing may land: cancel, reader cancel, tries used up, journal fault"},
	{S(AUTH_PENDING), T(ORPHAN), S(AUTH_LOOKUP), MAY_LAND, C | X, KEEP, CV_VEND_OWNER_ORPHAN_CHECK, 1,
	 D(LOOKUP), "the customer leaves while the resent key may land"},

	{S(AUTH_LOOKUP), T(CANCEL_REQUEST), S(AUTH_LOOKUP), ANY_KEY, C, KEEP, CV_VEND_OWNER_CANCELLING, 0,
	 D(LOOKUP), "cancel while looking up: the answer decides"},
	{S(AUTH_LOOKUP), T(AUTH_HELD), S(AUTHORIZED), ANY_KEY, C, K_FRESH, KEEP, 1, D(MOTOR),
	 "the lookup finds the hold"},
	{S(AUTH_LOOKUP), T(AUTH_RELEASE), S(VOID_PENDING), ANY_KEY, ANYONE, K_FRESH, KEEP, 1, D(VOID),
	 "the lookup finds a hold nobody may use"},
	{S(AUTH_LOOKUP), T(AUTH_FAILED), S(AUTH_DECLINED), ANY_KEY, C, K_FRESH, KEEP, 1, D(ANSWER),
	 "the lookup finds a decline or a released hold: the key is spent"},
	{S(AUTH_LOOKUP), T(AUTH_GONE), S(ABANDONED), ANY_KEY, ANYONE, K_FRESH, KEEP, 1, D(NONE),
	 "the lookup finds a decline and nobody retries"},
	{S(AUTH_LOOKUP), T(AUTH_NOT_FOUND), S(AUTH_DECLINED), ANY_KEY, C, K_MAY_LAND, KEEP, 1, D(ANSWER),
	 "the lookup finds nothing: a retry resends the same key"},
	{S(AUTH_LOOKUP), T(LOOKUP_SPENT), S(VOID_PENDING), ANY_KEY, ANYONE, KEEP, KEEP, 1, D(VOID),
	 "still unknown after lookup_attempts_max: void whatever may exist"},
	{S(AUTH_LOOKUP), T(ORPHAN), S(AUTH_LOOKUP), MAY_LAND, C | X, KEEP, CV_VEND_OWNER_ORPHAN_CHECK, 1,
	 D(LOOKUP), "nothing found and the customer leaves"},
	{S(AUTH_LOOKUP), T(RESUME), S(AUTH_LOOKUP), ANY_KEY, R, KEEP, KEEP, 1, D(LOOKUP),
	 "restart: look up again"},

	{S(AUTH_DECLINED), T(LEAVE), S(ABANDONED), FRESH, C | R, KEEP, KEEP, 1, D(NONE),
	 "another lane, cancel, walk away, journal fault, restart"},
	{S(AUTH_DECLINED), T(ORPHAN), S(AUTH_LOOKUP), MAY_LAND, C | R, KEEP, CV_VEND_OWNER_ORPHAN_CHECK, 1,
	 D(LOOKUP), "the same while the key may land: orphan check"},
	{S(AUTH_DECLINED), T(RETRY), S(AUTH_PENDING), ANY_KEY, C, KEEP, KEEP, 1, D(AUTHORIZE),
	 "the same lane again: .auth.n+1, or .auth.n while it may land"},

	{S(AUTHORIZED), T(DISPENSE), S(DISPENSING), ANY_KEY, C, KEEP, KEEP, 1, D(MOTOR),
	 "turn the motor once its intent is durable"},
	{S(AUTHORIZED), T(RELEASE), S(VOID_PENDING), ANY_KEY, C | R, KEEP, KEEP, 1, D(VOID),
	 "cancel, journal fault, restart"},

	{S(DISPENSING), T(MOTOR_HOME), S(VERIFYING), ANY_KEY, C, KEEP, KEEP, 1, D(VERIFY),
	 "motor home"},
	{S(DISPENSING), T(DROP_VERIFIED), S(CAPTURE_PENDING), ANY_KEY, C | R, KEEP, KEEP, 1, D(CAPTURE),
	 "drop seen though the motor failed or before a re-spin; restart with the drop recorded"},
	{S(DISPENSING), T(NOT_DELIVERED), S(VOID_PENDING), ANY_KEY, C | R, KEEP, KEEP, 1, D(VOID),
	 "jam, motor timeout, refused, sensor or journal fault; restart without proof"},

	{S(VERIFYING), T(RESPIN), S(DISPENSING), ANY_KEY, C, KEEP, KEEP, 1, D(MOTOR),
	 "no drop in time, a re-spin left"},
	{S(VERIFYING), T(DROP_VERIFIED), S(CAPTURE_PENDING), ANY_KEY, C | R, KEEP, KEEP, 1, D(CAPTURE),
	 "drop verified (sensor, or the cycle where the lane allows it)"},
	{S(VERIFYING), T(NOT_DELIVERED), S(VOID_PENDING), ANY_KEY, C | R, KEEP, KEEP, 1, D(VOID),
	 "no drop after every re-spin, sensor fault; restart without proof"},

	{S(CAPTURE_PENDING), T(SETTLED), S(CAPTURED), ANY_KEY, ANYONE, KEEP, KEEP, 1, D(NONE),
	 "captured (single-message: already paid)"},
	{S(CAPTURE_PENDING), T(SETTLE_FAILED), S(CAPTURE_FAILED), ANY_KEY, ANYONE, KEEP, KEEP, 1, D(NONE),
	 "definite failure: delivered, not charged"},
	{S(CAPTURE_PENDING), T(RESUME), S(CAPTURE_PENDING), ANY_KEY, R, KEEP, KEEP, 1, D(CAPTURE),
	 "restart: capture again, same key"},

	{S(VOID_PENDING), T(SETTLED), S(VOIDED), ANY_KEY, ANYONE, KEEP, KEEP, 1, D(NONE),
	 "voided or nothing to void (refunded: single-message)"},
	{S(VOID_PENDING), T(SETTLE_FAILED), S(VOID_FAILED), ANY_KEY, ANYONE, KEEP, KEEP, 1, D(NONE),
	 "definite failure: the hold expires at the issuer"},
	{S(VOID_PENDING), T(RESUME), S(VOID_PENDING), ANY_KEY, R, KEEP, KEEP, 1, D(VOID),
	 "restart: void again, same key"},

	{CV_VEND_STATE_START, T(SELECT), S(SELECTED), FRESH, C, KEEP, KEEP, 1, D(AUTHORIZE),
	 "cv_machine_select()"},
};
/* clang-format on */

const unsigned cv_vend_edge_count = sizeof(cv_vend_edges) / sizeof(cv_vend_edges[0]);

/* The rows are sorted by (from, trigger) (tests/model/vend_diagram.c checks
 * it): a binary search, since every transition of every vend looks here. */
const struct cv_vend_edge *cv_vend_edge_find(unsigned from, enum cv_vend_trigger trigger)
{
	unsigned key = from << 8 | (unsigned)trigger;
	unsigned lo = 0, hi = cv_vend_edge_count;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		unsigned at = (unsigned)cv_vend_edges[mid].from << 8 | cv_vend_edges[mid].trigger;
		if (at == key)
			return &cv_vend_edges[mid];
		if (at < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool cv_vend_edge_allows(const struct cv_vend_edge *edge, enum cv_vend_key key, enum cv_vend_owner owner)
{
	return (edge->keys & CV_KEYS(key)) != 0 && (edge->owners & CV_OWNERS(owner)) != 0;
}

static const char *const cv_vend_trigger_names[CV_VEND_T_COUNT] = {
	"SELECT",        "PAY",           "CANCEL_REQUEST", "AUTH_HELD",      "AUTH_RELEASE", "AUTH_FAILED",
	"AUTH_GONE",     "AUTH_NOT_SENT", "AUTH_UNKNOWN",   "AUTH_NOT_FOUND", "LOOKUP_SPENT", "LEAVE",
	"ORPHAN",        "RETRY",         "DISPENSE",       "RELEASE",        "MOTOR_HOME",   "RESPIN",
	"DROP_VERIFIED", "NOT_DELIVERED", "SETTLED",        "SETTLE_FAILED",  "RESUME",
};

const char *cv_vend_trigger_name(enum cv_vend_trigger trigger)
{
	return (unsigned)trigger < CV_VEND_T_COUNT ? cv_vend_trigger_names[trigger] : "?";
}

const char *cv_vend_key_name(enum cv_vend_key key)
{
	return key == CV_VEND_KEY_MAY_LAND ? "MAY_LAND" : "FRESH";
}

const char *cv_vend_owner_name(enum cv_vend_owner owner)
{
	static const char *const names[CV_VEND_OWNERS_MAX] = {"CUSTOMER", "CANCELLING", "ORPHAN_CHECK", "RECOVERED"};
	return (unsigned)owner < CV_VEND_OWNERS_MAX ? names[owner] : "?";
}

const char *cv_vend_duty_name(enum cv_vend_duty duty)
{
	static const char *const names[] = {"none",  "authorize", "answer",  "lookup",
					    "motor", "verify",    "capture", "void"};
	return (unsigned)duty < sizeof(names) / sizeof(names[0]) ? names[duty] : "?";
}
