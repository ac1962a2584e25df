-- corridor migration 007: a large batch of case records gets a table of
-- its own, an inheritance child of case_record.
--
-- Why. Writing 1M case rows into case_record cost the server ~7 s: every
-- row updated the primary key, the registration-date B-tree and the GIN
-- index on counties one entry at a time, and every page was written twice
-- (table and WAL). Into a table created in the load's own transaction with
-- no index yet, the same COPY took ~2.8 s (COPY ... FREEZE; with
-- wal_level = minimal, as the private cluster of scripts/pgcluster.sh runs,
-- PostgreSQL also skips WAL for such a table and syncs its file at commit),
-- and building the three indexes afterwards ~1.1 s (make bench).
--
-- How. `corridor load` (etl/etl_load.c) decides from the file's size (a
-- case file of 8 MiB or more, about 23,000 rows; smaller files go straight
-- into case_record as before):
--   1. inserts the batch row, then cor_batch_table_create(batch) creates
--      case_record_b<batch>: the columns, defaults and CHECK constraints of
--      case_record plus CHECK (batch_id = <batch>);
--   2. COPYs the rows into it with FREEZE;
--   3. cor_batch_table_attach(batch) builds its primary key, its
--      registration-date B-tree and its GIN index on counties, and makes it
--      a child of case_record (ALTER TABLE ... INHERIT);
--   4. commits: the batch row and its table appear together or not at all.
-- Every query of case_record (views, statistics) reads the children too
-- (no ONLY anywhere); the CHECK on batch_id lets the planner skip a child
-- whose batch a query excludes. Privileges are checked on case_record
-- only, as for any inheritance child; the loader may only INSERT into the
-- table of the batch it is loading. Ids come from case_record's sequence,
-- so they stay unique across children (each child's primary key checks its
-- own rows).
--
-- cor_purge_batch (--replace) now drops the child table of an inactive
-- batch, and deletes its rows from case_record itself for batches loaded
-- there.

DO $do$
BEGIN
	-- the table name of a batch being loaded (inserted, not yet
	-- finished); an error for any other batch. Owner only: called by the
	-- two functions below, which run as the owner.
	EXECUTE format($f$
CREATE FUNCTION cor_batch_loading_table(p_batch bigint) RETURNS text
LANGUAGE plpgsql SET search_path = %I, pg_temp AS $b$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM batch WHERE id = p_batch AND active
	               AND finished_at IS NULL) THEN
		RAISE EXCEPTION 'batch %% is not a batch being loaded', p_batch
			USING ERRCODE = '22023';
	END IF;
	RETURN 'case_record_b' || p_batch;
END
$b$
$f$, current_schema());
	EXECUTE format($f$
CREATE FUNCTION cor_batch_table_create(p_batch bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $b$
DECLARE
	-- never in a plpgsql EXCEPTION block: COPY FREEZE needs the table
	-- created in the caller's (sub)transaction
	t text := cor_batch_loading_table(p_batch);
BEGIN
	EXECUTE format('CREATE TABLE %%I (LIKE case_record INCLUDING DEFAULTS'
	               ' INCLUDING CONSTRAINTS, CONSTRAINT %%I'
	               ' CHECK (batch_id = %%L::bigint))',
	               t, t || '_batch', p_batch);
	EXECUTE format('REVOKE ALL ON %%I FROM PUBLIC', t);
	EXECUTE format('GRANT INSERT ON %%I TO corridor_loader', t);
	RETURN t;
END
$b$
$f$, current_schema());
	EXECUTE format($f$
CREATE FUNCTION cor_batch_table_attach(p_batch bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = %I, pg_temp
SET maintenance_work_mem = '256MB' AS $b$
DECLARE
	t text := cor_batch_loading_table(p_batch);
BEGIN
	IF to_regclass(t) IS NULL THEN
		RAISE EXCEPTION 'batch %% has no table %%', p_batch, t
			USING ERRCODE = '42P01';
	END IF;
	EXECUTE format('ALTER TABLE %%I ADD PRIMARY KEY (id)', t);
	EXECUTE format('CREATE INDEX %%I ON %%I (registration_date)',
	               t || '_reg', t);
	EXECUTE format('CREATE INDEX %%I ON %%I USING gin (counties)',
	               t || '_counties', t);
	EXECUTE format('ALTER TABLE %%I INHERIT case_record', t);
	RETURN t;
END
$b$
$f$, current_schema());
	EXECUTE format($f$
CREATE OR REPLACE FUNCTION cor_purge_batch(p_batch bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $b$
DECLARE
	n bigint;
	total bigint := 0;
	t text := 'case_record_b' || p_batch;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM batch WHERE id = p_batch
	               AND NOT active) THEN
		RAISE EXCEPTION 'batch %% is not an inactive batch', p_batch
			USING ERRCODE = '22023';
	END IF;
	IF to_regclass(t) IS NOT NULL THEN
		EXECUTE format('SELECT count(*) FROM %%I', t) INTO n;
		total := total + n;
		EXECUTE format('DROP TABLE %%I', t);
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

COMMENT ON FUNCTION cor_batch_table_create(bigint) IS
    'Creates case_record_b<batch>, the empty table of a batch being loaded '
    '(corridor load of a large case file); returns its name.';
COMMENT ON FUNCTION cor_batch_table_attach(bigint) IS
    'Indexes case_record_b<batch> and makes it an inheritance child of '
    'case_record (corridor load, after the COPY); returns its name.';

REVOKE ALL ON FUNCTION cor_batch_loading_table(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION cor_batch_table_create(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION cor_batch_table_attach(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cor_batch_table_create(bigint) TO corridor_loader;
GRANT EXECUTE ON FUNCTION cor_batch_table_attach(bigint) TO corridor_loader;
