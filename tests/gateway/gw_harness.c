/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L

#include "gw_harness.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct harness h;

/* The CA the test's own requests trust (an https emulator), or NULL. */
static const char *h_ca_file;

#define H_JOURNAL_SIZE (8u << 20)
#define H_EMULATOR_START_MS 10000

uint64_t h_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the emulator process ---- */

void emu_start(struct emu *e)
{
	emu_start_as(e, &(struct emu_launch){.script_env = "CV_EMULATOR"});
}

void emu_start_as(struct emu *e, const struct emu_launch *how)
{
	const char *env = how->script_env != NULL ? how->script_env : "CV_EMULATOR";
	if (how->tls_ca != NULL)
		h_ca_file = how->tls_ca;
	const char *path = getenv(env);
	cr_assert_not_null(path, "%s is not set (run through meson test)", env);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* A test that dies (an assertion in setup, a timeout) takes its emulator along. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		if (getenv("CV_GW_VERBOSE") == NULL) {
			/* Its tracebacks for connections the client gave up on are noise. */
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, STDERR_FILENO);
		}
		close(fds[0]);
		close(fds[1]);
		if (how->tls_cert != NULL)
			execl("/usr/bin/python3", "python3", path, "--tls-cert", how->tls_cert, "--tls-key",
			      how->tls_key, "0", (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", path, "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[128];
	size_t n = 0;
	uint64_t deadline = h_now_ms() + H_EMULATOR_START_MS;
	while (n < sizeof(line) - 1 && (n == 0 || line[n - 1] != '\n')) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		uint64_t now = h_now_ms();
		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
			break;
		ssize_t got = read(fds[0], line + n, 1);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	line[n] = '\0';
	close(fds[0]);
	e->pid = pid;
	e->port = 0;
	if (sscanf(line, "listening 127.0.0.1:%d", &e->port) != 1) {
		emu_stop(e);
		cr_assert_fail("the emulator printed no port line: '%s'", line);
	}
	snprintf(e->base, sizeof(e->base), "%s://127.0.0.1:%d", how->tls_cert != NULL ? "https" : "http", e->port);
}

void emu_stop(struct emu *e)
{
	if (e->pid <= 0)
		return;
	kill(e->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
			e->pid = 0;
			return;
		}
		nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 10000000}, NULL);
	}
	kill(e->pid, SIGKILL);
	waitpid(e->pid, NULL, 0);
	e->pid = 0;
}

struct h_buf {
	char *data;
	size_t length;
};

static size_t h_buf_write(char *data, size_t size, size_t count, void *userp)
{
	struct h_buf *b = userp;
	size_t n = size * count;
	char *grown = realloc(b->data, b->length + n + 1);
	if (grown == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->length, data, n);
	b->length += n;
	b->data[b->length] = '\0';
	return n;
}

/* A blocking request from the test itself (never the gateway's way). */
static long h_http(const struct emu *e, const char *method, const char *path, const char *json_body, struct h_buf *out)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", e->base, path);
	CURL *c = curl_easy_init();
	cr_assert_not_null(c);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (h_ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h_ca_file);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
	}
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	return status;
}

void emu_control(const struct emu *e, const char *format, ...)
{
	char body[1024];
	va_list ap;
	va_start(ap, format);
	vsnprintf(body, sizeof(body), format, ap);
	va_end(ap);
	struct h_buf out = {0};
	long status = h_http(e, "POST", "/_control", body, &out);
	cr_assert_eq(status, 200, "control %s: %ld %s", body, status, out.data ? out.data : "");
	free(out.data);
}

void emu_fail_next(const struct emu *e, const char *path_prefix, const char *method, const char *mode, int count)
{
	char m[32] = "";
	if (method != NULL)
		snprintf(m, sizeof(m), ",\"method\":\"%s\"", method);
	emu_control(e, "{\"fail_next\":[{\"path_prefix\":\"%s\"%s,\"mode\":\"%s\",\"count\":%d}]}", path_prefix, m,
		    mode, count);
}

json_t *emu_state(const struct emu *e)
{
	struct h_buf out = {0};
	long status = h_http(e, "GET", "/_state", NULL, &out);
	cr_assert_eq(status, 200);
	json_error_t err;
	json_t *state = json_loads(out.data, 0, &err);
	free(out.data);
	cr_assert_not_null(state, "state is not JSON: %s", err.text);
	return state;
}

/* ---- the reader and the log ---- */

static enum cv_status h_collect(void *reader_ctx, struct cv_gateway *gateway, uint32_t op_id,
				const struct cv_money *amount)
{
	(void)gateway;
	struct h_reader *r = reader_ctx;
	cr_assert_gt(amount->amount_minor, 0);
	r->collecting = true;
	r->op_id = op_id;
	r->present_at_ms = h_now_ms() + r->delay_ms;
	r->collects++;
	return CV_OK;
}

enum cv_status h_collect_never(void *reader_ctx, struct cv_gateway *gateway, uint32_t op_id,
			       const struct cv_money *amount)
{
	(void)reader_ctx;
	(void)gateway;
	(void)op_id;
	(void)amount;
	return CV_OK;
}

static void h_abort(void *reader_ctx, struct cv_gateway *gateway, uint32_t op_id)
{
	(void)gateway;
	struct h_reader *r = reader_ctx;
	if (r->collecting && r->op_id == op_id) {
		r->collecting = false;
		r->aborts++;
	}
}

static void h_log(void *log_ctx, enum cv_log_level level, const char *message)
{
	(void)log_ctx;
	(void)level;
	unsigned op = 0;
	unsigned link = 0;
	char call[32];
	int end = 0;
	snprintf(h.last_log, sizeof(h.last_log), "%s", message);
	if (sscanf(message, "gateway: op %u %31s link %u%n", &op, call, &link, &end) == 3 &&
	    (message[end] == '\0' || strcmp(message + end, " (pinned)") == 0) && link < CV_GATEWAY_LINKS_MAX)
		h.link_calls[link]++;
	if (strstr(message, "-> UNKNOWN") != NULL)
		h.log_unknown++;
	if (strstr(message, "without it") != NULL)
		h.log_keyless++;
	if (getenv("CV_GW_VERBOSE") != NULL)
		fprintf(stderr, "[%llu] %s\n", (unsigned long long)(h_now_ms() % 100000), message);
}

static void h_on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	(void)user_data;
	if (event->type != CV_EVENT_VEND_STATE)
		return;
	const struct cv_vend_info *info = &event->u.vend;
	struct h_vend *v = NULL;
	for (unsigned i = 0; i < h.vend_count; i++)
		if (h.vends[i].number == info->vend_number)
			v = &h.vends[i];
	if (v == NULL) {
		cr_assert_lt(h.vend_count, H_VENDS_MAX);
		v = &h.vends[h.vend_count++];
		v->number = info->vend_number;
	}
	memcpy(v->vend_id, info->vend_id, sizeof(v->vend_id));
	v->state = info->state;
	v->reason = info->reason;
	v->price = info->price.amount_minor;
	v->auth_attempt = info->auth_attempt;
	if ((unsigned)info->state < 16)
		v->visited[info->state] = true;
	if (getenv("CV_GW_VERBOSE") != NULL)
		fprintf(stderr, "[%llu] vend %u %s (%s)\n", (unsigned long long)(h_now_ms() % 100000),
			(unsigned)info->vend_number, cv_vend_state_str(info->state), cv_vend_reason_str(info->reason));
}

/* ---- setup ---- */

void h_options_default(struct h_options *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	static struct cv_machine_config defaults;
	cv_machine_config_default(&defaults);
	o->timeouts = defaults.timeouts;
	o->timeouts.payment_ms = 4000;
	o->timeouts.lookup_ms = 1500;
	o->timeouts.settle_ms = 1500;
	o->timeouts.motor_ms = 1000;
	o->timeouts.verify_ms = 150;
	o->timeouts.session_ms = 2000;
	o->timeouts.retry_base_ms = 50;
	o->timeouts.retry_cap_ms = 300;
	o->breaker.failures_to_open = 3;
	o->breaker.open_ms = 500;
	o->breaker.probes_to_close = 1;
}

static void h_sim_new(uint64_t seed)
{
	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.seed = seed;
	sc.lane_count = H_LANES;
	for (unsigned i = 0; i < H_LANES; i++)
		sc.stock[i] = 500;
	sc.motor_ms = 5;
	sc.drop_delay_ms = 5;
	cr_assert_eq(cv_sim_new(&sc, &h.sim), CV_OK);
}

static void h_machine_new(const struct h_options *o)
{
	cv_machine_config_default(&h.config);
	strcpy(h.config.machine_id, "gw-test-1");
	for (unsigned i = 0; i < H_LANES; i++) {
		struct cv_lane_config *l = &h.lanes[i];
		cv_lane_config_default(l);
		snprintf(l->label, sizeof(l->label), "A%u", i + 1);
		strcpy(l->product_id, "SKU-1");
		strcpy(l->product_name, "Gummy Bears");
		l->price_minor = H_PRICE;
		l->capacity = 500;
		l->count = 500;
	}
	h.config.lanes = h.lanes;
	h.config.lane_count = H_LANES;
	cv_sim_attach(h.sim, &h.config);
	h.config.payment = &cv_gateway_payment_ops;
	h.config.payment_ctx = h.gw;
	h.journal = malloc(H_JOURNAL_SIZE);
	cr_assert_not_null(h.journal);
	cv_ram_storage_init(&h.storage, h.journal, H_JOURNAL_SIZE);
	h.config.storage = &cv_ram_storage_ops;
	h.config.storage_ctx = &h.storage;
	h.config.accept_volatile_journal = true;
	h.config.on_event = h_on_event;
	h.config.user_data = &h;
	h.config.timeouts = o->timeouts;
	if (o->lookup_attempts_max != 0)
		h.config.lookup_attempts_max = o->lookup_attempts_max;
	if (o->settle_attempts_max != 0)
		h.config.settle_attempts_max = o->settle_attempts_max;
	enum cv_status rc = cv_machine_new(&h.config, &h.m);
	cr_assert_eq(rc, CV_OK, "cv_machine_new: %s", cv_status_str(rc));
}

void h_setup(const struct h_options *o)
{
	memset(&h, 0, sizeof(h));
	signal(SIGPIPE, SIG_IGN);
	struct cv_gateway_config gc;
	memset(&gc, 0, sizeof(gc));
	if (o->links[0] == NULL) {
		emu_start_as(&h.emu, &o->processor);
		gc.links[0] = h.emu.base;
	} else {
		gc.links[0] = o->links[0];
	}
	gc.links[1] = o->links[1];
	gc.api_key = "sk_test_gateway_harness";
	gc.breaker = o->breaker;
	gc.connect_timeout_ms = 500;
	gc.ca_file = o->ca_file;
	gc.collect = h_collect;
	gc.abort_collect = h_abort;
	gc.reader_ctx = &h.reader;
	gc.log = h_log;
	cr_assert_eq(cv_gateway_new(&gc, &h.gw), CV_OK);
	h_sim_new(o->seed);
	h_machine_new(o);
}

void h_teardown(void)
{
	if (h.m != NULL)
		cv_machine_free(h.m);
	cv_gateway_free(h.gw);
	cv_sim_free(h.sim);
	free(h.journal);
	emu_stop(&h.emu);
	h.m = NULL;
	h.gw = NULL;
	h.sim = NULL;
	h.journal = NULL;
}

/* ---- the loop ---- */

static void h_reader_tick(uint64_t now)
{
	struct h_reader *r = &h.reader;
	if (!r->collecting || r->token == NULL || now < r->present_at_ms)
		return;
	r->collecting = false;
	struct cv_card_summary card;
	memset(&card, 0, sizeof(card));
	strcpy(card.aid, "A0000000031010");
	strcpy(card.app_label, "VISA CREDIT");
	card.entry = CV_CARD_ENTRY_CONTACTLESS;
	enum cv_status rc = cv_gateway_card_token(h.gw, r->op_id, r->token, &card);
	/* CV_E_INVAL: a token the gateway refused (the authorization ends READER_FAULT). */
	cr_assert(rc == CV_OK || rc == CV_E_NOT_FOUND || rc == CV_E_INVAL, "card_token: %s", cv_status_str(rc));
	if (rc == CV_E_INVAL)
		r->refused++;
}

static void h_loop_once(int wait_max_ms)
{
	uint64_t now = h_now_ms();
	cv_sim_step(h.sim, now);
	h_reader_tick(now);
	struct pollfd fds[CV_GATEWAY_POLLFDS_MAX];
	size_t n = cv_gateway_pollfds(h.gw, fds, CV_GATEWAY_POLLFDS_MAX);
	int wait = cv_gateway_timeout_ms(h.gw, now);
	if (wait < 0 || wait > wait_max_ms)
		wait = wait_max_ms;
	if (poll(fds, (nfds_t)n, wait) < 0)
		cr_assert_eq(errno, EINTR);
	now = h_now_ms();
	cv_gateway_process(h.gw, now, fds, n);
	cv_sim_step(h.sim, now);
	cr_assert_eq(cv_machine_step(h.m, now), CV_OK);
}

void h_run(uint32_t ms)
{
	uint64_t end = h_now_ms() + ms;
	while (h_now_ms() < end)
		h_loop_once(2);
}

bool h_run_settled(uint32_t max_ms)
{
	uint64_t end = h_now_ms() + max_ms;
	while (h_now_ms() < end) {
		h_loop_once(2);
		if (cv_machine_open_vends(h.m) == 0 && !h.reader.collecting)
			return true;
	}
	return false;
}

static bool h_terminal(enum cv_vend_state s)
{
	return s >= CV_VEND_STATE_CAPTURED;
}

bool h_run_until_state(uint32_t number, enum cv_vend_state state, uint32_t max_ms)
{
	uint64_t end = h_now_ms() + max_ms;
	while (h_now_ms() < end) {
		h_loop_once(2);
		struct h_vend *v = h_vend(number);
		if (v != NULL && (v->state == state || h_terminal(v->state)))
			return v->state == state;
	}
	return false;
}

uint32_t h_select(uint16_t lane, const char *token)
{
	h.reader.token = token;
	uint32_t number = 0;
	enum cv_status rc = cv_machine_select(h.m, lane, &number);
	cr_assert_eq(rc, CV_OK, "select: %s", cv_status_str(rc));
	return number;
}

struct h_vend *h_vend(uint32_t number)
{
	for (unsigned i = 0; i < h.vend_count; i++)
		if (h.vends[i].number == number)
			return &h.vends[i];
	return NULL;
}

/* ---- invariants ---- */

static const char *h_intent_vend(json_t *intent)
{
	return json_string_value(json_object_get(json_object_get(intent, "metadata"), "vend_id"));
}

unsigned h_intents_for(json_t *state, const char *vend_id, const char *status)
{
	unsigned n = 0;
	const char *id;
	json_t *intent;
	json_object_foreach(json_object_get(state, "intents"), id, intent)
	{
		const char *v = h_intent_vend(intent);
		const char *s = json_string_value(json_object_get(intent, "status"));
		if (v != NULL && strcmp(v, vend_id) == 0 && (status == NULL || (s != NULL && strcmp(s, status) == 0)))
			n++;
	}
	return n;
}

unsigned h_idem_entries(json_t *state, const char *key, const char *path_suffix)
{
	unsigned n = 0;
	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(state, "idempotency"), i, entry)
	{
		const char *k = json_string_value(json_object_get(entry, "key"));
		const char *p = json_string_value(json_object_get(entry, "path"));
		if (k == NULL || p == NULL || strcmp(k, key) != 0)
			continue;
		size_t lp = strlen(p);
		size_t ls = path_suffix != NULL ? strlen(path_suffix) : 0;
		if (path_suffix == NULL || (lp >= ls && strcmp(p + lp - ls, path_suffix) == 0))
			n++;
	}
	return n;
}

static struct h_vend *h_vend_by_id(const char *vend_id)
{
	for (unsigned i = 0; i < h.vend_count; i++)
		if (strcmp(h.vends[i].vend_id, vend_id) == 0)
			return &h.vends[i];
	return NULL;
}

/* Per intent: no hold left, captured at most once and at most its amount,
 * and only for a vend whose drop was verified. Returns the money received. */
static int64_t h_check_intents(json_t *state)
{
	int64_t received_total = 0;
	const char *id;
	json_t *intent;
	json_object_foreach(json_object_get(state, "intents"), id, intent)
	{
		const char *status = json_string_value(json_object_get(intent, "status"));
		json_int_t amount = json_integer_value(json_object_get(intent, "amount"));
		json_int_t received = json_integer_value(json_object_get(intent, "amount_received"));
		json_int_t charged = json_integer_value(
			json_object_get(json_object_get(intent, "latest_charge"), "amount_captured"));
		const char *vend_id = h_intent_vend(intent);
		cr_assert_not_null(status);
		cr_assert_not_null(vend_id, "intent %s has no vend id", id);
		cr_assert_str_neq(status, "requires_capture", "lost void: intent %s (vend %s) still held", id, vend_id);
		cr_assert_leq(received, amount, "intent %s captured %lld of %lld", id, (long long)received,
			      (long long)amount);
		cr_assert_eq(received, charged, "intent %s: received %lld, charge captured %lld", id,
			     (long long)received, (long long)charged);
		if (strcmp(status, "succeeded") != 0) {
			cr_assert_eq(received, 0);
			continue;
		}
		struct h_vend *v = h_vend_by_id(vend_id);
		cr_assert_not_null(v, "intent %s captured for a vend the engine never had", id);
		cr_assert(v->visited[CV_VEND_STATE_CAPTURE_PENDING],
			  "capture without a verified drop: vend %u, intent %s", (unsigned)v->number, id);
		received_total += received;
	}
	return received_total;
}

void h_check_invariants(const struct emu *other)
{
	cr_assert_eq(cv_machine_open_vends(h.m), 0, "vends still open");
	json_t *states[2] = {h.emu.pid > 0 ? emu_state(&h.emu) : NULL, other != NULL ? emu_state(other) : NULL};
	int64_t received_total = 0;
	for (unsigned s = 0; s < 2; s++)
		if (states[s] != NULL)
			received_total += h_check_intents(states[s]);
	struct cv_machine_stats stats;
	cr_assert_eq(cv_machine_stats(h.m, &stats), CV_OK);
	for (unsigned i = 0; i < h.vend_count; i++) {
		struct h_vend *v = &h.vends[i];
		unsigned captured = 0;
		for (unsigned s = 0; s < 2; s++)
			if (states[s] != NULL)
				captured += h_intents_for(states[s], v->vend_id, "succeeded");
		cr_assert_leq(captured, 1, "double capture: vend %u has %u captured intents", (unsigned)v->number,
			      captured);
		cr_assert_eq(captured, v->state == CV_VEND_STATE_CAPTURED ? 1u : 0u,
			     "vend %u ended %s with %u captured intents", (unsigned)v->number,
			     cv_vend_state_str(v->state), captured);
		cr_assert(h_terminal(v->state), "vend %u not finished (%s)", (unsigned)v->number,
			  cv_vend_state_str(v->state));
	}
	cr_assert_eq(stats.captured_minor, received_total, "engine captured %lld, processor received %lld",
		     (long long)stats.captured_minor, (long long)received_total);
	cr_assert_eq(stats.vends_capture_failed, 0);
	cr_assert_eq(stats.vends_void_failed, 0);
	struct cv_sim_truth truth;
	cv_sim_truth(h.sim, &truth);
	cr_assert_eq(truth.items_dropped, stats.drops_verified, "%u items fell, %u drops verified",
		     (unsigned)truth.items_dropped, (unsigned)stats.drops_verified);
	cr_assert_geq(truth.items_dropped, stats.vends_captured);
	for (unsigned s = 0; s < 2; s++)
		json_decref(states[s]);
}
