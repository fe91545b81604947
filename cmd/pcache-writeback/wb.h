/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcache-writeback: shared state of the plan and the copy. */
#ifndef PCACHE_WB_H
#define PCACHE_WB_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "pcache.h"

enum wb_action {
	WB_WRITE,		/* to be written (or written) */
	WB_SKIP_BAD,		/* data CRC mismatch, skipped (--skip-bad) */
	WB_BAD,			/* data CRC mismatch: refuse */
};

struct wb_item {
	const struct pc_extent *e;
	enum wb_action action;
	const char *why;	/* for bad ones */
};

/* The cache mapped read-only (map.c); addr NULL when it is not. */
struct wb_map {
	const uint8_t *addr;
	uint64_t size;
};

struct wb {
	/* options */
	const char *cache_path;
	const char *backing_path;
	bool dry_run;
	bool json;
	bool skip_bad;
	bool force;		/* write a backing device holding a cache */
	bool verbose;
	bool salvage;		/* also write the keys past the log's end */
	bool from_set;		/* --from: where the log resumes */
	struct pc_pos from;

	/* state */
	struct pc_dev *dev;
	struct pc_dev *bdev;
	uint64_t backing_size;
	struct pc_cache *c;
	struct wb_map map;
	struct pc_replay r;
	bool replayed;
	struct pc_salvage past;	/* valid ksets past the kernel's end */
	size_t n_log_keys;	/* r.keys from the kernel's log; then salvaged */
	bool salvaging;		/* --salvage and something to salvage */
	struct pc_pos dirty_before;
	struct wb_item *items;
	size_t n_items;
	uint64_t bytes_total;	/* bytes to write */
	uint64_t bytes_written;
	uint64_t bytes_skipped;
	uint64_t n_skipped;
	uint64_t n_bad;
	uint64_t n_unreadable;	/* of n_bad: the data could not be read */
	uint64_t n_stale_dirty;	/* stale keys at or after dirty_tail */
	bool tail_written;
	/* --skip-bad: the log emptied so that the kernel accepts the cache */
	bool key_tail_moved;
	struct pc_pos key_tail_before;
	bool verdict_checked, kernel_accepts;
	const char *result;	/* clean, written, dry_run, refused */
	char error[600];
	int exit_code;		/* the status the run ends with */
};

/* plan.c */
int wb_open(struct wb *w);
int wb_plan(struct wb *w);
/* verify.c: fills the per-key memo of data CRC verdicts in cache order */
int wb_verify(struct wb *w, uint8_t *memo);
/* map.c */
void wb_map_open(struct wb *w);
void wb_map_close(struct wb *w);
const uint8_t *wb_map_get(struct wb *w, uint64_t off, uint64_t len);
bool wb_map_guard(void (*fn)(void *), void *arg);
/* copy.c */
int wb_copy(struct wb *w);
int wb_finish(struct wb *w);
/* salvage.c */
int wb_past_end(struct wb *w);
int wb_salvage_finish(struct wb *w);
/* verdict.c: after --skip-bad, leave a cache the kernel accepts or fail */
int wb_after_skip(struct wb *w);
/* report.c */
void wb_report(struct wb *w);
void wb_refuse(struct wb *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
