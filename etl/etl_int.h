/* etl/etl_int.h: internals shared by the etl/ files (not installed).
 * The loader (etl_load.c) drives one adapter per format (fmt_*.c): the
 * adapter binds header names to its columns and turns each record into one
 * COPY text line, or rejects it with a reason. */
#ifndef COR_ETL_INT_H
#define COR_ETL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <libpq-fe.h>
#include "corridor/etl.h"

/* ---- CSV reading with the raw bytes (csv_reader.c) ----------------- */

/* Receives each block of the file's bytes as read, before decoding, in
 * file order (for hashing the file in the same pass). */
typedef void cor_raw_fn(void *ud, const void *buf, size_t n);

/* cor_etl_csv_read, and raw_fn (may be NULL) sees every byte read from fp,
 * in order, before the records of those bytes reach fn. */
int cor_csv_read_raw(FILE *fp, const char *name, const cor_etl_csv_opts *o,
                     cor_etl_record_fn *fn, void *ud, uint64_t *bytes_read,
                     cor_raw_fn *raw_fn, void *raw_ud, cor_err *err);

/* ---- small string hash (etl_ref.c) -------------------------------- */

struct cor_hent {
	uint64_t hash;  /* of key: compared before the strings */
	size_t len;     /* strlen(key) */
	char *key;
	char *val;      /* NULL for a set member */
	int flag;       /* caller's use (e.g. ambiguity) */
};

typedef struct cor_hash {
	struct cor_hent *tab;
	size_t cap, n;
} cor_hash;

int cor_hash_put(cor_hash *h, const char *key, const char *val, int flag);
const struct cor_hent *cor_hash_get(const cor_hash *h, const char *key);
/* cor_hash_get of key[0..n) (no NUL needed) */
const struct cor_hent *cor_hash_getn(const cor_hash *h, const char *key,
                                     size_t n);
void cor_hash_free(cor_hash *h);

/* Reference data loaded once per load. */
typedef struct cor_ref {
	cor_hash iso3;      /* alpha-3 -> NULL */
	cor_hash iso2;      /* alpha-2 -> alpha-3 */
	cor_hash admin1;    /* P-code -> country alpha-3 */
	cor_hash place;     /* normalised key -> place id (flag 1: ambiguous,
	                     * val = candidate list) */
	cor_hash place_id;  /* exact place id -> its admin1 P-code when that
	                     * is a Kenyan county, else NULL */
} cor_ref;

int cor_ref_load(PGconn *conn, cor_ref *ref, cor_err *err);
void cor_ref_free(cor_ref *ref);
/* Normalised place key: cor_etl_fold without apostrophes. */
size_t cor_ref_place_key(const char *s, char *out, size_t n);

/* ---- COPY text output buffer (etl_load.c) ------------------------- */

typedef struct cor_out {
	char *buf;
	size_t len, cap;
	size_t row_start;
	int ncol;           /* columns emitted in the current row */
	int oom;
} cor_out;

void cor_out_text(cor_out *o, const char *s, size_t n);  /* escaped */
void cor_out_raw(cor_out *o, const char *s, size_t n);   /* trusted */
void cor_out_str(cor_out *o, const char *s);             /* escaped, NUL */
void cor_out_null(cor_out *o);
void cor_out_i64(cor_out *o, int64_t v);
void cor_out_f64(cor_out *o, double v);
void cor_out_date(cor_out *o, int32_t days);
void cor_out_bool(cor_out *o, int v);                    /* -1 = NULL */

/* ---- COPY binary output (etl_load.c) -------------------------------
 * PostgreSQL's binary COPY format ("COPY", File Formats, and each type's
 * send/recv functions in src/backend/utils/adt): network byte order, each field
 * an int32 length (-1 = NULL) and the value. Cheaper for the server than
 * text: no array or date parsing. An adapter with binary = 1 writes each
 * row as cor_bin_row + one call per column; the loader writes the batch id
 * column, the file header and the trailer. */
#define COR_OID_TEXT 25      /* pg_type.oid of text (array element) */
#define COR_OID_DATE 1082    /* pg_type.oid of date */

void cor_bin_header(cor_out *o);           /* "PGCOPY\n\377\r\n\0", flags */
void cor_bin_trailer(cor_out *o);          /* int16 -1 */
void cor_bin_row(cor_out *o, int nfields); /* int16 field count */
void cor_bin_null(cor_out *o);
void cor_bin_bytes(cor_out *o, const char *s, size_t n); /* text, char(n) */
void cor_bin_str(cor_out *o, const char *s);  /* NUL-terminated; NULL */
void cor_bin_int2(cor_out *o, int v);
void cor_bin_int4(cor_out *o, int32_t v);
void cor_bin_int8(cor_out *o, int64_t v);
void cor_bin_bool(cor_out *o, int v);         /* -1 = NULL */
void cor_bin_date(cor_out *o, int32_t days);  /* days since 1970-01-01 */
/* numeric of cents / 100 with scale 2 (numeric(12, 2)); cents >= 0 */
void cor_bin_cents(cor_out *o, int64_t cents);
/* one-dimensional text[] of n elements (n = 0: '{}') */
void cor_bin_text_array(cor_out *o, const char *const *el, int n);
/* one-dimensional date[]; isnull[i] marks NULL elements */
void cor_bin_date_array(cor_out *o, const int32_t *days,
                        const unsigned char *isnull, int n);

/* ---- load context -------------------------------------------------- */

struct cor_load;

typedef struct cor_adapter {
	const char *table;          /* COPY target */
	const char *columns;        /* COPY column list, "(a, b, ...)" */
	int binary;                 /* rows in COPY binary (cor_bin_*) */
	int nfields;                /* binary: columns incl. batch_id */
	/* Binds header names; sets L->col_used[i] for claimed columns and
	 * may fill L->res->ignored. Returns 0 or COR_EDATA (err set). */
	int (*bind)(struct cor_load *L, const cor_etl_record *hdr,
	            cor_err *err);
	/* Emits one row into L->out (after the batch id column the loader
	 * writes) or calls cor_load_reject and returns 1. Returns 0 when a
	 * row was emitted, 1 when rejected, negative on fatal errors. */
	int (*row)(struct cor_load *L, const cor_etl_record *rec);
	void (*free)(struct cor_load *L);
	void *state;
} cor_adapter;

typedef struct cor_load {
	const cor_etl_opts *o;
	cor_etl_result *res;
	const char *name;           /* file name for messages */
	cor_ref ref;
	cor_adapter ad;
	cor_out out;
	size_t ncols;               /* header columns */
	char **colname;             /* header names as given */
	unsigned char *col_used;    /* claimed by the adapter or dropped */
	unsigned char *col_blank;   /* unnamed column: values must be empty */
	int row_synthetic;          /* set by the adapter per row */
	/* Quarterly counts of the batch (sql/006 case_quarter_count),
	 * counted here instead of by a scan of the loaded rows: an adapter
	 * that sets cube_on writes each row's dimensions to cube_key as a
	 * COPY text line fragment (quarter, case_type, sex, is_minor,
	 * citizenship, counties, synthetic) and sets cube_row; the loader
	 * counts the rows it loads per key and copies the counts before
	 * COMMIT. Without cube_on the loader calls cor_count_batch. */
	int cube_on;
	int cube_row;
	char cube_key[512];
	cor_hash cube;              /* key -> flag: index into cube_n */
	int64_t *cube_n;
	size_t cube_cap;
	long any_synthetic;
	int32_t today;              /* days since epoch, for "future" checks */
	int row_rejects;            /* reasons for the current row */
	long rej_line;              /* first reason of the current row */
	char rej_col[64];
	char rej_reason[160];
} cor_load;

/* Records a rejected value of the current row: line, column (header name
 * or NULL), reason (static or copied), value excerpt (may be NULL). */
void cor_load_reject(cor_load *L, long line, const char *column,
                     const char *reason, const char *value);

/* Appends name to a ", "-joined list in dst (size n). */
void cor_list_add(char *dst, size_t n, const char *name);

/* Finds the header column whose normalised name is one of names
 * (NULL-terminated); returns its index or -1. Marks it used. */
int cor_load_col(cor_load *L, const char *const *names);

/* Classifies and claims identifier / free-text / date-of-birth columns,
 * listing them in res->dropped / res->ignored. Returns the DOB column
 * index or -1. */
int cor_load_drop_identifiers(cor_load *L);

/* Lists every column not claimed by the adapter in res->ignored, or, when
 * strict, fails naming the first one. Unnamed columns become "blank"
 * columns whose values must be empty. */
int cor_load_finish_bind(cor_load *L, int strict, cor_err *err);

/* Adapters. */
int cor_fmt_cases_init(cor_load *L, cor_err *err);
int cor_fmt_ctdc_init(cor_load *L, cor_err *err);
int cor_fmt_mmp_init(cor_load *L, cor_err *err);
int cor_fmt_unhcr_init(cor_load *L, cor_err *err);

/* Helpers for adapters: a cell or NULL when the column is absent. */
static inline const char *cor_cell(const cor_etl_record *r, int i)
{
	return (i >= 0 && (size_t)i < r->nfields) ? r->field[i] : NULL;
}

/* Trimmed copy of a cell (leading/trailing blanks and NBSP removed) into
 * buf; returns buf, or "" when the column is absent. */
const char *cor_trim(const char *s, char *buf, size_t n);

#endif /* COR_ETL_INT_H */
