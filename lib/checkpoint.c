/* SPDX-License-Identifier: MIT */
/* Checkpoints: every checkpoint_records records the engine writes the whole
 * state it would otherwise rebuild from the start of the journal (open
 * vends, then lanes, then active alerts) between a CHECKPOINT_BEGIN and a
 * CHECKPOINT_END. Once all of it is durable, the storage remembers where it
 * begins, so opening reads only from there; the journal before the previous
 * checkpoint is then trimmed (the previous one is kept as a spare). */
#include "machine_private.h"

static void cv_checkpoint_write(struct cv_machine *m)
{
	/* Where it starts and its BEGIN's sequence number go straight into the
	 * pending fields (they count only once checkpoint_pending is set, which
	 * a journal fault prevents), and its END is appended from there. */
	struct cv_rec_checkpoint_begin begin = {.next_vend_number = m->next_vend_number,
						.stats = m->stats,
						.mark_generation = cv_machine_marked(m) ? m->mark.generation : 0};
	m->pending_checkpoint_offset = m->journal_end;
	m->pending_checkpoint_seq = CV_REC_APPEND(m, &begin);
	/* Vends before lanes: replaying a vend's CAPTURE_PENDING takes an item,
	 * and the lane's absolute count written after it must have the last word. */
	for (unsigned i = 0; i < CV_VENDS_MAX; i++) {
		struct cv_vend *v = &m->vends[i];
		if (!v->in_use)
			continue;
		cv_vend_journal_begin(m, v);
		cv_vend_journal_state(m, v);
	}
	for (unsigned n = 0; n < m->config.lane_count; n++) {
		uint16_t i = (uint16_t)n;
		const struct cv_lane *lane = &m->lanes[i];
		cv_lane_journal_config(m, i);
		cv_lane_journal(m, i);
		if (lane->sold_out_alert_active)
			cv_machine_journal_alert(m, CV_ALERT_SOLD_OUT, i, true);
		if (lane->low_alert_active)
			cv_machine_journal_alert(m, CV_ALERT_LOW_STOCK, i, true);
		if (lane->jam_alert_active)
			cv_machine_journal_alert(m, CV_ALERT_MOTOR_JAM, i, true);
	}
	/* An open door outlives the trim of the record that opened it: its
	 * SERVICE record (entered, the flag itself) is written again. */
	if (m->in_service)
		CV_REC_APPEND(m, &m->in_service);
	uint64_t end = CV_REC_APPEND(m, &m->pending_checkpoint_seq);
	if (end == 0)
		return; /* A journal fault: no checkpoint. */
	/* Counted from its END: a checkpoint longer than the interval must not
	 * call for the next one at once. It is also what must be durable
	 * before the checkpoint is committed. */
	m->checkpoint_written_seq = end;
	m->checkpoint_pending = true;
}

/* The written checkpoint is durable: make it the one the storage opens at. */
static void cv_checkpoint_commit(struct cv_machine *m)
{
	const struct cv_storage_ops *ops = m->config.storage;
	void *ctx = m->config.storage_ctx;
	m->checkpoint_pending = false;
	enum cv_status rc =
		cv_machine_marked(m)
			? cv_mark_commit_checkpoint(m, m->pending_checkpoint_offset, m->pending_checkpoint_seq)
			: ops->checkpoint_set(ctx, m->pending_checkpoint_offset, m->pending_checkpoint_seq);
	if (rc != CV_OK) {
		/* The journal is whole, opening just reads more of it; a storage
		 * that broke on it (the POSIX one does) fails the next append,
		 * and that stops sales. */
		cv_machine_log(m, CV_LOG_WARN, "storage: checkpoint not saved");
		return;
	}
	if (m->has_checkpoint && CV_OPS_HAS(struct cv_storage_ops, ops, trim)) {
		if (ops->trim(ctx, m->checkpoint_offset) == CV_OK)
			m->room_trimmed_to = m->checkpoint_offset;
		else
			cv_machine_log(m, CV_LOG_WARN, "storage: trim failed");
	}
	m->has_checkpoint = true;
	m->checkpoint_offset = m->pending_checkpoint_offset;
	m->checkpoint_seq = m->pending_checkpoint_seq;
}

void cv_checkpoint_tick(struct cv_machine *m)
{
	const struct cv_storage_ops *ops = m->config.storage;
	if (m->journal_fault)
		return;
	/* A checkpoint is only written while enabled (below), and that does not
	 * change once the machine is open: a pending one needs no second look. */
	if (m->checkpoint_pending && cv_journal_is_durable(m, m->checkpoint_written_seq))
		cv_checkpoint_commit(m);
	bool room_wants_one = cv_room_tick(m);
	bool enabled = m->config.checkpoint_records != 0 &&
		       (cv_machine_marked(m) || CV_OPS_HAS(struct cv_storage_ops, ops, checkpoint_set));
	if (!enabled || m->checkpoint_pending)
		return;
	if (m->last_seq - m->checkpoint_written_seq >= m->config.checkpoint_records || room_wants_one)
		cv_checkpoint_write(m);
}
