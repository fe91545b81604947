/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * bench.h - shared declarations of pcache-bench.
 *
 * pcache-bench has two subcommands: "io" (a block-device workload generator
 * that also samples dm-pcache status) and "lib" (libpcache microbenchmarks).
 */
#ifndef PCACHE_BENCH_H
#define PCACHE_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>
#include <popt.h>

#include "cli.h"
#include "pcstatus.h"

#define BENCH_NAME	"pcache-bench"

/* Exit codes (documented in pcache-bench.8). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	CLI_EXIT_USAGE	/* as every pcache tool, see cli.h */

/* ---- util.c ----------------------------------------------------------- */

/* Set by SIGINT/SIGTERM, read by every thread: atomic, lock-free int. */
extern volatile sig_atomic_t bench_stop;

static inline bool stop_requested(void)
{
	return __atomic_load_n(&bench_stop, __ATOMIC_RELAXED);
}

static inline void stop_request(void)
{
	__atomic_store_n(&bench_stop, 1, __ATOMIC_RELAXED);
}

#define bench_err cli_err
int bench_popt_loop(poptContext ctx, struct poptOption *table, char **argp,
		    int (*handle)(int val, void *o), void *o);
int parse_size(const char *s, uint64_t *out);
int parse_seconds(const char *s, double *out);
uint64_t now_ns(void);
void fmt_size(char *buf, size_t len, double bytes);
void fmt_ns(char *buf, size_t len, double ns);
int install_sigint(void);
bool stderr_is_tty(void);
json_object *json_header(const char *command);
void json_print(json_object *root);

/* ---- hist.c: log-linear latency histogram ----------------------------- */

#define HIST_SUB_BITS	6
#define HIST_SUB	(1U << HIST_SUB_BITS)		/* 64 sub-buckets */
#define HIST_MAX_BITS	48				/* ~78 hours in ns */
#define HIST_BUCKETS	((HIST_MAX_BITS - HIST_SUB_BITS) * HIST_SUB + 2 * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	double sum;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t ns);
void hist_merge(struct hist *dst, const struct hist *src);
uint64_t hist_percentile(const struct hist *h, double pct);
double hist_mean(const struct hist *h);
unsigned int hist_index(uint64_t v);
uint64_t hist_bucket_low(unsigned int idx);
uint64_t hist_bucket_width(unsigned int idx);

/* ---- opts.c: options of "io" ------------------------------------------ */

enum rw_mode { RW_RANDWRITE, RW_RANDREAD, RW_WRITE, RW_READ, RW_RANDRW };

struct io_opts {
	const char *device;
	enum rw_mode rw;
	uint64_t bs;
	unsigned int jobs;
	unsigned int iodepth;
	uint64_t size;		/* 0: whole device */
	double runtime;		/* seconds; 0: one pass of --size */
	bool direct;
	unsigned int fsync_every;
	uint64_t seed;
	unsigned int rwmixread;
	double interval;	/* dm status sample interval, seconds */
	const char *status_from;	/* tests: status lines from a file */
	bool force;
	bool json;
	bool quiet;
};

const char *rw_name(enum rw_mode rw);
bool rw_writes(enum rw_mode rw);
bool rw_random(enum rw_mode rw);
int io_parse_opts(int argc, const char **argv, struct io_opts *o);

/* ---- target.c: the device under test ---------------------------------- */

struct target {
	const char *path;
	int fd;
	int lock_fd;		/* a loop device's file, locked; or -1 */
	bool is_block;
	uint64_t size;		/* bytes */
	unsigned int lbs;	/* logical block size */
	unsigned int major, minor;
	char dm_name[128];	/* "" unless a device-mapper device */
};

int target_open(struct target *t, const struct io_opts *o);
void target_close(struct target *t);
int target_check_safe(const struct target *t, const struct io_opts *o);
int path_check_safe(const char *path, bool force);

/* ---- engine.c: the workload ------------------------------------------- */

struct dir_stats {
	uint64_t ios;
	uint64_t bytes;
	struct hist lat;
};

struct job {
	unsigned int id;
	const struct io_opts *o;
	const struct target *t;
	int fd;
	uint64_t region_off, region_len;	/* sequential: own slice */
	uint64_t rng;
	uint64_t seq_pos;
	uint64_t limit_ios;			/* 0: until time runs out */
	uint64_t issued;			/* I/Os started */
	uint64_t start_ns, end_ns;
	uint64_t fsyncs;
	uint64_t writes_since_fsync;
	struct dir_stats rd, wr;
	volatile uint64_t done_ios;		/* for progress */
	int err;				/* errno of a failed I/O */
	uint64_t err_off;
	bool err_write;
};

struct run {
	const struct io_opts *o;
	const struct target *t;
	unsigned int njobs;
	struct job *jobs;
	uint64_t start_ns, end_ns;
	bool interrupted;
};

int engine_run(struct run *r, void (*tick)(struct run *r, void *arg), void *arg);
void engine_free(struct run *r);
uint64_t rng_next(uint64_t *s);

/* aio.c: iodepth > 1 through Linux native AIO */
int aio_job_loop(struct job *j);
/* engine.c helpers used by aio.c */
bool job_next(struct job *j, uint64_t *off, bool *is_write);
bool job_should_stop(struct job *j);
void job_account(struct job *j, bool is_write, uint64_t lat_ns);
int job_fsync_due(struct job *j);

/* ---- dmstat.c: dm-pcache status sampler ------------------------------- */
/* struct pcs_status, pcs_parse(), pcs_distance(): cmd/common/pcstatus.h */


struct pos_track {
	uint64_t advances;		/* samples in which the position changed */
	uint64_t segs_crossed;		/* of those, how many changed segment */
	uint64_t bytes_min;		/* lower bound of log bytes moved */
};

struct dm_sampler {
	bool active;			/* device is a dm-pcache device */
	char name[128];
	unsigned int samples;
	unsigned int errors;
	struct pcs_status first, last;
	unsigned int used_min, used_max;
	uint64_t dirty_max;		/* max lower bound of dirty log bytes */
	struct pos_track head, writeback, gc;
	FILE *replay;			/* --status-from */
	char replay_last[512];
};

int dm_target_status(const char *name, char *type, size_t tlen,
		     char *params, size_t plen);
int dm_sampler_start(struct dm_sampler *s, const char *dm_name, FILE *replay);
void dm_sampler_sample(struct dm_sampler *s);

/* ---- report.c --------------------------------------------------------- */

void report_human(const struct run *r, const struct dm_sampler *s, FILE *f);
json_object *report_json(const struct run *r, const struct dm_sampler *s);

/* ---- io.c / lib.c: subcommands ---------------------------------------- */

int cmd_io(int argc, const char **argv);
int cmd_lib(int argc, const char **argv);

#endif /* PCACHE_BENCH_H */
