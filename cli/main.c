/* cli/main.c: option parsing, the subcommand table and the one place that
 * turns library statuses into exit codes. */
#include <gsl/gsl_errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "corridor/db.h"

enum { COR_NEEDS_DB = 1 };

/* Pre-check run before the database is opened: returns an exit code to
 * stop with (after printing why), or -1 to go on. Lets a command refuse
 * its arguments with the right exit code even when no server is up.
 * (Prototype belongs in cmd.h; kept here to leave cmd.h untouched.) */
typedef int cor_cmd_check(int argc, char **argv);
cor_cmd_check cmd_brief_check;

static const struct cor_cmd {
	const char *name;
	cor_cmd_fn *fn;
	unsigned flags;
	const char *summary;
	cor_cmd_check *check;   /* NULL: none */
} cmds[] = {
	{ "db",      cmd_db,      COR_NEEDS_DB, "init | status: schema migrations", NULL },
	{ "synth",   cmd_synth,   0,            "write synthetic Southern Route case records", NULL },
	{ "load",    cmd_load,    COR_NEEDS_DB, "load CSV files (cases, ctdc, mmp, unhcr)", NULL },
	{ "batches", cmd_batches, COR_NEEDS_DB, "list load batches", NULL },
	{ "rejects", cmd_rejects, COR_NEEDS_DB, "list rejected rows of a batch", NULL },
	{ "stats",   cmd_stats,   COR_NEEDS_DB, "route and trend statistics", NULL },
	{ "brief",   cmd_brief,   COR_NEEDS_DB, "write a quarterly PDF brief",
	  cmd_brief_check },
};

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor [--db CONNINFO] [-q|-v] COMMAND [ARGS]\n"
	        "       corridor --version | --help\n\n"
	        "Migration route analytics for the Southern Route.\n\n"
	        "Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(fp, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(fp,
	        "\nOptions:\n"
	        "  --db CONNINFO  libpq key=value string or postgresql:// URI\n"
	        "                 (default: PG* environment, service files)\n"
	        "  -q, --quiet    errors only\n"
	        "  -v, --verbose  more detail\n"
	        "  -V, --version  print version\n"
	        "  -h, --help     this help; `corridor COMMAND --help` for one\n\n"
	        "Exit codes: 0 ok, 1 data errors, 2 usage, 3 database "
	        "unavailable,\n4 database error, 5 file error, 6 completed with "
	        "warnings, 7 refused,\n70 internal error.\n");
}

int cor_cli_fail(const char *cmd, const cor_err *err)
{
	char buf[2400];

	fprintf(stderr, "corridor: %s: %s\n", cmd,
	        cor_err_format(err, buf, sizeof(buf)));
	return cor_status_exit(err->code);
}

int cor_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cor_ctx ctx = { NULL, 1, NULL };
	int c, rc;

	/* GSL's default handler aborts; the library checks every status
	 * instead. Process-global, so only here (STYLE 2.4). */
	gsl_set_error_handler_off();
	if (getenv("CORRIDOR_DB") != NULL)
		ctx.conninfo = getenv("CORRIDOR_DB");
	/* "+": stop at the first non-option (the command). */
	while ((c = getopt_long(argc, argv, "+d:qvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			ctx.conninfo = optarg;
			break;
		case 'q':
			ctx.verbosity = 0;
			break;
		case 'v':
			ctx.verbosity = 2;
			break;
		case 'V':
			printf("corridor %s\n", COR_VERSION);
			return COR_EXIT_OK;
		case 'h':
			usage(stdout);
			return COR_EXIT_OK;
		default:
			usage(stderr);
			return COR_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return COR_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cor_cmd *cmd = &cmds[i];
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;

		if (strcmp(sub_argv[0], cmd->name) != 0)
			continue;
		if (cmd->check != NULL) {
			rc = cmd->check(sub_argc, sub_argv);
			if (rc >= 0)
				return rc;
		}
		if ((cmd->flags & COR_NEEDS_DB) &&
		    !cor_cli_wants_help(sub_argc, sub_argv)) {
			cor_err err;

			cor_err_clear(&err);
			ctx.conn = cor_db_connect(ctx.conninfo, &err);
			if (ctx.conn == NULL)
				return cor_cli_fail(cmd->name, &err);
		}
		optind = 1;   /* subcommands run their own getopt */
		rc = cmd->fn(sub_argc, sub_argv, &ctx);
		PQfinish(ctx.conn);
		return rc;
	}
	fprintf(stderr, "corridor: unknown command '%s' (see corridor --help)\n",
	        argv[optind]);
	return COR_EXIT_USAGE;
}
