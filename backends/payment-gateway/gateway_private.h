/* SPDX-License-Identifier: MIT */
/* Internals of the processor gateway, shared by the files of
 * backends/payment-gateway only. */
#ifndef CANDYVEND_GATEWAY_PRIVATE_H
#define CANDYVEND_GATEWAY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/breaker.h>
#include <candyvend/payment.h>
#include <candyvend/payment_gateway.h>
#include <curl/curl.h>

#include "gateway_response.h"

/* The library is built with hidden visibility: only these definitions are
 * part of the shared object's ABI. */
#if defined(__GNUC__)
#define CV_GW_EXPORT __attribute__((visibility("default")))
#else
#define CV_GW_EXPORT
#endif

/* Largest response body read; a longer one is an unknown outcome. */
#define CV_GW_BODY_MAX 65536
/* Sockets libcurl may ask the gateway to watch. */
#define CV_GW_SOCKETS_MAX CV_GATEWAY_POLLFDS_MAX
/* A request URL: base URL plus the longest path and query. */
#define CV_GW_URL_LEN (CV_GATEWAY_URL_MAX + 160)
/* A form body: the longest is the authorization's. */
#define CV_GW_FORM_LEN 768
/* Headers of one request: authorization, idempotency key, terminator spare. */
#define CV_GW_HEADERS_MAX 3

/* Where an operation is. */
enum cv_gw_slot_state {
	CV_GW_SLOT_FREE = 0,       /* Unused. */
	CV_GW_SLOT_COLLECTING = 1, /* Authorize: waiting for the reader's token. */
	CV_GW_SLOT_SENDING = 2,    /* An HTTP call is running. */
	CV_GW_SLOT_POSTING = 3,    /* Finished; the completion waits for room in the engine's queue. */
};

/* A response body being read. */
struct cv_gw_body {
	char *data; /* CV_GW_BODY_MAX bytes, or NULL to discard (probes). */
	size_t length;
	bool overflow;          /* The answer was longer than the buffer. */
	bool replayed;          /* Header "Idempotent-Replayed" seen with any value but "false". */
	const char *expect_key; /* The Idempotency-Key sent, or NULL. */
	bool key_mismatch;      /* The answer named another Idempotency-Key. */
};

/* One operation of the engine, from the method call to the posted completion. */
struct cv_gw_slot {
	enum cv_gw_slot_state state;
	struct cv_payment_request req;                /* The engine's request, copied. */
	enum cv_gw_call call;                         /* The HTTP call running or last run. */
	unsigned link;                                /* Link of the call running. */
	bool pinned;                                  /* Its key is pinned to that link: never fail over. */
	bool sent;                                    /* A call was started (link is where it went). */
	uint8_t tried;                                /* Bit per link: this call found nothing sent there. */
	uint64_t deadline_ms;                         /* Answer by then (the request's timeout, less a margin). */
	CURL *easy;                                   /* Reused across calls; CURLOPT_PRIVATE = this slot. */
	struct curl_slist headers[CV_GW_HEADERS_MAX]; /* Nodes owned here, strings too. */
	char url[CV_GW_URL_LEN];
	char form[CV_GW_FORM_LEN];
	char idem_header[CV_IDEM_KEY_LEN + 24];
	char token[CV_GATEWAY_TOKEN_MAX + 1]; /* Authorize: the reader's token; wiped when done. */
	struct cv_card_summary reader_card;   /* Authorize: what the reader said, or zeros. */
	bool keyless;                         /* Settle again without the key (it holds a stored 5xx). */
	struct cv_gw_body body;
	struct cv_payment_result result; /* POSTING: the completion. */
};

/* One network path to the processor. */
struct cv_gw_link {
	bool configured;
	bool https; /* Else plain http, to a loopback host only. */
	char url[CV_GATEWAY_URL_MAX + 1];
	struct cv_breaker breaker;
	CURL *probe; /* CURLOPT_PRIVATE = this link. */
	bool probe_running;
	struct curl_slist probe_headers[1];
	char probe_url[CV_GW_URL_LEN];
	struct cv_gw_body probe_body; /* Discarded. */
};

/* A key whose outcome is unknown on a link: later requests with it go there only. */
struct cv_gw_pin {
	bool used;
	unsigned link;
	uint64_t age; /* Larger is newer; the oldest is evicted. */
	char key[CV_IDEM_KEY_LEN];
};

/* One socket libcurl asked to watch. */
struct cv_gw_socket {
	int fd;       /* -1 if the entry is free. */
	short events; /* POLLIN / POLLOUT. */
};

struct cv_gateway {
	cv_gateway_collect_fn collect;
	cv_gateway_abort_fn abort_collect;
	void *reader_ctx;
	cv_gateway_log_fn log;
	void *log_ctx;
	uint32_t connect_timeout_ms;
	char ca_file[CV_GATEWAY_CA_FILE_MAX + 1]; /* Empty: the system's store. */
	char *auth_header;                        /* "Authorization: Bearer <key>"; wiped at free. */
	size_t auth_header_size;
	struct cv_machine *machine; /* Set by open(), cleared by close(). */
	uint64_t now_ms;            /* The last time the application gave. */
	struct cv_gw_link links[CV_GATEWAY_LINKS_MAX];
	struct cv_gw_slot slots[CV_GATEWAY_SLOTS];
	struct cv_gw_pin pins[CV_GATEWAY_PINS_MAX];
	uint64_t pin_age;
	CURLM *multi;
	struct cv_gw_socket sockets[CV_GW_SOCKETS_MAX];
	bool timer_armed;
	uint64_t timer_due_ms;
	bool curl_global; /* curl_global_init() succeeded for this gateway. */
};

/* ---- gateway_http.c: libcurl multi inside the application's loop. ---- */

/* How a transfer ended, as far as the transport can tell. */
enum cv_gw_transport {
	CV_GW_TRANSPORT_ANSWERED = 0, /* A complete HTTP answer (any status). */
	CV_GW_TRANSPORT_NOT_SENT = 1, /* Nothing left the machine: definite. */
	CV_GW_TRANSPORT_UNKNOWN = 2,  /* Sent, no complete answer. */
};

/* Creates the multi handle and installs the callbacks: CV_OK or CV_E_NOMEM. */
enum cv_status cv_gw_http_init(struct cv_gateway *gw);
/* Removes every transfer and frees the multi handle. */
void cv_gw_http_fini(struct cv_gateway *gw);
/* Sets the options every transfer over @p link shares (its scheme, TLS
 * checks, timeouts, no proxy, body sink). */
void cv_gw_http_common(struct cv_gateway *gw, CURL *easy, const struct cv_gw_link *link, struct cv_gw_body *body,
		       uint64_t timeout_ms);
/* Starts a transfer whose options are set: CV_OK or CV_E_IO. */
enum cv_status cv_gw_http_add(struct cv_gateway *gw, CURL *easy);
/* Stops a transfer; it gets no completion. */
void cv_gw_http_remove(struct cv_gateway *gw, CURL *easy);
/* Drives ready sockets and expired timers, and hands every finished transfer
 * to cv_gw_transfer_done(). */
void cv_gw_http_drive(struct cv_gateway *gw, const struct pollfd *fds, size_t n);
/* Milliseconds until libcurl's timer from the gateway's time, or -1. */
int cv_gw_http_timeout_ms(const struct cv_gateway *gw);
/* The sockets to poll. */
size_t cv_gw_http_pollfds(const struct cv_gateway *gw, struct pollfd *fds, size_t cap);

/* ---- gateway.c: creation, the payment ops, request slots. ---- */

/* Logs one line through the configured sink (printf-style; never secrets). */
void cv_gw_logf(struct cv_gateway *gw, enum cv_log_level level, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* Zeroes memory the compiler must not skip (keys, tokens). */
void cv_gw_wipe(void *p, size_t n);
/* Frees a slot for the next operation, wiping its token and form; keeps its
 * easy handle and body buffer. */
void cv_gw_slot_release(struct cv_gw_slot *slot);

/* ---- gateway_request.c: building and starting HTTP calls. ---- */

/* The call's name for logs ("create", "capture", ...). */
const char *cv_gw_call_name(enum cv_gw_call call);
/* Whether the call is a POST (it carries the Idempotency-Key). */
bool cv_gw_call_is_post(enum cv_gw_call call);
/* The link a call may go over now: the pinned one if its breaker allows,
 * else the first not yet tried whose breaker is closed; false if none. */
bool cv_gw_pick_link(struct cv_gateway *gw, struct cv_gw_slot *slot, unsigned *link);
/* Starts HTTP call @p call for a slot on a usable link; false if none is usable
 * or the time is up (nothing was started). */
bool cv_gw_call_start(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_gw_call call);

/* ---- gateway_answer.c: what an answer means; completions. ---- */

/* Finishes an operation with @p result (its op_id and op are set here) and posts it. */
void cv_gw_complete(struct cv_gateway *gw, struct cv_gw_slot *slot, const struct cv_payment_result *result);
/* Finishes an operation with a bare result code. */
void cv_gw_complete_code(struct cv_gateway *gw, struct cv_gw_slot *slot, enum cv_pay_result code);
/* Posts a POSTING slot's completion; kept for later if the engine's queue is full. */
void cv_gw_post(struct cv_gateway *gw, struct cv_gw_slot *slot);
/* What an operation that sent nothing now reports: CV_PAY_NOT_SENT, or
 * CV_PAY_UNKNOWN when an earlier send may have decided it (an authorization
 * whose key is pinned or was already answered once, a retrieve). */
enum cv_pay_result cv_gw_unsent_result(const struct cv_gw_slot *slot);
/* A transfer finished (removed from the multi handle already). */
void cv_gw_transfer_done(struct cv_gateway *gw, CURL *easy, enum cv_gw_transport transport, long http_status);

/* ---- gateway_pin.c: keys pinned to a link after an unknown outcome. ---- */

/* The pin that decides the request's link: its own key's (a lookup's: its
 * authorization's), else, for a capture or void, its authorization's; or NULL. */
const struct cv_gw_pin *cv_gw_pin_find(struct cv_gateway *gw, const struct cv_payment_request *req);
/* Pins the request's key to @p link (the oldest pin is evicted if full). */
void cv_gw_pin_set(struct cv_gateway *gw, const struct cv_payment_request *req, unsigned link);
/* Forgets the request's key's pin, if any. */
void cv_gw_pin_clear(struct cv_gateway *gw, const struct cv_payment_request *req);
/* Forgets the pin if @p result says what became of the key's request. */
void cv_gw_pin_settle(struct cv_gateway *gw, const struct cv_payment_request *req, enum cv_pay_result result);

/* ---- gateway_loop.c: the application's loop. ---- */

/* A link's probe finished: its breaker learns whether the link answered. */
void cv_gw_probe_done(struct cv_gateway *gw, struct cv_gw_link *link, enum cv_gw_transport transport);

/* ---- gateway_mem.c: libcurl's memory, wiped when freed. ---- */

/* curl_global_init() with the gateway's allocator; *wiping tells whether
 * libcurl took it (false: someone initialized libcurl first). CV_OK or
 * CV_E_NOMEM. Balance with curl_global_cleanup(). */
enum cv_status cv_gw_mem_init(bool *wiping);
/* Where a wiped block goes: free(). Tests put a checker in between. */
extern void (*cv_gw_mem_release)(void *block);

/* ---- gateway_reader.c: the reader glue. ---- */

/* The COLLECTING slot of authorization @p op_id, or NULL. */
struct cv_gw_slot *cv_gw_collecting(struct cv_gateway *gw, uint32_t op_id);

#endif
