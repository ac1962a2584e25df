/* etl/core.c: error records and status mapping (include/corridor/core.h). */
#include "corridor/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cor_err_clear(cor_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

static void vset(cor_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int cor_err_set(cor_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int cor_err_at(cor_err *err, int code, const char *file, long line,
               const char *column, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	snprintf(err->column, sizeof(err->column), "%s", column ? column : "");
	return code;
}

const char *cor_err_format(const cor_err *err, char *buf, size_t n)
{
	char pos[700] = "";

	if (err->file[0] != '\0' && err->line > 0)
		snprintf(pos, sizeof(pos), "%s:%ld: ", err->file, err->line);
	else if (err->file[0] != '\0')
		snprintf(pos, sizeof(pos), "%s: ", err->file);
	if (err->column[0] != '\0')
		snprintf(buf, n, "%scolumn '%s': %s", pos, err->column, err->msg);
	else
		snprintf(buf, n, "%s%s", pos, err->msg);
	return buf;
}

int cor_status_exit(int status)
{
	switch (status) {
	case COR_OK:
		return COR_EXIT_OK;
	case COR_EDATA:
		return COR_EXIT_DATA;
	case COR_EINVAL:
		return COR_EXIT_USAGE;
	case COR_ECONNECT:
		return COR_EXIT_DB;
	case COR_EDB:
		return COR_EXIT_DBERR;
	case COR_EIO:
		return COR_EXIT_IO;
	case COR_EDEGENERATE:
		return COR_EXIT_WARN;
	case COR_EPERM:
		return COR_EXIT_PERM;
	case COR_ENOTFOUND:
		return COR_EXIT_DATA;
	default:
		return COR_EXIT_INTERNAL;
	}
}

const char *cor_status_str(int status)
{
	switch (status) {
	case COR_OK: return "ok";
	case COR_ENOMEM: return "out of memory";
	case COR_EINVAL: return "invalid argument";
	case COR_EDATA: return "data error";
	case COR_EDB: return "database error";
	case COR_ECONNECT: return "database unavailable";
	case COR_EIO: return "i/o error";
	case COR_EDEGENERATE: return "not estimable";
	case COR_EGSL: return "numerical error";
	case COR_EPDF: return "pdf error";
	case COR_EPERM: return "refused";
	case COR_ENOTFOUND: return "not found";
	default: return "failure";
	}
}
