/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcache.h - libpcache: read, check and write dm-pcache cache devices.
 *
 * Layers, bottom up:
 *   pcache_layout.h   on-media structures and pure rules (shared with kernel/)
 *   pc_crc32c()       the format's CRC
 *   struct pc_dev     device access (image file, block device, devdax)
 *   pc_slot_*()       dual-slot records: decode both copies, pick, write
 *   struct pc_cache   an opened cache: superblock, cache_info, chain, tails
 *   pc_walk_*()       the kset log, from any position
 *   pc_replay_*()     the index the kernel would build (newest wins)
 *   pc_format_*()     writing a fresh, fully initialised cache
 *
 * Errors are returned as negative errno values; a struct pc_err, when given,
 * receives one line naming the device, structure, slot and field.
 */
#ifndef PCACHE_H
#define PCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcache_layout.h"

/* PCACHE_TOOLS_VERSION, the version of pcache-tools, is not defined here:
 * the build passes it from the file VERSION (pkg-config --modversion libpcache). */

/* ---- Errors ----------------------------------------------------------- */

struct pc_err {
	int code;		/* negative errno, 0 when unset */
	char msg[512];
};

void pc_err_set(struct pc_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pc_err_clear(struct pc_err *err);

/* ---- CRC32C (seed PCD_CRC_SEED, no inversion) ------------------------- */

uint32_t pc_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t pc_crc32c_portable(uint32_t crc, const void *buf, size_t len);
/* Name of the implementation selected at run time ("sse4.2", "table"). */
const char *pc_crc32c_impl(void);

/* CRC of a dual-slot record or kset: bytes 4 .. len-1, seeded. */
static inline uint32_t pc_meta_crc(const void *rec, size_t len)
{
	return pc_crc32c(PCD_CRC_SEED, (const uint8_t *)rec + 4, len - 4);
}

/* ---- Device access ---------------------------------------------------- */

enum pc_dev_kind {
	PC_DEV_FILE,		/* regular file (image) */
	PC_DEV_BLOCK,		/* block device */
	PC_DEV_DEVDAX,		/* device-DAX character device (libpmem2) */
};

#define PC_OPEN_RDWR	0x1	/* default: read-only */
#define PC_OPEN_EXCL	0x2	/* O_EXCL on block devices: fail if in use */

struct pc_dev;

int pc_dev_open(const char *path, unsigned int flags, struct pc_dev **out,
		struct pc_err *err);
void pc_dev_close(struct pc_dev *dev);
int pc_dev_read(struct pc_dev *dev, uint64_t off, void *buf, size_t len,
		struct pc_err *err);
int pc_dev_write(struct pc_dev *dev, uint64_t off, const void *buf,
		 size_t len, struct pc_err *err);
int pc_dev_zero(struct pc_dev *dev, uint64_t off, uint64_t len,
		struct pc_err *err);
/* Make every write so far durable. */
int pc_dev_flush(struct pc_dev *dev, struct pc_err *err);
uint64_t pc_dev_size(const struct pc_dev *dev);
/* True when [off, off + len) is known to read as zeros (a file hole). */
bool pc_dev_is_hole(struct pc_dev *dev, uint64_t off, uint64_t len);
const char *pc_dev_path(const struct pc_dev *dev);
enum pc_dev_kind pc_dev_kind(const struct pc_dev *dev);
bool pc_dev_writable(const struct pc_dev *dev);
const char *pc_dev_kind_name(enum pc_dev_kind kind);

/* ---- Dual-slot records ------------------------------------------------ */

enum pc_slot_state {
	PC_SLOT_VALID,
	PC_SLOT_ZERO,		/* never written: all bytes zero */
	PC_SLOT_BAD_CRC,	/* torn or corrupt */
	PC_SLOT_UNREADABLE,	/* media error */
};

struct pc_slot {
	enum pc_slot_state state;
	uint64_t dev_off;	/* where this copy lives */
	uint32_t crc_stored;
	uint32_t crc_calc;
	uint8_t seq;
	uint8_t version;
	uint16_t res;
	/* The record as stored; 8-aligned so callers can read it through
	 * the record's struct (pcd_seg_gen has a u64). */
	uint8_t raw[24] __attribute__((aligned(8)));
};

struct pc_dual {
	struct pc_slot slot[PCD_SLOTS];
	int chosen;		/* the kernel's choice: 0, 1, or -1 (none) */
	unsigned int size;	/* record size in bytes */
};

/* Read both copies of a record of @size bytes at @off and @off + @stride. */
int pc_dual_read(struct pc_dev *dev, bool swap, uint64_t off, uint64_t stride,
		 unsigned int size, struct pc_dual *d, struct pc_err *err);
/* The chosen copy's bytes, or NULL. */
const void *pc_dual_rec(const struct pc_dual *d);
/* Forward distance from the other valid copy's seq to the chosen one's. */
int pc_dual_seq_gap(const struct pc_dual *d);
/*
 * Write @rec (@d->size bytes, header included) as the new newest copy the
 * crash-safe way: into the slot that does not hold the newest valid copy,
 * with seq = newest + 1, version and res 0. Updates @d. Not flushed.
 */
int pc_dual_write(struct pc_dev *dev, uint64_t off, uint64_t stride,
		  struct pc_dual *d, void *rec, struct pc_err *err);
const char *pc_slot_state_name(enum pc_slot_state st);

/* ---- An opened cache -------------------------------------------------- */

struct pc_pos {
	uint32_t seg;		/* cache segment id (chain index) */
	uint32_t off;		/* data offset */
};

struct pc_sb {
	uint32_t crc_stored;
	uint32_t crc_calc;
	uint32_t flags;
	uint64_t magic;
	uint32_t seg_num;
	uint32_t padding;
};

struct pc_info {
	uint32_t seg_id;
	uint32_t n_segs;
	uint32_t flags;
	uint32_t reserved;
	uint8_t seq;
};

struct pc_seg {
	uint32_t phys;		/* physical id */
	struct pc_dual info;	/* segment_info slots */
	uint32_t flags;		/* chosen segment_info */
	uint32_t next;
	struct pc_dual gen_slots;
	uint64_t gen;		/* 0 when no valid copy, as the kernel does */
};

/* How far pc_cache_open() got: each stage needs the previous ones. */
enum pc_stage {
	PC_STAGE_NONE,
	PC_STAGE_SB,		/* superblock valid */
	PC_STAGE_INFO,		/* cache_info chosen, INIT_DONE */
	PC_STAGE_CHAIN,		/* every chain segment loaded */
	PC_STAGE_TAILS,		/* both tails valid and in range */
	PC_STAGE_READY = PC_STAGE_TAILS,
};

struct pc_cache {
	struct pc_dev *dev;
	uint64_t dev_size;
	bool swap;		/* image byte order differs from host */
	enum pc_stage stage;
	struct pc_sb sb;
	struct pc_dual info_slots;
	struct pc_info info;
	struct pc_seg *segs;	/* chain order; info.n_segs entries */
	uint32_t segs_loaded;
	struct pc_dual tail_slots[2];	/* key_tail, dirty_tail */
	struct pc_pos key_tail;
	struct pc_pos dirty_tail;
};

enum { PC_KEY_TAIL, PC_DIRTY_TAIL };

/*
 * Open the cache on @dev as the kernel's activation does (FORMAT.md 8.1-8.5
 * step 1), applying every bound it applies. On failure the stage reached and
 * the state loaded so far stay available in *out (free with
 * pc_cache_free()); *out is NULL only when memory ran out.
 */
int pc_cache_open(struct pc_dev *dev, struct pc_cache **out,
		  struct pc_err *err);
void pc_cache_free(struct pc_cache *c);

int pc_sb_read(struct pc_dev *dev, struct pc_sb *sb, struct pc_err *err);
bool pc_sb_valid(const struct pc_sb *sb);

/* Physical id of cache segment @seg, or -1 when out of range. */
int64_t pc_cache_phys(const struct pc_cache *c, uint32_t seg);
/* Device offset of a position's data byte. */
uint64_t pc_cache_pos_dev_off(const struct pc_cache *c, struct pc_pos p);
bool pc_cache_data_crc(const struct pc_cache *c);

/* Write a tail (PC_KEY_TAIL / PC_DIRTY_TAIL) the crash-safe way. */
int pc_cache_write_tail(struct pc_cache *c, int which, struct pc_pos p,
			struct pc_err *err);

/* ---- Kset log walk ---------------------------------------------------- */

enum pc_kset_kind {
	PC_KSET_KEYS,		/* a non-LAST kset */
	PC_KSET_LAST,		/* link to another segment */
	PC_KSET_END,		/* end of the log (no valid kset here) */
	PC_KSET_ERROR,		/* the kernel would REJECT (see reason) */
};

enum pc_walk_end {
	PC_END_NONE,
	PC_END_MAGIC,		/* no kset magic: ordinary end of log */
	PC_END_KEY_NUM,		/* magic, but key_num > 128 */
	PC_END_CRC,		/* magic, but bad CRC */
	PC_END_NO_ROOM,		/* header closer than 24 bytes to the end */
	PC_END_TOO_BIG,		/* kset larger than the rest of its segment */
	PC_END_READ,		/* media error */
	PC_ERR_NEXT_RANGE,	/* REJECT: LAST names id >= n_segs */
	PC_ERR_HOPS,		/* REJECT: more than seg_num LAST hops */
};

struct pc_kset_view {
	enum pc_kset_kind kind;
	struct pc_pos pos;
	uint32_t size;		/* bytes the kset occupies */
	uint32_t key_num;	/* KEYS: keys; LAST: next cache segment id */
	uint64_t flags;
	uint32_t crc;
	const struct pcd_key *keys;	/* raw, image byte order */
};

struct pc_walk {
	struct pc_cache *c;
	struct pc_pos pos;
	uint32_t hops;
	uint32_t hop_cap;	/* LAST hops allowed: seg_num, as the kernel */
	uint64_t ksets;
	enum pc_walk_end end;
	struct pc_err err;	/* details of an ERROR or READ end */
	uint8_t *win;		/* read-ahead window over one data area */
	uint64_t win_off;	/* device offset of win[0] */
	size_t win_len;
};

void pc_walk_init(struct pc_walk *w, struct pc_cache *c, struct pc_pos from);
void pc_walk_fini(struct pc_walk *w);
/* Fill @v with the kset at the walk's position and move past it. */
enum pc_kset_kind pc_walk_next(struct pc_walk *w, struct pc_kset_view *v);
const char *pc_walk_end_name(enum pc_walk_end e);

/* Decode key @i of a kset view into host order. */
void pc_key_decode(const struct pc_cache *c, const struct pcd_key *raw,
		   struct pcd_key *out);

enum pc_key_err {
	PC_KEY_OK,
	PC_KEY_LEN_ZERO,
	PC_KEY_BEYOND_BACKING,
	PC_KEY_SEG_RANGE,
	PC_KEY_SEG_OVERFLOW,
	PC_KEY_DATA_CRC,
	PC_KEY_READ,
};

/*
 * The kernel's decode checks (FORMAT.md 9.7). @backing_size 0 skips the
 * backing bound. With @check_data and DATA_CRC the extent is read and its
 * CRC compared (@crc_out receives the computed value).
 */
enum pc_key_err pc_key_check(struct pc_cache *c, const struct pcd_key *k,
			     uint64_t backing_size, bool check_data,
			     uint32_t *crc_out);
const char *pc_key_err_name(enum pc_key_err e);

/* CRC of @len bytes of cached data at cache segment @seg, offset @off. */
int pc_data_crc(struct pc_cache *c, uint32_t seg, uint32_t off, uint32_t len,
		uint32_t *crc, struct pc_err *err);

/* ---- Replay ----------------------------------------------------------- */

/* One live extent of the index, as the kernel would hold it. */
struct pc_extent {
	uint64_t off;		/* logical (backing) offset */
	uint32_t len;
	uint32_t flags;		/* key flags (CLEAN or dirty) */
	uint32_t seg;		/* cache segment id */
	uint32_t seg_off;	/* data offset of this extent's first byte */
	uint64_t seq;		/* log order of the key it came from */
	struct pc_pos kset;	/* position of that key's kset */
	uint32_t data_crc;	/* the key's stored data CRC (whole key) */
	bool whole_key;		/* the extent is the key's full range */
	bool dirty;		/* at or after dirty_tail and not CLEAN */
};

/* A key as collected from the log, host order. */
struct pc_rkey {
	struct pcd_key k;
	uint64_t seq;
	struct pc_pos kset;
	bool stale;		/* seg_gen < segment gen */
	bool after_dirty;	/* in a kset at or after dirty_tail */
};

struct pc_replay {
	struct pc_rkey *keys;	/* in log order */
	size_t n_keys;
	size_t cap_keys;
	uint64_t n_stale;
	uint64_t n_ksets;
	uint64_t n_last;
	struct pc_pos head;	/* key_head */
	enum pc_walk_end end;	/* why the walk ended */
	bool dirty_tail_seen;	/* dirty_tail is on the walk */
	bool *seg_used;		/* per cache segment id */
	uint32_t segs_used;
	struct pc_extent *ext;	/* resolved index, sorted by off */
	size_t n_ext;
	uint64_t cached_bytes;
	uint64_t dirty_bytes;
	struct pc_err err;	/* first REJECT found, if any */
};

#define PC_REPLAY_CHECK_DATA	0x1	/* verify data CRCs while replaying */

/*
 * Replay the log from key_tail as the kernel does at activation (9.5),
 * collecting every key, then resolve overlaps (9.8). Returns 0, or a
 * negative errno when the kernel would REJECT (details in r->err); the
 * keys collected up to that point stay in @r.
 */
int pc_replay(struct pc_cache *c, uint64_t backing_size, unsigned int flags,
	      struct pc_replay *r);
void pc_replay_free(struct pc_replay *r);
/* Append a key to r->keys (growing it); 0 or -ENOMEM. */
int pc_replay_push(struct pc_replay *r, const struct pc_rkey *rk);
/*
 * Resolve "newest wins" over @n keys (given in log order) into sorted,
 * disjoint extents. Stale keys are skipped.
 */
int pc_resolve(const struct pc_rkey *keys, size_t n, struct pc_extent **out,
	       size_t *n_out);

/* ---- Formatting ------------------------------------------------------- */

struct pc_format_opts {
	bool data_crc;
	/*
	 * Lazy: write the superblock and a cache_info without INIT_DONE; the
	 * kernel initialises the segments at first activation, still checking
	 * data_crc against the table line and keeping gc_percent.
	 */
	bool lazy;
	uint32_t gc_percent;	/* 0 .. 90 */
	uint32_t seg_num;	/* 0: as many as fit (capped at PCD_SEGS_MAX) */
	/* called every few segments; may be NULL */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct pc_layout {
	uint64_t dev_size;
	uint32_t seg_num;	/* what will be written */
	uint32_t seg_fit;	/* what the device holds */
	uint32_t info_flags;
	uint64_t data_bytes;	/* total data area */
	uint64_t unused_bytes;	/* tail of the device beyond the segments */
};

/* Compute the layout for a device of @size bytes; validates options. */
int pc_format_plan(uint64_t size, const struct pc_format_opts *o,
		   struct pc_layout *l, struct pc_err *err);
/*
 * Write a fully initialised cache (FORMAT.md 8.8 state 3), byte-identical
 * to the kernel's own format of a zeroed device, touching only metadata.
 */
int pc_format_write(struct pc_dev *dev, const struct pc_layout *l,
		    const struct pc_format_opts *o, struct pc_err *err);

/* ---- Record encoders (host order), shared by writers and tests -------- */

void pc_encode_sb(struct pcd_superblock *sb, uint32_t seg_num, uint32_t flags);
void pc_encode_info(struct pcd_cache_info *ci, uint8_t seq, uint32_t seg_id,
		    uint32_t n_segs, uint32_t flags);
void pc_encode_seg_info(struct pcd_seg_info *si, uint8_t seq, uint32_t flags,
			uint32_t next);
void pc_encode_gen(struct pcd_seg_gen *g, uint8_t seq, uint64_t gen);
void pc_encode_pos(struct pcd_pos *p, uint8_t seq, struct pc_pos pos);
/* Seal a kset in @buf holding @key_num keys (or a LAST kset); returns size. */
uint32_t pc_encode_kset(void *buf, uint32_t key_num, bool last);

#endif /* PCACHE_H */
