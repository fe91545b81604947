/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Conventions shared by every pcache tool: one-line errors prefixed with the
 * tool's name, --version text, JSON documents that start with a versioned
 * header, and progress on stderr only when it is a terminal.
 *
 * Exit codes: 0 success, 1 failure or refusal, 16 usage error (CLI_EXIT_USAGE).
 * pcache-fsck ORs e2fsck's codes (16 is e2fsck's usage code too).
 * pcache-format follows mke2fs/mkfs.xfs and exits 1 on a usage error
 * (cli_usage_code = CLI_EXIT_FAIL): nothing is written either way. The other
 * tools keep 16 because their 1 is a verdict on the cache (damaged, refused)
 * that a script must be able to tell from a mistyped command line.
 *
 * Short options shared by every tool (a tool that has the long option uses
 * this letter for it, and no tool gives the letter another meaning):
 *
 *   -h, -?  --help       help (CLI_OPT_HELP; "--usage" too)
 *   -V      --version    version (CLI_OPT_VERSION)
 *   -q      --quiet      errors only (CLI_OPT_QUIET)
 *   -v      --verbose    more detail (CLI_OPT_VERBOSE)
 *   -j      --json       JSON on stdout, failures too (CLI_OPT_JSON)
 *   -n      --dry-run    change nothing (fsck: --no-modify) (CLI_OPT_DRY_RUN)
 *   -f      --force      override a refusal (CLI_OPT_FORCE)
 *
 * Adopting the layer in a new tool:
 *
 *	static struct poptOption opts[] = {
 *		{ "size", 0, POPT_ARG_STRING, &size_arg, 0, "...", "SIZE" },
 *		CLI_OPT_JSON("JSON report"),
 *		CLI_OPT_VERSION,
 *		CLI_OPT_HELP,
 *		POPT_TABLEEND
 *	};
 *	cli_init("pcache-x");
 *	pc = cli_context(NULL, argc, argv, opts, "[OPTION...] DEVICE");
 *	cli_parse(pc, opts);		// --help/--version exit here
 *	cli_args(pc, args, 1, "DEVICE");
 *	size = cli_size_arg("--size", size_arg);
 *	...
 *	return cli_exit(code);		// with --json, a failure document
 *
 * Every option that takes a value may be given once, and not empty
 * (cli_parse refuses both, naming the option). Sizes: cli_parse_size().
 * A tool whose options carry values of their own (val below CLI_VAL_BASE)
 * loops on cli_next() instead; one with subcommands sets cli_cmd to
 * "tool subcommand" for the "Try ... --help" hint.
 *
 * Also for a new tool: cmd/<tool>/build.mk sets <tool>_LIBS (the libraries
 * beyond popt, json-c, libpmem2); tests/cli.bats runs its battery on every
 * cmd/<tool>/ and lists the justified exceptions (exit codes, subcommand
 * words, number of devices) in tables at its top.
 */
#ifndef PC_CLI_H
#define PC_CLI_H

#include <json-c/json.h>
#include <popt.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcache.h"

#define CLI_EXIT_OK	0
#define CLI_EXIT_FAIL	1
#define CLI_EXIT_USAGE	16

/* JSON schema version of every tool's output (see docs/json.md). */
#define CLI_JSON_VERSION 1

extern const char *cli_tool;
/* The command "Try '... --help'" names: cli_tool, or "tool subcommand". */
extern const char *cli_cmd;
extern bool cli_quiet;
/* Set by CLI_OPT_JSON: failures print a JSON document too (cli_exit). */
extern int cli_json;
/* Exit code of a usage error (CLI_EXIT_USAGE unless the tool changes it). */
extern int cli_usage_code;

/* popt values of the shared entries; a tool's own values stay below. */
#define CLI_VAL_BASE	0x7000
#define CLI_VAL_HELP	0x7ff0
#define CLI_VAL_USAGE	0x7ff1
#define CLI_VAL_VERSION	0x7ff2

extern struct poptOption cli_help_options[];

#define CLI_OPT_HELP { NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_help_options, \
		       0, "Help options:", NULL }
#define CLI_OPT_VERSION { "version", 'V', POPT_ARG_NONE, NULL, \
			  CLI_VAL_VERSION, "print the version and exit", NULL }
#define CLI_OPT_JSON(desc) { "json", 'j', POPT_ARG_NONE, &cli_json, 0, \
			     desc, NULL }
#define CLI_OPT_QUIET(var, desc) { "quiet", 'q', POPT_ARG_NONE, var, 0, \
				   desc, NULL }
#define CLI_OPT_VERBOSE(var, desc) { "verbose", 'v', POPT_ARG_NONE, var, 0, \
				     desc, NULL }
#define CLI_OPT_DRY_RUN(name, var, desc) { name, 'n', POPT_ARG_NONE, var, 0, \
					   desc, NULL }
#define CLI_OPT_FORCE(var, desc) { "force", 'f', POPT_ARG_NONE, var, 0, \
				   desc, NULL }

/*
 * @tool is the name messages start with; "pcache create" for a tool with
 * subcommands (JSON headers then say tool "pcache", command "create").
 */
void cli_init(const char *tool);
/*
 * poptGetContext(@name or cli_tool) with @args as the "[OPTION...] ARG"
 * help text. When @table has a --json option and argv holds "--json" or
 * "-j" (before "--"), --json is on before parsing starts, so that a usage
 * error anywhere on the line still prints a JSON document.
 */
poptContext cli_context(const char *name, int argc, const char **argv,
			struct poptOption *table, const char *args);
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_version(void);
/* A usage error: the message, "Try --help", exit cli_usage_code. */
void cli_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/*
 * The next option of @table (the context's table) that carries a value of
 * the tool's own (below CLI_VAL_BASE), or -1 at the end. Handles --help,
 * --usage and --version (exit 0); refuses an unknown option, an empty value
 * and a value option given twice (usage error).
 */
int cli_next(poptContext pc, struct poptOption *table);
/* cli_next() until the end, for tables whose options have no values. */
void cli_parse(poptContext pc, struct poptOption *table);
/* Exactly @n positional arguments into @args, else a usage error naming
 * @what ("DEVICE", "CACHE_DEVICE and BACKING_DEVICE"). */
void cli_args(poptContext pc, const char **args, int n, const char *what);
/*
 * A size or offset: decimal or 0x hex, with an optional binary suffix k, m,
 * g, t (any case; "KiB", "MiB", "GiB", "TiB" and "KB"... too). Every
 * suffix is binary, as in mke2fs: 1k = 1KB = 1KiB = 1024. 0, -EINVAL or
 * -ERANGE.
 */
int cli_parse_size(const char *s, uint64_t *v);
/* cli_parse_size() of option @opt's value, or a usage error naming it. */
uint64_t cli_size_arg(const char *opt, const char *s);
/* A decimal number in @lo-@hi, or a usage error:
 * "--gc-percent: 'abc' is not a number in 0-90". */
uint64_t cli_uint_arg(const char *opt, const char *s, uint64_t lo,
		      uint64_t hi);
/* Seconds (decimal, fractions allowed) of at least @min, or a usage error:
 * "--timeout: 'x' is not a number of seconds (at least 0)". */
double cli_seconds_arg(const char *opt, const char *s, double min);
/* Returns @code; on a failure with --json and no document printed yet,
 * prints {"__header", "error": first error, "exit_code": @code}. */
int cli_exit(int code);
/* The first cli_err() message of the run, or NULL. */
const char *cli_first_error(void);
/* A new document: {"__header": {"version", "tool", "tool_version"}}. */
struct json_object *cli_json_doc(void);
/* Print pretty JSON to stdout, with a newline; 0 or -errno. Every tool's
 * JSON goes through here, so all are indented alike. */
int cli_json_print(struct json_object *doc);
struct json_object *cli_json_u64(uint64_t v);
/* A measurement: six significant digits (whole numbers from a million
 * up), no binary float noise; null if not finite. */
struct json_object *cli_json_double(double v);
/* A log position: {"seg": cache segment id, "off": data offset}. */
struct json_object *cli_json_pos(struct pc_pos p);
/* Progress "what: done/total (p%)" on stderr when it is a terminal. */
void cli_progress(const char *what, uint64_t done, uint64_t total);
void cli_progress_done(void);
/* A log position "SEG:OFF" (decimal); 0 or -EINVAL. */
int cli_parse_pos(const char *s, struct pc_pos *p);
/* "s" unless @n is 1: "%llu extent%s", n, cli_s(n). */
static inline const char *cli_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}
/* Human size: "1.00 GiB". */
const char *cli_size(uint64_t bytes, char *buf, size_t len);

#endif
