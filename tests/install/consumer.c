/* SPDX-License-Identifier: MIT */
/* A program built against the installed library only: proves the headers,
 * the pkg-config file and the library agree. */
#include <candyvend/candyvend.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct cv_money price;
	char text[32];
	if (cv_money_make(150, "USD", &price) != CV_OK || cv_money_format(&price, text, sizeof(text)) != CV_OK)
		return 1;
	if (strcmp(cv_version(), CV_VERSION_STRING) != 0) {
		fprintf(stderr, "header %s, library %s\n", CV_VERSION_STRING, cv_version());
		return 1;
	}
	/* A machine with no lanes is refused: the library's validation runs. */
	struct cv_machine_config config;
	struct cv_machine *machine = NULL;
	cv_machine_config_default(&config);
	enum cv_status rc = cv_machine_new(&config, &machine);
	printf("libcandyvend %s: %s, empty config -> %s, machine needs %zu bytes\n", cv_version(), text,
	       cv_status_name(rc), cv_machine_size());
	return rc == CV_E_INVAL && machine == NULL ? 0 : 1;
}
