/* SPDX-License-Identifier: MIT */
/* The application's loop: what to poll, how long to wait, and the work of
 * cv_gateway_process() (transfers driven, completions posted again, card
 * collections timed out, half-open links probed). Never blocks. */
#include <string.h>

#include "gateway_private.h"

/* A probe may take this long. */
#define CV_GW_PROBE_TIMEOUT_MS 5000u
/* Wake-up while a breaker is open (it turns half-open by time alone) or a
 * completion waits for room in the engine's queue. */
#define CV_GW_IDLE_WAKE_MS 250
#define CV_GW_REPOST_WAKE_MS 5

static void cv_gw_tick(struct cv_gateway *gw, uint64_t now_ms)
{
	if (now_ms > gw->now_ms)
		gw->now_ms = now_ms;
}

static void cv_gw_probe_start(struct cv_gateway *gw, struct cv_gw_link *link)
{
	CURL *easy = link->probe;
	curl_easy_reset(easy);
	cv_gw_http_common(gw, easy, link, &link->probe_body, CV_GW_PROBE_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_URL, link->probe_url);
	memset(link->probe_headers, 0, sizeof(link->probe_headers));
	link->probe_headers[0].data = gw->auth_header;
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, link->probe_headers);
	if (cv_gw_http_add(gw, easy) != CV_OK) {
		cv_breaker_record(&link->breaker, gw->now_ms, false);
		return;
	}
	link->probe_running = true;
	cv_gw_logf(gw, CV_LOG_INFO, "gateway: probing link %u", (unsigned)(link - gw->links));
}

void cv_gw_probe_done(struct cv_gateway *gw, struct cv_gw_link *link, enum cv_gw_transport transport)
{
	link->probe_running = false;
	bool ok = transport == CV_GW_TRANSPORT_ANSWERED;
	cv_breaker_record(&link->breaker, gw->now_ms, ok);
	cv_gw_logf(gw, ok ? CV_LOG_INFO : CV_LOG_WARN, "gateway: probe of link %u %s, breaker %s",
		   (unsigned)(link - gw->links), ok ? "answered" : "failed",
		   cv_breaker_state_str(cv_breaker_state(&link->breaker, gw->now_ms)));
}

CV_GW_EXPORT void cv_gateway_process(struct cv_gateway *gateway, uint64_t now_ms, const struct pollfd *fds, size_t n)
{
	struct cv_gateway *gw = gateway;
	cv_gw_tick(gw, now_ms);
	cv_gw_http_drive(gw, fds, n);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		struct cv_gw_slot *slot = &gw->slots[i];
		if (slot->state == CV_GW_SLOT_POSTING) {
			cv_gw_post(gw, slot);
		} else if (slot->state == CV_GW_SLOT_COLLECTING && slot->deadline_ms <= gw->now_ms) {
			/* No card in time: nothing was sent, the customer is gone. */
			uint32_t op_id = slot->req.op_id;
			if (gw->abort_collect != NULL)
				gw->abort_collect(gw->reader_ctx, gw, op_id);
			if (cv_gw_collecting(gw, op_id) == slot)
				cv_gw_complete_code(gw, slot, CV_PAY_CANCELLED);
		}
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		struct cv_gw_link *link = &gw->links[i];
		if (link->configured && !link->probe_running && cv_breaker_take_probe(&link->breaker, gw->now_ms))
			cv_gw_probe_start(gw, link);
	}
}

CV_GW_EXPORT int cv_gateway_timeout_ms(struct cv_gateway *gateway, uint64_t now_ms)
{
	struct cv_gateway *gw = gateway;
	cv_gw_tick(gw, now_ms);
	int wait = cv_gw_http_timeout_ms(gw);
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++) {
		const struct cv_gw_slot *slot = &gw->slots[i];
		int due = -1;
		if (slot->state == CV_GW_SLOT_POSTING)
			due = CV_GW_REPOST_WAKE_MS;
		else if (slot->state == CV_GW_SLOT_COLLECTING)
			due = slot->deadline_ms <= gw->now_ms          ? 0
			      : slot->deadline_ms - gw->now_ms > 60000 ? 60000
								       : (int)(slot->deadline_ms - gw->now_ms);
		if (due >= 0 && (wait < 0 || due < wait))
			wait = due;
	}
	for (unsigned i = 0; i < CV_GATEWAY_LINKS_MAX; i++) {
		struct cv_gw_link *link = &gw->links[i];
		if (!link->configured || link->probe_running)
			continue;
		enum cv_breaker_state state = cv_breaker_state(&link->breaker, gw->now_ms);
		int due = state == CV_BREAKER_HALF_OPEN ? 0 : state == CV_BREAKER_OPEN ? CV_GW_IDLE_WAKE_MS : -1;
		if (due >= 0 && (wait < 0 || due < wait))
			wait = due;
	}
	return wait;
}

CV_GW_EXPORT size_t cv_gateway_pollfds(struct cv_gateway *gateway, struct pollfd *fds, size_t cap)
{
	return cv_gw_http_pollfds(gateway, fds, cap);
}

CV_GW_EXPORT enum cv_breaker_state cv_gateway_link_state(struct cv_gateway *gateway, unsigned index)
{
	if (index >= CV_GATEWAY_LINKS_MAX || !gateway->links[index].configured)
		return CV_BREAKER_OPEN;
	return cv_breaker_state(&gateway->links[index].breaker, gateway->now_ms);
}
