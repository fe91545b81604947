// SPDX-License-Identifier: GPL-2.0
/*
 * dm_pcache_main.c - the "pcache" device-mapper target: table parsing,
 * activation and teardown, status, messages and module registration.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pcache.h"

/*
 * Cache devices in use by a pcache target. Two instances on one cache
 * device would both replay and write the same log, so a second one (a
 * table reload of a live device, or another device) is refused.
 */
static LIST_HEAD(pcm_instances);
static DEFINE_MUTEX(pcm_instances_lock);

static int pcm_claim(struct dm_target *ti, struct pcache *pc)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	dev_t dev = pc->cache_dev->bdev->bd_dev;
	struct pcache *o;
	int ret = 0;

	mutex_lock(&pcm_instances_lock);
	list_for_each_entry(o, &pcm_instances, list) {
		if (o->cache_dev->bdev->bd_dev != dev)
			continue;
		ti->error = dm_table_get_md(o->ti->table) == md ?
			    "Don't support table loading for live md" :
			    "Cache device is in use by another pcache target";
		ret = -EOPNOTSUPP;
		break;
	}
	if (!ret)
		list_add(&pc->list, &pcm_instances);
	mutex_unlock(&pcm_instances_lock);
	return ret;
}

static void pcm_unclaim(struct pcache *pc)
{
	mutex_lock(&pcm_instances_lock);
	if (!list_empty(&pc->list))
		list_del_init(&pc->list);
	mutex_unlock(&pcm_instances_lock);
}

static int pcm_parse_opts(struct pcache *pc, unsigned int argc, char **argv,
			  char **error)
{
	unsigned int n, i;

	if (!argc)
		return 0;
	if (kstrtouint(argv[0], 10, &n) || n > 4 || n > argc - 1) {
		*error = "Invalid number of cache option arguments";
		return -EINVAL;
	}
	for (i = 1; i <= n; i += 2) {
		if (!strcasecmp(argv[i], "cache_mode")) {
			if (i + 1 > n) {
				*error = "Missing value for cache_mode";
				return -EINVAL;
			}
			if (strcasecmp(argv[i + 1], "writeback")) {
				*error = "Invalid cache mode parameter";
				return -EINVAL;
			}
		} else if (!strcasecmp(argv[i], "data_crc")) {
			if (i + 1 > n) {
				*error = "Missing value for data_crc";
				return -EINVAL;
			}
			if (!strcasecmp(argv[i + 1], "true")) {
				pc->opt_data_crc = true;
			} else if (!strcasecmp(argv[i + 1], "false")) {
				pc->opt_data_crc = false;
			} else {
				*error = "Invalid data crc parameter";
				return -EINVAL;
			}
		} else {
			*error = "Unrecognised cache option requested";
			return -EINVAL;
		}
	}
	return 0;
}

static int pcm_heads_init(struct pcache *pc)
{
	unsigned int i;

	pc->n_heads = num_online_cpus();
	pc->heads = kcalloc(pc->n_heads, sizeof(*pc->heads), GFP_KERNEL);
	if (!pc->heads)
		return -ENOMEM;
	for (i = 0; i < pc->n_heads; i++) {
		spin_lock_init(&pc->heads[i].lock);
		pc->heads[i].seg = -1;
	}
	return 0;
}

static int pcm_alloc_state(struct pcache *pc)
{
	int ret;

	ret = pcm_segs_alloc(pc);
	if (!ret)
		ret = pcm_index_init(pc);
	if (!ret)
		ret = pcm_ksets_init(pc);
	if (!ret)
		ret = pcm_heads_init(pc);
	if (!ret)
		ret = pcm_wb_init(pc);
	if (ret)
		return ret;
	pc->gc_buf = kzalloc(PCD_KSET_SIZE_MAX, GFP_KERNEL);
	pc->gc_exts = kcalloc(PCD_KSET_KEYS_MAX, sizeof(*pc->gc_exts),
			      GFP_KERNEL);
	if (!pc->gc_buf || !pc->gc_exts)
		return -ENOMEM;
	ret = bioset_init(&pc->bs, 64, 0, BIOSET_NEED_BVECS);
	if (!ret)
		ret = bioset_init(&pc->fill_bs, 64,
				  offsetof(struct pcm_fill, bio),
				  BIOSET_NEED_BVECS);
	if (ret)
		return ret;
	pc->wq = alloc_workqueue("pcache", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return pc->wq ? 0 : -ENOMEM;
}

/* Everything of FORMAT.md 8.3 - 8.6 after the superblock. */
static int pcm_start(struct pcache *pc)
{
	int ret;

	ret = pcm_info_load(pc);
	if (ret)
		return ret;
	pc->n_segs = pc->info.n_segs;
	pc->data_crc = pc->info.flags & PCD_INFO_F_DATA_CRC;
	if (!pcd_info_n_segs_ok(pc->n_segs, pc->seg_num)) {
		DMERR("cache_info n_segs %u invalid (seg_num %u)", pc->n_segs,
		      pc->seg_num);
		return -EIO;
	}
	ret = pcm_alloc_state(pc);
	if (ret)
		return ret;
	if (!(pc->info.flags & PCD_INFO_F_INIT_DONE)) {
		ret = pcm_segs_format(pc);
		if (!ret)
			pcm_tails_format(pc);
	} else {
		ret = pcm_segs_load(pc);
		if (!ret)
			ret = pcm_tails_load(pc);
	}
	if (!ret)
		ret = pcm_replay(pc);
	if (ret)
		return ret;
	queue_delayed_work(pc->wq, &pc->wb_work, 0);
	queue_delayed_work(pc->wq, &pc->gc_work, 0);
	pc->info.flags |= PCD_INFO_F_INIT_DONE;
	pcm_info_write(pc);
	return 0;
}

static void pcm_stop_workers(struct pcache *pc)
{
	unsigned int i;

	WRITE_ONCE(pc->stopping, true);
	if (!pc->wq)
		return;
	cancel_delayed_work_sync(&pc->retry_work);
	pcm_fail_deferred(pc);
	flush_workqueue(pc->wq);
	for (i = 0; pc->ksets && i < pc->n_ksets; i++)
		cancel_delayed_work_sync(&pc->ksets[i].close_work);
	if (pc->ksets && pcm_ksets_close_all(pc))
		DMERR("no room to close every kset: recent writes are lost");
	cancel_delayed_work_sync(&pc->wb_work);
	cancel_delayed_work_sync(&pc->gc_work);
	destroy_workqueue(pc->wq);
	pc->wq = NULL;
	blkdev_issue_flush(pc->backing_dev->bdev);
}

static void pcm_destroy(struct pcache *pc)
{
	pcm_stop_workers(pc);
	pcm_unclaim(pc);
	bioset_exit(&pc->fill_bs);
	bioset_exit(&pc->bs);
	kfree(pc->gc_buf);
	kfree(pc->gc_exts);
	pcm_wb_exit(pc);
	kfree(pc->heads);
	pcm_ksets_exit(pc);
	pcm_index_exit(pc);
	pcm_segs_free(pc);
	pcm_dev_stop(pc);
	if (pc->backing_dev)
		dm_put_device(pc->ti, pc->backing_dev);
	if (pc->cache_dev)
		dm_put_device(pc->ti, pc->cache_dev);
	kfree(pc);
}

static struct pcache *pcm_alloc(struct dm_target *ti)
{
	struct pcache *pc = kzalloc(sizeof(*pc), GFP_KERNEL);

	if (!pc)
		return NULL;
	pc->ti = ti;
	INIT_LIST_HEAD(&pc->list);
	mutex_init(&pc->info_lock);
	mutex_init(&pc->gen_lock);
	mutex_init(&pc->log_lock);
	spin_lock_init(&pc->seg_lock);
	spin_lock_init(&pc->pos_lock);
	spin_lock_init(&pc->defer_lock);
	init_waitqueue_head(&pc->fill_wait);
	bio_list_init(&pc->deferred);
	INIT_DELAYED_WORK(&pc->wb_work, pcm_wb_fn);
	INIT_DELAYED_WORK(&pc->gc_work, pcm_gc_fn);
	INIT_DELAYED_WORK(&pc->retry_work, pcm_retry_fn);
	return pc;
}

static int pcm_get_devs(struct dm_target *ti, struct pcache *pc, char **argv)
{
	if (dm_get_device(ti, argv[0], dm_table_get_mode(ti->table),
			  &pc->cache_dev)) {
		ti->error = "Failed to start cache dev";
		return -EINVAL;
	}
	if (dm_get_device(ti, argv[1], dm_table_get_mode(ti->table),
			  &pc->backing_dev)) {
		ti->error = "Failed to start backing dev";
		return -EINVAL;
	}
	pc->backing_size =
		pcd_backing_bytes(bdev_nr_bytes(pc->backing_dev->bdev));
	/* the key rule reads a backing size of 0 as "not known" */
	if (!pc->backing_size) {
		ti->error = "Backing device is smaller than one sector";
		return -EINVAL;
	}
	return 0;
}

static int pcm_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct pcache *pc;
	int ret;

	if (argc < 2) {
		ti->error = "Insufficient args";
		return -EINVAL;
	}
	pc = pcm_alloc(ti);
	if (!pc) {
		ti->error = "Cannot allocate pcache";
		return -ENOMEM;
	}
	ret = pcm_parse_opts(pc, argc - 2, argv + 2, &ti->error);
	if (!ret)
		ret = pcm_get_devs(ti, pc, argv);
	if (!ret)
		ret = pcm_claim(ti, pc);
	if (ret)
		goto fail;
	ret = pcm_dev_start(pc);
	if (ret) {
		ti->error = "Failed to start cache dev";
		goto fail;
	}
	ret = pcm_start(pc);
	if (ret) {
		ti->error = "Failed to start pcache";
		goto fail;
	}
	ret = dm_set_target_max_io_len(ti, PCD_SUBTREE_SIZE >> SECTOR_SHIFT);
	if (ret)
		goto fail;
	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->per_io_data_size = sizeof(struct pcm_bio);
	ti->private = pc;
	return 0;
fail:
	pcm_destroy(pc);
	return ret;
}

static void pcm_dtr(struct dm_target *ti)
{
	pcm_destroy(ti->private);
}

static void pcm_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct pcache *pc = ti->private;
	struct pcm_pos h, d, k;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock(&pc->pos_lock);
		h = pc->key_head;
		d = pc->dirty_tail;
		k = pc->key_tail;
		spin_unlock(&pc->pos_lock);
		DMEMIT("%x %u %u %u %u %x %u:%u %u:%u %u:%u", pc->sb_flags,
		       pc->seg_num, pc->seg_num, READ_ONCE(pc->segs_used),
		       pcd_info_gc_percent(pc->info.flags), pc->info.flags,
		       h.seg, h.off, d.seg, d.off, k.seg, k.off);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s 4 cache_mode writeback crc %s",
		       pc->cache_dev->name, pc->backing_dev->name,
		       pc->data_crc ? "true" : "false");
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int pcm_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct pcache *pc = ti->private;
	u8 v;

	if (argc != 2 || strcasecmp(argv[0], "gc_percent"))
		return -EINVAL;
	if (kstrtou8(argv[1], 10, &v) || v > PCD_GC_PERCENT_MAX)
		return -EINVAL;
	mutex_lock(&pc->info_lock);
	pc->info.flags = (pc->info.flags & ~PCD_INFO_GC_MASK) |
			 ((u32)v << PCD_INFO_GC_SHIFT);
	pcm_meta_write(pc, PCD_INFO_OFF, PCD_INFO_STRIDE, sizeof(pc->info),
		       &pc->info, &pc->info_slot);
	mutex_unlock(&pc->info_lock);
	return 0;
}

static int pcm_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct pcache *pc = ti->private;

	return fn(ti, pc->backing_dev, 0, ti->len, data);
}

/*
 * Every reader has ended by now, but fills may still be queued behind
 * them (req.c): a suspended table leaves the cache device alone.
 */
static void pcm_postsuspend(struct dm_target *ti)
{
	pcm_fills_drain(ti->private);
}

static struct target_type pcm_target = {
	.name = PCM_TARGET_NAME,
	.version = { 0, 1, 0 },
	.features = DM_TARGET_SINGLETON,
	.module = THIS_MODULE,
	.ctr = pcm_ctr,
	.dtr = pcm_dtr,
	.map = pcm_map,
	.postsuspend = pcm_postsuspend,
	.status = pcm_status,
	.message = pcm_message,
	.iterate_devices = pcm_iterate_devices,
};

static int __init pcm_init(void)
{
	int ret;

	pcm_crc_init();
	ret = pcm_index_module_init();
	if (ret)
		return ret;
	ret = dm_register_target(&pcm_target);
	if (ret)
		pcm_index_module_exit();
	return ret;
}

static void __exit pcm_exit(void)
{
	dm_unregister_target(&pcm_target);
	pcm_index_module_exit();
}

module_init(pcm_init);
module_exit(pcm_exit);

MODULE_DESCRIPTION("dm-pcache compatible persistent-memory write-back cache");
MODULE_LICENSE("GPL");
MODULE_VERSION(PCACHE_MODULE_VERSION);
