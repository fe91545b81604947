// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * After --skip-bad: the kernel verifies the data CRC of every key between
 * key_tail and key_head at every activation and refuses the cache on a
 * mismatch, so a skipped key left in that range would keep the cache
 * unusable. Everything else is on the backing device now, so the log can
 * be emptied the way the kernel's GC would end up: key_tail = key_head.
 * Both key_tail slots get the new position, so that the kernel's first
 * key_tail update (which overwrites the newest copy in place) cannot fall
 * back into the old log if it is torn. Then the cache is checked as the
 * kernel would check it; if it still would not accept it, say so and fail.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "wb.h"

static int empty_log(struct wb *w)
{
	struct pc_err err = { 0 };
	int ret = 0;

	w->key_tail_before = w->c->key_tail;
	for (int i = 0; i < PCD_SLOTS && !ret; i++)
		ret = pc_cache_write_tail(w->c, PC_KEY_TAIL, w->r.head, &err);
	if (!ret)
		ret = pc_dev_flush(w->dev, &err);
	if (ret) {
		wb_refuse(w, "%s", err.msg);
		return ret;
	}
	w->key_tail_moved = true;
	return 0;
}

/* The first finding that makes the kernel refuse the cache, if any. */
static const struct pc_finding *first_reject(const struct pc_check *ck)
{
	size_t n;
	const struct pc_finding *f = pc_check_findings(ck, &n);

	for (size_t i = 0; i < n; i++)
		if (pc_problem(f[i].code).sev == PC_SEV_REJECT)
			return &f[i];
	return NULL;
}

static int kernel_verdict(struct wb *w)
{
	struct pc_check_opts o = { .data_crc = -1, .verify_data = true,
				   .backing_size = w->backing_size };
	struct pc_check *ck = pc_check_new(w->dev, &o);
	const struct pc_finding *f;
	int ret;

	if (!ck)
		return -ENOMEM;
	ret = pc_check_run(ck);
	w->verdict_checked = !ret;
	w->kernel_accepts = !ret && pc_check_kernel_accepts(ck);
	f = first_reject(ck);
	if (!ret && f)
		wb_refuse(w, "%s: dirty data written back, but the kernel "
			  "would still refuse this cache: %s %s (run "
			  "pcache-fsck)", w->cache_path,
			  pc_problem(f->code).code, f->msg);
	pc_check_free(ck);
	if (ret)
		return ret;
	return w->kernel_accepts ? 0 : -EUCLEAN;
}

int wb_after_skip(struct wb *w)
{
	int ret;

	if (w->dry_run || !w->n_skipped)
		return 0;
	ret = empty_log(w);
	if (!ret)
		ret = kernel_verdict(w);
	if (!ret && !w->json)
		cli_warn("%s: key_tail %u:%u -> %u:%u: the log was emptied so "
			 "that the kernel, which verifies the data CRC of every "
			 "key in it, accepts the cache; the %llu skipped "
			 "extents are dropped", w->cache_path,
			 w->key_tail_before.seg, w->key_tail_before.off,
			 w->r.head.seg, w->r.head.off,
			 (unsigned long long)w->n_skipped);
	return ret;
}
