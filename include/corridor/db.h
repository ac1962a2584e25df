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

/* Applies every sql/NNN_*.sql file in dir not yet recorded in
 * corridor_migration, in file-name order, each in its own transaction with
 * its SHA-256 recorded. *applied receives the number applied (0 = already
 * up to date). A file whose recorded checksum differs is an error
 * (COR_EDATA). On error the failing migration is rolled back; earlier ones
 * stay. Returns 0 or a cor_status. */
int cor_db_migrate(PGconn *conn, const char *dir, int *applied,
                   cor_err *err);

/* Default directory of the SQL migrations: $COR_SQL_DIR, else the
 * installed share directory if it exists, else "sql". Static string. */
const char *cor_db_sql_dir(void);

#endif /* COR_DB_H */
