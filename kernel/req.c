// SPDX-License-Identifier: GPL-2.0
/*
 * req.c - the data path. Writes are copied straight into the cache
 * device's direct mapping and described by keys; reads are served from
 * the mapping, going to the backing device only for what is not cached.
 * Requests that find no free segment wait on a deferred list.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/highmem.h>
#include <linux/string.h>

#include "pcache.h"

#define PCM_MAX_PIECES	4

void pcm_kick_retry(struct pcache *pc)
{
	if (!pc->stopping)
		mod_delayed_work(pc->wq, &pc->retry_work, 0);
}

void pcm_defer_bio(struct pcache *pc, struct bio *bio)
{
	spin_lock(&pc->defer_lock);
	bio_list_add(&pc->deferred, bio);
	spin_unlock(&pc->defer_lock);
	if (!pc->stopping)
		queue_delayed_work(pc->wq, &pc->retry_work, PCM_RETRY_DELAY);
}

/* Copy the payload of @bio into the cache extents @exts. */
static void pcm_write_copy(struct pcache *pc, struct bio *bio,
			   struct pcm_ext *exts)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 done = 0, n;
	u8 *src;
	int i = 0;

	bio_for_each_segment(bv, bio, iter) {
		src = bvec_kmap_local(&bv);
		for (n = 0; n < bv.bv_len;) {
			u32 c = min(bv.bv_len - n, exts[i].len - done);

			memcpy_flushcache(pcm_data_addr(pc, exts[i].seg,
							exts[i].seg_off + done),
					  src + n, c);
			n += c;
			done += c;
			if (done == exts[i].len) {
				i++;
				done = 0;
			}
		}
		kunmap_local(src);
	}
	pmem_wmb();
}

static void pcm_release(struct pcache *pc, struct pcm_ext *exts, int n)
{
	while (n--)
		pcm_seg_put(pc, exts[n].seg);
}

static int pcm_write(struct pcache *pc, struct bio *bio)
{
	struct pcm_ext exts[PCM_MAX_PIECES];
	u64 off = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	u32 len = bio->bi_iter.bi_size;
	int n = 0, ret;

	if (off > pc->backing_size || len > pc->backing_size - off)
		return -EIO;
	while (len) {
		if (n == PCM_MAX_PIECES ||
		    pcm_data_alloc(pc, len, &exts[n], false)) {
			pcm_release(pc, exts, n);
			return -EBUSY;
		}
		exts[n].off = off;
		exts[n].flags = 0;
		off += exts[n].len;
		len -= exts[n].len;
		n++;
	}
	pcm_write_copy(pc, bio, exts);
	ret = pcm_kset_add(pc, exts, n, bio->bi_opf & REQ_FUA);
	if (ret == -EBUSY)
		pcm_release(pc, exts, n);
	return ret;
}

/* A bounce bio and its fill context go together (front pad of fill_bs). */
static struct pcm_fill *pcm_fill_of(struct bio *b)
{
	return container_of(b, struct pcm_fill, bio);
}

/*
 * Our own pages for a backing read of @bio's range, page by page (never
 * highmem: page_address() reaches them from any context).
 */
static void pcm_bounce_free(struct bio *b)
{
	unsigned short i;

	for (i = 0; i < b->bi_vcnt; i++)
		__free_page(b->bi_io_vec[i].bv_page);
	bio_put(b);
}

static struct bio *pcm_bounce_alloc(struct pcache *pc, struct bio *bio)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	u32 len = bio->bi_iter.bi_size, n;
	struct pcm_fill *f;
	struct page *pg;
	struct bio *b;

	b = bio_alloc_bioset(pc->backing_dev->bdev, DIV_ROUND_UP(len, PAGE_SIZE),
			     REQ_OP_READ, gfp, &pc->fill_bs);
	if (!b)
		return NULL;
	b->bi_iter.bi_sector = bio->bi_iter.bi_sector;
	f = pcm_fill_of(b);
	f->pc = pc;
	f->off = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	f->len = len;
	for (; len; len -= n) {
		n = min_t(u32, len, PAGE_SIZE);
		pg = alloc_page(gfp);
		if (!pg) {
			pcm_bounce_free(b);
			return NULL;
		}
		__bio_add_page(b, pg, n, 0);
	}
	return b;
}

/* Copy the bounce pages of @b over the whole of @bio. */
static void pcm_bounce_to_bio(struct bio *b, struct bio *bio)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 pos = 0, n, o;
	u8 *dst;

	bio_for_each_segment(bv, bio, iter) {
		dst = bvec_kmap_local(&bv);
		for (o = 0; o < bv.bv_len; o += n, pos += n) {
			n = min_t(u32, bv.bv_len - o,
				  PAGE_SIZE - (pos & ~PAGE_MASK));
			memcpy(dst + o, page_address(b->bi_io_vec[pos >> PAGE_SHIFT].bv_page) +
			       (pos & ~PAGE_MASK), n);
		}
		kunmap_local(dst);
	}
}

/* Store bounce bytes @from ... @from + @f->len at @f, fenced. */
static void pcm_bounce_to_dax(struct pcache *pc, struct bio *b, u32 from,
			      const struct pcm_ext *f)
{
	u32 pos, n, p;

	for (pos = 0; pos < f->len; pos += n) {
		p = from + pos;
		n = min_t(u32, f->len - pos, PAGE_SIZE - (p & ~PAGE_MASK));
		memcpy_flushcache(pcm_data_addr(pc, f->seg, f->seg_off + pos),
				  page_address(b->bi_io_vec[p >> PAGE_SHIFT].bv_page) +
				  (p & ~PAGE_MASK), n);
	}
	pmem_wmb();
}

/*
 * Space for the fill of a bounce read: a data segment's end may cut the
 * first piece, then the rest goes at the start of the next segment.
 */
static int pcm_fill_store(struct pcm_fill *f, struct pcm_ext *fills)
{
	struct pcache *pc = f->pc;
	u32 done = 0;
	int n = 0;

	if (READ_ONCE(pc->stopping))
		return 0;
	while (n < 2 && done < f->len &&
	       !pcm_data_alloc(pc, f->len - done, &fills[n], true)) {
		fills[n].off = f->off + done;
		pcm_bounce_to_dax(pc, &f->bio, done, &fills[n]);
		done += fills[n++].len;
	}
	return n;
}

/*
 * Cache a bounce read whose reader was served already (nothing was
 * cached at map time, so there is no overlay to lay and no read to
 * repeat); the bounce bio and @f are freed here.
 */
static void pcm_fill_fn(struct work_struct *work)
{
	struct pcm_fill *f = container_of(work, struct pcm_fill, work);
	struct pcache *pc = f->pc;
	struct pcm_ext fills[2];
	u32 len = f->len;
	int nf;

	nf = pcm_fill_store(f, fills);
	pcm_kset_fill(pc, f->off, NULL, f->purges, fills, nf);
	pcm_bounce_free(&f->bio);
	if (!atomic_sub_return(len, &pc->fill_lag))
		wake_up_all(&pc->fill_wait);
}

/* Suspend: no fill may store, index or log anything once it returns. */
void pcm_fills_drain(struct pcache *pc)
{
	wait_event(pc->fill_wait, !atomic_read(&pc->fill_lag));
}

/*
 * May the reader of a bounce read with nothing to lay over it end before
 * its fill is stored? Only while the fills queued that way stay under
 * PCM_FILL_LAG_MAX: beyond, readers wait for their fill again, so a fast
 * reader neither piles up bounce pages nor runs ahead of the cache.
 */
static bool pcm_fill_may_lag(struct pcm_bio *pb)
{
	atomic_t *lag = &pb->pc->fill_lag;
	u32 len;

	if (pb->status || !pb->bounce || pb->overlay)
		return false;
	len = pcm_fill_of(pb->clone)->len;
	if (atomic_add_return(len, lag) <= PCM_FILL_LAG_MAX)
		return true;
	if (!atomic_sub_return(len, lag))
		wake_up_all(&pb->pc->fill_wait);
	return false;
}

/*
 * End the reader's bio at once (pcm_fill_may_lag() said so); storing,
 * indexing and logging the fill follow in the worker. The fill is queued
 * before the reader ends, so a table that is being destroyed (it waits
 * for the reader) flushes the fill too. Nothing of @pb may be touched
 * after bio_endio(): it lives in the reader's bio.
 */
static void pcm_miss_early(struct pcm_bio *pb)
{
	struct pcm_fill *f = pcm_fill_of(pb->clone);
	struct bio *bio = pb->bio;

	pcm_bounce_to_bio(&f->bio, bio);
	f->purges = pb->purges;
	INIT_WORK(&f->work, pcm_fill_fn);
	queue_work(pb->pc->wq, &f->work);
	bio->bi_status = BLK_STS_OK;
	bio_endio(bio);
}

static void pcm_miss_done(struct work_struct *work);

/* Small misses end in the completion context, without a trip to a worker. */
static void pcm_miss_endio(struct bio *c)
{
	struct pcm_bio *pb = c->bi_private;

	pb->status = c->bi_status;
	if (pb->bounce && pcm_fill_of(c)->len <= PCM_FILL_IRQ_COPY &&
	    pcm_fill_may_lag(pb)) {
		pcm_miss_early(pb);
		return;
	}
	INIT_WORK(&pb->work, pcm_miss_done);
	queue_work(pb->pc->wq, &pb->work);
}

static void pcm_miss_submit(struct pcm_bio *pb)
{
	pb->clone->bi_end_io = pcm_miss_endio;
	pb->clone->bi_private = pb;
	submit_bio_noacct(pb->clone);
}

/* An extent was purged during the backing read: read the range again. */
static void pcm_miss_retry(struct pcm_bio *pb)
{
	struct pcache *pc = pb->pc;
	struct bio *c = pb->clone;
	unsigned short i, n = c->bi_vcnt;

	pb->purges = pcm_index_purges(pc, pb->bio);
	if (pb->bounce) {
		/* same pages: bio_reset() leaves the vector table alone */
		bio_reset(c, pc->backing_dev->bdev, REQ_OP_READ);
		c->bi_iter.bi_sector = pb->bio->bi_iter.bi_sector;
		for (i = 0; i < n; i++)
			__bio_add_page(c, c->bi_io_vec[i].bv_page,
				       c->bi_io_vec[i].bv_len, 0);
	} else {
		bio_put(c);
		pb->clone = bio_alloc_clone(pc->backing_dev->bdev, pb->bio,
					    GFP_NOIO, &pc->bs);
	}
	pcm_miss_submit(pb);
}

/*
 * Worker half of a read that missed: the backing data goes to the reader,
 * the bytes cached now are laid over it, and a bounce read is cached as
 * CLEAN keys where the range is still uncached.
 */
static void pcm_miss_done(struct work_struct *work)
{
	struct pcm_bio *pb = container_of(work, struct pcm_bio, work);
	struct pcache *pc = pb->pc;
	struct bio *bio = pb->bio;
	struct pcm_ext fills[2];
	int nf = 0;

	if (pb->status)
		goto out;
	if (pb->bounce && pcm_fill_of(pb->clone)->len > PCM_FILL_IRQ_COPY &&
	    pcm_fill_may_lag(pb)) {
		pcm_miss_early(pb);
		return;
	}
	if (pb->bounce) {
		pcm_bounce_to_bio(pb->clone, bio);
		nf = pcm_fill_store(pcm_fill_of(pb->clone), fills);
	}
	if (pcm_kset_fill(pc, (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT,
			  pb->overlay ? bio : NULL, pb->purges, fills, nf) ==
	    -EAGAIN) {
		pcm_miss_retry(pb);
		return;
	}
out:
	if (pb->bounce)
		pcm_bounce_free(pb->clone);
	else
		bio_put(pb->clone);
	bio->bi_status = pb->status;
	bio_endio(bio);
}

/*
 * A read, at map time. Cached bytes are copied at once; a full hit is
 * done. Otherwise the backing device is read: into bounce pages when the
 * range is to be cached (never from the reader's pages, which the reader
 * may change while the read is in flight), straight into the reader's
 * pages when it is not, and with no work of ours at all when nothing of
 * the range was cached and it is not to be cached.
 */
static int pcm_read(struct pcache *pc, struct bio *bio)
{
	struct pcm_bio *pb = dm_per_bio_data(bio, sizeof(struct pcm_bio));
	u64 off = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	u32 len = bio->bi_iter.bi_size, got;

	if (!len) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	/* max_io_len already splits at regions; one shard per bio below */
	if (pcd_subtree(off) != pcd_subtree(off + len - 1)) {
		len = PCD_SUBTREE_SIZE - off % PCD_SUBTREE_SIZE;
		dm_accept_partial_bio(bio, len >> SECTOR_SHIFT);
	}
	got = pcm_index_read(pc, bio, &pb->purges);
	if (got == len) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	pb->pc = pc;
	pb->bio = bio;
	pb->overlay = got > 0;
	pb->clone = NULL;
	if (!READ_ONCE(pc->stopping) && off + len <= pc->backing_size) {
		if (len > PCM_FILL_MAX)
			dm_accept_partial_bio(bio, PCM_FILL_MAX >> SECTOR_SHIFT);
		pb->clone = pcm_bounce_alloc(pc, bio);
	}
	pb->bounce = pb->clone;
	if (!pb->bounce && !pb->overlay) {
		bio_set_dev(bio, pc->backing_dev->bdev);
		return DM_MAPIO_REMAPPED;
	}
	if (!pb->bounce)
		pb->clone = bio_alloc_clone(pc->backing_dev->bdev, bio,
					    GFP_NOIO, &pc->bs);
	pcm_miss_submit(pb);
	return DM_MAPIO_SUBMITTED;
}

/* Handle @bio; -EBUSY means it must wait for free space. */
static int pcm_handle(struct pcache *pc, struct bio *bio)
{
	struct pcm_bio *pb = dm_per_bio_data(bio, sizeof(struct pcm_bio));
	int ret;

	if (pb->close_only || (bio->bi_opf & REQ_PREFLUSH)) {
		if (pcm_ksets_close_all(pc))
			return -EBUSY;
		if (pb->close_only || !bio->bi_iter.bi_size) {
			pb->close_only = false;
			bio_endio(bio);
			return 0;
		}
		bio->bi_opf &= ~REQ_PREFLUSH;
	}
	switch (bio_op(bio)) {
	case REQ_OP_WRITE:
		ret = pcm_write(pc, bio);
		if (ret == -EBUSY)
			return ret;
		if (ret == -EAGAIN) {
			pb->close_only = true;
			return -EBUSY;
		}
		if (ret)
			bio->bi_status = errno_to_blk_status(ret);
		break;
	default:
		bio->bi_status = BLK_STS_NOTSUPP;
		break;
	}
	bio_endio(bio);
	return 0;
}

int pcm_map(struct dm_target *ti, struct bio *bio)
{
	struct pcache *pc = ti->private;
	struct pcm_bio *pb = dm_per_bio_data(bio, sizeof(struct pcm_bio));

	/* the block layer never lets a flush or FUA flag through on a read */
	if (bio_op(bio) == REQ_OP_READ)
		return pcm_read(pc, bio);
	pb->close_only = false;
	if (pcm_handle(pc, bio) == -EBUSY)
		pcm_defer_bio(pc, bio);
	return DM_MAPIO_SUBMITTED;
}

void pcm_retry_fn(struct work_struct *work)
{
	struct pcache *pc = container_of(to_delayed_work(work), struct pcache,
					 retry_work);
	struct bio_list list;
	struct bio *bio;

	spin_lock(&pc->defer_lock);
	list = pc->deferred;
	bio_list_init(&pc->deferred);
	spin_unlock(&pc->defer_lock);
	while ((bio = bio_list_pop(&list))) {
		if (pcm_handle(pc, bio) != -EBUSY)
			continue;
		bio_list_add_head(&list, bio);
		spin_lock(&pc->defer_lock);
		bio_list_merge_head(&pc->deferred, &list);
		spin_unlock(&pc->defer_lock);
		if (!pc->stopping)
			queue_delayed_work(pc->wq, &pc->retry_work,
					   PCM_RETRY_DELAY);
		return;
	}
}

void pcm_fail_deferred(struct pcache *pc)
{
	struct bio *bio;

	spin_lock(&pc->defer_lock);
	while ((bio = bio_list_pop(&pc->deferred))) {
		spin_unlock(&pc->defer_lock);
		bio_io_error(bio);
		spin_lock(&pc->defer_lock);
	}
	spin_unlock(&pc->defer_lock);
}
