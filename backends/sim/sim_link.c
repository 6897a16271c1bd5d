/* SPDX-License-Identifier: MIT */
/* The simulated reader's network paths to its one processor (Wi-Fi and
 * cellular, say), each behind a circuit breaker. A link goes down and up at
 * random; an operation is sent over the first link whose breaker is closed,
 * and fails over to the next one only when nothing was sent (a definite
 * NOT_SENT). Once an operation's outcome is unknown, its key is pinned to
 * the link that carried it: resends and the lookup go over that link only,
 * until an answer settles it (docs/payments.md: never fail over while an
 * outcome is unknown). */
#include <string.h>

#include "sim_private.h"

/* A random duration with the given mean, from 1 ms to twice the mean. */
static uint64_t cv_sim_link_draw(struct cv_sim *sim, uint32_t mean_ms)
{
	return 1 + cv_sim_rng_below(&sim->rng, 2 * mean_ms);
}

void cv_sim_links_init(struct cv_sim *sim)
{
	for (unsigned i = 0; i < CV_SIM_LINKS_MAX; i++) {
		struct cv_sim_link *link = &sim->links[i];
		(void)cv_breaker_init(&link->breaker, NULL);
		link->down = false;
		link->next_change_ms = UINT64_MAX;
		/* Outages are drawn only if configured, so that runs without
		 * them roll the same dice as before links existed. */
		if (i < sim->config.link_count && sim->config.link_outage_every_ms != 0)
			link->next_change_ms = cv_sim_link_draw(sim, sim->config.link_outage_every_ms);
	}
}

/* Outages begin and end; half-open breakers send their probe; payments
 * the reader approved offline go out once a link works. */
void cv_sim_links_advance(struct cv_sim *sim)
{
	bool usable = false;
	for (unsigned i = 0; i < sim->config.link_count; i++) {
		struct cv_sim_link *link = &sim->links[i];
		/* The common case, every step: no outage due, breaker closed. */
		if (sim->now_ms < link->next_change_ms && link->breaker.state == CV_BREAKER_CLOSED)
			continue;
		while (sim->now_ms >= link->next_change_ms) {
			link->down = !link->down;
			uint32_t mean = link->down ? sim->config.link_outage_ms : sim->config.link_outage_every_ms;
			link->next_change_ms += cv_sim_link_draw(sim, mean);
		}
		if (cv_breaker_take_probe(&link->breaker, sim->now_ms))
			cv_breaker_record(&link->breaker, sim->now_ms, !link->down);
	}
	for (unsigned i = 0; i < sim->config.link_count && sim->stored_count > 0; i++)
		usable |= !sim->links[i].down && sim->links[i].breaker.state == CV_BREAKER_CLOSED;
	if (usable)
		cv_sim_offline_forward(sim);
}

CV_SIM_EXPORT enum cv_status cv_sim_set_link(struct cv_sim *sim, unsigned link, bool up)
{
	if (sim == NULL || link >= sim->config.link_count)
		return CV_E_INVAL;
	sim->links[link].down = !up;
	sim->links[link].next_change_ms = UINT64_MAX;
	return CV_OK;
}

static struct cv_sim_pin *cv_sim_pin_find(struct cv_sim *sim, const char *key)
{
	if (sim->pins_used == 0)
		return NULL;
	for (unsigned i = 0; i < CV_SIM_PINS_MAX; i++)
		if (sim->pins[i].used && strncmp(sim->pins[i].key, key, CV_IDEM_KEY_LEN) == 0)
			return &sim->pins[i];
	return NULL;
}

/* Tries link @p i: a link that is down refuses at once (nothing sent) and
 * its breaker hears of it. */
static bool cv_sim_link_try(struct cv_sim *sim, unsigned i)
{
	struct cv_sim_link *link = &sim->links[i];
	if (!cv_breaker_allows(&link->breaker, sim->now_ms))
		return false;
	if (!link->down)
		return true;
	sim->link_refusals++;
	cv_breaker_record(&link->breaker, sim->now_ms, false);
	return false;
}

int cv_sim_link_pick(struct cv_sim *sim, const char *key)
{
	const struct cv_sim_pin *pin = cv_sim_pin_find(sim, key);
	if (pin != NULL)
		return cv_sim_link_try(sim, pin->link) ? (int)pin->link : -1;
	for (unsigned i = 0; i < sim->config.link_count; i++) {
		if (!cv_sim_link_try(sim, i))
			continue;
		if (i > 0)
			sim->failovers++;
		return (int)i;
	}
	return -1;
}

void cv_sim_link_done(struct cv_sim *sim, int link, const char *key, enum cv_pay_result result)
{
	struct cv_sim_pin *pin = cv_sim_pin_find(sim, key);
	if (pin != NULL && (int)pin->link != link)
		sim->unknown_failovers++; /* Never, unless the routing above is broken. */
	bool unknown = result == CV_PAY_UNKNOWN;
	cv_breaker_record(&sim->links[link].breaker, sim->now_ms, !unknown);
	if (!unknown) {
		if (pin != NULL) {
			pin->used = false;
			sim->pins_used--;
		}
		return;
	}
	if (pin != NULL)
		return;
	for (unsigned i = 0; i < CV_SIM_PINS_MAX; i++) {
		if (sim->pins[i].used)
			continue;
		sim->pins[i].used = true;
		sim->pins_used++;
		sim->pins[i].link = (uint8_t)link;
		memcpy(sim->pins[i].key, key, CV_IDEM_KEY_LEN);
		sim->pins[i].key[CV_IDEM_KEY_LEN - 1] = '\0';
		return;
	}
	sim->pin_overflows++;
}

enum cv_status cv_sim_pay_health(void *ctx)
{
	struct cv_sim *sim = ctx;
	for (unsigned i = 0; i < sim->config.link_count; i++)
		if (cv_breaker_allows(&sim->links[i].breaker, sim->now_ms))
			return CV_OK;
	return CV_E_IO;
}

void cv_sim_links_truth(const struct cv_sim *sim, struct cv_sim_truth *out)
{
	out->failovers = sim->failovers;
	out->link_refusals = sim->link_refusals;
	out->unknown_failovers = sim->unknown_failovers;
	out->pin_overflows = sim->pin_overflows;
	for (unsigned i = 0; i < sim->config.link_count; i++)
		out->breaker_opens += sim->links[i].breaker.times_opened;
}
