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

/* The ISO 4217 currencies the library accepts: every active code with a
 * minor unit (List One, 2025; funds and precious metals without one, such
 * as XAU or XDR, are left out, and so are withdrawn codes such as HRK, ANG
 * or ZWL), three letters each, sorted for a binary search. */
static const char cv_currency_codes[] =
	"AEDAFNALLAMDAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIFBMDBNDBOBBOVBRL"
	"BSDBTNBWPBYNBZDCADCDFCHECHFCHWCLFCLPCNYCOPCOUCRCCUPCVECZKDJF"
	"DKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHSGIPGMDGNFGTQGYDHKDHNLHTG"
	"HUFIDRILSINRIQDIRRISKJMDJODJPYKESKGSKHRKMFKPWKRWKWDKYDKZTLAK"
	"LBPLKRLRDLSLLYDMADMDLMGAMKDMMKMNTMOPMRUMURMVRMWKMXNMXVMYRMZN"
	"NADNGNNIONOKNPRNZDOMRPABPENPGKPHPPKRPLNPYGQARRONRSDRUBRWFSAR"
	"SBDSCRSDGSEKSGDSHPSLESOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTNDTOPTRY"
	"TTDTWDTZSUAHUGXUSDUSNUYIUYUUYWUZSVEDVESVNDVUVWSTXAFXCDXCGXOF"
	"XPFYERZARZMWZWG";

#define CV_CURRENCY_COUNT ((sizeof(cv_currency_codes) - 1) / 3)

/* Those whose minor unit is not the usual 2 decimals. */
static const struct cv_currency_digits cv_currency_exceptions[] = {
	{"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0},
	{"KMF", 0}, {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"UYI", 0},
	{"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
	{"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3},
	{"TND", 3}, {"CLF", 4}, {"UYW", 4},
};

static bool cv_currency_known(const char *currency)
{
	size_t low = 0, high = CV_CURRENCY_COUNT;
	while (low < high) {
		size_t mid = low + (high - low) / 2;
		int order = memcmp(currency, cv_currency_codes + 3 * mid, 3);
		if (order == 0)
			return true;
		if (order < 0)
			high = mid;
		else
			low = mid + 1;
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

CV_EXPORT enum cv_status cv_money_make(int64_t amount_minor, const char *currency,
				       struct cv_money *out)
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
