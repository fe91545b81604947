// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An in-memory overlay over a device: reads come from the device with the
 * overlay's writes laid over them; writes stay in memory. The checker uses
 * it to run its planned repairs and check the result before writing
 * anything. Repairs write a few small records, so a list of writes is
 * enough; later writes are applied after earlier ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "grow.h"

struct ov_write {
	uint64_t off;
	size_t len;
	uint8_t *data;
};

struct overlay {
	struct pc_dev *base;
	struct ov_write *w;
	size_t n, cap;
};

static int ov_read(struct pc_dev *dev, uint64_t off, void *buf, size_t len)
{
	struct overlay *o = dev->priv;
	int ret = pc_dev_read(o->base, off, buf, len, NULL);

	if (ret)
		return ret;
	for (size_t i = 0; i < o->n; i++) {
		const struct ov_write *w = &o->w[i];
		uint64_t s = w->off > off ? w->off : off;
		uint64_t e = w->off + w->len < off + len ? w->off + w->len :
							    off + len;

		if (s < e)
			memcpy((uint8_t *)buf + (s - off), w->data + (s - w->off),
			       (size_t)(e - s));
	}
	return 0;
}

static int ov_write(struct pc_dev *dev, uint64_t off, const void *buf,
		    size_t len)
{
	struct overlay *o = dev->priv;
	struct ov_write *w;

	if (pc_grow(&o->w, o->n, &o->cap, sizeof(*o->w), 16))
		return -ENOMEM;
	w = &o->w[o->n];
	w->data = malloc(len ? len : 1);
	if (!w->data)
		return -ENOMEM;
	memcpy(w->data, buf, len);
	w->off = off;
	w->len = len;
	o->n++;
	return 0;
}

static int ov_flush(struct pc_dev *dev)
{
	(void)dev;
	return 0;
}

static void ov_close(struct pc_dev *dev)
{
	struct overlay *o = dev->priv;

	for (size_t i = 0; o && i < o->n; i++)
		free(o->w[i].data);
	if (o)
		free(o->w);
	free(o);
	dev->priv = NULL;
}

static const struct pc_dev_ops ov_ops = {
	.read = ov_read,
	.write = ov_write,
	.flush = ov_flush,
	.close = ov_close,
};

int pc_dev_overlay(struct pc_dev *base, struct pc_dev **out)
{
	struct pc_dev *dev = calloc(1, sizeof(*dev));
	struct overlay *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (!dev || !o || !(dev->path = strdup(base->path))) {
		free(dev);
		free(o);
		return -ENOMEM;
	}
	o->base = base;
	dev->fd = -1;
	dev->lock_fd = -1;	/* no lock of its own: the base holds it */
	dev->kind = base->kind;
	dev->writable = true;
	dev->size = base->size;
	dev->ops = &ov_ops;
	dev->priv = o;
	*out = dev;
	return 0;
}
