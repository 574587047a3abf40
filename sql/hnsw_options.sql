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
