// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * detail.c - what the log of a cache device holds, from a read-only replay
 * with libpcache: the exact dirty bytes that the status line can only bound.
 * On a live device the kernel keeps writing while we read, so the answer is
 * a snapshot and the replay may fail; after removal it is exact.
 */
#include <stdio.h>
#include <string.h>

#include "pcache.h"
#include "pcache_layout.h"

/* The log from dirty_tail to its end: bytes and segments, as walked. */
static void dirty_log(struct pc_cache *c, struct pc_detail *d)
{
	struct pc_kset_view v;
	struct pc_walk w;
	enum pc_kset_kind k;

	pc_walk_init(&w, c, c->dirty_tail);
	while ((k = pc_walk_next(&w, &v)) == PC_KSET_KEYS || k == PC_KSET_LAST) {
		if (!d->dirty_log_segs)
			d->dirty_log_segs = 1;
		d->dirty_log_bytes += v.size;
		if (k == PC_KSET_LAST)
			d->dirty_log_segs++;
	}
	pc_walk_fini(&w);
}

int pcache_detail(const struct pc_live *lv, const char *path,
		  struct pc_detail *d, char *why, size_t len)
{
	struct pc_err err = { 0 };
	struct pc_replay r = { 0 };
	struct pc_cache *c = NULL;
	struct pc_dev *dev;
	char node[300];
	int ret = -1;

	memset(d, 0, sizeof(*d));
	if (!path) {
		if (dm_devnode(lv->cache_dev, node, sizeof(node))) {
			snprintf(why, len, "no device node for cache device %s",
				 lv->cache_dev);
			return -1;
		}
		path = node;
	}
	pcache_flushbufs(path);
	if (pc_dev_open(path, 0, &dev, &err)) {
		snprintf(why, len, "%s", err.msg);
		return -1;
	}
	if (pc_cache_open(dev, &c, &err) < 0 ||
	    pc_replay(c, lv->sectors * PCD_SECTOR_SIZE, 0, &r) < 0) {
		snprintf(why, len, "%s: replay failed (the kernel may be "
			 "writing): %s", path, err.msg[0] ? err.msg : r.err.msg);
	} else {
		d->cached_bytes = r.cached_bytes;
		d->dirty_bytes = r.dirty_bytes;
		d->keys = r.n_keys;
		d->ksets = r.n_ksets;
		dirty_log(c, d);
		ret = 0;
	}
	pc_replay_free(&r);
	pc_cache_free(c);
	pc_dev_close(dev);
	return ret;
}
