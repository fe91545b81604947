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

#define PC_MAX_PIECES	4

void pc_kick_retry(struct pcache *pc)
{
	if (!pc->stopping)
		mod_delayed_work(pc->wq, &pc->retry_work, 0);
}

void pc_defer_bio(struct pcache *pc, struct bio *bio)
{
	spin_lock(&pc->defer_lock);
	bio_list_add(&pc->deferred, bio);
	spin_unlock(&pc->defer_lock);
	if (!pc->stopping)
		queue_delayed_work(pc->wq, &pc->retry_work, PC_RETRY_DELAY);
}

/* Copy the payload of @bio into the cache extents @exts. */
static void pc_write_copy(struct pcache *pc, struct bio *bio,
			  struct pc_ext *exts)
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

			memcpy_flushcache(pc_data_addr(pc, exts[i].seg,
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

static void pc_release(struct pcache *pc, struct pc_ext *exts, int n)
{
	while (n--)
		pc_seg_put(pc, exts[n].seg);
}

static int pc_write(struct pcache *pc, struct bio *bio)
{
	struct pc_ext exts[PC_MAX_PIECES];
	u64 off = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	u32 len = bio->bi_iter.bi_size;
	int n = 0, ret;

	if (off > pc->backing_size || len > pc->backing_size - off)
		return -EIO;
	while (len) {
		if (n == PC_MAX_PIECES ||
		    pc_data_alloc(pc, len, &exts[n])) {
			pc_release(pc, exts, n);
			return -EBUSY;
		}
		exts[n].off = off;
		exts[n].flags = 0;
		off += exts[n].len;
		len -= exts[n].len;
		n++;
	}
	pc_write_copy(pc, bio, exts);
	ret = pc_kset_add(pc, exts, n, bio->bi_opf & REQ_FUA);
	if (ret == -EBUSY)
		pc_release(pc, exts, n);
	return ret;
}

/* Worker half of a read that missed: backing read, then overlay hits. */
static void pc_read_miss_fn(struct work_struct *work)
{
	struct pc_bio *pb = container_of(work, struct pc_bio, work);
	struct pcache *pc = pb->pc;
	struct bio *bio = pb->bio, *clone;
	int ret;

	atomic_inc(&pc->miss_reads);
	clone = bio_alloc_clone(pc->backing_dev->bdev, bio, GFP_NOIO, &pc->bs);
	ret = submit_bio_wait(clone);
	bio_put(clone);
	if (!ret)
		pc_index_copy(pc, bio);
	if (atomic_dec_and_test(&pc->miss_reads))
		wake_up_all(&pc->miss_wq);
	if (ret)
		bio->bi_status = errno_to_blk_status(ret);
	bio_endio(bio);
}

static int pc_read(struct pcache *pc, struct bio *bio)
{
	struct pc_bio *pb = dm_per_bio_data(bio, sizeof(struct pc_bio));

	if (pc_index_copy(pc, bio)) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	pb->pc = pc;
	pb->bio = bio;
	INIT_WORK(&pb->work, pc_read_miss_fn);
	queue_work(pc->wq, &pb->work);
	return DM_MAPIO_SUBMITTED;
}

/* Handle @bio; -EBUSY means it must wait for free space. */
static int pc_handle(struct pcache *pc, struct bio *bio)
{
	struct pc_bio *pb = dm_per_bio_data(bio, sizeof(struct pc_bio));
	int ret;

	if (pb->close_only || (bio->bi_opf & REQ_PREFLUSH)) {
		if (pc_ksets_close_all(pc))
			return -EBUSY;
		if (pb->close_only || !bio->bi_iter.bi_size) {
			pb->close_only = false;
			bio_endio(bio);
			return 0;
		}
		bio->bi_opf &= ~REQ_PREFLUSH;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		pc_read(pc, bio);
		return 0;
	case REQ_OP_WRITE:
		ret = pc_write(pc, bio);
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

int pc_map(struct dm_target *ti, struct bio *bio)
{
	struct pcache *pc = ti->private;
	struct pc_bio *pb = dm_per_bio_data(bio, sizeof(struct pc_bio));

	pb->close_only = false;
	if (pc_handle(pc, bio) == -EBUSY)
		pc_defer_bio(pc, bio);
	return DM_MAPIO_SUBMITTED;
}

void pc_retry_fn(struct work_struct *work)
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
		if (pc_handle(pc, bio) != -EBUSY)
			continue;
		bio_list_add_head(&list, bio);
		spin_lock(&pc->defer_lock);
		bio_list_merge_head(&pc->deferred, &list);
		spin_unlock(&pc->defer_lock);
		if (!pc->stopping)
			queue_delayed_work(pc->wq, &pc->retry_work,
					   PC_RETRY_DELAY);
		return;
	}
}

void pc_fail_deferred(struct pcache *pc)
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
