// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device access: one interface over image files, block devices and
 * device-DAX. Files and block devices use pread/pwrite and fsync (libpmem2
 * cannot open block devices); devdax and files on a DAX filesystem are
 * mapped through libpmem2.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "device.h"

static int fd_read(struct pc_dev *dev, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(dev->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)	/* within the size it had when opened */
			return -ENODATA;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int pc_fd_read_whole(int fd, uint64_t off, void *buf, size_t len,
		     bool nowait)
{
	struct iovec iov = { buf, len };
	ssize_t n;

	do
		n = preadv2(fd, &iov, 1, (off_t)off, nowait ? RWF_NOWAIT : 0);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 && errno == EAGAIN ? 1 : -1;
}

bool pc_fd_in_memory(int fd)
{
	struct statfs st;

	return !fstatfs(fd, &st) && (st.f_type == TMPFS_MAGIC ||
				     st.f_type == RAMFS_MAGIC);
}

static int fd_write(struct pc_dev *dev, uint64_t off, const void *buf,
		    size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(dev->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int fd_flush(struct pc_dev *dev)
{
	return fsync(dev->fd) ? -errno : 0;
}

const struct pc_dev_ops pc_dev_fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
};

const char *pc_dev_kind_name(enum pc_dev_kind kind)
{
	switch (kind) {
	case PC_DEV_FILE:
		return "file";
	case PC_DEV_BLOCK:
		return "block";
	case PC_DEV_DEVDAX:
		return "devdax";
	}
	return "?";
}

static bool file_is_dax(int fd)
{
#ifdef STATX_ATTR_DAX
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return false;
	return stx.stx_attributes & stx.stx_attributes_mask & STATX_ATTR_DAX;
#else
	(void)fd;
	return false;
#endif
}

/* Device-DAX character devices belong to the "dax" subsystem in sysfs. */
static bool chr_is_devdax(dev_t rdev)
{
	char link[64], target[256];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem",
		 major(rdev), minor(rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	return !strcmp(base ? base + 1 : target, "dax");
}

static int probe_kind(struct pc_dev *dev, struct pc_err *err)
{
	struct stat st;

	if (fstat(dev->fd, &st)) {
		pc_err_set(err, -errno, "%s: cannot stat: %s", dev->path,
			   strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode)) {
		dev->kind = PC_DEV_FILE;
		dev->size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode)) {
		dev->kind = PC_DEV_BLOCK;
		if (ioctl(dev->fd, BLKGETSIZE64, &dev->size)) {
			pc_err_set(err, -errno, "%s: cannot get device size: %s",
				   dev->path, strerror(errno));
			return -errno;
		}
		return 0;
	}
	if (S_ISCHR(st.st_mode)) {
		if (!chr_is_devdax(st.st_rdev)) {
			pc_err_set(err, -EINVAL, "%s: a character device that "
				   "is not Device-DAX (only /dev/daxN.M ones "
				   "can hold a cache)", dev->path);
			return -EINVAL;
		}
		dev->kind = PC_DEV_DEVDAX;
		return 0;
	}
	pc_err_set(err, -EINVAL,
		   "%s: not a regular file, block device or devdax device",
		   dev->path);
	return -EINVAL;
}

int pc_dev_open(const char *path, unsigned int flags, struct pc_dev **out,
		struct pc_err *err)
{
	int oflags = (flags & PC_OPEN_RDWR) ? O_RDWR : O_RDONLY;
	struct pc_dev *dev;
	struct stat st;
	int ret;

	*out = NULL;
	if (stat(path, &st)) {
		ret = -errno;
		pc_err_set(err, ret, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		pc_err_set(err, -EISDIR, "%s: is a directory", path);
		return -EISDIR;
	}
	if ((flags & PC_OPEN_EXCL) && S_ISBLK(st.st_mode))
		oflags |= O_EXCL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->lock_fd = -1;
	dev->path = strdup(path);
	dev->writable = flags & PC_OPEN_RDWR;
	dev->ops = &pc_dev_fd_ops;
	dev->fd = open(path, oflags | O_CLOEXEC);
	if (dev->fd < 0 || !dev->path) {
		ret = dev->path ? -errno : -ENOMEM;
		if (ret == -EBUSY)
			pc_err_set(err, ret, "%s: device is in use (mounted, "
				   "mapped by device-mapper or opened "
				   "exclusively)", path);
		else
			pc_err_set(err, ret, "%s: cannot open: %s", path,
				   strerror(-ret));
		goto fail;
	}
	ret = probe_kind(dev, err);
	if (ret)
		goto fail;
	if (!(flags & PC_OPEN_NOLOCK)) {
		ret = pc_lock_fd(dev->fd, path, flags & PC_OPEN_RDWR, err);
		/* writers through a loop device and on its file exclude each
		 * other as well */
		if (!ret && dev->kind == PC_DEV_BLOCK)
			ret = pc_lock_loop_file(path, flags & PC_OPEN_RDWR,
						&dev->lock_fd, err);
		if (ret)
			goto fail;
	}
	/* PCACHE_FORCE_PMEM2=1 maps regular files too: tests use it to run
	 * the devdax code path without DAX hardware. */
	if (dev->kind == PC_DEV_DEVDAX ||
	    (dev->kind == PC_DEV_FILE && (file_is_dax(dev->fd) ||
					  getenv("PCACHE_FORCE_PMEM2")))) {
		ret = pc_dev_pmem2_attach(dev, err);
		if (ret)
			goto fail;
	}
	*out = dev;
	return 0;
fail:
	pc_dev_close(dev);
	return ret;
}

void pc_dev_close(struct pc_dev *dev)
{
	if (!dev)
		return;
	if (dev->ops && dev->ops->close)
		dev->ops->close(dev);
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->lock_fd >= 0)
		close(dev->lock_fd);
	free(dev->path);
	free(dev);
}

static int check_range(struct pc_dev *dev, uint64_t off, uint64_t len,
		       const char *what, struct pc_err *err)
{
	if (off > dev->size || len > dev->size - off) {
		pc_err_set(err, -ERANGE,
			   "%s: %s of %llu bytes at offset %llu is beyond the "
			   "end of the device (%llu bytes)", dev->path, what,
			   (unsigned long long)len, (unsigned long long)off,
			   (unsigned long long)dev->size);
		return -ERANGE;
	}
	return 0;
}

int pc_dev_read(struct pc_dev *dev, uint64_t off, void *buf, size_t len,
		struct pc_err *err)
{
	int ret = check_range(dev, off, len, "read", err);

	if (ret)
		return ret;
	ret = dev->ops->read(dev, off, buf, len);
	/*
	 * The end of a file or device met inside the size it had when it
	 * was opened: it shrank under us. Its bytes are gone, not zeros: a
	 * tool that took them for zeros would write zeros back as data.
	 */
	if (ret == -ENODATA)
		pc_err_set(err, -EIO, "%s: read of %zu bytes at offset %llu "
			   "met the end of the device, which had %llu bytes "
			   "when opened: it shrank", dev->path, len,
			   (unsigned long long)off,
			   (unsigned long long)dev->size);
	else if (ret)
		pc_err_set(err, ret, "%s: read of %zu bytes at offset %llu "
			   "failed: %s", dev->path, len,
			   (unsigned long long)off, strerror(-ret));
	return ret == -ENODATA ? -EIO : ret;
}

/* What every write must pass: a device opened to write, a range inside it. */
static int check_write(struct pc_dev *dev, uint64_t off, uint64_t len,
		       struct pc_err *err)
{
	if (!dev->writable) {
		pc_err_set(err, -EROFS, "%s: opened read-only", dev->path);
		return -EROFS;
	}
	return check_range(dev, off, len, "write", err);
}

int pc_dev_write(struct pc_dev *dev, uint64_t off, const void *buf,
		 size_t len, struct pc_err *err)
{
	int ret;

	ret = check_write(dev, off, len, err);
	if (ret)
		return ret;
	ret = dev->ops->write(dev, off, buf, len);
	if (dev->next_data_valid && off < dev->next_data)
		dev->next_data = off;
	if (ret)
		pc_err_set(err, ret, "%s: write of %zu bytes at offset %llu "
			   "failed: %s", dev->path, len,
			   (unsigned long long)off, strerror(-ret));
	return ret;
}

/*
 * Write @iov to @fd at @off, IOV_MAX buffers per call. A short write ends
 * inside some buffer: its rest is written on its own, then the next ones
 * together again.
 */
static int fd_writev(int fd, uint64_t off, const struct iovec *iov, int cnt)
{
	while (cnt) {
		int n_iov = cnt < IOV_MAX ? cnt : IOV_MAX;
		ssize_t n = pwritev(fd, iov, n_iov, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (uint64_t)n;
		for (; cnt && (size_t)n >= iov->iov_len; iov++, cnt--)
			n -= (ssize_t)iov->iov_len;
		if (n) {	/* inside *iov */
			struct iovec rest = {
				(uint8_t *)iov->iov_base + n,
				iov->iov_len - (size_t)n,
			};
			int ret = fd_writev(fd, off, &rest, 1);

			if (ret)
				return ret;
			off += rest.iov_len;
			iov++;
			cnt--;
		}
	}
	return 0;
}

int pc_dev_writev(struct pc_dev *dev, uint64_t off, const struct iovec *iov,
		  int cnt, struct pc_err *err)
{
	uint64_t len = 0;
	int ret = 0;

	for (int i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	ret = check_write(dev, off, len, err);
	if (ret)
		return ret;
	if (dev->ops == &pc_dev_fd_ops) {
		ret = fd_writev(dev->fd, off, iov, cnt);
	} else {
		uint64_t at = off;

		for (int i = 0; i < cnt && !ret; i++) {
			ret = dev->ops->write(dev, at, iov[i].iov_base,
					      iov[i].iov_len);
			at += iov[i].iov_len;
		}
	}
	if (dev->next_data_valid && off < dev->next_data)
		dev->next_data = off;
	if (ret)
		pc_err_set(err, ret, "%s: write of %llu bytes at offset %llu "
			   "failed: %s", dev->path, (unsigned long long)len,
			   (unsigned long long)off, strerror(-ret));
	return ret;
}

int pc_dev_fd(const struct pc_dev *dev)
{
	return dev->ops == &pc_dev_fd_ops ? dev->fd : -1;
}

int pc_dev_zero(struct pc_dev *dev, uint64_t off, uint64_t len,
		struct pc_err *err)
{
	static const uint8_t zeros[65536];
	int ret = 0;

	while (len && !ret) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		ret = pc_dev_write(dev, off, zeros, n, err);
		off += n;
		len -= n;
	}
	return ret;
}

int pc_dev_flush(struct pc_dev *dev, struct pc_err *err)
{
	int ret;

	if (!dev->writable)
		return 0;
	ret = dev->ops->flush(dev);
	if (ret)
		pc_err_set(err, ret, "%s: flush failed: %s", dev->path,
			   strerror(-ret));
	return ret;
}

uint64_t pc_dev_size(const struct pc_dev *dev)
{
	return dev->size;
}

const char *pc_dev_path(const struct pc_dev *dev)
{
	return dev->path;
}

enum pc_dev_kind pc_dev_kind(const struct pc_dev *dev)
{
	return dev->kind;
}

/*
 * Holes let a formatter skip writing zeros that are already there, so a
 * sparse image stays sparse. The answer of SEEK_DATA is cached: callers
 * query increasing offsets and only write inside ranges already queried.
 */
bool pc_dev_is_hole(struct pc_dev *dev, uint64_t off, uint64_t len)
{
	off_t d;

	if (dev->kind != PC_DEV_FILE || dev->priv)
		return false;
	if (dev->next_data_valid && off <= dev->next_data &&
	    off + len <= dev->next_data)
		return true;
	d = lseek(dev->fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		if (errno != ENXIO)
			return false;
		d = (off_t)dev->size;	/* no data after off */
	}
	dev->next_data = (uint64_t)d;
	dev->next_data_valid = true;
	return off + len <= dev->next_data;
}

bool pc_dev_writable(const struct pc_dev *dev)
{
	return dev->writable;
}
