/* SPDX-License-Identifier: MIT */
/* What simulated customers and operators do, shared by the simulation tests. */
#ifndef CANDYVEND_TEST_SIM_VISIT_H
#define CANDYVEND_TEST_SIM_VISIT_H

#include <stdbool.h>
#include <stdint.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

/* The simulation tests' planogram: six lanes A1..B3 of candy priced 1.25
 * to 2.50, 8 of 12 in stock; lane 3 needs no drop sensor and lane 4 uses it
 * only if it works (the verify modes other tests rarely reach). */
#define SIM_VISIT_LANES 6

/* The fault rates the seeded runs use: declines, unknown outcomes of every
 * payment operation, jams, stuck products, missed and false drops. */
void sim_visit_fault_rates(struct cv_sim_config *config);

/* splitmix64 over *state: the customers' choices, kept apart from the sim's
 * own dice so that a seed replays. */
uint64_t sim_visit_random(uint64_t *state);
void sim_visit_planogram(struct cv_lane_config lanes[SIM_VISIT_LANES]);

/* An operator's visit: each of the machine's lanes is topped up to capacity
 * in the sim and counted full in the engine (missed and false drops made the
 * two drift apart), quarantines are cleared. refilled[lane] grows by the
 * items the engine's counts went up by. */
void sim_visit_service(struct cv_machine *m, struct cv_sim *sim, int32_t *refilled);

/* Picks one of the lanes the menu offers, with pick(n) giving 0..n-1; false
 * if none is available. */
bool sim_visit_pick_lane(const struct cv_machine *m, uint32_t (*pick)(uint32_t n), uint16_t *lane);

#endif
