/* tests/unit/test_etl.c: ETL without a database: the CSV reader (BOM,
 * CRLF, quoted newlines, encodings, HXL rows, trailing delimiters), value
 * parsers (dates, numbers, coordinates, CTDC codes), identifier columns and
 * the HMAC pseudonyms. Cases C01-C18 of ../shared/cases with their "Right"
 * values; inputs copied to tests/fixtures/etl/cNN_raw.csv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/pgtest.h"
#include "corridor/etl.h"
#include "../../etl/etl_int.h"

#define FIX "tests/fixtures/etl/"
#define MAXREC 16
#define MAXF 8

/* Records collected from a file (small fixtures only). */
struct coll {
	size_t n;
	long line[MAXREC];
	size_t nf[MAXREC];
	char f[MAXREC][MAXF][128];
};

static int collect(void *ud, const cor_etl_record *rec, cor_err *err)
{
	struct coll *c = ud;

	(void)err;
	if (c->n >= MAXREC)
		return COR_EINVAL;
	c->line[c->n] = rec->line;
	c->nf[c->n] = rec->nfields;
	for (size_t i = 0; i < rec->nfields && i < MAXF; i++)
		snprintf(c->f[c->n][i], sizeof(c->f[0][0]), "%s",
		         rec->field[i]);
	c->n++;
	return 0;
}

static int read_file(const char *path, int enc, char delim, struct coll *c,
                     cor_err *err)
{
	cor_etl_csv_opts o = { enc, delim };
	FILE *fp = fopen(path, "rb");
	int rc;

	assert_non_null(fp);
	memset(c, 0, sizeof(*c));
	cor_err_clear(err);
	rc = cor_etl_csv_read(fp, path, &o, collect, c, NULL, err);
	fclose(fp);
	return rc;
}

static int32_t ymd(int y, int m, int d)
{
	return cor_etl_days_from_civil(y, m, d);
}

/* ---- reader ---------------------------------------------------------- */

/* C01: one leading BOM stripped; column 1 is exactly "case_id". */
static void test_c01_bom(void **state)
{
	struct coll c;
	cor_err err;
	int64_t v;

	(void)state;
	assert_int_equal(read_file(FIX "c01_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 3);
	assert_memory_equal(c.f[0][0], "case_id", 8);   /* with the NUL */
	assert_int_equal(cor_etl_parse_int(c.f[1][0], 0, 0, &v, NULL), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cor_etl_parse_int(c.f[2][0], 0, 0, &v, NULL), 0);
	assert_int_equal(v, 2);
}

/* C02: invalid UTF-8 names line 2 and byte 0xF4; latin1 converts. */
static void test_c02_encoding(void **state)
{
	struct coll c;
	cor_err err;
	const char want[] = "C\xc3\xb4te d'Ivoire";

	(void)state;
	assert_int_equal(read_file(FIX "c02_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), COR_EDATA);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "0xF4"));
	/* the callback never saw line 2 */
	assert_int_equal(c.n, 1);

	assert_int_equal(read_file(FIX "c02_raw.csv", COR_ENC_LATIN1, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.f[1][1], want);
	assert_null(strstr(c.f[1][1], "\xc3\x83"));     /* no mojibake */
	assert_int_equal(read_file(FIX "c02_raw.csv", COR_ENC_CP1252, 0, &c,
	                           &err), 0);
	assert_string_equal(c.f[1][1], want);
}

/* A NUL byte inside a field (found by tests/fuzz/fuzz_csv.c) refuses the
 * file naming the line, in every encoding; it never cuts a value short. */
static void test_nul_byte(void **state)
{
	static const char data[] = "case_id,note\n1,ok\n2,ab\0cd\n";
	static const int enc[] = { COR_ENC_UTF8, COR_ENC_LATIN1,
	                           COR_ENC_CP1252 };
	(void)state;
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		cor_etl_csv_opts o = { enc[i], 0 };
		struct coll c;
		cor_err err;
		FILE *fp = fmemopen((void *)data, sizeof(data) - 1, "rb");

		assert_non_null(fp);
		memset(&c, 0, sizeof(c));
		cor_err_clear(&err);
		assert_int_equal(cor_etl_csv_read(fp, "nul.csv", &o, collect,
		                                  &c, NULL, &err), COR_EDATA);
		fclose(fp);
		assert_int_equal(err.line, 3);
		assert_non_null(strstr(err.msg, "NUL byte (0x00) at byte 5"));
		assert_int_equal(c.n, 2);   /* header and line 2 only */
	}
}

/* C03: CRLF line ends leave no CR in values. */
static void test_c03_crlf(void **state)
{
	struct coll c;
	cor_err err;
	int moyale = 0, metema = 0;

	(void)state;
	assert_int_equal(read_file(FIX "c03_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.f[0][1], "route_segment");
	assert_string_equal(c.f[1][1], "Moyale");
	assert_string_equal(c.f[2][1], "Moyale");
	assert_string_equal(c.f[3][1], "Metema");
	for (size_t i = 1; i < c.n; i++) {
		assert_null(strchr(c.f[i][1], '\r'));
		moyale += strcmp(c.f[i][1], "Moyale") == 0;
		metema += strcmp(c.f[i][1], "Metema") == 0;
	}
	assert_int_equal(moyale, 2);
	assert_int_equal(metema, 1);
	assert_int_equal(c.line[3], 4);
}

/* C04: a quoted newline: 2 records, the second starts on line 4. */
static void test_c04_quoted_newline(void **state)
{
	struct coll c;
	cor_err err;

	(void)state;
	assert_int_equal(read_file(FIX "c04_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 3);                /* header + 2 records */
	assert_string_equal(c.f[1][1],
	                    "Crossed at night\nnear the border post");
	assert_int_equal(c.line[1], 2);
	assert_int_equal(c.line[2], 4);
	assert_string_equal(c.f[2][0], "2");
}

/* C12: the trailing delimiter gives an unnamed, empty last column. */
static void test_c12_trailing(void **state)
{
	struct coll c;
	cor_err err;

	(void)state;
	assert_int_equal(read_file(FIX "c12_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 3);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.nf[i], 4);
		assert_string_equal(c.f[i][3], "");
	}
}

/* C18: the hashtag row is recognised; 2 data rows, total 165. */
static void test_c18_hxl(void **state)
{
	struct coll c;
	cor_err err;
	cor_etl_record r;
	char *f[3];
	size_t len[3] = { 0, 0, 0 };
	int64_t total = 0, v;

	(void)state;
	assert_int_equal(read_file(FIX "c18_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 4);
	for (size_t k = 0; k < c.n; k++) {
		for (int i = 0; i < 3; i++)
			f[i] = c.f[k][i];
		r.line = c.line[k];
		r.last_line = c.line[k];
		r.nfields = 3;
		r.field = f;
		r.len = len;
		assert_int_equal(cor_etl_is_hxl_row(&r), k == 1);
		if (k >= 2) {
			assert_int_equal(cor_etl_parse_int(c.f[k][2], 0, 0, &v,
			                                   NULL), 0);
			total += v;
		}
	}
	assert_int_equal(total, 165);
}

/* A quote left open to the end of the file is an error, not a record. */
static void test_unterminated_quote(void **state)
{
	const char *path = "/tmp/corridor_test_etl_quote.csv";
	FILE *fp = fopen(path, "wb");
	struct coll c;
	cor_err err;

	(void)state;
	assert_non_null(fp);
	fputs("a,b\n1,\"open\n2,3\n", fp);
	fclose(fp);
	assert_int_equal(read_file(path, COR_ENC_UTF8, 0, &c, &err),
	                 COR_EDATA);
	assert_int_equal(err.line, 2);
	remove(path);
}

/* ---- values ---------------------------------------------------------- */

static void test_utf8_check(void **state)
{
	size_t bad = 0;

	(void)state;
	assert_int_equal(cor_etl_utf8_check("Moyale \xe1\x88\x9e", 10, &bad),
	                 0);
	assert_int_equal(cor_etl_utf8_check("ab\xc0\xaf", 4, &bad), -1);
	assert_int_equal(bad, 2);                     /* overlong */
	assert_int_equal(cor_etl_utf8_check("\xed\xa0\x80", 3, &bad), -1);
	assert_int_equal(cor_etl_utf8_check("x\xe1\x88", 3, &bad), -1);
	assert_int_equal(bad, 1);                     /* truncated */
	assert_int_equal(cor_etl_utf8_check("\xf4\x90\x80\x80", 4, &bad), -1);
}

static void test_dates_iso(void **state)
{
	int32_t d;
	char s[11];
	const char *why;

	(void)state;
	assert_int_equal(cor_etl_parse_date("2019-12-30", COR_DATE_ISO, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2019, 12, 30));
	cor_etl_date_str(d, s);
	assert_string_equal(s, "2019-12-30");
	assert_int_equal(ymd(1970, 1, 1), 0);
	assert_int_equal(cor_etl_parse_date("2020-02-29", COR_DATE_ISO, &d,
	                                    NULL), 0);
	assert_int_equal(cor_etl_parse_date("2019-02-29", COR_DATE_ISO, &d,
	                                    &why), COR_EDATA);
	assert_int_equal(cor_etl_parse_date("1900-02-29", COR_DATE_ISO, &d,
	                                    NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_date("2019-13-01", COR_DATE_ISO, &d,
	                                    NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_date("2019-1-01", COR_DATE_ISO, &d,
	                                    NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_date("30/12/2019", COR_DATE_ISO, &d,
	                                    NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_date("2019-12-30x", COR_DATE_ISO, &d,
	                                    NULL), COR_EDATA);
}

/* C17: "Month D, YYYY" dates, chronological order, quarterly totals. */
static void test_c17_long_dates(void **state)
{
	struct coll c;
	cor_err err;
	int32_t d[3];
	long q[3] = { 0, 0, 0 };      /* 2018Q4, 2019Q1, 2019Q2 */

	(void)state;
	assert_int_equal(read_file(FIX "c17_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 3; i++) {
		char s[11];
		int64_t n;
		int month;

		assert_int_equal(cor_etl_parse_date(c.f[i + 1][1],
		                                    COR_DATE_LONG, &d[i],
		                                    NULL), 0);
		cor_etl_date_str(d[i], s);
		month = atoi(s + 5);
		assert_int_equal(cor_etl_parse_int(c.f[i + 1][2], 0, 0, &n,
		                                   NULL), 0);
		if (strncmp(s, "2018", 4) == 0 && month >= 10)
			q[0] += n;
		else if (strncmp(s, "2019", 4) == 0 && month <= 3)
			q[1] += n;
		else if (strncmp(s, "2019", 4) == 0 && month <= 6)
			q[2] += n;
	}
	assert_int_equal(d[0], ymd(2019, 4, 2));
	assert_int_equal(d[1], ymd(2019, 3, 29));
	assert_int_equal(d[2], ymd(2018, 12, 31));
	/* chronological: MM-0203 < MM-0202 < MM-0201 */
	assert_true(d[2] < d[1] && d[1] < d[0]);
	assert_int_equal(q[0], 1);
	assert_int_equal(q[1], 2);
	assert_int_equal(q[2], 4);
	assert_int_equal(cor_etl_parse_date("Dec 30, 2019", COR_DATE_LONG,
	                                    &d[0], NULL), 0);
	assert_int_equal(d[0], ymd(2019, 12, 30));
	assert_int_equal(cor_etl_parse_date("Smarch 3, 2019", COR_DATE_LONG,
	                                    &d[0], NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_date("April 31, 2019", COR_DATE_LONG,
	                                    &d[0], NULL), COR_EDATA);
}

/* C08: Excel serials only when declared; never a year-45383 date. */
static void test_c08_excel_serial(void **state)
{
	struct coll c;
	cor_err err;
	int32_t d;

	(void)state;
	assert_int_equal(read_file(FIX "c08_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(cor_etl_parse_date(c.f[1][1], COR_DATE_EXCEL, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2024, 4, 1));
	assert_int_equal(cor_etl_parse_date(c.f[2][1], COR_DATE_EXCEL, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2020, 1, 1));
	/* undeclared: not a date (line 2's value) */
	assert_int_equal(cor_etl_parse_date(c.f[1][1], COR_DATE_ISO, &d,
	                                    NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_date(c.f[1][1], COR_DATE_AUTO, &d,
	                                    NULL), COR_EDATA);
	/* Excel's fictitious 1900-02-29 (serial 60) is refused */
	assert_int_equal(cor_etl_parse_date("60", COR_DATE_EXCEL, &d, NULL),
	                 COR_EDATA);
	assert_int_equal(cor_etl_parse_date("61", COR_DATE_EXCEL, &d, NULL),
	                 0);
	assert_int_equal(d, ymd(1900, 3, 1));
}

/* Day/month order: decided only when one part is > 12. */
static void test_ambiguous_dm(void **state)
{
	int32_t d;
	const char *why = NULL;

	(void)state;
	assert_int_equal(cor_etl_parse_date("03/04/2020", COR_DATE_AUTO, &d,
	                                    &why), COR_EDATA);
	assert_non_null(strstr(why, "ambiguous"));
	assert_int_equal(cor_etl_parse_date("13/04/2020", COR_DATE_AUTO, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2020, 4, 13));
	assert_int_equal(cor_etl_parse_date("04/13/2020", COR_DATE_AUTO, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2020, 4, 13));
	assert_int_equal(cor_etl_parse_date("03/04/2020", COR_DATE_DMY, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2020, 4, 3));
	assert_int_equal(cor_etl_parse_date("03/04/2020", COR_DATE_MDY, &d,
	                                    NULL), 0);
	assert_int_equal(d, ymd(2020, 3, 4));
	assert_int_equal(cor_etl_parse_date("13/13/2020", COR_DATE_AUTO, &d,
	                                    NULL), COR_EDATA);
}

/* C09: ';' detected; decimal comma and '.' thousands when declared; the
 * default rules refuse line 2 (never 1.204 cases or a rate of 125). */
static void test_c09_decimal_comma(void **state)
{
	struct coll c;
	cor_err err;
	int64_t n;
	double x;

	(void)state;
	assert_int_equal(read_file(FIX "c09_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.nf[1], 3);
	assert_int_equal(cor_etl_parse_int(c.f[1][1], 1, 0, &n, NULL), 0);
	assert_int_equal(n, 1204);
	assert_int_equal(cor_etl_parse_int(c.f[2][1], 1, 0, &n, NULL), 0);
	assert_int_equal(n, 87);
	assert_int_equal(cor_etl_parse_decimal(c.f[1][2], 1, &x, NULL), 0);
	assert_true(x == 12.5);
	assert_int_equal(cor_etl_parse_decimal(c.f[2][2], 1, &x, NULL), 0);
	assert_true(x == 0.75);
	/* default '.' decimal rules: line 2 fails on both numbers */
	assert_int_equal(cor_etl_parse_int(c.f[1][1], 0, 0, &n, NULL),
	                 COR_EDATA);
	assert_int_equal(cor_etl_parse_decimal(c.f[1][2], 0, &x, NULL),
	                 COR_EDATA);
	/* malformed grouping */
	assert_int_equal(cor_etl_parse_int("1.20", 1, 0, &n, NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_int("1204.000", 1, 0, &n, NULL),
	                 COR_EDATA);
	assert_int_equal(cor_etl_parse_int("1.204.000", 1, 0, &n, NULL), 0);
	assert_int_equal(n, 1204000);
}

static void test_numbers(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(cor_etl_parse_int("2002.0", 0, 1, &v, NULL), 0);
	assert_int_equal(v, 2002);
	assert_int_equal(cor_etl_parse_int("2002.5", 0, 1, &v, NULL),
	                 COR_EDATA);
	assert_int_equal(cor_etl_parse_int("2002.0", 0, 0, &v, NULL),
	                 COR_EDATA);
	assert_int_equal(cor_etl_parse_int(" -7 ", 0, 0, &v, NULL), 0);
	assert_int_equal(v, -7);
	assert_int_equal(cor_etl_parse_int("twelve", 0, 0, &v, NULL),
	                 COR_EDATA);
	assert_int_equal(cor_etl_parse_int("1e3", 0, 0, &v, NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_int("99999999999999999999", 0, 0, &v,
	                                   NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_cents("1.204,50", 1, &v, NULL), 0);
	assert_int_equal(v, 120450);
	assert_int_equal(cor_etl_parse_cents("12.5", 0, &v, NULL), 0);
	assert_int_equal(v, 1250);
	assert_int_equal(cor_etl_parse_cents("-5", 0, &v, NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_cents("1.005", 0, &v, NULL), COR_EDATA);
}

/* C15: "lat, lon", latitude first; out of range refuses the pair. */
static void test_c15_coords(void **state)
{
	struct coll c;
	cor_err err;
	double lat = 0, lon = 0;

	(void)state;
	assert_int_equal(read_file(FIX "c15_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(cor_etl_parse_coords(c.f[1][1], &lat, &lon, NULL),
	                 0);
	assert_true(lat == 3.5269 && lon == 39.0543);
	assert_string_equal(c.f[2][1], "");         /* blank: caller NULLs */
	lat = lon = 7;
	assert_int_equal(cor_etl_parse_coords(c.f[3][1], &lat, &lon, NULL),
	                 COR_EDATA);
	assert_true(lat == 7 && lon == 7);          /* untouched: no half */
	assert_int_equal(cor_etl_parse_coords("1.0, 190.0", &lat, &lon,
	                                      NULL), COR_EDATA);
	assert_int_equal(cor_etl_parse_coords("1.0", &lat, &lon, NULL),
	                 COR_EDATA);
}

/* C13: -99 quoted or not is missing; the isForcedLabour share is 1/2. */
static void test_c13_missing(void **state)
{
	struct coll c;
	cor_err err;
	int known = 0, yes = 0, gender = 0, b;

	(void)state;
	assert_int_equal(read_file(FIX "c13_raw.csv", COR_ENC_UTF8, 0, &c,
	                           &err), 0);
	assert_int_equal(c.n, 4);
	for (size_t i = 1; i < c.n; i++) {
		assert_int_equal(cor_etl_parse_bool(c.f[i][4], &b, NULL), 0);
		if (b >= 0) {
			known++;
			yes += b;
		}
		gender += !cor_etl_is_missing(c.f[i][1]);
	}
	assert_int_equal(known, 2);
	assert_int_equal(yes, 1);
	assert_int_equal(gender, 2);
	assert_true(cor_etl_is_missing(c.f[2][2]));   /* ageBroad -99 */
	assert_true(cor_etl_is_missing(c.f[3][3]));   /* "-99" citizenship */
	assert_false(cor_etl_is_missing("NA"));       /* Namibia */
	assert_false(cor_etl_is_missing("00"));       /* a code: unknown
	                                               * country, mapped by
	                                               * the adapter */
	assert_true(cor_etl_is_missing("Unknown"));
	assert_int_equal(cor_etl_parse_bool("1.0", &b, NULL), 0);
	assert_int_equal(b, 1);
	assert_int_equal(cor_etl_parse_bool("2", &b, NULL), COR_EDATA);
}

static void test_fold_and_names(void **state)
{
	char b[64];

	(void)state;
	cor_etl_fold("  C\xc3\xb4te  d'Ivoire ", b, sizeof(b));
	assert_string_equal(b, "cote d'ivoire");
	cor_etl_fold("S\xc3\xa3o Tom\xc3\xa9\xc2\xa0", b, sizeof(b));
	assert_string_equal(b, "sao tome");
	cor_etl_fold("\xc5\x81\xc3\xb3" "d\xc5\xba Stra\xc3\x9f" "e", b,
	             sizeof(b));
	assert_string_equal(b, "lodz strasse");
	cor_etl_fold("\xe1\x88\x9e\xe1\x8b\xab\xe1\x88\x8c", b, sizeof(b));
	assert_string_equal(b, "\xe1\x88\x9e\xe1\x8b\xab\xe1\x88\x8c");
	cor_etl_colname("Total Dead and Missing", b, sizeof(b));
	assert_string_equal(b, "total_dead_and_missing");
	cor_etl_colname("yearOfRegistration", b, sizeof(b));
	assert_string_equal(b, "yearofregistration");
	cor_etl_colname(" E-mail ", b, sizeof(b));
	assert_string_equal(b, "e_mail");
}

static void test_identifier_columns(void **state)
{
	static const char *const ident[] = {
		"full_name", "Name", "First Name", "SURNAME", "Phone Number",
		"mobile", "e-mail", "Email Address", "passport_no",
		"National ID", "home_address", "GPS", "victim_name",
		"Contact phone", NULL
	};
	static const char *const data[] = {
		"citizenship", "route", "coo_name", "coa_name", "case_id",
		"Location Description", "Information Source",
		"yearOfRegistration", "reporting_org", "origin_admin1", NULL
	};

	(void)state;
	for (size_t i = 0; ident[i] != NULL; i++)
		assert_int_equal(cor_etl_column_kind(ident[i]),
		                 COR_COL_IDENTIFIER);
	for (size_t i = 0; data[i] != NULL; i++)
		assert_int_equal(cor_etl_column_kind(data[i]), COR_COL_DATA);
	assert_int_equal(cor_etl_column_kind("date_of_birth"), COR_COL_DOB);
	assert_int_equal(cor_etl_column_kind("DOB"), COR_COL_DOB);
	assert_int_equal(cor_etl_column_kind("note"), COR_COL_FREETEXT);
	assert_int_equal(cor_etl_column_kind("Comments"), COR_COL_FREETEXT);
}

/* RFC 4231 HMAC-SHA-256 test cases 1, 2 and 6 (key longer than a block),
 * through both the one-shot and the keyed-once wrapper. */
static void test_hmac_rfc4231(void **state)
{
	unsigned char k1[20], k6[131];
	char out[65];
	cor_etl_pseudo *p;
	static const char d6[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	assert_int_equal(cor_etl_hmac_hex(k1, 20, "Hi There", 8, out), 0);
	assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b"
	                         "881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(cor_etl_hmac_hex((const unsigned char *)"Jefe", 4,
	                                  "what do ya want for nothing?", 28,
	                                  out), 0);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c7"
	                         "5a003f089d2739839dec58b964ec3843");
	p = cor_etl_pseudo_new(k1, 20);
	assert_non_null(p);
	assert_int_equal(cor_etl_pseudo_hex(p, "Hi There", 8, out), 0);
	assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b"
	                         "881dc200c9833da726e9376c2e32cff7");
	/* reusable: same digest twice */
	assert_int_equal(cor_etl_pseudo_hex(p, "Hi There", 8, out), 0);
	assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b"
	                         "881dc200c9833da726e9376c2e32cff7");
	cor_etl_pseudo_free(p);
	p = cor_etl_pseudo_new(k6, sizeof(k6));
	assert_non_null(p);
	assert_int_equal(cor_etl_pseudo_hex(p, d6, strlen(d6), out), 0);
	assert_string_equal(out, "60e431591ee0b67f0d8a26aacbf5b77f"
	                         "8e0bc6213728c5140546040f0ee37f54");
	cor_etl_pseudo_free(p);
	cor_etl_pseudo_free(NULL);
}

static void test_key_load(void **state)
{
	unsigned char key[64];
	size_t n = 0;
	cor_err err;
	const char *path = "/tmp/corridor_test_etl_key";
	FILE *fp;

	(void)state;
	unsetenv("CORRIDOR_HMAC_KEY");
	unsetenv("CORRIDOR_HMAC_KEY_FILE");
	assert_int_equal(cor_etl_key_load(key, sizeof(key), &n, &err),
	                 COR_ENOTFOUND);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("0123456789abcdef-key\n", fp);
	fclose(fp);
	setenv("CORRIDOR_HMAC_KEY_FILE", path, 1);
	assert_int_equal(cor_etl_key_load(key, sizeof(key), &n, &err), 0);
	assert_int_equal(n, 20);                       /* newline removed */
	assert_memory_equal(key, "0123456789abcdef-key", 20);
	setenv("CORRIDOR_HMAC_KEY", "short", 1);
	assert_int_equal(cor_etl_key_load(key, sizeof(key), &n, &err),
	                 COR_EDATA);
	unsetenv("CORRIDOR_HMAC_KEY");
	unsetenv("CORRIDOR_HMAC_KEY_FILE");
	remove(path);
}

static void test_detect_format(void **state)
{
	static char *mmp[] = { "Web ID", "Reported Date",
	                       "Total Dead and Missing" };
	static char *unhcr[] = { "year", "coo", "coo_iso", "coa_iso" };
	static char *ctdc[] = { "", "yearOfRegistration", "gender" };
	static char *cases[] = { "case_id", "registration_date", "case_type" };
	static char *none[] = { "a", "b" };
	cor_etl_record r = { 1, 1, 0, NULL, NULL };

	(void)state;
	r.field = mmp;
	r.nfields = 3;
	assert_int_equal(cor_etl_detect_format(&r), COR_FMT_MMP);
	r.field = unhcr;
	r.nfields = 4;
	assert_int_equal(cor_etl_detect_format(&r), COR_FMT_UNHCR);
	r.field = ctdc;
	r.nfields = 3;
	assert_int_equal(cor_etl_detect_format(&r), COR_FMT_CTDC);
	r.field = cases;
	r.nfields = 3;
	assert_int_equal(cor_etl_detect_format(&r), COR_FMT_CASES);
	r.field = none;
	r.nfields = 2;
	assert_int_equal(cor_etl_detect_format(&r), COR_FMT_AUTO);
	assert_int_equal(cor_etl_format_parse("unhcr"), COR_FMT_UNHCR);
	assert_int_equal(cor_etl_format_parse("xlsx"), -1);
	assert_int_equal(cor_etl_encoding_parse("cp1252"), COR_ENC_CP1252);
	assert_int_equal(cor_etl_datefmt_parse("excel-serial"),
	                 COR_DATE_EXCEL);
}

/* ---- COPY binary encoding (etl_load.c cor_bin_*) ---------------------
 * Decoded here independently, following PostgreSQL's documented binary
 * COPY layout and numeric_send/array_send/date_send. */

struct rd {
	const unsigned char *p, *end;
};

static long get16(struct rd *r)
{
	long v;

	assert_true(r->p + 2 <= r->end);
	v = (long)(int16_t)((r->p[0] << 8) | r->p[1]);
	r->p += 2;
	return v;
}

static long get32(struct rd *r)
{
	uint32_t u;

	assert_true(r->p + 4 <= r->end);
	u = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
	    ((uint32_t)r->p[2] << 8) | r->p[3];
	r->p += 4;
	return (long)(int32_t)u;
}

/* numeric field -> "digits.dd" (dscale 2, non-negative), checking the
 * field length against ndigits. */
static void numeric_str(struct rd *r, char *out, size_t n)
{
	long len = get32(r), nd = get16(r), weight = get16(r);
	long sign = get16(r), dscale = get16(r);
	long long ip = 0, frac = 0;

	assert_int_equal(len, 8 + 2 * nd);
	assert_int_equal(sign, 0);
	assert_int_equal(dscale, 2);
	for (long i = 0; i < nd; i++) {
		long d = get16(r), pos = weight - i;   /* 10000^pos */

		assert_true(d >= 0 && d < 10000);
		if (pos >= 0) {
			long long m = d;

			for (long k = 0; k < pos; k++)
				m *= 10000;
			ip += m;
		} else if (pos == -1) {
			frac = d / 100;
			assert_int_equal(d % 100, 0);
		} else {
			fail_msg("digit below 0.0001");
		}
	}
	snprintf(out, n, "%lld.%02lld", ip, frac);
}

/* cor_csv_read_raw hands over every byte of the file, in order, once
 * (the loader hashes the file with it): UTF-8 with a BOM and CRLF over
 * more than one read (the reader's buffer starts at 1 MiB), and latin1
 * (read in 64 KiB blocks before iconv). */
struct raw_acc {
	char *buf;
	size_t n, cap;
	long records;
};

static void raw_take(void *ud, const void *b, size_t n)
{
	struct raw_acc *a = ud;

	if (a->n + n > a->cap) {
		a->cap = (a->n + n) * 2;
		a->buf = realloc(a->buf, a->cap);
		assert_non_null(a->buf);
	}
	memcpy(a->buf + a->n, b, n);
	a->n += n;
}

static int raw_count(void *ud, const cor_etl_record *rec, cor_err *err)
{
	struct raw_acc *a = ud;

	(void)rec;
	(void)err;
	a->records++;
	return 0;
}

static void test_raw_bytes(void **state)
{
	char dir[512], path[600];
	static const int encs[] = { COR_ENC_UTF8, COR_ENC_LATIN1 };

	(void)state;
	cor_test_tmpdir(dir, sizeof(dir));
	for (size_t k = 0; k < 2; k++) {
		cor_etl_csv_opts o = { encs[k], 0 };
		struct raw_acc a = { 0 };
		size_t n = 0, cap = (size_t)3 << 20;
		char *want = malloc(cap);
		FILE *fp;
		cor_err e;
		long lines = 0;

		assert_non_null(want);
		if (encs[k] == COR_ENC_UTF8) {
			memcpy(want, "\xEF\xBB\xBF", 3);
			n = 3;
		}
		n += (size_t)sprintf(want + n, "id,name\r\n");
		while (n < cap - 64) {
			n += (size_t)sprintf(want + n, "%ld,%s\r\n", lines,
			                     encs[k] == COR_ENC_UTF8 ?
			                     "S\xC3\xA3o Tom\xC3\xA9" :
			                     "S\xE3o Tom\xE9");
			lines++;
		}
		snprintf(path, sizeof(path), "%s/raw%zu.csv", dir, k);
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(want, 1, n, fp), n);
		assert_int_equal(fclose(fp), 0);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		cor_err_clear(&e);
		assert_int_equal(cor_csv_read_raw(fp, path, &o, raw_count, &a,
		                                  NULL, raw_take, &a, &e), 0);
		fclose(fp);
		assert_int_equal(a.records, lines + 1);
		assert_int_equal(a.n, n);
		assert_memory_equal(a.buf, want, n);
		free(a.buf);
		free(want);
	}
	cor_test_rmdir(dir);
}

/* The reference hash (etl_ref.c): keys of every length class of its
 * word-at-a-time hash (0, 1-3, 4-7, 8 and more bytes), keys that are
 * prefixes of others, look-ups by length without a NUL. */
static void test_ref_hash(void **state)
{
	static const char *const keys[] = {
		"", "K", "KE", "KEN", "KE01", "KE010", "KE-MOYALE",
		"KE-MOYALEX", "ET-WOLAITA-SODO", "ET-WOLAITA-SODP",
		"ZA-JOHANNESBURG", "ZA-JOHANNESBURG-2", NULL
	};
	cor_hash h = { 0 };
	char buf[64];
	const struct cor_hent *e;

	(void)state;
	for (int i = 0; keys[i] != NULL; i++) {
		snprintf(buf, sizeof(buf), "v%d", i);
		assert_int_equal(cor_hash_put(&h, keys[i], buf, i), 0);
	}
	/* replace keeps one entry */
	assert_int_equal(cor_hash_put(&h, "KE010", "v5b", 5), 0);
	assert_int_equal(h.n, 12);
	for (int i = 0; keys[i] != NULL; i++) {
		size_t n = strlen(keys[i]);

		e = cor_hash_get(&h, keys[i]);
		assert_non_null(e);
		assert_string_equal(e->key, keys[i]);
		assert_int_equal(e->flag, i);
		/* the same key followed by other bytes, by length */
		snprintf(buf, sizeof(buf), "%s;KE-NAIROBI", keys[i]);
		assert_ptr_equal(cor_hash_getn(&h, buf, n), e);
	}
	assert_string_equal(cor_hash_get(&h, "KE010")->val, "v5b");
	assert_null(cor_hash_get(&h, "KE0"));
	assert_null(cor_hash_get(&h, "KE-MOYAL"));
	assert_null(cor_hash_get(&h, "ZA-JOHANNESBURG-"));
	assert_null(cor_hash_getn(&h, "KE-MOYALE", 8));
	cor_hash_free(&h);
}

static void test_copy_binary(void **state)
{
	static const int64_t cents[] = { 1250, 576000, 1000000, 5, 0,
	                                 12345678901LL, 99999999999LL };
	static const char *const want[] = { "12.50", "5760.00", "10000.00",
	                                    "0.05", "0.00", "123456789.01",
	                                    "999999999.99" };
	const char *route[] = { "ET-MOYALE", "KE-MOYALE" };
	int32_t rd[2] = { 0, cor_etl_days_from_civil(2019, 2, 28) };
	unsigned char rn[2] = { 1, 0 };
	cor_out o = { 0 };
	struct rd r;
	char b[64];
	long len;

	(void)state;
	cor_bin_header(&o);
	cor_bin_row(&o, 9);
	cor_bin_int8(&o, 4294967297LL);         /* 2^32 + 1 */
	cor_bin_bytes(&o, "abc", 3);
	cor_bin_null(&o);
	cor_bin_int2(&o, -2);
	cor_bin_int4(&o, 36500);
	cor_bin_bool(&o, 1);
	cor_bin_date(&o, cor_etl_days_from_civil(2019, 2, 28));
	cor_bin_text_array(&o, route, 2);
	cor_bin_date_array(&o, rd, rn, 2);
	for (size_t i = 0; i < sizeof(cents) / sizeof(cents[0]); i++)
		cor_bin_cents(&o, cents[i]);
	cor_bin_text_array(&o, NULL, 0);
	cor_bin_bool(&o, -1);
	cor_bin_trailer(&o);
	assert_false(o.oom);

	r.p = (const unsigned char *)o.buf;
	r.end = r.p + o.len;
	assert_memory_equal(r.p, "PGCOPY\n\377\r\n\0", 11);
	r.p += 11;
	assert_int_equal(get32(&r), 0);         /* flags */
	assert_int_equal(get32(&r), 0);         /* extension */
	assert_int_equal(get16(&r), 9);
	assert_int_equal(get32(&r), 8);
	assert_int_equal(get32(&r), 1);         /* high word */
	assert_int_equal(get32(&r), 1);         /* low word */
	assert_int_equal(get32(&r), 3);
	assert_memory_equal(r.p, "abc", 3);
	r.p += 3;
	assert_int_equal(get32(&r), -1);
	assert_int_equal(get32(&r), 2);
	assert_int_equal(get16(&r), -2);
	assert_int_equal(get32(&r), 4);
	assert_int_equal(get32(&r), 36500);
	assert_int_equal(get32(&r), 1);
	assert_int_equal(*r.p++, 1);
	/* 2019-02-28 is 19 * 365 + 5 leap days + 31 + 27 = 6998 days after
	 * PostgreSQL's epoch 2000-01-01 */
	assert_int_equal(get32(&r), 4);
	assert_int_equal(get32(&r), 6998);
	/* text[]: length, ndim 1, no NULLs, OID 25, size 2, lower bound 1 */
	len = get32(&r);
	assert_int_equal(len, 20 + 4 + 9 + 4 + 9);
	assert_int_equal(get32(&r), 1);
	assert_int_equal(get32(&r), 0);
	assert_int_equal(get32(&r), 25);
	assert_int_equal(get32(&r), 2);
	assert_int_equal(get32(&r), 1);
	assert_int_equal(get32(&r), 9);
	assert_memory_equal(r.p, "ET-MOYALE", 9);
	r.p += 9;
	assert_int_equal(get32(&r), 9);
	assert_memory_equal(r.p, "KE-MOYALE", 9);
	r.p += 9;
	/* date[] {NULL,2019-02-28}: has-NULL flag, OID 1082 */
	assert_int_equal(get32(&r), 20 + 4 + 8);
	assert_int_equal(get32(&r), 1);
	assert_int_equal(get32(&r), 1);
	assert_int_equal(get32(&r), 1082);
	assert_int_equal(get32(&r), 2);
	assert_int_equal(get32(&r), 1);
	assert_int_equal(get32(&r), -1);
	assert_int_equal(get32(&r), 4);
	assert_int_equal(get32(&r), 6998);
	/* numerics: 10000.00 is one digit of weight 1; 0.05 one digit 500
	 * of weight -1; zero has no digits */
	for (size_t i = 0; i < sizeof(cents) / sizeof(cents[0]); i++) {
		const unsigned char *at = r.p;

		numeric_str(&r, b, sizeof(b));
		assert_string_equal(b, want[i]);
		if (cents[i] == 1000000) {
			assert_int_equal((at[4] << 8) | at[5], 1);
			assert_int_equal((at[6] << 8) | at[7], 1);
		}
		if (cents[i] == 5) {
			assert_int_equal((at[4] << 8) | at[5], 1);
			assert_int_equal((int16_t)((at[6] << 8) | at[7]), -1);
			assert_int_equal((at[12] << 8) | at[13], 500);
		}
		if (cents[i] == 0)
			assert_int_equal((at[4] << 8) | at[5], 0);
	}
	/* '{}': ndim 0, no dimensions */
	assert_int_equal(get32(&r), 12);
	assert_int_equal(get32(&r), 0);
	assert_int_equal(get32(&r), 0);
	assert_int_equal(get32(&r), 25);
	assert_int_equal(get32(&r), -1);        /* NULL boolean */
	assert_int_equal(get16(&r), -1);        /* trailer */
	assert_ptr_equal(r.p, r.end);
	free(o.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c01_bom),
		cmocka_unit_test(test_c02_encoding),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_c03_crlf),
		cmocka_unit_test(test_c04_quoted_newline),
		cmocka_unit_test(test_c12_trailing),
		cmocka_unit_test(test_c18_hxl),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_utf8_check),
		cmocka_unit_test(test_dates_iso),
		cmocka_unit_test(test_c17_long_dates),
		cmocka_unit_test(test_c08_excel_serial),
		cmocka_unit_test(test_ambiguous_dm),
		cmocka_unit_test(test_c09_decimal_comma),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_c15_coords),
		cmocka_unit_test(test_c13_missing),
		cmocka_unit_test(test_fold_and_names),
		cmocka_unit_test(test_identifier_columns),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_detect_format),
		cmocka_unit_test(test_copy_binary),
		cmocka_unit_test(test_raw_bytes),
		cmocka_unit_test(test_ref_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
