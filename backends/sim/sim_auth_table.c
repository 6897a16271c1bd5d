/* SPDX-License-Identifier: MIT */
/* The simulated processor's table of authorizations, keyed by idempotency
 * key. A processor remembers a settled key for a while (a real one for
 * 24 h): a slot is reused only CV_SIM_KEY_TTL_MS after its authorization
 * settled, oldest first, so that a capture resent after a long outage still
 * finds its hold. Lookups go through hash chains and reuse through a FIFO
 * of settled slots, so every operation costs the same whatever the table's
 * size. */
#include <string.h>

#include "sim_private.h"

/* FNV-1a. */
static uint32_t cv_sim_key_hash(const char *key)
{
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < CV_IDEM_KEY_LEN && key[i] != '\0'; i++)
		hash = (hash ^ (uint8_t)key[i]) * 16777619u;
	return hash;
}

static uint16_t *cv_sim_auth_bucket(struct cv_sim *sim, uint32_t hash)
{
	return &sim->auth_buckets[hash % CV_SIM_AUTH_BUCKETS];
}

struct cv_sim_auth *cv_sim_auth_find(struct cv_sim *sim, const char *key)
{
	uint32_t hash = cv_sim_key_hash(key);
	/* Links hold index + 1, so that 0 ends a chain. */
	for (uint16_t link = *cv_sim_auth_bucket(sim, hash); link != 0; link = sim->auths[link - 1].next) {
		struct cv_sim_auth *auth = &sim->auths[link - 1];
		if (auth->state > CV_SIM_AUTH_COLLECTING && auth->key_hash == hash &&
		    strncmp(auth->key, key, CV_IDEM_KEY_LEN) == 0)
			return auth;
	}
	return NULL;
}

void cv_sim_auth_register(struct cv_sim *sim, size_t index)
{
	struct cv_sim_auth *auth = &sim->auths[index];
	auth->key_hash = cv_sim_key_hash(auth->key);
	uint16_t *bucket = cv_sim_auth_bucket(sim, auth->key_hash);
	auth->next = *bucket;
	*bucket = (uint16_t)(index + 1);
}

/* Takes a slot out of its chain and clears it. */
static void cv_sim_auth_unlink(struct cv_sim *sim, size_t index)
{
	struct cv_sim_auth *auth = &sim->auths[index];
	uint16_t *link = cv_sim_auth_bucket(sim, auth->key_hash);
	while (*link != 0 && *link != index + 1)
		link = &sim->auths[*link - 1].next;
	if (*link != 0)
		*link = auth->next;
	memset(auth, 0, sizeof(*auth));
}

void cv_sim_auth_release(struct cv_sim *sim, size_t index)
{
	cv_sim_auth_unlink(sim, index);
	sim->auth_free[sim->auth_free_count++] = (uint16_t)index;
}

long cv_sim_auth_reserve(struct cv_sim *sim)
{
	if (sim->auth_free_count > 0)
		return sim->auth_free[--sim->auth_free_count];
	if (sim->auth_high < CV_SIM_AUTH_MAX)
		return (long)sim->auth_high++;
	if (sim->settled_count == 0)
		return -1; /* Every slot is an open hold. */
	size_t index = sim->settled_ring[sim->settled_head];
	if (sim->now_ms - sim->auths[index].touched_ms < CV_SIM_KEY_TTL_MS)
		return -1; /* Even the oldest settled key is still remembered. */
	sim->settled_head = (sim->settled_head + 1) % CV_SIM_AUTH_MAX;
	sim->settled_count--;
	cv_sim_auth_unlink(sim, index);
	return (long)index;
}

void cv_sim_auth_settle(struct cv_sim *sim, struct cv_sim_auth *auth, enum cv_sim_auth_state state)
{
	auth->state = state;
	auth->touched_ms = sim->now_ms;
	/* Settled once per use of a slot, so the ring never overflows. */
	size_t tail = (sim->settled_head + sim->settled_count) % CV_SIM_AUTH_MAX;
	sim->settled_ring[tail] = (uint16_t)(auth - sim->auths);
	sim->settled_count++;
}
