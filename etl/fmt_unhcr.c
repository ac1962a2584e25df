/* etl/fmt_unhcr.c: UNHCR population statistics (population.csv of the
 * `refugees` R package) -> od_stock. Origin and asylum come from the ISO
 * columns coo_iso/coa_iso, never from UNHCR's own codes coo/coa (AUS there
 * is Austria). Empty counts (oip before 2018) are NULL, not 0. */
#include "etl_int.h"

#include <stdlib.h>
#include <string.h>

enum {
	U_YEAR, U_COO, U_COA, U_REF, U_ASY, U_RREF, U_IDP, U_RIDP, U_STA,
	U_OOC, U_OIP, U_HST, U_N
};

static const char *const names[U_N][3] = {
	[U_YEAR] = { "year", NULL },
	[U_COO] = { "coo_iso", NULL },
	[U_COA] = { "coa_iso", NULL },
	[U_REF] = { "refugees", NULL },
	[U_ASY] = { "asylum_seekers", NULL },
	[U_RREF] = { "returned_refugees", NULL },
	[U_IDP] = { "idps", NULL },
	[U_RIDP] = { "returned_idps", NULL },
	[U_STA] = { "stateless", NULL },
	[U_OOC] = { "ooc", NULL },
	[U_OIP] = { "oip", NULL },
	[U_HST] = { "hst", NULL },
};

/* UNHCR's own codes and names: not loaded (the ISO columns are). */
static const char *const unhcr_own[] = { "coo", "coa", "coo_name",
                                         "coa_name", NULL };

struct st {
	int col[U_N];
};

static int unhcr_bind(cor_load *L, const cor_etl_record *hdr, cor_err *err)
{
	struct st *s = L->ad.state;
	char nm[160];

	(void)hdr;
	for (int c = 0; c < U_N; c++)
		s->col[c] = cor_load_col(L, names[c]);
	for (size_t i = 0; i < L->ncols; i++) {
		cor_etl_colname(L->colname[i], nm, sizeof(nm));
		for (size_t j = 0; unhcr_own[j] != NULL; j++)
			if (strcmp(nm, unhcr_own[j]) == 0) {
				char b[200];

				L->col_used[i] = 1;
				snprintf(b, sizeof(b), "%s (UNHCR code/name; "
				         "ISO column used)", L->colname[i]);
				cor_list_add(L->res->ignored,
				             sizeof(L->res->ignored), b);
			}
	}
	cor_load_drop_identifiers(L);
	if (cor_load_finish_bind(L, 0, err) != 0)
		return COR_EDATA;
	for (int c = U_YEAR; c <= U_COA; c++)
		if (s->col[c] < 0)
			return cor_err_at(err, COR_EDATA, L->name, 1,
			                  names[c][0],
			                  "required column missing");
	return 0;
}

static int unhcr_row(cor_load *L, const cor_etl_record *r)
{
	struct st *s = L->ad.state;
	cor_out *o = &L->out;
	const char *why;
	char b[64];
	int64_t v;

	cor_trim(cor_cell(r, s->col[U_YEAR]), b, sizeof(b));
	if (cor_etl_parse_int(b, 0, 1, &v, &why) != 0) {
		cor_load_reject(L, r->line, L->colname[s->col[U_YEAR]], why, b);
		return 1;
	}
	if (v < 1900 || v > 2099) {
		cor_load_reject(L, r->line, L->colname[s->col[U_YEAR]],
		                "year outside 1900..2099", b);
		return 1;
	}
	cor_out_i64(o, v);
	for (int c = U_COO; c <= U_COA; c++) {
		cor_trim(cor_cell(r, s->col[c]), b, sizeof(b));
		if (strlen(b) != 3 || b[0] < 'A' || b[0] > 'Z' || b[1] < 'A' ||
		    b[1] > 'Z' || b[2] < 'A' || b[2] > 'Z') {
			cor_load_reject(L, r->line, L->colname[s->col[c]],
			                "not an ISO 3166-1 alpha-3 code", b);
			return 1;
		}
		if (cor_hash_get(&L->ref.iso3, b) == NULL) {
			cor_load_reject(L, r->line, L->colname[s->col[c]],
			                "code not in table country", b);
			return 1;
		}
		cor_out_raw(o, b, 3);
	}
	for (int c = U_REF; c < U_N; c++) {
		if (s->col[c] < 0) {
			cor_out_null(o);
			continue;
		}
		cor_trim(cor_cell(r, s->col[c]), b, sizeof(b));
		if (b[0] == '\0') {
			cor_out_null(o);        /* not reported */
			continue;
		}
		if (cor_etl_parse_int(b, L->o->decimal_comma, 1, &v, &why)
		    != 0) {
			cor_load_reject(L, r->line, L->colname[s->col[c]], why,
			                b);
			return 1;
		}
		if (v < 0) {
			cor_load_reject(L, r->line, L->colname[s->col[c]],
			                "negative count", b);
			return 1;
		}
		cor_out_i64(o, v);
	}
	L->row_synthetic = L->o->synthetic;
	return 0;
}

static void unhcr_free(cor_load *L)
{
	free(L->ad.state);
	L->ad.state = NULL;
}

int cor_fmt_unhcr_init(cor_load *L, cor_err *err)
{
	struct st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	L->ad.state = s;
	L->ad.table = "od_stock";
	L->ad.columns = "(batch_id, year, origin, asylum, refugees, "
		"asylum_seekers, returned_refugees, idps, returned_idps, "
		"stateless, ooc, oip, hst)";
	L->ad.bind = unhcr_bind;
	L->ad.row = unhcr_row;
	L->ad.free = unhcr_free;
	return 0;
}
