/* SPDX-License-Identifier: MIT */
/* The gateway's transport security: the processor emulator served over TLS
 * with a certificate from a test CA made here with openssl (the gateway
 * given that CA sells; given another CA it sends nothing), plain http refused
 * for anything but a loopback address, and libcurl's buffers (the request
 * headers carry the API key) wiped before they are freed. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_private.h"
#include "gw_harness.h"
#include "leak_check.h"

#define SETTLE_MS 15000

static char dir[64];
static char path_ca[96], path_cert[96], path_key[96], path_wrong_ca[96];

static void run(const char *command)
{
	char line[1024];
	snprintf(line, sizeof(line), "cd '%s' && %s >/dev/null 2>&1", dir, command);
	cr_assert_eq(system(line), 0, "failed: %s", command);
}

/* A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA. */
static void make_certificates(void)
{
	strcpy(dir, "/tmp/cv-gw-tls-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 -subj /CN=cv-test-ca", ec);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "openssl req %s -keyout server.key -out server.csr -subj /CN=127.0.0.1", ec);
	run(cmd);
	run("printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext");
	run("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
	    "-extfile san.ext");
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 %s -keyout wrong.key -out wrong.pem -days 2 -subj /CN=cv-wrong-ca", ec);
	run(cmd);
	snprintf(path_ca, sizeof(path_ca), "%s/ca.pem", dir);
	snprintf(path_cert, sizeof(path_cert), "%s/server.pem", dir);
	snprintf(path_key, sizeof(path_key), "%s/server.key", dir);
	snprintf(path_wrong_ca, sizeof(path_wrong_ca), "%s/wrong.pem", dir);
}

static void remove_certificates(void)
{
	if (dir[0] != '\0') {
		char line[128];
		snprintf(line, sizeof(line), "rm -rf '%s'", dir);
		(void)system(line);
	}
}

static void teardown(void)
{
	h_teardown();
	remove_certificates();
	cv_test_leak_check();
}

static void setup_tls(const char *gateway_ca)
{
	struct h_options o;
	h_options_default(&o);
	o.processor.tls_cert = path_cert;
	o.processor.tls_key = path_key;
	o.processor.tls_ca = path_ca;
	o.ca_file = gateway_ca;
	h_setup(&o);
	cr_assert(strncmp(h.emu.base, "https://", 8) == 0);
}

TestSuite(tls, .init = make_certificates, .fini = teardown, .timeout = 60);

Test(tls, the_processor_behind_tls_with_the_test_ca_sells)
{
	setup_tls(path_ca);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_CAPTURED, "ended %s (%s)", cv_vend_state_str(h_vend(n)->state),
		     cv_vend_reason_str(h_vend(n)->reason));
	h_check_invariants(NULL);
}

Test(tls, a_certificate_from_another_ca_is_refused_and_nothing_is_sent)
{
	setup_tls(path_wrong_ca);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_until_state(n, CV_VEND_STATE_AUTH_DECLINED, SETTLE_MS));
	cr_assert_eq(cv_machine_cancel(h.m), CV_OK);
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_neq(h_vend(n)->state, CV_VEND_STATE_CAPTURED);
	cr_assert(!h_vend(n)->visited[CV_VEND_STATE_AUTH_LOOKUP], "the handshake failed: nothing was sent");
	json_t *state = emu_state(&h.emu);
	cr_assert_eq(json_object_size(json_object_get(state, "intents")), 0);
	cr_assert_eq(json_array_size(json_object_get(state, "idempotency")), 0);
	json_decref(state);
	h_check_invariants(NULL);
}

/* ---- plain http only to loopback ---- */

static char said[256];

static void remember_log(void *ctx, enum cv_log_level level, const char *message)
{
	(void)ctx;
	(void)level;
	snprintf(said, sizeof(said), "%s", message);
}

/* A configuration that would do, its log remembered in said[]. */
static struct cv_gateway_config config_logged(void)
{
	struct cv_gateway_config c;
	memset(&c, 0, sizeof(c));
	c.links[0] = "https://api.processor.example";
	c.api_key = "sk_test_x";
	c.collect = h_collect_never;
	c.log = remember_log;
	said[0] = '\0';
	return c;
}

static enum cv_status try_link(const char *url)
{
	struct cv_gateway_config c = config_logged();
	c.links[1] = url;
	struct cv_gateway *gw = NULL;
	enum cv_status rc = cv_gateway_new(&c, &gw);
	cv_gateway_free(gw);
	return rc;
}

Test(transport, plain_http_is_refused_for_anything_but_loopback, .fini = cv_test_leak_check)
{
	const char *refused[] = {"http://10.0.0.1:8080",
				 "http://api.processor.example",
				 "http://127.0.0.1.example.com",
				 "http://128.0.0.1",
				 "http://127.1",
				 "http://127.0.0.256",
				 "http://[::2]:80",
				 "http://localhost.example.com",
				 "http://0x7f000001",
				 "http://127.0.0.1./v1"};
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_assert_eq(try_link(refused[i]), CV_E_INVAL, "%s", refused[i]);
		cr_assert(strstr(said, "links[1]") != NULL && strstr(said, "loopback") != NULL, "%s: '%s'", refused[i],
			  said);
	}
	cr_assert_eq(try_link("http://user:pw@127.0.0.1:80"), CV_E_INVAL);
	cr_assert(strstr(said, "user information") != NULL, "'%s'", said);
	cr_assert_eq(try_link("ftp://127.0.0.1"), CV_E_INVAL);
	cr_assert(strstr(said, "https://") != NULL, "'%s'", said);
	const char *accepted[] = {"http://127.0.0.1",   "http://127.255.0.9:1/base",     "http://[::1]:8080",
				  "http://localhost:9", "https://api.processor.example", "https://10.0.0.1:8443/v1"};
	for (unsigned i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		cr_assert_eq(try_link(accepted[i]), CV_OK, "%s: '%s'", accepted[i], said);
}

Test(transport, an_unreadable_ca_file_is_refused_with_a_message, .fini = cv_test_leak_check)
{
	struct cv_gateway_config c = config_logged();
	c.ca_file = "/nonexistent/ca.pem";
	struct cv_gateway *gw = NULL;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_E_INVAL);
	cr_assert_null(gw);
	cr_assert(strstr(said, "ca_file") != NULL, "'%s'", said);
}

/* ---- libcurl's buffers wiped before they are freed ---- */

static unsigned released;
static unsigned released_dirty;

/* Between the gateway's wipe and free(): every byte must be zero. */
static void release_checked(void *block)
{
	const unsigned char *b = block;
	size_t n = malloc_usable_size(block);
	for (size_t i = 0; i < n; i++) {
		if (b[i] != 0) {
			released_dirty++;
			break;
		}
	}
	released++;
	free(block);
}

Test(transport, every_buffer_libcurl_frees_is_wiped_first, .fini = teardown)
{
	/* The checker can fail: a block that was not wiped is seen. */
	char *unwiped = malloc(32);
	cr_assert_not_null(unwiped);
	memset(unwiped, 'k', 32);
	release_checked(unwiped);
	cr_assert_eq(released_dirty, 1);
	released = released_dirty = 0;

	cv_gw_mem_release = release_checked;
	struct h_options o;
	h_options_default(&o);
	h_setup(&o);
	uint32_t n = h_select(0, "pm_card_visa");
	cr_assert(h_run_settled(SETTLE_MS));
	cr_assert_eq(h_vend(n)->state, CV_VEND_STATE_CAPTURED);
	h_teardown();
	cr_assert_gt(released, 10, "libcurl frees through the gateway (%u blocks)", released);
	cr_assert_eq(released_dirty, 0, "%u of %u blocks reached free() unwiped", released_dirty, released);
}

Test(transport, libcurl_initialized_first_is_reported, .fini = cv_test_leak_check)
{
	cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	struct cv_gateway_config c = config_logged();
	struct cv_gateway *gw = NULL;
	cr_assert_eq(cv_gateway_new(&c, &gw), CV_OK);
	cr_assert(strstr(said, "without wiping") != NULL, "'%s'", said);
	cv_gateway_free(gw);
	curl_global_cleanup();
}
