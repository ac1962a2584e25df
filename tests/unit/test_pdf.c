/* tests/unit/test_pdf.c: the PDF layer without a database. Fonts, glyph
 * coverage (case C20), wrapping of text without spaces, reproducible
 * bytes, NaN never printed (C23/C26 style gaps), and text extraction with
 * poppler's pdftotext (a subprocess). Set COR_PDF_DEMO=file.pdf to keep
 * the sample document for viewing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "corridor/pdf.h"

static int contains(const unsigned char *h, size_t n, const char *s)
{
	size_t m = strlen(s);

	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(h + i, s, m) == 0)
			return 1;
	return 0;
}

static cor_pdf_opts base_opts(void)
{
	cor_pdf_opts o;

	memset(&o, 0, sizeof(o));
	o.date = 1577750400;   /* 2019-12-31 00:00:00 UTC */
	o.title = "corridor test document";
	o.subject = "unit test";
	o.quarter = "2019Q4";
	o.k = 5;
	return o;
}

/* Reads the labels of tests/fixtures/pdf/C20.csv (adapted from
 * ../shared/cases/inputs/C20.csv): column 1 of each data row. */
static int read_c20(char labels[][128], int max)
{
	const char *repo = getenv("REPO");
	char path[1024], line[512];
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/tests/fixtures/pdf/C20.csv",
	         repo ? repo : ".");
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL && n < max) {
		char *comma = strrchr(line, ',');

		if (strncmp(line, "place_label,", 12) == 0 || comma == NULL)
			continue;
		*comma = '\0';
		if (strlen(line) >= 128)
			continue;
		strcpy(labels[n++], line);
	}
	fclose(fp);
	return n;
}

/* Writes buf to a temporary file and returns pdftotext's output (malloc'd;
 * -layout off, UTF-8) or NULL. opts: extra pdftotext options. */
static char *pdftotext(const unsigned char *buf, size_t len,
                       const char *opts)
{
	char path[] = "/tmp/cor_test_pdfXXXXXX";
	char cmd[512], *out = NULL;
	size_t n = 0, cap = 0;
	FILE *fp, *pp;
	int fd = mkstemp(path);

	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "wb");
	if (fp == NULL || fwrite(buf, 1, len, fp) != len) {
		if (fp)
			fclose(fp);
		unlink(path);
		return NULL;
	}
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "pdftotext -q -enc UTF-8 %s %s -", opts,
	         path);
	pp = popen(cmd, "r");
	if (pp != NULL) {
		char chunk[4096];
		size_t got;

		while ((got = fread(chunk, 1, sizeof(chunk), pp)) > 0) {
			if (n + got + 1 > cap) {
				cap = (n + got + 1) * 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			memcpy(out + n, chunk, got);
			n += got;
		}
		if (pclose(pp) != 0) {
			free(out);
			out = NULL;
		} else if (out == NULL) {
			out = calloc(1, 1);
		} else {
			out[n] = '\0';
		}
	}
	unlink(path);
	return out;
}

static void test_fonts_load(void **state)
{
	cor_pdf_opts o = base_opts();
	cor_pdf *p = NULL;
	cor_err err;

	(void)state;
	cor_err_clear(&err);
	assert_int_equal(cor_pdf_new(&o, &p, &err), 0);
	assert_non_null(p);
	cor_pdf_free(p);

	o.font_regular = "/nonexistent/Font.ttf";
	assert_int_equal(cor_pdf_new(&o, &p, &err), COR_EIO);
	assert_null(p);
	assert_string_equal(err.file, "/nonexistent/Font.ttf");
	cor_pdf_free(NULL);
}

/* C20: with only DejaVu configured, the Ethiopic code points are listed;
 * with Abyssinica SIL as fallback every label passes. */
static void test_glyph_check(void **state)
{
	cor_pdf_opts o = base_opts();
	cor_pdf *p = NULL;
	cor_err err;
	char labels[8][128];
	int n = read_c20(labels, 8);

	(void)state;
	assert_int_equal(n, 3);
	o.font_fallback = "";
	assert_int_equal(cor_pdf_new(&o, &p, &err), 0);
	cor_err_clear(&err);
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY, labels[0], &err),
	                 COR_EDATA);
	assert_non_null(strstr(err.msg, "U+121E U+12EB U+120C"));
	assert_non_null(strstr(err.msg, "(3 code points)"));
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY, labels[1], &err),
	                 COR_EDATA);
	/* አዲስ አበባ: U+12A0 U+12F2 U+1235 U+12A0 U+1260 U+1263 */
	assert_non_null(strstr(err.msg, "U+12A0 U+12F2 U+1235 U+12A0 U+1260 "
	                       "U+1263"));
	/* Latin with diacritics is covered by DejaVu */
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY, labels[2], &err),
	                 0);
	/* drawing is refused too, not replaced by '?' */
	{
		double top;

		assert_int_equal(cor_pdf_page_add(p, &top, &err), 0);
		assert_int_equal(cor_pdf_text(p, COR_PDF_BODY, COR_PDF_LEFT,
		                              50, top, 300, labels[0], 1, NULL,
		                              &err), COR_EDATA);
	}
	cor_pdf_free(p);

	o.font_fallback = NULL;
	assert_int_equal(cor_pdf_new(&o, &p, &err), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY, labels[i],
		                                    &err), 0);
	/* bold falls back to the Ethiopic font as well */
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BOLD, labels[0], &err),
	                 0);
	/* outside every font: Hangul, and a code point beyond the BMP */
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY, "Seoul 서울",
	                                    &err), COR_EDATA);
	assert_non_null(strstr(err.msg, "U+C11C U+C6B8"));
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY,
	                                    "x \xF0\x9F\x98\x80", &err),
	                 COR_EDATA);
	assert_non_null(strstr(err.msg, "U+1F600"));
	/* invalid UTF-8 (a Latin-1 byte) */
	assert_int_equal(cor_pdf_check_text(p, COR_PDF_BODY, "C\xF4te", &err),
	                 COR_EDATA);
	assert_non_null(strstr(err.msg, "invalid UTF-8 at byte 1"));
	cor_pdf_free(p);
}

/* Wrapping: text without ASCII spaces breaks at code point boundaries and
 * never exceeds the width; checked on the extracted word boxes. */
static void test_wrap_no_spaces(void **state)
{
	cor_pdf_opts o = base_opts();
	cor_pdf *p = NULL;
	cor_err err;
	char eth[1024] = "", lat[256] = "", *bbox, *q;
	double top, w, W = 120.0, x0 = 100.0, h, h2;
	int lines, nwords = 0;
	unsigned char *buf;
	size_t len;

	(void)state;
	for (int i = 0; i < 20; i++)
		strcat(eth, "ሞያሌአዲስአበባ");
	for (int i = 0; i < 60; i++)
		strcat(lat, "abc");
	assert_int_equal(cor_pdf_new(&o, &p, &err), 0);
	assert_int_equal(cor_pdf_text_width(p, COR_PDF_BODY, eth, &w, &err), 0);
	assert_true(w > 5 * W);
	assert_int_equal(cor_pdf_wrap_count(p, COR_PDF_BODY, W, eth, &lines,
	                                    &err), 0);
	assert_true(lines >= (int)ceil(w / W));
	assert_true(lines <= (int)ceil(w / W) + 2);
	assert_int_equal(cor_pdf_wrap_count(p, COR_PDF_BODY, W, "a b\nc",
	                                    &lines, &err), 0);
	assert_int_equal(lines, 2);
	assert_int_equal(cor_pdf_page_add(p, &top, &err), 0);
	assert_int_equal(cor_pdf_text(p, COR_PDF_BODY, COR_PDF_LEFT, x0, top,
	                              W, eth, 1, &h, &err), 0);
	assert_int_equal(cor_pdf_text(p, COR_PDF_BODY, COR_PDF_LEFT, x0,
	                              top + h + 10, W, lat, 1, &h2, &err), 0);
	assert_int_equal(cor_pdf_save_mem(p, &buf, &len, &err), 0);
	cor_pdf_free(p);
	bbox = pdftotext(buf, len, "-bbox");
	free(buf);
	assert_non_null(bbox);
	for (q = strstr(bbox, "<word "); q != NULL;
	     q = strstr(q + 1, "<word ")) {
		double xmin, ymin, xmax;

		assert_int_equal(sscanf(q, "<word xMin=\"%lf\" yMin=\"%lf\" "
		                        "xMax=\"%lf\"", &xmin, &ymin, &xmax),
		                 3);
		if (ymin < top - 1 || ymin > top + h + 10 + h2)
			continue;   /* page header/footer */
		assert_true(xmin >= x0 - 0.5);
		assert_true(xmax <= x0 + W + 0.5);
		nwords++;
	}
	/* Ethiopic lines plus Latin lines, each line one word */
	assert_true(nwords >= (int)ceil(w / W) + 2);
	free(bbox);
}

/* Draws one page of every primitive from hand-made numbers. */
static int sample_doc(const cor_pdf_opts *o, unsigned char **buf,
                      size_t *len, cor_err *err)
{
	static const char *const periods[12] = {
		"2017Q1", "2017Q2", "2017Q3", "2017Q4", "2018Q1", "2018Q2",
		"2018Q3", "2018Q4", "2019Q1", "2019Q2", "2019Q3", "2019Q4" };
	cor_pdf_val counts[12] = {
		{ 41, 0 }, { 45, 0 }, { NAN, 0 }, { 52, 0 }, { 3, 1 },
		{ 60, 0 }, { 58, 0 }, { 66, 0 }, { 70, 0 }, { 0, 0 },
		{ 79, 0 }, { 84, 0 } };
	double fit[12], lo[12], hi[12];
	static const char *const cats[4] = { "Sexual exploitation",
		"Forced labour", "Domestic servitude",
		"Forced marriage and other forms" };
	static const char *const ser[2] = { "Female", "Male" };
	cor_pdf_val bv[8] = { { 120, 0 }, { 40, 0 }, { 61, 0 }, { 2, 1 },
		{ 15, 0 }, { 98, 0 }, { 12, 0 }, { NAN, 0 } };
	cor_pdf_node nodes[5] = {
		{ "Addis Ababa / አዲስ አበባ", 9.03, 38.74, { 412, 0 } },
		{ "Moyale / ሞያሌ", 3.52, 39.05, { 390, 0 } },
		{ "Nairobi", -1.29, 36.82, { 350, 0 } },
		{ "Lilongwe", -13.96, 33.79, { 3, 1 } },
		{ "Johannesburg", -26.20, 28.05, { 280, 0 } } };
	cor_pdf_leg legs[4] = { { 0, 1, { 400, 0 } }, { 1, 2, { 360, 0 } },
		{ 2, 3, { 2, 1 } }, { 2, 4, { 270, 0 } } };
	static const char *const hdr[4] = { "Place", "Cases", "Median fee "
		"(USD)", "Median days" };
	static const char *const cells[8] = { "Côte d'Ivoire", "3", "", "",
		"Moyale / ሞያሌ", "14", "1,200", "9" };
	static const int sup[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
	cor_pdf_figure fig = { "Cases identified", "1,204",
		{ "up 18% (95% CI 4% to 34%) on 2019Q3",
		  "down 5% (95% CI -12% to 3%) on 2018Q4", NULL } };
	cor_pdf_trend t;
	cor_pdf_bars b;
	cor_pdf_route r;
	cor_pdf_table tb;
	cor_pdf *p = NULL;
	double top, h;
	int rc;

	for (int i = 0; i < 12; i++) {
		fit[i] = 40.0 * exp(0.065 * i);
		lo[i] = fit[i] * 0.85;
		hi[i] = fit[i] * 1.17;
	}
	fit[6] = NAN;   /* a gap in the fitted line and band */
	memset(&t, 0, sizeof(t));
	t.title = "Cases identified per quarter";
	t.value_label = "cases";
	t.period_label = "Quarter of registration";
	t.n = 12;
	t.periods = periods;
	t.counts = counts;
	t.fit = fit;
	t.lo = lo;
	t.hi = hi;
	t.count_name = "Cases identified";
	t.fit_name = "Poisson trend with 95% CI";
	memset(&b, 0, sizeof(b));
	b.title = "Forms of exploitation by sex";
	b.value_label = "cases";
	b.ncat = 4;
	b.nser = 2;
	b.categories = cats;
	b.series = ser;
	b.vals = bv;
	memset(&r, 0, sizeof(r));
	r.title = "Route";
	r.nnodes = 5;
	r.nlegs = 4;
	r.nodes = nodes;
	r.legs = legs;
	memset(&tb, 0, sizeof(tb));
	tb.title = "Top legs";
	tb.ncols = 4;
	tb.nrows = 2;
	tb.headers = hdr;
	tb.cells = cells;
	tb.suppressed = sup;

	rc = cor_pdf_new(o, &p, err);
	if (rc != 0)
		return rc;
	rc = cor_pdf_page_add(p, &top, err);
	if (rc == 0)
		rc = cor_pdf_text(p, COR_PDF_TITLE, COR_PDF_LEFT, 48, top, 500,
		                  "Southern Route brief", 1, &h, err);
	if (rc == 0)
		rc = cor_pdf_figure_box(p, (cor_pdf_box){ 48, top + 40, 160,
		                        80 }, &fig, err);
	if (rc == 0)
		rc = cor_pdf_trend_chart(p, (cor_pdf_box){ 48, top + 130,
		                         499, 200 }, &t, err);
	if (rc == 0)
		rc = cor_pdf_bar_chart(p, (cor_pdf_box){ 48, top + 350, 499,
		                       160 }, &b, err);
	if (rc == 0)
		rc = cor_pdf_table_draw(p, (cor_pdf_box){ 48, top + 530, 499,
		                        100 }, &tb, &h, err);
	if (rc == 0)
		rc = cor_pdf_page_add(p, &top, err);
	if (rc == 0)
		rc = cor_pdf_route_diagram(p, (cor_pdf_box){ 48, top, 499,
		                           600 }, &r, err);
	if (rc == 0) {
		/* an empty chart says so, and has no axis */
		cor_pdf_bars e = b;

		e.ncat = 0;
		e.empty_note = "No Missing Migrants data loaded";
		rc = cor_pdf_bar_chart(p, (cor_pdf_box){ 48, top + 620, 499,
		                       80 }, &e, err);
	}
	if (rc == 0)
		rc = cor_pdf_save_mem(p, buf, len, err);
	cor_pdf_free(p);
	return rc;
}

static void test_reproducible(void **state)
{
	cor_pdf_opts o = base_opts();
	unsigned char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	cor_err err;

	(void)state;
	assert_int_equal(sample_doc(&o, &a, &na, &err), 0);
	assert_int_equal(sample_doc(&o, &b, &nb, &err), 0);
	assert_true(na > 1000);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_true(contains(a, na, "/CreationDate (D:20191231000000Z"));
	free(b);
	o.synthetic = 1;   /* the band changes the bytes */
	assert_int_equal(sample_doc(&o, &b, &nb, &err), 0);
	assert_false(na == nb && memcmp(a, b, na) == 0);
	free(a);
	free(b);
}

static void test_text_extraction(void **state)
{
	cor_pdf_opts o = base_opts();
	unsigned char *buf = NULL;
	size_t len = 0;
	char *txt, labels[8][128];
	const char *demo = getenv("COR_PDF_DEMO");
	cor_err err;
	int n = read_c20(labels, 8);

	(void)state;
	assert_int_equal(n, 3);
	o.synthetic = 1;
	assert_int_equal(sample_doc(&o, &buf, &len, &err), 0);
	if (demo != NULL) {
		FILE *fp = fopen(demo, "wb");

		assert_non_null(fp);
		assert_int_equal(fwrite(buf, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
	}
	txt = pdftotext(buf, len, "");
	free(buf);
	assert_non_null(txt);
	for (int i = 0; i < n; i++)
		assert_non_null(strstr(txt, labels[i]));
	assert_non_null(strstr(txt, "SYNTHETIC DATA — NOT FOR PUBLICATION"));
	assert_non_null(strstr(txt, "up 18% (95% CI 4% to 34%)"));
	assert_non_null(strstr(txt, "Page 1 of 2"));
	assert_non_null(strstr(txt, "Page 2 of 2"));
	assert_non_null(strstr(txt, "No Missing Migrants data loaded"));
	/* suppressed cells and the n/a gap are labelled */
	assert_non_null(strstr(txt, "<5"));
	assert_non_null(strstr(txt, "n/a"));
	/* NaN input is never printed */
	for (char *c = txt; *c; c++)
		*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
	assert_null(strstr(txt, "nan"));
	assert_null(strstr(txt, "inf"));
	assert_null(strstr(txt, "?"));
	free(txt);
}

static int count_of(const char *h, const char *s)
{
	int n = 0;

	for (const char *q = strstr(h, s); q != NULL; q = strstr(q + 1, s))
		n++;
	return n;
}

/* Withheld values in charts are hatched stubs explained once per chart
 * in its legend, never a "<5" per bar; the wide route diagram has a key
 * listing every place with its count. */
static void test_withheld_and_key(void **state)
{
	cor_pdf_opts o = base_opts();
	unsigned char *buf = NULL;
	size_t len = 0;
	char *p1, *p2;
	cor_err err;

	(void)state;
	assert_int_equal(sample_doc(&o, &buf, &len, &err), 0);
	p1 = pdftotext(buf, len, "-f 1 -l 1");
	p2 = pdftotext(buf, len, "-f 2 -l 2");
	free(buf);
	assert_non_null(p1);
	assert_non_null(p2);
	/* trend chart and bar chart: one legend entry each, "withheld"
	 * (not "fewer than 5": a cell may be withheld to protect another) */
	assert_int_equal(count_of(p1, "withheld"), 2);
	assert_int_equal(count_of(p1, "fewer than"), 0);
	/* the only "<5" on page 1 are the table's two withheld cells */
	assert_int_equal(count_of(p1, "<5"), 2);
	/* the key: line widths, withheld legs, every place with its count
	 * (on the map and in the list: twice, or starred when unlabelled) */
	assert_non_null(strstr(p2, "CASES PASSING THROUGH EACH PLACE"));
	assert_int_equal(count_of(p2, "withheld (<5 or x)"), 1);
	assert_non_null(strstr(p2, "400 cases on a leg"));
	assert_true(count_of(p2, "Johannesburg") == 2 ||
	            strstr(p2, "Johannesburg *") != NULL);
	assert_true(count_of(p2, "Lilongwe") == 2 ||
	            strstr(p2, "Lilongwe *") != NULL);
	free(p1);
	free(p2);
}

static void test_errors(void **state)
{
	cor_pdf_opts o = base_opts();
	cor_pdf *p = NULL;
	cor_err err;
	double top;
	unsigned char *buf;
	size_t len;
	char num[32];

	(void)state;
	assert_int_equal(cor_pdf_new(&o, &p, &err), 0);
	/* nothing to save yet; drawing before a page is refused */
	assert_int_equal(cor_pdf_text(p, COR_PDF_BODY, COR_PDF_LEFT, 10, 10,
	                              100, "x", 1, NULL, &err), COR_EINVAL);
	cor_pdf_free(p);
	assert_int_equal(cor_pdf_new(&o, &p, &err), 0);
	assert_int_equal(cor_pdf_save_mem(p, &buf, &len, &err), COR_EINVAL);
	/* a failed document stays failed */
	assert_int_equal(cor_pdf_page_add(p, &top, &err), COR_EPDF);
	cor_pdf_free(p);
	(void)num;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fonts_load),
		cmocka_unit_test(test_glyph_check),
		cmocka_unit_test(test_wrap_no_spaces),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_text_extraction),
		cmocka_unit_test(test_withheld_and_key),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
