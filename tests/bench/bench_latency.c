/* SPDX-License-Identifier: MIT */
/* The latency the engine adds at each durable point of a vend, on the POSIX
 * file journal, beside one raw write() + fdatasync() of the same bytes to a
 * plain file in the same directory, measured interleaved in the same run:
 *
 *   select → authorize sent     cv_machine_select() returns ... the payment
 *                               backend's authorize() is called;
 *   approval → motor start      the engine takes the approval (the vend's
 *                               AUTHORIZED event) ... the dispenser's start();
 *   drop seen → capture sent    the engine takes the drop (CAPTURE_PENDING)
 *                               ... the payment backend's capture().
 *
 * Each has one durable point in it (the record that must be on disk before
 * the side effect), so the target is p99 at most 1.1 times the raw p99. The
 * payment network and the motor are outside these spans: the simulated
 * backends answer in 1 ms of the machine's virtual time. The program reports,
 * it does not judge: only an actual error exits non-zero, with its reason.
 *
 * Usage: bench-latency [base-dir [vends 1..100000]] (defaults: ., 2000).
 * See docs/benchmarks.md. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>
#include <candyvend/storage_posix.h>

#include "bench_world.h"

#define BENCH_LANES 4
#define BENCH_TARGET_RATIO 1.1
/* Bytes of one durable point's records (about 300, as bench-durable finds). */
#define BENCH_RAW_BYTES 312u

enum span { SPAN_SELECT_AUTH, SPAN_APPROVAL_MOTOR, SPAN_DROP_CAPTURE, SPAN_RAW, SPAN_COUNT };

static const char *const span_names[SPAN_COUNT] = {
	"select_to_authorize",
	"approval_to_motor",
	"drop_to_capture",
	"raw_write_fdatasync",
};

static struct {
	struct cv_sim *sim;
	struct cv_machine *m;
	void *memory;
	struct cv_posix_storage *store;
	struct cv_payment_ops payment; /* The sim's, with authorize and capture timed. */
	struct cv_dispenser_ops dispenser;
	const struct cv_payment_ops *sim_payment;
	const struct cv_dispenser_ops *sim_dispenser;
	uint64_t now_ms;
	double started[SPAN_COUNT]; /* When the span in progress began (0: none). */
	double *samples[SPAN_COUNT];
	unsigned count[SPAN_COUNT];
	uint64_t syncs_at_begin[SPAN_COUNT]; /* The journal's fdatasync count when the span began. */
	uint64_t syncs_total[SPAN_COUNT];    /* fdatasync calls inside the spans. */
	uint64_t syncs_max[SPAN_COUNT];      /* The most in one span. */
	uint32_t captured;
	char scratch[4096];
} b;

static void bench_fail(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fputs("bench-latency: ", stderr);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void span_begin(enum span s)
{
	b.started[s] = now_us();
	if (b.store != NULL)
		b.syncs_at_begin[s] = cv_posix_storage_sync_count(b.store);
}

static void span_end(enum span s)
{
	if (b.started[s] == 0)
		return;
	b.samples[s][b.count[s]++] = now_us() - b.started[s];
	b.started[s] = 0;
	uint64_t syncs = cv_posix_storage_sync_count(b.store) - b.syncs_at_begin[s];
	b.syncs_total[s] += syncs;
	if (syncs > b.syncs_max[s])
		b.syncs_max[s] = syncs;
}

static enum cv_status timed_authorize(void *ctx, const struct cv_payment_request *request)
{
	span_end(SPAN_SELECT_AUTH);
	return b.sim_payment->authorize(ctx, request);
}

static enum cv_status timed_capture(void *ctx, const struct cv_payment_request *request)
{
	span_end(SPAN_DROP_CAPTURE);
	return b.sim_payment->capture(ctx, request);
}

static enum cv_status timed_start(void *ctx, const struct cv_dispense_request *request)
{
	span_end(SPAN_APPROVAL_MOTOR);
	return b.sim_dispenser->start(ctx, request);
}

static void on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m, (void)user_data;
	if (e->type != CV_EVENT_VEND_STATE)
		return;
	if (e->u.vend.state == CV_VEND_STATE_AUTHORIZED)
		span_begin(SPAN_APPROVAL_MOTOR);
	else if (e->u.vend.state == CV_VEND_STATE_CAPTURE_PENDING)
		span_begin(SPAN_DROP_CAPTURE);
	else if (e->u.vend.state == CV_VEND_STATE_CAPTURED)
		b.captured++;
}

static void bench_open(const char *base, unsigned vends)
{
	snprintf(b.scratch, sizeof(b.scratch), "%s/bench-latency-XXXXXX", base);
	if (mkdtemp(b.scratch) == NULL)
		bench_fail("mkdtemp under %s: %s", base, strerror(errno));
	struct cv_posix_storage_config sc;
	cv_posix_storage_config_default(&sc);
	sc.directory = b.scratch;
	char why[CV_POSIX_STORAGE_ERROR_LEN];
	enum cv_status rc = cv_posix_storage_open_with_error(&sc, &b.store, why, sizeof(why));
	if (rc != CV_OK)
		bench_fail("the journal: %s", why);
	struct cv_sim_config simc;
	static struct cv_lane_config lanes[BENCH_LANES];
	bench_world(&simc, lanes, BENCH_LANES, 1000);
	rc = cv_sim_new(&simc, &b.sim);
	if (rc != CV_OK)
		bench_fail("the simulated machine: %s", cv_status_name(rc));
	cv_sim_set_auto_card(b.sim, true);
	struct cv_machine_config c;
	cv_machine_config_default(&c);
	c.lanes = lanes;
	c.lane_count = BENCH_LANES;
	cv_sim_attach(b.sim, &c);
	b.sim_payment = c.payment;
	b.sim_dispenser = c.dispenser;
	b.payment = *c.payment;
	b.payment.authorize = timed_authorize;
	b.payment.capture = timed_capture;
	b.dispenser = *c.dispenser;
	b.dispenser.start = timed_start;
	c.payment = &b.payment;
	c.dispenser = &b.dispenser;
	c.storage = &cv_posix_storage_ops;
	c.storage_ctx = b.store;
	c.on_event = on_event;
	char message[CV_MACHINE_ERRMSG_LEN];
	if (cv_machine_config_check(&c, message, sizeof(message)) != CV_OK)
		bench_fail("configuration: %s", message);
	b.memory = aligned_alloc(CV_MACHINE_ALIGN, (cv_machine_size() + 15) / 16 * 16);
	rc = cv_machine_init(b.memory, cv_machine_size(), &c, &b.m);
	if (rc != CV_OK)
		bench_fail("cv_machine_init: %s", cv_status_name(rc));
	for (unsigned s = 0; s < SPAN_COUNT; s++)
		b.samples[s] = calloc(vends, sizeof(double));
}

static void bench_tick(void)
{
	b.now_ms++;
	cv_sim_step(b.sim, b.now_ms);
	cv_machine_step(b.m, b.now_ms);
}

static void bench_vend(unsigned i)
{
	/* A second between customers: the simulated processor remembers its
	 * idempotency keys for 5 minutes and holds 1,024. */
	b.now_ms += 1000;
	uint32_t target = b.captured + 1;
	span_begin(SPAN_SELECT_AUTH);
	enum cv_status rc = cv_machine_select(b.m, (uint16_t)(i % BENCH_LANES), NULL);
	if (rc != CV_OK)
		bench_fail("vend %u: select: %s", i + 1, cv_status_name(rc));
	for (unsigned t = 0; t < 2000 && b.captured < target; t++)
		bench_tick();
	if (b.captured < target)
		bench_fail("vend %u was never captured", i + 1);
}

/* One raw durable point: the same bytes written and fdatasync'ed. */
static void bench_raw(int fd)
{
	static const char bytes[BENCH_RAW_BYTES];
	span_begin(SPAN_RAW);
	if (write(fd, bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes) || fdatasync(fd) != 0)
		bench_fail("raw write + fdatasync: %s", strerror(errno));
	span_end(SPAN_RAW);
}

static int compare(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return (a > c) - (a < c);
}

static double percentile(enum span s, double p)
{
	if (b.count[s] == 0)
		bench_fail("no %s sample was taken", span_names[s]);
	qsort(b.samples[s], b.count[s], sizeof(double), compare);
	size_t at = (size_t)(p * (double)(b.count[s] - 1) + 0.5);
	return b.samples[s][at];
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : ".";
	unsigned vends = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 2000;
	if (vends == 0 || vends > 100000) {
		fprintf(stderr, "usage: %s [base-dir [vends 1..100000]]\n", argv[0]);
		return 2;
	}
	bench_open(base, vends);
	char raw_path[4200];
	snprintf(raw_path, sizeof(raw_path), "%s/raw", b.scratch);
	int fd = open(raw_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0)
		bench_fail("%s: %s", raw_path, strerror(errno));
	/* Interleaved: a vend, then a raw durable point, so noise hits both. */
	for (unsigned i = 0; i < vends; i++) {
		bench_vend(i);
		bench_raw(fd);
	}
	close(fd);
	printf("bench: latency_vends %u vends on the POSIX journal in %s\n", vends, b.scratch);
	double raw99 = percentile(SPAN_RAW, 0.99);
	for (unsigned s = 0; s < SPAN_COUNT; s++) {
		printf("bench: latency_%s_p50 %.1f us\n", span_names[s], percentile(s, 0.50));
		printf("bench: latency_%s_p99 %.1f us\n", span_names[s], percentile(s, 0.99));
	}
	for (unsigned s = 0; s < SPAN_RAW; s++) {
		printf("bench: latency_%s_p99_vs_raw %.3f ratio (target <= %.1f)\n", span_names[s],
		       percentile(s, 0.99) / raw99, BENCH_TARGET_RATIO);
		printf("bench: latency_%s_fdatasync_mean %.3f calls (most in one: %llu)\n", span_names[s],
		       (double)b.syncs_total[s] / (double)b.count[s], (unsigned long long)b.syncs_max[s]);
	}
	cv_machine_deinit(b.m);
	cv_posix_storage_close(b.store);
	cv_sim_free(b.sim);
	free(b.memory);
	/* The scratch files go; a failure to remove them is only reported. */
	char path[4200];
	static const char *const names[] = {"raw", "checkpoint", "lock"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", b.scratch, names[i]);
		(void)unlink(path);
	}
	snprintf(path, sizeof(path), "%s/journal-0000000000000000.cvj", b.scratch);
	(void)unlink(path);
	if (rmdir(b.scratch) != 0)
		printf("bench-latency: scratch directory left at %s (%s)\n", b.scratch, strerror(errno));
	for (unsigned s = 0; s < SPAN_COUNT; s++)
		free(b.samples[s]);
	return 0;
}
