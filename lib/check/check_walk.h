/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A kset log walk that detects loops early (see check_walk.c). */
#ifndef PC_CHECK_WALK_H
#define PC_CHECK_WALK_H

#include "pcache.h"

struct pc_lwalk {
	struct pc_walk w;
	struct pc_pos start;
	uint8_t *entered;	/* per cache segment: 0, 1 at offset 0, 2 mid */
	uint32_t *spos;		/* offsets walked in the start segment */
	size_t n_spos, cap_spos;
	bool second;		/* walking the start segment again from 0 */
	bool loop;
	bool nomem;
};

int pc_lw_init(struct pc_lwalk *lw, struct pc_cache *c, struct pc_pos from);
void pc_lw_fini(struct pc_lwalk *lw);
/* As pc_walk_next(); a loop ends the walk with PC_KSET_ERROR, lw->loop. */
enum pc_kset_kind pc_lw_next(struct pc_lwalk *lw, struct pc_kset_view *v);

#endif
