/* include/corridor/core.h: status codes, error record, version, exit codes.
 * Implemented in etl/core.c (the bottom of the etl -> analysis -> reports
 * chain, so every module may use it). */
#ifndef COR_CORE_H
#define COR_CORE_H

#include <stddef.h>

#define COR_VERSION "0.1.0"

/* Library status codes: 0 or negative. */
typedef enum cor_status {
	COR_OK = 0,
	COR_EFAIL = -1,        /* unspecified failure */
	COR_ENOMEM = -2,       /* allocation failed */
	COR_EINVAL = -3,       /* bad argument (caller error) */
	COR_EDATA = -4,        /* bad input data (file, line, column, reason) */
	COR_EDB = -5,          /* database error (SQLSTATE kept in cor_err) */
	COR_ECONNECT = -6,     /* database unavailable */
	COR_EIO = -7,          /* file system error */
	COR_EDEGENERATE = -8,  /* statistic not estimable (reason in cor_err) */
	COR_EGSL = -9,         /* GSL returned a non-success status */
	COR_EPDF = -10,        /* libharu error */
	COR_EPERM = -11,       /* refused: role or policy (e.g. --no-suppress) */
	COR_ENOTFOUND = -12    /* requested object does not exist */
} cor_status;

/* Process exit codes (documented in docs/corridor.1). Only cli/ uses them. */
enum cor_exit {
	COR_EXIT_OK = 0,        /* success */
	COR_EXIT_DATA = 1,      /* data errors: rows rejected, file refused */
	COR_EXIT_USAGE = 2,     /* bad command line */
	COR_EXIT_DB = 3,        /* database unavailable (connect failed) */
	COR_EXIT_DBERR = 4,     /* database error during a command */
	COR_EXIT_IO = 5,        /* file could not be read or written */
	COR_EXIT_WARN = 6,      /* completed with warnings (e.g. a statistic
	                         * not estimable; output still written) */
	COR_EXIT_PERM = 7,      /* refused by policy or role */
	COR_EXIT_INTERNAL = 70  /* internal error (a bug) */
};

/* Error record filled by library functions on failure. Fixed size, no
 * allocation; file/line/column are 0/empty when not applicable. */
typedef struct cor_err {
	int code;              /* cor_status */
	char msg[1024];        /* human-readable reason, one line, no secrets */
	char file[512];        /* input file, or "" */
	long line;             /* 1-based physical line, or 0 */
	char column[128];      /* column name, or "" */
	char sqlstate[6];      /* PostgreSQL SQLSTATE, or "" */
} cor_err;

/* Clears *err (NULL-safe). */
void cor_err_clear(cor_err *err);

/* Sets err->code = code and formats msg (printf-style); returns code so a
 * caller can write `return cor_err_set(err, COR_EINVAL, "...")`.
 * NULL-safe for err. */
int cor_err_set(cor_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As cor_err_set, also records input position (file, 1-based physical
 * line, column name; any may be NULL/0). */
int cor_err_at(cor_err *err, int code, const char *file, long line,
               const char *column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Formats err as one line "file:line: column 'c': msg" into buf (size n).
 * Returns buf. */
const char *cor_err_format(const cor_err *err, char *buf, size_t n);

/* Maps a cor_status to the process exit code (enum cor_exit). */
int cor_status_exit(int status);

/* Returns a static English name for a status ("database error", ...). */
const char *cor_status_str(int status);

#endif /* COR_CORE_H */
