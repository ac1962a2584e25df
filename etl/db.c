/* etl/db.c: connection, secret masking and libpq error capture. */
#include "corridor/db.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_secret_key(const char *k, size_t n)
{
	static const char *const keys[] = {
		"password", "sslpassword", "sslkey", "passfile", NULL
	};
	for (size_t i = 0; keys[i] != NULL; i++)
		if (strlen(keys[i]) == n && strncmp(keys[i], k, n) == 0)
			return 1;
	return 0;
}

/* Masks key=value pairs; values may be single-quoted with \ escapes. */
static void mask_kv(const char *s, char *out, size_t n)
{
	size_t o = 0;

	while (*s != '\0' && o + 1 < n) {
		const char *k;
		size_t klen;
		int secret;

		while (isspace((unsigned char)*s) && o + 1 < n)
			out[o++] = *s++;
		k = s;
		while (*s != '\0' && *s != '=' && !isspace((unsigned char)*s))
			s++;
		klen = (size_t)(s - k);
		secret = is_secret_key(k, klen);
		for (size_t i = 0; i < klen && o + 1 < n; i++)
			out[o++] = k[i];
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '=')
			continue;
		s++;
		if (o + 1 < n)
			out[o++] = '=';
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\'') {
			const char *v = s++;
			while (*s != '\0' && *s != '\'') {
				if (*s == '\\' && s[1] != '\0')
					s++;
				s++;
			}
			if (*s == '\'')
				s++;
			if (secret) {
				for (const char *m = "***"; *m && o + 1 < n; m++)
					out[o++] = *m;
			} else {
				for (; v < s && o + 1 < n; v++)
					out[o++] = *v;
			}
		} else {
			const char *v = s;
			while (*s != '\0' && !isspace((unsigned char)*s))
				s++;
			if (secret) {
				for (const char *m = "***"; *m && o + 1 < n; m++)
					out[o++] = *m;
			} else {
				for (; v < s && o + 1 < n; v++)
					out[o++] = *v;
			}
		}
	}
	out[o] = '\0';
}

/* postgresql://user:secret@host/db?password=x -> user:***@host/db?password=***
 */
static void mask_uri(const char *s, char *out, size_t n)
{
	const char *p = strstr(s, "://");
	const char *at, *colon, *q;
	size_t o = 0;

	snprintf(out, n, "%s", s);
	if (p == NULL)
		return;
	p += 3;
	at = strchr(p, '@');
	q = strpbrk(p, "/?");
	if (at != NULL && (q == NULL || at < q)) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon != NULL) {
			o = (size_t)(colon - s) + 1;
			if (o + 4 < n) {
				memcpy(out, s, o);
				memcpy(out + o, "***", 3);
				o += 3;
				snprintf(out + o, n - o, "%s", at);
			}
		}
	}
	/* query parameters */
	{
		char *qq = strchr(out, '?');
		while (qq != NULL) {
			char *k = qq + 1;
			char *eq = strchr(k, '=');
			char *amp = strchr(k, '&');
			if (eq != NULL && (amp == NULL || eq < amp) &&
			    is_secret_key(k, (size_t)(eq - k))) {
				char *end = amp ? amp : eq + strlen(eq);
				size_t rest = strlen(end);
				if ((size_t)(eq + 4 - out) + rest < n) {
					memmove(eq + 4, end, rest + 1);
					memcpy(eq + 1, "***", 3);
				}
			}
			qq = strchr(k, '&');
		}
	}
}

const char *cor_db_mask(const char *conninfo, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	if (conninfo == NULL) {
		buf[0] = '\0';
		return buf;
	}
	if (strncmp(conninfo, "postgresql://", 13) == 0 ||
	    strncmp(conninfo, "postgres://", 11) == 0)
		mask_uri(conninfo, buf, n);
	else
		mask_kv(conninfo, buf, n);
	return buf;
}

/* Copies libpq's message to one line, dropping any echo of a secret. */
static void one_line(char *dst, size_t n, const char *src)
{
	size_t o = 0;

	for (; src != NULL && *src != '\0' && o + 1 < n; src++)
		dst[o++] = (*src == '\n' || *src == '\r' || *src == '\t') ? ' ' : *src;
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* Replaces every occurrence of secret (length >= 1) in msg with "***". */
static void scrub(char *msg, size_t n, const char *secret, size_t slen)
{
	char *p;

	if (slen == 0)
		return;
	while ((p = strstr(msg, secret)) != NULL) {
		size_t rest = strlen(p + slen);

		if ((size_t)(p - msg) + 3 + rest + 1 > n)
			rest = n - (size_t)(p - msg) - 4;
		memmove(p + 3, p + slen, rest);
		memcpy(p, "***", 3);
		p[3 + rest] = '\0';
	}
}

/* libpq may echo the connection string (or a URI with user:password@)
 * in its messages, notably when the string does not parse: remove every
 * secret we can find, whether or not the string parses. */
static void scrub_secrets(char *msg, size_t n, const char *conninfo)
{
	PQconninfoOption *opts;
	const char *p, *at, *colon, *q;

	if (conninfo == NULL || *conninfo == '\0')
		return;
	scrub(msg, n, conninfo, strlen(conninfo));
	opts = PQconninfoParse(conninfo, NULL);
	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL;
	     o++)
		if (o->val != NULL && *o->val != '\0' &&
		    is_secret_key(o->keyword, strlen(o->keyword)))
			scrub(msg, n, o->val, strlen(o->val));
	PQconninfoFree(opts);
	/* an unparsable URI: user:secret@ */
	p = strstr(conninfo, "://");
	if (p == NULL)
		return;
	p += 3;
	at = strchr(p, '@');
	q = strpbrk(p, "/?");
	if (at == NULL || (q != NULL && q < at))
		return;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon != NULL && at > colon + 1) {
		char sec[256];
		size_t len = (size_t)(at - colon - 1);

		if (len < sizeof(sec)) {
			memcpy(sec, colon + 1, len);
			sec[len] = '\0';
			scrub(msg, n, sec, len);
		}
	}
}

PGconn *cor_db_connect(const char *conninfo, cor_err *err)
{
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *vals[] = { conninfo ? conninfo : "", "corridor", NULL };
	PGconn *c;
	char msg[600];
	char *perr = NULL;
	PQconninfoOption *opts;
	const char *host, *port, *db;

	if (conninfo != NULL && *conninfo != '\0') {
		opts = PQconninfoParse(conninfo, &perr);
		if (opts == NULL) {
			one_line(msg, sizeof(msg),
			         perr ? perr : "out of memory");
			PQfreemem(perr);
			scrub_secrets(msg, sizeof(msg), conninfo);
			cor_err_set(err, COR_EINVAL,
			            "invalid connection string (--db or "
			            "CORRIDOR_DB): %s", msg);
			return NULL;
		}
		PQconninfoFree(opts);
	}
	c = PQconnectdbParams(keys, vals, 1 /* expand dbname */);
	if (c != NULL && PQstatus(c) == CONNECTION_OK)
		return c;
	if (c == NULL)
		return (cor_err_set(err, COR_ECONNECT,
		                    "cannot connect: out of memory"), NULL);
	one_line(msg, sizeof(msg), PQerrorMessage(c));
	scrub_secrets(msg, sizeof(msg), conninfo);
	host = PQhost(c);
	port = PQport(c);
	db = PQdb(c);
	cor_err_set(err, COR_ECONNECT,
	            "cannot connect to database \"%s\" on host %s port %s: %s",
	            db ? db : "?", (host && *host) ? host : "(default socket)",
	            (port && *port) ? port : "5432", msg);
	PQfinish(c);
	return NULL;
}

int cor_db_fail(cor_err *err, PGconn *conn, const PGresult *res)
{
	char prim[700], det[300];
	const char *st = NULL, *p = NULL, *d = NULL;

	if (res != NULL) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		p = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		if (p == NULL)
			p = PQresultErrorMessage(res);
	}
	if (p == NULL || *p == '\0')
		p = conn ? PQerrorMessage(conn) : "no connection";
	one_line(prim, sizeof(prim), p);
	one_line(det, sizeof(det), d);
	if (det[0] != '\0')
		cor_err_set(err, COR_EDB, "%s (%s)", prim, det);
	else
		cor_err_set(err, COR_EDB, "%s", prim);
	if (err != NULL)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s",
		         st ? st : "");
	return COR_EDB;
}

int cor_db_exec(PGconn *conn, const char *sql, cor_err *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = cor_db_fail(err, conn, res);
	PQclear(res);
	return rc;
}

PGresult *cor_db_query(PGconn *conn, const char *sql, int nparams,
                       const char *const *params, ExecStatusType want,
                       cor_err *err)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL,
	                             NULL, 0);

	if (PQresultStatus(res) != want) {
		cor_db_fail(err, conn, res);
		PQclear(res);
		return NULL;
	}
	return res;
}
