/* SPDX-License-Identifier: MIT */
/*
 * backend-example: a machine whose dispenser and drop sensor are the bench
 * board's (bench_board.c), with the simulated payment terminal and the RAM
 * journal. Sells three items and checks that the books agree with the
 * hardware: exit status 0 only if they do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

#include "bench_board.h"

#define TICK_MS 20u

static void on_event(struct cv_machine *machine, const struct cv_event *event, void *user_data)
{
	(void)machine;
	(void)user_data;
	if (event->type == CV_EVENT_VEND_STATE && cv_vend_state_is_terminal(event->u.vend.state))
		printf("vend %" PRIu32 " lane %u: %s\n", event->u.vend.vend_number, (unsigned)event->u.vend.lane,
		       cv_vend_state_str(event->u.vend.state));
}

int main(void)
{
	static struct bench_board board;
	static uint8_t journal[1u << 16];
	static struct cv_ram_storage storage;
	const uint16_t stock[2] = {5, 5};

	struct cv_lane_config lanes[2];
	for (unsigned i = 0; i < 2; i++) {
		cv_lane_config_default(&lanes[i]);
		snprintf(lanes[i].label, sizeof(lanes[i].label), "A%u", i + 1);
		snprintf(lanes[i].product_name, sizeof(lanes[i].product_name), "Candy %u", i + 1);
		lanes[i].price_minor = 125;
		lanes[i].count = stock[i];
	}

	/* The simulated terminal pays; its dispenser and sensor are not used. */
	struct cv_sim_config sim_config;
	cv_sim_config_default(&sim_config);
	sim_config.lane_count = 2;
	struct cv_sim *sim = NULL;
	if (cv_sim_new(&sim_config, &sim) != CV_OK)
		return 1;
	cv_sim_set_auto_card(sim, true);

	bench_board_init(&board, stock, 2);
	cv_ram_storage_init(&storage, journal, sizeof(journal));

	struct cv_machine_config config;
	cv_machine_config_default(&config);
	config.lanes = lanes;
	config.lane_count = 2;
	config.platform = &cv_sim_platform_ops;
	config.platform_ctx = sim;
	config.dispenser = &bench_board_dispenser_ops; /* Our backend... */
	config.dispenser_ctx = &board;
	config.sensor = &bench_board_sensor_ops; /* ...twice. */
	config.sensor_ctx = &board;
	config.payment = &cv_sim_payment_ops;
	config.payment_ctx = sim;
	config.storage = &cv_ram_storage_ops;
	config.storage_ctx = &storage;
	config.accept_volatile_journal = true; /* A bench demo on a RAM journal. */
	config.on_event = on_event;

	struct cv_machine *machine = NULL;
	enum cv_status rc = cv_machine_new(&config, &machine);
	if (rc != CV_OK) {
		fprintf(stderr, "cv_machine_new: %s\n", cv_status_str(rc));
		cv_sim_free(sim);
		return 1;
	}

	uint64_t now_ms = 0;
	const uint16_t picks[3] = {0, 1, 0};
	for (unsigned i = 0; i < 3; i++) {
		rc = cv_machine_select(machine, picks[i], NULL);
		if (rc != CV_OK)
			fprintf(stderr, "select: %s\n", cv_status_str(rc));
		/* The application's loop: devices first, then the engine. */
		for (unsigned t = 0; t < 1000 && (t < 5 || cv_machine_open_vends(machine) > 0); t++) {
			now_ms += TICK_MS;
			cv_sim_step(sim, now_ms);
			bench_board_poll(&board, now_ms);
			cv_machine_step(machine, now_ms);
		}
	}

	struct cv_machine_stats stats;
	cv_machine_stats(machine, &stats);
	struct cv_lane_info a1;
	cv_machine_lane_info(machine, 0, &a1);
	bool ok = stats.vends_captured == 3 && stats.drops_verified == board.items_dropped &&
		  a1.config.count == board.stock[0] && board.stock[0] == 3;
	printf("captured %" PRIu32 " vends, %" PRId64 " minor units; items dropped %" PRIu32 "; A1 holds %u: %s\n",
	       stats.vends_captured, stats.captured_minor, board.items_dropped, (unsigned)a1.config.count,
	       ok ? "books agree" : "MISMATCH");
	cv_machine_free(machine);
	cv_sim_free(sim);
	return ok ? 0 : 1;
}
