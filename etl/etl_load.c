/* etl/etl_load.c: one file -> one transaction: batch row, COPY of the
 * validated rows, rejects, counts (include/corridor/etl.h).
 *
 * Order inside the transaction: pg_advisory_xact_lock on a key of the
 * file's size and first 64 KiB (so two loads of the same content
 * serialise: the second sees the first's committed batch and no-ops), the
 * idempotency check against the partial unique index batch_active_sha,
 * INSERT batch, COPY ... FROM STDIN
 * (every value is produced here: binary format for case_record, where
 * text arrays and dates would cost the server most of its parsing; text
 * format, escaped, for the other tables), COPY reject, for case records
 * the batch's quarterly counts (sql/006: COPY case_quarter_count of the
 * counts made while reading, or cor_count_batch), UPDATE batch counts,
 * COMMIT. Any failure rolls back, leaving the database as it was.
 *
 * The file's SHA-256 (the content check) costs a read of the whole file,
 * 0.25 s at 1M rows. It is computed before the check, as a separate pass,
 * only when an active batch of a file of the same name and format exists
 * (a rerun of the same command is then a fast no-op) or with --replace.
 * Otherwise the reader hashes the bytes as it reads them, the batch row
 * holds a random placeholder hash, and after the COPY the load checks the
 * real one: content already loaded under another name rolls back and
 * reports the no-op, as before, only later.
 *
 * Two threads: a reader thread reads, validates, de-identifies and encodes
 * rows into 256 KiB COPY buffers (and does the prologue above, before its
 * first buffer); the calling thread sends the buffers with PQputCopyData
 * while the reader fills the next, so client and server work on two cores.
 * At most NBUF buffers exist (memory stays constant); the connection is
 * used by one thread at a time (libpq allows that, not concurrent use). */
#include "etl_int.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <endian.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "corridor/db.h"

#define OUT_FLUSH ((size_t)1 << 18)   /* COPY data per PQputCopyData */
#define NBUF 4                        /* COPY buffers in flight, in all */

/* ---- COPY text output -------------------------------------------- */

/* Grows o->buf to hold n more bytes (out_reserve's slow path). */
static int out_grow(cor_out *o, size_t n)
{
	if (!o->oom) {
		size_t cap = o->cap ? o->cap : OUT_FLUSH * 2;
		char *p;

		while (cap < o->len + n)
			cap *= 2;
		p = realloc(o->buf, cap);
		if (p != NULL) {
			o->buf = p;
			o->cap = cap;
			return 0;
		}
	}
	o->oom = 1;
	return -1;
}

/* 0 when o->buf has room for n more bytes, else -1 (o->oom set). Inline:
 * the binary row builder calls it for every value. */
static inline int out_reserve(cor_out *o, size_t n)
{
	if (o->len + n <= o->cap)
		return 0;
	return out_grow(o, n);
}

static void sep(cor_out *o)
{
	if (o->ncol++ > 0 && out_reserve(o, 1) == 0)
		o->buf[o->len++] = '\t';
}

void cor_out_raw(cor_out *o, const char *s, size_t n)
{
	sep(o);
	if (out_reserve(o, n) == 0) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

void cor_out_text(cor_out *o, const char *s, size_t n)
{
	char *d;

	sep(o);
	if (out_reserve(o, 2 * n) != 0)
		return;
	d = o->buf + o->len;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		switch (c) {
		case '\\':
			*d++ = '\\';
			*d++ = '\\';
			break;
		case '\t':
			*d++ = '\\';
			*d++ = 't';
			break;
		case '\n':
			*d++ = '\\';
			*d++ = 'n';
			break;
		case '\r':
			*d++ = '\\';
			*d++ = 'r';
			break;
		default:
			*d++ = c;
		}
	}
	o->len = (size_t)(d - o->buf);
}

void cor_out_str(cor_out *o, const char *s)
{
	if (s == NULL)
		cor_out_null(o);
	else
		cor_out_text(o, s, strlen(s));
}

void cor_out_null(cor_out *o)
{
	cor_out_raw(o, "\\N", 2);
}

void cor_out_i64(cor_out *o, int64_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	cor_out_raw(o, p, (size_t)(b + sizeof(b) - p));
}

void cor_out_f64(cor_out *o, double v)
{
	char b[40];
	int n = snprintf(b, sizeof(b), "%.17g", v);

	cor_out_raw(o, b, (size_t)n);
}

void cor_out_date(cor_out *o, int32_t days)
{
	char b[11];

	cor_etl_date_str(days, b);
	cor_out_raw(o, b, 10);
}

void cor_out_bool(cor_out *o, int v)
{
	if (v < 0)
		cor_out_null(o);
	else
		cor_out_raw(o, v ? "t" : "f", 1);
}

/* ---- COPY binary output -------------------------------------------- */

/* Big-endian stores into a buffer with room (one store each; byte by
 * byte through o->buf the compiler reloaded o->len after every byte). */
static inline char *be16(char *d, int v)
{
	uint16_t u = htobe16((uint16_t)v);

	memcpy(d, &u, 2);
	return d + 2;
}

static inline char *be32(char *d, int64_t v)
{
	uint32_t u = htobe32((uint32_t)v);

	memcpy(d, &u, 4);
	return d + 4;
}

static inline void put16(cor_out *o, int v)
{
	if (out_reserve(o, 2) != 0)
		return;
	be16(o->buf + o->len, v);
	o->len += 2;
}

static inline void put32(cor_out *o, int64_t v)
{
	if (out_reserve(o, 4) != 0)
		return;
	be32(o->buf + o->len, v);
	o->len += 4;
}

static inline void put_mem(cor_out *o, const char *s, size_t n)
{
	if (out_reserve(o, n) != 0)
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void cor_bin_header(cor_out *o)
{
	put_mem(o, "PGCOPY\n\377\r\n", 11);  /* with its NUL */
	put32(o, 0);            /* flags: no OIDs */
	put32(o, 0);            /* header extension length */
}

void cor_bin_trailer(cor_out *o)
{
	put16(o, -1);
}

void cor_bin_row(cor_out *o, int nfields)
{
	put16(o, nfields);
}

void cor_bin_null(cor_out *o)
{
	put32(o, -1);
}

void cor_bin_bytes(cor_out *o, const char *s, size_t n)
{
	char *d;

	if (out_reserve(o, 4 + n) != 0)
		return;
	d = be32(o->buf + o->len, (int64_t)n);
	memcpy(d, s, n);
	o->len += 4 + n;
}

void cor_bin_str(cor_out *o, const char *s)
{
	if (s == NULL)
		cor_bin_null(o);
	else
		cor_bin_bytes(o, s, strlen(s));
}

void cor_bin_int2(cor_out *o, int v)
{
	if (out_reserve(o, 6) != 0)
		return;
	be16(be32(o->buf + o->len, 2), v);
	o->len += 6;
}

void cor_bin_int4(cor_out *o, int32_t v)
{
	if (out_reserve(o, 8) != 0)
		return;
	be32(be32(o->buf + o->len, 4), v);
	o->len += 8;
}

void cor_bin_int8(cor_out *o, int64_t v)
{
	char *d;

	if (out_reserve(o, 12) != 0)
		return;
	d = be32(o->buf + o->len, 8);
	d = be32(d, (int64_t)((uint64_t)v >> 32));
	be32(d, (int64_t)((uint64_t)v & 0xFFFFFFFFu));
	o->len += 12;
}

void cor_bin_bool(cor_out *o, int v)
{
	char *d;

	if (v < 0) {
		cor_bin_null(o);
		return;
	}
	if (out_reserve(o, 5) != 0)
		return;
	d = be32(o->buf + o->len, 1);
	*d = v ? 1 : 0;
	o->len += 5;
}

/* PostgreSQL dates count days from 2000-01-01 (POSTGRES_EPOCH_JDATE). */
#define PG_EPOCH_DAYS 10957

void cor_bin_date(cor_out *o, int32_t days)
{
	if (out_reserve(o, 8) != 0)
		return;
	be32(be32(o->buf + o->len, 4), (int64_t)days - PG_EPOCH_DAYS);
	o->len += 8;
}

/* numeric_send (src/backend/utils/adt/numeric.c): int16 ndigits, weight
 * (of the first digit, in base-10000 places), sign, dscale, then the
 * base-10000 digits. cents/100 has integer groups and one fraction digit
 * (cents % 100 * 100); zero groups at either end are left out. */
void cor_bin_cents(cor_out *o, int64_t cents)
{
	int d[8], n = 0, weight, first = 0;
	int64_t ip = cents / 100;
	int frac = (int)(cents % 100) * 100;
	int g[6], ng = 0;

	while (ip > 0 && ng < 6) {
		g[ng++] = (int)(ip % 10000);
		ip /= 10000;
	}
	for (int i = ng - 1; i >= 0; i--)
		d[n++] = g[i];
	d[n++] = frac;
	weight = ng - 1;
	while (n > 0 && d[n - 1] == 0)
		n--;
	while (first < n && d[first] == 0) {
		first++;
		weight--;
	}
	if (first == n) {
		n = 0;
		first = 0;
		weight = 0;
	}
	{
		char *p;

		if (out_reserve(o, 12 + 2 * (size_t)(n - first)) != 0)
			return;
		p = be32(o->buf + o->len, 8 + 2 * (n - first));
		p = be16(p, n - first);
		p = be16(p, weight);
		p = be16(p, 0);         /* NUMERIC_POS */
		p = be16(p, 2);         /* dscale */
		for (int i = first; i < n; i++)
			p = be16(p, d[i]);
		o->len = (size_t)(p - o->buf);
	}
}

/* array_send (src/backend/utils/adt/arrayfuncs.c): int32 ndim, has-null
 * flag, element type OID, then per dimension size and lower bound (1),
 * then each element as length + value. */
void cor_bin_text_array(cor_out *o, const char *const *el, int n)
{
	size_t total = 12 + (n > 0 ? 8 : 0);
	size_t len[64];
	char *d;

	if (n > 64)
		n = 64;                 /* callers bound their counts */
	for (int i = 0; i < n; i++) {
		len[i] = strlen(el[i]);
		total += 4 + len[i];
	}
	/* one reservation for the whole value */
	if (out_reserve(o, 4 + total) != 0)
		return;
	d = be32(o->buf + o->len, (int64_t)total);
	d = be32(d, n > 0 ? 1 : 0);
	d = be32(d, 0);
	d = be32(d, COR_OID_TEXT);
	if (n > 0) {
		d = be32(d, n);
		d = be32(d, 1);
	}
	for (int i = 0; i < n; i++) {
		d = be32(d, (int64_t)len[i]);
		memcpy(d, el[i], len[i]);
		d += len[i];
	}
	o->len = (size_t)(d - o->buf);
}

void cor_bin_date_array(cor_out *o, const int32_t *days,
                        const unsigned char *isnull, int n)
{
	size_t total = 12 + (n > 0 ? 8 : 0);
	int anynull = 0;
	char *d;

	for (int i = 0; i < n; i++) {
		total += isnull[i] ? 4 : 8;
		anynull |= isnull[i];
	}
	if (out_reserve(o, 4 + total) != 0)
		return;
	d = be32(o->buf + o->len, (int64_t)total);
	d = be32(d, n > 0 ? 1 : 0);
	d = be32(d, anynull);
	d = be32(d, COR_OID_DATE);
	if (n > 0) {
		d = be32(d, n);
		d = be32(d, 1);
	}
	for (int i = 0; i < n; i++) {
		if (isnull[i]) {
			d = be32(d, -1);
		} else {
			d = be32(d, 4);
			d = be32(d, (int64_t)days[i] - PG_EPOCH_DAYS);
		}
	}
	o->len = (size_t)(d - o->buf);
}

/* ---- helpers for adapters ----------------------------------------- */

const char *cor_trim(const char *s, char *buf, size_t n)
{
	size_t len;

	if (s == NULL) {
		buf[0] = '\0';
		return buf;
	}
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if ((unsigned char)s[0] == 0xC2 &&
		         (unsigned char)s[1] == 0xA0)
			s += 2;
		else
			break;
	}
	len = strlen(s);
	for (;;) {
		if (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		                s[len - 1] == '\r' || s[len - 1] == '\n'))
			len--;
		else if (len > 1 && (unsigned char)s[len - 2] == 0xC2 &&
		         (unsigned char)s[len - 1] == 0xA0)
			len -= 2;
		else
			break;
	}
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

void cor_list_add(char *dst, size_t n, const char *name)
{
	size_t l = strlen(dst);

	if (l > 0)
		snprintf(dst + l, n - l, ", %s", name);
	else
		snprintf(dst, n, "%s", name);
}

int cor_load_col(cor_load *L, const char *const *names)
{
	char n[160];

	for (size_t i = 0; i < L->ncols; i++) {
		cor_etl_colname(L->colname[i], n, sizeof(n));
		for (size_t j = 0; names[j] != NULL; j++) {
			if (strcmp(n, names[j]) == 0) {
				L->col_used[i] = 1;
				return (int)i;
			}
		}
	}
	return -1;
}

int cor_load_drop_identifiers(cor_load *L)
{
	int dob = -1;

	for (size_t i = 0; i < L->ncols; i++) {
		int k;

		if (L->col_used[i] || L->colname[i][0] == '\0')
			continue;
		k = cor_etl_column_kind(L->colname[i]);
		if (k == COR_COL_IDENTIFIER || k == COR_COL_DOB) {
			L->col_used[i] = 1;
			cor_list_add(L->res->dropped, sizeof(L->res->dropped),
			             L->colname[i]);
			if (k == COR_COL_DOB && dob < 0)
				dob = (int)i;
		} else if (k == COR_COL_FREETEXT) {
			char b[200];

			L->col_used[i] = 1;
			snprintf(b, sizeof(b), "%s (free text, not loaded)",
			         L->colname[i]);
			cor_list_add(L->res->ignored, sizeof(L->res->ignored),
			             b);
		}
	}
	return dob;
}

int cor_load_finish_bind(cor_load *L, int strict, cor_err *err)
{
	for (size_t i = 0; i < L->ncols; i++) {
		if (L->col_used[i])
			continue;
		if (L->colname[i][0] == '\0') {
			L->col_blank[i] = 1;
			continue;
		}
		if (strict)
			return cor_err_at(err, COR_EDATA, L->name, 1,
			                  L->colname[i], "unknown column in "
			                  "format %s (see docs/formats.md); "
			                  "identifier columns are dropped, "
			                  "others must be removed",
			                  cor_etl_format_name(L->res->format));
		cor_list_add(L->res->ignored, sizeof(L->res->ignored),
		             L->colname[i]);
	}
	return 0;
}

void cor_load_reject(cor_load *L, long line, const char *column,
                     const char *reason, const char *value)
{
	cor_etl_result *r = L->res;
	cor_etl_reason *z;

	L->row_rejects++;
	if (L->row_rejects > 1)
		return;                 /* one reason per row */
	L->rej_line = line;
	snprintf(L->rej_col, sizeof(L->rej_col), "%s", column ? column : "");
	snprintf(L->rej_reason, sizeof(L->rej_reason), "%s", reason);
	if (r->nreasons >= COR_ETL_MAX_REASONS)
		return;
	z = &r->reasons[r->nreasons++];
	z->line = line;
	snprintf(z->column, sizeof(z->column), "%s", column ? column : "");
	snprintf(z->reason, sizeof(z->reason), "%s", reason);
	z->value[0] = '\0';
	if (value != NULL) {
		size_t n = strlen(value);

		if (n > sizeof(z->value) - 4) {
			/* cut at a UTF-8 boundary */
			n = sizeof(z->value) - 4;
			while (n > 0 &&
			       ((unsigned char)value[n] & 0xC0) == 0x80)
				n--;
			snprintf(z->value, sizeof(z->value), "%.*s...",
			         (int)n, value);
		} else {
			snprintf(z->value, sizeof(z->value), "%s", value);
		}
	}
}

/* ---- format detection -------------------------------------------- */

static int has(const cor_etl_record *h, const char *name)
{
	char n[160];

	for (size_t i = 0; i < h->nfields; i++) {
		cor_etl_colname(h->field[i], n, sizeof(n));
		if (strcmp(n, name) == 0)
			return 1;
	}
	return 0;
}

int cor_etl_detect_format(const cor_etl_record *h)
{
	if (has(h, "coo_iso") && has(h, "coa_iso"))
		return COR_FMT_UNHCR;
	if (has(h, "total_dead_and_missing") || has(h, "web_id") ||
	    (has(h, "number_dead") && has(h, "reported_date")))
		return COR_FMT_MMP;
	if (has(h, "case_id") && has(h, "registration_date"))
		return COR_FMT_CASES;
	if (has(h, "yearofregistration") || has(h, "registration_year") ||
	    has(h, "agebroad") || has(h, "isforcedlabour"))
		return COR_FMT_CTDC;
	return COR_FMT_AUTO;
}

void cor_etl_opts_init(cor_etl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = COR_FMT_AUTO;
	o->csv.encoding = COR_ENC_UTF8;
	o->datefmt = COR_DATE_ISO;
	o->child_table_min_bytes = COR_ETL_CHILD_TABLE_MIN_BYTES;
}

/* ---- the load ------------------------------------------------------ */

enum phase { PH_HEADER, PH_HXL, PH_ROWS };

struct run {
	cor_load L;
	PGconn *conn;
	cor_err *err;
	enum phase ph;
	int copying;            /* COPY IN open */
	int refused;            /* more than max_rejects: nothing commits */
	int already;            /* an active batch of this content exists */
	long batch_id;
	char child[64];         /* case_record_b<batch> (sql/007), or "" */
	char prefix[32];        /* "batch_id\t" */
	size_t prefix_len;
	FILE *spool;            /* rejects as COPY text lines */
	uint64_t bytes;
	double t0;
	FILE *fp;
	/* The SHA-256 of the file (see the top of this file). sha hashes
	 * the bytes as the reader reads them (NULL once not needed or if
	 * OpenSSL failed); sha_eof: the reader read the whole file. */
	EVP_MD_CTX *sha;
	int sha_eof;
	int sha_known;          /* res->sha256 is the file's hash */
	int deferred;           /* content check after the COPY */
	int32_t plock[2];       /* lock key: file size and first 64 KiB */
	/* Pipeline: the reader thread parses, validates and fills COPY
	 * buffers; the calling thread sends them (pump). Everything below is
	 * guarded by mu. The reader uses conn only before it queues its first
	 * buffer or signal (the prologue), the pump only after. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	cor_out q[NBUF];        /* filled buffers, FIFO from qhead */
	int qhead, qn;
	char *spare[NBUF];      /* empty buffers for the reader */
	size_t spare_cap[NBUF];
	int nspare;
	int nbuf;               /* buffers allocated so far (<= NBUF) */
	int reader_done;        /* the reader thread has finished */
	int reader_rc;
	int abort;              /* the pump failed: reader stops */
	int refuse_seen;        /* the pump has ended the COPY */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int32_t today_days(void)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	return cor_etl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
	                               tm.tm_mday);
}

/* Drains every result after COPY end (STYLE 2.1); *rows gets the count. */
static int copy_finish(PGconn *conn, const char *errmsg, long *rows,
                       cor_err *err)
{
	PGresult *res;
	int rc = 0;

	if (PQputCopyEnd(conn, errmsg) != 1)
		rc = cor_db_fail(err, conn, NULL);
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_COMMAND_OK) {
			if (rows != NULL)
				*rows = strtol(PQcmdTuples(res), NULL, 10);
		} else if (errmsg == NULL && rc == 0) {
			rc = cor_db_fail(err, conn, res);
		}
		if (st == PGRES_COPY_IN)
			PQputCopyEnd(conn, "corridor: leaving copy mode");
		PQclear(res);
		if (PQstatus(conn) == CONNECTION_BAD && rc == 0) {
			rc = cor_db_fail(err, conn, NULL);
			break;
		}
	}
	return rc;
}

/* Reader side: queues the filled buffer L.out for the pump and takes an
 * empty one (waits while NBUF buffers are in flight). Returns 0, or
 * COR_EDB when the pump has failed (its error is reported instead). */
static int handoff(struct run *R)
{
	cor_out *o = &R->L.out;
	int rc = 0;

	if (o->len == 0)
		return 0;
	pthread_mutex_lock(&R->mu);
	while (R->qn == NBUF && !R->abort)
		pthread_cond_wait(&R->cv, &R->mu);
	if (R->abort) {
		rc = COR_EDB;
		goto out;
	}
	R->q[(R->qhead + R->qn) % NBUF] = *o;
	R->qn++;
	o->buf = NULL;
	o->len = 0;
	o->cap = 0;
	if (R->nbuf < NBUF) {
		R->nbuf++;              /* out_reserve allocates it */
	} else {
		while (R->nspare == 0 && !R->abort)
			pthread_cond_wait(&R->cv, &R->mu);
		if (R->abort) {
			rc = COR_EDB;
			goto signal;
		}
		R->nspare--;
		o->buf = R->spare[R->nspare];
		o->cap = R->spare_cap[R->nspare];
	}
signal:
	pthread_cond_broadcast(&R->cv);
out:
	pthread_mutex_unlock(&R->mu);
	return rc;
}

/* Pump side: sends queued buffers until the reader is done. On a refused
 * file it ends the COPY with an error (nothing of it is kept) and drops
 * what is still queued. Returns 0 or COR_EDB (perr set); on failure the
 * reader is told to stop. */
static int pump(struct run *R, cor_err *perr)
{
	int rc = 0;

	pthread_mutex_lock(&R->mu);
	for (;;) {
		cor_out b;

		while (R->qn == 0 && !R->reader_done &&
		       !(R->refused && !R->refuse_seen))
			pthread_cond_wait(&R->cv, &R->mu);
		if (R->refused && !R->refuse_seen) {
			long ignored = 0;
			cor_err e;

			R->refuse_seen = 1;
			pthread_mutex_unlock(&R->mu);
			cor_err_clear(&e);
			if (R->copying)
				copy_finish(R->conn, "corridor: file refused",
				            &ignored, &e);
			pthread_mutex_lock(&R->mu);
			R->copying = 0;
		}
		if (R->qn == 0) {
			if (R->reader_done)
				break;
			continue;
		}
		b = R->q[R->qhead];
		R->qhead = (R->qhead + 1) % NBUF;
		R->qn--;
		pthread_cond_broadcast(&R->cv);
		pthread_mutex_unlock(&R->mu);
		if (R->copying && rc == 0 &&
		    PQputCopyData(R->conn, b.buf, (int)b.len) != 1)
			rc = cor_db_fail(perr, R->conn, NULL);
		pthread_mutex_lock(&R->mu);
		R->spare[R->nspare] = b.buf;
		R->spare_cap[R->nspare] = b.cap;
		R->nspare++;
		if (rc != 0)
			R->abort = 1;
		pthread_cond_broadcast(&R->cv);
	}
	pthread_mutex_unlock(&R->mu);
	return rc;
}

static int start_copy(struct run *R, const char *sql)
{
	PGresult *res = PQexec(R->conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		cor_db_fail(R->err, R->conn, res);
		PQclear(res);
		return COR_EDB;
	}
	PQclear(res);
	return 0;
}

static int adapter_init(cor_load *L, int fmt, cor_err *err)
{
	switch (fmt) {
	case COR_FMT_CASES:
		return cor_fmt_cases_init(L, err);
	case COR_FMT_CTDC:
		return cor_fmt_ctdc_init(L, err);
	case COR_FMT_MMP:
		return cor_fmt_mmp_init(L, err);
	case COR_FMT_UNHCR:
		return cor_fmt_unhcr_init(L, err);
	default:
		return cor_err_at(err, COR_EDATA, L->name, 1, NULL,
		                  "cannot tell the format from the header; "
		                  "give --format cases|ctdc|mmp|unhcr");
	}
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void hex32(const unsigned char *md, char *hex)
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = hx[md[i] >> 4];
		hex[2 * i + 1] = hx[md[i] & 15];
	}
	hex[64] = '\0';
}

/* Reader side: each block of raw bytes (cor_csv_read_raw). */
static void on_raw(void *ud, const void *buf, size_t n)
{
	struct run *R = ud;

	if (R->sha != NULL && EVP_DigestUpdate(R->sha, buf, n) != 1) {
		EVP_MD_CTX_free(R->sha);
		R->sha = NULL;
	}
}

/* Fills res->sha256 with the file's hash: from the reader's when it read
 * the whole file, else by reading the file again. Returns 0 or a negative
 * cor_status (err set). */
static int finish_sha(struct run *R, cor_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int ok;

	if (R->sha_known)
		return 0;
	ok = R->sha != NULL && R->sha_eof &&
	     EVP_DigestFinal_ex(R->sha, md, &len) == 1 && len == 32;
	EVP_MD_CTX_free(R->sha);
	R->sha = NULL;
	if (ok)
		hex32(md, R->L.res->sha256);
	else if (cor_etl_file_sha256(R->L.name, R->L.res->sha256, NULL, err)
	         != 0)
		return COR_EIO;
	R->sha_known = 1;
	return 0;
}

/* The content lock: pg_advisory_xact_lock on the first 16 hex digits of
 * the SHA-256 as a signed 64-bit key. */
static int sha_lock(struct run *R)
{
	char lockkey[24];
	const char *p[1] = { lockkey };
	uint64_t k = 0;
	PGresult *q;

	for (int i = 0; i < 16; i++) {
		char c = R->L.res->sha256[i];

		k = (k << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	snprintf(lockkey, sizeof(lockkey), "%" PRId64, (int64_t)k);
	q = cor_db_query(R->conn, "SELECT pg_advisory_xact_lock($1::bigint)",
	                 1, p, PGRES_TUPLES_OK, R->err);
	if (q == NULL)
		return COR_EDB;
	PQclear(q);
	return 0;
}

/* An active batch of the file's content (res->sha256) and format other
 * than the one being loaded: its id, 0 if none, or -1 on a database error
 * (err set). */
static long batch_of_content(PGconn *conn, const cor_etl_result *res,
                             long self, cor_err *err)
{
	char id[24];
	const char *p[3];
	PGresult *q;
	long b = 0;

	snprintf(id, sizeof(id), "%ld", self);
	p[0] = res->sha256;
	p[1] = cor_etl_format_name(res->format);
	p[2] = id;
	q = cor_db_query(conn, "SELECT id FROM batch WHERE sha256 = $1 AND "
	                 "format = $2 AND active AND id <> $3", 3, p,
	                 PGRES_TUPLES_OK, err);
	if (q == NULL)
		return -1;
	if (PQntuples(q) > 0)
		b = strtol(PQgetvalue(q, 0, 0), NULL, 10);
	PQclear(q);
	return b;
}

/* Content already loaded, found after reading: the load is the no-op it
 * would have been with the hash known first (nothing read, nothing
 * changed). */
static void report_noop(struct run *R, long batch)
{
	cor_etl_result *res = R->L.res;

	R->already = 1;
	res->already_loaded = 1;
	res->batch_id = batch;
	res->rows_read = res->rows_loaded = res->rows_rejected = 0;
	res->nreasons = 0;
	res->same_name_batch = 0;
}

/* After the COPY of a load whose content check was deferred: the hash,
 * the content lock, the check. Returns 0 (R->already set when the content
 * is loaded: the caller rolls back) or a negative cor_status. */
static int deferred_check(struct run *R)
{
	long b;
	int rc;

	rc = finish_sha(R, R->err);
	if (rc == 0)
		rc = sha_lock(R);
	if (rc != 0)
		return rc;
	b = batch_of_content(R->conn, R->L.res, R->batch_id, R->err);
	if (b < 0)
		return COR_EDB;
	if (b > 0)
		report_noop(R, b);
	return 0;
}

/* Key of pg_advisory_xact_lock(int, int) for a file: the first 8 bytes of
 * SHA-256(size as 8 bytes, first 64 KiB). Equal content, equal key, so
 * loads of one content (under any name) serialise before anything is
 * known of the rest of the file. *size receives the file's size. */
static int content_key(FILE *fp, const char *path, uint64_t *size,
                       int32_t key[2], cor_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], sz[8];
	unsigned int len = 0;
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int rc = 0;

	if (fstat(fileno(fp), &st) != 0)
		return cor_err_at(err, COR_EIO, path, 0, NULL, "cannot stat: "
		                  "%s", strerror(errno));
	*size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	buf = malloc((size_t)1 << 16);
	if (buf == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	while (n < ((size_t)1 << 16)) {
		ssize_t k = pread(fileno(fp), buf + n, ((size_t)1 << 16) - n,
		                  (off_t)n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;          /* end, or not seekable: size only */
		n += (size_t)k;
	}
	for (int i = 0; i < 8; i++)
		sz[i] = (unsigned char)(*size >> (8 * i));
	{
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1
		    || EVP_DigestUpdate(c, sz, 8) != 1 ||
		    EVP_DigestUpdate(c, buf, n) != 1 ||
		    EVP_DigestFinal_ex(c, md, &len) != 1 || len != 32)
			rc = cor_err_set(err, COR_EFAIL, "SHA-256 failed");
		EVP_MD_CTX_free(c);
	}
	free(buf);
	for (int i = 0; rc == 0 && i < 2; i++) {
		const unsigned char *m = md + 4 * i;

		key[i] = (int32_t)((uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
		                   (uint32_t)m[2] << 8 | m[3]);
	}
	return rc;
}

/* Lock, idempotency check, optional replace, batch row, COPY start. */
static int prologue(struct run *R)
{
	cor_load *L = &R->L;
	cor_etl_result *res = L->res;
	const char *fmt = cor_etl_format_name(res->format);
	char lockkey[2][16], idbuf[24], dropped[512], syn[2], ph[65];
	const char *p[6];
	PGresult *q = NULL;
	char sql[1024];
	size_t o = 0;

	snprintf(lockkey[0], sizeof(lockkey[0]), "%" PRId32, R->plock[0]);
	snprintf(lockkey[1], sizeof(lockkey[1]), "%" PRId32, R->plock[1]);
	p[0] = lockkey[0];
	p[1] = lockkey[1];
	q = cor_db_query(R->conn, "SELECT pg_advisory_xact_lock($1::int, "
	                 "$2::int)", 2, p, PGRES_TUPLES_OK, R->err);
	if (q == NULL)
		return COR_EDB;
	PQclear(q);
	/* The hash first only for a file name seen before (a rerun: the
	 * no-op must be fast) or --replace; see the top of this file. */
	if (!R->sha_known) {
		int named;

		p[0] = fmt;
		p[1] = base_name(L->name);
		q = cor_db_query(R->conn, "SELECT 1 FROM batch WHERE format = "
		                 "$1 AND active AND file_name = $2 LIMIT 1", 2,
		                 p, PGRES_TUPLES_OK, R->err);
		if (q == NULL)
			return COR_EDB;
		named = PQntuples(q) > 0;
		PQclear(q);
		if (named || L->o->replace) {
			EVP_MD_CTX_free(R->sha);
			R->sha = NULL;
			if (finish_sha(R, R->err) != 0)
				return COR_EIO;
		} else {
			unsigned char rnd[32];

			if (RAND_bytes(rnd, sizeof(rnd)) != 1)
				return cor_err_set(R->err, COR_EFAIL, "no "
				                   "random bytes (OpenSSL)");
			hex32(rnd, ph);
			R->deferred = 1;
		}
	}
	if (!R->deferred && sha_lock(R) != 0)
		return COR_EDB;
	/* The active batches of this content (at most one: batch_active_sha)
	 * and of a file of the same name and format, most likely an earlier
	 * export of this one. Same content: "already loaded", or swapped by
	 * --replace with the others; new content without --replace loads
	 * beside them, both count, and the caller is told
	 * (res->same_name_batch). */
	p[0] = res->sha256;
	p[1] = fmt;
	p[2] = base_name(L->name);
	q = cor_db_query(R->conn, "SELECT id, sha256 = $1 FROM batch WHERE "
	                 "format = $2 AND active AND (sha256 = $1 OR "
	                 "file_name = $3) ORDER BY id", 3, p, PGRES_TUPLES_OK,
	                 R->err);
	if (q == NULL)
		return COR_EDB;
	for (int i = 0; !L->o->replace && i < PQntuples(q); i++) {
		if (strcmp(PQgetvalue(q, i, 1), "t") != 0)
			continue;
		res->batch_id = strtol(PQgetvalue(q, i, 0), NULL, 10);
		res->already_loaded = 1;
		R->already = 1;
		PQclear(q);
		return COR_EFAIL;       /* stop reading; not an error */
	}
	if (!L->o->replace && PQntuples(q) > 0)
		res->same_name_batch = strtol(PQgetvalue(q, PQntuples(q) - 1,
		                                         0), NULL, 10);
	for (int i = 0; L->o->replace && i < PQntuples(q); i++) {
		long old = strtol(PQgetvalue(q, i, 0), NULL, 10);
		PGresult *u;

		res->replaced_batch = old;
		res->replaced_count++;
		snprintf(idbuf, sizeof(idbuf), "%ld", old);
		p[0] = idbuf;
		u = cor_db_query(R->conn, "UPDATE batch SET active = false "
		                 "WHERE id = $1", 1, p, PGRES_COMMAND_OK,
		                 R->err);
		if (u == NULL) {
			PQclear(q);
			return COR_EDB;
		}
		PQclear(u);
		/* sql/004: the owner's function deletes the rows of an
		 * inactive batch (the loader role may not DELETE) */
		u = cor_db_query(R->conn, "SELECT cor_purge_batch($1::bigint)",
		                 1, p, PGRES_TUPLES_OK, R->err);
		if (u == NULL) {
			PQclear(q);
			return COR_EDB;
		}
		PQclear(u);
	}
	PQclear(q);
	/* dropped column names joined by U+001F (never in a header) */
	dropped[0] = '\0';
	for (const char *s = res->dropped; *s && o + 1 < sizeof(dropped);
	     s++) {
		if (s[0] == ',' && s[1] == ' ') {
			dropped[o++] = '\x1f';
			s++;
		} else {
			dropped[o++] = *s;
		}
	}
	dropped[o] = '\0';
	syn[0] = L->o->synthetic ? 't' : 'f';
	syn[1] = '\0';
	p[0] = R->deferred ? ph : res->sha256;   /* see the top */
	p[1] = fmt;
	p[2] = base_name(L->name);
	p[3] = dropped;
	p[4] = COR_VERSION;
	p[5] = syn;
	q = cor_db_query(R->conn, "INSERT INTO batch (sha256, format, "
	                 "file_name, dropped_columns, corridor_version, "
	                 "synthetic) VALUES ($1, $2, $3, coalesce("
	                 "string_to_array(nullif($4, ''), chr(31)), '{}'), "
	                 "$5, $6::boolean) RETURNING id", 6, p,
	                 PGRES_TUPLES_OK, R->err);
	if (q == NULL)
		return COR_EDB;
	R->batch_id = strtol(PQgetvalue(q, 0, 0), NULL, 10);
	res->batch_id = R->batch_id;
	PQclear(q);
	R->prefix_len = (size_t)snprintf(R->prefix, sizeof(R->prefix), "%ld",
	                                 R->batch_id);
	/* sql/007: a large case file gets a table of its own, created in
	 * this transaction, filled without index (FREEZE: created here, so
	 * no other transaction can have seen it empty) and indexed in the
	 * epilogue */
	if (strcmp(L->ad.table, "case_record") == 0 &&
	    res->bytes >= L->o->child_table_min_bytes) {
		p[0] = R->prefix;
		q = cor_db_query(R->conn, "SELECT cor_batch_table_create("
		                 "$1::bigint)", 1, p, PGRES_TUPLES_OK, R->err);
		if (q == NULL)
			return COR_EDB;
		snprintf(R->child, sizeof(R->child), "%s",
		         PQgetvalue(q, 0, 0));
		PQclear(q);
	}
	if (R->child[0] != '\0') {
		char *id = PQescapeIdentifier(R->conn, R->child,
		                              strlen(R->child));

		if (id == NULL)
			return cor_db_fail(R->err, R->conn, NULL);
		snprintf(sql, sizeof(sql), "COPY %s %s FROM STDIN (FORMAT %s, "
		         "FREEZE)", id, L->ad.columns,
		         L->ad.binary ? "binary" : "text");
		PQfreemem(id);
	} else {
		snprintf(sql, sizeof(sql), "COPY %s %s FROM STDIN%s",
		         L->ad.table, L->ad.columns,
		         L->ad.binary ? " (FORMAT binary)" : "");
	}
	if (start_copy(R, sql) != 0)
		return COR_EDB;
	R->copying = 1;
	if (L->ad.binary)
		cor_bin_header(&L->out);
	return 0;
}

static int on_header(struct run *R, const cor_etl_record *rec)
{
	cor_load *L = &R->L;
	int fmt = L->o->format;
	int rc;

	if (fmt == COR_FMT_AUTO)
		fmt = cor_etl_detect_format(rec);
	L->res->format = fmt;
	L->ncols = rec->nfields;
	L->colname = calloc(rec->nfields, sizeof(char *));
	L->col_used = calloc(rec->nfields, 1);
	L->col_blank = calloc(rec->nfields, 1);
	if (L->colname == NULL || L->col_used == NULL || L->col_blank == NULL)
		return cor_err_set(R->err, COR_ENOMEM, "out of memory");
	for (size_t i = 0; i < rec->nfields; i++) {
		char b[256];

		L->colname[i] = strdup(cor_trim(rec->field[i], b, sizeof(b)));
		if (L->colname[i] == NULL)
			return cor_err_set(R->err, COR_ENOMEM, "out of memory");
	}
	rc = adapter_init(L, fmt, R->err);
	if (rc != 0)
		return rc;
	rc = L->ad.bind(L, rec, R->err);
	if (rc != 0)
		return rc;
	return prologue(R);
}

/* Spools a reject as a COPY text line: batch, line, column, reason. */
static int spool_reject(struct run *R)
{
	cor_load *L = &R->L;
	cor_out o = { 0 };
	int rc = 0;

	cor_out_i64(&o, R->batch_id);
	cor_out_i64(&o, L->rej_line);
	if (L->rej_col[0] != '\0')
		cor_out_str(&o, L->rej_col);
	else
		cor_out_null(&o);
	cor_out_str(&o, L->rej_reason);
	if (o.oom || fwrite(o.buf, 1, o.len, R->spool) != o.len ||
	    fputc('\n', R->spool) == EOF)
		rc = cor_err_set(R->err, COR_EIO, "cannot spool rejects: %s",
		                 strerror(errno));
	free(o.buf);
	return rc;
}

/* Reader side: more than max_rejects bad rows. The pump ends the COPY
 * with an error; the reader goes on counting rows and reasons but emits
 * nothing more. */
static void refuse(struct run *R)
{
	if (R->refused)
		return;
	pthread_mutex_lock(&R->mu);
	R->refused = 1;
	pthread_cond_broadcast(&R->cv);
	pthread_mutex_unlock(&R->mu);
	R->L.out.len = 0;
}

/* Counts the loaded row under its cube key (cor_load.cube_*). A row
 * without a key (not expected for a valid row) switches the counting to
 * SQL (cor_count_batch) for the batch. */
static int cube_add(cor_load *L)
{
	const struct cor_hent *e;

	if (!L->cube_row) {
		L->cube_on = 0;
		return 0;
	}
	e = cor_hash_get(&L->cube, L->cube_key);
	if (e == NULL) {
		if (L->cube.n == L->cube_cap) {
			size_t nc = L->cube_cap ? 2 * L->cube_cap : 256;
			int64_t *nn = realloc(L->cube_n, nc * sizeof(*nn));

			if (nn == NULL)
				return COR_ENOMEM;
			L->cube_n = nn;
			L->cube_cap = nc;
		}
		L->cube_n[L->cube.n] = 0;
		if (cor_hash_put(&L->cube, L->cube_key, NULL,
		                 (int)L->cube.n) != 0)
			return COR_ENOMEM;
		e = cor_hash_get(&L->cube, L->cube_key);
	}
	L->cube_n[e->flag]++;
	return 0;
}

/* The batch's quarterly counts (sql/006 case_quarter_count): COPY of the
 * counts made while reading, or, for adapters that do not count,
 * cor_count_batch (the owner's function; the loader may not read
 * case_record). */
static int copy_cube(struct run *R)
{
	cor_load *L = &R->L;
	cor_out o = { 0 };
	char id[24];
	const char *p[1] = { id };
	PGresult *q;
	long rows = 0;
	int rc = 0;

	snprintf(id, sizeof(id), "%ld", R->batch_id);
	if (!L->cube_on) {
		q = cor_db_query(R->conn, "SELECT cor_count_batch($1::bigint)",
		                 1, p, PGRES_TUPLES_OK, R->err);
		if (q == NULL)
			return COR_EDB;
		PQclear(q);
		return 0;
	}
	if (L->cube.n == 0)
		return 0;
	for (size_t i = 0; i < L->cube.cap; i++) {
		const struct cor_hent *e = &L->cube.tab[i];

		if (e->key == NULL)
			continue;
		o.ncol = 0;
		cor_out_raw(&o, R->prefix, R->prefix_len);
		cor_out_raw(&o, e->key, strlen(e->key));
		cor_out_i64(&o, L->cube_n[e->flag]);
		if (out_reserve(&o, 1) == 0)
			o.buf[o.len++] = '\n';
	}
	if (o.oom) {
		free(o.buf);
		return cor_err_set(R->err, COR_ENOMEM, "out of memory");
	}
	if (start_copy(R, "COPY case_quarter_count (batch_id, quarter,"
	               " case_type, sex, is_minor, citizenship, counties,"
	               " synthetic, n) FROM STDIN") != 0) {
		free(o.buf);
		return COR_EDB;
	}
	if (PQputCopyData(R->conn, o.buf, (int)o.len) != 1) {
		cor_db_fail(R->err, R->conn, NULL);
		copy_finish(R->conn, "corridor: counts not sent", NULL, R->err);
		rc = COR_EDB;
	} else if (copy_finish(R->conn, NULL, &rows, R->err) != 0) {
		rc = COR_EDB;
	}
	free(o.buf);
	return rc;
}

static int on_record(void *ud, const cor_etl_record *rec, cor_err *err)
{
	struct run *R = ud;
	cor_load *L = &R->L;
	cor_etl_result *res = L->res;
	cor_out *o = &L->out;
	int rc;

	(void)err;
	if (R->ph == PH_HEADER) {
		R->ph = PH_HXL;
		return on_header(R, rec);
	}
	if (R->ph == PH_HXL) {
		R->ph = PH_ROWS;
		if (cor_etl_is_hxl_row(rec))
			return 0;
	}
	res->rows_read++;
	L->row_rejects = 0;
	L->row_synthetic = 0;
	L->cube_row = 0;
	o->row_start = o->len;
	o->ncol = 0;
	if (rec->nfields != L->ncols) {
		char why[96];

		snprintf(why, sizeof(why), "record has %zu fields; the header "
		         "has %zu", rec->nfields, L->ncols);
		cor_load_reject(L, rec->line, NULL, why, NULL);
		rc = 1;
	} else {
		rc = 0;
		for (size_t i = 0; i < L->ncols; i++) {
			if (L->col_blank[i] && rec->field[i][0] != '\0') {
				char col[40];

				snprintf(col, sizeof(col), "(column %zu)",
				         i + 1);
				cor_load_reject(L, rec->line, col, "value "
				                "under a column with no name",
				                rec->field[i]);
				rc = 1;
				break;
			}
		}
		if (rc == 0) {
			if (L->ad.binary) {
				cor_bin_row(o, L->ad.nfields);
				cor_bin_int8(o, R->batch_id);
			} else {
				cor_out_raw(o, R->prefix, R->prefix_len);
			}
			rc = L->ad.row(L, rec);
		}
	}
	if (rc < 0)
		return rc;
	if (o->oom)
		return cor_err_set(R->err, COR_ENOMEM, "out of memory");
	if (rc == 1 || L->row_rejects > 0) {
		o->len = o->row_start;
		res->rows_rejected++;
		if (res->rows_rejected > L->o->max_rejects)
			refuse(R);
		else if (spool_reject(R) != 0)
			return COR_EIO;
	} else {
		if (R->refused) {
			o->len = o->row_start;
		} else {
			if (!L->ad.binary && out_reserve(o, 1) == 0)
				o->buf[o->len++] = '\n';
			res->rows_loaded++;
			if (L->row_synthetic)
				L->any_synthetic++;
			if (L->cube_on && cube_add(L) != 0)
				return cor_err_set(R->err, COR_ENOMEM,
				                   "out of memory");
		}
	}
	if (o->len >= OUT_FLUSH && handoff(R) != 0)
		return COR_EDB;
	if (L->o->progress != NULL && (res->rows_read & 0xFFFF) == 0)
		L->o->progress(L->o->progress_ud, res->rows_read, R->bytes,
		               res->bytes, now_s() - R->t0);
	return 0;
}

static int copy_rejects(struct run *R)
{
	char buf[65536];
	size_t n;
	long rows = 0;

	if (R->L.res->rows_rejected == 0)
		return 0;
	if (fflush(R->spool) != 0 || fseek(R->spool, 0, SEEK_SET) != 0)
		return cor_err_set(R->err, COR_EIO, "cannot read spooled "
		                   "rejects: %s", strerror(errno));
	if (start_copy(R, "COPY reject (batch_id, line, column_name, reason) "
	               "FROM STDIN") != 0)
		return COR_EDB;
	while ((n = fread(buf, 1, sizeof(buf), R->spool)) > 0) {
		if (PQputCopyData(R->conn, buf, (int)n) != 1) {
			cor_db_fail(R->err, R->conn, NULL);
			copy_finish(R->conn, "corridor: spool read failed",
			            NULL, R->err);
			return COR_EDB;
		}
	}
	if (ferror(R->spool)) {
		copy_finish(R->conn, "corridor: spool read failed", NULL,
		            R->err);
		return cor_err_set(R->err, COR_EIO, "cannot read spooled "
		                   "rejects");
	}
	return copy_finish(R->conn, NULL, &rows, R->err) != 0 ? COR_EDB : 0;
}

/* After a bulk load the planner's statistics stay stale until autovacuum's
 * next ANALYZE (up to a minute later): statistics run right after a 1M-row
 * load then chose sort plans that spilled to disk and took twice as long
 * (make bench). So ANALYZE the table once the batch is committed, when it
 * is large (>= 10,000 rows) and at least a tenth of the table. Best effort:
 * the data is already committed; a role that does not own the table gets a
 * server warning, and any failure here is ignored.
 * analyze_sql fills sql with the ANALYZE of table, or returns 0 when the
 * table needs none (or is not ours to analyze). */
static int analyze_sql(PGconn *conn, const char *table, long loaded,
                       char *sql, size_t nsql)
{
	char n[32], *id = NULL;
	const char *p[2];
	PGresult *q;
	int stale;

	if (loaded < 10000)
		return 0;
	snprintf(n, sizeof(n), "%ld", loaded);
	p[0] = table;
	p[1] = n;
	q = PQexecParams(conn, "SELECT (reltuples < 0 OR $2::float8 >= "
	                 "0.1 * reltuples) AND (pg_has_role(relowner, "
	                 "'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE "
	                 "rolname = current_user)) FROM pg_class WHERE oid = "
	                 "$1::regclass", 2, NULL, p, NULL, NULL, 0);
	stale = PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) == 1 &&
	        strcmp(PQgetvalue(q, 0, 0), "t") == 0;
	PQclear(q);
	if (!stale)
		return 0;
	id = PQescapeIdentifier(conn, table, strlen(table));
	if (id == NULL)
		return 0;
	/* The server's default sample (statistics target 100, 30,000 rows):
	 * a 6,000-row sample (target 20) cut ANALYZE of a 1M-row batch from
	 * 0.65 s to 0.15 s and left corridor's plans alone, but the bare
	 * GROUP BY queries of make bench got 15% slower: analysts querying
	 * the database directly need the full statistics. */
	snprintf(sql, nsql, "ANALYZE %s", id);
	PQfreemem(id);
	return 1;
}

static void refresh_planner_stats(PGconn *conn, const char *table,
                                  long loaded)
{
	char sql[160];

	if (analyze_sql(conn, table, loaded, sql, sizeof(sql)))
		PQclear(PQexec(conn, sql));
}

/* A second connection with conn's parameters, or NULL. */
static PGconn *second_conn(PGconn *conn)
{
	PQconninfoOption *ci = PQconninfo(conn), *o;
	const char *k[64], *v[64];
	PGconn *c2;
	int n = 0;

	if (ci == NULL)
		return NULL;
	for (o = ci; o->keyword != NULL && n < 63; o++) {
		if (o->val == NULL)
			continue;
		k[n] = o->keyword;
		v[n] = o->val;
		n++;
	}
	k[n] = NULL;
	v[n] = NULL;
	c2 = PQconnectdbParams(k, v, 0);
	PQconninfoFree(ci);
	if (PQstatus(c2) != CONNECTION_OK) {
		PQfinish(c2);
		return NULL;
	}
	return c2;
}

/* A batch loaded into its own table (sql/007) needs statistics twice: the
 * table's own (its scans) and case_record's over all its children (joins
 * and groupings of case_record; ANALYZE of a parent samples its children
 * again). Each is an ANALYZE of about 0.6 s at 1M rows, on one core; the
 * client is idle by then, so the two run at once on two connections (one
 * after the other if a second connection cannot be opened). */
static void refresh_child_stats(PGconn *conn, const char *child,
                                const char *parent, long loaded)
{
	char s1[160], s2[160];
	int a1 = analyze_sql(conn, child, loaded, s1, sizeof(s1));
	int a2 = analyze_sql(conn, parent, loaded, s2, sizeof(s2));
	PGconn *c2 = (a1 && a2) ? second_conn(conn) : NULL;
	PGresult *q;

	if (c2 == NULL || !PQsendQuery(c2, s2)) {
		if (a1)
			PQclear(PQexec(conn, s1));
		if (a2)
			PQclear(PQexec(conn, s2));
		PQfinish(c2);
		return;
	}
	PQclear(PQexec(conn, s1));
	while ((q = PQgetResult(c2)) != NULL)
		PQclear(q);
	PQfinish(c2);
}

static int epilogue(struct run *R)
{
	cor_etl_result *res = R->L.res;
	char b[5][32], secs[32];
	const char *p[7];
	PGresult *q;
	long rows = -1;
	int rc;

	R->copying = 0;
	rc = copy_finish(R->conn, NULL, &rows, R->err);
	if (rc != 0)
		return rc;
	if (rows != res->rows_loaded)
		return cor_err_set(R->err, COR_EDB, "COPY stored %ld rows, "
		                   "expected %ld", rows, res->rows_loaded);
	if (R->deferred) {
		rc = deferred_check(R);
		if (rc != 0 || R->already)
			return rc;
	}
	rc = copy_rejects(R);
	if (rc != 0)
		return rc;
	if (R->child[0] != '\0') {
		/* sql/007: indexes built once over the loaded rows, then the
		 * table joins case_record; both commit with the batch */
		p[0] = R->prefix;
		q = cor_db_query(R->conn, "SELECT cor_batch_table_attach("
		                 "$1::bigint)", 1, p, PGRES_TUPLES_OK, R->err);
		if (q == NULL)
			return COR_EDB;
		PQclear(q);
	}
	/* sql/006: the batch's quarterly counts, in this transaction */
	if (strcmp(R->L.ad.table, "case_record") == 0) {
		rc = copy_cube(R);
		if (rc != 0)
			return rc;
	}
	res->seconds = now_s() - R->t0;
	snprintf(b[0], sizeof(b[0]), "%ld", R->batch_id);
	snprintf(b[1], sizeof(b[1]), "%ld", res->rows_read);
	snprintf(b[2], sizeof(b[2]), "%ld", res->rows_loaded);
	snprintf(b[3], sizeof(b[3]), "%ld", res->rows_rejected);
	snprintf(secs, sizeof(secs), "%.3f", res->seconds);
	snprintf(b[4], sizeof(b[4]), "%s", R->L.any_synthetic ? "t" : "f");
	p[0] = b[0];
	p[1] = b[1];
	p[2] = b[2];
	p[3] = b[3];
	p[4] = secs;
	p[5] = b[4];
	p[6] = res->sha256;
	q = cor_db_query(R->conn, "UPDATE batch SET rows_read = $2, "
	                 "rows_loaded = $3, rows_rejected = $4, "
	                 "finished_at = now(), seconds = $5, "
	                 "synthetic = synthetic OR $6::boolean, sha256 = $7 "
	                 "WHERE id = $1", 7, p, PGRES_COMMAND_OK, R->err);
	if (q == NULL)
		return COR_EDB;
	PQclear(q);
	rc = cor_db_exec(R->conn, "COMMIT", R->err);
	if (rc == 0) {
		double t = now_s();

		if (R->child[0] != '\0')
			refresh_child_stats(R->conn, R->child, R->L.ad.table,
			                    res->rows_loaded);
		else
			refresh_planner_stats(R->conn, R->L.ad.table,
			                      res->rows_loaded);
		/* every statistic joins its rows to batch: with no statistics
		 * on batch the planner guessed ~1,000 of 1M rows and ran the
		 * route-leg aggregates single-threaded (segments 6.4 s; with
		 * them, a parallel partial aggregate: 3.4 s) */
		if (res->rows_loaded >= 10000)
			refresh_planner_stats(R->conn, "batch",
			                      res->rows_loaded);
		res->seconds_analyze = now_s() - t;
	}
	return rc;
}

static void rollback(PGconn *conn)
{
	PGresult *res;

	if (PQstatus(conn) != CONNECTION_OK)
		return;
	/* a COPY still open is ended before ROLLBACK (never left in
	 * COPY_IN) */
	if (PQtransactionStatus(conn) == PQTRANS_ACTIVE) {
		cor_err e;

		cor_err_clear(&e);
		copy_finish(conn, "corridor: aborted", NULL, &e);
	}
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
}

/* Reader thread: the whole read (header, prologue, rows), then the last
 * partial buffer. */
static void *reader_main(void *arg)
{
	struct run *R = arg;
	int rc;

	rc = cor_csv_read_raw(R->fp, R->L.name, &R->L.o->csv, on_record, R,
	                      &R->bytes, on_raw, R, R->err);
	if (rc == 0)
		R->sha_eof = 1;
	if (rc == 0 && !R->refused && !R->already && R->copying) {
		if (R->L.ad.binary)
			cor_bin_trailer(&R->L.out);
		rc = R->L.out.oom ? cor_err_set(R->err, COR_ENOMEM,
		                                "out of memory") : handoff(R);
	}
	pthread_mutex_lock(&R->mu);
	R->reader_rc = rc;
	R->reader_done = 1;
	pthread_cond_broadcast(&R->cv);
	pthread_mutex_unlock(&R->mu);
	return NULL;
}

/* Runs the reader thread and the pump; returns the first failure: the
 * pump's (a database error, in err) before the reader's. */
static int read_and_send(struct run *R)
{
	pthread_t th;
	cor_err perr;
	int rc;

	cor_err_clear(&perr);
	if (pthread_create(&th, NULL, reader_main, R) != 0)
		return cor_err_set(R->err, COR_EFAIL, "cannot start the "
		                   "reader thread");
	rc = pump(R, &perr);
	pthread_join(th, NULL);
	if (rc != 0) {
		*R->err = perr;
		return rc;
	}
	return R->reader_rc;
}

int cor_etl_load_file(PGconn *conn, const char *path, const cor_etl_opts *o,
                      cor_etl_result *res, cor_err *err)
{
	struct run *R = NULL;
	FILE *fp = NULL;
	int rc, began = 0;
	cor_etl_opts defaults;

	memset(res, 0, sizeof(*res));
	if (o == NULL) {
		cor_etl_opts_init(&defaults);
		o = &defaults;
	}
	R = calloc(1, sizeof(*R));
	if (R == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	pthread_mutex_init(&R->mu, NULL);
	pthread_cond_init(&R->cv, NULL);
	R->nbuf = 1;
	R->t0 = now_s();
	R->conn = conn;
	R->err = err;
	R->L.o = o;
	R->L.res = res;
	R->L.name = path;
	R->L.today = today_days();
	res->format = o->format;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		rc = cor_err_at(err, COR_EIO, path, 0, NULL, "cannot open: %s",
		                strerror(errno));
		goto out;
	}
	rc = content_key(fp, path, &res->bytes, R->plock, err);
	if (rc != 0)
		goto out;
	R->sha = EVP_MD_CTX_new();
	if (R->sha != NULL && EVP_DigestInit_ex(R->sha, EVP_sha256(), NULL)
	    != 1) {
		EVP_MD_CTX_free(R->sha);
		R->sha = NULL;          /* hashed in a pass of its own */
	}
	R->spool = tmpfile();
	if (R->spool == NULL) {
		rc = cor_err_set(err, COR_EIO, "cannot create a temporary file "
		                 "for rejects: %s", strerror(errno));
		goto out;
	}
	rc = cor_ref_load(conn, &R->L.ref, err);
	if (rc != 0)
		goto out;
	rc = cor_db_exec(conn, "BEGIN", err);
	if (rc != 0)
		goto out;
	began = 1;
	R->fp = fp;
	rc = read_and_send(R);
	if (R->already) {
		rc = 0;
		goto out;               /* rolled back below: nothing changed */
	}
	if (rc == 0 && R->ph == PH_HEADER)
		rc = cor_err_at(err, COR_EDATA, path, 0, NULL,
		                "empty file: no header");
	if (rc != 0)
		goto out;
	if (R->refused) {
		const cor_etl_reason *z = &res->reasons[0];

		rc = cor_err_at(err, COR_EDATA, path, z->line,
		                z->column[0] ? z->column : NULL,
		                "%s%s%s%s; %ld bad row%s (allowed: %ld): file "
		                "refused, nothing loaded", z->reason,
		                z->value[0] ? " (value '" : "", z->value,
		                z->value[0] ? "')" : "", res->rows_rejected,
		                res->rows_rejected == 1 ? "" : "s",
		                o->max_rejects);
		goto out;
	}
	rc = epilogue(R);
	if (R->already)
		goto out;               /* rolled back below: nothing changed */
	if (rc == 0) {
		began = 0;
		if (o->progress != NULL)
			o->progress(o->progress_ud, res->rows_read, res->bytes,
			            res->bytes, res->seconds);
	}
out:
	if (began)
		rollback(conn);
	if (rc != 0 && R->deferred && !R->already &&
	    PQtransactionStatus(conn) == PQTRANS_IDLE) {
		/* a file that fails now but whose content is loaded (other
		 * options, an earlier --max-rejects) is the no-op it was
		 * when the hash came first */
		cor_err e2;
		long b;

		cor_err_clear(&e2);
		if (finish_sha(R, &e2) == 0 &&
		    (b = batch_of_content(conn, res, 0, &e2)) > 0) {
			report_noop(R, b);
			cor_err_clear(err);
			rc = 0;
		}
	}
	if (R->already)
		rc = 0;
	if (rc != 0 && R->sha_eof && R->sha != NULL) {
		cor_err e2;             /* known at no cost: report it */

		finish_sha(R, &e2);
	}
	if (rc != 0 && !R->already) {
		/* nothing of this file was committed */
		res->rows_loaded = 0;
		if (res->batch_id != 0 && rc != COR_EDATA)
			res->batch_id = 0;
		if (rc == COR_EDATA)
			res->batch_id = 0;
	}
	res->seconds = now_s() - R->t0;
	if (R->L.ad.free != NULL)
		R->L.ad.free(&R->L);
	for (size_t i = 0; i < R->L.ncols && R->L.colname != NULL; i++)
		free(R->L.colname[i]);
	free(R->L.colname);
	free(R->L.col_used);
	free(R->L.col_blank);
	free(R->L.out.buf);
	for (int i = 0; i < R->nspare; i++)
		free(R->spare[i]);
	for (int i = 0; i < R->qn; i++)
		free(R->q[(R->qhead + i) % NBUF].buf);
	pthread_cond_destroy(&R->cv);
	pthread_mutex_destroy(&R->mu);
	cor_ref_free(&R->L.ref);
	cor_hash_free(&R->L.cube);
	free(R->L.cube_n);
	EVP_MD_CTX_free(R->sha);
	if (R->spool != NULL)
		fclose(R->spool);
	if (fp != NULL)
		fclose(fp);
	free(R);
	return rc;
}
