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

static struct pc_shard *pc_shard(struct pcache *pc, u64 off)
{
	return &pc->shards[pcd_subtree(off) % pc->n_shards];
}

static u64 pc_ext_end(const struct pc_ext *e)
{
	return e->off + e->len;
}

static struct kmem_cache *pc_ext_cache;

int pc_index_module_init(void)
{
	pc_ext_cache = kmem_cache_create("dm_pcache_ext", sizeof(struct pc_ext),
					 0, 0, NULL);
	return pc_ext_cache ? 0 : -ENOMEM;
}

void pc_index_module_exit(void)
{
	kmem_cache_destroy(pc_ext_cache);
}

int pc_index_init(struct pcache *pc)
{
	unsigned int i;

	pc->n_shards = min_t(unsigned int, PC_SHARDS_MAX,
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

void pc_index_exit(struct pcache *pc)
{
	struct pc_ext *e, *n;
	unsigned int i;

	if (!pc->shards)
		return;
	for (i = 0; i < pc->n_shards; i++)
		rbtree_postorder_for_each_entry_safe(e, n, &pc->shards[i].root,
						     node)
			kmem_cache_free(pc_ext_cache, e);
	kfree(pc->shards);
	pc->shards = NULL;
}

/* First extent of the shard that ends after @pos, or NULL. */
static struct pc_ext *pc_ext_after(struct rb_root *root, u64 pos)
{
	struct rb_node *n = root->rb_node;
	struct pc_ext *best = NULL, *e;

	while (n) {
		e = rb_entry(n, struct pc_ext, node);
		if (pc_ext_end(e) > pos) {
			best = e;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static void pc_ext_link(struct rb_root *root, struct pc_ext *new)
{
	struct rb_node **p = &root->rb_node, *parent = NULL;
	struct pc_ext *e;

	while (*p) {
		parent = *p;
		e = rb_entry(parent, struct pc_ext, node);
		p = new->off < e->off ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&new->node, parent, p);
	rb_insert_color(&new->node, root);
}

static struct pc_ext *pc_ext_next(struct pc_ext *e)
{
	struct rb_node *n = rb_next(&e->node);

	return n ? rb_entry(n, struct pc_ext, node) : NULL;
}

/* Make room for [off, end): trim, split or drop older extents. */
static void pc_index_clear(struct pcache *pc, struct rb_root *root, u64 off,
			   u64 end, struct pc_ext **spare)
{
	struct pc_ext *e = pc_ext_after(root, off), *next, *tail;
	u64 d;

	for (; e && e->off < end; e = next) {
		next = pc_ext_next(e);
		if (e->off < off && pc_ext_end(e) > end) {
			tail = *spare;
			*spare = NULL;
			*tail = *e;
			d = end - e->off;
			tail->off = end;
			tail->seg_off += d;
			tail->len -= d;
			e->len = off - e->off;
			pc_ext_link(root, tail);
			return;
		}
		if (e->off < off) {
			e->len = off - e->off;
		} else if (pc_ext_end(e) > end) {
			d = end - e->off;
			e->off = end;
			e->seg_off += d;
			e->len -= d;
		} else {
			rb_erase(&e->node, root);
			kmem_cache_free(pc_ext_cache, e);
		}
	}
}

/* Newest wins: @ext becomes the owner of its whole logical range. */
void pc_index_insert(struct pcache *pc, const struct pc_ext *ext)
{
	struct pc_shard *sh = pc_shard(pc, ext->off);
	struct pc_ext *new, *spare;

	/* small slab objects: waiting beats losing a key from the index */
	new = kmem_cache_alloc(pc_ext_cache, GFP_NOIO | __GFP_NOFAIL);
	spare = kmem_cache_alloc(pc_ext_cache, GFP_NOIO | __GFP_NOFAIL);
	*new = *ext;
	spin_lock(&sh->lock);
	pc_index_clear(pc, &sh->root, ext->off, pc_ext_end(ext), &spare);
	pc_ext_link(&sh->root, new);
	spin_unlock(&sh->lock);
	if (spare)
		kmem_cache_free(pc_ext_cache, spare);
}

/* Drop every extent that lives in @seg (its generation just moved on). */
void pc_index_purge(struct pcache *pc, u32 seg)
{
	struct pc_ext *e, *next;
	struct rb_node *n;
	unsigned int i;

	for (i = 0; i < pc->n_shards; i++) {
		spin_lock(&pc->shards[i].lock);
		n = rb_first(&pc->shards[i].root);
		while (n) {
			e = rb_entry(n, struct pc_ext, node);
			next = pc_ext_next(e);
			n = next ? &next->node : NULL;
			if (e->seg != seg)
				continue;
			rb_erase(&e->node, &pc->shards[i].root);
			kmem_cache_free(pc_ext_cache, e);
		}
		spin_unlock(&pc->shards[i].lock);
		cond_resched();
	}
}

/* Copy cached bytes of [pos, pos + len) into @dst; false on any miss. */
static bool pc_index_copy_range(struct pcache *pc, u64 pos, u8 *dst, u32 len)
{
	struct pc_shard *sh = pc_shard(pc, pos);
	bool all = true;
	struct pc_ext *e;
	u32 n;

	spin_lock(&sh->lock);
	while (len) {
		e = pc_ext_after(&sh->root, pos);
		if (!e || e->off > pos) {
			n = e ? min_t(u64, len, e->off - pos) : len;
			all = false;
		} else {
			n = min_t(u64, len, pc_ext_end(e) - pos);
			if (e->gen == pc->segs[e->seg].gen)
				memcpy(dst, pc_data_addr(pc, e->seg,
					e->seg_off + (u32)(pos - e->off)), n);
			else
				all = false;
		}
		pos += n;
		dst += n;
		len -= n;
	}
	spin_unlock(&sh->lock);
	return all;
}

bool pc_index_copy(struct pcache *pc, struct bio *bio)
{
	u64 pos = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	struct bvec_iter iter;
	struct bio_vec bv;
	bool all = true;
	u8 *p;

	u32 off, n;

	bio_for_each_segment(bv, bio, iter) {
		p = bvec_kmap_local(&bv);
		for (off = 0; off < bv.bv_len; off += n) {
			n = min_t(u64, bv.bv_len - off,
				  PCD_SUBTREE_SIZE - (pos % PCD_SUBTREE_SIZE));
			if (!pc_index_copy_range(pc, pos, p + off, n))
				all = false;
			pos += n;
		}
		kunmap_local(p);
	}
	return all;
}
