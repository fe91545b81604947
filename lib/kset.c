// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Walking the kset log (FORMAT.md 9.5): ksets follow each other inside a
 * data area; a LAST kset moves the walk to offset 0 of another chain
 * segment. The walk ends at the first bytes that are not a valid kset, and
 * fails where the kernel would refuse to activate.
 *
 * By default each kset is judged as the kernel judges it, from a buffer
 * refilled with what is left of the segment but never cleared (quirk
 * 17.12, docs/format-errata.md E1); a walk in the OWN_BYTES model judges
 * it from the bytes at its position only, and a kset that does not fit
 * ends the walk there. The rules are those of pcache_rules.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcache.h"

#define WALK_WINDOW (256 * 1024)

void pc_walk_init(struct pc_walk *w, struct pc_cache *c, struct pc_pos from)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->pos = from;
	w->hop_cap = c->sb.seg_num;
	w->win = malloc(WALK_WINDOW);
	if (!w->win) {
		w->end = PC_END_READ;
		pc_err_set(&w->err, -ENOMEM, "out of memory");
	}
}

void pc_walk_fini(struct pc_walk *w)
{
	free(w->win);
	w->win = NULL;
}

/* Pointer to @len bytes at data position @p, through the window. */
static const uint8_t *walk_bytes(struct pc_walk *w, struct pc_pos p,
				 uint32_t len)
{
	int64_t phys = pc_cache_phys(w->c, p.seg);
	uint64_t off, end_of_area;
	size_t n;

	if (phys < 0)
		return NULL;
	off = pcd_data_offset((uint32_t)phys, p.off);
	if (off >= w->win_off && off + len <= w->win_off + w->win_len)
		return w->win + (off - w->win_off);
	end_of_area = pcd_data_offset((uint32_t)phys, PCD_SEG_DATA_SIZE);
	n = end_of_area - off < WALK_WINDOW ? end_of_area - off : WALK_WINDOW;
	if (n < len || off + n > w->c->dev_size) {
		pc_err_set(&w->err, -EIO, "%s: log at %u:%u lies beyond the "
			   "end of the device", pc_dev_path(w->c->dev), p.seg,
			   p.off);
		return NULL;
	}
	w->win_len = 0;
	if (pc_dev_read(w->c->dev, off, w->win, n, &w->err))
		return NULL;
	w->win_off = off;
	w->win_len = n;
	return w->win;
}

static enum pc_kset_kind walk_stop(struct pc_walk *w, enum pc_walk_end e,
				   struct pc_kset_view *v)
{
	w->end = e;
	v->kind = e >= PC_ERR_NEXT_RANGE ? PC_KSET_ERROR : PC_KSET_END;
	return v->kind;
}

static uint32_t walk_crc(const void *buf, uint32_t len)
{
	return pc_crc32c(PCD_CRC_SEED, buf, len);
}

static void hdr_decode(bool swap, const uint8_t *p, struct pcd_kset_hdr *h)
{
	const struct pcd_kset *ks = (const void *)p;

	h->crc = pcd_n32(swap, ks->crc);
	h->key_num = pcd_n32(swap, ks->key_num);
	h->magic = pcd_n64(swap, ks->magic);
	h->flags = pcd_n64(swap, ks->flags);
}

static enum pc_kset_kind walk_last(struct pc_walk *w, struct pc_kset_view *v)
{
	struct pc_cache *c = w->c;

	v->kind = PC_KSET_LAST;
	v->size = PCD_KSET_HDR_SIZE;
	switch (pcd_last_judge(v->key_num, ++w->hops, w->hop_cap,
			       c->info.n_segs, 0)) {
	case PCD_LAST_HOPS:
		pc_err_set(&w->err, -EIO, "%s: kset log: more than %u LAST "
			   "links followed (at %u:%u); the log loops",
			   pc_dev_path(c->dev), w->hop_cap, v->pos.seg,
			   v->pos.off);
		return walk_stop(w, PC_ERR_HOPS, v);
	case PCD_LAST_NEXT_RANGE:
		pc_err_set(&w->err, -EIO, "%s: kset at %u:%u: LAST link to "
			   "cache segment %u out of range (n_segs %u)",
			   pc_dev_path(c->dev), v->pos.seg, v->pos.off,
			   v->key_num, c->info.n_segs);
		return walk_stop(w, PC_ERR_NEXT_RANGE, v);
	case PCD_LAST_OK:
		break;
	}
	w->pos.seg = v->key_num;
	w->pos.off = 0;
	w->ksets++;
	return PC_KSET_LAST;
}

/*
 * The bytes the kset at the walk's position is judged from: the kernel's
 * buffer refilled with what is left of the segment (UPSTREAM), or the bytes
 * at the position, @len of them (OWN_BYTES).
 */
static const uint8_t *walk_load(struct pc_walk *w, uint32_t len)
{
	uint32_t n = pcd_kset_copy_len(w->pos.off);
	const uint8_t *p;

	if (w->model == PCD_KSET_OWN_BYTES)
		return walk_bytes(w, w->pos, len);
	if (!n)
		return w->kbuf;
	p = walk_bytes(w, w->pos, n);
	if (!p)
		return NULL;
	memcpy(w->kbuf, p, n);
	return w->kbuf;
}

static const enum pc_walk_end verdict_end[] = {
	[PCD_KSET_END_MAGIC] = PC_END_MAGIC,
	[PCD_KSET_END_KEY_NUM] = PC_END_KEY_NUM,
	[PCD_KSET_END_CRC] = PC_END_CRC,
	[PCD_KSET_END_NO_ROOM] = PC_END_NO_ROOM,
	[PCD_KSET_END_TOO_BIG] = PC_END_TOO_BIG,
	[PCD_KSET_REJECT_TOO_BIG] = PC_ERR_TOO_BIG,
};

static enum pc_kset_kind walk_refuse_big(struct pc_walk *w,
					 struct pc_kset_view *v)
{
	pc_err_set(&w->err, -EIO, "%s: kset at %u:%u: %u bytes, larger than "
		   "the %u left in its segment, and its CRC passes over the "
		   "kernel's buffer; the kernel would refuse the cache",
		   pc_dev_path(w->c->dev), v->pos.seg, v->pos.off,
		   pcd_kset_size(v->key_num), pcd_kset_remain(v->pos.off));
	return walk_stop(w, PC_ERR_TOO_BIG, v);
}

_Static_assert((int)PC_KEY_SEG_OVERFLOW == (int)PCD_KEY_SEG_OVERFLOW &&
	       (int)PC_KEY_LEN_ZERO == (int)PCD_KEY_LEN_ZERO,
	       "pc_key_err extends pcd_key_verdict");

enum pc_kset_kind pc_walk_next(struct pc_walk *w, struct pc_kset_view *v)
{
	enum pcd_kset_verdict kv;
	struct pcd_kset_hdr h;
	const uint8_t *p;

	memset(v, 0, sizeof(*v));
	v->pos = w->pos;
	if (w->end != PC_END_NONE)
		return walk_stop(w, w->end, v);
	if (w->model == PCD_KSET_OWN_BYTES &&
	    pcd_kset_remain(w->pos.off) < PCD_KSET_HDR_SIZE)
		return walk_stop(w, PC_END_NO_ROOM, v);
	p = walk_load(w, PCD_KSET_HDR_SIZE);
	if (!p)
		return walk_stop(w, PC_END_READ, v);
	hdr_decode(w->c->swap, p, &h);
	v->crc = h.crc;
	v->key_num = h.key_num;
	v->flags = h.flags;
	kv = pcd_kset_judge_hdr(&h, w->pos.off, w->model);
	if (kv == PCD_KSET_NEED_CRC && w->model == PCD_KSET_OWN_BYTES)
		p = walk_bytes(w, w->pos, pcd_kset_crc_len(&h));
	if (!p)
		return walk_stop(w, PC_END_READ, v);
	if (kv == PCD_KSET_NEED_CRC)
		kv = pcd_kset_judge_crc(&h, walk_crc(p + 4,
					pcd_kset_crc_len(&h) - 4), w->pos.off);
	switch (kv) {
	case PCD_KSET_LAST:
		return walk_last(w, v);
	case PCD_KSET_KEYS:
		break;
	case PCD_KSET_REJECT_TOO_BIG:
		return walk_refuse_big(w, v);
	default:
		return walk_stop(w, verdict_end[kv], v);
	}
	v->kind = PC_KSET_KEYS;
	v->size = pcd_kset_size(v->key_num);
	v->keys = ((const struct pcd_kset *)p)->keys;
	w->pos.off += v->size;
	w->ksets++;
	return PC_KSET_KEYS;
}

const char *pc_walk_end_name(enum pc_walk_end e)
{
	switch (e) {
	case PC_END_NONE:
		return "none";
	case PC_END_MAGIC:
		return "no kset magic";
	case PC_END_KEY_NUM:
		return "key_num above 128";
	case PC_END_CRC:
		return "kset crc mismatch";
	case PC_END_NO_ROOM:
		return "no room for a kset header";
	case PC_END_TOO_BIG:
		return "kset larger than the rest of its segment";
	case PC_END_READ:
		return "read error";
	case PC_ERR_NEXT_RANGE:
		return "LAST link out of range";
	case PC_ERR_HOPS:
		return "too many LAST links";
	case PC_ERR_TOO_BIG:
		return "kset passing its CRC larger than the rest of its "
		       "segment";
	}
	return "?";
}

void pc_key_decode(const struct pc_cache *c, const struct pcd_key *raw,
		   struct pcd_key *out)
{
	struct pcd_key k;

	memcpy(&k, raw, sizeof(k));
	out->off = pcd_n64(c->swap, k.off);
	out->len = pcd_n32(c->swap, k.len);
	out->flags = pcd_n32(c->swap, k.flags);
	out->cache_seg_id = pcd_n32(c->swap, k.cache_seg_id);
	out->cache_seg_off = pcd_n32(c->swap, k.cache_seg_off);
	out->seg_gen = pcd_n64(c->swap, k.seg_gen);
	out->data_crc = pcd_n32(c->swap, k.data_crc);
	out->reserved = pcd_n32(c->swap, k.reserved);
}

int pc_data_crc(struct pc_cache *c, uint32_t seg, uint32_t off, uint32_t len,
		uint32_t *crc, struct pc_err *err)
{
	static __thread uint8_t buf[1 << 20];
	int64_t phys = pc_cache_phys(c, seg);
	uint32_t r = PCD_CRC_SEED;

	if (phys < 0 || off > PCD_SEG_DATA_SIZE ||
	    len > PCD_SEG_DATA_SIZE - off) {
		pc_err_set(err, -ERANGE, "%s: extent %u:%u+%u outside the data "
			   "area", pc_dev_path(c->dev), seg, off, len);
		return -ERANGE;
	}
	while (len) {
		uint32_t n = len < sizeof(buf) ? len : sizeof(buf);
		int ret = pc_dev_read(c->dev, pcd_data_offset((uint32_t)phys,
					off), buf, n, err);

		if (ret)
			return ret;
		r = pc_crc32c(r, buf, n);
		off += n;
		len -= n;
	}
	*crc = r;
	return 0;
}

enum pc_key_err pc_key_check(struct pc_cache *c, const struct pcd_key *k,
			     uint64_t backing_size, bool check_data,
			     uint32_t *crc_out)
{
	enum pcd_key_verdict kv;
	uint32_t crc;

	kv = pcd_key_judge(k->off, k->len, k->cache_seg_id, k->cache_seg_off,
			   k->flags, backing_size, c->info.n_segs, 0);
	if (kv != PCD_KEY_OK)
		return (enum pc_key_err)kv;
	if (!check_data || !pc_cache_data_crc(c))
		return PC_KEY_OK;
	if (pc_data_crc(c, k->cache_seg_id, k->cache_seg_off, k->len, &crc,
			NULL))
		return PC_KEY_READ;
	if (crc_out)
		*crc_out = crc;
	return crc == k->data_crc ? PC_KEY_OK : PC_KEY_DATA_CRC;
}

const char *pc_key_err_name(enum pc_key_err e)
{
	switch (e) {
	case PC_KEY_OK:
		return "ok";
	case PC_KEY_LEN_ZERO:
		return "len is 0";
	case PC_KEY_BEYOND_BACKING:
		return "range beyond the backing device";
	case PC_KEY_SEG_RANGE:
		return "cache_seg_id out of range";
	case PC_KEY_SEG_OVERFLOW:
		return "extent runs past the end of its data area";
	case PC_KEY_DATA_CRC:
		return "data crc mismatch";
	case PC_KEY_READ:
		return "data unreadable";
	}
	return "?";
}
