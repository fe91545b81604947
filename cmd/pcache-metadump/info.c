// SPDX-License-Identifier: GPL-2.0-or-later
/* --info: what a capture holds, after checking all of it. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "metadump.h"

struct json_object *md_stats_json(const struct md_stats *st)
{
	struct json_object *o = json_object_new_object();

	for (int k = MD_REC_HEADER; k < MD_REC_KINDS; k++) {
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "records", cli_json_u64(st->records[k]));
		json_object_object_add(x, "bytes", cli_json_u64(st->bytes[k]));
		json_object_object_add(o, k == MD_REC_SEGMETA ? "segment_metadata" :
				       md_kind_name(k), x);
	}
	return o;
}

static const char *when(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%llu", (unsigned long long)t);
	return buf;
}

static void print_json(const struct md_reader *r)
{
	struct json_object *doc = cli_json_doc();
	char t[40];

	json_object_object_add(doc, "file", json_object_new_string(r->path));
	json_object_object_add(doc, "format_version",
			       json_object_new_int(r->h.version));
	json_object_object_add(doc, "created", json_object_new_string(
			       when(r->h.created, t, sizeof(t))));
	json_object_object_add(doc, "captured_by", json_object_new_string(
			       r->h.tool_version));
	json_object_object_add(doc, "obfuscated", json_object_new_boolean(
			       r->h.flags & MD_F_OBFUSCATED));
	json_object_object_add(doc, "dev_size", cli_json_u64(r->h.dev_size));
	json_object_object_add(doc, "seg_num", cli_json_u64(r->h.seg_num));
	json_object_object_add(doc, "key_segments",
			       cli_json_u64(r->h.key_segs));
	json_object_object_add(doc, "records", cli_json_u64(r->n));
	json_object_object_add(doc, "bytes", cli_json_u64(r->bytes));
	json_object_object_add(doc, "file_bytes", cli_json_u64(r->file_size));
	json_object_object_add(doc, "kinds", md_stats_json(&r->st));
	json_object_object_add(doc, "data_captured",
			       json_object_new_boolean(false));
	cli_json_print(doc);
	json_object_put(doc);
}

static void print_text(const struct md_reader *r)
{
	char a[32], b[32], t[40];

	printf("capture        %s\n", r->path);
	printf("format         pcache-metadump version %u, written by "
	       "pcache-tools %s on %s\n", r->h.version, r->h.tool_version,
	       when(r->h.created, t, sizeof(t)));
	printf("device size    %llu (%s), seg_num %u, %u key segment%s\n",
	       (unsigned long long)r->h.dev_size,
	       cli_size(r->h.dev_size, a, sizeof(a)), r->h.seg_num,
	       r->h.key_segs, cli_s(r->h.key_segs));
	printf("metadata       %llu bytes in %llu records, %s compressed "
	       "(file %s)\n", (unsigned long long)r->bytes,
	       (unsigned long long)r->n, cli_size(r->file_size, b, sizeof(b)),
	       r->path);
	for (int k = MD_REC_HEADER; k < MD_REC_KINDS; k++)
		printf("  %-18s %llu bytes in %llu records\n", md_kind_name(k),
		       (unsigned long long)r->st.bytes[k],
		       (unsigned long long)r->st.records[k]);
	printf("offsets        %s\n", r->h.flags & MD_F_OBFUSCATED ?
	       "backing offsets obfuscated" : "as on the device");
	printf("data           not captured (reads as zeros when restored)\n");
	printf("checksums      ok\n");
}

int md_info(const char *file, const struct md_opts *o)
{
	struct md_reader r;
	struct md_rec rec;
	int ret = -1;
	FILE *f = fopen(file, "rb");

	if (!f) {
		cli_err("%s: %s", file, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	if (!md_read_open(&r, f, file))
		while ((ret = md_read_next(&r, &rec)) == 1)
			;
	if (ret < 0)
		cli_err("%s", r.err);
	else if (o->json)
		print_json(&r);
	else
		print_text(&r);
	md_read_free(&r);
	fclose(f);
	return ret < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
