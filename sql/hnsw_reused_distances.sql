-- A distance the executor asks for again on a row an hnsw scan just returned
-- (the ORDER BY expression in the target list) is the scan's own, instead of
-- a fetch of the row's TOASTed vector (src/hnswreuse.c).  These check that
-- the value is always the function's own, to the bit, even where the scan's
-- could be mistaken for it, and that the TOAST relation is not read.
SET enable_seqscan = off;

-- 600 dimensions: 2,408 bytes a vector, stored out of line
CREATE TABLE r (id int, note text, v vector(600), w vector(600))
  WITH (fillfactor = 50, autovacuum_enabled = off,
        toast.autovacuum_enabled = off);
INSERT INTO r SELECT i, 'x',
  ARRAY(SELECT (i * j) % 97 - 48 FROM generate_series(1, 600) j)::vector,
  ARRAY(SELECT (i + j) % 89 - 44 FROM generate_series(1, 600) j)::vector
FROM generate_series(1, 200) i;
-- rows 201..203 repeat row 7's vector: one element holds their heap TIDs
INSERT INTO r SELECT 200 + k, 'dup', v, w FROM r, generate_series(1, 3) k
  WHERE id = 7;
SELECT reltoastrelid::regclass AS toast FROM pg_class WHERE relname = 'r' \gset
SELECT count(DISTINCT chunk_id) AS toasted_values FROM :toast;

CREATE TABLE qs (qid int, q vector(600));
INSERT INTO qs SELECT k,
  ARRAY(SELECT (k * 31 + j * 3) % 101 - 50.5 FROM generate_series(1, 600) j)::vector
FROM generate_series(1, 3) k;
INSERT INTO qs SELECT 4, v FROM r WHERE id = 7;
\set q1 '(SELECT q FROM qs WHERE qid = 1)'
\set q2 '(SELECT q FROM qs WHERE qid = 2)'
\set q3 '(SELECT q FROM qs WHERE qid = 3)'
\set q4 '(SELECT q FROM qs WHERE qid = 4)'

CREATE INDEX r_l2 ON r USING hnsw (v vector_l2_ops);
CREATE INDEX r_ip ON r USING hnsw (v vector_ip_ops);
CREATE INDEX r_l1 ON r USING hnsw (v vector_l1_ops);
CREATE INDEX r_cos ON r USING hnsw (v vector_cosine_ops);

-- Each row of an index scan (rescanned for each query: a LATERAL
-- parameter), with every distance function on v, on the other vector column
-- w, and on another query; each compared with the same function on a copy
-- of v that is not a TOAST pointer (subvector), which is always computed.
CREATE FUNCTION check_scan(op text) RETURNS TABLE (rows bigint, all_equal bool)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    SELECT count(*),
      bool_and(l2 = subvector(v, 1, 600) <-> q
           AND ip = subvector(v, 1, 600) <#> q
           AND l1 = subvector(v, 1, 600) <+> q
           AND cos = subvector(v, 1, 600) <=> q
           AND sq = vector_l2_squared_distance(subvector(v, 1, 600), q)
           AND dot = inner_product(subvector(v, 1, 600), q)
           AND wl2 = subvector(w, 1, 600) <-> q
           AND other = subvector(v, 1, 600) <-> q1)
    FROM qs, (SELECT q AS q1 FROM qs WHERE qid = 1) one,
      LATERAL (SELECT v, w, v <-> qs.q AS l2, v <#> qs.q AS ip,
                 v <+> qs.q AS l1, v <=> qs.q AS cos,
                 vector_l2_squared_distance(v, qs.q) AS sq,
                 inner_product(v, qs.q) AS dot, w <-> qs.q AS wl2,
                 v <-> one.q1 AS other
               FROM r ORDER BY v %s qs.q LIMIT 10) x$q$, op);
END $$;

EXPLAIN (COSTS OFF)
SELECT id, v <-> :q1 FROM r ORDER BY v <-> :q1 LIMIT 10;
EXPLAIN (COSTS OFF)
SELECT v <-> qs.q FROM qs, LATERAL (SELECT v FROM r ORDER BY v <#> qs.q LIMIT 10) x;
SELECT '<->' AS op, * FROM check_scan('<->')
UNION ALL SELECT '<#>', * FROM check_scan('<#>')
UNION ALL SELECT '<+>', * FROM check_scan('<+>')
UNION ALL SELECT '<=>', * FROM check_scan('<=>');

-- after HOT updates (the heap tuple the scan's TID leads to is a later
-- version of the row) and an update of v (a new element for the row)
UPDATE r SET note = 'hot' WHERE id % 3 = 0;
UPDATE r SET v = w WHERE id % 50 = 1;
SELECT '<->' AS op, * FROM check_scan('<->')
UNION ALL SELECT '<#>', * FROM check_scan('<#>')
UNION ALL SELECT '<+>', * FROM check_scan('<+>');

-- The TOAST relation is not read for the distances of an L2 scan's rows; a
-- cosine index stores normalised vectors, so <=> computes its own (and
-- shows the counter sees the reads).
SELECT pg_stat_force_next_flush();
SELECT toast_blks_hit + coalesce(toast_blks_read, 0) AS before
  FROM pg_statio_user_tables WHERE relname = 'r' \gset
SELECT id, v <-> :q2 FROM r ORDER BY v <-> :q2 LIMIT 10 \g /dev/null
SELECT pg_stat_force_next_flush();
SELECT toast_blks_hit + coalesce(toast_blks_read, 0) - :before AS l2_toast_blocks
  FROM pg_statio_user_tables WHERE relname = 'r';
SELECT toast_blks_hit + coalesce(toast_blks_read, 0) AS before
  FROM pg_statio_user_tables WHERE relname = 'r' \gset
SELECT id, v <=> :q2 FROM r ORDER BY v <=> :q2 LIMIT 10 \g /dev/null
SELECT pg_stat_force_next_flush();
SELECT toast_blks_hit + coalesce(toast_blks_read, 0) - :before >= 10 AS cosine_reads_toast
  FROM pg_statio_user_tables WHERE relname = 'r';

-- With hnsw.reuse_scan_distances off the same L2 scan's distances fetch
-- every row's vector from the TOAST relation (so the zero above is the
-- reuse at work, and a PostgreSQL change that stopped it would show), and
-- are the functions' own all the same.
SET hnsw.reuse_scan_distances = off;
SELECT toast_blks_hit + coalesce(toast_blks_read, 0) AS before
  FROM pg_statio_user_tables WHERE relname = 'r' \gset
SELECT id, v <-> :q2 FROM r ORDER BY v <-> :q2 LIMIT 10 \g /dev/null
SELECT pg_stat_force_next_flush();
SELECT toast_blks_hit + coalesce(toast_blks_read, 0) - :before >= 10 AS off_l2_reads_toast
  FROM pg_statio_user_tables WHERE relname = 'r';
SELECT '<->' AS op, * FROM check_scan('<->')
UNION ALL SELECT '<#>', * FROM check_scan('<#>')
UNION ALL SELECT '<+>', * FROM check_scan('<+>');
RESET hnsw.reuse_scan_distances;

-- Turned on while a scan is open: the rows after that take the scan's
-- distances, still the functions' own.
BEGIN;
SET LOCAL hnsw.reuse_scan_distances = off;
DECLARE c CURSOR FOR
  SELECT v <-> :q3 = subvector(v, 1, 600) <-> :q3 AS same
  FROM r ORDER BY v <-> :q3;
FETCH 2 FROM c;
SET LOCAL hnsw.reuse_scan_distances = on;
FETCH 3 FROM c;
CLOSE c;
COMMIT;

-- A scan still open (a cursor) while other rows' distances are computed to
-- the same query: only the scan's own row could take its distance.
BEGIN;
DECLARE c CURSOR FOR
  SELECT id FROM r ORDER BY v <-> :q3;
FETCH 1 FROM c \g /dev/null
SELECT count(*), bool_and(v <-> q = subvector(v, 1, 600) <-> q)
  FROM r, qs WHERE qid = 3;
FETCH 1 FROM c \g /dev/null
SELECT count(*), bool_and(v <#> q = subvector(v, 1, 600) <#> q)
  FROM r, qs WHERE qid = 3;
COMMIT;

-- A scan that ends by an error, or in a rolled-back subtransaction, leaves
-- nothing behind for later distances.
SELECT id, 1 / (id - id) FROM r ORDER BY v <-> :q1 LIMIT 10;
SELECT count(*), bool_and(v <-> q = subvector(v, 1, 600) <-> q)
  FROM r, qs WHERE qid = 1;
BEGIN;
SAVEPOINT s;
DECLARE c CURSOR FOR
  SELECT id, v <-> :q4 FROM r ORDER BY v <-> :q4;
FETCH 2 FROM c \g /dev/null
ROLLBACK TO s;
SELECT count(*), bool_and(v <-> q = subvector(v, 1, 600) <-> q)
  FROM r, qs WHERE qid = 4;
COMMIT;
DO $$
BEGIN
  PERFORM id, 1 / (id - id) FROM r
    ORDER BY v <-> (SELECT q FROM qs WHERE qid = 2) LIMIT 5;
EXCEPTION WHEN division_by_zero THEN
  RAISE NOTICE 'caught';
END $$;
SELECT count(*), bool_and(v <-> q = subvector(v, 1, 600) <-> q)
  FROM r, qs WHERE qid = 2;

DROP FUNCTION check_scan(text);
DROP TABLE r, qs;
