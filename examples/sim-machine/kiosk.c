/* SPDX-License-Identifier: MIT */
/*
 * Interactive mode: one line per command from stdin (a terminal or a pipe),
 * as a customer at the machine or as the operator with the door open.
 * Simulated time runs only while a command is being carried out.
 */
#include <stdio.h>
#include <string.h>

#include "sim_machine.h"

#define SM_KIOSK_JOURNAL_SIZE (4u * 1024u * 1024u)
/* After a command, time runs until the customer is needed again, at most this long. */
#define SM_COMMAND_LIMIT_MS (120u * SM_SECOND_MS)
#define SM_LINE_MAX 128
#define SM_WORDS_MAX 3

struct sm_kiosk {
	struct sm_rig rig;
	bool quit;
};

/* Where a command makes sense: at the front panel, with the door open, or both. */
enum sm_where {
	SM_CUSTOMER,
	SM_SERVICE,
	SM_ANYWHERE,
};

typedef void (*sm_command_fn)(struct sm_kiosk *kiosk, char **args);

struct sm_command {
	const char *name;
	unsigned arg_count;
	enum sm_where where;
	sm_command_fn run;
	const char *usage;
};

/* ---- Helpers ------------------------------------------------------------- */

static bool sm_find_lane(const struct sm_kiosk *kiosk, const char *label, uint16_t *lane_out)
{
	if (cv_machine_lane_find(kiosk->rig.machine, label, lane_out) == CV_OK)
		return true;
	printf("no lane '%s' (type menu)\n", label);
	return false;
}

static bool sm_parse_count(const char *text, const char *what, uint64_t max, uint64_t *out)
{
	if (sm_parse_u64(text, out) && *out >= 1 && *out <= max)
		return true;
	printf("%s must be a whole number from 1 to %llu, not '%s'\n", what, (unsigned long long)max, text);
	return false;
}

static void sm_report_refusal(const char *action, enum cv_status rc)
{
	printf("%s refused: %s\n", action, cv_status_str(rc));
}

static void sm_print_menu(const struct sm_kiosk *kiosk)
{
	struct cv_menu_item menu[CV_LANES_MAX];
	size_t count = 0;
	if (cv_machine_menu(kiosk->rig.machine, menu, CV_LANES_MAX, &count) != CV_OK)
		return;
	for (size_t i = 0; i < count; i++) {
		struct cv_lane_info lane;
		char price[SM_MONEY_TEXT_LEN];
		if (cv_machine_lane_info(kiosk->rig.machine, menu[i].lane, &lane) != CV_OK)
			continue;
		printf("  %-3s %-16s %10s  %-22s %3u left\n", menu[i].label, menu[i].product_name,
		       sm_money_text(menu[i].price.amount_minor, price), cv_lane_availability_str(menu[i].availability),
		       (unsigned)lane.config.count);
	}
}

static void sm_print_help(void)
{
	printf("customer:  <lane> (e.g. A1) choose a product\n"
	       "           card <approved|wallet|declined|insufficient|timeout-approved|\n"
	       "                 timeout-declined|slow>  tap a test card\n"
	       "           cancel                        cancel the purchase\n"
	       "           (after a decline, choose the same product again to retry)\n"
	       "           service                       open the door (service mode)\n"
	       "service:   refill <lane> <items>, price <lane> <cents>, enable <lane>,\n"
	       "           disable <lane>, clear <lane> (quarantine), exit (close the door)\n"
	       "anywhere:  menu, help, quit\n");
}

/* ---- Customer commands --------------------------------------------------- */

struct sm_card_name {
	const char *name;
	enum cv_sim_card card;
};

static const struct sm_card_name sm_cards[] = {
	{"approved", CV_SIM_CARD_APPROVED},
	{"wallet", CV_SIM_CARD_WALLET},
	{"declined", CV_SIM_CARD_DECLINED},
	{"insufficient", CV_SIM_CARD_INSUFFICIENT},
	{"timeout-approved", CV_SIM_CARD_TIMEOUT_APPROVED},
	{"timeout-declined", CV_SIM_CARD_TIMEOUT_NOT_CHARGED},
	{"slow", CV_SIM_CARD_SLOW},
};

static void sm_cmd_card(struct sm_kiosk *kiosk, char **args)
{
	for (size_t i = 0; i < sizeof(sm_cards) / sizeof(sm_cards[0]); i++) {
		if (strcmp(args[0], sm_cards[i].name) != 0)
			continue;
		if (cv_sim_present_card(kiosk->rig.sim, sm_cards[i].card) == CV_OK)
			return;
		struct cv_display screen;
		cv_machine_display(kiosk->rig.machine, &screen);
		if (screen.msg == CV_MSG_DECLINED_TRY_AGAIN)
			printf("the reader is not waiting for a card: choose the same product again to retry\n");
		else
			printf("the reader is not waiting for a card (choose a product first)\n");
		return;
	}
	printf("no test card '%s' (type help)\n", args[0]);
}

static void sm_cmd_cancel(struct sm_kiosk *kiosk, char **args)
{
	(void)args;
	if (cv_machine_cancel(kiosk->rig.machine) != CV_OK)
		printf("nothing to cancel (no purchase, or it is already dispensing)\n");
}

static void sm_cmd_service(struct sm_kiosk *kiosk, char **args)
{
	(void)args;
	enum cv_status rc = cv_machine_service_enter(kiosk->rig.machine);
	if (rc != CV_OK)
		sm_report_refusal("service mode", rc);
}

static void sm_select_lane(struct sm_kiosk *kiosk, uint16_t lane)
{
	enum cv_status rc = sm_rig_select(&kiosk->rig, lane);
	if (rc != CV_OK)
		sm_report_refusal("selection", rc);
}

/* ---- Service commands ---------------------------------------------------- */

/* The room is checked first; then the items physically go into the lane and
 * the world is saved, and only then is the engine told (a kill in between
 * leaves more on the shelf than the engine counts, never the reverse). */
static void sm_cmd_refill(struct sm_kiosk *kiosk, char **args)
{
	uint16_t lane;
	uint64_t added;
	struct cv_lane_info info;
	if (!sm_find_lane(kiosk, args[0], &lane) || !sm_parse_count(args[1], "items", CV_LANE_CAPACITY_MAX, &added) ||
	    cv_machine_lane_info(kiosk->rig.machine, lane, &info) != CV_OK)
		return;
	/* The shelf may hold more than the engine counts (a kill between the
	 * items going in and the count): the fuller of the two bounds the room. */
	struct cv_sim_truth truth;
	cv_sim_truth(kiosk->rig.sim, &truth);
	unsigned held = info.config.count > truth.stock[lane] ? info.config.count : truth.stock[lane];
	unsigned room = held < info.config.capacity ? (unsigned)(info.config.capacity - held) : 0u;
	if (added > room) {
		printf("lane %s has room for %u more (%u of %u)\n", args[0], room, held,
		       (unsigned)info.config.capacity);
		return;
	}
	if (cv_sim_load(kiosk->rig.sim, lane, (uint16_t)added) != CV_OK)
		return;
	sm_persist_save(&kiosk->rig, false);
	enum cv_status rc = cv_machine_lane_refill(kiosk->rig.machine, lane, (uint16_t)added);
	if (rc != CV_OK)
		printf("the items are in lane %s, but the machine refused the refill: %s\n", args[0],
		       cv_machine_errmsg(kiosk->rig.machine));
}

static void sm_cmd_price(struct sm_kiosk *kiosk, char **args)
{
	uint16_t lane;
	uint64_t price;
	if (!sm_find_lane(kiosk, args[0], &lane) ||
	    !sm_parse_count(args[1], "price in cents", SM_PRICE_MAX_MINOR, &price))
		return;
	enum cv_status rc = cv_machine_lane_set_price(kiosk->rig.machine, lane, (int64_t)price);
	if (rc != CV_OK)
		sm_report_refusal("price change", rc);
}

static void sm_set_enabled(struct sm_kiosk *kiosk, const char *label, bool enabled)
{
	uint16_t lane;
	if (!sm_find_lane(kiosk, label, &lane))
		return;
	enum cv_status rc = cv_machine_lane_set_enabled(kiosk->rig.machine, lane, enabled);
	if (rc != CV_OK)
		sm_report_refusal(enabled ? "enable" : "disable", rc);
}

static void sm_cmd_enable(struct sm_kiosk *kiosk, char **args)
{
	sm_set_enabled(kiosk, args[0], true);
}

static void sm_cmd_disable(struct sm_kiosk *kiosk, char **args)
{
	sm_set_enabled(kiosk, args[0], false);
}

static void sm_cmd_clear(struct sm_kiosk *kiosk, char **args)
{
	uint16_t lane;
	if (!sm_find_lane(kiosk, args[0], &lane))
		return;
	if (cv_machine_lane_clear_quarantine(kiosk->rig.machine, lane) != CV_OK)
		printf("lane %s is not quarantined\n", args[0]);
}

static void sm_cmd_exit(struct sm_kiosk *kiosk, char **args)
{
	(void)args;
	cv_machine_service_exit(kiosk->rig.machine);
}

/* ---- Anywhere ------------------------------------------------------------ */

static void sm_cmd_menu(struct sm_kiosk *kiosk, char **args)
{
	(void)args;
	sm_print_menu(kiosk);
}

static void sm_cmd_help(struct sm_kiosk *kiosk, char **args)
{
	(void)kiosk;
	(void)args;
	sm_print_help();
}

static void sm_cmd_quit(struct sm_kiosk *kiosk, char **args)
{
	(void)args;
	kiosk->quit = true;
}

static const struct sm_command sm_commands[] = {
	{"card", 1, SM_CUSTOMER, sm_cmd_card, "card <name>"},
	{"cancel", 0, SM_CUSTOMER, sm_cmd_cancel, "cancel"},
	{"service", 0, SM_CUSTOMER, sm_cmd_service, "service"},
	{"refill", 2, SM_SERVICE, sm_cmd_refill, "refill <lane> <items>"},
	{"price", 2, SM_SERVICE, sm_cmd_price, "price <lane> <cents>"},
	{"enable", 1, SM_SERVICE, sm_cmd_enable, "enable <lane>"},
	{"disable", 1, SM_SERVICE, sm_cmd_disable, "disable <lane>"},
	{"clear", 1, SM_SERVICE, sm_cmd_clear, "clear <lane>"},
	{"exit", 0, SM_SERVICE, sm_cmd_exit, "exit"},
	{"menu", 0, SM_ANYWHERE, sm_cmd_menu, "menu"},
	{"help", 0, SM_ANYWHERE, sm_cmd_help, "help"},
	{"quit", 0, SM_ANYWHERE, sm_cmd_quit, "quit"},
};

/* ---- Dispatch ------------------------------------------------------------ */

static const struct sm_command *sm_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sm_commands) / sizeof(sm_commands[0]); i++)
		if (strcmp(sm_commands[i].name, name) == 0)
			return &sm_commands[i];
	return NULL;
}

static bool sm_command_allowed(const struct sm_kiosk *kiosk, const struct sm_command *command)
{
	bool in_service = cv_machine_in_service(kiosk->rig.machine);
	if (command->where == SM_CUSTOMER && in_service) {
		printf("'%s' is not possible in service mode (type exit to close the door)\n", command->name);
		return false;
	}
	if (command->where == SM_SERVICE && !in_service) {
		printf("'%s' needs service mode (type service to open the door)\n", command->name);
		return false;
	}
	return true;
}

/* A word that is no command is a lane label, as on the machine's keypad. */
static void sm_execute(struct sm_kiosk *kiosk, char **words, unsigned word_count)
{
	const struct sm_command *command = sm_command_find(words[0]);
	if (command == NULL) {
		uint16_t lane;
		if (word_count != 1 || cv_machine_lane_find(kiosk->rig.machine, words[0], &lane) != CV_OK)
			printf("unknown command or lane '%s' (type help)\n", words[0]);
		else if (cv_machine_in_service(kiosk->rig.machine))
			printf("selling is paused in service mode (type exit to close the door)\n");
		else
			sm_select_lane(kiosk, lane);
		return;
	}
	if (word_count - 1 != command->arg_count) {
		printf("usage: %s\n", command->usage);
		return;
	}
	if (sm_command_allowed(kiosk, command))
		command->run(kiosk, words + 1);
}

/* Splits a line into words; false (and a message) when there are too many. */
static bool sm_split(char *line, char **words, unsigned *count_out)
{
	unsigned count = 0;
	for (char *word = strtok(line, " \t\r\n"); word != NULL; word = strtok(NULL, " \t\r\n")) {
		if (count == SM_WORDS_MAX) {
			printf("too many words (type help)\n");
			return false;
		}
		words[count++] = word;
	}
	*count_out = count;
	return true;
}

/* What sm_read_line() found in a line. */
struct sm_line_check {
	bool too_long; /* Longer than the buffer: the rest was consumed. */
	int bad_byte;  /* The first byte that is no printable ASCII (-1: none). */
};

/* Only printable ASCII and blanks reach the commands, and so the screen:
 * a NUL, an escape sequence or a control byte would be echoed back in a
 * message, and could drive the terminal. */
static bool sm_line_byte_ok(int c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\t' || c == '\r';
}

/* Reads one line byte by byte, so a NUL byte is a byte like another and
 * never takes the next line with it; what does not fit is consumed. False
 * at the end of input. */
static bool sm_read_line(char *line, size_t size, struct sm_line_check *check)
{
	size_t length = 0;
	int c = EOF;
	bool any = false;
	check->too_long = false;
	check->bad_byte = -1;
	while ((c = getchar()) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (check->bad_byte < 0 && !sm_line_byte_ok(c))
			check->bad_byte = c;
		if (length + 1 < size)
			line[length++] = (char)c;
		else
			check->too_long = true;
	}
	line[length] = '\0';
	return any;
}

/* Something awaits the customer: the reader, a decline, or the vend is over. */
static bool sm_customer_needed(const struct sm_rig *rig)
{
	return rig->customer_vend == 0 || cv_sim_is_collecting(rig->sim) ||
	       rig->customer_state == CV_VEND_STATE_AUTH_DECLINED || cv_vend_state_is_terminal(rig->customer_state);
}

static void sm_prompt(const struct sm_kiosk *kiosk)
{
	printf("%s> ", cv_machine_in_service(kiosk->rig.machine) ? "service" : "kiosk");
	fflush(stdout);
}

static void sm_kiosk_loop(struct sm_kiosk *kiosk)
{
	char line[SM_LINE_MAX];
	struct sm_line_check check;
	sm_prompt(kiosk);
	while (!kiosk->quit && sm_read_line(line, sizeof(line), &check)) {
		char *words[SM_WORDS_MAX];
		unsigned word_count = 0;
		if (check.too_long)
			printf("line too long (type help)\n");
		else if (check.bad_byte >= 0)
			printf("line refused: byte 0x%02x is not a printable ASCII character (type help)\n",
			       (unsigned)check.bad_byte);
		else if (sm_split(line, words, &word_count) && word_count > 0)
			sm_execute(kiosk, words, word_count);
		if (!kiosk->quit) {
			sm_rig_run_until(&kiosk->rig, sm_customer_needed, SM_COMMAND_LIMIT_MS);
			sm_prompt(kiosk);
		}
	}
}

int sm_kiosk_run(const struct sm_kiosk_options *options)
{
	struct sm_kiosk kiosk = {.quit = false};
	struct cv_sim_config sim_config;
	sm_sim_config_fill(&sim_config, options->seed, false);
	struct sm_output output = {
		.vends = true, .alerts = true, .screen = true, .receipts = true, .lanes = true, .recovery = true};
	struct sm_persist_options persist = {.dir = options->journal_dir, .mode = SM_MODE_KIOSK, .seed = options->seed};
	printf("sim-machine kiosk (machine sim-0001); type help for commands\n");
	if (!sm_rig_open(&kiosk.rig, &sim_config, SM_KIOSK_JOURNAL_SIZE, options->journal_dir != NULL ? &persist : NULL,
			 output))
		return SM_EXIT_FAILED;
	sm_print_menu(&kiosk);
	sm_kiosk_loop(&kiosk);
	printf("\n");
	/* Leave no hold behind: let open captures and voids finish before closing. */
	int status = SM_EXIT_OK;
	if (!sm_rig_run_until(&kiosk.rig, sm_rig_no_open_vends, SM_HOUR_MS)) {
		fprintf(stderr, "sim-machine: vends still open after a simulated hour\n");
		status = SM_EXIT_FAILED;
	}
	sm_rig_close(&kiosk.rig);
	return status;
}
