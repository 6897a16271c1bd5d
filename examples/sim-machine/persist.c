/* SPDX-License-Identifier: MIT */
/*
 * Persistent mode (--journal DIR): the machine's journal in DIR/journal (the
 * POSIX storage, locked: one program per folder), and in DIR/world what
 * lives outside the controller and would survive its death in a real shop:
 * the shelves, the bin, the reader and the processor (the simulated world),
 * and where the run stands (lives, customers served, the tally).
 *
 * The world is written before the engine can learn of any change in it:
 * after each step of the simulation, before the engine's step that handles
 * what the simulation delivered, and after an operator puts items in a lane,
 * before the engine is told. So a kill at any moment leaves a world that is
 * never behind the journal in anything the journal recorded; it may have
 * lost what happened inside the engine's last step, which is what a real
 * network does with a request or an answer the power cut off.
 *
 * The file is replaced with rename(), never synced: a killed process loses
 * nothing the kernel has, and the world is not the controller's data to
 * make durable (the machine's own journal is, and is synced). An OS crash
 * can therefore leave DIR/world older than the journal; the demo's crash
 * mode kills the process, it does not crash the OS.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_machine.h"

#define SM_WORLD_MAGIC "SMWORLD1"
#define SM_WORLD_VERSION 1u
/* The world is written at least this often while time passes, so a restart
 * never resumes the clock far behind the last life. */
#define SM_WORLD_STALE_MS (10u * SM_SECOND_MS)
/* Simulated time the power stays off between two lives. */
#define SM_POWER_OFF_MS SM_MINUTE_MS

struct sm_world_head {
	char magic[8];
	uint32_t version;
	uint32_t mode;
	uint64_t seed;
	uint32_t customers;
	uint32_t faults;
	uint64_t now_ms;
	uint64_t checksum; /* FNV-1a 64 of the head (this field zero) and the notes; the
			      simulated world's image carries its own. */
};

/* Follows the head: the part compared to skip unchanged writes. */
struct sm_world_notes {
	struct sm_progress progress;
	struct sm_tally tally;
};

#define SM_WORLD_NOTES_OFFSET sizeof(struct sm_world_head)
#define SM_WORLD_SIM_OFFSET (SM_WORLD_NOTES_OFFSET + sizeof(struct sm_world_notes))

/* FNV-1a 64, continued from @p hash (start with SM_FNV_START). */
#define SM_FNV_START 0xcbf29ce484222325ull
static uint64_t sm_fnv1a(uint64_t hash, const void *bytes, size_t size)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < size; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ull;
	}
	return hash;
}

/* The head with its checksum field read as zero, then the notes. */
static uint64_t sm_world_checksum(const unsigned char *image)
{
	struct sm_world_head head;
	memcpy(&head, image, sizeof(head));
	head.checksum = 0;
	uint64_t hash = sm_fnv1a(SM_FNV_START, &head, sizeof(head));
	return sm_fnv1a(hash, image + SM_WORLD_NOTES_OFFSET, sizeof(struct sm_world_notes));
}

static void sm_persist_fail(const char *what, const char *path)
{
	fprintf(stderr, "sim-machine: %s %s: %s\n", what, path, strerror(errno));
}

static bool sm_make_dir(const char *path)
{
	struct stat st;
	if (mkdir(path, 0755) == 0)
		return true;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	if (errno == EEXIST)
		errno = ENOTDIR;
	sm_persist_fail("cannot create the folder", path);
	return false;
}

/* Whether the journal folder holds anything but its lock file. */
static bool sm_journal_has_segments(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool any = false;
	for (struct dirent *e = readdir(d); e != NULL && !any; e = readdir(d))
		any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && strcmp(e->d_name, "lock") != 0;
	closedir(d);
	return any;
}

static bool sm_write_all(int fd, const unsigned char *bytes, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, bytes, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		bytes += n;
		size -= (size_t)n;
	}
	return true;
}

static void sm_world_build(struct sm_rig *rig)
{
	struct sm_persist *p = rig->persist;
	struct sm_world_head head = {
		.version = SM_WORLD_VERSION,
		.mode = (uint32_t)p->options.mode,
		.seed = p->options.seed,
		.customers = p->options.customers,
		.faults = p->options.faults ? 1u : 0u,
		.now_ms = rig->now_ms,
	};
	memcpy(head.magic, SM_WORLD_MAGIC, sizeof(head.magic));
	if (rig->machine != NULL) {
		struct cv_machine_stats stats;
		cv_machine_stats(rig->machine, &stats);
		rig->progress.journal_records = stats.journal_records;
	}
	struct sm_world_notes notes = {.progress = rig->progress, .tally = rig->tally};
	memcpy(p->image, &head, sizeof(head));
	memcpy(p->image + SM_WORLD_NOTES_OFFSET, &notes, sizeof(notes));
	(void)cv_sim_state_save(rig->sim, p->image + SM_WORLD_SIM_OFFSET, p->image_size - SM_WORLD_SIM_OFFSET);
	head.checksum = sm_world_checksum(p->image);
	memcpy(p->image, &head, sizeof(head));
}

/* A failed write ends the program: carrying on would let the engine act on
 * a world that a restart could not find again. The journal is safe. */
void sm_persist_save(struct sm_rig *rig, bool force)
{
	struct sm_persist *p = rig->persist;
	if (p == NULL)
		return;
	sm_world_build(rig);
	if (!force && p->saved_valid && rig->now_ms - p->saved_now_ms < SM_WORLD_STALE_MS &&
	    memcmp(p->image + SM_WORLD_NOTES_OFFSET, p->saved + SM_WORLD_NOTES_OFFSET,
		   p->image_size - SM_WORLD_NOTES_OFFSET) == 0)
		return;
	int fd = open(p->world_tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && sm_write_all(fd, p->image, p->image_size);
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok || rename(p->world_tmp_path, p->world_path) != 0) {
		sm_persist_fail(ok ? "cannot replace the world file with" : "cannot write", p->world_tmp_path);
		fprintf(stderr, "sim-machine: stopping; the journal is safe: start again on the same folder\n");
		exit(SM_EXIT_FAILED);
	}
	unsigned char *swap = p->saved;
	p->saved = p->image;
	p->image = swap;
	p->saved_valid = true;
	p->saved_now_ms = rig->now_ms;
}

static const char *sm_mode_name(uint32_t mode)
{
	return mode == SM_MODE_DEMO ? "demo" : mode == SM_MODE_KIOSK ? "kiosk" : "unknown";
}

/* The folder must be asked for what it was made for. */
static bool sm_world_matches(const struct sm_world_head *head, const struct sm_persist_options *o)
{
	const char *path = o->dir;
	if (head->mode != (uint32_t)o->mode) {
		fprintf(stderr, "sim-machine: %s holds a %s run, not a %s run\n", path, sm_mode_name(head->mode),
			sm_mode_name((uint32_t)o->mode));
		return false;
	}
	if (head->seed == o->seed && head->customers == o->customers && head->faults == (o->faults ? 1u : 0u))
		return true;
	char started[200];
	if (o->mode == SM_MODE_DEMO)
		snprintf(started, sizeof(started), "demo --customers %u --seed %llu%s", (unsigned)head->customers,
			 (unsigned long long)head->seed, head->faults ? " --faults" : "");
	else
		snprintf(started, sizeof(started), "kiosk --seed %llu", (unsigned long long)head->seed);
	fprintf(stderr,
		"sim-machine: %s was started as `sim-machine %s --journal %s`: start it again with "
		"the same options, or use a new folder\n",
		path, started, path);
	return false;
}

/* Reads DIR/world into the rig; false (and a message) when it can't. */
static bool sm_world_load(struct sm_rig *rig)
{
	struct sm_persist *p = rig->persist;
	struct stat st;
	if (stat(p->world_path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "sim-machine: %s is not a regular file\n", p->world_path);
		return false;
	}
	FILE *f = fopen(p->world_path, "rb");
	if (f == NULL) {
		sm_persist_fail("cannot open", p->world_path);
		return false;
	}
	size_t got = fread(p->saved, 1, p->image_size, f);
	bool longer = fgetc(f) != EOF;
	fclose(f);
	struct sm_world_head head;
	memcpy(&head, p->saved, sizeof(head));
	if (got != p->image_size || longer || memcmp(head.magic, SM_WORLD_MAGIC, sizeof(head.magic)) != 0 ||
	    head.version != SM_WORLD_VERSION || sm_world_checksum(p->saved) != head.checksum) {
		fprintf(stderr,
			"sim-machine: %s is damaged or was written by another build of sim-machine "
			"(%zu bytes read, %zu expected); the journal beside it is untouched\n",
			p->world_path, got + (longer ? 1 : 0), p->image_size);
		return false;
	}
	if (!sm_world_matches(&head, &p->options))
		return false;
	struct sm_world_notes notes;
	memcpy(&notes, p->saved + SM_WORLD_NOTES_OFFSET, sizeof(notes));
	rig->progress = notes.progress;
	rig->tally = notes.tally;
	rig->now_ms = head.now_ms + SM_POWER_OFF_MS;
	enum cv_status rc = cv_sim_state_restore(rig->sim, p->saved + SM_WORLD_SIM_OFFSET,
						 p->image_size - SM_WORLD_SIM_OFFSET, rig->now_ms);
	if (rc != CV_OK) {
		fprintf(stderr, "sim-machine: the simulated world in %s cannot be restored: %s\n", p->world_path,
			cv_status_str(rc));
		return false;
	}
	return true;
}

static bool sm_persist_paths(struct sm_persist *p, const char *dir, char *journal, size_t journal_size)
{
	int a = snprintf(p->world_path, sizeof(p->world_path), "%s/world", dir);
	int b = snprintf(p->world_tmp_path, sizeof(p->world_tmp_path), "%s/world.tmp", dir);
	int c = snprintf(journal, journal_size, "%s/journal", dir);
	if (a < 0 || (size_t)a >= sizeof(p->world_path) || b < 0 || (size_t)b >= sizeof(p->world_tmp_path) || c < 0 ||
	    (size_t)c >= journal_size) {
		fprintf(stderr, "sim-machine: the folder name is too long (%zu bytes)\n", strlen(dir));
		return false;
	}
	return true;
}

static bool sm_persist_open_journal(struct sm_persist *p, const char *journal)
{
	struct cv_posix_storage_config config;
	cv_posix_storage_config_default(&config);
	config.directory = journal;
	char error[CV_POSIX_STORAGE_ERROR_LEN];
	enum cv_status rc = cv_posix_storage_open_with_error(&config, &p->storage, error, sizeof(error));
	if (rc == CV_OK)
		return true;
	fprintf(stderr, "sim-machine: %s\n", error);
	return false;
}

/* Power comes back on a restored world: the hardware lost it, and the
 * previous life was cut off unless it stopped in order. Nothing is written
 * yet: a start the engine refuses leaves DIR/world as it was. */
static void sm_persist_power_on(struct sm_rig *rig, bool restored)
{
	struct sm_persist *p = rig->persist;
	if (!restored)
		return;
	(void)cv_sim_power_cut(rig->sim);
	bool cut = rig->progress.running != 0;
	if (cut)
		rig->progress.cuts++;
	if (rig->output.recovery)
		printf("power on at %s: the last life %s\n", p->options.dir,
		       cut ? "was cut off (killed or a power cut): the motor had stopped where it was and the "
			     "reader dropped any card it was reading"
			   : "stopped in order");
}

/* The engine has read its journal back: it must be the one this world was
 * saved with, which had at least as many records (everything written
 * before a kill is kept, and the world is saved after the engine wrote). */
static bool sm_persist_journal_matches(const struct sm_rig *rig)
{
	struct cv_machine_stats stats;
	cv_machine_stats(rig->machine, &stats);
	if (stats.journal_records >= rig->progress.journal_records)
		return true;
	fprintf(stderr,
		"sim-machine: %s/journal holds %llu records, but %s was saved when its journal had %llu: they "
		"are not from the same run (use a new folder)\n",
		rig->persist->options.dir, (unsigned long long)stats.journal_records, rig->persist->world_path,
		(unsigned long long)rig->progress.journal_records);
	return false;
}

bool sm_persist_begin_life(struct sm_rig *rig)
{
	struct sm_persist *p = rig->persist;
	if (p == NULL)
		return true;
	if (!sm_persist_journal_matches(rig))
		return false;
	rig->progress.lives++;
	rig->progress.running = 1;
	/* Saved before it is said: a "life N" line always names a counted life. */
	sm_persist_save(rig, true);
	p->life_began = true;
	if (rig->output.recovery)
		printf("life %u on %s\n", (unsigned)rig->progress.lives, p->options.dir);
	return true;
}

bool sm_persist_open(struct sm_rig *rig, const struct sm_persist_options *options,
		     const struct cv_sim_config *sim_config)
{
	struct sm_persist *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return false;
	rig->persist = p;
	p->options = *options;
	char journal[1040];
	if (!sm_persist_paths(p, options->dir, journal, sizeof(journal)) || !sm_make_dir(options->dir) ||
	    !sm_make_dir(journal) || !sm_persist_open_journal(p, journal))
		return false;
	p->image_size = SM_WORLD_SIM_OFFSET + cv_sim_state_size();
	p->image = calloc(1, p->image_size);
	p->saved = calloc(1, p->image_size);
	if (p->image == NULL || p->saved == NULL || cv_sim_new(sim_config, &rig->sim) != CV_OK)
		return false;
	bool restored = access(p->world_path, F_OK) == 0;
	if (!restored && sm_journal_has_segments(journal)) {
		fprintf(stderr,
			"sim-machine: %s holds a journal but %s is missing: the simulated world of that run is "
			"lost (use a new folder)\n",
			journal, p->world_path);
		return false;
	}
	if (restored && !sm_world_load(rig))
		return false;
	if (restored && rig->progress.journal_records > 0 && !sm_journal_has_segments(journal)) {
		fprintf(stderr,
			"sim-machine: %s was saved with a journal of %llu records, but %s is empty: the journal "
			"is lost (use a new folder)\n",
			p->world_path, (unsigned long long)rig->progress.journal_records, journal);
		return false;
	}
	sm_persist_power_on(rig, restored);
	return true;
}

void sm_persist_finish(struct sm_rig *rig)
{
	if (rig->persist == NULL || !rig->persist->life_began)
		return;
	rig->progress.running = 0;
	sm_persist_save(rig, true);
}

void sm_persist_close(struct sm_rig *rig)
{
	struct sm_persist *p = rig->persist;
	if (p == NULL)
		return;
	cv_posix_storage_close(p->storage);
	free(p->image);
	free(p->saved);
	free(p);
	rig->persist = NULL;
}
