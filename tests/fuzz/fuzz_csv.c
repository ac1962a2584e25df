/* tests/fuzz/fuzz_csv.c: libFuzzer harness for the CSV reader and the cell
 * parsers of etl/ (STYLE: "a libFuzzer harness for the CSV reader").
 * Build and run with `make fuzz` (clang; FUZZ_SECONDS, default 60). Each
 * input is read as a CSV file in UTF-8 mode and in cp1252 mode; every
 * field of every record goes through the date, number, coordinate and
 * boolean parsers. A crash, sanitizer report or leak is a finding; a
 * COR_EDATA result is the expected answer to most inputs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "corridor/core.h"
#include "corridor/etl.h"

static int on_record(void *ud, const cor_etl_record *rec, cor_err *err)
{
	size_t *cells = ud;

	(void)err;
	(void)cor_etl_is_hxl_row(rec);
	for (size_t i = 0; i < rec->nfields; i++) {
		const char *s = rec->field[i];
		const char *why = NULL;
		int32_t days;
		int64_t iv;
		double d, lat, lon;
		int b;

		if (strlen(s) != rec->len[i])
			__builtin_trap();   /* NUL inside a field: reader bug */
		(void)cor_etl_parse_date(s, COR_DATE_AUTO, &days, &why);
		(void)cor_etl_parse_int(s, (int)(i & 1), 1, &iv, &why);
		(void)cor_etl_parse_decimal(s, (int)(i & 1), &d, &why);
		(void)cor_etl_parse_cents(s, 0, &iv, &why);
		(void)cor_etl_parse_coords(s, &lat, &lon, &why);
		(void)cor_etl_parse_bool(s, &b, &why);
		(void)cor_etl_is_missing(s);
		(*cells)++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int enc[] = { COR_ENC_UTF8, COR_ENC_CP1252 };

	if (size == 0)
		return 0;
	for (size_t e = 0; e < sizeof(enc) / sizeof(enc[0]); e++) {
		cor_etl_csv_opts o = { enc[e], 0 };
		cor_err err;
		size_t cells = 0;
		FILE *fp = fmemopen((void *)data, size, "rb");

		if (fp == NULL)
			return 0;
		cor_err_clear(&err);
		(void)cor_etl_csv_read(fp, "fuzz.csv", &o, on_record, &cells,
		                       NULL, &err);
		fclose(fp);
	}
	return 0;
}
