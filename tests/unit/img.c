// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img.h"

struct pc_dev *img_new(char *path, uint64_t size, bool data_crc)
{
	struct pc_format_opts o = { .data_crc = data_crc, .gc_percent = 70 };
	struct pc_dev *dev = NULL;
	struct pc_layout l;
	int fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, (off_t)size))
		abort();
	close(fd);
	if (pc_dev_open(path, PC_OPEN_RDWR, &dev, NULL) ||
	    pc_format_plan(size, &o, &l, NULL) ||
	    pc_format_write(dev, &l, &o, NULL))
		abort();
	unlink(path);	/* the open descriptor keeps it alive */
	return dev;
}

void img_poke(struct pc_dev *dev, uint64_t off, const void *buf, size_t len)
{
	if (pc_dev_write(dev, off, buf, len, NULL))
		abort();
}

void img_poke32(struct pc_dev *dev, uint64_t off, uint32_t v)
{
	img_poke(dev, off, &v, sizeof(v));
}

int img_open(struct pc_dev *dev, struct pc_cache **c, struct pc_err *err)
{
	pc_err_clear(err);
	return pc_cache_open(dev, c, err);
}

uint32_t img_put_kset(struct pc_dev *dev, uint32_t seg, uint32_t off,
		      const struct pcd_key *keys, uint32_t n, bool last)
{
	uint8_t buf[PCD_KSET_SIZE_MAX] = { 0 };
	struct pcd_kset *ks = (void *)buf;
	uint32_t size;

	if (!last && n)
		memcpy(ks->keys, keys, n * sizeof(*keys));
	size = pc_encode_kset(buf, n, last);
	img_poke(dev, pcd_data_offset(seg, off), buf, size);
	return size;
}
