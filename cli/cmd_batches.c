/* cli/cmd_batches.c: `corridor batches [--all]`: load batches with their
 * counts, content hash and dropped identifier columns. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "corridor/db.h"

static void usage(FILE *fp)
{
	fprintf(fp, "usage: corridor batches [--all]\n\n"
	        "Lists active load batches (with --all also replaced ones): "
	        "id, format, file,\nrows read/loaded/rejected, seconds, "
	        "SHA-256 prefix, synthetic flag,\ndropped identifier "
	        "columns.\n");
}

int cmd_batches(int argc, char **argv, cor_ctx *ctx)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *params[1];
	PGresult *res;
	cor_err err;
	int c, all = 0;

	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		if (c == 'a') {
			all = 1;
		} else if (c == 'h') {
			usage(stdout);
			return COR_EXIT_OK;
		} else {
			usage(stderr);
			return COR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return COR_EXIT_USAGE;
	}
	cor_err_clear(&err);
	params[0] = all ? "t" : "f";
	res = cor_db_query(ctx->conn,
	                   "SELECT id, format, file_name, rows_read, "
	                   "rows_loaded, rows_rejected, "
	                   "coalesce(to_char(seconds, 'FM999990.00'), ''), "
	                   "left(sha256, 12), synthetic, active, "
	                   "to_char(started_at, 'YYYY-MM-DD HH24:MI'), "
	                   "array_to_string(dropped_columns, ', ') "
	                   "FROM batch WHERE active OR $1::boolean "
	                   "ORDER BY id", 1, params, PGRES_TUPLES_OK, &err);
	if (res == NULL)
		return cor_cli_fail("batches", &err);
	printf("%6s  %-6s %9s %9s %8s %8s  %-12s  %-16s  %s\n", "batch",
	       "format", "read", "loaded", "rejected", "seconds", "sha256",
	       "started", "file");
	for (int i = 0; i < PQntuples(res); i++) {
		const char *syn = PQgetvalue(res, i, 8);
		const char *act = PQgetvalue(res, i, 9);
		const char *drop = PQgetvalue(res, i, 11);

		printf("%6s  %-6s %9s %9s %8s %8s  %-12s  %-16s  %s%s%s\n",
		       PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		       PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		       PQgetvalue(res, i, 5), PQgetvalue(res, i, 6),
		       PQgetvalue(res, i, 7), PQgetvalue(res, i, 10),
		       PQgetvalue(res, i, 2),
		       strcmp(syn, "t") == 0 ? " [synthetic]" : "",
		       strcmp(act, "t") == 0 ? "" : " [replaced]");
		if (*drop != '\0')
			printf("%8s dropped identifier columns: %s\n", "",
			       drop);
	}
	PQclear(res);
	return COR_EXIT_OK;
}
