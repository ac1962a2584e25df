/* cli/cmd_load.c: `corridor load [OPTIONS] FILE...`: one transaction per
 * file; prints a summary per file and the reasons for rejected rows. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "corridor/etl.h"

#define PRINT_REASONS 10

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor load [OPTIONS] FILE...\n\n"
	        "Loads CSV files, one transaction per file. The format is "
	        "detected from\nthe header unless --format is given "
	        "(docs/formats.md).\n\n"
	        "  --format F         cases | ctdc | mmp | unhcr\n"
	        "  --encoding E       utf8 (default, strict) | latin1 | "
	        "cp1252\n"
	        "  --delimiter C      ',' ';' or 'tab' (default: detected)\n"
	        "  --decimal-comma    numbers use ',' decimals and '.' "
	        "thousands\n"
	        "  --date-format F    iso (default) | dmy | mdy | "
	        "excel-serial | auto\n"
	        "  --max-rejects N    commit good rows if at most N are bad; "
	        "bad rows go\n"
	        "                     to the reject table (default 0: any "
	        "bad row refuses\n"
	        "                     the file)\n"
	        "  --replace          replace the active batch of the same "
	        "content or,\n"
	        "                     for new content, every active batch "
	        "of a file of\n"
	        "                     the same name and format (a corrected "
	        "export)\n"
	        "  --synthetic        mark the batch as synthetic data\n"
	        "  -q, --quiet        no progress line, errors only\n\n"
	        "Case ids are stored only as HMAC-SHA-256 pseudonyms keyed by "
	        "$CORRIDOR_HMAC_KEY\nor the file named by "
	        "$CORRIDOR_HMAC_KEY_FILE; a cases file needs one.\n"
	        "Exit: 0 loaded or already loaded, 1 file refused (data "
	        "errors), 4 database\nerror, 5 file unreadable.\n");
}

struct prog {
	const char *name;
	int shown;
};

static void progress(void *ud, long rows, uint64_t bytes, uint64_t total,
                     double secs)
{
	struct prog *p = ud;
	double pct = total > 0 ? 100.0 * (double)bytes / (double)total : 0;

	p->shown = 1;
	fprintf(stderr, "\r%s: %ld rows, %.0f rows/s, %.0f%%   ", p->name,
	        rows, secs > 0 ? (double)rows / secs : 0.0, pct);
	fflush(stderr);
}

static void print_reasons(const char *file, const cor_etl_result *r)
{
	size_t n = r->nreasons < PRINT_REASONS ? r->nreasons : PRINT_REASONS;

	for (size_t i = 0; i < n; i++) {
		const cor_etl_reason *z = &r->reasons[i];

		fprintf(stderr, "corridor: load: %s:%ld: ", file, z->line);
		if (z->column[0] != '\0')
			fprintf(stderr, "column '%s': ", z->column);
		fprintf(stderr, "%s", z->reason);
		if (z->value[0] != '\0')
			fprintf(stderr, " (value '%s')", z->value);
		fputc('\n', stderr);
	}
	if (r->rows_rejected > (long)n)
		fprintf(stderr, "corridor: load: %s: ... and %ld more bad "
		        "row%s\n", file, r->rows_rejected - (long)n,
		        r->rows_rejected - (long)n == 1 ? "" : "s");
}

static void print_summary(const char *file, const cor_etl_result *r,
                          int verbosity)
{
	if (verbosity == 0)
		return;
	printf("%s: read %ld, loaded %ld, rejected %ld (batch %ld, sha256 "
	       "%.12s, %.2fs", file, r->rows_read, r->rows_loaded,
	       r->rows_rejected, r->batch_id, r->sha256, r->seconds);
	if (r->seconds_analyze >= 0.005)
		printf(" incl. %.2fs of planner statistics after the commit",
		       r->seconds_analyze);
	printf(")");
	if (r->replaced_count > 1)
		printf("; replaces %d batches of %s (the last: batch %ld)",
		       r->replaced_count, file, r->replaced_batch);
	else if (r->replaced_batch != 0)
		printf("; replaces batch %ld", r->replaced_batch);
	printf("\n");
	if (r->same_name_batch != 0)
		printf("  note: batch %ld, an earlier load of a file named like "
		       "this one with other content, stays active: both "
		       "count; to swap it, load again with --replace\n",
		       r->same_name_batch);
	if (r->dropped[0] != '\0')
		printf("  dropped identifier columns: %s\n", r->dropped);
	if (r->ignored[0] != '\0' && verbosity > 1)
		printf("  columns not loaded: %s\n", r->ignored);
	else if (r->ignored[0] != '\0')
		printf("  columns not loaded: %.200s%s\n", r->ignored,
		       strlen(r->ignored) > 200 ? "..." : "");
	if (r->format == COR_FMT_CTDC)
		printf("  note: CTDC-coded rows; label third-party extracts as "
		       "such, not as CTDC statistics\n");
	fflush(stdout);
}

int cmd_load(int argc, char **argv, cor_ctx *ctx)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "encoding", required_argument, NULL, 'e' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "decimal-comma", no_argument, NULL, 'c' },
		{ "date-format", required_argument, NULL, 'D' },
		{ "max-rejects", required_argument, NULL, 'm' },
		{ "replace", no_argument, NULL, 'r' },
		{ "synthetic", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cor_etl_opts o;
	unsigned char key[1024];
	size_t keylen = 0;
	int c, worst = COR_EXIT_OK, verbosity = ctx->verbosity;
	cor_err err;
	char *end;

	cor_etl_opts_init(&o);
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.format = cor_etl_format_parse(optarg);
			if (o.format <= 0) {
				fprintf(stderr, "corridor: load: unknown "
				        "format '%s'\n", optarg);
				return COR_EXIT_USAGE;
			}
			break;
		case 'e':
			o.csv.encoding = cor_etl_encoding_parse(optarg);
			if (o.csv.encoding < 0) {
				fprintf(stderr, "corridor: load: unknown "
				        "encoding '%s'\n", optarg);
				return COR_EXIT_USAGE;
			}
			break;
		case 'd':
			if (strcmp(optarg, "tab") == 0 ||
			    strcmp(optarg, "\\t") == 0)
				o.csv.delimiter = '\t';
			else if (strlen(optarg) == 1 && strchr(",;|", *optarg))
				o.csv.delimiter = *optarg;
			else {
				fprintf(stderr, "corridor: load: delimiter "
				        "must be ',', ';', '|' or 'tab'\n");
				return COR_EXIT_USAGE;
			}
			break;
		case 'c':
			o.decimal_comma = 1;
			break;
		case 'D':
			o.datefmt = cor_etl_datefmt_parse(optarg);
			if (o.datefmt < 0 || o.datefmt == COR_DATE_LONG) {
				fprintf(stderr, "corridor: load: unknown date "
				        "format '%s'\n", optarg);
				return COR_EXIT_USAGE;
			}
			break;
		case 'm':
			o.max_rejects = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    o.max_rejects < 0) {
				fprintf(stderr, "corridor: load: --max-rejects "
				        "needs a count >= 0\n");
				return COR_EXIT_USAGE;
			}
			break;
		case 'r':
			o.replace = 1;
			break;
		case 's':
			o.synthetic = 1;
			break;
		case 'q':
			verbosity = 0;
			break;
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
	cor_err_clear(&err);
	c = cor_etl_key_load(key, sizeof(key), &keylen, &err);
	if (c == 0) {
		o.hmac_key = key;
		o.hmac_key_len = keylen;
	} else if (c != COR_ENOTFOUND) {
		return cor_cli_fail("load", &err);
	}
	for (int i = optind; i < argc; i++) {
		const char *file = argv[i];
		cor_etl_result res;
		struct prog p = { file, 0 };
		int rc, ex;

		cor_err_clear(&err);
		if (verbosity > 0 && isatty(2)) {
			o.progress = progress;
			o.progress_ud = &p;
		} else {
			o.progress = NULL;
		}
		rc = cor_etl_load_file(ctx->conn, file, &o, &res, &err);
		if (p.shown)
			fprintf(stderr, "\r\033[K");
		if (rc == 0 && res.already_loaded) {
			if (verbosity > 0)
				printf("%s: already loaded as batch %ld; "
				       "nothing changed\n", file, res.batch_id);
			fflush(stdout);
			continue;
		}
		if (rc == 0) {
			print_summary(file, &res, verbosity);
			if (res.rows_rejected > 0) {
				print_reasons(file, &res);
				if (verbosity > 0)
					printf("  %ld rejected row%s stored: "
					       "corridor rejects %ld\n",
					       res.rows_rejected,
					       res.rows_rejected == 1 ? ""
					                              : "s",
					       res.batch_id);
			}
			continue;
		}
		if (rc == COR_EDATA && res.nreasons > 0) {
			print_reasons(file, &res);
			fprintf(stderr, "corridor: load: %s: refused: read "
			        "%ld, rejected %ld (allowed %ld); nothing "
			        "loaded\n",
			        file, res.rows_read, res.rows_rejected,
			        o.max_rejects);
			ex = COR_EXIT_DATA;
		} else {
			ex = cor_cli_fail("load", &err);
			if (rc == COR_EDB || rc == COR_EDATA)
				fprintf(stderr, "corridor: load: %s: nothing "
				        "loaded (transaction rolled back)\n",
				        file);
		}
		if (worst == COR_EXIT_OK || ex > worst)
			worst = ex;
		if (PQstatus(ctx->conn) != CONNECTION_OK)
			break;      /* the connection is gone */
	}
	memset(key, 0, sizeof(key));
	return worst;
}
