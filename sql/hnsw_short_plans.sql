-- The planner never picks an hnsw scan that may return fewer rows than the
-- query asks for: with hnsw.iterative_scan off a scan returns the rows of at
-- most ef_search elements, and a filter keeps its share of them.  Such a plan
-- is charged so that the exact plan wins unless the user disabled it.

CREATE TABLE sp (id int PRIMARY KEY, cat int, v vector(8));
INSERT INTO sp SELECT i, i % 10, ARRAY(SELECT sin(i * k) FROM generate_series(1, 8) k)::vector FROM generate_series(1, 10000) i;
CREATE INDEX sp_v ON sp USING hnsw (v vector_l2_ops);
ANALYZE sp;
EXPLAIN (COSTS OFF) SELECT id FROM sp ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM sp WHERE cat = 3 ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 10;
SET hnsw.iterative_scan = relaxed_order;
EXPLAIN (COSTS OFF) SELECT id FROM sp WHERE cat = 3 ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 10;
RESET hnsw.iterative_scan;
EXPLAIN (COSTS OFF) SELECT id FROM sp WHERE cat <> 3 ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM sp ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 100;
SET hnsw.ef_search = 100;
EXPLAIN (COSTS OFF) SELECT id FROM sp ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 100;
RESET hnsw.ef_search;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM sp ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 100;
RESET enable_seqscan;
EXPLAIN (COSTS OFF) SELECT id FROM sp WHERE v <-> '[1,0,0,0,0,0,0,0]' < 1 ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 20;
EXPLAIN (COSTS OFF) SELECT id FROM sp ORDER BY v <-> '[1,0,0,0,0,0,0,0]';
SET plan_cache_mode = force_generic_plan;
PREPARE f(int, int) AS SELECT id FROM sp WHERE cat = $1 ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT $2;
EXPLAIN (COSTS OFF) EXECUTE f(3, 10);
PREPARE u(int) AS SELECT id FROM sp ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT $1;
EXPLAIN (COSTS OFF) EXECUTE u(10);
DEALLOCATE f;
-- a partial index's own predicate filters nothing out of its rows
CREATE INDEX sp_v3 ON sp USING hnsw (v vector_l2_ops) WHERE cat = 3;
EXPLAIN (COSTS OFF) SELECT id FROM sp WHERE cat = 3 ORDER BY v <-> '[1,0,0,0,0,0,0,0]' LIMIT 10;
DEALLOCATE u;
RESET plan_cache_mode;
DROP TABLE sp;
