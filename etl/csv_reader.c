/* etl/csv_reader.c: streaming CSV reader over libcsv with encoding
 * conversion (iconv), strict UTF-8 validation, BOM stripping and physical
 * line tracking (include/corridor/etl.h).
 *
 * The input is fed to libcsv one physical line at a time, so that when a
 * record ends we know on which line it started: a record starts on the
 * first line fed while the parser had no row in progress. That also lets
 * UTF-8 errors name their line; a multi-byte sequence never spans a '\n'. */
#include "etl_int.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_CAP_MAX ((size_t)16 << 20)   /* longest line / record */
#define RAW_CHUNK ((size_t)1 << 16)
#define MAX_FIELDS 4096
/* libcsv.c: pstate ROW_NOT_BEGUN (no part of a row seen yet). */
#define LIBCSV_ROW_NOT_BEGUN 0

struct reader {
	const char *name;
	cor_etl_record_fn *fn;
	void *ud;
	cor_err *err;
	int stop;                 /* status returned by fn, or our own */

	/* current record: fields packed in rec_buf, offsets in off[] */
	char *rec_buf;
	size_t rec_len, rec_cap;
	size_t off[MAX_FIELDS + 1];
	size_t flen[MAX_FIELDS];
	char *fptr[MAX_FIELDS];
	size_t nf;
	long rec_line;            /* line where the current record started */
	long cur_line;            /* line being fed */
};

static int fail_at(struct reader *r, int code, long line, const char *fmt,
                   const char *arg)
{
	cor_err_at(r->err, code, r->name, line, NULL, fmt, arg);
	return code;
}

static void on_field(void *data, size_t n, void *ctx)
{
	struct reader *r = ctx;

	if (r->stop != 0)
		return;
	if (r->nf >= MAX_FIELDS) {
		r->stop = fail_at(r, COR_EDATA, r->rec_line,
		                  "more than %s fields in a record", "4096");
		return;
	}
	if (r->rec_len + n + 1 > r->rec_cap) {
		size_t cap = r->rec_cap ? r->rec_cap : 4096;
		char *p;

		while (cap < r->rec_len + n + 1)
			cap *= 2;
		if (cap > LINE_CAP_MAX * 2) {
			r->stop = fail_at(r, COR_EDATA, r->rec_line,
			                  "record longer than %s", "16 MiB");
			return;
		}
		p = realloc(r->rec_buf, cap);
		if (p == NULL) {
			r->stop = cor_err_set(r->err, COR_ENOMEM,
			                      "out of memory reading %s",
			                      r->name);
			return;
		}
		r->rec_buf = p;
		r->rec_cap = cap;
	}
	r->off[r->nf] = r->rec_len;
	r->flen[r->nf] = n;
	if (n > 0)
		memcpy(r->rec_buf + r->rec_len, data, n);
	r->rec_len += n;
	r->rec_buf[r->rec_len++] = '\0';
	r->nf++;
}

static void on_record(int term, void *ctx)
{
	struct reader *r = ctx;
	cor_etl_record rec;
	int rc;

	(void)term;
	if (r->stop != 0) {
		r->nf = 0;
		r->rec_len = 0;
		return;
	}
	for (size_t i = 0; i < r->nf; i++)
		r->fptr[i] = r->rec_buf + r->off[i];
	rec.line = r->rec_line;
	rec.last_line = r->cur_line;
	rec.nfields = r->nf;
	rec.field = r->fptr;
	rec.len = r->flen;
	rc = r->fn(r->ud, &rec, r->err);
	if (rc != 0)
		r->stop = rc;
	r->nf = 0;
	r->rec_len = 0;
}

int cor_etl_utf8_check(const char *str, size_t n, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned cp, min;

		/* ASCII fast path: 8 bytes at a time */
		if (c < 0x80) {
			while (i + 8 <= n) {
				uint64_t w;

				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			while (i < n && s[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			goto bad;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += k + 1;
	}
	return 0;
bad:
	if (bad != NULL)
		*bad = i;
	return -1;
}

int cor_etl_is_hxl_row(const cor_etl_record *rec)
{
	int any = 0;

	for (size_t i = 0; i < rec->nfields; i++) {
		const char *f = rec->field[i];

		while (*f == ' ' || *f == '\t')
			f++;
		if (*f == '\0')
			continue;
		if (*f != '#')
			return 0;
		any = 1;
	}
	return any;
}

/* Most frequent of ',', ';', TAB outside quotes in the first line. */
static char detect_delim(const char *s, size_t n)
{
	size_t c = 0, sc = 0, t = 0;
	int q = 0;

	for (size_t i = 0; i < n && s[i] != '\n'; i++) {
		if (s[i] == '"')
			q = !q;
		else if (!q && s[i] == ',')
			c++;
		else if (!q && s[i] == ';')
			sc++;
		else if (!q && s[i] == '\t')
			t++;
	}
	if (sc > c && sc >= t)
		return ';';
	if (t > c && t > sc)
		return '\t';
	return ',';
}

static int is_blank_only(unsigned char c)
{
	return c == ' ';
}

/* Bytes of the file not yet known to be on processed lines, for the
 * line number of an iconv error. */
static long count_nl(const char *s, size_t n)
{
	long k = 0;
	const char *p = s, *e = s + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

int cor_etl_csv_read(FILE *fp, const char *name, const cor_etl_csv_opts *o,
                     cor_etl_record_fn *fn, void *ud, uint64_t *bytes_read,
                     cor_err *err)
{
	return cor_csv_read_raw(fp, name, o, fn, ud, bytes_read, NULL, NULL,
	                        err);
}

int cor_csv_read_raw(FILE *fp, const char *name, const cor_etl_csv_opts *o,
                     cor_etl_record_fn *fn, void *ud, uint64_t *bytes_read,
                     cor_raw_fn *raw_fn, void *raw_ud, cor_err *err)
{
	struct reader *r = NULL;
	struct csv_parser p;
	int parser_ok = 0;
	iconv_t cd = (iconv_t)-1;
	char *buf = NULL;           /* UTF-8 bytes: [start, end) pending */
	char *raw = NULL;
	size_t cap = (size_t)1 << 20, start = 0, end = 0, scan = 0;
	int eof = 0, first = 1, rc = COR_OK;
	int enc = o ? o->encoding : COR_ENC_UTF8;
	char delim = o ? o->delimiter : 0;
	uint64_t nraw = 0;
	long line = 0;

	r = calloc(1, sizeof(*r));
	buf = malloc(cap);
	if (r == NULL || buf == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory");
		goto out;
	}
	r->name = name;
	r->fn = fn;
	r->ud = ud;
	r->err = err;
	if (enc != COR_ENC_UTF8) {
		cd = iconv_open("UTF-8", enc == COR_ENC_LATIN1 ? "ISO-8859-1"
		                                              : "CP1252");
		raw = malloc(RAW_CHUNK);
		if (cd == (iconv_t)-1 || raw == NULL) {
			rc = cor_err_set(err, COR_EFAIL,
			                 "cannot convert from %s (iconv)",
			                 enc == COR_ENC_LATIN1 ? "latin1"
			                                       : "cp1252");
			goto out;
		}
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory (libcsv)");
		goto out;
	}
	parser_ok = 1;

	for (;;) {
		char *nl = NULL;
		size_t ll;

		if (scan < end)
			nl = memchr(buf + scan, '\n', end - scan);
		if (nl == NULL && !eof) {
			/* need more input: compact, grow, read */
			size_t need;

			if (start > 0) {
				memmove(buf, buf + start, end - start);
				end -= start;
				start = 0;
			}
			scan = end;
			need = enc == COR_ENC_UTF8 ? RAW_CHUNK : RAW_CHUNK * 3;
			if (cap - end < need) {
				char *nb;

				if (cap >= LINE_CAP_MAX) {
					rc = fail_at(r, COR_EDATA, line + 1,
					             "line longer than %s",
					             "16 MiB");
					goto out;
				}
				nb = realloc(buf, cap * 2);
				if (nb == NULL) {
					rc = cor_err_set(err, COR_ENOMEM,
					                 "out of memory");
					goto out;
				}
				buf = nb;
				cap *= 2;
			}
			if (enc == COR_ENC_UTF8) {
				size_t n = fread(buf + end, 1, cap - end, fp);

				if (n > 0 && raw_fn != NULL)
					raw_fn(raw_ud, buf + end, n);
				nraw += n;
				end += n;
				if (n == 0)
					eof = 1;
			} else {
				size_t n = fread(raw, 1, RAW_CHUNK, fp);
				char *in = raw, *outp = buf + end;
				size_t inl = n, outl = cap - end;

				if (n > 0 && raw_fn != NULL)
					raw_fn(raw_ud, raw, n);
				nraw += n;
				if (n == 0)
					eof = 1;
				if (n > 0 && iconv(cd, &in, &inl, &outp,
				                   &outl) == (size_t)-1) {
					char hx[8];

					end = (size_t)(outp - buf);
					snprintf(hx, sizeof(hx), "0x%02X",
					         (unsigned char)*in);
					rc = fail_at(r, COR_EDATA, line + 1 +
					             count_nl(buf + start,
					                      end - start),
					             "byte %s is not a "
					             "character in the "
					             "declared encoding", hx);
					goto out;
				}
				end = (size_t)(outp - buf);
			}
			if (ferror(fp)) {
				rc = cor_err_at(err, COR_EIO, name, 0, NULL,
				                "read error: %s",
				                strerror(errno));
				goto out;
			}
			if (bytes_read != NULL)
				*bytes_read = nraw;
			continue;
		}
		if (nl == NULL && start == end)
			break;                       /* EOF, nothing pending */
		ll = nl ? (size_t)(nl - (buf + start)) + 1 : end - start;
		line++;
		r->cur_line = line;
		if (first) {
			first = 0;
			if (ll >= 3 &&
			    memcmp(buf + start, "\xEF\xBB\xBF", 3) == 0) {
				start += 3;
				ll -= 3;
			}
			if (delim == 0)
				delim = detect_delim(buf + start, ll);
			csv_set_delim(&p, (unsigned char)delim);
			/* libcsv trims blanks around unquoted fields; a TAB
			 * delimiter must not count as a blank. NULL is
			 * libcsv's own test (space or TAB), inline: a
			 * callback per byte cost 7% of a load. */
			csv_set_space_func(&p, delim == '\t' ? is_blank_only
			                                     : NULL);
		}
		{
			/* A NUL would silently cut the field short (C strings,
			 * and PostgreSQL text cannot hold it): refuse. Found by
			 * tests/fuzz/fuzz_csv.c. */
			const char *z = memchr(buf + start, '\0', ll);

			if (z != NULL) {
				char at[32];

				snprintf(at, sizeof(at), "%zu",
				         (size_t)(z - (buf + start)) + 1);
				rc = fail_at(r, COR_EDATA, line,
				             "NUL byte (0x00) at byte %s of the "
				             "line: not a text file?", at);
				goto out;
			}
		}
		if (enc == COR_ENC_UTF8) {
			size_t bad;

			if (cor_etl_utf8_check(buf + start, ll, &bad) != 0) {
				char hx[64];

				snprintf(hx, sizeof(hx),
				         "0x%02X at byte %zu of the line",
				         (unsigned char)buf[start + bad],
				         bad + 1);
				rc = fail_at(r, COR_EDATA, line,
				             "invalid UTF-8: byte %s (declare "
				             "--encoding latin1 or cp1252 if "
				             "the file is not UTF-8)", hx);
				goto out;
			}
		}
		if (p.pstate == LIBCSV_ROW_NOT_BEGUN)
			r->rec_line = line;
		if (csv_parse(&p, buf + start, ll, on_field, on_record, r) !=
		    ll) {
			rc = fail_at(r, COR_EDATA, line, "malformed CSV: %s "
			             "(a quote inside an unquoted field, or "
			             "text after a closing quote)",
			             csv_strerror(csv_error(&p)));
			goto out;
		}
		if (r->stop != 0) {
			rc = r->stop;
			goto out;
		}
		if (csv_get_buffer_size(&p) > LINE_CAP_MAX) {
			rc = fail_at(r, COR_EDATA, r->rec_line,
			             "field longer than %s", "16 MiB");
			goto out;
		}
		start += ll;
		scan = start;
	}
	if (csv_fini(&p, on_field, on_record, r) != 0) {
		rc = fail_at(r, COR_EDATA, r->rec_line,
		             "unterminated quoted field (%s)",
		             "a quote opened here is never closed");
		goto out;
	}
	if (r->stop != 0)
		rc = r->stop;
out:
	if (parser_ok)
		csv_free(&p);
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	if (r != NULL)
		free(r->rec_buf);
	free(r);
	free(buf);
	free(raw);
	return rc;
}
