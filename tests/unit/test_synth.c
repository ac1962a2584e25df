/* tests/unit/test_synth.c: corridor synth (etl/synth.c): determinism,
 * CSV shape (parsed with libcsv, not with corridor's own reader), the
 * stated distributions within tolerance, and date consistency. No
 * database. */
#include "support/pgtest.h"

#include <csv.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/synth.h"

/* The columns of docs/format-cases.md, in its order. */
static const char *const doc_cols[] = {
	"case_id", "registration_date", "reporting_org", "case_type",
	"trafficking_status", "sex", "age", "age_band", "citizenship",
	"origin_country", "origin_admin1", "route", "interception_place",
	"interception_date", "identification_county", "intended_destination",
	"country_of_exploitation", "exploitation_types", "means_of_control",
	"recruiter_relationship", "fee_usd", "days_in_transit", "nrm_referral",
	"nrm_referral_date", "synthetic"
};
#define NCOLS (sizeof(doc_cols) / sizeof(doc_cols[0]))

enum { C_ID, C_REG, C_ORG, C_TYPE, C_STATUS, C_SEX, C_AGE, C_BAND, C_CIT,
       C_OCTY, C_OADM, C_ROUTE, C_IPLACE, C_IDATE, C_COUNTY, C_DEST,
       C_EXPL_CTY, C_EXPL, C_CONTROL, C_REL, C_FEE, C_DAYS, C_NRM,
       C_NRM_DATE, C_SYN };

/* Generates into memory; caller frees *buf. */
static void gen(unsigned long n, unsigned long seed, const char *from,
                const char *to, char **buf, size_t *len)
{
	cor_synth_opts o = { .n_cases = n, .seed = seed };
	cor_err err;
	FILE *fp;

	cor_err_clear(&err);
	assert_int_equal(cor_synth_parse_quarter(from, &o.from_year,
	                                         &o.from_q, &err), COR_OK);
	assert_int_equal(cor_synth_parse_quarter(to, &o.to_year, &o.to_q,
	                                         &err), COR_OK);
	fp = open_memstream(buf, len);
	assert_non_null(fp);
	assert_int_equal(cor_synth_write(fp, &o, &err), COR_OK);
	assert_int_equal(fclose(fp), 0);
}

static void sha256_hex(const char *p, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void test_same_seed_same_bytes(void **state)
{
	char *a = NULL, *b = NULL, *c = NULL;
	size_t na, nb, nc;
	char ha[65], hb[65], hc[65];

	(void)state;
	gen(20000, 42, "2017Q1", "2019Q4", &a, &na);
	gen(20000, 42, "2017Q1", "2019Q4", &b, &nb);
	gen(20000, 43, "2017Q1", "2019Q4", &c, &nc);
	sha256_hex(a, na, ha);
	sha256_hex(b, nb, hb);
	sha256_hex(c, nc, hc);
	assert_true(na > 20000 * 100);
	assert_int_equal(na, nb);
	assert_string_equal(ha, hb);
	assert_string_not_equal(ha, hc);
	free(a);
	free(b);
	free(c);
}

/* A prefix of the rows does not depend on how many rows follow. */
static void test_prefix_stable(void **state)
{
	char *a = NULL, *b = NULL;
	size_t na, nb;

	(void)state;
	gen(100, 5, "2018Q1", "2018Q4", &a, &na);
	gen(1000, 5, "2018Q1", "2018Q4", &b, &nb);
	assert_true(nb > na);
	assert_memory_equal(a, b, na);
	free(a);
	free(b);
}

static void test_parse_quarter(void **state)
{
	int y = 0, q = 0;
	cor_err err;

	(void)state;
	cor_err_clear(&err);
	assert_int_equal(cor_synth_parse_quarter("2019Q4", &y, &q, &err), 0);
	assert_int_equal(y, 2019);
	assert_int_equal(q, 4);
	assert_int_equal(cor_synth_parse_quarter("2017q1", &y, &q, &err), 0);
	assert_int_equal(q, 1);
	y = 7;
	q = 7;
	assert_int_equal(cor_synth_parse_quarter("2019Q5", &y, &q, &err),
	                 COR_EINVAL);
	assert_int_equal(cor_synth_parse_quarter("2019-Q1", &y, &q, &err),
	                 COR_EINVAL);
	assert_int_equal(cor_synth_parse_quarter("19Q1", &y, &q, &err),
	                 COR_EINVAL);
	assert_int_equal(cor_synth_parse_quarter("", &y, &q, &err),
	                 COR_EINVAL);
	assert_non_null(strstr(err.msg, "quarter"));
	assert_int_equal(y, 7);   /* untouched on error */
	assert_int_equal(q, 7);
}

static void test_bad_options(void **state)
{
	cor_synth_opts o = { 10, 1, 2019, 4, 2019, 1 };
	cor_err err;
	FILE *fp = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(fp);
	cor_err_clear(&err);
	assert_int_equal(cor_synth_write(fp, &o, &err), COR_EINVAL);
	assert_non_null(strstr(err.msg, "before"));
	o.to_year = 2019;
	o.to_q = 4;
	o.seed = 0x100000000UL;
	assert_int_equal(cor_synth_write(fp, &o, &err), COR_EINVAL);
	fclose(fp);
}

/* A write error is reported, not ignored. */
static void test_write_error(void **state)
{
	cor_synth_opts o = { 100000, 1, 2017, 1, 2019, 4 };
	cor_err err;
	FILE *fp = fopen("/dev/full", "w");

	(void)state;
	if (fp == NULL)
		skip();
	cor_err_clear(&err);
	assert_int_equal(cor_synth_write(fp, &o, &err), COR_EIO);
	assert_non_null(strstr(err.msg, "write failed"));
	fclose(fp);
}

/* ---- row checks through libcsv ---- */

struct chk {
	char f[NCOLS][2048];
	size_t nf;           /* fields in the current record */
	long line;           /* records seen, header included */
	int bad_count;       /* records with a wrong field count */
	long rows;
	long eth, cit_known, minors, age_known, male, sex_known;
	long trafficking, intercepted, ke_county, isiolo_source;
	long isiolo_dest, isiolo_transit;
	char from[11], to[11];   /* registration date bounds, inclusive */
	char failure[512];       /* first failed row check */
};

static void fail_row(struct chk *k, const char *why)
{
	if (k->failure[0] == '\0')
		snprintf(k->failure, sizeof(k->failure),
		         "row %ld (%.40s): %.200s", k->line, k->f[C_ID], why);
}

static void on_field(void *s, size_t len, void *data)
{
	struct chk *k = data;

	if (k->nf < NCOLS) {
		if (len >= sizeof(k->f[0]))
			len = sizeof(k->f[0]) - 1;
		memcpy(k->f[k->nf], s, len);
		k->f[k->nf][len] = '\0';
	}
	k->nf++;
}

static int is_date(const char *s)
{
	int y, m, d;
	char tail;

	return strlen(s) == 10 &&
	       sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	       m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static long day_number(const char *s)   /* days, for differences only */
{
	int y, m, d;
	static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
	                           273, 304, 334 };

	sscanf(s, "%4d-%2d-%2d", &y, &m, &d);
	return y * 365L + (y - (m <= 2)) / 4 - (y - (m <= 2)) / 100 +
	       (y - (m <= 2)) / 400 + cum[m - 1] + d;
}

static void check_route(struct chk *k)
{
	char route[2048], *save = NULL, *step;
	char prev[11] = "", first[11] = "", last_date[11] = "";
	char last_place[64] = "";
	int nsteps = 0, dated_all = 1, isiolo_mid = 0;

	snprintf(route, sizeof(route), "%s", k->f[C_ROUTE]);
	for (step = strtok_r(route, ";", &save); step != NULL;
	     step = strtok_r(NULL, ";", &save)) {
		char *at = strchr(step, '@');

		nsteps++;
		if (at != NULL) {
			*at = '\0';
			if (!is_date(at + 1))
				fail_row(k, "route step date not ISO");
			if (prev[0] != '\0' && strcmp(at + 1, prev) <= 0)
				fail_row(k, "route dates not ascending");
			if (strcmp(at + 1, k->f[C_REG]) > 0)
				fail_row(k, "route date after registration");
			snprintf(prev, sizeof(prev), "%s", at + 1);
			if (nsteps == 1)
				snprintf(first, sizeof(first), "%s", at + 1);
			snprintf(last_date, sizeof(last_date), "%s", at + 1);
		} else {
			dated_all = 0;
			last_date[0] = '\0';
		}
		if (strcmp(step, "KE-ISIOLO") == 0 && nsteps > 1)
			isiolo_mid++;
		snprintf(last_place, sizeof(last_place), "%s", step);
	}
	if (nsteps < 2)
		fail_row(k, "route shorter than 2 steps");
	if (k->f[C_IPLACE][0] != '\0') {
		k->intercepted++;
		if (strcmp(k->f[C_IPLACE], last_place) != 0)
			fail_row(k, "interception_place is not the last step");
		if (k->f[C_IDATE][0] != '\0' && last_date[0] != '\0' &&
		    strcmp(k->f[C_IDATE], last_date) != 0)
			fail_row(k, "interception_date != last step date");
	} else if (strcmp(last_place, "KE-ISIOLO") == 0) {
		k->isiolo_dest++;
		if (k->f[C_TYPE][0] == 't' &&
		    k->f[C_STATUS][0] == 'a' &&
		    strcmp(k->f[C_EXPL_CTY], "KEN") != 0)
			fail_row(k, "exploited in Isiolo but not in KEN");
	}
	if (strcmp(last_place, "KE-ISIOLO") == 0)
		isiolo_mid--;   /* the last step is not transit */
	k->isiolo_transit += isiolo_mid > 0;
	if (dated_all && first[0] != '\0' && last_date[0] != '\0' &&
	    k->f[C_DAYS][0] != '\0' &&
	    atol(k->f[C_DAYS]) != day_number(last_date) - day_number(first))
		fail_row(k, "days_in_transit disagrees with route dates");
}

static void on_record(int c, void *data)
{
	struct chk *k = data;

	(void)c;
	k->line++;
	if (k->nf != NCOLS) {
		k->bad_count++;
		k->nf = 0;
		return;
	}
	k->nf = 0;
	if (k->line == 1) {
		for (size_t i = 0; i < NCOLS; i++)
			if (strcmp(k->f[i], doc_cols[i]) != 0)
				fail_row(k, "header differs from the docs");
		return;
	}
	k->rows++;
	for (size_t i = 0; i < NCOLS; i++) {
		if (strstr(k->f[i], "nan") || strstr(k->f[i], "NaN") ||
		    strstr(k->f[i], "inf"))
			fail_row(k, "NaN or inf text");
	}
	if (strcmp(k->f[C_SYN], "1") != 0)
		fail_row(k, "synthetic is not 1");
	if (strcmp(k->f[C_ORG], "corridor synth (SYNTHETIC)") != 0)
		fail_row(k, "reporting_org");
	if (strncmp(k->f[C_ID], "SYN-", 4) != 0)
		fail_row(k, "case_id");
	if (!is_date(k->f[C_REG]) || strcmp(k->f[C_REG], k->from) < 0 ||
	    strcmp(k->f[C_REG], k->to) > 0)
		fail_row(k, "registration_date outside --from/--to");
	if (k->f[C_TYPE][0] == '\0')
		fail_row(k, "case_type empty");
	if (strcmp(k->f[C_TYPE], "trafficking") == 0)
		k->trafficking++;
	else if (k->f[C_EXPL][0] != '\0' || k->f[C_STATUS][0] != '\0')
		fail_row(k, "exploitation or status on a non-trafficking case");
	if (k->f[C_CIT][0] != '\0') {
		k->cit_known++;
		k->eth += strcmp(k->f[C_CIT], "ETH") == 0;
	}
	if (k->f[C_SEX][0] != '\0') {
		k->sex_known++;
		k->male += strcmp(k->f[C_SEX], "male") == 0;
	}
	if (k->f[C_AGE][0] != '\0') {
		long age = atol(k->f[C_AGE]);

		k->age_known++;
		k->minors += age < 18;
		if (age < 12 || age > 55)
			fail_row(k, "age out of 12..55");
	}
	if (strstr(k->f[C_EXPL], "child_labour") && k->f[C_AGE][0] &&
	    atol(k->f[C_AGE]) >= 18)
		fail_row(k, "child_labour for an adult");
	if (k->f[C_FEE][0] == '-' || k->f[C_DAYS][0] == '-')
		fail_row(k, "negative fee or days");
	if (k->f[C_COUNTY][0] != '\0') {
		k->ke_county++;
		if (strncmp(k->f[C_COUNTY], "KE0", 3) != 0)
			fail_row(k, "identification_county not a KE P-code");
	}
	if (strcmp(k->f[C_OADM], "KE011") == 0)
		k->isiolo_source++;
	if (k->f[C_NRM_DATE][0] != '\0' &&
	    (strcmp(k->f[C_NRM], "yes") != 0 ||
	     strcmp(k->f[C_NRM_DATE], k->f[C_REG]) < 0))
		fail_row(k, "nrm_referral_date without yes or before reg");
	check_route(k);
}

static void test_rows_and_shares(void **state)
{
	char *buf = NULL;
	size_t len;
	struct csv_parser p;
	struct chk *k = calloc(1, sizeof(*k));
	const long n = 100000;

	(void)state;
	assert_non_null(k);
	gen((unsigned long)n, 2019, "2018Q2", "2019Q3", &buf, &len);
	strcpy(k->from, "2018-04-01");
	strcpy(k->to, "2019-09-30");
	assert_int_equal(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
	assert_int_equal(csv_parse(&p, buf, len, on_field, on_record, k),
	                 len);
	assert_int_equal(csv_fini(&p, on_field, on_record, k), 0);
	csv_free(&p);
	free(buf);

	if (k->failure[0] != '\0')
		fail_msg("%s", k->failure);
	assert_int_equal(k->bad_count, 0);
	assert_int_equal(k->rows, n);
	/* stated shares (docs/synth.md) with tolerances that a 100k sample
	 * meets by a wide margin (binomial SE < 0.002) */
	assert_in_range(k->eth * 1000 / k->cit_known, 750, 850);
	assert_in_range(k->minors * 1000 / k->age_known, 100, 200);
	assert_in_range(k->male * 1000 / k->sex_known, 800, 900);
	assert_in_range(k->trafficking * 1000 / n, 150, 320);
	assert_in_range(k->intercepted * 1000 / n, 400, 650);
	assert_true(k->ke_county > n / 5);
	assert_true(k->isiolo_source > n / 100);
	assert_true(k->isiolo_dest > n / 100);
	assert_true(k->isiolo_transit > n / 10);
	free(k);
}

/* Place ids are unique, look like gazetteer ids, and name a country. */
static void test_places(void **state)
{
	const char *id, *cty, *adm;
	size_t n = 0;

	(void)state;
	while ((id = cor_synth_place(n, &cty, &adm)) != NULL) {
		assert_int_equal(strncmp(id, "ET-", 3) == 0 ||
		                 strncmp(id, "ER-", 3) == 0 ||
		                 strncmp(id, "SO-", 3) == 0 ||
		                 strncmp(id, "KE-", 3) == 0 ||
		                 strncmp(id, "TZ-", 3) == 0 ||
		                 strncmp(id, "MW-", 3) == 0 ||
		                 strncmp(id, "MZ-", 3) == 0 ||
		                 strncmp(id, "ZM-", 3) == 0 ||
		                 strncmp(id, "ZW-", 3) == 0 ||
		                 strncmp(id, "ZA-", 3) == 0, 1);
		assert_int_equal(strlen(cty), 3);
		assert_non_null(adm);
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(id, cor_synth_place(j, NULL,
			                                            NULL));
		n++;
	}
	assert_true(n > 30);
	assert_null(cor_synth_place(n + 5, &cty, &adm));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_prefix_stable),
		cmocka_unit_test(test_parse_quarter),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_rows_and_shares),
		cmocka_unit_test(test_places),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
