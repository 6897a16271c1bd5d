/* SPDX-License-Identifier: MIT */
/* The crash-simulating storage under the real engine: without a cut it is
 * invisible; with the power cut at any append or sync of a vend, the disk
 * holds whole records in sequence and at most one torn tail, a new life
 * goes on from there, and nothing that charges or dispenses went out
 * before its intent was on the disk. The journal is parsed here, with a
 * CRC of its own, so a fault in the engine's reader can't hide one here. */
#include <criterion/criterion.h>
#include <string.h>

#include "crash_storage.h"
#include "journal_codec.h"
#include "rig.h"

/* The record frame of docs/journal-format.md. */
#define FRAME_HEADER_SIZE 20
#define FRAME_TRAILER_SIZE 4
#define FRAME_MIN (FRAME_HEADER_SIZE + FRAME_TRAILER_SIZE)
/* After the uuid and the number, each behind its tag letter (format 3),
 * and the state's own tag. */
#define VEND_STATE_OFFSET (FRAME_HEADER_SIZE + 1 + 16 + 1 + 4 + 1)
#define RECORDS_MAX 512

struct record_view {
	size_t offset;
	size_t length;
	uint16_t type;
	uint32_t epoch;
	uint64_t seq;
};

/* The whole, checksummed records in sequence from 1, then the tail: bytes
 * that are not such a record. */
struct journal_view {
	struct record_view records[RECORDS_MAX];
	unsigned count;
	size_t valid_length;
	size_t tail_length;
};

#define OPS_MAX 1024

static struct crash_storage cs;

/* Every append and sync the engine asked for, in order: the account of what
 * a cut at each operation must leave, kept apart from the wrapper's own. */
struct op_entry {
	bool is_sync;
	uint64_t seq;
};

static struct op_entry op_log[OPS_MAX];
static unsigned op_log_count;

/* The wrapper's table with the two counted methods logged first. */
static struct cv_storage_ops logged_ops;

/* A vend without a cut: its disk and the operations it took. */
static uint8_t reference[sizeof(rig.journal)];
static size_t reference_length;
static unsigned reference_ops;
static unsigned reference_syncs;
static struct op_entry reference_log[OPS_MAX];

/* Bitwise CRC32C, independent of the library's table. */
static uint32_t crc32c_bitwise(const uint8_t *bytes, size_t length)
{
	uint32_t crc = ~0u;
	for (size_t i = 0; i < length; i++) {
		crc ^= bytes[i];
		for (unsigned bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint64_t get_le(const uint8_t *bytes, unsigned size)
{
	uint64_t value = 0;
	for (unsigned i = size; i-- > 0;)
		value = value << 8 | bytes[i];
	return value;
}

/* Whether the bytes start with a record that is whole, checksummed and
 * next in sequence. */
static bool parse_record(const uint8_t *bytes, size_t available, uint64_t seq_expected, struct record_view *out)
{
	if (available < FRAME_MIN)
		return false;
	size_t length = (size_t)get_le(bytes, 4);
	if (length < FRAME_MIN || length > available)
		return false;
	if (get_le(bytes + length - FRAME_TRAILER_SIZE, 4) != crc32c_bitwise(bytes, length - FRAME_TRAILER_SIZE))
		return false;
	out->length = length;
	out->type = (uint16_t)get_le(bytes + 4, 2);
	out->epoch = (uint32_t)get_le(bytes + 8, 4);
	out->seq = get_le(bytes + 12, 8);
	return out->seq == seq_expected;
}

static void parse(const uint8_t *bytes, size_t length, struct journal_view *out)
{
	memset(out, 0, sizeof(*out));
	size_t offset = 0;
	struct record_view r;
	while (parse_record(bytes + offset, length - offset, out->count + 1u, &r)) {
		cr_assert_lt(out->count, RECORDS_MAX);
		r.offset = offset;
		out->records[out->count++] = r;
		offset += r.length;
	}
	out->valid_length = offset;
	out->tail_length = length - offset;
}

static void parse_disk(struct journal_view *out)
{
	parse(rig.journal, rig.storage.length, out);
}

static const struct record_view *find_seq(const struct journal_view *view, uint64_t seq)
{
	for (unsigned i = 0; i < view->count; i++)
		if (view->records[i].seq == seq)
			return &view->records[i];
	return NULL;
}

/* Whether a VEND_STATE record with this state is on the disk (each life in
 * these tests has one vend, so the state alone tells). */
static bool disk_has_vend_state(const struct journal_view *view, enum cv_vend_state state)
{
	for (unsigned i = 0; i < view->count; i++) {
		const struct record_view *r = &view->records[i];
		if (r->type == CV_JOURNAL_VEND_STATE && r->length > VEND_STATE_OFFSET + FRAME_TRAILER_SIZE &&
		    rig.journal[r->offset + VEND_STATE_OFFSET] == state)
			return true;
	}
	return false;
}

static unsigned payments_of(enum cv_payment_op op)
{
	unsigned n = 0;
	for (unsigned i = 0; i < rig.payment_count; i++)
		n += rig.payments[i].op == op;
	return n;
}

static void op_log_add(bool is_sync, uint64_t seq)
{
	cr_assert_lt(op_log_count, OPS_MAX);
	op_log[op_log_count].is_sync = is_sync;
	op_log[op_log_count].seq = seq;
	op_log_count++;
}

static enum cv_status logged_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	op_log_add(false, seq);
	return crash_storage_ops.append(ctx, seq, record, length);
}

static enum cv_status logged_sync(void *ctx, uint64_t seq)
{
	op_log_add(true, seq);
	return crash_storage_ops.sync(ctx, seq);
}

/* The highest sequence number a sync of the reference run asked for in
 * its operations before `op`: what a cut at `op` leaves on the disk. */
static uint64_t reference_synced_before(unsigned op)
{
	uint64_t seq = 0;
	for (unsigned i = 0; i + 1 < op; i++)
		if (reference_log[i].is_sync && reference_log[i].seq > seq)
			seq = reference_log[i].seq;
	return seq;
}

/* The newest record appended up to and including `op`. */
static uint64_t reference_appended_by(unsigned op)
{
	uint64_t seq = 0;
	for (unsigned i = 0; i < op; i++)
		if (!reference_log[i].is_sync && reference_log[i].seq > seq)
			seq = reference_log[i].seq;
	return seq;
}

/* A fresh rig for another run in the same test; the machine's memory is
 * reused. */
static void rig_fresh(void)
{
	void *memory = rig.memory;
	cv_machine_deinit(rig.m);
	rig_setup();
	rig.memory = memory;
}

/* A fresh rig whose machine will journal through the crash storage onto
 * the rig's RAM journal. */
static void crash_rig_setup(void)
{
	rig_fresh();
	crash_storage_init(&cs, &cv_ram_storage_ops, &rig.storage);
	logged_ops = crash_storage_ops;
	logged_ops.append = logged_append;
	logged_ops.sync = logged_sync;
	op_log_count = 0;
	rig.config.storage = &logged_ops;
	rig.config.storage_ctx = &cs;
}

static bool powered(void)
{
	return !crash_storage_is_dead(&cs);
}

/* Starts a machine and runs one vend on lane 0 as far as the power lasts.
 * Returns the vend number, 0 if it never began. */
static uint32_t run_vend(void)
{
	uint32_t number = 0;
	if (rig_start() != CV_OK || cv_machine_select(rig.m, 0, &number) != CV_OK)
		return 0;
	rig_step(0);
	if (!powered() || payments_of(CV_PAYMENT_OP_AUTHORIZE) != 1)
		return number;
	rig_pay(CV_PAY_OK);
	if (!powered() || rig.motor_count != 1)
		return number;
	rig_motor(CV_OK);
	if (!powered() || !rig.sensor_armed)
		return number;
	rig_drop();
	if (!powered() || payments_of(CV_PAYMENT_OP_CAPTURE) != 1)
		return number;
	rig_pay(CV_PAY_OK);
	/* The final records guard no side effect: they are synced within flush_ms. */
	if (powered())
		rig_step(rig.config.timeouts.flush_ms);
	return number;
}

static void run_reference(void)
{
	crash_rig_setup();
	uint32_t number = run_vend();
	cr_assert(powered());
	cr_assert_eq(rig_state(number), CV_VEND_STATE_CAPTURED);
	memcpy(reference, rig.journal, rig.storage.length);
	reference_length = rig.storage.length;
	reference_ops = crash_storage_op_count(&cs);
	reference_syncs = rig.storage.sync_count;
	cr_assert_eq(op_log_count, reference_ops);
	memcpy(reference_log, op_log, sizeof(op_log));
}

/* The same vend with the power cut during operation `op`. */
static void run_cut(unsigned op, enum crash_mode mode, uint64_t seed)
{
	crash_rig_setup();
	crash_storage_arm(&cs, op, mode, seed);
	run_vend();
	cr_assert_not(powered(), "no cut at operation %u", op);
	cr_assert_eq(crash_storage_last_cut(&cs)->op, op);
}

/* What survived is exactly what the uncut run had synced by then. */
static void assert_reference_prefix(const struct journal_view *view, unsigned op)
{
	cr_assert_leq(view->valid_length, reference_length, "op %u", op);
	cr_assert(memcmp(rig.journal, reference, view->valid_length) == 0, "op %u: not the reference's records", op);
}

/* Every test gets the reference run and then a fresh crash rig. */
static void suite_setup(void)
{
	run_reference();
	crash_rig_setup();
}

TestSuite(crash_storage, .init = suite_setup, .fini = rig_teardown);

Test(crash_storage, without_a_cut_the_disk_is_what_plain_ram_storage_holds)
{
	rig_fresh(); /* Plain RAM storage, the same deterministic platform. */
	cr_assert_eq(rig_start(), CV_OK);
	uint32_t number = rig_vend_ok(0);
	cr_assert_gt(number, 0);
	cr_assert_eq(rig.storage.length, reference_length);
	cr_assert(memcmp(rig.journal, reference, reference_length) == 0);
	struct journal_view view;
	parse(reference, reference_length, &view);
	cr_assert_eq(view.tail_length, 0);
	cr_assert_gt(view.count, 4);
}

Test(crash_storage, appended_records_reach_the_disk_only_when_synced)
{
	cr_assert_eq(rig_start(), CV_OK);
	size_t synced = rig.storage.length;
	unsigned ops = crash_storage_op_count(&cs);
	uint32_t number = 0;
	cr_assert_eq(cv_machine_select(rig.m, 0, &number), CV_OK); /* Appends, syncs in the next step. */
	cr_assert_gt(crash_storage_op_count(&cs), ops);
	cr_assert_eq(rig.storage.length, synced, "an unsynced record is on the disk");
	rig_step(0);
	cr_assert_gt(rig.storage.length, synced);
	struct journal_view view;
	parse_disk(&view);
	cr_assert_eq(view.tail_length, 0);
	cr_assert_eq(rig.storage.synced_seq, view.records[view.count - 1].seq);

	/* The wrapper copies: the caller's buffer may change after append. */
	uint8_t record[40];
	memset(record, 0xa5, sizeof(record));
	size_t before = rig.storage.length;
	cr_assert_eq(crash_storage_ops.append(&cs, 1000, record, sizeof(record)), CV_OK);
	memset(record, 0, sizeof(record));
	cr_assert_eq(rig.storage.length, before);
	cr_assert_eq(crash_storage_ops.sync(&cs, 1000), CV_PENDING);
	cr_assert_eq(rig.storage.length, before + sizeof(record));
	cr_assert_eq(rig.journal[before], 0xa5);
	cr_assert_eq(rig.journal[before + sizeof(record) - 1], 0xa5);
}

Test(crash_storage, a_truncate_or_a_reset_drops_what_is_pending)
{
	cr_assert_eq(rig_start(), CV_OK);
	size_t synced = rig.storage.length;
	uint8_t record[FRAME_MIN] = {0};
	cr_assert_eq(crash_storage_ops.append(&cs, 1000, record, sizeof(record)), CV_OK);
	cr_assert_eq(crash_storage_ops.truncate(&cs, synced - 1), CV_OK);
	cr_assert_eq(rig.storage.length, synced - 1);
	cr_assert_eq(crash_storage_ops.sync(&cs, 1000), CV_PENDING);
	cr_assert_eq(rig.storage.length, synced - 1, "a record appended before the cut came back");

	/* A reset without a cut is a power cut that lost nothing on the disk. */
	cr_assert_eq(crash_storage_ops.append(&cs, 1001, record, sizeof(record)), CV_OK);
	crash_storage_reset(&cs);
	cr_assert_eq(crash_storage_ops.sync(&cs, 1001), CV_PENDING);
	cr_assert_eq(rig.storage.length, synced - 1, "a record appended before the reset came back");
}

Test(crash_storage, a_dropping_cut_at_any_operation_leaves_whole_records_in_sequence)
{
	for (unsigned op = 1; op <= reference_ops; op++) {
		run_cut(op, CRASH_DROP, 1);
		struct journal_view view;
		parse_disk(&view);
		cr_assert_eq(view.tail_length, 0, "op %u: %zu bytes not a whole record", op, view.tail_length);
		assert_reference_prefix(&view, op);
		cr_assert_eq(view.count, reference_synced_before(op), "op %u: not what was synced before it", op);
		cr_assert_eq(crash_storage_last_cut(&cs)->torn_seq, 0);
		cr_assert_eq(crash_storage_last_cut(&cs)->lost_count, reference_appended_by(op) - view.count);
	}
}

Test(crash_storage, a_tearing_cut_leaves_at_most_a_prefix_of_the_record_being_written)
{
	unsigned tears = 0;
	for (unsigned op = 1; op <= reference_ops; op++) {
		run_cut(op, CRASH_TEAR, 0x5eed0000u + op);
		const struct crash_cut *cut = crash_storage_last_cut(&cs);
		struct journal_view view, ref_view;
		parse_disk(&view);
		parse(reference, reference_length, &ref_view);
		assert_reference_prefix(&view, op);
		cr_assert_eq(view.count, reference_synced_before(op), "op %u", op);
		cr_assert_eq(view.tail_length, cut->torn_length, "op %u", op);
		/* The newest unsynced record is torn: the one being appended, or
		 * the last one a sync was about to write. */
		uint64_t newest = reference_appended_by(op);
		cr_assert_eq(cut->torn_seq, newest > view.count ? newest : 0, "op %u", op);
		if (cut->torn_length == 0)
			continue;
		tears++;
		const struct record_view *whole = find_seq(&ref_view, cut->torn_seq);
		cr_assert_not_null(whole, "op %u: torn seq %llu unknown", op, (unsigned long long)cut->torn_seq);
		cr_assert_lt(cut->torn_length, whole->length);
		cr_assert(memcmp(rig.journal + view.valid_length, reference + whole->offset, cut->torn_length) == 0,
			  "op %u: the tail is not a prefix of record %llu", op, (unsigned long long)cut->torn_seq);
		/* Incomplete: too short for a frame, or shorter than its own length field says. */
		cr_assert(view.tail_length < FRAME_MIN ||
			  get_le(rig.journal + view.valid_length, 4) > view.tail_length);
	}
	cr_assert_gt(tears, reference_ops / 4, "only %u of %u cuts tore anything", tears, reference_ops);
}

Test(crash_storage, after_a_cut_every_operation_fails_and_the_disk_never_changes)
{
	for (unsigned op = 1; op <= reference_ops; op++) {
		run_cut(op, CRASH_TEAR, op);
		static uint8_t disk[sizeof(rig.journal)];
		size_t length = rig.storage.length;
		memcpy(disk, rig.journal, length);
		if (rig.m != NULL) {
			/* The engine asks again after its timeouts; nothing gets through. */
			rig_step(rig.config.timeouts.sync_ms + 1);
			rig_step(60000);
			cr_assert_neq(cv_machine_select(rig.m, 1, NULL), CV_OK);
		}
		uint8_t record[FRAME_MIN] = {0};
		size_t read_length = 0;
		cr_assert_eq(crash_storage_ops.append(&cs, 1000, record, sizeof(record)), CV_E_IO);
		cr_assert_eq(crash_storage_ops.sync(&cs, 1000), CV_E_IO);
		cr_assert_eq(crash_storage_ops.read(&cs, 0, record, sizeof(record), &read_length), CV_E_IO);
		cr_assert_eq(crash_storage_ops.truncate(&cs, 0), CV_E_IO);
		cr_assert_eq(crash_storage_ops.open(&cs, rig.m), CV_E_IO);
		cr_assert_eq(rig.storage.length, length, "op %u", op);
		cr_assert(memcmp(rig.journal, disk, length) == 0, "op %u", op);
		cr_assert_eq(crash_storage_op_count(&cs), op, "a dead storage counts no more operations");
	}
}

/* Tears a 200-byte record directly, with no machine; returns the torn length. */
static size_t torn_length_for_seed(uint64_t seed)
{
	static uint8_t disk[1024];
	struct cv_ram_storage ram;
	cv_ram_storage_init(&ram, disk, sizeof(disk));
	crash_storage_init(&cs, &cv_ram_storage_ops, &ram);
	crash_storage_arm(&cs, 0, CRASH_TEAR, seed);
	uint8_t record[200];
	for (size_t i = 0; i < sizeof(record); i++)
		record[i] = (uint8_t)(i + 1);
	cr_assert_eq(crash_storage_ops.append(&cs, 1, record, sizeof(record)), CV_OK);
	cr_assert_eq(ram.length, 0);
	crash_storage_cut(&cs, CRASH_TEAR);
	const struct crash_cut *cut = crash_storage_last_cut(&cs);
	cr_assert_eq(cut->op, 0, "a cut between operations");
	cr_assert_eq(cut->lost_count, 1);
	cr_assert_eq(cut->torn_seq, 1);
	cr_assert_eq(ram.length, cut->torn_length);
	cr_assert_lt(ram.length, sizeof(record));
	cr_assert(memcmp(disk, record, ram.length) == 0);
	return ram.length;
}

Test(crash_storage, the_same_seed_tears_the_same_way_and_seeds_differ)
{
	bool seen[200] = {false};
	unsigned distinct = 0;
	for (uint64_t seed = 1; seed <= 64; seed++) {
		size_t torn = torn_length_for_seed(seed);
		cr_assert_eq(torn_length_for_seed(seed), torn, "seed %llu", (unsigned long long)seed);
		distinct += !seen[torn];
		seen[torn] = true;
	}
	cr_assert_geq(distinct, 32, "64 seeds gave only %u torn lengths", distinct);

	/* Under the engine too: same cut, same seed, same disk. */
	unsigned op = reference_ops / 2;
	run_cut(op, CRASH_TEAR, 42);
	static uint8_t first[sizeof(rig.journal)];
	size_t first_length = rig.storage.length;
	memcpy(first, rig.journal, first_length);
	run_cut(op, CRASH_TEAR, 42);
	cr_assert_eq(rig.storage.length, first_length);
	cr_assert(memcmp(rig.journal, first, first_length) == 0);
}

Test(crash_storage, a_vend_takes_the_same_operations_every_run)
{
	struct journal_view view;
	parse(reference, reference_length, &view);
	/* Each record was one append, and nothing else but the syncs counts. */
	cr_assert_eq(reference_ops, view.count + reference_syncs);
	unsigned first_ops = reference_ops;
	run_reference();
	cr_assert_eq(reference_ops, first_ops);
	cr_assert_eq(crash_storage_op_count(&cs), first_ops);
}

Test(crash_storage, the_pending_list_is_bounded)
{
	static uint8_t disk[256];
	struct cv_ram_storage ram;
	cv_ram_storage_init(&ram, disk, sizeof(disk));
	crash_storage_init(&cs, &cv_ram_storage_ops, &ram);
	static uint8_t record[CRASH_STORAGE_RECORD_MAX + 1];
	cr_assert_eq(crash_storage_ops.append(&cs, 1, record, sizeof(record)), CV_E_FULL, "too long to keep");
	for (unsigned i = 0; i < CRASH_STORAGE_PENDING_MAX; i++)
		cr_assert_eq(crash_storage_ops.append(&cs, i + 1u, record, CRASH_STORAGE_RECORD_MAX), CV_OK);
	cr_assert_eq(crash_storage_ops.append(&cs, 1000, record, 1), CV_E_FULL);
	cr_assert_eq(ram.length, 0, "nothing reaches the disk before a sync");
	cr_assert_eq(crash_storage_op_count(&cs), CRASH_STORAGE_PENDING_MAX + 2u, "refused appends count too");
}

/* The disk after a tearing cut at `op`, with the tail cut off as the test
 * parsed it, under a new machine: its records follow on, in a new epoch. */
static void reboot_after_cut(unsigned op, bool truncate_here)
{
	run_cut(op, CRASH_TEAR, 7u * op);
	struct journal_view before;
	parse_disk(&before);
	if (truncate_here)
		cr_assert_eq(cv_ram_storage_ops.truncate(&rig.storage, before.valid_length), CV_OK);
	crash_storage_reset(&cs);
	cr_assert_eq(crash_storage_op_count(&cs), 0, "a new life counts from 0");
	cr_assert_eq(rig_reboot(), CV_OK, "op %u", op);
	rig_step(0);
	struct journal_view after;
	parse_disk(&after);
	cr_assert_eq(after.tail_length, 0, "op %u", op);
	cr_assert_gt(after.count, before.count, "op %u: the new life wrote nothing", op);
	uint32_t epoch = before.count > 0 ? 2 : 1;
	for (unsigned i = before.count; i < after.count; i++)
		cr_assert_eq(after.records[i].epoch, epoch, "op %u, record %u", op, i);
	/* The new life sells, on another lane than the vend it may be resolving. */
	uint32_t number = rig_vend_ok(1);
	cr_assert_gt(number, 0);
	parse_disk(&after);
	cr_assert_eq(after.tail_length, 0, "op %u", op);
}

Test(crash_storage, a_new_machine_appends_after_what_survived_once_the_tail_is_cut)
{
	for (unsigned op = 1; op <= reference_ops; op++)
		reboot_after_cut(op, true);
}

/* The engine finds the torn tail itself on open (recovery), cuts it and says so. */
Test(crash_storage, a_new_machine_cuts_a_torn_tail_itself)
{
	unsigned reported = 0;
	for (unsigned op = 1; op <= reference_ops; op++) {
		reboot_after_cut(op, false);
		size_t torn = crash_storage_last_cut(&cs)->torn_length;
		for (unsigned i = 0; i < rig.event_count; i++) {
			const struct cv_event *e = &rig.events[i];
			if (e->type == CV_EVENT_RECOVERY && e->u.recovery.action == CV_RECOVERY_TAIL_TRUNCATED) {
				cr_assert_eq(e->u.recovery.torn_bytes, torn, "op %u", op);
				reported++;
			}
		}
	}
	cr_assert_gt(reported, 0);
}

/* The first cut, in the order of operations, after which `state` is on
 * the disk; the operation before it is the sync that wrote it. */
static unsigned first_op_with_durable(enum cv_vend_state state)
{
	for (unsigned op = 1; op <= reference_ops; op++) {
		run_cut(op, CRASH_DROP, 1);
		struct journal_view view;
		parse_disk(&view);
		if (disk_has_vend_state(&view, state))
			return op;
	}
	cr_assert_fail("%d never became durable", state);
	return 0;
}

Test(crash_storage, nothing_charges_or_dispenses_before_its_intent_is_on_the_disk)
{
	for (unsigned op = 1; op <= reference_ops; op++) {
		for (int mode = CRASH_DROP; mode <= CRASH_TEAR; mode++) {
			run_cut(op, (enum crash_mode)mode, op);
			struct journal_view view;
			parse_disk(&view);
			if (payments_of(CV_PAYMENT_OP_AUTHORIZE) > 0)
				cr_assert(disk_has_vend_state(&view, CV_VEND_STATE_AUTH_PENDING), "op %u", op);
			if (rig.motor_count > 0)
				cr_assert(disk_has_vend_state(&view, CV_VEND_STATE_DISPENSING), "op %u", op);
		}
	}
	/* The power goes out in the sync that would make the intent durable:
	 * the side effect never happens; one operation later it has. */
	unsigned auth_durable = first_op_with_durable(CV_VEND_STATE_AUTH_PENDING);
	run_cut(auth_durable - 1, CRASH_TEAR, 3);
	cr_assert_eq(payments_of(CV_PAYMENT_OP_AUTHORIZE), 0);
	cr_assert_geq(crash_storage_last_cut(&cs)->lost_count, 1);
	run_cut(auth_durable, CRASH_TEAR, 3);
	cr_assert_eq(payments_of(CV_PAYMENT_OP_AUTHORIZE), 1);

	unsigned dispense_durable = first_op_with_durable(CV_VEND_STATE_DISPENSING);
	run_cut(dispense_durable - 1, CRASH_TEAR, 3);
	cr_assert_eq(rig.motor_count, 0);
	cr_assert_eq(payments_of(CV_PAYMENT_OP_AUTHORIZE), 1, "the authorization went out before");
	run_cut(dispense_durable, CRASH_TEAR, 3);
	cr_assert_eq(rig.motor_count, 1);
}
