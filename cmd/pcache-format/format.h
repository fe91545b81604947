/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcache-format internals: options, safety checks and the layout report. */
#ifndef PCACHE_FORMAT_H
#define PCACHE_FORMAT_H

#include "cli.h"
#include "pcache.h"

struct fmt_opts {
	const char *device;
	int data_crc;
	int gc_percent;
	long long segments;
	int force;
	int discard_dirty;
	/* what overrides the refusal of a dirty cache (NULL: our options) */
	const char *dirty_override;
	int dry_run;
	int json;
	int quiet;
	int lazy;
};

/*
 * Refusals (return -1 after printing one line): an existing pcache cache
 * (and a dirty one even with --force unless --discard-dirty), a foreign
 * signature, a device in use. Warnings for devices the kernel cannot use.
 */
int safety_check(struct pc_dev *dev, const struct fmt_opts *o);
/* Warnings only: DAX capability and NVDIMM namespace mode. */
void dax_warnings(struct pc_dev *dev);

void report_layout(const struct fmt_opts *o, const struct pc_layout *l,
		   bool written);

#endif
