// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpmem2 backend: device-DAX and files on a DAX filesystem are mapped,
 * reads go through the machine-check-safe copy (a poisoned line becomes an
 * error, not SIGBUS) and writes use libpmem2's persisting memcpy.
 */
#include <errno.h>
#include <libpmem2.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

struct pmem2_state {
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map;
	uint8_t *addr;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_drain_fn drain_fn;
};

static int p2_read(struct pc_dev *dev, uint64_t off, void *buf, size_t len)
{
	struct pmem2_state *s = dev->priv;
	int ret = pmem2_source_pread_mcsafe(s->src, buf, len, (size_t)off);

	return ret ? -EIO : 0;
}

static int p2_write(struct pc_dev *dev, uint64_t off, const void *buf,
		    size_t len)
{
	struct pmem2_state *s = dev->priv;

	s->memcpy_fn(s->addr + off, buf, len, PMEM2_F_MEM_NONTEMPORAL);
	return 0;
}

static int p2_flush(struct pc_dev *dev)
{
	struct pmem2_state *s = dev->priv;

	s->drain_fn();
	return 0;
}

static void p2_close(struct pc_dev *dev)
{
	struct pmem2_state *s = dev->priv;

	if (!s)
		return;
	if (s->map)
		pmem2_map_delete(&s->map);
	if (s->src)
		pmem2_source_delete(&s->src);
	if (s->cfg)
		pmem2_config_delete(&s->cfg);
	free(s);
	dev->priv = NULL;
}

static const struct pc_dev_ops pmem2_ops = {
	.read = p2_read,
	.write = p2_write,
	.flush = p2_flush,
	.close = p2_close,
};

int pc_dev_pmem2_attach(struct pc_dev *dev, struct pc_err *err)
{
	struct pmem2_state *s = calloc(1, sizeof(*s));
	size_t size;
	int ret;

	if (!s)
		return -ENOMEM;
	dev->priv = s;
	dev->ops = &pmem2_ops;
	ret = pmem2_config_new(&s->cfg);
	if (!ret)
		ret = pmem2_config_set_required_store_granularity(s->cfg,
						PMEM2_GRANULARITY_PAGE);
	if (!ret && !dev->writable)
		ret = pmem2_config_set_protection(s->cfg, PMEM2_PROT_READ);
	if (!ret)
		ret = pmem2_source_from_fd(&s->src, dev->fd);
	if (!ret)
		ret = pmem2_source_size(s->src, &size);
	if (!ret)
		ret = pmem2_map_new(&s->map, s->cfg, s->src);
	if (ret) {
		const char *why = pmem2_errormsg();

		/* libpmem2 leaves its message empty for some refusals */
		pc_err_set(err, -EIO, "%s: cannot map through libpmem2: %s",
			   dev->path, why && *why ? why :
			   ret > PMEM2_E_UNKNOWN ? strerror(-ret) :
			   "not a file on a DAX filesystem nor a Device-DAX "
			   "device");
		return -EIO;
	}
	dev->size = size;
	s->addr = pmem2_map_get_address(s->map);
	s->memcpy_fn = pmem2_get_memcpy_fn(s->map);
	s->drain_fn = pmem2_get_drain_fn(s->map);
	return 0;
}
