/* SPDX-License-Identifier: MIT */
#include "crash_records.h"

#include <string.h>

bool crash_read_vend_begin(const struct cv_journal_record *record, struct crash_vend_begin *out)
{
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, record);
	cv_journal_get_bytes(&r, out->uuid, sizeof(out->uuid));
	out->number = (uint32_t)cv_journal_get_uint(&r, 4);
	out->lane = (uint16_t)cv_journal_get_uint(&r, 2);
	out->price = (int64_t)cv_journal_get_uint(&r, 8);
	cv_journal_get_str(&r, out->currency, sizeof(out->currency));
	return cv_journal_reader_done(&r);
}

bool crash_read_vend_state(const struct cv_journal_record *record, struct crash_vend_state *out)
{
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, record);
	cv_journal_get_bytes(&r, out->uuid, sizeof(out->uuid));
	out->number = (uint32_t)cv_journal_get_uint(&r, 4);
	out->state = (uint8_t)cv_journal_get_uint(&r, 1);
	out->reason = (uint8_t)cv_journal_get_uint(&r, 1);
	out->lane = (uint16_t)cv_journal_get_uint(&r, 2);
	out->price = (int64_t)cv_journal_get_uint(&r, 8);
	out->attempt = (uint8_t)cv_journal_get_uint(&r, 1);
	out->respins = (uint8_t)cv_journal_get_uint(&r, 1);
	out->verified = cv_journal_get_uint(&r, 1) != 0;
	for (unsigned i = 0; i < CRASH_TEXT_FIELDS; i++)
		cv_journal_get_str(&r, out->text[i], sizeof(out->text[i]));
	out->entry = (uint8_t)cv_journal_get_uint(&r, 1);
	out->flags = (uint8_t)cv_journal_get_uint(&r, 1);
	out->capture_before = (int64_t)cv_journal_get_uint(&r, 8);
	out->held = record->tagged ? (int64_t)cv_journal_get_uint(&r, 8) : 0;
	return cv_journal_reader_done(&r);
}
