/* SPDX-License-Identifier: MIT */
/* Durable vends per second, side by side in one run on one file system:
 *
 *   A  engine   N happy-path vends on the POSIX file journal (simulated
 *               backends, 1 ms latencies, time stepped 1 ms at a time),
 *   B  raw      the engine's own journal bytes replayed as one write() plus
 *               one fdatasync() per durable point, to a plain file (the
 *               floor: nothing can make fewer system calls),
 *   B' raw      the same, but one write() per record as the engine's
 *               append() does, then one fdatasync() per durable point,
 *   C  sqlite   the same vends, every state transition its own SQLite
 *               transaction (WAL, synchronous=FULL),
 *   D  sqlite   the same writes, committed only at the engine's 3 durable
 *               points per vend.
 *
 * Shared machines are noisy, so the kinds run interleaved in rounds (the
 * starting kind rotates each round) and the figures are medians; ratios are
 * medians of the per-round ratios, whose two sides ran seconds apart. The
 * program reports, it does not judge: a missed target is printed, and only
 * an actual error exits non-zero.
 *
 * Usage: bench-durable [base-dir [vends [rounds]]] (defaults: ., 300, 11). The scratch directory is
 * made with mkdtemp() under base-dir (Meson passes the build directory,
 * which is on disk; /tmp may be tmpfs, where fdatasync costs nothing) and
 * removed at the end. See docs/benchmarks.md. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

#include <candyvend/candyvend.h>
#include <candyvend/sim.h>
#include <candyvend/storage_posix.h>

/* Set by tests/bench/meson.build when libsqlite3 is found. */
#ifndef CV_BENCH_SQLITE
#define CV_BENCH_SQLITE 0
#endif
#if CV_BENCH_SQLITE
#include <sqlite3.h>
#endif

#define BENCH_LANES 4
#define BENCH_VENDS_DEFAULT 300u
#define BENCH_ROUNDS_DEFAULT 11u
#define BENCH_ROUNDS_MAX 31u
/* The write-ahead minimum: one durable point before each side effect of a
 * happy vend (authorize, motor start, capture). */
#define BENCH_POINTS_PER_VEND 3u

enum bench_kind { KIND_ENGINE, KIND_RAW, KIND_RAW_RECORDS, KIND_SQL_EVERY, KIND_SQL_POINTS, KIND_COUNT };

static char scratch[4096];

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench-durable: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (scratch[0] != '\0')
		fprintf(stderr, "bench-durable: scratch directory left at %s\n", scratch);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);
	if (q == NULL)
		die("out of memory");
	return q;
}

/* ---- Scratch directory ------------------------------------------------ */

/* Removes the files in dir (the runs create no subdirectories in theirs) and
 * dir itself. */
static void remove_flat_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		die("opendir %s: %s", dir, strerror(errno));
	struct dirent *e;
	char path[4608];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0)
			die("unlink %s: %s", path, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) != 0)
		die("rmdir %s: %s", dir, strerror(errno));
}

static void make_run_dir(char *out, size_t size, const char *name, unsigned round)
{
	snprintf(out, size, "%s/%s-%u", scratch, name, round);
	if (mkdir(out, 0700) != 0)
		die("mkdir %s: %s", out, strerror(errno));
}

/* Names the file system under dir, because the figures mean nothing on one
 * whose fdatasync is free. */
static const char *fs_name(const char *dir, bool *memory_fs)
{
	*memory_fs = false;
#ifdef __linux__
	struct statfs st;
	if (statfs(dir, &st) != 0)
		die("statfs %s: %s", dir, strerror(errno));
	switch ((unsigned long)st.f_type) {
	case 0xEF53ul:
		return "ext4 (ext2/3/4 magic 0xEF53)";
	case 0x58465342ul:
		return "xfs";
	case 0x9123683Eul:
		return "btrfs";
	case 0x794C7630ul:
		return "overlayfs";
	case 0x2FC12FC1ul:
		return "zfs";
	case 0x01021994ul:
		*memory_fs = true;
		return "tmpfs";
	case 0x858458F6ul:
		*memory_fs = true;
		return "ramfs";
	default: {
		static char other[32];
		snprintf(other, sizeof(other), "statfs type 0x%lX", (unsigned long)st.f_type);
		return other;
	}
	}
#else
	(void)dir;
	return "unknown (not Linux)";
#endif
}

/* ---- What the calibration run hands to the others --------------------- */

/* One vend as the engine did it, for the SQLite runs. */
struct vend_data {
	char id[CV_VEND_ID_LEN];
	uint32_t number;
	uint16_t lane;
	int64_t price_minor;
	struct cv_card_summary card;
};

/* A growing list of end offsets into the trace's bytes. */
struct offsets {
	size_t *end;
	size_t count, capacity;
};

/* The journal bytes of the vend loop, cut where the engine synced. */
struct journal_trace {
	uint8_t *bytes;
	size_t length, capacity;
	struct offsets points;  /* Where each durable point's bytes end. */
	struct offsets records; /* Where each record ends. */
	struct vend_data *vends;
	unsigned vend_count;
	uint32_t transitions; /* VEND_STATE events seen in the vend loop. */
};

static void trace_add_bytes(struct journal_trace *t, const void *bytes, size_t length)
{
	if (t->length + length > t->capacity) {
		t->capacity = (t->length + length) * 2;
		t->bytes = xrealloc(t->bytes, t->capacity);
	}
	memcpy(t->bytes + t->length, bytes, length);
	t->length += length;
}

static void offsets_add(struct offsets *o, size_t end)
{
	if (o->count == o->capacity) {
		o->capacity = o->capacity ? o->capacity * 2 : 1024;
		o->end = xrealloc(o->end, o->capacity * sizeof(*o->end));
	}
	o->end[o->count++] = end;
}

/* ---- A: the engine on the POSIX journal --------------------------------- */

/* The calibration run wraps the POSIX storage to see where the engine cuts
 * its durable points; the timed runs use cv_posix_storage_ops bare. */
struct recorder {
	struct cv_posix_storage *store;
	struct journal_trace *trace;
	bool on;
};

static uint32_t rec_caps(void *ctx)
{
	struct recorder *r = ctx;
	return cv_posix_storage_ops.caps(r->store);
}

static enum cv_status rec_open(void *ctx, struct cv_machine *machine)
{
	struct recorder *r = ctx;
	return cv_posix_storage_ops.open(r->store, machine);
}

static void rec_close(void *ctx)
{
	struct recorder *r = ctx;
	if (cv_posix_storage_ops.close != NULL)
		cv_posix_storage_ops.close(r->store);
}

static enum cv_status rec_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct recorder *r = ctx;
	enum cv_status rc = cv_posix_storage_ops.append(r->store, seq, record, length);
	if (rc == CV_OK && r->on) {
		trace_add_bytes(r->trace, record, length);
		offsets_add(&r->trace->records, r->trace->length);
	}
	return rc;
}

/* A sync that touched two segments counts as two points (the second with
 * no bytes of its own), so the raw loop makes as many fdatasync calls. */
static enum cv_status rec_sync(void *ctx, uint64_t seq)
{
	struct recorder *r = ctx;
	uint64_t before = cv_posix_storage_sync_count(r->store);
	enum cv_status rc = cv_posix_storage_ops.sync(r->store, seq);
	uint64_t after = cv_posix_storage_sync_count(r->store);
	for (uint64_t i = before; r->on && i < after; i++)
		offsets_add(&r->trace->points, r->trace->length);
	return rc;
}

static enum cv_status rec_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct recorder *r = ctx;
	return cv_posix_storage_ops.read(r->store, offset, buf, size, length_out);
}

static enum cv_status rec_truncate(void *ctx, uint64_t length)
{
	struct recorder *r = ctx;
	return cv_posix_storage_ops.truncate(r->store, length);
}

static const struct cv_storage_ops recorder_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "bench-recorder",
	.caps = rec_caps,
	.open = rec_open,
	.close = rec_close,
	.append = rec_append,
	.sync = rec_sync,
	.read = rec_read,
	.truncate = rec_truncate,
};

struct engine {
	struct cv_sim *sim;
	struct cv_machine *m;
	struct cv_posix_storage *store;
	struct recorder rec;
	struct journal_trace *trace; /* Non-NULL in the calibration run. */
	struct cv_lane_config lanes[BENCH_LANES];
	uint64_t now_ms;
	uint32_t flush_ms;
	uint32_t captured;
};

static void engine_on_event(struct cv_machine *m, const struct cv_event *e, void *user_data)
{
	(void)m;
	struct engine *g = user_data;
	if (e->type != CV_EVENT_VEND_STATE)
		return;
	struct journal_trace *t = g->trace;
	if (t != NULL && g->rec.on)
		t->transitions++;
	if (e->u.vend.state != CV_VEND_STATE_CAPTURED)
		return;
	g->captured++;
	if (t != NULL && g->rec.on && t->vend_count < g->captured) {
		struct vend_data *v = &t->vends[t->vend_count++];
		memcpy(v->id, e->u.vend.vend_id, sizeof(v->id));
		v->number = e->u.vend.vend_number;
		v->lane = e->u.vend.lane;
		v->price_minor = e->u.vend.price.amount_minor;
		v->card = e->u.vend.card;
	}
}

static void engine_sim(struct engine *g, unsigned vends)
{
	struct cv_sim_config sc;
	cv_sim_config_default(&sc);
	sc.lane_count = BENCH_LANES;
	for (unsigned i = 0; i < BENCH_LANES; i++)
		sc.stock[i] = (uint16_t)(vends / BENCH_LANES + 10);
	sc.payment_latency_ms = 1;
	sc.motor_ms = 1;
	sc.drop_delay_ms = 1;
	if (cv_sim_new(&sc, &g->sim) != CV_OK)
		die("cv_sim_new");
	cv_sim_set_auto_card(g->sim, true);
}

/* The same seed every run, so every run makes the same vends and the same
 * journal bytes as the calibration run recorded. */
static void engine_start(struct engine *g, const char *dir, unsigned vends, struct journal_trace *trace)
{
	memset(g, 0, sizeof(*g));
	g->trace = trace;
	engine_sim(g, vends);
	struct cv_posix_storage_config pc;
	cv_posix_storage_config_default(&pc);
	pc.directory = dir;
	if (cv_posix_storage_open(&pc, &g->store) != CV_OK)
		die("cv_posix_storage_open %s", dir);
	g->rec.store = g->store;
	g->rec.trace = trace;

	for (unsigned i = 0; i < BENCH_LANES; i++) {
		cv_lane_config_default(&g->lanes[i]);
		snprintf(g->lanes[i].label, sizeof(g->lanes[i].label), "A%u", i + 1);
		snprintf(g->lanes[i].product_name, sizeof(g->lanes[i].product_name), "Candy %u", i + 1);
		g->lanes[i].price_minor = 150;
		g->lanes[i].capacity = (uint16_t)(vends / BENCH_LANES + 10);
		g->lanes[i].count = g->lanes[i].capacity;
	}
	struct cv_machine_config c;
	cv_machine_config_default(&c);
	c.lanes = g->lanes;
	c.lane_count = BENCH_LANES;
	cv_sim_attach(g->sim, &c);
	c.storage = trace != NULL ? &recorder_ops : &cv_posix_storage_ops;
	c.storage_ctx = trace != NULL ? (void *)&g->rec : (void *)g->store;
	c.on_event = engine_on_event;
	c.user_data = g;
	g->flush_ms = c.timeouts.flush_ms;
	if (cv_machine_new(&c, &g->m) != CV_OK)
		die("cv_machine_new");
	/* The start record and its sync belong to setup, not to the vends. */
	cv_sim_step(g->sim, 0);
	cv_machine_step(g->m, 0);
}

static void engine_tick(struct engine *g)
{
	g->now_ms++;
	cv_sim_step(g->sim, g->now_ms);
	cv_machine_step(g->m, g->now_ms);
}

/* One vend from selection to capture, 1 ms per step. */
static void engine_vend(struct engine *g, uint16_t lane)
{
	uint32_t target = g->captured + 1;
	if (cv_machine_select(g->m, lane, NULL) != CV_OK)
		die("cv_machine_select lane %u", (unsigned)lane);
	for (unsigned i = 0; i < 1000 && g->captured < target; i++)
		engine_tick(g);
	if (g->captured < target)
		die("vend %u did not reach CAPTURED", (unsigned)target);
}

struct engine_result {
	double seconds;
	uint64_t syncs; /* fdatasync calls during the vends and the final flush. */
	uint64_t bytes; /* Journal bytes appended in that time. */
};

/* The timed span covers the vends and the flush_ms of stepping after them
 * that makes the last CAPTURED record durable: all the work, all the syncs. */
static void engine_run(const char *dir, unsigned vends, struct journal_trace *trace, struct engine_result *out)
{
	static struct engine g;
	engine_start(&g, dir, vends, trace);
	uint64_t syncs0 = cv_posix_storage_sync_count(g.store);
	uint64_t length0 = cv_posix_storage_length(g.store);
	g.rec.on = true;

	double t0 = now_s();
	for (unsigned i = 0; i < vends; i++)
		engine_vend(&g, (uint16_t)(i % BENCH_LANES));
	for (uint32_t i = 0; i <= g.flush_ms; i++)
		engine_tick(&g);
	double t1 = now_s();

	g.rec.on = false;
	out->seconds = t1 - t0;
	out->syncs = cv_posix_storage_sync_count(g.store) - syncs0;
	out->bytes = cv_posix_storage_length(g.store) - length0;
	if (trace != NULL && trace->length != out->bytes)
		die("recorded %zu journal bytes, storage says %llu", trace->length, (unsigned long long)out->bytes);
	if (trace != NULL && trace->points.count > 0 && trace->points.end[trace->points.count - 1] != trace->length)
		die("the last journal bytes were never synced");
	struct cv_machine_stats st;
	cv_machine_stats(g.m, &st);
	if (st.vends_captured != vends)
		die("engine captured %u of %u vends", st.vends_captured, vends);
	cv_machine_free(g.m);
	cv_posix_storage_close(g.store);
	cv_sim_free(g.sim);
}

/* ---- B: raw write + fdatasync -------------------------------------------- */

static void write_all(int fd, const uint8_t *bytes, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, bytes, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", strerror(errno));
		bytes += n;
		length -= (size_t)n;
	}
}

static void fdatasync_or_die(int fd)
{
	int rc;
	do
		rc = fdatasync(fd);
	while (rc != 0 && errno == EINTR);
	if (rc != 0)
		die("fdatasync: %s", strerror(errno));
}

/* Writes the trace's bytes up to end, one write() per piece of cuts that
 * ends there or before; *next is the first piece not yet written. */
static size_t write_pieces(int fd, const struct journal_trace *t, const struct offsets *cuts, size_t *next,
			   size_t start, size_t end)
{
	while (*next < cuts->count && cuts->end[*next] <= end) {
		write_all(fd, t->bytes + start, cuts->end[*next] - start);
		start = cuts->end[(*next)++];
	}
	return start;
}

/* A hand-written journal with the same bytes and the same durable points:
 * one write() per durable point (per_record false, the fewest system calls
 * possible) or one per record (as the engine's append() does), and one
 * fdatasync() per durable point. Creating the file and syncing its
 * directory entry is setup, as for the engine's segment. */
static double raw_run(const char *dir, const struct journal_trace *t, bool per_record)
{
	char path[4608];
	snprintf(path, sizeof(path), "%s/raw.log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	int dfd = open(dir, O_RDONLY);
	if (dfd < 0 || fsync(dfd) != 0)
		die("fsync %s: %s", dir, strerror(errno));
	close(dfd);

	double t0 = now_s();
	size_t start = 0, next = 0;
	for (size_t i = 0; i < t->points.count; i++) {
		size_t point = i;
		start = write_pieces(fd, t, per_record ? &t->records : &t->points, per_record ? &next : &point, start,
				     t->points.end[i]);
		fdatasync_or_die(fd);
	}
	double t1 = now_s();
	close(fd);
	return t1 - t0;
}

/* ---- C, D: SQLite ---------------------------------------------------------- */

#if CV_BENCH_SQLITE

enum sql_stmt {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_INSERT,
	SQL_STATE,
	SQL_AUTH_PENDING,
	SQL_AUTHORIZED,
	SQL_LANE_TAKE,
	SQL_COUNT
};

static const char *const sql_text[SQL_COUNT] = {
	[SQL_BEGIN] = "BEGIN",
	[SQL_COMMIT] = "COMMIT",
	[SQL_INSERT] = "INSERT INTO vends(id, number, lane, price_minor, currency, state, updated_ms)"
		       " VALUES(?1, ?2, ?3, ?4, 'USD', 'SELECTED', ?5)",
	[SQL_STATE] = "UPDATE vends SET state = ?1, updated_ms = ?2 WHERE id = ?3",
	[SQL_AUTH_PENDING] = "UPDATE vends SET state = 'AUTH_PENDING', auth_key = ?1, updated_ms = ?2"
			     " WHERE id = ?3",
	[SQL_AUTHORIZED] = "UPDATE vends SET state = 'AUTHORIZED', processor_ref = ?1, card_brand = ?2,"
			   " card_last4 = ?3, auth_code = ?4, updated_ms = ?5 WHERE id = ?6",
	[SQL_LANE_TAKE] = "UPDATE lanes SET count = count - 1 WHERE lane = ?1 AND count > 0",
};

struct sql {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQL_COUNT];
	bool in_tx;
	bool every; /* Commit every transition (C), or only at durable points (D). */
	int64_t clock_ms;
	uint64_t commits;
};

static void sql_check(struct sql *s, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die("sqlite %s: %s", what, sqlite3_errmsg(s->db));
}

static void sql_exec(struct sql *s, const char *text)
{
	sql_check(s, sqlite3_exec(s->db, text, NULL, NULL, NULL), text);
}

/* Runs a prepared statement whose parameters are bound, and resets it. */
static void sql_run(struct sql *s, enum sql_stmt which)
{
	sqlite3_stmt *st = s->stmt[which];
	sql_check(s, sqlite3_step(st), sql_text[which]);
	sql_check(s, sqlite3_reset(st), sql_text[which]);
	sqlite3_clear_bindings(st);
}

/* A write opens the transaction it belongs to. */
static sqlite3_stmt *sql_write(struct sql *s, enum sql_stmt which)
{
	if (!s->in_tx) {
		sql_run(s, SQL_BEGIN);
		s->in_tx = true;
	}
	s->clock_ms++;
	return s->stmt[which];
}

static void sql_commit(struct sql *s)
{
	if (!s->in_tx)
		return;
	sql_run(s, SQL_COMMIT);
	s->in_tx = false;
	s->commits++;
}

/* The end of one transition: its own commit in C; in D a commit only where
 * the engine has a durable point (before authorize, motor, capture). */
static void sql_transition_done(struct sql *s, bool durable_point)
{
	if (s->every || durable_point)
		sql_commit(s);
}

static void sql_bind_text(struct sql *s, sqlite3_stmt *st, int index, const char *text)
{
	sql_check(s, sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC), "bind");
}

static void sql_bind_int(struct sql *s, sqlite3_stmt *st, int index, int64_t value)
{
	sql_check(s, sqlite3_bind_int64(st, index, value), "bind");
}

static void sql_state(struct sql *s, const struct vend_data *v, const char *state, bool durable_point)
{
	sqlite3_stmt *st = sql_write(s, SQL_STATE);
	sql_bind_text(s, st, 1, state);
	sql_bind_int(s, st, 2, s->clock_ms);
	sql_bind_text(s, st, 3, v->id);
	sql_run(s, SQL_STATE);
	sql_transition_done(s, durable_point);
}

/* One happy vend as an integrator would journal it in SQLite: a row per vend,
 * updated at each of the engine's transitions, stock taken with the verified
 * drop. The CAPTURED update has no durable point of its own: in D it rides
 * with the next vend's first commit, as the engine's final record does. */
static void sql_vend(struct sql *s, const struct vend_data *v)
{
	char auth_key[64], processor_ref[CV_PROCESSOR_REF_LEN];
	snprintf(auth_key, sizeof(auth_key), "cv1.%s.auth.1", v->id);
	snprintf(processor_ref, sizeof(processor_ref), "sim-%08u", (unsigned)v->number);

	sqlite3_stmt *st = sql_write(s, SQL_INSERT);
	sql_bind_text(s, st, 1, v->id);
	sql_bind_int(s, st, 2, v->number);
	sql_bind_int(s, st, 3, v->lane);
	sql_bind_int(s, st, 4, v->price_minor);
	sql_bind_int(s, st, 5, s->clock_ms);
	sql_run(s, SQL_INSERT);
	sql_transition_done(s, false);

	st = sql_write(s, SQL_AUTH_PENDING);
	sql_bind_text(s, st, 1, auth_key);
	sql_bind_int(s, st, 2, s->clock_ms);
	sql_bind_text(s, st, 3, v->id);
	sql_run(s, SQL_AUTH_PENDING);
	sql_transition_done(s, true); /* before authorize */

	st = sql_write(s, SQL_AUTHORIZED);
	sql_bind_text(s, st, 1, processor_ref);
	sql_bind_text(s, st, 2, v->card.brand);
	sql_bind_text(s, st, 3, v->card.last4);
	sql_bind_text(s, st, 4, v->card.auth_code);
	sql_bind_int(s, st, 5, s->clock_ms);
	sql_bind_text(s, st, 6, v->id);
	sql_run(s, SQL_AUTHORIZED);
	sql_transition_done(s, false);

	sql_state(s, v, "DISPENSING", true); /* before the motor starts */
	sql_state(s, v, "VERIFYING", false);

	st = sql_write(s, SQL_LANE_TAKE);
	sql_bind_int(s, st, 1, v->lane);
	sql_run(s, SQL_LANE_TAKE);
	sql_state(s, v, "CAPTURE_PENDING", true); /* with the stock change, before capture */

	sql_state(s, v, "CAPTURED", false);
}

static void sql_open(struct sql *s, const char *dir, unsigned vends)
{
	char path[4608];
	snprintf(path, sizeof(path), "%s/vends.db", dir);
	if (sqlite3_open(path, &s->db) != SQLITE_OK)
		die("sqlite3_open %s", path);
	sql_exec(s, "PRAGMA journal_mode=WAL");
	sql_exec(s, "PRAGMA synchronous=FULL");
	sql_exec(s, "CREATE TABLE lanes(lane INTEGER PRIMARY KEY, count INTEGER NOT NULL)");
	sql_exec(s, "CREATE TABLE vends(id TEXT PRIMARY KEY, number INTEGER NOT NULL,"
		    " lane INTEGER NOT NULL, price_minor INTEGER NOT NULL, currency TEXT NOT NULL,"
		    " state TEXT NOT NULL, auth_key TEXT, processor_ref TEXT, card_brand TEXT,"
		    " card_last4 TEXT, auth_code TEXT, updated_ms INTEGER NOT NULL)");
	char insert[128];
	sql_exec(s, "BEGIN");
	for (unsigned i = 0; i < BENCH_LANES; i++) {
		snprintf(insert, sizeof(insert), "INSERT INTO lanes VALUES(%u, %u)", i, vends / BENCH_LANES + 10);
		sql_exec(s, insert);
	}
	sql_exec(s, "COMMIT");
	for (int i = 0; i < SQL_COUNT; i++)
		sql_check(s, sqlite3_prepare_v2(s->db, sql_text[i], -1, &s->stmt[i], NULL), sql_text[i]);
}

/* Opening, the schema and the statements are setup; the vends and the last
 * commit are timed. */
static double sql_run_vends(const char *dir, const struct journal_trace *t, bool every, uint64_t *commits)
{
	struct sql s;
	memset(&s, 0, sizeof(s));
	s.every = every;
	sql_open(&s, dir, t->vend_count);

	double t0 = now_s();
	for (unsigned i = 0; i < t->vend_count; i++)
		sql_vend(&s, &t->vends[i]);
	sql_commit(&s);
	double t1 = now_s();

	*commits = s.commits;
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(s.stmt[i]);
	if (sqlite3_close(s.db) != SQLITE_OK)
		die("sqlite3_close");
	return t1 - t0;
}

#endif /* CV_BENCH_SQLITE */

/* ---- Rounds and figures -------------------------------------------------- */

struct figures {
	double rate[KIND_COUNT][BENCH_ROUNDS_MAX]; /* vends/s; raw: points/s */
	double engine_fsync_per_vend[BENCH_ROUNDS_MAX];
	uint64_t sql_commits[2];
	bool have_sql;
};

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *values, unsigned n)
{
	double sorted[BENCH_ROUNDS_MAX];
	memcpy(sorted, values, n * sizeof(*values));
	qsort(sorted, n, sizeof(*sorted), compare_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void run_kind(enum bench_kind kind, unsigned round, unsigned vends, const struct journal_trace *t,
		     struct figures *f)
{
	static const char *const names[KIND_COUNT] = {"engine", "raw", "raw-records", "sql-every", "sql-points"};
	char dir[4352];
	make_run_dir(dir, sizeof(dir), names[kind], round);
	switch (kind) {
	case KIND_ENGINE: {
		struct engine_result r;
		engine_run(dir, vends, NULL, &r);
		if (r.bytes != t->length)
			die("round %u: the engine wrote %llu bytes, the calibration run %zu", round,
			    (unsigned long long)r.bytes, t->length);
		f->rate[kind][round] = vends / r.seconds;
		f->engine_fsync_per_vend[round] = (double)r.syncs / vends;
		break;
	}
	case KIND_RAW:
	case KIND_RAW_RECORDS:
		f->rate[kind][round] = (double)t->points.count / raw_run(dir, t, kind == KIND_RAW_RECORDS);
		break;
#if CV_BENCH_SQLITE
	case KIND_SQL_EVERY:
	case KIND_SQL_POINTS: {
		unsigned i = kind == KIND_SQL_EVERY ? 0 : 1;
		f->rate[kind][round] = vends / sql_run_vends(dir, t, i == 0, &f->sql_commits[i]);
		break;
	}
#endif
	default:
		break;
	}
	remove_flat_dir(dir);
}

/* Round r starts with kind r mod 5, so no kind always runs first or after
 * the same neighbour. */
static void run_rounds(unsigned rounds, unsigned vends, const struct journal_trace *t, struct figures *f)
{
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned k = 0; k < KIND_COUNT; k++) {
			enum bench_kind kind = (enum bench_kind)((r + k) % KIND_COUNT);
			if ((kind == KIND_SQL_EVERY || kind == KIND_SQL_POINTS) && !f->have_sql)
				continue;
			run_kind(kind, r, vends, t, f);
		}
		printf("round %u: engine %.0f vends/s (%.3f fdatasync/vend), raw %.0f points/s, "
		       "raw per record %.0f points/s",
		       r + 1, f->rate[KIND_ENGINE][r], f->engine_fsync_per_vend[r], f->rate[KIND_RAW][r],
		       f->rate[KIND_RAW_RECORDS][r]);
		if (f->have_sql)
			printf(", sqlite every transition %.0f vends/s, at durable points %.0f vends/s",
			       f->rate[KIND_SQL_EVERY][r], f->rate[KIND_SQL_POINTS][r]);
		printf("\n");
		fflush(stdout);
	}
}

/* Median over rounds of engine / other, each ratio from one round. */
static double median_ratio(const struct figures *f, enum bench_kind other, double engine_scale, unsigned rounds)
{
	double ratios[BENCH_ROUNDS_MAX];
	for (unsigned r = 0; r < rounds; r++)
		ratios[r] = f->rate[KIND_ENGINE][r] * engine_scale / f->rate[other][r];
	return median(ratios, rounds);
}

static const char *verdict(double value, double target)
{
	return value >= target ? "met" : "MISSED";
}

static void report(const struct figures *f, const struct journal_trace *t, unsigned vends, unsigned rounds)
{
	double engine = median(f->rate[KIND_ENGINE], rounds);
	double fsync = median(f->engine_fsync_per_vend, rounds);
	double raw_ratio = median_ratio(f, KIND_RAW, BENCH_POINTS_PER_VEND, rounds);
	printf("bench: durable_vends_per_s %.1f vends/s\n", engine);
	printf("bench: raw_fdatasync_points_per_s %.1f points/s\n", median(f->rate[KIND_RAW], rounds));
	printf("bench: engine_points_per_s %.1f points/s\n", engine * BENCH_POINTS_PER_VEND);
	printf("bench: engine_vs_raw_per_durable_point %.3f ratio (target >= 0.9: %s)\n", raw_ratio,
	       verdict(raw_ratio, 0.9));
	double records_ratio = median_ratio(f, KIND_RAW_RECORDS, BENCH_POINTS_PER_VEND, rounds);
	printf("bench: raw_per_record_writes_points_per_s %.1f points/s\n", median(f->rate[KIND_RAW_RECORDS], rounds));
	printf("bench: engine_vs_raw_per_record_writes %.3f ratio (same write() calls as the engine)\n", records_ratio);
	printf("bench: fdatasync_per_vend %.3f calls (minimum %u)\n", fsync, BENCH_POINTS_PER_VEND);
	printf("bench: journal_bytes_per_durable_point %.1f bytes\n", (double)t->length / (double)t->points.count);
	printf("bench: journal_records_per_vend %.2f records\n", (double)t->records.count / vends);
	printf("bench: state_transitions_per_vend %.2f transitions\n", (double)t->transitions / vends);
	if (!f->have_sql) {
		printf("SKIPPED: sqlite3 not found (the SQLite comparison was not built)\n");
		return;
	}
	double every = median_ratio(f, KIND_SQL_EVERY, 1.0, rounds);
	double points = median_ratio(f, KIND_SQL_POINTS, 1.0, rounds);
	printf("bench: sqlite_every_transition_vends_per_s %.1f vends/s (%.2f commits/vend)\n",
	       median(f->rate[KIND_SQL_EVERY], rounds), (double)f->sql_commits[0] / vends);
	printf("bench: sqlite_durable_points_vends_per_s %.1f vends/s (%.2f commits/vend)\n",
	       median(f->rate[KIND_SQL_POINTS], rounds), (double)f->sql_commits[1] / vends);
	printf("bench: engine_vs_sqlite_every_transition %.3f ratio (target >= 1.5: %s)\n", every, verdict(every, 1.5));
	printf("bench: engine_vs_sqlite_durable_points %.3f ratio (target >= 1.0: %s)\n", points, verdict(points, 1.0));
}

static unsigned parse_arg(int argc, char **argv, int index, unsigned fallback, unsigned max)
{
	if (argc <= index)
		return fallback;
	char *end;
	unsigned long v = strtoul(argv[index], &end, 10);
	if (*end != '\0' || v == 0 || v > max) {
		fprintf(stderr, "usage: %s [base-dir [vends 1..20000 [rounds 1..%u]]]\n", argv[0], BENCH_ROUNDS_MAX);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : ".";
	unsigned vends = parse_arg(argc, argv, 2, BENCH_VENDS_DEFAULT, 20000);
	unsigned rounds = parse_arg(argc, argv, 3, BENCH_ROUNDS_DEFAULT, BENCH_ROUNDS_MAX);

	snprintf(scratch, sizeof(scratch), "%s/bench-durable-XXXXXX", base);
	if (mkdtemp(scratch) == NULL) {
		int err = errno;
		scratch[0] = '\0';
		die("mkdtemp under %s: %s", base, strerror(err));
	}
	bool memory_fs;
	const char *fs = fs_name(scratch, &memory_fs);
	printf("scratch directory %s, file system %s\n", scratch, fs);
	if (memory_fs)
		printf("WARNING: %s keeps files in memory; fdatasync costs nothing there and the "
		       "figures say nothing about disks\n",
		       fs);
	printf("%u vends per run, %u rounds\n", vends, rounds);

	/* Calibration (untimed for the figures): where the engine syncs, what
	 * it writes, and which vends it made. */
	static struct journal_trace trace;
	trace.vends = calloc(vends, sizeof(*trace.vends));
	if (trace.vends == NULL)
		die("out of memory");
	char dir[4352];
	make_run_dir(dir, sizeof(dir), "calibration", 0);
	struct engine_result cal;
	engine_run(dir, vends, &trace, &cal);
	remove_flat_dir(dir);
	if (trace.vend_count != vends || trace.points.count == 0)
		die("calibration saw %u vends and %zu durable points", trace.vend_count, trace.points.count);
	printf("calibration: %zu durable points, %zu records, %zu journal bytes, %u state transitions\n",
	       trace.points.count, trace.records.count, trace.length, trace.transitions);

	static struct figures f;
	f.have_sql = CV_BENCH_SQLITE;
	run_rounds(rounds, vends, &trace, &f);
	report(&f, &trace, vends, rounds);

	if (rmdir(scratch) != 0)
		die("rmdir %s: %s", scratch, strerror(errno));
	free(trace.bytes);
	free(trace.points.end);
	free(trace.records.end);
	free(trace.vends);
	return 0;
}
