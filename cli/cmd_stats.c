/* cli/cmd_stats.c: `corridor stats KIND [options]`: route and trend
 * statistics with confidence intervals and disclosure control. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "corridor/stats.h"

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor stats KIND [options]\n\n"
	        "Kinds: overview trend od segments nodes routes profile "
	        "counties\n       incidents stocks brief\n\n"
	        "Options:\n"
	        "  --from P, --to P   window: quarter 2019Q1, month 2019-11, "
	        "year 2019\n"
	        "                     or ISO date 2019-11-05 (inclusive; "
	        "calendar dates\n"
	        "                     as recorded, no time zone)\n"
	        "  --by month|quarter|year   period of series (default "
	        "quarter)\n"
	        "  --case-type T      trafficking | smuggling | "
	        "vulnerable_migrant\n"
	        "  --citizenship ISO3 ISO 3166-1 alpha-3, e.g. ETH\n"
	        "  --sex S            male | female | other\n"
	        "                     (these three only with --no-suppress:\n"
	        "                     with disclosure control they are\n"
	        "                     refused, as their outputs add up;\n"
	        "                     so are windows other than one\n"
	        "                     quarter, trend: whole quarters)\n"
	        "  --county PCODE     Kenyan county KE001-KE047, e.g. KE011 "
	        "(identified in,\n"
	        "                     from, or routed through the county)\n"
	        "  --source B         batch id or format. Case statistics "
	        "default to\n"
	        "                     format cases (the Southern Route case "
	        "records);\n"
	        "                     ctdc selects the CTDC global extract "
	        "(registration\n"
	        "                     year only), never mixed in by default. "
	        "incidents\n"
	        "                     and stocks read mmp and unhcr.\n"
	        "  --k N              disclosure threshold (default %d): "
	        "counts 1..k-1\n"
	        "                     are suppressed, with complementary "
	        "suppression\n"
	        "  --top N            routes listed by `routes` (default %d)\n"
	        "  --buffer-km X      incidents: distance to a corridor leg "
	        "(default %.0f)\n"
	        "  --format F         text | csv | json (default text)\n"
	        "  --hxl              CSV with an HXL hashtag row\n"
	        "  --no-suppress      owner of case_record only; output "
	        "marked NOT FOR\n"
	        "                     PUBLICATION on every line; refused with "
	        "--hxl\n"
	        "  -o FILE            write to FILE instead of stdout\n\n"
	        "Exit status: 0 ok, 2 usage, 3/4 database, 5 file, 6 "
	        "completed with\nwarnings (a statistic not estimable), 7 "
	        "refused.\n",
	        cor_stats_k_default(), COR_STATS_TOP_DEFAULT,
	        COR_STATS_BUFFER_KM);
}

static int usage_err(const char *msg, const char *arg)
{
	fprintf(stderr, "corridor: stats: %s%s%s\n", msg,
	        arg != NULL ? ": " : "", arg != NULL ? arg : "");
	fprintf(stderr, "see corridor stats --help\n");
	return COR_EXIT_USAGE;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_stats(int argc, char **argv, cor_ctx *ctx)
{
	enum { O_FROM = 256, O_TO, O_BY, O_CT, O_CIT, O_SEX, O_COUNTY,
	       O_SOURCE, O_K, O_FORMAT, O_HXL, O_NOSUP, O_BUF, O_TOP };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "by", required_argument, NULL, O_BY },
		{ "case-type", required_argument, NULL, O_CT },
		{ "citizenship", required_argument, NULL, O_CIT },
		{ "sex", required_argument, NULL, O_SEX },
		{ "county", required_argument, NULL, O_COUNTY },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "k", required_argument, NULL, O_K },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "hxl", no_argument, NULL, O_HXL },
		{ "no-suppress", no_argument, NULL, O_NOSUP },
		{ "buffer-km", required_argument, NULL, O_BUF },
		{ "top", required_argument, NULL, O_TOP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cor_stats_req req;
	cor_stats_result *res = NULL;
	cor_err err;
	const char *format = "text", *outpath = NULL;
	int c, hxl = 0, rc, owner = 0;
	FILE *fp = stdout;
	char *end;

	cor_err_clear(&err);
	cor_stats_req_init(&req);
	/* 0 makes glibc re-initialise getopt: main parsed its options in
	 * "+" (stop at the command) mode; here options may follow KIND. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case O_FROM:
			if (cor_stats_parse_bound(optarg, 0, req.from, &err))
				return usage_err(err.msg, NULL);
			break;
		case O_TO:
			if (cor_stats_parse_bound(optarg, 1, req.to, &err))
				return usage_err(err.msg, NULL);
			break;
		case O_BY:
			if (cor_stats_by_parse(optarg, &req.by, &err))
				return usage_err(err.msg, NULL);
			break;
		case O_CT:
			req.case_type = optarg;
			break;
		case O_CIT:
			req.citizenship = optarg;
			break;
		case O_SEX:
			req.sex = optarg;
			break;
		case O_COUNTY:
			req.county = optarg;
			break;
		case O_SOURCE:
			req.source = optarg;
			break;
		case O_K:
			if (parse_int(optarg, 2, 1000, &req.k))
				return usage_err("--k must be 2..1000", optarg);
			break;
		case O_TOP:
			if (parse_int(optarg, 1, 10000, &req.top))
				return usage_err("--top must be 1..10000",
				                 optarg);
			break;
		case O_FORMAT:
			if (strcmp(optarg, "text") != 0 &&
			    strcmp(optarg, "csv") != 0 &&
			    strcmp(optarg, "json") != 0)
				return usage_err("--format: expected text, csv "
				                 "or json", optarg);
			format = optarg;
			break;
		case O_HXL:
			hxl = 1;
			break;
		case O_NOSUP:
			req.no_suppress = 1;
			break;
		case O_BUF:
			req.buffer_km = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !isfinite(req.buffer_km) || req.buffer_km <= 0.0 ||
			    req.buffer_km > 2000.0)
				return usage_err("--buffer-km must be a number "
				                 "in (0, 2000]", optarg);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return COR_EXIT_OK;
		default:
			return usage_err("bad option", NULL);
		}
	}
	if (optind + 1 != argc)
		return usage_err("expected exactly one KIND", NULL);
	if (cor_stats_kind_parse(argv[optind], &req.kind, &err) != 0)
		return usage_err(err.msg, NULL);
	if (hxl && strcmp(format, "csv") != 0) {
		if (strcmp(format, "text") != 0)
			return usage_err("--hxl needs --format csv", NULL);
		format = "csv";
	}
	if (req.no_suppress && hxl) {
		fprintf(stderr, "corridor: stats: --no-suppress is refused "
		        "with --hxl (HXL output is for publication)\n");
		return COR_EXIT_PERM;
	}
	if (req.no_suppress) {
		if (cor_stats_is_owner(ctx->conn, &owner, &err) != 0)
			return cor_cli_fail("stats", &err);
		if (!owner) {
			fprintf(stderr, "corridor: stats: --no-suppress is "
			        "refused: only the owner of case_record may "
			        "see unsuppressed counts\n");
			return COR_EXIT_PERM;
		}
	}
	rc = cor_stats_run(ctx->conn, &req, &res, &err);
	if (rc != 0)
		return cor_cli_fail("stats", &err);
	if (outpath != NULL) {
		fp = fopen(outpath, "w");
		if (fp == NULL) {
			cor_err_set(&err, COR_EIO, "cannot write %s", outpath);
			cor_stats_result_free(res);
			return cor_cli_fail("stats", &err);
		}
	}
	if (strcmp(format, "json") == 0)
		rc = cor_stats_write_json(fp, res, &err);
	else if (strcmp(format, "csv") == 0)
		rc = cor_stats_write_csv(fp, res, hxl, &err);
	else
		rc = cor_stats_write_text(fp, res, &err);
	if (outpath != NULL && fclose(fp) != 0 && rc == 0)
		rc = cor_err_set(&err, COR_EIO, "cannot write %s", outpath);
	if (rc != 0) {
		cor_stats_result_free(res);
		return cor_cli_fail("stats", &err);
	}
	if (ctx->verbosity > 0) {
		for (int i = 0; i < res->nwarn; i++)
			if (strncmp(res->warnings[i], "trend not estimable",
			            19) == 0)
				fprintf(stderr, "corridor: stats: %s\n",
				        res->warnings[i]);
	}
	rc = COR_EXIT_OK;
	for (int i = 0; i < res->nwarn; i++)
		if (strstr(res->warnings[i], "not estimable") != NULL)
			rc = COR_EXIT_WARN;
	cor_stats_result_free(res);
	return rc;
}
