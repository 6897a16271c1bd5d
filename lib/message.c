/* SPDX-License-Identifier: MIT */
/* Error messages built without printf or allocation (an MCU has neither to
 * spare): text and decimal numbers appended to a caller's buffer, cut at
 * its end, always NUL-terminated. */
#include "internal.h"

/* Out of line: a dozen callers each had their own inlined copy of the loop. */
int cv_str_copy(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = src[i];
	dst[i] = '\0';
	return src[i] == '\0';
}

void cv_message_start(struct cv_message *msg, char *buf, size_t size)
{
	msg->buf = buf;
	msg->size = buf != NULL ? size : 0;
	msg->length = 0;
	if (msg->size > 0)
		buf[0] = '\0';
}

void cv_message_text(struct cv_message *msg, const char *text)
{
	for (size_t i = 0; text[i] != '\0' && msg->length + 1 < msg->size; i++)
		msg->buf[msg->length++] = text[i];
	if (msg->size > 0)
		msg->buf[msg->length] = '\0';
}

void cv_message_int(struct cv_message *msg, int64_t value)
{
	/* Written from the end backwards: "-" and the 19 digits of INT64_MIN. */
	char text[24];
	char *p = text + sizeof(text) - 1;
	*p = '\0';
	/* The magnitude as unsigned: -INT64_MIN does not fit int64_t. */
	uint64_t magnitude = value < 0 ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
	do {
		*--p = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	if (value < 0)
		*--p = '-';
	cv_message_text(msg, p);
}

void cv_message_rule(struct cv_message *msg, const char *field, int64_t value, const char *rule, int64_t limit)
{
	cv_message_text(msg, field);
	if (value != CV_MESSAGE_NO_NUMBER) {
		cv_message_text(msg, " ");
		cv_message_int(msg, value);
	}
	cv_message_text(msg, " ");
	cv_message_text(msg, rule);
	cv_message_int(msg, limit);
}

/* Out of line: a 64-bit add and saturation at every deadline set. */
uint64_t cv_deadline(uint64_t now_ms, uint64_t delta_ms)
{
	return now_ms > UINT64_MAX - delta_ms ? UINT64_MAX : now_ms + delta_ms;
}

uint64_t cv_uint_load(const void *p, unsigned size)
{
	const uint8_t *bytes = p;
	switch (size) {
	case 1:
		return *bytes;
	case 2: {
		uint16_t v;
		memcpy(&v, bytes, sizeof(v));
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, bytes, sizeof(v));
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, bytes, sizeof(v));
		return v;
	}
	}
}
