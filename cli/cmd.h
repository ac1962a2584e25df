/* cli/cmd.h: subcommand entry points, one file per subcommand (cli/cmd_*.c).
 * Each returns a process exit code (enum cor_exit in corridor/core.h). Only
 * cli/ prints to stdout/stderr and decides exit codes. */
#ifndef COR_CLI_CMD_H
#define COR_CLI_CMD_H

#include <libpq-fe.h>
#include <stdio.h>
#include "corridor/core.h"

typedef struct cor_ctx {
	const char *conninfo;  /* --db value, or NULL: PG* environment */
	int verbosity;         /* 0 = -q, 1 = normal, 2 = -v */
	PGconn *conn;          /* open connection for COR_NEEDS_DB commands */
} cor_ctx;

typedef int cor_cmd_fn(int argc, char **argv, cor_ctx *ctx);

/* argv[0] is the command name; options follow. */
cor_cmd_fn cmd_db;       /* db init | db status */
cor_cmd_fn cmd_synth;    /* synthetic case records (no database) */
cor_cmd_fn cmd_load;     /* load CSV files */
cor_cmd_fn cmd_batches;  /* list load batches */
cor_cmd_fn cmd_rejects;  /* list rejected rows */
cor_cmd_fn cmd_stats;    /* route and trend statistics */
cor_cmd_fn cmd_brief;    /* quarterly PDF brief */

/* Prints err as "corridor: <command>: <formatted error>" to stderr and
 * returns the exit code for err->code. */
int cor_cli_fail(const char *cmd, const cor_err *err);

/* True if argv holds -h or --help (before a "--"). */
int cor_cli_wants_help(int argc, char **argv);

#endif /* COR_CLI_CMD_H */
