/* etl/fmt_cases.c: corridor's canonical case CSV (docs/format-cases.md)
 * -> case_record. Columns matched by normalised name; identifiers dropped
 * at the header; case_id becomes an HMAC-SHA-256 pseudonym; every value is
 * checked against its code list or the reference tables. */
#define _GNU_SOURCE             /* memrchr */
#include "etl_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	C_CASE_ID, C_REG_DATE, C_ORG, C_CASE_TYPE, C_TSTATUS, C_SEX, C_AGE,
	C_AGE_BAND, C_CITIZEN, C_ORIGIN, C_ORIGIN_ADM1, C_ROUTE, C_ICPT_PLACE,
	C_ICPT_DATE, C_ID_COUNTY, C_INTENDED, C_EXPL_COUNTRY, C_EXPL_TYPES,
	C_MEANS, C_RECRUITER, C_FEE, C_DAYS, C_NRM, C_NRM_DATE, C_SYNTH,
	C_N
};

/* Canonical name first, then accepted spellings (normalised). */
static const char *const names[C_N][4] = {
	[C_CASE_ID] = { "case_id", "caseid", NULL },
	[C_REG_DATE] = { "registration_date", "date_registered", NULL },
	[C_ORG] = { "reporting_org", "reporting_organisation",
	            "reporting_organization", NULL },
	[C_CASE_TYPE] = { "case_type", NULL },
	[C_TSTATUS] = { "trafficking_status", NULL },
	[C_SEX] = { "sex", "gender", NULL },
	[C_AGE] = { "age", NULL },
	[C_AGE_BAND] = { "age_band", "agebroad", NULL },
	[C_CITIZEN] = { "citizenship", NULL },
	[C_ORIGIN] = { "origin_country", NULL },
	[C_ORIGIN_ADM1] = { "origin_admin1", NULL },
	[C_ROUTE] = { "route", NULL },
	[C_ICPT_PLACE] = { "interception_place", NULL },
	[C_ICPT_DATE] = { "interception_date", NULL },
	[C_ID_COUNTY] = { "identification_county", NULL },
	[C_INTENDED] = { "intended_destination", NULL },
	[C_EXPL_COUNTRY] = { "country_of_exploitation", NULL },
	[C_EXPL_TYPES] = { "exploitation_types", NULL },
	[C_MEANS] = { "means_of_control", NULL },
	[C_RECRUITER] = { "recruiter_relationship", NULL },
	[C_FEE] = { "fee_usd", NULL },
	[C_DAYS] = { "days_in_transit", NULL },
	[C_NRM] = { "nrm_referral", NULL },
	[C_NRM_DATE] = { "nrm_referral_date", NULL },
	[C_SYNTH] = { "synthetic", NULL },
};

static const char *const case_types[] = { "trafficking", "smuggling",
                                          "vulnerable_migrant", NULL };
static const char *const tstatus[] = { "actual", "possible", NULL };
static const char *const sexes[] = { "male", "female", "other", NULL };
static const char *const bands[] = { "0--8", "9--17", "18--20", "21--23",
                                     "24--26", "27--29", "30--38",
                                     "39--47", "48+", NULL };
static const char *const expl[] = {
	"forced_labour", "sexual_exploitation", "forced_marriage",
	"child_labour", "domestic_servitude", "forced_criminality", "begging",
	"organ_removal", "other", NULL
};
static const char *const means[] = {
	"debt_bondage", "threats", "physical_violence", "sexual_violence",
	"psychological_abuse", "confiscation_of_documents",
	"restriction_of_movement", "withholding_wages",
	"withholding_necessities", "substance_abuse", "false_promises",
	"other", NULL
};
static const char *const recruiters[] = { "family", "intimate_partner",
                                          "friend", "employer", "smuggler",
                                          "other", NULL };

struct st {
	int col[C_N];
	int dob;
	cor_etl_pseudo *pseudo;
};

/* Age band (CTDC ageBroad) of an age in years. */
static const char *band_of(int age)
{
	if (age <= 8)
		return "0--8";
	if (age <= 17)
		return "9--17";
	if (age <= 20)
		return "18--20";
	if (age <= 23)
		return "21--23";
	if (age <= 26)
		return "24--26";
	if (age <= 29)
		return "27--29";
	if (age <= 38)
		return "30--38";
	if (age <= 47)
		return "39--47";
	return "48+";
}

static int code_in(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return (int)i;
	return -1;
}

/* Lower-cases an ASCII code in place (codes are ASCII). */
static char *lower(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

static char *upper(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return s;
}

static void cases_free(cor_load *L)
{
	struct st *s = L->ad.state;

	if (s != NULL)
		cor_etl_pseudo_free(s->pseudo);
	free(s);
	L->ad.state = NULL;
}

static int cases_bind(cor_load *L, const cor_etl_record *hdr, cor_err *err)
{
	struct st *s = L->ad.state;
	static const int required[] = { C_CASE_ID, C_REG_DATE, C_CASE_TYPE };
	int rc;

	(void)hdr;
	for (int c = 0; c < C_N; c++)
		s->col[c] = cor_load_col(L, names[c]);
	s->dob = cor_load_drop_identifiers(L);
	rc = cor_load_finish_bind(L, 1, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (s->col[required[i]] < 0)
			return cor_err_at(err, COR_EDATA, L->name, 1,
			                  names[required[i]][0],
			                  "required column missing");
	if (L->o->hmac_key == NULL)
		return cor_err_at(err, COR_EPERM, L->name, 1, "case_id",
		                  "no pseudonym key: case ids are stored only "
		                  "as HMAC-SHA-256 pseudonyms; set "
		                  "CORRIDOR_HMAC_KEY_FILE (or "
		                  "CORRIDOR_HMAC_KEY)");
	s->pseudo = cor_etl_pseudo_new(L->o->hmac_key, L->o->hmac_key_len);
	if (s->pseudo == NULL)
		return cor_err_set(err, COR_EFAIL, "cannot key HMAC-SHA-256");
	return 0;
}

/* As cor_trim for s[0..n), without a copy: leading and trailing blanks
 * (space, TAB, CR, LF, NBSP) are skipped; *start receives the offset of
 * the first byte kept, the result is the length kept. */
static size_t span_trim(const char *s, size_t n, size_t *start)
{
	const unsigned char *b = (const unsigned char *)s;
	size_t i = 0;

	for (;;) {
		if (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' ||
		              b[i] == '\n'))
			i++;
		else if (i + 1 < n && b[i] == 0xC2 && b[i + 1] == 0xA0)
			i += 2;
		else
			break;
	}
	for (;;) {
		if (n > i && (b[n - 1] == ' ' || b[n - 1] == '\t' ||
		              b[n - 1] == '\r' || b[n - 1] == '\n'))
			n--;
		else if (n > i + 1 && b[n - 2] == 0xC2 && b[n - 1] == 0xA0)
			n -= 2;
		else
			break;
	}
	*start = i;
	return n - i;
}

/* Per-row context: the record, its line, a reject helper. */
struct row {
	cor_load *L;
	struct st *s;
	const cor_etl_record *r;
	/* trimmed cells, in place in the record's buffer (NUL written
	 * after the kept bytes; the reader's record is ours until we
	 * return), or an empty string of nul[] for absent columns */
	char *v[C_N];
	size_t n[C_N];            /* strlen(v[c]) */
	char nul[C_N];
};

/* 1 or 0 for the spellings corridor synth and most exports use, or -2:
 * ask cor_etl_parse_bool (case-insensitive, CTDC codes). */
static int quick_bool(const char *s, size_t n)
{
	if (n == 1 && (s[0] == '1' || s[0] == '0'))
		return s[0] == '1';
	if (n == 3 && memcmp(s, "yes", 3) == 0)
		return 1;
	if (n == 2 && memcmp(s, "no", 2) == 0)
		return 0;
	return -2;
}

static int bad(struct row *w, int c, const char *why)
{
	cor_load_reject(w->L, w->r->line, w->L->colname[w->s->col[c]], why,
	                w->v[c]);
	return 1;
}

/* As bad, naming a part of the cell (a route step, one code). */
static int bad_v(struct row *w, int c, const char *why, const char *value)
{
	cor_load_reject(w->L, w->r->line, w->L->colname[w->s->col[c]], why,
	                value);
	return 1;
}

/* Code from a list, or NULL for empty; lower-cased in place. */
static int code(struct row *w, int c, const char *const *list)
{
	cor_out *o = &w->L->out;

	int k;

	if (w->v[c][0] == '\0') {
		cor_bin_null(o);
		return 0;
	}
	lower(w->v[c]);
	k = code_in(w->v[c], list);
	if (k < 0)
		return bad(w, c, "not a known code (see docs/format-cases.md)");
	cor_bin_str(o, list[k]);
	return 0;
}

static int country(struct row *w, int c)
{
	cor_out *o = &w->L->out;

	if (w->v[c][0] == '\0') {
		cor_bin_null(o);
		return 0;
	}
	upper(w->v[c]);
	if (w->n[c] != 3 || cor_hash_getn(&w->L->ref.iso3, w->v[c], 3)
	    == NULL)
		return bad(w, c, "not an ISO 3166-1 alpha-3 code in table "
		           "country");
	cor_bin_bytes(o, w->v[c], 3);
	return 0;
}

static int pcode(struct row *w, int c, const char *want_country)
{
	const struct cor_hent *e;
	cor_out *o = &w->L->out;

	if (w->v[c][0] == '\0') {
		cor_bin_null(o);
		return 0;
	}
	upper(w->v[c]);
	e = cor_hash_getn(&w->L->ref.admin1, w->v[c], w->n[c]);
	if (e == NULL)
		return bad(w, c, "not a P-code in table admin1");
	if (want_country != NULL && want_country[0] != '\0' &&
	    strcmp(e->val, want_country) != 0)
		return bad(w, c, "P-code is not in the stated country");
	cor_bin_str(o, e->key);
	return 0;
}

/* Resolves a gazetteer place (name: n bytes and a NUL); returns the id
 * or NULL (reject done). *county (if not NULL) gets the place's Kenyan
 * county P-code or NULL. */
static const char *place(struct row *w, int c, const char *name, size_t n,
                         const char **county)
{
	char key[256], why[200];
	const struct cor_hent *e;

	/* fast path: an exact place id */
	e = cor_hash_getn(&w->L->ref.place_id, name, n);
	if (e != NULL) {
		if (county != NULL)
			*county = e->val;
		return e->key;
	}
	cor_ref_place_key(name, key, sizeof(key));
	e = cor_hash_get(&w->L->ref.place, key);
	if (e == NULL) {
		bad_v(w, c, "unknown place (not in the gazetteer: place, "
		      "place_alias)", name);
		return NULL;
	}
	if (e->flag) {
		snprintf(why, sizeof(why), "ambiguous place (%.100s): "
		         "qualify it or give the place id", e->val);
		bad_v(w, c, why, name);
		return NULL;
	}
	if (county != NULL) {
		const struct cor_hent *pe = cor_hash_get(&w->L->ref.place_id,
		                                         e->val);

		*county = pe != NULL ? pe->val : NULL;
	}
	return e->val;
}

static int date(struct row *w, int c, int32_t *d, int *have)
{
	const char *why;

	*have = 0;
	if (w->v[c][0] == '\0')
		return 0;
	if (cor_etl_parse_date(w->v[c], w->L->o->datefmt, d, &why) != 0)
		return bad(w, c, why);
	if (*d > w->L->today)
		return bad(w, c, "date in the future");
	*have = 1;
	return 0;
}

/* ';'-joined codes -> text[] of the distinct codes in first-seen order. */
static int codes(struct row *w, int c, const char *const *list)
{
	char buf[1024], *p, *end, *te;
	const char *el[32];
	int n = 0;
	unsigned seen = 0;

	if (c >= 0 && w->s->col[c] >= 0) {
		memcpy(buf, w->v[c], w->n[c] + 1);
		end = buf + w->n[c];
		/* tokens between ';' (empty ones skipped, as strtok) */
		for (p = buf; p < end; p = te + 1) {
			char t[64];
			int k;

			te = memchr(p, ';', (size_t)(end - p));
			if (te == NULL)
				te = end;
			if (te == p)
				continue;
			*te = '\0';
			cor_trim(p, t, sizeof(t));
			if (t[0] == '\0')
				continue;
			k = code_in(lower(t), list);
			if (k < 0)
				return bad_v(w, c, "unknown code (see "
				             "docs/format-cases.md)", t);
			if (seen & (1u << k))
				continue;
			seen |= 1u << k;
			el[n++] = list[k];
		}
	}
	cor_bin_text_array(&w->L->out, el, n);
	return 0;
}

/* Kenyan counties of a case (sql/006_case_counties.sql, column counties):
 * at most the identification county, the origin admin1 and one per route
 * step. Codes are borrowed from the reference hashes. */
struct counties {
	const char *code[36];
	int n;
};

/* Adds the P-code when it is a Kenyan admin1 unit and not yet listed. */
/* Adds a Kenyan county P-code (a string owned by the reference tables)
 * to k once. */
static void county_put(struct counties *k, const char *pc)
{
	for (int i = 0; i < k->n; i++)
		if (k->code[i] == pc || strcmp(k->code[i], pc) == 0)
			return;
	if (k->n < (int)(sizeof(k->code) / sizeof(k->code[0])))
		k->code[k->n++] = pc;
}

static void county_add(struct counties *k, const cor_ref *ref,
                       const char *pcode)
{
	const struct cor_hent *e;

	if (pcode == NULL || pcode[0] == '\0')
		return;
	e = cor_hash_get(&ref->admin1, pcode);
	if (e == NULL || strcmp(e->val, "KEN") != 0)
		return;
	county_put(k, e->key);
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calendar year of a day count (days since 1970-01-01): Howard
 * Hinnant's civil_from_days, as cor_etl_date_str, without the text. */
static int year_of(int32_t days)
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;

	return yoe + era * 400 + (mp >= 10);
}

/* The row's dimensions of case_quarter_count as COPY text (L->cube_key):
 * first day of the quarter, case type, sex, minor, citizenship, counties
 * (array literal; codes need no quoting), synthetic. The cells hold the
 * validated, case-normalised codes by now. */
static void cube_key(cor_load *L, const struct row *w, int32_t reg,
                     int minor, const struct counties *kc)
{
	/* appended by hand: this runs for every row, and snprintf's format
	 * parsing was a twentieth of the loader's CPU */
	char ds[11], *k = L->cube_key;
	size_t n = sizeof(L->cube_key), o = 0;
	const char *part[5];
	int m;

#define PUT(s, len) do { \
		size_t l_ = (len); \
		if (o + l_ + 1 > n) { L->cube_row = 0; return; } \
		memcpy(k + o, (s), l_); \
		o += l_; \
	} while (0)
	cor_etl_date_str(reg, ds);
	m = (ds[5] - '0') * 10 + (ds[6] - '0');
	m = (m - 1) / 3 * 3 + 1;
	ds[5] = (char)('0' + m / 10);
	ds[6] = (char)('0' + m % 10);
	ds[8] = '0';
	ds[9] = '1';
	PUT(ds, 10);
	part[0] = w->v[C_CASE_TYPE];
	part[1] = w->v[C_SEX][0] ? w->v[C_SEX] : "\\N";
	part[2] = minor < 0 ? "\\N" : minor ? "t" : "f";
	part[3] = w->v[C_CITIZEN][0] ? w->v[C_CITIZEN] : "\\N";
	for (int i = 0; i < 4; i++) {
		PUT("\t", 1);
		PUT(part[i], strlen(part[i]));
	}
	PUT("\t{", 2);
	for (int i = 0; i < kc->n; i++) {
		if (i)
			PUT(",", 1);
		PUT(kc->code[i], strlen(kc->code[i]));
	}
	PUT("}\t", 2);
	PUT(L->row_synthetic ? "t" : "f", 1);
#undef PUT
	k[o] = '\0';
	L->cube_row = 1;
}

static int cases_row(cor_load *L, const cor_etl_record *r)
{
	struct st *s = L->ad.state;
	struct row *w = L->ad.state == NULL ? NULL : (struct row *)(s + 1);
	cor_out *o = &L->out;
	const char *why;
	int32_t reg = 0, d, last_step = INT32_MIN;
	int have, have_reg, age = -1, minor = -1;
	int64_t v;
	char key[65];
	const char *last_place = NULL;
	const char *route[32];
	int32_t rdays[32];
	unsigned char rnull[32];
	int nsteps = 0;
	int any_date = 0;
	struct counties kc = { .n = 0 };

	w->L = L;
	w->s = s;
	w->r = r;
	for (int c = 0; c < C_N; c++) {
		int i = s->col[c];
		size_t n, st;

		w->nul[c] = '\0';
		w->v[c] = &w->nul[c];
		w->n[c] = 0;
		if (i < 0 || (size_t)i >= r->nfields)
			continue;
		/* the reader refuses NUL bytes: len is the C string's */
		n = r->len[i];
		if (n >= 1024)
			return bad(w, c, "value longer than 1023 bytes");
		n = span_trim(r->field[i], n, &st);
		w->v[c] = r->field[i] + st;
		w->v[c][n] = '\0';
		w->n[c] = n;
	}

	/* case_key */
	if (w->v[C_CASE_ID][0] == '\0')
		return bad(w, C_CASE_ID, "empty case_id");
	if (cor_etl_pseudo_hex(s->pseudo, w->v[C_CASE_ID], w->n[C_CASE_ID],
	                       key) != 0)
		return cor_err_set(NULL, COR_EFAIL, "HMAC failed");
	w->v[C_CASE_ID][0] = '\0';   /* never echoed */
	cor_bin_bytes(o, key, 64);

	/* registration_date, registration_year */
	if (date(w, C_REG_DATE, &reg, &have_reg) != 0)
		return 1;
	if (!have_reg)
		return bad(w, C_REG_DATE, "empty registration_date");
	cor_bin_date(o, reg);
	cor_bin_int2(o, year_of(reg));
	/* reporting_org */
	if (w->v[C_ORG][0] == '\0')
		cor_bin_null(o);
	else
		cor_bin_bytes(o, w->v[C_ORG], w->n[C_ORG]);
	/* case_type, trafficking_status, sex */
	if (w->v[C_CASE_TYPE][0] == '\0')
		return bad(w, C_CASE_TYPE, "empty case_type");
	if (code(w, C_CASE_TYPE, case_types) != 0)
		return 1;
	if (w->v[C_TSTATUS][0] != '\0' &&
	    strcmp(w->v[C_CASE_TYPE], "trafficking") != 0)
		return bad(w, C_TSTATUS, "trafficking_status given for a case "
		           "that is not a trafficking case");
	if (code(w, C_TSTATUS, tstatus) != 0 || code(w, C_SEX, sexes) != 0)
		return 1;

	/* age (or date of birth), age_band, is_minor */
	if (w->v[C_AGE][0] != '\0') {
		if (cor_etl_parse_int(w->v[C_AGE], L->o->decimal_comma, 0, &v,
		                      &why) != 0)
			return bad(w, C_AGE, why);
		if (v < 0 || v > 120)
			return bad(w, C_AGE, "age outside 0..120");
		age = (int)v;
	} else if (s->dob >= 0) {
		const char *dob = cor_cell(r, s->dob);
		int32_t b;

		if (dob != NULL && dob[0] != '\0') {
			char by[11], ry[11];
			int a;

			if (cor_etl_parse_date(dob, L->o->datefmt, &b, &why)
			    != 0) {
				cor_load_reject(L, r->line, L->colname[s->dob],
				                why, NULL);
				return 1;
			}
			if (b > reg) {
				cor_load_reject(L, r->line, L->colname[s->dob],
				                "date of birth after the "
				                "registration date", NULL);
				return 1;
			}
			cor_etl_date_str(b, by);
			cor_etl_date_str(reg, ry);
			a = atoi(ry) - atoi(by);
			if (strcmp(ry + 5, by + 5) < 0)
				a--;
			if (a > 120) {
				cor_load_reject(L, r->line, L->colname[s->dob],
				                "age at registration over 120",
				                NULL);
				return 1;
			}
			age = a;
		}
	}
	if (age >= 0)
		cor_bin_int2(o, age);
	else
		cor_bin_null(o);
	if (w->v[C_AGE_BAND][0] != '\0') {
		if (code_in(w->v[C_AGE_BAND], bands) < 0)
			return bad(w, C_AGE_BAND, "not a CTDC age band");
		if (age >= 0 && strcmp(band_of(age), w->v[C_AGE_BAND]) != 0)
			return bad(w, C_AGE_BAND, "age band disagrees with "
			           "age");
		cor_bin_str(o, w->v[C_AGE_BAND]);
		minor = code_in(w->v[C_AGE_BAND], bands) < 2;
	} else if (age >= 0) {
		cor_bin_str(o, band_of(age));
	} else {
		cor_bin_null(o);
	}
	if (age >= 0)
		minor = age < 18;
	cor_bin_bool(o, minor);

	/* citizenship, origin_country, origin_admin1 */
	if (country(w, C_CITIZEN) != 0 || country(w, C_ORIGIN) != 0 ||
	    pcode(w, C_ORIGIN_ADM1, w->v[C_ORIGIN]) != 0)
		return 1;
	county_add(&kc, &L->ref, w->v[C_ORIGIN_ADM1]);

	/* route, route_dates */
	if (w->v[C_ROUTE][0] != '\0') {
		/* a copy: rejects quote the whole cell */
		char buf[1024], *p, *end, *te;

		memcpy(buf, w->v[C_ROUTE], w->n[C_ROUTE] + 1);
		end = buf + w->n[C_ROUTE];
		/* steps between ';' (empty ones skipped, as strtok), each
		 * "place[@date]" split at its last '@' */
		for (p = buf; p < end; p = te + 1) {
			char *at, *nm;
			size_t nl, st;
			const char *id, *pc = NULL;

			te = memchr(p, ';', (size_t)(end - p));
			if (te == NULL)
				te = end;
			if (te == p)
				continue;
			*te = '\0';
			at = memrchr(p, '@', (size_t)(te - p));
			nl = span_trim(p, (size_t)((at ? at : te) - p), &st);
			if (nl > 127)
				nl = 127;       /* as cor_trim into 128 bytes */
			nm = p + st;
			nm[nl] = '\0';
			if (nl == 0)
				return bad(w, C_ROUTE, "empty route step");
			id = place(w, C_ROUTE, nm, nl, &pc);
			if (id == NULL)
				return 1;
			if (nsteps == 32)
				return bad(w, C_ROUTE, "more than 32 steps");
			route[nsteps] = id;
			rnull[nsteps] = 1;
			if (pc != NULL)
				county_put(&kc, pc);
			last_place = id;
			if (at != NULL) {
				char dd[16];

				cor_trim(at + 1, dd, sizeof(dd));
				if (cor_etl_parse_date(dd, COR_DATE_ISO, &d,
				                       &why) != 0)
					return bad(w, C_ROUTE, why);
				if (d > reg)
					return bad(w, C_ROUTE, "route step "
					           "dated after the "
					           "registration date");
				if (d < last_step)
					return bad(w, C_ROUTE, "route step "
					           "dates out of order");
				last_step = d;
				rdays[nsteps] = d;
				rnull[nsteps] = 0;
				any_date = 1;
			}
			nsteps++;
		}
	}
	cor_bin_text_array(o, route, nsteps);
	if (any_date)
		cor_bin_date_array(o, rdays, rnull, nsteps);
	else
		cor_bin_null(o);

	/* interception_place, interception_date */
	if (w->v[C_ICPT_PLACE][0] != '\0') {
		const char *id = place(w, C_ICPT_PLACE, w->v[C_ICPT_PLACE],
		                       w->n[C_ICPT_PLACE], NULL);

		if (id == NULL)
			return 1;
		if (last_place != NULL && id != last_place &&
		    strcmp(id, last_place) != 0)
			return bad(w, C_ICPT_PLACE, "interception place is not "
			           "the last route step");
		cor_bin_str(o, id);
	} else {
		cor_bin_null(o);
	}
	if (date(w, C_ICPT_DATE, &d, &have) != 0)
		return 1;
	if (have && d < last_step)
		return bad(w, C_ICPT_DATE, "interception date before a route "
		           "step date");
	if (have)
		cor_bin_date(o, d);
	else
		cor_bin_null(o);
	/* identification_county: a Kenyan county */
	if (pcode(w, C_ID_COUNTY, "KEN") != 0)
		return 1;
	county_add(&kc, &L->ref, w->v[C_ID_COUNTY]);
	/* intended_destination, country_of_exploitation */
	if (country(w, C_INTENDED) != 0 || country(w, C_EXPL_COUNTRY) != 0)
		return 1;
	/* exploitation_types, means_of_control, recruiter_relationship */
	if (codes(w, C_EXPL_TYPES, expl) != 0 || codes(w, C_MEANS, means)
	    != 0 || code(w, C_RECRUITER, recruiters) != 0)
		return 1;
	/* fee_usd */
	if (w->v[C_FEE][0] != '\0') {
		if (cor_etl_parse_cents(w->v[C_FEE], L->o->decimal_comma, &v,
		                        &why) != 0)
			return bad(w, C_FEE, why);
		if (v >= INT64_C(1000000000000))   /* numeric(12, 2) */
			return bad(w, C_FEE, "fee of 10,000,000,000 USD or more");
		cor_bin_cents(o, v);
	} else {
		cor_bin_null(o);
	}
	/* days_in_transit */
	if (w->v[C_DAYS][0] != '\0') {
		if (cor_etl_parse_int(w->v[C_DAYS], L->o->decimal_comma, 0, &v,
		                      &why) != 0)
			return bad(w, C_DAYS, why);
		if (v < 0)
			return bad(w, C_DAYS, "negative days");
		if (v > 36500)
			return bad(w, C_DAYS, "more than 100 years");
		cor_bin_int4(o, (int32_t)v);
	} else {
		cor_bin_null(o);
	}
	/* nrm_referral, nrm_referral_date */
	{
		int b = -1;

		if (w->v[C_NRM][0] != '\0' &&
		    (b = quick_bool(w->v[C_NRM], w->n[C_NRM])) == -2 &&
		    (cor_etl_parse_bool(w->v[C_NRM], &b, &why) != 0 || b < 0))
			return bad(w, C_NRM, "not yes/no");
		cor_bin_bool(o, b);
		if (date(w, C_NRM_DATE, &d, &have) != 0)
			return 1;
		if (have && b == 0)
			return bad(w, C_NRM_DATE, "referral date given but "
			           "nrm_referral is no");
		if (have)
			cor_bin_date(o, d);
		else
			cor_bin_null(o);
	}
	/* synthetic */
	{
		int b = 0;

		if (w->v[C_SYNTH][0] != '\0' &&
		    (b = quick_bool(w->v[C_SYNTH], w->n[C_SYNTH])) == -2 &&
		    (cor_etl_parse_bool(w->v[C_SYNTH], &b, &why) != 0 || b < 0))
			return bad(w, C_SYNTH, "not 1/0");
		if (L->o->synthetic)
			b = 1;
		L->row_synthetic = b;
		cor_bin_bool(o, b);
	}
	/* counties: sorted by byte order, as cor_case_counties (sql/006) */
	qsort(kc.code, (size_t)kc.n, sizeof(kc.code[0]), strp_cmp);
	cor_bin_text_array(o, kc.code, kc.n);
	cube_key(L, w, reg, minor, &kc);
	return 0;
}

int cor_fmt_cases_init(cor_load *L, cor_err *err)
{
	/* state followed by the per-row scratch (C_N cells) */
	struct st *s = calloc(1, sizeof(struct st) + sizeof(struct row));

	if (s == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	s->dob = -1;
	L->ad.state = s;
	L->ad.table = "case_record";
	L->ad.binary = 1;
	L->ad.nfields = 30;     /* the column list below */
	L->ad.columns = "(batch_id, case_key, registration_date, "
		"registration_year, reporting_org, case_type, "
		"trafficking_status, sex, age, age_band, is_minor, "
		"citizenship, origin_country, origin_admin1, route, "
		"route_dates, "
		"interception_place, interception_date, identification_county, "
		"intended_destination, country_of_exploitation, "
		"exploitation_types, means_of_control, recruiter_relationship, "
		"fee_usd, days_in_transit, nrm_referral, nrm_referral_date, "
		"synthetic, counties)";
	L->cube_on = 1;
	L->ad.bind = cases_bind;
	L->ad.row = cases_row;
	L->ad.free = cases_free;
	return 0;
}
