/* SPDX-License-Identifier: MIT */
/* Instructions per vend: N happy-path vends on RAM storage with the simulated
 * backends, everything in one function so that callgrind can count exactly
 * that (valgrind --tool=callgrind --toggle-collect=bench_vends). Run alone it
 * just does the vends; the Meson benchmark wraps it in callgrind and prints
 * the figure (scripts/bench-instructions.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>

#include "bench_world.h"

#define BENCH_LANES 4

struct bench {
	struct cv_sim *sim;
	struct cv_machine *m;
	struct cv_ram_storage storage;
	uint8_t *journal;
	void *memory;
	uint64_t now_ms;
	uint32_t captured;
};

static void bench_on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m;
	struct bench *b = user_data;
	if (e->type == CV_EVENT_VEND_STATE && e->u.vend.state == CV_VEND_STATE_CAPTURED)
		b->captured++;
}

static const uint8_t bench_key[CV_JOURNAL_KEY_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

/* Every way out says why: a benchmark that stops in silence rots unseen. */
static void bench_fail(const char *what, enum cv_status rc)
{
	fprintf(stderr, "bench-vend-instructions: %s: %s\n", what, cv_status_name(rc));
	exit(1);
}

static void bench_setup(struct bench *b, unsigned vends, bool sealed)
{
	struct cv_sim_config sc;
	static struct cv_lane_config lanes[BENCH_LANES];
	bench_world(&sc, lanes, BENCH_LANES, 1000);
	enum cv_status rc = cv_sim_new(&sc, &b->sim);
	if (rc != CV_OK)
		bench_fail("the simulated machine", rc);
	cv_sim_set_auto_card(b->sim, true);

	size_t journal_size = (size_t)vends * 1024 + 65536;
	b->journal = malloc(journal_size);
	cv_ram_storage_init(&b->storage, b->journal, journal_size);
	struct cv_machine_config c;
	cv_machine_config_default(&c);
	c.lanes = lanes;
	c.lane_count = BENCH_LANES;
	cv_sim_attach(b->sim, &c);
	c.storage = &cv_ram_storage_ops;
	c.storage_ctx = &b->storage;
	c.accept_volatile_journal = true;
	c.on_event = bench_on_event;
	c.user_data = b;
	c.journal_key = sealed ? bench_key : NULL;
	b->memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
	rc = cv_machine_init(b->memory, cv_machine_size(), &c, &b->m);
	if (rc != CV_OK)
		bench_fail("cv_machine_init", rc);
}

/* One vend from selection to capture; time moves 1 ms per step. */
static void bench_one_vend(struct bench *b, uint16_t lane)
{
	uint32_t target = b->captured + 1;
	enum cv_status rc = cv_machine_select(b->m, lane, NULL);
	if (rc != CV_OK)
		bench_fail("select", rc);
	for (unsigned i = 0; i < 1000 && b->captured < target; i++) {
		b->now_ms++;
		cv_sim_step(b->sim, b->now_ms);
		cv_machine_step(b->m, b->now_ms);
	}
	if (b->captured < target)
		bench_fail("a vend never captured", CV_E_STATE);
}

/* Not static, not inlined: callgrind toggles collection on this name. */
__attribute__((noinline)) void bench_vends(struct bench *b, unsigned count);
__attribute__((noinline)) void bench_vends(struct bench *b, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		bench_one_vend(b, (uint16_t)(i % BENCH_LANES));
}

int main(int argc, char **argv)
{
	unsigned count = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
	bool sealed = argc > 2 && strcmp(argv[2], "sealed") == 0;
	if (count == 0 || count > 3000 || (argc > 2 && !sealed)) {
		fprintf(stderr, "usage: %s [vends 1..3000] [sealed]\n", argv[0]);
		return 2;
	}
	if (sealed && !cv_machine_sealing_available()) {
		fprintf(stderr, "%s: built without the crypto module\n", argv[0]);
		return 77;
	}
	struct bench b;
	memset(&b, 0, sizeof(b));
	bench_setup(&b, count, sealed);
	bench_vends(&b, count);
	struct cv_machine_stats st;
	cv_machine_stats(b.m, &st);
	printf("vends %u captured %u journal records %llu\n", count, st.vends_captured,
	       (unsigned long long)st.journal_records);
	cv_machine_deinit(b.m);
	cv_sim_free(b.sim);
	free(b.memory);
	free(b.journal);
	return st.vends_captured == count ? 0 : 1;
}
