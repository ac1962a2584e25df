/* include/corridor/etl.h: CSV extraction, validation, de-identification and
 * COPY loading of case records (formats cases, ctdc), Missing Migrants
 * incidents (mmp) and UNHCR stocks (unhcr). Implemented in etl/csv_reader.c
 * (reading, encodings), etl/etl_parse.c (dates, numbers, codes),
 * etl/etl_deid.c (identifier columns, HMAC pseudonyms), etl/etl_ref.c
 * (reference tables in memory), etl/etl_load.c (batch, COPY, rejects) and
 * one adapter per format (etl/fmt_*.c). Column lists and quirks:
 * docs/formats.md and docs/format-cases.md. */
#ifndef COR_ETL_H
#define COR_ETL_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "corridor/core.h"

/* Input formats; COR_FMT_AUTO = detect from the header. */
enum cor_etl_format {
	COR_FMT_AUTO = 0,
	COR_FMT_CASES = 1,   /* docs/format-cases.md -> case_record */
	COR_FMT_CTDC = 2,    /* CTDC variable names and codes -> case_record */
	COR_FMT_MMP = 3,     /* Missing Migrants incidents -> incident */
	COR_FMT_UNHCR = 4    /* UNHCR population.csv -> od_stock */
};

/* Input encodings; every input is converted to UTF-8 (iconv). */
enum cor_etl_encoding {
	COR_ENC_UTF8 = 0,    /* strict: invalid bytes refuse the file */
	COR_ENC_LATIN1 = 1,  /* ISO-8859-1 */
	COR_ENC_CP1252 = 2   /* Windows-1252 */
};

/* Date forms accepted in date columns (the mmp `Reported Date` column
 * always also accepts the long English form "December 30, 2019"). */
enum cor_etl_datefmt {
	COR_DATE_ISO = 0,    /* YYYY-MM-DD only (default) */
	COR_DATE_DMY = 1,    /* D/M/YYYY (also '.' or '-' separators) */
	COR_DATE_MDY = 2,    /* M/D/YYYY */
	COR_DATE_EXCEL = 3,  /* Excel 1900-system day serial (1899-12-30 = 0) */
	COR_DATE_AUTO = 4,   /* ISO, or D/M/Y vs M/D/Y only when one part is
	                      * > 12; an undecidable order is an error */
	COR_DATE_LONG = 5    /* "December 30, 2019" / "Dec 30, 2019" */
};

/* Kinds of input column, by normalised name (cor_etl_column_kind). */
enum cor_etl_colkind {
	COR_COL_DATA = 0,        /* ordinary column */
	COR_COL_IDENTIFIER = 1,  /* direct identifier: never stored */
	COR_COL_FREETEXT = 2,    /* free text (notes): not loaded */
	COR_COL_DOB = 3          /* date of birth: converted to age, dropped */
};

/* ---- names of enum values ---------------------------------------- */

/* Static lower-case names ("cases", "latin1", "iso", ...); "?" if out of
 * range. The *_parse functions return the enum value, or -1 if s is not a
 * known name. */
const char *cor_etl_format_name(int format);
int cor_etl_format_parse(const char *s);
int cor_etl_encoding_parse(const char *s);
int cor_etl_datefmt_parse(const char *s);

/* ---- CSV reading (etl/csv_reader.c) ------------------------------- */

typedef struct cor_etl_csv_opts {
	int encoding;       /* enum cor_etl_encoding */
	char delimiter;     /* ',', ';', '\t'; 0 = detect from the first line
	                     * (most frequent of the three outside quotes) */
} cor_etl_csv_opts;

/* One parsed record. Fields are NUL-terminated UTF-8 (BOM stripped,
 * converted from the declared encoding), borrowed until the callback
 * returns. line is the 1-based physical line where the record starts
 * (quoted newlines and CRLF counted as in the file); last_line is where it
 * ends. A quoted empty field ("") and an unquoted empty one are both "". */
typedef struct cor_etl_record {
	long line;
	long last_line;
	size_t nfields;
	char **field;
	const size_t *len;
} cor_etl_record;

/* Called once per record, header included. Return 0 to go on, or a
 * negative cor_status (with err filled) to stop the read with that status. */
typedef int cor_etl_record_fn(void *ud, const cor_etl_record *rec,
                              cor_err *err);

/* Streams fp (name used in messages) through libcsv (RFC 4180: quoted
 * fields, embedded newlines, CRLF or LF) and calls fn per record. Memory is
 * constant: buffers grow only to the longest record, capped at 16 MiB.
 * A leading UTF-8 BOM is stripped. In UTF-8 mode an invalid sequence stops
 * the read with COR_EDATA naming the physical line and the byte ("byte
 * 0xF4"); latin1/cp1252 input is converted with iconv (cp1252's undefined
 * bytes are COR_EDATA). Unbalanced quotes: COR_EDATA. Read errors: COR_EIO.
 * *bytes_read (may be NULL) receives the raw bytes consumed so far, updated
 * before each callback (for progress). Returns 0 or a negative cor_status;
 * fp is not closed. */
int cor_etl_csv_read(FILE *fp, const char *name, const cor_etl_csv_opts *o,
                     cor_etl_record_fn *fn, void *ud, uint64_t *bytes_read,
                     cor_err *err);

/* Checks that s[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, max U+10FFFF). Returns 0, or -1 with *bad (may be NULL) set
 * to the offset of the first byte of the bad sequence. */
int cor_etl_utf8_check(const char *s, size_t n, size_t *bad);

/* True if every non-empty field starts with '#' and at least one is
 * non-empty: an HXL hashtag row (https://hxlstandard.org). */
int cor_etl_is_hxl_row(const cor_etl_record *rec);

/* ---- values (etl/etl_parse.c) -------------------------------------
 * Each parser takes a NUL-terminated cell (surrounding blanks ignored),
 * returns 0 on success or COR_EDATA with *why (may be NULL) pointing to a
 * static English reason, and leaves outputs untouched on failure. An empty
 * cell is not handled here: callers treat "" as NULL before parsing. */

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (Howard
 * Hinnant, "chrono-compatible low-level date algorithms", days_from_civil).
 * No range check. */
int32_t cor_etl_days_from_civil(int y, int m, int d);

/* Inverse of cor_etl_days_from_civil: writes "YYYY-MM-DD" and NUL to out
 * (at least 11 bytes). */
void cor_etl_date_str(int32_t days, char *out);

/* Parses a date in the given enum cor_etl_datefmt into *days (days since
 * 1970-01-01). Years must lie in 1900..2099; month/day must exist (leap
 * years per the Gregorian rule). Excel serials are whole numbers >= 61
 * (1900-03-01; Excel's fictitious 1900-02-29 is serial 60). A D/M vs M/D
 * order that COR_DATE_AUTO cannot decide is an error ("ambiguous ..."). */
int cor_etl_parse_date(const char *s, int datefmt, int32_t *days,
                       const char **why);

/* Parses a whole number. decimal_comma: '.' is a thousands separator
 * (groups of exactly three digits) as in "1.204"; otherwise no grouping.
 * allow_zero_fraction: "2002.0" (or "2002,0" with decimal_comma) is 2002.
 * Range: int64 without overflow. */
int cor_etl_parse_int(const char *s, int decimal_comma,
                      int allow_zero_fraction, int64_t *v, const char **why);

/* Parses a decimal number: [-]digits[sep digits]; sep is ',' when
 * decimal_comma (then '.' groups thousands, as above), else '.' (no
 * grouping). No exponent, no inf/nan. */
int cor_etl_parse_decimal(const char *s, int decimal_comma, double *v,
                          const char **why);

/* Parses a non-negative amount with at most two decimals into cents
 * (USD fee_usd). Negative amounts: COR_EDATA "negative". */
int cor_etl_parse_cents(const char *s, int decimal_comma, int64_t *cents,
                        const char **why);

/* Parses Missing Migrants' packed "lat, lon" (latitude first, decimal
 * degrees, '.' decimals). lat must be in [-90, 90] and lon in [-180, 180];
 * otherwise the whole pair is refused (never half a coordinate). */
int cor_etl_parse_coords(const char *s, double *lat, double *lon,
                         const char **why);

/* Parses a boolean: 1/0, 1.0/0.0, yes/no, true/false, y/n (any case) into
 * *v = 1 or 0; CTDC's "-99" and "Unknown" give *v = -1 (unknown). */
int cor_etl_parse_bool(const char *s, int *v, const char **why);

/* True for CTDC-style missing codes: "", "-99", "-99.0", "Unknown",
 * "unknown" (surrounding blanks ignored). "NA" is NOT missing (Namibia). */
int cor_etl_is_missing(const char *s);

/* Normalises s for case- and accent-insensitive matching: Latin letters
 * with diacritics (U+00C0..U+017F) become ASCII base letters (e.g. "ô" ->
 * "o", "ß" -> "ss"), ASCII is lower-cased, blanks are trimmed and runs of
 * blanks become one space; other characters are kept. Writes at most n-1
 * bytes plus NUL to out; returns the length written. */
size_t cor_etl_fold(const char *s, char *out, size_t n);

/* Normalises a column name: cor_etl_fold, then every run of characters
 * other than [a-z0-9] becomes one '_' (leading/trailing '_' removed):
 * "Total Dead and Missing" -> "total_dead_and_missing". */
size_t cor_etl_colname(const char *s, char *out, size_t n);

/* ---- de-identification (etl/etl_deid.c) --------------------------- */

/* Classifies a column header (any case/spelling, normalised with
 * cor_etl_colname) as enum cor_etl_colkind: names, phone numbers, e-mail,
 * identity and passport numbers, addresses, GPS points are
 * COR_COL_IDENTIFIER; note/comment/description/narrative-like columns are
 * COR_COL_FREETEXT; date_of_birth/dob/birth_date are COR_COL_DOB. */
int cor_etl_column_kind(const char *name);

/* Keyed pseudonym of a source identifier: lower-case hex HMAC-SHA-256
 * (RFC 2104, FIPS 180-4; OpenSSL HMAC) of msg[0..n) under key[0..keylen).
 * out receives 64 hex digits and NUL (at least 65 bytes). Returns 0 or
 * COR_EFAIL if OpenSSL fails. */
int cor_etl_hmac_hex(const unsigned char *key, size_t keylen,
                     const char *msg, size_t n, char *out);

/* A pseudonymiser keyed once, for many identifiers (HMAC-SHA-256 with the
 * key's inner and outer pads hashed once, RFC 2104 section 4). Gives the
 * same digests as cor_etl_hmac_hex. cor_etl_pseudo_new returns NULL when
 * out of memory or OpenSSL fails; the key is copied into OpenSSL state
 * only. Free with cor_etl_pseudo_free (NULL-safe). */
typedef struct cor_etl_pseudo cor_etl_pseudo;
cor_etl_pseudo *cor_etl_pseudo_new(const unsigned char *key, size_t keylen);
/* 64 hex digits + NUL into out (65 bytes). Returns 0 or COR_EFAIL. */
int cor_etl_pseudo_hex(cor_etl_pseudo *p, const char *msg, size_t n,
                       char *out);
void cor_etl_pseudo_free(cor_etl_pseudo *p);

/* Loads the pseudonym key: the value of $CORRIDOR_HMAC_KEY, else the
 * contents of the file named by $CORRIDOR_HMAC_KEY_FILE (one trailing
 * newline removed). key must hold cap bytes; *len receives the key length.
 * Returns 0, COR_ENOTFOUND when neither variable is set, COR_EIO if the
 * file cannot be read, COR_EDATA if the key is shorter than 16 bytes or
 * longer than cap. The key is never written to the database or messages. */
int cor_etl_key_load(unsigned char *key, size_t cap, size_t *len,
                     cor_err *err);

/* SHA-256 (OpenSSL EVP) of the file at path as 64 lower-case hex digits
 * plus NUL in hex (65 bytes); *bytes (may be NULL) receives its size.
 * Returns 0 or COR_EIO. */
int cor_etl_file_sha256(const char *path, char *hex, uint64_t *bytes,
                        cor_err *err);

/* Guesses the format from a header record (names matched after
 * cor_etl_colname). Returns an enum cor_etl_format or COR_FMT_AUTO (0) if
 * no format fits. */
int cor_etl_detect_format(const cor_etl_record *header);

/* ---- loading (etl/etl_load.c) ------------------------------------- */

typedef struct cor_etl_opts {
	int format;              /* enum cor_etl_format; AUTO = detect */
	cor_etl_csv_opts csv;    /* encoding, delimiter */
	int datefmt;             /* enum cor_etl_datefmt for date columns */
	int decimal_comma;       /* numbers use ',' decimals, '.' thousands */
	long max_rejects;        /* bad rows tolerated (0 = none) */
	int replace;             /* swap an already loaded batch of the file */
	int synthetic;           /* mark the batch synthetic even without a
	                          * `synthetic` column */
	const unsigned char *hmac_key;  /* borrowed; NULL: no key (a cases
	                                 * file with case_id is refused) */
	size_t hmac_key_len;
	/* Called every 65,536 rows and at the end (may be NULL): rows read so
	 * far, raw bytes read, file size in bytes, seconds since start. */
	void (*progress)(void *ud, long rows, uint64_t bytes, uint64_t total,
	                 double seconds);
	void *progress_ud;
	/* Case files (cases, ctdc) of at least this many bytes load into a
	 * table of their own, case_record_b<batch>, an inheritance child of
	 * case_record created, filled (COPY FREEZE) and indexed in the load's
	 * transaction (sql/007); smaller files go into case_record. Same
	 * rows, same queries; the child is ~2x faster to fill for large
	 * files. 0 = always a child table, UINT64_MAX = never. */
	uint64_t child_table_min_bytes;
} cor_etl_opts;

/* Default child_table_min_bytes: 8 MiB (about 23,000 rows of corridor
 * synth; real exports with fewer columns hold more). */
#define COR_ETL_CHILD_TABLE_MIN_BYTES ((uint64_t)8 << 20)

/* Fills o with defaults: AUTO format, UTF-8, detected delimiter, ISO dates,
 * '.' decimals, max_rejects 0, no replace, no key, no progress, child
 * tables from COR_ETL_CHILD_TABLE_MIN_BYTES. */
void cor_etl_opts_init(cor_etl_opts *o);

#define COR_ETL_MAX_REASONS 20

/* One rejected value: physical line, column name, reason. value holds a
 * short excerpt of the offending cell for the operator's terminal ("" for
 * identifier columns); it is never stored in the database. */
typedef struct cor_etl_reason {
	long line;
	char column[64];
	char reason[160];
	char value[48];
} cor_etl_reason;

typedef struct cor_etl_result {
	int format;              /* format used */
	long batch_id;           /* new batch, or the existing one when
	                          * already_loaded; 0 if none */
	long replaced_batch;     /* batch made inactive by --replace (the
	                          * last, if several), or 0 */
	int replaced_count;      /* batches made inactive by --replace: the
	                          * one of the same content or, for new
	                          * content, every active batch of a file of
	                          * the same name and format */
	long same_name_batch;    /* without --replace, new content: an active
	                          * batch of a file of the same name and
	                          * format that stays active (both count), or
	                          * 0 */
	int already_loaded;      /* 1: same content and format already active;
	                          * nothing changed */
	long rows_read;          /* data rows (header, HXL row excluded) */
	long rows_loaded;        /* rows_read = rows_loaded + rows_rejected */
	long rows_rejected;
	uint64_t bytes;          /* file size */
	double seconds;          /* wall-clock time of the load */
	double seconds_analyze;  /* of which after the commit, refreshing
	                          * the planner's statistics (batch.seconds
	                          * holds the time up to the commit) */
	char sha256[65];         /* hex SHA-256 of the file's bytes; "" when
	                          * the load failed before it was known */
	char dropped[512];       /* identifier columns dropped, ", "-joined */
	char ignored[512];       /* other columns not loaded (free text,
	                          * unmapped), ", "-joined */
	size_t nreasons;         /* reasons kept (<= COR_ETL_MAX_REASONS) */
	cor_etl_reason reasons[COR_ETL_MAX_REASONS];
} cor_etl_result;

/* Loads one file in one transaction on conn (idle, not in a transaction):
 * takes pg_advisory_xact_lock on a key of the file's size and first 64 KiB
 * (loads of one content serialise: one loads, the others wait and then
 * no-op); if an active batch of the same content (SHA-256) and format
 * exists, returns 0 with res->already_loaded and nothing changed (or, with
 * o->replace, marks it inactive and deletes its rows; for new
 * content, o->replace does so for every active batch of a file of the
 * same base name and format: a corrected export replaces its
 * predecessor); inserts
 * the batch row, COPYs the validated rows into case_record (or, for a
 * file of o->child_table_min_bytes or more, its child case_record_b<batch>,
 * indexed and attached before commit) / incident / od_stock, stores
 * rejects (only when o->max_rejects > 0), updates the
 * batch counts and commits. Any error rolls back: the database is left as
 * it was. res is always filled as far as known.
 * The SHA-256 is computed in a pass of its own before anything is loaded
 * only with o->replace or when an active batch of a file of the same base
 * name and format exists (a rerun is then a no-op after one read of the
 * file, 0.25 s per 1M rows); otherwise the file is hashed while it loads
 * and content already loaded under another name is found after the COPY,
 * rolled back and reported the same way (already_loaded, rows_* 0), only
 * later. A file refused or failing whose content is already loaded is
 * that no-op too, as when the hash came first.
 * Returns 0; COR_EDATA when the file is refused (bad header, encoding, more
 * than max_rejects bad rows; res->reasons holds the first reasons and
 * res->rows_rejected their number; err names the first); COR_EPERM when a
 * cases file has a case_id column and no key was given; COR_EIO; COR_EDB
 * (err has libpq's text and SQLSTATE). */
int cor_etl_load_file(PGconn *conn, const char *path, const cor_etl_opts *o,
                      cor_etl_result *res, cor_err *err);

#endif /* COR_ETL_H */
