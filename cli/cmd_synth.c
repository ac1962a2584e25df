/* cli/cmd_synth.c: `corridor synth`: synthetic Southern Route case records
 * in the canonical case format (etl/synth.c does the work). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "corridor/synth.h"

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: corridor synth [--cases N] [--seed S] [--from 2017Q1] [--to 2019Q4]\n"
"                      [-o FILE]\n\n"
"Writes N SYNTHETIC Southern Route case records as canonical case CSV\n"
"(docs/format-cases.md) to FILE, or to standard output. They describe no\n"
"real person: every row has synthetic=1, reporting_org \"corridor synth\n"
"(SYNTHETIC)\" and case_id SYN-<seed>-<n>, and every output made from them\n"
"is marked synthetic. The same options give byte-identical output (GSL\n"
"mt19937 seeded with S; seeds 0 and 4357 give the same stream).\n\n"
"  --cases N     rows (default 10000)\n"
"  --seed S      0 .. 4294967295 (default 1)\n"
"  --from Q      first quarter of registration dates (default 2017Q1)\n"
"  --to Q        last quarter, inclusive (default 2019Q4)\n"
"  -o, --output FILE  written whole or not at all (temporary file, then\n"
"                rename); default standard output\n\n"
"Distributions (details in docs/synth.md):\n"
"  citizenship   ETH 80%%, SOM 8%%, ERI 7%%, KEN 5%%\n"
"  case type     smuggling 70%%, trafficking 22%% (actual 80%% if the case\n"
"                reached its destination, 35%% if intercepted; else\n"
"                possible), vulnerable_migrant 8%%; Kenyan internal cases\n"
"                trafficking 85%%\n"
"  sex           male ~85%%: female 8%% of smuggling, 32%% of trafficking,\n"
"                15%% of vulnerable migrants, 45%% of Kenyan internal\n"
"                cases; other 0.2%%\n"
"  age           minors (12-17) ~15%%: 10%% of smuggling, 25%% of\n"
"                trafficking, 20%% vulnerable, 40%% Kenyan internal;\n"
"                adults 18 + Gamma(2, 4) years (median ~24, max 55)\n"
"  route         Ethiopian origin town (Hosaena 30%%, Durame, Wolaita\n"
"                Sodo, Addis Ababa, Hawassa, ...) -> ET-MOYALE ->\n"
"                KE-MOYALE -> Marsabit and/or Isiolo -> Nairobi ->\n"
"                Namanga (80%%; Loitokitok, Taveta) -> Arusha/Moshi ->\n"
"                Dar es Salaam (40%%) or Dodoma/Iringa -> Mbeya ->\n"
"                Malawi-Tete-Zimbabwe (45%%), Zambia-Zimbabwe (30%%) or\n"
"                Malawi-Mozambique-Ressano Garcia (25%%) -> Musina or\n"
"                Lebombo -> Johannesburg (Pretoria, Cape Town, Durban).\n"
"                Eritreans via Addis Ababa; Somalis via Belet Xaawo ->\n"
"                Mandera -> Wajir/Isiolo or Garissa -> Nairobi. Kenyans:\n"
"                Isiolo as source (origin_admin1 KE011) of internal\n"
"                trafficking to Nairobi/Mombasa/Meru (50%%), Isiolo as\n"
"                destination from Marsabit/Samburu/Turkana (30%%), Isiolo\n"
"                emigrants on the route (20%%); 12%% of foreign\n"
"                trafficking cases end in Isiolo or Nairobi.\n"
"  interception  per-place hazard (e.g. KE-MOYALE 18%%, Namanga 12%%,\n"
"                Isiolo 12%%) x 0.6 at each transit step; ~50%% of cases\n"
"                are intercepted (route ends there, interception_place =\n"
"                last step); identification_county = county of a Kenyan\n"
"                interception or destination\n"
"  dates         registrations by month: dry-season weights (Dec-Mar,\n"
"                Jul-Sep high; Apr-May, Oct-Nov low) x trend +12.7%%/year;\n"
"                legs 1 + Gamma(1.5, hold/1.5) days (hold: Nairobi 14,\n"
"                Dar 8, Beitbridge 6, ...); registration 0-3 days after\n"
"                interception, 14 + Gamma(2, 60) days after arrival;\n"
"                route step dates on 70%% of rows, ends only 20%%\n"
"  fee_usd       lognormal, median 3,500 x (0.2 + 0.8 x share of route\n"
"                travelled), sigma 0.4; 120 USD inside Kenya (sigma 0.6)\n"
"  exploitation  forced_labour (men), sexual_exploitation, domestic\n"
"                servitude, forced_marriage (women and girls),\n"
"                child_labour (minors only); 15%% with two types\n"
"  nrm_referral  yes for 65%% of trafficking, 25%% vulnerable, 4%%\n"
"                smuggling; date 0+ days after registration\n"
"  missing       1-30%% empty cells per column (e.g. sex 1%%, age 3%%,\n"
"                origin_admin1 25%%, fee 10-30%%, recruiter 10%%)\n");
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char *end;
	unsigned long x;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

int cmd_synth(int argc, char **argv, cor_ctx *ctx)
{
	static const struct option opts[] = {
		{ "cases", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cor_synth_opts o = { 10000, 1, 2017, 1, 2019, 4 };
	const char *path = NULL;
	char tmp[4096] = "";
	FILE *fp = stdout;
	cor_err err;
	struct timespec t0, t1;
	double secs;
	int c, rc;

	cor_err_clear(&err);
	optind = 0;
	while ((c = getopt_long(argc, argv, "+n:s:f:t:o:h", opts, NULL))
	       != -1) {
		switch (c) {
		case 'n':
			if (parse_ulong(optarg, 1000000000UL, &o.n_cases)) {
				fprintf(stderr, "corridor: synth: --cases "
				        "'%s': expected 0 .. 1000000000\n",
				        optarg);
				return COR_EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_ulong(optarg, 0xffffffffUL, &o.seed)) {
				fprintf(stderr, "corridor: synth: --seed '%s': "
				        "expected 0 .. 4294967295\n", optarg);
				return COR_EXIT_USAGE;
			}
			break;
		case 'f':
		case 't': {
			int *yr = c == 'f' ? &o.from_year : &o.to_year;
			int *qr = c == 'f' ? &o.from_q : &o.to_q;

			if (cor_synth_parse_quarter(optarg, yr, qr, &err)
			    != COR_OK) {
				fprintf(stderr, "corridor: synth: --%s: %s\n",
				        c == 'f' ? "from" : "to", err.msg);
				return COR_EXIT_USAGE;
			}
			break;
		}
		case 'o':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return COR_EXIT_OK;
		default:
			usage(stderr);
			return COR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "corridor: synth: unexpected argument '%s'\n",
		        argv[optind]);
		return COR_EXIT_USAGE;
	}
	if (o.to_year * 4 + o.to_q < o.from_year * 4 + o.from_q) {
		fprintf(stderr, "corridor: synth: --to %dQ%d is before --from "
		        "%dQ%d\n", o.to_year, o.to_q, o.from_year, o.from_q);
		return COR_EXIT_USAGE;
	}
	if (path != NULL && strcmp(path, "-") != 0) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
		                     (long)getpid()) >= sizeof(tmp)) {
			fprintf(stderr, "corridor: synth: path too long\n");
			return COR_EXIT_USAGE;
		}
		fp = fopen(tmp, "wb");
		if (fp == NULL) {
			cor_err_at(&err, COR_EIO, path, 0, NULL,
			           "cannot write: %s", strerror(errno));
			return cor_cli_fail("synth", &err);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cor_synth_write(fp, &o, &err);
	if (fp != stdout) {
		if (fclose(fp) != 0 && rc == COR_OK)
			rc = cor_err_set(&err, COR_EIO, "close failed: %s",
			                 strerror(errno));
		if (rc == COR_OK && rename(tmp, path) != 0)
			rc = cor_err_set(&err, COR_EIO, "rename failed: %s",
			                 strerror(errno));
		if (rc != COR_OK)
			unlink(tmp);
	}
	if (rc != COR_OK) {
		if (path != NULL && err.file[0] == '\0')
			snprintf(err.file, sizeof(err.file), "%s", path);
		return cor_cli_fail("synth", &err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (ctx->verbosity > 0)
		fprintf(stderr, "corridor: synth: %lu SYNTHETIC case records "
		        "(seed %lu, %dQ%d-%dQ%d) to %s in %.2f s "
		        "(%.0f rows/s)\n",
		        o.n_cases, o.seed, o.from_year, o.from_q, o.to_year,
		        o.to_q, path ? path : "standard output", secs,
		        secs > 0 ? (double)o.n_cases / secs : 0.0);
	return COR_EXIT_OK;
}
