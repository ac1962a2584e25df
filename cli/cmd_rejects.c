/* cli/cmd_rejects.c: `corridor rejects [BATCH]`: rejected rows of a batch
 * (line, column, reason; never row content). Without BATCH: the latest
 * batch that has rejects. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "corridor/db.h"

static void usage(FILE *fp)
{
	fprintf(fp, "usage: corridor rejects [--limit N] [BATCH]\n\n"
	        "Lists the rows rejected in a batch loaded with --max-rejects "
	        "(physical line,\ncolumn, reason). Default: the latest batch "
	        "with rejects; --limit 0 = all\n(default 100).\n");
}

int cmd_rejects(int argc, char **argv, cor_ctx *ctx)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *params[2];
	char limit[24] = "100", *end;
	PGresult *res;
	cor_err err;
	int c;

	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		if (c == 'l') {
			long n = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || n < 0) {
				fprintf(stderr, "corridor: rejects: --limit "
				        "needs a count >= 0\n");
				return COR_EXIT_USAGE;
			}
			snprintf(limit, sizeof(limit), "%ld", n);
		} else if (c == 'h') {
			usage(stdout);
			return COR_EXIT_OK;
		} else {
			usage(stderr);
			return COR_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return COR_EXIT_USAGE;
	}
	if (optind < argc) {
		strtol(argv[optind], &end, 10);
		if (*argv[optind] == '\0' || *end != '\0') {
			fprintf(stderr, "corridor: rejects: BATCH must be a "
			        "batch id\n");
			return COR_EXIT_USAGE;
		}
	}
	cor_err_clear(&err);
	params[0] = optind < argc ? argv[optind] : NULL;
	params[1] = limit;
	res = cor_db_query(ctx->conn,
	                   "WITH b AS (SELECT coalesce($1::bigint, (SELECT "
	                   "max(batch_id) FROM reject)) AS id) "
	                   "SELECT b.id, x.file_name, x.rows_rejected, "
	                   "r.line, coalesce(r.column_name, ''), r.reason "
	                   "FROM b JOIN batch x ON x.id = b.id "
	                   "LEFT JOIN reject r ON r.batch_id = b.id "
	                   "ORDER BY r.line "
	                   "LIMIT nullif($2::bigint, 0)", 2, params,
	                   PGRES_TUPLES_OK, &err);
	if (res == NULL)
		return cor_cli_fail("rejects", &err);
	if (PQntuples(res) == 0) {
		PQclear(res);
		if (params[0] != NULL) {
			fprintf(stderr, "corridor: rejects: no batch %s\n",
			        params[0]);
			return COR_EXIT_DATA;
		}
		printf("no rejected rows\n");
		return COR_EXIT_OK;
	}
	printf("batch %s (%s): %s rejected row(s)\n", PQgetvalue(res, 0, 0),
	       PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 3))
			continue;
		printf("  line %s: %s%s%s%s\n", PQgetvalue(res, i, 3),
		       *PQgetvalue(res, i, 4) ? "column '" : "",
		       PQgetvalue(res, i, 4),
		       *PQgetvalue(res, i, 4) ? "': " : "",
		       PQgetvalue(res, i, 5));
	}
	PQclear(res);
	return COR_EXIT_OK;
}
