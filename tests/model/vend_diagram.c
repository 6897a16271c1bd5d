/* SPDX-License-Identifier: MIT */
/* Prints the vend state machine from its one table (lib/vend_table.c) into
 * the places that show it: a block of docs/vend-state-machine.md (mermaid
 * diagram and the table of edges) and the sketch in include/candyvend/vend.h.
 *
 *   vend-diagram --print              the document's block, on stdout (the build
 *                                     makes it, as vend-table.md)
 *   vend-diagram --check DOC HEADER   exit 1 if a committed copy differs
 *   vend-diagram --write DOC HEADER   rewrite the blocks in place
 *
 * Each block sits between a BEGIN and an END marker line; what is outside
 * them is left alone. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vend_table.h"

#define TEXT_MAX 65536

/* What each edge does, in words: the last column of lib/vend_edges.def,
 * which the engine's table leaves out. */
static const char *const edge_notes[] = {
#define CV_VEND_EDGE(from, trigger, to, keys, owners, key_after, owner_after, journaled, duty, when) when,
#include "vend_edges.def"
#undef CV_VEND_EDGE
};

/* What the vend owes once each edge is taken: the ninth column, which the
 * engine's table leaves out too. */
#define D(name) CV_VEND_DUTY_##name
static const enum cv_vend_duty edge_duties[] = {
#define CV_VEND_EDGE(from, trigger, to, keys, owners, key_after, owner_after, journaled, duty, when) duty,
#include "vend_edges.def"
#undef CV_VEND_EDGE
};
#undef D

struct text {
	char s[TEXT_MAX];
	size_t n;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t->s) - t->n) {
		fprintf(stderr, "vend-diagram: text too long\n");
		exit(2);
	}
	t->n += (size_t)n;
}

static const char *state_name(unsigned state)
{
	return state == CV_VEND_STATE_START ? "START" : cv_vend_state_str((enum cv_vend_state)state);
}

static void keys_text(uint8_t keys, char *out, size_t size)
{
	snprintf(out, size, "%s",
		 keys == CV_KEYS_ANY ? "any"
				     : cv_vend_key_name(keys == CV_KEYS(CV_VEND_KEY_FRESH) ? CV_VEND_KEY_FRESH
											   : CV_VEND_KEY_MAY_LAND));
}

static void owners_text(uint8_t owners, char *out, size_t size)
{
	if (owners == CV_OWNERS_ANY) {
		snprintf(out, size, "any");
		return;
	}
	size_t n = 0;
	out[0] = '\0';
	for (unsigned o = 0; o < CV_VEND_OWNERS_MAX; o++)
		if (owners & CV_OWNERS(o))
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "",
					      cv_vend_owner_name((enum cv_vend_owner)o));
}

static void sets_text(const struct cv_vend_edge *e, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	if (CV_EDGE_KEY_AFTER(e) != CV_VEND_KEEP)
		n += (size_t)snprintf(out + n, size - n, "key %s",
				      cv_vend_key_name((enum cv_vend_key)CV_EDGE_KEY_AFTER(e)));
	if (CV_EDGE_OWNER_AFTER(e) != CV_VEND_KEEP)
		n += (size_t)snprintf(out + n, size - n, "%sowner %s", n ? ", " : "",
				      cv_vend_owner_name((enum cv_vend_owner)CV_EDGE_OWNER_AFTER(e)));
	if (n == 0)
		snprintf(out, size, "-");
}

/* The markdown block: a mermaid diagram, then every row with its guards. */
static void doc_block(struct text *t)
{
	text_add(t, "```mermaid\nstateDiagram-v2\n");
	for (unsigned i = 0; i < cv_vend_edge_count; i++) {
		const struct cv_vend_edge *e = &cv_vend_edges[i];
		text_add(t, "    %s --> %s: %s\n", e->from == CV_VEND_STATE_START ? "[*]" : state_name(e->from),
			 state_name(e->to), cv_vend_trigger_name((enum cv_vend_trigger)e->trigger));
	}
	for (unsigned s = CV_VEND_STATE_CAPTURED; s <= CV_VEND_STATE_VOID_FAILED; s++)
		text_add(t, "    %s --> [*]\n", state_name(s));
	text_add(t, "```\n\n");
	text_add(t, "| # | From | Trigger | To | Key | Owner | Sets | Then owes | When |\n");
	text_add(t, "|---|---|---|---|---|---|---|---|---|\n");
	for (unsigned i = 0; i < cv_vend_edge_count; i++) {
		const struct cv_vend_edge *e = &cv_vend_edges[i];
		char keys[32], owners[96], sets[64];
		keys_text(e->accepts & CV_KEYS_ANY, keys, sizeof(keys));
		owners_text(e->accepts & CV_OWNERS_ANY, owners, sizeof(owners));
		sets_text(e, sets, sizeof(sets));
		text_add(t, "| %u | %s | %s | %s | %s | %s | %s%s | %s | %s |\n", i, state_name(e->from),
			 cv_vend_trigger_name((enum cv_vend_trigger)e->trigger), state_name(e->to), keys, owners, sets,
			 (e->accepts & CV_EDGE_JOURNALED) ? "" : " (not journaled)", cv_vend_duty_name(edge_duties[i]),
			 edge_notes[i]);
	}
}

/* The header's sketch: one line an edge, inside a Doxygen comment. */
static void header_block(struct text *t)
{
	text_add(t, " * ```\n");
	for (unsigned i = 0; i < cv_vend_edge_count; i++) {
		const struct cv_vend_edge *e = &cv_vend_edges[i];
		text_add(t, " * %-15s --%-14s--> %s\n", state_name(e->from),
			 cv_vend_trigger_name((enum cv_vend_trigger)e->trigger), state_name(e->to));
	}
	text_add(t, " * ```\n");
}

static char *file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	static char buf[2][1 << 18];
	static unsigned which;
	char *b = buf[which++ % 2];
	size_t n = fread(b, 1, sizeof(buf[0]) - 1, f);
	fclose(f);
	b[n] = '\0';
	return b;
}

/* Replaces (or compares) what lies between the line holding `begin` and
 * the line holding `end`. Returns 0 when equal, 1 when it differs. */
static int block_sync(const char *path, const char *begin, const char *end, const struct text *want, bool write)
{
	char *s = file_read(path);
	char *b = strstr(s, begin);
	char *e = b != NULL ? strstr(b, end) : NULL;
	if (b == NULL || e == NULL) {
		fprintf(stderr, "vend-diagram: %s has no block between \"%s\" and \"%s\"\n", path, begin, end);
		exit(2);
	}
	char *inside = strchr(b, '\n') + 1;
	while (e > s && e[-1] != '\n')
		e--; /* The start of the END line. */
	size_t have = (size_t)(e - inside);
	if (have == want->n && memcmp(inside, want->s, have) == 0)
		return 0;
	if (!write) {
		fprintf(stderr,
			"vend-diagram: the copy in %s differs from lib/vend_table.c; run scripts/vend-diagram.sh\n",
			path);
		return 1;
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fwrite(s, 1, (size_t)(inside - s), f);
	fwrite(want->s, 1, want->n, f);
	fputs(e, f);
	fclose(f);
	printf("vend-diagram: rewrote the block in %s\n", path);
	return 0;
}

/* cv_vend_edge_find() searches by halves: one row per (from, trigger), in order. */
static bool table_sorted(void)
{
	if (sizeof(edge_notes) / sizeof(edge_notes[0]) != cv_vend_edge_count) {
		fprintf(stderr, "vend-diagram: the engine's table and the notes differ in length\n");
		return false;
	}
	for (unsigned i = 1; i < cv_vend_edge_count; i++) {
		const struct cv_vend_edge *a = &cv_vend_edges[i - 1], *b = &cv_vend_edges[i];
		if (a->from > b->from || (a->from == b->from && a->trigger >= b->trigger)) {
			fprintf(stderr,
				"vend-diagram: rows %u and %u of lib/vend_edges.def are out of order or the same "
				"edge\n",
				i - 1, i);
			return false;
		}
	}
	for (unsigned i = 0; i < cv_vend_edge_count; i++)
		if (cv_vend_edge_find(cv_vend_edges[i].from, (enum cv_vend_trigger)cv_vend_edges[i].trigger) !=
		    &cv_vend_edges[i]) {
			fprintf(stderr, "vend-diagram: the lookup misses row %u\n", i);
			return false;
		}
	return true;
}

int main(int argc, char **argv)
{
	static struct text doc, header;
	if (!table_sorted())
		return 1;
	doc_block(&doc);
	if (argc == 2 && strcmp(argv[1], "--print") == 0) {
		fwrite(doc.s, 1, doc.n, stdout);
		return 0;
	}
	if (argc != 4 || (strcmp(argv[1], "--check") != 0 && strcmp(argv[1], "--write") != 0)) {
		fprintf(stderr, "usage: vend-diagram --print | --check|--write DOC.md HEADER.h\n");
		return 2;
	}
	bool write = strcmp(argv[1], "--write") == 0;
	header_block(&header);
	int differs = block_sync(argv[2], "<!-- BEGIN vend table", "<!-- END vend table", &doc, write);
	differs |= block_sync(argv[3], "(BEGIN vend table", "(END vend table", &header, write);
	if (!differs && !write)
		printf("vend-diagram: %u edges; %s and %s match the table\n", cv_vend_edge_count, argv[2], argv[3]);
	return differs;
}
