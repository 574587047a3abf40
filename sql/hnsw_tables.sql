-- hnsw on unlogged, partitioned and temporary tables; partial and expression
-- indexes; REINDEX and CONCURRENTLY
-- (query points sit off the grid: rows at exactly equal distance come back in
-- no particular order, so the expected output must not depend on it)
SET enable_seqscan = off;

CREATE UNLOGGED TABLE u (id int, v vector(2));
INSERT INTO u SELECT i, ARRAY[i, i % 7]::vector FROM generate_series(1, 50) i;
CREATE INDEX ON u USING hnsw (v);
SELECT id FROM u ORDER BY v <-> '[10.2,3]' LIMIT 3;
INSERT INTO u VALUES (51, '[10.2,3]');
SELECT id FROM u ORDER BY v <-> '[10.2,3]' LIMIT 1;
DROP TABLE u;

CREATE TEMP TABLE tmp (id int, v vector(2));
INSERT INTO tmp SELECT i, ARRAY[i, 0]::vector FROM generate_series(1, 50) i;
CREATE INDEX ON tmp USING hnsw (v);
SELECT id FROM tmp ORDER BY v <-> '[20.2,0]' LIMIT 3;
DROP TABLE tmp;

-- partial index: used only when the query implies its predicate
CREATE TABLE p (id int, cat int, v vector(2));
INSERT INTO p SELECT i, i % 2, ARRAY[i, 0]::vector FROM generate_series(1, 60) i;
CREATE INDEX p_even ON p USING hnsw (v) WHERE cat = 0;
EXPLAIN (COSTS OFF) SELECT id FROM p WHERE cat = 0 ORDER BY v <-> '[31.2,0]' LIMIT 3;
SELECT id FROM p WHERE cat = 0 ORDER BY v <-> '[31.2,0]' LIMIT 3;
DROP TABLE p;

-- expression index
CREATE TABLE e (id int, a real, b real);
INSERT INTO e SELECT i, i, -i FROM generate_series(1, 60) i;
CREATE INDEX e_expr ON e USING hnsw ((ARRAY[a, b]::vector(2)) vector_l1_ops);
EXPLAIN (COSTS OFF) SELECT id FROM e ORDER BY ARRAY[a, b]::vector(2) <+> '[10.2,-10.2]' LIMIT 2;
SELECT id FROM e ORDER BY ARRAY[a, b]::vector(2) <+> '[10.2,-10.2]' LIMIT 2;
DROP TABLE e;

-- partitioned table
CREATE TABLE pt (id int, v vector(2)) PARTITION BY RANGE (id);
CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (100);
CREATE TABLE pt2 PARTITION OF pt FOR VALUES FROM (100) TO (200);
INSERT INTO pt SELECT i, ARRAY[i, 0]::vector FROM generate_series(0, 199) i;
CREATE INDEX ON pt USING hnsw (v);
EXPLAIN (COSTS OFF) SELECT id FROM pt ORDER BY v <-> '[150.2,0]' LIMIT 3;
SELECT id FROM pt ORDER BY v <-> '[150.2,0]' LIMIT 3;
DROP TABLE pt;

-- REINDEX, REINDEX CONCURRENTLY, CREATE INDEX CONCURRENTLY
CREATE TABLE r (id int, v vector(2));
INSERT INTO r SELECT i, ARRAY[i, 1]::vector FROM generate_series(1, 80) i;
CREATE INDEX CONCURRENTLY r_idx ON r USING hnsw (v);
SELECT id FROM r ORDER BY v <-> '[40.2,1]' LIMIT 3;
REINDEX INDEX r_idx;
SELECT id FROM r ORDER BY v <-> '[40.2,1]' LIMIT 3;
REINDEX INDEX CONCURRENTLY r_idx;
SELECT id FROM r ORDER BY v <-> '[40.2,1]' LIMIT 3;
SELECT indisvalid FROM pg_index WHERE indexrelid = 'r_idx'::regclass;
-- VACUUM removes deleted rows from the index
DELETE FROM r WHERE id BETWEEN 35 AND 45;
VACUUM r;
SELECT id FROM r ORDER BY v <-> '[40.2,1]' LIMIT 3;
DROP TABLE r;
