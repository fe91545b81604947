// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Advisory locks on the devices the tools open: shared for readers,
 * exclusive for writers, never waited for. flock(2) rather than fcntl
 * locks: a flock belongs to the open file, so it is neither dropped when
 * another descriptor of the file is closed nor shared with a child, and
 * /proc/locks names the process that took it, so a refusal can say who
 * holds the device. flock(1) takes the same kind of lock from a shell.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"

/* Command name of process @pid, or "" when it cannot be read. */
static void proc_comm(long pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * The pid of a process holding a FLOCK on the inode behind @fd, from
 * /proc/locks ("1: FLOCK  ADVISORY  WRITE 1234 00:2f:5678 0 EOF"; lines
 * with "->" are waiters). 0 when none is listed (or no pid is given).
 */
static long lock_holder(int fd)
{
	unsigned int ma, mi;
	unsigned long ino;
	char line[256], type[16];
	struct stat st;
	long pid, found = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", type, &pid,
			   &ma, &mi, &ino) != 5 || strcmp(type, "FLOCK"))
			continue;
		/* our own pid too: a second open in this process conflicts */
		if (makedev(ma, mi) == st.st_dev && ino == st.st_ino && pid > 0)
			found = pid;
	}
	fclose(f);
	return found;
}

int pc_lock_loop_file(const char *path, bool exclusive, int *lock_fd,
		      struct pc_err *err)
{
	char name[PATH_MAX], what[PATH_MAX + 64];
	int fd = pc_loop_file_open(path, name, sizeof(name));
	int ret;

	*lock_fd = -1;
	if (fd < 0)
		return 0;
	snprintf(what, sizeof(what), "%s (loop device over %s)", path, name);
	ret = pc_lock_fd(fd, what, exclusive, err);
	if (ret) {
		close(fd);
		return ret;
	}
	*lock_fd = fd;
	return 0;
}

int pc_lock_fd(int fd, const char *path, bool exclusive, struct pc_err *err)
{
	char comm[64];
	long pid;

	while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			int ret = -errno;

			/* a filesystem without locks: nothing to agree on */
			if (ret == -ENOLCK || ret == -EOPNOTSUPP ||
			    ret == -EINVAL)
				return 0;
			pc_err_set(err, ret, "%s: cannot lock: %s", path,
				   strerror(-ret));
			return ret;
		}
		pid = lock_holder(fd);
		proc_comm(pid, comm, sizeof(comm));
		if (pid && comm[0])
			pc_err_set(err, -EBUSY, "%s: locked by %s (pid %ld)",
				   path, comm, pid);
		else if (pid)
			pc_err_set(err, -EBUSY, "%s: locked by pid %ld", path,
				   pid);
		else
			pc_err_set(err, -EBUSY, "%s: locked by another "
				   "process", path);
		return -EBUSY;
	}
	return 0;
}
