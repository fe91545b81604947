// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-fsck's reports: the text report, the JSON document (schema:
 * docs/json-fsck.md) and the table of finding codes.
 */
#include <inttypes.h>
#include <stdio.h>

#include "fsck.h"

/* ---- text report ------------------------------------------------------ */

static const char *sev_label(enum pc_sev s)
{
	switch (s) {
	case PC_SEV_REJECT:
		return "REJECT";
	case PC_SEV_LOSS:
		return "LOSS";
	case PC_SEV_INCONSISTENT:
		return "INCONSISTENT";
	case PC_SEV_HARMLESS:
		return "harmless";
	case PC_SEV_INFO:
		break;
	}
	return "info";
}

static void text_finding(const struct pc_finding *f, uint64_t more,
			 const struct fsck_view *v)
{
	struct pc_problem p = pc_problem(f->code);

	printf("%-12s %-22s %s", sev_label(p.sev), p.code, f->structure);
	if (f->slot >= 0)
		printf(" slot %d", f->slot);
	if (f->dev_off >= 0)
		printf(" @%" PRId64, f->dev_off);
	printf(": %s", f->msg);
	if (f->repaired)
		printf(" [repaired]");
	else if (f->refused)
		printf(" [not repaired: it would lose dirty data]");
	else if (p.fix != PC_FIX_NEVER && !f->no_fix && !v->repairing)
		printf(" [repairable with %s]", p.fix == PC_FIX_PREEN ?
		       "-p or -y" : "-y");
	putchar('\n');
	if (f->n_ranges) {
		printf("%37s affected backing ranges:", "");
		for (unsigned int i = 0; i < f->n_ranges; i++)
			printf(" %" PRIu64 "+%" PRIu64, f->ranges[i].off,
			       f->ranges[i].len);
		if (f->ranges_total > f->n_ranges)
			printf(" (%" PRIu64 " ranges in all)", f->ranges_total);
		putchar('\n');
	}
	if (more)
		printf("%37s ... and %" PRIu64 " more like it\n", "", more);
}

static void text_usage(const struct pc_check_usage *u,
		       const struct fsck_view *v)
{
	char a[32], b[32], c[32];

	if (!u->loaded)
		return;
	printf("log: key_tail %u:%u, dirty_tail %u:%u, key_head %u:%u (%s)\n",
	       u->key_tail.seg, u->key_tail.off, u->dirty_tail.seg,
	       u->dirty_tail.off, u->key_head.seg, u->key_head.off,
	       u->log_end == PC_END_MAGIC ? "ends cleanly" :
	       pc_walk_end_name(u->log_end));
	printf("     %" PRIu64 " kset%s, %" PRIu64 " LAST, %" PRIu64 " key%s "
	       "(%" PRIu64 " dirty, %" PRIu64 " clean, %" PRIu64 " stale)\n",
	       u->ksets, cli_s(u->ksets), u->last_ksets, u->keys,
	       cli_s(u->keys), u->dirty_keys, u->clean_keys, u->stale_keys);
	printf("data: %s live after replay, %s dirty, %s clean; %u of %u "
	       "segments in use\n", cli_size(u->live_bytes, a, sizeof(a)),
	       cli_size(u->dirty_bytes, b, sizeof(b)),
	       cli_size(u->clean_bytes, c, sizeof(c)), u->segs_used,
	       u->n_segs);
	if (u->verified_keys)
		printf("data crc: %" PRIu64 " key%s, %s verified\n",
		       u->verified_keys, cli_s(u->verified_keys),
		       cli_size(u->verified_bytes, a, sizeof(a)));
	else if (u->data_unverified)
		printf("data crc: not verified (--no-verify-data); the kernel's "
		       "data check at activation was not made\n");
	if (u->backing_compared)
		printf("backing: %" PRIu64 " extent%s, %s compared, %" PRIu64
		       " differ\n", u->backing_extents, cli_s(u->backing_extents),
		       cli_size(u->backing_bytes, a, sizeof(a)),
		       u->backing_diffs);
	printf("status after activation: %s\n", u->status_line);
	if (!v->verbose)
		return;
	printf("key segments:");
	for (uint32_t i = 0; i < u->n_key_segs; i++)
		printf(" %u", u->key_segs[i]);
	printf("\ndata segments (cache id, physical, gen, keys, live bytes):\n");
	for (uint32_t i = 0; i < u->n_data_segs; i++)
		printf("  %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       u->data_segs[i].cache_seg, u->data_segs[i].phys,
		       u->data_segs[i].gen, u->data_segs[i].keys,
		       u->data_segs[i].live_bytes);
}

const char *fsck_verdict(const struct pc_check *ck, int code)
{
	if (code & (PC_FSCK_ERROR | PC_FSCK_CANCELED))
		return "check incomplete";
	if (!pc_check_kernel_accepts(ck))
		return "the kernel would refuse this cache";
	if (code & PC_FSCK_UNCORRECTED)
		return "errors left: the kernel accepts the cache but data is at risk";
	if (pc_check_usage(ck)->data_unverified)
		return code & PC_FSCK_CORRECTED ?
		       "errors corrected; consistent as far as checked (data "
		       "CRCs not verified)" :
		       "consistent as far as checked (data CRCs not verified)";
	/* "consistent", not "clean": clean means no dirty data in dm-pcache */
	if (code & PC_FSCK_CORRECTED)
		return "errors corrected; consistent";
	return "consistent";
}

void fsck_text_report(const char *path, const struct pc_check *ck, int code,
		      const struct fsck_view *v)
{
	size_t n;
	const struct pc_finding *f = pc_check_findings(ck, &n);
	unsigned int shown[PCK__COUNT] = { 0 };
	const struct pc_check_usage *u;
	char sz[32];

	for (size_t i = 0; i < n; i++) {
		uint64_t more = 0;

		if (++shown[f[i].code] == pc_check_count(ck, f[i].code) ||
		    shown[f[i].code] == 16)
			more = pc_check_count(ck, f[i].code) - shown[f[i].code];
		if (pc_problem(f[i].code).sev >= PC_SEV_HARMLESS ||
		    f[i].code >= PCK_FIX_SLOT || v->verbose ||
		    f[i].code == PCK_DIRTY_DATA)
			text_finding(&f[i], more, v);
	}
	text_usage(pc_check_usage(ck), v);
	printf("%s: %s", path, fsck_verdict(ck, code));
	u = pc_check_usage(ck);
	/* the dirty data is a separate fact from the verdict */
	if (u->loaded && u->dirty_bytes)
		printf("; %s dirty, not yet written back",
		       cli_size(u->dirty_bytes, sz, sizeof(sz)));
	else if (u->loaded)
		printf("; no dirty data");
	printf(" (%zu finding%s, %u repaired, exit %d)\n", n, cli_s(n),
	       pc_check_repairs(ck), code);
}

/* ---- JSON report ------------------------------------------------------ */

static struct json_object *jint_or_null(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static struct json_object *jfinding(const struct pc_check *ck,
				    const struct pc_finding *f)
{
	struct pc_problem p = pc_problem(f->code);
	struct json_object *o = json_object_new_object();
	struct json_object *r = json_object_new_array();

	json_object_object_add(o, "code", json_object_new_string(p.code));
	json_object_object_add(o, "check", json_object_new_string(p.check));
	json_object_object_add(o, "severity",
			       json_object_new_string(pc_sev_name(p.sev)));
	json_object_object_add(o, "impact",
			       json_object_new_string(pc_sev_impact(p.sev)));
	json_object_object_add(o, "structure",
			       json_object_new_string(f->structure));
	json_object_object_add(o, "slot", jint_or_null(f->slot));
	json_object_object_add(o, "cache_seg", jint_or_null(f->cache_seg));
	json_object_object_add(o, "phys_seg", jint_or_null(f->phys_seg));
	json_object_object_add(o, "dev_offset", jint_or_null(f->dev_off));
	json_object_object_add(o, "message", json_object_new_string(f->msg));
	json_object_object_add(o, "repairable",
			       json_object_new_boolean(p.fix != PC_FIX_NEVER &&
						       !f->no_fix));
	json_object_object_add(o, "repaired",
			       json_object_new_boolean(f->repaired));
	json_object_object_add(o, "refused",
			       json_object_new_boolean(f->refused));
	for (unsigned int i = 0; i < f->n_ranges; i++) {
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "offset",
				       cli_json_u64(f->ranges[i].off));
		json_object_object_add(x, "length",
				       cli_json_u64(f->ranges[i].len));
		json_object_array_add(r, x);
	}
	json_object_object_add(o, "ranges", r);
	json_object_object_add(o, "ranges_total",
			       cli_json_u64(f->ranges_total));
	(void)ck;
	return o;
}

static struct json_object *jusage(const struct pc_check_usage *u)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ks = json_object_new_array();
	struct json_object *ds = json_object_new_array();

	json_object_object_add(o, "loaded", json_object_new_boolean(u->loaded));
	json_object_object_add(o, "device_size", cli_json_u64(u->dev_size));
	json_object_object_add(o, "seg_num", cli_json_u64(u->seg_num));
	json_object_object_add(o, "seg_fit", cli_json_u64(u->seg_fit));
	json_object_object_add(o, "n_segs", cli_json_u64(u->n_segs));
	json_object_object_add(o, "info_flags", cli_json_u64(u->info_flags));
	json_object_object_add(o, "gc_percent", cli_json_u64(u->gc_percent));
	json_object_object_add(o, "data_crc",
			       json_object_new_boolean(u->data_crc));
	json_object_object_add(o, "key_tail", cli_json_pos(u->key_tail));
	json_object_object_add(o, "dirty_tail", cli_json_pos(u->dirty_tail));
	json_object_object_add(o, "key_head", cli_json_pos(u->key_head));
	json_object_object_add(o, "log_end", json_object_new_string(
		u->loaded ? pc_walk_end_name(u->log_end) : "not walked"));
	json_object_object_add(o, "ksets", cli_json_u64(u->ksets));
	json_object_object_add(o, "last_ksets", cli_json_u64(u->last_ksets));
	json_object_object_add(o, "keys", cli_json_u64(u->keys));
	json_object_object_add(o, "dirty_keys", cli_json_u64(u->dirty_keys));
	json_object_object_add(o, "clean_keys", cli_json_u64(u->clean_keys));
	json_object_object_add(o, "stale_keys", cli_json_u64(u->stale_keys));
	json_object_object_add(o, "stale_keys_at_key_tail",
			       cli_json_u64(u->stale_keys_tail));
	json_object_object_add(o, "max_key_end", cli_json_u64(u->max_key_end));
	json_object_object_add(o, "verified_keys",
			       cli_json_u64(u->verified_keys));
	json_object_object_add(o, "verified_bytes",
			       cli_json_u64(u->verified_bytes));
	json_object_object_add(o, "data_check", json_object_new_string(
		!u->data_crc ? "none" : u->data_unverified ? "skipped" :
		"done"));
	json_object_object_add(o, "backing_compared",
			       json_object_new_boolean(u->backing_compared));
	json_object_object_add(o, "backing_extents",
			       cli_json_u64(u->backing_extents));
	json_object_object_add(o, "backing_bytes",
			       cli_json_u64(u->backing_bytes));
	json_object_object_add(o, "backing_diffs",
			       cli_json_u64(u->backing_diffs));
	json_object_object_add(o, "live_bytes", cli_json_u64(u->live_bytes));
	json_object_object_add(o, "dirty_bytes", cli_json_u64(u->dirty_bytes));
	json_object_object_add(o, "dirty_key_bytes",
			       cli_json_u64(u->dirty_key_bytes));
	json_object_object_add(o, "clean_bytes", cli_json_u64(u->clean_bytes));
	json_object_object_add(o, "segs_used", cli_json_u64(u->segs_used));
	for (uint32_t i = 0; i < u->n_key_segs; i++)
		json_object_array_add(ks, cli_json_u64(u->key_segs[i]));
	json_object_object_add(o, "key_segments", ks);
	for (uint32_t i = 0; i < u->n_data_segs; i++) {
		const struct pc_seg_use *s = &u->data_segs[i];
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "cache_seg", cli_json_u64(s->cache_seg));
		json_object_object_add(x, "phys_seg", cli_json_u64(s->phys));
		json_object_object_add(x, "gen", cli_json_u64(s->gen));
		json_object_object_add(x, "keys", cli_json_u64(s->keys));
		json_object_object_add(x, "live_bytes",
				       cli_json_u64(s->live_bytes));
		json_object_array_add(ds, x);
	}
	json_object_object_add(o, "data_segments", ds);
	json_object_object_add(o, "status_line",
			       json_object_new_string(u->status_line));
	return o;
}

int fsck_json_report(const char *path, const char *mode,
		     const struct pc_check *ck, int code)
{
	struct json_object *doc = cli_json_doc();
	struct json_object *dev = json_object_new_object();
	struct json_object *fs = json_object_new_array();
	struct json_object *sum = json_object_new_object();
	struct json_object *bysev = json_object_new_object();
	struct json_object *counts = json_object_new_object();
	uint64_t sev[PC_SEV_REJECT + 1] = { 0 };
	size_t n;
	const struct pc_finding *f = pc_check_findings(ck, &n);
	int ret;

	json_object_object_add(dev, "path", json_object_new_string(path));
	json_object_object_add(dev, "size",
			       cli_json_u64(pc_check_usage(ck)->dev_size));
	json_object_object_add(dev, "mode", json_object_new_string(mode));
	json_object_object_add(doc, "device", dev);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(fs, jfinding(ck, &f[i]));
	json_object_object_add(doc, "findings", fs);
	for (int c = 0; c < PCK__COUNT; c++) {
		uint64_t k = pc_check_count(ck, c);

		if (!k)
			continue;
		sev[pc_problem(c).sev] += k;
		json_object_object_add(counts, pc_problem(c).code,
				       cli_json_u64(k));
	}
	for (int s = PC_SEV_INFO; s <= PC_SEV_REJECT; s++)
		json_object_object_add(bysev, pc_sev_name(s),
				       cli_json_u64(sev[s]));
	json_object_object_add(sum, "findings", cli_json_u64(n));
	json_object_object_add(sum, "by_severity", bysev);
	json_object_object_add(sum, "by_code", counts);
	json_object_object_add(sum, "repairs",
			       cli_json_u64(pc_check_repairs(ck)));
	json_object_object_add(sum, "unrepaired_errors",
			       cli_json_u64(pc_check_unrepaired(ck)));
	json_object_object_add(sum, "kernel_accepts",
			       json_object_new_boolean(
				       pc_check_kernel_accepts(ck)));
	json_object_object_add(sum, "verdict",
			       json_object_new_string(fsck_verdict(ck, code)));
	json_object_object_add(sum, "exit_code", json_object_new_int(code));
	if (pc_check_error(ck)->msg[0])
		json_object_object_add(sum, "error", json_object_new_string(
			pc_check_error(ck)->msg));
	json_object_object_add(doc, "summary", sum);
	json_object_object_add(doc, "usage", jusage(pc_check_usage(ck)));
	ret = cli_json_print(doc);
	json_object_put(doc);
	return ret;
}

/* ---- the findings table ---------------------------------------------- */

static const char *fix_name(enum pc_fix f)
{
	return f == PC_FIX_PREEN ? "preen" : f == PC_FIX_YES ? "yes" : "no";
}

/* One line per code: code, check, severity, repair mode, sentence. */
void fsck_list_findings(void)
{
	for (int c = 0; c < PCK__COUNT; c++) {
		struct pc_problem p = pc_problem(c);

		printf("%s\t%s\t%s\t%s\t%s", p.code, p.check,
		       pc_sev_name(p.sev), fix_name(p.fix), p.what);
		if (p.repair)
			printf(" Repair: %s.", p.repair);
		putchar('\n');
	}
}
