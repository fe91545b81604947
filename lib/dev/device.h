/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: the device handle behind struct pc_dev and its two backends. */
#ifndef PC_DEVICE_H
#define PC_DEVICE_H

#include "pcache.h"

struct pc_dev_ops {
	int (*read)(struct pc_dev *dev, uint64_t off, void *buf, size_t len);
	int (*write)(struct pc_dev *dev, uint64_t off, const void *buf,
		     size_t len);
	int (*flush)(struct pc_dev *dev);
	void (*close)(struct pc_dev *dev);
};

struct pc_dev {
	char *path;
	int fd;
	enum pc_dev_kind kind;
	bool writable;
	uint64_t size;
	const struct pc_dev_ops *ops;
	void *priv;		/* backend state */
	uint64_t next_data;	/* cached SEEK_DATA answer, see is_hole */
	bool next_data_valid;
	int lock_fd;		/* a loop device's file, locked; or -1 */
};

extern const struct pc_dev_ops pc_dev_fd_ops;
/*
 * A read-only descriptor of the file loop device @path is bound to (its
 * name in @name), checked against the inode the loop driver holds; -1
 * when @path is no bound loop device or the file cannot be reached.
 */
int pc_loop_file_open(const char *path, char *name, size_t len);

/* An in-memory overlay over @base (overlay.c): writes stay in memory. */
int pc_dev_overlay(struct pc_dev *base, struct pc_dev **out);
/* Set up the libpmem2 backend on dev->fd; 0 or negative errno. */
int pc_dev_pmem2_attach(struct pc_dev *dev, struct pc_err *err);

/*
 * For the read-ahead threads (prefetch.c, chain_ahead.c): @len bytes at
 * @off in one read, only from the page cache when @nowait. 0 when all were
 * read, 1 when the read would have waited, -1 otherwise (an error, a
 * short read, a file that refuses RWF_NOWAIT).
 */
int pc_fd_read_whole(int fd, uint64_t off, void *buf, size_t len,
		     bool nowait);
/* A file of tmpfs or ramfs: its pages are memory, nothing to read ahead,
 * and it refuses RWF_NOWAIT. */
bool pc_fd_in_memory(int fd);

#endif
