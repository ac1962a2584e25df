/* cli/cmd_db.c: `corridor db init | status`: schema migrations. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "corridor/db.h"

#define SQL_DIR_HELP \
	"  --sql-dir DIR  migration files (default: $COR_SQL_DIR, else\n" \
	"                 the installed share directory, else ./sql)\n"

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor db init [--sql-dir DIR]\n"
	        "       corridor db status [--sql-dir DIR]\n\n"
	        "init    applies every sql/NNN_*.sql migration not yet\n"
	        "        recorded in corridor_migration, in file-name order,\n"
	        "        each in its own transaction; a second run changes\n"
	        "        nothing and says so. Concurrent runs serialise on an\n"
	        "        advisory lock.\n"
	        "status  lists applied migrations with their dates and\n"
	        "        SHA-256, and the files still pending.\n\n"
	        SQL_DIR_HELP "\n"
	        "Exit: 0 ok, 1 an applied file has changed, 3 database\n"
	        "unavailable, 4 database error (the failing migration is\n"
	        "rolled back), 5 file error.\n");
}

static void init_usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor db init [--sql-dir DIR]\n\n"
	        "Applies pending schema migrations (sql/NNN_*.sql) in order,\n"
	        "each in one transaction, recording version, SHA-256 and\n"
	        "time in corridor_migration. Running it again applies\n"
	        "nothing and prints \"schema up to date\". A recorded file\n"
	        "whose content changed is an error (exit 1).\n\n"
	        SQL_DIR_HELP);
}

static void status_usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor db status [--sql-dir DIR]\n\n"
	        "Lists the migrations recorded in corridor_migration\n"
	        "(version, time applied, SHA-256 prefix) and the files in\n"
	        "DIR not yet applied (pending) or changed since applied.\n"
	        "Exit 0, or 1 if an applied file has changed.\n\n"
	        SQL_DIR_HELP);
}

/* Parses [--sql-dir DIR] [-h]; returns -1 to go on, else an exit code. */
static int parse(int argc, char **argv, const char **dir,
                 void (*help)(FILE *))
{
	static const struct option opts[] = {
		{ "sql-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;   /* full reset of glibc getopt state */
	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			*dir = optarg;
			break;
		case 'h':
			help(stdout);
			return COR_EXIT_OK;
		default:
			help(stderr);
			return COR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "corridor: db %s: unexpected argument '%s'\n",
		        argv[0], argv[optind]);
		return COR_EXIT_USAGE;
	}
	return -1;
}

/* Number of rows in corridor_migration, or -1 (err set). */
static long count_applied(PGconn *conn, cor_err *err)
{
	PGresult *res = cor_db_query(conn,
	                             "SELECT count(*) FROM corridor_migration",
	                             0, NULL, PGRES_TUPLES_OK, err);
	long n;

	if (res == NULL)
		return -1;
	n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static int db_init(int argc, char **argv, cor_ctx *ctx)
{
	const char *dir = cor_db_sql_dir();
	cor_err err;
	int applied = 0, rc;
	long total;

	rc = parse(argc, argv, &dir, init_usage);
	if (rc >= 0)
		return rc;
	cor_err_clear(&err);
	rc = cor_db_migrate(ctx->conn, dir, &applied, &err);
	if (rc != COR_OK) {
		if (applied > 0)
			fprintf(stderr, "corridor: db init: %d migration%s "
			        "applied before the error\n", applied,
			        applied == 1 ? "" : "s");
		return cor_cli_fail("db init", &err);
	}
	total = count_applied(ctx->conn, &err);
	if (total < 0)
		return cor_cli_fail("db init", &err);
	if (ctx->verbosity == 0)
		return COR_EXIT_OK;
	if (applied == 0)
		printf("schema up to date (%ld migration%s applied earlier)\n",
		       total, total == 1 ? "" : "s");
	else
		printf("applied %d migration%s from %s; schema up to date "
		       "(%ld in total)\n", applied, applied == 1 ? "" : "s",
		       dir, total);
	return COR_EXIT_OK;
}

static int db_status(int argc, char **argv, cor_ctx *ctx)
{
	const char *dir = cor_db_sql_dir();
	cor_migration *files = NULL;
	size_t nfiles = 0;
	PGresult *res = NULL;
	cor_err err;
	int rc, npending = 0, nchanged = 0, napplied;
	int have_table;

	rc = parse(argc, argv, &dir, status_usage);
	if (rc >= 0)
		return rc;
	cor_err_clear(&err);
	res = cor_db_query(ctx->conn, "SELECT to_regclass("
	                   "'corridor_migration') IS NOT NULL",
	                   0, NULL, PGRES_TUPLES_OK, &err);
	if (res == NULL)
		return cor_cli_fail("db status", &err);
	have_table = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	res = NULL;
	if (have_table) {
		res = cor_db_query(ctx->conn,
		                   "SELECT version, to_char(applied_at, "
		                   "'YYYY-MM-DD HH24:MI:SS TZ'), sha256 "
		                   "FROM corridor_migration ORDER BY version",
		                   0, NULL, PGRES_TUPLES_OK, &err);
		if (res == NULL)
			return cor_cli_fail("db status", &err);
	}
	napplied = res != NULL ? PQntuples(res) : 0;
	if (cor_db_migration_list(dir, &files, &nfiles, &err) != COR_OK) {
		rc = cor_cli_fail("db status", &err);
		goto out;
	}
	if (napplied == 0)
		printf("no migrations applied (run: corridor db init)\n");
	else
		printf("%-28s %-24s %s\n", "applied", "at", "sha256");
	for (int i = 0; i < napplied; i++) {
		const char *v = PQgetvalue(res, i, 0);
		const char *note = "  (no file in migration directory)";

		for (size_t j = 0; j < nfiles; j++) {
			if (strcmp(files[j].version, v) != 0)
				continue;
			note = "";
			if (strcmp(files[j].sha256,
			           PQgetvalue(res, i, 2)) != 0) {
				note = "  CHANGED since applied";
				nchanged++;
			}
		}
		printf("%-28s %-24s %.12s%s\n", v, PQgetvalue(res, i, 1),
		       PQgetvalue(res, i, 2), note);
	}
	for (size_t j = 0; j < nfiles; j++) {
		int applied = 0;

		for (int i = 0; i < napplied; i++)
			if (strcmp(files[j].version,
			           PQgetvalue(res, i, 0)) == 0)
				applied = 1;
		if (!applied) {
			printf("pending: %s\n", files[j].version);
			npending++;
		}
	}
	if (npending == 0 && nchanged == 0)
		printf("schema up to date (%d migration%s)\n", napplied,
		       napplied == 1 ? "" : "s");
	else if (npending > 0)
		printf("%d pending migration%s (run: corridor db init)\n",
		       npending, npending == 1 ? "" : "s");
	rc = nchanged > 0 ? COR_EXIT_DATA : COR_EXIT_OK;
	if (nchanged > 0)
		fprintf(stderr, "corridor: db status: %d applied migration "
		        "file%s changed since applied\n", nchanged,
		        nchanged == 1 ? "" : "s");
out:
	cor_db_migration_free(files, nfiles);
	PQclear(res);
	return rc;
}

int cmd_db(int argc, char **argv, cor_ctx *ctx)
{
	if (argc < 2) {
		usage(stderr);
		return COR_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return COR_EXIT_OK;
	}
	if (strcmp(argv[1], "init") == 0)
		return db_init(argc - 1, argv + 1, ctx);
	if (strcmp(argv[1], "status") == 0)
		return db_status(argc - 1, argv + 1, ctx);
	fprintf(stderr, "corridor: db: unknown action '%s' (init, status)\n",
	        argv[1]);
	return COR_EXIT_USAGE;
}
