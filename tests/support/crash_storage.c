/* SPDX-License-Identifier: MIT */
#include "crash_storage.h"

#include <assert.h>
#include <string.h>

/* splitmix64: tiny, seedable, and good enough to pick a byte count. */
static uint64_t crash_storage_random(struct crash_storage *cs)
{
	uint64_t z = (cs->random_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Writes `length` zero bytes to the inner storage: where a lost record was,
 * when a later one reached the disk. */
static void crash_storage_zeros(struct crash_storage *cs, uint64_t seq, size_t length)
{
	static const uint8_t zeros[CRASH_STORAGE_RECORD_MAX];
	if (length > 0)
		(void)cs->inner_ops->append(cs->inner_ctx, seq, zeros, length);
}

/* Each unsynced record on its own: kept whole, lost (zeros if anything after
 * it reached the disk, nothing at the end) or torn (a random prefix of it,
 * zeros for the rest); or, CRASH_PREFIX, the oldest few kept whole. */
static void crash_storage_keep_subset(struct crash_storage *cs)
{
	enum { KEEP, LOSE, TEAR };
	unsigned fate[CRASH_STORAGE_PENDING_MAX];
	size_t prefix[CRASH_STORAGE_PENDING_MAX];
	unsigned written_end = 0; /* One past the last record any byte of which is written. */
	unsigned prefix_end =
		cs->mode == CRASH_PREFIX ? (unsigned)(crash_storage_random(cs) % (cs->pending_count + 1)) : 0;
	for (unsigned i = 0; i < cs->pending_count; i++) {
		fate[i] = cs->mode == CRASH_PREFIX ? (i < prefix_end ? KEEP : LOSE)
						   : (unsigned)(crash_storage_random(cs) % 3);
		prefix[i] = fate[i] == TEAR ? (size_t)(crash_storage_random(cs) % cs->pending[i].length) : 0;
		if (fate[i] == KEEP || (fate[i] == TEAR && prefix[i] > 0))
			written_end = i + 1;
	}
	for (unsigned i = 0; i < written_end; i++) {
		const struct crash_record *r = &cs->pending[i];
		size_t kept = fate[i] == KEEP ? r->length : prefix[i];
		if (kept > 0)
			(void)cs->inner_ops->append(cs->inner_ctx, r->seq, r->bytes, kept);
		if (i + 1 < written_end)
			crash_storage_zeros(cs, r->seq, r->length - kept);
		cs->last_cut.kept_count += fate[i] == KEEP;
	}
	cs->last_cut.lost_count = cs->pending_count - cs->last_cut.kept_count;
}

/* The power goes out during operation `op` (0: between operations): the
 * unsynced records are lost, except that a tear writes a prefix of the
 * newest one, shorter than the whole of it, as a disk halfway through it
 * would; CRASH_SUBSET decides for each on its own. */
static void crash_storage_power_off(struct crash_storage *cs, unsigned op, enum crash_mode mode)
{
	memset(&cs->last_cut, 0, sizeof(cs->last_cut));
	cs->last_cut.op = op;
	cs->last_cut.lost_count = cs->pending_count;
	if (mode == CRASH_SUBSET || mode == CRASH_PREFIX)
		crash_storage_keep_subset(cs);
	if (mode == CRASH_TEAR && cs->pending_count > 0) {
		const struct crash_record *newest = &cs->pending[cs->pending_count - 1];
		size_t torn_length = (size_t)(crash_storage_random(cs) % newest->length);
		cs->last_cut.torn_seq = newest->seq;
		cs->last_cut.torn_length = torn_length;
		/* A failure here changes nothing: the torn bytes would be lost too. */
		if (torn_length > 0)
			(void)cs->inner_ops->append(cs->inner_ctx, newest->seq, newest->bytes, torn_length);
	}
	cs->pending_count = 0;
	cs->dead = true;
}

/* Counts an append or a sync; true if the power goes out during it. */
static bool crash_storage_op_cuts(struct crash_storage *cs)
{
	cs->op_count++;
	return cs->op_count == cs->cut_at_op;
}

/* What a synced record survives is the inner storage's business: its
 * capabilities (durable or not) are passed on. */
static uint32_t crash_storage_caps(void *ctx)
{
	const struct crash_storage *cs = ctx;
	if (!CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, caps))
		return 0;
	return cs->inner_ops->caps(cs->inner_ctx);
}

static enum cv_status crash_storage_open(void *ctx, struct cv_machine *machine)
{
	struct crash_storage *cs = ctx;
	if (cs->dead)
		return CV_E_IO;
	/* The inner storage posts its sync completions to this machine. */
	return cs->inner_ops->open(cs->inner_ctx, machine);
}

/* Closing releases the inner storage's resources; it writes nothing, so
 * it is passed on even with the power out. */
static void crash_storage_close(void *ctx)
{
	struct crash_storage *cs = ctx;
	if (CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, close))
		cs->inner_ops->close(cs->inner_ctx);
}

/* Copies a record to the pending list: the engine reuses its buffer. */
static enum cv_status crash_storage_keep(struct crash_storage *cs, uint64_t seq, const void *record, size_t length)
{
	if (length > CRASH_STORAGE_RECORD_MAX || cs->pending_count == CRASH_STORAGE_PENDING_MAX)
		return CV_E_FULL;
	struct crash_record *r = &cs->pending[cs->pending_count++];
	r->seq = seq;
	r->length = length;
	memcpy(r->bytes, record, length);
	return CV_OK;
}

static enum cv_status crash_storage_append(void *ctx, uint64_t seq, const void *record, size_t length)
{
	struct crash_storage *cs = ctx;
	assert(length > 0); /* Every record has a frame; a tear picks a byte inside it. */
	if (cs->dead)
		return CV_E_IO;
	bool cut = crash_storage_op_cuts(cs);
	enum cv_status rc = crash_storage_keep(cs, seq, record, length);
	if (!cut)
		return rc;
	/* The power goes out while this record is written, so it is the newest
	 * pending one and the one a tear cuts (unless it was refused). */
	crash_storage_power_off(cs, cs->op_count, cs->mode);
	return CV_E_IO;
}

/* Writes the pending records to the inner storage, oldest first. A record
 * it refuses can never become durable, so the sync fails; the engine then
 * stops selling, as it would on a disk error. */
static enum cv_status crash_storage_write_pending(struct crash_storage *cs)
{
	for (unsigned i = 0; i < cs->pending_count; i++) {
		const struct crash_record *r = &cs->pending[i];
		if (cs->inner_ops->append(cs->inner_ctx, r->seq, r->bytes, r->length) != CV_OK)
			return CV_E_IO;
	}
	cs->pending_count = 0;
	return CV_OK;
}

static enum cv_status crash_storage_sync(void *ctx, uint64_t seq)
{
	struct crash_storage *cs = ctx;
	if (cs->dead)
		return CV_E_IO;
	if (crash_storage_op_cuts(cs)) {
		crash_storage_power_off(cs, cs->op_count, cs->mode);
		return CV_E_IO;
	}
	enum cv_status rc = crash_storage_write_pending(cs);
	if (rc != CV_OK)
		return rc;
	return cs->inner_ops->sync(cs->inner_ctx, seq);
}

/* Only the inner storage is read: the engine reads the journal back when it
 * opens, before it appends anything, so nothing pending is ever asked for. */
static enum cv_status crash_storage_read(void *ctx, uint64_t offset, void *buf, size_t size, size_t *length_out)
{
	struct crash_storage *cs = ctx;
	if (cs->dead)
		return CV_E_IO;
	return cs->inner_ops->read(cs->inner_ctx, offset, buf, size, length_out);
}

/* A cut through the journal makes what was appended after it meaningless. */
static enum cv_status crash_storage_truncate(void *ctx, uint64_t length)
{
	struct crash_storage *cs = ctx;
	if (cs->dead)
		return CV_E_IO;
	cs->pending_count = 0;
	return cs->inner_ops->truncate(cs->inner_ctx, length);
}

/* Checkpoint bookkeeping and trimming go straight to the inner storage (they
 * are synchronous and durable on return), unless the power is out. */
static enum cv_status crash_storage_checkpoint_set(void *ctx, uint64_t offset, uint64_t seq)
{
	struct crash_storage *cs = ctx;
	if (cs->dead || !CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, checkpoint_set))
		return cs->dead ? CV_E_IO : CV_E_NOTSUP;
	return cs->inner_ops->checkpoint_set(cs->inner_ctx, offset, seq);
}

static enum cv_status crash_storage_checkpoint_get(void *ctx, uint64_t *offset, uint64_t *seq)
{
	struct crash_storage *cs = ctx;
	if (cs->dead || !CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, checkpoint_get))
		return cs->dead ? CV_E_IO : CV_E_NOT_FOUND;
	return cs->inner_ops->checkpoint_get(cs->inner_ctx, offset, seq);
}

static enum cv_status crash_storage_checkpoint_set_tagged(void *ctx, uint64_t offset, uint64_t seq, const void *tag,
							  size_t tag_length)
{
	struct crash_storage *cs = ctx;
	if (cs->dead || !CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, checkpoint_set_tagged))
		return cs->dead ? CV_E_IO : CV_E_NOTSUP;
	return cs->inner_ops->checkpoint_set_tagged(cs->inner_ctx, offset, seq, tag, tag_length);
}

static enum cv_status crash_storage_checkpoint_get_tagged(void *ctx, uint64_t *offset, uint64_t *seq, void *tag,
							  size_t tag_size, size_t *tag_length)
{
	struct crash_storage *cs = ctx;
	if (cs->dead || !CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, checkpoint_get_tagged))
		return cs->dead ? CV_E_IO : CV_E_NOT_FOUND;
	return cs->inner_ops->checkpoint_get_tagged(cs->inner_ctx, offset, seq, tag, tag_size, tag_length);
}

static enum cv_status crash_storage_trim(void *ctx, uint64_t offset)
{
	struct crash_storage *cs = ctx;
	if (cs->dead || !CV_OPS_HAS(struct cv_storage_ops, cs->inner_ops, trim))
		return cs->dead ? CV_E_IO : CV_E_NOTSUP;
	return cs->inner_ops->trim(cs->inner_ctx, offset);
}

const struct cv_storage_ops crash_storage_ops = {
	.abi_version = CV_BACKEND_ABI_VERSION,
	.struct_size = sizeof(struct cv_storage_ops),
	.name = "crash",
	.caps = crash_storage_caps,
	.open = crash_storage_open,
	.close = crash_storage_close,
	.append = crash_storage_append,
	.sync = crash_storage_sync,
	.read = crash_storage_read,
	.truncate = crash_storage_truncate,
	.checkpoint_set = crash_storage_checkpoint_set,
	.checkpoint_get = crash_storage_checkpoint_get,
	.trim = crash_storage_trim,
	.checkpoint_set_tagged = crash_storage_checkpoint_set_tagged,
	.checkpoint_get_tagged = crash_storage_checkpoint_get_tagged,
};

void crash_storage_init(struct crash_storage *cs, const struct cv_storage_ops *inner_ops, void *inner_ctx)
{
	assert(CV_OPS_HAS(struct cv_storage_ops, inner_ops, read));
	assert(CV_OPS_HAS(struct cv_storage_ops, inner_ops, truncate));
	memset(cs, 0, sizeof(*cs));
	cs->inner_ops = inner_ops;
	cs->inner_ctx = inner_ctx;
}

void crash_storage_arm(struct crash_storage *cs, unsigned cut_at_op, enum crash_mode mode, uint64_t seed)
{
	cs->cut_at_op = cut_at_op;
	cs->mode = mode;
	cs->random_state = seed;
}

void crash_storage_cut(struct crash_storage *cs, enum crash_mode mode)
{
	assert(!cs->dead);
	crash_storage_power_off(cs, 0, mode);
}

void crash_storage_reset(struct crash_storage *cs)
{
	cs->pending_count = 0;
	cs->op_count = 0;
	cs->cut_at_op = 0;
	cs->dead = false;
}

unsigned crash_storage_op_count(const struct crash_storage *cs)
{
	return cs->op_count;
}

bool crash_storage_is_dead(const struct crash_storage *cs)
{
	return cs->dead;
}

const struct crash_cut *crash_storage_last_cut(const struct crash_storage *cs)
{
	return &cs->last_cut;
}
