// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dm.c - the libdevmapper calls pcache makes. Device nodes appear through
 * udev when it runs (udev cookies), and are made by libdevmapper itself
 * when it does not (initramfs, DM_DISABLE_UDEV=1).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdevmapper.h>

#include "pcache.h"

/* libdevmapper's log levels are syslog's, plus a flag bit */
#define DM_LEVEL_ERR	3
#define DM_LEVEL_STDERR	128

static char dm_last_err[256];

/* Keep libdevmapper's last error for our own one-line message. */
static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *f, ...)
{
	va_list ap;

	(void)file; (void)line; (void)dm_errno;
	if ((level & ~DM_LEVEL_STDERR) > DM_LEVEL_ERR)
		return;
	va_start(ap, f);
	vsnprintf(dm_last_err, sizeof(dm_last_err), f, ap);
	va_end(ap);
}

void dm_setup(void)
{
	dm_log_with_errno_init(dm_log);
	dm_udev_set_sync_support(1);
}

static int dm_fail(int err)
{
	if (dm_last_err[0])
		cli_err("device-mapper: %s", dm_last_err);
	return err;
}

static struct dm_task *task_named(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

int dm_info_get(const char *name, struct dm_dev_info *info)
{
	struct dm_task *dmt = task_named(DM_DEVICE_INFO, name);
	struct dm_info di;
	const char *uuid;
	int ret = -EIO;

	memset(info, 0, sizeof(*info));
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &di))
		goto out;
	ret = 0;
	info->exists = di.exists;
	if (!di.exists)
		goto out;
	info->major = di.major;
	info->minor = di.minor;
	info->open_count = di.open_count;
	info->suspended = di.suspended;
	uuid = dm_task_get_uuid(dmt);
	snprintf(info->uuid, sizeof(info->uuid), "%s", uuid ? uuid : "");
out:
	dm_task_destroy(dmt);
	return ret;
}

/* Run a task that changes nodes, and wait for udev (or make them). */
static int run_with_cookie(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int ok;

	dm_last_err[0] = '\0';
	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return -EIO;
	ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
	return ok ? 0 : -EIO;
}

int dm_create_dev(const char *name, const char *uuid, uint64_t sectors,
		  const char *params)
{
	struct dm_task *dmt = task_named(DM_DEVICE_CREATE, name);
	int ret = -EIO;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_uuid(dmt, uuid) ||
	    !dm_task_add_target(dmt, 0, sectors, PCACHE_TARGET, params))
		goto out;
	ret = run_with_cookie(dmt);
	if (ret)
		dm_fail(ret);
out:
	dm_task_destroy(dmt);
	return ret;
}

int dm_remove_dev(const char *name)
{
	struct dm_task *dmt = task_named(DM_DEVICE_REMOVE, name);
	int ret;

	if (!dmt)
		return -ENOMEM;
	/* udev's short-lived opens after a change must not fail us */
	dm_task_retry_remove(dmt);
	ret = run_with_cookie(dmt);
	if (ret)
		dm_fail(ret);
	dm_task_destroy(dmt);
	return ret;
}

int dm_message(const char *name, const char *msg)
{
	struct dm_task *dmt = task_named(DM_DEVICE_TARGET_MSG, name);
	int ret = -EIO;

	if (!dmt)
		return -ENOMEM;
	dm_last_err[0] = '\0';
	if (dm_task_set_sector(dmt, 0) && dm_task_set_message(dmt, msg) &&
	    dm_task_run(dmt))
		ret = 0;
	dm_task_destroy(dmt);
	return ret;
}

/* The single target of @name: its length and parameters. */
static int first_target(int type, const char *name, uint64_t *len,
			char *params, size_t plen)
{
	struct dm_task *dmt = task_named(type, name);
	char *ttype = NULL, *tparams = NULL;
	uint64_t start = 0, length = 0;
	struct dm_info di;
	int ret = -EIO;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_no_open_count(dmt) || !dm_task_run(dmt) ||
	    !dm_task_get_info(dmt, &di))
		goto out;
	ret = -ENODEV;
	if (!di.exists)
		goto out;
	dm_get_next_target(dmt, NULL, &start, &length, &ttype, &tparams);
	ret = -EMEDIUMTYPE;
	if (!ttype || strcmp(ttype, PCACHE_TARGET))
		goto out;
	*len = length;
	snprintf(params, plen, "%s", tparams ? tparams : "");
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

int dm_live_read(const char *name, struct pc_live *lv)
{
	struct dm_dev_info info;
	char table[512];
	int ret;

	memset(lv, 0, sizeof(*lv));
	snprintf(lv->name, sizeof(lv->name), "%s", name);
	ret = first_target(DM_DEVICE_TABLE, name, &lv->sectors, table,
			   sizeof(table));
	if (ret)
		return ret;
	if (sscanf(table, "%31s %31s", lv->cache_dev, lv->backing_dev) != 2)
		return -EIO;
	ret = first_target(DM_DEVICE_STATUS, name, &lv->sectors, lv->params,
			   sizeof(lv->params));
	if (ret)
		return ret;
	if (pcs_parse(lv->params, &lv->st))
		return -EBADMSG;
	if (!dm_info_get(name, &info))
		snprintf(lv->uuid, sizeof(lv->uuid), "%s", info.uuid);
	return 0;
}

static int add_name(char ***names, size_t *n, const char *name)
{
	char **grown = realloc(*names, (*n + 1) * sizeof(**names));

	if (!grown)
		return -ENOMEM;
	*names = grown;
	grown[*n] = strdup(name);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dm_list_pcache(char ***names, size_t *n)
{
	struct dm_task *dmt = task_named(DM_DEVICE_LIST, NULL);
	struct dm_names *dn;
	unsigned int next = 0;
	char params[512];
	uint64_t len;
	int ret = -EIO;

	*names = NULL;
	*n = 0;
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt) || !(dn = dm_task_get_names(dmt)))
		goto out;
	ret = 0;
	if (!dn->dev)
		goto out;
	do {
		dn = (struct dm_names *)((char *)dn + next);
		if (!first_target(DM_DEVICE_TABLE, dn->name, &len, params,
				  sizeof(params)) &&
		    add_name(names, n, dn->name)) {
			ret = -ENOMEM;
			break;
		}
		next = dn->next;
	} while (next);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_names);
out:
	dm_task_destroy(dmt);
	return ret;
}

void dm_free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool dm_target_registered(const char *type)
{
	struct dm_task *dmt = task_named(DM_DEVICE_LIST_VERSIONS, NULL);
	struct dm_versions *v;
	unsigned int next = 0;
	bool found = false;

	if (!dmt)
		return false;
	if (!dm_task_run(dmt) || !(v = dm_task_get_versions(dmt)))
		goto out;
	do {
		v = (struct dm_versions *)((char *)v + next);
		if (!strcmp(v->name, type))
			found = true;
		next = v->next;
	} while (next && !found);
out:
	dm_task_destroy(dmt);
	return found;
}

/* The dm name of a holder (dm-3 -> its /sys/block/dm-3/dm/name). */
static void holder_name(const char *kname, char *buf, size_t len)
{
	char path[300];
	FILE *f;

	snprintf(buf, len, "%s", kname);
	snprintf(path, sizeof(path), "/sys/block/%s/dm/name", kname);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int mounted_on(uint32_t major, uint32_t minor, char *buf, size_t len)
{
	char line[4096], want[32], mnt[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	snprintf(want, sizeof(want), "%u:%u", major, minor);
	while (!found && fgets(line, sizeof(line), f)) {
		char devno[32];

		if (sscanf(line, "%*s %*s %31s %*s %4095s", devno, mnt) == 2 &&
		    !strcmp(devno, want)) {
			snprintf(buf, len, "mounted on %s", mnt);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int dm_describe_holder(uint32_t major, uint32_t minor, char *buf, size_t len)
{
	char path[96], name[300];
	struct dirent *de;
	DIR *d;

	if (mounted_on(major, minor, buf, len))
		return 1;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major,
		 minor);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		holder_name(de->d_name, name, sizeof(name));
		snprintf(buf, len, "held by device %s", name);
		closedir(d);
		return 1;
	}
	closedir(d);
	return 0;
}

/*
 * /dev/NAME of a block device from sysfs: /dev/block/M:m links are udev's
 * and missing where udev does not run (an initramfs, a rescue shell).
 */
int dm_devnode(const char *majmin, char *buf, size_t len)
{
	char path[96], line[300];
	int ret = -ENOENT;
	FILE *f;

	if (strchr(majmin, '/') || strlen(majmin) > 32)
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", majmin);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		snprintf(buf, len, "/dev/%.250s", line + 8);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
