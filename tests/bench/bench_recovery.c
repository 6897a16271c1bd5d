/* SPDX-License-Identifier: MIT */
/* Open + recovery time of a journal holding a year of a busy machine
 * (365,000 vends by default), with checkpoints and, on the very same bytes,
 * without them (the storage then pretends it remembers none, so opening
 * reads the whole journal). The journal is kept in RAM, untrimmed, so the
 * figure is the engine's reading and replay, not the disk's. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

#include "bench_world.h"

#define BENCH_LANES 8
#define BENCH_ROUNDS 5
#define BENCH_TARGET_MS 100.0

struct bench {
	struct cv_sim *sim;
	struct cv_ram_storage ram;
	struct cv_lane_config lanes[BENCH_LANES];
	void *memory;
	struct cv_machine *m;
	uint64_t now_ms;
	uint32_t captured;
};

/* Every way out says why: a benchmark that stops in silence rots unseen. */
static void bench_fail(const char *what, enum cv_status rc)
{
	fprintf(stderr, "bench-recovery: %s: %s\n", what, cv_status_name(rc));
	exit(1);
}

static struct bench b;

/* A year of history is kept: the storage never trims. */
static struct cv_storage_ops keep_everything;
/* The same storage, but it remembers no checkpoint. */
static struct cv_storage_ops no_checkpoints;

static void bench_on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m;
	(void)user_data;
	if (e->type == CV_EVENT_VEND_STATE && e->u.vend.state == CV_VEND_STATE_CAPTURED)
		b.captured++;
}

static double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static enum cv_status bench_open(const struct cv_storage_ops *storage)
{
	struct cv_machine_config c;
	cv_machine_config_default(&c);
	c.lanes = b.lanes;
	c.lane_count = BENCH_LANES;
	cv_sim_attach(b.sim, &c);
	c.storage = storage;
	c.storage_ctx = &b.ram;
	c.accept_volatile_journal = true; /* RAM variants. */
	c.on_event = bench_on_event;
	return cv_machine_init(b.memory, cv_machine_size(), &c, &b.m);
}

static void bench_setup(unsigned vends)
{
	struct cv_sim_config sc;
	bench_world(&sc, b.lanes, BENCH_LANES, 60000);
	enum cv_status rc = cv_sim_new(&sc, &b.sim);
	if (rc != CV_OK)
		bench_fail("the simulated machine", rc);
	cv_sim_set_auto_card(b.sim, true);
	size_t size = (size_t)vends * 1200 + (1u << 20);
	uint8_t *buf = malloc(size);
	if (buf == NULL) {
		fprintf(stderr, "bench-recovery: no memory for a %zu-byte journal\n", size);
		exit(1);
	}
	cv_ram_storage_init(&b.ram, buf, size);
	keep_everything = cv_ram_storage_ops;
	keep_everything.trim = NULL;
	no_checkpoints = keep_everything;
	no_checkpoints.checkpoint_get = NULL;
	b.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
}

/* A refill visit whenever a lane runs low, as an operator's route would. */
static void bench_refill(void)
{
	enum cv_status rc = cv_machine_service_enter(b.m);
	if (rc != CV_OK)
		bench_fail("service mode for a refill", rc);
	for (uint16_t i = 0; i < BENCH_LANES; i++) {
		struct cv_lane_info lane;
		cv_machine_lane_info(b.m, i, &lane);
		if (lane.config.count < 100)
			cv_machine_lane_refill(b.m, i, (uint16_t)(lane.config.capacity - lane.config.count));
	}
	cv_machine_service_exit(b.m);
}

static void bench_year(unsigned vends)
{
	enum cv_status rc = bench_open(&keep_everything);
	if (rc != CV_OK)
		bench_fail("opening the machine", rc);
	for (unsigned i = 0; i < vends; i++) {
		if (i % 500 == 0)
			bench_refill();
		/* A second between customers: the simulated processor remembers
		 * an idempotency key for 5 minutes and holds 1,024, so customers
		 * faster than that would fill it. */
		b.now_ms += 1000;
		cv_sim_step(b.sim, b.now_ms);
		cv_machine_step(b.m, b.now_ms);
		uint32_t target = b.captured + 1;
		rc = cv_machine_select(b.m, (uint16_t)(i % BENCH_LANES), NULL);
		if (rc != CV_OK) {
			fprintf(stderr, "bench-recovery: vend %u of %u: ", i + 1, vends);
			bench_fail("select", rc);
		}
		for (unsigned t = 0; t < 1000 && b.captured < target; t++) {
			b.now_ms++;
			cv_sim_step(b.sim, b.now_ms);
			cv_machine_step(b.m, b.now_ms);
		}
		if (b.captured < target) {
			fprintf(stderr, "bench-recovery: vend %u of %u: ", i + 1, vends);
			bench_fail("never captured", CV_E_STATE);
		}
	}
	b.now_ms += 2000;
	cv_sim_step(b.sim, b.now_ms);
	cv_machine_step(b.m, b.now_ms);
	cv_machine_deinit(b.m);
}

static int bench_compare(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return (a > c) - (a < c);
}

/* Median time of opening the journal (replay + recovery + start records). */
static double bench_open_ms(const struct cv_storage_ops *storage)
{
	double t[BENCH_ROUNDS];
	for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
		double start = bench_now_ms();
		enum cv_status rc = bench_open(storage);
		t[r] = bench_now_ms() - start;
		if (rc != CV_OK)
			bench_fail("open", rc);
		cv_machine_deinit(b.m);
	}
	qsort(t, BENCH_ROUNDS, sizeof(t[0]), bench_compare);
	return t[BENCH_ROUNDS / 2];
}

int main(int argc, char **argv)
{
	unsigned vends = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 365000;
	if (vends == 0 || vends > 2000000) {
		fprintf(stderr, "usage: %s [vends 1..2000000]\n", argv[0]);
		return 2;
	}
	bench_setup(vends);
	double start = bench_now_ms();
	bench_year(vends);
	double made = bench_now_ms() - start;
	printf("bench: recovery_journal_vends %u vends (generated in %.1f s)\n", vends, made / 1000.0);
	printf("bench: recovery_journal_bytes %.1f MiB\n", (double)b.ram.length / (1024.0 * 1024.0));
	printf("bench: recovery_journal_behind_checkpoint %.1f KiB\n",
	       (double)(b.ram.length - b.ram.checkpoint_offset) / 1024.0);
	/* Interleaved, so that noise hits both alike. */
	double with = bench_open_ms(&keep_everything);
	double without = bench_open_ms(&no_checkpoints);
	with = (with + bench_open_ms(&keep_everything)) / 2.0;
	without = (without + bench_open_ms(&no_checkpoints)) / 2.0;
	printf("bench: open_recovery_with_checkpoints %.2f ms\n", with);
	printf("bench: open_recovery_without_checkpoints %.2f ms\n", without);
	printf("bench: open_recovery_with_checkpoints_vs_target %.3f ratio (target <= 1.000 for %.0f ms)\n",
	       with / BENCH_TARGET_MS, BENCH_TARGET_MS);
	printf("bench: open_recovery_speedup_from_checkpoints %.1f ratio\n", without / with);
	cv_sim_free(b.sim);
	free(b.ram.buf);
	free(b.memory);
	return 0;
}
