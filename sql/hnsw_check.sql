-- hnsw_index_check and hnsw_index_stats on healthy indexes, and their errors
-- The NOTICE about rows not reachable from the entry point counts elements
-- the pruning heuristic left without in-links, which depends on the random
-- levels (and is common under inner product, where high-norm vectors draw
-- the links): keep it out of the expected output.
SET client_min_messages = warning;

-- 300 deterministic vectors (no random()), some NULL, some zero
CREATE TABLE chk (id int PRIMARY KEY, v vector(4));
INSERT INTO chk
  SELECT i, ARRAY[sin(i), cos(i * 1.3), sin(i * 0.7) * 2, (i % 17) - 8]::vector
  FROM generate_series(1, 300) i;
UPDATE chk SET v = NULL WHERE id % 50 = 0;
UPDATE chk SET v = '[0,0,0,0]' WHERE id % 70 = 0;

-- every opclass, with and without heapallindexed
CREATE INDEX chk_l2 ON chk USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
CREATE INDEX chk_ip ON chk USING hnsw (v vector_ip_ops) WITH (m = 4, ef_construction = 16);
CREATE INDEX chk_cos ON chk USING hnsw (v vector_cosine_ops) WITH (m = 4, ef_construction = 16);
CREATE INDEX chk_l1 ON chk USING hnsw (v vector_l1_ops) WITH (m = 4, ef_construction = 16);
SELECT hnsw_index_check('chk_l2');
SELECT hnsw_index_check('chk_ip', true);
SELECT hnsw_index_check('chk_cos', heapallindexed => true);
SELECT hnsw_index_check('chk_l1', true);

-- after inserts (aminsert, including duplicates of existing vectors)
INSERT INTO chk
  SELECT i, ARRAY[cos(i), sin(i * 1.1), i % 5, (i % 13) - 6]::vector
  FROM generate_series(301, 500) i;
INSERT INTO chk SELECT id + 1000, v FROM chk WHERE id <= 40;
SELECT hnsw_index_check('chk_l2', true), hnsw_index_check('chk_cos', true),
       hnsw_index_check('chk_ip', true), hnsw_index_check('chk_l1', true);

-- after deletes and VACUUM, and inserts after that
DELETE FROM chk WHERE id % 3 = 0;
VACUUM chk;
SELECT hnsw_index_check('chk_l2', true), hnsw_index_check('chk_cos', true);
INSERT INTO chk
  SELECT i, ARRAY[sin(i * 2), cos(i), 1, i % 7]::vector
  FROM generate_series(2001, 2100) i;
SELECT hnsw_index_check('chk_l2', true), hnsw_index_check('chk_cos', true);
-- in a repeatable-read transaction, with its older snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM chk;
INSERT INTO chk VALUES (3000, '[1,1,1,1]');
SELECT hnsw_index_check('chk_l1', true);
COMMIT;
DROP INDEX chk_ip, chk_cos, chk_l1;

-- partial and expression indexes: only the rows the index should hold
CREATE INDEX chk_part ON chk USING hnsw (v) WHERE id % 2 = 0;
CREATE INDEX chk_expr ON chk USING hnsw ((v + '[1,1,1,1]') vector_l1_ops);
SELECT hnsw_index_check('chk_part', true), hnsw_index_check('chk_expr', true);
INSERT INTO chk VALUES (5000, '[1,2,3,4]'), (5001, '[4,3,2,1]');
SELECT hnsw_index_check('chk_part', true), hnsw_index_check('chk_expr', true);

-- an empty index, then its first rows
CREATE TABLE chk_empty (v vector(2));
CREATE INDEX chk_empty_idx ON chk_empty USING hnsw (v);
SELECT hnsw_index_check('chk_empty_idx', true);
SELECT s->'elements' AS elements, s->'pages' AS pages, s->'entry_point' AS entry,
       s->'dimensions' AS dims, s->'level_histogram' AS levels
  FROM hnsw_index_stats('chk_empty_idx') s;
INSERT INTO chk_empty VALUES ('[1,2]'), ('[3,4]'), (NULL);
SELECT hnsw_index_check('chk_empty_idx', true);

-- statistics of a small index: only the fields that do not depend on the
-- random levels (30 small elements always fit one element page)
CREATE TABLE chk_small (id int, v vector(3));
INSERT INTO chk_small SELECT i, ARRAY[i, i % 7, i % 3]::vector FROM generate_series(1, 30) i;
CREATE INDEX chk_small_idx ON chk_small USING hnsw (v) WITH (m = 6, ef_construction = 20);
SELECT s->'elements' AS elements, s->'deleted_elements' AS deleted,
       s->'live_heap_tids' AS tids, s->'pages' AS pages,
       s->'meta_pages' AS meta, s->'element_pages' AS element_pages,
       s->'m' AS m, s->'ef_construction' AS efc, s->'dimensions' AS dims,
       s->'distance' AS kind, s->'bytes_per_vector' AS bytes_per_vector
  FROM hnsw_index_stats('chk_small_idx') s;
-- the histogram and layers add up to the elements
SELECT (SELECT sum(x::int) FROM jsonb_array_elements_text(s->'level_histogram') x) AS by_level,
       s->'layers'->0->'elements' AS layer0,
       (s->'layers'->0->>'min_out_degree')::int >= 1 AS linked,
       (s->'entry_point'->>'level')::int = jsonb_array_length(s->'level_histogram') - 1 AS entry_on_top
  FROM hnsw_index_stats('chk_small_idx') s;
-- duplicates share an element: more heap TIDs than elements
INSERT INTO chk_small SELECT id + 100, v FROM chk_small WHERE id <= 5;
SELECT s->'elements' AS elements, s->'live_heap_tids' AS tids
  FROM hnsw_index_stats('chk_small_idx') s;

-- errors: not an hnsw index, not an index, no relation, a NULL argument
CREATE INDEX chk_btree ON chk (id);
SELECT hnsw_index_check('chk_btree');
SELECT hnsw_index_stats('chk_btree');
SELECT hnsw_index_check('chk');
SELECT hnsw_index_stats('chk_small');
SELECT hnsw_index_check(0);
SELECT hnsw_index_stats(0);
DO $$
BEGIN
  PERFORM hnsw_index_check(0);
EXCEPTION WHEN undefined_object THEN
  RAISE WARNING 'undefined_object: %', SQLERRM;
END
$$;
SELECT hnsw_index_check(NULL) IS NULL AS strict;

-- no SELECT on the table, no check
CREATE ROLE chk_nobody;
SET ROLE chk_nobody;
SELECT hnsw_index_check('chk_l2');
RESET ROLE;
DROP ROLE chk_nobody;

DROP TABLE chk, chk_empty, chk_small;
