/* etl/etl_ref.c: reference tables (country, admin1, place, place_alias)
 * held in memory for one load, in small open-addressing hash tables. */
#include "etl_int.h"

#include <stdlib.h>
#include <string.h>

#include "corridor/db.h"

/* Hash of s[0..n): eight bytes at a time, each word mixed by a multiply
 * and a fold of the high half (the keys are short codes and place ids;
 * byte-at-a-time FNV-1a was a tenth of the loader's CPU with its
 * look-ups). Any 64-bit mix would do: only equality of keys matters. */
static uint64_t hash_n(const char *s, size_t n)
{
	const uint64_t k = 0x9E3779B97F4A7C15ULL;
	uint64_t h = 0x243F6A8885A308D3ULL ^ (n * k);

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	if (n > 0) {
		/* 1..7 bytes without a variable-length memcpy (a call) */
		uint64_t w;

		if (n >= 4) {
			uint32_t a, b;

			memcpy(&a, s, 4);
			memcpy(&b, s + n - 4, 4);
			w = (uint64_t)a | (uint64_t)b << 32;
		} else {
			w = (uint64_t)(unsigned char)s[0] |
			    (uint64_t)(unsigned char)s[n / 2] << 8 |
			    (uint64_t)(unsigned char)s[n - 1] << 16;
		}
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h *= 0xBF58476D1CE4E5B9ULL;
	return h ^ (h >> 31);
}

static int grow(cor_hash *h)
{
	size_t ncap = h->cap ? h->cap * 2 : 64;
	struct cor_hent *nt = calloc(ncap, sizeof(*nt));

	if (nt == NULL)
		return COR_ENOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		size_t j;

		if (h->tab[i].key == NULL)
			continue;
		j = h->tab[i].hash & (ncap - 1);
		while (nt[j].key != NULL)
			j = (j + 1) & (ncap - 1);
		nt[j] = h->tab[i];
	}
	free(h->tab);
	h->tab = nt;
	h->cap = ncap;
	return 0;
}

static struct cor_hent *slot(const cor_hash *h, const char *key, size_t n,
                              uint64_t hash)
{
	size_t j;

	if (h->cap == 0)
		return NULL;
	j = hash & (h->cap - 1);
	while (h->tab[j].key != NULL && (h->tab[j].hash != hash ||
	                                 h->tab[j].len != n ||
	                                 memcmp(h->tab[j].key, key, n) != 0))
		j = (j + 1) & (h->cap - 1);
	return &h->tab[j];
}

const struct cor_hent *cor_hash_getn(const cor_hash *h, const char *key,
                                     size_t n)
{
	struct cor_hent *e = slot(h, key, n, hash_n(key, n));

	return (e != NULL && e->key != NULL) ? e : NULL;
}

const struct cor_hent *cor_hash_get(const cor_hash *h, const char *key)
{
	return cor_hash_getn(h, key, strlen(key));
}

/* Inserts or replaces key. */
int cor_hash_put(cor_hash *h, const char *key, const char *val, int flag)
{
	struct cor_hent *e;
	char *v = NULL;
	uint64_t hash;
	size_t n;

	if ((h->n + 1) * 10 > h->cap * 7 && grow(h) != 0)
		return COR_ENOMEM;
	n = strlen(key);
	hash = hash_n(key, n);
	e = slot(h, key, n, hash);
	if (val != NULL && (v = strdup(val)) == NULL)
		return COR_ENOMEM;
	if (e->key == NULL) {
		e->key = strdup(key);
		if (e->key == NULL) {
			free(v);
			return COR_ENOMEM;
		}
		e->hash = hash;
		e->len = n;
		h->n++;
	} else {
		free(e->val);
	}
	e->val = v;
	e->flag = flag;
	return 0;
}

void cor_hash_free(cor_hash *h)
{
	for (size_t i = 0; i < h->cap; i++) {
		free(h->tab[i].key);
		free(h->tab[i].val);
	}
	free(h->tab);
	memset(h, 0, sizeof(*h));
}

void cor_ref_free(cor_ref *ref)
{
	cor_hash_free(&ref->iso3);
	cor_hash_free(&ref->iso2);
	cor_hash_free(&ref->admin1);
	cor_hash_free(&ref->place);
	cor_hash_free(&ref->place_id);
}

size_t cor_ref_place_key(const char *s, char *out, size_t n)
{
	char tmp[512];
	size_t o = 0;

	cor_etl_fold(s, tmp, sizeof(tmp));
	for (const char *p = tmp; *p && o + 1 < n; p++) {
		if (*p == '\'')
			continue;
		/* U+2019 RIGHT SINGLE QUOTATION MARK, U+2018 */
		const unsigned char *u = (const unsigned char *)p;

		if (u[0] == 0xE2 && u[1] == 0x80 &&
		    (u[2] == 0x99 || u[2] == 0x98)) {
			p += 2;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return o;
}

/* Adds a place key; a key naming two places becomes ambiguous and keeps
 * the candidate list (for the reject reason). */
static int add_place_key(cor_hash *h, const char *raw, const char *id)
{
	char key[512], cand[512];
	const struct cor_hent *e;

	if (cor_ref_place_key(raw, key, sizeof(key)) == 0)
		return 0;
	e = cor_hash_get(h, key);
	if (e == NULL)
		return cor_hash_put(h, key, id, 0);
	if (e->flag == 0 && strcmp(e->val, id) == 0)
		return 0;
	if (e->flag == 1 && strstr(e->val, id) != NULL)
		return 0;
	snprintf(cand, sizeof(cand), "%s, %s", e->val, id);
	return cor_hash_put(h, key, cand, 1);
}

static PGresult *q(PGconn *conn, const char *sql, cor_err *err)
{
	return cor_db_query(conn, sql, 0, NULL, PGRES_TUPLES_OK, err);
}

int cor_ref_load(PGconn *conn, cor_ref *ref, cor_err *err)
{
	PGresult *res = NULL;
	int rc = COR_OK;

	memset(ref, 0, sizeof(*ref));
	res = q(conn, "SELECT iso3, iso2 FROM country", err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		rc = cor_hash_put(&ref->iso3, PQgetvalue(res, i, 0), NULL, 0);
		if (rc == 0 && !PQgetisnull(res, i, 1))
			rc = cor_hash_put(&ref->iso2, PQgetvalue(res, i, 1),
			                  PQgetvalue(res, i, 0), 0);
	}
	PQclear(res);
	res = NULL;
	if (rc != 0)
		goto out;
	res = q(conn, "SELECT pcode, country FROM admin1", err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = cor_hash_put(&ref->admin1, PQgetvalue(res, i, 0),
		                  PQgetvalue(res, i, 1), 0);
	PQclear(res);
	res = NULL;
	if (rc != 0)
		goto out;
	/* the keys of view place_key (sql/002_reference.sql), computed here
	 * so that the loader's normalisation is the one applied */
	res = q(conn, "SELECT id, name, name_local, admin1 FROM place "
	        "UNION ALL SELECT place, alias, NULL, NULL FROM place_alias",
	        err);
	if (res == NULL) {
		rc = COR_EDB;
		goto out;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *id = PQgetvalue(res, i, 0);

		const char *county = NULL;

		/* place -> Kenyan county (sql/006: case_record.counties) */
		if (!PQgetisnull(res, i, 3)) {
			const struct cor_hent *a = cor_hash_get(&ref->admin1,
			        PQgetvalue(res, i, 3));

			if (a != NULL && strcmp(a->val, "KEN") == 0)
				county = a->key;
		}
		rc = add_place_key(&ref->place, id, id);
		/* alias rows (no admin1) must not clear a place's county */
		if (rc == 0 && (county != NULL ||
		                cor_hash_get(&ref->place_id, id) == NULL))
			rc = cor_hash_put(&ref->place_id, id, county, 0);
		if (rc == 0)
			rc = add_place_key(&ref->place, PQgetvalue(res, i, 1),
			                   id);
		if (rc == 0 && !PQgetisnull(res, i, 2))
			rc = add_place_key(&ref->place, PQgetvalue(res, i, 2),
			                   id);
	}
	PQclear(res);
	res = NULL;
out:
	if (rc == COR_ENOMEM)
		cor_err_set(err, COR_ENOMEM, "out of memory (reference data)");
	if (rc != 0)
		cor_ref_free(ref);
	return rc;
}
