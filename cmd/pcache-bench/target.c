// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * target.c - open the device under test, find its size, and refuse to
 * write to one that holds a filesystem or is in use.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <blkid/blkid.h>
#include <linux/fs.h>

#include "bench.h"
#include "pcache.h"

static void read_dm_name(struct target *t)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm/name",
		 t->major, t->minor);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(t->dm_name, sizeof(t->dm_name), f))
		t->dm_name[strcspn(t->dm_name, "\n")] = '\0';
	fclose(f);
}

static int block_geometry(struct target *t)
{
	int lbs = 512;

	if (ioctl(t->fd, BLKGETSIZE64, &t->size))
		return -errno;
	if (ioctl(t->fd, BLKSSZGET, &lbs) == 0 && lbs > 0)
		t->lbs = (unsigned int)lbs;
	return 0;
}

static int open_flags(const struct io_opts *o, const struct stat *st)
{
	int flags = rw_writes(o->rw) ? O_RDWR : O_RDONLY;

	if (o->direct)
		flags |= O_DIRECT;
	/* O_EXCL on a block device fails with EBUSY if it is mounted or
	 * held by another device (e.g. the backing device of a live cache). */
	if (S_ISBLK(st->st_mode) && rw_writes(o->rw) && !o->force)
		flags |= O_EXCL;
	return flags;
}

int target_open(struct target *t, const struct io_opts *o)
{
	struct pc_err err = { 0 };
	struct stat st;
	int ret;

	memset(t, 0, sizeof(*t));
	t->path = o->device;
	t->fd = -1;
	t->lock_fd = -1;
	t->lbs = 512;
	if (stat(t->path, &st)) {
		bench_err("%s: %s", t->path, strerror(errno));
		return -errno;
	}
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
		bench_err("%s: not a block device or regular file", t->path);
		return -EINVAL;
	}
	t->is_block = S_ISBLK(st.st_mode);
	if (t->is_block) {
		t->major = major(st.st_rdev);
		t->minor = minor(st.st_rdev);
		read_dm_name(t);
	}
	/* Refuse before opening for writing: the target stays untouched. */
	ret = target_check_safe(t, o);
	if (ret)
		return ret;
	t->fd = open(t->path, open_flags(o, &st) | O_CLOEXEC);
	if (t->fd < 0) {
		ret = -errno;
		bench_err("%s: %s%s", t->path, strerror(errno),
			  errno == EBUSY ? " (mounted or in use; --force overrides)" : "");
		return ret;
	}
	/* a shared lock for reading, an exclusive one for writing, as
	 * every pcache tool takes; --force does not override it */
	ret = pc_lock_fd(t->fd, t->path, rw_writes(o->rw), &err);
	if (!ret && t->is_block)
		ret = pc_lock_loop_file(t->path, rw_writes(o->rw),
					&t->lock_fd, &err);
	if (ret) {
		bench_err("%s", err.msg);
		return ret;
	}
	if (t->is_block) {
		ret = block_geometry(t);
		if (ret) {
			bench_err("%s: cannot read size: %s", t->path, strerror(-ret));
			return ret;
		}
	} else {
		t->size = (uint64_t)st.st_size;
	}
	return 0;
}

void target_close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	t->fd = -1;
	t->lock_fd = -1;
}

/* Name of a filesystem/raid/partition-table signature, or NULL. */
static char *probe_signature(const char *path)
{
	const char *type = NULL;
	blkid_probe pr;
	char *res = NULL;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return NULL;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	if (blkid_do_safeprobe(pr) == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL))
			blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL);
		if (type)
			res = strdup(type);
	}
	blkid_free_probe(pr);
	return res;
}

/* Is major:minor (or the file's device:inode) mounted? Reads mountinfo. */
static bool is_mounted(const struct target *t)
{
	char line[4096];
	unsigned int ma, mi;
	bool found = false;
	FILE *f;

	if (!t->is_block)
		return false;
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u", &ma, &mi) == 2 &&
		    ma == t->major && mi == t->minor)
			found = true;
	}
	fclose(f);
	return found;
}

static bool has_holders(const struct target *t)
{
	char path[PATH_MAX];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	if (!t->is_block)
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders",
		 t->major, t->minor);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir)))
		found = d->d_name[0] != '.';
	closedir(dir);
	return found;
}

/*
 * libblkid does not know dm-pcache: our own probe, which also finds a cache
 * whose superblock is gone. Description in @what, or NULL.
 */
static bool holds_cache(const char *path, char *what, size_t len)
{
	struct pc_dev *dev;
	struct pc_probe p;
	bool found;

	if (pc_dev_open(path, PC_OPEN_NOLOCK, &dev, NULL))
		return false;
	found = pc_probe_cache(dev, &p, NULL) > 0;
	if (found)
		pc_probe_describe(&p, what, len);
	pc_dev_close(dev);
	return found;
}

/*
 * A write workload destroys data: refuse one on a device that is mounted,
 * held by another device, or carries a recognised signature or a pcache
 * cache, unless --force.
 */
int target_check_safe(const struct target *t, const struct io_opts *o)
{
	char what[256];
	char *sig;

	if (!rw_writes(o->rw) || o->force)
		return 0;
	if (is_mounted(t)) {
		bench_err("%s: is mounted; refusing to write (use --force)", t->path);
		return -EBUSY;
	}
	if (has_holders(t)) {
		bench_err("%s: is in use by another device; refusing to write (use --force)",
			  t->path);
		return -EBUSY;
	}
	if (holds_cache(t->path, what, sizeof(what))) {
		bench_err("%s: holds %s; refusing to write (use --force)",
			  t->path, what);
		return -EEXIST;
	}
	sig = probe_signature(t->path);
	if (sig) {
		bench_err("%s: holds an existing %s signature; refusing to write (use --force)",
			  t->path, sig);
		free(sig);
		return -EEXIST;
	}
	return 0;
}

/* The same refusal for a file about to be overwritten by "lib". */
int path_check_safe(const char *path, bool force)
{
	struct io_opts o = { .device = path, .rw = RW_WRITE, .force = force };
	struct target t = { .path = path, .fd = -1 };
	struct stat st;

	if (force || stat(path, &st))
		return 0;	/* nothing there yet */
	if (S_ISBLK(st.st_mode)) {
		t.is_block = true;
		t.major = major(st.st_rdev);
		t.minor = minor(st.st_rdev);
	}
	return target_check_safe(&t, &o);
}
