/* etl/etl_parse.c: strict parsers for dates, numbers, coordinates and
 * booleans, name folding, enum names (include/corridor/etl.h). */
#include "corridor/etl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const fmt_names[] = { "auto", "cases", "ctdc", "mmp",
                                         "unhcr" };
static const char *const enc_names[] = { "utf8", "latin1", "cp1252" };
static const char *const date_names[] = { "iso", "dmy", "mdy",
                                          "excel-serial", "auto", "long" };

const char *cor_etl_format_name(int format)
{
	if (format < 0 || format > COR_FMT_UNHCR)
		return "?";
	return fmt_names[format];
}

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (s != NULL && strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

int cor_etl_format_parse(const char *s)
{
	return lookup(s, fmt_names, 5);
}

int cor_etl_encoding_parse(const char *s)
{
	if (s != NULL && (strcasecmp(s, "utf-8") == 0))
		return COR_ENC_UTF8;
	if (s != NULL && (strcasecmp(s, "iso-8859-1") == 0 ||
	                  strcasecmp(s, "latin-1") == 0))
		return COR_ENC_LATIN1;
	if (s != NULL && (strcasecmp(s, "windows-1252") == 0))
		return COR_ENC_CP1252;
	return lookup(s, enc_names, 3);
}

int cor_etl_datefmt_parse(const char *s)
{
	if (s != NULL && strcasecmp(s, "excel") == 0)
		return COR_DATE_EXCEL;
	return lookup(s, date_names, 6);
}

/* ---- dates ---------------------------------------------------------- */

int32_t cor_etl_days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void cor_etl_date_str(int32_t days, char *out)
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int y = yoe + era * 400;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int d = doy - (153 * mp + 2) / 5 + 1;
	int m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	/* 1900..2099 by construction of the parsers */
	out[0] = (char)('0' + (y / 1000) % 10);
	out[1] = (char)('0' + (y / 100) % 10);
	out[2] = (char)('0' + (y / 10) % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

static int mdays(int y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	                         31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : n[m - 1];
}

static int mkdate(int y, int m, int d, int32_t *days, const char **why)
{
	if (y < 1900 || y > 2099) {
		*why = "year outside 1900..2099";
		return COR_EDATA;
	}
	if (m < 1 || m > 12) {
		*why = "month outside 1..12";
		return COR_EDATA;
	}
	if (d < 1 || d > mdays(y, m)) {
		*why = "no such day in that month";
		return COR_EDATA;
	}
	*days = cor_etl_days_from_civil(y, m, d);
	return 0;
}

/* Reads 1..maxd digits; returns count or 0. */
static int digits(const char **pp, int maxd, int *v)
{
	const char *p = *pp;
	int n = 0, x = 0;

	while (n < maxd && p[n] >= '0' && p[n] <= '9') {
		x = x * 10 + (p[n] - '0');
		n++;
	}
	if (n == 0 || (p[n] >= '0' && p[n] <= '9'))
		return 0;
	*v = x;
	*pp = p + n;
	return n;
}

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int at_end(const char *p)
{
	p = skip_blank(p);
	return *p == '\0';
}

static int parse_iso(const char *s, int32_t *days, const char **why)
{
	const char *p = s;
	int y, m, d;

	if (digits(&p, 4, &y) != 4 || *p++ != '-' ||
	    digits(&p, 2, &m) != 2 || *p++ != '-' ||
	    digits(&p, 2, &d) != 2 || !at_end(p)) {
		*why = "not an ISO date YYYY-MM-DD";
		return COR_EDATA;
	}
	return mkdate(y, m, d, days, why);
}

/* a SEP b SEP yyyy with SEP one of / . - (the same twice). */
static int parse_slashed(const char *s, int *a, int *b, int *y)
{
	const char *p = s;
	char sep;

	if (digits(&p, 2, a) == 0)
		return -1;
	sep = *p;
	if (sep != '/' && sep != '.' && sep != '-')
		return -1;
	p++;
	if (digits(&p, 2, b) == 0 || *p++ != sep ||
	    digits(&p, 4, y) != 4 || !at_end(p))
		return -1;
	return 0;
}

static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};

static int parse_long(const char *s, int32_t *days, const char **why)
{
	const char *p = s;
	char word[16];
	size_t n = 0;
	int m = 0, d, y;

	while (isalpha((unsigned char)*p) && n + 1 < sizeof(word))
		word[n++] = (char)tolower((unsigned char)*p++);
	word[n] = '\0';
	for (int i = 0; i < 12 && n >= 3; i++) {
		if (strcmp(word, months[i]) == 0 ||
		    (n == 3 && strncmp(word, months[i], 3) == 0) ||
		    (n == 4 && word[3] == '.' && strncmp(word, months[i], 3)
		     == 0)) {
			m = i + 1;
			break;
		}
	}
	if (*p == '.')
		p++;
	if (m == 0 || *p != ' ') {
		*why = "not a date like \"December 30, 2019\"";
		return COR_EDATA;
	}
	p = skip_blank(p);
	if (digits(&p, 2, &d) == 0 || *p++ != ',') {
		*why = "not a date like \"December 30, 2019\"";
		return COR_EDATA;
	}
	p = skip_blank(p);
	if (digits(&p, 4, &y) != 4 || !at_end(p)) {
		*why = "not a date like \"December 30, 2019\"";
		return COR_EDATA;
	}
	return mkdate(y, m, d, days, why);
}

int cor_etl_parse_date(const char *s, int datefmt, int32_t *days,
                       const char **why)
{
	const char *dummy;
	int a, b, y;
	int32_t t;
	int rc;

	if (why == NULL)
		why = &dummy;
	s = skip_blank(s);
	switch (datefmt) {
	case COR_DATE_ISO:
		return parse_iso(s, days, why);
	case COR_DATE_LONG:
		if (isdigit((unsigned char)*s))
			return parse_iso(s, days, why);
		return parse_long(s, days, why);
	case COR_DATE_EXCEL: {
		int64_t v;

		if (cor_etl_parse_int(s, 0, 1, &v, why) != 0) {
			*why = "not an Excel day serial";
			return COR_EDATA;
		}
		if (v < 61 || v > 73050) {   /* 1900-03-01 .. 2099-12-31 */
			*why = "Excel serial outside 61..73050 "
			       "(1900-03-01..2099-12-31)";
			return COR_EDATA;
		}
		/* 1900 system: serial 25569 is 1970-01-01 */
		*days = (int32_t)(v - 25569);
		return 0;
	}
	case COR_DATE_DMY:
	case COR_DATE_MDY:
		if (parse_slashed(s, &a, &b, &y) != 0) {
			*why = datefmt == COR_DATE_DMY ?
			       "not a date D/M/YYYY" : "not a date M/D/YYYY";
			return COR_EDATA;
		}
		return datefmt == COR_DATE_DMY ? mkdate(y, b, a, days, why)
		                               : mkdate(y, a, b, days, why);
	case COR_DATE_AUTO:
		if (parse_iso(s, &t, why) == 0) {
			*days = t;
			return 0;
		}
		if (parse_slashed(s, &a, &b, &y) != 0) {
			*why = "not a date (ISO YYYY-MM-DD or D/M/YYYY)";
			return COR_EDATA;
		}
		if (a > 12 && b <= 12)
			rc = mkdate(y, b, a, days, why);
		else if (b > 12 && a <= 12)
			rc = mkdate(y, a, b, days, why);
		else if (a == b)
			rc = mkdate(y, a, b, days, why);
		else {
			*why = "ambiguous day/month order (declare "
			       "--date-format dmy or mdy)";
			rc = COR_EDATA;
		}
		return rc;
	default:
		*why = "unknown date format";
		return COR_EDATA;
	}
}

/* ---- numbers -------------------------------------------------------- */

/* Copies the digits of s (after sign) into out, removing '.' thousands
 * groups when grouping; stops at the decimal separator. Returns pointer
 * past the integer part or NULL on a malformed grouping. */
static const char *int_part(const char *p, int grouping, char *out,
                            size_t cap, size_t *n)
{
	size_t k = 0, lead = 0;

	while (*p >= '0' && *p <= '9') {
		if (k + 1 >= cap)
			return NULL;
		out[k++] = *p++;
		lead++;
	}
	if (lead == 0)
		return NULL;
	if (grouping && *p == '.') {
		if (lead > 3)
			return NULL;
		while (*p == '.') {
			p++;
			for (int i = 0; i < 3; i++) {
				if (*p < '0' || *p > '9' || k + 1 >= cap)
					return NULL;
				out[k++] = *p++;
			}
			if (*p >= '0' && *p <= '9')
				return NULL;
		}
	}
	out[k] = '\0';
	*n = k;
	return p;
}

/* Parses [-]int[sep frac] into sign, integer digits and fraction digits. */
static int split_number(const char *s, int decimal_comma, int *neg,
                        char *ip, char *fp, size_t cap)
{
	const char *p = skip_blank(s);
	char sep = decimal_comma ? ',' : '.';
	size_t n, k = 0;

	*neg = 0;
	if (*p == '-' || *p == '+') {
		*neg = *p == '-';
		p++;
	}
	p = int_part(p, decimal_comma, ip, cap, &n);
	if (p == NULL)
		return -1;
	if (*p == sep) {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (k + 1 >= cap)
				return -1;
			fp[k++] = *p++;
		}
		if (k == 0)
			return -1;
	}
	fp[k] = '\0';
	return at_end(p) ? 0 : -1;
}

int cor_etl_parse_int(const char *s, int decimal_comma,
                      int allow_zero_fraction, int64_t *v, const char **why)
{
	char ip[32], fp[32];
	int neg;
	int64_t x = 0;

	if (split_number(s, decimal_comma, &neg, ip, fp, sizeof(ip)) != 0) {
		if (why)
			*why = decimal_comma ? "not a whole number (decimal "
			       "comma, '.' thousands)" : "not a whole number";
		return COR_EDATA;
	}
	if (fp[0] != '\0') {
		if (!allow_zero_fraction || strspn(fp, "0") != strlen(fp)) {
			if (why)
				*why = "not a whole number";
			return COR_EDATA;
		}
	}
	for (const char *p = ip; *p; p++) {
		if (x > (INT64_MAX - (*p - '0')) / 10) {
			if (why)
				*why = "number too large";
			return COR_EDATA;
		}
		x = x * 10 + (*p - '0');
	}
	*v = neg ? -x : x;
	return 0;
}

int cor_etl_parse_decimal(const char *s, int decimal_comma, double *v,
                          const char **why)
{
	char ip[40], fp[40], buf[96];
	int neg;

	if (split_number(s, decimal_comma, &neg, ip, fp, sizeof(ip)) != 0) {
		if (why)
			*why = decimal_comma ? "not a number (decimal comma, "
			       "'.' thousands)" : "not a number ('.' decimal "
			       "point)";
		return COR_EDATA;
	}
	snprintf(buf, sizeof(buf), "%s%s.%s0", neg ? "-" : "", ip, fp);
	*v = strtod(buf, NULL);
	return 0;
}

int cor_etl_parse_cents(const char *s, int decimal_comma, int64_t *cents,
                        const char **why)
{
	char ip[32], fp[32];
	int neg;
	int64_t x = 0;
	size_t nf;

	if (split_number(s, decimal_comma, &neg, ip, fp, sizeof(ip)) != 0) {
		if (why)
			*why = "not an amount";
		return COR_EDATA;
	}
	nf = strlen(fp);
	if (nf > 2) {
		if (why)
			*why = "more than two decimals";
		return COR_EDATA;
	}
	if (strlen(ip) > 12) {
		if (why)
			*why = "amount too large";
		return COR_EDATA;
	}
	for (const char *p = ip; *p; p++)
		x = x * 10 + (*p - '0');
	x *= 100;
	if (nf >= 1)
		x += (fp[0] - '0') * 10;
	if (nf == 2)
		x += fp[1] - '0';
	if (neg && x != 0) {
		if (why)
			*why = "negative";
		return COR_EDATA;
	}
	*cents = x;
	return 0;
}

int cor_etl_parse_coords(const char *s, double *lat, double *lon,
                         const char **why)
{
	const char *comma = strchr(s, ',');
	char a[64];
	double la, lo;
	size_t n;

	if (comma == NULL || strchr(comma + 1, ',') != NULL) {
		if (why)
			*why = "coordinates are not \"lat, lon\"";
		return COR_EDATA;
	}
	n = (size_t)(comma - s);
	if (n >= sizeof(a)) {
		if (why)
			*why = "coordinates are not \"lat, lon\"";
		return COR_EDATA;
	}
	memcpy(a, s, n);
	a[n] = '\0';
	if (cor_etl_parse_decimal(a, 0, &la, NULL) != 0 ||
	    cor_etl_parse_decimal(comma + 1, 0, &lo, NULL) != 0) {
		if (why)
			*why = "coordinates are not \"lat, lon\" decimal "
			       "degrees";
		return COR_EDATA;
	}
	if (la < -90.0 || la > 90.0) {
		if (why)
			*why = "latitude outside [-90, 90]";
		return COR_EDATA;
	}
	if (lo < -180.0 || lo > 180.0) {
		if (why)
			*why = "longitude outside [-180, 180]";
		return COR_EDATA;
	}
	*lat = la;
	*lon = lo;
	return 0;
}

int cor_etl_is_missing(const char *s)
{
	char b[16];
	size_t n;

	s = skip_blank(s);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 1;
	if (n >= sizeof(b))
		return 0;
	memcpy(b, s, n);
	b[n] = '\0';
	return strcmp(b, "-99") == 0 || strcmp(b, "-99.0") == 0 ||
	       strcasecmp(b, "unknown") == 0;
}

int cor_etl_parse_bool(const char *s, int *v, const char **why)
{
	static const char *const t[] = { "1", "1.0", "yes", "true", "y",
	                                 NULL };
	static const char *const f[] = { "0", "0.0", "no", "false", "n",
	                                 NULL };
	char b[16];
	size_t n;

	s = skip_blank(s);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > 0 && n < sizeof(b)) {
		memcpy(b, s, n);
		b[n] = '\0';
		for (int i = 0; t[i] != NULL; i++) {
			if (strcasecmp(b, t[i]) == 0) {
				*v = 1;
				return 0;
			}
			if (strcasecmp(b, f[i]) == 0) {
				*v = 0;
				return 0;
			}
		}
		if (cor_etl_is_missing(b)) {
			*v = -1;
			return 0;
		}
	}
	if (why)
		*why = "not a boolean (1/0, yes/no, true/false)";
	return COR_EDATA;
}

/* ---- folding -------------------------------------------------------- */

/* ASCII base letters of U+00C0..U+00FF ('*' = keep the character). */
static const char *const latin1_fold[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
	"i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "*",
	"o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
	"i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "*",
	"o", "u", "u", "u", "u", "y", "th", "y"
};

/* U+0100..U+017F, one letter each; '1' = "ij", '2' = "oe". */
static const char ext_a_fold[129] =
	"aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh"
	"iiiiiiiiii" "11" "jj" "kkk" "llllllllll" "nnnnnnnnn" "oooooo" "22"
	"rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";

size_t cor_etl_fold(const char *str, char *out, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;
	int space = 0;

	if (n == 0)
		return 0;
	while (*s != '\0') {
		const char *rep = NULL;
		char one[2] = { 0, 0 };
		size_t adv = 1;
		unsigned cp = 0;

		if (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' ||
		    s[0] == '\n' || (s[0] == 0xC2 && s[1] == 0xA0)) {
			space = 1;
			s += s[0] == 0xC2 ? 2 : 1;
			continue;
		}
		if (s[0] >= 0xC3 && s[0] <= 0xC5 && (s[1] & 0xC0) == 0x80) {
			cp = ((unsigned)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
			adv = 2;
		}
		if (cp >= 0xC0 && cp <= 0xFF && latin1_fold[cp - 0xC0][0]
		    != '*') {
			rep = latin1_fold[cp - 0xC0];
		} else if (cp >= 0x100 && cp <= 0x17F) {
			char c = ext_a_fold[cp - 0x100];

			rep = c == '1' ? "ij" : c == '2' ? "oe" : NULL;
			if (rep == NULL) {
				one[0] = c;
				rep = one;
			}
		} else if (cp == 0) {
			one[0] = (char)tolower(s[0]);
			rep = one;
			adv = 1;
		} else {
			adv = 1;
			one[0] = (char)s[0];
			rep = one;
		}
		if (space && o > 0 && o + 1 < n)
			out[o++] = ' ';
		space = 0;
		for (; *rep && o + 1 < n; rep++)
			out[o++] = *rep;
		s += adv;
	}
	out[o] = '\0';
	return o;
}

size_t cor_etl_colname(const char *s, char *out, size_t n)
{
	char tmp[256];
	size_t o = 0;
	int us = 0;

	if (n == 0)
		return 0;
	cor_etl_fold(s, tmp, sizeof(tmp));
	for (const char *p = tmp; *p; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') ||
		            (*p >= '0' && *p <= '9');

		if (!alnum) {
			us = 1;
			continue;
		}
		if (us && o > 0 && o + 1 < n)
			out[o++] = '_';
		us = 0;
		if (o + 1 < n)
			out[o++] = *p;
	}
	out[o] = '\0';
	return o;
}
