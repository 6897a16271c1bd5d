/* SPDX-License-Identifier: MIT */
/* A journal written by the released format 2 (tests/fixtures/journal-v2.bin:
 * vend 1 captured, vend 2 voiding after no drop, vend 3 capturing, vend 4
 * authorizing its second try after a decline; see tests/fixtures/README.md)
 * still opens, recovers every open vend as a version 3 journal would, and
 * is continued in version 3 records that a later restart reads back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "journal_read.h"
#include "rig.h"

#ifndef CV_FIXTURES_DIR
#error "CV_FIXTURES_DIR must name tests/fixtures"
#endif

TestSuite(journal_v2, .init = rig_setup, .fini = rig_teardown);

static void load_fixture(void)
{
	FILE *f = fopen(CV_FIXTURES_DIR "/journal-v2.bin", "rb");
	cr_assert_not_null(f, "fixture missing");
	size_t n = fread(rig.journal, 1, sizeof(rig.journal), f);
	fclose(f);
	cr_assert_gt(n, 0);
	rig.storage.length = n;
}

static const struct cv_recovery *recovery_of(uint32_t vend_number)
{
	for (unsigned i = 0; i < rig.event_count; i++)
		if (rig.events[i].type == CV_EVENT_RECOVERY && rig.events[i].u.recovery.vend_number == vend_number)
			return &rig.events[i].u.recovery;
	return NULL;
}

static void expect_recovery(uint32_t vend_number, enum cv_vend_state found, enum cv_recovery_action action)
{
	const struct cv_recovery *r = recovery_of(vend_number);
	cr_assert_not_null(r, "vend %u not recovered", vend_number);
	cr_assert_eq(r->found_state, found, "vend %u found in %s", vend_number, cv_vend_state_str(r->found_state));
	cr_assert_eq(r->action, action, "vend %u", vend_number);
}

struct flags_seen {
	unsigned tagged;
	unsigned untagged;
};

static bool count_tagged(void *arg, const struct cv_journal_record *record)
{
	struct flags_seen *seen = arg;
	if (record->tagged)
		seen->tagged++;
	else
		seen->untagged++;
	return true;
}

Test(journal_v2, a_version_2_journal_opens_recovers_and_is_continued_in_version_3)
{
	load_fixture();
	size_t v2_length = rig.storage.length;
	cr_assert_eq(rig_start(), CV_OK);
	cr_assert_null(recovery_of(1), "vend 1 was settled");
	expect_recovery(2, CV_VEND_STATE_VOID_PENDING, CV_RECOVERY_VOID_RESEND);
	expect_recovery(3, CV_VEND_STATE_CAPTURE_PENDING, CV_RECOVERY_CAPTURE_RESEND);
	expect_recovery(4, CV_VEND_STATE_AUTH_PENDING, CV_RECOVERY_LOOKUP_THEN_VOID);
	struct cv_machine_stats s = rig_stats();
	cr_assert_eq(s.vends_captured, 1);
	cr_assert_eq(s.captured_minor, 150);
	cr_assert_eq(s.drops_verified, 2, "vends 1 and 3");
	cr_assert_eq(rig_lane(0).config.count, 4);
	cr_assert_eq(rig_lane(1).config.count, 4, "vend 3's item left at CAPTURE_PENDING");
	cr_assert_eq(rig_lane(2).config.count, 5);

	/* The obligations go out with the keys of the previous life. */
	rig_step(0);
	unsigned captures = 0, voids = 0, lookups = 0;
	for (unsigned i = 0; i < rig.payment_count; i++) {
		const struct cv_payment_request *p = &rig.payments[i];
		captures += p->op == CV_PAYMENT_OP_CAPTURE;
		voids += p->op == CV_PAYMENT_OP_VOID;
		if (p->op == CV_PAYMENT_OP_LOOKUP) {
			lookups++;
			cr_assert(strstr(p->auth_key, ".auth.2") != NULL, "vend 4's second key: %s", p->auth_key);
		}
	}
	cr_assert_eq(captures, 1);
	cr_assert_eq(voids, 1);
	cr_assert_eq(lookups, 1);
	uint32_t next = rig_select(0);
	cr_assert_gt(next, 4, "numbering continues");

	/* What was appended is version 3; the mixed journal reads back whole. */
	cr_assert_gt(rig.storage.length, v2_length);
	struct flags_seen seen = {0};
	struct cv_journal_scan scan;
	cr_assert_eq(cv_journal_scan(&cv_ram_storage_ops, &rig.storage, 0, 1, NULL, count_tagged, &seen, &scan), CV_OK);
	cr_assert_gt(seen.untagged, 0);
	cr_assert_gt(seen.tagged, 0);
	cr_assert_eq(scan.torn_bytes, 0);
	cr_assert_eq(rig_reboot(), CV_OK);
	cr_assert_not_null(recovery_of(3), "vend 3 still owes its capture");
}
