/* SPDX-License-Identifier: MIT */
/* The machine's private state and the engine's internal interfaces. */
#ifndef CANDYVEND_MACHINE_PRIVATE_H
#define CANDYVEND_MACHINE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/machine.h>

#include "internal.h"
#include "journal_codec.h"
#include "journal_mark.h"
#include "journal_read.h"
#include "vend_table.h"
/* Rounds of "handle events, advance vends, flush journal" in one step. A
 * round only repeats while it made progress, so this bounds the work of a
 * step without ever stalling a vend (the next step carries on). */
#define CV_STEP_ROUNDS_MAX 16

/* An input event as queued: only the input kinds, so the queue holds less
 * than a struct cv_event (whose union also has room for a receipt) and
 * every post copies less. */
struct cv_input_event {
	enum cv_event_type type;
	union {
		struct cv_payment_result payment;
		struct cv_dispense_result dispense;
		struct cv_drop_event drop;
		struct cv_sensor_status sensor;
		struct cv_storage_result storage;
		struct cv_card_read card_read;
	} u;
};

/* A bounded FIFO of input events. */
struct cv_event_queue {
	unsigned head;
	unsigned count;
	struct cv_input_event items[CV_EVENT_QUEUE_MAX];
};

/* event_check.c: takes the input part of a posted event, validated and
 * sanitized; CV_E_INVAL for output events, unknown types and bad payloads. */
enum cv_status cv_event_admit(const struct cv_event *event, struct cv_input_event *out);

void cv_event_queue_init(struct cv_event_queue *queue);
enum cv_status cv_event_queue_push(struct cv_event_queue *queue, const struct cv_input_event *event);
bool cv_event_queue_pop(struct cv_event_queue *queue, struct cv_input_event *out);

/* A lane as the engine keeps it. */
struct cv_lane {
	struct cv_lane_config config;
	bool enabled;
	bool quarantined;
	bool jam_alert_active;
	bool low_alert_active;
	bool sold_out_alert_active;
	uint8_t consecutive_failures;
	uint16_t index; /* Its place in the planogram: its LANE_STATE and LANE_CONFIG records name it. */
	uint32_t vends_verified;
	uint32_t vends_failed;
};

/* The external operation a vend is waiting for. */
enum cv_vend_op {
	CV_VEND_OP_NONE = 0,
	CV_VEND_OP_PAYMENT,
	CV_VEND_OP_MOTOR,
};

/* One open vend. Slots are reused once a vend is terminal. */
struct cv_vend {
	/* Small fields first: Thumb has 2-byte loads and stores for a byte
	 * field within 32 bytes of the vend, a halfword within 64, a word
	 * within 128. */
	bool in_use;
	enum cv_vend_state state;
	enum cv_vend_reason reason;
	uint8_t auth_attempt;                  /* Ordinal of the authorization key: cv1.<id>.auth.<n>. */
	uint8_t auth_tries;                    /* Times the customer was asked to pay (bounded). */
	enum cv_decline_reason decline_reason; /* Of the last decline, for the operator. */
	uint8_t key;                           /* enum cv_vend_key: may an earlier request of the key still land? */
	uint8_t owner;                         /* enum cv_vend_owner: only a CUSTOMER vend is dispensed. */
	uint8_t respins;
	bool drop_verified;
	bool sensor_armed;
	bool unwatched;        /* A movement ran with no sensor armed: its cycle is the proof. */
	bool offline_allowed;  /* The last authorize told the reader it may approve offline. */
	bool offline_approved; /* The reader approved offline (store and forward). */
	uint8_t journal_flags; /* CV_JOURNAL_VEND_*, as last journaled (journal_codec.h). */
	/* The operation in flight: started only once wait_seq is durable. */
	enum cv_vend_op op;
	bool op_started;
	uint16_t lane;
	/* Retries of lookups, captures and voids. */
	uint16_t attempts;
	uint32_t number;
	uint32_t op_id;
	uint32_t sensor_op_id;
	int64_t price_minor;
	uint64_t op_deadline_ms;
	uint64_t wait_seq;
	uint64_t next_attempt_ms;
	/* Customer idle deadline while declined. */
	uint64_t session_deadline_ms;
	int64_t capture_before_s;       /* The processor's capture deadline (Unix s), 0 if none. */
	int64_t held_minor;             /* What the processor approved, in the machine's currency (0: nothing
				      * yet): a single-message refund gives back exactly this. */
	char currency[CV_CURRENCY_LEN]; /* The machine's, frozen at selection like the price. */
	uint8_t uuid[16];
	char id[CV_VEND_ID_LEN];
	struct cv_card_summary card;
	char processor_ref[CV_PROCESSOR_REF_LEN];
	/* Frozen at selection, for the receipt, whatever service changes later. */
	char lane_label[CV_LANE_LABEL_LEN];
	char product_id[CV_PRODUCT_ID_LEN];
	char product_name[CV_PRODUCT_NAME_LEN];
};

struct cv_machine {
	/* Hot scalars first and the large arrays last: on Thumb-2 a field
	 * within 4 KiB of the machine is one load or store, but one beyond
	 * needs its address built first, at every use. Bytes and words come
	 * before the 64-bit fields, within reach of the 2-byte forms (a byte
	 * within 32 bytes, a word within 128). */
	struct cv_vend *session; /* The vend the customer is part of, or NULL. */
	bool in_listener;        /* True while the listener runs: it may only query, never change, the machine. */
	bool journal_fault;
	bool sync_failed; /* The storage said a sync failed: nothing will become durable. */
	bool room_low;    /* Below the reserve: no new vend starts. */
	bool in_service;
	bool sensor_faulted;
	bool settlements_changed; /* A vend's state or payment attempts changed since the last look. */
	bool payment_link_down;   /* The payment backend's health() said unreachable. */
	bool link_down_alert_active;
	bool stalled_alert_active;
	bool has_last_finished;
	bool sealed; /* Every record is sealed with journal_key. */
	/* Checkpoints: the one the storage remembers, and one written but not yet durable. */
	bool has_checkpoint;
	bool checkpoint_pending;
	bool marked;    /* See mark below. */
	uint32_t epoch; /* This life's boot epoch, one above the journal's last. */
	uint32_t next_vend_number;
	uint32_t next_op_id;
	/* Capabilities (CV_*_CAP_*), read once when the backends are open. */
	uint32_t payment_caps;
	uint32_t dispenser_caps;
	enum cv_status journal_error; /* What stopped the journal. */
	uint64_t now_ms;
	/* Journal. */
	uint64_t last_seq;           /* Sequence number of the last record appended. */
	uint64_t sync_requested_seq; /* Highest seq a sync was asked for. */
	uint64_t durable_seq;        /* Highest seq known durable. */
	uint64_t sync_deadline_ms;   /* A sync not confirmed by then is asked again. */
	uint64_t unsynced_since_ms;  /* When the oldest record not yet asked to sync was appended. */
	uint64_t journal_end;        /* Offset just past the last record appended. */
	uint64_t checkpoint_offset;
	uint64_t checkpoint_seq;
	/* Last record (the END) of the last checkpoint written, or of replay;
	 * a pending checkpoint is committed once it is durable. */
	uint64_t checkpoint_written_seq;
	uint64_t pending_checkpoint_offset; /* Both only meaningful while checkpoint_pending. */
	uint64_t pending_checkpoint_seq;
	uint64_t stall_recheck_ms; /* Capture deadlines are looked at again by then. */
	/* Room (journal_room.c), on a storage that reports it. */
	uint64_t room_trimmed_to; /* Where the last trim freed the journal up to (0: unknown). */
	/* What the customer sees; a final message stays until message_until_ms. */
	uint64_t message_until_ms;
	struct cv_display display;
	struct cv_machine_stats stats;
	struct cv_machine_config config;
	/* Marks (journal_mark.c): a sealed journal on a storage that keeps
	 * tags has its checkpoint authenticated and its reach remembered. */
	struct cv_journal_mark mark; /* The one the storage holds, if present. */
	uint64_t mark_refresh_seq;   /* Once this record is durable, the reach is written again (0: no). */
	uint8_t journal_key[CV_JOURNAL_KEY_LEN];
	char errmsg[CV_MACHINE_ERRMSG_LEN]; /* The last service call's error (machine_service.c). */
	struct cv_lane lanes[CV_LANES_MAX];
	struct cv_vend vends[CV_VENDS_MAX];
	struct cv_vend_info last_finished;
	struct cv_event_queue queue;
};

/* Whether records are sealed with journal_key. Never in a build without the
 * crypto module, whose init takes no key: there every path for a sealed
 * journal folds away. */
static inline bool cv_machine_sealed(const struct cv_machine *m)
{
#ifdef CV_HAVE_CRYPTO
	return m->sealed;
#else
	(void)m;
	return false;
#endif
}

/* Whether the storage keeps marks of this machine's journal (journal_mark.c):
 * only a sealed one has them. */
static inline bool cv_machine_marked(const struct cv_machine *m)
{
	return cv_machine_sealed(m) && m->marked;
}

/* An amount in the machine's currency. The currency was validated at init,
 * so unlike cv_money_make() nothing is checked again on this hot path. */
static inline void cv_machine_money(const struct cv_machine *m, int64_t amount_minor, struct cv_money *out)
{
	out->amount_minor = amount_minor;
	memcpy(out->currency, m->config.currency, CV_CURRENCY_LEN);
}

/* machine.c */
enum cv_status cv_machine_check_caller(const struct cv_machine *m);
/* An event of @p type, every other byte zero (nothing from the stack
 * reaches a listener), to fill in and pass to cv_machine_emit(). */
void cv_event_start(struct cv_event *event, enum cv_event_type type);
void cv_machine_emit(struct cv_machine *m, struct cv_event *event);
void cv_machine_log(struct cv_machine *m, enum cv_log_level level, const char *message);
uint32_t cv_machine_random_u32(struct cv_machine *m);
uint32_t cv_machine_new_op_id(struct cv_machine *m);
void cv_machine_show(struct cv_machine *m, enum cv_msg msg, uint16_t lane, bool hold, int64_t amount_minor);
void cv_machine_show_idle(struct cv_machine *m);
void cv_machine_close_backends(struct cv_machine *m);
void cv_machine_journal_alert(struct cv_machine *m, enum cv_alert_kind kind, uint16_t lane, bool active);
void cv_machine_raise_alert(struct cv_machine *m, enum cv_alert_kind kind, uint16_t lane, bool active);

/* machine_config.c */
enum cv_status cv_machine_config_validate(const struct cv_machine_config *config);

/* lanes.c */
enum cv_status cv_lane_config_validate(const struct cv_lane_config *config);
void cv_lane_init(struct cv_lane *lane, uint16_t index, const struct cv_lane_config *config);
enum cv_lane_availability cv_lane_availability(const struct cv_machine *m, const struct cv_lane *lane);
enum cv_status cv_lane_availability_status(enum cv_lane_availability availability);
void cv_lane_take_item(struct cv_machine *m, uint16_t index);
void cv_lane_set_jam(struct cv_machine *m, uint16_t index, bool jammed);
void cv_lane_record_failure(struct cv_machine *m, uint16_t index);
void cv_lane_update_stock_alerts(struct cv_machine *m, uint16_t index);
/* A lane's mutable state (LANE_STATE) and its planogram (LANE_CONFIG), as they are now. */
void cv_lane_journal(struct cv_machine *m, uint16_t index);
void cv_lane_journal_config(struct cv_machine *m, uint16_t index);
void cv_lane_changed(struct cv_machine *m, uint16_t index);

/* checkpoint.c: writes a checkpoint every checkpoint_records records and,
 * once it is durable, tells the storage and trims what it makes obsolete. */
void cv_checkpoint_tick(struct cv_machine *m);

/* journal_room.c: on a storage that reports its room, a reserve kept for
 * restarts and settlements, early checkpoints, and sales paused when low. */
/* Looks at the room (pausing or resuming sales); true if a checkpoint now
 * would free room that is needed. */
bool cv_room_tick(struct cv_machine *m);

/* recovery.c: what a restart finds in the journal, and what it does. */
struct cv_recovery_summary {
	bool fresh;          /* The journal was empty: a new machine. */
	uint64_t torn_bytes; /* Torn tail cut off. */
};
enum cv_status cv_recovery_replay(struct cv_machine *m, struct cv_recovery_summary *out);
void cv_recovery_resolve(struct cv_machine *m, const struct cv_recovery_summary *summary);

/* wait_seq of a transition whose record could not be written: never durable. */
#define CV_SEQ_UNWRITTEN UINT64_MAX

/* Appends a record; returns its sequence number, or 0 after a journal fault. */
uint64_t cv_journal_append(struct cv_machine *m, enum cv_journal_record_type type, const struct cv_journal_writer *w);
void cv_journal_flush(struct cv_machine *m);
void cv_journal_flush_now(struct cv_machine *m);
void cv_journal_on_synced(struct cv_machine *m, const struct cv_storage_result *result);
bool cv_journal_is_durable(const struct cv_machine *m, uint64_t seq);
bool cv_journal_settled(const struct cv_machine *m);

/* stats.c: the running totals, counted from vend transitions. */
void cv_stats_count_begin(struct cv_machine_stats *s);
void cv_stats_count_transition(struct cv_machine_stats *s, enum cv_vend_state from, const struct cv_vend *v);

/* crc32c.c */
uint32_t cv_crc32c(uint32_t crc, const void *data, size_t length);
/* The table path, also where the CPU has a CRC32C instruction (for tests). */
uint32_t cv_crc32c_portable(uint32_t crc, const void *data, size_t length);

/* vend.c */
void cv_vend_id_encode(const uint8_t uuid[16], char out[CV_VEND_ID_LEN]);
void cv_vend_freeze_lane(struct cv_vend *v, const struct cv_lane_config *config);
struct cv_vend *cv_vend_create(struct cv_machine *m, uint16_t lane);
void cv_vend_journal_begin(struct cv_machine *m, struct cv_vend *v);
uint64_t cv_vend_journal_state(struct cv_machine *m, struct cv_vend *v);
/* Takes the table's edge for (state, trigger): the vend's new state and
 * sub-states, journaled and reported. A trigger the table has no edge for,
 * or whose edge refuses the vend's sub-states, is a bug in the engine. */
void cv_vend_fire(struct cv_machine *m, struct cv_vend *v, enum cv_vend_trigger trigger, enum cv_vend_reason reason);
bool cv_vend_advance(struct cv_machine *m, struct cv_vend *v);
bool cv_vend_awaits_durability(const struct cv_machine *m, const struct cv_vend *v);
void cv_vend_op_clear(struct cv_vend *v);
void cv_vend_abort_collect(struct cv_machine *m, const struct cv_vend *v);
void cv_vend_info_fill(const struct cv_vend *v, const struct cv_machine *m, struct cv_vend_info *out);
struct cv_vend *cv_vend_find_op(struct cv_machine *m, uint32_t op_id, enum cv_vend_op op);
enum cv_status cv_vend_cancel(struct cv_machine *m, struct cv_vend *v);
void cv_vend_retry_auth(struct cv_machine *m, struct cv_vend *v);
void cv_vend_leave(struct cv_machine *m, struct cv_vend *v, enum cv_vend_reason reason);
uint64_t cv_vend_backoff_ms(struct cv_machine *m, uint16_t attempts);

/* card_number.c: whether text holds what could be a card number (a
 * Luhn-valid run of 13..19 digits, grouped or not). */
bool cv_text_has_card_number(const char *text, size_t size);

/* payment_link.c: link health, offline policy, stalled settlements. */
bool cv_payment_offline_allows(const struct cv_machine *m, int64_t price_minor);
enum cv_status cv_payment_can_sell(const struct cv_machine *m, int64_t price_minor);
void cv_payment_link_tick(struct cv_machine *m);

/* vend_payment.c */
bool cv_vend_payment_start(struct cv_machine *m, struct cv_vend *v);
void cv_vend_payment_result(struct cv_machine *m, struct cv_vend *v, const struct cv_payment_result *r);
void cv_vend_payment_timeout(struct cv_machine *m, struct cv_vend *v);

/* vend_dispense.c */
bool cv_vend_motor_start(struct cv_machine *m, struct cv_vend *v);
void cv_vend_delivered(struct cv_machine *m, struct cv_vend *v);
void cv_vend_motor_done(struct cv_machine *m, struct cv_vend *v, enum cv_status status);
void cv_vend_motor_timeout(struct cv_machine *m, struct cv_vend *v);
void cv_vend_drop_seen(struct cv_machine *m, struct cv_vend *v);
bool cv_vend_verify_tick(struct cv_machine *m, struct cv_vend *v);
void cv_vend_sensor_release(struct cv_machine *m, struct cv_vend *v);

#endif
