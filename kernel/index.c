// SPDX-License-Identifier: GPL-2.0
/*
 * index.c - the in-memory map from logical ranges to cached extents.
 *
 * Keys never cross a 4 MiB logical boundary, so the index is split into
 * shards by 4 MiB region; each shard is an rbtree of non-overlapping
 * extents ordered by logical offset, under its own spinlock.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pcache.h"

static struct pcm_shard *pcm_shard(struct pcache *pc, u64 off)
{
	return &pc->shards[pcd_subtree(off) % pc->n_shards];
}

static u64 pcm_ext_end(const struct pcm_ext *e)
{
	return e->off + e->len;
}

static struct kmem_cache *pcm_ext_cache;

int pcm_index_module_init(void)
{
	pcm_ext_cache = kmem_cache_create("dm_pcache_ext", sizeof(struct pcm_ext),
					  0, 0, NULL);
	return pcm_ext_cache ? 0 : -ENOMEM;
}

void pcm_index_module_exit(void)
{
	kmem_cache_destroy(pcm_ext_cache);
}

int pcm_index_init(struct pcache *pc)
{
	unsigned int i;

	pc->n_shards = min_t(unsigned int, PCM_SHARDS_MAX,
			     max_t(u64, 1, pcd_subtree(pc->backing_size) + 1));
	pc->shards = kcalloc(pc->n_shards, sizeof(*pc->shards), GFP_KERNEL);
	if (!pc->shards)
		return -ENOMEM;
	for (i = 0; i < pc->n_shards; i++) {
		spin_lock_init(&pc->shards[i].lock);
		pc->shards[i].root = RB_ROOT;
	}
	return 0;
}

void pcm_index_exit(struct pcache *pc)
{
	struct pcm_ext *e, *n;
	unsigned int i;

	if (!pc->shards)
		return;
	for (i = 0; i < pc->n_shards; i++)
		rbtree_postorder_for_each_entry_safe(e, n, &pc->shards[i].root,
						     node)
			kmem_cache_free(pcm_ext_cache, e);
	kfree(pc->shards);
	pc->shards = NULL;
}

/* First extent of the shard that ends after @pos, or NULL. */
static struct pcm_ext *pcm_ext_after(struct rb_root *root, u64 pos)
{
	struct rb_node *n = root->rb_node;
	struct pcm_ext *best = NULL, *e;

	while (n) {
		e = rb_entry(n, struct pcm_ext, node);
		if (pcm_ext_end(e) > pos) {
			best = e;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static void pcm_ext_link(struct rb_root *root, struct pcm_ext *new)
{
	struct rb_node **p = &root->rb_node, *parent = NULL;
	struct pcm_ext *e;

	while (*p) {
		parent = *p;
		e = rb_entry(parent, struct pcm_ext, node);
		p = new->off < e->off ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&new->node, parent, p);
	rb_insert_color(&new->node, root);
}

static struct pcm_ext *pcm_ext_next(struct pcm_ext *e)
{
	struct rb_node *n = rb_next(&e->node);

	return n ? rb_entry(n, struct pcm_ext, node) : NULL;
}

static struct pcm_ext *pcm_pool_take(struct pcm_ext **pool)
{
	struct pcm_ext *e = pool[0] ? pool[0] : pool[1];

	if (e == pool[0])
		pool[0] = NULL;
	else
		pool[1] = NULL;
	return e;
}

/*
 * Make room for [off, end): trim, split or drop older extents. An extent
 * that starts at @off and lies wholly inside the range is kept in the tree
 * and returned, so that the caller can overwrite it in place (same tree
 * position, no erase and relink). A split takes a node from @pool.
 */
static struct pcm_ext *pcm_index_clear(struct rb_root *root, u64 off, u64 end,
				       struct pcm_ext **pool)
{
	struct pcm_ext *e = pcm_ext_after(root, off), *next, *tail, *keep = NULL;
	u64 d;

	for (; e && e->off < end; e = next) {
		next = pcm_ext_next(e);
		if (e->off < off && pcm_ext_end(e) > end) {
			tail = pcm_pool_take(pool);
			*tail = *e;
			d = end - e->off;
			tail->off = end;
			tail->seg_off += d;
			tail->len -= d;
			e->len = off - e->off;
			pcm_ext_link(root, tail);
			return NULL;
		}
		if (e->off < off) {
			e->len = off - e->off;
		} else if (pcm_ext_end(e) > end) {
			d = end - e->off;
			e->off = end;
			e->seg_off += d;
			e->len -= d;
		} else if (e->off == off && !keep) {
			keep = e;
		} else {
			rb_erase(&e->node, root);
			kmem_cache_free(pcm_ext_cache, e);
		}
	}
	return keep;
}

/* Fill @pool (PCM_POOL nodes) before a shard lock is taken. */
void pcm_pool_fill(struct pcm_ext **pool)
{
	int i;

	/* small slab objects: waiting beats losing a key from the index */
	for (i = 0; i < PCM_POOL; i++)
		if (!pool[i])
			pool[i] = kmem_cache_alloc(pcm_ext_cache,
						   GFP_NOIO | __GFP_NOFAIL);
}

void pcm_pool_drain(struct pcm_ext **pool)
{
	int i;

	for (i = 0; i < PCM_POOL; i++) {
		if (pool[i])
			kmem_cache_free(pcm_ext_cache, pool[i]);
		pool[i] = NULL;
	}
}

/*
 * Newest wins: @ext becomes the owner of its whole logical range. One
 * insertion uses at most PCM_POOL nodes (the new extent and a split tail);
 * an overwrite of exactly the same start uses none.
 */
void pcm_index_insert(struct pcache *pc, const struct pcm_ext *ext,
		      struct pcm_ext **pool)
{
	struct pcm_shard *sh = pcm_shard(pc, ext->off);
	struct pcm_ext *e;

	pcm_pool_fill(pool);
	spin_lock(&sh->lock);
	e = pcm_index_clear(&sh->root, ext->off, pcm_ext_end(ext), pool);
	if (e) {
		e->len = ext->len;
		e->flags = ext->flags;
		e->seg = ext->seg;
		e->seg_off = ext->seg_off;
		e->gen = ext->gen;
		e->crc = ext->crc;
	} else {
		e = pcm_pool_take(pool);
		*e = *ext;
		pcm_ext_link(&sh->root, e);
	}
	spin_unlock(&sh->lock);
}

/*
 * A segment is being reclaimed. Its extents are not looked for (a walk of
 * every tree per reclaim would cost O(extents) under the shard locks);
 * they are recognised by their generation and dropped when met. Around
 * the generation bump (segment.c):
 * before: every shard counts a purge, so that a read miss that could see
 *         one of the extents vanish sees the count move (req.c);
 * after:  every shard lock is taken once, so that a reader that found the
 *         old generation under it has finished copying before the segment
 *         is handed out again.
 */
void pcm_index_purge_begin(struct pcache *pc)
{
	unsigned int i;

	for (i = 0; i < pc->n_shards; i++) {
		spin_lock(&pc->shards[i].lock);
		pc->shards[i].purges++;
		spin_unlock(&pc->shards[i].lock);
	}
}

void pcm_index_purge_end(struct pcache *pc)
{
	unsigned int i;

	for (i = 0; i < pc->n_shards; i++) {
		spin_lock(&pc->shards[i].lock);
		spin_unlock(&pc->shards[i].lock);
	}
}

static bool pcm_ext_live(struct pcache *pc, const struct pcm_ext *e)
{
	return e->gen == READ_ONCE(pc->segs[e->seg].gen);
}

/* From @e on, the first live extent ending after @pos; drops stale ones. */
static struct pcm_ext *pcm_ext_skip(struct pcache *pc, struct rb_root *root,
				    struct pcm_ext *e, u64 pos)
{
	struct pcm_ext *next;

	while (e && (pcm_ext_end(e) <= pos || !pcm_ext_live(pc, e))) {
		next = pcm_ext_next(e);
		if (!pcm_ext_live(pc, e)) {
			rb_erase(&e->node, root);
			kmem_cache_free(pcm_ext_cache, e);
		}
		e = next;
	}
	return e;
}

/* Drop the stale extents of every shard (GC, now and then). */
void pcm_index_sweep(struct pcache *pc)
{
	struct rb_root *root;
	struct rb_node *n;
	unsigned int i;

	for (i = 0; i < pc->n_shards; i++) {
		root = &pc->shards[i].root;
		spin_lock(&pc->shards[i].lock);
		n = rb_first(root);
		if (n)
			pcm_ext_skip(pc, root, rb_entry(n, struct pcm_ext, node),
				     U64_MAX);
		spin_unlock(&pc->shards[i].lock);
		cond_resched();
	}
}

/*
 * Copy the cached bytes of @bio's range into @bio, under the shard lock.
 * Extents of a reclaimed segment (generation moved on) count as uncached
 * and are dropped. Returns the number of bytes found.
 */
static u32 pcm_index_copy_locked(struct pcm_shard *sh, struct pcache *pc,
				 struct bio *bio)
{
	u64 pos = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	struct pcm_ext *e = pcm_ext_after(&sh->root, pos);
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 off, n, got = 0;
	u8 *p;

	bio_for_each_segment(bv, bio, iter) {
		p = bvec_kmap_local(&bv);
		for (off = 0; off < bv.bv_len; off += n, pos += n) {
			e = pcm_ext_skip(pc, &sh->root, e, pos);
			if (!e || e->off > pos) {
				n = e ? min_t(u64, bv.bv_len - off, e->off - pos) :
					bv.bv_len - off;
				continue;
			}
			n = min_t(u64, bv.bv_len - off, pcm_ext_end(e) - pos);
			memcpy(p + off, pcm_data_addr(pc, e->seg,
				e->seg_off + (u32)(pos - e->off)), n);
			got += n;
		}
		kunmap_local(p);
	}
	return got;
}

/* Read lookup at map time: bytes served from the cache, purge count seen. */
u32 pcm_index_read(struct pcache *pc, struct bio *bio, u32 *purges)
{
	struct pcm_shard *sh = pcm_shard(pc, (u64)bio->bi_iter.bi_sector <<
					 SECTOR_SHIFT);
	u32 got;

	spin_lock(&sh->lock);
	got = pcm_index_copy_locked(sh, pc, bio);
	*purges = sh->purges;
	spin_unlock(&sh->lock);
	return got;
}

u32 pcm_index_purges(struct pcache *pc, struct bio *bio)
{
	struct pcm_shard *sh = pcm_shard(pc, (u64)bio->bi_iter.bi_sector <<
					 SECTOR_SHIFT);
	u32 n;

	spin_lock(&sh->lock);
	n = sh->purges;
	spin_unlock(&sh->lock);
	return n;
}

/* Up to @max uncached pieces of [off, off + len) (shard lock held). */
static int pcm_index_gaps(struct pcache *pc, struct pcm_shard *sh, u64 off,
			  u32 len, struct pcm_ext *gaps, int max)
{
	struct pcm_ext *e = pcm_ext_after(&sh->root, off);
	u64 end = off + len;
	int n = 0;

	while (off < end && n < max) {
		e = pcm_ext_skip(pc, &sh->root, e, off);
		if (e && e->off <= off) {
			off = pcm_ext_end(e);
			continue;
		}
		gaps[n].off = off;
		gaps[n].len = (e ? min(e->off, end) : end) - off;
		off += gaps[n++].len;
	}
	return n;
}

/*
 * Completion of a read at @pos that went to the backing device (req.c).
 * Unless an extent was purged from the shard since @purges was read
 * (-EAGAIN), copy the cached bytes over @overlay when given, and list in
 * @gaps the pieces of [off, off + len) that are still uncached (their
 * count is returned).
 */
int pcm_index_settle(struct pcache *pc, u64 pos, struct bio *overlay,
		     u32 purges, u64 off, u32 len, struct pcm_ext *gaps,
		     int max)
{
	struct pcm_shard *sh = pcm_shard(pc, pos);
	int n = 0;

	spin_lock(&sh->lock);
	if (sh->purges != purges) {
		spin_unlock(&sh->lock);
		return -EAGAIN;
	}
	if (overlay)
		pcm_index_copy_locked(sh, pc, overlay);
	if (len)
		n = pcm_index_gaps(pc, sh, off, len, gaps, max);
	spin_unlock(&sh->lock);
	return n;
}
