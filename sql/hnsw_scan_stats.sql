-- hnsw_last_scan(): what the last statement's hnsw scans did, within the
-- bounds a known search on a known graph must keep; hnsw.track_scans; the
-- scan settings in EXPLAIN (SETTINGS); the shared view without preloading.
-- The graph's levels are random, so exact counts of elements and distances
-- are not fixed: only the bounds any search must keep are checked.

-- 1,000 deterministic 2-d points on a spiral (no random())
CREATE TABLE pts (id int PRIMARY KEY, v vector(2));
INSERT INTO pts
  SELECT i, ARRAY[i * cos(i * 0.1), i * sin(i * 0.1)]::vector
  FROM generate_series(1, 1000) i;
CREATE INDEX pts_v ON pts USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
ANALYZE pts;
SET enable_seqscan = off;

-- nothing yet in this session
SELECT count(*) FROM hnsw_last_scan();

-- ef_search 40 on 1,000 elements, LIMIT 5
SET hnsw.ef_search = 40;
SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <-> '[500,0]' LIMIT 5) s;
SELECT index, searches, batches, tuples, rows, rows_filtered,
       elements_visited BETWEEN 40 / 4 AND 1000 AS visited_ok,
       distances >= 40 AND distances <= 1000 * 8 AS distances_ok,
       pages_hit + pages_read BETWEEN 1 AND elements_visited + distances AS pages_ok,
       search_time > 0 AS timed
FROM hnsw_last_scan();

-- the function's own statement ran no hnsw scan: the answer stays
SELECT count(*) FROM hnsw_last_scan();
SELECT searches FROM hnsw_last_scan();

-- ef_search at least the number of elements: every element is reached
-- and, with its links read, visited on layer 0
CREATE TABLE few (id int PRIMARY KEY, v vector(2));
INSERT INTO few SELECT i, ARRAY[i, i % 3]::vector FROM generate_series(1, 30) i;
CREATE INDEX few_v ON few USING hnsw (v vector_l2_ops);
SET hnsw.ef_search = 100;
SELECT count(*) FROM (SELECT id FROM few ORDER BY v <-> '[0,0]' LIMIT 30) s;
SELECT index, searches, batches, tuples, rows,
       elements_visited >= 30 AS all_visited, distances >= 30 AS all_measured
FROM hnsw_last_scan();

-- a filter: the index returns more rows than the statement, and says how
-- many of them the filter rejected; iterative scans search in batches
SET hnsw.ef_search = 10;
SET hnsw.iterative_scan = relaxed_order;
SELECT count(*) FROM (SELECT id FROM pts WHERE id % 10 = 0 ORDER BY v <-> '[500,0]' LIMIT 20) s;
SELECT rows, batches > 1 AS several_batches, tuples >= 20 AS enough_tuples,
       rows_filtered = tuples - rows AS filtered_is_the_rest
FROM hnsw_last_scan();
RESET hnsw.iterative_scan;

-- a scan rescanned by a nested loop counts every search
SET hnsw.ef_search = 40;
SELECT a.id, (SELECT count(*) FROM (SELECT 1 FROM pts b ORDER BY b.v <-> a.v LIMIT 3) s)
FROM pts a WHERE a.id <= 3 ORDER BY a.id;
SELECT index, searches, batches, tuples, rows FROM hnsw_last_scan();

-- two hnsw scans in one statement: a row each
SELECT (SELECT id FROM pts ORDER BY v <-> '[1,1]' LIMIT 1) AS p,
       (SELECT id FROM few ORDER BY v <-> '[1,1]' LIMIT 1) AS f;
SELECT index, searches, tuples FROM hnsw_last_scan() ORDER BY index::text;

-- hnsw.track_scans = off: nothing is collected
SET hnsw.track_scans = off;
SELECT id FROM pts ORDER BY v <-> '[0,0]' LIMIT 2;
SELECT index, searches, tuples FROM hnsw_last_scan() ORDER BY index::text;
RESET hnsw.track_scans;

-- EXPLAIN (SETTINGS) shows the scan settings that differ from the default
SET hnsw.ef_search = 77;
SET hnsw.iterative_scan = strict_order;
EXPLAIN (SETTINGS, COSTS OFF) SELECT id FROM pts ORDER BY v <-> '[1,1]' LIMIT 3;
RESET hnsw.iterative_scan;
RESET hnsw.ef_search;
RESET enable_seqscan;

-- the shared counters need the library preloaded (t/042 tests them)
SELECT * FROM hnsw_stat_indexes;
SELECT hnsw_stat_reset();

DROP TABLE pts, few;
