-- corridor migration 008: indexes for the UNHCR stocks of the brief.
--
-- `corridor stats stocks` and every brief (page 4) select the corridor's
-- origin x asylum pairs with origin = ANY ($1::text[]) AND asylum = ANY
-- ($2::text[]) (analysis/stats_query.c). origin and asylum are char(3), so
-- the comparison is on origin::text, which od_stock_pair (on the char(3)
-- columns) cannot serve: every brief read all 138,893 rows of the UNHCR
-- file twice, 23 ms a query, a fifth of a small county brief's database
-- time. The expression index serves the text comparison (0.5 ms); the
-- index on year serves the default window's max(year).
CREATE INDEX od_stock_pair_text ON od_stock
    ((origin::text), (asylum::text), year);
CREATE INDEX od_stock_year ON od_stock (year);
