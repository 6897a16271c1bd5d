/* SPDX-License-Identifier: MIT */
/* Recovery on restart: the journal is read back (replay), then every vend it
 * left open is put on its way to a terminal state through the state table's
 * edges for a RECOVERED vend (the rules of docs/payments.md, after a power
 * cut; the table of what is done for each state found is in
 * docs/vend-state-machine.md, "After a power cut"). A hold that may exist
 * is looked up and voided, a verified drop is captured, a settlement that
 * was due is resent with the same key, and a key that may still land goes
 * to the orphan check. Nothing is ever dispensed after a restart. */
#include "machine_private.h"

struct cv_replay {
	struct cv_machine *m;
	enum cv_status status; /* The decode or consistency error that stopped the replay. */
	bool header_seen;
	bool checkpoint_expected;      /* Reading from a checkpoint: it must come first. */
	uint64_t checkpoint_begin_seq; /* Of the checkpoint read from, if any. */
	bool in_checkpoint;            /* Between a BEGIN and its END: copies, not events. */
	bool checkpoint_end_seen;      /* Its END: it was whole when remembered. */
	uint64_t checkpoint_end_seq;   /* That END's own sequence number. */
	uint64_t last_end_seq;         /* The newest END read, remembered or not. */
	uint32_t mark_generation_max;  /* The newest mark a record names (0: none: no marks kept). */
	uint32_t epoch_max;
};

/* Any record, as recovery decodes it (once, before it is applied). */
union cv_replay_rec {
	struct cv_rec_header header;
	struct cv_rec_machine_start machine_start;
	struct cv_vend vend; /* VEND_BEGIN and VEND_STATE records are the vend's journaled fields. */
	struct cv_lane lane; /* LANE_STATE and LANE_CONFIG records are the lane's journaled fields. */
	bool service_entered;
	struct cv_rec_alert alert;
	struct cv_rec_checkpoint_begin checkpoint_begin;
	uint64_t checkpoint_end_begin_seq;
};

static enum cv_status cv_replay_header(struct cv_replay *rp, const struct cv_rec_header *rec)
{
	/* Version 1 (before the offline flag, AID and capture deadline) was
	 * never released. A version 2 journal is read and continued in version
	 * 3 records: each record's frame says whether its fields are tagged. */
	if (rec->version < CV_JOURNAL_FORMAT_OLDEST || rec->version > CV_JOURNAL_FORMAT_VERSION)
		return CV_E_VERSION;
	rp->header_seen = true;
	return CV_OK;
}

static struct cv_vend *cv_replay_find_vend(struct cv_machine *m, uint32_t number, const uint8_t uuid[16])
{
	for (unsigned i = 0; i < CV_VENDS_MAX; i++) {
		struct cv_vend *v = &m->vends[i];
		if (v->in_use && v->number == number && memcmp(v->uuid, uuid, 16) == 0)
			return v;
	}
	return NULL;
}

static enum cv_status cv_replay_vend_begin(struct cv_replay *rp, const struct cv_vend *rec)
{
	struct cv_machine *m = rp->m;
	/* A checkpoint repeats the begin of every vend still open. */
	if (cv_replay_find_vend(m, rec->number, rec->uuid) != NULL)
		return CV_OK;
	struct cv_vend *v = NULL;
	for (unsigned i = 0; i < CV_VENDS_MAX && v == NULL; i++)
		if (!m->vends[i].in_use)
			v = &m->vends[i];
	if (v == NULL)
		return CV_E_CORRUPT; /* More open vends than the engine allows. */
	*v = *rec;                   /* Its journaled fields, and zeros (cv_rec_get cleared the rest). */
	v->in_use = true;
	v->state = CV_VEND_STATE_SELECTED;
	v->auth_attempt = 1;
	if (!rp->in_checkpoint)
		cv_stats_count_begin(&m->stats);
	cv_vend_id_encode(v->uuid, v->id);
	if (v->number > m->next_vend_number)
		m->next_vend_number = v->number;
	return CV_OK;
}

static enum cv_status cv_replay_vend_state(struct cv_replay *rp, const struct cv_vend *rec)
{
	struct cv_vend *v = cv_replay_find_vend(rp->m, rec->number, rec->uuid);
	if (v == NULL)
		return CV_E_CORRUPT; /* A state for a vend that never began. */
	/* Entering CAPTURE_PENDING is the verified drop: one item left the
	 * lane, whether or not the LANE_STATE written after it survived. */
	if (rec->state == CV_VEND_STATE_CAPTURE_PENDING && v->state != CV_VEND_STATE_CAPTURE_PENDING &&
	    rec->lane < rp->m->config.lane_count) {
		struct cv_lane *lane = &rp->m->lanes[rec->lane];
		if (lane->config.count > 0)
			lane->config.count--;
	}
	enum cv_vend_state from = v->state;
	cv_rec_copy(v, rec, CV_JOURNAL_VEND_STATE);
	v->offline_approved = (v->journal_flags & CV_JOURNAL_VEND_OFFLINE) != 0;
	/* Format 2 did not journal the key policy: its keys read FRESH. */
	bool may_land =
		(v->journal_flags & CV_JOURNAL_VEND_MAY_LAND) != 0 && !CV_MUTATED(CV_MUTANT_RECOVERY_FORGETS_KEY);
	v->key = may_land ? CV_VEND_KEY_MAY_LAND : CV_VEND_KEY_FRESH;
	if (!rp->in_checkpoint)
		cv_stats_count_transition(&rp->m->stats, from, v);
	if (cv_vend_state_is_terminal(v->state))
		v->in_use = false;
	return CV_OK;
}

static enum cv_status cv_replay_lane_state(struct cv_replay *rp, const struct cv_lane *rec)
{
	/* A lane the planogram no longer has: its history no longer matters. */
	if (rec->index >= rp->m->config.lane_count)
		return CV_OK;
	struct cv_lane *lane = &rp->m->lanes[rec->index];
	cv_rec_copy(lane, rec, CV_JOURNAL_LANE_STATE);
	/* The integrator may have lowered the capacity since: what was counted
	 * then can't exceed what fits now. */
	if (lane->config.count > lane->config.capacity)
		lane->config.count = lane->config.capacity;
	return CV_OK;
}

static enum cv_status cv_replay_lane_config(struct cv_replay *rp, const struct cv_lane *rec)
{
	if (rec->index < rp->m->config.lane_count)
		rp->m->lanes[rec->index].config = rec->config;
	return CV_OK;
}

/* Stock and jam alerts stay raised across a restart, so they are not raised twice. */
static enum cv_status cv_replay_alert(struct cv_replay *rp, const struct cv_rec_alert *rec)
{
	if (rec->lane >= rp->m->config.lane_count)
		return CV_OK;
	struct cv_lane *lane = &rp->m->lanes[rec->lane];
	bool *flag = rec->kind == CV_ALERT_SOLD_OUT    ? &lane->sold_out_alert_active
		     : rec->kind == CV_ALERT_LOW_STOCK ? &lane->low_alert_active
		     : rec->kind == CV_ALERT_MOTOR_JAM ? &lane->jam_alert_active
						       : NULL;
	if (flag != NULL)
		*flag = rec->active;
	return CV_OK;
}

static enum cv_status cv_replay_checkpoint_begin(struct cv_replay *rp, const struct cv_rec_checkpoint_begin *rec)
{
	if (rec->mark_generation > rp->mark_generation_max)
		rp->mark_generation_max = rec->mark_generation;
	/* The snapshot is the totals up to here; what follows counts on. */
	rp->m->stats = rec->stats;
	rp->in_checkpoint = true;
	if (rec->next_vend_number > rp->m->next_vend_number)
		rp->m->next_vend_number = rec->next_vend_number;
	return CV_OK;
}

static enum cv_status cv_replay_checkpoint_end(struct cv_replay *rp, uint64_t begin_seq, uint64_t seq)
{
	if (begin_seq == rp->checkpoint_begin_seq) {
		rp->checkpoint_end_seen = true;
		rp->checkpoint_end_seq = seq;
	}
	rp->last_end_seq = seq;
	rp->in_checkpoint = false;
	return CV_OK;
}

/* Read to be sure they are whole; a restart begins afresh with the door
 * closed. Every life begins with one, so a checkpoint still open here was
 * cut in half by a power cut (its BEGIN durable, its END not): its copies
 * are over, and what follows are events that count. */
static enum cv_status cv_replay_machine_start(struct cv_replay *rp, const struct cv_rec_machine_start *rec)
{
	rp->in_checkpoint = false;
	if (rec->mark_generation > rp->mark_generation_max)
		rp->mark_generation_max = rec->mark_generation;
	return CV_OK;
}

/* The door stays as the last record left it: a machine cut off during a
 * service visit comes back in service mode, and sells only once the
 * operator closes the door. */
static enum cv_status cv_replay_service(struct cv_replay *rp, bool entered)
{
	rp->m->in_service = entered;
	return CV_OK;
}

/* Applies one record; CV_OK, or the decode or consistency error that stops the replay. */
static enum cv_status cv_replay_apply(struct cv_replay *rp, const struct cv_journal_record *record)
{
	if (record->epoch > rp->epoch_max)
		rp->epoch_max = record->epoch;
	if (rp->checkpoint_expected) {
		rp->checkpoint_expected = false;
		if (record->type != CV_JOURNAL_CHECKPOINT_BEGIN)
			return CV_E_CORRUPT; /* The storage pointed elsewhere. */
	}
	/* The file header comes first and only first. */
	if ((record->type == CV_JOURNAL_FILE_HEADER) == rp->header_seen)
		return CV_E_CORRUPT;
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, record);
	union cv_replay_rec rec;
	if (!cv_rec_get(&r, record->type, &rec))
		return CV_E_CORRUPT; /* Also a type that is no record. */
	switch (record->type) {
	case CV_JOURNAL_FILE_HEADER:
		return cv_replay_header(rp, &rec.header);
	case CV_JOURNAL_VEND_BEGIN:
		return cv_replay_vend_begin(rp, &rec.vend);
	case CV_JOURNAL_VEND_STATE:
		return cv_replay_vend_state(rp, &rec.vend);
	case CV_JOURNAL_LANE_STATE:
		return cv_replay_lane_state(rp, &rec.lane);
	case CV_JOURNAL_LANE_CONFIG:
		return cv_replay_lane_config(rp, &rec.lane);
	case CV_JOURNAL_ALERT:
		return cv_replay_alert(rp, &rec.alert);
	case CV_JOURNAL_CHECKPOINT_BEGIN:
		return cv_replay_checkpoint_begin(rp, &rec.checkpoint_begin);
	case CV_JOURNAL_CHECKPOINT_END:
		return cv_replay_checkpoint_end(rp, rec.checkpoint_end_begin_seq, record->seq);
	case CV_JOURNAL_MACHINE_START:
		return cv_replay_machine_start(rp, &rec.machine_start);
	default: /* CV_JOURNAL_SERVICE: cv_rec_get() took no other type. */
		return cv_replay_service(rp, rec.service_entered);
	}
}

static bool cv_replay_record(void *arg, const struct cv_journal_record *record)
{
	struct cv_replay *rp = arg;
	rp->status = cv_replay_apply(rp, record);
	return rp->status == CV_OK; /* The first error stops the scan. */
}

enum cv_status cv_recovery_replay(struct cv_machine *m, struct cv_recovery_summary *out)
{
	struct cv_replay rp = {.m = m, .status = CV_OK};
	struct cv_journal_scan scan;
	memset(out, 0, sizeof(*out));
	m->epoch = 1;
	const struct cv_storage_ops *ops = m->config.storage;
	if (!CV_OPS_HAS(struct cv_storage_ops, ops, read)) {
		out->fresh = true; /* Nothing to read back: every start is a first start. */
		return CV_OK;
	}
	/* From the last checkpoint if the storage remembers one, else from the start. */
	uint64_t start = 0, first_seq = 1;
	enum cv_status found = CV_E_NOT_FOUND;
	m->marked = cv_mark_supported(m);
	if (m->marked)
		found = cv_mark_load(m, &start, &first_seq);
	else if (CV_OPS_HAS(struct cv_storage_ops, ops, checkpoint_get))
		found = ops->checkpoint_get(m->config.storage_ctx, &start, &first_seq);
	/* A checkpoint that can't be read is not the same as none: the journal
	 * before it may be trimmed away. */
	if (found != CV_OK && found != CV_E_NOT_FOUND)
		return found;
	if (found == CV_OK) {
		rp.header_seen = true;
		rp.checkpoint_expected = true;
		rp.checkpoint_begin_seq = first_seq;
		m->has_checkpoint = true;
		m->checkpoint_offset = start;
		m->checkpoint_seq = first_seq;
	}
	const uint8_t *key = cv_machine_sealed(m) ? m->journal_key : NULL;
	enum cv_status rc =
		cv_journal_scan(ops, m->config.storage_ctx, start, first_seq, key, cv_replay_record, &rp, &scan);
	/* Bytes the storage no longer holds (trimmed away) where reading has to
	 * begin: what said where the journal begins now is gone. */
	if (rc == CV_E_NOT_FOUND) {
		cv_machine_log(m, CV_LOG_ERROR, "journal: the storage no longer holds the place it opens at");
		rc = CV_E_CORRUPT;
	}
	if (rc == CV_OK)
		rc = rp.status;
	/* A remembered checkpoint was whole and durable: if its END is gone,
	 * the journal was cut or swapped, not torn by a power cut. */
	if (rc == CV_OK && m->has_checkpoint && !rp.checkpoint_end_seen)
		rc = CV_E_CORRUPT;
	/* A sealed journal's marks: cut short, or its checkpoint file forged,
	 * put back from an older copy or deleted. */
	if (rc == CV_OK && cv_machine_sealed(m))
		rc = cv_mark_check(m, rp.mark_generation_max, &scan);
	/* Open vends must name lanes the planogram still has. */
	for (unsigned i = 0; rc == CV_OK && i < CV_VENDS_MAX; i++)
		if (m->vends[i].in_use && m->vends[i].lane >= m->config.lane_count)
			rc = CV_E_CORRUPT;
	if (rc != CV_OK)
		return rc;
	if (scan.torn_bytes > 0) {
		/* Appending after a torn tail would turn it into corruption. */
		if (!CV_OPS_HAS(struct cv_storage_ops, ops, truncate))
			return CV_E_CORRUPT;
		rc = ops->truncate(m->config.storage_ctx, scan.valid_length);
		if (rc != CV_OK)
			return rc;
		out->torn_bytes = scan.torn_bytes;
	}
	out->fresh = scan.records == 0 && !m->has_checkpoint;
	m->journal_end = scan.valid_length;
	m->epoch = rp.epoch_max + 1;
	/* Vends that never reached the disk may have used the next numbers: a
	 * new life skips past them, so a number never names two vends. Such a
	 * vend sent nothing, and only a few can begin between two syncs. */
	if (!out->fresh)
		m->next_vend_number += CV_VENDS_MAX;
	m->last_seq = m->durable_seq = m->sync_requested_seq = scan.last_seq;
	/* The next checkpoint comes checkpoint_records after the last durable
	 * one, whatever the restarts in between: a machine switched off before
	 * each interval ends still checkpoints and trims. Without a remembered
	 * one (a storage that can't remember, or a power cut before it did),
	 * after the newest whole one read, or the journal's start. */
	m->checkpoint_written_seq = m->has_checkpoint ? rp.checkpoint_end_seq : rp.last_end_seq;
	return CV_OK;
}

static void cv_recovery_report(struct cv_machine *m, const struct cv_vend *v, enum cv_recovery_action action,
			       uint64_t torn_bytes)
{
	struct cv_event ev;
	cv_event_start(&ev, CV_EVENT_RECOVERY);
	ev.u.recovery.action = action;
	ev.u.recovery.torn_bytes = torn_bytes;
	if (v != NULL) {
		ev.u.recovery.vend_number = v->number;
		cv_str_copy(ev.u.recovery.vend_id, sizeof(ev.u.recovery.vend_id), v->id);
		ev.u.recovery.found_state = v->state;
	}
	cv_machine_emit(m, &ev);
}

static enum cv_recovery_action cv_recovery_action_for(const struct cv_vend *v)
{
	switch (v->state) {
	case CV_VEND_STATE_AUTH_PENDING:
	case CV_VEND_STATE_AUTH_LOOKUP:
		return CV_RECOVERY_LOOKUP_THEN_VOID;
	case CV_VEND_STATE_AUTH_DECLINED:
		/* A key that may still land is checked as any unknown outcome. */
		return v->key == CV_VEND_KEY_MAY_LAND ? CV_RECOVERY_LOOKUP_THEN_VOID : CV_RECOVERY_DISCARDED;
	case CV_VEND_STATE_AUTHORIZED:
		return CV_RECOVERY_VOID;
	case CV_VEND_STATE_DISPENSING:
	case CV_VEND_STATE_VERIFYING:
		/* The sensor's report was journaled before the power went: proof. */
		return v->drop_verified ? CV_RECOVERY_CAPTURE_PROVEN : CV_RECOVERY_VOID_UNVERIFIED;
	case CV_VEND_STATE_CAPTURE_PENDING:
		return CV_RECOVERY_CAPTURE_RESEND;
	case CV_VEND_STATE_VOID_PENDING:
		return CV_RECOVERY_VOID_RESEND;
	default:
		return CV_RECOVERY_DISCARDED;
	}
}

/* Puts one open vend of the previous life on its way to a terminal state,
 * through the table's edges for a vend no customer waits for. */
static void cv_recovery_resolve_vend(struct cv_machine *m, struct cv_vend *v)
{
	enum cv_recovery_action action = cv_recovery_action_for(v);
	v->owner = CV_VEND_OWNER_RECOVERED;
	cv_recovery_report(m, v, action, 0);
	switch (v->state) {
	case CV_VEND_STATE_SELECTED:
	case CV_VEND_STATE_AUTH_DECLINED:
		cv_vend_leave(m, v, CV_VEND_REASON_POWER_LOSS); /* The orphan check if the key may land. */
		break;
	case CV_VEND_STATE_AUTH_PENDING:
		cv_vend_fire(m, v, CV_VEND_T_AUTH_UNKNOWN, CV_VEND_REASON_POWER_LOSS);
		break;
	case CV_VEND_STATE_AUTHORIZED:
		cv_vend_fire(m, v, CV_VEND_T_RELEASE, CV_VEND_REASON_POWER_LOSS);
		break;
	case CV_VEND_STATE_DISPENSING:
	case CV_VEND_STATE_VERIFYING:
		if (action == CV_RECOVERY_CAPTURE_PROVEN) {
			cv_vend_delivered(m, v); /* CAPTURE_PENDING first, then the item leaves the count. */
			break;
		}
		cv_machine_raise_alert(m, CV_ALERT_UNVERIFIED_VEND, v->lane, true);
		cv_vend_fire(m, v, CV_VEND_T_NOT_DELIVERED, CV_VEND_REASON_POWER_LOSS);
		break;
	default:
		if (CV_MUTATED(CV_MUTANT_CAPTURE_ASSUMED) && v->state == CV_VEND_STATE_CAPTURE_PENDING) {
			cv_vend_fire(m, v, CV_VEND_T_SETTLED, CV_VEND_REASON_NONE);
			break;
		}
		/* AUTH_LOOKUP, CAPTURE_PENDING, VOID_PENDING: the same side effect
		 * again, same key, fresh retry budget; the reason stays. */
		cv_vend_fire(m, v, CV_VEND_T_RESUME, CV_VEND_REASON_NONE);
		break;
	}
}

void cv_recovery_resolve(struct cv_machine *m, const struct cv_recovery_summary *summary)
{
	if (summary->torn_bytes > 0)
		cv_recovery_report(m, NULL, CV_RECOVERY_TAIL_TRUNCATED, summary->torn_bytes);
	for (unsigned i = 0; i < CV_VENDS_MAX; i++) {
		struct cv_vend *v = &m->vends[i];
		if (v->in_use) {
			/* Frozen receipt fields were not journaled: take the lane's. */
			cv_vend_freeze_lane(v, &m->lanes[v->lane].config);
			cv_recovery_resolve_vend(m, v);
		}
	}
}
