/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit-test helpers: formatted temporary images and raw pokes. */
#ifndef PC_TEST_IMG_H
#define PC_TEST_IMG_H

#include "pcache.h"

/* Format a sparse image of @size bytes; returns an open RDWR device. */
struct pc_dev *img_new(char *path, uint64_t size, bool data_crc);
void img_poke(struct pc_dev *dev, uint64_t off, const void *buf, size_t len);
void img_poke32(struct pc_dev *dev, uint64_t off, uint32_t v);
/* Seal a kset of @n keys (or a LAST kset) at cache segment @seg (= physical
 * after format), data offset @off; returns its size. */
uint32_t img_put_kset(struct pc_dev *dev, uint32_t seg, uint32_t off,
		      const struct pcd_key *keys, uint32_t n, bool last);
/* pc_cache_open; returns its result, *err gets the message. */
int img_open(struct pc_dev *dev, struct pc_cache **c, struct pc_err *err);

#endif
