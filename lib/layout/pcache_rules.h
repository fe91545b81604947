/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * pcache_rules.h - the rules that decide what a cache on media means.
 *
 * Each rule is written here once and used by libpcache, the checker, the
 * commands and (after its rewrite) our kernel target. Like
 * pcache_layout.h this header uses nothing from libc: only the types of
 * <linux/types.h>. Rules return reason codes; the caller words them.
 * Section numbers refer to docs/FORMAT.md, corrections to
 * docs/format-errata.md.
 */
#ifndef PCACHE_RULES_H
#define PCACHE_RULES_H

#include "pcache_layout.h"

/* CRC32C seeded with PCD_CRC_SEED over @len bytes (no inversion). */
typedef __u32 (*pcd_crc_fn)(const void *buf, __u32 len);

/*
 * Where our target is deliberately stricter than upstream's, each rule
 * concerned takes a @strict word: 0 judges as upstream's module, a flag
 * below adds one of our refusals. PCD_STRICT_OURS is our target's word, so
 * a reader can ask either question of the same rule.
 */
#define PCD_KEY_STRICT		0x1U	/* pcd_key_judge(): C41, C43, C44 */
#define PCD_CHAIN_DISTINCT	0x2U	/* pcd_chain_revisit(): C23 */
#define PCD_LOG_ONCE		0x4U	/* pcd_log_enter(): a key segment twice */
#define PCD_LOG_DIRTY_ON_WALK	0x8U	/* pcd_replay_judge(): C37 */
#define PCD_LOG_KEYS_OFF_LOG	0x10U	/* pcd_replay_judge(): C49 */
#define PCD_KSET_OWN		0x20U	/* pcd_kset_model_of(): E1 */
#define PCD_STRICT_OURS		0x3fU

/* ---- The cache device (3.4, 8.1) ------------------------------------- */

/* 8.1 step 1: below 512 MiB the kernel refuses (-ENOSPC) before reading. */
static inline int pcd_dev_size_ok(__u64 dev_size)
{
	return dev_size >= PCD_DEV_SIZE_MIN;
}

/* ---- Superblock (8.2, H1) --------------------------------------------- */

enum pcd_sb_verdict {
	PCD_SB_OK,
	PCD_SB_UNFORMATTED,	/* magic 0: the kernel would format */
	PCD_SB_BAD_MAGIC,	/* REJECT -EINVAL */
	PCD_SB_BAD_CRC,		/* REJECT -EINVAL */
	PCD_SB_ENDIAN,		/* REJECT -EINVAL (unless the reader swaps) */
	PCD_SB_SEG_NUM,		/* REJECT -EIO */
};

/* Largest seg_num H1 allows on a device of @dev_size bytes. */
static inline __u64 pcd_sb_seg_num_max(__u64 dev_size)
{
	__u64 fit = pcd_segs_for_size(dev_size);

	return fit < PCD_SEGS_MAX ? fit : PCD_SEGS_MAX;
}

/*
 * The kernel's checks of a superblock, in its order. @swap_ok: the reader
 * decodes the other byte order (the library does; the kernel does not).
 */
static inline enum pcd_sb_verdict
pcd_sb_judge(__u64 magic, __u32 crc_stored, __u32 crc_calc, __u32 flags,
	     __u32 seg_num, __u64 dev_size, int swap_ok)
{
	if (magic == 0)
		return PCD_SB_UNFORMATTED;
	if (magic != PCD_SB_MAGIC)
		return PCD_SB_BAD_MAGIC;
	if (crc_stored != crc_calc)
		return PCD_SB_BAD_CRC;
	if (!swap_ok && !!(flags & PCD_SB_F_BIGENDIAN) != PCD_HOST_BIG_ENDIAN)
		return PCD_SB_ENDIAN;
	if (seg_num == 0 || seg_num > pcd_sb_seg_num_max(dev_size))
		return PCD_SB_SEG_NUM;
	return PCD_SB_OK;
}

/* H2 with 8.3.4: n_segs 0 is fatal too (the kernel's own check misses it). */
static inline int pcd_info_n_segs_ok(__u32 n_segs, __u32 seg_num)
{
	return n_segs != 0 && n_segs <= seg_num;
}

/* H4/H5: a tail names a chain index below n_segs and an offset in the area. */
static inline int pcd_pos_ok(__u32 seg, __u32 off, __u32 n_segs)
{
	return seg < n_segs && off < PCD_SEG_DATA_SIZE;
}

/* ---- The segment chain (7, H3) ---------------------------------------- */

enum pcd_link_verdict {
	PCD_LINK_OK,
	PCD_LINK_NO_NEXT,	/* REJECT -EFAULT: the chain ends early (C22) */
	PCD_LINK_RANGE,		/* REJECT -EIO: id >= seg_num (H3, C20) */
	/* PCD_CHAIN_DISTINCT only */
	PCD_LINK_TWICE = 16,	/* REJECT -EIO: a physical id again (C23) */
};

/*
 * The physical id of cache segment @i into *@phys: cache_info's @seg_id
 * for the first, else the link in the chosen segment_info of cache segment
 * i - 1 (@prev_flags, @prev_next), which must have HAS_NEXT. The last
 * segment's link is never looked at.
 */
static inline enum pcd_link_verdict
pcd_chain_link(__u32 i, __u32 seg_id, __u32 prev_flags, __u32 prev_next,
	       __u32 seg_num, __u32 *phys)
{
	if (i > 0 && !(prev_flags & PCD_SEGI_F_HAS_NEXT))
		return PCD_LINK_NO_NEXT;
	*phys = i > 0 ? prev_next : seg_id;
	if (*phys >= seg_num)
		return PCD_LINK_RANGE;
	return PCD_LINK_OK;
}

/*
 * A physical id the chain already holds (@seen): upstream takes it, and
 * two cache segment ids alias one segment (17.16); PCD_CHAIN_DISTINCT
 * refuses it once that segment's segment_info is read.
 */
static inline enum pcd_link_verdict pcd_chain_revisit(int seen,
						      unsigned int strict)
{
	return seen && (strict & PCD_CHAIN_DISTINCT) ? PCD_LINK_TWICE :
						       PCD_LINK_OK;
}

/* ---- The backing device (8.3.1) --------------------------------------- */

/* Bytes of a backing device of @size bytes as the kernel sees it: whole
 * 512-byte sectors. */
static inline __u64 pcd_backing_bytes(__u64 size)
{
	return size & ~(__u64)(PCD_SECTOR_SIZE - 1);
}

/* ---- Dual-slot records (6.2, 6.3) ------------------------------------- */

/*
 * Slot the next copy goes to (the crash-safe rule): the one not holding
 * the newest valid copy (@chosen, or -1 when neither is valid). With no
 * valid copy the kernel's index is 0 and its writers advance it before
 * writing, so the first copy goes to slot 1 (6.4, 6.5, 8.3). The tails a
 * format writes are the exception (slot 0, 6.4, by quirk 17.1): a
 * formatter places them itself.
 */
static inline int pcd_next_slot(int chosen)
{
	return chosen == 1 ? 0 : 1;
}

/* seq of the next copy: newest + 1, or 1 when there is no valid copy. */
static inline __u8 pcd_next_seq(int chosen, __u8 newest_seq)
{
	return chosen < 0 ? 1 : (__u8)(newest_seq + 1);
}

/* Seal a record of @size bytes in host order: seq, version 0, res 0, CRC
 * over bytes 4 .. size-1 (5.3). */
static inline void pcd_meta_seal(void *rec, __u32 size, __u8 seq,
				 pcd_crc_fn crc)
{
	struct pcd_meta_hdr *h = (struct pcd_meta_hdr *)rec;

	h->seq = seq;
	h->version = 0;
	h->res = 0;
	h->crc = crc((const __u8 *)rec + 4, size - 4);
}

/* ---- The kset log (9.3, 9.5, 9.6, H8-H10) ----------------------------- */

/*
 * Where our target is deliberately stricter than upstream's: it validates
 * a kset from the bytes at its own position only. Upstream copies
 * min(5144, rest of segment) bytes into a buffer it never clears, so near a
 * segment's end a kset is judged partly from an earlier kset's bytes (or
 * the zeros of the first fill): quirk 17.12, and docs/format-errata.md for
 * what that makes of H9.
 */
enum pcd_kset_model {
	PCD_KSET_UPSTREAM,	/* the reused buffer, as upstream 7.2 */
	PCD_KSET_OWN_BYTES,	/* own bytes only; no fit = end of log */
};

static inline enum pcd_kset_model pcd_kset_model_of(unsigned int strict)
{
	return strict & PCD_KSET_OWN ? PCD_KSET_OWN_BYTES : PCD_KSET_UPSTREAM;
}

/* The kset header fields, host order. */
struct pcd_kset_hdr {
	__u32 crc;
	__u32 key_num;		/* LAST: the next cache segment id */
	__u64 magic;
	__u64 flags;
};

enum pcd_kset_verdict {
	PCD_KSET_KEYS,		/* a kset of key_num keys */
	PCD_KSET_LAST,		/* a link: check it with pcd_last_judge() */
	PCD_KSET_NEED_CRC,	/* header passes: compute the CRC, judge again */
	PCD_KSET_END_MAGIC,	/* end of log */
	PCD_KSET_END_KEY_NUM,	/* end of log: key_num > 128 (non-LAST) */
	PCD_KSET_END_CRC,	/* end of log */
	PCD_KSET_END_NO_ROOM,	/* OWN_BYTES: under 24 bytes left */
	PCD_KSET_END_TOO_BIG,	/* OWN_BYTES: the kset does not fit */
	PCD_KSET_REJECT_TOO_BIG,	/* UPSTREAM: CRC passed, no fit (H9) */
};

static inline __u32 pcd_kset_remain(__u32 off)
{
	return off < PCD_SEG_DATA_SIZE ? PCD_SEG_DATA_SIZE - off : 0;
}

/* Bytes upstream copies into its buffer for the kset at @off. */
static inline __u32 pcd_kset_copy_len(__u32 off)
{
	__u32 remain = pcd_kset_remain(off);

	return remain < PCD_KSET_SIZE_MAX ? remain : PCD_KSET_SIZE_MAX;
}

/* Bytes a kset's CRC covers, header included (5.4); valid after the header
 * check has bounded key_num. */
static inline __u32 pcd_kset_crc_len(const struct pcd_kset_hdr *h)
{
	return h->flags & PCD_KSET_F_LAST ? PCD_KSET_HDR_SIZE :
					    pcd_kset_size(h->key_num);
}

/*
 * First step, before any CRC: @h is decoded from the bytes the model
 * reads at data offset @off (upstream: its buffer). NEED_CRC means: compute
 * the CRC over pcd_kset_crc_len() bytes from byte 4 of the same bytes and
 * call pcd_kset_judge_crc().
 */
static inline enum pcd_kset_verdict
pcd_kset_judge_hdr(const struct pcd_kset_hdr *h, __u32 off,
		   enum pcd_kset_model m)
{
	__u32 remain = pcd_kset_remain(off);

	if (m == PCD_KSET_OWN_BYTES && remain < PCD_KSET_HDR_SIZE)
		return PCD_KSET_END_NO_ROOM;
	if (h->magic != PCD_KSET_MAGIC)
		return PCD_KSET_END_MAGIC;
	if (h->flags & PCD_KSET_F_LAST)
		return PCD_KSET_NEED_CRC;
	if (h->key_num > PCD_KSET_KEYS_MAX)
		return PCD_KSET_END_KEY_NUM;
	if (m == PCD_KSET_OWN_BYTES && pcd_kset_size(h->key_num) > remain)
		return PCD_KSET_END_TOO_BIG;
	return PCD_KSET_NEED_CRC;
}

/*
 * Second step. Upstream checks the CRC before the size (9.5 step 2.2
 * before 2.4): a kset that does not fit is refused only when the CRC over
 * its buffer passes, and a LAST kset is taken wherever it is.
 */
static inline enum pcd_kset_verdict
pcd_kset_judge_crc(const struct pcd_kset_hdr *h, __u32 crc_calc, __u32 off)
{
	if (h->crc != crc_calc)
		return PCD_KSET_END_CRC;
	if (h->flags & PCD_KSET_F_LAST)
		return PCD_KSET_LAST;
	if (pcd_kset_size(h->key_num) > pcd_kset_remain(off))
		return PCD_KSET_REJECT_TOO_BIG;
	return PCD_KSET_KEYS;
}

/* Both steps over @buf (the model's bytes for the kset at @off; at least
 * PCD_KSET_SIZE_MAX bytes for UPSTREAM, pcd_kset_crc_len() for OWN_BYTES). */
static inline enum pcd_kset_verdict
pcd_kset_judge(const struct pcd_kset_hdr *h, const void *buf, __u32 off,
	       enum pcd_kset_model m, pcd_crc_fn crc)
{
	enum pcd_kset_verdict v = pcd_kset_judge_hdr(h, off, m);

	if (v != PCD_KSET_NEED_CRC)
		return v;
	return pcd_kset_judge_crc(h, crc((const __u8 *)buf + 4,
					 pcd_kset_crc_len(h) - 4), off);
}

enum pcd_last_verdict {
	PCD_LAST_OK,
	PCD_LAST_NEXT_RANGE,	/* REJECT: next id >= n_segs (H4) */
	PCD_LAST_HOPS,		/* REJECT: more than seg_num hops (H10) */
};

/*
 * A LAST link, @hops counting this one. Replay checks the hop count first;
 * the dirty_tail walk (@id_first) the id first (9.6).
 */
static inline enum pcd_last_verdict
pcd_last_judge(__u32 next, __u32 hops, __u32 seg_num, __u32 n_segs,
	       int id_first)
{
	if (id_first && next >= n_segs)
		return PCD_LAST_NEXT_RANGE;
	if (hops > seg_num)
		return PCD_LAST_HOPS;
	if (next >= n_segs)
		return PCD_LAST_NEXT_RANGE;
	return PCD_LAST_OK;
}

/* Seal the kset in @buf (host order, keys in place): key_num (LAST: the
 * next cache segment id), magic, flags, CRC (5.4). Returns its size. */
static inline __u32 pcd_kset_seal(void *buf, __u32 key_num, int last,
				  pcd_crc_fn crc)
{
	struct pcd_kset *ks = (struct pcd_kset *)buf;
	__u32 size = last ? PCD_KSET_HDR_SIZE : pcd_kset_size(key_num);

	ks->key_num = key_num;
	ks->magic = PCD_KSET_MAGIC;
	ks->flags = last ? PCD_KSET_F_LAST : 0;
	ks->crc = crc((const __u8 *)buf + 4, size - 4);
	return size;
}

/* The append rule (9.3): a kset of @size bytes goes at @off only if a LAST
 * kset still fits after it; otherwise the log moves on first. */
static inline int pcd_kset_room(__u32 off, __u32 size)
{
	return pcd_kset_remain(off) >= size + PCD_KSET_HDR_SIZE;
}

/* ---- Replay's walk over the log (9.5) --------------------------------- */

enum pcd_log_verdict {
	PCD_LOG_OK,
	/* our refusals, each under its flag */
	PCD_LOG_REENTER = 16,	/* PCD_LOG_ONCE: a key segment entered twice */
	PCD_LOG_DIRTY_OFF,	/* PCD_LOG_DIRTY_ON_WALK: C37 */
	PCD_LOG_KEYS_IN_LOG,	/* PCD_LOG_KEYS_OFF_LOG: C49 */
};

/*
 * Replay enters the segment of key_tail, then each segment a LAST kset
 * names; @entered: that segment was entered before on this walk. Upstream
 * reads on (into the older ksets before key_tail, and the ksets after the
 * LAST kset are lost); PCD_LOG_ONCE refuses.
 */
static inline enum pcd_log_verdict pcd_log_enter(int entered,
						 unsigned int strict)
{
	return entered && (strict & PCD_LOG_ONCE) ? PCD_LOG_REENTER :
						    PCD_LOG_OK;
}

/*
 * After a walk that ended at the end of the log: @dirty_on_walk, dirty_tail
 * was one of the walk's positions (key_tail, after each kset, the end);
 * @keys_in_log, a live key points into a segment the walk entered.
 * Upstream checks neither (17.17, C49).
 */
static inline enum pcd_log_verdict
pcd_replay_judge(int dirty_on_walk, int keys_in_log, unsigned int strict)
{
	if (!dirty_on_walk && (strict & PCD_LOG_DIRTY_ON_WALK))
		return PCD_LOG_DIRTY_OFF;
	if (keys_in_log && (strict & PCD_LOG_KEYS_OFF_LOG))
		return PCD_LOG_KEYS_IN_LOG;
	return PCD_LOG_OK;
}

/* ---- Keys (9.7, H6, H7) and staleness (9.5 step 5) -------------------- */

enum pcd_key_verdict {
	PCD_KEY_OK,
	PCD_KEY_LEN_ZERO,
	PCD_KEY_BEYOND_BACKING,
	PCD_KEY_SEG_RANGE,
	PCD_KEY_SEG_OVERFLOW,
	/* PCD_KEY_STRICT only (our target's own refusals, 18.3) */
	PCD_KEY_EMPTY = 16,	/* EMPTY on media (17.13, C41) */
	PCD_KEY_ALIGN,		/* off or len not 512-aligned (C43) */
	PCD_KEY_CROSS,		/* crosses a 4 MiB region (C44) */
};

/* C43: whole sectors. */
static inline int pcd_key_aligned(__u64 off, __u32 len)
{
	return !((off | len) & (PCD_SECTOR_SIZE - 1));
}

/* C44: more than 4 MiB, or across a 4 MiB boundary (len 0 crosses none). */
static inline int pcd_key_crosses(__u64 off, __u32 len)
{
	return len > PCD_KEY_LEN_MAX ||
	       (len && pcd_subtree(off) != pcd_subtree(off + len - 1));
}

/* The decode checks in the kernel's order. @backing: bytes as the kernel
 * sees them (pcd_backing_bytes()); 0 skips that bound (a reader that does
 * not know the backing device). @strict: PCD_KEY_STRICT adds our refusals. */
static inline enum pcd_key_verdict
pcd_key_judge(__u64 off, __u32 len, __u32 seg_id, __u32 seg_off, __u32 flags,
	      __u64 backing, __u32 n_segs, unsigned int strict)
{
	if (len == 0)
		return PCD_KEY_LEN_ZERO;
	if (backing && (len > backing || off > backing - len))
		return PCD_KEY_BEYOND_BACKING;
	if (seg_id >= n_segs)
		return PCD_KEY_SEG_RANGE;
	if ((__u64)seg_off + len > PCD_SEG_DATA_SIZE)
		return PCD_KEY_SEG_OVERFLOW;
	if (!(strict & PCD_KEY_STRICT))
		return PCD_KEY_OK;
	if (flags & PCD_KEY_F_EMPTY)
		return PCD_KEY_EMPTY;
	if (!pcd_key_aligned(off, len))
		return PCD_KEY_ALIGN;
	if (pcd_key_crosses(off, len))
		return PCD_KEY_CROSS;
	return PCD_KEY_OK;
}

/* A key older than its segment's generation is ignored by replay. */
static inline int pcd_key_stale(__u64 key_gen, __u64 seg_gen)
{
	return key_gen < seg_gen;
}

/* C48: a key ahead of its segment's generation (a generation record lost
 * or rolled back). Replay takes it like any live key (9.5 step 5). */
static inline int pcd_key_gen_ahead(__u64 key_gen, __u64 seg_gen)
{
	return key_gen > seg_gen;
}

/*
 * The generation a live key's extent is served under: the segment's own
 * at replay. A key ahead of it stays live (as upstream, whose extents count
 * while seg_gen >= gen) until the segment is next reclaimed, and no longer:
 * an extent kept at the key's own generation would either not be served
 * (an index that wants equality) or outlive the bump (one that wants >=).
 */
static inline __u64 pcd_key_live_gen(__u64 key_gen, __u64 seg_gen)
{
	return pcd_key_gen_ahead(key_gen, seg_gen) ? seg_gen : key_gen;
}

#endif /* PCACHE_RULES_H */
