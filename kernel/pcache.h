/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcache.h - private definitions of our dm-pcache target.
 *
 * The on-media layout and the rules that say what it means live in
 * lib/layout/pcache_layout.h and pcache_rules.h, shared with libpcache;
 * everything here is in-memory state only. Our names start with pcm_ so
 * that none reads like libpcache's pc_ names.
 */
#ifndef DM_PCACHE_PRIV_H
#define DM_PCACHE_PRIV_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "pcache_layout.h"
#include "pcache_rules.h"

#define PCM_TARGET_NAME		"pcache"
#define PCM_LOG_RESERVE		1	/* free segments kept back for the log */
#define PCM_KSET_DELAY		(HZ)
#define PCM_KSET_RETRY		(HZ / 10)
#define PCM_WB_POLL		(5 * HZ)
#define PCM_GC_POLL		(5 * HZ)
#define PCM_RETRY_DELAY		(HZ / 10)
#define PCM_SHARDS_MAX		128
#define PCM_SWEEP_RECLAIMS	8	/* reclaims between index sweeps */
#define PCM_FILL_MAX		(1U << 20)	/* largest read cached at once */
#define PCM_FILL_PIECES		8	/* CLEAN keys one read miss may add */
#define PCM_FILL_IRQ_COPY	(64U << 10)	/* larger misses end in the worker */
#define PCM_FILL_LAG_MAX	(8U << 20)	/* fill bytes queued behind readers */

/* A log position: cache segment id and data offset. */
struct pcm_pos {
	u32 seg;
	u32 off;
};

/* Where the newest copy of a dual-slot record is (-1: none), and its seq. */
struct pcm_slot {
	int idx;
	u8 seq;
};

/* An extent of cached data, in the index or decoded from a key. */
struct pcm_ext {
	struct rb_node node;
	u64 off;
	u32 len;
	u32 flags;
	u32 seg;
	u32 seg_off;
	u64 gen;
	u32 crc;
};

struct pcm_shard {
	spinlock_t lock;
	struct rb_root root;
	u32 purges;		/* segment reclaims that may have touched it */
};

#define PCM_POOL		2	/* index nodes one insertion may need */

struct pcm_seg {
	u32 phys;
	u64 gen;
	atomic_t refs;
	struct pcm_slot gen_slot;
	struct pcm_slot info_slot;
	struct pcd_seg_info info;
};

struct pcm_head {
	spinlock_t lock;
	int seg;		/* cache segment id, or -1 */
	u32 off;
};

struct pcache;
struct pcm_wb;

struct pcm_kset {
	struct mutex lock;
	struct pcache *pc;
	struct delayed_work close_work;
	bool close_armed;
	struct pcd_kset *buf;	/* PCD_KSET_SIZE_MAX bytes */
	struct pcm_ext *pool[PCM_POOL];	/* spare index nodes, under lock */
};

/*
 * A bounce read's pages and what its fill needs, allocated with the bounce
 * bio (front pad of pc->fill_bs): the fill may outlive the reader's bio.
 */
struct pcm_fill {
	struct work_struct work;
	struct pcache *pc;
	u64 off;		/* the reader's range on the backing device */
	u32 len;
	u32 purges;		/* the shard's purge count before the read */
	struct bio bio;		/* last: the bounce bio itself */
};

/* Per-bio state (dm per_io_data). */
struct pcm_bio {
	struct work_struct work;
	struct pcache *pc;
	struct bio *bio;
	bool close_only;	/* FUA keys are in, only the kset close is due */
	/* a read that goes to the backing device */
	bool overlay;		/* part of the range was cached at map time */
	bool bounce;		/* @clone is a pcm_fill's bio: cache it */
	u32 purges;		/* the shard's purge count before the read */
	blk_status_t status;
	struct bio *clone;
};

struct pcache {
	struct list_head list;		/* pcm_instances */
	struct dm_target *ti;
	struct dm_dev *cache_dev;
	struct dm_dev *backing_dev;
	bool opt_data_crc;

	/* cache device mapping */
	void *base;
	struct page **vmap_pages;
	unsigned long base_pfn;		/* without vmap_pages: first pfn */
	u64 dev_size;
	u64 backing_size;

	/* superblock and cache_info */
	u32 sb_flags;
	u32 seg_num;
	struct pcd_cache_info info;
	struct pcm_slot info_slot;
	struct mutex info_lock;
	bool data_crc;

	/* segments */
	u32 n_segs;
	struct pcm_seg *segs;
	unsigned long *seg_map;
	unsigned long *keyseg_map;	/* replay only */
	spinlock_t seg_lock;
	u32 seg_hint;
	u32 segs_used;
	struct mutex gen_lock;

	/* positions */
	spinlock_t pos_lock;
	struct pcm_pos key_head;
	struct pcm_pos key_tail;
	struct pcm_pos dirty_tail;
	struct pcm_slot key_tail_slot;
	struct pcm_slot dirty_tail_slot;
	struct mutex log_lock;

	/* in-memory ksets and data heads */
	unsigned int n_ksets;
	struct pcm_kset *ksets;
	unsigned int n_heads;
	struct pcm_head *heads;

	/* index */
	unsigned int n_shards;
	struct pcm_shard *shards;

	/* workers */
	struct workqueue_struct *wq;
	struct delayed_work wb_work;
	struct delayed_work gc_work;
	struct delayed_work retry_work;
	spinlock_t defer_lock;
	struct bio_list deferred;
	bool stopping;
	bool wb_stopped;
	bool gc_stopped;
	atomic_t reclaims;		/* since the last pcm_index_sweep() */
	atomic_t fill_lag;		/* bytes of fills whose readers ended */
	wait_queue_head_t fill_wait;	/* woken when fill_lag drops to 0 */
	struct pcm_wb *wb;
	struct pcd_kset *gc_buf;
	struct pcm_ext *gc_exts;
	struct dm_io_client *io_client;
	struct bio_set bs;
	struct bio_set fill_bs;		/* bounce bios, in a struct pcm_fill */
};

/* crc.c */
u32 pcm_crc32c(u32 crc, const void *buf, size_t len);
u32 pcm_crc_rule(const void *buf, u32 len);
void pcm_crc_init(void);

static inline u32 pcm_crc(const void *buf, size_t len)
{
	return pcm_crc32c(PCD_CRC_SEED, buf, len);
}

/* cache_dev.c */
int pcm_dev_start(struct pcache *pc);
void pcm_dev_stop(struct pcache *pc);
int pcm_dev_read(struct pcache *pc, u64 off, void *buf, size_t len);
struct page *pcm_dev_page(struct pcache *pc, u64 off);
void pcm_dev_write(struct pcache *pc, u64 off, const void *buf, size_t len);
void pcm_dev_zero(struct pcache *pc, u64 off, size_t len);

static inline void *pcm_dev_addr(struct pcache *pc, u64 off)
{
	return pc->base + off;
}

static inline void *pcm_data_addr(struct pcache *pc, u32 seg, u32 off)
{
	return pc->base + pcd_data_offset(pc->segs[seg].phys, off);
}

/* meta.c */
int pcm_meta_read(struct pcache *pc, u64 off, u64 stride, size_t size,
		  void *rec, struct pcm_slot *slot);
void pcm_meta_write(struct pcache *pc, u64 off, u64 stride, size_t size,
		    void *rec, struct pcm_slot *slot);
int pcm_info_load(struct pcache *pc);
void pcm_info_write(struct pcache *pc);
int pcm_tails_load(struct pcache *pc);
void pcm_tails_format(struct pcache *pc);
void pcm_tail_write(struct pcache *pc, bool dirty, struct pcm_pos pos);

/* segment.c */
int pcm_segs_alloc(struct pcache *pc);
void pcm_segs_free(struct pcache *pc);
int pcm_segs_format(struct pcache *pc);
int pcm_segs_load(struct pcache *pc);
int pcm_seg_get_free(struct pcache *pc, u32 reserve);
void pcm_seg_mark_used(struct pcache *pc, u32 seg);
void pcm_seg_mark_free(struct pcache *pc, u32 seg);
void pcm_seg_put(struct pcache *pc, u32 seg);
int pcm_data_alloc(struct pcache *pc, u32 len, struct pcm_ext *ext, bool fill);

/* index.c */
int pcm_index_module_init(void);
void pcm_index_module_exit(void);
int pcm_index_init(struct pcache *pc);
void pcm_index_exit(struct pcache *pc);
void pcm_pool_fill(struct pcm_ext **pool);
void pcm_pool_drain(struct pcm_ext **pool);
void pcm_index_insert(struct pcache *pc, const struct pcm_ext *ext,
		      struct pcm_ext **pool);
void pcm_index_purge_begin(struct pcache *pc);
void pcm_index_purge_end(struct pcache *pc);
void pcm_index_sweep(struct pcache *pc);
u32 pcm_index_read(struct pcache *pc, struct bio *bio, u32 *purges);
u32 pcm_index_purges(struct pcache *pc, struct bio *bio);
int pcm_index_settle(struct pcache *pc, u64 pos, struct bio *overlay,
		     u32 purges, u64 off, u32 len, struct pcm_ext *gaps,
		     int max);

/* kset.c */
int pcm_ksets_init(struct pcache *pc);
void pcm_ksets_exit(struct pcache *pc);
int pcm_kset_add(struct pcache *pc, struct pcm_ext *exts, int n, bool fua);
int pcm_kset_fill(struct pcache *pc, u64 pos, struct bio *overlay, u32 purges,
		  struct pcm_ext *fills, int nf);
int pcm_ksets_close_all(struct pcache *pc);
int pcm_kset_read(struct pcache *pc, struct pcm_pos pos, struct pcd_kset *buf);
int pcm_key_decode(struct pcache *pc, const struct pcd_key *k,
		   struct pcm_ext *ext, bool check_crc);
bool pcm_key_stale(struct pcache *pc, const struct pcm_ext *ext);
int pcm_replay(struct pcache *pc);

/* req.c */
int pcm_map(struct dm_target *ti, struct bio *bio);
void pcm_defer_bio(struct pcache *pc, struct bio *bio);
void pcm_retry_fn(struct work_struct *work);
void pcm_fail_deferred(struct pcache *pc);
void pcm_fills_drain(struct pcache *pc);
void pcm_kick_retry(struct pcache *pc);

/* writeback.c */
int pcm_wb_init(struct pcache *pc);
void pcm_wb_exit(struct pcache *pc);
void pcm_wb_fn(struct work_struct *work);
void pcm_kick_wb(struct pcache *pc);

/* gc.c */
void pcm_gc_fn(struct work_struct *work);
void pcm_kick_gc(struct pcache *pc);

/* A LAST link met on its own (GC, writeback): only its id is checked. */
static inline bool pcm_last_ok(struct pcache *pc, u32 next)
{
	return pcd_last_judge(next, 1, pc->seg_num, pc->n_segs, 1) ==
	       PCD_LAST_OK;
}

static inline bool pcm_pos_eq(struct pcm_pos a, struct pcm_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

static inline struct pcm_pos pcm_pos_get(struct pcache *pc, struct pcm_pos *p)
{
	struct pcm_pos r;

	spin_lock(&pc->pos_lock);
	r = *p;
	spin_unlock(&pc->pos_lock);
	return r;
}

#endif /* DM_PCACHE_PRIV_H */
