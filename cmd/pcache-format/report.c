// SPDX-License-Identifier: GPL-2.0-or-later
/* The layout pcache-format wrote (or would write), human or JSON. */
#include <stdio.h>

#include "format.h"

static void table_line(const struct fmt_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "0 <backing sectors> pcache %s <backing device> 4 "
		 "cache_mode writeback data_crc %s", o->device,
		 o->data_crc ? "true" : "false");
}

static void report_json(const struct fmt_opts *o, const struct pc_layout *l,
			bool written, const char *table)
{
	struct json_object *doc = cli_json_doc();

	json_object_object_add(doc, "device", json_object_new_string(o->device));
	json_object_object_add(doc, "written", json_object_new_boolean(written));
	json_object_object_add(doc, "init", json_object_new_string(
				       o->lazy ? "lazy" : "full"));
	json_object_object_add(doc, "device_size", cli_json_u64(l->dev_size));
	json_object_object_add(doc, "seg_num", cli_json_u64(l->seg_num));
	json_object_object_add(doc, "seg_fit", cli_json_u64(l->seg_fit));
	json_object_object_add(doc, "segment_size", cli_json_u64(PCD_SEG_SIZE));
	json_object_object_add(doc, "data_bytes", cli_json_u64(l->data_bytes));
	json_object_object_add(doc, "unused_bytes",
			       cli_json_u64(l->unused_bytes));
	json_object_object_add(doc, "data_crc",
			       json_object_new_boolean(o->data_crc));
	json_object_object_add(doc, "gc_percent",
			       cli_json_u64((uint64_t)o->gc_percent));
	json_object_object_add(doc, "cache_mode",
			       json_object_new_string("writeback"));
	json_object_object_add(doc, "cache_info_flags",
			       cli_json_u64(l->info_flags));
	json_object_object_add(doc, "table", json_object_new_string(table));
	cli_json_print(doc);
	json_object_put(doc);
}

void report_layout(const struct fmt_opts *o, const struct pc_layout *l,
		   bool written)
{
	char table[1024], a[32], b[32];

	table_line(o, table, sizeof(table));
	if (o->json) {
		report_json(o, l, written, table);
		return;
	}
	if (o->quiet)
		return;
	printf("%s %s (%s initialisation)\n",
	       written ? "Formatted" : "Would format", o->device,
	       o->lazy ? "lazy: the kernel initialises the segments at first "
			 "activation" : "full");
	printf("  device size       %s (%llu bytes)\n",
	       cli_size(l->dev_size, a, sizeof(a)),
	       (unsigned long long)l->dev_size);
	printf("  segments          %u of %u that fit, 16 MiB each\n",
	       l->seg_num, l->seg_fit);
	printf("  data area         %s\n", cli_size(l->data_bytes, a, sizeof(a)));
	printf("  unused at end     %s\n",
	       cli_size(l->unused_bytes, b, sizeof(b)));
	printf("  data crc          %s\n", o->data_crc ? "on" : "off");
	printf("  gc percent        %d\n", o->gc_percent);
	printf("  cache mode        writeback\n");
	printf("  cache_info flags  0x%x%s\n", l->info_flags,
	       o->lazy ? " (INIT_DONE set by the kernel)" : "");
	printf("Table line for dmsetup create:\n  %s\n", table);
}
