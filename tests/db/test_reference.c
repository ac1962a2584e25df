/* tests/db/test_reference.c: reference data (sql/002_reference.sql) and
 * roles (sql/003_roles.sql) against a real server and against the public
 * datasets in $DATA_DIR: OCHA P-codes, OSM county centroids and the OCHA
 * country taxonomy (read with libcsv and jansson, never with corridor's own
 * readers). Where $DATA_DIR lacks a file the test fails naming the path,
 * unless CORRIDOR_ALLOW_NO_DATA=1, in which case it is reported skipped.
 * Run by scripts/run-tests.sh with a fresh database in PGDATABASE. */
#include "support/pgtest.h"

#include <csv.h>
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "corridor/core.h"
#include "corridor/db.h"
#include "corridor/synth.h"

#define OCHA_FILE "ocha_pcodes/global_pcodes_adm_1_2.csv"
#define OSM_DIR "kenya_counties_osm"
#define TAXONOMY_FILE "country_taxonomy_hxl/Countries & Territories " \
	"Taxonomy MVP - C&T Taxonomy with HXL Tags.csv"
#define MAX_KM 50.0

/* Connects and applies the migrations (idempotent: later calls apply
 * nothing). */
static PGconn *db(void)
{
	PGconn *c = cor_test_connect();
	int applied = -1;
	cor_err err;

	cor_err_clear(&err);
	if (cor_db_migrate(c, cor_test_sql_dir(), &applied, &err) != COR_OK) {
		char buf[2400];

		fail_msg("migrations failed: %s",
		         cor_err_format(&err, buf, sizeof(buf)));
	}
	return c;
}

/* Full path of a dataset file in buf; fails the test when it is absent,
 * or skips it when CORRIDOR_ALLOW_NO_DATA=1 (saying so on stderr). */
static const char *data_path(const char *rel, char *buf, size_t n)
{
	const char *allow = getenv("CORRIDOR_ALLOW_NO_DATA");
	struct stat st;

	snprintf(buf, n, "%s/%s", cor_test_data_dir(), rel);
	if (stat(buf, &st) == 0)
		return buf;
	if (allow != NULL && strcmp(allow, "1") == 0) {
		fprintf(stderr, "SKIPPED: dataset not found: %s "
		        "(CORRIDOR_ALLOW_NO_DATA=1)\n", buf);
		skip();
	}
	fail_msg("dataset not found: %s (set DATA_DIR, or "
	         "CORRIDOR_ALLOW_NO_DATA=1 to skip)", buf);
	return NULL;
}

static PGresult *query(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		print_error("query failed: %s\n%s", sql, PQerrorMessage(c));
		PQclear(r);
		fail();
	}
	return r;
}

/* Runs sql and returns its SQLSTATE ("" on success). */
static void sqlstate_of(PGconn *c, const char *sql, char out[6])
{
	PGresult *r = PQexec(c, sql);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(out, 6, "%s", (s != NULL) ? s : "");
	PQclear(r);
}

/* ---- a whole CSV file in memory as rows of fields (libcsv) ---- */

struct table {
	char ***rows;    /* rows[i][j], NUL-terminated strings */
	size_t *ncols;
	size_t nrows, cap;
	char **cur;      /* fields of the record being read */
	size_t ncur, capcur;
};

static void t_field(void *s, size_t len, void *data)
{
	struct table *t = data;
	char *f = malloc(len + 1);

	assert_non_null(f);
	memcpy(f, s, len);
	f[len] = '\0';
	if (t->ncur == t->capcur) {
		t->capcur = t->capcur ? 2 * t->capcur : 64;
		t->cur = realloc(t->cur, t->capcur * sizeof(char *));
		assert_non_null(t->cur);
	}
	t->cur[t->ncur++] = f;
}

static void t_record(int c, void *data)
{
	struct table *t = data;

	(void)c;
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->rows = realloc(t->rows, t->cap * sizeof(char **));
		t->ncols = realloc(t->ncols, t->cap * sizeof(size_t));
		assert_non_null(t->rows);
		assert_non_null(t->ncols);
	}
	t->rows[t->nrows] = t->cur;
	t->ncols[t->nrows++] = t->ncur;
	t->cur = NULL;
	t->ncur = t->capcur = 0;
}

static void read_csv(const char *path, struct table *t)
{
	struct csv_parser p;
	FILE *fp = fopen(path, "rb");
	char buf[65536];
	size_t n;

	memset(t, 0, sizeof(*t));
	assert_non_null(fp);
	assert_int_equal(csv_init(&p, CSV_STRICT | CSV_APPEND_NULL), 0);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (csv_parse(&p, buf, n, t_field, t_record, t) != n)
			fail_msg("%s: CSV error: %s", path,
			         csv_strerror(csv_error(&p)));
	}
	assert_int_equal(ferror(fp), 0);
	assert_int_equal(csv_fini(&p, t_field, t_record, t), 0);
	csv_free(&p);
	fclose(fp);
}

static void free_table(struct table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->ncols[i]; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
	}
	free(t->rows);
	free(t->ncols);
	free(t->cur);
}

/* Column index of header name in row 0, or fail. */
static size_t col(const struct table *t, const char *name)
{
	for (size_t j = 0; j < t->ncols[0]; j++)
		if (strcmp(t->rows[0][j], name) == 0)
			return j;
	fail_msg("column '%s' not in header", name);
	return 0;
}

static const char *cell(const struct table *t, size_t i, size_t j)
{
	return j < t->ncols[i] ? t->rows[i][j] : "";
}

/* Lower-case alphanumerics only: "Murang'a" and "muranga" compare equal,
 * as do "Taita-Taveta" and "Taita Taveta". */
static void squash(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; *s != '\0' && k + 1 < n; s++)
		if (isalnum((unsigned char)*s))
			out[k++] = (char)tolower((unsigned char)*s);
	out[k] = '\0';
}

/* Great-circle distance in km (haversine, mean Earth radius 6371 km). */
static double km(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180.0;
	double dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
	double h = sin(dp / 2) * sin(dp / 2) +
	           cos(lat1 * rad) * cos(lat2 * rad) * sin(dl / 2) *
	           sin(dl / 2);

	return 2.0 * 6371.0 * asin(sqrt(h));
}

/* ---- tests without datasets ---- */

static void test_kenya_counties(void **state)
{
	PGconn *c = db();
	char q[256];

	(void)state;
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM admin1 "
	                 "WHERE country = 'KEN'"), 47);
	for (int i = 1; i <= 47; i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM admin1 WHERE "
		         "pcode = 'KE%03d' AND country = 'KEN' AND lat IS NOT "
		         "NULL AND lon IS NOT NULL", i);
		assert_int_equal(cor_test_scalar(c, q), 1);
		snprintf(q, sizeof(q), "SELECT count(*) FROM place WHERE "
		         "admin1 = 'KE%03d' AND kind = 'county'", i);
		assert_int_equal(cor_test_scalar(c, q), 1);
	}
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM admin1 "
	                 "WHERE pcode = 'KE011' AND name = 'Isiolo'"), 1);
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM admin1 "
	                 "WHERE pcode = 'KE047' AND name = 'Nairobi'"), 1);
	PQfinish(c);
}

static void test_countries(void **state)
{
	PGconn *c = db();

	(void)state;
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM country "
	                 "WHERE m49 IS NOT NULL"), 249);
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM country "
	                 "WHERE iso3 = 'NAM' AND iso2 = 'NA' AND m49 = 516"),
	                 1);
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM country "
	                 "WHERE iso3 IN ('UNK', 'XXA')"), 2);
	PQfinish(c);
}

/* Gazetteer: corridor places, Ethiopic names, main-line order north to
 * south, the place_key view and ambiguous names. */
static void test_gazetteer(void **state)
{
	PGconn *c = db();
	PGresult *r;
	double prev = 90.0;

	(void)state;
	r = query(c, "SELECT name_local FROM place WHERE id IN "
	             "('ET-MOYALE', 'ET-ADDIS-ABABA', 'ET-HAWASSA', "
	             "'ET-HOSAENA', 'ET-SHASHEMENE') ORDER BY id");
	assert_int_equal(PQntuples(r), 5);
	assert_string_equal(PQgetvalue(r, 0, 0), "አዲስ አበባ");
	assert_string_equal(PQgetvalue(r, 1, 0), "ሐዋሳ");
	assert_string_equal(PQgetvalue(r, 2, 0), "ሆሳዕና");
	assert_string_equal(PQgetvalue(r, 3, 0), "ሞያሌ");
	assert_string_equal(PQgetvalue(r, 4, 0), "ሻሸመኔ");
	PQclear(r);
	/* corridor_seq: unique, and latitude never rises going south */
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) - count(DISTINCT "
	                 "corridor_seq) FROM place WHERE corridor_seq IS NOT "
	                 "NULL"), 0);
	r = query(c, "SELECT id, lat FROM place WHERE corridor_seq IS NOT "
	             "NULL ORDER BY corridor_seq");
	assert_true(PQntuples(r) >= 20);
	for (int i = 0; i < PQntuples(r); i++) {
		double lat = atof(PQgetvalue(r, i, 1));

		if (lat > prev)
			fail_msg("corridor_seq: %s (lat %.2f) is north of the "
			         "place before it (lat %.2f)",
			         PQgetvalue(r, i, 0), lat, prev);
		prev = lat;
	}
	PQclear(r);
	/* place_key resolution */
	r = query(c, "SELECT key, coalesce(place, '-'), candidates FROM "
	             "place_key WHERE key IN ('moyale', 'namanga', "
	             "'moyale (kenya)', 'moyale, ethiopia', 'beit bridge', "
	             "'addis', 'dsm', 'dar es salaam', 'kajiado', 'isiolo', "
	             "'isiolo county', 'muranga', 'ሞያሌ', 'ke-isiolo') "
	             "ORDER BY key");
	assert_int_equal(PQntuples(r), 14);
	{
		static const char *const want[][3] = {
			{ "addis", "ET-ADDIS-ABABA", "1" },
			{ "beit bridge", "ZW-BEITBRIDGE", "1" },
			{ "dar es salaam", "TZ-DAR-ES-SALAAM", "1" },
			{ "dsm", "TZ-DAR-ES-SALAAM", "1" },
			{ "isiolo", "KE-ISIOLO", "1" },
			{ "isiolo county", "KE-C-ISIOLO", "1" },
			{ "kajiado", "KE-C-KAJIADO", "1" },
			{ "ke-isiolo", "KE-ISIOLO", "1" },
			{ "moyale", "-", "2" },
			{ "moyale (kenya)", "KE-MOYALE", "1" },
			{ "moyale, ethiopia", "ET-MOYALE", "1" },
			{ "muranga", "KE-C-MURANGA", "1" },
			{ "namanga", "-", "2" },
			{ "ሞያሌ", "ET-MOYALE", "1" },
		};
		for (int i = 0; i < 14; i++) {
			assert_string_equal(PQgetvalue(r, i, 0), want[i][0]);
			assert_string_equal(PQgetvalue(r, i, 1), want[i][1]);
			assert_string_equal(PQgetvalue(r, i, 2), want[i][2]);
		}
	}
	PQclear(r);
	/* no alias collides with another place's id, name or alias */
	r = query(c, "SELECT k.key, k.candidate_places::text FROM place_key k "
	             "JOIN place_alias a ON a.alias = k.key "
	             "WHERE k.candidates > 1");
	if (PQntuples(r) > 0)
		fail_msg("alias '%s' is ambiguous: %s", PQgetvalue(r, 0, 0),
		         PQgetvalue(r, 0, 1));
	PQclear(r);
	/* aliases are stored normalised */
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM place_alias "
	                 "WHERE alias <> lower(alias) OR alias ~ '[''`]' "
	                 "OR alias ~ '(^ | $|  )'"), 0);
	PQfinish(c);
}

/* Every place corridor synth writes exists with the country and admin-1
 * it assumes. */
static void test_synth_places(void **state)
{
	PGconn *c = db();
	const char *id, *cty, *adm;
	size_t i = 0;

	(void)state;
	while ((id = cor_synth_place(i++, &cty, &adm)) != NULL) {
		const char *v[1] = { id };
		PGresult *r = PQexecParams(c, "SELECT country, admin1 FROM "
		                           "place WHERE id = $1", 1, NULL, v,
		                           NULL, NULL, 0);

		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		if (PQntuples(r) != 1)
			fail_msg("synth place %s not in the gazetteer", id);
		if (strcmp(PQgetvalue(r, 0, 0), cty) != 0 ||
		    strcmp(PQgetvalue(r, 0, 1), adm) != 0)
			fail_msg("synth place %s: synth says %s/%s, gazetteer "
			         "%s/%s", id, cty, adm, PQgetvalue(r, 0, 0),
			         PQgetvalue(r, 0, 1));
		PQclear(r);
	}
	PQfinish(c);
}

static void test_roles(void **state)
{
	PGconn *c = db();
	char st[6];

	(void)state;
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM pg_roles "
	                 "WHERE rolname IN ('corridor_loader', "
	                 "'corridor_analyst') AND NOT rolcanlogin"), 2);
	/* a case row and a batch to read through the views */
	cor_test_exec(c, "INSERT INTO batch (sha256, format, file_name, "
	              "corridor_version, synthetic) VALUES (repeat('ab', 32), "
	              "'cases', 'roles.csv', 'test', true)");
	cor_test_exec(c, "SET ROLE corridor_loader");
	sqlstate_of(c, "SELECT * FROM case_record", st);
	assert_string_equal(st, "42501");
	sqlstate_of(c, "INSERT INTO case_record (batch_id, registration_date, "
	            "registration_year, case_type, route, synthetic) SELECT "
	            "id, '2019-11-02', 2019, 'smuggling', "
	            "'{ET-MOYALE,KE-MOYALE,KE-ISIOLO}', true FROM batch", st);
	assert_string_equal(st, "");
	sqlstate_of(c, "SELECT count(*) FROM place_key", st);
	assert_string_equal(st, "");
	sqlstate_of(c, "DELETE FROM case_record", st);
	assert_string_equal(st, "42501");
	cor_test_exec(c, "RESET ROLE");

	cor_test_exec(c, "SET ROLE corridor_analyst");
	sqlstate_of(c, "SELECT * FROM case_record", st);
	assert_string_equal(st, "42501");
	sqlstate_of(c, "SELECT * FROM route_step", st);
	assert_string_equal(st, "42501");
	sqlstate_of(c, "INSERT INTO batch (sha256, format, file_name, "
	            "corridor_version) VALUES (repeat('cd', 32), 'cases', "
	            "'x.csv', 'test')", st);
	assert_string_equal(st, "42501");
	assert_int_equal(cor_test_scalar(c, "SELECT sum(n) FROM "
	                 "v_cases_by_quarter WHERE quarter = '2019Q4'"), 1);
	assert_int_equal(cor_test_scalar(c, "SELECT sum(n) FROM v_segment_flow "
	                 "WHERE from_place = 'KE-MOYALE' AND to_place = "
	                 "'KE-ISIOLO'"), 1);
	assert_int_equal(cor_test_scalar(c, "SELECT sum(n) FROM v_node_flow "
	                 "WHERE place = 'KE-ISIOLO' AND role = 'destination'"),
	                 1);
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM v_od_flow"),
	                 1);
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM country"),
	                 253);
	cor_test_exec(c, "RESET ROLE");
	/* PUBLIC holds nothing on raw case rows */
	assert_int_equal(cor_test_scalar(c, "SELECT count(*) FROM "
	                 "information_schema.role_table_grants WHERE "
	                 "table_name IN ('case_record', 'route_step') AND "
	                 "grantee IN ('PUBLIC', 'corridor_analyst')"), 0);
	PQfinish(c);
}

/* ---- tests against the datasets ---- */

struct pcode { char code[16]; char name[128]; char country[4]; };

static int pcode_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pcode *)a)->code,
	              ((const struct pcode *)b)->code);
}

static void test_ocha_pcodes(void **state)
{
	char path[4096];
	struct table t;
	struct pcode *ocha;
	size_t n = 0, ilev, icode, iname, iloc;
	PGconn *c;
	PGresult *r;
	int bad = 0, checked = 0;

	(void)state;
	data_path(OCHA_FILE, path, sizeof(path));
	c = db();
	read_csv(path, &t);
	assert_true(t.nrows > 1000);
	ilev = col(&t, "Admin Level");
	icode = col(&t, "P-Code");
	iname = col(&t, "Name");
	iloc = col(&t, "Location");
	ocha = calloc(t.nrows, sizeof(*ocha));
	assert_non_null(ocha);
	for (size_t i = 1; i < t.nrows; i++) {
		if (strcmp(cell(&t, i, ilev), "1") != 0)
			continue;
		snprintf(ocha[n].code, sizeof(ocha[n].code), "%s",
		         cell(&t, i, icode));
		snprintf(ocha[n].name, sizeof(ocha[n].name), "%s",
		         cell(&t, i, iname));
		snprintf(ocha[n].country, sizeof(ocha[n].country), "%s",
		         cell(&t, i, iloc));
		n++;
	}
	free_table(&t);
	qsort(ocha, n, sizeof(*ocha), pcode_cmp);

	r = query(c, "SELECT pcode, country, name FROM admin1 ORDER BY pcode");
	for (int i = 0; i < PQntuples(r); i++) {
		struct pcode key, *hit;
		const char *code = PQgetvalue(r, i, 0);
		const char *cty = PQgetvalue(r, i, 1);
		const char *name = PQgetvalue(r, i, 2);

		snprintf(key.code, sizeof(key.code), "%s", code);
		hit = bsearch(&key, ocha, n, sizeof(*ocha), pcode_cmp);
		checked++;
		if (hit == NULL) {
			print_error("P-code %s (%s, %s): not in OCHA's list\n",
			            code, cty, name);
			bad++;
		} else if (strcmp(hit->country, cty) != 0) {
			print_error("P-code %s: ours %s, OCHA %s\n", code, cty,
			            hit->country);
			bad++;
		} else if (strcmp(cty, "KEN") == 0 &&
		           strcmp(hit->name, name) != 0) {
			print_error("P-code %s: name ours '%s', OCHA '%s'\n",
			            code, name, hit->name);
			bad++;
		} else if (strcasecmp(hit->name, name) != 0) {
			/* other countries: our spelling may correct OCHA's
			 * (e.g. "Nothern Cape"); shown, not failed */
			print_message("note: P-code %s: ours '%s', OCHA '%s'\n",
			              code, name, hit->name);
		}
	}
	PQclear(r);
	/* every OCHA admin-1 unit of Kenya and the route countries is ours */
	for (size_t i = 0; i < n; i++) {
		static const char *const route[] = {
			"KEN", "ETH", "TZA", "MWI", "MOZ", "ZMB", "ZWE", "ZAF",
			"SOM", "ERI"
		};
		for (size_t j = 0; j < sizeof(route) / sizeof(route[0]); j++) {
			const char *v[1] = { ocha[i].code };
			PGresult *q;

			if (strcmp(ocha[i].country, route[j]) != 0)
				continue;
			q = PQexecParams(c, "SELECT 1 FROM admin1 WHERE pcode "
			                 "= $1", 1, NULL, v, NULL, NULL, 0);
			assert_int_equal(PQresultStatus(q), PGRES_TUPLES_OK);
			if (PQntuples(q) != 1) {
				print_error("OCHA P-code %s (%s, %s) missing "
				            "from admin1\n", ocha[i].code,
				            ocha[i].country, ocha[i].name);
				bad++;
			}
			PQclear(q);
		}
	}
	free(ocha);
	PQfinish(c);
	assert_true(checked >= 47 + 13);
	if (bad > 0)
		fail_msg("%d P-code mismatch(es) with %s", bad, path);
}

static void test_kenya_centroids(void **state)
{
	char dir[4096], path[8192];
	json_error_t jerr;
	json_t *list;
	PGconn *c;
	int bad = 0, matched = 0;

	(void)state;
	data_path(OSM_DIR "/counties.json", path, sizeof(path));
	data_path(OSM_DIR "/counties", dir, sizeof(dir));
	c = db();
	list = json_load_file(path, 0, &jerr);
	if (list == NULL)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), 47);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(o,
		                                                     "name"));
		json_int_t code = json_integer_value(json_object_get(o,
		                                                     "code"));
		char pcode[16], want[128], ours[128], stem[256];
		const char *v[1] = { pcode };
		PGresult *r;
		DIR *d;
		struct dirent *e;
		double lat, lon, olat = NAN, olon = NAN;

		assert_non_null(name);
		snprintf(pcode, sizeof(pcode), "KE%03d", (int)code);
		r = PQexecParams(c, "SELECT name, lat, lon FROM admin1 WHERE "
		                 "pcode = $1", 1, NULL, v, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		if (PQntuples(r) != 1) {
			print_error("%s (%s): not in admin1\n", pcode, name);
			bad++;
			PQclear(r);
			continue;
		}
		squash(name, want, sizeof(want));
		squash(PQgetvalue(r, 0, 0), ours, sizeof(ours));
		if (strcmp(want, ours) != 0) {
			print_error("%s: name ours '%s', counties.json '%s'\n",
			            pcode, PQgetvalue(r, 0, 0), name);
			bad++;
		}
		lat = atof(PQgetvalue(r, 0, 1));
		lon = atof(PQgetvalue(r, 0, 2));
		PQclear(r);
		/* the county's file: stem equal to the name, squashed */
		d = opendir(dir);
		assert_non_null(d);
		while ((e = readdir(d)) != NULL) {
			json_t *f, *coords;
			size_t len = strlen(e->d_name);

			if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
				continue;
			snprintf(stem, sizeof(stem), "%.*s", (int)(len - 5),
			         e->d_name);
			squash(stem, stem, sizeof(stem));
			if (strcmp(stem, want) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			f = json_load_file(path, 0, &jerr);
			if (f == NULL)
				fail_msg("%s:%d: %s", path, jerr.line,
				         jerr.text);
			coords = json_object_get(json_object_get(f,
			                         "centroid"), "coordinates");
			/* GeoJSON order: [lon, lat] */
			olon = json_number_value(json_array_get(coords, 0));
			olat = json_number_value(json_array_get(coords, 1));
			json_decref(f);
		}
		closedir(d);
		if (isnan(olat)) {
			print_error("%s %s: no OSM county file in %s\n", pcode,
			            name, dir);
			bad++;
			continue;
		}
		matched++;
		if (km(lat, lon, olat, olon) > MAX_KM) {
			print_error("%s %s: centroid (%.3f, %.3f) is %.0f km "
			            "from OSM's (%.3f, %.3f); limit %.0f km\n",
			            pcode, name, lat, lon,
			            km(lat, lon, olat, olon), olat, olon,
			            MAX_KM);
			bad++;
		}
	}
	json_decref(list);
	PQfinish(c);
	if (bad > 0)
		fail_msg("%d county mismatch(es) with %s", bad, dir);
	assert_int_equal(matched, 47);
}

static void test_country_taxonomy(void **state)
{
	char path[4096];
	struct table t;
	size_t i2, i3, im;
	PGconn *c;
	int bad = 0, checked = 0;

	(void)state;
	data_path(TAXONOMY_FILE, path, sizeof(path));
	c = db();
	read_csv(path, &t);
	i2 = col(&t, "ISO 3166-1 Alpha 2-Codes");
	i3 = col(&t, "ISO 3166-1 Alpha 3-Codes");
	im = col(&t, "m49 numerical code");
	/* row 2 is the HXL hashtag row */
	assert_true(t.nrows > 200);
	assert_int_equal(cell(&t, 1, 0)[0], '#');
	for (size_t i = 2; i < t.nrows; i++) {
		const char *iso3 = cell(&t, i, i3);
		const char *v[1] = { iso3 };
		PGresult *r;

		if (iso3[0] == '\0')
			continue;   /* Kosovo, Sark, ...: no alpha-3 */
		checked++;
		r = PQexecParams(c, "SELECT coalesce(iso2, ''), "
		                 "coalesce(m49::text, '') FROM country "
		                 "WHERE iso3 = $1", 1, NULL, v, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		if (PQntuples(r) != 1) {
			print_error("%s: in the taxonomy, not in country\n",
			            iso3);
			bad++;
		} else if (strcmp(PQgetvalue(r, 0, 0), cell(&t, i, i2)) ||
		           atoi(PQgetvalue(r, 0, 1)) !=
		           atoi(cell(&t, i, im))) {
			print_error("%s: ours %s/%s, taxonomy %s/%s "
			            "(alpha-2/M49)\n", iso3,
			            PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
			            cell(&t, i, i2), cell(&t, i, im));
			bad++;
		}
		PQclear(r);
	}
	free_table(&t);
	PQfinish(c);
	assert_true(checked >= 249);
	if (bad > 0)
		fail_msg("%d country mismatch(es) with %s", bad, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kenya_counties),
		cmocka_unit_test(test_countries),
		cmocka_unit_test(test_gazetteer),
		cmocka_unit_test(test_synth_places),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_ocha_pcodes),
		cmocka_unit_test(test_kenya_centroids),
		cmocka_unit_test(test_country_taxonomy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
