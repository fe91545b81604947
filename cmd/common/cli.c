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
const char *cli_cmd;
bool cli_quiet;
int cli_json;
int cli_usage_code = CLI_EXIT_USAGE;
static bool progress_shown;
static bool json_printed;
/* The first error of the run: the cause, later ones tend to be effects. */
static char first_error[512];

static void parse_reset(void);

void cli_init(const char *tool)
{
	cli_tool = tool;
	/* a fuzz target runs main() again and again in one process */
	parse_reset();
	/* A closed pipe ends output quietly instead of killing us mid-line. */
	signal(SIGPIPE, SIG_IGN);
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char msg[sizeof(first_error)];

	cli_progress_done();
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", cli_tool, kind, msg);
	if (!*kind && !first_error[0])
		memcpy(first_error, msg, sizeof(msg));
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
	/* "pcache create": the program is "pcache" */
	printf("%.*s (pcache-tools) %s\n", (int)strcspn(cli_tool, " "), cli_tool,
	       PCACHE_TOOLS_VERSION);
}

struct json_object *cli_json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

struct json_object *cli_json_double(double v)
{
	char buf[64];

	if (v != v || v > 1e300 || v < -1e300)
		return NULL;
	if (v >= 1e6 || v <= -1e6)
		snprintf(buf, sizeof(buf), "%.0f", v);
	else
		snprintf(buf, sizeof(buf), "%.6g", v);
	return json_object_new_double_s(v, buf);
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
	const char *sub = strchr(cli_tool, ' ');

	json_object_object_add(hdr, "version",
			       json_object_new_int(CLI_JSON_VERSION));
	json_object_object_add(hdr, "tool", sub ?
		json_object_new_string_len(cli_tool, (int)(sub - cli_tool)) :
		json_object_new_string(cli_tool));
	if (sub)
		json_object_object_add(hdr, "command",
				       json_object_new_string(sub + 1));
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

	json_printed = true;
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

/* ---- options ----------------------------------------------------------- */

struct poptOption cli_help_options[] = {
	{ "help", 'h', POPT_ARG_NONE, NULL, CLI_VAL_HELP,
	  "Show this help message", NULL },
	{ NULL, '?', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL,
	  CLI_VAL_HELP, "Show this help message", NULL },
	{ "usage", 0, POPT_ARG_NONE, NULL, CLI_VAL_USAGE,
	  "Display brief usage message", NULL },
	POPT_TABLEEND
};

void cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	if (!cli_json)
		fprintf(stderr, "Try '%s --help' for more information.\n",
			cli_cmd ? cli_cmd : cli_tool);
	exit(cli_exit(cli_usage_code));
}

static bool takes_value(const struct poptOption *o)
{
	unsigned int t = o->argInfo & POPT_ARG_MASK;

	return t != POPT_ARG_NONE && t != POPT_ARG_INCLUDE_TABLE &&
	       t != POPT_ARG_CALLBACK && t != POPT_ARG_INTL_DOMAIN &&
	       t != POPT_ARG_VAL;
}

/*
 * popt reports an option whose value it stores only when the entry has a
 * value of its own: give every value option without one a private value
 * (CLI_VAL_BASE + n), so that each occurrence passes through cli_next().
 */
static int tag_values(struct poptOption *t, int next)
{
	for (; t->longName || t->shortName || t->arg; t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE)
			next = tag_values(t->arg, next);
		else if (takes_value(t) && !t->val)
			t->val = next++;
	}
	return next;
}

static const struct poptOption *find_val(const struct poptOption *t, int val)
{
	const struct poptOption *o;

	for (; t->longName || t->shortName || t->arg; t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			o = find_val(t->arg, val);
			if (o)
				return o;
		} else if (t->val == val) {
			return t;
		}
	}
	return NULL;
}

static const char *opt_name(const struct poptOption *o, char *buf,
			    size_t len)
{
	if (o->longName)
		snprintf(buf, len, "--%s", o->longName);
	else
		snprintf(buf, len, "-%c", o->shortName);
	return buf;
}

/* A value option given twice, or with an empty value, is a usage error. */
/* Options given so far in this parse (cli_init starts a new one). */
static const struct poptOption *seen[64];
static char *first[64];
static unsigned int n_seen;
static struct poptOption *tagged;

static void parse_reset(void)
{
	n_seen = 0;
	tagged = NULL;
	cli_cmd = NULL;
	cli_quiet = false;
	cli_json = 0;
	json_printed = false;
	first_error[0] = '\0';
}

static void check_value(const struct poptOption *o)
{
	bool str = (o->argInfo & POPT_ARG_MASK) == POPT_ARG_STRING && o->arg;
	char name[64];
	unsigned int i;

	if (!takes_value(o))
		return;
	opt_name(o, name, sizeof(name));
	for (i = 0; i < n_seen; i++) {
		if (seen[i] != o)
			continue;
		/*
		 * popt has overwritten the first string: free it, unless the
		 * tool handles its own values (and has freed it already).
		 */
		if (o->val >= CLI_VAL_BASE)
			free(first[i]);
		cli_usage("%s: given twice (it takes one value)", name);
	}
	if (n_seen < sizeof(seen) / sizeof(seen[0])) {
		first[n_seen] = str ? *(char **)o->arg : NULL;
		seen[n_seen++] = o;
	}
	if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_STRING && o->arg &&
	    *(char **)o->arg && !**(char **)o->arg)
		cli_usage("%s: empty value", name);
}

int cli_next(poptContext pc, struct poptOption *table)
{
	const struct poptOption *o;
	int rc;

	if (tagged != table) {
		tag_values(table, CLI_VAL_BASE);
		tagged = table;
	}
	while ((rc = poptGetNextOpt(pc)) > 0) {
		switch (rc) {
		case CLI_VAL_HELP:
			poptPrintHelp(pc, stdout, 0);
			exit(CLI_EXIT_OK);
		case CLI_VAL_USAGE:
			poptPrintUsage(pc, stdout, 0);
			exit(CLI_EXIT_OK);
		case CLI_VAL_VERSION:
			cli_print_version();
			exit(CLI_EXIT_OK);
		}
		o = find_val(table, rc);
		if (o)
			check_value(o);
		if (rc < CLI_VAL_BASE)
			return rc;
	}
	if (rc < -1)
		cli_usage("%s: %s", poptBadOption(pc, POPT_BADOPTION_NOALIAS),
			  poptStrerror(rc));
	return rc;
}

static bool has_json(const struct poptOption *t)
{
	for (; t->longName || t->shortName || t->arg; t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			if (has_json(t->arg))
				return true;
		} else if (t->longName && !strcmp(t->longName, "json")) {
			return true;
		}
	}
	return false;
}

poptContext cli_context(const char *name, int argc, const char **argv,
			struct poptOption *table, const char *args)
{
	poptContext pc;
	int i;

	for (i = 1; i < argc && argv[i] && has_json(table); i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			cli_json = 1;
	}
	pc = poptGetContext(name ? name : cli_tool, argc, argv, table, 0);
	poptSetOtherOptionHelp(pc, args);
	return pc;
}

void cli_parse(poptContext pc, struct poptOption *table)
{
	int rc;

	while ((rc = cli_next(pc, table)) > 0)
		;
}

void cli_args(poptContext pc, const char **args, int n, const char *what)
{
	const char *extra;
	int i;

	for (i = 0; i < n; i++) {
		args[i] = poptGetArg(pc);
		if (!args[i])
			cli_usage("missing %s argument", what);
		if (!args[i][0])
			cli_usage("%s: empty argument", what);
	}
	extra = poptGetArg(pc);
	if (extra)
		cli_usage("unexpected argument '%s'", extra);
}

int cli_parse_size(const char *s, uint64_t *v)
{
	unsigned int shift = 0;
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	}
	if (shift) {
		end++;
		if (*end == 'i' && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
		else if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && x > (UINT64_MAX >> shift))
		return -ERANGE;
	*v = (uint64_t)x << shift;
	return 0;
}

uint64_t cli_size_arg(const char *opt, const char *s)
{
	uint64_t v = 0;
	int ret = cli_parse_size(s, &v);

	if (ret == -ERANGE)
		cli_usage("%s: '%s' is too large", opt, s);
	if (ret)
		cli_usage("%s: '%s' is not a size (bytes, or with a suffix k, "
			  "m, g, t: KiB, MiB, GiB, TiB)", opt, s);
	return v;
}

uint64_t cli_uint_arg(const char *opt, const char *s, uint64_t lo,
		      uint64_t hi)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
	if (!s || *s < '0' || *s > '9' || errno || *end || v < lo || v > hi)
		cli_usage("%s: '%s' is not a number in %llu-%llu", opt,
			  s ? s : "", (unsigned long long)lo,
			  (unsigned long long)hi);
	return v;
}

double cli_seconds_arg(const char *opt, const char *s, double min)
{
	double v = 0;
	char *end = NULL;

	errno = 0;
	if (s && *s >= '0' && *s <= '9')
		v = strtod(s, &end);
	if (!end || errno || *end || v != v || v > 1e9 || v < min)
		cli_usage("%s: '%s' is not a number of seconds (at least %g)",
			  opt, s ? s : "", min);
	return v;
}

/* ---- a failure as a JSON document -------------------------------------- */

const char *cli_first_error(void)
{
	return first_error[0] ? first_error : NULL;
}

int cli_exit(int code)
{
	struct json_object *doc;

	if (!code || !cli_json || json_printed)
		return code;
	doc = cli_json_doc();
	json_object_object_add(doc, "error", json_object_new_string(
		first_error[0] ? first_error : "failed"));
	json_object_object_add(doc, "exit_code", json_object_new_int(code));
	cli_json_print(doc);
	json_object_put(doc);
	return code;
}
