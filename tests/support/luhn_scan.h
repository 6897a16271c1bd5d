/* SPDX-License-Identifier: MIT */
/* A card-number (PAN) scanner for tests, as a PCI DSS data-discovery tool
 * would run it over files and logs: it finds every run of 13 to 19 digits
 * that passes the Luhn check, in any byte buffer, text or binary.
 *
 * What counts as a run of digits:
 * - the bytes '0'..'9' next to each other ("4242424242424242");
 * - digits grouped with a single space or dash between two digits
 *   ("4242 4242 4242 4242", "4242-4242-4242-4242");
 * - digits stored as UTF-16 (LE or BE) or UTF-32: one to three NUL bytes
 *   between two digits ("4\0002\0004\0..."), grouped too ("4\0 \0002\0...").
 * Precisely: two digit bytes belong to the same run when the bytes between
 * them are at most 3, all NUL except at most one ' ' or '-'. Binary data is
 * scanned as it is, byte by byte, so digits a record stores as text are
 * found wherever they sit. Packed BCD (EMV tag 5A) is not looked for: it
 * has no digit bytes, and random binary looks like BCD too often.
 *
 * luhn_scan_join() can apply an auditor's wider rule instead: any number
 * of bytes that are neither digits nor ASCII letters join two digits, NUL
 * and bytes above 0x7f included ("4242.4242/4242__4242", digits of two
 * NUL-padded fields side by side). Only a letter ends a run.
 *
 * Longer runs: a run of more than 19 digits is not a card number as a
 * whole, but a PAN can sit inside it (a number glued to a timestamp, a
 * field written without a separator). Like real scanners, this one checks
 * every window of 13..19 consecutive digits of a run and reports windows
 * that pass. At each start position only the longest passing window is
 * considered, and a window lying wholly inside one already reported is not
 * reported again, so a PAN standing alone is reported once, as itself.
 * Every passing window counts, even one of all zeros: a scan meant to fail
 * on leaks must not guess which numbers are harmless. */
#ifndef CANDYVEND_TEST_LUHN_SCAN_H
#define CANDYVEND_TEST_LUHN_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#define LUHN_SCAN_DIGITS_MIN 13u
#define LUHN_SCAN_DIGITS_MAX 19u

/* One Luhn-valid window found in a buffer. */
struct luhn_hit {
	size_t offset;                         /* Byte offset of its first digit in the buffer. */
	size_t span_bytes;                     /* Bytes from its first digit to its last, both included. */
	unsigned digit_count;                  /* 13..19. */
	char digits[LUHN_SCAN_DIGITS_MAX + 1]; /* The digits, NUL-terminated. */
	bool grouped;                          /* A separator other than NUL lies between its digits. */
	bool wide;                             /* NUL bytes lie between its digits (UTF-16/32). */
};

/* Which bytes join two digits into one run. */
enum luhn_join {
	LUHN_JOIN_GROUPED,   /* One space or dash, UTF-16/32 NULs: luhn_scan(). */
	LUHN_JOIN_SEPARATED, /* Any bytes but letters (the auditor's rule). */
};

/* Called for every hit, in order of offset. */
typedef void (*luhn_hit_fn)(void *user_data, const struct luhn_hit *hit);

/* Whether count digits ('0'..'9') pass the Luhn check; false for an empty
 * string or a byte that is not a digit. */
bool luhn_is_valid(const char *digits, size_t count);

/* Scans length bytes; calls on_hit (which may be NULL) for every hit and
 * returns how many there were. */
size_t luhn_scan(const void *bytes, size_t length, luhn_hit_fn on_hit, void *user_data);

/* The same, with the join rule chosen. */
size_t luhn_scan_join(const void *bytes, size_t length, enum luhn_join join, luhn_hit_fn on_hit, void *user_data);

/* Describes a hit for a failure message: "offset 120: 4242424242424242
 * (16 digits, grouped)". Always NUL-terminates when size > 0. */
void luhn_hit_describe(const struct luhn_hit *hit, char *buf, size_t size);

#endif
