/* include/corridor/db.h: PostgreSQL connection, error capture and schema
 * migrations. Implemented in etl/db.c and etl/migrate.c. */
#ifndef COR_DB_H
#define COR_DB_H

#include <libpq-fe.h>
#include "corridor/core.h"

/* Connects using libpq's own rules: conninfo (key=value string or
 * postgresql:// URI; NULL or "" means PG* environment variables and service
 * files only). application_name is set to "corridor".
 * Returns a connection in CONNECTION_OK state (caller closes with PQfinish),
 * or NULL with err set to COR_ECONNECT and a one-line message naming host,
 * port and database but never the password or any other secret. */
PGconn *cor_db_connect(const char *conninfo, cor_err *err);

/* Writes a copy of conninfo with every secret value (password, sslpassword,
 * sslkey, and a URI's user:password@ part) replaced by "***" into buf (size
 * n); for messages and logs. Returns buf. */
const char *cor_db_mask(const char *conninfo, char *buf, size_t n);

/* Records a failed libpq result (res may be NULL: then PQerrorMessage(conn)
 * is used) into err: code COR_EDB, msg from the primary message and
 * PG_DIAG_MESSAGE_DETAIL, sqlstate from PG_DIAG_SQLSTATE. Does not clear res.
 * Returns COR_EDB. */
int cor_db_fail(cor_err *err, PGconn *conn, const PGresult *res);

/* Runs a command with no parameters and expects PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK. Returns 0 or COR_EDB (err set). */
int cor_db_exec(PGconn *conn, const char *sql, cor_err *err);

/* Runs sql with nparams text parameters (NULL element = SQL NULL) through
 * PQexecParams and expects status `want`. Returns the result (caller
 * PQclears) or NULL with err set (COR_EDB). */
PGresult *cor_db_query(PGconn *conn, const char *sql, int nparams,
                       const char *const *params, ExecStatusType want,
                       cor_err *err);

/* One schema migration file, as listed by cor_db_migration_list. */
typedef struct cor_migration {
	char *version;     /* file name without ".sql", e.g. "001_schema" */
	char *path;        /* dir "/" file name */
	char sha256[65];   /* lower-case hex SHA-256 (FIPS 180-4, OpenSSL
	                    * EVP_sha256) of the file's bytes, NUL-ended */
} cor_migration;

/* Lists the migration files in dir: names of three or more digits, '_',
 * anything, ".sql" (e.g. 001_schema.sql); other names are ignored.
 * Reads each file whole and hashes it.
 * On success *out receives an array of *n entries sorted by file name
 * (strcmp), or NULL with *n = 0 if there is none; the caller frees it with
 * cor_db_migration_free. Returns 0, or COR_EINVAL (NULL argument), COR_EIO
 * (dir or a file cannot be opened or read; err->file names it), COR_EDATA
 * (a file holds a NUL byte, which no SQL text may), COR_ENOMEM, COR_EFAIL
 * (hashing failed); then *out is NULL, *n is 0 and nothing is left
 * allocated. Needs no database. */
int cor_db_migration_list(const char *dir, cor_migration **out, size_t *n,
                          cor_err *err);

/* Frees a list from cor_db_migration_list (its n entries, then the array).
 * NULL-safe. */
void cor_db_migration_free(cor_migration *list, size_t n);

/* Applies every migration file in dir (as cor_db_migration_list) not yet
 * recorded in corridor_migration, in file-name order, each in its own
 * transaction with its SHA-256 recorded. *applied receives the number
 * applied (0 = already up to date). A file whose recorded checksum differs
 * is an error (COR_EDATA), as is a file that changes while it runs. On
 * error the failing migration is rolled back; earlier ones stay. Returns 0
 * or a cor_status (also those of cor_db_migration_list). */
int cor_db_migrate(PGconn *conn, const char *dir, int *applied,
                   cor_err *err);

/* Default directory of the SQL migrations: $COR_SQL_DIR, else the
 * installed share directory if it exists, else "sql". Static string. */
const char *cor_db_sql_dir(void);

#endif /* COR_DB_H */
