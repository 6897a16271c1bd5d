/* SPDX-License-Identifier: MIT */
/* The simulated reader's store and forward. With no link to the processor,
 * a reader configured offline-capable approves a card itself when the
 * engine's request allows it (the engine applies the operator's policy),
 * stores the payment, settles captures and voids of it locally, and
 * forwards what it holds as soon as a link is usable again. Until then the
 * processor knows nothing of it: its money shows up in the truth as
 * "unsent", never as captured. */
#include <string.h>

#include "sim_private.h"

bool cv_sim_offline_can_approve(const struct cv_sim *sim)
{
	return sim->config.offline_capable && sim->stored_count < CV_SIM_STORED_MAX;
}

void cv_sim_offline_store(struct cv_sim *sim, struct cv_sim_auth *auth)
{
	auth->stored = true;
	auth->stored_ms = sim->now_ms;
	/* No issuer answered: EMV's offline approval code. */
	memset(auth->card.auth_code, 0, sizeof(auth->card.auth_code));
	memcpy(auth->card.auth_code, "Y1", 3);
	sim->stored[sim->stored_count++] = (uint16_t)(auth - sim->auths);
	sim->offline_approvals++;
}

/* A voided stored payment is deleted: the processor never hears of it. */
void cv_sim_offline_drop(struct cv_sim *sim, const struct cv_sim_auth *auth)
{
	uint16_t index = (uint16_t)(auth - sim->auths);
	for (size_t i = 0; i < sim->stored_count; i++) {
		if (sim->stored[i] != index)
			continue;
		sim->stored[i] = sim->stored[--sim->stored_count];
		sim->auths[index].stored = false;
		return;
	}
}

/* Sends everything stored over a usable link: a captured payment becomes a
 * capture at the processor, a payment still held a real hold. */
void cv_sim_offline_forward(struct cv_sim *sim)
{
	for (size_t i = 0; i < sim->stored_count; i++) {
		struct cv_sim_auth *auth = &sim->auths[sim->stored[i]];
		auth->stored = false;
		if (auth->state == CV_SIM_AUTH_CAPTURED) {
			sim->captures++;
			sim->captured_minor += auth->captured.amount_minor;
		}
	}
	sim->stored_count = 0;
}

static int64_t cv_sim_offline_amount(const struct cv_sim_auth *auth)
{
	return auth->state == CV_SIM_AUTH_CAPTURED ? auth->captured.amount_minor : auth->amount.amount_minor;
}

enum cv_status cv_sim_pay_offline_status(void *ctx, struct cv_offline_status *out)
{
	const struct cv_sim *sim = ctx;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sim->stored_count; i++) {
		const struct cv_sim_auth *auth = &sim->auths[sim->stored[i]];
		uint32_t age_s = (uint32_t)((sim->now_ms - auth->stored_ms) / 1000u);
		out->unsent_count++;
		out->unsent_total_minor += cv_sim_offline_amount(auth);
		if (age_s > out->oldest_age_s)
			out->oldest_age_s = age_s;
	}
	return CV_OK;
}

void cv_sim_offline_truth(const struct cv_sim *sim, struct cv_sim_truth *out)
{
	out->offline_approvals = sim->offline_approvals;
	out->offline_unsent = (uint32_t)sim->stored_count;
	for (size_t i = 0; i < sim->stored_count; i++) {
		const struct cv_sim_auth *auth = &sim->auths[sim->stored[i]];
		if (auth->state == CV_SIM_AUTH_CAPTURED)
			out->offline_unsent_captured_minor += auth->captured.amount_minor;
	}
}
