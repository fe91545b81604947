/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcache-metadump capture file (docs/metadump.md):
 *
 *   header   64 bytes, little-endian, CRC32C-protected
 *   body     one zstd frame (content checksum on) holding records:
 *            16-byte record header (kind, length, device offset) + bytes,
 *            in increasing device offset order, ended by an END record
 *   trailer  32 bytes: record and byte counts, CRC32C of the
 *            decompressed body, its own CRC32C
 *
 * Bytes no record covers read as zeros on the restored image.
 */
#ifndef MDFILE_H
#define MDFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <zstd.h>

#include "pcache.h"

#define MD_MAGIC		"PCMDUMP"	/* 8 bytes with the NUL */
#define MD_TRAILER_MAGIC	"PCMDEND"
#define MD_VERSION		1
#define MD_HDR_SIZE		64
#define MD_TRAILER_SIZE		32
#define MD_REC_HDR_SIZE		16
#define MD_REC_MAX		PCD_SEG_SIZE	/* longest record payload */
/* Zero runs of at least this many bytes (aligned) are left out. */
#define MD_GRANULE		64

#define MD_F_OBFUSCATED		0x1

enum md_kind {
	MD_REC_END = 0,
	MD_REC_HEADER = 1,	/* superblock, cache_info, control area */
	MD_REC_SEGMETA = 2,	/* a segment's three metadata pages */
	MD_REC_LOG = 3,		/* a key segment's data area */
	MD_REC_KINDS
};

struct md_header {
	uint32_t version;
	uint32_t flags;
	uint64_t dev_size;
	uint32_t seg_num;	/* the superblock's, 0 when it had none */
	uint32_t key_segs;	/* key segments captured */
	uint64_t created;	/* seconds since the epoch */
	char tool_version[12];
	uint32_t crc;		/* of bytes 0..59 */
};

struct md_trailer {
	uint64_t records;	/* END excluded */
	uint64_t bytes;		/* payload bytes of every record */
	uint32_t body_crc;	/* CRC32C of the decompressed body */
};

struct md_stats {
	uint64_t records[MD_REC_KINDS];
	uint64_t bytes[MD_REC_KINDS];
};

/* ---- writing ---- */
struct md_writer {
	FILE *f;
	const char *path;
	ZSTD_CCtx *cctx;
	uint8_t *out;
	size_t out_cap;
	uint32_t body_crc;
	uint64_t end;		/* end of the last record, for order */
	struct md_trailer t;
	struct md_stats st;
	uint64_t file_bytes;
};

int md_write_open(struct md_writer *w, FILE *f, const char *path,
		  struct md_header *h);
/* Bytes at @dev_off, zero granules left out; @len a multiple of 64. */
int md_write_range(struct md_writer *w, enum md_kind kind, uint64_t dev_off,
		   const uint8_t *buf, size_t len);
int md_write_close(struct md_writer *w);
void md_write_free(struct md_writer *w);

/* ---- reading ---- */
struct md_rec {
	enum md_kind kind;
	uint32_t len;
	uint64_t dev_off;
	const uint8_t *data;	/* valid until the next md_read_next() */
};

struct md_reader {
	FILE *f;
	const char *path;
	struct md_header h;
	ZSTD_DCtx *dctx;
	uint8_t *in;
	ZSTD_inBuffer zin;
	bool frame_done;
	bool eof;
	uint8_t *rec;		/* MD_REC_MAX payload buffer */
	uint64_t n;		/* records read */
	uint64_t bytes;
	uint64_t end;
	uint32_t body_crc;
	struct md_trailer t;
	struct md_stats st;
	uint64_t file_size;
	char err[400];
};

/* 0, or -1 with r->err set ("FILE: what is wrong"). */
int md_read_open(struct md_reader *r, FILE *f, const char *path);
/* 1 with a record, 0 at the END record (trailer checked), -1 on error. */
int md_read_next(struct md_reader *r, struct md_rec *rec);
void md_read_free(struct md_reader *r);
const char *md_kind_name(enum md_kind k);

#endif
