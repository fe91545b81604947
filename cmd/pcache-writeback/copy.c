// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The copy: every planned extent goes from its cache location to the same
 * logical offset on the backing device; the backing device is flushed; only
 * then is dirty_tail moved to key_head (crash-safe slot rule) and the cache
 * flushed. Interrupted before the tail write, a rerun repeats the very
 * same writes: the cache is unchanged, so the plan is unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wb.h"

#define CHUNK (4u << 20)

/* Copy @len bytes from cache data at @src to backing offset @dst. */
static int copy_range(struct wb *w, uint64_t src, uint64_t dst, uint64_t len,
		      uint8_t *buf)
{
	struct pc_err err = { 0 };
	int ret;

	while (len) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;

		ret = pc_dev_read(w->dev, src, buf, n, &err);
		if (!ret)
			ret = pc_dev_write(w->bdev, dst, buf, n, &err);
		if (ret) {
			wb_refuse(w, "%s", err.msg);
			return ret;
		}
		src += n;
		dst += n;
		len -= n;
		w->bytes_written += n;
		cli_progress("writeback", w->bytes_written, w->bytes_total);
	}
	return 0;
}

static uint64_t cache_off(struct wb *w, const struct pc_extent *e)
{
	return pc_cache_pos_dev_off(w->c, (struct pc_pos){ e->seg,
							   e->seg_off });
}

/*
 * Items @i.. that follow each other both on the backing device and in the
 * cache (a sequential write) are copied as one range; returns how many.
 */
static size_t run_of(struct wb *w, size_t i, uint64_t *len)
{
	const struct pc_extent *e = w->items[i].e;
	uint64_t src = cache_off(w, e);
	size_t n = 1;

	*len = e->len;
	while (i + n < w->n_items && *len < CHUNK) {
		const struct wb_item *it = &w->items[i + n];

		if (it->action != WB_WRITE || it->e->off != e->off + *len ||
		    it->e->seg != e->seg || cache_off(w, it->e) != src + *len)
			break;
		*len += it->e->len;
		n++;
	}
	return n;
}

int wb_copy(struct wb *w)
{
	uint8_t *buf;
	size_t i = 0;
	int ret = 0;

	if (!w->bytes_total)
		return 0;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	while (i < w->n_items && !ret) {
		const struct pc_extent *e = w->items[i].e;
		uint64_t len;
		size_t n;

		if (w->items[i].action != WB_WRITE) {
			i++;
			continue;
		}
		n = run_of(w, i, &len);
		ret = copy_range(w, cache_off(w, e), e->off, len, buf);
		i += n;
	}
	free(buf);
	cli_progress_done();
	return ret;
}

static bool pos_eq(struct pc_pos a, struct pc_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

int wb_finish(struct wb *w)
{
	struct pc_err err = { 0 };
	int ret;

	if (pos_eq(w->c->dirty_tail, w->r.head)) {
		w->result = "clean";
		return 0;
	}
	/* The data must be durable before the log says it is written back. */
	ret = pc_dev_flush(w->bdev, &err);
	if (!ret)
		ret = pc_cache_write_tail(w->c, PC_DIRTY_TAIL, w->r.head, &err);
	if (!ret) {
		w->tail_written = true;
		ret = pc_dev_flush(w->dev, &err);
	}
	if (ret) {
		wb_refuse(w, "%s", err.msg);
		return ret;
	}
	w->c->dirty_tail = w->r.head;
	w->result = "written";
	return 0;
}
