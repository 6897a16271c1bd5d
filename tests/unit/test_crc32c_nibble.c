/* SPDX-License-Identifier: MIT */
/* lib/crc32c.c built as the MCU builds it (-Os selects the 16-entry table;
 * here CV_CRC32C_NIBBLE_TABLE does), against an independent bitwise CRC32C,
 * so the small table can't differ from the journal's format unnoticed. */
#include <criterion/criterion.h>

#include "machine_private.h"

#ifndef CV_CRC32C_NIBBLE_TABLE
#error "build this test with -DCV_CRC32C_NIBBLE_TABLE"
#endif

static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t length)
{
	crc = ~crc;
	for (size_t i = 0; i < length; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

Test(crc32c_nibble, standard_check_value)
{
	cr_assert_eq(cv_crc32c_portable(0, "123456789", 9), 0xe3069283u, "RFC 3720 check value");
	cr_assert_eq(cv_crc32c_portable(0, "", 0), 0);
}

Test(crc32c_nibble, agrees_with_the_bitwise_crc_on_every_byte_and_length)
{
	uint8_t data[512];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i; /* every byte value, twice */
	for (size_t length = 0; length <= sizeof(data); length += 3)
		cr_assert_eq(cv_crc32c_portable(0, data, length), crc32c_bitwise(0, data, length), "length %zu",
			     length);
	cr_assert_eq(cv_crc32c_portable(0x12345678u, data, 100), crc32c_bitwise(0x12345678u, data, 100),
		     "a chained start value");
}
