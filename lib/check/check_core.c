// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The checker's frame: findings, planned repairs, the dual-slot rule shared
 * by every two-copy record, the stages in order, and the exit status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "slot.h"
#include "grow.h"

struct pc_check *pc_check_new(struct pc_dev *dev,
			      const struct pc_check_opts *opts)
{
	struct pc_check *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return NULL;
	ck->dev = dev;
	ck->o = *opts;
	ck->c.dev = dev;
	ck->c.dev_size = pc_dev_size(dev);
	ck->restored = -1;
	return ck;
}

void pc_check_free(struct pc_check *ck)
{
	if (!ck)
		return;
	free(ck->f);
	free(ck->rp);
	free(ck->c.segs);
	free(ck->u.key_segs);
	free(ck->u.data_segs);
	pc_replay_free(&ck->r);
	free(ck);
}

long pc_ck_add(struct pc_check *ck, enum pc_code code, const char *structure,
	       int slot, int64_t cache_seg, int64_t dev_off, const char *fmt, ...)
{
	struct pc_problem p = pc_problem(code);
	struct pc_finding *f;
	va_list ap;

	ck->counts[code]++;
	if (p.sev == PC_SEV_REJECT)
		ck->reject = true;
	if (ck->counts[code] > PC_FINDINGS_PER_CODE)
		return -1;
	if (pc_grow(&ck->f, ck->n_f, &ck->cap_f, sizeof(*ck->f), 32))
		return -1;
	f = &ck->f[ck->n_f];
	memset(f, 0, sizeof(*f));
	f->code = code;
	snprintf(f->structure, sizeof(f->structure), "%s", structure);
	f->slot = slot;
	f->cache_seg = cache_seg;
	f->phys_seg = -1;
	if (cache_seg >= 0 && (uint64_t)cache_seg < ck->c.segs_loaded)
		f->phys_seg = ck->c.segs[cache_seg].phys;
	f->dev_off = dev_off;
	f->count = 1;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return (long)ck->n_f++;
}

void pc_ck_append(struct pc_finding *f, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!f)
		return;
	n = strlen(f->msg);
	va_start(ap, fmt);
	vsnprintf(f->msg + n, sizeof(f->msg) - n, fmt, ap);
	va_end(ap);
}

struct pc_finding *pc_ck_get(struct pc_check *ck, long idx)
{
	return idx < 0 ? NULL : &ck->f[idx];
}

bool pc_ck_plan(struct pc_check *ck, long idx, const struct pc_repair *rp)
{
	enum pc_code code = idx >= 0 ? ck->f[idx].code : PCK__COUNT;
	enum pc_fix fix;

	if (idx < 0)
		return false;
	fix = pc_problem(code).fix;
	if (fix == PC_FIX_NEVER || ck->o.repair == PC_REPAIR_NONE)
		return false;
	if (fix == PC_FIX_YES && ck->o.repair != PC_REPAIR_ALL)
		return false;
	if (pc_grow(&ck->rp, ck->n_rp, &ck->cap_rp, sizeof(*ck->rp), 16))
		return false;
	ck->rp[ck->n_rp] = *rp;
	ck->rp[ck->n_rp].finding = (size_t)idx;
	ck->n_rp++;
	return true;
}

void pc_ck_range(struct pc_finding *f, uint64_t off, uint64_t len)
{
	struct pc_range *last;

	if (!f || !len)
		return;
	last = f->n_ranges ? &f->ranges[f->n_ranges - 1] : NULL;
	if (last && off >= last->off && off <= last->off + last->len) {
		if (off + len > last->off + last->len)
			last->len = off + len - last->off;
		return;
	}
	f->ranges_total++;
	if (f->n_ranges < PC_RANGES_MAX)
		f->ranges[f->n_ranges++] = (struct pc_range){ off, len };
}

void pc_ck_unplan(struct pc_check *ck, const struct pc_dual *d)
{
	for (size_t i = 0; i < ck->n_rp; i++)
		if (ck->rp[i].dual == d && ck->rp[i].kind == PC_RP_SLOT)
			ck->rp[i].dropped = true;
}

bool pc_ck_cancelled(struct pc_check *ck)
{
	return ck->o.cancel && *ck->o.cancel;
}

void pc_ck_progress(struct pc_check *ck, const char *phase, uint64_t done,
		    uint64_t total)
{
	if (ck->o.progress)
		ck->o.progress(ck->o.progress_ctx, phase, done, total);
}

int pc_ck_fail(struct pc_check *ck, int ret, const struct pc_err *err)
{
	if (!ck->ret) {
		ck->ret = ret;
		if (err && err->msg[0])
			ck->err = *err;
		else
			pc_err_set(&ck->err, ret, "%s: %s",
				   pc_dev_path(ck->dev), strerror(-ret));
	}
	return ret;
}

void pc_ck_dual(struct pc_check *ck, struct pc_dual *d, const char *what,
		int64_t cache_seg, uint64_t off, uint64_t stride,
		enum pc_code torn, enum pc_code seq, bool tail)
{
	struct pc_repair rp = {
		.kind = PC_RP_SLOT, .dual = d, .off = off, .stride = stride,
		.what = what, .cache_seg = cache_seg,
	};
	int gap;

	for (int i = 0; i < PCD_SLOTS; i++) {
		const struct pc_slot *s = &d->slot[i];
		long idx;

		if (s->state == PC_SLOT_UNREADABLE) {
			pc_ck_add(ck, PCK_DEV_READ, what, i, cache_seg,
				  (int64_t)s->dev_off, "%s slot %d at offset "
				  "%llu cannot be read", what, i,
				  (unsigned long long)s->dev_off);
			continue;
		}
		if (s->state != PC_SLOT_BAD_CRC || d->chosen < 0)
			continue;
		idx = pc_ck_add(ck, torn, what, i, cache_seg,
				(int64_t)s->dev_off, "%s slot %d is torn or "
				"corrupt (crc 0x%08x, computed 0x%08x); the "
				"kernel uses slot %d (seq %u)", what, i,
				s->crc_stored, s->crc_calc, d->chosen,
				d->slot[d->chosen].seq);
		pc_ck_plan(ck, idx, &rp);
	}
	gap = pc_dual_seq_gap(d);
	if (gap < 0 || gap == 1 || (tail && gap < 64 && gap != 0))
		return;
	{
		int other = !d->chosen;
		long idx = pc_ck_add(ck, seq, what, other, cache_seg,
				     (int64_t)d->slot[other].dev_off,
				     "%s: both copies valid, seq %u in slot %d "
				     "and %u in slot %d are %d apart; the "
				     "kernel uses slot %d", what,
				     d->slot[0].seq, 0, d->slot[1].seq, 1,
				     gap, d->chosen);

		pc_ck_plan(ck, idx, &rp);
	}
}

static bool info_rec_valid(struct pc_check *ck, uint64_t off, unsigned int size)
{
	uint8_t raw[24];

	return !pc_dev_read(ck->dev, off, raw, size, NULL) &&
	       pc_rec_sealed(ck->c.swap, raw, size);
}

bool pc_ck_used_evidence(struct pc_check *ck)
{
	uint64_t fit = pcd_segs_for_size(ck->c.dev_size);

	for (int t = 0; t < 2; t++)
		for (int i = 0; i < PCD_SLOTS; i++)
			if (info_rec_valid(ck, (t ? PCD_DIRTY_TAIL_OFF :
						PCD_KEY_TAIL_OFF) +
					   i * PCD_POS_STRIDE, 16))
				return true;
	for (uint64_t p = 0; p < fit && p < 64; p++) {
		uint64_t base = pcd_seg_offset((uint32_t)p);

		if (info_rec_valid(ck, base, 16) ||
		    info_rec_valid(ck, base + PCD_SEG_INFO_STRIDE, 16))
			return true;
	}
	return false;
}

int pc_check_run(struct pc_check *ck)
{
	int (*const stages[])(struct pc_check *) = {
		pc_ck_sb, pc_ck_info, pc_ck_chain, pc_ck_tails, pc_ck_log,
	};
	int ret = 0;

	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		ret = stages[i](ck);
		if (!ret && pc_ck_cancelled(ck))
			ret = -ECANCELED;
		if (ret)
			break;
	}
	if (ret < 0 && ret != -ECANCELED && !ck->ret)
		pc_ck_fail(ck, ret, NULL);
	if (ret == -ECANCELED)
		return ret;
	if (ret < 0)
		return ret;
	if (ck->sb_rebuilt && !pc_ck_sb_rebuild_holds(ck)) {
		struct pc_finding *f = pc_ck_get(ck, ck->sb_finding);

		pc_ck_withhold(ck, "the cache does not load under the "
			       "rebuilt superblock");
		if (f)
			f->no_fix = true;
	}
	ret = pc_ck_trial(ck);
	if (ret)
		return pc_ck_fail(ck, ret, NULL);
	return pc_ck_repair(ck);
}

const struct pc_err *pc_check_error(const struct pc_check *ck)
{
	return &ck->err;
}

const struct pc_finding *pc_check_findings(const struct pc_check *ck,
					   size_t *n)
{
	*n = ck->n_f;
	return ck->f;
}

const struct pc_check_usage *pc_check_usage(const struct pc_check *ck)
{
	return &ck->u;
}

struct pc_cache *pc_check_cache(struct pc_check *ck)
{
	return &ck->c;
}

uint64_t pc_check_count(const struct pc_check *ck, enum pc_code code)
{
	return ck->counts[code];
}

unsigned int pc_check_repairs(const struct pc_check *ck)
{
	return ck->repairs_done;
}

unsigned int pc_check_unrepaired(const struct pc_check *ck)
{
	uint64_t kept[PCK__COUNT] = { 0 };
	unsigned int n = 0;

	for (size_t i = 0; i < ck->n_f; i++) {
		const struct pc_finding *f = &ck->f[i];

		kept[f->code]++;
		if (pc_problem(f->code).sev >= PC_SEV_INCONSISTENT &&
		    !f->repaired)
			n++;
	}
	for (int c = 0; c < PCK__COUNT; c++)
		if (pc_problem(c).sev >= PC_SEV_INCONSISTENT)
			n += (unsigned int)(ck->counts[c] - kept[c]);
	return n;
}

bool pc_check_accepts(const struct pc_check *ck, unsigned int strict)
{
	for (size_t i = 0; i < ck->n_f; i++) {
		const struct pc_finding *f = &ck->f[i];

		if (f->repaired)
			continue;
		if ((pc_problem(f->code).sev == PC_SEV_REJECT &&
		     !(f->accept_if & strict)) || (f->reject_if & strict))
			return false;
	}
	return true;
}

bool pc_check_kernel_accepts(const struct pc_check *ck)
{
	return pc_check_accepts(ck, ck->o.strict);
}

void pc_ck_strict(struct pc_check *ck, long idx, unsigned int flags)
{
	struct pc_finding *f = pc_ck_get(ck, idx);

	if (f)
		f->reject_if |= flags;
}

void pc_ck_lenient(struct pc_check *ck, long idx, unsigned int flags)
{
	struct pc_finding *f = pc_ck_get(ck, idx);

	if (f)
		f->accept_if |= flags;
}

int pc_check_exit_code(const struct pc_check *ck, int run_ret)
{
	int code = 0;

	if (run_ret == -ECANCELED)
		return PC_FSCK_CANCELED;
	if (run_ret < 0 || ck->ret)
		code |= PC_FSCK_ERROR;
	if (ck->repairs_done)
		code |= PC_FSCK_CORRECTED;
	if (pc_check_unrepaired(ck))
		code |= PC_FSCK_UNCORRECTED;
	return code;
}
