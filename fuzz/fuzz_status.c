// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over pcache-bench's reading of the dm-pcache status line
 * (cmd/pcache-bench/dmstat.c, FORMAT.md 14.3): the input is a file of status
 * lines as `pcache-bench io --status-from` replays them; the first line
 * starts the sampler, each further line is one sample. Each line is also
 * parsed alone, and a parse that succeeds must print back to the same
 * numbers (a finding otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/pcache-bench/bench.h"

#define FZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_line(const char *line)
{
	struct pcs_status st, again;
	char buf[256];

	if (pcs_parse(line, &st))
		return;
	snprintf(buf, sizeof(buf), "%x %u %u %u %u %x %u:%u %u:%u %u:%u",
		 st.sb_flags, st.seg_total, st.cache_segs, st.segs_used,
		 st.gc_percent, st.cache_flags, st.key_head.seg,
		 st.key_head.off, st.dirty_tail.seg, st.dirty_tail.off,
		 st.key_tail.seg, st.key_tail.off);
	FZ_ASSERT(pcs_parse(buf, &again) == 0);
	FZ_ASSERT(!memcmp(&st, &again, sizeof(st)));
	(void)pcs_distance(st.key_tail, st.key_head);
	(void)pcs_distance(st.key_head, st.key_tail);
}

static void each_line(const uint8_t *data, size_t size)
{
	char line[600];
	size_t pos = 0;

	while (pos < size) {
		size_t n = 0;

		while (pos < size && data[pos] != '\n' && n < sizeof(line) - 1)
			line[n++] = (char)data[pos++];
		line[n] = '\0';
		if (pos < size && data[pos] == '\n')
			pos++;
		parse_line(line);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_sampler s;
	FILE *f;

	each_line(data, size);
	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (!dm_sampler_start(&s, NULL, f))
		for (int i = 0; i < 64 && !feof(f); i++)
			dm_sampler_sample(&s);
	fclose(f);
	return 0;
}
