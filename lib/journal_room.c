/* SPDX-License-Identifier: MIT */
/* Room in the journal, on a storage that says how much it can still take
 * (its room() op; meant for small fixed regions such as flash). Counted in
 * records of the largest size on both sides:
 *
 * - the reserve: what the engine must always be able to write, whatever
 *   happens next: a restart's start records (header, MACHINE_START, one
 *   LANE_STATE per lane) and the records that settle every vend open now;
 * - a checkpoint: BEGIN and END, two records per lane, one per active
 *   alert, two per open vend.
 *
 * When the room falls below the reserve plus two checkpoints, the
 * checkpoint tick writes one at once (whatever checkpoint_records says), provided the
 * journal holds more than a few checkpoints' worth: once it is durable the
 * trim after it frees the journal before the previous one, and a second
 * one frees the rest. While the room is below the reserve, no new vend
 * starts (cv_machine_select() answers CV_E_FULL and the display shows out
 * of service); vends already open go on into the reserve. */
#include "machine_private.h"

_Static_assert(CV_JOURNAL_RECORD_MAX == CV_STORAGE_ROOM_RECORD, "room() counts records of the largest size");

/* Records that settle one open vend, from any state: the engine's longest
 * way to a terminal state after a restart (lookup, void, its answer) and
 * the lane and alert records around it, with room to spare. */
#define CV_ROOM_RECORDS_PER_OPEN_VEND 8u
/* Beyond the reserve and two checkpoints: slack for the records written
 * between two looks at the room (one step's worth of vends). */
#define CV_ROOM_MARGIN_RECORDS 8u

/* open: the vends open now (cv_machine_open_vends()). */
static uint32_t cv_room_reserve(const struct cv_machine *m, uint32_t open)
{
	return 2u + m->config.lane_count + CV_ROOM_RECORDS_PER_OPEN_VEND * (open + 1u);
}

static uint32_t cv_room_checkpoint(const struct cv_machine *m, uint32_t open)
{
	uint32_t records = 2u + 2u * m->config.lane_count + 2u * open;
	for (unsigned i = 0; i < m->config.lane_count; i++) {
		const struct cv_lane *lane = &m->lanes[i];
		records += lane->sold_out_alert_active + lane->low_alert_active + lane->jam_alert_active;
	}
	return records;
}

/* Records of the largest size are counted, and compared as bytes: a count
 * of n records fits when n * CV_JOURNAL_RECORD_MAX bytes do (no division;
 * the counts are small, their sizes far below 4 GiB). */
static uint32_t cv_room_bytes(uint32_t records)
{
	return records * (uint32_t)CV_JOURNAL_RECORD_MAX;
}

bool cv_room_tick(struct cv_machine *m)
{
	const struct cv_storage_ops *ops = m->config.storage;
	uint64_t bytes = 0;
	if (!CV_OPS_HAS(struct cv_storage_ops, ops, room) || ops->room(m->config.storage_ctx, &bytes) != CV_OK)
		return false;
	/* Saturated to 32 bits: against any 32-bit size below, it compares as
	 * the 64-bit room does. */
	uint32_t room = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
	uint32_t open = cv_machine_open_vends(m);
	uint32_t reserve = cv_room_reserve(m, open), checkpoint = cv_room_checkpoint(m, open);
	bool low = room < cv_room_bytes(reserve);
	if (low != m->room_low) {
		m->room_low = low;
		if (low)
			cv_machine_log(m, CV_LOG_WARN, "journal: nearly full, sales paused until trimmed");
		else
			cv_machine_log(m, CV_LOG_INFO, "journal: room again, sales resume");
	}
	if (room >= cv_room_bytes(reserve + 2u * checkpoint + CV_ROOM_MARGIN_RECORDS))
		return false;
	/* A checkpoint frees only what lies before the previous one: with
	 * little more than checkpoints held (what the journal holds beyond
	 * what is trimmed), another frees nothing. */
	return m->journal_end - m->room_trimmed_to >= cv_room_bytes(3u * checkpoint + 1u);
}
