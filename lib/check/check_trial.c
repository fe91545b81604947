// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A repair must never make the kernel's verdict worse. Before anything is
 * written, the planned repairs are made on an in-memory overlay of the
 * device and the result is checked again; when its verdict is worse than
 * the present one (a higher severity, a log that no longer loads, less
 * dirty data reachable), none of them is written.
 */
#include <errno.h>

#include "check_int.h"
#include "device.h"

struct verdict {
	int rank;		/* 0 clean .. 3 kernel refuses */
	bool loaded;
	uint64_t dirty;
};

static const char *const rank_name[] = {
	"clean", "inconsistent", "loss of data", "refused by the kernel",
};

/* Findings that need the data read: the trial does not read it. */
static bool data_code(enum pc_code c)
{
	return c == PCK_KEY_DATA_CRC || c == PCK_BACKING_DIFF ||
	       c == PCK_DATA_UNVERIFIED;
}

static struct verdict verdict_of(const struct pc_check *ck)
{
	struct verdict v = { 0, ck->u.loaded, ck->u.dirty_bytes };

	for (int c = 0; c < PCK__COUNT; c++) {
		enum pc_sev s = pc_problem(c).sev;
		int r = s == PC_SEV_REJECT ? 3 : s == PC_SEV_LOSS ? 2 :
			s == PC_SEV_INCONSISTENT ? 1 : 0;

		if (ck->counts[c] && !data_code(c) && r > v.rank)
			v.rank = r;
	}
	return v;
}

static bool worse(const struct verdict *a, const struct verdict *b)
{
	return b->rank > a->rank || (a->loaded && !b->loaded) ||
	       (a->loaded && b->dirty < a->dirty);
}

bool pc_ck_worse(const struct pc_check *before, const struct pc_check *after)
{
	struct verdict a = verdict_of(before), b = verdict_of(after);

	return worse(&a, &b);
}

static bool planned(const struct pc_check *ck)
{
	for (size_t i = 0; i < ck->n_rp; i++)
		if (!ck->rp[i].dropped)
			return true;
	return false;
}

static bool same_repair(const struct pc_repair *a, const struct pc_repair *b)
{
	return a->kind == b->kind && a->off == b->off &&
	       a->stride == b->stride && a->dev_off == b->dev_off &&
	       a->value == b->value && a->cache_seg == b->cache_seg &&
	       pc_ck_pos_eq(a->pos, b->pos);
}

/*
 * The trial checker plans its repairs afresh from the same bytes; what is
 * checked must be exactly what would be written, so the two plans must
 * agree repair for repair.
 */
static bool same_plan(const struct pc_check *a, const struct pc_check *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->n_rp && a->rp[i].dropped)
			i++;
		while (j < b->n_rp && b->rp[j].dropped)
			j++;
		if (i == a->n_rp || j == b->n_rp)
			return i == a->n_rp && j == b->n_rp;
		if (!same_repair(&a->rp[i++], &b->rp[j++]))
			return false;
	}
}

/* Check @dev (an overlay) as configured, trial mode; NULL on failure. */
static struct pc_check *trial_run(struct pc_check *ck, struct pc_dev *dev,
				  enum pc_repair_mode mode)
{
	struct pc_check_opts o = ck->o;
	struct pc_check *t;

	o.verify_data = false;
	o.backing = NULL;
	o.progress = NULL;
	o.repair = mode;
	t = pc_check_new(dev, &o);
	if (!t)
		return NULL;
	t->trial = true;
	if (pc_check_run(t) || t->ret) {
		pc_check_free(t);
		return NULL;
	}
	return t;
}

void pc_ck_withhold(struct pc_check *ck, const char *why)
{
	for (size_t i = 0; i < ck->n_rp; i++) {
		struct pc_finding *f = &ck->f[ck->rp[i].finding];

		if (ck->rp[i].dropped)
			continue;
		ck->rp[i].dropped = true;
		if (!f->no_fix)
			pc_ck_append(f, " (repair withheld: %s)", why);
		f->no_fix = true;
	}
}

int pc_ck_trial(struct pc_check *ck)
{
	struct pc_check *t = NULL, *v = NULL;
	struct verdict before, after;
	struct pc_dev *ov = NULL;
	int ret;

	if (ck->trial || !planned(ck))
		return 0;
	ret = pc_dev_overlay(ck->dev, &ov);
	if (ret)
		return ret;
	t = trial_run(ck, ov, ck->o.repair);
	if (t && same_plan(ck, t))
		v = trial_run(ck, ov, PC_REPAIR_NONE);
	if (!v) {
		pc_ck_withhold(ck, "the result could not be checked");
		pc_ck_add(ck, PCK_FIX_REFUSED, "device", -1, -1, -1, "the "
			  "repaired cache could not be checked in memory; no "
			  "repair is written");
		goto out;
	}
	before = verdict_of(ck);
	after = verdict_of(v);
	if (worse(&before, &after)) {
		pc_ck_withhold(ck, "it would make the verdict worse");
		pc_ck_add(ck, PCK_FIX_REFUSED, "device", -1, -1, -1, "the "
			  "planned repairs would leave the cache %s (now %s)%s; "
			  "no repair is written", rank_name[after.rank],
			  rank_name[before.rank],
			  after.loaded && after.dirty < before.dirty ?
			  " with less dirty data reachable" : "");
	}
out:
	pc_check_free(v);
	pc_check_free(t);
	pc_dev_close(ov);
	return 0;
}
