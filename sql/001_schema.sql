-- corridor schema, migration 001: core tables.
-- Applied by `corridor db init` inside one transaction; recorded in
-- corridor_migration. Reference data (countries, admin-1 units, gazetteer)
-- is in 002_reference.sql; roles and aggregate views in 003_roles.sql.

-- ISO 3166-1 countries.
CREATE TABLE country (
    iso3        char(3) PRIMARY KEY CHECK (iso3 ~ '^[A-Z]{3}$'),
    iso2        char(2) UNIQUE CHECK (iso2 ~ '^[A-Z]{2}$'),
    m49         smallint,
    name        text NOT NULL
);

-- Admin-1 units with OCHA P-codes (Kenya's 47 counties KE001..KE047 and
-- the corridor countries' regions/provinces used by the gazetteer).
CREATE TABLE admin1 (
    pcode       text PRIMARY KEY,
    country     char(3) NOT NULL REFERENCES country(iso3),
    name        text NOT NULL,
    lat         double precision CHECK (lat BETWEEN -90 AND 90),
    lon         double precision CHECK (lon BETWEEN -180 AND 180)
);

-- Gazetteer of Southern Route places. id is a stable slug such as
-- 'KE-ISIOLO' or 'ET-MOYALE'; corridor_seq orders the main corridor from
-- north (Ethiopia) to south (South Africa) for the route diagram (NULL for
-- places off the main line).
CREATE TABLE place (
    id           text PRIMARY KEY CHECK (id ~ '^[A-Z]{2}-[A-Z0-9-]+$'),
    name         text NOT NULL,
    name_local   text,              -- e.g. Amharic (Ethiopic script)
    country      char(3) NOT NULL REFERENCES country(iso3),
    admin1       text REFERENCES admin1(pcode),
    lat          double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon          double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    kind         text NOT NULL CHECK (kind IN
                   ('city', 'town', 'border', 'county', 'capital')),
    corridor_seq smallint
);

-- Alternative spellings, matched after lower-casing and accent stripping
-- (the loader normalises; alias is stored normalised).
CREATE TABLE place_alias (
    alias       text PRIMARY KEY,
    place       text NOT NULL REFERENCES place(id)
);

-- One row per load of one file.
CREATE TABLE batch (
    id               bigserial PRIMARY KEY,
    sha256           char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format           text NOT NULL CHECK (format IN
                       ('cases', 'ctdc', 'mmp', 'unhcr')),
    file_name        text NOT NULL,      -- base name only, as given
    rows_read        bigint NOT NULL DEFAULT 0,
    rows_loaded      bigint NOT NULL DEFAULT 0,
    rows_rejected    bigint NOT NULL DEFAULT 0,
    dropped_columns  text[] NOT NULL DEFAULT '{}', -- identifiers not loaded
    synthetic        boolean NOT NULL DEFAULT false,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    seconds          double precision,
    corridor_version text NOT NULL,
    active           boolean NOT NULL DEFAULT true, -- false once replaced
    CHECK (rows_read = rows_loaded + rows_rejected)
);
-- Idempotency: one active batch per file content and format.
CREATE UNIQUE INDEX batch_active_sha ON batch (sha256, format) WHERE active;

-- Rejected rows (only with --max-rejects). No raw row content is kept: it
-- may hold identifiers.
CREATE TABLE reject (
    batch_id    bigint NOT NULL REFERENCES batch(id) ON DELETE CASCADE,
    line        bigint NOT NULL,         -- 1-based physical line
    column_name text,
    reason      text NOT NULL
);
CREATE INDEX reject_batch ON reject (batch_id, line);

-- Case records (canonical format and CTDC). Raw rows: owner only.
-- case_key is a keyed pseudonym: hex HMAC-SHA-256 of the source case id.
-- route holds gazetteer place ids in travel order; route_dates the date of
-- each step where known (same length as route, NULL elements allowed).
CREATE TABLE case_record (
    id                      bigserial PRIMARY KEY,
    batch_id                bigint NOT NULL REFERENCES batch(id)
                              ON DELETE CASCADE,
    case_key                char(64),
    registration_date       date,
    registration_year       smallint NOT NULL,
    reporting_org           text,
    case_type               text NOT NULL CHECK (case_type IN
                              ('trafficking', 'smuggling',
                               'vulnerable_migrant')),
    trafficking_status      text CHECK (trafficking_status IN
                              ('actual', 'possible')),
    sex                     text CHECK (sex IN ('male', 'female', 'other')),
    age                     smallint CHECK (age BETWEEN 0 AND 120),
    age_band                text CHECK (age_band IN
                              ('0--8', '9--17', '18--20', '21--23',
                               '24--26', '27--29', '30--38', '39--47',
                               '48+')),
    is_minor                boolean,
    citizenship             char(3) REFERENCES country(iso3),
    origin_country          char(3) REFERENCES country(iso3),
    origin_admin1           text REFERENCES admin1(pcode),
    route                   text[] NOT NULL DEFAULT '{}',
    route_dates             date[],
    interception_place      text REFERENCES place(id),
    interception_date       date,
    identification_county   text REFERENCES admin1(pcode),
    intended_destination    char(3) REFERENCES country(iso3),
    country_of_exploitation char(3) REFERENCES country(iso3),
    exploitation_types      text[] NOT NULL DEFAULT '{}',
    means_of_control        text[] NOT NULL DEFAULT '{}',
    recruiter_relationship  text CHECK (recruiter_relationship IN
                              ('family', 'intimate_partner', 'friend',
                               'employer', 'smuggler', 'other')),
    fee_usd                 numeric(12, 2) CHECK (fee_usd >= 0),
    days_in_transit         integer CHECK (days_in_transit >= 0),
    nrm_referral            boolean,
    nrm_referral_date       date,
    synthetic               boolean NOT NULL DEFAULT false
);
CREATE INDEX case_record_batch ON case_record (batch_id);
CREATE INDEX case_record_reg ON case_record (registration_date);

-- Ordered route steps, one row per step, as a view over case_record.route.
CREATE VIEW route_step AS
    SELECT c.id AS case_id, s.seq::int AS seq, s.place,
           c.route_dates[s.seq] AS step_date,
           CASE WHEN s.seq = 1 THEN 'origin'
                WHEN s.place = c.interception_place
                     AND s.seq = cardinality(c.route) THEN 'interception'
                WHEN s.seq = cardinality(c.route) THEN 'destination'
                ELSE 'transit' END AS role
    FROM case_record c,
         unnest(c.route) WITH ORDINALITY AS s(place, seq);

-- Missing Migrants Project incidents.
CREATE TABLE incident (
    id                 bigserial PRIMARY KEY,
    batch_id           bigint NOT NULL REFERENCES batch(id)
                         ON DELETE CASCADE,
    web_id             bigint NOT NULL,
    region             text,
    reported_date      date NOT NULL,
    dead               integer CHECK (dead >= 0),       -- NULL = unknown
    missing            integer CHECK (missing >= 0),    -- NULL = unknown
    total_dead_missing integer CHECK (total_dead_missing >= 0),
    survivors          integer CHECK (survivors >= 0),
    females            integer CHECK (females >= 0),
    males              integer CHECK (males >= 0),
    children           integer CHECK (children >= 0),
    cause              text,
    location           text,
    lat                double precision CHECK (lat BETWEEN -90 AND 90),
    lon                double precision CHECK (lon BETWEEN -180 AND 180),
    migration_route    text,
    info_source        text,
    unsd_group         text,
    source_quality     smallint CHECK (source_quality BETWEEN 1 AND 5),
    CHECK ((lat IS NULL) = (lon IS NULL)),
    UNIQUE (batch_id, web_id)
);
CREATE INDEX incident_date ON incident (reported_date);

-- UNHCR end-of-year stocks, origin x asylum x year.
CREATE TABLE od_stock (
    batch_id          bigint NOT NULL REFERENCES batch(id) ON DELETE CASCADE,
    year              smallint NOT NULL,
    origin            char(3) NOT NULL,   -- coo_iso (UNK = unknown)
    asylum            char(3) NOT NULL,   -- coa_iso
    refugees          bigint,
    asylum_seekers    bigint,
    returned_refugees bigint,
    idps              bigint,
    returned_idps     bigint,
    stateless         bigint,
    ooc               bigint,
    oip               bigint,             -- NULL = not reported
    hst               bigint,
    PRIMARY KEY (batch_id, year, origin, asylum)
);
CREATE INDEX od_stock_pair ON od_stock (origin, asylum, year);
