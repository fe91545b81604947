/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The chain's later parts read by helper threads while a walk reads the
 * first (chain_ahead.c). For a walk over c->segs[0..n):
 *
 *	a = pc_ahead_start(dev, c, n);		NULL: no helpers, walk alone
 *	for each i: pc_ahead_sync(a, i), then
 *		pc_ahead_take(a, i, phys) ? (info, gen_slots parsed) : read;
 *	pc_ahead_stop(a, entries walked);
 */
#ifndef PC_CHAIN_AHEAD_H
#define PC_CHAIN_AHEAD_H

#include "pcache.h"

struct pc_ahead;

struct pc_ahead *pc_ahead_start(struct pc_dev *dev, struct pc_cache *c,
				uint32_t n);
/* Before the walk touches c->segs[i]. */
void pc_ahead_sync(struct pc_ahead *a, uint32_t i);
/* c->segs[i].info and .gen_slots hold segment @phys's records. */
bool pc_ahead_take(struct pc_ahead *a, uint32_t i, uint32_t phys);
/* Entries from @walked on that the walk never reached are cleared. */
void pc_ahead_stop(struct pc_ahead *a, uint32_t walked);

#endif
