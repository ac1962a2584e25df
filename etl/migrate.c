/* etl/migrate.c: schema migrations (include/corridor/db.h).
 *
 * Every sql/NNN_name.sql file is a migration (cor_db_migration_list, also
 * used by `corridor db status`), applied once in file-name order and
 * recorded in corridor_migration (version = file name without ".sql", its
 * SHA-256 in hex, time applied). Each file runs in its own
 * transaction that first takes a transaction-level advisory lock, so two
 * `corridor db init` against one database serialise: the second waits, then
 * sees the first's rows and applies nothing twice. */
#include "corridor/db.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef COR_SHARE_DIR
#define COR_SHARE_DIR "/usr/local/share/corridor"
#endif

/* Advisory lock key: "corr" "migr" in ASCII; fixed so every corridor
 * version takes the same lock. */
#define LOCK_SQL "SELECT pg_advisory_xact_lock(7165064483303975282)"

/* NOTICEs such as "relation ... already exists, skipping" are noise here;
 * warnings and errors still come through. */
#define QUIET_SQL "SET LOCAL client_min_messages = warning"

#define TABLE_SQL \
	"CREATE TABLE IF NOT EXISTS corridor_migration (" \
	" version text PRIMARY KEY," \
	" sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')," \
	" applied_at timestamptz NOT NULL DEFAULT now())"

/* NNN_*.sql with at least three leading digits. */
static int is_migration_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 9 || strcmp(s + n - 4, ".sql") != 0)
		return 0;
	for (int i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	for (size_t i = 3; i < n; i++) {
		if (s[i] == '_')
			return 1;
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Lists migration file names in dir, sorted by strcmp. On success *out
 * (n entries) is owned by the caller (free_names). */
static int list_files(const char *dir, char ***out, size_t *nout,
                      cor_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*nout = 0;
	if (d == NULL)
		return cor_err_at(err, COR_EIO, dir, 0, NULL,
		                  "cannot open migration directory: %s",
		                  strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (!is_migration_name(e->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **t = realloc(names, nc * sizeof(*t));

			if (t == NULL)
				goto nomem;
			names = t;
			cap = nc;
		}
		names[n] = strdup(e->d_name);
		if (names[n] == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*nout = n;
	return COR_OK;
nomem:
	closedir(d);
	free_names(names, n);
	return cor_err_set(err, COR_ENOMEM, "out of memory listing %s", dir);
}

/* Reads a whole file into a NUL-terminated buffer (caller frees). */
static int read_file(const char *path, char **buf, size_t *len, cor_err *err)
{
	FILE *fp = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0, r;
	int rc = COR_EIO;

	*buf = NULL;
	if (fp == NULL)
		return cor_err_at(err, COR_EIO, path, 0, NULL,
		                  "cannot open: %s", strerror(errno));
	do {
		if (cap - n < 8192) {
			char *t = realloc(b, cap + 65536);

			if (t == NULL) {
				rc = cor_err_at(err, COR_ENOMEM, path, 0, NULL,
				                "out of memory");
				goto out;
			}
			b = t;
			cap += 65536;
		}
		r = fread(b + n, 1, cap - n - 1, fp);
		n += r;
	} while (r > 0);
	if (ferror(fp)) {
		cor_err_at(err, COR_EIO, path, 0, NULL, "read error");
		goto out;
	}
	b[n] = '\0';
	if (strlen(b) != n) {
		rc = cor_err_at(err, COR_EDATA, path, 0, NULL,
		                "NUL byte in SQL file");
		goto out;
	}
	*buf = b;
	*len = n;
	b = NULL;
	rc = COR_OK;
out:
	free(b);
	fclose(fp);
	return rc;
}

/* Hex SHA-256 (FIPS 180-4) of data, through OpenSSL's EVP interface. */
static int sha256_hex(const char *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	return 0;
}

void cor_db_migration_free(cor_migration *list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(list[i].version);
		free(list[i].path);
	}
	free(list);
}

int cor_db_migration_list(const char *dir, cor_migration **out, size_t *nout,
                          cor_err *err)
{
	cor_migration *list = NULL;
	char **names = NULL;
	char *sql = NULL;
	size_t n = 0, len;
	int rc;

	if (out == NULL || nout == NULL || dir == NULL) {
		if (out != NULL)
			*out = NULL;
		if (nout != NULL)
			*nout = 0;
		return cor_err_set(err, COR_EINVAL, "cor_db_migration_list: "
		                   "NULL argument");
	}
	*out = NULL;
	*nout = 0;
	rc = list_files(dir, &names, &n, err);
	if (rc != COR_OK || n == 0)
		goto out;
	list = calloc(n, sizeof(*list));
	if (list == NULL) {
		rc = cor_err_set(err, COR_ENOMEM, "out of memory listing %s",
		                 dir);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cor_migration *m = &list[i];
		size_t nl = strlen(names[i]), pl = strlen(dir) + nl + 2;

		m->version = strndup(names[i], nl - 4);   /* less ".sql" */
		m->path = malloc(pl);
		if (m->version == NULL || m->path == NULL) {
			rc = cor_err_set(err, COR_ENOMEM, "out of memory "
			                 "listing %s", dir);
			goto out;
		}
		snprintf(m->path, pl, "%s/%s", dir, names[i]);
		rc = read_file(m->path, &sql, &len, err);
		if (rc != COR_OK)
			goto out;
		if (sha256_hex(sql, len, m->sha256) != 0) {
			rc = cor_err_at(err, COR_EFAIL, m->path, 0, NULL,
			                "SHA-256 failed");
			goto out;
		}
		free(sql);
		sql = NULL;
	}
	*out = list;
	*nout = n;
	list = NULL;
out:
	free(sql);
	cor_db_migration_free(list, n);
	free_names(names, n);
	return rc;
}

/* 1-based line of the 1-based character position pos in sql. */
static long line_of(const char *sql, long pos)
{
	long line = 1;

	for (long i = 0; i < pos - 1 && sql[i] != '\0'; i++)
		if (sql[i] == '\n')
			line++;
	return line;
}

static void rollback(PGconn *conn)
{
	PGresult *res = PQexec(conn, "ROLLBACK");

	PQclear(res);
}

/* Applies one listed file unless recorded. *did = 1 if applied. The file
 * is read again here and must still have the listed SHA-256, so what runs
 * is what is recorded. */
static int apply_one(PGconn *conn, const cor_migration *m, int *did,
                     cor_err *err)
{
	const char *path = m->path, *version = m->version;
	char hex[65];
	char *sql = NULL;
	size_t len = 0;
	PGresult *res = NULL;
	const char *params[2];
	int rc, in_tx = 0;

	*did = 0;
	rc = read_file(path, &sql, &len, err);
	if (rc != COR_OK)
		goto out;
	if (sha256_hex(sql, len, hex) != 0) {
		rc = cor_err_at(err, COR_EFAIL, path, 0, NULL,
		                "SHA-256 failed");
		goto out;
	}
	if (strcmp(hex, m->sha256) != 0) {
		rc = cor_err_at(err, COR_EDATA, path, 0, NULL,
		                "migration file changed while being applied");
		goto out;
	}
	rc = cor_db_exec(conn, "BEGIN", err);
	if (rc != COR_OK)
		goto out;
	in_tx = 1;
	rc = cor_db_exec(conn, LOCK_SQL, err);
	if (rc == COR_OK)
		rc = cor_db_exec(conn, QUIET_SQL, err);
	if (rc != COR_OK)
		goto out;
	params[0] = version;
	res = cor_db_query(conn,
	                   "SELECT sha256, to_char(applied_at, "
	                   "'YYYY-MM-DD HH24:MI:SS') "
	                   "FROM corridor_migration WHERE version = $1",
	                   1, params, PGRES_TUPLES_OK, err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), hex) != 0)
			rc = cor_err_at(err, COR_EDATA, path, 0, NULL,
			                "migration %s was applied on %s with "
			                "SHA-256 %.12s..., the file now has "
			                "%.12s...: applied migrations must not "
			                "change (add a new file instead)",
			                version, PQgetvalue(res, 0, 1),
			                PQgetvalue(res, 0, 0), hex);
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *pos;

		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);

		rc = cor_db_fail(err, conn, res);
		if (err != NULL) {
			snprintf(err->file, sizeof(err->file), "%.*s",
			         (int)sizeof(err->file) - 1, path);
			err->line = pos ? line_of(sql, atol(pos)) : 0;
		}
		goto out;
	}
	PQclear(res);
	params[1] = hex;
	res = cor_db_query(conn,
	                   "INSERT INTO corridor_migration (version, sha256) "
	                   "VALUES ($1, $2)",
	                   2, params, PGRES_COMMAND_OK, err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	rc = cor_db_exec(conn, "COMMIT", err);
	in_tx = 0;
	if (rc == COR_OK)
		*did = 1;
out:
	if (in_tx)
		rollback(conn);
	PQclear(res);
	free(sql);
	return rc;
}

int cor_db_migrate(PGconn *conn, const char *dir, int *applied,
                   cor_err *err)
{
	cor_migration *list = NULL;
	size_t n = 0;
	int rc, did;

	if (applied != NULL)
		*applied = 0;
	if (conn == NULL || dir == NULL)
		return cor_err_set(err, COR_EINVAL, "cor_db_migrate: "
		                   "no connection or directory");
	rc = cor_db_migration_list(dir, &list, &n, err);
	if (rc != COR_OK)
		return rc;
	if (n == 0) {
		rc = cor_err_at(err, COR_EIO, dir, 0, NULL,
		                "no NNN_*.sql migration files found");
		goto out;
	}
	/* The table itself, under the same lock: CREATE TABLE IF NOT EXISTS
	 * is not safe against a concurrent creator. */
	rc = cor_db_exec(conn, "BEGIN", err);
	if (rc == COR_OK)
		rc = cor_db_exec(conn, LOCK_SQL, err);
	if (rc == COR_OK)
		rc = cor_db_exec(conn, QUIET_SQL, err);
	if (rc == COR_OK)
		rc = cor_db_exec(conn, TABLE_SQL, err);
	if (rc == COR_OK)
		rc = cor_db_exec(conn, "COMMIT", err);
	else
		rollback(conn);
	if (rc != COR_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		rc = apply_one(conn, &list[i], &did, err);
		if (rc != COR_OK)
			goto out;
		if (applied != NULL)
			*applied += did;
	}
out:
	cor_db_migration_free(list, n);
	return rc;
}

const char *cor_db_sql_dir(void)
{
	static const char share[] = COR_SHARE_DIR "/sql";
	const char *env = getenv("COR_SQL_DIR");
	struct stat st;

	if (env != NULL && env[0] != '\0')
		return env;
	if (stat(share, &st) == 0 && S_ISDIR(st.st_mode))
		return share;
	return "sql";
}
