// SPDX-License-Identifier: GPL-2.0
/*
 * gc.c - garbage collection: walk the log from key_tail (never past
 * dirty_tail) once the cache is gc_percent full, drop the references the
 * passed keys hold on data segments, and free key segments left behind.
 */
#define DM_MSG_PREFIX "pcache"

#include "pcache.h"

void pcm_kick_gc(struct pcache *pc)
{
	if (!READ_ONCE(pc->stopping) && pc->wq)
		mod_delayed_work(pc->wq, &pc->gc_work, 0);
}

static bool pcm_gc_needed(struct pcache *pc)
{
	u64 limit = (u64)pc->seg_num * pcd_info_gc_percent(pc->info.flags) / 100;

	return READ_ONCE(pc->segs_used) >= limit;
}

static bool pcm_gc_last(struct pcache *pc, struct pcm_pos k, struct pcm_pos d,
			struct pcd_kset *ks)
{
	struct pcm_pos next = { ks->key_num, 0 };

	if (d.seg == k.seg)
		return false;
	if (!pcm_last_ok(pc, next.seg)) {
		DMERR("gc stopped: bad LAST kset at %u:%u", k.seg, k.off);
		pc->gc_stopped = true;
		return false;
	}
	pcm_tail_write(pc, false, next);
	pcm_seg_mark_free(pc, k.seg);
	return true;
}

static bool pcm_gc_kset(struct pcache *pc, struct pcm_pos k,
			struct pcd_kset *ks)
{
	struct pcm_ext *e = pc->gc_exts;
	u32 i;

	for (i = 0; i < ks->key_num; i++) {
		if (pcm_key_decode(pc, &ks->keys[i], &e[i], true)) {
			DMERR("gc stopped at %u:%u", k.seg, k.off);
			pc->gc_stopped = true;
			return false;
		}
	}
	/* stale keys hold no reference (FORMAT.md 17.11) */
	for (i = 0; i < ks->key_num; i++)
		if (!pcm_key_stale(pc, &e[i]))
			pcm_seg_put(pc, e[i].seg);
	k.off += pcd_kset_size(ks->key_num);
	pcm_tail_write(pc, false, k);
	return true;
}

static bool pcm_gc_step(struct pcache *pc)
{
	struct pcd_kset *ks = pc->gc_buf;
	struct pcm_pos k = pcm_pos_get(pc, &pc->key_tail);
	struct pcm_pos d = pcm_pos_get(pc, &pc->dirty_tail);

	if (pcm_pos_eq(k, d) || pcm_kset_read(pc, k, ks) || !pcm_gc_needed(pc))
		return false;
	if (ks->flags & PCD_KSET_F_LAST)
		return pcm_gc_last(pc, k, d, ks);
	return pcm_gc_kset(pc, k, ks);
}

void pcm_gc_fn(struct work_struct *work)
{
	struct pcache *pc = container_of(to_delayed_work(work), struct pcache,
					 gc_work);

	while (!READ_ONCE(pc->stopping) && !pc->gc_stopped && pcm_gc_step(pc))
		cond_resched();
	/* stale index entries of reclaimed segments that nobody met */
	if (atomic_read(&pc->reclaims) >= PCM_SWEEP_RECLAIMS) {
		atomic_set(&pc->reclaims, 0);
		pcm_index_sweep(pc);
	}
	if (!READ_ONCE(pc->stopping) && !pc->gc_stopped)
		queue_delayed_work(pc->wq, &pc->gc_work, PCM_GC_POLL);
}
