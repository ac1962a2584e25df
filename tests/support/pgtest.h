/* tests/support/pgtest.h: shared helpers for corridor's cmocka tests.
 * Includes <cmocka.h> with the headers it needs; use -Itests and
 * #include "support/pgtest.h".
 * Database tests run under scripts/run-tests.sh, which gives each test
 * binary a fresh database through PGDATABASE (and the other PG* variables);
 * see tests/support/pgtest.c. */
#ifndef COR_PGTEST_H
#define COR_PGTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>

/* Connects with the PG* environment (libpq's rules). If no server answers:
 * fails the current test when COR_REQUIRE_DB=1 (make check), else skips it
 * (the reason goes to stderr). Caller PQfinishes the result. Never returns
 * NULL. */
PGconn *cor_test_connect(void);

/* Connects as cor_test_connect, to database dbname instead of PGDATABASE. */
PGconn *cor_test_connect_db(const char *dbname);

/* Applies every migration in cor_test_sql_dir() (cor_db_migrate) to the
 * database of conn; fails the test on any error. Idempotent. */
void cor_test_schema(PGconn *conn);

/* What `corridor load` derives, for case rows a test wrote with SQL
 * (sql/006): each case's Kenyan counties (cor_case_counties) and every
 * batch's quarterly counts (case_quarter_count, cor_count_batch). Fails
 * the test on an SQL error. */
void cor_test_derive(PGconn *conn);

/* Group setup of a database test on a fixture: connects
 * (cor_test_connect), applies the schema, runs fixture_sql, derives
 * (cor_test_derive). Returns the connection. */
PGconn *cor_test_fixture(const char *fixture_sql);

/* Runs sql (no parameters) and fails the test unless it succeeds. */
void cor_test_exec(PGconn *conn, const char *sql);

/* Runs a query returning one value and returns it as a long; fails the
 * test on error, on zero rows or on NULL. */
long cor_test_scalar(PGconn *conn, const char *sql);

/* Directory of the SQL migrations: $COR_SQL_DIR or "sql". Static string. */
const char *cor_test_sql_dir(void);

/* Number of NNN_*.sql migration files in dir. */
int cor_test_count_migrations(const char *dir);

/* Shared datasets: $DATA_DIR or "../shared/data". Static string. */
const char *cor_test_data_dir(void);

/* Creates a fresh empty directory under $TMPDIR (or /tmp) and returns its
 * path in buf (size n). Fails the test on error. */
const char *cor_test_tmpdir(char *buf, size_t n);

/* Removes a directory created by cor_test_tmpdir and its plain files. */
void cor_test_rmdir(const char *dir);

/* Copies file src to dst; fails the test on error. */
void cor_test_copy_file(const char *src, const char *dst);

/* Writes text to path (truncating); fails the test on error. */
void cor_test_write_file(const char *path, const char *text);

#endif /* COR_PGTEST_H */
