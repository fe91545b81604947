/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check.h - the offline checker behind pcache-fsck (FORMAT.md 16).
 *
 * One table (pc_problems[]) describes every finding: a stable code, the
 * FORMAT.md check it implements, a severity, whether and when it can be
 * repaired, and one sentence for the manual. The checker runs every stage
 * it can reach, keeps going after errors, and records findings; repairs
 * are applied afterwards, each recorded as a finding of its own.
 *
 * The checker survives any bytes: every index, loop and length it takes
 * from the device is bounded.
 */
#ifndef PC_CHECK_H
#define PC_CHECK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcache.h"

enum pc_sev {
	PC_SEV_INFO,		/* a repair made, or a note */
	PC_SEV_HARMLESS,
	PC_SEV_INCONSISTENT,
	PC_SEV_LOSS,
	PC_SEV_REJECT,
};

/* When a finding may be repaired. */
enum pc_fix {
	PC_FIX_NEVER,
	PC_FIX_PREEN,		/* safe without asking: -p and -y */
	PC_FIX_YES,		/* -y only */
};

#define PC_PROBLEMS(X)							\
	X(DEV_SMALL, "C1", REJECT, NEVER)				\
	X(DEV_READ, "-", REJECT, NEVER)					\
	X(SB_UNFORMATTED, "C2", HARMLESS, NEVER)			\
	X(SB_UNFORMATTED_USED, "C2", LOSS, YES)				\
	X(SB_MAGIC, "C3", REJECT, YES)					\
	X(SB_CRC, "C4", REJECT, YES)					\
	X(SB_ENDIAN, "C5", REJECT, NEVER)				\
	X(SB_FLAGS, "C6", HARMLESS, NEVER)				\
	X(SB_SEG_NUM, "C7", REJECT, NEVER)				\
	X(SB_UNUSED, "C8", HARMLESS, NEVER)				\
	X(INFO_NONE, "C9", LOSS, NEVER)					\
	X(INFO_NONE_FRESH, "C9", HARMLESS, NEVER)			\
	X(INFO_TORN, "C10", HARMLESS, PREEN)				\
	X(INFO_SEQ, "C11", INCONSISTENT, PREEN)				\
	X(INFO_DATA_CRC, "C12", REJECT, NEVER)				\
	X(INFO_NOINIT, "C13", LOSS, NEVER)				\
	X(INFO_LAZY, "C13", HARMLESS, NEVER)				\
	X(INFO_NSEGS_ZERO, "C14", REJECT, NEVER)			\
	X(INFO_NSEGS_BIG, "C15", REJECT, NEVER)				\
	X(INFO_NSEGS_SMALL, "C16", INCONSISTENT, NEVER)			\
	X(INFO_MODE, "C17", HARMLESS, NEVER)				\
	X(INFO_GC, "C18", INCONSISTENT, NEVER)				\
	X(INFO_RESERVED, "C19", HARMLESS, NEVER)			\
	X(INFO_STRIDE, "6.3", HARMLESS, NEVER)				\
	X(CHAIN_RANGE, "C20", REJECT, NEVER)				\
	X(SEGINFO_NONE, "C21", REJECT, YES)				\
	X(CHAIN_SHORT, "C22", REJECT, YES)				\
	X(CHAIN_DUP, "C23", INCONSISTENT, NEVER)			\
	X(CHAIN_LAST_NEXT, "C24", HARMLESS, NEVER)			\
	X(SEGINFO_TYPE, "C25", HARMLESS, NEVER)				\
	X(SEGINFO_TORN, "C10", HARMLESS, PREEN)				\
	X(SEGINFO_SEQ, "C26", INCONSISTENT, PREEN)			\
	X(SEGINFO_STRIDE, "6.3", HARMLESS, NEVER)			\
	X(GEN_NONE, "C27", HARMLESS, NEVER)				\
	X(GEN_NONE_USED, "C27", INCONSISTENT, YES)			\
	X(GEN_TORN, "C10", HARMLESS, PREEN)				\
	X(GEN_SEQ, "C28", INCONSISTENT, PREEN)				\
	X(TAIL_ORPHAN, "C29", LOSS, NEVER)				\
	X(TAIL_NONE, "C30", REJECT, NEVER)				\
	X(TAIL_TORN, "C10", HARMLESS, PREEN)				\
	X(TAIL_RANGE, "C31", REJECT, NEVER)				\
	X(TAIL_ALIGN, "C32", INCONSISTENT, NEVER)			\
	X(TAIL_DRIFT, "C33", HARMLESS, PREEN)				\
	X(TAIL_STALE, "C33", INCONSISTENT, NEVER)			\
	X(DLOG_WALK, "C34", REJECT, NEVER)				\
	X(LOG_NEXT, "C35", REJECT, NEVER)				\
	X(LOG_LOOP, "C35", REJECT, NEVER)				\
	X(LOG_READ, "C35", REJECT, NEVER)				\
	X(KEY_LEN_ZERO, "C36", REJECT, NEVER)				\
	X(KEY_BACKING, "C36", REJECT, NEVER)				\
	X(KEY_SEG_ID, "C36", REJECT, NEVER)				\
	X(KEY_SEG_OVERFLOW, "C36", REJECT, NEVER)			\
	X(KEY_DATA_CRC, "C36", REJECT, NEVER)				\
	X(DATA_NOT_CAPTURED, "C36", HARMLESS, NEVER)			\
	X(DTAIL_OFF_LOG, "C37", INCONSISTENT, YES)			\
	X(LOG_NOFIT, "C38", HARMLESS, PREEN)				\
	X(LOG_OVERRUN, "C38", REJECT, YES)				\
	X(LOG_TORN, "C39", HARMLESS, PREEN)				\
	X(LOG_TRUNCATED, "C39", LOSS, NEVER)				\
	X(KSET_EMPTY, "C40", HARMLESS, NEVER)				\
	X(KSET_FLAGS, "C40", HARMLESS, NEVER)				\
	X(KEY_EMPTY, "C41", INCONSISTENT, NEVER)			\
	X(KEY_FLAGS, "C42", HARMLESS, NEVER)				\
	X(KEY_ALIGN, "C43", INCONSISTENT, NEVER)			\
	X(KEY_SUBTREE, "C44", INCONSISTENT, NEVER)			\
	X(KEY_SEG_OFF_ALIGN, "C45", HARMLESS, NEVER)			\
	X(KEY_STALE_TAIL, "C46", HARMLESS, NEVER)			\
	X(KEY_STALE, "C47", INCONSISTENT, NEVER)			\
	X(KEY_STALE_DIRTY, "C47", LOSS, NEVER)				\
	X(KEY_GEN_AHEAD, "C48", INCONSISTENT, YES)			\
	X(KEY_IN_KEY_SEG, "C49", INCONSISTENT, NEVER)			\
	X(KEY_OVERLAP, "C50", INCONSISTENT, NEVER)			\
	X(KEY_RESERVED, "C51", HARMLESS, NEVER)				\
	X(BACKING_UNKNOWN, "C36", HARMLESS, NEVER)			\
	X(DIRTY_DATA, "C53", INFO, NEVER)				\
	X(BACKING_DIFF, "C54", INCONSISTENT, NEVER)			\
	X(DATA_UNVERIFIED, "C36", HARMLESS, NEVER)			\
	X(FIX_SLOT, "-", INFO, NEVER)					\
	X(FIX_SB, "-", INFO, NEVER)					\
	X(FIX_CHAIN, "-", INFO, NEVER)					\
	X(FIX_LOG_END, "-", INFO, NEVER)				\
	X(FIX_DIRTY_TAIL, "-", INFO, NEVER)				\
	X(FIX_GEN, "-", INFO, NEVER)					\
	X(FIX_REFUSED, "-", INFO, NEVER)				\
	X(LOG_REENTER, "C35", LOSS, NEVER)

enum pc_code {
#define PC_X_ENUM(name, c, sev, fix) PCK_##name,
	PC_PROBLEMS(PC_X_ENUM)
#undef PC_X_ENUM
	PCK__COUNT
};

struct pc_problem {
	const char *code;	/* stable: "PC-SB-MAGIC" */
	const char *check;	/* FORMAT.md 16 check, "C3" */
	enum pc_sev sev;
	enum pc_fix fix;
	const char *what;	/* one sentence, for the manual */
	const char *repair;	/* what a repair does, or NULL */
};

struct pc_problem pc_problem(enum pc_code code);

const char *pc_sev_name(enum pc_sev s);	/* "reject", "loss", ... */
/* "kernel_refuses", "data_at_risk", "harmless", "info" */
const char *pc_sev_impact(enum pc_sev s);

#define PC_RANGES_MAX 8

struct pc_range {
	uint64_t off;
	uint64_t len;
};

struct pc_finding {
	enum pc_code code;
	char structure[24];	/* "superblock", "cache_info", "kset", ... */
	int slot;		/* -1 when not a dual-slot copy */
	int64_t cache_seg;	/* -1 when not applicable */
	int64_t phys_seg;	/* -1 when not applicable */
	int64_t dev_off;	/* -1 when not applicable */
	uint64_t count;		/* occurrences folded into this finding */
	bool repaired;		/* a FIX_* finding follows for it */
	bool refused;		/* repair refused (would lose dirty data) */
	bool no_fix;		/* this instance cannot be repaired */
	/* PCD_* strictness flags (pcache_rules.h) under which a module
	 * refuses the cache for this finding, whatever its severity */
	unsigned int reject_if;
	/* ... and under which one takes it although the finding is a REJECT */
	unsigned int accept_if;
	char msg[400];
	struct pc_range ranges[PC_RANGES_MAX];	/* affected backing ranges */
	unsigned int n_ranges;
	uint64_t ranges_total;	/* ranges in all, when more than listed */
};

enum pc_repair_mode {
	PC_REPAIR_NONE,		/* -n */
	PC_REPAIR_PREEN,	/* -p */
	PC_REPAIR_ALL,		/* -y */
};

struct pc_check_opts {
	uint64_t backing_size;	/* 0: unknown */
	int data_crc;		/* -1 unknown, else the table line's option */
	bool verify_data;
	/*
	 * The backing device, opened read-only, or NULL: with it, every
	 * extent that should already be on it is compared with it (C54).
	 */
	struct pc_dev *backing;
	enum pc_repair_mode repair;
	/*
	 * The module whose verdict pc_check_kernel_accepts() gives: 0 for
	 * upstream's, PCD_STRICT_OURS for ours (stricter, kernel/DESIGN.md).
	 */
	unsigned int strict;
	/* phase name, done, total; may be NULL */
	void (*progress)(void *ctx, const char *phase, uint64_t done,
			 uint64_t total);
	void *progress_ctx;
	volatile sig_atomic_t *cancel;	/* set asynchronously to stop */
	/*
	 * With @backing: 0 compares every extent; N compares at most N,
	 * spread evenly over them, and at most 64 KiB of each (a quick
	 * identity check of the backing device, pcache create).
	 */
	uint32_t backing_sample;
};

struct pc_seg_use {
	uint32_t cache_seg;
	uint32_t phys;
	uint64_t gen;
	uint64_t keys;		/* non-stale keys pointing into it */
	uint64_t live_bytes;	/* bytes of the resolved index in it */
};

/* What the checker learnt: the summary and usage sections of a report. */
struct pc_check_usage {
	bool sb_valid;
	bool loaded;		/* chain and tails usable: log walked */
	uint64_t dev_size;
	uint32_t seg_num;
	uint32_t seg_fit;
	uint32_t n_segs;
	uint32_t info_flags;
	uint32_t gc_percent;
	bool data_crc;
	struct pc_pos key_tail, dirty_tail, key_head;
	enum pc_walk_end log_end;
	uint64_t ksets, last_ksets, keys, stale_keys, stale_keys_tail;
	uint64_t clean_keys, dirty_keys;
	uint64_t max_key_end;	/* largest off + len seen */
	uint64_t verified_keys, verified_bytes;
	bool data_unverified;	/* DATA_CRC cache, data CRCs not checked */
	uint32_t *key_segs;	/* cache ids in log order */
	uint32_t n_key_segs;
	struct pc_seg_use *data_segs;
	uint32_t n_data_segs;
	uint32_t segs_used;
	uint64_t live_bytes;	/* resolved index */
	uint64_t dirty_bytes;	/* live, non-CLEAN, at or after dirty_tail */
	uint64_t dirty_key_bytes;	/* sum of dirty keys' len after dirty_tail */
	uint64_t clean_bytes;	/* live - dirty */
	/* C54, with opts.backing: compared extents, bytes; differing ones */
	bool backing_compared;
	uint64_t backing_extents, backing_bytes, backing_diffs;
	char status_line[160];
};

struct pc_check;

/* Create a checker for @dev (opened read-write when repairs are wanted). */
struct pc_check *pc_check_new(struct pc_dev *dev,
			      const struct pc_check_opts *opts);
void pc_check_free(struct pc_check *ck);
/*
 * Check, then repair as opts->repair allows and flush. Returns 0 when the
 * run completed (whatever was found), -ECANCELED when cancelled, or another
 * negative errno for an operational failure (details in pc_check_error()).
 */
int pc_check_run(struct pc_check *ck);
const struct pc_err *pc_check_error(const struct pc_check *ck);
const struct pc_finding *pc_check_findings(const struct pc_check *ck,
					   size_t *n);
const struct pc_check_usage *pc_check_usage(const struct pc_check *ck);
/*
 * The cache as the checker loaded it, as far as it got (stage, chain,
 * tails): further than pc_cache_open() goes on a cache the kernel refuses.
 */
struct pc_cache *pc_check_cache(struct pc_check *ck);
/* Findings of @code folded away beyond the per-code limit. */
uint64_t pc_check_count(const struct pc_check *ck, enum pc_code code);
/* Repairs made; errors (severity >= INCONSISTENT) left unrepaired. */
unsigned int pc_check_repairs(const struct pc_check *ck);
unsigned int pc_check_unrepaired(const struct pc_check *ck);
/* True when the kernel would accept the cache as it is now: the module
 * of the options' strict word. */
bool pc_check_kernel_accepts(const struct pc_check *ck);
/* The same for the module of @strict (0: upstream's, PCD_STRICT_OURS). */
bool pc_check_accepts(const struct pc_check *ck, unsigned int strict);

/*
 * 1 when @dev has no valid superblock but the metadata of a cache lies
 * behind it (what PC-SB-UNFORMATTED-USED and the superblock rebuild look
 * at), or has one whose cache_info the caller found lost or without
 * INIT_DONE but valid tail or segment records behind it; described in
 * @what; 0 when not; -1 when out of memory. A writer must treat such a
 * device as a cache that may hold dirty data.
 */
int pc_check_cache_remains(struct pc_dev *dev, char *what, size_t len);

/* e2fsck-compatible exit bits */
#define PC_FSCK_OK		0
#define PC_FSCK_CORRECTED	1
#define PC_FSCK_UNCORRECTED	4
#define PC_FSCK_ERROR		8
#define PC_FSCK_USAGE		16
#define PC_FSCK_CANCELED	32

/* The exit status a run deserves (not counting usage errors). */
int pc_check_exit_code(const struct pc_check *ck, int run_ret);

#endif /* PC_CHECK_H */
