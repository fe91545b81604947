// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device identity: whether two paths reach the same storage. A path names
 * a file (its st_dev and st_ino), a block device or a devdax character
 * device (its st_rdev, whichever node names it). A loop
 * device also reaches the file it is bound to, and a partition lies inside
 * its disk, so both keep that too. Symlinks, "./" and hard links need no
 * care: stat() already sees through them to the same inode.
 *
 * Stacked devices (device-mapper, md) are not followed: a writer opens
 * block devices with O_EXCL, which fails on a device another one holds.
 * Two partitions of one loop device count as the same device (their file
 * matches): a refusal too many, never one too few.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"

static void id_add(struct pc_dev_id *id, enum pc_dev_id_kind kind,
		   uint64_t a, uint64_t b)
{
	if (id->n < PC_DEV_ID_KEYS)
		id->key[id->n++] = (struct pc_dev_id_key){ kind, a, b };
}

/* Device number of the disk holding partition @rdev, or 0 if none. */
static dev_t parent_disk(dev_t rdev)
{
	char path[PATH_MAX];
	unsigned int ma, mi;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition",
		 major(rdev), minor(rdev));
	if (access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev",
		 major(rdev), minor(rdev));
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	return n == 2 ? makedev(ma, mi) : 0;
}

/*
 * The file a loop device (@disk is the whole loop device) is bound to, by
 * its device and inode as the loop driver recorded them. 0 when @disk is
 * not a bound loop device.
 */
static int loop_backing(const char *path, dev_t disk, uint64_t *fdev,
			uint64_t *fino)
{
	struct loop_info64 li;
	char sys[PATH_MAX];
	int fd, ret;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/loop",
		 major(disk), minor(disk));
	if (access(sys, F_OK))
		return 0;
	/* The ioctl reaches the loop driver from a partition's node too. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ret = ioctl(fd, LOOP_GET_STATUS64, &li);
	close(fd);
	if (ret)
		return 0;
	*fdev = li.lo_device;
	*fino = li.lo_inode;
	return 1;
}

int pc_loop_file_open(const char *path, char *name, size_t len)
{
	uint64_t fdev, fino;
	char sys[PATH_MAX];
	struct stat st;
	dev_t disk;
	FILE *f;
	int fd;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return -1;
	disk = parent_disk(st.st_rdev);
	if (!disk)
		disk = st.st_rdev;
	if (!loop_backing(path, disk, &fdev, &fino))
		return -1;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/loop/backing_file",
		 major(disk), minor(disk));
	f = fopen(sys, "r");
	if (!f)
		return -1;
	if (!fgets(name, (int)len, f))
		name[0] = '\0';
	fclose(f);
	name[strcspn(name, "\n")] = '\0';
	fd = name[0] ? open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;
	/* the path may name another file by now (renamed, replaced) */
	if (fd >= 0 && (fstat(fd, &st) || st.st_dev != fdev ||
			st.st_ino != fino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int pc_dev_id_get(const char *path, struct pc_dev_id *id, struct pc_err *err)
{
	uint64_t fdev, fino;
	struct stat st;
	dev_t disk;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st)) {
		int ret = -errno;

		pc_err_set(err, ret, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (S_ISCHR(st.st_mode)) {
		/* devdax: any node of the same device number */
		id_add(id, PC_ID_CHAR, st.st_rdev, 0);
		return 0;
	}
	if (!S_ISBLK(st.st_mode)) {
		id_add(id, PC_ID_FILE, st.st_dev, st.st_ino);
		return 0;
	}
	id_add(id, PC_ID_BLOCK, st.st_rdev, 0);
	disk = parent_disk(st.st_rdev);
	if (disk)
		id_add(id, PC_ID_PART_OF, disk, 0);
	if (loop_backing(path, disk ? disk : st.st_rdev, &fdev, &fino))
		id_add(id, PC_ID_FILE, fdev, fino);
	return 0;
}

/* Does key @a of one device overlap key @b of the other? */
static const char *key_overlap(const struct pc_dev_id_key *a,
			       const struct pc_dev_id_key *b)
{
	if (a->kind == PC_ID_FILE && b->kind == PC_ID_FILE &&
	    a->a == b->a && a->b == b->b)
		return "the same file";
	if (a->kind == PC_ID_BLOCK && b->kind == PC_ID_BLOCK && a->a == b->a)
		return "the same block device";
	if (a->kind == PC_ID_CHAR && b->kind == PC_ID_CHAR && a->a == b->a)
		return "the same character device";
	/* a disk and one of its partitions; two partitions do not overlap */
	if (a->kind == PC_ID_BLOCK && b->kind == PC_ID_PART_OF && a->a == b->a)
		return "a disk and one of its partitions";
	if (a->kind == PC_ID_PART_OF && b->kind == PC_ID_BLOCK && a->a == b->a)
		return "a partition and its disk";
	return NULL;
}

const char *pc_dev_id_same(const struct pc_dev_id *a,
			   const struct pc_dev_id *b)
{
	const char *why;

	for (unsigned int i = 0; i < a->n && i < PC_DEV_ID_KEYS; i++) {
		for (unsigned int j = 0; j < b->n && j < PC_DEV_ID_KEYS; j++) {
			why = key_overlap(&a->key[i], &b->key[j]);
			if (why)
				return why;
		}
	}
	return NULL;
}

int pc_dev_check_distinct(const char *a, const char *b, struct pc_err *err)
{
	struct pc_dev_id ia, ib;
	const char *why;
	int ret;

	ret = pc_dev_id_get(a, &ia, err);
	if (!ret)
		ret = pc_dev_id_get(b, &ib, err);
	if (ret)
		return ret;
	why = pc_dev_id_same(&ia, &ib);
	if (!why)
		return 0;
	/* a file matched through a block device is a loop device's */
	if (!strcmp(why, "the same file") &&
	    (ia.key[0].kind == PC_ID_BLOCK || ib.key[0].kind == PC_ID_BLOCK))
		why = "the same file, through a loop device";
	pc_err_set(err, -EEXIST, "%s and %s are the same device (%s)", a, b,
		   why);
	return -EEXIST;
}
