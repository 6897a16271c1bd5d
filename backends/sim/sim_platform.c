/* SPDX-License-Identifier: MIT */
/*
 * Platform for simulations: randomness from the seed, a wall clock that
 * follows the simulated time, no log sink.
 */
#include <string.h>

#include "sim_private.h"

/* 2026-01-01T00:00:00Z in ms since the epoch: receipts of a run carry
 * reproducible dates. */
#define CV_SIM_EPOCH_MS 1767225600000ll

/* Draws from the platform stream only, so scripting a fault (which rolls the
 * fault stream differently) never changes vend ids. */
static void cv_sim_platform_random_bytes(void *ctx, void *buf, size_t length)
{
	struct cv_sim *sim = ctx;
	unsigned char *out = buf;
	while (length > 0) {
		uint64_t word = cv_sim_rng_next(&sim->platform_rng);
		size_t chunk = length < sizeof(word) ? length : sizeof(word);
		memcpy(out, &word, chunk);
		out += chunk;
		length -= chunk;
	}
}

static int64_t cv_sim_platform_wall_clock_ms(void *ctx)
{
	const struct cv_sim *sim = ctx;
	return CV_SIM_EPOCH_MS + (int64_t)sim->now_ms;
}

CV_SIM_EXPORT const struct cv_platform_ops cv_sim_platform_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_platform_ops),
	.random_bytes = cv_sim_platform_random_bytes,
	.wall_clock_ms = cv_sim_platform_wall_clock_ms,
	.log = NULL,
};

CV_SIM_EXPORT void cv_sim_attach(struct cv_sim *sim, struct cv_machine_config *config)
{
	config->platform = &cv_sim_platform_ops;
	config->platform_ctx = sim;
	config->dispenser = &cv_sim_dispenser_ops;
	config->dispenser_ctx = sim;
	config->sensor = &cv_sim_sensor_ops;
	config->sensor_ctx = sim;
	config->payment = &cv_sim_payment_ops;
	config->payment_ctx = sim;
}
