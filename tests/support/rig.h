/* SPDX-License-Identifier: MIT */
/* A test rig: a machine on RAM storage with hand-driven fake backends. The
 * test decides when and how every operation completes, so each transition
 * of the engine can be provoked on purpose. Backend calls are recorded. */
#ifndef CANDYVEND_TEST_RIG_H
#define CANDYVEND_TEST_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/candyvend.h>

#include "held_storage.h"

#define RIG_LANES 4
#define RIG_LOG_MAX 512
#define RIG_REQUESTS_MAX 256

struct rig {
	struct cv_machine *m;
	void *memory;
	struct cv_machine_config config;
	struct cv_lane_config lanes[RIG_LANES];
	struct cv_ram_storage storage;
	uint8_t journal[1 << 16];
	uint64_t now_ms;
	uint32_t random_counter;
	/* What the fakes were asked to do. */
	struct cv_payment_request payments[RIG_REQUESTS_MAX];
	unsigned payment_count;
	struct cv_dispense_request motors[RIG_REQUESTS_MAX];
	unsigned motor_count;
	uint32_t sensor_op_id;
	bool sensor_armed;
	unsigned arm_count;
	unsigned disarm_count;
	unsigned abort_count;
	unsigned stop_count;
	/* Set when a side effect (authorize, capture, void, refund, motor start,
	 * sensor arm) started before the record of its vend's state was
	 * durable, as the engine's rule has it (a lookup needs none; with the
	 * journal broken a void may go once what could be written is settled).
	 * The test fails there unless write_ahead_excuse says why it provokes
	 * that on purpose. */
	bool write_ahead_violated;
	char write_ahead_why[256]; /* The first one. */
	const char *write_ahead_excuse;
	/* What the fakes answer when called (CV_PENDING unless a test changes it). */
	uint32_t payment_caps;   /* What the fake payment backend declares. */
	uint32_t dispenser_caps; /* What the fake dispenser declares (PARTIAL_TURN unless a test changes it). */
	enum cv_status authorize_rc;
	enum cv_status start_rc;
	enum cv_status arm_rc;
	enum cv_status health_rc;         /* What health() says (CV_OK: link up). */
	struct cv_offline_status offline; /* What offline_status() reports. */
	enum cv_status offline_rc;        /* What offline_status() returns. */
	/* Carried by the next rig_pay*() results. */
	bool pay_offline;             /* offline_approved */
	int64_t pay_capture_before_s; /* capture_before_s */
	/* Called for every output event, if set (for tests of listener misuse). */
	void (*hook)(const struct cv_event *event);
	/* Output events, in order. */
	struct cv_event events[RIG_LOG_MAX];
	unsigned event_count;
};

extern struct rig rig;

/* Fills rig.config and rig.lanes with defaults: 4 lanes A1..A4, price 150
 * USD, capacity 10, count 5, low stock at 2. Change them, then rig_start(). */
void rig_setup(void);
/* rig.config with the journal watched for the write-ahead rule, for a
 * test that makes its machine itself; rig_start() uses it. */
struct cv_machine_config rig_config(void);
/* Initializes the machine; returns cv_machine_init's status. */
enum cv_status rig_start(void);
/* Criterion .fini: deinitializes, frees, and fails on leaks under LSan. */
void rig_teardown(void);

/* The first side effect that broke the write-ahead rule, or NULL. */
const char *rig_write_ahead_violation(void);

/* A restart: the machine is thrown away and a new one opens the same RAM
 * journal; the logs of requests and events start empty again. */
enum cv_status rig_reboot(void);

/* Advances time and steps the machine. */
void rig_step(uint64_t advance_ms);

/* Last requests; NULL if none. */
const struct cv_payment_request *rig_last_payment(void);
const struct cv_dispense_request *rig_last_motor(void);

/* Answers the last authorize as approved for the amount asked, with this
 * card, reference and capture deadline (0: none). */
void rig_approve(const struct cv_card_summary *card, const char *processor_ref, int64_t capture_before_s);
/* Starts the machine on a held storage (syncs at once until the test says
 * otherwise: hs->immediate = false). */
void rig_start_on_held_storage(struct held_storage *hs);

/* Completes the last payment request with a result (amount = requested). */
void rig_pay(enum cv_pay_result result);
/* Same with a chosen amount. */
void rig_pay_amount(enum cv_pay_result result, int64_t amount_minor);
/* Completes the last motor request. */
void rig_motor(enum cv_status status);
/* The armed sensor sees a drop. */
void rig_drop(void);
/* The sensor reports a fault or recovery. */
void rig_sensor(bool faulted);

/* Selects a lane and steps once; asserts CV_OK; returns the vend number. */
uint32_t rig_select(uint16_t lane);
/* Runs a vend to CAPTURED on the happy path; returns its vend number. */
uint32_t rig_vend_ok(uint16_t lane);
/* Customer i buys on lane i % RIG_LANES (a service visit refills the lane
 * first when it is empty), then the journal is flushed. */
void rig_sell_one(unsigned i);
/* Runs a vend whose product never drops to its VOID_PENDING (all re-spins). */
uint32_t rig_vend_no_drop(uint16_t lane);

/* State of a vend (open or last finished); fails the test if unknown. */
enum cv_vend_state rig_state(uint32_t vend_number);
struct cv_vend_info rig_vend(uint32_t vend_number);
struct cv_lane_info rig_lane(uint16_t lane);
enum cv_msg rig_msg(void);
struct cv_machine_stats rig_stats(void);

/* Counts recorded output events. */
unsigned rig_count(enum cv_event_type type);
/* Counts alert events of a kind, lane and direction. */
unsigned rig_alerts(enum cv_alert_kind kind, uint16_t lane, bool active);
/* The last receipt event, or NULL. */
const struct cv_receipt *rig_last_receipt(void);
/* Whether the vend passed through a state (from VEND_STATE events). */
bool rig_visited(uint32_t vend_number, enum cv_vend_state state);

#endif
