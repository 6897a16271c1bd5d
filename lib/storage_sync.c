/* SPDX-License-Identifier: MIT */
/* A helper for storage backends whose appends are durable at once (RAM,
 * memory-mapped flash): their sync completes on the spot. */
#include <candyvend/backend.h>
#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "internal.h"

CV_EXPORT enum cv_status cv_storage_post_synced(struct cv_machine *machine, uint64_t seq)
{
	struct cv_event ev = {.type = CV_EVENT_STORAGE_SYNCED};
	ev.u.storage.seq = seq;
	ev.u.storage.status = CV_OK;
	enum cv_status rc = cv_machine_post(machine, &ev);
	return rc == CV_OK ? CV_PENDING : rc;
}
