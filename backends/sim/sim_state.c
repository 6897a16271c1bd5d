/* SPDX-License-Identifier: MIT */
/*
 * The simulated world outside the controller, kept across the controller's
 * lives: saving and restoring it (so a program killed at any moment can
 * start again on the same shelves and the same processor), and what a power
 * cut does to the machine's own hardware.
 *
 * An image is a header and a copy of the whole struct cv_sim, minus what
 * belongs to one life of the program: the machine pointer, which tables are
 * open, and the clock (it moves at every step; leaving it out makes the
 * images of a world that only watched time pass identical, so a caller can
 * skip writing them). It is valid only for the build that wrote it: the
 * header carries the struct's size and a checksum of the body.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_private.h"

#define CV_SIM_STATE_MAGIC "CVSIMWLD"
#define CV_SIM_STATE_VERSION 1u

struct cv_sim_state_header {
	char magic[8];
	uint32_t version;
	uint32_t body_size;
	uint64_t checksum; /* FNV-1a 64 of the body. */
};

/* A different platform stream for every power cut, so a life that starts
 * from an image older than the previous life's last random draws never
 * repeats them (vend ids, and the payment keys made from them, must stay
 * unique across lives, as on a machine with a real random source). */
#define CV_SIM_CUT_STREAM 0x5EEDC0DE0FF1CEull

/* FNV-1a over 64-bit words (the tail byte by byte): it catches a torn or
 * damaged file, not an adversary, and a word at a time keeps a save of the
 * whole world cheap enough to do at every step. */
static uint64_t cv_sim_state_checksum(const void *bytes, size_t size)
{
	const unsigned char *p = bytes;
	uint64_t hash = 0xcbf29ce484222325ull;
	size_t i = 0;
	for (; i + sizeof(uint64_t) <= size; i += sizeof(uint64_t)) {
		uint64_t word;
		memcpy(&word, p + i, sizeof(word));
		hash = (hash ^ word) * 0x100000001b3ull;
	}
	for (; i < size; i++)
		hash = (hash ^ p[i]) * 0x100000001b3ull;
	return hash;
}

CV_SIM_EXPORT size_t cv_sim_state_size(void)
{
	return sizeof(struct cv_sim_state_header) + sizeof(struct cv_sim);
}

CV_SIM_EXPORT enum cv_status cv_sim_state_save(const struct cv_sim *sim, void *buf, size_t size)
{
	if (sim == NULL || buf == NULL)
		return CV_E_INVAL;
	if (size < cv_sim_state_size())
		return CV_E_NOMEM;
	struct cv_sim_state_header header = {.version = CV_SIM_STATE_VERSION, .body_size = sizeof(struct cv_sim)};
	memcpy(header.magic, CV_SIM_STATE_MAGIC, sizeof(header.magic));
	unsigned char *body = (unsigned char *)buf + sizeof(header);
	memcpy(body, sim, sizeof(*sim));
	struct cv_sim *copy = (struct cv_sim *)(void *)body;
	copy->machine = NULL;
	copy->open_mask = 0;
	copy->now_ms = 0;
	header.checksum = cv_sim_state_checksum(body, sizeof(*sim));
	memcpy(buf, &header, sizeof(header));
	return CV_OK;
}

/* Indexes the code trusts: a body that passed its checksum but was written by
 * a broken program must still not send it out of its arrays. */
static bool cv_sim_state_indexes_valid(const struct cv_sim *s)
{
	if (s->config.lane_count < 1 || s->config.lane_count > CV_LANES_MAX || s->config.link_count < 1 ||
	    s->config.link_count > CV_SIM_LINKS_MAX)
		return false;
	if (s->sched_high > CV_SIM_SCHED_MAX || s->auth_high > CV_SIM_AUTH_MAX ||
	    s->auth_free_count > CV_SIM_AUTH_MAX || s->settled_head >= CV_SIM_AUTH_MAX ||
	    s->settled_count > CV_SIM_AUTH_MAX || s->stored_count > CV_SIM_STORED_MAX ||
	    s->pins_used > CV_SIM_PINS_MAX || s->motion.lane >= s->config.lane_count)
		return false;
	for (size_t i = 0; i < CV_SIM_KIND_COUNT; i++)
		if (s->faults[i].head >= CV_SIM_FAULT_QUEUE_MAX || s->faults[i].count > CV_SIM_FAULT_QUEUE_MAX)
			return false;
	return true;
}

static bool cv_sim_state_text_ok(const char *text, size_t size)
{
	return memchr(text, '\0', size) != NULL;
}

static bool cv_sim_state_auth_ok(const struct cv_sim *s, const struct cv_sim_auth *a)
{
	const struct cv_card_summary *c = &a->card;
	return a->next <= s->auth_high && cv_sim_state_text_ok(a->key, sizeof(a->key)) &&
	       cv_sim_state_text_ok(a->processor_ref, sizeof(a->processor_ref)) &&
	       cv_sim_state_text_ok(a->capture_key, sizeof(a->capture_key)) &&
	       cv_sim_state_text_ok(c->brand, sizeof(c->brand)) && cv_sim_state_text_ok(c->last4, sizeof(c->last4)) &&
	       cv_sim_state_text_ok(c->auth_code, sizeof(c->auth_code)) &&
	       cv_sim_state_text_ok(c->aid, sizeof(c->aid)) && cv_sim_state_text_ok(c->app_label, sizeof(c->app_label));
}

/* The processor's table: every link and list names a slot in use, every
 * text ends inside its field, and walking all hash chains visits each slot
 * at most once (a cycle would make every lookup spin). */
static bool cv_sim_state_auths_valid(const struct cv_sim *s)
{
	size_t visits = 0;
	for (size_t b = 0; b < CV_SIM_AUTH_BUCKETS; b++)
		for (uint16_t link = s->auth_buckets[b]; link != 0; link = s->auths[link - 1].next)
			if (link > s->auth_high || ++visits > s->auth_high)
				return false;
	for (size_t i = 0; i < s->auth_high; i++)
		if (!cv_sim_state_auth_ok(s, &s->auths[i]))
			return false;
	if (s->auth_free_count > s->auth_high || s->settled_count > s->auth_high)
		return false;
	for (size_t i = 0; i < s->auth_free_count; i++)
		if (s->auth_free[i] >= s->auth_high)
			return false;
	for (size_t k = 0; k < s->settled_count; k++)
		if (s->settled_ring[(s->settled_head + k) % CV_SIM_AUTH_MAX] >= s->auth_high)
			return false;
	for (size_t i = 0; i < s->stored_count; i++)
		if (s->stored[i] >= s->auth_high)
			return false;
	for (size_t i = 0; i < CV_SIM_PINS_MAX; i++)
		if (s->pins[i].used && (s->pins[i].link >= CV_SIM_LINKS_MAX ||
					!cv_sim_state_text_ok(s->pins[i].key, sizeof(s->pins[i].key))))
			return false;
	return !s->collect.active || (s->collect.auth_index < s->auth_high && s->collect.entry_index < s->sched_high);
}

CV_SIM_EXPORT enum cv_status cv_sim_state_restore(struct cv_sim *sim, const void *buf, size_t size, uint64_t now_ms)
{
	if (sim == NULL || buf == NULL)
		return CV_E_INVAL;
	if (sim->open_mask != 0)
		return CV_E_STATE;
	struct cv_sim_state_header header;
	if (size < sizeof(header))
		return CV_E_CORRUPT;
	memcpy(&header, buf, sizeof(header));
	if (memcmp(header.magic, CV_SIM_STATE_MAGIC, sizeof(header.magic)) != 0)
		return CV_E_CORRUPT;
	if (header.version != CV_SIM_STATE_VERSION || header.body_size != sizeof(struct cv_sim))
		return CV_E_VERSION;
	if (size != cv_sim_state_size())
		return CV_E_CORRUPT;
	const unsigned char *body = (const unsigned char *)buf + sizeof(header);
	if (cv_sim_state_checksum(body, sizeof(struct cv_sim)) != header.checksum)
		return CV_E_CORRUPT;
	/* Checked in a copy: a refused image leaves the sim as it was. */
	struct cv_sim *restored = malloc(sizeof(*restored));
	if (restored == NULL)
		return CV_E_NOMEM;
	memcpy(restored, body, sizeof(*restored));
	bool valid = cv_sim_state_indexes_valid(restored) && cv_sim_state_auths_valid(restored);
	if (valid) {
		restored->now_ms = now_ms;
		memcpy(sim, restored, sizeof(*sim));
	}
	free(restored);
	return valid ? CV_OK : CV_E_CORRUPT;
}

/* An item already pushed out of its lane is in the air: it lands, but the
 * beam has no power and reports nothing. Everything else the scheduler held
 * dies with the power: the rest of a movement (the lane keeps its item), a
 * beam firing, and every answer on its way to the machine that was running
 * (the processor keeps what it did; the machine will ask). */
static void cv_sim_cut_scheduler(struct cv_sim *sim)
{
	for (size_t i = 0; i < sim->sched_high; i++) {
		struct cv_sim_entry *entry = &sim->sched[i];
		if (entry->used && !entry->parked && entry->task == CV_SIM_TASK_FALL)
			cv_sim_fall_land(sim, entry);
		entry->used = false;
	}
}

CV_SIM_EXPORT enum cv_status cv_sim_power_cut(struct cv_sim *sim)
{
	if (sim == NULL)
		return CV_E_INVAL;
	if (sim->open_mask != 0)
		return CV_E_STATE;
	sim->sensor_armed = false;
	cv_sim_cut_scheduler(sim);
	sim->motion.running = false;
	if (sim->collect.active) {
		/* The reader loses the card it was reading; the processor never
		 * heard of that payment. */
		cv_sim_auth_release(sim, sim->collect.auth_index);
		sim->collect.active = false;
	}
	sim->power_cuts++;
	sim->platform_rng.state ^= cv_sim_mix(sim->power_cuts ^ CV_SIM_CUT_STREAM);
	return CV_OK;
}
