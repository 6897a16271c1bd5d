/* SPDX-License-Identifier: MIT */
/* The processor gateway: creation and configuration checks, the
 * cv_payment_ops table and its methods, and the request slots
 * (payment_gateway.h). Requests are built in gateway_request.c, answers
 * read in gateway_answer.c, pinned keys kept in gateway_pin.c, and the
 * application's loop served by gateway_loop.c. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/machine.h>

#include "gateway_private.h"

#define CV_GW_CONNECT_TIMEOUT_DEFAULT_MS 3000u
/* Answer this much before the engine's own deadline, so that the engine gets
 * the gateway's verdict rather than its own timeout (at most 250 ms). */
#define CV_GW_DEADLINE_MARGIN_MAX_MS 250u

/* ---- helpers ---- */

void cv_gw_wipe(void *p, size_t n)
{
	volatile unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = 0;
}

/* Formats one line into a sink (nothing if there is none). */
static void cv_gw_vlog(cv_gateway_log_fn log, void *log_ctx, enum cv_log_level level, const char *format, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void cv_gw_vlog(cv_gateway_log_fn log, void *log_ctx, enum cv_log_level level, const char *format, va_list ap)
{
	if (log == NULL)
		return;
	char line[256];
	vsnprintf(line, sizeof(line), format, ap);
	log(log_ctx, level, line);
}

void cv_gw_logf(struct cv_gateway *gw, enum cv_log_level level, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	cv_gw_vlog(gw->log, gw->log_ctx, level, format, ap);
	va_end(ap);
}

/* A NUL-terminated key of 1..size-1 characters from [A-Za-z0-9._-]: it goes
 * into a header and a query string as it is. */
static bool cv_gw_key_valid(const char *key, size_t size)
{
	size_t n = 0;
	for (; n < size && key[n] != '\0'; n++) {
		char c = key[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return n > 0 && n < size;
}

static uint64_t cv_gw_deadline(uint64_t now_ms, uint32_t timeout_ms)
{
	uint32_t margin = timeout_ms / 10;
	if (margin > CV_GW_DEADLINE_MARGIN_MAX_MS)
		margin = CV_GW_DEADLINE_MARGIN_MAX_MS;
	return now_ms + (uint64_t)(timeout_ms - margin);
}

void cv_gw_slot_release(struct cv_gw_slot *slot)
{
	cv_gw_wipe(slot->token, sizeof(slot->token));
	cv_gw_wipe(slot->form, sizeof(slot->form));
	CURL *easy = slot->easy;
	char *body = slot->body.data;
	memset(slot, 0, sizeof(*slot));
	slot->easy = easy;
	slot->body.data = body;
	slot->state = CV_GW_SLOT_FREE;
}

/* ---- the payment ops ---- */

static bool cv_gw_request_valid(const struct cv_payment_request *req)
{
	if (!cv_gw_key_valid(req->idempotency_key, sizeof(req->idempotency_key)) ||
	    !cv_gw_key_valid(req->vend_id, sizeof(req->vend_id)))
		return false;
	if (req->op != CV_PAYMENT_OP_AUTHORIZE && !cv_gw_key_valid(req->auth_key, sizeof(req->auth_key)))
		return false;
	if (memchr(req->processor_ref, '\0', sizeof(req->processor_ref)) == NULL ||
	    (req->processor_ref[0] != '\0' && !cv_gw_id_valid(req->processor_ref)))
		return false;
	if (req->op == CV_PAYMENT_OP_AUTHORIZE || req->op == CV_PAYMENT_OP_CAPTURE)
		return req->amount.amount_minor > 0 && memchr(req->amount.currency, '\0', CV_CURRENCY_LEN) != NULL &&
		       cv_currency_is_valid(req->amount.currency);
	return true;
}

static struct cv_gw_slot *cv_gw_slot_take(struct cv_gateway *gw)
{
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++)
		if (gw->slots[i].state == CV_GW_SLOT_FREE)
			return &gw->slots[i];
	return NULL;
}

static enum cv_status cv_gw_begin_collect(struct cv_gateway *gw, struct cv_gw_slot *slot)
{
	slot->state = CV_GW_SLOT_COLLECTING;
	uint32_t op_id = slot->req.op_id;
	enum cv_status rc = gw->collect(gw->reader_ctx, gw, op_id, &slot->req.amount);
	if (rc == CV_OK || rc == CV_PENDING)
		return CV_PENDING;
	if (cv_gw_collecting(gw, op_id) == slot) {
		cv_gw_slot_release(slot);
		return rc;
	}
	/* The reader answered before failing: its answer stands. */
	return CV_PENDING;
}

static enum cv_status cv_gw_start(void *ctx, const struct cv_payment_request *req)
{
	struct cv_gateway *gw = ctx;
	if (gw->machine == NULL)
		return CV_E_STATE;
	if (req == NULL || !cv_gw_request_valid(req))
		return CV_E_INVAL;
	struct cv_gw_slot *slot = cv_gw_slot_take(gw);
	if (slot == NULL)
		return CV_E_BUSY;
	cv_gw_slot_release(slot);
	slot->req = *req;
	slot->deadline_ms = cv_gw_deadline(gw->now_ms, req->timeout_ms);
	const struct cv_gw_pin *pin = cv_gw_pin_find(gw, req);
	if (pin != NULL) {
		slot->pinned = true;
		slot->link = pin->link;
	}
	unsigned link = 0;
	if (!cv_gw_pick_link(gw, slot, &link)) {
		cv_gw_logf(gw, CV_LOG_WARN, "gateway: op %u: no usable link%s", (unsigned)req->op_id,
			   slot->pinned ? " (pinned)" : "");
		if (cv_gw_unsent_result(slot) == CV_PAY_UNKNOWN) {
			/* An authorization whose key's earlier send has an unknown
			 * outcome: "not sent" would let the engine take a new key
			 * while the first hold may stand. */
			cv_gw_complete_code(gw, slot, CV_PAY_UNKNOWN);
			return CV_PENDING;
		}
		cv_gw_slot_release(slot);
		return CV_E_IO;
	}
	enum cv_gw_call call = CV_GW_CALL_LIST;
	switch (req->op) {
	case CV_PAYMENT_OP_AUTHORIZE:
		return cv_gw_begin_collect(gw, slot);
	case CV_PAYMENT_OP_CAPTURE:
		call = req->processor_ref[0] != '\0' ? CV_GW_CALL_CAPTURE : CV_GW_CALL_LIST;
		break;
	case CV_PAYMENT_OP_VOID:
		call = req->processor_ref[0] != '\0' ? CV_GW_CALL_CANCEL : CV_GW_CALL_LIST;
		break;
	default:
		break;
	}
	if (!cv_gw_call_start(gw, slot, call)) {
		cv_gw_slot_release(slot);
		return CV_E_IO;
	}
	return CV_PENDING;
}

static enum cv_status cv_gw_open(void *ctx, struct cv_machine *machine)
{
	struct cv_gateway *gw = ctx;
	gw->machine = machine;
	return CV_OK;
}

/* Ends every operation without a completion (the machine is going away). */
static void cv_gw_stop_all(struct cv_gateway *gw)
{
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		struct cv_gw_slot *slot = &gw->slots[i];
		if (slot->state == CV_GW_SLOT_SENDING)
			cv_gw_http_remove(gw, slot->easy);
		if (slot->state == CV_GW_SLOT_COLLECTING && gw->abort_collect != NULL)
			gw->abort_collect(gw->reader_ctx, gw, slot->req.op_id);
		cv_gw_slot_release(slot);
	}
}

static void cv_gw_close(void *ctx)
{
	struct cv_gateway *gw = ctx;
	cv_gw_stop_all(gw);
	gw->machine = NULL;
}

static enum cv_status cv_gw_health(void *ctx)
{
	struct cv_gateway *gw = ctx;
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++)
		if (gw->links[i].configured && cv_breaker_allows(&gw->links[i].breaker, gw->now_ms))
			return CV_OK;
	return CV_E_IO;
}

static enum cv_status cv_gw_abort_collect(void *ctx, uint32_t op_id)
{
	struct cv_gateway *gw = ctx;
	if (cv_gw_collecting(gw, op_id) == NULL)
		return CV_E_STATE; /* Not collecting (the request may be out already). */
	if (gw->abort_collect != NULL)
		gw->abort_collect(gw->reader_ctx, gw, op_id);
	struct cv_gw_slot *slot = cv_gw_collecting(gw, op_id);
	if (slot != NULL)
		cv_gw_complete_code(gw, slot, CV_PAY_CANCELLED);
	return CV_OK;
}

CV_GW_EXPORT const struct cv_payment_ops cv_gateway_payment_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_payment_ops),
	.name = "gateway",
	.caps = NULL, /* No capability flag applies: dual-message, no refund, no offline. */
	.open = cv_gw_open,
	.close = cv_gw_close,
	.authorize = cv_gw_start,
	.capture = cv_gw_start,
	.void_auth = cv_gw_start,
	.lookup = cv_gw_start,
	.abort_collect = cv_gw_abort_collect,
	.health = cv_gw_health,
};

/* ---- creation ---- */

static bool cv_gw_policy(const struct cv_breaker_policy *given, struct cv_breaker_policy *out)
{
	cv_breaker_policy_default(out);
	if (given->failures_to_open != 0)
		out->failures_to_open = given->failures_to_open;
	if (given->window_ms != 0)
		out->window_ms = given->window_ms;
	if (given->open_ms != 0)
		out->open_ms = given->open_ms;
	if (given->probes_to_close != 0)
		out->probes_to_close = given->probes_to_close;
	struct cv_breaker check;
	return cv_breaker_init(&check, out) == CV_OK;
}

/* Whether @p host (@p n characters) is a loopback address: 127.0.0.0/8 as
 * four decimal octets, [::1], or "localhost" (which libcurl resolves to
 * loopback itself, without asking DNS). */
static bool cv_gw_host_is_loopback(const char *host, size_t n)
{
	if ((n == 9 && strncmp(host, "localhost", 9) == 0) || (n == 5 && strncmp(host, "[::1]", 5) == 0))
		return true;
	unsigned octets = 0;
	size_t i = 0;
	while (i < n) {
		unsigned value = 0;
		size_t digits = 0;
		for (; i < n && host[i] >= '0' && host[i] <= '9' && digits < 4; i++, digits++)
			value = value * 10 + (unsigned)(host[i] - '0');
		if (digits == 0 || digits > 3 || value > 255 || (octets == 0 && value != 127))
			return false;
		octets++;
		if (i < n && (host[i] != '.' || i + 1 == n))
			return false;
		if (i < n)
			i++;
	}
	return octets == 4;
}

/* Checks a link's URL; on refusal *why says what is wrong. Plain http goes
 * to a loopback host only: the API key and card tokens never cross a
 * network in clear text. */
static bool cv_gw_url_valid(const char *url, bool *https, const char **why)
{
	size_t n = strlen(url);
	*why = "must be 1 to 200 printable characters without spaces, '?' or '#'";
	if (n == 0 || n > CV_GATEWAY_URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] > '~' || url[i] == '?' || url[i] == '#')
			return false;
	*https = strncmp(url, "https://", 8) == 0;
	*why = "must start with https:// (or http:// to a loopback address)";
	if (!*https && strncmp(url, "http://", 7) != 0)
		return false;
	const char *host = url + (*https ? 8 : 7);
	size_t authority = strcspn(host, "/");
	*why = "must not carry user information ('@')";
	if (memchr(host, '@', authority) != NULL)
		return false;
	size_t host_len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
	*why = "has no host";
	if (host_len == 0 || host_len > authority)
		return false;
	*why = "plain http:// is allowed only to a loopback address (127.0.0.0/8, [::1], localhost): use https://";
	return *https || cv_gw_host_is_loopback(host, host_len);
}

static enum cv_status cv_gw_link_init(struct cv_gateway *gw, unsigned index, const char *url,
				      const struct cv_breaker_policy *policy)
{
	struct cv_gw_link *link = &gw->links[index];
	link->https = strncmp(url, "https://", 8) == 0;
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	memcpy(link->url, url, n);
	link->url[n] = '\0';
	snprintf(link->probe_url, sizeof(link->probe_url), "%s/v1/payment_intents?idempotency_key=cv-health-probe",
		 link->url);
	if (cv_breaker_init(&link->breaker, policy) != CV_OK)
		return CV_E_INVAL;
	link->probe = curl_easy_init();
	if (link->probe == NULL)
		return CV_E_NOMEM;
	link->configured = true;
	return CV_OK;
}

/* Says why a configuration is refused, through the configured log sink. */
static enum cv_status cv_gw_refuse(const struct cv_gateway_config *config, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static enum cv_status cv_gw_refuse(const struct cv_gateway_config *config, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	cv_gw_vlog(config->log, config->log_ctx, CV_LOG_ERROR, format, ap);
	va_end(ap);
	return CV_E_INVAL;
}

static enum cv_status cv_gw_check_config(const struct cv_gateway_config *config, struct cv_breaker_policy *policy)
{
	if (config->links[0] == NULL)
		return cv_gw_refuse(config, "gateway: links[0] is required");
	if (config->api_key == NULL || config->api_key[0] == '\0')
		return cv_gw_refuse(config, "gateway: api_key is required");
	if (config->collect == NULL)
		return cv_gw_refuse(config, "gateway: collect (the reader) is required");
	if (!cv_gw_policy(&config->breaker, policy))
		return cv_gw_refuse(config, "gateway: the breaker policy is out of range");
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		bool https = false;
		const char *why = NULL;
		/* The URL itself is not logged: it may be long or carry user information. */
		if (config->links[i] != NULL && !cv_gw_url_valid(config->links[i], &https, &why))
			return cv_gw_refuse(config, "gateway: links[%u] %s", i, why);
	}
	for (const char *p = config->api_key; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return cv_gw_refuse(config, "gateway: api_key must be printable ASCII without spaces");
	if (config->ca_file != NULL) {
		FILE *f = strlen(config->ca_file) <= CV_GATEWAY_CA_FILE_MAX ? fopen(config->ca_file, "r") : NULL;
		if (f == NULL)
			return cv_gw_refuse(config, "gateway: ca_file is not a readable file of at most %u characters",
					    (unsigned)CV_GATEWAY_CA_FILE_MAX);
		fclose(f);
	}
	return CV_OK;
}

static enum cv_status cv_gw_alloc(struct cv_gateway *gw, const char *api_key)
{
	static const char prefix[] = "Authorization: Bearer ";
	gw->auth_header_size = sizeof(prefix) + strlen(api_key);
	gw->auth_header = malloc(gw->auth_header_size);
	if (gw->auth_header == NULL)
		return CV_E_NOMEM;
	memcpy(gw->auth_header, prefix, sizeof(prefix) - 1);
	memcpy(gw->auth_header + sizeof(prefix) - 1, api_key, strlen(api_key) + 1);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		gw->slots[i].body.data = malloc(CV_GW_BODY_MAX);
		gw->slots[i].easy = curl_easy_init();
		if (gw->slots[i].body.data == NULL || gw->slots[i].easy == NULL)
			return CV_E_NOMEM;
	}
	return cv_gw_http_init(gw);
}

CV_GW_EXPORT enum cv_status cv_gateway_new(const struct cv_gateway_config *config, struct cv_gateway **out)
{
	if (config == NULL || out == NULL)
		return CV_E_INVAL;
	*out = NULL;
	struct cv_breaker_policy policy;
	enum cv_status rc = cv_gw_check_config(config, &policy);
	if (rc != CV_OK)
		return rc;
	struct cv_gateway *gw = calloc(1, sizeof(*gw));
	if (gw == NULL)
		return CV_E_NOMEM;
	bool wiping = false;
	if (cv_gw_mem_init(&wiping) != CV_OK) {
		free(gw);
		return CV_E_NOMEM;
	}
	gw->curl_global = true;
	gw->collect = config->collect;
	gw->abort_collect = config->abort_collect;
	gw->reader_ctx = config->reader_ctx;
	gw->log = config->log;
	gw->log_ctx = config->log_ctx;
	gw->connect_timeout_ms =
		config->connect_timeout_ms != 0 ? config->connect_timeout_ms : CV_GW_CONNECT_TIMEOUT_DEFAULT_MS;
	if (config->ca_file != NULL)
		memcpy(gw->ca_file, config->ca_file, strlen(config->ca_file) + 1);
	if (!wiping)
		cv_gw_logf(gw, CV_LOG_WARN,
			   "gateway: libcurl was initialized before the gateway: its buffers "
			   "(request headers with the API key) are freed without wiping");
	rc = cv_gw_alloc(gw, config->api_key);
	for (unsigned i = 0; rc == CV_OK && i < CV_GATEWAY_LINKS_MAX; i++)
		if (config->links[i] != NULL)
			rc = cv_gw_link_init(gw, i, config->links[i], &policy);
	if (rc != CV_OK) {
		cv_gateway_free(gw);
		return rc;
	}
	*out = gw;
	return CV_OK;
}

CV_GW_EXPORT void cv_gateway_free(struct cv_gateway *gateway)
{
	struct cv_gateway *gw = gateway;
	if (gw == NULL)
		return;
	cv_gw_http_fini(gw);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		struct cv_gw_slot *slot = &gw->slots[i];
		cv_gw_wipe(slot->token, sizeof(slot->token));
		if (slot->easy != NULL)
			curl_easy_cleanup(slot->easy);
		free(slot->body.data);
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++)
		if (gw->links[i].probe != NULL)
			curl_easy_cleanup(gw->links[i].probe);
	if (gw->auth_header != NULL) {
		cv_gw_wipe(gw->auth_header, gw->auth_header_size);
		free(gw->auth_header);
	}
	if (gw->curl_global)
		curl_global_cleanup();
	cv_gw_wipe(gw, sizeof(*gw));
	free(gw);
}
