-- halfvec_aggregates: avg(halfvec) and sum(halfvec), their errors, and
-- that both are parallel safe with a combine function, giving the same
-- answer from a parallel plan.

CREATE TABLE ha_t (v halfvec(3));
INSERT INTO ha_t VALUES ('[1,2,3]'), ('[3,5,7]'), (NULL), ('[-1,0.5,65504]');
SELECT avg(v), sum(v) FROM ha_t;
SELECT avg(v) FROM ha_t WHERE v IS NULL;            -- no rows: NULL
SELECT sum(v) FROM ha_t WHERE v IS NULL;
SELECT avg(v) FROM (VALUES ('[65504]'::halfvec), ('[65504]')) s(v);
SELECT sum(v) FROM (VALUES ('[65504]'::halfvec), ('[65504]')) s(v);   -- overflows
SELECT avg(v) FROM (VALUES ('[1,2]'::halfvec), ('[1,2,3]')) s(v);
SELECT sum(v) FROM (VALUES ('[1,2]'::halfvec), ('[1,2,3]')) s(v);
-- the average is rounded to half once
SELECT avg(v) FROM (VALUES ('[1]'::halfvec), ('[0]'), ('[0]')) s(v);
SELECT avg(v) FROM (VALUES ('[2048]'::halfvec), ('[2050]')) s(v);     -- 2049: 2048

-- The functions directly
SELECT halfvec_accum('{0}', '[1,2,3]');
SELECT halfvec_accum('{1,1,2,3}', '[1,2,3]');
SELECT halfvec_accum('{1,1,2}', '[1,2,3]');
SELECT halfvec_accum('{{0}}', '[1,2,3]');
SELECT halfvec_avg('{2,2,4,6}');
SELECT halfvec_avg('{0}');
SELECT halfvec_avg('{2,131100}');
SELECT halfvec_combine('{1,1,2}', '{2,3,4}');
SELECT halfvec_combine('{0}', '{2,3,4}');

-- Catalog: parallel safe, with a combine function
SELECT p.oid::regprocedure, p.proparallel, a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
	a.aggtranstype::regtype, a.agginitval
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.proargtypes[0] = 'halfvec'::regtype ORDER BY 1::text;

-- A parallel plan: partial aggregates in workers, combined in the leader
CREATE TABLE ha_big AS
SELECT ARRAY[i % 7, (i % 13) * 0.5, -(i % 5)]::halfvec AS v
FROM generate_series(1, 30000) i;
ANALYZE ha_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM ha_big;
SELECT avg(v) FROM ha_big;
-- (partial sums exact in half precision, so the order does not matter)
SELECT sum(v) FROM ha_big WHERE v >= '[6,6]';
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT avg(v) FROM ha_big;
DROP TABLE ha_t, ha_big;
