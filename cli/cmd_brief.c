/* cli/cmd_brief.c: `corridor brief --quarter 2019Q4 [--county KE011]
 * [--k N] -o FILE.pdf`: the quarterly PDF brief (reports/brief.c), and
 * `--county all -o DIR`: one brief per Kenyan county, written by --jobs
 * worker processes. Disclosure control is always on: --no-suppress is
 * refused (exit 7). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corridor/db.h"

#include "cmd.h"
#include "corridor/pdf.h"
#include "corridor/stats.h"

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: corridor brief --quarter YYYYQn [--county PCODE] "
	        "[--k N] -o FILE.pdf\n"
	        "       corridor brief --quarter YYYYQn --county all "
	        "[--jobs N] [--k N] -o DIR\n\n"
	        "Writes the quarterly Southern Route brief (A4 PDF) from the "
	        "loaded data.\n\n"
	        "  --quarter Q     calendar quarter, e.g. 2019Q4 (required)\n"
	        "  --county PCODE  Kenyan county brief, e.g. KE011 (Isiolo);\n"
	        "                  all: one brief per Kenyan county, written "
	        "to\n"
	        "                  DIR/brief-Q-PCODE.pdf (DIR is created)\n"
	        "  --jobs N        with --county all: worker processes, each "
	        "with\n"
	        "                  its own connection (1-64; default: the "
	        "number of\n"
	        "                  CPUs, at most 8)\n"
	        "  --k N           disclosure threshold: this installation's\n"
	        "                  (CORRIDOR_K, default 5); another is refused\n"
	        "  -o, --output F  output file (written atomically), or "
	        "directory\n\n"
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
		"--k", "--output", "--jobs", NULL };

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

/* Parses option opt's value s as an integer in [lo, hi] into *out.
 * Returns 0, or prints why and returns COR_EXIT_USAGE. */
static int int_opt(const char *opt, const char *s, long lo, long hi,
                   long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "corridor: brief: %s must be an integer from "
		        "%ld to %ld, not '%s'\n", opt, lo, hi, s);
		return COR_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static void report(const cor_ctx *ctx, const char *out,
                   const cor_brief_req *req, const cor_brief_info *info)
{
	if (ctx->verbosity > 0) {
		printf("wrote %s: %d pages, %ld cells suppressed (k = %d), "
		       "%d statement%s of missing data%s; statistics %.0f ms, "
		       "rendering %.0f ms\n", out, info->pages,
		       info->cells_suppressed, req->k, info->warnings,
		       info->warnings == 1 ? "" : "s",
		       info->synthetic ? ", SYNTHETIC DATA" : "",
		       info->seconds_stats * 1e3, info->seconds_render * 1e3);
		fflush(stdout);
	}
}

/* Briefs of counties[i] for each index i read from fd (4-byte ints, until
 * end of file) on conn; req->national is set. Returns the worst exit
 * code. */
static int county_worker(PGconn *conn, const cor_ctx *ctx,
                         cor_brief_req req, char *const *counties,
                         cor_stats_result *const *stats, const char *dir,
                         int fd)
{
	int i, worst = COR_EXIT_OK;

	while (read(fd, &i, sizeof(i)) == (ssize_t)sizeof(i)) {
		char path[4096];
		cor_brief_info info;
		cor_err err;

		cor_err_clear(&err);
		req.county = counties[i];
		req.county_stats = stats[i];
		snprintf(path, sizeof(path), "%s/brief-%s-%s.pdf", dir,
		         req.quarter, counties[i]);
		if (cor_brief_write(conn, &req, path, &info, &err) != 0) {
			int rc = cor_cli_fail("brief", &err);

			if (rc > worst)
				worst = rc;
			continue;
		}
		report(ctx, path, &req, &info);
	}
	return worst;
}

/* --county all: the Kenyan counties of the reference table (admin1 of
 * KEN). Their statistics are computed first, as one family suppressed
 * together (cor_brief_county_family, on `jobs` connections in
 * parallel); the briefs are then drawn by `jobs` worker processes, which
 * take the counties one at a time from a pipe so that the few large
 * counties do not queue behind each other. Each worker opens its own
 * connection (a forked process must never use its parent's). Each brief
 * is the same file `--county PCODE` writes. */
static int all_counties(cor_ctx *ctx, const cor_brief_req *req,
                        const char *dir, long jobs)
{
	cor_err err;
	int n = 0, fds[2] = { -1, -1 }, worst = COR_EXIT_OK;
	long started = 0, nconn = 0;
	struct stat st;
	cor_brief_req wr = *req;
	cor_stats_result *nat = NULL, **stats = NULL;
	cor_stats_cgraph *g = NULL;
	PGconn **conns = NULL;

	cor_err_clear(&err);
	/* checked once here, not once per county */
	if (cor_brief_check_quarter(req->quarter, &err) != 0)
		return cor_cli_fail("brief", &err);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "corridor: brief: cannot create directory "
		        "%s: %s\n", dir, strerror(errno));
		return COR_EXIT_IO;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "corridor: brief: %s: not a directory (--county "
		        "all writes one file per county into -o DIR)\n", dir);
		return COR_EXIT_IO;
	}
	/* the national statistics every county brief's disclosure control
	 * is linked to: once, before the workers start (they inherit it) */
	if (cor_brief_national(ctx->conn, req, &nat, &err) != 0) {
		worst = cor_cli_fail("brief", &err);
		goto out;
	}
	wr.national = nat;
	/* the counties' statistics, one connection per job */
	conns = calloc((size_t)jobs, sizeof(*conns));
	if (conns == NULL) {
		fprintf(stderr, "corridor: brief: out of memory\n");
		worst = COR_EXIT_INTERNAL;
		goto out;
	}
	conns[nconn++] = ctx->conn;
	while (nconn < jobs) {
		conns[nconn] = cor_db_connect(ctx->conninfo, &err);
		if (conns[nconn] == NULL) {
			worst = cor_cli_fail("brief", &err);
			goto out;
		}
		nconn++;
	}
	if (cor_brief_county_family(conns, (int)nconn, &wr, &g, &stats,
	                            &err) != 0) {
		worst = cor_cli_fail("brief", &err);
		goto out;
	}
	n = g->n;
	if (n == 0) {
		fprintf(stderr, "corridor: brief: no Kenyan counties in the "
		        "reference tables (run corridor db init)\n");
		worst = COR_EXIT_DATA;
		goto out;
	}
	if (jobs > n)
		jobs = n;
	if (pipe(fds) != 0) {
		fprintf(stderr, "corridor: brief: pipe: %s\n", strerror(errno));
		worst = COR_EXIT_IO;
		goto out;
	}
	/* the whole work list fits in the pipe (47 x 4 bytes) */
	for (int i = 0; i < n; i++)
		if (write(fds[1], &i, sizeof(i)) != (ssize_t)sizeof(i)) {
			fprintf(stderr, "corridor: brief: pipe: %s\n",
			        strerror(errno));
			worst = COR_EXIT_IO;
			goto out;
		}
	close(fds[1]);
	fds[1] = -1;
	if (jobs <= 1) {
		worst = county_worker(ctx->conn, ctx, wr, g->pcode, stats, dir,
		                      fds[0]);
		goto out;
	}
	/* the family's extra connections are not for the children */
	for (long j = 1; j < nconn; j++)
		PQfinish(conns[j]);
	nconn = 1;
	fflush(stdout);
	fflush(stderr);
	for (long j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "corridor: brief: fork: %s\n",
			        strerror(errno));
			worst = COR_EXIT_IO;
			break;
		}
		if (pid == 0) {
			PGconn *c = cor_db_connect(ctx->conninfo, &err);
			int rc;

			if (c == NULL)
				_exit(cor_cli_fail("brief", &err));
			rc = county_worker(c, ctx, wr, g->pcode, stats, dir,
			                   fds[0]);
			PQfinish(c);
			fflush(stdout);
			_exit(rc);
		}
		started++;
	}
	for (long j = 0; j < started; j++) {
		int ws;

		if (wait(&ws) < 0)
			break;
		if (!WIFEXITED(ws)) {
			fprintf(stderr, "corridor: brief: a worker died "
			        "(signal %d)\n", WIFSIGNALED(ws) ?
			        WTERMSIG(ws) : 0);
			worst = COR_EXIT_INTERNAL;
		} else if (WEXITSTATUS(ws) > worst) {
			worst = WEXITSTATUS(ws);
		}
	}
out:
	if (worst == COR_EXIT_OK && ctx->verbosity > 0)
		printf("wrote %d county briefs of %s to %s (%ld worker "
		       "process%s)\n", n, req->quarter, dir, jobs,
		       jobs == 1 ? "" : "es");
	for (long j = 1; j < nconn; j++)
		PQfinish(conns[j]);
	free(conns);
	for (int i = 0; stats != NULL && i < n; i++)
		cor_stats_result_free(stats[i]);
	free(stats);
	cor_stats_cgraph_free(g);
	cor_stats_result_free(nat);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return worst;
}

int cmd_brief(int argc, char **argv, cor_ctx *ctx)
{
	static const struct option opts[] = {
		{ "quarter", required_argument, NULL, 'q' },
		{ "county", required_argument, NULL, 'c' },
		{ "k", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "no-suppress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cor_brief_req req;
	cor_brief_info info;
	cor_err err;
	const char *out = NULL;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	int c, rc, jobs_given = 0;

	memset(&req, 0, sizeof(req));
	req.k = cor_stats_k_default();
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
			long v;

			if (int_opt("--k", optarg, 2, 1000, &v) != 0)
				return COR_EXIT_USAGE;
			req.k = (int)v;
			break;
		}
		case 'o':
			out = optarg;
			break;
		case 'j':
			if (int_opt("--jobs", optarg, 1, 64, &jobs) != 0)
				return COR_EXIT_USAGE;
			jobs_given = 1;
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
		int all = req.county != NULL && strcmp(req.county, "all") == 0;

		fprintf(stderr, "corridor: brief: %s\n", optind < argc ?
		        "unexpected argument" : req.quarter == NULL ?
		        "--quarter is required" : all ? "-o DIR is required "
		        "with --county all" : "-o FILE.pdf is required");
		usage(stderr);
		return COR_EXIT_USAGE;
	}
	{
		long long sde = cor_pdf_source_date(-1);

		if (sde >= 0)
			req.date = sde;
	}
	if (req.county != NULL && strcmp(req.county, "all") == 0) {
		if (jobs < 1)
			jobs = 1;
		if (jobs > 8 && !jobs_given)
			jobs = 8;
		return all_counties(ctx, &req, out, jobs);
	}
	if (jobs_given) {
		fprintf(stderr, "corridor: brief: --jobs goes with --county "
		        "all\n");
		return COR_EXIT_USAGE;
	}
	rc = cor_brief_write(ctx->conn, &req, out, &info, &err);
	if (rc != 0)
		return cor_cli_fail("brief", &err);
	report(ctx, out, &req, &info);
	/* missing data is stated inside the brief; the brief is complete */
	return COR_EXIT_OK;
}
