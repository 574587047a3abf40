-- hnsw: ordered scans for each opclass, EXPLAIN, NULLs, zero vectors, duplicates
SET enable_seqscan = off;

CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));
INSERT INTO items VALUES
  (1, '[1,1,1]'), (2, '[2,2,2]'), (3, '[1,1,2]'), (4, '[0,0,0]'), (5, NULL),
  (6, '[-1,0,1]'), (7, '[3,1,2]'), (8, '[1,1,1]');

-- L2 (the default opclass)
CREATE INDEX items_l2 ON items USING hnsw (embedding);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT 3;
SELECT id, embedding <-> '[1,1,1]' AS dist FROM items ORDER BY embedding <-> '[1,1,1]', id LIMIT 5;
-- every non-NULL row comes back, nearest first
SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY embedding <-> '[0,0,0]') s;
DROP INDEX items_l2;

-- inner product
CREATE INDEX items_ip ON items USING hnsw (embedding vector_ip_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <#> '[1,2,3]' LIMIT 3;
SELECT id, embedding <#> '[1,2,3]' AS dist FROM items ORDER BY embedding <#> '[1,2,3]' LIMIT 3;
DROP INDEX items_ip;

-- cosine: the zero vector has no direction and is not indexed
CREATE INDEX items_cos ON items USING hnsw (embedding vector_cosine_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <=> '[1,1,1]' LIMIT 3;
SELECT id FROM items ORDER BY embedding <=> '[1,1,1]', id LIMIT 3;
SELECT count(*) FROM (SELECT id FROM items ORDER BY embedding <=> '[1,0,0]') s;
DROP INDEX items_cos;

-- L1
CREATE INDEX items_l1 ON items USING hnsw (embedding vector_l1_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <+> '[1,1,1]' LIMIT 3;
SELECT id, embedding <+> '[1,1,1]' AS dist FROM items ORDER BY embedding <+> '[1,1,1]', id LIMIT 3;
DROP INDEX items_l1;

-- an index is only used to order by its own operator
CREATE INDEX items_l2 ON items USING hnsw (embedding vector_l2_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <#> '[1,1,1]' LIMIT 3;
EXPLAIN (COSTS OFF) SELECT id FROM items WHERE embedding = '[1,1,1]';
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> '[1,1,1]' DESC LIMIT 3;

-- inserts into a built index, including duplicates and NULLs
INSERT INTO items SELECT i, '[5,5,5]' FROM generate_series(100, 130) i;
INSERT INTO items VALUES (200, NULL);
SELECT count(*) FROM (SELECT id FROM items ORDER BY embedding <-> '[5,5,5]' LIMIT 40) s;
SELECT count(*) FILTER (WHERE embedding = '[5,5,5]') AS dups
  FROM (SELECT embedding FROM items ORDER BY embedding <-> '[5,5,5]' LIMIT 31) s;

-- a query vector of the wrong dimension
SELECT id FROM items ORDER BY embedding <-> '[1,1]' LIMIT 1;
-- a NULL query through a parameter: any order is right
PREPARE q(vector) AS SELECT count(*) FROM (SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 3) s;
EXECUTE q(NULL);
DEALLOCATE q;

-- a scan inside a transaction sees its own inserts
BEGIN;
INSERT INTO items VALUES (300, '[9,9,9]');
SELECT id FROM items ORDER BY embedding <-> '[9,9,9]' LIMIT 1;
ROLLBACK;
SELECT embedding FROM items ORDER BY embedding <-> '[9,9,9]' LIMIT 1;

DROP TABLE items;

-- an index on an empty table, then filled
CREATE TABLE t (v vector);
CREATE INDEX ON t USING hnsw (v);
SELECT * FROM t ORDER BY v <-> '[1,2]' LIMIT 1;
INSERT INTO t VALUES ('[1,2]'), ('[3,4]'), (NULL);
SELECT v FROM t ORDER BY v <-> '[3,3]' LIMIT 2;
-- without an ORDER BY the index cannot answer: even with seqscans off (as
-- here) a query reads the table
SELECT count(*) FROM t;
-- the first vector fixed the dimension count of the index
INSERT INTO t VALUES ('[1,2,3]');
DROP TABLE t;

-- many identical vectors: every row is still found
CREATE TABLE dup (id int, v vector(2));
INSERT INTO dup SELECT i, '[1,1]' FROM generate_series(1, 100) i;
INSERT INTO dup SELECT i, '[2,2]' FROM generate_series(101, 150) i;
CREATE INDEX ON dup USING hnsw (v);
SET hnsw.ef_search = 200;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM dup ORDER BY v <-> '[1,1]' LIMIT 150) s;
INSERT INTO dup SELECT i, '[1,1]' FROM generate_series(151, 250) i;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM dup ORDER BY v <-> '[1,1]' LIMIT 250) s;
RESET hnsw.ef_search;
DROP TABLE dup;

-- each hnsw scan counts in pg_stat_user_indexes.idx_scan
CREATE TABLE st (id int, v vector(2));
INSERT INTO st SELECT i, ARRAY[i % 7, i % 5]::real[] FROM generate_series(1, 200) i;
CREATE INDEX st_v_idx ON st USING hnsw (v);
SET enable_seqscan = off;
SELECT id FROM st ORDER BY v <-> '[3,3]' LIMIT 1 \g /dev/null
SELECT id FROM st ORDER BY v <-> '[1,4]' LIMIT 1 \g /dev/null
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT idx_scan, idx_tup_read > 0 AS read_rows FROM pg_stat_user_indexes WHERE indexrelname = 'st_v_idx';
DROP TABLE st;

-- every index page a scan reads counts in pg_statio_user_indexes, also the
-- ones pinned through the buffer the backend last found them in
CREATE TABLE sio (id int, v vector(16));
INSERT INTO sio SELECT i, ARRAY(SELECT sin(i * d) FROM generate_series(1, 16) d)::real[] FROM generate_series(1, 3000) i;
CREATE INDEX sio_v_idx ON sio USING hnsw (v);
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE sio_before AS
  SELECT idx_blks_hit + idx_blks_read AS n FROM pg_statio_user_indexes WHERE indexrelname = 'sio_v_idx';
SET enable_seqscan = off;
SELECT count(*) FROM generate_series(1, 20) q,
  LATERAL (SELECT id FROM sio ORDER BY v <-> (SELECT v FROM sio WHERE id = q * 100) LIMIT 10) s;
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT s.idx_blks_hit + s.idx_blks_read - b.n >= 20 * 30 AS pages_counted
  FROM pg_statio_user_indexes s, sio_before b WHERE s.indexrelname = 'sio_v_idx';
DROP TABLE sio, sio_before;

-- the planner avoids an hnsw scan that a selective filter would make read far
-- past its first ef_search rows (without iterative scans they never come)
CREATE TABLE pl (id int, cat int, v vector(3));
INSERT INTO pl SELECT i, i % 100, ARRAY[sin(i), cos(i), sin(i * 0.7)]::real[] FROM generate_series(1, 5000) i;
CREATE INDEX ON pl USING hnsw (v);
ANALYZE pl;
EXPLAIN (COSTS OFF) SELECT id FROM pl ORDER BY v <-> '[1,1,1]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM pl WHERE cat = 0 ORDER BY v <-> '[1,1,1]' LIMIT 5;
SET hnsw.iterative_scan = relaxed_order;
EXPLAIN (COSTS OFF) SELECT id FROM pl WHERE cat < 20 ORDER BY v <-> '[1,1,1]' LIMIT 5;
RESET hnsw.iterative_scan;
EXPLAIN (COSTS OFF) SELECT id FROM pl WHERE cat < 20 ORDER BY v <-> '[1,1,1]' LIMIT 5;
DROP TABLE pl;
