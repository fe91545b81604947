/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key checks (C36, C41-C51) and the accounting after the walk. */
#ifndef PC_CHECK_KEYS_H
#define PC_CHECK_KEYS_H

#include "check_int.h"

/* Check the keys of one kset on the key_tail walk and collect them. */
int pc_ck_keys(struct pc_check *ck, const struct pc_kset_view *v, bool after,
	       bool at_key_tail);
/* Generations, aliasing, overlaps, the resolved index and usage. */
int pc_ck_keys_after(struct pc_check *ck);

#endif
