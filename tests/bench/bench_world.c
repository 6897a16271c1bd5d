/* SPDX-License-Identifier: MIT */
#include "bench_world.h"

#include <stdio.h>

void bench_world(struct cv_sim_config *sim, struct cv_lane_config *lanes, unsigned lane_count, uint16_t sim_stock)
{
	cv_sim_config_default(sim);
	sim->lane_count = (uint16_t)lane_count;
	sim->payment_latency_ms = 1;
	sim->motor_ms = 1;
	sim->drop_delay_ms = 1;
	for (uint8_t i = 0; i < lane_count && i < CV_LANES_MAX; i++) {
		sim->stock[i] = sim_stock;
		cv_lane_config_default(&lanes[i]);
		snprintf(lanes[i].label, sizeof(lanes[i].label), "A%u", i + 1u);
		snprintf(lanes[i].product_name, sizeof(lanes[i].product_name), "Candy %u", i + 1);
		lanes[i].price_minor = 150;
		lanes[i].capacity = 1000;
		lanes[i].count = 1000;
	}
}
