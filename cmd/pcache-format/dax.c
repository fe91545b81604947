// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dm-pcache maps the cache device through DAX: a block device without DAX
 * (or an NVDIMM namespace in sector or devdax mode) is refused by the
 * kernel at activation. Formatting it is allowed (an image may be copied
 * later), but the user is told now.
 */
#include <ndctl/libndctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "format.h"

static int sysfs_dax(dev_t rdev)
{
	const char *fmt[] = { "/sys/dev/block/%u:%u/queue/dax",
			      "/sys/dev/block/%u:%u/../queue/dax" };
	char path[128];

	for (size_t i = 0; i < 2; i++) {
		FILE *f;
		int v;

		snprintf(path, sizeof(path), fmt[i], major(rdev), minor(rdev));
		f = fopen(path, "r");
		if (!f)
			continue;
		v = fscanf(f, "%d", &v) == 1 ? v : -1;
		fclose(f);
		return v;
	}
	return -1;
}

static const char *ns_bdev(struct ndctl_namespace *ndns)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);

	if (pfn)
		return ndctl_pfn_get_block_device(pfn);
	if (btt)
		return ndctl_btt_get_block_device(btt);
	return ndctl_namespace_get_block_device(ndns);
}

/* Name the namespace behind @name and its mode when it is not usable. */
static void ndctl_mode_warning(const char *name)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_bus *bus;
	struct ndctl_ctx *ctx;

	if (ndctl_new(&ctx))
		return;
	ndctl_bus_foreach(ctx, bus)
	ndctl_region_foreach(bus, region)
	ndctl_namespace_foreach(region, ndns) {
		const char *b = ns_bdev(ndns);
		enum ndctl_namespace_mode m;

		if (!b || strcmp(b, name))
			continue;
		m = ndctl_namespace_get_mode(ndns);
		if (m == NDCTL_NS_MODE_SECTOR || m == NDCTL_NS_MODE_DEVDAX)
			cli_warn("%s is %s in %s mode; dm-pcache needs fsdax "
				 "(ndctl create-namespace -f -e %s -m fsdax)",
				 name, ndctl_namespace_get_devname(ndns),
				 m == NDCTL_NS_MODE_SECTOR ? "sector" : "devdax",
				 ndctl_namespace_get_devname(ndns));
	}
	ndctl_unref(ctx);
}

void dax_warnings(struct pc_dev *dev)
{
	const char *path = pc_dev_path(dev);
	const char *base = strrchr(path, '/');
	struct stat st;

	if (pc_dev_kind(dev) == PC_DEV_DEVDAX) {
		cli_warn("%s is a device-DAX character device; dm-pcache needs "
			 "a DAX-capable block device (an fsdax namespace such "
			 "as /dev/pmem0), so the kernel cannot use it as is",
			 path);
		return;
	}
	if (pc_dev_kind(dev) != PC_DEV_BLOCK || stat(path, &st))
		return;
	if (sysfs_dax(st.st_rdev) != 1)
		cli_warn("%s does not support DAX; the kernel will refuse it "
			 "as a cache device (EOPNOTSUPP)", path);
	ndctl_mode_warning(base ? base + 1 : path);
}
