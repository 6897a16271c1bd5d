/* SPDX-License-Identifier: MIT */
/* libcurl's memory, handed out by the gateway so that every block libcurl
 * frees is wiped first: libcurl copies the request headers, Authorization
 * included, into buffers of its own. Installed with curl_global_init_mem(),
 * which takes effect only if the gateway is the first in the process to
 * initialize libcurl; otherwise libcurl keeps the allocator it has, and the
 * gateway says so in its log (docs/payment-gateway.md). */
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_private.h"

void (*cv_gw_mem_release)(void *block) = free;

/* Set by every allocation through these functions: whether libcurl uses them. */
static atomic_bool cv_gw_mem_in_use;

static void *cv_gw_mem_malloc(size_t size)
{
	atomic_store(&cv_gw_mem_in_use, true);
	return malloc(size);
}

static void *cv_gw_mem_calloc(size_t count, size_t size)
{
	atomic_store(&cv_gw_mem_in_use, true);
	return calloc(count, size);
}

static void cv_gw_mem_free(void *block)
{
	if (block == NULL)
		return;
	cv_gw_wipe(block, malloc_usable_size(block));
	cv_gw_mem_release(block);
}

/* Always moves the block, so that the old one is wiped like any other. */
static void *cv_gw_mem_realloc(void *block, size_t size)
{
	if (block == NULL)
		return cv_gw_mem_malloc(size);
	void *moved = cv_gw_mem_malloc(size != 0 ? size : 1);
	if (moved == NULL)
		return NULL;
	size_t old = malloc_usable_size(block);
	memcpy(moved, block, old < size ? old : size);
	cv_gw_mem_free(block);
	return moved;
}

static char *cv_gw_mem_strdup(const char *text)
{
	size_t n = strlen(text) + 1;
	char *copy = cv_gw_mem_malloc(n);
	if (copy != NULL)
		memcpy(copy, text, n);
	return copy;
}

enum cv_status cv_gw_mem_init(bool *wiping)
{
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, cv_gw_mem_malloc, cv_gw_mem_free, cv_gw_mem_realloc,
				 cv_gw_mem_strdup, cv_gw_mem_calloc) != CURLE_OK)
		return CV_E_NOMEM;
	/* curl_easy_escape() allocates through libcurl's allocator: ours, or
	 * the one of whoever initialized libcurl first. */
	atomic_store(&cv_gw_mem_in_use, false);
	char *probe = curl_easy_escape(NULL, "x", 1);
	*wiping = atomic_load(&cv_gw_mem_in_use);
	curl_free(probe);
	return CV_OK;
}
