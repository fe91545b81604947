// SPDX-License-Identifier: GPL-2.0-or-later
/* pcache-writeback: human and JSON reports (schema: docs/json-writeback.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wb.h"

static const char *const action_names[] = {
	[WB_WRITE] = "write",
	[WB_SKIP_BAD] = "skipped_bad_crc",
	[WB_BAD] = "bad_crc",
};

void wb_refuse(struct wb *w, const char *fmt, ...)
{
	va_list ap;

	if (w->error[0])	/* keep the first reason */
		return;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
	w->result = "refused";
	cli_err("%s", w->error);
}

static struct json_object *item_json(const struct wb *w,
				     const struct wb_item *it)
{
	struct json_object *o = json_object_new_object();
	const struct pc_extent *e = it->e;
	const char *action = action_names[it->action];

	if (it->action == WB_WRITE)
		action = w->dry_run ? "would_write" :
			 !strcmp(w->result, "written") ? "written" : "write";
	json_object_object_add(o, "off", cli_json_u64(e->off));
	json_object_object_add(o, "len", cli_json_u64(e->len));
	json_object_object_add(o, "seg", cli_json_u64(e->seg));
	json_object_object_add(o, "seg_off", cli_json_u64(e->seg_off));
	json_object_object_add(o, "kset", cli_json_pos(e->kset));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "reason", it->why ?
			       json_object_new_string(it->why) : NULL);
	return o;
}

static struct json_object *stale_json(const struct wb *w)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; w->replayed && i < w->r.n_keys; i++) {
		const struct pc_rkey *rk = &w->r.keys[i];
		struct json_object *o;

		if (!rk->stale || !rk->after_dirty)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "off", cli_json_u64(rk->k.off));
		json_object_object_add(o, "len", cli_json_u64(rk->k.len));
		json_object_object_add(o, "seg", cli_json_u64(
				       rk->k.cache_seg_id));
		json_object_object_add(o, "seg_gen", cli_json_u64(
				       rk->k.seg_gen));
		json_object_object_add(o, "gen", cli_json_u64(
				       w->c->segs[rk->k.cache_seg_id].gen));
		json_object_object_add(o, "kset", cli_json_pos(rk->kset));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void salvage_print(struct wb *w)
{
	const struct pc_salvage *s = &w->past;

	printf("%s: %s %zu kset%s past the damaged kset at %u:%u (%s), "
	       "%llu dirty key%s\n", w->cache_path,
	       w->dry_run ? "would salvage" : "salvaged", s->n_ksets,
	       cli_s(s->n_ksets), s->end.seg, s->end.off,
	       pc_walk_end_name(s->end_why), (unsigned long long)s->n_dirty,
	       cli_s(s->n_dirty));
	if (w->dry_run) {
		printf("%s: would empty the log: key_tail and dirty_tail "
		       "%u:%u -> %u:%u\n", w->cache_path, w->dirty_before.seg,
		       w->dirty_before.off, s->resume.seg, s->resume.off);
		return;
	}
	printf("%s: log emptied: key_tail %u:%u, dirty_tail %u:%u (the old "
	       "log lies behind them); the cache is clean\n", w->cache_path,
	       w->c->key_tail.seg, w->c->key_tail.off, w->c->dirty_tail.seg,
	       w->c->dirty_tail.off);
}

static struct json_object *salvage_json(const struct wb *w)
{
	const struct pc_salvage *s = &w->past;
	struct json_object *o;

	if (!w->replayed || !w->c || s->verdict == PC_SALV_NONE)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "verdict", json_object_new_string(
			       pc_salvage_verdict_name(s->verdict)));
	json_object_object_add(o, "log_end", cli_json_pos(s->end));
	json_object_object_add(o, "log_end_reason", json_object_new_string(
			       pc_walk_end_name(s->end_why)));
	json_object_object_add(o, "resume", cli_json_pos(s->resume));
	json_object_object_add(o, "ksets", cli_json_u64(s->n_ksets));
	json_object_object_add(o, "dirty_keys", cli_json_u64(s->n_dirty));
	json_object_object_add(o, "dirty_key_bytes", cli_json_u64(
			       s->dirty_bytes));
	json_object_object_add(o, "bad_keys", cli_json_u64(s->n_bad));
	json_object_object_add(o, "salvaged", json_object_new_boolean(
			       w->salvaging));
	return o;
}

static void report_json(struct wb *w)
{
	struct json_object *doc = cli_json_doc();
	struct json_object *arr = json_object_new_array();
	struct json_object *t = json_object_new_object();
	bool have = w->replayed && w->c;

	json_object_object_add(doc, "cache", json_object_new_string(
			       w->cache_path));
	json_object_object_add(doc, "backing", json_object_new_string(
			       w->backing_path));
	json_object_object_add(doc, "backing_size", cli_json_u64(
			       w->backing_size));
	json_object_object_add(doc, "dry_run", json_object_new_boolean(
			       w->dry_run));
	json_object_object_add(doc, "result", json_object_new_string(
			       w->result));
	json_object_object_add(doc, "error", w->error[0] ?
			       json_object_new_string(w->error) : NULL);
	json_object_object_add(doc, "exit_code",
			       json_object_new_int(w->exit_code));
	json_object_object_add(doc, "key_tail", have ?
			       cli_json_pos(w->c->key_tail) : NULL);
	json_object_object_add(doc, "dirty_tail_before", have ?
			       cli_json_pos(w->dirty_before) : NULL);
	json_object_object_add(doc, "dirty_tail_after", have ?
			       cli_json_pos(w->c->dirty_tail) : NULL);
	json_object_object_add(doc, "key_head", have ? cli_json_pos(w->r.head) : NULL);
	json_object_object_add(doc, "tail_written", json_object_new_boolean(
			       w->tail_written));
	json_object_object_add(doc, "key_tail_moved", json_object_new_boolean(
			       w->key_tail_moved));
	json_object_object_add(doc, "kernel_accepts", w->verdict_checked ?
			       json_object_new_boolean(w->kernel_accepts) :
			       NULL);
	for (size_t i = 0; i < w->n_items; i++)
		json_object_array_add(arr, item_json(w, &w->items[i]));
	json_object_object_add(doc, "extents", arr);
	json_object_object_add(doc, "stale_keys", stale_json(w));
	json_object_object_add(doc, "past_end", salvage_json(w));
	json_object_object_add(t, "extents", cli_json_u64(w->n_items));
	json_object_object_add(t, "bytes_to_write", cli_json_u64(
			       w->bytes_total));
	json_object_object_add(t, "bytes_written", cli_json_u64(
			       w->bytes_written));
	json_object_object_add(t, "extents_skipped", cli_json_u64(
			       w->n_skipped));
	json_object_object_add(t, "bytes_skipped", cli_json_u64(
			       w->bytes_skipped));
	json_object_object_add(t, "extents_bad", cli_json_u64(w->n_bad));
	json_object_object_add(t, "stale_keys", cli_json_u64(
			       w->n_stale_dirty));
	json_object_object_add(doc, "totals", t);
	cli_json_print(doc);
	json_object_put(doc);
}

static void list_items(struct wb *w)
{
	for (size_t i = 0; i < w->n_items && !ferror(stdout); i++) {
		const struct wb_item *it = &w->items[i];
		const struct pc_extent *e = it->e;
		char loc[32], ks[32];

		snprintf(loc, sizeof(loc), "%u:%u", e->seg, e->seg_off);
		snprintf(ks, sizeof(ks), "%u:%u", e->kset.seg, e->kset.off);
		printf("  %-15s %14llu %9u  from %-16s kset %s\n",
		       it->action == WB_WRITE ?
		       (w->dry_run ? "would write" : "wrote") : "skipped (crc)",
		       (unsigned long long)e->off, e->len, loc, ks);
	}
}

void wb_report(struct wb *w)
{
	uint64_t bytes;
	char sz[32];
	size_t n;

	if (w->json) {
		report_json(w);
		return;
	}
	if (!strcmp(w->result, "refused"))
		return;
	/* a dry run shows the summary; -v lists the extents as well */
	if (w->verbose)
		list_items(w);
	if (!strcmp(w->result, "clean") && !w->n_items) {
		printf("%s: clean: dirty_tail is at key_head %u:%u, nothing to "
		       "write\n", w->cache_path, w->r.head.seg, w->r.head.off);
		return;
	}
	n = w->n_items - (size_t)w->n_skipped;
	bytes = w->dry_run ? w->bytes_total : w->bytes_written;
	printf("%s: %s %zu extent%s, %llu byte%s (%s) to %s",
	       w->cache_path, w->dry_run ? "would write" : "wrote", n,
	       cli_s(n), (unsigned long long)bytes, cli_s(bytes),
	       cli_size(w->bytes_total, sz, sizeof(sz)), w->backing_path);
	if (w->n_skipped)
		printf("; skipped %llu extent%s (%llu byte%s) with bad data "
		       "CRC", (unsigned long long)w->n_skipped,
		       cli_s(w->n_skipped),
		       (unsigned long long)w->bytes_skipped,
		       cli_s(w->bytes_skipped));
	printf("\n");
	if (w->salvaging) {
		salvage_print(w);
		return;
	}
	printf("%s: dirty_tail %u:%u %s %u:%u (key_head)%s\n", w->cache_path,
	       w->dirty_before.seg, w->dirty_before.off,
	       w->dry_run ? "would move to" : "->", w->r.head.seg,
	       w->r.head.off, w->dry_run ? "" : "; the cache is clean");
}
