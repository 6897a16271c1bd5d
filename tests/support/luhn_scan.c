/* SPDX-License-Identifier: MIT */
/* The scanner of luhn_scan.h. It reads the buffer once, keeping the last
 * 19 digits of the current run (a ring) with their byte offsets: a window
 * starting at digit s is judged as soon as the 19 digits from s are known,
 * or when the run ends. */
#include "luhn_scan.h"

#include <stdio.h>
#include <string.h>

/* Bytes allowed between two digits of one run (UTF-32 puts three NULs). */
#define LUHN_GAP_BYTES_MAX 3u

struct luhn_scanner {
	const unsigned char *bytes;
	enum luhn_join join;
	luhn_hit_fn on_hit;
	void *user_data;
	size_t hit_count;
	/* The current run: digit i sits in ring slot i % LUHN_SCAN_DIGITS_MAX. */
	bool in_run;
	size_t run_digit_count;
	size_t next_start;   /* First window start not judged yet. */
	size_t reported_end; /* End (exclusive digit index) of the last reported window. */
	char ring_digit[LUHN_SCAN_DIGITS_MAX];
	size_t ring_offset[LUHN_SCAN_DIGITS_MAX];
	/* Bytes seen since the run's last digit. */
	size_t gap_length;
	bool gap_has_separator;
};

bool luhn_is_valid(const char *digits, size_t count)
{
	if (count == 0)
		return false;
	unsigned sum = 0;
	for (size_t i = 0; i < count; i++) {
		char c = digits[count - 1 - i];
		if (c < '0' || c > '9')
			return false;
		unsigned value = (unsigned)(c - '0');
		if (i % 2 == 1) {
			value *= 2;
			if (value > 9)
				value -= 9;
		}
		sum += value;
	}
	return sum % 10 == 0;
}

static void luhn_report(struct luhn_scanner *scanner, size_t start, size_t digit_count)
{
	struct luhn_hit hit;
	memset(&hit, 0, sizeof(hit));
	size_t last = start + digit_count - 1;
	hit.offset = scanner->ring_offset[start % LUHN_SCAN_DIGITS_MAX];
	hit.span_bytes = scanner->ring_offset[last % LUHN_SCAN_DIGITS_MAX] - hit.offset + 1;
	hit.digit_count = (unsigned)digit_count;
	for (size_t i = 0; i < digit_count; i++)
		hit.digits[i] = scanner->ring_digit[(start + i) % LUHN_SCAN_DIGITS_MAX];
	for (size_t i = 0; i < hit.span_bytes; i++) {
		unsigned char byte = scanner->bytes[hit.offset + i];
		if (byte == '\0')
			hit.wide = true;
		else if (byte < '0' || byte > '9')
			hit.grouped = true;
	}
	scanner->hit_count++;
	if (scanner->on_hit != NULL)
		scanner->on_hit(scanner->user_data, &hit);
}

/* Judges the windows that start at digit @p start of the run: the longest
 * one that passes is reported unless a reported window already covers it. */
static void luhn_judge_start(struct luhn_scanner *scanner, size_t start)
{
	size_t available = scanner->run_digit_count - start;
	size_t longest = available < LUHN_SCAN_DIGITS_MAX ? available : LUHN_SCAN_DIGITS_MAX;
	char window[LUHN_SCAN_DIGITS_MAX];
	for (size_t i = 0; i < longest; i++)
		window[i] = scanner->ring_digit[(start + i) % LUHN_SCAN_DIGITS_MAX];
	for (size_t count = longest; count >= LUHN_SCAN_DIGITS_MIN; count--) {
		if (!luhn_is_valid(window, count))
			continue;
		if (start + count > scanner->reported_end) {
			luhn_report(scanner, start, count);
			scanner->reported_end = start + count;
		}
		return;
	}
}

static void luhn_run_end(struct luhn_scanner *scanner)
{
	while (scanner->next_start + LUHN_SCAN_DIGITS_MIN <= scanner->run_digit_count)
		luhn_judge_start(scanner, scanner->next_start++);
	scanner->in_run = false;
	scanner->run_digit_count = 0;
	scanner->next_start = 0;
	scanner->reported_end = 0;
}

static void luhn_run_append(struct luhn_scanner *scanner, char digit, size_t offset)
{
	size_t slot = scanner->run_digit_count % LUHN_SCAN_DIGITS_MAX;
	scanner->ring_digit[slot] = digit;
	scanner->ring_offset[slot] = offset;
	scanner->run_digit_count++;
	scanner->in_run = true;
	scanner->gap_length = 0;
	scanner->gap_has_separator = false;
	/* The ring is about to lose the oldest start's digits: judge it now. */
	while (scanner->run_digit_count - scanner->next_start >= LUHN_SCAN_DIGITS_MAX)
		luhn_judge_start(scanner, scanner->next_start++);
}

static bool luhn_is_letter(unsigned char byte)
{
	return (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z');
}

/* LUHN_JOIN_GROUPED: whether the gap, now ending with @p byte, can still
 * join the run to a next digit. */
static bool luhn_gap_joins_grouped(struct luhn_scanner *scanner, unsigned char byte)
{
	bool joins = scanner->gap_length <= LUHN_GAP_BYTES_MAX;
	if (byte == ' ' || byte == '-') {
		joins = joins && !scanner->gap_has_separator;
		scanner->gap_has_separator = true;
	} else if (byte != '\0') {
		joins = false;
	}
	return joins;
}

/* A byte that is not a digit: it may still join the run to the next digit. */
static void luhn_gap_byte(struct luhn_scanner *scanner, unsigned char byte)
{
	if (!scanner->in_run)
		return;
	scanner->gap_length++;
	bool joins =
		scanner->join == LUHN_JOIN_SEPARATED ? !luhn_is_letter(byte) : luhn_gap_joins_grouped(scanner, byte);
	if (!joins)
		luhn_run_end(scanner);
}

size_t luhn_scan(const void *bytes, size_t length, luhn_hit_fn on_hit, void *user_data)
{
	return luhn_scan_join(bytes, length, LUHN_JOIN_GROUPED, on_hit, user_data);
}

size_t luhn_scan_join(const void *bytes, size_t length, enum luhn_join join, luhn_hit_fn on_hit, void *user_data)
{
	struct luhn_scanner scanner;
	memset(&scanner, 0, sizeof(scanner));
	scanner.bytes = bytes;
	scanner.join = join;
	scanner.on_hit = on_hit;
	scanner.user_data = user_data;
	for (size_t i = 0; i < length; i++) {
		unsigned char byte = scanner.bytes[i];
		if (byte >= '0' && byte <= '9')
			luhn_run_append(&scanner, (char)byte, i);
		else
			luhn_gap_byte(&scanner, byte);
	}
	luhn_run_end(&scanner);
	return scanner.hit_count;
}

void luhn_hit_describe(const struct luhn_hit *hit, char *buf, size_t size)
{
	if (size == 0)
		return;
	const char *form =
		hit->wide ? (hit->grouped ? ", wide, grouped" : ", wide") : (hit->grouped ? ", grouped" : "");
	snprintf(buf, size, "offset %zu: %s (%u digits%s)", hit->offset, hit->digits, hit->digit_count, form);
}
