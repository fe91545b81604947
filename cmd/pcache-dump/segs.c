// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The segment chain: per segment both segment_info copies, both generation
 * copies, the chosen values, and what the segment is used for.
 */
#include <string.h>

#include "dump.h"

static void seginfo_text(const struct pc_dual *d, int i, bool swap, char *buf,
			 size_t len)
{
	struct pcd_seg_info t;

	memcpy(&t, d->slot[i].raw, sizeof(t));
	snprintf(buf, len, "flags 0x%x next %u", pcd_n32(swap, t.flags),
		 pcd_n32(swap, t.next_seg));
}

static struct json_object *seginfo_fields(const struct pc_dual *d, int i,
					  bool swap)
{
	struct json_object *o = json_object_new_object();
	struct pcd_seg_info t;

	memcpy(&t, d->slot[i].raw, sizeof(t));
	json_object_object_add(o, "flags", json_object_new_int64(
			       pcd_n32(swap, t.flags)));
	json_object_object_add(o, "next_seg", json_object_new_int64(
			       pcd_n32(swap, t.next_seg)));
	return o;
}

static void gen_text(const struct pc_dual *d, int i, bool swap, char *buf,
		     size_t len)
{
	struct pcd_seg_gen t;

	memcpy(&t, d->slot[i].raw, sizeof(t));
	snprintf(buf, len, "gen %llu",
		 (unsigned long long)pcd_n64(swap, t.gen));
}

static struct json_object *gen_fields(const struct pc_dual *d, int i,
				      bool swap)
{
	struct json_object *o = json_object_new_object();
	struct pcd_seg_gen t;

	memcpy(&t, d->slot[i].raw, sizeof(t));
	json_object_object_add(o, "gen", cli_json_u64(pcd_n64(swap, t.gen)));
	return o;
}

static const char *use_name(const struct seg_use *u)
{
	if (!u)
		return "unknown";
	if (u->key && u->keys)
		return "key+data";
	if (u->key)
		return "key";
	if (u->keys)
		return "data";
	return "free";
}

static const struct seg_use *seg_use(struct dump *d, uint32_t i)
{
	if (d->c->stage < PC_STAGE_READY)
		return NULL;
	dump_replay(d);
	return d->use ? &d->use[i] : NULL;
}

static struct json_object *seg_json(struct dump *d, uint32_t i)
{
	const struct pc_seg *s = &d->c->segs[i];
	const struct seg_use *u = seg_use(d, i);
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cseg", json_object_new_int64(i));
	json_object_object_add(o, "phys", json_object_new_int64(s->phys));
	json_object_object_add(o, "dev_off", cli_json_u64(
			       pcd_seg_offset(s->phys)));
	json_object_object_add(o, "segment_info", dual_json(&s->info,
			       seginfo_fields, d->c->swap));
	json_object_object_add(o, "flags", json_object_new_int64(s->flags));
	json_object_object_add(o, "has_next", json_object_new_boolean(
			       s->flags & PCD_SEGI_F_HAS_NEXT));
	json_object_object_add(o, "type", json_object_new_int64(
			       pcd_segi_type(s->flags)));
	json_object_object_add(o, "next_seg", json_object_new_int64(s->next));
	json_object_object_add(o, "generation", dual_json(&s->gen_slots,
			       gen_fields, d->c->swap));
	json_object_object_add(o, "gen", cli_json_u64(s->gen));
	json_object_object_add(o, "use", json_object_new_string(use_name(u)));
	json_object_object_add(o, "keys", cli_json_u64(u ? u->keys : 0));
	json_object_object_add(o, "live_bytes", cli_json_u64(
			       u ? u->live_bytes : 0));
	return o;
}

static const char *slot_short(const struct pc_dual *d, int i, char *buf,
			      size_t len)
{
	const struct pc_slot *s = &d->slot[i];

	if (s->state == PC_SLOT_VALID)
		snprintf(buf, len, "s%u valid%s", s->seq,
			 d->chosen == i ? "*" : "");
	else
		snprintf(buf, len, "%s", pc_slot_state_name(s->state));
	return buf;
}

void dump_segments(struct dump *d)
{
	struct pc_cache *c = d->c;
	struct json_object *arr = NULL;
	char a[32], b[32], e[32], f[32];

	if (d->json) {
		arr = json_object_new_array();
		for (uint32_t i = 0; i < c->segs_loaded; i++)
			json_object_array_add(arr, seg_json(d, i));
		json_object_object_add(d->doc, "segments", arr);
		return;
	}
	if (d->sections & SEC_HEADER)
		printf("\n");
	printf("segments (chain of %u from physical %u; * = chosen slot)\n",
	       c->info.n_segs, c->info.seg_id);
	printf("  %5s %7s  %-12s %-12s %5s %7s  %-12s %-12s %5s  %-8s %7s "
	       "%12s\n", "cseg", "phys", "seginfo[0]", "seginfo[1]", "flags",
	       "next", "gen[0]", "gen[1]", "gen", "use", "keys", "live_bytes");
	for (uint32_t i = 0; i < c->segs_loaded && !out_broken(); i++) {
		const struct pc_seg *s = &c->segs[i];
		const struct seg_use *u = seg_use(d, i);

		printf("  %5u %7u  %-12s %-12s %#5x %7u  %-12s %-12s %5llu  "
		       "%-8s %7llu %12llu\n", i, s->phys,
		       slot_short(&s->info, 0, a, sizeof(a)),
		       slot_short(&s->info, 1, b, sizeof(b)), s->flags,
		       s->next, slot_short(&s->gen_slots, 0, e, sizeof(e)),
		       slot_short(&s->gen_slots, 1, f, sizeof(f)),
		       (unsigned long long)s->gen, use_name(u),
		       (unsigned long long)(u ? u->keys : 0),
		       (unsigned long long)(u ? u->live_bytes : 0));
	}
}

/* Extents of the resolved index stored in segment @seg. */
static void seg_extents(struct dump *d, uint32_t seg, struct json_object *o)
{
	struct json_object *arr = o ? json_object_new_array() : NULL;
	uint64_t shown = 0;

	if (!o)
		printf("  live extents (backing off+len -> data offset):\n");
	for (size_t i = 0; d->replayed && i < d->r.n_ext; i++) {
		const struct pc_extent *e = &d->r.ext[i];

		if (e->seg != seg)
			continue;
		if (d->limit && shown >= d->limit)
			break;
		shown++;
		if (o) {
			struct json_object *j = json_object_new_object();

			json_object_object_add(j, "off", cli_json_u64(e->off));
			json_object_object_add(j, "len", cli_json_u64(e->len));
			json_object_object_add(j, "seg_off",
					       cli_json_u64(e->seg_off));
			json_object_object_add(j, "dirty",
					       json_object_new_boolean(e->dirty));
			json_object_array_add(arr, j);
		} else {
			printf("    %12llu+%-8u -> %-9u %s\n",
			       (unsigned long long)e->off, e->len, e->seg_off,
			       e->dirty ? "dirty" : "clean");
		}
	}
	if (o)
		json_object_object_add(o, "extents", arr);
	else if (!shown)
		printf("    (none)\n");
}

void dump_segment(struct dump *d)
{
	struct pc_cache *c = d->c;
	uint32_t i = d->seg_sel;
	const struct pc_seg *s;
	const struct seg_use *u;

	if (i >= c->segs_loaded)
		return;
	s = &c->segs[i];
	u = seg_use(d, i);
	if (d->json) {
		struct json_object *o = seg_json(d, i);

		seg_extents(d, i, o);
		json_object_object_add(d->doc, "segment", o);
		return;
	}
	if (d->sections & (SEC_HEADER | SEC_SEGMENTS))
		printf("\n");
	printf("segment %u (physical %u, device offset %llu, data at %llu)\n",
	       i, s->phys, (unsigned long long)pcd_seg_offset(s->phys),
	       (unsigned long long)pcd_data_offset(s->phys, 0));
	dual_print("segment_info", &s->info, seginfo_text, c->swap, "  ");
	printf("    flags    0x%x: has_next %s, type %u\n", s->flags,
	       s->flags & PCD_SEGI_F_HAS_NEXT ? "yes" : "no",
	       pcd_segi_type(s->flags));
	printf("    next     %u\n", s->next);
	dual_print("generation", &s->gen_slots, gen_text, c->swap, "  ");
	printf("    gen      %llu\n", (unsigned long long)s->gen);
	printf("  use        %s, %llu live keys, %llu live bytes\n",
	       use_name(u), (unsigned long long)(u ? u->keys : 0),
	       (unsigned long long)(u ? u->live_bytes : 0));
	seg_extents(d, i, NULL);
}
