-- corridor schema, migration 004: loading speed and --replace for the
-- loader role.
--
-- 1. case_record loses its foreign keys.
--    `corridor load` checks every code of every row against the reference
--    tables before the row is sent: it reads country, admin1 and the
--    gazetteer (place, place_alias) into memory inside the load's
--    transaction and rejects a row whose citizenship, origin_country,
--    intended_destination or country_of_exploitation is not a country.iso3,
--    whose origin_admin1 or identification_county is not an admin1.pcode,
--    or whose interception_place (or any route step) is not a place.id
--    (etl/fmt_cases.c, etl/fmt_ctdc.c). batch_id is the batch row the same
--    transaction inserted just before its COPY (etl/etl_load.c). The
--    per-row FK triggers repeated that work on the server, one index probe
--    per key per row: at 200k rows the 7 reference keys cost 2.1 s of 5.3 s
--    and the batch key another 0.4 s of server CPU, more than psql's whole
--    \copy of the file (docs/formats.md). The CHECK constraints stay
--    (cheap, no lookups).
--    Rows written by other means than `corridor load` are no longer checked
--    by the server, and deleting a batch no longer cascades to its case
--    rows (nothing in corridor deletes batches; --replace deactivates them
--    and cor_purge_batch below deletes their rows; every view joins active
--    batches). v_case_ref_problems (below) lists any row whose codes or
--    batch are not in the referenced tables, e.g. after a reference table
--    was edited. It must be empty.
ALTER TABLE case_record
    DROP CONSTRAINT IF EXISTS case_record_batch_id_fkey,
    DROP CONSTRAINT IF EXISTS case_record_citizenship_fkey,
    DROP CONSTRAINT IF EXISTS case_record_origin_country_fkey,
    DROP CONSTRAINT IF EXISTS case_record_origin_admin1_fkey,
    DROP CONSTRAINT IF EXISTS case_record_interception_place_fkey,
    DROP CONSTRAINT IF EXISTS case_record_identification_county_fkey,
    DROP CONSTRAINT IF EXISTS case_record_intended_destination_fkey,
    DROP CONSTRAINT IF EXISTS case_record_country_of_exploitation_fkey;

-- Rows arrive batch by batch, so batch_id follows the physical order of the
-- table: a BRIN index (one summary per 128 pages) finds a batch's rows for
-- --replace and costs almost nothing per inserted row, where the B-tree
-- cost about 10% of the server's time in a load.
DROP INDEX IF EXISTS case_record_batch;
CREATE INDEX case_record_batch ON case_record USING brin (batch_id);

-- One row per case value that names no reference row: case id, batch,
-- column, value (route steps one by one). Owner only, like case_record.
CREATE VIEW v_case_ref_problems AS
SELECT c.id AS case_id, c.batch_id, 'batch_id' AS column_name,
       c.batch_id::text AS value
FROM case_record c
WHERE NOT EXISTS (SELECT 1 FROM batch b WHERE b.id = c.batch_id)
UNION ALL
SELECT c.id, c.batch_id, v.column_name, v.value
FROM case_record c
CROSS JOIN LATERAL (VALUES
        ('citizenship', c.citizenship::text),
        ('origin_country', c.origin_country::text),
        ('intended_destination', c.intended_destination::text),
        ('country_of_exploitation', c.country_of_exploitation::text))
    AS v(column_name, value)
WHERE v.value IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM country k WHERE k.iso3 = v.value)
UNION ALL
SELECT c.id, c.batch_id, v.column_name, v.value
FROM case_record c
CROSS JOIN LATERAL (VALUES
        ('origin_admin1', c.origin_admin1),
        ('identification_county', c.identification_county))
    AS v(column_name, value)
WHERE v.value IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM admin1 a WHERE a.pcode = v.value)
UNION ALL
SELECT c.id, c.batch_id, 'interception_place', c.interception_place
FROM case_record c
WHERE c.interception_place IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM place p WHERE p.id = c.interception_place)
UNION ALL
SELECT c.id, c.batch_id, 'route', s.place
FROM case_record c, unnest(c.route) AS s(place)
WHERE s.place IS NULL
   OR NOT EXISTS (SELECT 1 FROM place p WHERE p.id = s.place);

REVOKE ALL ON v_case_ref_problems FROM PUBLIC;

-- 2. `--replace` as corridor_loader. The loader marks the old batch
--    inactive (UPDATE batch, granted in 003) and then must delete that
--    batch's rows. Granting DELETE (and SELECT on batch_id, which a
--    DELETE ... WHERE batch_id = $1 needs) on the raw tables would also let
--    the role empty case_record outright; 003 deliberately withholds that
--    (tests/db/test_reference.c: DELETE FROM case_record as the loader is
--    refused). Instead the owner's function below deletes only the rows of
--    a batch that is already inactive, and the loader may call it.
--    Rejects of a replaced batch stay, listed under the inactive batch.
DO $do$
BEGIN
	EXECUTE format($f$
CREATE FUNCTION cor_purge_batch(p_batch bigint) RETURNS bigint
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

COMMENT ON FUNCTION cor_purge_batch(bigint) IS
    'Deletes the case_record, incident and od_stock rows of an inactive '
    'batch (corridor load --replace); returns the number of rows deleted.';

REVOKE ALL ON FUNCTION cor_purge_batch(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cor_purge_batch(bigint) TO corridor_loader;
