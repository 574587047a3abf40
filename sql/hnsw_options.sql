-- hnsw: index options, the ef_search GUC and errors
CREATE TABLE t (v vector(3));
INSERT INTO t VALUES ('[1,2,3]'), ('[4,5,6]');

CREATE INDEX ON t USING hnsw (v) WITH (m = 2, ef_construction = 4);
CREATE INDEX ON t USING hnsw (v) WITH (m = 100, ef_construction = 1000);
CREATE INDEX ON t USING hnsw (v) WITH (m = 1);
CREATE INDEX ON t USING hnsw (v) WITH (m = 101);
CREATE INDEX ON t USING hnsw (v) WITH (ef_construction = 3);
CREATE INDEX ON t USING hnsw (v) WITH (ef_construction = 1001);
CREATE INDEX ON t USING hnsw (v) WITH (m = 16, ef_construction = 31);
CREATE INDEX ON t USING hnsw (v) WITH (foo = 1);
CREATE INDEX ON t USING hnsw (v) WITH (m = 'x');
SELECT relname, reloptions FROM pg_class WHERE relname LIKE 't_v_idx%' ORDER BY relname;

-- hnsw supports one column, no uniqueness, no INCLUDE
CREATE INDEX ON t USING hnsw (v, v);
CREATE UNIQUE INDEX ON t USING hnsw (v);
CREATE INDEX ON t USING hnsw (v) INCLUDE (v);
-- only vectors
CREATE TABLE n (x int);
CREATE INDEX ON n USING hnsw (x);
DROP TABLE n;

-- the ef_search GUC
SHOW hnsw.ef_search;
SET hnsw.ef_search = 1;
SET hnsw.ef_search = 1000;
SET hnsw.ef_search = 0;
SET hnsw.ef_search = 1001;
BEGIN;
SET LOCAL hnsw.ef_search = 7;
SHOW hnsw.ef_search;
COMMIT;
SHOW hnsw.ef_search;
RESET hnsw.ef_search;
-- the hnsw prefix is reserved for our settings
SET hnsw.no_such_setting = 1;

-- mixed dimensions in an unconstrained column are an error at build
CREATE TABLE mixed (v vector);
INSERT INTO mixed VALUES ('[1,2]'), ('[1,2,3]');
CREATE INDEX ON mixed USING hnsw (v);
DROP TABLE mixed;

-- vectors wider than a page can hold
CREATE TABLE wide (v vector(2000));
CREATE INDEX ON wide USING hnsw (v);
CREATE TABLE wide2 (v vector);
CREATE INDEX ON wide2 USING hnsw (v);
INSERT INTO wide2 SELECT array_fill(1, ARRAY[2000])::vector;
INSERT INTO wide2 SELECT array_fill(1, ARRAY[1900])::vector;
-- m counts too: bigger link lists leave less room for the vector
CREATE TABLE wide3 (v vector(1900));
CREATE INDEX ON wide3 USING hnsw (v) WITH (m = 48, ef_construction = 96);
DROP TABLE wide, wide2, wide3;

-- cost model: without ORDER BY the index is never used, even when forced
SET enable_seqscan = off;
CREATE INDEX t_idx ON t USING hnsw (v);
EXPLAIN (COSTS OFF) SELECT * FROM t;
EXPLAIN (COSTS OFF) SELECT * FROM t ORDER BY v <-> '[1,1,1]' LIMIT 1;
RESET enable_seqscan;

-- the opclasses pass the access method's validator
SELECT amvalidate(opc.oid), opcname FROM pg_opclass opc
  JOIN pg_am am ON am.oid = opc.opcmethod WHERE amname = 'hnsw' ORDER BY opcname;

DROP TABLE t;

-- iterative scans: the settings and their bounds
SHOW hnsw.iterative_scan;
SHOW hnsw.max_scan_tuples;
SHOW hnsw.scan_mem_multiplier;
SET hnsw.iterative_scan = relaxed_order;
SET hnsw.iterative_scan = strict_order;
SET hnsw.iterative_scan = off;
SET hnsw.iterative_scan = on;
SET hnsw.max_scan_tuples = 1;
SET hnsw.max_scan_tuples = 0;
SET hnsw.scan_mem_multiplier = 1000;
SET hnsw.scan_mem_multiplier = 0.5;
RESET hnsw.iterative_scan;
RESET hnsw.max_scan_tuples;
RESET hnsw.scan_mem_multiplier;

-- a filter that rejects most of the nearest rows: off returns what
-- survives of ef_search candidates, the iterative modes fill the LIMIT
CREATE TABLE f (id int, v vector(2));
INSERT INTO f SELECT i, ARRAY[i, 0] FROM generate_series(1, 1000) i;
CREATE INDEX ON f USING hnsw (v);
SET enable_seqscan = off;
SET hnsw.ef_search = 10;
SELECT count(*) FROM (SELECT id FROM f WHERE id % 100 = 0 ORDER BY v <-> '[0.5,0]' LIMIT 5) s;
SET hnsw.iterative_scan = relaxed_order;
SELECT array_agg(id) FROM (SELECT id FROM f WHERE id % 100 = 0 ORDER BY v <-> '[0.5,0]' LIMIT 5) s;
SET hnsw.iterative_scan = strict_order;
SELECT array_agg(id) FROM (SELECT id FROM f WHERE id % 100 = 0 ORDER BY v <-> '[0.5,0]' LIMIT 5) s;
-- the scan stops after max_scan_tuples rows
SET hnsw.max_scan_tuples = 150;
SELECT count(*) FROM (SELECT id FROM f WHERE id % 100 = 0 ORDER BY v <-> '[0.5,0]' LIMIT 5) s;
RESET hnsw.max_scan_tuples;
RESET hnsw.iterative_scan;
RESET hnsw.ef_search;
RESET enable_seqscan;
DROP TABLE f;
