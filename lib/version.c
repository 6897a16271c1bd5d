/* SPDX-License-Identifier: MIT */
/* The version of the library actually linked, which may differ from the
 * headers an application was compiled against. */
#include <candyvend/version.h>

#include "internal.h"

CV_EXPORT const char *cv_version(void)
{
	return CV_VERSION_STRING;
}
