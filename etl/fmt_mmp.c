/* etl/fmt_mmp.c: IOM Missing Migrants Project incidents -> incident.
 * Columns matched by name with the spellings of the pre-2021 and later
 * exports; missing optional columns load as NULL; blank counts are NULL
 * (unknown), never 0; "lat, lon" coordinates are split (latitude first). */
#include "etl_int.h"

#include <stdlib.h>
#include <string.h>

enum {
	M_WEB_ID, M_REGION, M_DATE, M_DEAD, M_MISSING, M_TOTAL, M_SURVIVORS,
	M_FEMALES, M_MALES, M_CHILDREN, M_CAUSE, M_LOCATION, M_COORDS,
	M_ROUTE, M_SOURCE, M_UNSD, M_QUALITY, M_N
};

static const char *const names[M_N][5] = {
	[M_WEB_ID] = { "web_id", "main_id", NULL },
	[M_REGION] = { "region_of_incident", "region", "incident_region",
	               NULL },
	[M_DATE] = { "reported_date", "incident_date", "date", NULL },
	[M_DEAD] = { "number_dead", "number_of_dead", "dead", NULL },
	[M_MISSING] = { "minimum_estimated_number_of_missing",
	                "number_of_missing", "number_missing", "missing",
	                NULL },
	[M_TOTAL] = { "total_dead_and_missing",
	              "total_number_of_dead_and_missing", NULL },
	[M_SURVIVORS] = { "number_of_survivors", "survivors", NULL },
	[M_FEMALES] = { "number_of_females", "females", NULL },
	[M_MALES] = { "number_of_males", "males", NULL },
	[M_CHILDREN] = { "number_of_children", "children", NULL },
	[M_CAUSE] = { "cause_of_death", NULL },
	[M_LOCATION] = { "location_description", "location",
	                 "location_of_incident", NULL },
	[M_COORDS] = { "location_coordinates", "coordinates", NULL },
	[M_ROUTE] = { "migration_route", "migrant_route", NULL },
	[M_SOURCE] = { "information_source", "source", NULL },
	[M_UNSD] = { "unsd_geographical_grouping", NULL },
	[M_QUALITY] = { "source_quality", NULL },
};

static const char *const derived[] = { "reported_year", "reported_month",
                                       "incident_year", "year", "month",
                                       NULL };

struct st {
	int col[M_N];
	char v[M_N][2048];
};

static int bad(cor_load *L, const cor_etl_record *r, struct st *s, int c,
               const char *why)
{
	cor_load_reject(L, r->line, L->colname[s->col[c]], why, s->v[c]);
	return 1;
}

static int mmp_bind(cor_load *L, const cor_etl_record *hdr, cor_err *err)
{
	struct st *s = L->ad.state;
	char nm[160];

	(void)hdr;
	for (int c = 0; c < M_N; c++)
		s->col[c] = cor_load_col(L, names[c]);
	for (size_t i = 0; i < L->ncols; i++) {
		cor_etl_colname(L->colname[i], nm, sizeof(nm));
		for (size_t j = 0; derived[j] != NULL; j++) {
			if (strcmp(nm, derived[j]) == 0) {
				char b[200];

				L->col_used[i] = 1;
				snprintf(b, sizeof(b), "%s (derived from the "
				         "date)", L->colname[i]);
				cor_list_add(L->res->ignored,
				             sizeof(L->res->ignored), b);
			}
		}
	}
	cor_load_drop_identifiers(L);
	if (cor_load_finish_bind(L, 0, err) != 0)
		return COR_EDATA;
	if (s->col[M_WEB_ID] < 0)
		return cor_err_at(err, COR_EDATA, L->name, 1, "Web ID",
		                  "required column missing");
	if (s->col[M_DATE] < 0)
		return cor_err_at(err, COR_EDATA, L->name, 1, "Reported Date",
		                  "required column missing");
	return 0;
}

static int count(cor_load *L, const cor_etl_record *r, struct st *s, int c)
{
	int64_t v;
	const char *why;

	if (s->v[c][0] == '\0') {
		cor_out_null(&L->out);       /* blank = unknown, never 0 */
		return 0;
	}
	if (cor_etl_parse_int(s->v[c], L->o->decimal_comma, 0, &v, &why) != 0)
		return bad(L, r, s, c, why);
	if (v < 0)
		return bad(L, r, s, c, "negative count");
	if (v > 100000000)
		return bad(L, r, s, c, "count too large");
	cor_out_i64(&L->out, v);
	return 0;
}

static void text(cor_load *L, struct st *s, int c)
{
	if (s->v[c][0] == '\0')
		cor_out_null(&L->out);
	else
		cor_out_str(&L->out, s->v[c]);
}

static int mmp_row(cor_load *L, const cor_etl_record *r)
{
	struct st *s = L->ad.state;
	cor_out *o = &L->out;
	const char *why;
	int64_t v;
	int32_t d;
	int fmt = L->o->datefmt == COR_DATE_ISO ? COR_DATE_LONG
	                                        : L->o->datefmt;

	for (int c = 0; c < M_N; c++) {
		const char *cell = cor_cell(r, s->col[c]);

		if (cell != NULL && strlen(cell) >= sizeof(s->v[c])) {
			s->v[c][0] = '\0';
			return bad(L, r, s, c, "value longer than 2047 bytes");
		}
		cor_trim(cell, s->v[c], sizeof(s->v[c]));
	}
	if (s->v[M_WEB_ID][0] == '\0')
		return bad(L, r, s, M_WEB_ID, "empty incident id");
	if (cor_etl_parse_int(s->v[M_WEB_ID], 0, 0, &v, &why) != 0)
		return bad(L, r, s, M_WEB_ID, why);
	if (v < 0)
		return bad(L, r, s, M_WEB_ID, "negative incident id");
	cor_out_i64(o, v);
	text(L, s, M_REGION);
	if (s->v[M_DATE][0] == '\0')
		return bad(L, r, s, M_DATE, "empty date");
	if (cor_etl_parse_date(s->v[M_DATE], fmt, &d, &why) != 0)
		return bad(L, r, s, M_DATE, why);
	if (d > L->today)
		return bad(L, r, s, M_DATE, "date in the future");
	cor_out_date(o, d);
	for (int c = M_DEAD; c <= M_CHILDREN; c++)
		if (count(L, r, s, c) != 0)
			return 1;
	text(L, s, M_CAUSE);
	text(L, s, M_LOCATION);
	if (s->v[M_COORDS][0] == '\0') {
		cor_out_null(o);
		cor_out_null(o);
	} else {
		double lat, lon;

		if (cor_etl_parse_coords(s->v[M_COORDS], &lat, &lon, &why) != 0)
			return bad(L, r, s, M_COORDS, why);
		cor_out_f64(o, lat);
		cor_out_f64(o, lon);
	}
	text(L, s, M_ROUTE);
	text(L, s, M_SOURCE);
	text(L, s, M_UNSD);
	if (s->v[M_QUALITY][0] == '\0') {
		cor_out_null(o);
	} else {
		if (cor_etl_parse_int(s->v[M_QUALITY], 0, 0, &v, &why) != 0)
			return bad(L, r, s, M_QUALITY, why);
		if (v < 1 || v > 5)
			return bad(L, r, s, M_QUALITY, "source quality "
			           "outside 1..5");
		cor_out_i64(o, v);
	}
	L->row_synthetic = L->o->synthetic;
	return 0;
}

static void mmp_free(cor_load *L)
{
	free(L->ad.state);
	L->ad.state = NULL;
}

int cor_fmt_mmp_init(cor_load *L, cor_err *err)
{
	struct st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	L->ad.state = s;
	L->ad.table = "incident";
	L->ad.columns = "(batch_id, web_id, region, reported_date, dead, "
		"missing, total_dead_missing, survivors, females, males, "
		"children, cause, location, lat, lon, migration_route, "
		"info_source, unsd_group, source_quality)";
	L->ad.bind = mmp_bind;
	L->ad.row = mmp_row;
	L->ad.free = mmp_free;
	return 0;
}
