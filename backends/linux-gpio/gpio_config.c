/* SPDX-License-Identifier: MIT */
/* The configuration file: a small line-oriented format, parsed by hand
 * because it is untrusted text (a libFuzzer target runs this file alone).
 *
 *   chip = gpiochip0
 *   motor_timeout_ms = 3000
 *   beam = 22 active=low debounce_ms=5 stuck_ms=2000
 *   lane A1 motor=17 motor_active=high index=27 index_active=low pulses_per_turn=1
 *
 * Every error names its line. Nothing here touches GPIO. */
#include <stdio.h>
#include <string.h>

#include "gpio_private.h"

/* One use of a line offset, to find an offset used twice. */
struct cv_gpio_use {
	uint32_t offset;
	unsigned line;
	char what[32];
};

#define CV_GPIO_USES_MAX (2u * CV_GPIO_LANES_MAX + 1u)

struct cv_gpio_parser {
	struct cv_gpio_config *config;
	struct cv_gpio_error *error;
	unsigned line;
	/* Lines where the single-valued keys were given (0: not yet). */
	unsigned chip_line, consumer_line, beam_line, timeout_line, index_debounce_line;
	struct cv_gpio_use uses[CV_GPIO_USES_MAX];
	unsigned use_count;
	unsigned lane_lines[CV_GPIO_LANES_MAX];
};

/* A piece of the line: [start, start + length). */
struct cv_gpio_token {
	const char *start;
	size_t length;
};

static bool cv_gpio_token_is(struct cv_gpio_token token, const char *word)
{
	size_t length = strlen(word);
	return token.length == length && memcmp(token.start, word, length) == 0;
}

static bool cv_gpio_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next run of non-blank characters, stopping before '=' if @p stop_at_equals. */
static struct cv_gpio_token cv_gpio_next_word(struct cv_gpio_token *rest, bool stop_at_equals)
{
	while (rest->length > 0 && cv_gpio_is_space(rest->start[0])) {
		rest->start++;
		rest->length--;
	}
	struct cv_gpio_token word = {rest->start, 0};
	while (word.length < rest->length && !cv_gpio_is_space(rest->start[word.length]) &&
	       !(stop_at_equals && rest->start[word.length] == '='))
		word.length++;
	rest->start += word.length;
	rest->length -= word.length;
	return word;
}

/* Copies a token into a bounded buffer for messages ("…" if cut). */
static void cv_gpio_token_show(struct cv_gpio_token token, char *buf, size_t size)
{
	size_t length = token.length < size - 4 ? token.length : size - 4;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)token.start[i];
		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (length < token.length)
		memcpy(buf + length, "...", 4);
	else
		buf[length] = '\0';
}

static enum cv_status cv_gpio_parse_fail(struct cv_gpio_parser *p, const char *what, struct cv_gpio_token token)
{
	char shown[40];
	cv_gpio_token_show(token, shown, sizeof(shown));
	cv_gpio_error_set(p->error, p->line, "%s '%s'", what, shown);
	return CV_E_INVAL;
}

static enum cv_status cv_gpio_parse_number(struct cv_gpio_parser *p, const char *key, struct cv_gpio_token token,
					   uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t value = 0;
	bool ok = token.length > 0 && token.length <= 10;
	for (size_t i = 0; ok && i < token.length; i++) {
		char c = token.start[i];
		ok = c >= '0' && c <= '9';
		value = value * 10u + (uint64_t)(c - '0');
	}
	if (!ok || value < min || value > max) {
		char shown[24];
		cv_gpio_token_show(token, shown, sizeof(shown));
		cv_gpio_error_set(p->error, p->line, "bad number '%s' for %s (expected %u..%u)", shown, key,
				  (unsigned)min, (unsigned)max);
		return CV_E_INVAL;
	}
	*out = (uint32_t)value;
	return CV_OK;
}

static enum cv_status cv_gpio_parse_active(struct cv_gpio_parser *p, const char *key, struct cv_gpio_token token,
					   enum cv_gpio_active *out)
{
	if (cv_gpio_token_is(token, "high")) {
		*out = CV_GPIO_ACTIVE_HIGH;
		return CV_OK;
	}
	if (cv_gpio_token_is(token, "low")) {
		*out = CV_GPIO_ACTIVE_LOW;
		return CV_OK;
	}
	char shown[24];
	cv_gpio_token_show(token, shown, sizeof(shown));
	cv_gpio_error_set(p->error, p->line, "bad value '%s' for %s (expected high or low)", shown, key);
	return CV_E_INVAL;
}

/* Records one use of an offset; the second use of an offset is an error. */
static enum cv_status cv_gpio_use_offset(struct cv_gpio_parser *p, uint32_t offset, const char *what)
{
	for (unsigned i = 0; i < p->use_count; i++) {
		if (p->uses[i].offset != offset)
			continue;
		cv_gpio_error_set(p->error, p->line, "line offset %u for %s is already used by %s (line %u)",
				  (unsigned)offset, what, p->uses[i].what, p->uses[i].line);
		return CV_E_INVAL;
	}
	/* Bounded: at most two uses per lane plus the beam, checked by the callers. */
	struct cv_gpio_use *use = &p->uses[p->use_count++];
	use->offset = offset;
	use->line = p->line;
	snprintf(use->what, sizeof(use->what), "%s", what);
	return CV_OK;
}

/* `key=value` attribute words after a beam or lane line's head. */
struct cv_gpio_attr {
	struct cv_gpio_token key;
	struct cv_gpio_token value;
};

static enum cv_status cv_gpio_split_attr(struct cv_gpio_parser *p, struct cv_gpio_token word, struct cv_gpio_attr *out)
{
	const char *equals = memchr(word.start, '=', word.length);
	if (equals == NULL || equals == word.start || equals == word.start + word.length - 1)
		return cv_gpio_parse_fail(p, "expected key=value, got", word);
	out->key.start = word.start;
	out->key.length = (size_t)(equals - word.start);
	out->value.start = equals + 1;
	out->value.length = word.length - out->key.length - 1;
	return CV_OK;
}

static enum cv_status cv_gpio_parse_beam(struct cv_gpio_parser *p, struct cv_gpio_token value,
					 struct cv_gpio_token rest)
{
	struct cv_gpio_config *c = p->config;
	if (p->beam_line != 0) {
		cv_gpio_error_set(p->error, p->line, "second 'beam' line (the first is line %u)", p->beam_line);
		return CV_E_INVAL;
	}
	p->beam_line = p->line;
	enum cv_status rc = cv_gpio_parse_number(p, "beam", value, 0, CV_GPIO_OFFSET_MAX, &c->beam_offset);
	if (rc == CV_OK)
		rc = cv_gpio_use_offset(p, c->beam_offset, "the beam");
	for (struct cv_gpio_token word = cv_gpio_next_word(&rest, false); rc == CV_OK && word.length > 0;
	     word = cv_gpio_next_word(&rest, false)) {
		struct cv_gpio_attr a;
		rc = cv_gpio_split_attr(p, word, &a);
		if (rc != CV_OK)
			break;
		if (cv_gpio_token_is(a.key, "active"))
			rc = cv_gpio_parse_active(p, "beam active", a.value, &c->beam_active);
		else if (cv_gpio_token_is(a.key, "debounce_ms"))
			rc = cv_gpio_parse_number(p, "beam debounce_ms", a.value, 0, 1000, &c->beam_debounce_ms);
		else if (cv_gpio_token_is(a.key, "stuck_ms"))
			rc = cv_gpio_parse_number(p, "beam stuck_ms", a.value, 100, 600000, &c->beam_stuck_ms);
		else
			rc = cv_gpio_parse_fail(p, "unknown beam key", a.key);
	}
	return rc;
}

static bool cv_gpio_label_ok(struct cv_gpio_token label)
{
	if (label.length == 0 || label.length >= CV_LANE_LABEL_LEN)
		return false;
	for (size_t i = 0; i < label.length; i++) {
		char c = label.start[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

static enum cv_status cv_gpio_parse_lane_attr(struct cv_gpio_parser *p, struct cv_gpio_lane_config *lane,
					      struct cv_gpio_attr a, bool *has_motor, bool *has_index)
{
	char what[32];
	uint32_t number;
	enum cv_status rc;
	if (cv_gpio_token_is(a.key, "motor") || cv_gpio_token_is(a.key, "index")) {
		bool motor = a.key.start[0] == 'm';
		bool *has = motor ? has_motor : has_index;
		if (*has)
			return cv_gpio_parse_fail(p, "lane key given twice:", a.key);
		rc = cv_gpio_parse_number(p, motor ? "motor" : "index", a.value, 0, CV_GPIO_OFFSET_MAX, &number);
		snprintf(what, sizeof(what), "lane %s %s", lane->label, motor ? "motor" : "index");
		if (rc == CV_OK)
			rc = cv_gpio_use_offset(p, number, what);
		if (rc == CV_OK)
			*(motor ? &lane->motor_offset : &lane->index_offset) = number;
		*has = true;
		return rc;
	}
	if (cv_gpio_token_is(a.key, "motor_active"))
		return cv_gpio_parse_active(p, "motor_active", a.value, &lane->motor_active);
	if (cv_gpio_token_is(a.key, "index_active"))
		return cv_gpio_parse_active(p, "index_active", a.value, &lane->index_active);
	if (cv_gpio_token_is(a.key, "pulses_per_turn")) {
		rc = cv_gpio_parse_number(p, "pulses_per_turn", a.value, 1, CV_GPIO_PULSES_PER_TURN_MAX, &number);
		lane->pulses_per_turn = (uint8_t)number;
		return rc;
	}
	return cv_gpio_parse_fail(p, "unknown lane key", a.key);
}

static enum cv_status cv_gpio_parse_lane(struct cv_gpio_parser *p, struct cv_gpio_token rest)
{
	struct cv_gpio_config *c = p->config;
	struct cv_gpio_token label = cv_gpio_next_word(&rest, false);
	if (label.length == 0) {
		cv_gpio_error_set(p->error, p->line, "lane without a label");
		return CV_E_INVAL;
	}
	if (!cv_gpio_label_ok(label) || memchr(label.start, '=', label.length) != NULL)
		return cv_gpio_parse_fail(p, "bad lane label (1-7 letters, digits, '-' or '_')", label);
	if (c->lane_count >= CV_GPIO_LANES_MAX) {
		cv_gpio_error_set(p->error, p->line, "more than %u lanes", (unsigned)CV_GPIO_LANES_MAX);
		return CV_E_INVAL;
	}
	for (uint16_t i = 0; i < c->lane_count; i++) {
		if (strlen(c->lanes[i].label) != label.length ||
		    memcmp(c->lanes[i].label, label.start, label.length) != 0)
			continue;
		cv_gpio_error_set(p->error, p->line, "lane %s is already defined on line %u", c->lanes[i].label,
				  p->lane_lines[i]);
		return CV_E_INVAL;
	}
	struct cv_gpio_lane_config *lane = &c->lanes[c->lane_count];
	memset(lane, 0, sizeof(*lane));
	memcpy(lane->label, label.start, label.length);
	lane->pulses_per_turn = 1;
	p->lane_lines[c->lane_count] = p->line;
	c->lane_count++;
	bool has_motor = false, has_index = false;
	enum cv_status rc = CV_OK;
	for (struct cv_gpio_token word = cv_gpio_next_word(&rest, false); rc == CV_OK && word.length > 0;
	     word = cv_gpio_next_word(&rest, false)) {
		struct cv_gpio_attr a;
		rc = cv_gpio_split_attr(p, word, &a);
		if (rc == CV_OK)
			rc = cv_gpio_parse_lane_attr(p, lane, a, &has_motor, &has_index);
	}
	if (rc == CV_OK && !has_motor) {
		cv_gpio_error_set(p->error, p->line, "lane %s has no motor=<offset>", lane->label);
		rc = CV_E_INVAL;
	}
	if (rc == CV_OK && !has_index) {
		cv_gpio_error_set(p->error, p->line, "lane %s has no index=<offset> (its home/index switch)",
				  lane->label);
		rc = CV_E_INVAL;
	}
	return rc;
}

/* A key that may be given once: remembers its line, refuses a second one. */
static enum cv_status cv_gpio_key_once(struct cv_gpio_parser *p, unsigned *seen_line, struct cv_gpio_token key)
{
	if (*seen_line != 0) {
		char shown[24];
		cv_gpio_token_show(key, shown, sizeof(shown));
		cv_gpio_error_set(p->error, p->line, "'%s' given twice (first on line %u)", shown, *seen_line);
		return CV_E_INVAL;
	}
	*seen_line = p->line;
	return CV_OK;
}

static enum cv_status cv_gpio_parse_name(struct cv_gpio_parser *p, struct cv_gpio_token key, struct cv_gpio_token value,
					 char *out, size_t size)
{
	if (value.length >= size)
		return cv_gpio_parse_fail(p, "name too long for", key);
	for (size_t i = 0; i < value.length; i++) {
		unsigned char ch = (unsigned char)value.start[i];
		if (ch < 0x21 || ch > 0x7e)
			return cv_gpio_parse_fail(p, "bad character in", key);
	}
	memcpy(out, value.start, value.length);
	out[value.length] = '\0';
	return CV_OK;
}

/* `key = value [attributes]`; only the beam takes attributes. */
static enum cv_status cv_gpio_parse_setting(struct cv_gpio_parser *p, struct cv_gpio_token key,
					    struct cv_gpio_token rest)
{
	struct cv_gpio_config *c = p->config;
	struct cv_gpio_token equals = cv_gpio_next_word(&rest, true);
	if (equals.length != 0 || rest.length == 0 || rest.start[0] != '=')
		return cv_gpio_parse_fail(p, "expected '=' after", key);
	rest.start++;
	rest.length--;
	struct cv_gpio_token value = cv_gpio_next_word(&rest, false);
	if (value.length == 0)
		return cv_gpio_parse_fail(p, "missing value for", key);
	if (cv_gpio_token_is(key, "beam"))
		return cv_gpio_parse_beam(p, value, rest);
	struct cv_gpio_token extra = cv_gpio_next_word(&rest, false);
	if (extra.length != 0)
		return cv_gpio_parse_fail(p, "unexpected text after the value:", extra);
	enum cv_status rc;
	if (cv_gpio_token_is(key, "chip")) {
		rc = cv_gpio_key_once(p, &p->chip_line, key);
		return rc == CV_OK ? cv_gpio_parse_name(p, key, value, c->chip, sizeof(c->chip)) : rc;
	}
	if (cv_gpio_token_is(key, "consumer")) {
		rc = cv_gpio_key_once(p, &p->consumer_line, key);
		return rc == CV_OK ? cv_gpio_parse_name(p, key, value, c->consumer, sizeof(c->consumer)) : rc;
	}
	if (cv_gpio_token_is(key, "motor_timeout_ms")) {
		rc = cv_gpio_key_once(p, &p->timeout_line, key);
		return rc == CV_OK
			       ? cv_gpio_parse_number(p, "motor_timeout_ms", value, 50, 600000, &c->motor_timeout_ms)
			       : rc;
	}
	if (cv_gpio_token_is(key, "index_debounce_ms")) {
		rc = cv_gpio_key_once(p, &p->index_debounce_line, key);
		return rc == CV_OK ? cv_gpio_parse_number(p, "index_debounce_ms", value, 0, 1000, &c->index_debounce_ms)
				   : rc;
	}
	return cv_gpio_parse_fail(p, "unknown key", key);
}

static enum cv_status cv_gpio_parse_line(struct cv_gpio_parser *p, struct cv_gpio_token text)
{
	const char *hash = memchr(text.start, '#', text.length);
	if (hash != NULL)
		text.length = (size_t)(hash - text.start);
	struct cv_gpio_token key = cv_gpio_next_word(&text, true);
	if (key.length == 0) {
		struct cv_gpio_token stray = cv_gpio_next_word(&text, false);
		return stray.length == 0 ? CV_OK : cv_gpio_parse_fail(p, "line starts with", stray);
	}
	if (cv_gpio_token_is(key, "lane"))
		return cv_gpio_parse_lane(p, text);
	return cv_gpio_parse_setting(p, key, text);
}

/* What must be there once the whole text was read. */
static enum cv_status cv_gpio_parse_finish(struct cv_gpio_parser *p)
{
	if (p->chip_line == 0) {
		cv_gpio_error_set(p->error, 0, "no 'chip = <name>' line");
		return CV_E_INVAL;
	}
	if (p->beam_line == 0) {
		cv_gpio_error_set(p->error, 0, "no 'beam = <offset>' line (the drop beam input)");
		return CV_E_INVAL;
	}
	if (p->config->lane_count == 0) {
		cv_gpio_error_set(p->error, 0, "no 'lane' line");
		return CV_E_INVAL;
	}
	return cv_gpio_config_check(p->config, p->error);
}

CV_GPIO_EXPORT enum cv_status cv_gpio_config_parse(const char *text, size_t length, struct cv_gpio_config *out,
						   struct cv_gpio_error *error)
{
	if (text == NULL || out == NULL) {
		cv_gpio_error_set(error, 0, "no text or no configuration");
		return CV_E_INVAL;
	}
	struct cv_gpio_parser p;
	memset(&p, 0, sizeof(p));
	p.config = out;
	p.error = error;
	cv_gpio_config_default(out);
	cv_gpio_error_set(error, 0, "no error");
	size_t start = 0;
	while (start < length) {
		p.line++;
		const char *newline = memchr(text + start, '\n', length - start);
		size_t end = newline != NULL ? (size_t)(newline - text) : length;
		struct cv_gpio_token line = {text + start, end - start};
		if (memchr(line.start, '\0', line.length) != NULL) {
			cv_gpio_error_set(error, p.line, "NUL byte in the text");
			return CV_E_INVAL;
		}
		enum cv_status rc = cv_gpio_parse_line(&p, line);
		if (rc != CV_OK)
			return rc;
		start = end + 1;
	}
	return cv_gpio_parse_finish(&p);
}
