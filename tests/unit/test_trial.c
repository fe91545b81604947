// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The checker's dry run of its repairs: the in-memory overlay reads through
 * to the device and keeps every write to itself; repairs that make the
 * cache better are kept; a plan the dry run cannot reproduce is withheld;
 * the verdict comparison calls a dirty_tail off the log worse.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check_int.h"
#include "device.h"
#include "img.h"
#include "tap.h"

#define GIB (1ULL << 30)

static char path[] = "/tmp/pcache-trial-XXXXXX";

static struct pc_dev *fresh(void)
{
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return img_new(path, GIB, false);
}

static void overlay(void)
{
	struct pc_dev *dev = fresh(), *ov = NULL;
	uint8_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[4] = { 9, 9, 9, 9 };
	uint8_t got[16], base[16];

	ok(pc_dev_overlay(dev, &ov) == 0 && ov, "overlay created");
	pc_dev_read(dev, 100, base, sizeof(base), NULL);
	ok(pc_dev_write(ov, 104, a, sizeof(a), NULL) == 0 &&
	   pc_dev_write(ov, 110, b, sizeof(b), NULL) == 0, "writes accepted");
	pc_dev_read(ov, 100, got, sizeof(got), NULL);
	ok(!memcmp(got, base, 4) && !memcmp(got + 4, a, 6) &&
	   !memcmp(got + 10, b, 4) && !memcmp(got + 14, base + 14, 2),
	   "reads see the writes over the device, the later write wins");
	pc_dev_read(dev, 100, got, sizeof(got), NULL);
	ok(!memcmp(got, base, sizeof(got)), "the device itself is unchanged");
	pc_dev_close(ov);
	pc_dev_close(dev);
}

/* A fresh cache with cache_info slot 0 torn: one preen repair planned. */
static struct pc_check *planned(struct pc_dev *dev)
{
	struct pc_check_opts o = { .data_crc = -1, .repair = PC_REPAIR_ALL };
	struct pc_check *ck;
	uint8_t junk[24];

	memset(junk, 0x5a, sizeof(junk));
	img_poke(dev, PCD_INFO_OFF, junk, sizeof(junk));
	ck = pc_check_new(dev, &o);
	if (!ck || pc_ck_sb(ck) || pc_ck_info(ck) || pc_ck_chain(ck) ||
	    pc_ck_tails(ck) || pc_ck_log(ck))
		abort();
	return ck;
}

static size_t live(const struct pc_check *ck)
{
	size_t n = 0;

	for (size_t i = 0; i < ck->n_rp; i++)
		n += !ck->rp[i].dropped;
	return n;
}

static void keeps_good(void)
{
	struct pc_dev *dev = fresh();
	struct pc_check *ck = planned(dev);

	ok(ck->n_rp == 1 && ck->rp[0].kind == PC_RP_SLOT,
	   "the torn cache_info copy is to be rewritten");
	ok(pc_ck_trial(ck) == 0 && live(ck) == 1 &&
	   !ck->counts[PCK_FIX_REFUSED], "a repair that helps is kept");
	ok(pc_ck_repair(ck) == 0 && ck->repairs_done == 1, "and written");
	pc_check_free(ck);
	pc_dev_close(dev);
}

static void withholds_unchecked(void)
{
	struct pc_dev *dev = fresh();
	struct pc_check *ck = planned(dev);
	uint8_t before[24], after[24];
	/* a repair the dry run does not plan itself cannot be checked */
	struct pc_repair bad = {
		.kind = PC_RP_DIRTY_TAIL,
		.dual = &ck->c.tail_slots[PC_DIRTY_TAIL],
		.off = PCD_DIRTY_TAIL_OFF, .stride = PCD_POS_STRIDE,
		.what = "dirty_tail", .cache_seg = -1,
		.pos = { 0, 4096 },
	};

	pc_dev_read(dev, PCD_INFO_OFF, before, sizeof(before), NULL);
	ok(pc_ck_plan(ck, 0, &bad) && live(ck) == 2, "a harmful repair added");
	ok(pc_ck_trial(ck) == 0 && live(ck) == 0,
	   "a plan the dry run does not reproduce is withheld entirely");
	ok(ck->counts[PCK_FIX_REFUSED] == 1 && ck->f[0].no_fix,
	   "PC-FIX-REFUSED says so; the finding is no longer repairable");
	ok(pc_ck_repair(ck) == 0 && ck->repairs_done == 0, "nothing written");
	pc_dev_read(dev, PCD_INFO_OFF, after, sizeof(after), NULL);
	ok(!memcmp(before, after, sizeof(before)), "the device is unchanged");
	pc_check_free(ck);
	pc_dev_close(dev);
}

/* Check @dev as it is (no repair). */
static struct pc_check *checked(struct pc_dev *dev)
{
	struct pc_check_opts o = { .data_crc = -1 };
	struct pc_check *ck = pc_check_new(dev, &o);

	if (!ck || pc_check_run(ck))
		abort();
	return ck;
}

static void verdicts(void)
{
	struct pc_dev *dev = fresh();
	struct pc_check *clean = checked(dev), *off;
	struct pc_err err = { 0 };
	struct pc_cache *c;

	img_open(dev, &c, &err);
	if (pc_cache_write_tail(c, PC_DIRTY_TAIL, (struct pc_pos){ 0, 4096 },
				&err))
		abort();
	pc_cache_free(c);
	off = checked(dev);
	ok(off->counts[PCK_DTAIL_OFF_LOG] == 1, "dirty_tail is off the log");
	ok(pc_ck_worse(clean, off), "clean -> dirty_tail off the log: worse");
	ok(!pc_ck_worse(off, clean), "and back: not worse");
	ok(!pc_ck_worse(clean, clean), "the same verdict is not worse");
	pc_check_free(clean);
	pc_check_free(off);
	pc_dev_close(dev);
}

int main(void)
{
	overlay();
	keeps_good();
	withholds_unchecked();
	verdicts();
	return tap_done();
}
