/* SPDX-License-Identifier: MIT */
/* The simulated machine the engine benchmarks sell from. */
#ifndef CANDYVEND_BENCH_WORLD_H
#define CANDYVEND_BENCH_WORLD_H

#include <stdint.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

/* lane_count lanes "A1".. of "Candy n" at 150, capacity 1000 and full; the
 * simulated devices answer in 1 ms of virtual time and hold sim_stock
 * items per lane. */
void bench_world(struct cv_sim_config *sim, struct cv_lane_config *lanes, unsigned lane_count, uint16_t sim_stock);

#endif
