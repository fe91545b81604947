// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dmstat.c - sample the status line of a dm-pcache target during a run.
 *
 * Status fields (FORMAT.md 14.3):
 *   sb_flags seg_total cache_segs segs_used gc_percent cache_flags
 *   key_head dirty_tail key_tail          (positions as seg:off)
 * key_head moves as the key log grows, dirty_tail as writeback completes
 * ksets, key_tail as GC reclaims them. Positions name cache segments that
 * need not be adjacent, so a distance across segments is a lower bound:
 * the rest of the first segment plus the offset in the last.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <libdevmapper.h>

#include "bench.h"
#include "pcache_layout.h"

static void dm_quiet_log(int level, const char *file, int line, int dm_errno,
			 const char *f, ...)
{
	(void)level; (void)file; (void)line; (void)dm_errno; (void)f;
}

/* Status of the first target of a DM device: its type and parameters. */
int dm_target_status(const char *name, char *type, size_t tlen,
		     char *params, size_t plen)
{
	uint64_t start, length;
	char *ttype = NULL, *tparams = NULL;
	struct dm_task *dmt;
	int ret = -EIO;

	dm_log_with_errno_init(dm_quiet_log);
	dmt = dm_task_create(DM_DEVICE_STATUS);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || !dm_task_no_open_count(dmt))
		goto out;
	if (!dm_task_run(dmt))
		goto out;
	dm_get_next_target(dmt, NULL, &start, &length, &ttype, &tparams);
	if (!ttype)
		goto out;
	snprintf(type, tlen, "%s", ttype);
	snprintf(params, plen, "%s", tparams ? tparams : "");
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

static void track(struct pos_track *t, struct pcs_pos a, struct pcs_pos b)
{
	if (a.seg == b.seg && a.off == b.off)
		return;
	t->advances++;
	if (a.seg != b.seg)
		t->segs_crossed++;
	t->bytes_min += pcs_distance(a, b);
}

static void sampler_add(struct dm_sampler *s, const struct pcs_status *st)
{
	uint64_t dirty = pcs_distance(st->dirty_tail, st->key_head);

	if (!s->samples) {
		s->first = *st;
		s->used_min = s->used_max = st->segs_used;
	} else {
		track(&s->head, s->last.key_head, st->key_head);
		track(&s->writeback, s->last.dirty_tail, st->dirty_tail);
		track(&s->gc, s->last.key_tail, st->key_tail);
	}
	if (st->segs_used < s->used_min)
		s->used_min = st->segs_used;
	if (st->segs_used > s->used_max)
		s->used_max = st->segs_used;
	if (dirty > s->dirty_max)
		s->dirty_max = dirty;
	s->last = *st;
	s->samples++;
}

/* Next line of a --status-from file; its last line repeats. */
static int replay_status(struct dm_sampler *s, char *type, size_t tlen,
			 char *params, size_t plen)
{
	char line[512];

	if (fgets(line, sizeof(line), s->replay)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(s->replay_last, sizeof(s->replay_last), "%s", line);
	}
	snprintf(type, tlen, "pcache");
	snprintf(params, plen, "%s", s->replay_last);
	return 0;
}

static int read_status(struct dm_sampler *s, char *type, size_t tlen,
		       char *params, size_t plen)
{
	if (s->replay)
		return replay_status(s, type, tlen, params, plen);
	return dm_target_status(s->name, type, tlen, params, plen);
}

void dm_sampler_sample(struct dm_sampler *s)
{
	char type[64], params[512];
	struct pcs_status st;

	if (!s->active)
		return;
	if (read_status(s, type, sizeof(type), params, sizeof(params)) ||
	    strcmp(type, "pcache") || pcs_parse(params, &st)) {
		s->errors++;
		return;
	}
	sampler_add(s, &st);
}

/*
 * Returns 0 if dm_name is a dm-pcache device now being sampled. With
 * @replay (the hidden --status-from FILE, for tests) the status lines are
 * read from that file instead of the kernel.
 */
int dm_sampler_start(struct dm_sampler *s, const char *dm_name, FILE *replay)
{
	char type[64], params[512];
	struct pcs_status st;

	memset(s, 0, sizeof(*s));
	s->replay = replay;
	if (replay)
		dm_name = "status-from";
	if (!dm_name || !*dm_name)
		return -ENODEV;
	snprintf(s->name, sizeof(s->name), "%s", dm_name);
	if (read_status(s, type, sizeof(type), params, sizeof(params)))
		return -EIO;
	if (strcmp(type, "pcache"))
		return -ENODEV;
	s->active = true;
	if (pcs_parse(params, &st))
		s->errors++;
	else
		sampler_add(s, &st);	/* the first sample */
	return 0;
}
