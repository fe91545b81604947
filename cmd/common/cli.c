// SPDX-License-Identifier: LGPL-2.1-or-later
/* Shared command-line conventions; see cli.h. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pcache.h"

const char *cli_tool = "pcache";
bool cli_quiet;
static bool progress_shown;

void cli_init(const char *tool)
{
	cli_tool = tool;
	/* A closed pipe ends output quietly instead of killing us mid-line. */
	signal(SIGPIPE, SIG_IGN);
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	cli_progress_done();
	fprintf(stderr, "%s: %s", cli_tool, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void cli_print_version(void)
{
	printf("%s (pcache-tools) %s\n", cli_tool, PCACHE_TOOLS_VERSION);
}

int cli_parse(poptContext pc, int usage_code)
{
	int rc;

	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if (rc < -1) {
		cli_err("%s: %s", poptBadOption(pc, POPT_BADOPTION_NOALIAS),
			poptStrerror(rc));
		fprintf(stderr, "Try '%s --help' for more information.\n",
			cli_tool);
		exit(usage_code);
	}
	return rc;
}

struct json_object *cli_json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

struct json_object *cli_json_pos(struct pc_pos p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "seg", json_object_new_int64(p.seg));
	json_object_object_add(o, "off", json_object_new_int64(p.off));
	return o;
}

struct json_object *cli_json_doc(void)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *hdr = json_object_new_object();

	json_object_object_add(hdr, "version",
			       json_object_new_int(CLI_JSON_VERSION));
	json_object_object_add(hdr, "tool", json_object_new_string(cli_tool));
	json_object_object_add(hdr, "tool_version",
			       json_object_new_string(PCACHE_TOOLS_VERSION));
	json_object_object_add(doc, "__header", hdr);
	return doc;
}

int cli_json_print(struct json_object *doc)
{
	const char *s = json_object_to_json_string_ext(doc,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE);

	if (fputs(s, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout))
		return errno == EPIPE ? 0 : -errno;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress(const char *what, uint64_t done, uint64_t total)
{
	static double last;
	double t;

	if (cli_quiet || !isatty(STDERR_FILENO))
		return;
	t = now();
	if (done != total && t - last < 0.2)
		return;
	last = t;
	fprintf(stderr, "\r%s: %llu/%llu (%.0f%%)\033[K", what,
		(unsigned long long)done, (unsigned long long)total,
		total ? 100.0 * (double)done / (double)total : 100.0);
	progress_shown = true;
}

void cli_progress_done(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	progress_shown = false;
}

const char *cli_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.2f %s", v, unit[u]);
	return buf;
}

static int parse_u32(const char *s, const char *end, uint32_t *v)
{
	uint64_t x = 0;

	if (s == end || end - s > 10)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

int cli_parse_pos(const char *s, struct pc_pos *p)
{
	const char *colon = s ? strchr(s, ':') : NULL;

	if (!colon || parse_u32(s, colon, &p->seg) ||
	    parse_u32(colon + 1, colon + 1 + strlen(colon + 1), &p->off))
		return -EINVAL;
	return 0;
}
