// SPDX-License-Identifier: GPL-2.0
/*
 * writeback.c - copy dirty extents to the backing device in log order.
 *
 * One kset at a time from dirty_tail: its keys are resolved against each
 * other (later keys win), the dirty extents are written, the backing
 * device is flushed, and only then is dirty_tail moved past the kset.
 * The extents of one kset do not overlap once resolved, so their writes
 * are all in flight at once (as many as fit in the bounce buffer).
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/sort.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pcache.h"

#define PC_WB_PAGES	(PC_WB_BUF >> PAGE_SHIFT)
#define PC_WB_EXTS	(2 * PCD_KSET_KEYS_MAX + 2)

struct pc_wb {
	struct page *pages[PC_WB_PAGES];
	struct pc_ext *a, *b;
	int n;
	struct pcd_kset *kbuf;
	/* backing writes in flight: one count for each, one for the issuer */
	atomic_t pending;
	struct completion done;
	blk_status_t status;
};

void pc_kick_wb(struct pcache *pc)
{
	if (!READ_ONCE(pc->stopping) && pc->wq)
		mod_delayed_work(pc->wq, &pc->wb_work, 0);
}

int pc_wb_init(struct pcache *pc)
{
	struct pc_wb *w;
	int i;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	pc->wb = w;
	init_completion(&w->done);
	w->a = kcalloc(PC_WB_EXTS, sizeof(*w->a), GFP_KERNEL);
	w->b = kcalloc(PC_WB_EXTS, sizeof(*w->b), GFP_KERNEL);
	w->kbuf = kzalloc(PCD_KSET_SIZE_MAX, GFP_KERNEL);
	if (!w->a || !w->b || !w->kbuf)
		goto fail;
	for (i = 0; i < PC_WB_PAGES; i++) {
		w->pages[i] = alloc_page(GFP_KERNEL);
		if (!w->pages[i])
			goto fail;
	}
	return 0;
fail:
	pc_wb_exit(pc);
	return -ENOMEM;
}

void pc_wb_exit(struct pcache *pc)
{
	struct pc_wb *w = pc->wb;
	int i;

	if (!w)
		return;
	for (i = 0; i < PC_WB_PAGES; i++)
		if (w->pages[i])
			__free_page(w->pages[i]);
	kfree(w->a);
	kfree(w->b);
	kfree(w->kbuf);
	kfree(w);
	pc->wb = NULL;
}

/* Paint @e over the extents collected so far (newest wins). */
static void pc_wb_paint(struct pc_wb *w, const struct pc_ext *e)
{
	u64 end = e->off + e->len, xe;
	struct pc_ext x;
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

static int pc_wb_cmp(const void *l, const void *r)
{
	const struct pc_ext *a = l, *b = r;

	return a->off < b->off ? -1 : a->off > b->off;
}

static int pc_wb_fill(struct pcache *pc, u32 boff, const struct pc_ext *e)
{
	struct pc_wb *w = pc->wb;
	const u8 *src = pc_data_addr(pc, e->seg, e->seg_off);
	u32 len = e->len, po, n;

	while (len) {
		po = boff & ~PAGE_MASK;
		n = min_t(u32, len, PAGE_SIZE - po);
		if (copy_mc_to_kernel(page_address(w->pages[boff >> PAGE_SHIFT]) +
				      po, src, n))
			return -EIO;
		boff += n;
		src += n;
		len -= n;
	}
	return 0;
}

static void pc_wb_endio(struct bio *bio)
{
	struct pc_wb *w = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(w->status, bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
}

static void pc_wb_begin(struct pc_wb *w)
{
	atomic_set(&w->pending, 1);
	reinit_completion(&w->done);
	w->status = BLK_STS_OK;
}

/* Wait for every write issued since pc_wb_begin(). */
static int pc_wb_end(struct pc_wb *w)
{
	if (!atomic_dec_and_test(&w->pending))
		wait_for_completion_io(&w->done);
	return blk_status_to_errno(READ_ONCE(w->status));
}

/* Issue the write of @len bytes at page-aligned bounce offset @boff. */
static void pc_wb_submit(struct pcache *pc, u32 boff, u64 off, u32 len)
{
	struct pc_wb *w = pc->wb;
	struct bio *bio;
	u32 done = 0, n;

	while (done < len) {
		bio = bio_alloc(pc->backing_dev->bdev, BIO_MAX_VECS,
				REQ_OP_WRITE, GFP_NOIO);
		bio->bi_iter.bi_sector = (off + done) >> SECTOR_SHIFT;
		bio->bi_end_io = pc_wb_endio;
		bio->bi_private = w;
		while (done < len && bio->bi_vcnt < BIO_MAX_VECS) {
			n = min_t(u32, len - done, PAGE_SIZE);
			if (bio_add_page(bio, w->pages[(boff + done) >> PAGE_SHIFT],
					 n, 0) != n)
				break;
			done += n;
		}
		atomic_inc(&w->pending);
		submit_bio(bio);
	}
}

/*
 * Write every dirty extent of the painted list, merging neighbours. Runs
 * are packed into the bounce buffer (each from a page boundary) and
 * written at once; when the buffer is full, the writes in flight finish
 * before it is reused.
 */
static int pc_wb_flush_list(struct pcache *pc, bool *wrote)
{
	struct pc_wb *w = pc->wb;
	u32 total, boff = 0;
	int i = 0, ret = 0, err;
	u64 start;

	pc_wb_begin(w);
	while (i < w->n && !ret) {
		if (w->a[i].flags & PCD_KEY_F_CLEAN) {
			i++;
			continue;
		}
		if (boff + w->a[i].len > PC_WB_BUF) {
			ret = pc_wb_end(w);
			pc_wb_begin(w);
			boff = 0;
			if (ret)
				break;
		}
		start = w->a[i].off;
		total = 0;
		while (i < w->n && !(w->a[i].flags & PCD_KEY_F_CLEAN) &&
		       w->a[i].off == start + total &&
		       boff + total + w->a[i].len <= PC_WB_BUF) {
			ret = pc_wb_fill(pc, boff + total, &w->a[i]);
			if (ret)
				break;
			total += w->a[i].len;
			i++;
		}
		if (ret)
			break;
		pc_wb_submit(pc, boff, start, total);
		*wrote = true;
		boff = ALIGN(boff + total, PAGE_SIZE);
	}
	/* the bounce pages are reused: always wait for what was issued */
	err = pc_wb_end(w);
	return ret ? ret : err;
}

/* 0: written; -EIO from decode: stop; other errors: retry later. */
static int pc_wb_kset(struct pcache *pc, struct pcd_kset *ks, bool *fatal)
{
	struct pc_wb *w = pc->wb;
	bool wrote = false;
	struct pc_ext e;
	u32 i;
	int ret;

	w->n = 0;
	for (i = 0; i < ks->key_num; i++) {
		ret = pc_key_decode(pc, &ks->keys[i], &e, true);
		if (ret) {
			*fatal = true;
			return ret;
		}
		if (!pc_key_stale(pc, &e))
			pc_wb_paint(w, &e);
	}
	sort(w->a, w->n, sizeof(*w->a), pc_wb_cmp, NULL);
	ret = pc_wb_flush_list(pc, &wrote);
	/* nothing written (all CLEAN or stale): nothing to flush */
	if (!ret && wrote)
		ret = blkdev_issue_flush(pc->backing_dev->bdev);
	return ret;
}

/* One step; returns true when there may be more to do. */
static bool pc_wb_step(struct pcache *pc, unsigned long *delay)
{
	struct pcd_kset *ks = pc->wb->kbuf;
	struct pc_pos d = pc_pos_get(pc, &pc->dirty_tail);
	struct pc_pos h = pc_pos_get(pc, &pc->key_head);
	bool fatal = false;
	int ret;

	if (pc_pos_eq(d, h) || pc_kset_read(pc, d, ks))
		return false;
	if (ks->flags & PCD_KSET_F_LAST) {
		if (ks->key_num >= pc->n_segs) {
			DMERR("writeback stopped: bad LAST kset at %u:%u",
			      d.seg, d.off);
			pc->wb_stopped = true;
			return false;
		}
		d.seg = ks->key_num;
		d.off = 0;
		pc_tail_write(pc, true, d);
		return true;
	}
	ret = pc_wb_kset(pc, ks, &fatal);
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
	pc_tail_write(pc, true, d);
	pc_kick_gc(pc);
	return true;
}

void pc_wb_fn(struct work_struct *work)
{
	struct pcache *pc = container_of(to_delayed_work(work), struct pcache,
					 wb_work);
	unsigned long delay = PC_WB_POLL;

	while (!READ_ONCE(pc->stopping) && !pc->wb_stopped &&
	       pc_wb_step(pc, &delay))
		cond_resched();
	if (!READ_ONCE(pc->stopping) && !pc->wb_stopped)
		queue_delayed_work(pc->wq, &pc->wb_work, delay);
}
