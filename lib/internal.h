/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by the library's own files; never installed. */
#ifndef CANDYVEND_INTERNAL_H
#define CANDYVEND_INTERNAL_H

#include <candyvend/status.h>

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Only definitions marked CV_EXPORT are visible outside the shared library. */
#if defined(__GNUC__)
#define CV_EXPORT __attribute__((visibility("default")))
#else
#define CV_EXPORT
#endif

/* Programmer errors (a broken invariant, not bad input) stop the program.
 * Bad input is always answered with a status code instead. Builds that
 * optimize for size (-Os defines __OPTIMIZE_SIZE__: the MCU port) trap
 * without text: assert()'s file name, function name and expression cost
 * about 100 bytes of flash each, and the trap's address names the place. */
#ifndef CV_ASSERT
#if defined(__OPTIMIZE_SIZE__)
#define CV_ASSERT(expr) ((expr) ? (void)0 : __builtin_trap())
#else
#define CV_ASSERT(expr) assert(expr)
#endif
#endif

/* Test only: a build with -DCV_MUTANT=n puts back bug n, so that the model
 * check (tests/model, scripts/mutants.sh) can show that it catches it.
 * Release and test builds have no mutant. */
#ifndef CV_MUTANT
#define CV_MUTANT 0
#endif
#define CV_MUTATED(n) (CV_MUTANT == (n))
enum cv_mutant {
	CV_MUTANT_CANCEL_UNSENT_ABANDONS = 1, /* Cancel before a resend goes out abandons the key. */
	CV_MUTANT_READER_CANCEL_ABANDONS = 2, /* A resend the reader cancelled abandons the key. */
	CV_MUTANT_RESEND_FAULT_NEW_KEY = 3,   /* A resend the reader failed frees the key: a second key. */
	CV_MUTANT_RECOVERY_FORGETS_KEY = 4,   /* A restart forgets that the key may land. */
	CV_MUTANT_JOURNAL_FAULT_ABANDONS = 5, /* A journal fault abandons a key that may land. */
	CV_MUTANT_LAST_TRY_ABANDONS = 6,      /* The last try ending not sent abandons the key. */
	CV_MUTANT_MOTOR_AFTER_DROP = 7,       /* A re-spin starts although the drop was seen. */
	CV_MUTANT_SENSOR_FAULT_PROVES = 8,    /* A sensor fault proves a drop it watched for and missed. */
	CV_MUTANT_PAN_SEPARATORS = 9,         /* Only one space or dash joins the digit groups of a card number. */
	CV_MUTANT_DEADLINE_UNCHECKED = 10,    /* A capture deadline is kept whatever number it is. */
	CV_MUTANT_FIELDS_UNTAGGED = 11,       /* Journal fields without tag letters: digits join across fields. */
	CV_MUTANT_CAPTURE_ASSUMED = 12,       /* A restart takes a capture that was due as done, unsent. */
	CV_MUTANT_COUNT = 13
};

#define CV_ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* now + delta without wrapping: a clock near its end must not turn every
 * deadline into "already passed". */
uint64_t cv_deadline(uint64_t now_ms, uint64_t delta_ms);

/* message.c: copies a NUL-terminated string into a fixed buffer, always
 * terminating it; returns 1 if it fit, 0 if it was cut. */
int cv_str_copy(char *dst, size_t size, const char *src);

/* message.c: the unsigned integer of @p size bytes (1, 2, 4 or 8) at @p p,
 * which need not be aligned: a struct's field found by a table's offset. */
uint64_t cv_uint_load(const void *p, unsigned size);

/* message.c: an error message in a caller's buffer (NULL/0: none is kept). */
struct cv_message {
	char *buf;
	size_t size;
	size_t length;
};
void cv_message_start(struct cv_message *msg, char *buf, size_t size);
void cv_message_text(struct cv_message *msg, const char *text);
void cv_message_int(struct cv_message *msg, int64_t value);
/* "<field> <value> <rule><limit>", e.g. "capacity 2000 is outside 1..1000";
 * a value of CV_MESSAGE_NO_NUMBER is left out. */
#define CV_MESSAGE_NO_NUMBER INT64_MIN
void cv_message_rule(struct cv_message *msg, const char *field, int64_t value, const char *rule, int64_t limit);

/* lanes.c: one rule of a valid configuration, a field of a struct within
 * min..max; cv_rules_check() walks a table of them in order, and the message
 * names the first one broken: "<field> <value> is outside <min>..<max>", for
 * a text "<field> length must be <min> to <max>", and for a lane's count or
 * low-stock threshold "<field> <value> <rule> <capacity>". With a lane label,
 * "lane <label>: " comes first. */
enum cv_rule_kind {
	CV_RULE_RANGE,          /* An unsigned or int64_t field in min..max. */
	CV_RULE_LENGTH,         /* A text of max + 1 bytes, min..max long and terminated. */
	CV_RULE_CAPACITY,       /* A lane field at most its capacity + max. */
	CV_RULE_BELOW_CAPACITY, /* The same, said as "below" (max is -1). */
};
struct cv_rule {
	const char *field;
	int32_t max;
	uint8_t min;
	uint8_t kind;   /* enum cv_rule_kind. */
	uint8_t offset; /* Of the field in its struct. */
	uint8_t size;   /* Of a number: 1, 2 or 4 (unsigned) or 8 (int64_t). */
};
/* The field's name, offset and size; an offset that does not fit a byte
 * does not compile (-Woverflow). */
#define CV_RULE_FIELD(type, name) .field = #name, .offset = offsetof(type, name), .size = sizeof(((type *)0)->name)
/* A text field: its length must be least..(its size - 1). */
#define CV_RULE_TEXT(type, name, least)                                                         \
	.field = #name, .offset = offsetof(type, name), .kind = CV_RULE_LENGTH, .min = (least), \
	.max = sizeof(((type *)0)->name) - 1
enum cv_status cv_rules_check(struct cv_message *msg, const struct cv_rule *rules, size_t count, const void *object,
			      const char *lane);

/* True if the fixed buffer holds a terminated string (bad input check). */
static inline int cv_str_is_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#endif
