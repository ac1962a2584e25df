/* etl/etl_deid.c: de-identification at the door (identifier columns, keyed
 * pseudonyms) and file hashing (include/corridor/etl.h). */
#include "corridor/etl.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Normalised names (cor_etl_colname) that are direct identifiers. */
static const char *const ident_exact[] = {
	"name", "names", "first_name", "firstname", "last_name", "lastname",
	"surname", "full_name", "fullname", "given_name", "family_name",
	"middle_name", "maiden_name", "father_name", "mother_name",
	"victim_name", "client_name", "person_name", "nickname", "alias",
	"phone", "phone_number", "mobile", "mobile_number", "telephone",
	"tel", "cell", "cellphone", "whatsapp", "contact", "contact_number",
	"email", "e_mail", "email_address", "mail",
	"id_number", "national_id", "national_id_number", "id_no", "idno",
	"passport", "passport_number", "passport_no", "identity_number",
	"document_number", "birth_certificate", "ssn", "nin",
	"alien_number", "refugee_id", "unhcr_id", "progres_id",
	"address", "street", "home_address", "street_address",
	"residential_address", "postal_address", "house_number",
	"gps", "gps_coordinates", "geopoint", "ip_address",
	NULL
};

/* Substrings that mark an identifier whatever the rest of the name. */
static const char *const ident_sub[] = {
	"phone", "email", "e_mail", "passport", "surname", "first_name",
	"last_name", "full_name", "given_name", "family_name", "address",
	"national_id", "whatsapp", NULL
};

static const char *const free_exact[] = {
	"note", "notes", "comment", "comments", "remark", "remarks",
	"narrative", "description", "story", "details", "free_text",
	"observations", "other_specify", "testimony", NULL
};

static const char *const dob_exact[] = {
	"date_of_birth", "dob", "birth_date", "birthdate", "birthday", NULL
};

static int in(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

int cor_etl_column_kind(const char *name)
{
	char n[160];

	cor_etl_colname(name, n, sizeof(n));
	if (in(n, dob_exact))
		return COR_COL_DOB;
	if (in(n, ident_exact))
		return COR_COL_IDENTIFIER;
	for (size_t i = 0; ident_sub[i] != NULL; i++)
		if (strstr(n, ident_sub[i]) != NULL)
			return COR_COL_IDENTIFIER;
	if (in(n, free_exact))
		return COR_COL_FREETEXT;
	return COR_COL_DATA;
}

int cor_etl_hmac_hex(const unsigned char *key, size_t keylen,
                     const char *msg, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hx[] = "0123456789abcdef";

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	         n, md, &mdlen) == NULL || mdlen != 32)
		return COR_EFAIL;
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

int cor_etl_key_load(unsigned char *key, size_t cap, size_t *len,
                     cor_err *err)
{
	const char *v = getenv("CORRIDOR_HMAC_KEY");
	const char *path = getenv("CORRIDOR_HMAC_KEY_FILE");
	size_t n;

	if (v != NULL && *v != '\0') {
		n = strlen(v);
		if (n > cap)
			return cor_err_set(err, COR_EDATA, "CORRIDOR_HMAC_KEY "
			                   "is longer than %zu bytes", cap);
		memcpy(key, v, n);
	} else if (path != NULL && *path != '\0') {
		FILE *fp = fopen(path, "rb");

		if (fp == NULL)
			return cor_err_at(err, COR_EIO, path, 0, NULL,
			                  "cannot read the pseudonym key file: "
			                  "%s", strerror(errno));
		n = fread(key, 1, cap, fp);
		if (ferror(fp) || fgetc(fp) != EOF) {
			fclose(fp);
			return cor_err_at(err, COR_EDATA, path, 0, NULL,
			                  "pseudonym key file unreadable or "
			                  "longer than %zu bytes", cap);
		}
		fclose(fp);
		if (n > 0 && key[n - 1] == '\n')
			n--;
		if (n > 0 && key[n - 1] == '\r')
			n--;
	} else {
		return cor_err_set(err, COR_ENOTFOUND, "no pseudonym key: set "
		                   "CORRIDOR_HMAC_KEY or "
		                   "CORRIDOR_HMAC_KEY_FILE");
	}
	if (n < 16)
		return cor_err_set(err, COR_EDATA, "the pseudonym key is "
		                   "shorter than 16 bytes");
	*len = n;
	return 0;
}

int cor_etl_file_sha256(const char *path, char *hex, uint64_t *bytes,
                        cor_err *err)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *fp = NULL;
	char *buf = NULL;
	uint64_t total = 0;
	size_t n;
	int rc = COR_EIO;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		cor_err_at(err, COR_EIO, path, 0, NULL, "cannot open: %s",
		           strerror(errno));
		goto out;
	}
	buf = malloc(1 << 20);
	ctx = EVP_MD_CTX_new();
	if (buf == NULL || ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = cor_err_set(err, COR_ENOMEM, "cannot start SHA-256");
		goto out;
	}
	while ((n = fread(buf, 1, 1 << 20, fp)) > 0) {
		if (EVP_DigestUpdate(ctx, buf, n) != 1) {
			rc = cor_err_set(err, COR_EFAIL, "SHA-256 failed");
			goto out;
		}
		total += n;
	}
	if (ferror(fp)) {
		cor_err_at(err, COR_EIO, path, 0, NULL, "read error: %s",
		           strerror(errno));
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		rc = cor_err_set(err, COR_EFAIL, "SHA-256 failed");
		goto out;
	}
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = hx[md[i] >> 4];
		hex[2 * i + 1] = hx[md[i] & 15];
	}
	hex[64] = '\0';
	if (bytes != NULL)
		*bytes = total;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

struct cor_etl_pseudo {
	EVP_MD_CTX *inner;   /* SHA-256 state after (key ^ ipad) */
	EVP_MD_CTX *outer;   /* SHA-256 state after (key ^ opad) */
	EVP_MD_CTX *work;
};

void cor_etl_pseudo_free(cor_etl_pseudo *p)
{
	if (p == NULL)
		return;
	EVP_MD_CTX_free(p->inner);
	EVP_MD_CTX_free(p->outer);
	EVP_MD_CTX_free(p->work);
	free(p);
}

cor_etl_pseudo *cor_etl_pseudo_new(const unsigned char *key, size_t keylen)
{
	unsigned char k[64], pad[64];
	unsigned int klen = 0;
	cor_etl_pseudo *p = calloc(1, sizeof(*p));
	int ok;

	if (p == NULL)
		return NULL;
	memset(k, 0, sizeof(k));
	/* RFC 2104: keys longer than the block size are hashed first */
	if (keylen > 64) {
		if (EVP_Digest(key, keylen, k, &klen, EVP_sha256(), NULL) != 1)
			goto fail;
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	p->inner = EVP_MD_CTX_new();
	p->outer = EVP_MD_CTX_new();
	p->work = EVP_MD_CTX_new();
	if (p->inner == NULL || p->outer == NULL || p->work == NULL)
		goto fail;
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	ok = EVP_DigestInit_ex(p->inner, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(p->inner, pad, 64) == 1;
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && EVP_DigestInit_ex(p->outer, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(p->outer, pad, 64) == 1;
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
	if (!ok)
		goto fail;
	return p;
fail:
	cor_etl_pseudo_free(p);
	return NULL;
}

int cor_etl_pseudo_hex(cor_etl_pseudo *p, const char *msg, size_t n,
                       char *out)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_MD_CTX_copy_ex(p->work, p->inner) != 1 ||
	    EVP_DigestUpdate(p->work, msg, n) != 1 ||
	    EVP_DigestFinal_ex(p->work, md, &len) != 1 || len != 32 ||
	    EVP_MD_CTX_copy_ex(p->work, p->outer) != 1 ||
	    EVP_DigestUpdate(p->work, md, 32) != 1 ||
	    EVP_DigestFinal_ex(p->work, md, &len) != 1 || len != 32)
		return COR_EFAIL;
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}
