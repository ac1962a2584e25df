-- corridor schema, migration 003: aggregate views and group roles.
--
-- Raw case rows (case_record, and the route_step view over it) are readable
-- only by their owner, the role that ran `corridor db init`. Two NOLOGIN
-- group roles are granted to login roles by the DBA:
--   corridor_loader   writes batches, rejects, case records, incidents and
--                     stocks; reads only what loading needs (reference
--                     tables for validation, batch for idempotency).
--   corridor_analyst  reads the aggregate views below, reference tables,
--                     incidents, stocks, batches and rejects; never a case
--                     row.
-- The aggregate views return GROUP BY counts only: no case id, no date finer
-- than a quarter, no age finer than a CTDC band. They still hold small
-- counts; every published output goes through corridor's disclosure control
-- (primary and complementary suppression, k = 5 by default).
-- quarter is the calendar quarter of registration_date as recorded
-- ('2019Q4'), independent of the session time zone (date, not timestamptz).
-- Only rows of active batches count (a batch replaced by --replace is
-- inactive).

-- Cases per quarter by the dimensions `corridor stats` filters and groups on.
CREATE VIEW v_cases_by_quarter AS
SELECT to_char(c.registration_date, 'YYYY"Q"Q') AS quarter,
       c.registration_year AS year,
       c.batch_id,
       c.synthetic,
       c.case_type,
       c.trafficking_status,
       c.sex,
       c.age_band,
       c.is_minor,
       c.citizenship,
       c.origin_country,
       c.origin_admin1,
       c.identification_county AS county,
       c.intended_destination,
       c.country_of_exploitation,
       c.recruiter_relationship,
       c.nrm_referral,
       count(*)::bigint AS n
FROM case_record c
JOIN batch b ON b.id = c.batch_id AND b.active
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17;

-- Flow on each leg: consecutive pairs of places on recorded routes.
CREATE VIEW v_segment_flow AS
SELECT to_char(c.registration_date, 'YYYY"Q"Q') AS quarter,
       c.batch_id,
       c.synthetic,
       c.case_type,
       c.route[s.seq] AS from_place,
       c.route[s.seq + 1] AS to_place,
       count(*)::bigint AS n
FROM case_record c
JOIN batch b ON b.id = c.batch_id AND b.active,
     generate_subscripts(c.route, 1) AS s(seq)
WHERE s.seq < cardinality(c.route)
GROUP BY 1, 2, 3, 4, 5, 6;

-- Cases passing through each place, by the role of the place on the route
-- (origin, transit, interception, destination; as in route_step).
CREATE VIEW v_node_flow AS
SELECT to_char(c.registration_date, 'YYYY"Q"Q') AS quarter,
       c.batch_id,
       c.synthetic,
       c.case_type,
       r.place,
       r.role,
       count(DISTINCT r.case_id)::bigint AS n
FROM route_step r
JOIN case_record c ON c.id = r.case_id
JOIN batch b ON b.id = c.batch_id AND b.active
GROUP BY 1, 2, 3, 4, 5, 6;

-- Origin-destination (OD) flows: citizenship / origin country x country of
-- exploitation / intended destination.
CREATE VIEW v_od_flow AS
SELECT to_char(c.registration_date, 'YYYY"Q"Q') AS quarter,
       c.batch_id,
       c.synthetic,
       c.case_type,
       c.citizenship,
       c.origin_country,
       c.intended_destination,
       c.country_of_exploitation,
       count(*)::bigint AS n
FROM case_record c
JOIN batch b ON b.id = c.batch_id AND b.active
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- Exploitation types (multi-valued: a case counts once per type).
CREATE VIEW v_exploitation_by_quarter AS
SELECT to_char(c.registration_date, 'YYYY"Q"Q') AS quarter,
       c.batch_id,
       c.synthetic,
       c.case_type,
       c.sex,
       c.is_minor,
       c.identification_county AS county,
       e.type AS exploitation_type,
       count(*)::bigint AS n
FROM case_record c
JOIN batch b ON b.id = c.batch_id AND b.active,
     unnest(c.exploitation_types) AS e(type)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- Means of control (multi-valued: a case counts once per means).
CREATE VIEW v_control_by_quarter AS
SELECT to_char(c.registration_date, 'YYYY"Q"Q') AS quarter,
       c.batch_id,
       c.synthetic,
       c.case_type,
       c.sex,
       c.is_minor,
       m.means AS means_of_control,
       count(*)::bigint AS n
FROM case_record c
JOIN batch b ON b.id = c.batch_id AND b.active,
     unnest(c.means_of_control) AS m(means)
GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- Group roles: CREATE ROLE is cluster-wide, so another corridor database
-- in the same cluster may have created them already.
DO $$
BEGIN
	BEGIN
		CREATE ROLE corridor_loader NOLOGIN;
	EXCEPTION WHEN duplicate_object THEN
		NULL;
	END;
	BEGIN
		CREATE ROLE corridor_analyst NOLOGIN;
	EXCEPTION WHEN duplicate_object THEN
		NULL;
	END;
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO corridor_loader, '
	               'corridor_analyst', current_schema());
END
$$;

-- Nobody but the owner reads raw case rows. PUBLIC has no table privileges
-- by default; revoking makes it explicit and survives a changed default.
REVOKE ALL ON case_record, route_step FROM PUBLIC;
REVOKE ALL ON case_record, route_step FROM corridor_loader, corridor_analyst;

-- Loader: validation lookups, idempotency checks on batch, writes.
GRANT SELECT ON country, admin1, place, place_alias, place_key
	TO corridor_loader;
GRANT SELECT, INSERT, UPDATE ON batch TO corridor_loader;
GRANT SELECT, INSERT ON reject TO corridor_loader;
GRANT INSERT ON case_record, incident, od_stock TO corridor_loader;
GRANT USAGE ON SEQUENCE batch_id_seq, case_record_id_seq, incident_id_seq
	TO corridor_loader;

-- Analyst: aggregates and non-case tables only.
GRANT SELECT ON country, admin1, place, place_alias, place_key,
	batch, reject, incident, od_stock,
	v_cases_by_quarter, v_segment_flow, v_node_flow, v_od_flow,
	v_exploitation_by_quarter, v_control_by_quarter
	TO corridor_analyst;
