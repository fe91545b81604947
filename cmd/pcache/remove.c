// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * remove.c - remove (drain first by default), wait for a clean device, and
 * change gc_percent by target message.
 *
 * Removing a dirty device is safe (the log is persistent and is replayed at
 * the next activation) but leaves the backing device alone stale, which is
 * what people who remove a cache usually do not want; so remove drains
 * unless told not to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcache.h"
#include "pcache_layout.h"

#define POLL_US		200000

/* A pcache device that exists: its live state, or an error line. */
static int live_or_err(const char *name, struct pc_live *lv)
{
	int ret = dm_live_read(name, lv);

	if (ret == -ENODEV)
		cli_err("%s: no such device-mapper device", name);
	else if (ret == -EMEDIUMTYPE)
		cli_err("%s: not a dm-pcache device; refusing", name);
	else if (ret)
		cli_err("%s: cannot read the device's status", name);
	return ret;
}

/* An empty flush closes every in-memory kset (FORMAT.md 14.5). */
static int flush_dev(const char *name)
{
	struct dm_dev_info info;
	char majmin[32], path[300];
	int fd, ret = 0;

	if (dm_info_get(name, &info) || !info.exists)
		return -1;
	snprintf(majmin, sizeof(majmin), "%u:%u", info.major, info.minor);
	if (dm_devnode(majmin, path, sizeof(path))) {
		cli_err("%s: no device node for %s", name, majmin);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		cli_err("%s: flush failed: %s", path, strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* 0 clean, 1 timed out, -1 error. Progress in log bytes (lower bound). */
static int drain(const char *name, double timeout)
{
	double t0 = now_s(), moved = t0;
	struct pcs_pos last = { 0, 0 };
	uint64_t total = 0, left;
	struct pc_live lv;
	bool warned = false;

	if (flush_dev(name))
		return -1;
	for (;;) {
		if (live_or_err(name, &lv))
			return -1;
		if (pcs_pos_eq(lv.st.dirty_tail, lv.st.key_head))
			break;
		left = pcs_distance(lv.st.dirty_tail, lv.st.key_head);
		if (!total || left > total)
			total = left;
		cli_progress("writeback (log bytes)", total - left, total);
		if (!pcs_pos_eq(last, lv.st.dirty_tail)) {
			last = lv.st.dirty_tail;
			moved = now_s();
		} else if (!warned && now_s() - moved >= PCACHE_STALL_SECONDS) {
			cli_warn("%s: writeback stalled: dirty_tail %u:%u has not "
				 "moved for %.0f s (backing device errors? see "
				 "dmesg)", name, last.seg, last.off,
				 now_s() - moved);
			warned = true;
		}
		if (timeout > 0 && now_s() - t0 >= timeout)
			return 1;
		usleep(POLL_US);
	}
	cli_progress("writeback (log bytes)", total, total);
	cli_progress_done();
	return 0;
}

/*
 * After removal the cache device is quiet: its replay is exact, and it
 * also counts what the status read before the removal could not (ksets
 * the target wrote at teardown). The status is the fallback.
 */
static void report_dirty(const char *name, const struct pc_live *lv)
{
	uint64_t log = pcs_distance(lv->st.dirty_tail, lv->st.key_head);
	char sz[32], what[128], why[600];
	struct pc_detail d;

	if (!pcache_detail(lv, NULL, &d, why, sizeof(why))) {
		if (!d.dirty_bytes)
			return;
		snprintf(what, sizeof(what), "%s (%llu bytes) of dirty data",
			 cli_size(d.dirty_bytes, sz, sizeof(sz)),
			 (unsigned long long)d.dirty_bytes);
	} else if (pcs_pos_eq(lv->st.dirty_tail, lv->st.key_head)) {
		return;
	} else {
		snprintf(what, sizeof(what), "dirty data (at least %s of log)",
			 cli_size(log, sz, sizeof(sz)));
	}
	cli_warn("%s: %s stays on cache device %s (safe: it is persistent), "
		 "but backing device %s alone is stale until the cache is "
		 "activated again or pcache-writeback runs", name, what,
		 lv->cache_dev, lv->backing_dev);
}

/*
 * Opened by a process, not mounted or held: wait a moment. udev's probes
 * (blkid on a new or changed dm device, the is-backing helper) open a
 * device briefly, right after create or a write.
 */
static int wait_unopened(const char *name, struct dm_dev_info *info)
{
	char holder[8];
	double t0 = now_s();

	while (info->open_count > 0 && now_s() - t0 < PCACHE_OPEN_GRACE_S &&
	       !dm_describe_holder(info->major, info->minor, holder,
				   sizeof(holder))) {
		usleep(POLL_US / 2);
		if (dm_info_get(name, info) || !info->exists)
			return -1;
	}
	return 0;
}

/* 0, or -1 (said) when the device is held or open. */
static int refuse_in_use(const char *name)
{
	struct dm_dev_info info;
	char holder[4200];

	if (dm_info_get(name, &info) || wait_unopened(name, &info))
		return -1;
	if (info.open_count > 0) {
		if (!dm_describe_holder(info.major, info.minor, holder,
					sizeof(holder)))
			snprintf(holder, sizeof(holder), "open %d time(s) by "
				 "a process", info.open_count);
		cli_err("%s: in use (%s); refusing", name, holder);
		return -1;
	}
	return 0;
}

int pcache_remove(const char *name, bool wait, const struct drain_opts *o)
{
	struct pc_live lv;
	int d = 0;

	if (live_or_err(name, &lv) || refuse_in_use(name))
		return CLI_EXIT_FAIL;
	if (wait) {
		d = drain(name, o->timeout);
		if (d < 0)
			return CLI_EXIT_FAIL;
		if (d > 0 && !o->force) {
			cli_progress_done();
			cli_err("%s: still dirty after %.0f s; device left in "
				"place (--force removes it anyway)", name,
				o->timeout);
			return CLI_EXIT_FAIL;
		}
	}
	/*
	 * Without the drain, still close the in-memory ksets on the live
	 * device (a flush waits for GC to free a segment where teardown
	 * might not); and whoever opened the device meanwhile holds it.
	 */
	if ((!wait && flush_dev(name)) || refuse_in_use(name) ||
	    live_or_err(name, &lv))
		return CLI_EXIT_FAIL;
	if (dm_remove_dev(name)) {
		cli_err("%s: removal failed", name);
		return CLI_EXIT_FAIL;
	}
	report_dirty(name, &lv);
	if (!cli_quiet)
		printf("removed %s\n", name);
	return CLI_EXIT_OK;
}

int cmd_remove(int argc, const char **argv)
{
	static int no_wait, force, quiet;
	static char *timeout;
	struct poptOption opts[] = {
		{ "no-wait", 'n', POPT_ARG_NONE, &no_wait, 0,
		  "Remove at once; dirty data stays on the cache device", NULL },
		{ "timeout", 't', POPT_ARG_STRING, &timeout, 0,
		  "Give up draining after SECONDS (device left in place)",
		  "SECONDS" },
		CLI_OPT_FORCE(&force, "Remove even when draining times out"),
		CLI_OPT_QUIET(&quiet, "Print nothing but errors and warnings"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("remove", argc, argv, opts,
				   "[OPTION...] NAME");
	struct drain_opts o = { .force = force };
	const char *name = sub_name(pc);
	int ret;

	if (timeout)
		o.timeout = cli_seconds_arg("--timeout", timeout, 0);
	cli_quiet = quiet;
	ret = pcache_remove(name, !no_wait, &o);
	poptFreeContext(pc);
	return ret;
}

int cmd_wait(int argc, const char **argv)
{
	static int clean;
	static char *timeout_arg;
	struct poptOption opts[] = {
		{ "clean", 'c', POPT_ARG_NONE, &clean, 0,
		  "Flush, then wait until writeback has written everything back",
		  NULL },
		{ "timeout", 't', POPT_ARG_STRING, &timeout_arg, 0,
		  "Fail after SECONDS", "SECONDS" },
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("wait", argc, argv, opts,
				   "--clean [OPTION...] NAME");
	const char *name = sub_name(pc);
	double timeout = 0;
	struct pc_live lv;
	int ret = CLI_EXIT_FAIL, d;

	if (!clean)
		cli_usage("say what to wait for: --clean");
	if (timeout_arg)
		timeout = cli_seconds_arg("--timeout", timeout_arg, 0);
	if (live_or_err(name, &lv))
		goto out;
	d = drain(name, timeout);
	if (d > 0)
		cli_err("%s: still dirty after %.0f s", name, timeout);
	if (d == 0)
		ret = CLI_EXIT_OK;
out:
	poptFreeContext(pc);
	return ret;
}

int cmd_set(int argc, const char **argv)
{
	static char *gc_arg;
	static int quiet;
	struct poptOption opts[] = {
		{ "gc-percent", 'g', POPT_ARG_STRING, &gc_arg, 0,
		  "Segment use (percent, 0-90) at which GC starts", "N" },
		CLI_OPT_QUIET(&quiet, "Print nothing but errors"),
		CLI_OPT_JSON("Print the device as pcache status --json does"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("set", argc, argv, opts,
				   "[OPTION...] NAME --gc-percent N");
	const char *name = sub_name(pc);
	int gc = sub_gc_percent(gc_arg), ret = CLI_EXIT_FAIL;
	struct pc_live lv;
	char msg[32];

	if (gc == GC_UNSET)
		cli_usage("missing --gc-percent N");
	cli_quiet = quiet;
	if (live_or_err(name, &lv))
		goto out;
	snprintf(msg, sizeof(msg), "gc_percent %d", gc);
	if (dm_message(name, msg)) {
		cli_err("%s: the kernel refused message '%s'", name, msg);
		goto out;
	}
	if (live_or_err(name, &lv))
		goto out;
	if (lv.st.gc_percent != (unsigned int)gc) {
		cli_err("%s: gc_percent reads back as %u, not %d", name,
			lv.st.gc_percent, gc);
		goto out;
	}
	ret = CLI_EXIT_OK;
	if (cli_json)
		ret = pcache_print_devices(&lv, 1);
	else if (!cli_quiet)
		printf("%s: gc_percent %d\n", name, gc);
out:
	poptFreeContext(pc);
	return cli_exit(ret);
}
