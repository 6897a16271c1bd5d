/* SPDX-License-Identifier: MIT */
/* Writes JSON receipts for tricky inputs to stdout, one "<case>\t<json>" line
 * each, so that test_receipt_json.py can check them with a real JSON parser.
 * The inputs are spelled out again in the Python test: keep both in step. */
#include <stdio.h>
#include <string.h>

#include <candyvend/candyvend.h>

static struct cv_receipt base(void)
{
	struct cv_receipt r;
	memset(&r, 0, sizeof(r));
	strcpy(r.vend_id, "01jgz3q8w7k5m2n4p6r8t0v2xa");
	strcpy(r.merchant_name, "Sweet Corner Ltd");
	strcpy(r.merchant_location, "Main St 5, Springfield");
	strcpy(r.machine_id, "VM-0042");
	r.time_ms = INT64_C(1767268800123);
	r.lane = 3;
	strcpy(r.lane_label, "A4");
	strcpy(r.product_id, "SKU-123");
	strcpy(r.product_name, "Chocolate Bar");
	r.amount.amount_minor = 150;
	strcpy(r.amount.currency, "USD");
	strcpy(r.card.brand, "VISA");
	strcpy(r.card.last4, "4242");
	strcpy(r.card.auth_code, "A1B2C3");
	strcpy(r.card.aid, "A0000000031010");
	strcpy(r.card.app_label, "VISA CREDIT");
	r.card.entry = CV_CARD_ENTRY_CONTACTLESS;
	r.status = CV_RECEIPT_CHARGED;
	return r;
}

static int emit(const char *name, const struct cv_receipt *r)
{
	char json[CV_RECEIPT_JSON_MAX];
	size_t length = 0;
	enum cv_status rc = cv_receipt_render_json(r, json, sizeof(json), &length);
	if (rc != CV_OK || length != strlen(json)) {
		fprintf(stderr, "%s: %s\n", name, cv_status_str(rc));
		return 1;
	}
	printf("%s\t%s\n", name, json);
	return 0;
}

/* Fills the product and merchant fields with the bytes from `*byte` on, up
 * to 0xff: escapes, DEL, and bytes that are not UTF-8 on their own. */
static void fill_bytes(struct cv_receipt *r, unsigned *byte)
{
	char *fields[] = {r->product_name, r->merchant_name, r->merchant_location, r->product_id};
	size_t sizes[] = {sizeof(r->product_name), sizeof(r->merchant_name), sizeof(r->merchant_location),
			  sizeof(r->product_id)};
	for (size_t f = 0; f < 4; f++) {
		size_t i = 0;
		for (; i + 1 < sizes[f] && *byte <= 0xff; i++)
			fields[f][i] = (char)(*byte)++;
		fields[f][i] = '\0';
	}
}

int main(void)
{
	int failures = 0;
	struct cv_receipt r = base();
	failures += emit("plain", &r);

	r = base();
	strcpy(r.product_name, "Say \"hi\" \\o/ C:\\\\x");
	strcpy(r.merchant_name, "\"\\\"\\");
	failures += emit("quotes_backslashes", &r);

	r = base();
	strcpy(r.product_name, "a\nb\rc\td\x01"
			       "e\x1f"
			       "f\x7fg\bh\fi");
	failures += emit("control_bytes", &r);

	r = base();
	strcpy(r.product_name, "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
			       "e \xe2\x82\xac \xf0\x9f\x8d\xac");
	failures += emit("utf8", &r);

	r = base();
	/* Stray continuation, overlong '/', a surrogate, past U+10FFFF, a cut sequence. */
	strcpy(r.product_name, "x\x80y\xc0\xafz\xed\xa0\x80w\xf4\x90\x80\x80v\xe2\x82");
	failures += emit("invalid_utf8", &r);

	/* Every byte 0x01..0xff once, over as many records as it takes. */
	unsigned byte = 1;
	for (unsigned part = 0; byte <= 0xff; part++) {
		char name[32];
		snprintf(name, sizeof(name), "all_bytes_%u", part);
		r = base();
		fill_bytes(&r, &byte);
		failures += emit(name, &r);
	}

	r = base();
	memset(r.merchant_name, '"', sizeof(r.merchant_name) - 1);
	memset(r.merchant_location, '\\', sizeof(r.merchant_location) - 1);
	memset(r.machine_id, '\x01', sizeof(r.machine_id) - 1);
	memset(r.lane_label, '\xff', sizeof(r.lane_label) - 1);
	memset(r.product_id, '\x1f', sizeof(r.product_id) - 1);
	memset(r.product_name, '\x80', sizeof(r.product_name) - 1);
	memset(r.card.brand, '"', sizeof(r.card.brand) - 1);
	memset(r.card.auth_code, '\n', sizeof(r.card.auth_code) - 1);
	memset(r.card.aid, '\\', sizeof(r.card.aid) - 1);
	memset(r.card.app_label, '\x7f', sizeof(r.card.app_label) - 1);
	memset(r.vend_id, '"', sizeof(r.vend_id) - 1);
	r.amount.amount_minor = INT64_MIN;
	r.time_ms = INT64_MIN;
	r.lane = UINT16_MAX;
	r.card.entry = CV_CARD_ENTRY_MOBILE_WALLET;
	r.offline = true;
	r.status = CV_RECEIPT_CHARGE_FAILED;
	failures += emit("max_length", &r);

	r = base();
	memset(r.merchant_name, 0, sizeof(r.merchant_name));
	memset(r.merchant_location, 0, sizeof(r.merchant_location));
	memset(&r.card, 0, sizeof(r.card));
	r.amount.amount_minor = INT64_MAX;
	r.time_ms = INT64_MAX;
	r.status = CV_RECEIPT_NOT_CHARGED;
	failures += emit("no_card_voided", &r);

	r = base();
	r.time_ms = -1;
	r.offline = true;
	strcpy(r.card.brand, "VISA 4111");
	strcpy(r.card.app_label, "CARD 411111");
	r.card.entry = CV_CARD_ENTRY_CHIP;
	failures += emit("offline_masked", &r);
	return failures == 0 ? 0 : 1;
}
