/* SPDX-License-Identifier: MIT */
/* The kiosk console: the commands a customer's buttons and a test
 * operator give, one line each. In this firmware they come from the
 * built-in script; the replies go to the UART.
 *
 *   menu                      print the product menu
 *   card approve|decline|unknown   what the next card presented does
 *   select <label>            a customer presses a button; runs until the vend settles
 *   expect <STATE>            the last vend ended in this state (e.g. CAPTURED)
 *   expect-lane <label> <availability>   e.g. "expect-lane B2 quarantined"
 *   idle                      run until no vend is open (declined sessions time out)
 *   jam <label> <n>           the next n movements of the lane stall (hardware model)
 *   hang <label>              the lane's next product needs one more quarter turn
 *   soak <n>                  n approved vends over A1, A2, B1, each expected CAPTURED
 *   reboot                    power cycle: the machine reopens from the flash journal
 *   torn-reboot               power cut in the middle of an append, then reboot
 */
#include <string.h>

#include "console.h"
#include "firmware.h"

static int cv_kiosk_lane(struct cv_firmware *fw, const char *label, uint16_t *lane)
{
	if (cv_machine_lane_find(fw->machine, label, lane) == CV_OK)
		return 0;
	cv_firmware_fail(fw, "no such lane", label);
	return 1;
}

static int cv_kiosk_menu(struct cv_firmware *fw)
{
	struct cv_menu_item items[CV_FIRMWARE_LANES];
	size_t count = 0;
	if (cv_machine_menu(fw->machine, items, CV_FIRMWARE_LANES, &count) != CV_OK)
		return 1;
	for (size_t i = 0; i < count; i++) {
		struct cv_lane_info info;
		cv_machine_lane_info(fw->machine, items[i].lane, &info);
		cv_console_str("  ");
		cv_console_str(items[i].label);
		cv_console_str("  ");
		cv_console_str(items[i].product_name);
		cv_console_str("  ");
		cv_console_money(items[i].price.amount_minor);
		cv_console_str("  (");
		cv_console_u64(info.config.count);
		cv_console_str(" left, ");
		cv_console_str(cv_lane_availability_str(items[i].availability));
		cv_console_str(")\n");
	}
	return 0;
}

static int cv_kiosk_select(struct cv_firmware *fw, const char *label)
{
	uint16_t lane;
	if (cv_kiosk_lane(fw, label, &lane))
		return 1;
	uint32_t number = 0;
	enum cv_status rc = cv_machine_select(fw->machine, lane, &number);
	if (rc != CV_OK) {
		fw->last_vend = 0;
		cv_console_str("  refused: ");
		cv_console_str(cv_status_str(rc));
		cv_console_str("\n");
		return 0; /* A refusal is an answer; "expect" judges it. */
	}
	fw->last_vend = number;
	return cv_firmware_wait_settled(fw) ? 0 : 1;
}

static int cv_kiosk_expect(struct cv_firmware *fw, const char *state)
{
	struct cv_vend_info v;
	const char *got = "REFUSED";
	if (fw->last_vend != 0 && cv_machine_vend_info(fw->machine, fw->last_vend, &v) == CV_OK)
		got = cv_vend_state_str(v.state);
	if (strcmp(got, state) == 0)
		return 0;
	cv_firmware_fail(fw, "expected a different vend state, got", got);
	return 1;
}

static int cv_kiosk_expect_lane(struct cv_firmware *fw, const char *label, const char *availability)
{
	uint16_t lane;
	struct cv_lane_info info;
	if (cv_kiosk_lane(fw, label, &lane) || cv_machine_lane_info(fw->machine, lane, &info) != CV_OK)
		return 1;
	const char *got = cv_lane_availability_str(info.availability);
	if (strcmp(got, availability) == 0)
		return 0;
	cv_firmware_fail(fw, "expected a different lane availability, got", got);
	return 1;
}

static int cv_kiosk_card(struct cv_firmware *fw, const char *what)
{
	if (strcmp(what, "approve") == 0)
		fw->payment.next_card = CV_SCRIPT_CARD_APPROVE;
	else if (strcmp(what, "decline") == 0)
		fw->payment.next_card = CV_SCRIPT_CARD_DECLINE;
	else if (strcmp(what, "unknown") == 0)
		fw->payment.next_card = CV_SCRIPT_CARD_UNKNOWN_HELD;
	else {
		cv_firmware_fail(fw, "bad card", what);
		return 1;
	}
	return 0;
}

static int cv_kiosk_soak(struct cv_firmware *fw, unsigned count)
{
	static const char *const labels[] = {"A1", "A2", "B1"};
	int rc = 0;
	fw->quiet = true;
	for (unsigned i = 0; i < count && rc == 0; i++) {
		fw->payment.next_card = CV_SCRIPT_CARD_APPROVE;
		rc = cv_kiosk_select(fw, labels[i % 3]);
		if (rc == 0)
			rc = cv_kiosk_expect(fw, "CAPTURED");
	}
	fw->quiet = false;
	return rc;
}

static unsigned cv_kiosk_number(const char *s)
{
	unsigned n = 0;
	for (; s != NULL && *s >= '0' && *s <= '9'; s++)
		n = n * 10u + (unsigned)(*s - '0');
	return n;
}

/* Splits "verb a b" in place into at most three words. */
static unsigned cv_kiosk_split(char *line, char *words[3])
{
	unsigned n = 0;
	for (char *p = line; *p != '\0' && n < 3;) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		words[n++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
	}
	return n;
}

int cv_kiosk_command(struct cv_firmware *fw, const char *text)
{
	char line[64];
	char *w[3] = {NULL, NULL, NULL};
	strncpy(line, text, sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	cv_console_str("> ");
	cv_console_str(text);
	cv_console_str("\n");
	unsigned n = cv_kiosk_split(line, w);
	uint16_t lane;
	if (n == 1 && strcmp(w[0], "menu") == 0)
		return cv_kiosk_menu(fw);
	if (n == 2 && strcmp(w[0], "card") == 0)
		return cv_kiosk_card(fw, w[1]);
	if (n == 2 && strcmp(w[0], "select") == 0)
		return cv_kiosk_select(fw, w[1]);
	if (n == 2 && strcmp(w[0], "expect") == 0)
		return cv_kiosk_expect(fw, w[1]);
	if (n == 3 && strcmp(w[0], "expect-lane") == 0)
		return cv_kiosk_expect_lane(fw, w[1], w[2]);
	if (n == 1 && strcmp(w[0], "idle") == 0)
		return cv_firmware_wait_idle(fw) ? 0 : 1;
	if (n == 3 && strcmp(w[0], "jam") == 0 && cv_kiosk_lane(fw, w[1], &lane) == 0) {
		cv_plant_fault_jam(&fw->plant, lane, (uint8_t)cv_kiosk_number(w[2]));
		return 0;
	}
	if (n == 2 && strcmp(w[0], "hang") == 0 && cv_kiosk_lane(fw, w[1], &lane) == 0) {
		cv_plant_fault_hang(&fw->plant, lane);
		return 0;
	}
	if (n == 2 && strcmp(w[0], "soak") == 0)
		return cv_kiosk_soak(fw, cv_kiosk_number(w[1]));
	if (n == 1 && strcmp(w[0], "reboot") == 0)
		return cv_firmware_reboot(fw);
	if (n == 1 && strcmp(w[0], "torn-reboot") == 0)
		return cv_firmware_torn_reboot(fw);
	cv_firmware_fail(fw, "bad command", text);
	return 1;
}
