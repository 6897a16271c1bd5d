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

const struct cv_vend_edge cv_vend_edges[] = {
#define CV_VEND_EDGE(from, trigger, to, keys, owners, key_after, owner_after, journaled, duty, when) \
	{from, trigger, to, (keys) | (owners) | ((journaled) ? CV_EDGE_JOURNALED : 0),               \
	 CV_EDGE_SETS(key_after, owner_after)},
#include "vend_edges.def"
#undef CV_VEND_EDGE
};

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
	return (edge->accepts & CV_KEYS(key)) != 0 && (edge->accepts & CV_OWNERS(owner)) != 0;
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
