// SPDX-License-Identifier: GPL-2.0-or-later
/* kmod.c - load the dm-pcache target module when its target is missing. */
#include <errno.h>
#include <string.h>

#include <libkmod.h>

#include "pcache.h"

int kmod_load_target(void)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int ret;

	if (dm_target_registered(PCACHE_TARGET))
		return 0;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		cli_err("cannot load %s: libkmod failed to start", PCACHE_MODULE);
		return -ENOMEM;
	}
	ret = kmod_module_new_from_name(ctx, PCACHE_MODULE, &mod);
	if (!ret)
		ret = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL,
						      NULL);
	kmod_module_unref(mod);
	kmod_unref(ctx);
	/* another loader may have won the race; what counts is the target */
	if (dm_target_registered(PCACHE_TARGET))
		return 0;
	cli_err("the dm-pcache target is not available: loading module %s "
		"failed (%s)", PCACHE_MODULE, strerror(ret < 0 ? -ret : ENOENT));
	return ret < 0 ? ret : -ENOENT;
}
