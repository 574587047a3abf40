-- vector_ops: the distance operators <-> <#> <=> <+>, element-wise + - *,
-- concatenation ||, and the comparison operators with their btree
-- operator class (ORDER BY, DISTINCT, GROUP BY, unique and btree indexes).

-- Distance operators return the same values as the functions
SELECT '[0,0]'::vector <-> '[3,4]';       -- l2_distance: 5
SELECT '[1,2,3]'::vector <#> '[4,5,6]';   -- negative inner product: -32
SELECT '[3,4]'::vector <=> '[-4,3]';      -- cosine distance: 1
SELECT '[3,4]'::vector <=> '[-3,-4]';     -- cosine distance: 2
SELECT '[3,4]'::vector <=> '[6,8]';       -- cosine distance: 0
SELECT '[0,0]'::vector <=> '[1,2]';       -- zero vector: NaN
SELECT '[1,2,3]'::vector <+> '[4,0,3]';   -- l1_distance: 5
SELECT round(('[1,1,1]'::vector <-> '[2,2,2]')::numeric, 6);    -- sqrt(3)
SELECT a <-> b = l2_distance(a, b) AS l2,
       a <#> b = vector_negative_inner_product(a, b) AS ip,
       a <#> b = -inner_product(a, b) AS neg_ip,
       a <=> b = cosine_distance(a, b) AS cos,
       a <+> b = l1_distance(a, b) AS l1
FROM (VALUES ('[1,-2,0.5]'::vector, '[3,0.25,-4]'::vector)) AS t(a, b);

-- ... and refuse different dimensions
SELECT '[1,2]'::vector <-> '[1,2,3]';
SELECT '[1,2]'::vector <#> '[1,2,3]';
SELECT '[1,2]'::vector <=> '[1,2,3]';
SELECT '[1,2]'::vector <+> '[1,2,3]';

-- Element-wise arithmetic
SELECT '[1,2,3]'::vector + '[4,5,6]';     -- [5,7,9]
SELECT '[1,2,3]'::vector - '[4,5,6]';     -- [-3,-3,-3]
SELECT '[1,2,3]'::vector * '[4,5,6]';     -- [4,10,18]
SELECT '[0.5,1.5]'::vector + '[0.25,-2]'; -- [0.75,-0.5]
SELECT '[0.5,1.5]'::vector - '[0.25,-2]'; -- [0.25,3.5]
SELECT '[0.5,1.5]'::vector * '[0.25,-2]'; -- [0.125,-3]
SELECT '[0,2]'::vector * '[5,0]';         -- zero products are not underflow

-- ... different dimensions
SELECT '[1,2]'::vector + '[1,2,3]';
SELECT '[1,2]'::vector - '[1,2,3]';
SELECT '[1,2]'::vector * '[1,2,3]';

-- ... overflow to infinity and underflow to zero are errors
SELECT '[3e38]'::vector + '[3e38]';
SELECT '[-3e38]'::vector - '[3e38]';
SELECT '[3e38]'::vector * '[10]';
SELECT '[1e-30]'::vector * '[1e-30]';

-- Concatenation
SELECT '[1,2]'::vector || '[3]'::vector;          -- [1,2,3]
SELECT '[-0.5]'::vector || '[0.5,1]'::vector;     -- [-0.5,0.5,1]
SELECT vector_dims(array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8000])::vector);
SELECT array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8001])::vector;

-- Comparison: element by element, then the shorter vector first
SELECT '[1,2,3]'::vector < '[1,2,4]' AS lt,
       '[1,2,3]'::vector <= '[1,2,3]' AS le,
       '[1,2,3]'::vector = '[1,2,3]' AS eq,
       '[1,2,3]'::vector <> '[1,2,4]' AS ne,
       '[1,2,4]'::vector >= '[1,2,3]' AS ge,
       '[1,2,4]'::vector > '[1,2,3]' AS gt;
SELECT '[1,2,4]'::vector < '[1,2,3]' AS lt,
       '[1,2,4]'::vector <= '[1,2,3]' AS le,
       '[1,2,4]'::vector = '[1,2,3]' AS eq,
       '[1,2,3]'::vector <> '[1,2,3]' AS ne,
       '[1,2,3]'::vector >= '[1,2,4]' AS ge,
       '[1,2,3]'::vector > '[1,2,4]' AS gt;
SELECT '[1,2]'::vector < '[1,2,3]' AS prefix_first,     -- true
       '[1,2]'::vector = '[1,2,0]' AS eq_longer,        -- false
       '[2]'::vector > '[1,5,6]' AS element_first,      -- true
       '[-0]'::vector = '[0]' AS neg_zero_eq;           -- true, as for float4
SELECT vector_cmp('[1,2]', '[1,3]'), vector_cmp('[1,3]', '[1,2]'),
       vector_cmp('[1,2]', '[1,2]'), vector_cmp('[1,2]', '[1,2,0]'),
       vector_cmp('[1,2,0]', '[1,2]');

-- ORDER BY, DISTINCT, GROUP BY
CREATE TABLE vo_t (id int, v vector);
INSERT INTO vo_t VALUES
    (1, '[1,2,3]'), (2, '[1,2]'), (3, '[0,9]'), (4, '[1,2,3]'),
    (5, '[-1]'), (6, '[1,2]'), (7, '[1,10]'), (8, NULL);
SELECT id, v FROM vo_t ORDER BY v, id;
SELECT id, v FROM vo_t ORDER BY v DESC NULLS LAST, id;
SELECT DISTINCT v FROM vo_t ORDER BY v;
SELECT v, count(*), min(id), max(id) FROM vo_t GROUP BY v ORDER BY v;

-- Unique index: duplicates are refused ([1,2,3] is in rows 1 and 4)
DELETE FROM vo_t WHERE id = 6;
CREATE UNIQUE INDEX vo_t_unique ON vo_t (v);
DELETE FROM vo_t WHERE id = 4;
CREATE UNIQUE INDEX vo_t_unique ON vo_t (v);
INSERT INTO vo_t VALUES (9, '[1,2,3]');
INSERT INTO vo_t VALUES (9, '[1,2,3,0]');    -- longer: not a duplicate
DROP INDEX vo_t_unique;

-- A btree index answers equality, ranges and ORDER BY
CREATE INDEX vo_t_btree ON vo_t USING btree (v);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id, v FROM vo_t WHERE v = '[1,2,3]';
SELECT id, v FROM vo_t WHERE v = '[1,2,3]';
EXPLAIN (COSTS OFF) SELECT id, v FROM vo_t WHERE v > '[1,2]' AND v < '[1,3]' ORDER BY v;
SELECT id, v FROM vo_t WHERE v > '[1,2]' AND v < '[1,3]' ORDER BY v;
EXPLAIN (COSTS OFF) SELECT id, v FROM vo_t ORDER BY v;
SELECT id, v FROM vo_t ORDER BY v;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TABLE vo_t;
