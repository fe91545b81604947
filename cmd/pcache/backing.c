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

static bool probe_partuuid(const char *devnode, const char *want, bool env_ok)
{
	const char *env = env_ok ? getenv("ID_PART_ENTRY_UUID") : NULL;
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

/* @env_ok: the udev event's properties describe @devnode */
static bool spec_matches(const char *spec, const char *devnode,
			 const struct stat *dev, bool env_ok)
{
	char path[4200];

	if (!strncmp(spec, "PARTUUID=", 9) &&
	    probe_partuuid(devnode, spec + 9, env_ok))
		return true;
	if (tab_spec_path(spec, path, sizeof(path)))
		return false;
	return same_node(dev, path) || (env_ok && in_devlinks(path));
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

/*
 * A partition of a whole-disk backing device carries a filesystem of the
 * cached device too (its partition table is the cached device's): its
 * disk, from sysfs, in @node and @st.
 */
static bool parent_disk(const struct stat *dev, char *node, size_t len,
			struct stat *st)
{
	char path[128], majmin[32] = "";
	FILE *f;

	if (!S_ISBLK(dev->st_mode))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition",
		 major(dev->st_rdev), minor(dev->st_rdev));
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev",
		 major(dev->st_rdev), minor(dev->st_rdev));
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(majmin, sizeof(majmin), f))
		majmin[0] = '\0';
	fclose(f);
	majmin[strcspn(majmin, "\n")] = '\0';
	return majmin[0] && !dm_devnode(majmin, node, len) && !stat(node, st);
}

/* A link that names the filesystem, not the device */
static bool fs_link(const char *link, size_t len)
{
	static const char *const fs_dirs[] = {
		"/dev/disk/by-uuid/", "/dev/disk/by-label/",
	};

	for (size_t i = 0; i < sizeof(fs_dirs) / sizeof(fs_dirs[0]); i++)
		if (len > strlen(fs_dirs[i]) &&
		    !strncmp(link, fs_dirs[i], strlen(fs_dirs[i])))
			return true;
	return false;
}

/*
 * For the rule's SYMLINK= (udev before 253 has no SYMLINK-=): the links
 * udev has made so far for this event (DEVLINKS, full paths) without the
 * filesystem's by-uuid and by-label ones, relative to /dev. Printed only
 * under udev: without DEVLINKS the rule must leave the links alone.
 */
static void export_kept_links(void)
{
	const char *p = getenv("DEVLINKS");
	const char *sep = "";

	if (!p)
		return;
	printf("PCACHE_FILTER_LINKS=1\nPCACHE_KEEP_LINKS=");
	for (p += strspn(p, " "); *p; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");

		if (len > 5 && !strncmp(p, "/dev/", 5) && !fs_link(p, len)) {
			printf("%s%.*s", sep, (int)(len - 5), p + 5);
			sep = " ";
		}
		p += len;
	}
	putchar('\n');
}

/* Why @devnode is a backing device (its entry's name in @name), or NULL. */
static const char *backing_of(const char *devnode, const struct stat *dev,
			      const struct tab *t, bool env_ok, char *name,
			      size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (spec_matches(t->e[i].backing, devnode, dev, env_ok)) {
			snprintf(name, len, "%s", t->e[i].name);
			return "listed in pcachetab";
		}
	if (live_backing(dev, name, len))
		return "used by a live device";
	return NULL;
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
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("is-backing", argc, argv, opts,
				   "[OPTION...] DEVICE");
	const char *devnode, *how = NULL;
	const char *tabpath = tabfile ? tabfile : PCACHE_TAB_DEFAULT;
	char name[PCACHE_NAME_MAX + 30] = "", disk[300];
	struct tab t = { 0 };
	struct stat dev, dst;
	int ret = CLI_EXIT_FAIL;

	cli_args(pc, &devnode, 1, "DEVICE");
	if (stat(devnode, &dev)) {
		cli_err("%s: %s", devnode, strerror(errno));
		goto out;
	}
	/*
	 * Read leniently: one bad line must not unhide every backing device
	 * (udev would then let the backing device's filesystem be found and
	 * mounted behind the cache's back). Bad lines are still reported.
	 */
	if ((tabfile || !access(tabpath, F_OK)) &&
	    tab_load_mode(tabpath, &t, true))
		goto out;
	how = backing_of(devnode, &dev, &t, true, name, sizeof(name));
	if (!how && parent_disk(&dev, disk, sizeof(disk), &dst) &&
	    backing_of(disk, &dst, &t, false, name, sizeof(name)))
		how = "a partition of its backing disk";
	if (how) {
		if (export) {
			printf("PCACHE_BACKING_OF=%s\n", name);
			export_kept_links();
		} else
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
