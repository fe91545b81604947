// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --replay: the index the kernel builds at activation (newest key wins on
 * overlap, stale generations dropped), with the data CRC state of every
 * live extent; --extract: what a reader of the cached device sees.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"

enum crc_state { CRC_UNCHECKED, CRC_OK, CRC_BAD, CRC_NONE, CRC_UNREADABLE };

static const char *const crc_names[] = {
	[CRC_UNCHECKED] = "unchecked",
	[CRC_OK] = "ok",
	[CRC_BAD] = "bad",
	[CRC_NONE] = "none",
	[CRC_UNREADABLE] = "unreadable",
};

static enum crc_state crc_state_of(enum pc_key_err ke)
{
	return ke == PC_KEY_OK ? CRC_OK :
	       ke == PC_KEY_DATA_CRC ? CRC_BAD : CRC_UNREADABLE;
}

static bool crc_wanted(const struct dump *d)
{
	/* a restored capture holds no data: nothing to verify */
	return pc_cache_data_crc(d->c) && !d->no_verify && !d->restored;
}

/* Verify the data CRC of the key an extent comes from, once per key. */
static enum crc_state extent_crc(struct dump *d, uint8_t *memo,
				 const struct pc_extent *e)
{
	if (!pc_cache_data_crc(d->c))
		return CRC_NONE;
	if (!crc_wanted(d) || e->seq >= d->r.n_keys)
		return CRC_UNCHECKED;
	if (!memo[e->seq])
		memo[e->seq] = crc_state_of(pc_key_check(d->c,
				&d->r.keys[e->seq].k, 0, true, NULL));
	return memo[e->seq];
}

/*
 * Verify the keys of extents [@from, @to) in one pass over the cache in
 * device order (pc_keys_check_data), filling @memo; what it leaves out
 * (no memory) extent_crc() checks one by one.
 */
static void crc_batch(struct dump *d, uint8_t *memo, size_t from, size_t to)
{
	const struct pc_replay *r = &d->r;
	enum pc_key_err *res = NULL;
	uint32_t *idx = NULL;
	size_t n = 0;

	/* key indexes are 32-bit in the batch: more keys go one by one */
	if (!crc_wanted(d) || from >= to || r->n_keys > UINT32_MAX)
		return;
	idx = malloc((to - from) * sizeof(*idx));
	res = malloc((to - from) * sizeof(*res));
	if (!idx || !res)
		goto out;
	for (size_t i = from; i < to; i++) {
		uint64_t seq = r->ext[i].seq;

		if (seq < r->n_keys && !memo[seq]) {
			memo[seq] = CRC_NONE;	/* taken: once per key */
			idx[n++] = (uint32_t)seq;
		}
	}
	if (pc_keys_check_data(d->c, r->keys, idx, n, 0, res))
		for (size_t i = 0; i < n; i++)
			memo[idx[i]] = 0;
	else
		for (size_t i = 0; i < n; i++)
			memo[idx[i]] = crc_state_of(res[i]);
out:
	free(idx);
	free(res);
}

struct totals {
	uint64_t crc[5];
	uint64_t clean_bytes;
	uint64_t shown;
};

static struct json_object *extent_json(struct dump *d,
				       const struct pc_extent *e,
				       enum crc_state cs)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "off", cli_json_u64(e->off));
	json_object_object_add(o, "len", cli_json_u64(e->len));
	json_object_object_add(o, "seg", cli_json_u64(e->seg));
	json_object_object_add(o, "seg_off", cli_json_u64(e->seg_off));
	json_object_object_add(o, "dev_off", cli_json_u64(
			       pc_cache_pos_dev_off(d->c, (struct pc_pos){
						    e->seg, e->seg_off })));
	json_object_object_add(o, "dirty", json_object_new_boolean(e->dirty));
	json_object_object_add(o, "key_flags", cli_json_u64(e->flags));
	json_object_object_add(o, "kset", cli_json_pos(e->kset));
	json_object_object_add(o, "key_seq", cli_json_u64(e->seq));
	json_object_object_add(o, "whole_key", json_object_new_boolean(
			       e->whole_key));
	json_object_object_add(o, "data_crc", cli_json_u64(e->data_crc));
	json_object_object_add(o, "crc_state", json_object_new_string(
			       crc_names[cs]));
	return o;
}

static void extent_print(const struct pc_extent *e, enum crc_state cs)
{
	char loc[32], ks[32];

	snprintf(loc, sizeof(loc), "%u:%u", e->seg, e->seg_off);
	fmt_pos(e->kset, ks, sizeof(ks));
	printf("  %14llu %9u %14llu  %-16s %-5s %-9s %-5s %s\n",
	       (unsigned long long)e->off, e->len,
	       (unsigned long long)(e->off + e->len), loc,
	       e->dirty ? "dirty" : "clean", crc_names[cs],
	       e->whole_key ? "whole" : "part", ks);
}

static struct json_object *totals_json(struct dump *d, struct totals *t)
{
	struct json_object *o = json_object_new_object();
	struct pc_replay *r = &d->r;

	json_object_object_add(o, "extents", cli_json_u64(r->n_ext));
	json_object_object_add(o, "cached_bytes", cli_json_u64(
			       r->cached_bytes));
	json_object_object_add(o, "dirty_bytes", cli_json_u64(r->dirty_bytes));
	json_object_object_add(o, "clean_bytes", cli_json_u64(t->clean_bytes));
	json_object_object_add(o, "keys", cli_json_u64(r->n_keys));
	json_object_object_add(o, "stale_keys", cli_json_u64(r->n_stale));
	json_object_object_add(o, "ksets", cli_json_u64(r->n_ksets));
	json_object_object_add(o, "crc_ok", cli_json_u64(t->crc[CRC_OK]));
	json_object_object_add(o, "crc_bad", cli_json_u64(t->crc[CRC_BAD]));
	json_object_object_add(o, "crc_unreadable", cli_json_u64(
			       t->crc[CRC_UNREADABLE]));
	json_object_object_add(o, "crc_unchecked", cli_json_u64(
			       t->crc[CRC_UNCHECKED]));
	return o;
}

void dump_replay_section(struct dump *d)
{
	struct pc_replay *r = &d->r;
	struct json_object *o = NULL, *arr = NULL;
	struct totals t = { 0 };
	char a[32], b[32], sz[32];
	uint8_t *memo;

	if (d->c->stage < PC_STAGE_READY) {
		cli_err("%s: --replay: the log tails could not be loaded; "
			"nothing to replay", d->path);
		d->failed = true;
		return;
	}
	dump_replay(d);
	memo = calloc(r->n_keys ? r->n_keys : 1, 1);
	if (!memo) {
		cli_err("out of memory");
		d->failed = true;
		return;
	}
	crc_batch(d, memo, 0, r->n_ext);
	if (d->json) {
		o = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(o, "key_tail", cli_json_pos(d->c->key_tail));
		json_object_object_add(o, "dirty_tail", cli_json_pos(d->c->dirty_tail));
		json_object_object_add(o, "key_head", cli_json_pos(r->head));
	} else {
		if (d->sections & ~SEC_REPLAY)
			printf("\n");
		printf("replay from key_tail %s to key_head %s "
		       "(dirty from %s)\n",
		       fmt_pos(d->c->key_tail, a, sizeof(a)),
		       fmt_pos(r->head, b, sizeof(b)),
		       fmt_pos(d->c->dirty_tail, sz, sizeof(sz)));
		printf("  %14s %9s %14s  %-16s %-5s %-9s %-5s %s\n", "offset",
		       "length", "end", "cache seg:off", "state", "data_crc",
		       "key", "kset");
	}
	for (size_t i = 0; i < r->n_ext; i++) {
		const struct pc_extent *e = &r->ext[i];
		enum crc_state cs = extent_crc(d, memo, e);

		t.crc[cs]++;
		if (!e->dirty)
			t.clean_bytes += e->len;
		if (d->limit && t.shown >= d->limit)
			continue;
		t.shown++;
		if (d->json)
			json_object_array_add(arr, extent_json(d, e, cs));
		else if (!out_broken())
			extent_print(e, cs);
	}
	free(memo);
	if (t.crc[CRC_BAD] || t.crc[CRC_UNREADABLE]) {
		cli_err("%s: --replay: %llu extent%s failed the data CRC, "
			"%llu could not be read", d->path,
			(unsigned long long)t.crc[CRC_BAD],
			cli_s(t.crc[CRC_BAD]),
			(unsigned long long)t.crc[CRC_UNREADABLE]);
		d->failed = true;
	}
	if (d->json) {
		json_object_object_add(o, "extents", arr);
		json_object_object_add(o, "truncated", json_object_new_boolean(
				       t.shown < r->n_ext));
		json_object_object_add(o, "totals", totals_json(d, &t));
		json_object_object_add(o, "error", d->refused ?
				       json_object_new_string(d->refuse_msg) :
				       NULL);
		json_object_object_add(d->doc, "replay", o);
		return;
	}
	if (t.shown < r->n_ext)
		printf("  (%zu more extent%s not shown: --limit)\n",
		       r->n_ext - (size_t)t.shown,
		       cli_s(r->n_ext - (size_t)t.shown));
	printf("  totals: %zu extent%s; cached %llu bytes (%s)",
	       r->n_ext, cli_s(r->n_ext), (unsigned long long)r->cached_bytes,
	       cli_size(r->cached_bytes, sz, sizeof(sz)));
	printf("; dirty %llu bytes (%s); clean %llu bytes\n",
	       (unsigned long long)r->dirty_bytes,
	       cli_size(r->dirty_bytes, a, sizeof(a)),
	       (unsigned long long)t.clean_bytes);
	printf("  keys %zu (stale %llu) in %llu kset%s; data crc: %llu ok, "
	       "%llu bad, %llu unreadable, %llu unchecked\n", r->n_keys,
	       (unsigned long long)r->n_stale,
	       (unsigned long long)r->n_ksets, cli_s(r->n_ksets),
	       (unsigned long long)t.crc[CRC_OK],
	       (unsigned long long)t.crc[CRC_BAD],
	       (unsigned long long)t.crc[CRC_UNREADABLE],
	       (unsigned long long)t.crc[CRC_UNCHECKED]);
}

/* ---- --extract ------------------------------------------------------- */

static int out_write(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#define XBUF (1u << 20)

/* Copy @len bytes from @dev at @off to stdout. */
static int copy_out(struct pc_dev *dev, uint64_t off, uint64_t len,
		    uint8_t *buf)
{
	struct pc_err err = { 0 };

	while (len) {
		size_t n = len < XBUF ? (size_t)len : XBUF;
		int ret = pc_dev_read(dev, off, buf, n, &err);

		if (ret) {
			cli_err("%s", err.msg);
			return ret;
		}
		ret = out_write(buf, n);
		if (ret) {
			if (ret != -EPIPE)
				cli_err("writing to stdout: %s",
					strerror(-ret));
			return ret;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* First extent ending after @off (extents are sorted and disjoint). */
static size_t first_after(const struct pc_replay *r, uint64_t off)
{
	size_t lo = 0, hi = r->n_ext;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->ext[mid].off + r->ext[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The output is gathered in @buf and written XBUF bytes at a time; each
 * run of bytes that lie back to back on one device (an uncached range, or
 * extents that follow each other on the cache as well) is one read into
 * it. A fragmented cache thus costs a read per extent and no more.
 */
struct gather {
	uint8_t *buf;
	size_t fill;
	struct pc_dev *dev;	/* the pending run: @len bytes at @off */
	uint64_t off, len;
};

static int gather_flush(struct gather *g)
{
	int ret = out_write(g->buf, g->fill);

	if (ret && ret != -EPIPE)
		cli_err("writing to stdout: %s", strerror(-ret));
	g->fill = 0;
	return ret;
}

/* Read the pending run into the buffer, writing out every full one. */
static int gather_run(struct gather *g)
{
	uint64_t off = g->off, len = g->len;
	struct pc_err err = { 0 };
	int ret = 0;

	g->len = 0;
	while (len && !ret) {
		size_t n = XBUF - g->fill < len ? XBUF - g->fill : (size_t)len;

		if (pc_dev_read(g->dev, off, g->buf + g->fill, n, &err))
			break;
		g->fill += n;
		off += n;
		len -= n;
		if (g->fill == XBUF)
			ret = gather_flush(g);
	}
	if (!len || ret)
		return ret;
	/* a read failed (an I/O error: ranges were checked): what came
	 * before, then the rest of the run read piece by piece up to it */
	ret = gather_flush(g);
	return ret ? ret : copy_out(g->dev, off, len, g->buf);
}

/*
 * A piece that does not lie within its device (a cache image shorter than
 * its segments) is copied as it always was, once everything before it is
 * out: the same bytes before the error, the same error.
 */
static int gather_beyond(struct gather *g, struct pc_dev *dev, uint64_t off,
			 uint64_t len)
{
	int ret = g->len ? gather_run(g) : 0;

	if (!ret && g->fill)
		ret = gather_flush(g);
	return ret ? ret : copy_out(dev, off, len, g->buf);
}

static int gather_add(struct gather *g, struct pc_dev *dev, uint64_t off,
		      uint64_t len)
{
	uint64_t size = pc_dev_size(dev);
	int ret = 0;

	if (len > size || off > size - len)
		return gather_beyond(g, dev, off, len);
	if (g->len && g->dev == dev && g->off + g->len == off) {
		g->len += len;
		return 0;
	}
	if (g->len)
		ret = gather_run(g);
	g->dev = dev;
	g->off = off;
	g->len = len;
	return ret;
}

static int extract_range(struct dump *d, uint8_t *buf)
{
	struct pc_replay *r = &d->r;
	uint64_t pos = d->ext_off, end = d->ext_off + d->ext_len;
	struct gather g = { .buf = buf };
	size_t i = first_after(r, pos);
	int ret = 0;

	while (pos < end && !ret) {
		const struct pc_extent *e = i < r->n_ext ? &r->ext[i] : NULL;
		uint64_t stop;

		if (!e || e->off >= end) {
			ret = gather_add(&g, d->bdev, pos, end - pos);
			break;
		}
		if (e->off > pos) {
			ret = gather_add(&g, d->bdev, pos, e->off - pos);
			pos = e->off;
			continue;
		}
		stop = e->off + e->len < end ? e->off + e->len : end;
		ret = gather_add(&g, d->dev, pc_cache_pos_dev_off(d->c,
				 (struct pc_pos){ e->seg, e->seg_off }) +
				 (pos - e->off), stop - pos);
		pos = stop;
		i++;
	}
	if (!ret && g.len)
		ret = gather_run(&g);
	if (!ret && g.fill)
		ret = gather_flush(&g);
	return ret;
}

/*
 * On a data_crc cache, the CRC of every key an extent in the range comes
 * from must match before a byte is written: extracted data is what gets
 * rescued, and the kernel itself would refuse a cache with such a key.
 */
static int extract_verify(struct dump *d)
{
	struct pc_replay *r = &d->r;
	uint64_t end = d->ext_off + d->ext_len;
	size_t first, last;
	uint8_t *memo;
	int ret = 0;

	if (!pc_cache_data_crc(d->c) || d->no_verify)
		return 0;
	memo = calloc(r->n_keys ? r->n_keys : 1, 1);
	if (!memo) {
		cli_err("out of memory");
		return -ENOMEM;
	}
	first = first_after(r, d->ext_off);
	for (last = first; last < r->n_ext && r->ext[last].off < end; last++)
		;
	crc_batch(d, memo, first, last);
	for (size_t i = first; i < last; i++) {
		const struct pc_extent *e = &r->ext[i];
		enum crc_state cs = extent_crc(d, memo, e);

		if (cs == CRC_OK)
			continue;
		cli_err("%s: extent at backing offset %llu (%u bytes, cache "
			"%u:%u, kset %u:%u): data crc %s; nothing extracted "
			"(--no-verify extracts it unchecked)", d->path,
			(unsigned long long)e->off, e->len, e->seg, e->seg_off,
			e->kset.seg, e->kset.off, cs == CRC_BAD ? "mismatch" :
			"unreadable");
		ret = -EBADMSG;
		break;
	}
	free(memo);
	return ret;
}

int dump_extract(struct dump *d)
{
	uint8_t *buf;
	int ret;

	if (d->c->stage < PC_STAGE_READY)
		return -EINVAL;
	if (d->ext_len > d->backing_size ||
	    d->ext_off > d->backing_size - d->ext_len) {
		cli_err("%s: range %llu+%llu is beyond the end of the backing "
			"device (%llu bytes)", d->backing_path,
			(unsigned long long)d->ext_off,
			(unsigned long long)d->ext_len,
			(unsigned long long)d->backing_size);
		return -ERANGE;
	}
	if (d->restored) {
		cli_err("%s: restored by pcache-metadump: its cached data was "
			"not captured; nothing extracted", d->path);
		return -ENODATA;
	}
	ret = dump_replay(d);
	if (!ret)
		ret = extract_verify(d);
	if (ret)
		return ret;
	buf = malloc(XBUF);
	if (!buf) {
		cli_err("out of memory");
		return -ENOMEM;
	}
	ret = extract_range(d, buf);
	free(buf);
	return ret == -EPIPE ? 0 : ret;
}
