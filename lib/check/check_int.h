/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal state of the checker, shared by the lib/check sources. */
#ifndef PC_CHECK_INT_H
#define PC_CHECK_INT_H

#include "check.h"

/* Findings of one code kept individually; the rest are counted. */
#define PC_FINDINGS_PER_CODE 16

enum pc_repair_kind {
	PC_RP_SLOT,		/* rewrite a dual-slot record's other copy */
	PC_RP_LOG_END,		/* zero 24 bytes at key_head */
	PC_RP_DIRTY_TAIL,	/* move dirty_tail (provably nothing lost) */
	PC_RP_GEN,		/* set a segment's generation */
	PC_RP_SB,		/* write the rebuilt superblock */
	PC_RP_SEGINFO,		/* a fresh segment_info with an inferred link */
};

struct pc_repair {
	enum pc_repair_kind kind;
	size_t finding;		/* index of the finding it repairs */
	struct pc_dual *dual;	/* PC_RP_SLOT, PC_RP_DIRTY_TAIL, PC_RP_GEN */
	uint64_t off, stride;	/* the record's slot 0 and stride */
	const char *what;	/* structure name, for the report */
	int64_t cache_seg;
	struct pc_pos pos;	/* PC_RP_DIRTY_TAIL */
	uint64_t value;		/* PC_RP_GEN */
	uint64_t dev_off;	/* PC_RP_LOG_END */
	bool dropped;		/* withdrawn by a later finding */
};

struct pc_check {
	struct pc_dev *dev;
	struct pc_check_opts o;
	struct pc_err err;
	int ret;

	struct pc_finding *f;
	size_t n_f, cap_f;
	uint64_t counts[PCK__COUNT];

	struct pc_repair *rp;
	size_t n_rp, cap_rp;
	unsigned int repairs_done;

	/* the cache as loaded so far; c.segs has c.segs_loaded entries */
	struct pc_cache c;
	bool info_ok;		/* cache_info usable (INIT_DONE, n_segs ok) */
	bool chain_ok;
	bool tails_ok[2];
	bool reject;		/* some finding says the kernel refuses */
	bool sb_rebuilt;	/* going on with a rebuilt superblock */
	long sb_finding;	/* the superblock finding it repairs */
	bool trial;		/* a dry run of the repairs: no nested trial */
	struct pc_replay r;	/* keys collected on the key_tail walk */
	struct pc_check_usage u;
	/* image restored from a metadata capture (pc_ck_restored) */
	int restored;		/* -1 unknown, 0 no, 1 yes */
	uint64_t uncaptured_keys, uncaptured_bytes;
	struct pc_pf *pf;	/* read-ahead of the chain stage, or NULL */
	struct pc_ahead *ahead;	/* chain parts read by helpers, or NULL */
};


/* Add a finding; returns its index, or -1 when folded into the count. */
__attribute__((format(printf, 7, 8)))
long pc_ck_add(struct pc_check *ck, enum pc_code code, const char *structure,
	       int slot, int64_t cache_seg, int64_t dev_off,
	       const char *fmt, ...);
struct pc_finding *pc_ck_get(struct pc_check *ck, long idx);
/* Finding @idx makes a module refuse the cache under the PCD_* @flags
 * (the shared rule said so when judged with them). */
void pc_ck_strict(struct pc_check *ck, long idx, unsigned int flags);
/* A REJECT finding @idx that a module takes under the PCD_* @flags. */
void pc_ck_lenient(struct pc_check *ck, long idx, unsigned int flags);
/* Plan a repair for finding @idx if the mode allows it. */
bool pc_ck_plan(struct pc_check *ck, long idx, const struct pc_repair *rp);
bool pc_ck_cancelled(struct pc_check *ck);
/* Withdraw planned slot rewrites of @d (its other copy must be kept). */
void pc_ck_unplan(struct pc_check *ck, const struct pc_dual *d);
void pc_ck_progress(struct pc_check *ck, const char *phase, uint64_t done,
		    uint64_t total);
/* Operational failure (not a finding): remembered, the run stops. */
int pc_ck_fail(struct pc_check *ck, int ret, const struct pc_err *err);

/* Dual-slot record: report torn copies and seq gaps, plan restores. */
void pc_ck_dual(struct pc_check *ck, struct pc_dual *d, const char *what,
		int64_t cache_seg, uint64_t off, uint64_t stride,
		enum pc_code torn, enum pc_code seq, bool tail);

/* A valid record between two slots (pre-fix slot stride). */
void pc_ck_stride(struct pc_check *ck, uint64_t off, unsigned int size,
		  enum pc_code code, const char *what, int64_t seg);
void pc_ck_stride_rec(struct pc_check *ck, const uint8_t *raw, uint64_t off,
		      unsigned int size, enum pc_code code, const char *what,
		      int64_t seg);
/* Both copies of a record; unreadable slots beyond the device end. */
int pc_ck_read_dual(struct pc_check *ck, uint64_t off, uint64_t stride,
		    unsigned int size, struct pc_dual *d);

/* Append text to a finding's message (truncated to fit). */
__attribute__((format(printf, 2, 3)))
void pc_ck_append(struct pc_finding *f, const char *fmt, ...);

/* Add a backing range [off, off + len) to a finding (merged, capped). */
void pc_ck_range(struct pc_finding *f, uint64_t off, uint64_t len);

/* Stages */
int pc_ck_sb(struct pc_check *ck);
int pc_ck_info(struct pc_check *ck);
int pc_ck_chain(struct pc_check *ck);
int pc_ck_tails(struct pc_check *ck);
int pc_ck_log(struct pc_check *ck);
/* C54: compare the extents that should be on the backing device with it. */
int pc_ck_backing(struct pc_check *ck, bool dirty_tail_on_log);
int pc_ck_repair(struct pc_check *ck);
/* Make the planned repairs in memory first; withhold them if worse. */
int pc_ck_trial(struct pc_check *ck);
/* Would the kernel's verdict on @after be worse than on @before? */
bool pc_ck_worse(const struct pc_check *before, const struct pc_check *after);
/* Drop every planned repair, saying why in the findings they were for. */
void pc_ck_withhold(struct pc_check *ck, const char *why);

/* A superblock from the device size and cache_info; 0, or -1 with @why. */
int pc_ck_sb_rebuild(struct pc_check *ck, struct pc_sb *sb, char *why,
		     size_t len);
/* After the stages: do the chain and tails load under the rebuilt one? */
bool pc_ck_sb_rebuild_holds(const struct pc_check *ck);

/* Is anything on the device a sign of a cache that was used? */
bool pc_ck_used_evidence(struct pc_check *ck);

/* "s" unless @n is 1, for counts in finding messages. */
static inline const char *pck_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static inline bool pc_ck_pos_eq(struct pc_pos a, struct pc_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

/*
 * Data verification on an image pcache-metadump restored: the data was not
 * captured. pc_ck_restored() counts the key as unverifiable and returns
 * true there; pc_ck_restored_note() reports the total (check_restored.c).
 */
bool pc_ck_restored(struct pc_check *ck, uint32_t len);
void pc_ck_restored_note(struct pc_check *ck);

#endif
