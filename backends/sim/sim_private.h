/* SPDX-License-Identifier: MIT */
/* Internals of the simulated machine, shared by the files of backends/sim only. */
#ifndef CANDYVEND_SIM_PRIVATE_H
#define CANDYVEND_SIM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/breaker.h>
#include <candyvend/event.h>
#include <candyvend/machine.h>
#include <candyvend/sim.h>

/* The library is built with hidden visibility: only these definitions are
 * part of the shared object's ABI. */
#if defined(__GNUC__)
#define CV_SIM_EXPORT __attribute__((visibility("default")))
#else
#define CV_SIM_EXPORT
#endif

/* Pending completions (scheduler entries). A motor movement needs up to three,
 * a payment operation one, so 64 covers any sane engine with room to spare. */
#define CV_SIM_SCHED_MAX 64
/* Authorizations the processor remembers (see sim_payment.c for reuse). */
#define CV_SIM_AUTH_MAX 1024
/* How long the processor remembers a settled key (a real one: 24 h). */
#define CV_SIM_KEY_TTL_MS (5u * 60u * 1000u)
#define CV_SIM_AUTH_BUCKETS 512
/* Offline approvals the reader can hold before it must forward them. */
#define CV_SIM_STORED_MAX 32
/* Scripted faults pending per kind (sim.h promises 16). */
#define CV_SIM_FAULT_QUEUE_MAX 16
/* No fault scripted for this operation. */
#define CV_SIM_FAULT_NONE (-1)

/* Payment links and keys pinned to one after an unknown outcome (sim_link.c). */
#define CV_SIM_LINKS_MAX 2
#define CV_SIM_PINS_MAX 32

struct cv_sim_link {
	bool down;
	uint64_t next_change_ms; /* when it next goes down or comes back */
	struct cv_breaker breaker;
};

struct cv_sim_pin {
	bool used;
	uint8_t link;
	char key[CV_IDEM_KEY_LEN];
};

/* Bits of cv_sim.open_mask: which tables have been opened. */
#define CV_SIM_OPEN_DISPENSER 0x1u
#define CV_SIM_OPEN_SENSOR 0x2u
#define CV_SIM_OPEN_PAYMENT 0x4u

/* splitmix64: tiny, seedable with any value, good enough for fault dice. */
struct cv_sim_rng {
	uint64_t state;
};

/* What a scheduler entry does when it becomes due. Internal tasks exist so
 * that physical effects (the lane losing its item, the item landing) happen
 * at their simulated time, not when the movement was started. */
enum cv_sim_task {
	CV_SIM_TASK_POST = 0,       /* post ev to the machine */
	CV_SIM_TASK_MOTOR_END = 1,  /* a movement reaches its end */
	CV_SIM_TASK_FALL = 2,       /* an item lands in the bin */
	CV_SIM_TASK_FALSE_FIRE = 3, /* the beam fires with nothing falling */
};

struct cv_sim_entry {
	bool used;
	bool parked; /* reserved, not yet due: never run while parked */
	enum cv_sim_task task;
	uint64_t due_ms;
	uint64_t seq;       /* insertion order: ties on due_ms run in this order */
	uint32_t motion_id; /* movement an internal task belongs to (0 = none) */
	struct cv_event ev; /* for CV_SIM_TASK_POST */
};

/* Scripted faults are queued per kind: the kind is the operation that
 * consumes them (the next authorize, the next movement, the next fall...). */
enum cv_sim_fault_kind {
	CV_SIM_KIND_AUTH = 0,       /* AUTH_NOT_SENT, AUTH_SILENT */
	CV_SIM_KIND_LOOKUP = 1,     /* LOOKUP_UNKNOWN */
	CV_SIM_KIND_CAPTURE = 2,    /* CAPTURE_UNKNOWN, CAPTURE_REJECTED */
	CV_SIM_KIND_VOID = 3,       /* VOID_UNKNOWN */
	CV_SIM_KIND_MOTOR = 4,      /* MOTOR_JAM, MOTOR_SILENT */
	CV_SIM_KIND_PRODUCT = 5,    /* PRODUCT_STUCK, PRODUCT_WEDGED */
	CV_SIM_KIND_FALL = 6,       /* MISSED_DROP */
	CV_SIM_KIND_FALSE_DROP = 7, /* FALSE_DROP */
	CV_SIM_KIND_COUNT = 8,
};

struct cv_sim_fault_queue {
	uint8_t faults[CV_SIM_FAULT_QUEUE_MAX];
	uint8_t head;
	uint8_t count;
};

/* The item at the front of a lane, the next one a movement pushes out. */
enum cv_sim_item_state {
	CV_SIM_ITEM_NORMAL = 0, /* falls on the next good movement */
	CV_SIM_ITEM_STUCK = 1,  /* hangs once, falls on the following movement */
	CV_SIM_ITEM_WEDGED = 2, /* never falls until an operator loads the lane */
};

struct cv_sim_lane {
	uint16_t stock;
	enum cv_sim_item_state front;
};

/* The one movement the dispenser can make at a time. */
struct cv_sim_motion {
	bool running;
	bool silent;     /* never reports; runs until stop() */
	bool false_drop; /* the beam fires, nothing falls */
	uint32_t id;     /* tags its scheduler entries so stop() can cancel them */
	uint32_t op_id;
	uint16_t lane;
	enum cv_status status; /* CV_OK or CV_E_JAM */
};

enum cv_sim_auth_state {
	CV_SIM_AUTH_FREE = 0,
	CV_SIM_AUTH_COLLECTING = 1, /* reserved; the processor knows nothing yet */
	CV_SIM_AUTH_HELD = 2,
	CV_SIM_AUTH_CAPTURED = 3,
	CV_SIM_AUTH_VOIDED = 4,
	CV_SIM_AUTH_DECLINED = 5,
};

/* One authorization as the processor remembers it. */
struct cv_sim_auth {
	enum cv_sim_auth_state state;
	uint64_t touched_ms; /* when it last changed state */
	uint16_t next;       /* next in its hash chain: index + 1, 0 ends it */
	char key[CV_IDEM_KEY_LEN];
	uint32_t key_hash;      /* FNV-1a of key: compared before the string */
	struct cv_money amount; /* requested, and held once approved */
	enum cv_decline_reason decline_reason;
	char processor_ref[CV_PROCESSOR_REF_LEN];
	struct cv_card_summary card;
	char capture_key[CV_IDEM_KEY_LEN]; /* key of the capture that settled it */
	struct cv_money captured;
	bool stored;        /* approved offline, not yet forwarded */
	uint64_t stored_ms; /* when the reader approved it offline */
};

/* The authorization waiting for a card at the reader. */
struct cv_sim_collect {
	bool active;
	uint32_t op_id;
	int fault; /* scripted AUTH fault taken by this authorize */
	uint32_t timeout_ms;
	bool offline_allowed; /* the engine's policy lets the reader approve it offline */
	size_t auth_index;    /* reserved processor slot */
	size_t entry_index;   /* reserved (parked) scheduler entry for the answer */
};

struct cv_sim {
	struct cv_sim_config config;
	struct cv_sim_rng rng;          /* fault decisions and auto cards */
	struct cv_sim_rng platform_rng; /* random_bytes only: vend ids don't depend on faults */
	uint64_t now_ms;
	uint64_t next_seq;
	struct cv_machine *machine;
	unsigned open_mask;
	struct cv_sim_entry sched[CV_SIM_SCHED_MAX];
	size_t sched_high; /* Entries at or above this index have never been used. */
	struct cv_sim_fault_queue faults[CV_SIM_KIND_COUNT];

	/* Payment terminal and processor. */
	bool auto_card;
	struct cv_sim_collect collect;
	struct cv_sim_auth auths[CV_SIM_AUTH_MAX];
	uint16_t auth_buckets[CV_SIM_AUTH_BUCKETS]; /* hash chains: index + 1, 0 = empty */
	uint16_t auth_free[CV_SIM_AUTH_MAX];        /* slots released before use */
	size_t auth_free_count;
	size_t auth_high;                       /* slots at or above it never used */
	uint16_t settled_ring[CV_SIM_AUTH_MAX]; /* settled slots, oldest first */
	size_t settled_head;
	size_t settled_count;
	uint32_t ref_counter;
	uint32_t holds_placed;
	uint32_t captures;
	uint32_t voids;
	int64_t captured_minor;
	struct cv_sim_link links[CV_SIM_LINKS_MAX];
	struct cv_sim_pin pins[CV_SIM_PINS_MAX];
	unsigned pins_used;
	uint32_t failovers;
	uint32_t link_refusals;
	uint32_t unknown_failovers;
	uint32_t pin_overflows;
	uint16_t stored[CV_SIM_STORED_MAX]; /* auths approved offline, not yet forwarded */
	size_t stored_count;
	uint32_t offline_approvals;

	/* Dispenser and drop sensor. */
	struct cv_sim_lane lanes[CV_LANES_MAX];
	struct cv_sim_motion motion;
	uint32_t motion_counter;
	bool sensor_armed;
	bool sensor_faulted;
	uint32_t sensor_op_id;
	uint32_t items_dropped;
	uint32_t false_drops;
	uint32_t sensor_reports;
	uint32_t missed_drops;
	uint32_t power_cuts; /* cv_sim_power_cut() calls (sim_state.c). */
};

/* PRNG (sim.c). */
uint64_t cv_sim_rng_next(struct cv_sim_rng *rng);
uint32_t cv_sim_rng_below(struct cv_sim_rng *rng, uint32_t bound);
bool cv_sim_rng_chance(struct cv_sim *sim, uint16_t permille);
uint64_t cv_sim_mix(uint64_t x);

/* Scheduler (sim.c). */
size_t cv_sim_sched_free_count(const struct cv_sim *sim);
struct cv_sim_entry *cv_sim_sched_add(struct cv_sim *sim, uint64_t due_ms, enum cv_sim_task task, uint32_t motion_id);
void cv_sim_sched_arm(struct cv_sim *sim, struct cv_sim_entry *entry, uint64_t due_ms);
void cv_sim_sched_remove_motion(struct cv_sim *sim, uint32_t motion_id);
struct cv_sim_entry *cv_sim_sched_find_motion(struct cv_sim *sim, enum cv_sim_task task, uint32_t motion_id);
void cv_sim_post_now(struct cv_sim *sim, const struct cv_event *ev);

/* Faults and backend plumbing (sim.c). */
int cv_sim_fault_pop(struct cv_sim *sim, enum cv_sim_fault_kind kind);
enum cv_status cv_sim_table_open(struct cv_sim *sim, struct cv_machine *machine, unsigned bit);
void cv_sim_table_close(struct cv_sim *sim, unsigned bit);

/* Internal tasks and truth of the mechanics (sim_mechanics.c). */
void cv_sim_mechanics_init(struct cv_sim *sim);
void cv_sim_motor_end(struct cv_sim *sim, struct cv_sim_entry *entry);
void cv_sim_fall_land(struct cv_sim *sim, struct cv_sim_entry *entry);
void cv_sim_false_fire(struct cv_sim *sim, struct cv_sim_entry *entry);
void cv_sim_mechanics_truth(const struct cv_sim *sim, struct cv_sim_truth *out);

/* The processor's authorization table (sim_auth_table.c). */
struct cv_sim_auth *cv_sim_auth_find(struct cv_sim *sim, const char *key);
long cv_sim_auth_reserve(struct cv_sim *sim);
void cv_sim_auth_register(struct cv_sim *sim, size_t index);
void cv_sim_auth_release(struct cv_sim *sim, size_t index);
void cv_sim_auth_settle(struct cv_sim *sim, struct cv_sim_auth *auth, enum cv_sim_auth_state state);

/* Store and forward (sim_offline.c). */
bool cv_sim_offline_can_approve(const struct cv_sim *sim);
void cv_sim_offline_store(struct cv_sim *sim, struct cv_sim_auth *auth);
void cv_sim_offline_drop(struct cv_sim *sim, const struct cv_sim_auth *auth);
void cv_sim_offline_forward(struct cv_sim *sim);
enum cv_status cv_sim_pay_offline_status(void *ctx, struct cv_offline_status *out);
void cv_sim_offline_truth(const struct cv_sim *sim, struct cv_sim_truth *out);

/* Payment links (sim_link.c): -1 from pick = sent nowhere (NOT_SENT). */
void cv_sim_links_init(struct cv_sim *sim);
void cv_sim_links_advance(struct cv_sim *sim);
int cv_sim_link_pick(struct cv_sim *sim, const char *key);
void cv_sim_link_done(struct cv_sim *sim, int link, const char *key, enum cv_pay_result result);
enum cv_status cv_sim_pay_health(void *ctx);
void cv_sim_links_truth(const struct cv_sim *sim, struct cv_sim_truth *out);

/* Truth of the processor (sim_payment.c). */
void cv_sim_payment_truth(const struct cv_sim *sim, struct cv_sim_truth *out);

#endif
