/* SPDX-License-Identifier: MIT */
/* The world the model check drives the real engine in: the machine's
 * memory, a journal storage with held or immediate syncs, hand-driven
 * backends, a processor that keeps the truth about every authorization
 * key, and a ledger of what physically happened (drops, motor starts,
 * cancels). The ledger and the processor are written from the payment and
 * vending rules, never from the engine's flags: they are the oracle.
 *
 * Everything lives in one global struct without pointers into itself but
 * the machine's (which never moves), so a state is saved and restored with
 * one memcpy. */
#ifndef CANDYVEND_MODEL_WORLD_H
#define CANDYVEND_MODEL_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/candyvend.h>

#include "held_storage.h"

#define MODEL_MACHINE_BYTES 20480
#define MODEL_REQS_MAX 24
#define MODEL_VENDS_MAX 12
#define MODEL_KEYS_MAX 6 /* Per vend: .auth.1 .. (CV_AUTH_ATTEMPTS_MAX). */
#define MODEL_PRICE 150
#define MODEL_STOCK 2
#define MODEL_VIOLATION_LEN 200

/* What the processor knows of one authorization key. */
enum model_key {
	MK_NEVER = 0, /* Never sent. */
	MK_LIMBO,     /* Sent; it may or may not have arrived, and may still land. */
	MK_HELD,      /* A hold stands. */
	MK_DECLINED,  /* Declined: nothing held, ever. */
	MK_DEAD,      /* Known to hold nothing and never to land (refused, or its landing window is over). */
	MK_CAPTURED,
	MK_VOIDED,
	MK_EXPIRED, /* The hold lapsed at the issuer. */
};

/* One request a fake backend was given and the model has not answered. */
struct model_req {
	bool motor; /* A motor movement, else a payment operation. */
	uint32_t op_id;
	enum cv_payment_op op;
	uint8_t vend; /* Ledger index of the vend. */
	uint8_t key;  /* Authorization key ordinal (payment). */
};

/* The ledger's view of one vend (across lives). */
struct model_vend {
	char id[CV_VEND_ID_LEN];
	uint32_t number;
	uint8_t life;                     /* The life it began in. */
	uint8_t keys[MODEL_KEYS_MAX + 1]; /* enum model_key by ordinal (1-based). */
	int64_t held_amount[MODEL_KEYS_MAX + 1];
	bool void_refused[MODEL_KEYS_MAX + 1]; /* A void answered INVALID: the hold lapses at the issuer. */
	bool drop_seen;                        /* The sensor reported an item falling for it. */
	bool unwatched;                        /* One of its movements ran with no sensor armed. */
	bool customer_left;                    /* Its customer cancelled (cancel accepted). */
	bool motor_started;
	bool capture_sent; /* The engine decided it was delivered. */
};

struct model_world {
	_Alignas(CV_MACHINE_ALIGN) unsigned char machine_memory[MODEL_MACHINE_BYTES];
	struct cv_machine *m;
	struct cv_machine_config config;
	struct cv_lane_config lane;
	struct held_storage storage;
	uint64_t now_ms;
	uint32_t random_counter;
	uint8_t life;
	/* Backends. */
	struct model_req reqs[MODEL_REQS_MAX];
	unsigned req_count;
	bool sensor_faulted;
	bool sensor_armed;
	uint32_t sensor_op_id;
	uint8_t sensor_vend;
	/* Ledger. */
	struct model_vend vends[MODEL_VENDS_MAX];
	unsigned vend_count;
	int session_vend; /* The vend of the last selection in this life (-1: none). */
	bool defer_step;  /* The next input comes before the engine's next step. */
	unsigned unverified_alerts;
	bool journal_broken; /* This life raised the journal fault alert. */
	bool hostile;        /* Approvals carry what a rogue reader could send (model_world.c). */
	char violation[MODEL_VIOLATION_LEN];
};

extern struct model_world W;

/* Fills W for a first start; storage syncs at once or when told. A hostile
 * world's approvals carry card-like data the engine must never keep. */
void model_world_setup(bool immediate_sync, enum cv_verify_mode mode, bool hostile);
/* Starts (or restarts, on the same storage) the machine; false if it does not boot. */
bool model_world_boot(void);
/* Records the first broken rule. */
void model_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The ledger index of a vend by id, adding it if new (-1 if full). */
int model_vend_find(const char *vend_id);
/* Registers the vend the engine just created for a selection. */
void model_vend_selected(uint32_t number);

/* Answers request r with result (the processor's state changes as the
 * answer says), and removes it. */
void model_answer_payment(unsigned r, enum cv_pay_result result, bool short_amount);
/* Completes motor request r with a status, and removes it. */
void model_answer_motor(unsigned r, enum cv_status status);
/* Forgets request r: its answer is lost. An authorization's key is then in limbo. */
void model_lose_request(unsigned r);
/* A limbo key of request-free vend v lands: the hold exists now. */
void model_key_lands(unsigned v, unsigned key);

/* A power cut: unsynced records are gone, answers in flight are lost (an
 * authorization in flight may still land), the motor stops; then the
 * machine boots again on the same storage. */
void model_power_cut(bool keep_unsynced);

/* The checks once no input comes any more: every vend ends, every hold is
 * captured or voided, every key that may land was voided, money and stock
 * agree. Drives the engine with truthful answers until it is quiet. */
void model_check_quiescent(void);

#endif
