// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The findings table: one entry per finding code. It drives the text and
 * JSON reports and the list in pcache-fsck(8). Codes are stable: never
 * renumber or reuse one.
 */
#include "check.h"

#define P(name, code_, what_, repair_)					\
	[PCK_##name] = { .code = code_, .what = what_, .repair = repair_ }

#define SB_REBUILD							\
	"rebuild the superblock (magic, seg_num = cache_info n_segs, the "	\
	"byte order in which cache_info validates) when a valid, "	\
	"initialised cache_info lies behind it and the chain, tails and log "	\
	"load under the rebuilt one"

#define CHAIN_INFER							\
	"where the chain up to it is physical 0, 1, 2, ... (every cache the "	\
	"kernel formats) and the next physical segment holds a valid "	\
	"segment_info, write a fresh segment_info linking to it (the other "	\
	"slot, seq + 1); never copy the copy that lacks the link"

static const struct pc_problem texts[PCK__COUNT] = {
	P(DEV_SMALL, "PC-DEV-SMALL",
	  "The cache device is smaller than 512 MiB, the kernel's minimum.",
	  NULL),
	P(DEV_READ, "PC-DEV-READ",
	  "Metadata could not be read (media error, or it lies beyond the end of the device).",
	  NULL),
	P(SB_UNFORMATTED, "PC-SB-UNFORMATTED",
	  "The superblock magic is 0: the device is not formatted and the kernel will format it at activation.",
	  NULL),
	P(SB_UNFORMATTED_USED, "PC-SB-UNFORMATTED-USED",
	  "The superblock magic is 0 but other metadata shows a previous cache, which activation would destroy.",
	  SB_REBUILD),
	P(SB_MAGIC, "PC-SB-MAGIC",
	  "The superblock magic is neither 0 nor the pcache magic: not a pcache device, or a damaged superblock over a cache.",
	  SB_REBUILD),
	P(SB_CRC, "PC-SB-CRC",
	  "The superblock CRC does not match its contents.", SB_REBUILD),
	P(SB_ENDIAN, "PC-SB-ENDIAN",
	  "The superblock byte-order flag does not match this host; the kernel here refuses the device.",
	  NULL),
	P(SB_FLAGS, "PC-SB-FLAGS",
	  "Unused superblock flag bits or padding bytes are not zero (ignored by the kernel).",
	  NULL),
	P(SB_SEG_NUM, "PC-SB-SEG-NUM",
	  "seg_num is 0, larger than the device holds, or above 1048576.",
	  NULL),
	P(SB_UNUSED, "PC-SB-UNUSED",
	  "seg_num is smaller than what the device holds; the rest of the device is unused.",
	  NULL),
	P(INFO_NONE, "PC-INFO-NONE",
	  "Neither cache_info copy is valid: the kernel would silently re-initialise the cache and drop its content.",
	  NULL),
	P(INFO_NONE_FRESH, "PC-INFO-NONE-FRESH",
	  "Neither cache_info copy is valid and nothing suggests a used cache: the kernel initialises it at first activation.",
	  NULL),
	P(INFO_TORN, "PC-INFO-TORN",
	  "One cache_info copy has a bad CRC (torn or corrupt); the kernel uses the other.",
	  "rewrite the bad copy from the valid one, as the kernel would (seq + 1)"),
	P(INFO_SEQ, "PC-INFO-SEQ",
	  "Both cache_info copies are valid but their sequence numbers are not adjacent.",
	  "rewrite the older copy from the newer one (seq + 1)"),
	P(INFO_DATA_CRC, "PC-INFO-DATA-CRC",
	  "The cache's DATA_CRC flag differs from the data_crc option of the table line.",
	  NULL),
	P(INFO_NOINIT, "PC-INFO-NOINIT",
	  "cache_info lacks INIT_DONE although the device holds a used cache: activation would re-initialise it.",
	  NULL),
	P(INFO_LAZY, "PC-INFO-LAZY",
	  "Formatted without initialisation (INIT_DONE clear); the kernel completes initialisation at first activation.",
	  NULL),
	P(INFO_NSEGS_ZERO, "PC-INFO-NSEGS-ZERO",
	  "cache_info n_segs is 0.", NULL),
	P(INFO_NSEGS_BIG, "PC-INFO-NSEGS-BIG",
	  "cache_info n_segs is larger than the superblock's seg_num.", NULL),
	P(INFO_NSEGS_SMALL, "PC-INFO-NSEGS-SMALL",
	  "cache_info n_segs is smaller than seg_num; the GC threshold may never be reached.",
	  NULL),
	P(INFO_MODE, "PC-INFO-MODE",
	  "The stored cache mode is not writeback (ignored by the kernel).",
	  NULL),
	P(INFO_GC, "PC-INFO-GC",
	  "gc_percent is above 90; above 100 garbage collection never runs.",
	  NULL),
	P(INFO_RESERVED, "PC-INFO-RESERVED",
	  "Unused cache_info flag bits, reserved field or header version/res are not zero.",
	  NULL),
	P(INFO_STRIDE, "PC-INFO-STRIDE",
	  "A valid cache_info record sits between the two slots (written by an early 6.18 kernel with the slot-stride bug); it is ignored.",
	  NULL),
	P(CHAIN_RANGE, "PC-CHAIN-RANGE",
	  "A segment id of the chain (cache_info seg_id or a next_seg link) is not below seg_num.",
	  NULL),
	P(SEGINFO_NONE, "PC-SEGINFO-NONE",
	  "A chain segment has no valid segment_info copy.", CHAIN_INFER),
	P(CHAIN_SHORT, "PC-CHAIN-SHORT",
	  "A chain segment before the last has no next link: the chain is shorter than n_segs.",
	  CHAIN_INFER),
	P(CHAIN_DUP, "PC-CHAIN-DUP",
	  "The chain visits a physical segment twice (a loop): two cache segment ids alias the same storage.",
	  NULL),
	P(CHAIN_LAST_NEXT, "PC-CHAIN-LAST-NEXT",
	  "The last chain segment has a next link (ignored by the kernel).",
	  NULL),
	P(SEGINFO_TYPE, "PC-SEGINFO-TYPE",
	  "segment_info type is not 1 or unused flag bits are set (ignored by the kernel).",
	  NULL),
	P(SEGINFO_TORN, "PC-SEGINFO-TORN",
	  "One segment_info copy has a bad CRC (torn or corrupt); the kernel uses the other.",
	  "rewrite the bad copy from the valid one (seq + 1)"),
	P(SEGINFO_SEQ, "PC-SEGINFO-SEQ",
	  "Both segment_info copies are valid but their sequence numbers are not adjacent.",
	  "rewrite the older copy from the newer one (seq + 1)"),
	P(SEGINFO_STRIDE, "PC-SEGINFO-STRIDE",
	  "A valid segment_info record sits between the two 4 KiB-strided slots (early 6.18 slot-stride bug); it is ignored.",
	  NULL),
	P(GEN_NONE, "PC-GEN-NONE",
	  "A segment has no valid generation record; the kernel uses generation 0, and no key needs more.",
	  NULL),
	P(GEN_NONE_USED, "PC-GEN-NONE-USED",
	  "A segment has no valid generation record while keys reference it with a generation above 0.",
	  "write the generation the keys carry, when they all agree"),
	P(GEN_TORN, "PC-GEN-TORN",
	  "One generation record copy has a bad CRC (torn or corrupt); the kernel uses the other.",
	  "rewrite the bad copy from the valid one (seq + 1)"),
	P(GEN_SEQ, "PC-GEN-SEQ",
	  "Both generation copies are valid but their sequence numbers are not adjacent.",
	  "rewrite the older copy from the newer one (seq + 1)"),
	P(TAIL_ORPHAN, "PC-TAIL-ORPHAN",
	  "A valid tail record survives while cache_info is invalid; after re-initialisation it could point replay into the old log.",
	  NULL),
	P(TAIL_NONE, "PC-TAIL-NONE",
	  "A tail (key_tail or dirty_tail) has no valid copy.", NULL),
	P(TAIL_TORN, "PC-TAIL-TORN",
	  "One copy of a tail has a bad CRC (torn or corrupt); the kernel uses the other.",
	  "rewrite the bad copy from the valid one (seq + 1)"),
	P(TAIL_RANGE, "PC-TAIL-RANGE",
	  "A tail's segment id is not below n_segs or its offset is outside the data area.",
	  NULL),
	P(TAIL_ALIGN, "PC-TAIL-ALIGN",
	  "A tail's offset is not a multiple of 8.", NULL),
	P(TAIL_DRIFT, "PC-TAIL-DRIFT",
	  "The two valid copies of a tail have drifted 64 or more sequence numbers apart; at 128 the kernel picks the older one.",
	  "rewrite the older copy from the newer one (seq + 1)"),
	P(TAIL_STALE, "PC-TAIL-STALE",
	  "The tail copy the kernel chooses is behind the other valid copy on the log: the kernel's choice is stale.",
	  NULL),
	P(DLOG_WALK, "PC-DLOG-WALK",
	  "The log walk from dirty_tail fails the kernel's activation check.",
	  NULL),
	P(LOG_NEXT, "PC-LOG-NEXT",
	  "A LAST kset on the log links to a cache segment id not below n_segs.",
	  NULL),
	P(LOG_LOOP, "PC-LOG-LOOP",
	  "The log loops (a LAST link leads back to a position already walked); the kernel stops after seg_num hops and refuses.",
	  NULL),
	P(LOG_READ, "PC-LOG-READ",
	  "The log walk reached bytes that cannot be read.", NULL),
	P(LOG_REENTER, "PC-LOG-REENTER",
	  "A LAST kset leads back to the start of key_tail's segment: upstream's kernel replays the older ksets before key_tail and loses the ksets after the LAST kset; our module refuses the cache.",
	  NULL),
	P(KEY_LEN_ZERO, "PC-KEY-LEN-ZERO",
	  "A key on the log has length 0.", NULL),
	P(KEY_BACKING, "PC-KEY-BACKING",
	  "A key's range runs beyond the end of the backing device.", NULL),
	P(KEY_SEG_ID, "PC-KEY-SEG-ID",
	  "A key's cache segment id is not below n_segs.", NULL),
	P(KEY_SEG_OVERFLOW, "PC-KEY-SEG-OVERFLOW",
	  "A key's extent runs past the end of its segment's data area.",
	  NULL),
	P(KEY_DATA_CRC, "PC-KEY-DATA-CRC",
	  "A key's data CRC does not match the cached data (checked by default on data_crc caches; the kernel refuses the cache).",
	  NULL),
	P(DATA_NOT_CAPTURED, "PC-DATA-NOT-CAPTURED",
	  "The image was restored by pcache-metadump from a metadata capture: the cached data was not captured, so data CRCs were not verified (not a corruption).",
	  NULL),
	P(DTAIL_OFF_LOG, "PC-DTAIL-OFF-LOG",
	  "dirty_tail is not on the log walk from key_tail: GC could reclaim undelivered dirty data.",
	  "set dirty_tail to key_tail when the log from dirty_tail reaches key_tail (nothing dirty is skipped)"),
	P(LOG_NOFIT, "PC-LOG-NOFIT",
	  "The log ends at a kset that does not fit in the rest of its segment: the kernel's CRC over its buffer (the bytes left in the segment, then stale bytes) fails, so it ends the log there and accepts the cache.",
	  "zero its header so that the log ends there cleanly"),
	P(LOG_OVERRUN, "PC-LOG-OVERRUN",
	  "A kset at the log head does not fit in the rest of its segment, yet its CRC passes over the kernel's buffer (the bytes left in the segment, then stale bytes): the kernel refuses the cache (H9).",
	  "zero its header so that the log ends there"),
	P(LOG_TORN, "PC-LOG-TORN",
	  "The log ends at a torn kset (magic present, CRC or key count bad) with nothing valid of this lap after it: a torn final write.",
	  "zero the torn header so that the log ends there explicitly"),
	P(LOG_TRUNCATED, "PC-LOG-TRUNCATED",
	  "The log ends at a damaged kset (bad CRC, bad key count, garbage over its header) although valid ksets of this lap follow it: the kernel silently drops their keys; the ranges listed are their dirty data (pcache-writeback --salvage rescues it).",
	  NULL),
	P(KSET_EMPTY, "PC-KSET-EMPTY",
	  "A kset holds no keys (never written by the kernel; accepted).",
	  NULL),
	P(KSET_FLAGS, "PC-KSET-FLAGS",
	  "A kset's flags are neither 0 nor 1 (extra bits ignored).", NULL),
	P(KEY_EMPTY, "PC-KEY-EMPTY",
	  "A key carries the EMPTY flag; replaying it can crash the kernel.",
	  NULL),
	P(KEY_FLAGS, "PC-KEY-FLAGS",
	  "A key has unknown flag bits set (ignored).", NULL),
	P(KEY_ALIGN, "PC-KEY-ALIGN",
	  "A key's offset or length is not a multiple of 512; writeback would write to the wrong place.",
	  NULL),
	P(KEY_SUBTREE, "PC-KEY-SUBTREE",
	  "A key is longer than 4 MiB or crosses a 4 MiB logical boundary.",
	  NULL),
	P(KEY_SEG_OFF_ALIGN, "PC-KEY-SEG-OFF-ALIGN",
	  "A key's cache_seg_off is not a multiple of 512 (unexpected, harmless).",
	  NULL),
	P(KEY_STALE_TAIL, "PC-KEY-STALE-TAIL",
	  "Stale keys (older generation than their segment) in the kset at key_tail: an interrupted garbage collection, normal.",
	  NULL),
	P(KEY_STALE, "PC-KEY-STALE",
	  "Stale keys in a kset other than the one at key_tail.", NULL),
	P(KEY_STALE_DIRTY, "PC-KEY-STALE-DIRTY",
	  "Dirty keys at or after dirty_tail, outside the kset at key_tail, are stale (their segment has a newer generation) and no newer key covers their range: replay drops them and the kernel serves the backing device's older data there.",
	  NULL),
	P(KEY_GEN_AHEAD, "PC-KEY-GEN-AHEAD",
	  "A key's generation is newer than its segment's: a generation record was lost or rolled back.",
	  "raise the segment's generation to the one its keys carry, when they all agree"),
	P(KEY_IN_KEY_SEG, "PC-KEY-IN-KEY-SEG",
	  "A live key points into a segment that holds part of the log.",
	  NULL),
	P(KEY_OVERLAP, "PC-KEY-OVERLAP",
	  "The cached data of two live keys overlap in the cache.", NULL),
	P(KEY_RESERVED, "PC-KEY-RESERVED",
	  "A key's reserved field, or its data_crc without DATA_CRC, is not zero.",
	  NULL),
	P(BACKING_UNKNOWN, "PC-BACKING-UNKNOWN",
	  "The backing device size is unknown: keys were not bounded by it (give --backing-size or --backing).",
	  NULL),
	P(DIRTY_DATA, "PC-DIRTY-DATA",
	  "The cache holds dirty data not yet written back to the backing device.",
	  NULL),
	P(BACKING_DIFF, "PC-BACKING-DIFF",
	  "A cached extent that should already be on the backing device (before dirty_tail, or clean) differs from the backing device's bytes: a write bypassed the cache or a writeback was lost. Not repairable: which copy is right cannot be known.",
	  NULL),
	P(DATA_UNVERIFIED, "PC-DATA-UNVERIFIED",
	  "The data CRCs of a data_crc cache were not verified (--no-verify-data): the kernel verifies every replayed key's data at activation and refuses the cache on a mismatch, so whether it accepts the cache is not known.",
	  NULL),
	P(FIX_SLOT, "PC-FIX-SLOT",
	  "Repair: a dual-slot record's bad or stale copy was rewritten from the valid one.",
	  NULL),
	P(FIX_SB, "PC-FIX-SB",
	  "Repair: the superblock was rebuilt from cache_info and the device size.",
	  NULL),
	P(FIX_CHAIN, "PC-FIX-CHAIN",
	  "Repair: a segment_info was rewritten with an inferred next link.",
	  NULL),
	P(FIX_LOG_END, "PC-FIX-LOG-END",
	  "Repair: the log was ended explicitly at key_head (24 zero bytes).",
	  NULL),
	P(FIX_DIRTY_TAIL, "PC-FIX-DIRTY-TAIL",
	  "Repair: dirty_tail was moved to key_tail.", NULL),
	P(FIX_GEN, "PC-FIX-GEN",
	  "Repair: a segment's generation record was rewritten.", NULL),
	P(FIX_REFUSED, "PC-FIX-REFUSED",
	  "Repair refused: it would lose dirty data (the affected backing ranges are listed), the planned repairs made in memory first would leave the kernel's verdict worse, or the device's byte order differs from this host's; nothing of it is written.",
	  NULL),
};

static const struct pc_problem policy[PCK__COUNT] = {
#define PC_X_ROW(name, c, s, f)						\
	[PCK_##name] = { .check = c, .sev = PC_SEV_##s, .fix = PC_FIX_##f },
	PC_PROBLEMS(PC_X_ROW)
#undef PC_X_ROW
};

struct pc_problem pc_problem(enum pc_code code)
{
	struct pc_problem p = policy[code];

	p.code = texts[code].code;
	p.what = texts[code].what;
	p.repair = texts[code].repair;
	return p;
}

const char *pc_sev_name(enum pc_sev s)
{
	static const char *const n[] = { "info", "harmless", "inconsistent",
					 "loss", "reject" };

	return s <= PC_SEV_REJECT ? n[s] : "?";
}

const char *pc_sev_impact(enum pc_sev s)
{
	switch (s) {
	case PC_SEV_REJECT:
		return "kernel_refuses";
	case PC_SEV_LOSS:
	case PC_SEV_INCONSISTENT:
		return "data_at_risk";
	case PC_SEV_HARMLESS:
		return "harmless";
	case PC_SEV_INFO:
		break;
	}
	return "info";
}
