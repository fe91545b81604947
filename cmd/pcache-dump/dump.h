/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dump.h - pcache-dump: shared state of the tool's sections.
 *
 * Every section builds its JSON object and prints its human form from the
 * same decoded values, so the two forms carry the same fields.
 */
#ifndef PCACHE_DUMP_H
#define PCACHE_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "pcache.h"

/* Sections (selectors); none given means the default set. */
#define SEC_HEADER	0x01	/* superblock, cache_info, tails, summary */
#define SEC_SEGMENTS	0x02	/* the chain, one line per segment */
#define SEC_SEGMENT	0x04	/* one segment in detail */
#define SEC_LOG		0x08	/* ksets and keys */
#define SEC_REPLAY	0x10	/* the resolved index */
#define SEC_DEFAULT	(SEC_HEADER | SEC_SEGMENTS | SEC_LOG)

/* Per cache segment: what replay says it is used for. */
struct seg_use {
	bool key;		/* holds part of the log (key_tail .. key_head) */
	uint64_t keys;		/* non-stale keys pointing into it */
	uint64_t live_bytes;	/* bytes of resolved extents stored in it */
};

struct dump {
	/* options */
	const char *path;
	const char *backing_path;
	unsigned int sections;
	bool json;
	bool no_verify;
	uint32_t seg_sel;
	bool from_set;
	struct pc_pos from;
	uint64_t limit;		/* 0: no limit */
	bool extract;
	uint64_t ext_off, ext_len;

	/* state */
	struct pc_dev *dev;
	struct pc_dev *bdev;
	uint64_t backing_size;	/* 0 when no backing device was given */
	struct pc_cache *c;
	int open_ret;
	struct pc_err open_err;
	bool replayed;
	int replay_ret;
	struct pc_replay r;
	struct seg_use *use;	/* n_segs entries once replayed */
	bool refused;		/* the kernel would refuse this log */
	bool salvaged;		/* past_end filled (once, after replay) */
	struct pc_salvage past_end;	/* ksets past the kernel's end of log */
	char refuse_msg[600];
	bool failed;		/* exit status 1 */
	bool lazy;		/* formatted lazily: nothing past cache_info yet */
	bool restored;		/* pcache-metadump --restore: no data captured */
	struct json_object *doc;
};

/* Small helpers (main.c). */
const char *fmt_pos(struct pc_pos p, char *buf, size_t len);
bool out_broken(void);
/* Run the replay once (needed by several sections); 0 or -errno. */
int dump_replay(struct dump *d);
/* The ksets past the kernel's end of log (after a replay), or NULL. */
const struct pc_salvage *dump_past_end(struct dump *d);

/* header.c */
void dump_header(struct dump *d);
/* Describe a dual-slot record: state of both slots and the kernel's pick. */
struct json_object *dual_json(const struct pc_dual *d,
			      struct json_object *(*fields)(const struct pc_dual *,
							    int, bool),
			      bool swap);
void dual_print(const char *name, const struct pc_dual *d,
		void (*fields)(const struct pc_dual *, int, bool, char *,
			       size_t),
		bool swap, const char *indent);
const char *dual_reason(const struct pc_dual *d, char *buf, size_t len);

/* segs.c */
void dump_segments(struct dump *d);
void dump_segment(struct dump *d);

/* log.c */
void dump_log(struct dump *d);

/* replay.c */
void dump_replay_section(struct dump *d);
int dump_extract(struct dump *d);

#endif
