/* include/corridor/synth.h: synthetic Southern Route case records in the
 * canonical case format (docs/format-cases.md). Implemented in etl/synth.c.
 * The distributions are stated in docs/synth.md and `corridor synth --help`.
 * Every record is marked synthetic (column synthetic = 1, reporting_org
 * "corridor synth (SYNTHETIC)", case_id "SYN-<seed>-<n>"). */
#ifndef COR_SYNTH_H
#define COR_SYNTH_H

#include <stddef.h>
#include <stdio.h>

#include "corridor/core.h"

/* Number of columns corridor synth writes (all of docs/format-cases.md's
 * columns, in its order). */
#define COR_SYNTH_NCOLS 25

/* Generation request. Quarters are calendar quarters (q = 1..4). */
typedef struct cor_synth_opts {
	unsigned long n_cases;  /* rows to write (0 = header only) */
	unsigned long seed;     /* PRNG seed (GSL mt19937) */
	int from_year, from_q;  /* first quarter of registration dates */
	int to_year, to_q;      /* last quarter, inclusive, >= first */
} cor_synth_opts;

/* Parses a quarter "2019Q4" (also "2019q4"; year 1900..2999) into *year
 * and *q (1..4). Returns 0, or COR_EINVAL with err naming the text; *year
 * and *q untouched on error. */
int cor_synth_parse_quarter(const char *s, int *year, int *q, cor_err *err);

/* Writes a header line and o->n_cases case rows (CSV, RFC 4180, UTF-8, LF
 * line ends, ASCII only) to fp. Deterministic: the same opts give the same
 * bytes (GSL mt19937 seeded with o->seed via gsl_rng_set; GSL's gamma,
 * lognormal and discrete samplers; no clock, locale or address enters the
 * output). Registration dates fall in [from, to]; route step dates are
 * ascending and not after registration_date.
 * Memory: one 1 MiB output buffer and the GSL tables, allocated once (no
 * allocation per row). fp is borrowed; it is flushed but not closed.
 * Returns 0; COR_EINVAL for bad opts (to before from, seed or n out of
 * range); COR_ENOMEM; COR_EIO when a write fails (err names errno's text;
 * the output is then incomplete). */
int cor_synth_write(FILE *fp, const cor_synth_opts *o, cor_err *err);

/* The i-th gazetteer place id (i = 0, 1, ...) that corridor synth can put
 * on a route, with the ISO 3166-1 alpha-3 country and admin-1 P-code it
 * assumes for it in *country and *admin1 (either may be NULL to skip).
 * These must agree with sql/002_reference.sql's place table; the database
 * tests check that. Returns a static string, or NULL when i is past the
 * last place (outputs then untouched). */
const char *cor_synth_place(size_t i, const char **country,
                            const char **admin1);

#endif /* COR_SYNTH_H */
