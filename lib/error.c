// SPDX-License-Identifier: LGPL-2.1-or-later
/* One-line error messages carried back to the tools. */
#include <stdarg.h>
#include <stdio.h>

#include "pcache.h"

void pc_err_set(struct pc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void pc_err_clear(struct pc_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
