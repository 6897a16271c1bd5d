/* SPDX-License-Identifier: MIT */
/* Receipt rendering for thermal printers. */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <candyvend/candyvend.h>

/* 2026-01-01 12:00:00 UTC. */
#define NOON_2026 INT64_C(1767268800000)

static struct cv_receipt sample(void)
{
	struct cv_receipt r;
	memset(&r, 0, sizeof(r));
	strcpy(r.vend_id, "01JGZ3Q8W7K5M2N4P6R8T0V2XA");
	strcpy(r.machine_id, "VM-0042");
	r.time_ms = NOON_2026;
	r.lane = 3;
	strcpy(r.lane_label, "A4");
	strcpy(r.product_id, "SKU-123");
	strcpy(r.product_name, "Chocolate Bar");
	r.amount.amount_minor = 150;
	strcpy(r.amount.currency, "USD");
	strcpy(r.card.brand, "VISA");
	strcpy(r.card.last4, "4242");
	strcpy(r.card.auth_code, "A1B2C3");
	r.status = CV_RECEIPT_CHARGED;
	return r;
}

/* The sample with every optional scheme field filled in. */
static struct cv_receipt sample_full(void)
{
	struct cv_receipt r = sample();
	strcpy(r.merchant_name, "Sweet Corner Ltd");
	strcpy(r.merchant_location, "Main St 5, Springfield");
	strcpy(r.card.aid, "A0000000031010");
	strcpy(r.card.app_label, "VISA CREDIT");
	r.card.entry = CV_CARD_ENTRY_CONTACTLESS;
	return r;
}

static char text[CV_RECEIPT_TEXT_MAX];

static const char *render(const struct cv_receipt *r, unsigned width)
{
	size_t length = 0;
	cr_assert_eq(cv_receipt_render(r, width, text, sizeof(text), &length), CV_OK);
	cr_assert_eq(length, strlen(text));
	return text;
}

/* Every line ends with '\n' and is at most `width` columns. */
static void assert_lines_fit(const char *s, unsigned width)
{
	cr_assert_neq(strlen(s), 0);
	while (*s != '\0') {
		const char *end = strchr(s, '\n');
		cr_assert_not_null(end, "last line has no newline");
		cr_assert_leq((size_t)(end - s), width, "line too long: %.*s", (int)(end - s), s);
		s = end + 1;
	}
}

/* The longest run of consecutive digits in the lines that mention the card. */
static size_t card_digit_run_max(const char *s)
{
	size_t longest = 0;
	while (*s != '\0') {
		const char *end = strchr(s, '\n');
		if (strncmp(s, "Card", 4) == 0) {
			size_t run = 0;
			for (const char *c = s; c < end; c++) {
				run = isdigit((unsigned char)*c) ? run + 1 : 0;
				if (run > longest)
					longest = run;
			}
		}
		s = end + 1;
	}
	return longest;
}

Test(receipt, narrow_content)
{
	struct cv_receipt r = sample();
	const char *s = render(&r, CV_RECEIPT_WIDTH_NARROW);
	assert_lines_fit(s, CV_RECEIPT_WIDTH_NARROW);
	cr_assert_not_null(strstr(s, "VM-0042"));
	cr_assert_not_null(strstr(s, "2026-01-01 12:00:00 UTC"));
	cr_assert_not_null(strstr(s, "A4"));
	cr_assert_not_null(strstr(s, "Chocolate Bar"));
	cr_assert_not_null(strstr(s, "1.50 USD"));
	cr_assert_not_null(strstr(s, "VISA"));
	cr_assert_not_null(strstr(s, "**** 4242"));
	cr_assert_not_null(strstr(s, "A1B2C3"));
	cr_assert_not_null(strstr(s, "01JGZ3Q8W7K5M2N4P6R8T0V2XA"), "vend id not whole");
	cr_assert_not_null(strstr(s, "CHARGED"));
}

Test(receipt, wide_content_and_alignment)
{
	struct cv_receipt r = sample();
	const char *s = render(&r, CV_RECEIPT_WIDTH_WIDE);
	assert_lines_fit(s, CV_RECEIPT_WIDTH_WIDE);
	/* Values are right-aligned: the amount ends exactly at column 42. */
	const char *amount = strstr(s, "1.50 USD\n");
	cr_assert_not_null(amount);
	const char *line = amount;
	while (line > s && line[-1] != '\n')
		line--;
	cr_assert_eq(amount + strlen("1.50 USD") - line, CV_RECEIPT_WIDTH_WIDE);
	cr_assert_eq(strncmp(line, "Amount .", 8), 0);
	cr_assert_not_null(strstr(s, "Vend id ....... 01JGZ3Q8W7K5M2N4P6R8T0V2XA\n"), "%s", s);
}

Test(receipt, every_width_fits)
{
	struct cv_receipt r = sample();
	strcpy(r.machine_id, "MACHINE-ID-THAT-IS-31-CHARS-LON");
	strcpy(r.product_name, "A product name of 31 characters");
	strcpy(r.card.brand, "MASTERCARD-LONG");
	strcpy(r.card.auth_code, "AUTHCODE-11");
	r.amount.amount_minor = INT64_MIN;
	r.status = CV_RECEIPT_NOT_CHARGED;
	for (unsigned width = 24; width <= 80; width++) {
		const char *s = render(&r, width);
		assert_lines_fit(s, width);
		cr_assert_not_null(strstr(s, "**** 4242"), "width %u", width);
		cr_assert_not_null(strstr(s, "NOT CHARGED"), "width %u", width);
		cr_assert_not_null(strstr(s, "you were not charged"), "width %u", width);
	}
}

Test(receipt, not_charged_status_line)
{
	struct cv_receipt r = sample();
	r.status = CV_RECEIPT_NOT_CHARGED;
	const char *s = render(&r, CV_RECEIPT_WIDTH_WIDE);
	cr_assert_not_null(strstr(s, "NOT CHARGED - you were not charged"));
	s = render(&r, CV_RECEIPT_WIDTH_NARROW);
	cr_assert_null(strstr(s, "\nCHARGED"), "a voided vend must not read CHARGED");
	cr_assert_not_null(strstr(s, "NOT CHARGED\n"));
	cr_assert_not_null(strstr(s, "you were not charged\n"));
}

Test(receipt, charged_status_line)
{
	struct cv_receipt r = sample();
	const char *s = render(&r, CV_RECEIPT_WIDTH_NARROW);
	cr_assert_null(strstr(s, "NOT CHARGED"));
	cr_assert_not_null(strstr(s, "            CHARGED\n"), "status not centered:\n%s", s);
}

Test(receipt, known_epochs)
{
	struct cv_receipt r = sample();
	struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{0, "1970-01-01 00:00:00 UTC"},
		{NOON_2026, "2026-01-01 12:00:00 UTC"},
		{INT64_C(1835481599000), "2028-02-29 23:59:59 UTC"}, /* leap day */
		{INT64_C(1835481600000), "2028-03-01 00:00:00 UTC"},
		{INT64_C(951782400000), "2000-02-29 00:00:00 UTC"},  /* 400-year leap */
		{INT64_C(4107542400000), "2100-03-01 00:00:00 UTC"}, /* 2100 is not leap */
		{INT64_C(-1), "1969-12-31 23:59:59 UTC"},
		{INT64_C(1767225599999), "2025-12-31 23:59:59 UTC"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.time_ms = cases[i].ms;
		cr_assert_not_null(strstr(render(&r, 32), cases[i].text), "expected %s", cases[i].text);
	}
}

Test(receipt, extreme_times_fit)
{
	struct cv_receipt r = sample();
	r.time_ms = INT64_MIN;
	assert_lines_fit(render(&r, 24), 24);
	r.time_ms = INT64_MAX;
	assert_lines_fit(render(&r, 24), 24);
}

Test(receipt, no_pan_in_card_area)
{
	struct cv_receipt r = sample();
	/* A misbehaving reader stuffs card digits into the brand field. */
	strcpy(r.card.brand, "411111111111111");
	const char *s = render(&r, CV_RECEIPT_WIDTH_WIDE);
	cr_assert_leq(card_digit_run_max(s), 4, "%s", s);
	cr_assert_null(strstr(s, "41111"));
	cr_assert_not_null(strstr(s, "**** 4242"));
	/* Only four digits fit in last4 at all; more is an unterminated field. */
	memcpy(r.card.last4, "42424", 5);
	cr_assert_eq(cv_receipt_render(&r, 42, text, sizeof(text), NULL), CV_E_INVAL);
}

Test(receipt, card_lines_omitted_without_card)
{
	struct cv_receipt r = sample();
	memset(&r.card, 0, sizeof(r.card));
	const char *s = render(&r, CV_RECEIPT_WIDTH_NARROW);
	cr_assert_null(strstr(s, "Card"));
	cr_assert_null(strstr(s, "****"));
	cr_assert_null(strstr(s, "Auth"));
}

Test(receipt, long_values_cut_not_wrapped)
{
	struct cv_receipt r = sample();
	strcpy(r.product_name, "Extra Long Peanut Butter Cups XL");
	r.product_name[CV_PRODUCT_NAME_LEN - 1] = '\0';
	const char *s = render(&r, 24);
	assert_lines_fit(s, 24);
	cr_assert_not_null(strstr(s, "Product . Extra Long Pea\n"), "%s", s);
	cr_assert_null(strstr(s, "Butter"));
}

Test(receipt, control_characters_cannot_break_lines)
{
	struct cv_receipt r = sample();
	strcpy(r.product_name, "Evil\nProduct\rName");
	const char *s = render(&r, 32);
	assert_lines_fit(s, 32);
	cr_assert_not_null(strstr(s, "Evil?Product?Name"));
}

Test(receipt, vend_id_kept_whole_when_narrow)
{
	struct cv_receipt r = sample();
	const char *s = render(&r, 24);
	assert_lines_fit(s, 24);
	/* 26 characters cannot fit 24 columns: split, but every character kept. */
	cr_assert_not_null(strstr(s, "Vend id\n01JGZ3Q8W7K5M2N4P6R8T0V2\nXA\n"), "%s", s);
	s = render(&r, 32);
	cr_assert_not_null(strstr(s, "Vend id\n01JGZ3Q8W7K5M2N4P6R8T0V2XA\n"), "%s", s);
}

Test(receipt, buffer_too_small)
{
	struct cv_receipt r = sample();
	size_t length = 0;
	render(&r, 32);
	size_t needed = strlen(text) + 1;
	char small[CV_RECEIPT_TEXT_MAX];
	memset(small, 'x', sizeof(small));
	size_t untouched = 12345;
	cr_assert_eq(cv_receipt_render(&r, 32, small, needed - 1, &untouched), CV_E_FULL);
	cr_assert_str_eq(small, "");
	cr_assert_eq(untouched, 12345);
	cr_assert_eq(cv_receipt_render(&r, 32, small, 1, NULL), CV_E_FULL);
	cr_assert_eq(cv_receipt_render(&r, 32, small, 0, NULL), CV_E_FULL);
	cr_assert_eq(cv_receipt_render(&r, 32, small, needed, &length), CV_OK);
	cr_assert_eq(length, needed - 1);
}

Test(receipt, text_max_always_suffices)
{
	struct cv_receipt r = sample();
	memset(r.machine_id, 'M', CV_MACHINE_ID_LEN - 1);
	memset(r.product_name, 'P', CV_PRODUCT_NAME_LEN - 1);
	memset(r.card.brand, 'B', CV_CARD_BRAND_LEN - 1);
	memset(r.card.auth_code, 'C', CV_AUTH_CODE_LEN - 1);
	memset(r.lane_label, 'L', CV_LANE_LABEL_LEN - 1);
	memset(r.merchant_name, 'N', CV_MERCHANT_TEXT_LEN - 1);
	memset(r.merchant_location, 'O', CV_MERCHANT_TEXT_LEN - 1);
	memset(r.card.aid, 'A', CV_CARD_AID_LEN - 1);
	memset(r.card.app_label, 'X', CV_CARD_APP_LABEL_LEN - 1);
	r.card.entry = CV_CARD_ENTRY_MOBILE_WALLET;
	r.offline = true;
	r.amount.amount_minor = INT64_MIN;
	r.time_ms = INT64_MIN;
	r.status = CV_RECEIPT_CHARGE_FAILED;
	for (unsigned width = 24; width <= 80; width++)
		assert_lines_fit(render(&r, width), width);
}

Test(receipt, bad_arguments)
{
	struct cv_receipt r = sample();
	char buf[CV_RECEIPT_TEXT_MAX] = "untouched";
	cr_assert_eq(cv_receipt_render(&r, 23, buf, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_eq(cv_receipt_render(&r, 81, buf, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_eq(cv_receipt_render(&r, 0, buf, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_eq(cv_receipt_render(NULL, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_eq(cv_receipt_render(&r, 32, NULL, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_str_eq(buf, "untouched");
	memcpy(r.amount.currency, "us$", 4);
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_eq(cv_receipt_render(&r, 24, buf, sizeof(buf), NULL), CV_E_INVAL);
	r = sample();
	memset(r.product_name, 'P', sizeof(r.product_name)); /* unterminated */
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	cr_assert_str_eq(buf, "untouched");
}

Test(receipt, status_strings)
{
	cr_assert_str_eq(cv_receipt_status_str(CV_RECEIPT_CHARGED), "CHARGED");
	cr_assert_str_eq(cv_receipt_status_str(CV_RECEIPT_NOT_CHARGED), "NOT CHARGED");
	cr_assert_str_eq(cv_receipt_status_str(CV_RECEIPT_CHARGE_FAILED), "CHARGE FAILED");
	cr_assert_str_eq(cv_receipt_status_str((enum cv_receipt_status)3), "UNKNOWN");
}

/* The line of `s` that contains `needle`, copied into `out`; fails if none. */
static const char *line_with(const char *s, const char *needle, char out[128])
{
	const char *hit = strstr(s, needle);
	cr_assert_not_null(hit, "no line with \"%s\" in:\n%s", needle, s);
	const char *start = hit;
	while (start > s && start[-1] != '\n')
		start--;
	const char *end = strchr(hit, '\n');
	size_t length = (size_t)(end - start);
	cr_assert_lt(length, 128);
	memcpy(out, start, length);
	out[length] = '\0';
	return out;
}

/* Every scheme field at both printer widths, each on its own labelled line. */
static void assert_every_field(unsigned width)
{
	struct cv_receipt r = sample_full();
	const char *s = render(&r, width);
	char line[128];
	assert_lines_fit(s, width);
	/* Merchant name and location head the receipt, before anything else. */
	cr_assert_eq(strstr(s, "Sweet Corner Ltd"), s + (width - 16) / 2, "%s", s);
	cr_assert_lt(strstr(s, "Main St 5, Springfield"), strstr(s, "2026-01-01 12:00:00 UTC"));
	cr_assert_lt(strstr(s, "2026-01-01 12:00:00 UTC"), strstr(s, "Machine"));
	cr_assert_eq(strncmp(line_with(s, "VM-0042", line), "Machine .", 9), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "Chocolate Bar", line), "Product .", 9), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, " A4", line), "Lane .", 6), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "1.50 USD", line), "Amount .", 8), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, " VISA\n", line), "Card .", 6), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "**** 4242", line), "Card number .", 13), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "Contactless", line), "Entry .", 7), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "A1B2C3", line), "Auth code .", 11), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "A0000000031010", line), "AID .", 5), 0, "%s", line);
	cr_assert_eq(strncmp(line_with(s, "VISA CREDIT", line), "App label .", 11), 0, "%s", line);
	cr_assert_not_null(strstr(s, "01JGZ3Q8W7K5M2N4P6R8T0V2XA\n"), "vend id not whole");
	cr_assert_not_null(strstr(s, "CHARGED\n"));
	cr_assert_null(strstr(s, "OFFLINE"), "online approval printed as offline");
}

Test(receipt, every_scheme_field_narrow)
{
	assert_every_field(CV_RECEIPT_WIDTH_NARROW);
}

Test(receipt, every_scheme_field_wide)
{
	assert_every_field(CV_RECEIPT_WIDTH_WIDE);
}

Test(receipt, entry_modes)
{
	struct cv_receipt r = sample();
	const char *names[] = {"Contactless", "Chip", "Mobile wallet"};
	enum cv_card_entry modes[] = {CV_CARD_ENTRY_CONTACTLESS, CV_CARD_ENTRY_CHIP, CV_CARD_ENTRY_MOBILE_WALLET};
	for (size_t i = 0; i < 3; i++) {
		r.card.entry = modes[i];
		char line[128];
		line_with(render(&r, 32), names[i], line);
		cr_assert_eq(strncmp(line, "Entry .", 7), 0, "%s", line);
	}
	r.card.entry = CV_CARD_ENTRY_UNKNOWN;
	cr_assert_null(strstr(render(&r, 32), "Entry"), "unknown entry mode printed");
	r.card.entry = (enum cv_card_entry)4;
	cr_assert_eq(cv_receipt_render(&r, 32, text, sizeof(text), NULL), CV_E_INVAL);
}

Test(receipt, aid_and_label_omitted_when_empty)
{
	struct cv_receipt r = sample();
	strcpy(r.merchant_name, "Sweet Corner");
	const char *s = render(&r, CV_RECEIPT_WIDTH_WIDE);
	cr_assert_null(strstr(s, "AID"), "%s", s);
	cr_assert_null(strstr(s, "App label"), "%s", s);
	cr_assert_null(strstr(s, "Entry"), "%s", s);
	/* An absent location leaves no blank line under the name. */
	cr_assert_null(strstr(s, "\n\n"), "%s", s);
	cr_assert_null(strstr(s, "\n \n"), "%s", s);
	/* One without the other. */
	strcpy(r.card.aid, "A0000000041010");
	s = render(&r, CV_RECEIPT_WIDTH_WIDE);
	cr_assert_not_null(strstr(s, "A0000000041010"));
	cr_assert_null(strstr(s, "App label"));
}

Test(receipt, no_merchant_no_header_lines)
{
	struct cv_receipt r = sample();
	const char *s = render(&r, 32);
	/* The time is then the first line. */
	cr_assert_eq(strncmp(s, "    2026-01-01 12:00:00 UTC\n", 28), 0, "%s", s);
}

Test(receipt, offline_pending_line)
{
	struct cv_receipt r = sample_full();
	r.offline = true;
	for (unsigned width = 24; width <= 80; width++) {
		const char *s = render(&r, width);
		assert_lines_fit(s, width);
		const char *status = strstr(s, "CHARGED\n");
		const char *offline = strstr(s, "OFFLINE, PENDING\n");
		cr_assert_not_null(offline, "width %u:\n%s", width, s);
		cr_assert_gt(offline, status, "the offline flag goes with the outcome");
	}
}

Test(receipt, longest_aid_kept_whole_label_masked)
{
	struct cv_receipt r = sample_full();
	memset(r.card.aid, 'F', CV_CARD_AID_LEN - 1);
	strcpy(r.card.app_label, "CARD 4111111111");
	const char *s = render(&r, CV_RECEIPT_WIDTH_NARROW);
	assert_lines_fit(s, CV_RECEIPT_WIDTH_NARROW);
	cr_assert_not_null(strstr(s, "AID\nFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n"), "%s", s);
	cr_assert_null(strstr(s, "4111"), "digits in a label printed:\n%s", s);
	cr_assert_not_null(strstr(s, "CARD **********"), "%s", s);
}

Test(receipt, long_merchant_cut_not_wrapped)
{
	struct cv_receipt r = sample_full();
	memset(r.merchant_name, 'N', CV_MERCHANT_TEXT_LEN - 1);
	memset(r.merchant_location, 'L', CV_MERCHANT_TEXT_LEN - 1);
	const char *s = render(&r, CV_RECEIPT_WIDTH_NARROW);
	assert_lines_fit(s, CV_RECEIPT_WIDTH_NARROW);
	char line[128];
	cr_assert_eq(strlen(line_with(s, "NNN", line)), CV_RECEIPT_WIDTH_NARROW);
	cr_assert_eq(strlen(line_with(s, "LLL", line)), CV_RECEIPT_WIDTH_NARROW);
	/* The rest of the name is gone, not carried over to the location line. */
	cr_assert_eq(strspn(line_with(s, "LLL", line), "L"), CV_RECEIPT_WIDTH_NARROW);
}

Test(receipt, unterminated_new_fields_are_malformed)
{
	char buf[CV_RECEIPT_TEXT_MAX];
	struct cv_receipt r = sample_full();
	memset(r.merchant_name, 'N', sizeof(r.merchant_name));
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	r = sample_full();
	memset(r.merchant_location, 'L', sizeof(r.merchant_location));
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	r = sample_full();
	memset(r.card.aid, 'A', sizeof(r.card.aid));
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	r = sample_full();
	memset(r.card.app_label, 'V', sizeof(r.card.app_label));
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
	r = sample_full();
	r.status = (enum cv_receipt_status)3;
	cr_assert_eq(cv_receipt_render(&r, 32, buf, sizeof(buf), NULL), CV_E_INVAL);
}

/* The JSON record: the exact text pins the key order, the formats and the
 * escapes; test_receipt_json.py parses harder cases with a real parser. */
Test(receipt_json, exact_record)
{
	struct cv_receipt r = sample_full();
	r.time_ms = NOON_2026 + 45;
	strcpy(r.product_name, "Choc \"Bar\"\\\n");
	char json[CV_RECEIPT_JSON_MAX];
	size_t length = 0;
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), &length), CV_OK);
	cr_assert_eq(length, strlen(json));
	cr_assert_str_eq(json, "{\"schema\":\"cv.receipt.v1\",\"vend_id\":\"01JGZ3Q8W7K5M2N4P6R8T0V2XA\","
			       "\"status\":\"captured\",\"merchant_name\":\"Sweet Corner Ltd\","
			       "\"merchant_location\":\"Main St 5, Springfield\",\"machine_id\":\"VM-0042\","
			       "\"time\":\"2026-01-01T12:00:00.045Z\",\"lane\":3,"
			       "\"lane_label\":\"A4\",\"product_id\":\"SKU-123\","
			       "\"product_name\":\"Choc \\\"Bar\\\"\\\\\\u000a\",\"amount_minor\":150,"
			       "\"currency\":\"USD\",\"card\":{\"brand\":\"VISA\",\"last4\":\"4242\","
			       "\"entry\":\"contactless\",\"auth_code\":\"A1B2C3\",\"aid\":\"A0000000031010\","
			       "\"app_label\":\"VISA CREDIT\"},\"offline_pending\":false}");
}

Test(receipt_json, status_offline_and_absent_fields)
{
	struct cv_receipt r = sample();
	memset(&r.card, 0, sizeof(r.card));
	r.status = CV_RECEIPT_NOT_CHARGED;
	r.offline = true;
	char json[CV_RECEIPT_JSON_MAX];
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), NULL), CV_OK);
	cr_assert_not_null(strstr(json, "\"status\":\"voided\""), "%s", json);
	cr_assert_not_null(strstr(json, "\"merchant_name\":null,\"merchant_location\":null"), "%s", json);
	cr_assert_not_null(strstr(json, "\"card\":{\"brand\":null,\"last4\":null,\"entry\":null,"
					"\"auth_code\":null,\"aid\":null,\"app_label\":null}"),
			   "%s", json);
	cr_assert_not_null(strstr(json, "\"offline_pending\":true}"), "%s", json);
	r.status = CV_RECEIPT_CHARGE_FAILED;
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), NULL), CV_OK);
	cr_assert_not_null(strstr(json, "\"status\":\"capture_failed\""), "%s", json);
}

Test(receipt_json, buffer_too_small_and_bad_arguments)
{
	struct cv_receipt r = sample_full();
	char json[CV_RECEIPT_JSON_MAX];
	size_t needed = 0;
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), &needed), CV_OK);
	memset(json, 'x', sizeof(json));
	size_t untouched = 12345;
	cr_assert_eq(cv_receipt_render_json(&r, json, needed, &untouched), CV_E_FULL);
	cr_assert_str_eq(json, "");
	cr_assert_eq(untouched, 12345);
	cr_assert_eq(cv_receipt_render_json(&r, json, 1, NULL), CV_E_FULL);
	cr_assert_eq(cv_receipt_render_json(&r, json, 0, NULL), CV_E_FULL);
	cr_assert_eq(cv_receipt_render_json(&r, json, needed + 1, &untouched), CV_OK);
	cr_assert_eq(untouched, needed);
	strcpy(json, "untouched");
	cr_assert_eq(cv_receipt_render_json(NULL, json, sizeof(json), NULL), CV_E_INVAL);
	cr_assert_eq(cv_receipt_render_json(&r, NULL, sizeof(json), NULL), CV_E_INVAL);
	memset(r.product_id, 'P', sizeof(r.product_id)); /* unterminated */
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), NULL), CV_E_INVAL);
	r = sample_full();
	memcpy(r.amount.currency, "us$", 4);
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), NULL), CV_E_INVAL);
	r = sample_full();
	r.card.entry = (enum cv_card_entry)7;
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), NULL), CV_E_INVAL);
	cr_assert_str_eq(json, "untouched");
}

/* Every field full of bytes that each take six characters: the worst case
 * must still fit CV_RECEIPT_JSON_MAX. */
Test(receipt_json, json_max_always_suffices)
{
	struct cv_receipt r;
	memset(&r, 0x01, sizeof(r));
	r.vend_id[CV_VEND_ID_LEN - 1] = '\0';
	r.merchant_name[CV_MERCHANT_TEXT_LEN - 1] = '\0';
	r.merchant_location[CV_MERCHANT_TEXT_LEN - 1] = '\0';
	r.machine_id[CV_MACHINE_ID_LEN - 1] = '\0';
	r.lane_label[CV_LANE_LABEL_LEN - 1] = '\0';
	r.product_id[CV_PRODUCT_ID_LEN - 1] = '\0';
	memset(r.product_name, 0xff, sizeof(r.product_name));
	r.product_name[CV_PRODUCT_NAME_LEN - 1] = '\0';
	r.card.brand[CV_CARD_BRAND_LEN - 1] = '\0';
	r.card.last4[CV_CARD_LAST4_LEN - 1] = '\0';
	r.card.auth_code[CV_AUTH_CODE_LEN - 1] = '\0';
	r.card.aid[CV_CARD_AID_LEN - 1] = '\0';
	r.card.app_label[CV_CARD_APP_LABEL_LEN - 1] = '\0';
	r.card.entry = CV_CARD_ENTRY_MOBILE_WALLET;
	strcpy(r.amount.currency, "USD");
	r.amount.amount_minor = INT64_MIN;
	r.time_ms = INT64_MIN;
	r.lane = UINT16_MAX;
	r.status = CV_RECEIPT_CHARGE_FAILED;
	r.offline = true;
	char json[CV_RECEIPT_JSON_MAX];
	size_t length = 0;
	cr_assert_eq(cv_receipt_render_json(&r, json, sizeof(json), &length), CV_OK);
	cr_assert_gt(length, 1500, "not the worst case: %zu", length);
}

/* An amount is never cut mid-number: the widest one, at the narrowest
 * width, in every minor unit, is printed whole (on its own line if it
 * must). */
Test(receipt, the_widest_amount_is_never_cut)
{
	static const char *const currencies[] = {"USD", "JPY", "KWD", "CLF"};
	static const int64_t amounts[] = {CV_PRICE_MAX, INT64_MAX, INT64_MIN};
	for (size_t c = 0; c < sizeof(currencies) / sizeof(currencies[0]); c++) {
		for (size_t a = 0; a < sizeof(amounts) / sizeof(amounts[0]); a++) {
			struct cv_receipt r = sample();
			strcpy(r.amount.currency, currencies[c]);
			r.amount.amount_minor = amounts[a];
			char whole[40];
			cr_assert_eq(cv_money_format(&r.amount, whole, sizeof(whole)), CV_OK);
			char number[40];
			snprintf(number, sizeof(number), "%.*s", (int)(strchr(whole, ' ') - whole), whole);
			for (unsigned width = 24; width <= 40; width++) {
				const char *s = render(&r, width);
				assert_lines_fit(s, width);
				/* The number whole, then its currency code after a blank or
				 * on the next line. */
				const char *at = strstr(s, number);
				cr_assert_not_null(at, "width %u: \"%s\" not whole in\n%s", width, whole, s);
				const char *after = at + strlen(number);
				cr_assert((after[0] == ' ' || after[0] == '\n') &&
						  strncmp(after + 1, currencies[c], 3) == 0,
					  "width %u:\n%s", width, s);
			}
		}
	}
}
