// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backing.c - "pcache is-backing DEVICE", the helper of the udev rule that
 * hides backing devices (udev/61-pcache.rules). A backing device carries
 * the same filesystem as the cached device but possibly stale, so nothing
 * may mount it by its filesystem UUID. It is a backing device when a
 * pcachetab entry names it, or when a live PCACHE- device uses it.
 *
 * While udev handles the device's own event its /dev/disk links may not
 * exist yet, so a spec is matched against the event's DEVLINKS and
 * ID_PART_ENTRY_UUID too, and PARTUUID= against a probe of the device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "pcache.h"

static bool same_node(const struct stat *dev, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return false;
	if (S_ISBLK(dev->st_mode))
		return S_ISBLK(st.st_mode) && st.st_rdev == dev->st_rdev;
	return st.st_dev == dev->st_dev && st.st_ino == dev->st_ino;
}

static bool in_devlinks(const char *path)
{
	const char *links = getenv("DEVLINKS");
	size_t n = strlen(path);

	for (const char *p = links; p && *p;) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, path, n))
			return true;
		p = end ? end + 1 : p + len;
	}
	return false;
}

static bool probe_partuuid(const char *devnode, const char *want)
{
	const char *env = getenv("ID_PART_ENTRY_UUID");
	const char *val = NULL;
	blkid_probe pr;
	bool match = false;

	if (env && !strcasecmp(env, want))
		return true;
	pr = blkid_new_probe_from_filename(devnode);
	if (!pr)
		return false;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (!blkid_do_safeprobe(pr) &&
	    !blkid_probe_lookup_value(pr, "PART_ENTRY_UUID", &val, NULL))
		match = !strcasecmp(val, want);
	blkid_free_probe(pr);
	return match;
}

static bool spec_matches(const char *spec, const char *devnode,
			 const struct stat *dev)
{
	char path[4200];

	if (!strncmp(spec, "PARTUUID=", 9) && probe_partuuid(devnode, spec + 9))
		return true;
	if (tab_spec_path(spec, path, sizeof(path)))
		return false;
	return same_node(dev, path) || in_devlinks(path);
}

/* A live PCACHE- device whose table names @dev as its backing device. */
static bool live_backing(const struct stat *dev, char *name, size_t len)
{
	char **names = NULL, want[32];
	struct pc_live lv;
	bool found = false;
	size_t n = 0;

	if (!S_ISBLK(dev->st_mode) || dm_list_pcache(&names, &n))
		return false;
	snprintf(want, sizeof(want), "%u:%u", major(dev->st_rdev),
		 minor(dev->st_rdev));
	for (size_t i = 0; i < n && !found; i++) {
		if (dm_live_read(names[i], &lv) ||
		    strncmp(lv.uuid, PCACHE_UUID_PREFIX,
			    strlen(PCACHE_UUID_PREFIX)) ||
		    strcmp(lv.backing_dev, want))
			continue;
		snprintf(name, len, "%s", lv.name);
		found = true;
	}
	dm_free_names(names, n);
	return found;
}

int cmd_is_backing(int argc, const char **argv)
{
	static int export;
	static char *tabfile;
	struct poptOption opts[] = {
		{ "tab", 't', POPT_ARG_STRING, &tabfile, 0,
		  "Read FILE instead of " PCACHE_TAB_DEFAULT, "FILE" },
		{ "export", 'x', POPT_ARG_NONE, &export, 0,
		  "Print PCACHE_BACKING_OF=NAME for udev's IMPORT{program}",
		  NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("is-backing", argc, argv, opts,
				   "[OPTION...] DEVICE");
	const char *devnode = poptGetArg(pc), *how = NULL;
	const char *tabpath = tabfile ? tabfile : PCACHE_TAB_DEFAULT;
	char name[PCACHE_NAME_MAX + 30] = "";
	struct tab t = { 0 };
	struct stat dev;
	int ret = CLI_EXIT_FAIL;

	if (!devnode || poptPeekArg(pc)) {
		ret = sub_usage(pc, devnode ? "too many arguments" :
				"missing DEVICE");
		goto out;
	}
	if (stat(devnode, &dev)) {
		cli_err("%s: %s", devnode, strerror(errno));
		goto out;
	}
	if ((tabfile || !access(tabpath, F_OK)) && tab_load(tabpath, &t) &&
	    tabfile)
		goto out;
	for (size_t i = 0; i < t.n && !how; i++)
		if (spec_matches(t.e[i].backing, devnode, &dev)) {
			snprintf(name, sizeof(name), "%s", t.e[i].name);
			how = "listed in pcachetab";
		}
	if (!how && live_backing(&dev, name, sizeof(name)))
		how = "used by a live device";
	if (how) {
		if (export)
			printf("PCACHE_BACKING_OF=%s\n", name);
		else
			printf("%s: backing device of %s (%s)\n", devnode, name,
			       how);
		ret = CLI_EXIT_OK;
	} else if (!export) {
		printf("%s: not a dm-pcache backing device\n", devnode);
	}
	tab_free(&t);
out:
	poptFreeContext(pc);
	return ret;
}
