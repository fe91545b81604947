// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kset log: every kset from key_tail (or --from) to the end of the log,
 * with its keys, as the kernel's walk sees them.
 */
#include <string.h>

#include "dump.h"

static const char *key_flags_name(uint32_t f)
{
	if (f == 0)
		return "dirty";
	if (f == PCD_KEY_F_CLEAN)
		return "clean";
	if (f & PCD_KEY_F_EMPTY)
		return "EMPTY";
	return "unknown";
}

static bool key_stale(const struct pc_cache *c, const struct pcd_key *k)
{
	return k->cache_seg_id < c->segs_loaded &&
	       pcd_key_stale(k->seg_gen, c->segs[k->cache_seg_id].gen);
}

static struct json_object *key_json(struct dump *d, uint32_t i,
				    const struct pcd_key *k,
				    enum pc_key_err ke)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int64(i));
	json_object_object_add(o, "off", cli_json_u64(k->off));
	json_object_object_add(o, "len", cli_json_u64(k->len));
	json_object_object_add(o, "flags", cli_json_u64(k->flags));
	json_object_object_add(o, "state", json_object_new_string(
			       key_flags_name(k->flags)));
	json_object_object_add(o, "cache_seg_id", cli_json_u64(
			       k->cache_seg_id));
	json_object_object_add(o, "cache_seg_off", cli_json_u64(
			       k->cache_seg_off));
	json_object_object_add(o, "seg_gen", cli_json_u64(k->seg_gen));
	json_object_object_add(o, "data_crc", cli_json_u64(k->data_crc));
	json_object_object_add(o, "reserved", cli_json_u64(k->reserved));
	json_object_object_add(o, "stale", json_object_new_boolean(
			       key_stale(d->c, k)));
	json_object_object_add(o, "check", json_object_new_string(
			       pc_key_err_name(ke)));
	return o;
}

static void key_print(struct dump *d, uint32_t i, const struct pcd_key *k,
		      enum pc_key_err ke)
{
	printf("      key %3u  off %-12llu len %-8u %-6s data %u:%-9u gen %-4llu "
	       "crc 0x%08x%s%s%s\n", i, (unsigned long long)k->off, k->len,
	       key_flags_name(k->flags), k->cache_seg_id, k->cache_seg_off,
	       (unsigned long long)k->seg_gen, k->data_crc,
	       key_stale(d->c, k) ? "  STALE" : "",
	       ke != PC_KEY_OK ? "  BAD: " : "",
	       ke != PC_KEY_OK ? pc_key_err_name(ke) : "");
}

/* written_back: 1 before dirty_tail, 0 at or after it, -1 unknown. */
static struct json_object *kset_json(const struct pc_kset_view *v, int wb,
				     bool past)
{
	struct json_object *o = json_object_new_object();
	bool last = v->kind == PC_KSET_LAST;

	json_object_object_add(o, "pos", cli_json_pos(v->pos));
	json_object_object_add(o, "kind", json_object_new_string(
			       last ? "last" : "keys"));
	json_object_object_add(o, "size", cli_json_u64(v->size));
	json_object_object_add(o, "key_num", cli_json_u64(last ? 0 :
			       v->key_num));
	json_object_object_add(o, "next_seg", last ?
			       cli_json_u64(v->key_num) : NULL);
	json_object_object_add(o, "flags", cli_json_u64(v->flags));
	json_object_object_add(o, "crc", cli_json_u64(v->crc));
	json_object_object_add(o, "written_back", wb < 0 ? NULL :
			       json_object_new_boolean(wb));
	json_object_object_add(o, "past_end", json_object_new_boolean(past));
	json_object_object_add(o, "keys", json_object_new_array());
	return o;
}

struct log_walk {
	struct json_object *arr;
	uint64_t shown;
	bool truncated;
	bool after;		/* dirty_tail passed */
	bool past;		/* listing ksets past the kernel's end of log */
};

static void log_kset(struct dump *d, struct log_walk *lw,
		     const struct pc_kset_view *v)
{
	int wb = lw->after || lw->past ? 0 : d->from_set ? -1 : 1;
	struct json_object *jk = NULL, *keys = NULL;

	if (d->json) {
		jk = kset_json(v, wb, lw->past);
		json_object_object_get_ex(jk, "keys", &keys);
		json_object_array_add(lw->arr, jk);
	} else if (v->kind == PC_KSET_LAST) {
		printf("  kset %u:%-12u LAST -> cache segment %u  "
		       "crc 0x%08x%s\n", v->pos.seg, v->pos.off, v->key_num,
		       v->crc, lw->past ? "  PAST END" : "");
	} else {
		printf("  kset %u:%-12u keys %-3u size %-5u flags 0x%llx "
		       "crc 0x%08x  %s\n", v->pos.seg, v->pos.off, v->key_num,
		       v->size, (unsigned long long)v->flags, v->crc,
		       lw->past ? "PAST END" : wb < 0 ? "" :
		       wb ? "written back" : "dirty");
	}
	if (v->kind != PC_KSET_KEYS)
		return;
	for (uint32_t i = 0; i < v->key_num; i++) {
		struct pcd_key k;
		enum pc_key_err ke;

		pc_key_decode(d->c, &v->keys[i], &k);
		ke = pc_key_check(d->c, &k, d->backing_size, false, NULL);
		if (d->json)
			json_object_array_add(keys, key_json(d, i, &k, ke));
		else
			key_print(d, i, &k, ke);
	}
}

static struct json_object *run_json(const struct pc_salvage_run *run)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "gap", cli_json_pos(run->gap));
	json_object_object_add(o, "gap_reason", json_object_new_string(
			       pc_walk_end_name(run->gap_why)));
	json_object_object_add(o, "from", cli_json_pos(run->from));
	json_object_object_add(o, "end", cli_json_pos(run->end));
	json_object_object_add(o, "end_reason", json_object_new_string(
			       pc_walk_end_name(run->end_why)));
	json_object_object_add(o, "stale", json_object_new_boolean(
			       run->stale));
	json_object_object_add(o, "live_keys", cli_json_u64(run->live_keys));
	json_object_object_add(o, "damaged_keys", cli_json_u64(
			       run->damaged_keys));
	json_object_object_add(o, "ksets", json_object_new_array());
	return o;
}

static void run_print(const struct pc_salvage_run *run)
{
	char a[32], b[32];

	printf("  gap  %-13s %s; valid ksets resume at %s%s\n",
	       fmt_pos(run->gap, a, sizeof(a)), pc_walk_end_name(run->gap_why),
	       fmt_pos(run->from, b, sizeof(b)),
	       run->stale ? " (an older lap: ignored)" : "");
	if (run->damaged_keys && !run->stale)
		printf("       the damaged kset's %u key%s %s proven by "
		       "%s data CRC%s and taken\n", run->damaged_keys,
		       cli_s(run->damaged_keys),
		       run->damaged_keys == 1 ? "is" : "are",
		       run->damaged_keys == 1 ? "its" : "their",
		       cli_s(run->damaged_keys));
}

/* The ksets past the kernel's end, each shown as the log section shows one. */
static void past_end_ksets(struct dump *d, const struct pc_salvage *p,
			   struct json_object *arr)
{
	struct log_walk lw = { .past = true };
	struct json_object *jr = NULL;
	struct pc_kset_view v;
	struct pc_walk w;
	char a[32];

	pc_walk_init(&w, d->c, d->c->key_tail);
	w.model = PCD_KSET_OWN_BYTES;	/* as the scan found them */
	for (size_t i = 0; i < p->n_ksets && !out_broken(); i++) {
		const struct pc_salvage_kset *k = &p->ksets[i];
		const struct pc_salvage_run *run = &p->runs[k->run];

		if (!i || k->run != p->ksets[i - 1].run) {
			if (d->json) {
				jr = run_json(run);
				json_object_object_get_ex(jr, "ksets",
							  &lw.arr);
				json_object_array_add(arr, jr);
			} else {
				run_print(run);
			}
		}
		w.pos = k->pos;
		w.end = PC_END_NONE;
		w.hops = 0;
		if (pc_walk_next(&w, &v) != PC_KSET_KEYS &&
		    v.kind != PC_KSET_LAST)
			continue;
		log_kset(d, &lw, &v);
		if (!d->json && (i + 1 == p->n_ksets ||
				 p->ksets[i + 1].run != k->run))
			printf("  end  %-13s %s\n",
			       fmt_pos(run->end, a, sizeof(a)),
			       pc_walk_end_name(run->end_why));
	}
	pc_walk_fini(&w);
}

static void dump_past_end_log(struct dump *d, struct json_object *o,
			      bool wanted)
{
	const struct pc_salvage *p = wanted ? dump_past_end(d) : NULL;
	struct json_object *pe, *arr;

	if (!p) {
		if (d->json)
			json_object_object_add(o, "past_end", NULL);
		return;
	}
	if (d->json) {
		pe = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(pe, "verdict", json_object_new_string(
				       pc_salvage_verdict_name(p->verdict)));
		json_object_object_add(pe, "stale_reason", p->stale_why[0] ?
				       json_object_new_string(p->stale_why) :
				       NULL);
		past_end_ksets(d, p, arr);
		json_object_object_add(pe, "runs", arr);
		json_object_object_add(o, "past_end", pe);
		return;
	}
	if (p->verdict == PC_SALV_NONE)
		return;
	printf("past the kernel's end of log (%s; the kernel never sees "
	       "these%s):\n", p->verdict == PC_SALV_TRUNCATED ?
	       "the log is TRUNCATED" : "only an older lap's ksets",
	       p->verdict == PC_SALV_TRUNCATED ?
	       "; pcache-writeback --salvage rescues them" : "");
	past_end_ksets(d, p, NULL);
}

void dump_log(struct dump *d)
{
	struct pc_cache *c = d->c;
	struct pc_pos from = d->from_set ? d->from : c->key_tail;
	struct log_walk lw = { 0 };
	struct pc_kset_view v;
	struct pc_walk w;
	char a[32], b[32];
	struct json_object *o = NULL;

	if (c->stage < PC_STAGE_READY && !d->from_set) {
		cli_err("%s: tails not loaded; use --from SEG:OFF to walk the "
			"log", d->path);
		d->failed = true;
		return;
	}
	if (from.seg >= c->segs_loaded || from.off >= PCD_SEG_DATA_SIZE) {
		cli_err("%s: --from %u:%u out of range (%u segments, data area "
			"%u bytes)", d->path, from.seg, from.off,
			c->segs_loaded, PCD_SEG_DATA_SIZE);
		d->failed = true;
		return;
	}
	if (d->json) {
		o = json_object_new_object();
		lw.arr = json_object_new_array();
		json_object_object_add(o, "from", cli_json_pos(from));
	} else {
		if (d->sections & (SEC_HEADER | SEC_SEGMENTS | SEC_SEGMENT))
			printf("\n");
		printf("log from %s%s", fmt_pos(from, a, sizeof(a)),
		       d->from_set ? "" : " (key_tail)");
		if (c->stage >= PC_STAGE_READY)
			printf(", dirty_tail %s",
			       fmt_pos(c->dirty_tail, b, sizeof(b)));
		printf("\n");
	}
	pc_walk_init(&w, c, from);
	for (;;) {
		enum pc_kset_kind k;

		if (c->stage >= PC_STAGE_READY &&
		    w.pos.seg == c->dirty_tail.seg &&
		    w.pos.off == c->dirty_tail.off)
			lw.after = true;
		if (d->limit && lw.shown >= d->limit) {
			lw.truncated = true;
			break;
		}
		k = pc_walk_next(&w, &v);
		if (k != PC_KSET_KEYS && k != PC_KSET_LAST)
			break;
		lw.shown++;
		log_kset(d, &lw, &v);
		if (out_broken())
			break;
	}
	if (d->json) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(o, "ksets", lw.arr);
		json_object_object_add(o, "truncated",
				       json_object_new_boolean(lw.truncated));
		json_object_object_add(e, "pos", lw.truncated ? cli_json_pos(w.pos) :
				       cli_json_pos(v.pos));
		json_object_object_add(e, "reason", json_object_new_string(
				       lw.truncated ? "limit" :
				       pc_walk_end_name(w.end)));
		json_object_object_add(e, "error", json_object_new_boolean(
				       !lw.truncated &&
				       w.end >= PC_ERR_NEXT_RANGE));
		json_object_object_add(o, "end", e);
		json_object_object_add(d->doc, "log", o);
	} else if (lw.truncated) {
		printf("  (stopped after %llu kset%s: --limit)\n",
		       (unsigned long long)lw.shown, cli_s(lw.shown));
	} else {
		printf("  end  %-13s %s%s%s\n", fmt_pos(v.pos, a, sizeof(a)),
		       pc_walk_end_name(w.end),
		       w.err.msg[0] ? ": " : "", w.err.msg);
	}
	if (!lw.truncated && w.end >= PC_ERR_NEXT_RANGE)
		d->failed = true;
	pc_walk_fini(&w);
	dump_past_end_log(d, o, !lw.truncated && !d->from_set &&
			  c->stage >= PC_STAGE_READY);
}
