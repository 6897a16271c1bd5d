/* SPDX-License-Identifier: MIT */
/* The engine with the gateway as its payment backend, against the processor
 * emulator (tests/fixtures/processor_emulator.py) started on 127.0.0.1 port 0
 * and stopped by PID. Dispenser, sensor and platform are the sim's; the
 * journal is in RAM. Time is the real monotonic clock: the requests are real. */
#ifndef CANDYVEND_TEST_GW_HARNESS_H
#define CANDYVEND_TEST_GW_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <candyvend/candyvend.h>
#include <candyvend/payment_gateway.h>
#include <candyvend/sim.h>

#define H_VENDS_MAX 1024
#define H_LANES 2
#define H_PRICE 150

/* A running emulator (or the hostile processor in front of one). */
struct emu {
	pid_t pid;
	int port;
	char base[64]; /* "http://127.0.0.1:PORT" or "https://..." */
};

/* How to start one: the script named by environment variable @p script_env
 * ("CV_EMULATOR", "CV_HOSTILE"), served over TLS if @p tls_cert is set. */
struct emu_launch {
	const char *script_env;
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca; /* The CA the harness's own requests trust. */
};

/* Starts the honest emulator over plain HTTP (asserts). */
void emu_start(struct emu *e);
/* Starts one as @p how says (asserts). */
void emu_start_as(struct emu *e, const struct emu_launch *how);
/* SIGTERM, wait, SIGKILL if needed. */
void emu_stop(struct emu *e);
/* POST /_control with a JSON body (printf-style); asserts 200. */
void emu_control(const struct emu *e, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Queues one fault rule. method may be NULL. */
void emu_fail_next(const struct emu *e, const char *path_prefix, const char *method, const char *mode, int count);
/* GET /_state (caller json_decref()s). */
json_t *emu_state(const struct emu *e);

/* What the harness saw of one vend. */
struct h_vend {
	uint32_t number;
	char vend_id[CV_VEND_ID_LEN];
	enum cv_vend_state state;
	enum cv_vend_reason reason;
	bool visited[16];
	int64_t price;
	int auth_attempt;
};

/* The test reader: presents h->token (or nothing if NULL) delay_ms after collect(). */
struct h_reader {
	bool collecting;
	uint32_t op_id;
	uint64_t present_at_ms;
	const char *token;
	uint32_t delay_ms;
	unsigned collects;
	unsigned aborts;
	unsigned refused; /* Tokens the gateway refused. */
};

struct h_options {
	const char *links[CV_GATEWAY_LINKS_MAX]; /* NULL: links[0] = the emulator. */
	struct emu_launch processor;             /* Which processor links[0] starts (zeros: the emulator). */
	const char *ca_file;                     /* The gateway's CA bundle (NULL: the system's). */
	uint8_t lookup_attempts_max;             /* 0: the engine's default. */
	uint16_t settle_attempts_max;            /* 0: the engine's default. */
	struct cv_timeouts timeouts;             /* Zeros: the harness's short defaults. */
	struct cv_breaker_policy breaker;
	uint64_t seed;
};

struct harness {
	struct emu emu;
	struct cv_sim *sim;
	struct cv_gateway *gw;
	struct cv_machine *m;
	struct cv_machine_config config;
	struct cv_lane_config lanes[H_LANES];
	struct cv_ram_storage storage;
	uint8_t *journal;
	struct h_reader reader;
	struct h_vend vends[H_VENDS_MAX];
	unsigned vend_count;
	/* Requests per link and call seen in the gateway's log ("op N <call> link L"). */
	unsigned link_calls[CV_GATEWAY_LINKS_MAX];
	unsigned log_unknown; /* Log lines reporting an outcome UNKNOWN. */
	unsigned log_keyless; /* Settlements resent without their spoilt key. */
	char last_log[192];
};

extern struct harness h;

/* A reader that never presents a card (for gateways no machine drives). */
enum cv_status h_collect_never(void *reader_ctx, struct cv_gateway *gateway, uint32_t op_id,
			       const struct cv_money *amount);

/* Fills defaults; starts the emulator unless links are given. */
void h_options_default(struct h_options *o);
/* Emulator (if o->links[0] is NULL), gateway, sim, machine. */
void h_setup(const struct h_options *o);
/* Criterion .fini: everything down, the emulator stopped. */
void h_teardown(void);

uint64_t h_now_ms(void);
/* Runs the loop for @p ms. */
void h_run(uint32_t ms);
/* Runs until every vend is finished and nothing is collecting, at most @p max_ms; true if settled. */
bool h_run_settled(uint32_t max_ms);
/* Runs until vend @p number is in @p state (or terminal), at most @p max_ms. */
bool h_run_until_state(uint32_t number, enum cv_vend_state state, uint32_t max_ms);

/* The customer picks a lane; asserts CV_OK; returns the vend number. */
uint32_t h_select(uint16_t lane, const char *token);
struct h_vend *h_vend(uint32_t number);

/* Checks every invariant over the emulator's state (and @p other's, if not
 * NULL): no intent captured twice or above its amount, no capture without a
 * verified drop, no hold left requires_capture, the engine's books equal to
 * the processor's. Asserts; the machine must be settled. */
void h_check_invariants(const struct emu *other);

/* Intents (of the emulator's /_state) created for vend @p vend_id. */
unsigned h_intents_for(json_t *state, const char *vend_id, const char *status);
/* Idempotency entries whose key is @p key and path @p path (NULL: any). */
unsigned h_idem_entries(json_t *state, const char *key, const char *path_suffix);

#endif
