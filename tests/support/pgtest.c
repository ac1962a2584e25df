/* tests/support/pgtest.c: see pgtest.h. */
#include "pgtest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corridor/db.h"

static PGconn *connect_with(const char *dbname)
{
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *vals[] = { dbname, "corridor-test", NULL };
	const char *req = getenv("COR_REQUIRE_DB");
	PGconn *c;

	c = PQconnectdbParams(keys, vals, 0);  /* NULL value: default */
	if (c != NULL && PQstatus(c) == CONNECTION_OK)
		return c;
	fprintf(stderr, "no database server: %s",
	        c ? PQerrorMessage(c) : "out of memory\n");
	PQfinish(c);
	if (req != NULL && strcmp(req, "1") == 0)
		fail_msg("COR_REQUIRE_DB=1 and no server answers (PG* env)");
	skip();
	return NULL;   /* not reached */
}

PGconn *cor_test_connect(void)
{
	return connect_with(NULL);
}

PGconn *cor_test_connect_db(const char *dbname)
{
	return connect_with(dbname);
}

void cor_test_schema(PGconn *conn)
{
	cor_err err;
	char buf[2400];
	int applied = 0;

	cor_err_clear(&err);
	if (cor_db_migrate(conn, cor_test_sql_dir(), &applied, &err) != 0) {
		print_error("schema migration failed: %s\n",
		            cor_err_format(&err, buf, sizeof(buf)));
		fail();
	}
}

void cor_test_derive(PGconn *conn)
{
	cor_test_exec(conn, "UPDATE case_record SET counties ="
	              " cor_case_counties(identification_county,"
	              " origin_admin1, route) WHERE counties IS DISTINCT FROM"
	              " cor_case_counties(identification_county,"
	              " origin_admin1, route);"
	              "DELETE FROM case_quarter_count;"
	              "SELECT cor_count_batch(id) FROM batch");
}

PGconn *cor_test_fixture(const char *fixture_sql)
{
	PGconn *conn = cor_test_connect();

	cor_test_schema(conn);
	cor_test_exec(conn, fixture_sql);
	cor_test_derive(conn);
	return conn;
}

void cor_test_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		print_error("SQL failed: %s\n%s", sql, PQerrorMessage(conn));
		PQclear(res);
		fail();
	}
	PQclear(res);
}

long cor_test_scalar(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1 ||
	    PQgetisnull(res, 0, 0)) {
		print_error("query gave no value: %s\n%s", sql,
		            PQerrorMessage(conn));
		PQclear(res);
		fail();
	}
	v = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

const char *cor_test_sql_dir(void)
{
	const char *d = getenv("COR_SQL_DIR");

	return (d != NULL && *d != '\0') ? d : "sql";
}

int cor_test_count_migrations(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		const char *s = e->d_name;
		size_t len = strlen(s);

		if (len >= 9 && strcmp(s + len - 4, ".sql") == 0 &&
		    s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
		    s[2] >= '0' && s[2] <= '9' && strchr(s, '_') != NULL)
			n++;
	}
	closedir(d);
	return n;
}

const char *cor_test_data_dir(void)
{
	const char *d = getenv("DATA_DIR");

	return (d != NULL && *d != '\0') ? d : "../shared/data";
}

const char *cor_test_tmpdir(char *buf, size_t n)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, n, "%s/cortest.XXXXXX", (t && *t) ? t : "/tmp");
	assert_non_null(mkdtemp(buf));
	return buf;
}

void cor_test_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void cor_test_copy_file(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb");
	FILE *out = fopen(dst, "wb");
	char buf[65536];
	size_t r;

	assert_non_null(in);
	assert_non_null(out);
	while ((r = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, r, out), r);
	assert_int_equal(ferror(in), 0);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

void cor_test_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}
