/* tests/unit/test_core.c: error records, conninfo masking and the status ->
 * exit code map (include/corridor/core.h, cor_db_mask in db.h). No server. */
#include "support/pgtest.h"

#include <string.h>

#include "corridor/core.h"
#include "corridor/db.h"

static void test_err_format_position(void **state)
{
	cor_err e;
	char buf[256];

	(void)state;
	cor_err_clear(&e);
	assert_int_equal(cor_err_at(&e, COR_EDATA, "cases.csv", 17, "age",
	                            "age %d is above 120", 130), COR_EDATA);
	assert_int_equal(e.code, COR_EDATA);
	assert_string_equal(cor_err_format(&e, buf, sizeof(buf)),
	                    "cases.csv:17: column 'age': age 130 is above 120");
	assert_string_equal(e.file, "cases.csv");
	assert_int_equal(e.line, 17);
	assert_string_equal(e.column, "age");
}

static void test_err_format_partial(void **state)
{
	cor_err e;
	char buf[256];

	(void)state;
	cor_err_clear(&e);
	cor_err_at(&e, COR_EIO, "x.csv", 0, NULL, "cannot open");
	assert_string_equal(cor_err_format(&e, buf, sizeof(buf)),
	                    "x.csv: cannot open");
	cor_err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.file, "");
	cor_err_set(&e, COR_EINVAL, "bad quarter '%s'", "2019Q5");
	assert_string_equal(cor_err_format(&e, buf, sizeof(buf)),
	                    "bad quarter '2019Q5'");
	/* column without file */
	cor_err_at(&e, COR_EDATA, NULL, 0, "sex", "unknown code");
	assert_string_equal(cor_err_format(&e, buf, sizeof(buf)),
	                    "column 'sex': unknown code");
}

static void test_err_truncates(void **state)
{
	cor_err e;
	char small[12];
	char big[3000];

	(void)state;
	cor_err_clear(&e);
	cor_err_at(&e, COR_EDATA, "file.csv", 3, "c", "a long message");
	cor_err_format(&e, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "file.csv:3:", 11);
	/* message longer than msg[] is cut, still NUL-terminated */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cor_err_set(&e, COR_EFAIL, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
}

static void test_err_null_safe(void **state)
{
	(void)state;
	cor_err_clear(NULL);
	assert_int_equal(cor_err_set(NULL, COR_EDB, "x"), COR_EDB);
	assert_int_equal(cor_err_at(NULL, COR_EIO, "f", 1, "c", "y"), COR_EIO);
}

static void check_mask(const char *in, const char *want)
{
	char buf[512];

	assert_string_equal(cor_db_mask(in, buf, sizeof(buf)), want);
}

static void test_mask_keyvalue(void **state)
{
	(void)state;
	check_mask("host=db.example.org port=5432 dbname=cases "
	           "password=Example-Only-7731",
	           "host=db.example.org port=5432 dbname=cases password=***");
	check_mask("password=s3cret host=h", "password=*** host=h");
	/* spaces around '=' are allowed by libpq */
	check_mask("host=h password = s3cret dbname=d",
	           "host=h password=*** dbname=d");
	/* single-quoted values with spaces and an escaped quote */
	check_mask("host=h password='my pass\\' word' dbname=d",
	           "host=h password=*** dbname=d");
	check_mask("dbname='two words' user=u", "dbname='two words' user=u");
	check_mask("sslpassword=k1 sslkey=/secret/key.pem host=h",
	           "sslpassword=*** sslkey=*** host=h");
	/* a key that merely ends in "password" is not a secret key */
	check_mask("host=h", "host=h");
	check_mask("", "");
}

static void test_mask_uri(void **state)
{
	(void)state;
	check_mask("postgresql://etl:Example-Only-7731@127.0.0.1:1/cases",
	           "postgresql://etl:***@127.0.0.1:1/cases");
	check_mask("postgres://u:p%40ss@h/db?sslmode=require",
	           "postgres://u:***@h/db?sslmode=require");
	check_mask("postgresql://h/db?password=Example-Only-7731",
	           "postgresql://h/db?password=***");
	check_mask("postgresql://h/db?sslmode=disable&password=x1&user=u",
	           "postgresql://h/db?sslmode=disable&password=***&user=u");
	check_mask("postgresql://u@h:5432/db", "postgresql://u@h:5432/db");
	check_mask("postgresql://u:pw@h/db?password=x",
	           "postgresql://u:***@h/db?password=***");
}

static void test_mask_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	cor_db_mask("password=Example-Only-7731", buf, sizeof(buf));
	assert_null(strstr(buf, "Example"));
	assert_true(strlen(buf) < sizeof(buf));
	cor_db_mask(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* A connection string libpq cannot parse: libpq's message quotes the whole
 * URI, secret included. Nothing secret may reach the error (case C31). */
static void test_connect_unparsable_no_secret(void **state)
{
	static const char *const bad[] = {
		"postgresql://u:SECRET123@[::1:5432/x",
		"host=127.0.0.1 port=1 dbname=x password=SECRET123 bogus=1",
		"host=127.0.0.1 port=1 dbname=x password='SECRET123",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cor_err err;
		char buf[2400];
		PGconn *c;

		cor_err_clear(&err);
		c = cor_db_connect(bad[i], &err);
		assert_null(c);
		assert_int_equal(err.code, COR_EINVAL);
		cor_err_format(&err, buf, sizeof(buf));
		assert_null(strstr(buf, "SECRET123"));
		assert_non_null(strstr(buf, "invalid connection string"));
	}
}

static void test_status_exit(void **state)
{
	(void)state;
	assert_int_equal(cor_status_exit(COR_OK), COR_EXIT_OK);
	assert_int_equal(cor_status_exit(COR_EDATA), 1);
	assert_int_equal(cor_status_exit(COR_EINVAL), 2);
	assert_int_equal(cor_status_exit(COR_ECONNECT), 3);
	assert_int_equal(cor_status_exit(COR_EDB), 4);
	assert_int_equal(cor_status_exit(COR_EIO), 5);
	assert_int_equal(cor_status_exit(COR_EDEGENERATE), 6);
	assert_int_equal(cor_status_exit(COR_EPERM), 7);
	assert_int_equal(cor_status_exit(COR_ENOTFOUND), COR_EXIT_DATA);
	assert_int_equal(cor_status_exit(COR_EFAIL), 70);
	assert_int_equal(cor_status_exit(COR_ENOMEM), 70);
	assert_int_equal(cor_status_exit(COR_EGSL), 70);
	assert_int_equal(cor_status_exit(COR_EPDF), 70);
	assert_int_equal(cor_status_exit(-999), 70);
}

static void test_status_str(void **state)
{
	(void)state;
	assert_string_equal(cor_status_str(COR_ECONNECT),
	                    "database unavailable");
	assert_string_equal(cor_status_str(COR_EDB), "database error");
	for (int s = COR_ENOTFOUND; s <= COR_OK; s++) {
		assert_non_null(cor_status_str(s));
		assert_true(strlen(cor_status_str(s)) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_format_position),
		cmocka_unit_test(test_err_format_partial),
		cmocka_unit_test(test_err_truncates),
		cmocka_unit_test(test_err_null_safe),
		cmocka_unit_test(test_mask_keyvalue),
		cmocka_unit_test(test_mask_uri),
		cmocka_unit_test(test_mask_small_buffer),
		cmocka_unit_test(test_connect_unparsable_no_secret),
		cmocka_unit_test(test_status_exit),
		cmocka_unit_test(test_status_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
