/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libbench.h - "pcache-bench lib": libpcache microbenchmarks.
 */
#ifndef PCACHE_BENCH_LIBBENCH_H
#define PCACHE_BENCH_LIBBENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "pcache.h"

/* The largest cache device: PCD_SEGS_MAX segments after the header. */
#define LB_MAX_DEV_SIZE	(PCD_SEGS_OFF + (uint64_t)PCD_SEGS_MAX * PCD_SEG_SIZE)

struct lb_opts {
	const char *image;	/* NULL: a temporary sparse file */
	uint64_t size;		/* image size */
	uint64_t format_size;	/* 0: skip the large format */
	uint64_t crc_size;	/* buffer for CRC and memory bandwidth */
	uint64_t ksets;		/* ksets to append */
	double min_time;	/* seconds per rate measurement */
	bool keep;
	bool force;
	bool json;
	bool quiet;
};

struct lb_crc {
	bool done;
	const char *impl;
	uint64_t buf_bytes;
	double mem_read_bps;	/* plain 64-bit loads over the buffer */
	double crc_mem_bps;	/* pc_crc32c over the whole buffer */
	double crc_hot_bps;	/* 64 KiB, cache resident */
	double crc_4k_bps;	/* one call per 4 KiB block */
	double portable_bps;	/* table implementation, cache resident */
};

struct lb_format {
	bool done;
	uint64_t target_size;	/* the size asked for */
	uint64_t size;		/* the size formatted (file limits) */
	uint32_t seg_num;
	double seconds;
	double extrapolated_s;	/* seconds scaled to target_size's segments */
	uint32_t target_segs;
};

struct lb_append {
	bool done;
	uint64_t ksets;
	uint64_t last_ksets;
	uint64_t keys;
	uint64_t log_bytes;
	uint32_t segments;
	double seconds;
};

struct lb_replay {
	bool done;
	uint64_t ksets;
	uint64_t keys;
	uint64_t extents;
	uint64_t log_bytes;
	double seconds;
};

struct lb_scan {
	bool done;
	uint32_t segments;
	double open_s;		/* pc_cache_open: sb, info, chain, tails */
	double replay_s;	/* pc_replay of the (empty) log */
	double fsck_s;		/* pc_check_run(), read-only */
	uint64_t fsck_findings;
	bool fsck_accepts;	/* the checker says the kernel would load it */
};

struct lb_results {
	const char *image;
	bool temporary;
	uint64_t size;
	uint32_t seg_num;
	bool interrupted;
	struct lb_crc crc;
	struct lb_format format;
	struct lb_format format_max;
	struct lb_append append;
	struct lb_replay replay;
	struct lb_scan scan;
};

/* libmicro.c */
extern bool lb_progress;	/* show progress on stderr (a terminal) */
double lb_now(void);
int lb_crc_bench(const struct lb_opts *o, struct lb_crc *res);
int lb_format_image(const char *path, uint64_t size, struct lb_format *res,
		    struct pc_err *err);
int lb_append_bench(const char *path, uint64_t ksets, struct lb_append *res,
		    struct pc_err *err);
int lb_replay_bench(const char *path, struct lb_replay *res, struct pc_err *err);
int lb_scan_bench(const char *path, struct lb_scan *res, struct pc_err *err);

/* libreport.c */
void lb_report_human(const struct lb_results *r, FILE *f);
void lb_report_json(const struct lb_results *r);

#endif /* PCACHE_BENCH_LIBBENCH_H */
