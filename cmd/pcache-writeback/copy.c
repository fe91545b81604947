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

static int copy_extent(struct wb *w, const struct pc_extent *e, uint8_t *buf)
{
	uint64_t src = pc_cache_pos_dev_off(w->c, (struct pc_pos){ e->seg,
							    e->seg_off });
	uint64_t dst = e->off, left = e->len;
	struct pc_err err = { 0 };
	int ret;

	while (left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		ret = pc_dev_read(w->dev, src, buf, n, &err);
		if (!ret)
			ret = pc_dev_write(w->bdev, dst, buf, n, &err);
		if (ret) {
			wb_refuse(w, "%s", err.msg);
			return ret;
		}
		src += n;
		dst += n;
		left -= n;
		w->bytes_written += n;
		cli_progress("writeback", w->bytes_written, w->bytes_total);
	}
	return 0;
}

int wb_copy(struct wb *w)
{
	uint8_t *buf;
	int ret = 0;

	if (!w->bytes_total)
		return 0;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_items && !ret; i++)
		if (w->items[i].action == WB_WRITE)
			ret = copy_extent(w, w->items[i].e, buf);
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
