/* SPDX-License-Identifier: MIT */
/*
 * Crash test with real kills: a child process
 * (kill_child.c) vends in a loop on the POSIX journal and is SIGKILLed at a
 * random moment, CV_KILLS times (default 1000); then one last child recovers,
 * settles every open vend and exits. The invariants are then checked on what
 * survived: the journal, the payment processor's log, the machine's bin log
 * (motor starts and items that physically fell) and the recovery log.
 *
 *   kill-test CHILD_EXECUTABLE
 *
 * One kill in four is timed from the exec (it often lands in cv_machine_init:
 * reading back, cutting a torn tail, resolving open vends); the others from
 * the moment init returned (the child signals it on a pipe), so every life
 * also settles and vends.
 *
 * Environment: CV_CRASH_DIR (where the run directory is made; default "."),
 * CV_KILLS, CV_TEST_SEED (default: from the clock; printed), CV_KILL_MIN_MS
 * and CV_KILL_MAX_MS (the kill delay range, default 1..20), CV_CRASH_KEEP=1
 * (keep the run directory even when everything passed).
 *
 * The invariants (each a check below; any violation fails the test):
 *  children       every child died of our SIGKILL, except the last, which
 *                 exited 0 after settling; every cv_machine_init returned CV_OK.
 *  journal        the journal scans clean (cv_journal_scan, the rules of
 *                 lib/journal_read.c): no corruption, no torn tail left, a file
 *                 header first, every record decodes, every VEND_STATE belongs
 *                 to a begun vend, vend ids unique, epochs never decrease, a
 *                 MACHINE_START for every init that returned, no vend open.
 *  no-resume      no vend was authorized, dispensed or verified in a later
 *                 epoch (life) than the one that began it: the journal never
 *                 shows AUTH_PENDING, AUTHORIZED, DISPENSING or VERIFYING, nor a
 *                 first verified drop, after a restart.
 *  write-ahead    every side effect in the outside world had its intent in
 *                 the journal: each hold or decline at the processor an
 *                 AUTH_PENDING of that vend with that key ordinal, each capture
 *                 a CAPTURE_PENDING, each void a VOID_PENDING, each motor start
 *                 a DISPENSING.
 *  processor      the processor refused nothing (no capture of a voided,
 *                 declined, unknown or captured hold, no void of a captured
 *                 one, no wrong reference or amount, no key reused for another
 *                 hold), and at the end no hold is left open; each hold is
 *                 captured at most once, each vend at most once, for exactly
 *                 its price (≤ the amount held); keys name the vend they
 *                 belong to.
 *  charge-drop    every capture is for a vend whose item physically fell (a
 *                 P record of that vend in the bin log) and whose drop the
 *                 journal recorded as verified.
 *  verified-paid  every vend the journal recorded as verified was captured
 *                 at the processor (exactly once) and ended CAPTURED.
 *  hold-at-motor  every motor start was for a vend the engine was dispensing,
 *                 under that vend's authorization key, which the processor
 *                 held (not captured, not voided) at that moment, placed by
 *                 the same life as the motor start: nothing is dispensed after
 *                 a restart. Every fallen item follows a motor start of its
 *                 vend, lane and life.
 *  one-item       no vend made more than one item fall.
 *  inventory      per lane, with V the vends whose verified drop the journal
 *                 holds as a CAPTURE_PENDING (which stands for the item taken;
 *                 a VERIFYING record with drop_verified is recovered by
 *                 capturing, which writes that CAPTURE_PENDING), P the items that physically fell and U the fallen
 *                 items of vends never verified: every LANE_STATE the engine
 *                 journaled, in every life, carries exactly capacity minus the
 *                 drops verified before it; the final count E (the last
 *                 LANE_STATE, equal to what the settling child read from
 *                 cv_machine_lane_info) is exactly capacity - V; and physical
 *                 stock (capacity - P) <= E <= physical + U. So the engine never
 *                 believes less stock than there is, and more only by items
 *                 that fell unverified. Every vend with an unverified fallen
 *                 item was resolved by a VOID_UNVERIFIED recovery and ended
 *                 VOIDED.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <candyvend/candyvend.h>
#include <candyvend/storage_posix.h>

#include "crash_common.h"
#include "crash_records.h"
#include "crash_util.h"
#include "file_processor.h"
#include "journal_read.h"
#include "machine_private.h"

/* ---- Checks --------------------------------------------------------------- */

enum {
	CK_CHILDREN,
	CK_JOURNAL,
	CK_NO_RESUME,
	CK_WRITE_AHEAD,
	CK_PROCESSOR,
	CK_CHARGE_DROP,
	CK_VERIFIED_PAID,
	CK_HOLD_AT_MOTOR,
	CK_ONE_ITEM,
	CK_INVENTORY,
	CK_COUNT
};

static const char *const check_names[CK_COUNT] = {
	"children",    "journal",       "no-resume",     "write-ahead", "processor",
	"charge-drop", "verified-paid", "hold-at-motor", "one-item",    "inventory",
};

static unsigned check_failures[CK_COUNT];

#define EXAMPLES_MAX 10

static void fail(int check, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(int check, const char *fmt, ...)
{
	if (check_failures[check]++ >= EXAMPLES_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stdout, "FAIL [%s] ", check_names[check]);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
}

/* ---- What was found ------------------------------------------------------- */

struct vend {
	char id[CV_VEND_ID_LEN];
	uint32_t number;
	uint16_t lane;
	int64_t price;
	uint32_t begin_epoch;
	uint8_t state;         /* Last journaled state. */
	bool drop_seen;        /* A VEND_STATE with drop_verified was journaled. */
	bool verified;         /* CAPTURE_PENDING was journaled: the item taken, the charge decided. */
	bool auth_pending[10]; /* Key ordinals journaled in AUTH_PENDING. */
	bool dispensing, capture_pending, void_pending;
	unsigned motor_starts, drops;
	unsigned captures;
	int64_t captured;
	bool recovered_unverified;
};

static struct {
	struct vend *vends;
	size_t count, capacity;
	struct cu_map by_id; /* vend id → index */
	/* Journal. */
	uint32_t last_epoch;
	uint64_t records, machine_starts, epochs;
	bool header_first;
	uint16_t lane_count[CRASH_LANES]; /* Last LANE_STATE. */
	unsigned verified[CRASH_LANES];
	unsigned unpaired[CRASH_LANES]; /* Verifications whose LANE_STATE was never written (a kill between). */
	int pending_decrement;          /* Lane of a verification awaiting its LANE_STATE, or -1. */
	unsigned state_counts[16];
	/* Bin log. */
	unsigned drops[CRASH_LANES];
	unsigned unverified_drops[CRASH_LANES];
	uint64_t motor_starts;
	/* Processor. */
	uint64_t holds, declines, captures, voids, refusals;
	int64_t captured_minor;
	/* Recovery log. */
	unsigned recoveries[8];
	uint64_t torn_bytes;
	/* Lives. */
	unsigned inits_ok;
	unsigned lane_final[CRASH_LANES];
	bool final_read;
} w;

static struct vend *vend_find(const char *id)
{
	int64_t *index = cu_map_get(&w.by_id, id);
	return index != NULL ? &w.vends[*index] : NULL;
}

static struct vend *vend_add(const char *id)
{
	bool inserted = false;
	cu_map_put(&w.by_id, id, (int64_t)w.count, &inserted);
	if (!inserted)
		return NULL;
	if (w.count == w.capacity) {
		w.capacity = w.capacity ? w.capacity * 2 : 4096;
		w.vends = realloc(w.vends, w.capacity * sizeof(w.vends[0]));
		if (w.vends == NULL)
			abort();
	}
	struct vend *v = &w.vends[w.count++];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	return v;
}

/* "cv1.<vend id>.<suffix>": the vend id, or false. */
static bool key_vend(const char *key, const char *suffix, char id[CV_VEND_ID_LEN])
{
	size_t id_len = CV_VEND_ID_LEN - 1;
	if (strncmp(key, "cv1.", 4) != 0 || strlen(key) < 4 + id_len + 1 || key[4 + id_len] != '.')
		return false;
	memcpy(id, key + 4, id_len);
	id[id_len] = '\0';
	return strcmp(key + 4 + id_len + 1, suffix) == 0;
}

/* The vend and ordinal of an authorization key "cv1.<id>.auth.<n>". */
static bool auth_key_vend(const char *key, char id[CV_VEND_ID_LEN], unsigned *ordinal)
{
	char suffix[16];
	size_t id_len = CV_VEND_ID_LEN - 1;
	if (strlen(key) != 4 + id_len + 7)
		return false;
	snprintf(suffix, sizeof(suffix), "%s", key + 4 + id_len + 1);
	if (strncmp(suffix, "auth.", 5) != 0 || suffix[5] < '1' || suffix[5] > '9')
		return false;
	*ordinal = (unsigned)(suffix[5] - '0');
	return key_vend(key, suffix, id);
}

/* ---- Journal ---------------------------------------------------------------- */

/* The reading rules of lib/journal_read.c (docs/journal-format.md), over the
 * storage's public read op: a record is sound when its length is sane, all of
 * it is there and its CRC32C matches; sound records carry consecutive
 * sequence numbers; a bad record is a torn tail only if at most one record's
 * bytes (or nothing but zeros) follow its start, anything else is corruption.
 * (Written out here rather than calling the internal cv_journal_scan, whose
 * signature is changing with checkpoints.) */
struct scan {
	uint64_t records, last_seq, valid_length, torn_bytes, bad_offset;
};

static uint64_t le_get(const uint8_t *p, unsigned size)
{
	uint64_t value = 0;
	for (unsigned i = size; i-- > 0;)
		value = (value << 8) | p[i];
	return value;
}

static enum cv_status read_at(const struct cv_storage_ops *ops, void *ctx, uint64_t offset, uint8_t *buf, size_t size,
			      size_t *got)
{
	*got = 0;
	while (*got < size) {
		size_t n = 0;
		enum cv_status rc = ops->read(ctx, offset + *got, buf + *got, size - *got, &n);
		if (rc != CV_OK)
			return rc;
		if (n == 0)
			break;
		*got += n;
	}
	return CV_OK;
}

static bool journal_record(void *arg, const struct cv_journal_record *record);

static enum cv_status scan_journal(const struct cv_storage_ops *ops, void *ctx, struct scan *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t buf[CV_JOURNAL_RECORD_MAX];
	for (uint64_t offset = 0;;) {
		size_t got = 0;
		enum cv_status rc = read_at(ops, ctx, offset, buf, sizeof(buf), &got);
		if (rc != CV_OK || got == 0)
			return rc;
		uint32_t length = got >= 4 ? (uint32_t)le_get(buf, 4) : 0;
		bool sound = length >= CV_JOURNAL_RECORD_MIN && length <= CV_JOURNAL_RECORD_MAX && got >= length &&
			     cv_crc32c(0, buf, length - CV_JOURNAL_TRAILER_SIZE) ==
				     (uint32_t)le_get(buf + length - CV_JOURNAL_TRAILER_SIZE, 4);
		if (!sound) {
			uint64_t left = 0;
			bool zeros = true;
			for (;;) {
				uint8_t chunk[256];
				rc = read_at(ops, ctx, offset + left, chunk, sizeof(chunk), &got);
				if (rc != CV_OK)
					return rc;
				for (size_t i = 0; i < got && zeros; i++)
					zeros = chunk[i] == 0;
				left += got;
				if (got < sizeof(chunk))
					break;
			}
			if (left > CV_JOURNAL_RECORD_MAX && !zeros) {
				out->bad_offset = offset;
				return CV_E_CORRUPT;
			}
			out->torn_bytes = left;
			return CV_OK;
		}
		struct cv_journal_record record = {
			.offset = offset,
			.type = (uint16_t)le_get(buf + 4, 2),
			.epoch = (uint32_t)le_get(buf + 8, 4),
			.seq = le_get(buf + 12, 8),
			.payload = buf + CV_JOURNAL_HEADER_SIZE,
			.payload_length = length - CV_JOURNAL_RECORD_MIN,
			.tagged = (le_get(buf + 6, 2) & CV_JOURNAL_FLAG_TAGGED) != 0,
		};
		if (record.seq != out->last_seq + 1) {
			out->bad_offset = offset;
			return CV_E_CORRUPT;
		}
		out->records++;
		out->last_seq = record.seq;
		offset += length;
		out->valid_length = offset;
		journal_record(NULL, &record);
	}
}

/* Checkpoint records (being added to the format): tolerated, not interpreted. */

static bool journal_record(void *arg, const struct cv_journal_record *record)
{
	(void)arg;
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, record);
	w.records++;
	if (w.records == 1)
		w.header_first = record->type == CV_JOURNAL_FILE_HEADER;
	if (record->epoch < w.last_epoch)
		fail(CK_JOURNAL, "record seq %" PRIu64 ": epoch %" PRIu32 " after %" PRIu32, record->seq, record->epoch,
		     w.last_epoch);
	if (record->epoch != w.last_epoch)
		w.epochs++;
	w.last_epoch = record->epoch;
	/* A vend's first CAPTURE_PENDING is followed at once by its lane's decrement. */
	int pending = w.pending_decrement;
	w.pending_decrement = -1;

	char id[CV_VEND_ID_LEN];
	struct vend *v;
	switch (record->type) {
	case CV_JOURNAL_FILE_HEADER:
		if (w.records != 1)
			fail(CK_JOURNAL, "file header at seq %" PRIu64, record->seq);
		break;
	case CV_JOURNAL_MACHINE_START:
		w.machine_starts++;
		break;
	case CV_JOURNAL_VEND_BEGIN: {
		struct crash_vend_begin begin;
		if (!crash_read_vend_begin(record, &begin) || begin.lane >= CRASH_LANES) {
			fail(CK_JOURNAL, "seq %" PRIu64 ": bad VEND_BEGIN", record->seq);
			break;
		}
		uint32_t number = begin.number;
		uint16_t lane = begin.lane;
		int64_t price = begin.price;
		cv_vend_id_encode(begin.uuid, id);
		v = vend_find(id);
		if (v != NULL) {
			/* A checkpoint repeats the begin of a vend still open; anything else is a reused id. */
			if (v->number != number || cv_vend_state_is_terminal((enum cv_vend_state)v->state))
				fail(CK_JOURNAL, "seq %" PRIu64 ": vend id %s begun twice", record->seq, id);
			break;
		}
		v = vend_add(id);
		v->number = number;
		v->lane = lane;
		v->price = price;
		v->begin_epoch = record->epoch;
		v->state = CV_VEND_STATE_SELECTED;
		if (price != crash_price(lane))
			fail(CK_JOURNAL, "vend %s: price %" PRId64 " on lane %u", id, price, (unsigned)lane);
		break;
	}
	case CV_JOURNAL_VEND_STATE: {
		struct crash_vend_state vs;
		if (!crash_read_vend_state(record, &vs) || vs.state > CV_VEND_STATE_VOID_FAILED) {
			fail(CK_JOURNAL, "seq %" PRIu64 ": bad VEND_STATE", record->seq);
			break;
		}
		uint8_t state = vs.state;
		uint16_t lane = vs.lane;
		uint8_t attempt = vs.attempt;
		bool verified = vs.verified;
		cv_vend_id_encode(vs.uuid, id);
		v = vend_find(id);
		if (v == NULL) {
			fail(CK_JOURNAL, "seq %" PRIu64 ": state of vend %s that never began", record->seq, id);
			break;
		}
		if (cv_vend_state_is_terminal((enum cv_vend_state)v->state))
			fail(CK_JOURNAL, "seq %" PRIu64 ": vend %s changes after its end", record->seq, id);
		if (lane != v->lane)
			fail(CK_JOURNAL, "vend %s changed lane", id);
		bool resumed = record->epoch != v->begin_epoch;
		if (resumed && (state == CV_VEND_STATE_AUTH_PENDING || state == CV_VEND_STATE_AUTHORIZED ||
				state == CV_VEND_STATE_DISPENSING || state == CV_VEND_STATE_VERIFYING))
			fail(CK_NO_RESUME, "vend %s (begun in epoch %" PRIu32 ") journaled %s in epoch %" PRIu32, id,
			     v->begin_epoch, cv_vend_state_str((enum cv_vend_state)state), record->epoch);
		if (verified && !v->drop_seen) {
			if (resumed)
				fail(CK_NO_RESUME,
				     "vend %s: drop first seen in epoch %" PRIu32 " (begun in %" PRIu32 ")", id,
				     record->epoch, v->begin_epoch);
			v->drop_seen = true;
		}
		if (state == CV_VEND_STATE_CAPTURE_PENDING && !v->verified) {
			/* A later life may capture only a drop an earlier one recorded as seen. */
			if (resumed && !v->drop_seen)
				fail(CK_NO_RESUME,
				     "vend %s: first CAPTURE_PENDING in epoch %" PRIu32 " (begun in %" PRIu32 ")", id,
				     record->epoch, v->begin_epoch);
			/* The CAPTURE_PENDING record stands for the item taken (replay takes it). */
			v->verified = true;
			w.verified[lane]++;
			w.pending_decrement = lane;
		}
		if (!verified && v->drop_seen)
			fail(CK_JOURNAL, "vend %s lost its verified drop", id);
		if (state == CV_VEND_STATE_CAPTURE_PENDING && !verified)
			fail(CK_JOURNAL, "vend %s: CAPTURE_PENDING without a verified drop", id);
		if (state == CV_VEND_STATE_AUTH_PENDING && attempt < 10)
			v->auth_pending[attempt] = true;
		v->dispensing |= state == CV_VEND_STATE_DISPENSING;
		v->capture_pending |= state == CV_VEND_STATE_CAPTURE_PENDING;
		v->void_pending |= state == CV_VEND_STATE_VOID_PENDING;
		v->state = state;
		break;
	}
	case CV_JOURNAL_LANE_STATE: {
		uint16_t lane = (uint16_t)cv_journal_get_uint(&r, 2);
		uint16_t count = (uint16_t)cv_journal_get_uint(&r, 2);
		if (lane >= CRASH_LANES) {
			fail(CK_JOURNAL, "seq %" PRIu64 ": LANE_STATE of lane %u", record->seq, (unsigned)lane);
			break;
		}
		/* Every count the engine journals is the start stock minus the drops verified so far. */
		if (count != CRASH_CAPACITY - w.verified[lane])
			fail(CK_INVENTORY, "seq %" PRIu64 ": lane %u count %u, but %u - %u verified = %u", record->seq,
			     (unsigned)lane, (unsigned)count, CRASH_CAPACITY, w.verified[lane],
			     CRASH_CAPACITY - w.verified[lane]);
		if (pending == (int)lane)
			pending = -1; /* The decrement that goes with the verification. */
		w.lane_count[lane] = count;
		break;
	}
	case CV_JOURNAL_LANE_CONFIG:
	case CV_JOURNAL_SERVICE:
	case CV_JOURNAL_ALERT:
	case CV_JOURNAL_CHECKPOINT_BEGIN:
	case CV_JOURNAL_CHECKPOINT_END:
		break;
	default:
		fail(CK_JOURNAL, "seq %" PRIu64 ": unknown record type %u", record->seq, (unsigned)record->type);
		break;
	}
	if (pending >= 0)
		w.unpaired[pending]++;
	return true;
}

static void read_journal(const char *dir)
{
	char path[4096];
	cu_path(path, sizeof(path), dir, CRASH_DIR_JOURNAL);
	struct cv_posix_storage_config config;
	cv_posix_storage_config_default(&config);
	config.directory = path;
	config.segment_size_bytes = CRASH_SEGMENT_SIZE;
	struct cv_posix_storage *store = NULL;
	enum cv_status rc = cv_posix_storage_open(&config, &store);
	if (rc != CV_OK) {
		fail(CK_JOURNAL, "cv_posix_storage_open: %s", cv_status_name(rc));
		return;
	}
	for (unsigned i = 0; i < CRASH_LANES; i++)
		w.lane_count[i] = CRASH_CAPACITY;
	w.pending_decrement = -1;
	struct scan scan;
	rc = scan_journal(&cv_posix_storage_ops, store, &scan);
	if (w.pending_decrement >= 0)
		w.unpaired[w.pending_decrement]++;
	printf("journal: %" PRIu64 " records, %" PRIu64 " bytes in %" PRIu32 " segments, %" PRIu64 " epochs\n",
	       scan.records, cv_posix_storage_length(store), cv_posix_storage_segment_count(store), w.epochs);
	cv_posix_storage_close(store);
	if (rc != CV_OK)
		fail(CK_JOURNAL, "cv_journal_scan: %s at offset %" PRIu64, cv_status_name(rc), scan.bad_offset);
	if (scan.torn_bytes != 0)
		fail(CK_JOURNAL, "a torn tail of %" PRIu64 " bytes is left after the settling child", scan.torn_bytes);
	if (!w.header_first)
		fail(CK_JOURNAL, "the first record is not a file header");
	for (size_t i = 0; i < w.count; i++) {
		const struct vend *v = &w.vends[i];
		if (v->state < 16)
			w.state_counts[v->state]++;
		if (!cv_vend_state_is_terminal((enum cv_vend_state)v->state))
			fail(CK_JOURNAL, "vend %s still open (%s) after the final settle", v->id,
			     cv_vend_state_str((enum cv_vend_state)v->state));
	}
}

/* ---- Processor log ---------------------------------------------------------- */

struct proc_rec {
	struct fp_record r;
	uint64_t end;
};

static struct {
	struct proc_rec *recs;
	size_t count, capacity;
} proc;

static bool proc_line(void *arg, char *line, uint64_t offset, uint64_t end)
{
	(void)arg;
	(void)offset;
	if (proc.count == proc.capacity) {
		proc.capacity = proc.capacity ? proc.capacity * 2 : 4096;
		proc.recs = realloc(proc.recs, proc.capacity * sizeof(proc.recs[0]));
		if (proc.recs == NULL)
			abort();
	}
	struct proc_rec *p = &proc.recs[proc.count];
	if (!fp_record_parse(line, &p->r)) {
		fail(CK_PROCESSOR, "malformed processor record: %s", line);
		return true;
	}
	p->end = end;
	proc.count++;
	return true;
}

/* State of a hold, as the map value: life * 8 + state. */
enum { HS_HELD = 1, HS_DECLINED, HS_CAPTURED, HS_VOIDED };

static void check_processor(const char *dir)
{
	char path[4096];
	uint64_t torn = 0;
	cu_path(path, sizeof(path), dir, CRASH_FILE_PROCESSOR);
	if (cu_log_read(path, proc_line, NULL, &torn) != 0)
		fail(CK_PROCESSOR, "cannot read %s", path);
	if (torn != 0)
		fail(CK_PROCESSOR, "processor log ends in a torn record after the settling child");
	struct cu_map holds;
	cu_map_init(&holds);
	for (size_t i = 0; i < proc.count; i++) {
		const struct fp_record *r = &proc.recs[i].r;
		char id[CV_VEND_ID_LEN], key_id[CV_VEND_ID_LEN];
		unsigned ordinal = 0;
		if (r->type == 'R') {
			w.refusals++;
			fail(CK_PROCESSOR,
			     "life %" PRIu32 ": processor refused %s (auth %s, key %s, amount %" PRId64 ")", r->life,
			     r->what, r->auth_key, r->key, r->amount);
			continue;
		}
		if (!auth_key_vend(r->auth_key, id, &ordinal)) {
			fail(CK_PROCESSOR, "authorization key %s is not cv1.<vend>.auth.<n>", r->auth_key);
			continue;
		}
		struct vend *v = vend_find(id);
		int64_t *hs = cu_map_get(&holds, r->auth_key);
		switch (r->type) {
		case 'H':
		case 'D':
			r->type == 'H' ? w.holds++ : w.declines++;
			cu_map_put(&holds, r->auth_key, (int64_t)r->life * 8 + (r->type == 'H' ? HS_HELD : HS_DECLINED),
				   NULL);
			if (v == NULL || !v->auth_pending[ordinal])
				fail(CK_WRITE_AHEAD,
				     "%s at the processor without AUTH_PENDING (ordinal %u) in the journal",
				     r->auth_key, ordinal);
			if (v != NULL && r->amount != v->price)
				fail(CK_PROCESSOR, "%s authorized %" PRId64 ", price %" PRId64, r->auth_key, r->amount,
				     v->price);
			break;
		case 'C':
			w.captures++;
			w.captured_minor += r->amount;
			if (hs != NULL)
				*hs = *hs / 8 * 8 + HS_CAPTURED;
			if (!key_vend(r->key, "cap", key_id) || strcmp(key_id, id) != 0)
				fail(CK_PROCESSOR, "capture key %s does not belong to %s", r->key, r->auth_key);
			if (v == NULL || !v->capture_pending) {
				fail(CK_WRITE_AHEAD, "capture of %s without CAPTURE_PENDING in the journal",
				     r->auth_key);
				break;
			}
			v->captures++;
			v->captured += r->amount;
			break;
		case 'V':
			w.voids++;
			if (hs != NULL)
				*hs = *hs / 8 * 8 + HS_VOIDED;
			if (!key_vend(r->key, "void", key_id) || strcmp(key_id, id) != 0)
				fail(CK_PROCESSOR, "void key %s does not belong to %s", r->key, r->auth_key);
			if (v == NULL || !v->void_pending)
				fail(CK_WRITE_AHEAD, "void of %s without VOID_PENDING in the journal", r->auth_key);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < holds.capacity; i++)
		if (holds.slots[i].used && holds.slots[i].value % 8 == HS_HELD)
			fail(CK_PROCESSOR, "hold %s left open after the final settle", holds.slots[i].key);
	for (size_t i = 0; i < w.count; i++) {
		const struct vend *v = &w.vends[i];
		if (v->captures > 1)
			fail(CK_PROCESSOR, "vend %s captured %u times", v->id, v->captures);
		if (v->captures == 1 && v->captured != v->price)
			fail(CK_PROCESSOR, "vend %s captured %" PRId64 ", price %" PRId64, v->id, v->captured,
			     v->price);
	}
	cu_map_free(&holds);
}

/* ---- Bin log ---------------------------------------------------------------- */

struct bin_rec {
	char type;
	uint32_t life;
	unsigned lane;
	char vend_id[CV_VEND_ID_LEN];
	char auth_key[CV_IDEM_KEY_LEN];
	uint64_t proc_offset;
};

static struct {
	struct bin_rec *recs;
	size_t count, capacity;
} bin;

static bool bin_line(void *arg, char *line, uint64_t offset, uint64_t end)
{
	(void)arg;
	(void)offset;
	(void)end;
	if (bin.count == bin.capacity) {
		bin.capacity = bin.capacity ? bin.capacity * 2 : 4096;
		bin.recs = realloc(bin.recs, bin.capacity * sizeof(bin.recs[0]));
		if (bin.recs == NULL)
			abort();
	}
	struct bin_rec *b = &bin.recs[bin.count];
	memset(b, 0, sizeof(*b));
	b->type = line[0];
	bool ok = false;
	if (line[0] == 'M')
		ok = sscanf(line, "M %" SCNu32 " %u %26s %47s %" SCNu64, &b->life, &b->lane, b->vend_id, b->auth_key,
			    &b->proc_offset) == 5;
	else if (line[0] == 'P')
		ok = sscanf(line, "P %" SCNu32 " %u %26s", &b->life, &b->lane, b->vend_id) == 3;
	if (!ok || b->lane >= CRASH_LANES) {
		fail(CK_HOLD_AT_MOTOR, "malformed bin record: %s", line);
		return true;
	}
	bin.count++;
	return true;
}

static void check_bin(const char *dir)
{
	char path[4096];
	uint64_t torn = 0;
	cu_path(path, sizeof(path), dir, CRASH_FILE_BIN);
	if (cu_log_read(path, bin_line, NULL, &torn) != 0)
		fail(CK_HOLD_AT_MOTOR, "cannot read %s", path);
	/* Processor state as of each motor start: replay its log alongside. */
	struct cu_map holds;
	cu_map_init(&holds);
	size_t next = 0;
	uint64_t last_offset = 0;
	const struct bin_rec *last_motor = NULL;
	for (size_t i = 0; i < bin.count; i++) {
		const struct bin_rec *b = &bin.recs[i];
		struct vend *v = vend_find(b->vend_id);
		if (b->type == 'P') {
			w.drops[b->lane]++;
			if (last_motor == NULL || last_motor->life != b->life || last_motor->lane != b->lane ||
			    strcmp(last_motor->vend_id, b->vend_id) != 0)
				fail(CK_HOLD_AT_MOTOR,
				     "life %" PRIu32 ": item of vend %s fell from lane %u without its motor start",
				     b->life, b->vend_id, b->lane);
			if (v != NULL)
				v->drops++;
			continue;
		}
		last_motor = b;
		w.motor_starts++;
		if (b->proc_offset < last_offset)
			fail(CK_HOLD_AT_MOTOR, "processor offsets go backwards in the bin log");
		last_offset = b->proc_offset;
		while (next < proc.count && proc.recs[next].end <= b->proc_offset) {
			const struct fp_record *r = &proc.recs[next++].r;
			int64_t *hs = cu_map_get(&holds, r->auth_key);
			if (r->type == 'H' || r->type == 'D')
				cu_map_put(&holds, r->auth_key,
					   (int64_t)r->life * 8 + (r->type == 'H' ? HS_HELD : HS_DECLINED), NULL);
			else if ((r->type == 'C' || r->type == 'V') && hs != NULL)
				*hs = *hs / 8 * 8 + (r->type == 'C' ? HS_CAPTURED : HS_VOIDED);
		}
		if (v == NULL) {
			fail(CK_HOLD_AT_MOTOR,
			     "life %" PRIu32 ": motor of lane %u started for no vend being dispensed (%s)", b->life,
			     b->lane, b->vend_id);
			continue;
		}
		v->motor_starts++;
		if (!v->dispensing)
			fail(CK_WRITE_AHEAD, "motor start of vend %s without DISPENSING in the journal", v->id);
		char id[CV_VEND_ID_LEN];
		unsigned ordinal = 0;
		if (!auth_key_vend(b->auth_key, id, &ordinal) || strcmp(id, v->id) != 0 || b->lane != v->lane) {
			fail(CK_HOLD_AT_MOTOR, "motor start of vend %s under key %s, lane %u", v->id, b->auth_key,
			     b->lane);
			continue;
		}
		const int64_t *hs = cu_map_get(&holds, b->auth_key);
		if (hs == NULL || *hs % 8 != HS_HELD)
			fail(CK_HOLD_AT_MOTOR,
			     "life %" PRIu32 ": motor start of vend %s while %s was %s at the processor", b->life,
			     v->id, b->auth_key,
			     hs == NULL ? "unknown"
					: (*hs % 8 == HS_DECLINED   ? "declined"
					   : *hs % 8 == HS_CAPTURED ? "captured"
								    : "voided"));
		else if ((uint64_t)(*hs / 8) != b->life)
			fail(CK_HOLD_AT_MOTOR,
			     "life %" PRIu32 ": motor start of vend %s on a hold placed by life %" PRId64
			     " (dispensed after a restart)",
			     b->life, v->id, *hs / 8);
	}
	cu_map_free(&holds);
}

/* ---- Recovery log, lives, final counts ---------------------------------------- */

static bool recovery_line(void *arg, char *line, uint64_t offset, uint64_t end)
{
	(void)arg;
	(void)offset;
	(void)end;
	unsigned life = 0, number = 0;
	int action = 0, found = 0;
	char id[CV_VEND_ID_LEN + 8];
	uint64_t torn = 0;
	if (sscanf(line, "%u %d %u %32s %d %" SCNu64, &life, &action, &number, id, &found, &torn) != 6 || action < 0 ||
	    action >= 8) {
		fail(CK_JOURNAL, "malformed recovery record: %s", line);
		return true;
	}
	w.recoveries[action]++;
	w.torn_bytes += torn;
	if (action == CV_RECOVERY_VOID_UNVERIFIED) {
		struct vend *v = vend_find(id);
		if (v != NULL)
			v->recovered_unverified = true;
	}
	return true;
}

static bool lives_line(void *arg, char *line, uint64_t offset, uint64_t end)
{
	(void)arg;
	(void)offset;
	(void)end;
	unsigned life = 0;
	int rc = -1;
	if (sscanf(line, "S %u %d", &life, &rc) != 2 || rc != CV_OK)
		fail(CK_CHILDREN, "life %u: cv_machine_init answered %s", life, cv_status_name((enum cv_status)rc));
	else
		w.inits_ok++;
	return true;
}

static void read_side_logs(const char *dir)
{
	char path[4096];
	uint64_t torn = 0;
	cu_path(path, sizeof(path), dir, CRASH_FILE_RECOVERY);
	if (cu_log_read(path, recovery_line, NULL, &torn) != 0)
		fail(CK_JOURNAL, "cannot read %s", path);
	cu_path(path, sizeof(path), dir, CRASH_FILE_LIVES);
	if (cu_log_read(path, lives_line, NULL, &torn) != 0)
		fail(CK_CHILDREN, "cannot read %s", path);
	cu_path(path, sizeof(path), dir, CRASH_FILE_FINAL);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fail(CK_INVENTORY, "no %s from the settling child", CRASH_FILE_FINAL);
		return;
	}
	unsigned lane, count, n = 0;
	while (fscanf(f, "lane %u %u\n", &lane, &count) == 2)
		if (lane < CRASH_LANES) {
			w.lane_final[lane] = count;
			n++;
		}
	fclose(f);
	w.final_read = n == CRASH_LANES;
	if (!w.final_read)
		fail(CK_INVENTORY, "%s lists %u of %u lanes", CRASH_FILE_FINAL, n, CRASH_LANES);
}

/* ---- Cross checks ------------------------------------------------------------- */

static void check_vends(void)
{
	for (size_t i = 0; i < w.count; i++) {
		const struct vend *v = &w.vends[i];
		if (v->captures > 0 && v->drops == 0)
			fail(CK_CHARGE_DROP, "vend %s captured but no item of it fell", v->id);
		if (v->captures > 0 && !v->verified)
			fail(CK_CHARGE_DROP, "vend %s captured without a verified drop in the journal", v->id);
		if (v->verified && v->drops == 0)
			fail(CK_CHARGE_DROP, "vend %s verified in the journal but no item of it fell", v->id);
		if (v->verified && (v->captures != 1 || v->state != CV_VEND_STATE_CAPTURED))
			fail(CK_VERIFIED_PAID, "vend %s verified, captured %u times, ended %s", v->id, v->captures,
			     cv_vend_state_str((enum cv_vend_state)v->state));
		if (v->drops > 1)
			fail(CK_ONE_ITEM, "vend %s made %u items fall", v->id, v->drops);
		if (v->drops > 0 && !v->verified) {
			w.unverified_drops[v->lane]++;
			if (!v->recovered_unverified || v->state != CV_VEND_STATE_VOIDED)
				fail(CK_INVENTORY, "vend %s: item fell unverified, yet %s, ended %s", v->id,
				     v->recovered_unverified ? "recovered VOID_UNVERIFIED"
							     : "no VOID_UNVERIFIED recovery",
				     cv_vend_state_str((enum cv_vend_state)v->state));
		}
	}
	for (unsigned lane = 0; lane < CRASH_LANES; lane++) {
		unsigned e = w.lane_count[lane];
		unsigned physical = CRASH_CAPACITY - w.drops[lane];
		if (w.final_read && w.lane_final[lane] != e)
			fail(CK_INVENTORY, "lane %u: settling child counted %u, journal says %u", lane,
			     w.lane_final[lane], e);
		if (e != CRASH_CAPACITY - w.verified[lane])
			fail(CK_INVENTORY, "lane %u: final count %u != %u - %u verified", lane, e, CRASH_CAPACITY,
			     w.verified[lane]);
		if (e < physical)
			fail(CK_INVENTORY, "lane %u: engine counts %u, %u items are really there", lane, e, physical);
		if (e > physical + w.unverified_drops[lane])
			fail(CK_INVENTORY, "lane %u: engine counts %u, physical %u + %u unverified drops", lane, e,
			     physical, w.unverified_drops[lane]);
	}
}

/* ---- Children ------------------------------------------------------------------ */

static uint64_t env_u64(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);
	if (s == NULL || *s == '\0')
		return fallback;
	return strtoull(s, NULL, 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Starts a child; if ready_fd is not NULL, *ready_fd receives the read end
 * of a pipe the child writes one byte to once cv_machine_init returned. */
static pid_t spawn(const char *child, const char *dir, const char *mode, uint32_t life, uint64_t seed, int *ready_fd)
{
	char life_s[16], seed_s[32], fd_s[16];
	snprintf(life_s, sizeof(life_s), "%" PRIu32, life);
	snprintf(seed_s, sizeof(seed_s), "%" PRIu64, seed);
	int fds[2] = {-1, -1};
	if (ready_fd != NULL && pipe(fds) != 0)
		return -1;
	snprintf(fd_s, sizeof(fd_s), "%d", fds[1]);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (ready_fd != NULL)
			close(fds[0]);
		execl(child, child, dir, mode, life_s, seed_s, ready_fd != NULL ? fd_s : (char *)NULL, (char *)NULL);
		fprintf(stderr, "kill-test: exec %s: %s\n", child, strerror(errno));
		_exit(127);
	}
	if (ready_fd != NULL) {
		close(fds[1]);
		if (pid < 0)
			close(fds[0]);
		else
			*ready_fd = fds[0];
	}
	return pid;
}

/* Waits up to timeout_ms for the child's "started" byte (or its death). */
static void wait_ready(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
		;
}

static const char *describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status 0x%x", (unsigned)status);
	return buf;
}

static int remove_tree(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	return system(cmd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: kill-test CHILD_EXECUTABLE\n");
		return 2;
	}
	const char *child = argv[1];
	uint32_t kills = (uint32_t)env_u64("CV_KILLS", 1000);
	uint64_t seed = env_u64("CV_TEST_SEED", 0);
	if (seed == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
	}
	uint64_t min_ms = env_u64("CV_KILL_MIN_MS", 1), max_ms = env_u64("CV_KILL_MAX_MS", 20);
	if (max_ms < min_ms)
		max_ms = min_ms;
	const char *base = getenv("CV_CRASH_DIR");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/crash-run-XXXXXX", base != NULL && *base ? base : ".");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "kill-test: mkdtemp %s: %s\n", dir, strerror(errno));
		return 2;
	}
	printf("kill-test: seed %" PRIu64 " (CV_TEST_SEED), %" PRIu32 " kills (CV_KILLS) after %" PRIu64 "..%" PRIu64
	       " ms, in %s\n",
	       seed, kills, min_ms, max_ms, dir);

	double start = now_s();
	uint64_t rng = seed;
	uint32_t life = 0, killed = 0, killed_after_init = 0, killed_anytime = 0;
	char how[64];
	for (uint32_t i = 0; i < kills; i++) {
		life++;
		uint64_t delay_us = min_ms * 1000 + cu_rand(&rng) % ((max_ms - min_ms) * 1000 + 1);
		/* One kill in four counts from the exec, so it often lands inside
		 * cv_machine_init (reading back, truncating, resolving); the others
		 * count from init's return, so the child gets to settle and vend. */
		bool after_init = cu_below(&rng, 4) != 0;
		after_init ? killed_after_init++ : killed_anytime++;
		int status = 0;
		/* An exec that fails (127: the executable being relinked, say) is retried, not counted. */
		for (unsigned attempt = 0; attempt < 5; attempt++) {
			int ready = -1;
			pid_t pid = spawn(child, dir, "vend", life, seed, &ready);
			if (pid < 0)
				break;
			if (after_init)
				wait_ready(ready, 60000);
			sleep_us(delay_us);
			kill(pid, SIGKILL);
			close(ready);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 127)
				break;
			sleep_us(200000);
		}
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			fail(CK_CHILDREN, "life %" PRIu32 " %s before the kill", life,
			     describe_status(status, how, sizeof(how)));
			break;
		}
		killed++;
		if (killed % 250 == 0)
			printf("kill-test: %" PRIu32 " kills, %.1f s\n", killed, now_s() - start);
	}

	/* The last life recovers, settles everything and leaves. */
	if (check_failures[CK_CHILDREN] == 0) {
		pid_t pid = spawn(child, dir, "settle", ++life, seed, NULL);
		double deadline = now_s() + (double)env_u64("CV_SETTLE_TIMEOUT_S", 120);
		int status = 0;
		pid_t got = 0;
		while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < deadline)
			sleep_us(2000);
		if (got == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail(CK_CHILDREN, "the settling child did not finish in time");
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != CRASH_EXIT_SETTLED) {
			fail(CK_CHILDREN, "the settling child %s", describe_status(status, how, sizeof(how)));
		}
	}
	double elapsed = now_s() - start;

	cu_map_init(&w.by_id);
	read_journal(dir);
	read_side_logs(dir);
	check_processor(dir);
	check_bin(dir);
	check_vends();

	unsigned drops = 0, unverified = 0, unpaired = 0;
	for (unsigned i = 0; i < CRASH_LANES; i++) {
		drops += w.drops[i];
		unverified += w.unverified_drops[i];
		unpaired += w.unpaired[i];
	}
	printf("\n==== crash test summary (seed %" PRIu64 ") ====\n", seed);
	printf("kills: %" PRIu32 " (%" PRIu32 " timed from the exec, %" PRIu32 " from init's return), lives: %" PRIu32
	       " (inits returned CV_OK: %u), elapsed %.1f s\n",
	       killed, killed_anytime, killed_after_init, life, w.inits_ok, elapsed);
	printf("vends begun: %zu; ended captured %u, voided %u, abandoned %u, capture failed %u, void failed %u\n",
	       w.count, w.state_counts[CV_VEND_STATE_CAPTURED], w.state_counts[CV_VEND_STATE_VOIDED],
	       w.state_counts[CV_VEND_STATE_ABANDONED], w.state_counts[CV_VEND_STATE_CAPTURE_FAILED],
	       w.state_counts[CV_VEND_STATE_VOID_FAILED]);
	printf("processor: %" PRIu64 " holds, %" PRIu64 " declines, %" PRIu64 " captures (%" PRId64 " minor), %" PRIu64
	       " voids, %" PRIu64 " refused\n",
	       w.holds, w.declines, w.captures, w.captured_minor, w.voids, w.refusals);
	printf("mechanics: %" PRIu64
	       " motor starts, %u items fell, %u of them unverified (kill between drop and journal)\n",
	       w.motor_starts, drops, unverified);
	printf("recoveries: discarded %u, lookup-then-void %u, void %u, void-unverified %u, capture-proven %u, "
	       "capture-resend %u, void-resend %u\n",
	       w.recoveries[CV_RECOVERY_DISCARDED], w.recoveries[CV_RECOVERY_LOOKUP_THEN_VOID],
	       w.recoveries[CV_RECOVERY_VOID], w.recoveries[CV_RECOVERY_VOID_UNVERIFIED],
	       w.recoveries[CV_RECOVERY_CAPTURE_PROVEN], w.recoveries[CV_RECOVERY_CAPTURE_RESEND],
	       w.recoveries[CV_RECOVERY_VOID_RESEND]);
	printf("torn tails truncated: %u (%" PRIu64
	       " bytes); verified drops whose LANE_STATE was cut off by a kill: %u;"
	       " machine starts journaled: %" PRIu64 "\n",
	       w.recoveries[CV_RECOVERY_TAIL_TRUNCATED], w.torn_bytes, unpaired, w.machine_starts);
	if (w.machine_starts < w.inits_ok)
		fail(CK_JOURNAL, "%" PRIu64 " MACHINE_START records for %u inits that returned", w.machine_starts,
		     w.inits_ok);

	unsigned passed = 0, failed = 0;
	for (int i = 0; i < CK_COUNT; i++) {
		printf("%s: %s", check_names[i], check_failures[i] ? "FAILED" : "ok");
		if (check_failures[i])
			printf(" (%u violations)", check_failures[i]);
		printf("\n");
		check_failures[i] ? failed++ : passed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	if (failed == 0 && getenv("CV_CRASH_KEEP") == NULL)
		remove_tree(dir);
	else
		printf("kill-test: run directory kept: %s\n", dir);
	cu_map_free(&w.by_id);
	free(w.vends);
	free(proc.recs);
	free(bin.recs);
	return failed == 0 ? 0 : 1;
}
