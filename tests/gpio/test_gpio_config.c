/* SPDX-License-Identifier: MIT */
/* The configuration file: what it accepts, and that every error names its
 * line and its problem. Pure parsing; no GPIO involved. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <candyvend/linux_gpio.h>

#include "leak_check.h"

TestSuite(gpio_config, .fini = cv_test_leak_check);

static struct cv_gpio_config config;
static struct cv_gpio_error error;

static enum cv_status parse(const char *text)
{
	memset(&error, 0, sizeof(error));
	return cv_gpio_config_parse(text, strlen(text), &config, &error);
}

/* The text must fail on @p line with a message containing @p words. */
static void expect_error(const char *text, unsigned line, const char *words)
{
	enum cv_status rc = parse(text);
	cr_assert_eq(rc, CV_E_INVAL, "accepted:\n%s", text);
	cr_assert_eq(error.line, line, "line %u, not %u: %s", error.line, line, error.message);
	cr_assert_not_null(strstr(error.message, words), "message '%s' lacks '%s'", error.message, words);
}

#define HEAD "chip = gpiochip0\nbeam = 22\n"

Test(gpio_config, full_example)
{
	const char *text = "# the machine in the hall\n"
			   "chip = gpiochip1   # the expander\n"
			   "consumer = vend-hall\n"
			   "\n"
			   "motor_timeout_ms = 2500\n"
			   "index_debounce_ms = 4\n"
			   "beam = 22 active=low debounce_ms=8 stuck_ms=3000\n"
			   "\tlane A1 motor=17 motor_active=low index=27 index_active=low pulses_per_turn=4\r\n"
			   "lane B2 motor=5 index=6\n";
	cr_assert_eq(parse(text), CV_OK, "line %u: %s", error.line, error.message);
	cr_assert_str_eq(config.chip, "gpiochip1");
	cr_assert_str_eq(config.consumer, "vend-hall");
	cr_assert_eq(config.motor_timeout_ms, 2500);
	cr_assert_eq(config.index_debounce_ms, 4);
	cr_assert_eq(config.beam_offset, 22);
	cr_assert_eq(config.beam_active, CV_GPIO_ACTIVE_LOW);
	cr_assert_eq(config.beam_debounce_ms, 8);
	cr_assert_eq(config.beam_stuck_ms, 3000);
	cr_assert_eq(config.lane_count, 2);
	cr_assert_str_eq(config.lanes[0].label, "A1");
	cr_assert_eq(config.lanes[0].motor_offset, 17);
	cr_assert_eq(config.lanes[0].motor_active, CV_GPIO_ACTIVE_LOW);
	cr_assert_eq(config.lanes[0].index_offset, 27);
	cr_assert_eq(config.lanes[0].index_active, CV_GPIO_ACTIVE_LOW);
	cr_assert_eq(config.lanes[0].pulses_per_turn, 4);
	cr_assert_str_eq(config.lanes[1].label, "B2");
	cr_assert_eq(config.lanes[1].motor_active, CV_GPIO_ACTIVE_HIGH);
	cr_assert_eq(config.lanes[1].pulses_per_turn, 1);
}

Test(gpio_config, defaults_and_no_spaces)
{
	cr_assert_eq(parse("chip=gpiochip0\nbeam=3\nlane A1 motor=1 index=2"), CV_OK, "%s", error.message);
	cr_assert_str_eq(config.consumer, "candyvend");
	cr_assert_eq(config.motor_timeout_ms, 3000);
	cr_assert_eq(config.beam_debounce_ms, 5);
	cr_assert_eq(config.beam_stuck_ms, 2000);
	cr_assert_eq(config.index_debounce_ms, 2);
}

Test(gpio_config, example_file_parses)
{
	struct cv_gpio_config loaded;
	cr_assert_eq(cv_gpio_config_load(CV_GPIO_EXAMPLE_CONFIG, &loaded, &error), CV_OK, "%u: %s", error.line,
		     error.message);
	cr_assert_geq(loaded.lane_count, 1);
}

Test(gpio_config, load_errors)
{
	struct cv_gpio_config loaded;
	cr_assert_eq(cv_gpio_config_load("/nonexistent/gpio.conf", &loaded, &error), CV_E_IO);
	cr_assert_not_null(strstr(error.message, "/nonexistent/gpio.conf"));
}

Test(gpio_config, unknown_keys)
{
	expect_error(HEAD "lane A1 motor=1 index=2\nspeed = 3\n", 4, "unknown key 'speed'");
	expect_error(HEAD "lane A1 motor=1 index=2 colour=red\n", 3, "unknown lane key 'colour'");
	expect_error("chip = gpiochip0\nbeam = 22 polarity=low\nlane A1 motor=1 index=2\n", 2,
		     "unknown beam key 'polarity'");
}

Test(gpio_config, bad_numbers)
{
	expect_error(HEAD "lane A1 motor=x1 index=2\n", 3, "bad number 'x1' for motor");
	expect_error(HEAD "lane A1 motor=1 index=-2\n", 3, "bad number '-2' for index");
	expect_error(HEAD "lane A1 motor=65536 index=2\n", 3, "expected 0..65535");
	expect_error(HEAD "lane A1 motor=99999999999 index=2\n", 3, "bad number");
	expect_error(HEAD "lane A1 motor=1 index=2 pulses_per_turn=0\n", 3, "pulses_per_turn (expected 1..16)");
	expect_error(HEAD "motor_timeout_ms = 10\nlane A1 motor=1 index=2\n", 3, "motor_timeout_ms");
	expect_error("chip = gpiochip0\nbeam = 22 debounce_ms=5ms\nlane A1 motor=1 index=2\n", 2,
		     "bad number '5ms' for beam debounce_ms");
	expect_error("chip = gpiochip0\nbeam = twenty\nlane A1 motor=1 index=2\n", 2, "bad number 'twenty'");
}

Test(gpio_config, bad_polarity)
{
	expect_error(HEAD "lane A1 motor=1 motor_active=hi index=2\n", 3, "expected high or low");
}

Test(gpio_config, offset_used_twice)
{
	expect_error(HEAD "lane A1 motor=1 index=1\n", 3,
		     "offset 1 for lane A1 index is already used by lane A1 motor (line 3)");
	expect_error(HEAD "lane A1 motor=1 index=2\nlane A2 motor=3 index=2\n", 4,
		     "already used by lane A1 index (line 3)");
	expect_error(HEAD "lane A1 motor=22 index=2\n", 3, "already used by the beam (line 2)");
	expect_error("chip = gpiochip0\nlane A1 motor=1 index=2\nbeam = 2\n", 3, "already used by lane A1 index");
}

Test(gpio_config, missing_things)
{
	expect_error("beam = 22\nlane A1 motor=1 index=2\n", 0, "no 'chip");
	expect_error("chip = gpiochip0\nlane A1 motor=1 index=2\n", 0, "no 'beam");
	expect_error(HEAD, 0, "no 'lane' line");
	expect_error(HEAD "lane A1 index=2\n", 3, "lane A1 has no motor");
	expect_error(HEAD "lane A1 motor=1\n", 3, "lane A1 has no index");
	expect_error(HEAD "lane\n", 3, "lane without a label");
	expect_error(HEAD "chip =\nlane A1 motor=1 index=2\n", 3, "missing value for 'chip'");
	expect_error(HEAD "chip gpiochip0\n", 3, "expected '=' after 'chip'");
	expect_error("", 0, "no 'chip");
}

Test(gpio_config, duplicates)
{
	expect_error(HEAD "chip = gpiochip1\nlane A1 motor=1 index=2\n", 3, "'chip' given twice (first on line 1)");
	expect_error(HEAD "beam = 23\n", 3, "second 'beam' line (the first is line 2)");
	expect_error(HEAD "lane A1 motor=1 index=2\nlane A1 motor=3 index=4\n", 4,
		     "lane A1 is already defined on line 3");
	expect_error(HEAD "lane A1 motor=1 motor=3 index=2\n", 3, "lane key given twice: 'motor'");
}

Test(gpio_config, bad_text)
{
	expect_error(HEAD "lane A1 motor=1 index=2 junk\n", 3, "expected key=value, got 'junk'");
	expect_error(HEAD "lane A1 motor= index=2\n", 3, "expected key=value");
	expect_error(HEAD "lane TOOLONGLABEL motor=1 index=2\n", 3, "bad lane label");
	expect_error(HEAD "chip2 = x\n", 3, "unknown key 'chip2'");
	expect_error(HEAD "= 3\n", 3, "line starts with '='");
	expect_error(HEAD "motor_timeout_ms = 100 200\nlane A1 motor=1 index=2\n", 3,
		     "unexpected text after the value: '200'");
	static const char nul[] = "chip = gpiochip0\nbeam = 2\0\nlane A1 motor=1 index=3\n";
	memset(&error, 0, sizeof(error));
	cr_assert_eq(cv_gpio_config_parse(nul, sizeof(nul) - 1, &config, &error), CV_E_INVAL);
	cr_assert_eq(error.line, 2);
	cr_assert_str_eq(error.message, "NUL byte in the text");
}

Test(gpio_config, timings_that_conflict)
{
	expect_error("chip = gpiochip0\nbeam = 22 debounce_ms=500 stuck_ms=400\nlane A1 motor=1 index=2\n", 0,
		     "stuck_ms");
	expect_error(HEAD "motor_timeout_ms = 100\nindex_debounce_ms = 100\nlane A1 motor=1 index=2\n", 0,
		     "index_debounce_ms");
}

Test(gpio_config, too_many_lanes)
{
	static char text[16384];
	size_t used = (size_t)snprintf(text, sizeof(text), "chip = gpiochip0\nbeam = 1000\n");
	for (unsigned i = 0; i <= CV_GPIO_LANES_MAX; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "lane L%u motor=%u index=%u\n", i, 2 * i,
					 2 * i + 1);
	expect_error(text, 3 + CV_GPIO_LANES_MAX, "more than 64 lanes");
}

Test(gpio_config, check_of_a_hand_built_config)
{
	struct cv_gpio_config c;
	cv_gpio_config_default(&c);
	cr_assert_eq(cv_gpio_config_check(&c, &error), CV_E_INVAL);
	snprintf(c.chip, sizeof(c.chip), "gpiochip0");
	c.lane_count = 2;
	snprintf(c.lanes[0].label, sizeof(c.lanes[0].label), "A1");
	snprintf(c.lanes[1].label, sizeof(c.lanes[1].label), "A2");
	c.lanes[0].pulses_per_turn = c.lanes[1].pulses_per_turn = 1;
	c.lanes[0].motor_offset = 1;
	c.lanes[0].index_offset = 2;
	c.lanes[1].motor_offset = 3;
	c.lanes[1].index_offset = 4;
	c.beam_offset = 5;
	cr_assert_eq(cv_gpio_config_check(&c, &error), CV_OK, "%s", error.message);
	c.lanes[1].index_offset = 1;
	cr_assert_eq(cv_gpio_config_check(&c, &error), CV_E_INVAL);
	cr_assert_str_eq(error.message, "line offset 1 is used twice: lane A1 motor and lane A2 index");
}
