/* etl/fmt_ctdc.c: CTDC Global Dataset variables (data dictionary
 * 15 Aug 2018) and the recoded third-party extracts of it -> case_record.
 * Missing codes -99 / "Unknown" / empty are NULL; country "00" is an
 * unknown country (NULL); alpha-2 countries become alpha-3 through table
 * country ("NA" is Namibia); years may be floats ("2002.0"); booleans are
 * 0/1/-99 or 0.0/1.0; *Concatenated fields join descriptions with ';'.
 * Files with a subset of the variables load what they have. */
#include "etl_int.h"

#include <stdlib.h>
#include <string.h>

/* HTCDS codes, in case_record's vocabularies (docs/format-cases.md). */
static const char *const expl[] = {
	"forced_labour", "sexual_exploitation", "forced_marriage",
	"child_labour", "domestic_servitude", "forced_criminality", "begging",
	"organ_removal", "other", NULL
};
enum { E_LAB, E_SEX, E_MAR, E_CHILD, E_DOM, E_CRIM, E_BEG, E_ORG, E_OTH };

static const char *const means[] = {
	"debt_bondage", "threats", "physical_violence", "sexual_violence",
	"psychological_abuse", "confiscation_of_documents",
	"restriction_of_movement", "withholding_wages",
	"withholding_necessities", "substance_abuse", "false_promises",
	"other", NULL
};
enum { M_DEBT, M_THR, M_PHYS, M_SEXV, M_PSY, M_DOCS, M_MOVE, M_WAGE,
       M_NEC, M_SUBST, M_FALSE, M_OTH, M_NONE = -1 };

static const char *const recruiters[] = { "family", "intimate_partner",
                                          "friend", "employer", "smuggler",
                                          "other", NULL };
enum { R_FAM, R_PART, R_FRIEND, R_EMPL, R_SMUG, R_OTH };

struct map {
	const char *key;   /* normalised column suffix or folded value */
	int code;          /* index in the code list, -1: nothing */
};

/* isX flag columns -> exploitation type (isSexAndLabour sets both). */
static const struct map expl_flags[] = {
	{ "isforcedlabour", E_LAB }, { "issexualexploit", E_SEX },
	{ "isforcedmarriage", E_MAR }, { "isorganremoval", E_ORG },
	{ "isotherexploit", E_OTH }, { "isforcedmilitary", E_OTH },
	{ "isslaveryandpractices", E_OTH }, { "issexandlabour", E_LAB },
	{ NULL, 0 }
};

/* meansOfControlX suffixes (CTDC dictionary) -> HTCDS MethodsOfControl. */
static const struct map means_flags[] = {
	{ "debtbondage", M_DEBT }, { "takesearnings", M_WAGE },
	{ "restrictsfinancialaccess", M_WAGE }, { "threats", M_THR },
	{ "psychologicalabuse", M_PSY }, { "physicalabuse", M_PHYS },
	{ "sexualabuse", M_SEXV }, { "falsepromises", M_FALSE },
	{ "psychoactivesubstances", M_SUBST },
	{ "restrictsmovement", M_MOVE }, { "restrictsmedicalcare", M_NEC },
	{ "excessiveworkinghours", M_OTH }, { "usesvictimchildren", M_OTH },
	{ "usechildren", M_OTH }, { "useschildren", M_OTH },
	{ "threatoflawenforcement", M_THR },
	{ "withholdsnecessities", M_NEC }, { "withholdsdocuments", M_DOCS },
	{ "other", M_OTH }, { "notspecified", M_NONE },
	/* the sample extract's grouped flags */
	{ "control_threats", M_THR }, { "control_physical", M_PHYS },
	{ "control_limit_necessities", M_NEC }, { "control_other", M_OTH },
	{ NULL, 0 }
};

/* Folded descriptions in the *Concatenated fields and the extracts'
 * category columns. */
static const struct map expl_vals[] = {
	{ "forced labour", E_LAB }, { "forced labor", E_LAB },
	{ "labour", E_LAB }, { "labor", E_LAB },
	{ "sexual exploitation", E_SEX }, { "sexual", E_SEX },
	{ "forced marriage", E_MAR }, { "organ removal", E_ORG },
	{ "forced military", E_OTH }, { "other", E_OTH },
	{ "slavery and similar practices", E_OTH },
	{ "slavery/similar", E_OTH }, { "begging", E_BEG },
	{ "multiple", -1 },          /* not derivable: which ones? */
	{ NULL, 0 }
};

static const struct map means_vals[] = {
	{ "debt bondage", M_DEBT }, { "takes earnings", M_WAGE },
	{ "restricts financial access", M_WAGE }, { "threats", M_THR },
	{ "psychological abuse", M_PSY }, { "physical abuse", M_PHYS },
	{ "physical", M_PHYS }, { "sexual abuse", M_SEXV },
	{ "false promises", M_FALSE }, { "psychoactive substances", M_SUBST },
	{ "restricts movement", M_MOVE }, { "restricts medical care", M_NEC },
	{ "excessive working hours", M_OTH }, { "uses children", M_OTH },
	{ "threat of law enforcement", M_THR },
	{ "withholds necessities", M_NEC }, { "survival", M_NEC },
	{ "withholds documents", M_DOCS }, { "other", M_OTH },
	{ "not specified", M_NONE },
	{ "financial", M_NONE },     /* groups three codes: not derivable */
	{ NULL, 0 }
};

static const struct map recruiter_vals[] = {
	{ "intimate partner", R_PART }, { "friend/acquaintance", R_FRIEND },
	{ "friend", R_FRIEND }, { "family/relative", R_FAM },
	{ "family", R_FAM }, { "other", R_OTH }, { NULL, 0 }
};

static const struct map recruiter_flags[] = {
	{ "recruiterrelationintimatepartner", R_PART },
	{ "recruiterrelationfriend", R_FRIEND },
	{ "recruiterrelationfamily", R_FAM },
	{ "recruiterrelationother", R_OTH },
	{ "recruiterrelationunknown", -1 },
	{ NULL, 0 }
};

enum { KIND_EXPL, KIND_MEANS, KIND_RECR };

struct flag {
	int col, kind, code;
};

enum {
	T_YEAR, T_GENDER, T_AGE, T_MAJ, T_CIT, T_COE, T_RECR, T_EXPL_CAT,
	T_MEANS_CAT, T_EXPL_TYPE, T_CONTROL_CAT, T_N
};

static const char *const names[T_N][4] = {
	[T_YEAR] = { "yearofregistration", "registration_year", NULL },
	[T_GENDER] = { "gender", "sex", NULL },
	[T_AGE] = { "agebroad", "age_range", "age_band", NULL },
	[T_MAJ] = { "majoritystatus", "majority_status", NULL },
	[T_CIT] = { "citizenship", NULL },
	[T_COE] = { "countryofexploitation", "country_of_exploitation",
	            NULL },
	[T_RECR] = { "recruiterrelationship", "recruitercategory", NULL },
	[T_EXPL_CAT] = { "typeofexploitconcatenated", NULL },
	[T_MEANS_CAT] = { "meansofcontrolconcatenated", NULL },
	[T_EXPL_TYPE] = { "exploittype", NULL },
	[T_CONTROL_CAT] = { "control_category", NULL },
};

static const char *const bands[] = { "0--8", "9--17", "18--20", "21--23",
                                     "24--26", "27--29", "30--38",
                                     "39--47", "48+", NULL };

struct st {
	int col[T_N];
	struct flag flags[64];
	size_t nflags;
};

static int find(const struct map *m, const char *key)
{
	for (size_t i = 0; m[i].key != NULL; i++)
		if (strcmp(m[i].key, key) == 0)
			return (int)i;
	return -1;
}

static int add_flag(struct st *s, int col, int kind, int code)
{
	if (s->nflags >= sizeof(s->flags) / sizeof(s->flags[0]))
		return -1;
	s->flags[s->nflags].col = col;
	s->flags[s->nflags].kind = kind;
	s->flags[s->nflags].code = code;
	s->nflags++;
	return 0;
}

static int ctdc_bind(cor_load *L, const cor_etl_record *hdr, cor_err *err)
{
	struct st *s = L->ad.state;
	char nm[160];

	(void)hdr;
	for (int c = 0; c < T_N; c++)
		s->col[c] = cor_load_col(L, names[c]);
	for (size_t i = 0; i < L->ncols; i++) {
		int k;

		if (L->col_used[i])
			continue;
		cor_etl_colname(L->colname[i], nm, sizeof(nm));
		if (nm[0] == '\0' && i == 0) {
			/* pandas' row index, written with an empty name */
			L->col_used[i] = 1;
			cor_list_add(L->res->ignored, sizeof(L->res->ignored),
			             "(unnamed row index)");
			continue;
		}
		if ((k = find(expl_flags, nm)) >= 0) {
			add_flag(s, (int)i, KIND_EXPL, expl_flags[k].code);
			if (strcmp(nm, "issexandlabour") == 0)
				add_flag(s, (int)i, KIND_EXPL, E_SEX);
			L->col_used[i] = 1;
		} else if ((strncmp(nm, "meansofcontrol", 14) == 0 &&
		            (k = find(means_flags, nm + 14)) >= 0) ||
		           (k = find(means_flags, nm)) >= 0) {
			if (means_flags[k].code != M_NONE)
				add_flag(s, (int)i, KIND_MEANS,
				         means_flags[k].code);
			L->col_used[i] = 1;
		} else if ((k = find(recruiter_flags, nm)) >= 0) {
			if (recruiter_flags[k].code >= 0)
				add_flag(s, (int)i, KIND_RECR,
				         recruiter_flags[k].code);
			L->col_used[i] = 1;
		}
	}
	cor_load_drop_identifiers(L);
	if (cor_load_finish_bind(L, 0, err) != 0)
		return COR_EDATA;
	if (s->col[T_YEAR] < 0)
		return cor_err_at(err, COR_EDATA, L->name, 1,
		                  "yearOfRegistration", "required column "
		                  "missing");
	return 0;
}

static int rej(cor_load *L, const cor_etl_record *r, int col,
               const char *why, const char *val)
{
	cor_load_reject(L, r->line, L->colname[col], why, val);
	return 1;
}

/* Alpha-2 (or alpha-3) country -> alpha-3; "00"/missing -> NULL. */
static int country(cor_load *L, const cor_etl_record *r, int col)
{
	char b[16];
	const struct cor_hent *e;

	if (col < 0) {
		cor_out_null(&L->out);
		return 0;
	}
	cor_trim(cor_cell(r, col), b, sizeof(b));
	if (cor_etl_is_missing(b) || strcmp(b, "00") == 0) {
		cor_out_null(&L->out);
		return 0;
	}
	if (strlen(b) == 2 && (e = cor_hash_get(&L->ref.iso2, b)) != NULL) {
		cor_out_raw(&L->out, e->val, 3);
		return 0;
	}
	if (strlen(b) == 3 && cor_hash_get(&L->ref.iso3, b) != NULL) {
		cor_out_raw(&L->out, b, 3);
		return 0;
	}
	return rej(L, r, col, "not an ISO 3166-1 alpha-2 country in table "
	           "country", b);
}

/* Maps a ';'-joined description list; returns bits or -1 (reject). */
static int desc_bits(const char *cell, const struct map *m, unsigned *bits,
                     char *badtok, size_t n)
{
	char buf[1024], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", cell);
	for (tok = strtok_r(buf, ";", &save); tok != NULL;
	     tok = strtok_r(NULL, ";", &save)) {
		char f[160];
		int k;

		cor_etl_fold(tok, f, sizeof(f));
		if (f[0] == '\0' || cor_etl_is_missing(f))
			continue;
		k = find(m, f);
		if (k < 0) {
			snprintf(badtok, n, "%s", f);
			return -1;
		}
		if (m[k].code >= 0)
			*bits |= 1u << m[k].code;
	}
	return 0;
}

static void out_bits(cor_out *o, unsigned bits, const char *const *list)
{
	char arr[600];
	size_t n = 0;

	arr[n++] = '{';
	for (int i = 0; list[i] != NULL; i++)
		if (bits & (1u << i))
			n += (size_t)snprintf(arr + n, sizeof(arr) - n, "%s%s",
			                      n > 1 ? "," : "", list[i]);
	arr[n++] = '}';
	cor_out_raw(o, arr, n);
}

static int ctdc_row(cor_load *L, const cor_etl_record *r)
{
	struct st *s = L->ad.state;
	cor_out *o = &L->out;
	const char *why;
	char b[1024], f[64], tok[200];
	int64_t v;
	int minor = -1, bi;
	unsigned ebits = 0, mbits = 0;
	int recr = -1;

	/* registration_date NULL, registration_year */
	cor_out_null(o);
	cor_trim(cor_cell(r, s->col[T_YEAR]), b, sizeof(b));
	if (cor_etl_is_missing(b))
		return rej(L, r, s->col[T_YEAR], "no registration year", b);
	if (cor_etl_parse_int(b, 0, 1, &v, &why) != 0)
		return rej(L, r, s->col[T_YEAR], why, b);
	if (v < 1900 || v > 2099)
		return rej(L, r, s->col[T_YEAR], "year outside 1900..2099", b);
	cor_out_i64(o, v);
	/* reporting_org, case_type, trafficking_status */
	cor_out_null(o);
	cor_out_raw(o, "trafficking", 11);
	cor_out_null(o);
	/* sex */
	cor_trim(cor_cell(r, s->col[T_GENDER]), b, sizeof(b));
	cor_etl_fold(b, f, sizeof(f));
	if (cor_etl_is_missing(f))
		cor_out_null(o);
	else if (strcmp(f, "female") == 0 || strcmp(f, "male") == 0)
		cor_out_str(o, f);
	else if (strcmp(f, "transgender") == 0 || strcmp(f, "other") == 0 ||
	         strcmp(f, "non-binary") == 0)
		cor_out_raw(o, "other", 5);
	else
		return rej(L, r, s->col[T_GENDER], "not a CTDC gender", b);
	/* age NULL, age_band, is_minor */
	cor_out_null(o);
	cor_trim(cor_cell(r, s->col[T_AGE]), b, sizeof(b));
	if (cor_etl_is_missing(b)) {
		cor_out_null(o);
	} else {
		int k = -1;

		for (int i = 0; bands[i] != NULL; i++)
			if (strcmp(b, bands[i]) == 0)
				k = i;
		if (k < 0)
			return rej(L, r, s->col[T_AGE], "not a CTDC age band",
			           b);
		cor_out_str(o, b);
		minor = k < 2;
	}
	if (minor < 0 && s->col[T_MAJ] >= 0) {
		cor_trim(cor_cell(r, s->col[T_MAJ]), b, sizeof(b));
		cor_etl_fold(b, f, sizeof(f));
		if (strcmp(f, "minor") == 0)
			minor = 1;
		else if (strcmp(f, "adult") == 0)
			minor = 0;
		else if (!cor_etl_is_missing(f))
			return rej(L, r, s->col[T_MAJ], "not Minor/Adult", b);
	}
	cor_out_bool(o, minor);
	/* citizenship, origin_country NULL, origin_admin1 NULL, route '{}',
	 * route_dates, interception_place, interception_date,
	 * identification_county, intended_destination: NULL */
	if (country(L, r, s->col[T_CIT]) != 0)
		return 1;
	cor_out_null(o);
	cor_out_null(o);
	cor_out_raw(o, "{}", 2);
	for (int i = 0; i < 5; i++)
		cor_out_null(o);
	if (country(L, r, s->col[T_COE]) != 0)
		return 1;
	/* exploitation types and means of control: flags + descriptions */
	for (size_t i = 0; i < s->nflags; i++) {
		const struct flag *fl = &s->flags[i];

		cor_trim(cor_cell(r, fl->col), b, sizeof(b));
		if (b[0] == '\0')
			continue;
		if (cor_etl_parse_bool(b, &bi, &why) != 0)
			return rej(L, r, fl->col, why, b);
		if (bi != 1)
			continue;
		if (fl->kind == KIND_EXPL)
			ebits |= 1u << fl->code;
		else if (fl->kind == KIND_MEANS)
			mbits |= 1u << fl->code;
		else if (recr < 0 || recr == fl->code)
			recr = fl->code;
		else
			recr = -2;         /* several: not one relationship */
	}
	if (s->col[T_EXPL_CAT] >= 0 &&
	    desc_bits(cor_cell(r, s->col[T_EXPL_CAT]), expl_vals, &ebits, tok,
	              sizeof(tok)) != 0)
		return rej(L, r, s->col[T_EXPL_CAT], "unknown exploitation "
		           "type", tok);
	if (s->col[T_EXPL_TYPE] >= 0 &&
	    desc_bits(cor_cell(r, s->col[T_EXPL_TYPE]), expl_vals, &ebits, tok,
	              sizeof(tok)) != 0)
		return rej(L, r, s->col[T_EXPL_TYPE], "unknown exploitation "
		           "type", tok);
	if (s->col[T_MEANS_CAT] >= 0 &&
	    desc_bits(cor_cell(r, s->col[T_MEANS_CAT]), means_vals, &mbits,
	              tok, sizeof(tok)) != 0)
		return rej(L, r, s->col[T_MEANS_CAT], "unknown means of "
		           "control", tok);
	if (s->col[T_CONTROL_CAT] >= 0 &&
	    desc_bits(cor_cell(r, s->col[T_CONTROL_CAT]), means_vals, &mbits,
	              tok, sizeof(tok)) != 0)
		return rej(L, r, s->col[T_CONTROL_CAT], "unknown means of "
		           "control", tok);
	out_bits(o, ebits, expl);
	out_bits(o, mbits, means);
	/* recruiter_relationship */
	if (s->col[T_RECR] >= 0) {
		cor_trim(cor_cell(r, s->col[T_RECR]), b, sizeof(b));
		cor_etl_fold(b, f, sizeof(f));
		if (!cor_etl_is_missing(f)) {
			int k = find(recruiter_vals, f);

			if (k < 0)
				return rej(L, r, s->col[T_RECR], "unknown "
				           "recruiter relationship", b);
			recr = recruiter_vals[k].code;
		}
	}
	if (recr >= 0)
		cor_out_str(o, recruiters[recr]);
	else
		cor_out_null(o);
	/* fee_usd, days_in_transit, nrm_referral, nrm_referral_date */
	for (int i = 0; i < 4; i++)
		cor_out_null(o);
	cor_out_bool(o, L->o->synthetic ? 1 : 0);
	L->row_synthetic = L->o->synthetic;
	return 0;
}

static void ctdc_free(cor_load *L)
{
	free(L->ad.state);
	L->ad.state = NULL;
}

int cor_fmt_ctdc_init(cor_load *L, cor_err *err)
{
	struct st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	L->ad.state = s;
	L->ad.table = "case_record";
	L->ad.columns = "(batch_id, registration_date, registration_year, "
		"reporting_org, case_type, trafficking_status, sex, age, "
		"age_band, is_minor, citizenship, origin_country, "
		"origin_admin1, route, route_dates, interception_place, "
		"interception_date, identification_county, "
		"intended_destination, country_of_exploitation, "
		"exploitation_types, means_of_control, recruiter_relationship, "
		"fee_usd, days_in_transit, nrm_referral, nrm_referral_date, "
		"synthetic)";
	L->ad.bind = ctdc_bind;
	L->ad.row = ctdc_row;
	L->ad.free = ctdc_free;
	return 0;
}
