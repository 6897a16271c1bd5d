/* SPDX-License-Identifier: MIT */
/* The journal codec (lib/journal_codec.c): every record type survives its
 * own encoder and decoder, in format 3 (tagged) and in the untagged layout
 * of format 2; decoders refuse payloads that are short, long or out of
 * range; and the crash test's independent reader (tests/crash) reads the
 * vend records exactly as the codec wrote them. */
#include <criterion/criterion.h>
#include <string.h>

#include "crash/crash_records.h"
#include "machine_private.h"

#define ROUNDS 2000

static uint64_t rng_state;

/* splitmix64: the same values on every run. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void random_text(char *out, size_t size)
{
	static const char alphabet[] = "abcXYZ0123456789 -_.";
	size_t length = rng() % size;
	for (size_t i = 0; i < length; i++)
		out[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
	memset(out + length, 0, size - length);
}

static struct cv_journal_record record_of(const struct cv_journal_writer *w)
{
	cr_assert_not(w->overflow, "a payload overflowed its writer");
	struct cv_journal_record r = {.payload = w->bytes, .payload_length = w->length, .tagged = w->tagged};
	return r;
}

static void random_vend_state(struct cv_vend *rec)
{
	memset(rec, 0, sizeof(*rec));
	for (unsigned i = 0; i < sizeof(rec->uuid); i++)
		rec->uuid[i] = (uint8_t)rng();
	rec->number = (uint32_t)rng();
	rec->state = (uint8_t)(rng() % (CV_VEND_STATE_VOID_FAILED + 1));
	rec->reason = (uint8_t)(rng() % (CV_VEND_REASON_OFFLINE_POLICY + 1));
	rec->lane = (uint16_t)(rng() % CV_LANES_MAX);
	rec->price_minor = (int64_t)(rng() % (CV_PRICE_MAX + 1));
	rec->auth_attempt = (uint8_t)(1 + rng() % CV_AUTH_ATTEMPTS_MAX);
	rec->respins = (uint8_t)(rng() % 4);
	rec->drop_verified = rng() & 1;
	random_text(rec->processor_ref, sizeof(rec->processor_ref));
	random_text(rec->card.brand, sizeof(rec->card.brand));
	random_text(rec->card.last4, sizeof(rec->card.last4));
	random_text(rec->card.auth_code, sizeof(rec->card.auth_code));
	random_text(rec->card.aid, sizeof(rec->card.aid));
	random_text(rec->card.app_label, sizeof(rec->card.app_label));
	rec->card.entry = (enum cv_card_entry)(rng() % (CV_CARD_ENTRY_MOBILE_WALLET + 1));
	rec->journal_flags = (uint8_t)(rng() & (CV_JOURNAL_VEND_OFFLINE | CV_JOURNAL_VEND_MAY_LAND));
	rec->capture_before_s = (int64_t)(rng() % 4102444800u);
	rec->held_minor = (int64_t)(rng() % (CV_PRICE_MAX + 1));
}

static void expect_same_vend_state(const struct cv_vend *a, const struct cv_vend *b)
{
	cr_assert_arr_eq(a->uuid, b->uuid, sizeof(a->uuid));
	cr_assert_eq(a->number, b->number);
	cr_assert_eq(a->state, b->state);
	cr_assert_eq(a->reason, b->reason);
	cr_assert_eq(a->lane, b->lane);
	cr_assert_eq(a->price_minor, b->price_minor);
	cr_assert_eq(a->auth_attempt, b->auth_attempt);
	cr_assert_eq(a->respins, b->respins);
	cr_assert_eq(a->drop_verified, b->drop_verified);
	cr_assert_str_eq(a->processor_ref, b->processor_ref);
	cr_assert_str_eq(a->card.brand, b->card.brand);
	cr_assert_str_eq(a->card.last4, b->card.last4);
	cr_assert_str_eq(a->card.auth_code, b->card.auth_code);
	cr_assert_str_eq(a->card.aid, b->card.aid);
	cr_assert_str_eq(a->card.app_label, b->card.app_label);
	cr_assert_eq(a->card.entry, b->card.entry);
	cr_assert_eq(a->journal_flags, b->journal_flags);
	cr_assert_eq(a->capture_before_s, b->capture_before_s);
	cr_assert_eq(a->held_minor, b->held_minor);
}

Test(journal_codec, a_vend_state_survives_its_codec_tagged_and_untagged)
{
	rng_state = 1;
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct cv_vend in, out;
		random_vend_state(&in);
		struct cv_journal_writer w;
		cv_journal_writer_init(&w);
		w.tagged = i % 2 == 0; /* Format 3, then format 2's layout. */
		if (!w.tagged)
			in.held_minor = 0; /* Format 2 has no such field: it reads 0. */
		CV_REC_PUT(&w, &in);
		struct cv_journal_record rec = record_of(&w);
		struct cv_journal_reader r;
		cv_journal_reader_init(&r, &rec);
		cr_assert(CV_REC_GET(&r, &out), "round %u", i);
		expect_same_vend_state(&in, &out);
	}
}

Test(journal_codec, the_crash_tests_own_reader_reads_what_the_codec_wrote)
{
	rng_state = 2;
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct cv_vend in;
		random_vend_state(&in);
		struct cv_journal_writer w;
		cv_journal_writer_init(&w);
		CV_REC_PUT(&w, &in);
		struct cv_journal_record rec = record_of(&w);
		struct crash_vend_state out;
		cr_assert(crash_read_vend_state(&rec, &out), "round %u", i);
		cr_assert_arr_eq(in.uuid, out.uuid, sizeof(in.uuid));
		cr_assert_eq(in.number, out.number);
		cr_assert_eq(in.state, out.state);
		cr_assert_eq(in.reason, out.reason);
		cr_assert_eq(in.lane, out.lane);
		cr_assert_eq(in.price_minor, out.price);
		cr_assert_eq(in.auth_attempt, out.attempt);
		cr_assert_eq(in.respins, out.respins);
		cr_assert_eq(in.drop_verified, out.verified);
		const char *texts[CRASH_TEXT_FIELDS] = {in.processor_ref,  in.card.brand, in.card.last4,
							in.card.auth_code, in.card.aid,   in.card.app_label};
		for (unsigned t = 0; t < CRASH_TEXT_FIELDS; t++)
			cr_assert_str_eq(texts[t], out.text[t]);
		cr_assert_eq((uint8_t)in.card.entry, out.entry);
		cr_assert_eq(in.journal_flags, out.flags);
		cr_assert_eq(in.capture_before_s, out.capture_before);
		cr_assert_eq(in.held_minor, out.held);

		struct cv_vend begin = in;
		memcpy(begin.currency, "USD", 4);
		cv_journal_writer_init(&w);
		cv_rec_put(&w, CV_JOURNAL_VEND_BEGIN, &begin);
		rec = record_of(&w);
		struct crash_vend_begin b;
		cr_assert(crash_read_vend_begin(&rec, &b));
		cr_assert_arr_eq(begin.uuid, b.uuid, sizeof(b.uuid));
		cr_assert_eq(begin.number, b.number);
		cr_assert_eq(begin.lane, b.lane);
		cr_assert_eq(begin.price_minor, b.price);
		cr_assert_str_eq(b.currency, "USD");
	}
}

/* A writer's payload, ready to decode (the record must outlive the reader). */
static struct cv_journal_reader reader_of(const struct cv_journal_writer *w, struct cv_journal_record *rec)
{
	*rec = record_of(w);
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, rec);
	return r;
}

Test(journal_codec, every_other_record_type_survives_its_codec)
{
	struct cv_journal_writer w;
	struct cv_journal_record rec;
	struct cv_journal_reader r;

	struct cv_rec_header h = {.magic = {'C', 'V', 'J', 'L'}, .version = 3}, h2;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &h);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &h2));
	cr_assert_eq(h2.version, 3);

	struct cv_rec_machine_start ms = {.machine_id = "vm-7", .currency = "EUR", .lane_count = 12}, ms2;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &ms);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &ms2));
	cr_assert_str_eq(ms2.machine_id, "vm-7");
	cr_assert_str_eq(ms2.currency, "EUR");
	cr_assert_eq(ms2.lane_count, 12);

	struct cv_lane ls, ls2;
	memset(&ls, 0, sizeof(ls));
	ls.index = 5;
	ls.config.count = 9;
	ls.config.price_minor = 275;
	ls.enabled = true;
	ls.quarantined = true;
	ls.consecutive_failures = 3;
	ls.config.capacity = 40; /* Not journaled: reads 0. */
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &ls);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &ls2));
	cr_assert(ls2.index == 5 && ls2.config.count == 9 && ls2.config.price_minor == 275 && ls2.enabled &&
		  ls2.quarantined && ls2.consecutive_failures == 3 && ls2.config.capacity == 0);

	struct cv_lane lc, lc2;
	memset(&lc, 0, sizeof(lc));
	lc.index = 3;
	cv_lane_config_default(&lc.config);
	strcpy(lc.config.label, "B4");
	strcpy(lc.config.product_id, "SKU-9");
	strcpy(lc.config.product_name, "Sour Worms");
	lc.config.price_minor = 200;
	lc.config.capacity = 12;
	lc.config.count = 7;
	lc.config.verify_mode = CV_VERIFY_MODE_OPTIONAL;
	lc.enabled = true; /* Not journaled in a LANE_CONFIG: reads false. */
	cv_journal_writer_init(&w);
	cv_rec_put(&w, CV_JOURNAL_LANE_CONFIG, &lc);
	r = reader_of(&w, &rec);
	cr_assert(cv_rec_get(&r, CV_JOURNAL_LANE_CONFIG, &lc2));
	cr_assert_eq(lc2.index, 3);
	cr_assert_not(lc2.enabled);
	cr_assert_str_eq(lc2.config.label, "B4");
	cr_assert_str_eq(lc2.config.product_id, "SKU-9");
	cr_assert_str_eq(lc2.config.product_name, "Sour Worms");
	cr_assert(lc2.config.price_minor == 200 && lc2.config.capacity == 12 && lc2.config.count == 7);
	cr_assert_eq(lc2.config.verify_mode, CV_VERIFY_MODE_OPTIONAL);
	cr_assert_eq(lc2.config.low_stock_threshold, lc.config.low_stock_threshold);
	cr_assert_eq(lc2.config.vend_quarter_turns, lc.config.vend_quarter_turns);
	cr_assert_eq(lc2.config.respin_count_max, lc.config.respin_count_max);
	cr_assert_eq(lc2.config.respin_quarter_turns, lc.config.respin_quarter_turns);
	cr_assert_eq(lc2.config.quarantine_after_failures, lc.config.quarantine_after_failures);

	struct cv_rec_alert al = {.kind = CV_ALERT_LOW_STOCK, .lane = 0xffff, .active = true}, al2;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &al);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &al2));
	cr_assert(al2.kind == al.kind && al2.lane == al.lane && al2.active);

	struct cv_rec_checkpoint_begin cb, cb2;
	memset(&cb, 0, sizeof(cb));
	cb.next_vend_number = 4242;
	cb.stats.vends_started = 10;
	cb.stats.vends_captured = 7;
	cb.stats.declines = 3;
	cb.stats.captured_minor = 1050;
	cb.stats.dispensed_value_minor = 1200;
	cb.stats.offline_approvals = 2;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &cb);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &cb2));
	cr_assert_eq(cb2.next_vend_number, 4242);
	cr_assert(memcmp(&cb.stats, &cb2.stats, sizeof(cb.stats)) == 0, "the totals changed");

	uint64_t end = 0;
	cv_journal_writer_init(&w);
	uint64_t begin_seq = 987654321u;
	CV_REC_PUT(&w, &begin_seq);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &end));
	cr_assert_eq(end, 987654321u);

	bool entered = false;
	cv_journal_writer_init(&w);
	bool entering = true;
	CV_REC_PUT(&w, &entering);
	r = reader_of(&w, &rec);
	cr_assert(CV_REC_GET(&r, &entered));
	cr_assert(entered);
}

static bool vend_state_decodes(const struct cv_journal_writer *w)
{
	struct cv_journal_record rec = record_of(w);
	struct cv_journal_reader r;
	cv_journal_reader_init(&r, &rec);
	struct cv_vend out;
	return CV_REC_GET(&r, &out);
}

Test(journal_codec, decoders_refuse_what_is_not_exactly_a_record)
{
	rng_state = 3;
	struct cv_vend in;
	random_vend_state(&in);
	struct cv_journal_writer w;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &in);
	cr_assert(vend_state_decodes(&w));

	struct cv_journal_writer cut = w;
	cut.length--;
	cr_assert_not(vend_state_decodes(&cut), "a short payload was read");
	struct cv_journal_writer longer = w;
	cv_journal_put_uint(&longer, 0, 1);
	cr_assert_not(vend_state_decodes(&longer), "a payload with one more field was read");
	struct cv_journal_writer untagged = w;
	untagged.tagged = false; /* The same bytes read as format 2: the tags are not fields. */
	cr_assert_not(vend_state_decodes(&untagged));

	struct cv_vend bad = in;
	bad.state = CV_VEND_STATE_VOID_FAILED + 1;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &bad);
	cr_assert_not(vend_state_decodes(&w), "a state out of range was read");
	bad = in;
	bad.lane = CV_LANES_MAX;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &bad);
	cr_assert_not(vend_state_decodes(&w), "a lane out of range was read");
	bad = in;
	bad.card.entry = (enum cv_card_entry)(CV_CARD_ENTRY_MOBILE_WALLET + 1);
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &bad);
	cr_assert_not(vend_state_decodes(&w), "an entry mode out of range was read");

	/* A tag that is not the field tag is corruption. */
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &in);
	w.bytes[0] = 'G';
	cr_assert_not(vend_state_decodes(&w));
}

/* The checks of the other record types, and a type that is no record. */
Test(journal_codec, the_decoder_refuses_other_records_out_of_range_and_unknown_types)
{
	struct cv_journal_writer w;
	struct cv_journal_record rec;
	struct cv_journal_reader r;

	struct cv_rec_header h = {.magic = {'C', 'V', 'J', 'X'}, .version = 3};
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &h);
	r = reader_of(&w, &rec);
	cr_assert_not(CV_REC_GET(&r, &h), "a header without the magic was read");

	struct cv_vend b;
	memset(&b, 0, sizeof(b));
	b.lane = CV_LANES_MAX;
	b.price_minor = 100;
	memcpy(b.currency, "USD", 4);
	cv_journal_writer_init(&w);
	cv_rec_put(&w, CV_JOURNAL_VEND_BEGIN, &b);
	r = reader_of(&w, &rec);
	cr_assert_not(cv_rec_get(&r, CV_JOURNAL_VEND_BEGIN, &b), "a vend begin on a lane out of range was read");

	struct cv_lane ls;
	memset(&ls, 0, sizeof(ls));
	ls.index = 1;
	ls.config.count = 1;
	ls.config.price_minor = CV_PRICE_MAX + 1;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &ls);
	r = reader_of(&w, &rec);
	cr_assert_not(CV_REC_GET(&r, &ls), "a price out of range was read");
	ls.config.price_minor = -1;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &ls);
	r = reader_of(&w, &rec);
	cr_assert_not(CV_REC_GET(&r, &ls), "a negative price was read");

	bool entering = true;
	cv_journal_writer_init(&w);
	CV_REC_PUT(&w, &entering);
	uint8_t any[256];
	const unsigned unknown[] = {0, CV_JOURNAL_CHECKPOINT_END + 1, 0xffff};
	for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		r = reader_of(&w, &rec);
		cr_assert_not(cv_rec_get(&r, (enum cv_journal_record_type)unknown[i], any), "type %u", unknown[i]);
	}
}
