/* etl/synth.c: synthetic Southern Route case records (corridor synth).
 * See include/corridor/synth.h; the distributions are documented in
 * docs/synth.md and must be changed there too.
 *
 * One row is drawn in a fixed order (citizenship, scenario, case type, sex,
 * age, route, interception, dates, codes, missingness) from one GSL mt19937
 * stream, so a seed fixes every byte. Rows are formatted straight into a
 * 1 MiB buffer: no stdio formatting and no allocation per row. */
#include "corridor/synth.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define OUT_CAP (1u << 20)   /* output buffer */
#define ROW_MAX 4096         /* a row is far shorter; flush below this */
#define MAX_STEPS 32
#define HAZARD_SCALE 0.6     /* scales the per-place interception hazards */
#define MAX_MONTHS 1200      /* --from .. --to span, 100 years */

enum place_ix {
	ET_ADDIS, ET_HOSAENA, ET_DURAME, ET_SODO, ET_JIMMA, ET_ADAMA,
	ET_SHASHEMENE, ET_HAWASSA, ET_DILLA, ET_YABELO, ET_MOYALE,
	ER_ASMARA, SO_MOGADISHU, SO_KISMAYO, SO_BELET,
	KE_MOYALE, KE_MARSABIT, KE_ISIOLO, KE_NANYUKI, KE_NAIROBI,
	KE_NAMANGA, KE_LOITOKITOK, KE_TAVETA, KE_MANDERA, KE_WAJIR,
	KE_GARISSA, KE_MOMBASA, KE_C_SAMBURU, KE_C_TURKANA, KE_C_MERU,
	TZ_NAMANGA, TZ_ARUSHA, TZ_TARAKEA, TZ_HOLILI, TZ_MOSHI, TZ_DAR,
	TZ_MOROGORO, TZ_DODOMA, TZ_IRINGA, TZ_MBEYA, TZ_TUNDUMA,
	TZ_KASUMULU, MW_KARONGA, MW_LILONGWE, MW_MWANZA, MZ_ZOBUE,
	MZ_TETE, MZ_CHIMOIO, MZ_MAPUTO, MZ_RESSANO, ZM_NAKONDE, ZM_LUSAKA,
	ZM_CHIRUNDU, ZW_CHIRUNDU, ZW_NYAMAPANDA, ZW_HARARE, ZW_MASVINGO,
	ZW_BEITBRIDGE, ZA_MUSINA, ZA_POLOKWANE, ZA_PRETORIA,
	ZA_JOHANNESBURG, ZA_LEBOMBO, ZA_DURBAN, ZA_CAPE_TOWN,
	N_PLACES
};

/* hazard: probability (before HAZARD_SCALE) that a case passing this
 * place is intercepted there; hold: mean days spent before the next leg. */
static const struct place {
	const char *id;
	const char *iso3;
	const char *admin1;
	double hazard;
	double hold;
	int key;      /* always recorded on a route (border or hub) */
} places[N_PLACES] = {
	[ET_ADDIS] = { "ET-ADDIS-ABABA", "ETH", "ET14", 0.01, 5, 0 },
	[ET_HOSAENA] = { "ET-HOSAENA", "ETH", "ET07", 0.01, 3, 0 },
	[ET_DURAME] = { "ET-DURAME", "ETH", "ET07", 0.01, 3, 0 },
	[ET_SODO] = { "ET-WOLAITA-SODO", "ETH", "ET07", 0.01, 3, 0 },
	[ET_JIMMA] = { "ET-JIMMA", "ETH", "ET04", 0.01, 3, 0 },
	[ET_ADAMA] = { "ET-ADAMA", "ETH", "ET04", 0.01, 3, 0 },
	[ET_SHASHEMENE] = { "ET-SHASHEMENE", "ETH", "ET04", 0.01, 2, 0 },
	[ET_HAWASSA] = { "ET-HAWASSA", "ETH", "ET16", 0.01, 2, 0 },
	[ET_DILLA] = { "ET-DILLA", "ETH", "ET07", 0.01, 2, 0 },
	[ET_YABELO] = { "ET-YABELO", "ETH", "ET04", 0.01, 1.5, 0 },
	[ET_MOYALE] = { "ET-MOYALE", "ETH", "ET04", 0.03, 2, 1 },
	[ER_ASMARA] = { "ER-ASMARA", "ERI", "ER2", 0.01, 10, 0 },
	[SO_MOGADISHU] = { "SO-MOGADISHU", "SOM", "SO22", 0.01, 4, 0 },
	[SO_KISMAYO] = { "SO-KISMAYO", "SOM", "SO28", 0.01, 4, 0 },
	[SO_BELET] = { "SO-BELET-XAAWO", "SOM", "SO26", 0.02, 2, 1 },
	[KE_MOYALE] = { "KE-MOYALE", "KEN", "KE010", 0.18, 3, 1 },
	[KE_MARSABIT] = { "KE-MARSABIT", "KEN", "KE010", 0.10, 2, 1 },
	[KE_ISIOLO] = { "KE-ISIOLO", "KEN", "KE011", 0.12, 2, 1 },
	[KE_NANYUKI] = { "KE-NANYUKI", "KEN", "KE031", 0.05, 1, 0 },
	[KE_NAIROBI] = { "KE-NAIROBI", "KEN", "KE047", 0.08, 14, 1 },
	[KE_NAMANGA] = { "KE-NAMANGA", "KEN", "KE034", 0.12, 2, 1 },
	[KE_LOITOKITOK] = { "KE-LOITOKITOK", "KEN", "KE034", 0.10, 2, 1 },
	[KE_TAVETA] = { "KE-TAVETA", "KEN", "KE006", 0.10, 2, 1 },
	[KE_MANDERA] = { "KE-MANDERA", "KEN", "KE009", 0.15, 3, 1 },
	[KE_WAJIR] = { "KE-WAJIR", "KEN", "KE008", 0.08, 2, 0 },
	[KE_GARISSA] = { "KE-GARISSA", "KEN", "KE007", 0.10, 3, 0 },
	[KE_MOMBASA] = { "KE-MOMBASA", "KEN", "KE001", 0.05, 3, 0 },
	[KE_C_SAMBURU] = { "KE-C-SAMBURU", "KEN", "KE025", 0.01, 2, 0 },
	[KE_C_TURKANA] = { "KE-C-TURKANA", "KEN", "KE023", 0.01, 3, 0 },
	[KE_C_MERU] = { "KE-C-MERU", "KEN", "KE012", 0.02, 2, 0 },
	[TZ_NAMANGA] = { "TZ-NAMANGA", "TZA", "TZ02", 0.06, 1, 1 },
	[TZ_ARUSHA] = { "TZ-ARUSHA", "TZA", "TZ02", 0.05, 4, 1 },
	[TZ_TARAKEA] = { "TZ-TARAKEA", "TZA", "TZ03", 0.05, 1, 1 },
	[TZ_HOLILI] = { "TZ-HOLILI", "TZA", "TZ03", 0.05, 1, 1 },
	[TZ_MOSHI] = { "TZ-MOSHI", "TZA", "TZ03", 0.04, 3, 0 },
	[TZ_DAR] = { "TZ-DAR-ES-SALAAM", "TZA", "TZ07", 0.04, 8, 0 },
	[TZ_MOROGORO] = { "TZ-MOROGORO", "TZA", "TZ05", 0.03, 2, 0 },
	[TZ_DODOMA] = { "TZ-DODOMA", "TZA", "TZ01", 0.03, 2, 0 },
	[TZ_IRINGA] = { "TZ-IRINGA", "TZA", "TZ11", 0.03, 2, 0 },
	[TZ_MBEYA] = { "TZ-MBEYA", "TZA", "TZ12", 0.05, 5, 1 },
	[TZ_TUNDUMA] = { "TZ-TUNDUMA", "TZA", "TZ26", 0.06, 2, 1 },
	[TZ_KASUMULU] = { "TZ-KASUMULU", "TZA", "TZ12", 0.05, 1, 1 },
	[MW_KARONGA] = { "MW-KARONGA", "MWI", "MW1", 0.06, 2, 1 },
	[MW_LILONGWE] = { "MW-LILONGWE", "MWI", "MW2", 0.04, 5, 0 },
	[MW_MWANZA] = { "MW-MWANZA", "MWI", "MW3", 0.05, 1, 1 },
	[MZ_ZOBUE] = { "MZ-ZOBUE", "MOZ", "MZ10", 0.04, 1, 1 },
	[MZ_TETE] = { "MZ-TETE", "MOZ", "MZ10", 0.04, 3, 0 },
	[MZ_CHIMOIO] = { "MZ-CHIMOIO", "MOZ", "MZ04", 0.03, 2, 0 },
	[MZ_MAPUTO] = { "MZ-MAPUTO", "MOZ", "MZ06", 0.03, 4, 0 },
	[MZ_RESSANO] = { "MZ-RESSANO-GARCIA", "MOZ", "MZ05", 0.05, 2, 1 },
	[ZM_NAKONDE] = { "ZM-NAKONDE", "ZMB", "ZM106", 0.05, 2, 1 },
	[ZM_LUSAKA] = { "ZM-LUSAKA", "ZMB", "ZM105", 0.03, 4, 0 },
	[ZM_CHIRUNDU] = { "ZM-CHIRUNDU", "ZMB", "ZM105", 0.04, 1, 1 },
	[ZW_CHIRUNDU] = { "ZW-CHIRUNDU", "ZWE", "ZW14", 0.03, 1, 1 },
	[ZW_NYAMAPANDA] = { "ZW-NYAMAPANDA", "ZWE", "ZW13", 0.03, 1, 1 },
	[ZW_HARARE] = { "ZW-HARARE", "ZWE", "ZW19", 0.03, 4, 1 },
	[ZW_MASVINGO] = { "ZW-MASVINGO", "ZWE", "ZW18", 0.02, 1, 0 },
	[ZW_BEITBRIDGE] = { "ZW-BEITBRIDGE", "ZWE", "ZW16", 0.06, 6, 1 },
	[ZA_MUSINA] = { "ZA-MUSINA", "ZAF", "ZA9", 0.08, 2, 1 },
	[ZA_POLOKWANE] = { "ZA-POLOKWANE", "ZAF", "ZA9", 0.03, 2, 0 },
	[ZA_PRETORIA] = { "ZA-PRETORIA", "ZAF", "ZA7", 0.02, 3, 0 },
	[ZA_JOHANNESBURG] = { "ZA-JOHANNESBURG", "ZAF", "ZA7", 0.02, 5, 0 },
	[ZA_LEBOMBO] = { "ZA-LEBOMBO", "ZAF", "ZA8", 0.06, 1, 1 },
	[ZA_DURBAN] = { "ZA-DURBAN", "ZAF", "ZA5", 0.02, 3, 0 },
	[ZA_CAPE_TOWN] = { "ZA-CAPE-TOWN", "ZAF", "ZA1", 0.02, 3, 0 },
};

enum cit { C_ETH, C_ERI, C_SOM, C_KEN };
static const char *const cit_code[] = { "ETH", "ERI", "SOM", "KEN" };
static const double cit_w[] = { 0.80, 0.07, 0.08, 0.05 };

/* Kenyan citizens: K_FROM_ISIOLO internal trafficking out of Isiolo;
 * K_TO_ISIOLO internal trafficking into Isiolo; K_SOUTH Isiolo-born
 * migrants on the Southern Route. */
enum scen { S_SOUTH, S_KE_DEST, K_FROM_ISIOLO, K_TO_ISIOLO, K_SOUTH };

enum ctype { T_SMUGGLING, T_TRAFFICKING, T_VULNERABLE };
static const char *const ctype_code[] = {
	"smuggling", "trafficking", "vulnerable_migrant"
};
static const double ctype_w[] = { 0.70, 0.22, 0.08 };

enum sex { X_MALE, X_FEMALE, X_OTHER };
static const char *const sex_code[] = { "male", "female", "other" };

/* Ethiopian origin towns (mostly Hadiya and Kembata in SNNP). */
static const int eth_origin[] = {
	ET_HOSAENA, ET_DURAME, ET_SODO, ET_HAWASSA, ET_SHASHEMENE,
	ET_ADDIS, ET_JIMMA, ET_ADAMA, ET_DILLA
};
static const double eth_origin_w[] = {
	0.30, 0.12, 0.12, 0.10, 0.08, 0.10, 0.05, 0.05, 0.08
};

/* Exploitation types and means of control, in docs/format-cases.md order
 * (the order they are written in a cell). */
enum expl {
	E_FORCED_LABOUR, E_SEXUAL, E_FORCED_MARRIAGE, E_CHILD_LABOUR,
	E_DOMESTIC, E_CRIMINALITY, E_BEGGING, E_OTHER, N_EXPL
};
static const char *const expl_code[N_EXPL] = {
	"forced_labour", "sexual_exploitation", "forced_marriage",
	"child_labour", "domestic_servitude", "forced_criminality",
	"begging", "other"
};
static const double expl_w_minor[N_EXPL] = {
	0.30, 0.05, 0.0, 0.45, 0.10, 0.05, 0.05, 0.0
};
static const double expl_w_minor_f[N_EXPL] = {
	0.05, 0.25, 0.15, 0.30, 0.25, 0.0, 0.0, 0.0
};
static const double expl_w_female[N_EXPL] = {
	0.25, 0.35, 0.10, 0.0, 0.30, 0.0, 0.0, 0.0
};
static const double expl_w_male[N_EXPL] = {
	0.85, 0.0, 0.0, 0.0, 0.05, 0.05, 0.0, 0.05
};

#define N_CONTROL 11
static const char *const control_code[N_CONTROL] = {
	"debt_bondage", "threats", "physical_violence", "sexual_violence",
	"psychological_abuse", "confiscation_of_documents",
	"restriction_of_movement", "withholding_wages",
	"withholding_necessities", "substance_abuse", "false_promises"
};
/* independent inclusion probabilities; sexual_violence for women and
 * girls only */
static const double control_p[N_CONTROL] = {
	0.35, 0.30, 0.20, 0.15, 0.15, 0.30, 0.30, 0.15, 0.10, 0.03, 0.40
};

enum rel { R_FAMILY, R_PARTNER, R_FRIEND, R_EMPLOYER, R_SMUGGLER,
	   R_OTHER };
static const char *const rel_code[] = {
	"family", "intimate_partner", "friend", "employer", "smuggler", "other"
};
static const double rel_w_smuggling[] = {
	0.10, 0.0, 0.12, 0.0, 0.70, 0.08
};
static const double rel_w_trafficking[] = {
	0.20, 0.05, 0.25, 0.20, 0.20, 0.10
};

/* Relative registrations by calendar month: higher in the dry seasons
 * (Dec-Mar, Jul-Sep), lower in the long (Apr-May) and short (Oct-Nov)
 * rains. */
static const double month_w[12] = {
	1.20, 1.20, 1.00, 0.80, 0.75, 0.90, 1.10, 1.15, 1.05, 0.90, 0.85,
	1.10
};
#define TREND_PER_YEAR 0.12  /* log-linear: exp(0.12) = +12.7% a year */

struct out {
	FILE *fp;
	char *buf;
	size_t len;
	int err_no;   /* errno of the first failed write, or 0 */
	int failed;
};

struct gen {
	gsl_rng *r;
	gsl_ran_discrete_t *months;
	long month_day0[MAX_MONTHS + 1];  /* first day of each month */
};

const char *cor_synth_place(size_t i, const char **country,
                            const char **admin1)
{
	if (i >= N_PLACES)
		return NULL;
	if (country != NULL)
		*country = places[i].iso3;
	if (admin1 != NULL)
		*admin1 = places[i].admin1;
	return places[i].id;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", 2013). */
static long days_from_civil(int y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, int *y, unsigned *m, unsigned *d)
{
	long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((long)yoe + era * 400 + (*m <= 2));
}

int cor_synth_parse_quarter(const char *s, int *year, int *q, cor_err *err)
{
	int y = 0;

	if (s == NULL || strlen(s) != 6)
		goto bad;
	for (int i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		y = y * 10 + (s[i] - '0');
	}
	if ((s[4] != 'Q' && s[4] != 'q') || s[5] < '1' || s[5] > '4' ||
	    y < 1900 || y > 2999)
		goto bad;
	*year = y;
	*q = s[5] - '0';
	return COR_OK;
bad:
	return cor_err_set(err, COR_EINVAL,
	                   "'%s' is not a quarter such as 2019Q4",
	                   s ? s : "(null)");
}

/* ---- output ---- */

static void out_flush(struct out *o)
{
	if (o->len > 0 && !o->failed &&
	    fwrite(o->buf, 1, o->len, o->fp) != o->len) {
		o->failed = 1;
		o->err_no = errno;
	}
	o->len = 0;
}

static inline void put_c(struct out *o, char c)
{
	o->buf[o->len++] = c;
}

static inline void put_s(struct out *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_u(struct out *o, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		put_c(o, tmp[--n]);
}

static void put_2(struct out *o, unsigned v)
{
	put_c(o, (char)('0' + v / 10));
	put_c(o, (char)('0' + v % 10));
}

static void put_date(struct out *o, long days)
{
	int y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	put_2(o, (unsigned)y / 100);
	put_2(o, (unsigned)y % 100);
	put_c(o, '-');
	put_2(o, m);
	put_c(o, '-');
	put_2(o, d);
}

/* ---- random helpers ---- */

static inline int chance(gsl_rng *r, double p)
{
	return gsl_rng_uniform(r) < p;
}

/* Index drawn with probability w[i] / sum(w). */
static int pick(gsl_rng *r, const double *w, int n)
{
	double sum = 0, u, acc = 0;

	for (int i = 0; i < n; i++)
		sum += w[i];
	u = gsl_rng_uniform(r) * sum;
	for (int i = 0; i < n - 1; i++) {
		acc += w[i];
		if (u < acc && w[i] > 0)
			return i;
	}
	for (int i = n - 1; i > 0; i--)  /* last index with weight */
		if (w[i] > 0)
			return i;
	return 0;
}

/* ---- one case ---- */

struct row {
	int cit;              /* enum cit */
	int scen;             /* enum scen */
	int ctype;            /* enum ctype */
	int actual;           /* trafficking_status actual (else possible) */
	int sex;
	int age;
	int minor;
	int route[MAX_STEPS];
	long date[MAX_STEPS];
	int n;                /* steps */
	int nfull;            /* steps of the planned route */
	double frac;          /* share of the planned legs travelled */
	int intercepted;
	long reg;             /* registration date, days since 1970 */
};

static void push(struct row *w, int p)
{
	if (w->n < MAX_STEPS)
		w->route[w->n++] = p;
}

/* Kenya north -> Nairobi after crossing at Moyale. */
static void route_kenya_north(gsl_rng *r, struct row *w)
{
	double u = gsl_rng_uniform(r);

	push(w, KE_MOYALE);
	if (u < 0.60) {
		push(w, KE_MARSABIT);
		push(w, KE_ISIOLO);
	} else if (u < 0.85) {
		push(w, KE_MARSABIT);
	} else {
		push(w, KE_ISIOLO);
	}
	if (chance(r, 0.10))
		push(w, KE_NANYUKI);
	push(w, KE_NAIROBI);
}

/* Nairobi -> South Africa. */
static void route_south(gsl_rng *r, struct row *w)
{
	double u = gsl_rng_uniform(r);

	if (u < 0.80) {
		push(w, KE_NAMANGA);
		push(w, TZ_NAMANGA);
		push(w, TZ_ARUSHA);
	} else if (u < 0.90) {
		push(w, KE_LOITOKITOK);
		push(w, TZ_TARAKEA);
		push(w, TZ_MOSHI);
	} else {
		push(w, KE_TAVETA);
		push(w, TZ_HOLILI);
		push(w, TZ_MOSHI);
	}
	if (chance(r, 0.40)) {
		push(w, TZ_DAR);
		if (chance(r, 0.5))
			push(w, TZ_MOROGORO);
		if (chance(r, 0.5))
			push(w, TZ_IRINGA);
	} else {
		if (chance(r, 0.3))
			push(w, TZ_DODOMA);
		if (chance(r, 0.6))
			push(w, TZ_IRINGA);
	}
	push(w, TZ_MBEYA);
	u = gsl_rng_uniform(r);
	if (u < 0.45) {           /* Malawi, Tete corridor, Zimbabwe */
		push(w, TZ_KASUMULU);
		push(w, MW_KARONGA);
		push(w, MW_LILONGWE);
		push(w, MW_MWANZA);
		push(w, MZ_ZOBUE);
		push(w, MZ_TETE);
		push(w, ZW_NYAMAPANDA);
		push(w, ZW_HARARE);
		if (chance(r, 0.5))
			push(w, ZW_MASVINGO);
		push(w, ZW_BEITBRIDGE);
		push(w, ZA_MUSINA);
	} else if (u < 0.75) {    /* Zambia */
		push(w, TZ_TUNDUMA);
		push(w, ZM_NAKONDE);
		push(w, ZM_LUSAKA);
		push(w, ZM_CHIRUNDU);
		push(w, ZW_CHIRUNDU);
		push(w, ZW_HARARE);
		push(w, ZW_BEITBRIDGE);
		push(w, ZA_MUSINA);
	} else {                  /* Malawi, Mozambique to Ressano Garcia */
		push(w, TZ_KASUMULU);
		push(w, MW_KARONGA);
		push(w, MW_LILONGWE);
		push(w, MW_MWANZA);
		push(w, MZ_ZOBUE);
		push(w, MZ_TETE);
		push(w, MZ_CHIMOIO);
		push(w, MZ_MAPUTO);
		push(w, MZ_RESSANO);
		push(w, ZA_LEBOMBO);
	}
	if (w->route[w->n - 1] == ZA_MUSINA && chance(r, 0.3))
		push(w, ZA_POLOKWANE);
	u = gsl_rng_uniform(r);
	if (u < 0.10) {
		push(w, ZA_PRETORIA);
	} else {
		push(w, ZA_JOHANNESBURG);
		if (u > 0.92)
			push(w, ZA_CAPE_TOWN);
		else if (u > 0.86)
			push(w, ZA_DURBAN);
	}
}

/* Planned route by citizenship and scenario. */
static void build_route(gsl_rng *r, struct row *w)
{
	int o;

	w->n = 0;
	switch (w->scen) {
	case K_FROM_ISIOLO:      /* Isiolo -> Nairobi / Mombasa / Meru */
		push(w, KE_ISIOLO);
		o = pick(r, (const double[]){ 0.55, 0.25, 0.20 }, 3);
		if (o == 0) {
			push(w, KE_NAIROBI);
		} else if (o == 1) {
			push(w, KE_NAIROBI);
			push(w, KE_MOMBASA);
		} else {
			push(w, KE_C_MERU);
		}
		return;
	case K_TO_ISIOLO:        /* Marsabit / Samburu / Turkana -> Isiolo */
		o = pick(r, (const double[]){ 0.45, 0.30, 0.15, 0.10 }, 4);
		push(w, (const int[]){ KE_MARSABIT, KE_C_SAMBURU,
		                       KE_C_TURKANA, KE_MOYALE }[o]);
		push(w, KE_ISIOLO);
		return;
	case K_SOUTH:
		push(w, KE_ISIOLO);
		push(w, KE_NAIROBI);
		route_south(r, w);
		return;
	default:
		break;
	}
	if (w->cit == C_SOM) {
		push(w, chance(r, 0.7) ? SO_MOGADISHU : SO_KISMAYO);
		push(w, SO_BELET);
		push(w, KE_MANDERA);
		if (chance(r, 0.5)) {
			push(w, KE_WAJIR);
			push(w, KE_ISIOLO);
		} else {
			push(w, KE_GARISSA);
		}
		push(w, KE_NAIROBI);
	} else {
		if (w->cit == C_ERI) {
			push(w, ER_ASMARA);
			if (chance(r, 0.8))
				push(w, ET_ADDIS);
			if (chance(r, 0.3))
				push(w, ET_SHASHEMENE);
		} else {
			o = eth_origin[pick(r, eth_origin_w, 9)];
			push(w, o);
			if (o != ET_SHASHEMENE && o != ET_HAWASSA &&
			    o != ET_DILLA && chance(r, 0.5))
				push(w, ET_SHASHEMENE);
			if (chance(r, 0.3))
				push(w, ET_YABELO);
		}
		push(w, ET_MOYALE);
		route_kenya_north(r, w);
	}
	if (w->scen == S_KE_DEST) {
		/* trafficked into Kenya: exploitation in Isiolo or Nairobi;
		 * the route ends at the first of the two. */
		int stop = chance(r, 0.5) ? KE_ISIOLO : KE_NAIROBI;

		for (int i = 0; i < w->n; i++) {
			if (w->route[i] == stop || w->route[i] == KE_NAIROBI) {
				w->n = i + 1;
				break;
			}
		}
		return;
	}
	route_south(r, w);
}

static int age_band(int age, char *buf)
{
	static const struct { int hi; const char *s; } b[] = {
		{ 8, "0--8" }, { 17, "9--17" }, { 20, "18--20" },
		{ 23, "21--23" }, { 26, "24--26" }, { 29, "27--29" },
		{ 38, "30--38" }, { 47, "39--47" }, { 200, "48+" },
	};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		if (age <= b[i].hi) {
			strcpy(buf, b[i].s);
			return 0;
		}
	}
	return -1;
}

static long leg_days(gsl_rng *r, double hold)
{
	long d = 1 + (long)floor(gsl_ran_gamma(r, 1.5, hold / 1.5));

	return d > 90 ? 90 : d;
}

static long draw_registration(struct gen *g)
{
	size_t k = gsl_ran_discrete(g->r, g->months);
	long len = g->month_day0[k + 1] - g->month_day0[k];

	return g->month_day0[k] + (long)gsl_rng_uniform_int(g->r,
	                                                   (unsigned long)len);
}

/* Draws one case and writes it as a CSV row (no quoting needed: every
 * value is ASCII without commas, quotes or line breaks). */
static void gen_row(struct gen *g, struct out *o, unsigned long seed,
                    unsigned long num)
{
	gsl_rng *r = g->r;
	struct row w;
	char band[8];
	double u, pf, pm;
	int date_mode, has_cty, last, expl_n = 0, expl[2] = { -1, -1 };
	int south, to_kenya;
	long lag;

	memset(&w, 0, sizeof(w));
	w.cit = pick(r, cit_w, 4);
	if (w.cit == C_KEN)
		w.scen = (int[]){ K_FROM_ISIOLO, K_TO_ISIOLO, K_SOUTH }
		         [pick(r, (const double[]){ 0.5, 0.3, 0.2 }, 3)];
	else
		w.scen = S_SOUTH;
	if (w.scen == K_FROM_ISIOLO || w.scen == K_TO_ISIOLO)
		w.ctype = chance(r, 0.85) ? T_TRAFFICKING : T_VULNERABLE;
	else
		w.ctype = pick(r, ctype_w, 3);
	if (w.ctype == T_TRAFFICKING && w.scen == S_SOUTH && chance(r, 0.12))
		w.scen = S_KE_DEST;
	to_kenya = w.scen == K_FROM_ISIOLO || w.scen == K_TO_ISIOLO ||
	           w.scen == S_KE_DEST;
	south = !to_kenya;

	/* sex and age */
	if (to_kenya && w.cit == C_KEN) {
		pf = 0.45;
		pm = 0.40;
	} else if (w.ctype == T_TRAFFICKING) {
		pf = 0.32;
		pm = 0.25;
	} else if (w.ctype == T_VULNERABLE) {
		pf = 0.15;
		pm = 0.20;
	} else {
		pf = 0.08;
		pm = 0.10;
	}
	u = gsl_rng_uniform(r);
	w.sex = u < 0.002 ? X_OTHER : (u < 0.002 + pf ? X_FEMALE : X_MALE);
	w.minor = chance(r, pm);
	if (w.minor) {
		w.age = 12 + pick(r, (const double[]){ 0.08, 0.10, 0.15, 0.20,
		                                      0.22, 0.25 }, 6);
	} else {
		do
			w.age = 18 + (int)floor(gsl_ran_gamma(r, 2.0, 4.0));
		while (w.age > 55);
	}

	/* route and interception */
	build_route(r, &w);
	w.nfull = w.n;
	for (int i = 1; i < w.n - 1; i++) {
		if (chance(r, places[w.route[i]].hazard * HAZARD_SCALE)) {
			w.n = i + 1;
			w.intercepted = 1;
			break;
		}
	}
	last = w.route[w.n - 1];
	if (w.ctype == T_TRAFFICKING)
		w.actual = w.intercepted ? chance(r, 0.35) : chance(r, 0.80);

	/* dates: registration first (season x trend), then back in time */
	w.reg = draw_registration(g);
	if (w.intercepted)
		lag = (long)gsl_ran_geometric(r, 0.6) - 1;
	else if (south)
		lag = 14 + (long)floor(gsl_ran_gamma(r, 2.0, 60.0));
	else
		lag = 7 + (long)floor(gsl_ran_gamma(r, 2.0, 30.0));
	w.date[w.n - 1] = w.reg - lag;
	for (int i = w.n - 2; i >= 0; i--)
		w.date[i] = w.date[i + 1] -
		            leg_days(r, places[w.route[i]].hold);
	u = gsl_rng_uniform(r);
	date_mode = u < 0.35 ? 0 : (u < 0.80 ? 1 : 2);  /* all, ends, none */
	w.frac = w.nfull > 1 ? (double)(w.n - 1) / (double)(w.nfull - 1) : 1;
	/* the recorded route: intermediate places that are neither borders
	 * nor hubs are left out with probability 0.3 */
	if (w.n > 2) {
		int k = 1;

		for (int i = 1; i < w.n - 1; i++) {
			if (!places[w.route[i]].key && chance(r, 0.3))
				continue;
			w.route[k] = w.route[i];
			w.date[k++] = w.date[i];
		}
		w.route[k] = w.route[w.n - 1];
		w.date[k] = w.date[w.n - 1];
		w.n = k + 1;
	}

	/* ---- write ---- */
	put_s(o, "SYN-");
	put_u(o, seed);
	put_c(o, '-');
	put_u(o, num);
	put_c(o, ',');
	put_date(o, w.reg);
	put_s(o, ",corridor synth (SYNTHETIC),");
	put_s(o, ctype_code[w.ctype]);
	put_c(o, ',');
	if (w.ctype == T_TRAFFICKING)
		put_s(o, w.actual ? "actual" : "possible");
	put_c(o, ',');
	if (!chance(r, 0.01))
		put_s(o, sex_code[w.sex]);
	put_c(o, ',');
	u = gsl_rng_uniform(r);       /* age: 3% unknown, 2% band only */
	if (u >= 0.05)
		put_u(o, (unsigned long)w.age);
	put_c(o, ',');
	if (u >= 0.03 && age_band(w.age, band) == 0)
		put_s(o, band);
	put_c(o, ',');
	if (!chance(r, 0.02))
		put_s(o, cit_code[w.cit]);
	put_c(o, ',');
	if (!chance(r, 0.03))
		put_s(o, places[w.route[0]].iso3);
	put_c(o, ',');
	if (!chance(r, w.cit == C_KEN ? 0.05 : 0.25))
		put_s(o, places[w.route[0]].admin1);
	put_c(o, ',');
	for (int i = 0; i < w.n; i++) {
		if (i > 0)
			put_c(o, ';');
		put_s(o, places[w.route[i]].id);
		if (date_mode == 0 ||
		    (date_mode == 1 && (i == 0 || i == w.n - 1))) {
			put_c(o, '@');
			put_date(o, w.date[i]);
		}
	}
	put_c(o, ',');
	if (w.intercepted) {          /* interception_place, _date */
		put_s(o, places[last].id);
		put_c(o, ',');
		if (!chance(r, 0.03))
			put_date(o, w.date[w.n - 1]);
	} else {
		put_c(o, ',');
	}
	put_c(o, ',');
	/* identification_county: intercepted in Kenya, or identified at a
	 * Kenyan destination */
	has_cty = strcmp(places[last].iso3, "KEN") == 0;
	if (has_cty && !chance(r, 0.03))
		put_s(o, places[last].admin1);
	put_c(o, ',');
	if (!chance(r, 0.05))         /* intended_destination */
		put_s(o, to_kenya ? "KEN" : "ZAF");
	put_c(o, ',');
	/* exploitation types and country of exploitation */
	if (w.ctype == T_TRAFFICKING && (w.actual || chance(r, 0.5))) {
		const double *ew = w.minor ?
			(w.sex == X_FEMALE ? expl_w_minor_f : expl_w_minor) :
			(w.sex == X_FEMALE ? expl_w_female : expl_w_male);

		expl[0] = pick(r, ew, N_EXPL);
		expl_n = 1;
		if (chance(r, 0.15)) {
			expl[1] = pick(r, ew, N_EXPL);
			if (expl[1] != expl[0])
				expl_n = 2;
		}
	}
	if (w.ctype == T_TRAFFICKING && w.actual)
		put_s(o, places[last].iso3);
	else if (w.ctype == T_TRAFFICKING && chance(r, 0.3))
		put_s(o, to_kenya ? "KEN" : "ZAF");
	put_c(o, ',');
	for (int e = 0, k = 0; e < N_EXPL; e++) {
		if ((expl_n > 0 && expl[0] == e) ||
		    (expl_n > 1 && expl[1] == e)) {
			if (k++ > 0)
				put_c(o, ';');
			put_s(o, expl_code[e]);
		}
	}
	put_c(o, ',');
	if (w.ctype == T_TRAFFICKING) {   /* means of control, >= 1 */
		int k = 0;

		for (int m = 0; m < N_CONTROL; m++) {
			int in = chance(r, control_p[m]);

			if (m == 3 && w.sex != X_FEMALE)
				in = 0;
			if (in) {
				if (k++ > 0)
					put_c(o, ';');
				put_s(o, control_code[m]);
			}
		}
		if (k == 0)
			put_s(o, control_code[10]);   /* false_promises */
	}
	put_c(o, ',');
	if (!chance(r, 0.10)) {            /* recruiter_relationship */
		int rel = pick(r, w.ctype == T_TRAFFICKING ?
		               rel_w_trafficking : rel_w_smuggling, 6);

		if (rel == R_PARTNER && w.sex != X_FEMALE)
			rel = R_FRIEND;
		put_s(o, rel_code[rel]);
	}
	put_c(o, ',');
	/* fee_usd: lognormal, median 3,500 USD for the full route to South
	 * Africa scaled by the share of the route travelled; 120 USD inside
	 * Kenya. Rounded to 10 USD. */
	if (!chance(r, w.ctype == T_SMUGGLING ? 0.10 :
	              (w.ctype == T_TRAFFICKING ? 0.30 : 0.20))) {
		double med, fee;

		if (to_kenya) {
			med = 120.0;
			fee = gsl_ran_lognormal(r, log(med), 0.6);
		} else {
			med = 3500.0 * (0.2 + 0.8 * w.frac);
			fee = gsl_ran_lognormal(r, log(med), 0.4);
		}
		put_u(o, (unsigned long)(10 * lround(fee / 10.0)));
		put_s(o, ".00");
	}
	put_c(o, ',');
	if (!chance(r, date_mode == 2 ? 0.5 : 0.08))   /* days_in_transit */
		put_u(o, (unsigned long)(w.date[w.n - 1] - w.date[0]));
	put_c(o, ',');
	u = gsl_rng_uniform(r);           /* nrm_referral */
	if (u >= 0.06) {
		double p = w.ctype == T_TRAFFICKING ? 0.65 :
		           (w.ctype == T_VULNERABLE ? 0.25 : 0.04);

		if (chance(r, p)) {
			put_s(o, "yes,");
			if (!chance(r, 0.10))
				put_date(o, w.reg + (long)gsl_ran_geometric(
				                   r, 0.15) - 1);
		} else {
			put_s(o, "no,");
		}
	} else {
		put_c(o, ',');
	}
	put_s(o, ",1\n");
}

static const char header[] =
	"case_id,registration_date,reporting_org,case_type,"
	"trafficking_status,sex,age,age_band,citizenship,origin_country,"
	"origin_admin1,route,interception_place,interception_date,"
	"identification_county,intended_destination,country_of_exploitation,"
	"exploitation_types,means_of_control,recruiter_relationship,fee_usd,"
	"days_in_transit,nrm_referral,nrm_referral_date,synthetic\n";

int cor_synth_write(FILE *fp, const cor_synth_opts *opt, cor_err *err)
{
	int rc = COR_EFAIL;
	struct gen *g = NULL;
	struct out o = { .fp = fp };
	double w[MAX_MONTHS];
	int y0, m0, nm;

	if (fp == NULL || opt == NULL)
		return cor_err_set(err, COR_EINVAL, "no output or options");
	if (opt->from_q < 1 || opt->from_q > 4 || opt->to_q < 1 ||
	    opt->to_q > 4)
		return cor_err_set(err, COR_EINVAL, "quarter out of 1..4");
	y0 = opt->from_year;
	m0 = (opt->from_q - 1) * 3 + 1;
	nm = ((opt->to_year - y0) * 4 + opt->to_q - opt->from_q + 1) * 3;
	if (nm <= 0)
		return cor_err_set(err, COR_EINVAL, "--to %dQ%d is before "
		                   "--from %dQ%d", opt->to_year, opt->to_q,
		                   y0, opt->from_q);
	if (nm > MAX_MONTHS)
		return cor_err_set(err, COR_EINVAL, "period longer than %d "
		                   "years", MAX_MONTHS / 12);
	if (opt->seed > 0xffffffffUL)   /* gsl_rng_set takes 32 bits of it */
		return cor_err_set(err, COR_EINVAL, "seed %lu above 2^32-1",
		                   opt->seed);

	g = calloc(1, sizeof(*g));
	o.buf = malloc(OUT_CAP);
	if (g == NULL || o.buf == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	g->r = gsl_rng_alloc(gsl_rng_mt19937);
	if (g->r == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory (gsl_rng)");
		goto out;
	}
	gsl_rng_set(g->r, opt->seed);
	for (int k = 0; k <= nm; k++) {
		int mi = m0 - 1 + k;

		g->month_day0[k] = days_from_civil(y0 + mi / 12,
		                                   (unsigned)(mi % 12 + 1), 1);
		if (k < nm)
			w[k] = month_w[mi % 12] *
			       exp(TREND_PER_YEAR * (double)k / 12.0);
	}
	g->months = gsl_ran_discrete_preproc((size_t)nm, w);
	if (g->months == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory (gsl)");
		goto out;
	}

	put_s(&o, header);
	for (unsigned long i = 1; i <= opt->n_cases; i++) {
		if (OUT_CAP - o.len < ROW_MAX) {
			out_flush(&o);
			if (o.failed)
				break;
		}
		gen_row(g, &o, opt->seed, i);
	}
	out_flush(&o);
	if (!o.failed && fflush(fp) != 0) {
		o.failed = 1;
		o.err_no = errno;
	}
	if (o.failed) {
		rc = cor_err_set(err, COR_EIO, "write failed: %s",
		                 strerror(o.err_no));
		goto out;
	}
	rc = COR_OK;
out:
	if (g != NULL) {
		gsl_ran_discrete_free(g->months);
		gsl_rng_free(g->r);
	}
	free(g);
	free(o.buf);
	return rc;
}
