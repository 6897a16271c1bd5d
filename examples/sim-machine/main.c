/* SPDX-License-Identifier: MIT */
/*
 * sim-machine: a cashless candy machine built on libcandyvend and its
 * simulated backends. This file reads the command line and starts a mode.
 */
#include <stdio.h>
#include <string.h>

#include "sim_machine.h"

static const char sm_usage[] =
	"usage: sim-machine demo [--customers N] [--seed S] [--faults] [--quiet] [--journal DIR]\n"
	"       sim-machine kiosk [--seed S] [--journal DIR]\n"
	"       sim-machine --help\n"
	"\n"
	"  demo         serve N simulated customers (default 50, at most 100000) with\n"
	"               automatic test cards, then reconcile the books; exit status 0\n"
	"               only if they reconcile\n"
	"  kiosk        interactive machine driven by commands on stdin (type help)\n"
	"  --customers  number of customers of the demo\n"
	"  --seed       seed of every random choice, 0..2^64-1 (default 1)\n"
	"  --faults     realistic rates of declines, payment timeouts, jams, stuck\n"
	"               products, drop-sensor mistakes and payment-link outages\n"
	"  --quiet      print only the reconciliation, not every vend and alert\n"
	"  --journal    keep the journal and the simulated world (shelves, bin,\n"
	"               processor) in DIR: a run killed at any moment and started\n"
	"               again with the same options on the same DIR recovers, says\n"
	"               what it decided, and carries on; the books cover every life\n";

#define SM_DEFAULT_CUSTOMERS 50u
#define SM_DEFAULT_SEED 1u

/* The arguments still to read and, after a failure, what was wrong. */
struct sm_parser {
	int argc;
	char **argv;
	int index;
	char error[200];
};

bool sm_parse_u64(const char *text, uint64_t *out)
{
	uint64_t value = 0;
	if (*text == '\0')
		return false;
	for (const char *c = text; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return false;
		unsigned digit = (unsigned)(*c - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

static bool sm_is_digits(const char *text)
{
	return *text != '\0' && strspn(text, "0123456789") == strlen(text);
}

/* Reads the value after an option; digits only, within [min, max]. */
static bool sm_option_value(struct sm_parser *parser, const char *option, uint64_t min, uint64_t max, uint64_t *out)
{
	if (parser->index >= parser->argc) {
		snprintf(parser->error, sizeof(parser->error), "%s needs a value", option);
		return false;
	}
	const char *text = parser->argv[parser->index++];
	if (sm_parse_u64(text, out) && *out >= min && *out <= max)
		return true;
	if (sm_is_digits(text))
		snprintf(parser->error, sizeof(parser->error), "%s %s is out of range (%llu..%llu)", option, text,
			 (unsigned long long)min, (unsigned long long)max);
	else
		snprintf(parser->error, sizeof(parser->error), "%s '%s' is not a whole number", option, text);
	return false;
}

/* Reads the text after an option (a folder name): present and not empty. */
static bool sm_option_text(struct sm_parser *parser, const char *option, const char **out)
{
	if (parser->index >= parser->argc || parser->argv[parser->index][0] == '\0') {
		snprintf(parser->error, sizeof(parser->error), "%s needs a folder name", option);
		return false;
	}
	*out = parser->argv[parser->index++];
	return true;
}

static bool sm_unknown_option(struct sm_parser *parser, const char *command, const char *arg)
{
	snprintf(parser->error, sizeof(parser->error), "unknown option '%s' for %s", arg, command);
	return false;
}

static bool sm_parse_demo(struct sm_parser *parser, struct sm_demo_options *options)
{
	while (parser->index < parser->argc) {
		const char *arg = parser->argv[parser->index++];
		uint64_t customers;
		if (strcmp(arg, "--customers") == 0) {
			if (!sm_option_value(parser, arg, 1, SM_CUSTOMERS_MAX, &customers))
				return false;
			options->customers = (uint32_t)customers;
		} else if (strcmp(arg, "--seed") == 0) {
			if (!sm_option_value(parser, arg, 0, UINT64_MAX, &options->seed))
				return false;
		} else if (strcmp(arg, "--faults") == 0) {
			options->faults = true;
		} else if (strcmp(arg, "--quiet") == 0) {
			options->quiet = true;
		} else if (strcmp(arg, "--journal") == 0) {
			if (!sm_option_text(parser, arg, &options->journal_dir))
				return false;
		} else {
			return sm_unknown_option(parser, "demo", arg);
		}
	}
	return true;
}

static bool sm_parse_kiosk(struct sm_parser *parser, struct sm_kiosk_options *options)
{
	while (parser->index < parser->argc) {
		const char *arg = parser->argv[parser->index++];
		bool ok;
		if (strcmp(arg, "--seed") == 0)
			ok = sm_option_value(parser, arg, 0, UINT64_MAX, &options->seed);
		else if (strcmp(arg, "--journal") == 0)
			ok = sm_option_text(parser, arg, &options->journal_dir);
		else
			return sm_unknown_option(parser, "kiosk", arg);
		if (!ok)
			return false;
	}
	return true;
}

static int sm_usage_error(const char *message)
{
	fprintf(stderr, "sim-machine: %s\n\n%s", message, sm_usage);
	return SM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	/* Line by line even into a pipe or file: a run killed on purpose (the
	 * crash demo) keeps everything it said up to the kill. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return sm_usage_error("missing command (demo or kiosk)");
	const char *command = argv[1];
	struct sm_parser parser = {.argc = argc, .argv = argv, .index = 2};

	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
		fputs(sm_usage, stdout);
		return SM_EXIT_OK;
	}
	if (strcmp(command, "demo") == 0) {
		struct sm_demo_options options = {.customers = SM_DEFAULT_CUSTOMERS, .seed = SM_DEFAULT_SEED};
		if (!sm_parse_demo(&parser, &options))
			return sm_usage_error(parser.error);
		return sm_demo_run(&options);
	}
	if (strcmp(command, "kiosk") == 0) {
		struct sm_kiosk_options options = {.seed = SM_DEFAULT_SEED};
		if (!sm_parse_kiosk(&parser, &options))
			return sm_usage_error(parser.error);
		return sm_kiosk_run(&options);
	}
	snprintf(parser.error, sizeof(parser.error), "unknown command '%s'", command);
	return sm_usage_error(parser.error);
}
