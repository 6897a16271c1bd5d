/* SPDX-License-Identifier: MIT */
/* Names and English descriptions of status codes. */
#include <candyvend/status.h>

#include "internal.h"

struct cv_status_entry {
	const char *name;
	const char *text;
};

/* Indexed by the enum value. The values have gaps (codes removed, never
 * reused): a gap's entry is all NULL and counts as unknown. */
static const struct cv_status_entry cv_status_table[] = {
	[CV_OK] = {"CV_OK", "success"},
	[CV_PENDING] = {"CV_PENDING", "operation started; completion follows"},
	[CV_E_INVAL] = {"CV_E_INVAL", "invalid argument"},
	[CV_E_NOMEM] = {"CV_E_NOMEM", "out of memory"},
	[CV_E_BUSY] = {"CV_E_BUSY", "busy with another operation"},
	[CV_E_IO] = {"CV_E_IO", "I/O error"},
	[CV_E_NOTSUP] = {"CV_E_NOTSUP", "not supported by this build or backend"},
	[CV_E_VERSION] = {"CV_E_VERSION", "backend table version too old"},
	[CV_E_FULL] = {"CV_E_FULL", "no room left"},
	[CV_E_CORRUPT] = {"CV_E_CORRUPT", "stored data is corrupt"},
	[CV_E_JAM] = {"CV_E_JAM", "dispense motor jammed"},
	[CV_E_STATE] = {"CV_E_STATE", "not allowed in the current state"},
	[CV_E_NOT_FOUND] = {"CV_E_NOT_FOUND", "not found"},
	[CV_E_SOLD_OUT] = {"CV_E_SOLD_OUT", "lane is sold out"},
	[CV_E_OUT_OF_SERVICE] = {"CV_E_OUT_OF_SERVICE", "out of service"},
	[CV_E_NOT_PRICED] = {"CV_E_NOT_PRICED", "lane has no price"},
	[CV_E_SENSOR] = {"CV_E_SENSOR", "drop sensor fault"},
	[CV_E_MISUSE] = {"CV_E_MISUSE", "API misuse"},
	[CV_E_PAYMENT_UNAVAILABLE] = {"CV_E_PAYMENT_UNAVAILABLE", "card payments unavailable"},
};

/* Callers may pass any integer (a value read off the wire), so range-check
 * before indexing. */
static const struct cv_status_entry *cv_status_entry_find(enum cv_status status)
{
	unsigned index = (unsigned)status;
	if (index >= CV_ARRAY_COUNT(cv_status_table) || cv_status_table[index].name == NULL)
		return NULL;
	return &cv_status_table[index];
}

CV_EXPORT const char *cv_status_str(enum cv_status status)
{
	const struct cv_status_entry *entry = cv_status_entry_find(status);
	return entry ? entry->text : "unknown status";
}

CV_EXPORT const char *cv_status_name(enum cv_status status)
{
	const struct cv_status_entry *entry = cv_status_entry_find(status);
	return entry ? entry->name : "CV_E_UNKNOWN";
}
