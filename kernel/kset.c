// SPDX-License-Identifier: GPL-2.0
/*
 * kset.c - the key-set log: in-memory ksets, appending them to the log
 * (with LAST ksets chaining key segments), reading and decoding ksets,
 * and the replay that rebuilds the index at activation.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pcache.h"

static struct pcm_kset *pcm_kset_for(struct pcache *pc, u64 off)
{
	return &pc->ksets[pcd_subtree(off) % pc->n_ksets];
}

static void pcm_head_set(struct pcache *pc, u32 seg, u32 off)
{
	spin_lock(&pc->pos_lock);
	pc->key_head.seg = seg;
	pc->key_head.off = off;
	spin_unlock(&pc->pos_lock);
}

/* Move the log head into a fresh key segment through a LAST kset. */
static int pcm_log_next_seg(struct pcache *pc)
{
	struct pcd_kset last = { 0 };
	int seg;

	seg = pcm_seg_get_free(pc, 0);
	if (seg < 0)
		return -EBUSY;
	pcm_dev_zero(pc, pcd_data_offset(pc->segs[seg].phys, 0),
		     PCD_KSET_HDR_SIZE);
	pmem_wmb();
	pcd_kset_seal(&last, seg, 1, pcm_crc_rule);
	pcm_dev_write(pc, pcd_data_offset(pc->segs[pc->key_head.seg].phys,
					  pc->key_head.off),
		      &last, PCD_KSET_HDR_SIZE);
	pmem_wmb();
	pcm_head_set(pc, seg, 0);
	return 0;
}

/* Append @ks at key_head; the caller holds log_lock. */
static int pcm_log_append(struct pcache *pc, struct pcd_kset *ks)
{
	u32 size = pcd_kset_size(ks->key_num);
	struct pcm_pos h;
	int ret;

	while (!pcd_kset_room(pc->key_head.off, size)) {
		ret = pcm_log_next_seg(pc);
		if (ret)
			return ret;
	}
	h = pc->key_head;
	pcd_kset_seal(ks, ks->key_num, 0, pcm_crc_rule);
	pcm_dev_zero(pc, pcd_data_offset(pc->segs[h.seg].phys, h.off + size),
		     PCD_KSET_HDR_SIZE);
	pcm_dev_write(pc, pcd_data_offset(pc->segs[h.seg].phys, h.off), ks,
		      size);
	pmem_wmb();
	pcm_head_set(pc, h.seg, h.off + size);
	return 0;
}

static int pcm_kset_close_locked(struct pcache *pc, struct pcm_kset *ks)
{
	int ret;

	if (!ks->buf->key_num)
		return 0;
	mutex_lock(&pc->log_lock);
	ret = pcm_log_append(pc, ks->buf);
	mutex_unlock(&pc->log_lock);
	if (ret)
		return ret;
	ks->buf->key_num = 0;
	pcm_kick_wb(pc);
	return 0;
}

static void pcm_kset_arm(struct pcache *pc, struct pcm_kset *ks,
			 unsigned long delay)
{
	if (ks->close_armed || pc->stopping)
		return;
	ks->close_armed = true;
	queue_delayed_work(pc->wq, &ks->close_work, delay);
}

static void pcm_kset_close_fn(struct work_struct *work)
{
	struct pcm_kset *ks = container_of(to_delayed_work(work),
					   struct pcm_kset, close_work);

	mutex_lock(&ks->lock);
	ks->close_armed = false;
	if (pcm_kset_close_locked(ks->pc, ks))
		pcm_kset_arm(ks->pc, ks, PCM_KSET_RETRY);
	mutex_unlock(&ks->lock);
}

static void pcm_key_encode(struct pcache *pc, struct pcd_key *k,
			   const struct pcm_ext *e)
{
	memset(k, 0, sizeof(*k));
	k->off = e->off;
	k->len = e->len;
	k->flags = e->flags;
	k->cache_seg_id = e->seg;
	k->cache_seg_off = e->seg_off;
	k->seg_gen = e->gen;
	if (pc->data_crc)
		k->data_crc = pcm_crc(pcm_data_addr(pc, e->seg, e->seg_off),
				      e->len);
}

/* Keys were added to @ks: close it when full or for FUA, else arm its timer. */
static int pcm_kset_added(struct pcache *pc, struct pcm_kset *ks, bool fua)
{
	int ret = 0;

	if (fua || ks->buf->key_num == PCD_KSET_KEYS_MAX) {
		ret = pcm_kset_close_locked(pc, ks);
		if (ret)
			pcm_kset_arm(pc, ks, PCM_KSET_RETRY);
		ret = (ret && fua) ? -EAGAIN : 0;
	} else {
		pcm_kset_arm(pc, ks, PCM_KSET_DELAY);
	}
	return ret;
}

/*
 * Add the keys of one write (all in the same 4 MiB region) to the index
 * and to their kset. -EBUSY: nothing was added (no room in the log).
 * -EAGAIN: the keys are in but the FUA close must be retried.
 */
int pcm_kset_add(struct pcache *pc, struct pcm_ext *exts, int n, bool fua)
{
	struct pcm_kset *ks = pcm_kset_for(pc, exts[0].off);
	struct pcd_kset *b = ks->buf;
	int i, ret = 0;

	mutex_lock(&ks->lock);
	if (b->key_num + n > PCD_KSET_KEYS_MAX &&
	    pcm_kset_close_locked(pc, ks)) {
		mutex_unlock(&ks->lock);
		return -EBUSY;
	}
	for (i = 0; i < n; i++) {
		pcm_index_insert(pc, &exts[i], ks->pool);
		pcm_key_encode(pc, &b->keys[b->key_num++], &exts[i]);
	}
	ret = pcm_kset_added(pc, ks, fua);
	mutex_unlock(&ks->lock);
	return ret;
}

/* CLEAN keys for the part of gap @g that lies in fill @f; 1 if any. */
static int pcm_fill_piece(struct pcache *pc, struct pcm_kset *ks,
			  const struct pcm_ext *f, const struct pcm_ext *g)
{
	u64 lo = max(f->off, g->off);
	u64 hi = min(f->off + f->len, g->off + g->len);
	struct pcm_ext k = *f;

	if (lo >= hi)
		return 0;
	k.off = lo;
	k.len = hi - lo;
	k.seg_off += (u32)(lo - f->off);
	k.flags = PCD_KEY_F_CLEAN;
	pcm_index_insert(pc, &k, ks->pool);
	pcm_key_encode(pc, &ks->buf->keys[ks->buf->key_num++], &k);
	return 1;
}

/*
 * Settle a read miss at @pos (req.c): lay the cached bytes over the
 * reader's bio @overlay when given (NULL: nothing was cached at map time,
 * and the reader may be gone already), and for the @nf contiguous fills
 * (data already stored and fenced, one segment reference held by each)
 * index and log CLEAN keys for the parts that are still uncached. Both
 * happen under the kset mutex of the region, which every write to the
 * region also holds while it indexes and logs its keys, so a write racing
 * the fill is either already in the index (its range is not filled) or
 * comes after the fill in the index and in the log (newest wins).
 * -EAGAIN: an extent of the shard was purged while a read that needs the
 * overlay was in flight, so the read must be repeated. The fills'
 * references are used or dropped here.
 */
int pcm_kset_fill(struct pcache *pc, u64 pos, struct bio *overlay, u32 purges,
		  struct pcm_ext *fills, int nf)
{
	struct pcm_ext gaps[PCM_FILL_PIECES];
	struct pcm_kset *ks = NULL;
	int n = 0, i, j, used;
	u64 end;

	if (nf) {
		ks = pcm_kset_for(pc, fills[0].off);
		mutex_lock(&ks->lock);
		if (ks->buf->key_num + PCM_FILL_PIECES + nf > PCD_KSET_KEYS_MAX &&
		    pcm_kset_close_locked(pc, ks)) {
			mutex_unlock(&ks->lock);
			ks = NULL;	/* no room in the log: do not cache */
		}
	}
	end = nf ? fills[nf - 1].off + fills[nf - 1].len : 0;
	if (overlay || ks)
		n = pcm_index_settle(pc, pos, overlay, purges,
				     ks ? fills[0].off : 0,
				     ks ? (u32)(end - fills[0].off) : 0,
				     gaps, PCM_FILL_PIECES);
	/* with nothing cached at map time the backing data was current */
	if (n == -EAGAIN && !overlay)
		n = 0;
	for (i = 0; i < nf; i++) {
		used = 0;
		for (j = 0; j < n; j++)
			used += pcm_fill_piece(pc, ks, &fills[i], &gaps[j]);
		if (used > 1)
			atomic_add(used - 1, &pc->segs[fills[i].seg].refs);
		else if (!used)
			pcm_seg_put(pc, fills[i].seg);
	}
	if (ks) {
		if (n > 0)
			pcm_kset_added(pc, ks, false);
		mutex_unlock(&ks->lock);
	}
	return n == -EAGAIN ? -EAGAIN : 0;
}

int pcm_ksets_close_all(struct pcache *pc)
{
	unsigned int i;
	int ret;

	for (i = 0; i < pc->n_ksets; i++) {
		mutex_lock(&pc->ksets[i].lock);
		ret = pcm_kset_close_locked(pc, &pc->ksets[i]);
		mutex_unlock(&pc->ksets[i].lock);
		if (ret)
			return ret;
	}
	return 0;
}

int pcm_ksets_init(struct pcache *pc)
{
	struct pcm_kset *ks;
	unsigned int i;

	pc->n_ksets = num_online_cpus();
	pc->ksets = kcalloc(pc->n_ksets, sizeof(*pc->ksets), GFP_KERNEL);
	if (!pc->ksets)
		return -ENOMEM;
	for (i = 0; i < pc->n_ksets; i++) {
		ks = &pc->ksets[i];
		mutex_init(&ks->lock);
		ks->pc = pc;
		INIT_DELAYED_WORK(&ks->close_work, pcm_kset_close_fn);
		ks->buf = kzalloc(PCD_KSET_SIZE_MAX, GFP_KERNEL);
		if (!ks->buf) {
			pcm_ksets_exit(pc);
			return -ENOMEM;
		}
	}
	return 0;
}

void pcm_ksets_exit(struct pcache *pc)
{
	unsigned int i;

	if (!pc->ksets)
		return;
	for (i = 0; i < pc->n_ksets; i++) {
		cancel_delayed_work_sync(&pc->ksets[i].close_work);
		kfree(pc->ksets[i].buf);
		pcm_pool_drain(pc->ksets[i].pool);
	}
	kfree(pc->ksets);
	pc->ksets = NULL;
}

/*
 * Read the kset at @pos into @buf (PCD_KSET_SIZE_MAX bytes). -ENODATA when
 * the bytes there are not a complete valid kset (the end of the log). Our
 * reading (PCD_KSET_OWN_BYTES) judges a kset from its own bytes only: one
 * that does not fit in its segment ends the log (docs/format-errata.md E1).
 */
int pcm_kset_read(struct pcache *pc, struct pcm_pos pos, struct pcd_kset *buf)
{
	struct pcd_kset_hdr h;
	enum pcd_kset_verdict v;
	u64 addr;
	u32 len;

	if (!pcd_pos_ok(pos.seg, pos.off, pc->n_segs))
		return -ENODATA;
	addr = pcd_data_offset(pc->segs[pos.seg].phys, pos.off);
	/* under 24 bytes left: nothing is read, the rule ends the log there */
	len = min_t(u32, pcd_kset_remain(pos.off), PCD_KSET_HDR_SIZE);
	memset(buf, 0, PCD_KSET_HDR_SIZE);
	if (len == PCD_KSET_HDR_SIZE && pcm_dev_read(pc, addr, buf, len))
		return -EIO;
	h.crc = buf->crc;
	h.key_num = buf->key_num;
	h.magic = buf->magic;
	h.flags = buf->flags;
	v = pcd_kset_judge_hdr(&h, pos.off, pcd_kset_model_of(PCD_STRICT_OURS));
	if (v != PCD_KSET_NEED_CRC)
		return -ENODATA;
	len = pcd_kset_crc_len(&h);
	if (len > PCD_KSET_HDR_SIZE &&
	    pcm_dev_read(pc, addr + PCD_KSET_HDR_SIZE, buf->keys,
			 len - PCD_KSET_HDR_SIZE))
		return -EIO;
	v = pcd_kset_judge_crc(&h, pcm_crc((u8 *)buf + 4, len - 4), pos.off);
	return v == PCD_KSET_KEYS || v == PCD_KSET_LAST ? 0 : -ENODATA;
}

bool pcm_key_stale(struct pcache *pc, const struct pcm_ext *ext)
{
	return pcd_key_stale(ext->gen, pc->segs[ext->seg].gen);
}

/*
 * Bound every field of an on-media key before it is used: upstream's
 * checks (9.7) and our own stricter ones (18.3), PCD_STRICT_OURS.
 */
int pcm_key_decode(struct pcache *pc, const struct pcd_key *k,
		   struct pcm_ext *ext, bool check_crc)
{
	switch (pcd_key_judge(k->off, k->len, k->cache_seg_id,
			      k->cache_seg_off, k->flags, pc->backing_size,
			      pc->n_segs, PCD_STRICT_OURS)) {
	case PCD_KEY_OK:
		break;
	case PCD_KEY_LEN_ZERO:
	case PCD_KEY_BEYOND_BACKING:
		DMERR("key %llu+%u outside the backing device", k->off, k->len);
		return -EIO;
	case PCD_KEY_SEG_RANGE:
	case PCD_KEY_SEG_OVERFLOW:
		DMERR("key %llu+%u points outside the cache (%u:%u)", k->off,
		      k->len, k->cache_seg_id, k->cache_seg_off);
		return -EIO;
	case PCD_KEY_EMPTY:
		DMERR("corrupt log: EMPTY key %llu+%u on media", k->off, k->len);
		return -EIO;
	case PCD_KEY_ALIGN:
	case PCD_KEY_CROSS:
		DMERR("corrupt log: misaligned or region-crossing key %llu+%u",
		      k->off, k->len);
		return -EIO;
	}
	ext->off = k->off;
	ext->len = k->len;
	ext->flags = k->flags;
	ext->seg = k->cache_seg_id;
	ext->seg_off = k->cache_seg_off;
	ext->gen = k->seg_gen;
	ext->crc = k->data_crc;
	/* generation first: a stale key's space may hold anything (17.15) */
	if (!check_crc || !pc->data_crc || pcm_key_stale(pc, ext))
		return 0;
	if (pcm_crc(pcm_data_addr(pc, ext->seg, ext->seg_off), ext->len) !=
	    ext->crc) {
		DMERR("data crc mismatch for key %llu+%u", k->off, k->len);
		return -EIO;
	}
	return 0;
}

static int pcm_replay_key(struct pcache *pc, const struct pcd_key *k,
			  struct pcm_ext **pool)
{
	struct pcm_ext ext;
	int ret;

	ret = pcm_key_decode(pc, k, &ext, true);
	if (ret || pcm_key_stale(pc, &ext))
		return ret;
	/* a key ahead of its segment (C48) is served until the next reclaim */
	ext.gen = pcd_key_live_gen(ext.gen, pc->segs[ext.seg].gen);
	pcm_seg_mark_used(pc, ext.seg);
	pcm_index_insert(pc, &ext, pool);
	atomic_inc(&pc->segs[ext.seg].refs);
	return 0;
}

static int pcm_replay_enter(struct pcache *pc, u32 seg)
{
	if (pcd_log_enter(test_and_set_bit(seg, pc->keyseg_map),
			  PCD_STRICT_OURS) != PCD_LOG_OK) {
		DMERR("corrupt log: key segment %u visited twice", seg);
		return -EIO;
	}
	pcm_seg_mark_used(pc, seg);
	return 0;
}

/* A live key into a segment the walk entered (C49); the first such id. */
static bool pcm_keys_in_log(struct pcache *pc, u32 *seg)
{
	u32 i;

	for (i = 0; i < pc->n_segs; i++) {
		if (atomic_read(&pc->segs[i].refs) &&
		    test_bit(i, pc->keyseg_map)) {
			*seg = i;
			return true;
		}
	}
	return false;
}

static int pcm_replay_check(struct pcache *pc, bool seen_dirty)
{
	u32 seg = 0;

	switch (pcd_replay_judge(seen_dirty, pcm_keys_in_log(pc, &seg),
				 PCD_STRICT_OURS)) {
	case PCD_LOG_OK:
		return 0;
	case PCD_LOG_DIRTY_OFF:
		DMERR("corrupt log: dirty_tail %u:%u is not on the log from key_tail %u:%u",
		      pc->dirty_tail.seg, pc->dirty_tail.off,
		      pc->key_tail.seg, pc->key_tail.off);
		return -EIO;
	default:
		DMERR("corrupt log: keys point into key segment %u", seg);
		return -EIO;
	}
}

static int pcm_replay_walk(struct pcache *pc, struct pcd_kset *buf,
			   struct pcm_ext **pool)
{
	struct pcm_pos pos = pc->key_tail;
	bool seen = pcm_pos_eq(pos, pc->dirty_tail);
	u32 i, hops = 0;
	int ret;

	ret = pcm_replay_enter(pc, pos.seg);
	while (!ret) {
		ret = pcm_kset_read(pc, pos, buf);
		if (ret == -ENODATA) {
			ret = 0;
			break;
		}
		if (ret)
			break;
		if (buf->flags & PCD_KSET_F_LAST) {
			if (pcd_last_judge(buf->key_num, ++hops, pc->seg_num,
					   pc->n_segs, 0) != PCD_LAST_OK) {
				DMERR("corrupt log: bad LAST kset at %u:%u",
				      pos.seg, pos.off);
				return -EIO;
			}
			pos.seg = buf->key_num;
			pos.off = 0;
			ret = pcm_replay_enter(pc, pos.seg);
		} else {
			for (i = 0; i < buf->key_num && !ret; i++)
				ret = pcm_replay_key(pc, &buf->keys[i], pool);
			pos.off += pcd_kset_size(buf->key_num);
		}
		seen = seen || pcm_pos_eq(pos, pc->dirty_tail);
	}
	if (ret)
		return ret;
	pc->key_head = pos;
	return pcm_replay_check(pc, seen);
}

int pcm_replay(struct pcache *pc)
{
	struct pcm_ext *pool[PCM_POOL] = { NULL };
	struct pcd_kset *buf;
	int ret;

	buf = kzalloc(PCD_KSET_SIZE_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = pcm_replay_walk(pc, buf, pool);
	pcm_pool_drain(pool);
	kfree(buf);
	return ret;
}
