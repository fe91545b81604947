// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel's write path in userspace; see writer.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

struct pc_writer {
	struct pc_cache *c;
	bool *used;		/* per cache segment id */
	uint32_t n_used;
	uint32_t hint;
	struct pc_pos head;	/* key_head */
	bool have_data;
	struct pc_pos data;	/* data head */
	uint64_t data_gen;
	uint32_t n_keys;
	uint8_t kset[PCD_KSET_SIZE_MAX] __attribute__((aligned(8)));
};

int pc_writer_open(struct pc_cache *c, struct pc_writer **out,
		   struct pc_err *err)
{
	struct pc_writer *w;
	struct pc_replay r;
	int ret;

	*out = NULL;
	if (!pc_dev_writable(c->dev) || c->swap) {
		pc_err_set(err, -EROFS, "%s: not writable by this host",
			   pc_dev_path(c->dev));
		return -EROFS;
	}
	ret = pc_replay(c, 0, 0, &r);
	if (ret) {
		if (err)
			*err = r.err;
		pc_replay_free(&r);
		return ret;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		pc_replay_free(&r);
		return -ENOMEM;
	}
	w->c = c;
	w->head = r.head;
	w->used = r.seg_used;
	w->n_used = r.segs_used;
	r.seg_used = NULL;
	pc_replay_free(&r);
	*out = w;
	return 0;
}

/* Lowest free cache segment at or after the hint, wrapping once. */
static int alloc_seg(struct pc_writer *w, uint32_t *seg, struct pc_err *err)
{
	uint32_t n = w->c->info.n_segs;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = (w->hint + i) % n;

		if (!w->used[s]) {
			w->used[s] = true;
			w->n_used++;
			w->hint = s;
			*seg = s;
			return 0;
		}
	}
	pc_err_set(err, -ENOSPC, "%s: no free segment left",
		   pc_dev_path(w->c->dev));
	return -ENOSPC;
}

static int put(struct pc_writer *w, struct pc_pos p, const void *buf,
	       uint32_t len, struct pc_err *err)
{
	return pc_dev_write(w->c->dev, pc_cache_pos_dev_off(w->c, p), buf, len,
			    err);
}

/* Append the in-memory kset at key_head, moving to a new segment first
 * when it and a LAST kset would not both fit (9.3). */
static int close_kset(struct pc_writer *w, struct pc_err *err)
{
	static const uint8_t zeros[PCD_KSET_HDR_SIZE];
	uint32_t size = pcd_kset_size(w->n_keys);
	int ret;

	if (!w->n_keys)
		return 0;
	if (!pcd_kset_room(w->head.off, size)) {
		uint8_t last[PCD_KSET_HDR_SIZE] = { 0 };
		uint32_t next;

		ret = alloc_seg(w, &next, err);
		if (!ret)
			ret = put(w, (struct pc_pos){ next, 0 }, zeros,
				  sizeof(zeros), err);
		pc_encode_kset(last, next, true);
		if (!ret)
			ret = put(w, w->head, last, sizeof(last), err);
		if (ret)
			return ret;
		w->head = (struct pc_pos){ next, 0 };
	}
	pc_encode_kset(w->kset, w->n_keys, false);
	ret = put(w, (struct pc_pos){ w->head.seg, w->head.off + size }, zeros,
		  sizeof(zeros), err);
	if (!ret)
		ret = put(w, w->head, w->kset, size, err);
	if (ret)
		return ret;
	w->head.off += size;
	w->n_keys = 0;
	memset(w->kset, 0, sizeof(w->kset));
	return 0;
}

static int add_key(struct pc_writer *w, const struct pcd_key *k,
		   struct pc_err *err)
{
	struct pcd_kset *ks = (void *)w->kset;

	ks->keys[w->n_keys++] = *k;
	return w->n_keys == PCD_KSET_KEYS_MAX ? close_kset(w, err) : 0;
}

/* Place one piece that stays inside one 4 MiB region. */
static int write_piece(struct pc_writer *w, uint64_t off, const uint8_t *data,
		       uint32_t *len, uint32_t flags, struct pc_err *err)
{
	struct pcd_key k = { 0 };
	uint32_t remain;
	int ret;

	if (!w->have_data) {
		ret = alloc_seg(w, &w->data.seg, err);
		if (ret)
			return ret;
		w->data.off = 0;
		w->data_gen = w->c->segs[w->data.seg].gen;
		w->have_data = true;
	}
	remain = PCD_SEG_DATA_SIZE - w->data.off;
	if (*len >= remain) {
		*len = remain;
		w->have_data = false;	/* the segment is full */
	}
	ret = put(w, w->data, data, *len, err);
	if (ret)
		return ret;
	k.off = off;
	k.len = *len;
	k.flags = flags;
	k.cache_seg_id = w->data.seg;
	k.cache_seg_off = w->data.off;
	k.seg_gen = w->data_gen;
	if (pc_cache_data_crc(w->c))
		k.data_crc = pc_crc32c(PCD_CRC_SEED, data, *len);
	w->data.off += *len;
	return add_key(w, &k, err);
}

int pc_writer_write(struct pc_writer *w, uint64_t off, const void *data,
		    uint32_t len, uint32_t key_flags, struct pc_err *err)
{
	const uint8_t *p = data;

	while (len) {
		uint64_t region_end = (pcd_subtree(off) + 1) * PCD_SUBTREE_SIZE;
		uint32_t piece = region_end - off < len ?
				 (uint32_t)(region_end - off) : len;
		int ret = write_piece(w, off, p, &piece, key_flags, err);

		if (ret)
			return ret;
		off += piece;
		p += piece;
		len -= piece;
	}
	return 0;
}

int pc_writer_flush(struct pc_writer *w, struct pc_err *err)
{
	int ret = close_kset(w, err);

	return ret ? ret : pc_dev_flush(w->c->dev, err);
}

struct pc_pos pc_writer_head(const struct pc_writer *w)
{
	return w->head;
}

uint32_t pc_writer_segs_used(const struct pc_writer *w)
{
	return w->n_used;
}

void pc_writer_free(struct pc_writer *w)
{
	if (!w)
		return;
	free(w->used);
	free(w);
}
