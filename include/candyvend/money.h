/* SPDX-License-Identifier: MIT */
/**
 * @file money.h
 * @brief Money as integer minor units plus an ISO 4217 currency code.
 */
#ifndef CANDYVEND_MONEY_H
#define CANDYVEND_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup money Money
 * @brief Amounts are `int64_t` minor units (cents, pence, yen) with a currency.
 *
 * There is no floating point anywhere in the library. Two amounts are only
 * comparable when their currencies are equal.
 *
 * Thread safety: these functions keep no state and may be called from any
 * thread. Ownership: input strings are copied; output goes only to the
 * caller's buffers.
 * @since 0.1
 * @{
 */

/** @brief Length of an ISO 4217 alphabetic code plus its terminating NUL. */
#define CV_CURRENCY_LEN 4

/** @brief An amount of money. */
struct cv_money {
	int64_t amount_minor;           /**< Amount in minor units (e.g. cents). */
	char currency[CV_CURRENCY_LEN]; /**< ISO 4217 code, e.g. "USD", NUL-terminated. */
};

/**
 * @brief Checks that a currency code is one the library knows: an active
 * ISO 4217 code with a minor unit (three upper-case letters; funds and
 * metals without a minor unit, such as XAU, and withdrawn codes, such as
 * HRK, are refused). Every call that takes a currency refuses the others.
 * @param currency A NUL-terminated string, or NULL.
 * @return 1 if known, 0 otherwise.
 * @since 0.1
 */
int cv_currency_is_valid(const char *currency);

/**
 * @brief Number of minor-unit digits of a currency, as ISO 4217 has it (2
 * for USD, 0 for JPY, 3 for KWD, 4 for CLF and UYW).
 * @param currency A code cv_currency_is_valid() accepts (2 for any other,
 * which no other call accepts).
 * @return The number of decimals, 0 to 4.
 * @since 0.1
 */
unsigned cv_currency_minor_digits(const char *currency);

/**
 * @brief Builds a money value.
 * @param amount_minor Amount in minor units.
 * @param currency ISO 4217 code (copied).
 * @param out Receives the value.
 * @retval CV_OK on success.
 * @retval CV_E_INVAL if @p currency is malformed or @p out is NULL; @p out is unchanged.
 * @since 0.1
 */
enum cv_status cv_money_make(int64_t amount_minor, const char *currency, struct cv_money *out);

/**
 * @brief Formats an amount as "1.50 USD" (minor digits of the currency, no locale).
 * @param money The amount.
 * @param buf Output buffer.
 * @param size Size of @p buf in bytes; 32 always suffices.
 * @retval CV_OK on success; @p buf is NUL-terminated.
 * @retval CV_E_INVAL on a NULL argument or malformed currency.
 * @retval CV_E_FULL if @p buf is too small (it then holds an empty string).
 * @since 0.1
 */
enum cv_status cv_money_format(const struct cv_money *money, char *buf, size_t size);

/** @} */

#ifdef __cplusplus
}
#endif
#endif
