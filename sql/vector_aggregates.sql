-- vector_aggregates: avg(vector) and sum(vector) are element-wise, skip
-- NULLs, return NULL for no rows, refuse mixed dimensions, and are
-- parallel safe with a combine function, giving the same exact answer
-- from a parallel plan.

CREATE TABLE va_t (id int, g int, v vector);
INSERT INTO va_t VALUES
    (1, 1, '[1,2,3]'),
    (2, 1, '[3,4,6]'),
    (3, 1, NULL),
    (4, 2, '[0.5,-1,0]'),
    (5, 2, '[1.5,1,-1]'),
    (6, 3, NULL);

-- Whole table: rows 1,2,4,5 (NULLs skipped): sum [6,6,8], avg [1.5,1.5,2]
SELECT count(v), avg(v), sum(v) FROM va_t;
SELECT count(v), avg(v), sum(v) FROM va_t WHERE g = 1;    -- [2,3,4.5] [4,6,9]
-- Per group: 1 as above; 2: avg [1,0,-0.5], sum [2,0,-1]; 3: only NULL -> NULL
SELECT g, avg(v), sum(v) FROM va_t GROUP BY g ORDER BY g;

-- Averages that are not integers
SELECT avg(v) FROM (VALUES ('[1]'::vector), ('[2]')) AS t(v);            -- [1.5]
SELECT avg(v) FROM (VALUES ('[1,0]'::vector), ('[0,0]'), ('[0,0]'), ('[0,1]')) AS t(v);  -- [0.25,0.25]

-- No rows, or only NULLs: NULL
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM va_t WHERE false;
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM va_t WHERE v IS NULL;

-- Different dimensions are an error
SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) AS t(v);
SELECT sum(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) AS t(v);

-- avg accumulates in float8, so large elements do not overflow; sum is a
-- vector and does
SELECT avg(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) AS t(v);      -- [3e+38]
SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) AS t(v);

-- Catalog: both aggregates are parallel safe and have a combine function
SELECT p.oid::regprocedure, p.prokind, p.proparallel, a.aggcombinefn
FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE p.proname IN ('avg', 'sum') AND p.prorettype = 'vector'::regtype
ORDER BY 1::text;
SELECT aggcombinefn <> 0 AS has_combine FROM pg_aggregate
WHERE aggfnoid = 'avg(vector)'::regprocedure;
SELECT aggcombinefn <> 0 AS has_combine FROM pg_aggregate
WHERE aggfnoid = 'sum(vector)'::regprocedure;

DROP TABLE va_t;

-- A parallel plan: partial aggregates in workers, combined in the leader.
-- Rows i = 1..1000 hold [i, -i, i % 2]:
--   sum = [500500, -500500, 500], avg = [500.5, -500.5, 0.5]
-- (all partial sums are integers below 2^24, so exact in float4)
CREATE TABLE va_p (i int, v vector(3));
INSERT INTO va_p SELECT i, ARRAY[i, -i, i % 2] FROM generate_series(1, 1000) i;
ANALYZE va_p;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM va_p;
SELECT avg(v), sum(v) FROM va_p;
-- some workers see no rows at all: their empty partial states combine away
SELECT avg(v), sum(v) FROM va_p WHERE i <= 2;        -- [1.5,-1.5,0.5] [3,-3,1]
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null FROM va_p WHERE i < 0;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE va_p;
