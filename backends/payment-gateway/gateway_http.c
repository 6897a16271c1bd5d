/* SPDX-License-Identifier: MIT */
/* libcurl's multi interface inside the application's loop: libcurl tells us
 * which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); the application polls, and cv_gateway_process()
 * hands ready sockets and expired timers to curl_multi_socket_action().
 * Nothing here blocks and nothing calls curl_easy_perform(). */
#include <poll.h>
#include <string.h>
#include <strings.h>

#include "gateway_private.h"

/* Finished transfers handed on per drive, and socket_action rounds: a
 * failover or a second step starts a new transfer that libcurl wants to kick
 * off at once, so a few rounds run in one call. Both bound the work per call. */
#define CV_GW_DRIVE_ROUNDS 4

static int cv_gw_on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct cv_gateway *gw = userp;
	struct cv_gw_socket *entry = NULL;
	struct cv_gw_socket *free_entry = NULL;
	for (size_t i = 0; i < CV_GW_SOCKETS_MAX; i++) {
		if (gw->sockets[i].fd == (int)s)
			entry = &gw->sockets[i];
		else if (gw->sockets[i].fd < 0 && free_entry == NULL)
			free_entry = &gw->sockets[i];
	}
	if (what == CURL_POLL_REMOVE) {
		if (entry != NULL) {
			entry->fd = -1;
			entry->events = 0;
		}
		return 0;
	}
	if (entry == NULL)
		entry = free_entry;
	if (entry == NULL)
		return -1; /* Cannot happen with CV_GATEWAY_POLLFDS_MAX entries; libcurl fails the transfers. */
	entry->fd = (int)s;
	entry->events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		entry->events |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		entry->events |= POLLOUT;
	return 0;
}

static int cv_gw_on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct cv_gateway *gw = userp;
	if (timeout_ms < 0) {
		gw->timer_armed = false;
		return 0;
	}
	gw->timer_armed = true;
	gw->timer_due_ms = gw->now_ms + (uint64_t)timeout_ms;
	return 0;
}

static size_t cv_gw_on_body(char *data, size_t size, size_t count, void *userp)
{
	struct cv_gw_body *body = userp;
	size_t n = size * count;
	if (body->data == NULL)
		return n; /* A probe: any answer will do, the bytes don't matter. */
	if (n > CV_GW_BODY_MAX - body->length) {
		body->overflow = true;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR. */
	}
	memcpy(body->data + body->length, data, n);
	body->length += n;
	return n;
}

/* Whether header line @p data (@p n bytes) is @p name (with its colon); if
 * so, *value and *value_len give its value without surrounding blanks. */
static bool cv_gw_header_is(const char *data, size_t n, const char *name, const char **value, size_t *value_len)
{
	size_t name_len = strlen(name);
	if (n <= name_len || strncasecmp(data, name, name_len) != 0)
		return false;
	size_t i = name_len;
	while (i < n && (data[i] == ' ' || data[i] == '\t'))
		i++;
	size_t end = n;
	while (end > i &&
	       (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' ' || data[end - 1] == '\t'))
		end--;
	*value = data + i;
	*value_len = end - i;
	return true;
}

static size_t cv_gw_on_header(char *data, size_t size, size_t count, void *userp)
{
	struct cv_gw_body *body = userp;
	size_t n = size * count;
	const char *value = NULL;
	size_t len = 0;
	/* A new response (a 100 Continue first, say) starts again. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		body->replayed = false;
		body->key_mismatch = false;
	}
	/* Any "Idempotent-Replayed" but a plain "false" counts: a proxy that
	 * repeats or rewrites the header must not make a replay look fresh. */
	if (cv_gw_header_is(data, n, "Idempotent-Replayed:", &value, &len) &&
	    !(len == 5 && strncasecmp(value, "false", 5) == 0))
		body->replayed = true;
	/* The processor echoes the key it answered; another key is another
	 * request's answer. */
	if (cv_gw_header_is(data, n, "Idempotency-Key:", &value, &len) &&
	    (body->expect_key == NULL || len != strlen(body->expect_key) || memcmp(value, body->expect_key, len) != 0))
		body->key_mismatch = true;
	return n;
}

enum cv_status cv_gw_http_init(struct cv_gateway *gw)
{
	for (size_t i = 0; i < CV_GW_SOCKETS_MAX; i++)
		gw->sockets[i].fd = -1;
	gw->multi = curl_multi_init();
	if (gw->multi == NULL)
		return CV_E_NOMEM;
	if (curl_multi_setopt(gw->multi, CURLMOPT_SOCKETFUNCTION, cv_gw_on_socket) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_SOCKETDATA, gw) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_TIMERFUNCTION, cv_gw_on_timer) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_TIMERDATA, gw) != CURLM_OK) {
		curl_multi_cleanup(gw->multi);
		gw->multi = NULL;
		return CV_E_NOMEM;
	}
	return CV_OK;
}

void cv_gw_http_fini(struct cv_gateway *gw)
{
	if (gw->multi == NULL)
		return;
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++)
		if (gw->slots[i].easy != NULL)
			curl_multi_remove_handle(gw->multi, gw->slots[i].easy);
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++)
		if (gw->links[i].probe != NULL)
			curl_multi_remove_handle(gw->multi, gw->links[i].probe);
	curl_multi_cleanup(gw->multi);
	gw->multi = NULL;
}

void cv_gw_http_common(struct cv_gateway *gw, CURL *easy, const struct cv_gw_link *link, struct cv_gw_body *body,
		       uint64_t timeout_ms)
{
	body->length = 0;
	body->overflow = false;
	body->replayed = false;
	body->key_mismatch = false;
	body->expect_key = NULL;
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
	/* The link's own scheme only: plain http was allowed for a loopback link alone. */
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, link->https ? "https" : "http");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	/* One connection per request. libcurl resends a request by itself when a
	 * reused connection turns out dead, which would hide an unknown outcome
	 * from the engine and blur which link an outcome belongs to. */
	curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)gw->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	/* TLS: certificates and host names are always verified (PCI DSS 4.2.1). */
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (gw->ca_file[0] != '\0') {
		/* Instead of the system's store, not beside it (Debian's libcurl
		 * also reads a CA directory unless told not to). */
		curl_easy_setopt(easy, CURLOPT_CAINFO, gw->ca_file);
		curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, cv_gw_on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, cv_gw_on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, body);
	curl_easy_setopt(easy, CURLOPT_USERAGENT,
			 "libcandyvend-gateway/"
			 "1");
}

enum cv_status cv_gw_http_add(struct cv_gateway *gw, CURL *easy)
{
	return curl_multi_add_handle(gw->multi, easy) == CURLM_OK ? CV_OK : CV_E_IO;
}

void cv_gw_http_remove(struct cv_gateway *gw, CURL *easy)
{
	curl_multi_remove_handle(gw->multi, easy);
}

/* What the transport says about a finished transfer. A request counts as
 * not sent only when no byte of it can have left: libcurl wrote none
 * (CURLINFO_REQUEST_SIZE is 0) and the connection never got as far as
 * sending (no TCP connection, or for https no finished TLS handshake, which
 * comes before the request). A connection that was up and wrote "nothing"
 * may still have sent the rest later. Once a byte may have left, whatever
 * went wrong after (an answer that is not HTTP, a reset, a timeout) leaves
 * the outcome unknown. */
static enum cv_gw_transport cv_gw_classify(CURL *easy, CURLcode code, long *http_status)
{
	*http_status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, http_status);
	if (code == CURLE_OK)
		return *http_status > 0 ? CV_GW_TRANSPORT_ANSWERED : CV_GW_TRANSPORT_UNKNOWN;
	if (code == CURLE_WRITE_ERROR && *http_status > 0)
		return CV_GW_TRANSPORT_ANSWERED; /* Answer too long: the caller sees the overflow. */
	*http_status = 0;
	if (CV_GW_MUTATED(CV_GW_MUTANT_GARBAGE_UNSENT) && code == CURLE_UNSUPPORTED_PROTOCOL)
		return CV_GW_TRANSPORT_NOT_SENT;
	long sent = -1;
	curl_off_t connected = -1;
	curl_off_t handshaken = -1;
	const char *scheme = NULL;
	if (curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent) != CURLE_OK || sent != 0 ||
	    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connected) != CURLE_OK ||
	    curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &handshaken) != CURLE_OK ||
	    curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme) != CURLE_OK)
		return CV_GW_TRANSPORT_UNKNOWN;
	bool https = scheme != NULL && strcasecmp(scheme, "https") == 0;
	if (connected == 0 || (https && handshaken == 0))
		return CV_GW_TRANSPORT_NOT_SENT;
	return CV_GW_TRANSPORT_UNKNOWN;
}

static void cv_gw_http_reap(struct cv_gateway *gw)
{
	int left = 0;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(gw->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		long http_status = 0;
		enum cv_gw_transport transport = cv_gw_classify(easy, code, &http_status);
		curl_multi_remove_handle(gw->multi, easy);
		cv_gw_transfer_done(gw, easy, transport, http_status);
	}
}

void cv_gw_http_drive(struct cv_gateway *gw, const struct pollfd *fds, size_t n)
{
	int running = 0;
	for (size_t i = 0; fds != NULL && i < n; i++) {
		if (fds[i].fd < 0 || fds[i].revents == 0)
			continue;
		int mask = 0;
		if (fds[i].revents & (POLLIN | POLLHUP))
			mask |= CURL_CSELECT_IN;
		if (fds[i].revents & POLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (fds[i].revents & (POLLERR | POLLNVAL))
			mask |= CURL_CSELECT_ERR;
		curl_multi_socket_action(gw->multi, fds[i].fd, mask, &running);
	}
	cv_gw_http_reap(gw);
	for (unsigned round = 0; round < CV_GW_DRIVE_ROUNDS; round++) {
		if (!gw->timer_armed || gw->timer_due_ms > gw->now_ms)
			break;
		gw->timer_armed = false;
		curl_multi_socket_action(gw->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		cv_gw_http_reap(gw);
	}
}

int cv_gw_http_timeout_ms(const struct cv_gateway *gw)
{
	if (!gw->timer_armed)
		return -1;
	if (gw->timer_due_ms <= gw->now_ms)
		return 0;
	uint64_t wait = gw->timer_due_ms - gw->now_ms;
	return wait > 60000 ? 60000 : (int)wait;
}

size_t cv_gw_http_pollfds(const struct cv_gateway *gw, struct pollfd *fds, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < CV_GW_SOCKETS_MAX && n < cap; i++) {
		if (gw->sockets[i].fd < 0)
			continue;
		fds[n].fd = gw->sockets[i].fd;
		fds[n].events = gw->sockets[i].events;
		fds[n].revents = 0;
		n++;
	}
	return n;
}
