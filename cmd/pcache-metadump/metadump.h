/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcache-metadump: the three modes (capture.c, restore.c, info.c). */
#ifndef METADUMP_H
#define METADUMP_H

#include <stdbool.h>

#include "cli.h"
#include "mdfile.h"

struct md_opts {
	bool json;
	bool force;
	bool obfuscate;
};

int md_capture(const char *device, const char *file, const struct md_opts *o);
int md_restore(const char *file, const char *image, const struct md_opts *o);
int md_info(const char *file, const struct md_opts *o);

/* Refuse to overwrite a non-empty regular file without --force. */
int md_check_output(const char *path, bool force, const char *what);
/* {"records": .., "bytes": ..} per kind */
struct json_object *md_stats_json(const struct md_stats *st);

#endif
