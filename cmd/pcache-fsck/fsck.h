/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcache-fsck internals: the reports main.c prints. */
#ifndef PCACHE_FSCK_H
#define PCACHE_FSCK_H

#include <stdbool.h>

#include "check.h"
#include "cli.h"
#include "pcache.h"

/* What the text report shows. */
struct fsck_view {
	bool repairing;		/* -p or -y: no "[repairable with ...]" hints */
	bool verbose;		/* every finding and the log use per segment */
};

/* One sentence: the state of the cache after this run. */
const char *fsck_verdict(const struct pc_check *ck, int code);
void fsck_text_report(const char *path, const struct pc_check *ck, int code,
		      const struct fsck_view *v);
/* @mode: "check", "preen" or "repair". 0 or -errno. */
int fsck_json_report(const char *path, const char *mode,
		     const struct pc_check *ck, int code);
/* One line per code: code, check, severity, repair mode, sentence. */
void fsck_list_findings(void);

#endif
