-- corridor migration 006: Kenyan counties of each case, and quarterly
-- counts per batch, for fast county and trend statistics.
--
-- 1. case_record.counties: the sorted, distinct Kenyan county P-codes
--    (admin1 of country KEN) a case touches: its identification_county,
--    its origin_admin1, and the admin1 of every route place. `corridor
--    stats --county X` (and the county briefs) select
--      counties @> ARRAY[X]
--    which for every Kenyan county X is the same set of rows as
--      identification_county = X OR origin_admin1 = X
--      OR route && ARRAY(SELECT id FROM place WHERE admin1 = X)
--    (tests/db/test_stats.c compares the two), found through a GIN index
--    instead of testing every route. `corridor load` fills it for case
--    files (etl/fmt_cases.c, from the gazetteer it already holds); formats
--    without places (CTDC) get the default '{}', which is exact for them.
--    NULL means "not computed": rows loaded before this migration are
--    filled below, once. Rows written by other means than `corridor load`
--    must set it (cor_case_counties); v_case_counties_stale lists any row
--    whose value differs from the definition. It must be empty.
ALTER TABLE case_record ADD COLUMN counties text[];

-- The definition (used for the back-fill and the check view; the loader
-- computes the same set in C). Sorted by byte order (COLLATE "C", as the
-- loader's strcmp) so that equal sets are equal arrays.
CREATE FUNCTION cor_case_counties(p_idc text, p_origin_admin1 text,
                                  p_route text[]) RETURNS text[]
LANGUAGE sql STABLE AS $$
	SELECT ARRAY(
		SELECT k.pcode FROM admin1 k
		WHERE k.country = 'KEN'
		  AND (k.pcode = p_idc OR k.pcode = p_origin_admin1
		       OR k.pcode IN (SELECT p.admin1 FROM place p
		                      WHERE p.id = ANY (p_route)))
		ORDER BY k.pcode COLLATE "C")
$$;

UPDATE case_record
SET counties = cor_case_counties(identification_county, origin_admin1,
                                 route)
WHERE counties IS NULL;

ALTER TABLE case_record ALTER COLUMN counties SET DEFAULT '{}';

-- A county selects a few per cent of the rows: GIN on the array, combined
-- with case_record_reg (registration_date) by a bitmap AND for a quarter.
CREATE INDEX case_record_counties ON case_record USING gin (counties);

CREATE VIEW v_case_counties_stale AS
SELECT c.id AS case_id, c.batch_id, c.counties,
       cor_case_counties(c.identification_county, c.origin_admin1, c.route)
           AS expected
FROM case_record c
WHERE c.counties IS DISTINCT FROM
      cor_case_counties(c.identification_county, c.origin_admin1, c.route);

REVOKE ALL ON v_case_counties_stale FROM PUBLIC;

-- 2. case_quarter_count: case counts per batch, calendar quarter of
--    registration_date (its first day; NULL when the case has no date)
--    and the dimensions `corridor stats` filters on (case type, sex,
--    minor, citizenship, counties) plus the synthetic flag. The trend
--    series and the overview's previous-period and year-earlier counts
--    read it when their windows are whole quarters and their filters are
--    among these dimensions (analysis/stats_query.c), instead of counting
--    every case of three years again. `corridor load` fills a batch's rows
--    in the load's transaction (cor_count_batch); cor_purge_batch deletes
--    them with the batch's cases. Like every view, readers join active
--    batches.
CREATE TABLE case_quarter_count (
    batch_id     bigint NOT NULL,
    quarter      date,
    case_type    text NOT NULL,
    sex          text,
    is_minor     boolean,
    citizenship  char(3),
    counties     text[],
    synthetic    boolean NOT NULL,
    n            bigint NOT NULL CHECK (n > 0)
);
CREATE INDEX case_quarter_count_batch ON case_quarter_count (batch_id);

INSERT INTO case_quarter_count
SELECT batch_id, date_trunc('quarter', registration_date)::date, case_type,
       sex, is_minor, citizenship, counties, synthetic, count(*)
FROM case_record
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- The loader may not read case_record (003): the owner's functions count
-- and purge for it. cor_count_batch replaces the batch's counts, so a
-- second call changes nothing.
DO $do$
BEGIN
	EXECUTE format($f$
CREATE FUNCTION cor_count_batch(p_batch bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $b$
DECLARE
	n bigint;
BEGIN
	DELETE FROM case_quarter_count WHERE batch_id = p_batch;
	INSERT INTO case_quarter_count
	SELECT batch_id, date_trunc('quarter', registration_date)::date,
	       case_type, sex, is_minor, citizenship, counties, synthetic,
	       count(*)
	FROM case_record
	WHERE batch_id = p_batch
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$b$
$f$, current_schema());
	EXECUTE format($f$
CREATE OR REPLACE FUNCTION cor_purge_batch(p_batch bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $b$
DECLARE
	n bigint;
	total bigint := 0;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM batch WHERE id = p_batch
	               AND NOT active) THEN
		RAISE EXCEPTION 'batch %% is not an inactive batch', p_batch
			USING ERRCODE = '22023';
	END IF;
	DELETE FROM case_record WHERE batch_id = p_batch;
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;
	DELETE FROM case_quarter_count WHERE batch_id = p_batch;
	DELETE FROM incident WHERE batch_id = p_batch;
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;
	DELETE FROM od_stock WHERE batch_id = p_batch;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN total + n;
END
$b$
$f$, current_schema());
END
$do$;

COMMENT ON FUNCTION cor_count_batch(bigint) IS
    'Replaces the case_quarter_count rows of a batch by counts of its '
    'case_record rows (corridor load); returns the number of count rows.';

REVOKE ALL ON FUNCTION cor_count_batch(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cor_count_batch(bigint) TO corridor_loader;
REVOKE ALL ON case_quarter_count FROM PUBLIC;
GRANT SELECT ON case_quarter_count TO corridor_analyst;
GRANT INSERT ON case_quarter_count TO corridor_loader;
