-- corridor migration 005: route_step roles agree with `corridor stats nodes`.
-- A route's last place is its interception (when it is the recorded
-- interception place) or its destination before it is its origin, so a
-- one-place route counts there and, for every place P,
--   cases through P = legs leaving P + interceptions at P + destinations at P
-- holds exactly (the disclosure-control constraint of the nodes table).
CREATE OR REPLACE VIEW route_step AS
    SELECT c.id AS case_id, s.seq::int AS seq, s.place,
           c.route_dates[s.seq] AS step_date,
           CASE WHEN s.seq = cardinality(c.route)
                     AND s.place = c.interception_place THEN 'interception'
                WHEN s.seq = cardinality(c.route) THEN 'destination'
                WHEN s.seq = 1 THEN 'origin'
                ELSE 'transit' END AS role
    FROM case_record c,
         unnest(c.route) WITH ORDINALITY AS s(place, seq);
