/* SPDX-License-Identifier: MIT */
#include "crash_records.h"

#include <string.h>

bool crash_read_vend_begin(const struct cv_journal_record *record, struct crash_vend_begin *out)
{
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, record);
	cv_journal_get_bytes(&r, out->uuid, sizeof(out->uuid));
	out->number = cv_journal_get_u32(&r);
	out->lane = cv_journal_get_u16(&r);
	out->price = (int64_t)cv_journal_get_u64(&r);
	cv_journal_get_str(&r, out->currency, sizeof(out->currency));
	return cv_journal_reader_done(&r);
}

bool crash_read_vend_state(const struct cv_journal_record *record, struct crash_vend_state *out)
{
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, record);
	cv_journal_get_bytes(&r, out->uuid, sizeof(out->uuid));
	out->number = cv_journal_get_u32(&r);
	out->state = cv_journal_get_u8(&r);
	out->reason = cv_journal_get_u8(&r);
	out->lane = cv_journal_get_u16(&r);
	out->price = (int64_t)cv_journal_get_u64(&r);
	out->attempt = cv_journal_get_u8(&r);
	out->respins = cv_journal_get_u8(&r);
	out->verified = cv_journal_get_u8(&r) != 0;
	for (unsigned i = 0; i < CRASH_TEXT_FIELDS; i++)
		cv_journal_get_str(&r, out->text[i], sizeof(out->text[i]));
	out->entry = cv_journal_get_u8(&r);
	out->flags = cv_journal_get_u8(&r);
	out->capture_before = (int64_t)cv_journal_get_u64(&r);
	out->held = record->tagged ? (int64_t)cv_journal_get_u64(&r) : 0;
	return cv_journal_reader_done(&r);
}
