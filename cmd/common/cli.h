/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Conventions shared by every pcache tool: one-line errors prefixed with the
 * tool's name, --version text, JSON documents that start with a versioned
 * header, and progress on stderr only when it is a terminal.
 *
 * Exit codes of every tool but pcache-fsck (which follows e2fsck):
 * 0 success, 1 failure or refusal, 16 usage error.
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
extern bool cli_quiet;

void cli_init(const char *tool);
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_version(void);
/* Parse options; on a usage error print it and exit CLI_EXIT_USAGE
 * (or @usage_code). Returns the context positioned after the options. */
int cli_parse(poptContext pc, int usage_code);
/* A new document: {"__header": {"version", "tool", "tool_version"}}. */
struct json_object *cli_json_doc(void);
/* Print pretty JSON to stdout, with a newline; 0 or -errno. */
int cli_json_print(struct json_object *doc);
struct json_object *cli_json_u64(uint64_t v);
/* A log position: {"seg": cache segment id, "off": data offset}. */
struct json_object *cli_json_pos(struct pc_pos p);
/* Progress "what: done/total (p%)" on stderr when it is a terminal. */
void cli_progress(const char *what, uint64_t done, uint64_t total);
void cli_progress_done(void);
/* A log position "SEG:OFF" (decimal); 0 or -EINVAL. */
int cli_parse_pos(const char *s, struct pc_pos *p);
/* Human size: "1.00 GiB". */
const char *cli_size(uint64_t bytes, char *buf, size_t len);

#endif
