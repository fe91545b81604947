// SPDX-License-Identifier: GPL-2.0
/*
 * writeback.c - copy dirty extents to the backing device in log order.
 *
 * One kset at a time from dirty_tail: its keys are resolved against each
 * other (later keys win), the dirty extents are written, the backing
 * device is flushed, and only then is dirty_tail moved past the kset.
 * The extents of one kset do not overlap once resolved, so their writes
 * are all in flight at once. The bios point straight at the cache
 * device's pages, as dm-writecache does for pmem: no copy. A key's bytes
 * cannot change while it is written back (its segment is reclaimed only
 * after GC has passed it, and GC stays behind dirty_tail).
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/sort.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pcache.h"

#define PCM_WB_EXTS	(2 * PCD_KSET_KEYS_MAX + 2)

struct pcm_wb {
	struct pcm_ext *a, *b;
	int n;
	struct pcd_kset *kbuf;
	/* backing writes in flight: one count for each, one for the issuer */
	atomic_t pending;
	struct completion done;
	blk_status_t status;
};

void pcm_kick_wb(struct pcache *pc)
{
	if (!READ_ONCE(pc->stopping) && pc->wq)
		mod_delayed_work(pc->wq, &pc->wb_work, 0);
}

int pcm_wb_init(struct pcache *pc)
{
	struct pcm_wb *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	pc->wb = w;
	init_completion(&w->done);
	w->a = kcalloc(PCM_WB_EXTS, sizeof(*w->a), GFP_KERNEL);
	w->b = kcalloc(PCM_WB_EXTS, sizeof(*w->b), GFP_KERNEL);
	w->kbuf = kzalloc(PCD_KSET_SIZE_MAX, GFP_KERNEL);
	if (!w->a || !w->b || !w->kbuf) {
		pcm_wb_exit(pc);
		return -ENOMEM;
	}
	return 0;
}

void pcm_wb_exit(struct pcache *pc)
{
	struct pcm_wb *w = pc->wb;

	if (!w)
		return;
	kfree(w->a);
	kfree(w->b);
	kfree(w->kbuf);
	kfree(w);
	pc->wb = NULL;
}

/* Paint @e over the extents collected so far (newest wins). */
static void pcm_wb_paint(struct pcm_wb *w, const struct pcm_ext *e)
{
	u64 end = e->off + e->len, xe;
	struct pcm_ext x;
	int i, m = 0;

	for (i = 0; i < w->n; i++) {
		x = w->a[i];
		xe = x.off + x.len;
		if (xe <= e->off || x.off >= end) {
			w->b[m++] = x;
			continue;
		}
		if (x.off < e->off) {
			w->b[m] = x;
			w->b[m++].len = e->off - x.off;
		}
		if (xe > end) {
			w->b[m] = x;
			w->b[m].off = end;
			w->b[m].seg_off += end - x.off;
			w->b[m++].len = xe - end;
		}
	}
	w->b[m++] = *e;
	swap(w->a, w->b);
	w->n = m;
}

static int pcm_wb_cmp(const void *l, const void *r)
{
	const struct pcm_ext *a = l, *b = r;

	return a->off < b->off ? -1 : a->off > b->off;
}

static void pcm_wb_endio(struct bio *bio)
{
	struct pcm_wb *w = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(w->status, bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
}

static void pcm_wb_begin(struct pcm_wb *w)
{
	atomic_set(&w->pending, 1);
	reinit_completion(&w->done);
	w->status = BLK_STS_OK;
}

/* Wait for every write issued since pcm_wb_begin(). */
static int pcm_wb_end(struct pcm_wb *w)
{
	if (!atomic_dec_and_test(&w->pending))
		wait_for_completion_io(&w->done);
	return blk_status_to_errno(READ_ONCE(w->status));
}

static void pcm_wb_issue(struct pcm_wb *w, struct bio *bio)
{
	atomic_inc(&w->pending);
	submit_bio(bio);
}

/*
 * Add extent @e to the write in @bp (which ends at logical offset
 * @next), or issue that one and start another.
 */
static void pcm_wb_add(struct pcache *pc, struct bio **bp, u64 *next,
		       const struct pcm_ext *e)
{
	u64 dev = pcd_data_offset(pc->segs[e->seg].phys, e->seg_off);
	struct page *page;
	u32 pos, n, po;

	for (pos = 0; pos < e->len; pos += n) {
		po = (dev + pos) & ~PAGE_MASK;
		n = min_t(u32, e->len - pos, PAGE_SIZE - po);
		page = pcm_dev_page(pc, dev + pos);
		if (*bp && (*next != e->off + pos ||
			    bio_add_page(*bp, page, n, po) != n)) {
			pcm_wb_issue(pc->wb, *bp);
			*bp = NULL;
		}
		if (!*bp) {
			*bp = bio_alloc(pc->backing_dev->bdev, BIO_MAX_VECS,
					REQ_OP_WRITE, GFP_NOIO);
			(*bp)->bi_iter.bi_sector = (e->off + pos) >> SECTOR_SHIFT;
			(*bp)->bi_end_io = pcm_wb_endio;
			(*bp)->bi_private = pc->wb;
			__bio_add_page(*bp, page, n, po);
		}
		*next = e->off + pos + n;
	}
}

/* Write every dirty extent of the painted list, merging neighbours. */
static int pcm_wb_flush_list(struct pcache *pc, bool *wrote)
{
	struct pcm_wb *w = pc->wb;
	struct bio *bio = NULL;
	u64 next = 0;
	int i;

	pcm_wb_begin(w);
	for (i = 0; i < w->n; i++) {
		if (w->a[i].flags & PCD_KEY_F_CLEAN)
			continue;
		pcm_wb_add(pc, &bio, &next, &w->a[i]);
		*wrote = true;
	}
	if (bio)
		pcm_wb_issue(w, bio);
	return pcm_wb_end(w);
}

/* 0: written; -EIO from decode: stop; other errors: retry later. */
static int pcm_wb_kset(struct pcache *pc, struct pcd_kset *ks, bool *fatal)
{
	struct pcm_wb *w = pc->wb;
	bool wrote = false;
	struct pcm_ext e;
	u32 i;
	int ret;

	w->n = 0;
	for (i = 0; i < ks->key_num; i++) {
		ret = pcm_key_decode(pc, &ks->keys[i], &e, true);
		if (ret) {
			*fatal = true;
			return ret;
		}
		if (!pcm_key_stale(pc, &e))
			pcm_wb_paint(w, &e);
	}
	sort(w->a, w->n, sizeof(*w->a), pcm_wb_cmp, NULL);
	ret = pcm_wb_flush_list(pc, &wrote);
	/* nothing written (all CLEAN or stale): nothing to flush */
	if (!ret && wrote)
		ret = blkdev_issue_flush(pc->backing_dev->bdev);
	return ret;
}

/* One step; returns true when there may be more to do. */
static bool pcm_wb_step(struct pcache *pc, unsigned long *delay)
{
	struct pcd_kset *ks = pc->wb->kbuf;
	struct pcm_pos d = pcm_pos_get(pc, &pc->dirty_tail);
	struct pcm_pos h = pcm_pos_get(pc, &pc->key_head);
	bool fatal = false;
	int ret;

	if (pcm_pos_eq(d, h) || pcm_kset_read(pc, d, ks))
		return false;
	if (ks->flags & PCD_KSET_F_LAST) {
		if (!pcm_last_ok(pc, ks->key_num)) {
			DMERR("writeback stopped: bad LAST kset at %u:%u",
			      d.seg, d.off);
			pc->wb_stopped = true;
			return false;
		}
		d.seg = ks->key_num;
		d.off = 0;
		pcm_tail_write(pc, true, d);
		return true;
	}
	ret = pcm_wb_kset(pc, ks, &fatal);
	if (ret) {
		if (fatal) {
			DMERR("writeback stopped at %u:%u", d.seg, d.off);
			pc->wb_stopped = true;
		} else {
			*delay = HZ;
		}
		return false;
	}
	d.off += pcd_kset_size(ks->key_num);
	pcm_tail_write(pc, true, d);
	pcm_kick_gc(pc);
	return true;
}

void pcm_wb_fn(struct work_struct *work)
{
	struct pcache *pc = container_of(to_delayed_work(work), struct pcache,
					 wb_work);
	unsigned long delay = PCM_WB_POLL;

	while (!READ_ONCE(pc->stopping) && !pc->wb_stopped &&
	       pcm_wb_step(pc, &delay))
		cond_resched();
	if (!READ_ONCE(pc->stopping) && !pc->wb_stopped)
		queue_delayed_work(pc->wq, &pc->wb_work, delay);
}
