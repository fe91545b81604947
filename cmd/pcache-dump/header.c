// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The device header: superblock, cache_info, the two tails, and a summary
 * with the dmsetup table and status lines the kernel would use and print.
 */
#include <string.h>

#include "dump.h"

static const char *const mode_names[] = {
	"writeback", "writethrough", "writearound", "writeonly",
};

static const char *mode_name(uint32_t mode)
{
	return mode < 4 ? mode_names[mode] : "unknown";
}

/* ---- dual-slot records, generic part --------------------------------- */

const char *dual_reason(const struct pc_dual *d, char *buf, size_t len)
{
	const struct pc_slot *s0 = &d->slot[0], *s1 = &d->slot[1];
	bool v0 = s0->state == PC_SLOT_VALID, v1 = s1->state == PC_SLOT_VALID;

	if (!v0 && !v1)
		snprintf(buf, len, "no valid copy");
	else if (v0 != v1)
		snprintf(buf, len, "only valid copy");
	else if (s0->seq == s1->seq)
		snprintf(buf, len, "equal seq %u, slot 0 wins", s0->seq);
	else if (d->chosen == 1)
		snprintf(buf, len, "seq %u is after %u", s1->seq, s0->seq);
	else if (pcd_seq_after(s0->seq, s1->seq))
		snprintf(buf, len, "seq %u is after %u", s0->seq, s1->seq);
	else
		snprintf(buf, len, "seq distance 128 (%u vs %u), slot 0 wins",
			 s0->seq, s1->seq);
	return buf;
}

struct json_object *dual_json(const struct pc_dual *d,
			      struct json_object *(*fields)(const struct pc_dual *,
							    int, bool),
			      bool swap)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	char why[96];

	for (int i = 0; i < PCD_SLOTS; i++) {
		const struct pc_slot *s = &d->slot[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "slot", json_object_new_int(i));
		json_object_object_add(j, "dev_off", cli_json_u64(s->dev_off));
		json_object_object_add(j, "state", json_object_new_string(
				       pc_slot_state_name(s->state)));
		json_object_object_add(j, "seq", json_object_new_int(s->seq));
		json_object_object_add(j, "version",
				       json_object_new_int(s->version));
		json_object_object_add(j, "res", json_object_new_int(s->res));
		json_object_object_add(j, "crc_stored",
				       cli_json_u64(s->crc_stored));
		json_object_object_add(j, "crc_calc", cli_json_u64(s->crc_calc));
		json_object_object_add(j, "crc_match", json_object_new_boolean(
				       s->crc_stored == s->crc_calc));
		json_object_object_add(j, "fields", fields(d, i, swap));
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "slots", arr);
	json_object_object_add(o, "chosen", d->chosen < 0 ? NULL :
			       json_object_new_int(d->chosen));
	json_object_object_add(o, "reason", json_object_new_string(
			       dual_reason(d, why, sizeof(why))));
	return o;
}

void dual_print(const char *name, const struct pc_dual *d,
		void (*fields)(const struct pc_dual *, int, bool, char *,
			       size_t),
		bool swap, const char *indent)
{
	char why[96], f[160], crc[40];

	printf("%s%s (slots at %llu, %llu)\n", indent, name,
	       (unsigned long long)d->slot[0].dev_off,
	       (unsigned long long)d->slot[1].dev_off);
	for (int i = 0; i < PCD_SLOTS; i++) {
		const struct pc_slot *s = &d->slot[i];

		if (s->crc_stored == s->crc_calc)
			snprintf(crc, sizeof(crc), "0x%08x [match]",
				 s->crc_stored);
		else
			snprintf(crc, sizeof(crc), "0x%08x [expected 0x%08x]",
				 s->crc_stored, s->crc_calc);
		fields(d, i, swap, f, sizeof(f));
		printf("%s  slot %d%s  seq %-3u  crc %-33s %-10s %s\n", indent,
		       i, d->chosen == i ? "*" : " ", s->seq, crc,
		       pc_slot_state_name(s->state), f);
	}
	if (d->chosen < 0)
		printf("%s  chosen   none (%s)\n", indent,
		       dual_reason(d, why, sizeof(why)));
	else
		printf("%s  chosen   slot %d (%s)\n", indent, d->chosen,
		       dual_reason(d, why, sizeof(why)));
}

/* ---- per-record field decoders --------------------------------------- */

static const struct pcd_cache_info *info_raw(const struct pc_dual *d, int i,
					     struct pcd_cache_info *tmp,
					     bool swap)
{
	memcpy(tmp, d->slot[i].raw, sizeof(*tmp));
	tmp->seg_id = pcd_n32(swap, tmp->seg_id);
	tmp->n_segs = pcd_n32(swap, tmp->n_segs);
	tmp->flags = pcd_n32(swap, tmp->flags);
	tmp->reserved = pcd_n32(swap, tmp->reserved);
	return tmp;
}

static void info_text(const struct pc_dual *d, int i, bool swap, char *buf,
		      size_t len)
{
	struct pcd_cache_info t;

	info_raw(d, i, &t, swap);
	snprintf(buf, len, "seg_id %u n_segs %u flags 0x%x", t.seg_id,
		 t.n_segs, t.flags);
}

static struct json_object *info_fields(const struct pc_dual *d, int i,
				       bool swap)
{
	struct json_object *o = json_object_new_object();
	struct pcd_cache_info t;

	info_raw(d, i, &t, swap);
	json_object_object_add(o, "seg_id", json_object_new_int64(t.seg_id));
	json_object_object_add(o, "n_segs", json_object_new_int64(t.n_segs));
	json_object_object_add(o, "flags", json_object_new_int64(t.flags));
	json_object_object_add(o, "reserved",
			       json_object_new_int64(t.reserved));
	return o;
}

static void pos_raw(const struct pc_dual *d, int i, bool swap,
		    struct pc_pos *p)
{
	struct pcd_pos t;

	memcpy(&t, d->slot[i].raw, sizeof(t));
	p->seg = pcd_n32(swap, t.cache_seg_id);
	p->off = pcd_n32(swap, t.seg_off);
}

static void pos_text(const struct pc_dual *d, int i, bool swap, char *buf,
		     size_t len)
{
	struct pc_pos p;

	pos_raw(d, i, swap, &p);
	snprintf(buf, len, "pos %u:%u", p.seg, p.off);
}

static struct json_object *pos_fields(const struct pc_dual *d, int i,
				      bool swap)
{
	struct json_object *o = json_object_new_object();
	struct pc_pos p;

	pos_raw(d, i, swap, &p);
	json_object_object_add(o, "pos", cli_json_pos(p));
	return o;
}

/* ---- superblock ------------------------------------------------------ */

static struct json_object *sb_json(const struct pc_cache *c)
{
	struct json_object *o = json_object_new_object();
	const struct pc_sb *sb = &c->sb;
	char hex[24];

	json_object_object_add(o, "dev_off", cli_json_u64(PCD_SB_OFF));
	json_object_object_add(o, "crc_stored", cli_json_u64(sb->crc_stored));
	json_object_object_add(o, "crc_calc", cli_json_u64(sb->crc_calc));
	json_object_object_add(o, "crc_match", json_object_new_boolean(
			       sb->crc_stored == sb->crc_calc));
	json_object_object_add(o, "flags", cli_json_u64(sb->flags));
	json_object_object_add(o, "big_endian", json_object_new_boolean(
			       sb->flags & PCD_SB_F_BIGENDIAN));
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)sb->magic);
	json_object_object_add(o, "magic", cli_json_u64(sb->magic));
	/* exact even for parsers that read numbers as doubles */
	json_object_object_add(o, "magic_hex", json_object_new_string(hex));
	json_object_object_add(o, "magic_ok", json_object_new_boolean(
			       sb->magic == PCD_SB_MAGIC));
	json_object_object_add(o, "seg_num", cli_json_u64(sb->seg_num));
	json_object_object_add(o, "seg_fit", cli_json_u64(
			       pcd_segs_for_size(c->dev_size)));
	json_object_object_add(o, "padding", cli_json_u64(sb->padding));
	json_object_object_add(o, "valid", json_object_new_boolean(
			       pc_sb_valid(sb)));
	return o;
}

static void sb_print(const struct pc_cache *c)
{
	const struct pc_sb *sb = &c->sb;

	printf("superblock (at %llu)\n", PCD_SB_OFF);
	if (sb->crc_stored == sb->crc_calc)
		printf("  crc        0x%08x [match]\n", sb->crc_stored);
	else
		printf("  crc        0x%08x [expected 0x%08x]\n",
		       sb->crc_stored, sb->crc_calc);
	printf("  flags      0x%x (%s-endian)\n", sb->flags,
	       sb->flags & PCD_SB_F_BIGENDIAN ? "big" : "little");
	printf("  magic      0x%016llx [%s]\n", (unsigned long long)sb->magic,
	       sb->magic == PCD_SB_MAGIC ? "ok" :
	       sb->magic ? "bad" : "unformatted");
	printf("  seg_num    %u (device holds %llu)\n", sb->seg_num,
	       (unsigned long long)pcd_segs_for_size(c->dev_size));
	printf("  padding    0x%08x\n", sb->padding);
}

/* ---- cache_info ------------------------------------------------------ */

static struct json_object *info_json(const struct pc_cache *c)
{
	struct json_object *o = dual_json(&c->info_slots, info_fields,
					  c->swap);
	uint32_t f = c->info.flags;
	struct json_object *j;

	if (c->stage < PC_STAGE_INFO && !pc_dual_rec(&c->info_slots)) {
		json_object_object_add(o, "decoded", NULL);
		return o;
	}
	j = json_object_new_object();

	json_object_object_add(j, "seg_id", json_object_new_int64(
			       c->info.seg_id));
	json_object_object_add(j, "n_segs", json_object_new_int64(
			       c->info.n_segs));
	json_object_object_add(j, "flags", json_object_new_int64(f));
	json_object_object_add(j, "data_crc", json_object_new_boolean(
			       f & PCD_INFO_F_DATA_CRC));
	json_object_object_add(j, "init_done", json_object_new_boolean(
			       f & PCD_INFO_F_INIT_DONE));
	json_object_object_add(j, "cache_mode", json_object_new_string(
			       mode_name(pcd_info_mode(f))));
	json_object_object_add(j, "gc_percent", json_object_new_int64(
			       pcd_info_gc_percent(f)));
	json_object_object_add(j, "unused_flags", json_object_new_int64(
			       f & PCD_INFO_F_UNUSED));
	json_object_object_add(j, "reserved", json_object_new_int64(
			       c->info.reserved));
	json_object_object_add(o, "decoded", j);
	return o;
}

static void info_print(const struct pc_cache *c)
{
	uint32_t f = c->info.flags;

	dual_print("cache_info", &c->info_slots, info_text, c->swap, "");
	if (!pc_dual_rec(&c->info_slots))
		return;
	printf("  seg_id     %u\n", c->info.seg_id);
	printf("  n_segs     %u\n", c->info.n_segs);
	printf("  flags      0x%x: data_crc %s, init_done %s, cache_mode %s, "
	       "gc_percent %u%s\n", f,
	       f & PCD_INFO_F_DATA_CRC ? "yes" : "no",
	       f & PCD_INFO_F_INIT_DONE ? "yes" : "no",
	       mode_name(pcd_info_mode(f)), pcd_info_gc_percent(f),
	       f & PCD_INFO_F_UNUSED ? ", unknown bits set" : "");
	printf("  reserved   0x%x\n", c->info.reserved);
}

/* ---- tails ----------------------------------------------------------- */

static const char *const tail_names[] = { "key_tail", "dirty_tail" };

static struct json_object *tails_json(const struct pc_cache *c)
{
	struct json_object *o = json_object_new_object();

	for (int t = 0; t < 2; t++) {
		const struct pc_dual *dl = &c->tail_slots[t];
		struct json_object *j = dual_json(dl, pos_fields, c->swap);
		struct pc_pos p;

		if (dl->chosen >= 0) {
			pos_raw(dl, dl->chosen, c->swap, &p);
			json_object_object_add(j, "pos", cli_json_pos(p));
		} else {
			json_object_object_add(j, "pos", NULL);
		}
		json_object_object_add(o, tail_names[t], j);
	}
	return o;
}

static void tails_print(const struct pc_cache *c)
{
	for (int t = 0; t < 2; t++)
		dual_print(tail_names[t], &c->tail_slots[t], pos_text, c->swap,
			   "");
}

/* ---- summary --------------------------------------------------------- */

struct summary {
	bool have;		/* replay ran */
	char table[512];
	char status[256];
};

static void summary_lines(struct dump *d, struct summary *s)
{
	struct pc_cache *c = d->c;
	char sectors[32], bpath[256];
	char kh[32], dt[32], kt[32];

	if (d->bdev) {
		snprintf(sectors, sizeof(sectors), "%llu",
			 (unsigned long long)(d->backing_size / 512));
		snprintf(bpath, sizeof(bpath), "%s", d->backing_path);
	} else {
		snprintf(sectors, sizeof(sectors), "<backing_sectors>");
		snprintf(bpath, sizeof(bpath), "<backing_dev>");
	}
	snprintf(s->table, sizeof(s->table),
		 "0 %s pcache %s %s 4 cache_mode writeback data_crc %s",
		 sectors, d->path, bpath,
		 pc_cache_data_crc(c) ? "true" : "false");
	s->status[0] = '\0';
	if (!s->have)
		return;
	snprintf(s->status, sizeof(s->status),
		 "0 %s pcache %x %u %u %u %u %x %s %s %s", sectors,
		 c->sb.flags, c->sb.seg_num, c->sb.seg_num, d->r.segs_used,
		 pcd_info_gc_percent(c->info.flags),
		 c->info.flags | PCD_INFO_F_INIT_DONE,
		 fmt_pos(d->r.head, kh, sizeof(kh)),
		 fmt_pos(c->dirty_tail, dt, sizeof(dt)),
		 fmt_pos(c->key_tail, kt, sizeof(kt)));
}

static bool has_dirty(const struct dump *d)
{
	for (size_t i = 0; i < d->r.n_ext; i++)
		if (d->r.ext[i].dirty)
			return true;
	return false;
}

/* What lies past the kernel's end of log, in brief (the log section lists it). */
static struct json_object *past_end_json(struct dump *d)
{
	const struct pc_salvage *p = dump_past_end(d);
	struct json_object *o;

	if (!p)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "verdict", json_object_new_string(
			       pc_salvage_verdict_name(p->verdict)));
	json_object_object_add(o, "ksets", cli_json_u64(p->n_ksets));
	json_object_object_add(o, "dirty_keys", cli_json_u64(p->n_dirty));
	json_object_object_add(o, "dirty_key_bytes", cli_json_u64(
			       p->dirty_bytes));
	json_object_object_add(o, "resume", p->verdict == PC_SALV_TRUNCATED ?
			       cli_json_pos(p->resume) : NULL);
	json_object_object_add(o, "stale_reason", p->stale_why[0] ?
			       json_object_new_string(p->stale_why) : NULL);
	return o;
}

static void past_end_print(struct dump *d)
{
	const struct pc_salvage *p = dump_past_end(d);
	char a[32];

	if (!p || p->verdict == PC_SALV_NONE)
		return;
	if (p->verdict == PC_SALV_STALE) {
		printf("  past end   valid ksets of an older lap (ignored: %s)\n",
		       p->stale_why);
		return;
	}
	printf("  past end   TRUNCATED: %zu valid ksets up to %s hold %llu "
	       "dirty keys (%llu bytes) the kernel drops; "
	       "pcache-writeback --salvage rescues them\n", p->n_ksets,
	       fmt_pos(p->resume, a, sizeof(a)),
	       (unsigned long long)p->n_dirty,
	       (unsigned long long)p->dirty_bytes);
}

static struct json_object *summary_json(struct dump *d, struct summary *s)
{
	struct json_object *o = json_object_new_object();
	struct pc_replay *r = &d->r;

	json_object_object_add(o, "key_tail", cli_json_pos(d->c->key_tail));
	json_object_object_add(o, "dirty_tail", cli_json_pos(d->c->dirty_tail));
	json_object_object_add(o, "key_head", cli_json_pos(r->head));
	json_object_object_add(o, "log_end", json_object_new_string(
			       pc_walk_end_name(r->end)));
	json_object_object_add(o, "dirty_tail_on_log", json_object_new_boolean(
			       r->dirty_tail_seen));
	json_object_object_add(o, "past_end", past_end_json(d));
	json_object_object_add(o, "segs_used", json_object_new_int64(
			       r->segs_used));
	json_object_object_add(o, "ksets", cli_json_u64(r->n_ksets));
	json_object_object_add(o, "last_ksets", cli_json_u64(r->n_last));
	json_object_object_add(o, "keys", cli_json_u64(r->n_keys));
	json_object_object_add(o, "stale_keys", cli_json_u64(r->n_stale));
	json_object_object_add(o, "extents", cli_json_u64(r->n_ext));
	json_object_object_add(o, "cached_bytes", cli_json_u64(
			       r->cached_bytes));
	json_object_object_add(o, "dirty_bytes", cli_json_u64(r->dirty_bytes));
	json_object_object_add(o, "dirty", json_object_new_boolean(
			       has_dirty(d)));
	json_object_object_add(o, "kernel_would_load", json_object_new_boolean(
			       !d->refused));
	json_object_object_add(o, "error", d->refused ?
			       json_object_new_string(d->refuse_msg) : NULL);
	json_object_object_add(o, "dmsetup_status", json_object_new_string(
			       s->status));
	return o;
}

static void summary_print(struct dump *d, struct summary *s)
{
	struct pc_replay *r = &d->r;
	char a[32], b[32], e[32], sz[32];

	printf("summary\n");
	printf("  key_tail %s  dirty_tail %s  key_head %s%s\n",
	       fmt_pos(d->c->key_tail, a, sizeof(a)),
	       fmt_pos(d->c->dirty_tail, b, sizeof(b)),
	       fmt_pos(r->head, e, sizeof(e)),
	       r->dirty_tail_seen ? "" : "  (dirty_tail NOT on the log)");
	printf("  log end    %s\n", pc_walk_end_name(r->end));
	past_end_print(d);
	printf("  ksets      %llu (+%llu LAST), keys %zu, stale %llu\n",
	       (unsigned long long)r->n_ksets, (unsigned long long)r->n_last,
	       r->n_keys, (unsigned long long)r->n_stale);
	printf("  segs_used  %u\n", r->segs_used);
	printf("  cached     %llu bytes (%s) in %zu extent%s\n",
	       (unsigned long long)r->cached_bytes,
	       cli_size(r->cached_bytes, sz, sizeof(sz)), r->n_ext,
	       cli_s(r->n_ext));
	printf("  dirty      %llu bytes (%s)%s\n",
	       (unsigned long long)r->dirty_bytes,
	       cli_size(r->dirty_bytes, sz, sizeof(sz)),
	       has_dirty(d) ? ": run pcache-writeback to clean offline" : "");
	if (d->refused)
		printf("  kernel     would REFUSE to load: %s\n", d->refuse_msg);
	printf("  status     %s\n", s->status);
}

/* ---- the section ----------------------------------------------------- */

static const char *stage_name(enum pc_stage st)
{
	switch (st) {
	case PC_STAGE_NONE:
		return "none";
	case PC_STAGE_SB:
		return "superblock";
	case PC_STAGE_INFO:
		return "cache_info";
	case PC_STAGE_CHAIN:
		return "chain";
	case PC_STAGE_TAILS:
		return "ready";
	}
	return "?";
}

static struct json_object *device_json(const struct dump *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(d->path));
	json_object_object_add(o, "kind", json_object_new_string(
			       pc_dev_kind_name(pc_dev_kind(d->dev))));
	json_object_object_add(o, "size", cli_json_u64(d->c->dev_size));
	json_object_object_add(o, "backing", d->bdev ?
			       json_object_new_string(d->backing_path) : NULL);
	json_object_object_add(o, "backing_size", d->bdev ?
			       cli_json_u64(d->backing_size) : NULL);
	json_object_object_add(o, "stage", json_object_new_string(
			       stage_name(d->c->stage)));
	json_object_object_add(o, "open_error", d->open_ret ?
			       json_object_new_string(d->open_err.msg) : NULL);
	return o;
}

void dump_header(struct dump *d)
{
	struct pc_cache *c = d->c;
	struct summary s = { 0 };
	char sz[32];

	if (c->stage >= PC_STAGE_READY) {
		dump_replay(d);
		s.have = true;
	}
	if (c->stage >= PC_STAGE_INFO)
		summary_lines(d, &s);
	if (d->json) {
		json_object_object_add(d->doc, "device", device_json(d));
		json_object_object_add(d->doc, "superblock", sb_json(c));
		json_object_object_add(d->doc, "cache_info", c->stage >= PC_STAGE_SB ?
				       info_json(c) : NULL);
		json_object_object_add(d->doc, "tails", c->stage >= PC_STAGE_CHAIN ?
				       tails_json(c) : NULL);
		json_object_object_add(d->doc, "dmsetup_table",
				       c->stage >= PC_STAGE_INFO ?
				       json_object_new_string(s.table) : NULL);
		json_object_object_add(d->doc, "summary", s.have ?
				       summary_json(d, &s) : NULL);
		return;
	}
	printf("device       %s (%s, %llu bytes, %s)\n", d->path,
	       pc_dev_kind_name(pc_dev_kind(d->dev)),
	       (unsigned long long)c->dev_size,
	       cli_size(c->dev_size, sz, sizeof(sz)));
	if (d->bdev)
		printf("backing      %s (%llu bytes, %s)\n", d->backing_path,
		       (unsigned long long)d->backing_size,
		       cli_size(d->backing_size, sz, sizeof(sz)));
	printf("\n");
	sb_print(c);
	if (c->stage < PC_STAGE_SB)
		return;
	printf("\n");
	info_print(c);
	if (c->stage < PC_STAGE_CHAIN)
		return;
	printf("\n");
	tails_print(c);
	printf("\ndmsetup table (loadable):\n  %s\n", s.table);
	if (s.have) {
		printf("\n");
		summary_print(d, &s);
	}
}
