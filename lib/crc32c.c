/* SPDX-License-Identifier: MIT */
/* CRC32C (Castagnoli), reflected polynomial 0x82F63B78, the checksum of every
 * journal record. Nibble table: small enough for an MCU, fast enough for
 * records of a few hundred bytes. */
#include "machine_private.h"

static const uint32_t cv_crc32c_nibble[16] = {
	0x00000000u, 0x105ec76fu, 0x20bd8edeu, 0x30e349b1u,
	0x417b1dbcu, 0x5125dad3u, 0x61c69362u, 0x7198540du,
	0x82f63b78u, 0x92a8fc17u, 0xa24bb5a6u, 0xb21572c9u,
	0xc38d26c4u, 0xd3d3e1abu, 0xe330a81au, 0xf36e6f75u,
};

uint32_t cv_crc32c(uint32_t crc, const void *data, size_t length)
{
	const uint8_t *p = data;
	crc = ~crc;
	for (size_t i = 0; i < length; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ cv_crc32c_nibble[crc & 0x0fu];
		crc = (crc >> 4) ^ cv_crc32c_nibble[crc & 0x0fu];
	}
	return ~crc;
}
