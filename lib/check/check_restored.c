// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Data CRCs on an image pcache-metadump restored from a metadata capture:
 * the data areas were never captured and read as zeros, so a mismatch
 * there says nothing about the original cache. Such keys are counted and
 * reported once as PC-DATA-NOT-CAPTURED instead of PC-KEY-DATA-CRC.
 */
#include "check_int.h"

bool pc_ck_restored(struct pc_check *ck, uint32_t len)
{
	struct pc_restored m;

	if (ck->restored < 0)
		ck->restored = pc_restored_probe(ck->dev, &m) == 1;
	if (!ck->restored)
		return false;
	ck->uncaptured_keys++;
	ck->uncaptured_bytes += len;
	return true;
}

void pc_ck_restored_note(struct pc_check *ck)
{
	if (!ck->uncaptured_keys)
		return;
	pc_ck_add(ck, PCK_DATA_NOT_CAPTURED, "cache", -1, -1, 0, "this image "
		  "was restored from a pcache-metadump capture without the "
		  "cached data: the data CRCs of %llu key%s (%llu bytes) "
		  "were not verified", (unsigned long long)ck->uncaptured_keys,
		  pck_s(ck->uncaptured_keys),
		  (unsigned long long)ck->uncaptured_bytes);
}
