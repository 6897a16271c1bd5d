/* SPDX-License-Identifier: MIT */
#include "sim_visit.h"

#include <criterion/criterion.h>
#include <stdio.h>

void sim_visit_service(struct cv_machine *m, struct cv_sim *sim, int32_t *refilled)
{
	struct cv_sim_truth truth;
	cv_sim_truth(sim, &truth);
	cr_assert_eq(cv_machine_service_enter(m), CV_OK);
	for (uint16_t i = 0; i < cv_machine_lane_count(m); i++) {
		struct cv_lane_info lane;
		cv_machine_lane_info(m, i, &lane);
		uint16_t capacity = lane.config.capacity;
		if (truth.stock[i] < capacity)
			cr_assert_eq(cv_sim_load(sim, i, (uint16_t)(capacity - truth.stock[i])), CV_OK);
		cr_assert_eq(cv_machine_lane_set_count(m, i, capacity), CV_OK);
		refilled[i] += capacity - lane.config.count;
		if (lane.quarantined)
			cr_assert_eq(cv_machine_lane_clear_quarantine(m, i), CV_OK);
	}
	cr_assert_eq(cv_machine_service_exit(m), CV_OK);
}

bool sim_visit_pick_lane(const struct cv_machine *m, uint32_t (*pick)(uint32_t n), uint16_t *lane)
{
	struct cv_menu_item menu[CV_LANES_MAX];
	uint16_t available[CV_LANES_MAX];
	size_t count = 0;
	uint32_t n = 0;
	cr_assert_eq(cv_machine_menu(m, menu, CV_LANES_MAX, &count), CV_OK);
	for (size_t i = 0; i < count; i++)
		if (menu[i].availability == CV_LANE_AVAILABLE)
			available[n++] = menu[i].lane;
	if (n == 0)
		return false;
	*lane = available[pick(n)];
	return true;
}

void sim_visit_planogram(struct cv_lane_config lanes[SIM_VISIT_LANES])
{
	static const char *const names[SIM_VISIT_LANES] = {"Gummy Bears", "Sour Worms",  "Choco Bar",
							   "Mint Strips", "Jelly Beans", "Toffee"};
	for (unsigned i = 0; i < SIM_VISIT_LANES; i++) {
		struct cv_lane_config *l = &lanes[i];
		cv_lane_config_default(l);
		snprintf(l->label, sizeof(l->label), "%c%u", 'A' + i / 3, i % 3 + 1);
		snprintf(l->product_id, sizeof(l->product_id), "SKU-%u", 100 + i);
		snprintf(l->product_name, sizeof(l->product_name), "%s", names[i]);
		l->price_minor = 125 + 25 * (int64_t)i;
		l->capacity = 12;
		l->count = 8;
		l->low_stock_threshold = 2;
	}
	lanes[3].verify_mode = CV_VERIFY_MODE_OFF;
	lanes[4].verify_mode = CV_VERIFY_MODE_OPTIONAL;
}

void sim_visit_fault_rates(struct cv_sim_config *config)
{
	config->decline_permille = 80;
	config->unknown_permille = 40;
	config->lookup_unknown_permille = 150;
	config->settle_unknown_permille = 80;
	config->jam_permille = 20;
	config->stuck_permille = 60;
	config->missed_drop_permille = 20;
	config->false_drop_permille = 5;
}

uint64_t sim_visit_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
