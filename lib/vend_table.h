/* SPDX-License-Identifier: MIT */
/* The vend state machine as one table: every allowed (state, trigger) →
 * state, with the sub-states each edge requires and sets and the duty it
 * leaves the vend with. cv_vend_fire() (vend.c) takes only edges of this
 * table; the diagrams in vend.h and docs/vend-state-machine.md are printed
 * from it (tests/model/vend_diagram.c), and the model check (tests/model) must
 * take every row. */
#ifndef CANDYVEND_VEND_TABLE_H
#define CANDYVEND_VEND_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/vend.h>

/* What makes a vend move. */
enum cv_vend_trigger {
	CV_VEND_T_SELECT,         /* A customer chose a lane. */
	CV_VEND_T_PAY,            /* Ask for the card. */
	CV_VEND_T_CANCEL_REQUEST, /* Cancel pressed while an answer is awaited. */
	CV_VEND_T_AUTH_HELD,      /* A hold for the customer. */
	CV_VEND_T_AUTH_RELEASE,   /* A hold nobody may use: no customer, cancelled, short, offline policy. */
	CV_VEND_T_AUTH_FAILED,    /* A definite failure of the key: it is spent; the customer may retry. */
	CV_VEND_T_AUTH_GONE,      /* The same, and nobody will retry (cancelled, tries used up, background). */
	CV_VEND_T_AUTH_NOT_SENT,  /* Nothing left the machine this time: the key keeps its duty. */
	CV_VEND_T_AUTH_UNKNOWN,   /* The outcome is unknown: look it up. */
	CV_VEND_T_AUTH_NOT_FOUND, /* The lookup found nothing: the key may still land. */
	CV_VEND_T_LOOKUP_SPENT,   /* Still unknown after the lookup budget: void whatever may exist. */
	CV_VEND_T_LEAVE,          /* The customer is gone and nothing may land: the end. */
	CV_VEND_T_ORPHAN,         /* The customer is gone while the key may land: background check. */
	CV_VEND_T_RETRY,          /* The customer pays again. */
	CV_VEND_T_DISPENSE,       /* Turn the motor. */
	CV_VEND_T_RELEASE,        /* A hold whose motor never turned is given back. */
	CV_VEND_T_MOTOR_HOME,     /* The motor finished its movement. */
	CV_VEND_T_RESPIN,         /* No drop yet: move again. */
	CV_VEND_T_DROP_VERIFIED,  /* The item fell (sensor, or a cycle where the lane allows it). */
	CV_VEND_T_NOT_DELIVERED,  /* Jam, timeout, refusal, no drop, sensor or journal fault. */
	CV_VEND_T_SETTLED,        /* The capture or void is done. */
	CV_VEND_T_SETTLE_FAILED,  /* The capture or void failed for good. */
	CV_VEND_T_RESUME,         /* A restart found it here: the same side effect again, same key. */
	CV_VEND_T_COUNT
};

/* Whether an earlier request under the current authorization key may
 * still reach the processor. While it may, the vend owes a lookup or a
 * void for that key, and no new key may be taken. (An authorization in
 * flight with a MAY_LAND key is a resend.) */
enum cv_vend_key {
	CV_VEND_KEY_FRESH = 0,
	CV_VEND_KEY_MAY_LAND = 1,
};

/* Who the vend is for. Only a CUSTOMER vend is ever dispensed. */
enum cv_vend_owner {
	CV_VEND_OWNER_CUSTOMER = 0,
	CV_VEND_OWNER_CANCELLING = 1,   /* Cancel pressed; waiting for the answer in flight. */
	CV_VEND_OWNER_ORPHAN_CHECK = 2, /* The customer left while the key may land. */
	CV_VEND_OWNER_RECOVERED = 3,    /* Found open by a restart. */
};

#define CV_VEND_OWNERS_MAX 4

/* Masks of sub-states a row accepts. */
/* Masks of sub-states a row accepts, and whether it is journaled: bits of
 * one byte (a row's `accepts`). */
#define CV_KEYS(k) (1u << (k))
#define CV_KEYS_ANY (CV_KEYS(CV_VEND_KEY_FRESH) | CV_KEYS(CV_VEND_KEY_MAY_LAND))
#define CV_OWNERS(o) (1u << (2 + (o)))
#define CV_OWNERS_ANY (0xfu << 2)
#define CV_EDGE_JOURNALED (1u << 6)

/* What a row sets a sub-state to (the key or owner value, or keeps it):
 * the two nibbles of a row's `sets`. */
#define CV_VEND_KEEP 0xfu
#define CV_EDGE_SETS(key_after, owner_after) ((key_after) | (owner_after) << 4)
#define CV_EDGE_KEY_AFTER(edge) ((edge)->sets & 0xfu)
#define CV_EDGE_OWNER_AFTER(edge) ((unsigned)(edge)->sets >> 4)

/* The pseudo-state before SELECTED. */
#define CV_VEND_STATE_START 0xffu

/* What the vend owes once the edge is taken. */
enum cv_vend_duty {
	CV_VEND_DUTY_NONE,      /* Terminal: nothing more. */
	CV_VEND_DUTY_AUTHORIZE, /* Send the authorization once its intent is durable. */
	CV_VEND_DUTY_ANSWER,    /* Wait for the answer in flight or the customer. */
	CV_VEND_DUTY_LOOKUP,    /* Look the key up; void when the budget is spent. */
	CV_VEND_DUTY_MOTOR,     /* Turn the motor once its intent is durable. */
	CV_VEND_DUTY_VERIFY,    /* Watch for the drop. */
	CV_VEND_DUTY_CAPTURE,   /* Capture, same key, until answered. */
	CV_VEND_DUTY_VOID,      /* Void (or refund), same key, until answered. */
};

/* Five bytes a row: an MCU's flash holds the table. */
struct cv_vend_edge {
	uint8_t from;    /* enum cv_vend_state, or CV_VEND_STATE_START. */
	uint8_t trigger; /* enum cv_vend_trigger. */
	uint8_t to;      /* enum cv_vend_state. */
	uint8_t accepts; /* Key policies (CV_KEYS) and owners (CV_OWNERS) allowed; CV_EDGE_JOURNALED
			  * if the edge is written and reported (not for a change of owner only). */
	uint8_t sets;    /* CV_EDGE_SETS(enum cv_vend_key, enum cv_vend_owner), each or CV_VEND_KEEP. */
};

extern const struct cv_vend_edge cv_vend_edges[];
extern const unsigned cv_vend_edge_count;

/* The row for (from, trigger), or NULL if the machine has no such edge. */
const struct cv_vend_edge *cv_vend_edge_find(unsigned from, enum cv_vend_trigger trigger);
/* Whether the row accepts a vend with these sub-states. */
bool cv_vend_edge_allows(const struct cv_vend_edge *edge, enum cv_vend_key key, enum cv_vend_owner owner);

const char *cv_vend_trigger_name(enum cv_vend_trigger trigger);
const char *cv_vend_key_name(enum cv_vend_key key);
const char *cv_vend_owner_name(enum cv_vend_owner owner);
const char *cv_vend_duty_name(enum cv_vend_duty duty);

#endif
