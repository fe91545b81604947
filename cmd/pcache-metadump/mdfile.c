// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading and writing the capture file (mdfile.h, docs/metadump.md). The
 * reader treats the file as hostile: every length, offset and count is
 * bounded before it is used, and any damage is one line in r->err.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "mdfile.h"
#include "le_bytes.h"

static const char *const kind_names[MD_REC_KINDS] = {
	[MD_REC_END] = "end",
	[MD_REC_HEADER] = "header",
	[MD_REC_SEGMETA] = "segment metadata",
	[MD_REC_LOG] = "log",
};

const char *md_kind_name(enum md_kind k)
{
	return k < MD_REC_KINDS ? kind_names[k] : "?";
}


static void header_encode(const struct md_header *h, uint8_t *b)
{
	memset(b, 0, MD_HDR_SIZE);
	memcpy(b, MD_MAGIC, 8);
	le_put32(b + 8, h->version);
	le_put32(b + 12, MD_HDR_SIZE);
	le_put32(b + 16, h->flags);
	le_put64(b + 24, h->dev_size);
	le_put32(b + 32, h->seg_num);
	le_put32(b + 36, h->key_segs);
	le_put64(b + 40, h->created);
	memcpy(b + 48, h->tool_version, sizeof(h->tool_version));
	le_put32(b + 60, pc_crc32c(PCD_CRC_SEED, b, 60));
}

static void trailer_encode(const struct md_trailer *t, uint8_t *b)
{
	memset(b, 0, MD_TRAILER_SIZE);
	memcpy(b, MD_TRAILER_MAGIC, 8);
	le_put64(b + 8, t->records);
	le_put64(b + 16, t->bytes);
	le_put32(b + 24, t->body_crc);
	le_put32(b + 28, pc_crc32c(PCD_CRC_SEED, b, 28));
}

/* ---- writer ----------------------------------------------------------- */

static int w_fail(struct md_writer *w, const char *what)
{
	int e = errno ? errno : EIO;

	cli_err("%s: %s: %s", w->path, what, strerror(e));
	return -e;
}

static int w_out(struct md_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return w_fail(w, "write failed");
	w->file_bytes += n;
	return 0;
}

static int w_zstd(struct md_writer *w, const void *p, size_t n,
		  ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;

	w->body_crc = pc_crc32c(w->body_crc, p, n);
	do {
		ZSTD_outBuffer out = { w->out, w->out_cap, 0 };
		int ret;

		left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		if (ZSTD_isError(left)) {
			cli_err("%s: compression failed: %s", w->path,
				ZSTD_getErrorName(left));
			return -EIO;
		}
		ret = w_out(w, w->out, out.pos);
		if (ret)
			return ret;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

int md_write_open(struct md_writer *w, FILE *f, const char *path,
		  struct md_header *h)
{
	uint8_t b[MD_HDR_SIZE];

	memset(w, 0, sizeof(*w));
	w->f = f;
	w->path = path;
	w->body_crc = PCD_CRC_SEED;
	w->cctx = ZSTD_createCCtx();
	w->out_cap = ZSTD_CStreamOutSize();
	w->out = malloc(w->out_cap);
	if (!w->cctx || !w->out) {
		cli_err("out of memory");
		return -ENOMEM;
	}
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	header_encode(h, b);
	h->crc = le_get32(b + 60);
	return w_out(w, b, sizeof(b));
}

static int w_record(struct md_writer *w, enum md_kind kind, uint64_t dev_off,
		    const uint8_t *p, uint32_t len)
{
	uint8_t rh[MD_REC_HDR_SIZE];
	int ret;

	le_put32(rh, kind);
	le_put32(rh + 4, len);
	le_put64(rh + 8, dev_off);
	ret = w_zstd(w, rh, sizeof(rh), ZSTD_e_continue);
	if (!ret)
		ret = w_zstd(w, p, len, ZSTD_e_continue);
	if (ret)
		return ret;
	w->t.records++;
	w->t.bytes += len;
	w->st.records[kind]++;
	w->st.bytes[kind] += len;
	w->end = dev_off + len;
	return 0;
}

static bool granule_zero(const uint8_t *p)
{
	static const uint8_t zero[MD_GRANULE];

	return !memcmp(p, zero, MD_GRANULE);
}

int md_write_range(struct md_writer *w, enum md_kind kind, uint64_t dev_off,
		   const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (dev_off < w->end || len % MD_GRANULE || len > MD_REC_MAX)
		return -EINVAL;
	while (i < len) {
		size_t start;
		int ret;

		while (i < len && granule_zero(buf + i))
			i += MD_GRANULE;
		if (i >= len)
			break;
		start = i;
		while (i < len && !granule_zero(buf + i))
			i += MD_GRANULE;
		ret = w_record(w, kind, dev_off + start, buf + start,
			       (uint32_t)(i - start));
		if (ret)
			return ret;
	}
	return 0;
}

int md_write_close(struct md_writer *w)
{
	uint8_t rh[MD_REC_HDR_SIZE] = { 0 };
	uint8_t b[MD_TRAILER_SIZE];
	int ret;

	le_put64(rh + 8, w->t.records);
	ret = w_zstd(w, rh, sizeof(rh), ZSTD_e_end);
	if (ret)
		return ret;
	w->t.body_crc = w->body_crc;
	trailer_encode(&w->t, b);
	ret = w_out(w, b, sizeof(b));
	if (!ret && fflush(w->f))
		ret = w_fail(w, "write failed");
	return ret;
}

void md_write_free(struct md_writer *w)
{
	ZSTD_freeCCtx(w->cctx);
	free(w->out);
	w->cctx = NULL;
	w->out = NULL;
}

/* ---- reader ----------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static int r_fail(struct md_reader *r, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%s: %s", r->path, msg);
	return -1;
}

static int header_decode(struct md_reader *r, const uint8_t *b)
{
	struct md_header *h = &r->h;

	if (memcmp(b, MD_MAGIC, 8))
		return r_fail(r, "not a pcache-metadump capture (bad magic)");
	h->version = le_get32(b + 8);
	if (h->version != MD_VERSION)
		return r_fail(r, "capture format version %u is not supported "
			      "(this tool reads version %u)", h->version,
			      MD_VERSION);
	h->crc = le_get32(b + 60);
	if (h->crc != pc_crc32c(PCD_CRC_SEED, b, 60))
		return r_fail(r, "header checksum mismatch (stored 0x%08x, "
			      "computed 0x%08x): the capture is damaged", h->crc,
			      pc_crc32c(PCD_CRC_SEED, b, 60));
	if (le_get32(b + 12) != MD_HDR_SIZE)
		return r_fail(r, "header size %u, expected %u", le_get32(b + 12),
			      MD_HDR_SIZE);
	h->flags = le_get32(b + 16);
	h->dev_size = le_get64(b + 24);
	h->seg_num = le_get32(b + 32);
	h->key_segs = le_get32(b + 36);
	h->created = le_get64(b + 40);
	memcpy(h->tool_version, b + 48, sizeof(h->tool_version));
	h->tool_version[sizeof(h->tool_version) - 1] = '\0';
	if (h->flags & ~MD_F_OBFUSCATED)
		return r_fail(r, "header flags 0x%x: unknown bits set", h->flags);
	if (h->dev_size < PCD_SEGS_OFF || h->dev_size > (1ULL << 50))
		return r_fail(r, "device size %llu in the header is out of "
			      "range (%llu .. 2^50)",
			      (unsigned long long)h->dev_size, PCD_SEGS_OFF);
	if (h->seg_num > PCD_SEGS_MAX || h->key_segs > PCD_SEGS_MAX)
		return r_fail(r, "header segment counts %u, %u exceed %u",
			      h->seg_num, h->key_segs, PCD_SEGS_MAX);
	return 0;
}

int md_read_open(struct md_reader *r, FILE *f, const char *path)
{
	uint8_t b[MD_HDR_SIZE];
	struct stat st;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->f = f;
	r->path = path;
	r->body_crc = PCD_CRC_SEED;
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode))
		r->file_size = (uint64_t)st.st_size;
	r->dctx = ZSTD_createDCtx();
	r->in = malloc(ZSTD_DStreamInSize());
	r->rec = malloc(MD_REC_MAX);
	if (!r->dctx || !r->in || !r->rec)
		return r_fail(r, "out of memory");
	/* bound the decoder's memory whatever the frame header asks for */
	ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, 27);
	n = fread(b, 1, sizeof(b), f);
	if (ferror(f))
		return r_fail(r, "read failed: %s", strerror(errno));
	if (n < 8 || memcmp(b, MD_MAGIC, 8)) {
		if (n >= 8 || memcmp(b, MD_MAGIC, n))
			return r_fail(r, "not a pcache-metadump capture (bad "
				      "magic)");
	}
	if (n < sizeof(b))
		return r_fail(r, "truncated: %zu of the %d header bytes", n,
			      MD_HDR_SIZE);
	r->zin.src = r->in;
	return header_decode(r, b);
}

/* More compressed input; 0 at the end of the file. */
static int r_fill(struct md_reader *r)
{
	size_t n;

	if (r->zin.pos < r->zin.size)
		return 1;
	n = fread(r->in, 1, ZSTD_DStreamInSize(), r->f);
	if (ferror(r->f))
		return r_fail(r, "read failed: %s", strerror(errno));
	r->zin.size = n;
	r->zin.pos = 0;
	return n > 0;
}

/* Exactly @len decompressed bytes into @dst. */
static int r_get(struct md_reader *r, void *dst, size_t len)
{
	ZSTD_outBuffer out = { dst, len, 0 };

	while (out.pos < out.size) {
		size_t ret;
		int f;

		if (r->frame_done)
			return r_fail(r, "damaged: the compressed body ends "
				      "before its END record");
		f = r_fill(r);
		if (f < 0)
			return -1;
		if (f == 0)
			return r_fail(r, "truncated: the file ends inside the "
				      "compressed body");
		ret = ZSTD_decompressStream(r->dctx, &out, &r->zin);
		if (ZSTD_isError(ret))
			return r_fail(r, "damaged compressed body: %s",
				      ZSTD_getErrorName(ret));
		if (ret == 0)
			r->frame_done = true;
	}
	r->body_crc = pc_crc32c(r->body_crc, dst, len);
	return 0;
}

/* After END: the frame must end here, then the trailer, then EOF. */
static int r_finish(struct md_reader *r)
{
	uint8_t b[MD_TRAILER_SIZE], extra;
	size_t have, n, extra_in;

	while (!r->frame_done) {
		uint8_t x;
		ZSTD_outBuffer out = { &x, 1, 0 };
		size_t ret;
		int f = r_fill(r);

		if (f < 0)
			return -1;
		if (f == 0)
			return r_fail(r, "truncated: the file ends inside the "
				      "compressed body");
		ret = ZSTD_decompressStream(r->dctx, &out, &r->zin);
		if (ZSTD_isError(ret))
			return r_fail(r, "damaged compressed body: %s",
				      ZSTD_getErrorName(ret));
		if (out.pos)
			return r_fail(r, "damaged: data follows the END record");
		if (ret == 0)
			r->frame_done = true;
	}
	have = r->zin.size - r->zin.pos;
	extra_in = have > sizeof(b) ? have - sizeof(b) : 0;
	have -= extra_in;
	memcpy(b, (const uint8_t *)r->zin.src + r->zin.pos, have);
	r->zin.pos = r->zin.size;
	n = fread(b + have, 1, sizeof(b) - have, r->f);
	if (ferror(r->f))
		return r_fail(r, "read failed: %s", strerror(errno));
	if (have + n < sizeof(b))
		return r_fail(r, "truncated: %zu of the %d trailer bytes",
			      have + n, MD_TRAILER_SIZE);
	if (memcmp(b, MD_TRAILER_MAGIC, 8))
		return r_fail(r, "damaged: bad trailer magic");
	if (le_get32(b + 28) != pc_crc32c(PCD_CRC_SEED, b, 28))
		return r_fail(r, "trailer checksum mismatch: the capture is "
			      "damaged");
	if (extra_in || fread(&extra, 1, 1, r->f) == 1)
		return r_fail(r, "damaged: bytes follow the trailer");
	r->t.records = le_get64(b + 8);
	r->t.bytes = le_get64(b + 16);
	r->t.body_crc = le_get32(b + 24);
	if (r->t.body_crc != r->body_crc)
		return r_fail(r, "body checksum mismatch (trailer 0x%08x, "
			      "computed 0x%08x)", r->t.body_crc, r->body_crc);
	if (r->t.records != r->n || r->t.bytes != r->bytes)
		return r_fail(r, "the trailer counts %llu records of %llu "
			      "bytes, the body holds %llu of %llu",
			      (unsigned long long)r->t.records,
			      (unsigned long long)r->t.bytes,
			      (unsigned long long)r->n,
			      (unsigned long long)r->bytes);
	return 0;
}

int md_read_next(struct md_reader *r, struct md_rec *rec)
{
	uint8_t rh[MD_REC_HDR_SIZE];
	uint32_t kind, len;
	uint64_t off;

	if (r_get(r, rh, sizeof(rh)))
		return -1;
	kind = le_get32(rh);
	len = le_get32(rh + 4);
	off = le_get64(rh + 8);
	if (kind == MD_REC_END) {
		if (len || off != r->n)
			return r_fail(r, "damaged END record (length %u, count "
				      "%llu for %llu records)", len,
				      (unsigned long long)off,
				      (unsigned long long)r->n);
		if (r_finish(r))
			return -1;
		return 0;
	}
	if (kind >= MD_REC_KINDS)
		return r_fail(r, "record %llu: unknown kind %u",
			      (unsigned long long)r->n, kind);
	if (len == 0 || len > MD_REC_MAX)
		return r_fail(r, "record %llu: length %u out of range "
			      "(1 .. %llu)", (unsigned long long)r->n, len,
			      MD_REC_MAX);
	if (off < r->end || off < PCD_SB_OFF)
		return r_fail(r, "record %llu: device offset %llu lies before "
			      "the end of the previous record (%llu)",
			      (unsigned long long)r->n,
			      (unsigned long long)off,
			      (unsigned long long)(r->end > PCD_SB_OFF ?
						   r->end : PCD_SB_OFF));
	if (off > r->h.dev_size || len > r->h.dev_size - off)
		return r_fail(r, "record %llu: %u bytes at device offset %llu "
			      "run past the device size %llu",
			      (unsigned long long)r->n, len,
			      (unsigned long long)off,
			      (unsigned long long)r->h.dev_size);
	if (r_get(r, r->rec, len))
		return -1;
	rec->kind = kind;
	rec->len = len;
	rec->dev_off = off;
	rec->data = r->rec;
	r->n++;
	r->bytes += len;
	r->end = off + len;
	r->st.records[kind]++;
	r->st.bytes[kind] += len;
	return 1;
}

void md_read_free(struct md_reader *r)
{
	ZSTD_freeDCtx(r->dctx);
	free(r->in);
	free(r->rec);
	r->dctx = NULL;
	r->in = r->rec = NULL;
}
