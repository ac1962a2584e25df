/* cli/cmd_brief.c: `corridor brief --quarter 2019Q4 [--county KE011]
 * [--k N] -o FILE.pdf`: the quarterly PDF brief (reports/brief.c).
 * Disclosure control is always on: --no-suppress is refused (exit 7). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "corridor/pdf.h"

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor brief --quarter YYYYQn [--county PCODE] "
	        "[--k N] -o FILE.pdf\n\n"
	        "Writes the quarterly Southern Route brief (A4 PDF) from the "
	        "loaded data.\n\n"
	        "  --quarter Q     calendar quarter, e.g. 2019Q4 (required)\n"
	        "  --county PCODE  Kenyan county brief, e.g. KE011 (Isiolo)\n"
	        "  --k N           disclosure threshold (default 5, >= 2)\n"
	        "  -o, --output F  output file (written atomically)\n\n"
	        "The document date is $SOURCE_DATE_EPOCH when set, else the "
	        "date of the\nlatest load: the same data gives the same "
	        "bytes. Disclosure control\ncannot be switched off for a "
	        "brief (--no-suppress is refused, exit 7).\n");
}

/* Called by main before it connects: refuses --no-suppress (any
 * abbreviation getopt_long would accept) with exit 7, so the answer does
 * not depend on a server being up. Option values are skipped. Returns
 * the exit code, or -1 to go on. */
int cmd_brief_check(int argc, char **argv);
int cmd_brief_check(int argc, char **argv)
{
	static const char *const with_arg[] = { "--quarter", "--county",
		"--k", "--output", NULL };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strlen(a);

		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "-o") == 0) {
			i++;
			continue;
		}
		if (n >= 3 && strncmp(a, "--", 2) == 0 &&
		    strchr(a, '=') == NULL) {
			int skip = 0;

			if (strncmp("--no-suppress", a, n) == 0) {
				fprintf(stderr, "corridor: brief: --no-suppress "
				        "is refused: a brief is for publication "
				        "and disclosure control is always on\n");
				return COR_EXIT_PERM;
			}
			for (int j = 0; with_arg[j] != NULL; j++)
				skip |= strncmp(with_arg[j], a, n) == 0;
			i += skip;
		}
	}
	return -1;
}

int cmd_brief(int argc, char **argv, cor_ctx *ctx)
{
	static const struct option opts[] = {
		{ "quarter", required_argument, NULL, 'q' },
		{ "county", required_argument, NULL, 'c' },
		{ "k", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-suppress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cor_brief_req req;
	cor_brief_info info;
	cor_err err;
	const char *out = NULL;
	int c, rc;

	memset(&req, 0, sizeof(req));
	req.k = 5;
	req.date = -1;
	cor_err_clear(&err);
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			req.quarter = optarg;
			break;
		case 'c':
			req.county = optarg;
			break;
		case 'k': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 2 || v > 1000) {
				fprintf(stderr, "corridor: brief: --k must be an "
				        "integer from 2 to 1000, not '%s'\n",
				        optarg);
				return COR_EXIT_USAGE;
			}
			req.k = (int)v;
			break;
		}
		case 'o':
			out = optarg;
			break;
		case 'N':
			fprintf(stderr, "corridor: brief: --no-suppress is "
			        "refused: a brief is for publication and "
			        "disclosure control is always on\n");
			return COR_EXIT_PERM;
		case 'h':
			usage(stdout);
			return COR_EXIT_OK;
		default:
			usage(stderr);
			return COR_EXIT_USAGE;
		}
	}
	if (optind < argc || req.quarter == NULL || out == NULL) {
		fprintf(stderr, "corridor: brief: %s\n", optind < argc ?
		        "unexpected argument" : req.quarter == NULL ?
		        "--quarter is required" : "-o FILE.pdf is required");
		usage(stderr);
		return COR_EXIT_USAGE;
	}
	{
		long long sde = cor_pdf_source_date(-1);

		if (sde >= 0)
			req.date = sde;
	}
	rc = cor_brief_write(ctx->conn, &req, out, &info, &err);
	if (rc != 0)
		return cor_cli_fail("brief", &err);
	if (ctx->verbosity > 0)
		printf("wrote %s: %d pages, %ld cells suppressed (k = %d), "
		       "%d statement%s of missing data%s; statistics %.0f ms, "
		       "rendering %.0f ms\n", out, info.pages,
		       info.cells_suppressed, req.k, info.warnings,
		       info.warnings == 1 ? "" : "s",
		       info.synthetic ? ", SYNTHETIC DATA" : "",
		       info.seconds_stats * 1e3, info.seconds_render * 1e3);
	/* missing data is stated inside the brief; the brief is complete */
	return COR_EXIT_OK;
}
