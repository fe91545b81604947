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
#include "pcache_rules.h"

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
/*
 * Without it, pc_dev_open() takes an advisory flock(2), exclusive with
 * PC_OPEN_RDWR and shared otherwise, and fails at once with -EBUSY and
 * "PATH: locked by COMM (pid N)" when another process holds a conflicting
 * one.
 */
#define PC_OPEN_NOLOCK	0x4

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
struct iovec;
/* pc_dev_write() of the @cnt buffers of @iov laid end to end at @off. */
int pc_dev_writev(struct pc_dev *dev, uint64_t off, const struct iovec *iov,
		  int cnt, struct pc_err *err);
/*
 * The descriptor a file or block device is read and written through, for a
 * caller that maps it; -1 for devices behind libpmem2 or an overlay.
 */
int pc_dev_fd(const struct pc_dev *dev);
/* Make every write so far durable. */
int pc_dev_flush(struct pc_dev *dev, struct pc_err *err);
uint64_t pc_dev_size(const struct pc_dev *dev);
/* True when [off, off + len) is known to read as zeros (a file hole). */
bool pc_dev_is_hole(struct pc_dev *dev, uint64_t off, uint64_t len);
const char *pc_dev_path(const struct pc_dev *dev);
enum pc_dev_kind pc_dev_kind(const struct pc_dev *dev);
bool pc_dev_writable(const struct pc_dev *dev);
const char *pc_dev_kind_name(enum pc_dev_kind kind);

/* The lock pc_dev_open() takes, for a descriptor opened otherwise. */
int pc_lock_fd(int fd, const char *path, bool exclusive, struct pc_err *err);
/*
 * The second lock pc_dev_open() takes on a loop device @path: on the file it
 * is bound to, so tools on the loop device and on the file exclude each
 * other. *@lock_fd gets the descriptor that holds it (close to release), or
 * -1 when @path is no loop device or its file cannot be reached.
 */
int pc_lock_loop_file(const char *path, bool exclusive, int *lock_fd,
		      struct pc_err *err);

/*
 * Identity of the storage a path reaches, to refuse one device given
 * twice: a file by st_dev/st_ino (so ./x, symlinks and hard links match), a
 * block device by st_rdev, plus the disk of a partition and the file a
 * loop device is bound to (LOOP_GET_STATUS64 lo_device/lo_inode).
 */
enum pc_dev_id_kind {
	PC_ID_FILE,		/* a: st_dev, b: st_ino */
	PC_ID_BLOCK,		/* a: st_rdev */
	PC_ID_PART_OF,		/* a: st_rdev of the disk of a partition */
	PC_ID_CHAR,		/* a: st_rdev of a character (devdax) device */
};

#define PC_DEV_ID_KEYS 4

struct pc_dev_id {
	unsigned int n;
	struct pc_dev_id_key {
		enum pc_dev_id_kind kind;
		uint64_t a, b;
	} key[PC_DEV_ID_KEYS];
};

int pc_dev_id_get(const char *path, struct pc_dev_id *id, struct pc_err *err);
/* NULL when @a and @b do not overlap, else how they do ("the same file"). */
const char *pc_dev_id_same(const struct pc_dev_id *a,
			   const struct pc_dev_id *b);
/*
 * 0 when paths @a and @b reach different storage; -EEXIST with "A and B
 * are the same device (why)" when they overlap; -errno when one cannot be
 * examined.
 */
int pc_dev_check_distinct(const char *a, const char *b, struct pc_err *err);

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

/*
 * Is there a cache on @dev, even one whose superblock is zeroed or damaged?
 * For every tool about to write a device it did not format itself. Reads
 * the header records and the first PC_PROBE_SEGS segments only.
 */
#define PC_PROBE_SEGS 16

struct pc_probe {
	bool found;		/* any of the below */
	bool sb_magic;		/* superblock magic present */
	bool sb_valid;		/* ... and its CRC matches */
	unsigned int info_valid;	/* CRC-valid cache_info copies */
	unsigned int tails_valid;	/* CRC-valid key/dirty_tail copies */
	uint32_t segs_probed;
	uint32_t segs_info_valid;	/* with a CRC-valid segment_info */
	uint32_t segs_kset;	/* whose data area starts with a kset magic */
};

/* 1 found, 0 not, -errno when the superblock cannot be read. */
int pc_probe_cache(struct pc_dev *dev, struct pc_probe *p, struct pc_err *err);
/* "a dm-pcache superblock", or what was found without one. */
const char *pc_probe_describe(const struct pc_probe *p, char *buf, size_t len);

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
	PC_END_NO_ROOM,		/* OWN_BYTES: under 24 bytes left */
	PC_END_TOO_BIG,		/* OWN_BYTES: kset larger than the rest */
	PC_END_READ,		/* media error */
	PC_ERR_NEXT_RANGE,	/* REJECT: LAST names id >= n_segs */
	PC_ERR_HOPS,		/* REJECT: more than seg_num LAST hops */
	PC_ERR_TOO_BIG,		/* REJECT: a kset that passes its CRC does
				 * not fit in the rest of its segment (H9) */
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
	/* UPSTREAM (default): judge each kset from a buffer reused as the
	 * kernel's is; OWN_BYTES: from its own bytes only (set it after
	 * pc_walk_init() to look for ksets really there) */
	enum pcd_kset_model model;
	uint8_t kbuf[PCD_KSET_SIZE_MAX] __attribute__((aligned(8)));
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

struct pc_rkey;
/*
 * pc_key_check(c, k, @backing_size, true, NULL) of the keys
 * @keys[@idx[0..@n)] into @res[0..@n), reading the cache in device order
 * and in large pieces (datacrc.c). 0, or -ENOMEM.
 */
int pc_keys_check_data(struct pc_cache *c, const struct pc_rkey *keys,
		       const uint32_t *idx, size_t n, uint64_t backing_size,
		       enum pc_key_err *res);

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
	bool *seg_log;		/* per cache segment id: the walk went
				 * through it (key_tail's, LAST targets) */
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
/*
 * The kernel's verdict on the cache after pc_replay() returned @ret: NULL
 * when it would load it, else the one line saying why it would refuse.
 */
const char *pc_replay_refusal(const struct pc_replay *r, int ret);
/* Append a key to r->keys (growing it); 0 or -ENOMEM. */
int pc_replay_push(struct pc_replay *r, const struct pc_rkey *rk);
/*
 * Resolve "newest wins" over @n keys (given in log order) into sorted,
 * disjoint extents. Stale keys are skipped.
 */
int pc_resolve(const struct pc_rkey *keys, size_t n, struct pc_extent **out,
	       size_t *n_out);

/* ---- Salvage: valid ksets past the kernel's end of log ---------------- */

/*
 * A damaged kset (bad CRC, bad key count, garbage over its header) ends the
 * kernel's walk; everything logged after it is silently dropped. The scan
 * looks past that end for the rest of the log (docs/salvage.md gives the
 * rule): from the damaged position it searches the rest of the
 * segment at 8-byte steps for a valid kset, follows the log from there by
 * the kernel's rules (LAST links included), and repeats at each further
 * damaged position. Every segment is entered at most once and scanned
 * forward only. A run of ksets is taken as part of this lap of the log
 * only if its LAST links lead to segments the kernel's log does not use,
 * none of its keys points into a key segment, and it holds a live key;
 * otherwise it is a remnant of an older lap and the scan stops there.
 * An end of log at 24 zero bytes is the kernel's own terminator: the scan
 * does not start there, and a run that reaches one ends the scan.
 */
enum pc_salvage_verdict {
	PC_SALV_NONE,		/* nothing valid past the end (or not scanned) */
	PC_SALV_TRUNCATED,	/* ksets of this lap follow: the kernel drops them */
	PC_SALV_STALE,		/* only ksets of an older lap follow */
};

struct pc_salvage_kset {
	struct pc_pos pos;
	uint32_t size;
	uint32_t key_num;	/* keys; LAST: next cache segment id */
	bool last;
	uint32_t run;		/* index in runs[] */
};

struct pc_salvage_run {
	struct pc_pos gap;	/* where the log breaks (a damaged kset) */
	enum pc_walk_end gap_why;
	struct pc_pos from;	/* first valid kset after the break */
	struct pc_pos end;	/* where this run of ksets ends */
	enum pc_walk_end end_why;
	bool stale;		/* judged a remnant of an older lap */
	uint64_t live_keys;	/* keys that decode and are not stale */
	/* keys of the damaged kset at gap, taken because each one's data
	 * CRC proves it (caches with data CRCs only) */
	uint32_t damaged_keys;
};

struct pc_salvage {
	enum pc_salvage_verdict verdict;
	struct pc_pos end;	/* the kernel's end of log */
	enum pc_walk_end end_why;
	struct pc_salvage_run *runs;
	size_t n_runs, cap_runs;
	struct pc_salvage_kset *ksets;	/* of every run, stale ones too */
	size_t n_ksets, cap_ksets;
	/* Keys of the runs taken (not stale), in log order; seq continues
	 * after the kernel's log, after_dirty is set, stale as replay. */
	struct pc_rkey *keys;
	size_t n_keys, cap_keys;
	uint64_t n_dirty;	/* live dirty keys */
	uint64_t dirty_bytes;	/* their lengths summed (overlaps counted) */
	uint64_t n_stale;	/* keys dropped: seg_gen below their segment's */
	uint64_t n_bad;		/* keys dropped: fail the decode checks */
	struct pc_pos resume;	/* the real end: where the last run taken ends */
	char stale_why[200];	/* why ksets past the end were not taken */
	struct pc_err err;
};

/*
 * Scan past the end of the log that @r (a replay from key_tail, or the
 * checker's equivalent: keys, head, end) found. @r->seg_used may be NULL.
 * Returns 0 (verdict in @s) or a negative errno for I/O or memory errors.
 */
int pc_salvage_scan(struct pc_cache *c, const struct pc_replay *r,
		    uint64_t backing_size, struct pc_salvage *s);
/*
 * The same, but the log is known to resume at @at (a valid kset): the run
 * from there is taken whatever the older-lap rule says (the caller vouches
 * for it), then the scan goes on as usual. -EINVAL (in s->err) when @at is
 * out of range or holds no valid kset.
 */
int pc_salvage_scan_at(struct pc_cache *c, const struct pc_replay *r,
		       uint64_t backing_size, struct pc_pos at,
		       struct pc_salvage *s);
void pc_salvage_free(struct pc_salvage *s);
const char *pc_salvage_verdict_name(enum pc_salvage_verdict v);

/* ---- Images restored from a metadata capture (pcache-metadump) -------- */

/*
 * pcache-metadump --restore marks the image it writes with 64 bytes at
 * device offset 0, which the kernel never reads: cached data was not
 * captured and reads as zeros, so data CRCs cannot be verified there.
 */
#define PC_RESTORED_SIZE	64
#define PC_RESTORED_VERSION	1
#define PC_RESTORED_F_OBFUSCATED 0x1	/* backing offsets were permuted */

struct pc_restored {
	uint32_t flags;
	uint64_t captured_bytes;	/* metadata bytes the capture held */
	uint32_t capture_crc;		/* header CRC of the capture file */
};

void pc_restored_encode(const struct pc_restored *m,
			uint8_t buf[PC_RESTORED_SIZE]);
/* 1 when @dev carries the mark (filled into @m), else 0. */
int pc_restored_probe(struct pc_dev *dev, struct pc_restored *m);

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
