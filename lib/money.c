/* SPDX-License-Identifier: MIT */
/* Currency codes and integer-only formatting of amounts. */
#include <candyvend/money.h>

#include <stdbool.h>

#include "internal.h"

/* "-" + 20 digits of UINT64_MAX + "." + " " + code + NUL, rounded up. */
#define CV_MONEY_TEXT_MAX 32

struct cv_currency_digits {
	char code[CV_CURRENCY_LEN];
	unsigned digits;
};

/* A code packed in 15 bits, five per letter, so that numeric order is
 * alphabetical order. */
#define CV_CC(code) ((uint16_t)(((code)[0] - 'A') << 10 | ((code)[1] - 'A') << 5 | ((code)[2] - 'A')))

/* The ISO 4217 currencies the library accepts: every active code with a
 * minor unit (List One, 2025; funds and precious metals without one, such
 * as XAU or XDR, are left out, and so are withdrawn codes such as HRK, ANG
 * or ZWL), packed (two bytes a code instead of three) and sorted. A linear
 * search is less code than a binary one and quick enough for a
 * configuration check or a receipt. */
static const uint16_t cv_currency_codes[] = {
	CV_CC("AED"), CV_CC("AFN"), CV_CC("ALL"), CV_CC("AMD"), CV_CC("AOA"), CV_CC("ARS"), CV_CC("AUD"), CV_CC("AWG"),
	CV_CC("AZN"), CV_CC("BAM"), CV_CC("BBD"), CV_CC("BDT"), CV_CC("BGN"), CV_CC("BHD"), CV_CC("BIF"), CV_CC("BMD"),
	CV_CC("BND"), CV_CC("BOB"), CV_CC("BOV"), CV_CC("BRL"), CV_CC("BSD"), CV_CC("BTN"), CV_CC("BWP"), CV_CC("BYN"),
	CV_CC("BZD"), CV_CC("CAD"), CV_CC("CDF"), CV_CC("CHE"), CV_CC("CHF"), CV_CC("CHW"), CV_CC("CLF"), CV_CC("CLP"),
	CV_CC("CNY"), CV_CC("COP"), CV_CC("COU"), CV_CC("CRC"), CV_CC("CUP"), CV_CC("CVE"), CV_CC("CZK"), CV_CC("DJF"),
	CV_CC("DKK"), CV_CC("DOP"), CV_CC("DZD"), CV_CC("EGP"), CV_CC("ERN"), CV_CC("ETB"), CV_CC("EUR"), CV_CC("FJD"),
	CV_CC("FKP"), CV_CC("GBP"), CV_CC("GEL"), CV_CC("GHS"), CV_CC("GIP"), CV_CC("GMD"), CV_CC("GNF"), CV_CC("GTQ"),
	CV_CC("GYD"), CV_CC("HKD"), CV_CC("HNL"), CV_CC("HTG"), CV_CC("HUF"), CV_CC("IDR"), CV_CC("ILS"), CV_CC("INR"),
	CV_CC("IQD"), CV_CC("IRR"), CV_CC("ISK"), CV_CC("JMD"), CV_CC("JOD"), CV_CC("JPY"), CV_CC("KES"), CV_CC("KGS"),
	CV_CC("KHR"), CV_CC("KMF"), CV_CC("KPW"), CV_CC("KRW"), CV_CC("KWD"), CV_CC("KYD"), CV_CC("KZT"), CV_CC("LAK"),
	CV_CC("LBP"), CV_CC("LKR"), CV_CC("LRD"), CV_CC("LSL"), CV_CC("LYD"), CV_CC("MAD"), CV_CC("MDL"), CV_CC("MGA"),
	CV_CC("MKD"), CV_CC("MMK"), CV_CC("MNT"), CV_CC("MOP"), CV_CC("MRU"), CV_CC("MUR"), CV_CC("MVR"), CV_CC("MWK"),
	CV_CC("MXN"), CV_CC("MXV"), CV_CC("MYR"), CV_CC("MZN"), CV_CC("NAD"), CV_CC("NGN"), CV_CC("NIO"), CV_CC("NOK"),
	CV_CC("NPR"), CV_CC("NZD"), CV_CC("OMR"), CV_CC("PAB"), CV_CC("PEN"), CV_CC("PGK"), CV_CC("PHP"), CV_CC("PKR"),
	CV_CC("PLN"), CV_CC("PYG"), CV_CC("QAR"), CV_CC("RON"), CV_CC("RSD"), CV_CC("RUB"), CV_CC("RWF"), CV_CC("SAR"),
	CV_CC("SBD"), CV_CC("SCR"), CV_CC("SDG"), CV_CC("SEK"), CV_CC("SGD"), CV_CC("SHP"), CV_CC("SLE"), CV_CC("SOS"),
	CV_CC("SRD"), CV_CC("SSP"), CV_CC("STN"), CV_CC("SVC"), CV_CC("SYP"), CV_CC("SZL"), CV_CC("THB"), CV_CC("TJS"),
	CV_CC("TMT"), CV_CC("TND"), CV_CC("TOP"), CV_CC("TRY"), CV_CC("TTD"), CV_CC("TWD"), CV_CC("TZS"), CV_CC("UAH"),
	CV_CC("UGX"), CV_CC("USD"), CV_CC("USN"), CV_CC("UYI"), CV_CC("UYU"), CV_CC("UYW"), CV_CC("UZS"), CV_CC("VED"),
	CV_CC("VES"), CV_CC("VND"), CV_CC("VUV"), CV_CC("WST"), CV_CC("XAF"), CV_CC("XCD"), CV_CC("XCG"), CV_CC("XOF"),
	CV_CC("XPF"), CV_CC("YER"), CV_CC("ZAR"), CV_CC("ZMW"), CV_CC("ZWG"),
};

/* Those whose minor unit is not the usual 2 decimals. */
/* clang-format off */
static const struct cv_currency_digits cv_currency_exceptions[] = {
	{"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0},
	{"KMF", 0}, {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"UYI", 0},
	{"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
	{"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3},
	{"TND", 3}, {"CLF", 4}, {"UYW", 4},
};
/* clang-format on */

/* Only for three upper-case letters (cv_currency_is_valid() checks). */
static bool cv_currency_known(const char *currency)
{
	uint16_t code = CV_CC(currency);
	for (size_t i = 0; i < CV_ARRAY_COUNT(cv_currency_codes); i++) {
		if (cv_currency_codes[i] == code)
			return true;
	}
	return false;
}

CV_EXPORT int cv_currency_is_valid(const char *currency)
{
	if (currency == NULL)
		return 0;
	for (size_t i = 0; i < CV_CURRENCY_LEN - 1; i++) {
		if (currency[i] < 'A' || currency[i] > 'Z')
			return 0;
	}
	return currency[CV_CURRENCY_LEN - 1] == '\0' && cv_currency_known(currency);
}

CV_EXPORT unsigned cv_currency_minor_digits(const char *currency)
{
	if (!cv_currency_is_valid(currency))
		return 2;
	for (size_t i = 0; i < CV_ARRAY_COUNT(cv_currency_exceptions); i++) {
		if (memcmp(cv_currency_exceptions[i].code, currency, CV_CURRENCY_LEN) == 0)
			return cv_currency_exceptions[i].digits;
	}
	return 2;
}

CV_EXPORT enum cv_status cv_money_make(int64_t amount_minor, const char *currency, struct cv_money *out)
{
	if (out == NULL || !cv_currency_is_valid(currency))
		return CV_E_INVAL;
	out->amount_minor = amount_minor;
	memcpy(out->currency, currency, CV_CURRENCY_LEN);
	return CV_OK;
}

/* The magnitude as unsigned. -INT64_MIN overflows int64_t, so negatives are
 * shifted by one before negating and the one is added back unsigned. */
static uint64_t cv_money_magnitude(int64_t amount)
{
	return amount < 0 ? (uint64_t)(-(amount + 1)) + 1 : (uint64_t)amount;
}

/* Writes the magnitude with a decimal point before the last `digits` digits,
 * padding with zeros so 5 cents reads "0.05"; returns the length. */
static size_t cv_money_write_number(char *dst, uint64_t magnitude, unsigned digits)
{
	char reversed[24];
	size_t count = 0;
	do {
		if (count == digits && digits > 0)
			reversed[count++] = '.';
		reversed[count++] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0 || count <= digits);
	for (size_t i = 0; i < count; i++)
		dst[i] = reversed[count - 1 - i];
	return count;
}

CV_EXPORT enum cv_status cv_money_format(const struct cv_money *money, char *buf, size_t size)
{
	if (money == NULL || buf == NULL || !cv_currency_is_valid(money->currency))
		return CV_E_INVAL;
	char text[CV_MONEY_TEXT_MAX];
	size_t length = 0;
	if (money->amount_minor < 0)
		text[length++] = '-';
	length += cv_money_write_number(text + length, cv_money_magnitude(money->amount_minor),
					cv_currency_minor_digits(money->currency));
	text[length++] = ' ';
	memcpy(text + length, money->currency, CV_CURRENCY_LEN);
	if (size == 0)
		return CV_E_FULL;
	if (!cv_str_copy(buf, size, text)) {
		buf[0] = '\0';
		return CV_E_FULL;
	}
	return CV_OK;
}
