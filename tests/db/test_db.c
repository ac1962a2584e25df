/* tests/db/test_db.c: migrations (cor_db_migrate, cor_db_migration_list)
 * and connection errors (cor_db_connect) against a real server. Run by
 * scripts/run-tests.sh with a fresh database in PGDATABASE. */
#include "support/pgtest.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/core.h"
#include "corridor/db.h"

/* Hex SHA-256 of a file, computed here independently of etl/migrate.c's
 * one-shot EVP_Digest (streaming EVP_DigestUpdate). */
static void file_sha256(const char *path, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE], buf[4096];
	unsigned int len = 0;
	FILE *fp = fopen(path, "rb");
	size_t r;

	assert_non_null(c);
	assert_non_null(fp);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	while ((r = fread(buf, 1, sizeof(buf), fp)) > 0)
		assert_int_equal(EVP_DigestUpdate(c, buf, r), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, md, &len), 1);
	assert_int_equal(len, 32);
	for (unsigned i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	fclose(fp);
	EVP_MD_CTX_free(c);
}

/* Migrating a fresh database applies every file; the second run applies
 * none and changes nothing. */
static void test_migrate_twice(void **state)
{
	PGconn *c = cor_test_connect();
	const char *dir = cor_test_sql_dir();
	int nfiles = cor_test_count_migrations(dir);
	int applied = -1;
	cor_err err;
	char q[256];
	long t1;

	(void)state;
	assert_true(nfiles >= 1);
	cor_err_clear(&err);
	assert_int_equal(cor_db_migrate(c, dir, &applied, &err), COR_OK);
	assert_int_equal(applied, nfiles);
	assert_int_equal(cor_test_scalar(c,
	                 "SELECT count(*) FROM corridor_migration"), nfiles);
	t1 = cor_test_scalar(c, "SELECT extract(epoch FROM max(applied_at))"
	                        "::bigint FROM corridor_migration");
	assert_int_equal(cor_db_migrate(c, dir, &applied, &err), COR_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(cor_test_scalar(c,
	                 "SELECT count(*) FROM corridor_migration"), nfiles);
	assert_int_equal(cor_test_scalar(c, "SELECT extract(epoch FROM "
	                 "max(applied_at))::bigint FROM corridor_migration"),
	                 t1);
	/* 001 created the core tables */
	assert_int_equal(cor_test_scalar(c,
	                 "SELECT count(*) FROM corridor_migration "
	                 "WHERE version = '001_schema'"), 1);
	snprintf(q, sizeof(q), "SELECT to_regclass('country') IS NOT NULL "
	         "AND to_regclass('place') IS NOT NULL");
	{
		PGresult *r = PQexec(c, q);

		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
	}
	PQfinish(c);
}

/* Recorded checksums are the files' SHA-256. */
static void test_checksums_recorded(void **state)
{
	PGconn *c = cor_test_connect();
	const char *dir = cor_test_sql_dir();
	char path[4096], hex[65];
	PGresult *r;
	int applied;
	cor_err err;

	(void)state;
	assert_int_equal(cor_db_migrate(c, dir, &applied, &err), COR_OK);
	r = PQexec(c, "SELECT version, sha256 FROM corridor_migration "
	              "ORDER BY version");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_true(PQntuples(r) >= 1);
	for (int i = 0; i < PQntuples(r); i++) {
		snprintf(path, sizeof(path), "%s/%s.sql", dir,
		         PQgetvalue(r, i, 0));
		file_sha256(path, hex);
		assert_string_equal(PQgetvalue(r, i, 1), hex);
	}
	PQclear(r);
	PQfinish(c);
}

/* A recorded file whose content changed is COR_EDATA and nothing is
 * applied, not even later pending files. */
static void test_checksum_mismatch(void **state)
{
	PGconn *c = cor_test_connect();
	char tmp[512], src[4096], dst[4096];
	int applied = -1;
	cor_err err;

	(void)state;
	assert_int_equal(cor_db_migrate(c, cor_test_sql_dir(), &applied, &err),
	                 COR_OK);
	cor_test_tmpdir(tmp, sizeof(tmp));
	snprintf(src, sizeof(src), "%s/001_schema.sql", cor_test_sql_dir());
	snprintf(dst, sizeof(dst), "%s/001_schema.sql", tmp);
	cor_test_copy_file(src, dst);
	{
		FILE *fp = fopen(dst, "ab");

		assert_non_null(fp);
		fputs("-- edited after it was applied\n", fp);
		fclose(fp);
	}
	snprintf(dst, sizeof(dst), "%s/999_later.sql", tmp);
	cor_test_write_file(dst, "CREATE TABLE later_t (a int);\n");
	cor_err_clear(&err);
	assert_int_equal(cor_db_migrate(c, tmp, &applied, &err), COR_EDATA);
	assert_int_equal(err.code, COR_EDATA);
	assert_int_equal(applied, 0);
	assert_non_null(strstr(err.file, "001_schema.sql"));
	assert_non_null(strstr(err.msg, "001_schema"));
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM "
	                 "corridor_migration WHERE version = '999_later'"), 0);
	assert_int_equal(cor_test_scalar(c,
	                 "SELECT count(*) FROM pg_class WHERE relname = "
	                 "'later_t'"), 0);
	cor_test_rmdir(tmp);
	PQfinish(c);
}

/* A failing migration is rolled back whole, names file and line, and is
 * not recorded; the ones before it stay applied. */
static void test_failed_migration_rolls_back(void **state)
{
	PGconn *c = cor_test_connect();
	char tmp[512], path[4096];
	int applied = -1;
	cor_err err;

	(void)state;
	cor_test_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/500_good.sql", tmp);
	cor_test_write_file(path, "CREATE TABLE good_t (a int);\n");
	snprintf(path, sizeof(path), "%s/501_bad.sql", tmp);
	cor_test_write_file(path, "CREATE TABLE partial_t (a int);\n"
	                          "\n"
	                          "INSERT INTO partial_t VALUES (1);\n"
	                          "SELEC 1;\n");
	cor_err_clear(&err);
	assert_int_equal(cor_db_migrate(c, tmp, &applied, &err), COR_EDB);
	assert_int_equal(applied, 1);
	assert_string_equal(err.sqlstate, "42601");   /* syntax_error */
	assert_non_null(strstr(err.file, "501_bad.sql"));
	assert_int_equal(err.line, 4);
	assert_int_equal(cor_test_scalar(c,
	                 "SELECT count(*) FROM pg_class WHERE relname = "
	                 "'partial_t'"), 0);
	assert_int_equal(cor_test_scalar(c,
	                 "SELECT count(*) FROM pg_class WHERE relname = "
	                 "'good_t'"), 1);
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM "
	                 "corridor_migration WHERE version = '501_bad'"), 0);
	/* the connection is usable afterwards (not left in a transaction) */
	assert_int_equal(PQtransactionStatus(c), PQTRANS_IDLE);
	cor_test_exec(c, "DELETE FROM corridor_migration "
	                 "WHERE version = '500_good'; DROP TABLE good_t");
	cor_test_rmdir(tmp);
	PQfinish(c);
}

/* cor_db_migration_list: the repository's files, in order, each with the
 * SHA-256 of its bytes (computed here independently); other names ignored;
 * an empty directory is an empty list; errors name the directory or file
 * and leave nothing allocated. Needs no server. */
static void test_migration_list(void **state)
{
	cor_migration *m = (cor_migration *)1;
	size_t n = 99;
	char tmp[512], path[4096], hex[65];
	const char *dir = cor_test_sql_dir();
	cor_err err;
	FILE *fp;

	(void)state;
	cor_err_clear(&err);
	assert_int_equal(cor_db_migration_list(dir, &m, &n, &err), COR_OK);
	assert_int_equal((int)n, cor_test_count_migrations(dir));
	assert_true(n >= 4);
	assert_string_equal(m[0].version, "001_schema");
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s.sql", dir, m[i].version);
		assert_string_equal(m[i].path, path);
		file_sha256(path, hex);
		assert_string_equal(m[i].sha256, hex);
		if (i > 0)
			assert_true(strcmp(m[i - 1].version, m[i].version) < 0);
	}
	cor_db_migration_free(m, n);

	/* names: NNN_ with at least three digits, then ".sql"; sorted by
	 * file name */
	cor_test_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/010_b.sql", tmp);
	cor_test_write_file(path, "SELECT 10;\n");
	snprintf(path, sizeof(path), "%s/002_a.sql", tmp);
	cor_test_write_file(path, "SELECT 2;\n");
	snprintf(path, sizeof(path), "%s/0003_c.sql", tmp);
	cor_test_write_file(path, "SELECT 3;\n");
	for (int i = 0; i < 5; i++) {
		static const char *const skip[] = {
			"README", "01_short.sql", "abc_x.sql", "004x_y.sql",
			"005_z.sql.orig",
		};

		snprintf(path, sizeof(path), "%s/%s", tmp, skip[i]);
		cor_test_write_file(path, "not a migration\n");
	}
	assert_int_equal(cor_db_migration_list(tmp, &m, &n, &err), COR_OK);
	assert_int_equal(n, 3);
	assert_string_equal(m[0].version, "0003_c");
	assert_string_equal(m[1].version, "002_a");
	assert_string_equal(m[2].version, "010_b");
	/* printf 'SELECT 2;\n' | sha256sum */
	assert_string_equal(m[1].sha256, "a41109d24069b4822ddc5f367b25d484"
	                                 "dc7e839bff338ce7a3e5da641caacda0");
	cor_db_migration_free(m, n);

	/* a NUL byte: COR_EDATA naming the file, nothing returned */
	snprintf(path, sizeof(path), "%s/020_nul.sql", tmp);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fwrite("SELECT 1;\0\n", 1, 11, fp);
	fclose(fp);
	m = (cor_migration *)1;
	n = 99;
	cor_err_clear(&err);
	assert_int_equal(cor_db_migration_list(tmp, &m, &n, &err), COR_EDATA);
	assert_null(m);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.file, "020_nul.sql"));
	cor_test_rmdir(tmp);

	/* empty directory: an empty list */
	cor_test_tmpdir(tmp, sizeof(tmp));
	m = (cor_migration *)1;
	assert_int_equal(cor_db_migration_list(tmp, &m, &n, &err), COR_OK);
	assert_null(m);
	assert_int_equal(n, 0);
	cor_db_migration_free(m, n);
	cor_test_rmdir(tmp);

	/* no directory */
	m = (cor_migration *)1;
	n = 99;
	cor_err_clear(&err);
	assert_int_equal(cor_db_migration_list("/nonexistent/corridor-sql",
	                                       &m, &n, &err), COR_EIO);
	assert_null(m);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.file, "/nonexistent/corridor-sql"));
	assert_int_equal(cor_db_migration_list(NULL, &m, &n, &err),
	                 COR_EINVAL);
}

static void test_missing_dir(void **state)
{
	PGconn *c = cor_test_connect();
	int applied = -1;
	cor_err err;

	(void)state;
	cor_err_clear(&err);
	assert_int_equal(cor_db_migrate(c, "/nonexistent/corridor-sql",
	                                &applied, &err), COR_EIO);
	assert_int_equal(applied, 0);
	assert_non_null(strstr(err.file, "/nonexistent/corridor-sql"));
	PQfinish(c);
}

struct runner {
	char dbname[200];
	int rc, applied;
	cor_err err;
};

static void *migrate_thread(void *p)
{
	struct runner *r = p;
	char conninfo[256];
	PGconn *c;

	snprintf(conninfo, sizeof(conninfo), "dbname=%s", r->dbname);
	c = cor_db_connect(conninfo, &r->err);
	if (c == NULL) {
		r->rc = r->err.code;
		return NULL;
	}
	r->rc = cor_db_migrate(c, cor_test_sql_dir(), &r->applied, &r->err);
	PQfinish(c);
	return NULL;
}

/* Two concurrent migrations of one fresh database serialise: between them
 * each file is applied exactly once and neither fails. */
static void test_concurrent_migrate(void **state)
{
	PGconn *c = cor_test_connect();
	PGconn *c2;
	struct runner r[2];
	pthread_t th[2];
	char sql[300], dbname[200];
	int nfiles = cor_test_count_migrations(cor_test_sql_dir());

	(void)state;
	cor_test_exec(c, "SET client_min_messages = warning");
	snprintf(dbname, sizeof(dbname), "%.180s_conc", PQdb(c));
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\"", dbname);
	cor_test_exec(c, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", dbname);
	cor_test_exec(c, sql);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 2; i++) {
		snprintf(r[i].dbname, sizeof(r[i].dbname), "%s", dbname);
		assert_int_equal(pthread_create(&th[i], NULL, migrate_thread,
		                                &r[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 2; i++) {
		if (r[i].rc != COR_OK)
			print_error("runner %d: %s\n", i, r[i].err.msg);
		assert_int_equal(r[i].rc, COR_OK);
	}
	assert_int_equal(r[0].applied + r[1].applied, nfiles);
	c2 = cor_test_connect_db(dbname);
	assert_int_equal(cor_test_scalar(c2,
	                 "SELECT count(*) FROM corridor_migration"), nfiles);
	PQfinish(c2);
	snprintf(sql, sizeof(sql), "DROP DATABASE \"%s\"", dbname);
	cor_test_exec(c, sql);
	PQfinish(c);
}

/* Case C31 (../shared/cases/README.md): a conninfo with a password pointing
 * at a closed port. Right: clear error naming host 127.0.0.1, port 1 and
 * database cases; the password appears nowhere. */
static void check_c31(const char *conninfo)
{
	cor_err err;
	char buf[2400];
	PGconn *c;

	cor_err_clear(&err);
	c = cor_db_connect(conninfo, &err);
	assert_null(c);
	assert_int_equal(err.code, COR_ECONNECT);
	assert_int_equal(cor_status_exit(err.code), COR_EXIT_DB);
	cor_err_format(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, "127.0.0.1"));
	assert_non_null(strstr(buf, "port 1"));
	assert_non_null(strstr(buf, "\"cases\""));
	assert_null(strstr(buf, "Example-Only-7731"));
	assert_null(strchr(buf, '\n'));
}

static void test_c31_connect_failure(void **state)
{
	(void)state;
	check_c31("host=127.0.0.1 port=1 dbname=cases user=etl_loader "
	          "password=Example-Only-7731 connect_timeout=2");
	check_c31("postgresql://etl_loader:Example-Only-7731@127.0.0.1:1/"
	          "cases?connect_timeout=2");
	check_c31("postgresql://127.0.0.1:1/cases?password=Example-Only-7731"
	          "&connect_timeout=2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_twice),
		cmocka_unit_test(test_checksums_recorded),
		cmocka_unit_test(test_checksum_mismatch),
		cmocka_unit_test(test_failed_migration_rolls_back),
		cmocka_unit_test(test_migration_list),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_concurrent_migrate),
		cmocka_unit_test(test_c31_connect_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
