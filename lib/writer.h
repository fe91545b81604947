/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A userspace log writer: appends data and ksets to a cache exactly as the
 * kernel's write path does (FORMAT.md 9.3, 10), with one in-memory kset and
 * one data head (a one-CPU kernel). Used by test generators, benchmarks and
 * anything that must produce a realistic log without the kernel.
 */
#ifndef PC_WRITER_H
#define PC_WRITER_H

#include "pcache.h"

struct pc_writer;

/* @c must be fully opened on a writable device; the log is replayed to
 * find key_head and the segments in use. */
int pc_writer_open(struct pc_cache *c, struct pc_writer **out,
		   struct pc_err *err);
/*
 * Cache @len bytes for logical offset @off: copy them into a data segment
 * and add keys (one per 4 MiB region and per data segment), flags 0 for a
 * write or PCD_KEY_F_CLEAN for a read-miss fill. The kset is closed when
 * it reaches 128 keys. -ENOSPC when no free segment is left.
 */
int pc_writer_write(struct pc_writer *w, uint64_t off, const void *data,
		    uint32_t len, uint32_t key_flags, struct pc_err *err);
/* Close the in-memory kset (as a flush does) and make everything durable. */
int pc_writer_flush(struct pc_writer *w, struct pc_err *err);
struct pc_pos pc_writer_head(const struct pc_writer *w);
uint32_t pc_writer_segs_used(const struct pc_writer *w);
/* Frees without flushing: pending keys are lost, as in a power cut. */
void pc_writer_free(struct pc_writer *w);

#endif
