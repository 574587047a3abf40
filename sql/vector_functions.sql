-- vector_functions: the distance functions, vector_dims, vector_norm,
-- l2_normalize and subvector give the documented values on small exact
-- inputs, refuse vectors of different dimensions, and every function of
-- the extension is IMMUTABLE STRICT PARALLEL SAFE.

-- l2_distance: sqrt(sum (a-b)^2); 3-4-5 triangle
SELECT l2_distance('[0,0]'::vector, '[3,4]');
SELECT l2_distance('[1,2,3]'::vector, '[1,2,3]');
SELECT l2_distance('[0.5,-1.5]'::vector, '[3.5,2.5]');          -- (3,4): 5
SELECT round(l2_distance('[1,1,1]'::vector, '[2,2,2]')::numeric, 6);    -- sqrt(3)

-- vector_l2_squared_distance: sum (a-b)^2
SELECT vector_l2_squared_distance('[0,0]', '[3,4]');
SELECT vector_l2_squared_distance('[1,1,1]', '[2,2,2]');
SELECT vector_l2_squared_distance('[0.5]', '[-1]');    -- 2.25

-- inner_product and vector_negative_inner_product: 4 + 10 + 18 = 32
SELECT inner_product('[1,2,3]'::vector, '[4,5,6]');
SELECT vector_negative_inner_product('[1,2,3]', '[4,5,6]');
SELECT inner_product('[0.5,1.5]'::vector, '[2,-2]');             -- 1 - 3 = -2
SELECT vector_negative_inner_product('[0.5,1.5]', '[2,-2]');
SELECT inner_product('[1,0]'::vector, '[0,1]');

-- cosine_distance: 1 - cos(angle)
SELECT cosine_distance('[3,4]'::vector, '[3,4]');      -- same direction: 0
SELECT cosine_distance('[3,4]'::vector, '[6,8]');      -- same direction: 0
SELECT cosine_distance('[1,2,3]'::vector, '[1,2,3]');  -- identical: 0
SELECT cosine_distance('[3,4]'::vector, '[-3,-4]');    -- opposite: 2
SELECT cosine_distance('[3,4]'::vector, '[-4,3]');     -- orthogonal: 1
SELECT round(cosine_distance('[1,0]'::vector, '[1,1]')::numeric, 6);    -- 1 - 1/sqrt(2)
-- a zero vector has no direction: NaN
SELECT cosine_distance('[0,0]'::vector, '[1,2]');
SELECT cosine_distance('[1,2]'::vector, '[0,0]');
SELECT cosine_distance('[0,0]'::vector, '[0,0]');

-- l1_distance: sum |a-b|
SELECT l1_distance('[1,2,3]'::vector, '[4,0,3]');      -- 3 + 2 + 0
SELECT l1_distance('[0.5,-1.5]'::vector, '[-0.5,1.5]');    -- 1 + 3
SELECT l1_distance('[7]'::vector, '[7]');

-- Elements near the float4 limit: the result is still finite and exact
-- (2^64 * 2^64 = 2^128 does not fit in a float4 but does in a float8)
SELECT inner_product(ARRAY[2::float8 ^ 64]::vector, ARRAY[2::float8 ^ 64]::vector) = 2::float8 ^ 128 AS ok;
SELECT l2_distance(ARRAY[2::float8 ^ 127]::vector, ARRAY[-(2::float8 ^ 127)]::vector) = 2::float8 ^ 128 AS ok;
SELECT l1_distance(ARRAY[2::float8 ^ 127]::vector, ARRAY[-(2::float8 ^ 127)]::vector) = 2::float8 ^ 128 AS ok;
SELECT vector_l2_squared_distance(ARRAY[2::float8 ^ 64]::vector, ARRAY[-(2::float8 ^ 64)]::vector) = 2::float8 ^ 130 AS ok;
SELECT cosine_distance(ARRAY[2::float8 ^ 64]::vector, ARRAY[2::float8 ^ 64]::vector);    -- 0
SELECT cosine_distance(ARRAY[2::float8 ^ 64]::vector, ARRAY[-(2::float8 ^ 64)]::vector); -- 2

-- Different dimensions are an error
SELECT l2_distance('[1,2]'::vector, '[1,2,3]');
SELECT vector_l2_squared_distance('[1,2]', '[1,2,3]');
SELECT inner_product('[1,2]'::vector, '[1,2,3]');
SELECT vector_negative_inner_product('[1,2]', '[1,2,3]');
SELECT cosine_distance('[1,2]'::vector, '[1,2,3]');
SELECT l1_distance('[1,2]'::vector, '[1,2,3]');

-- vector_dims
SELECT vector_dims('[1,2,3]');
SELECT vector_dims('[0]');

-- vector_norm: sqrt(sum x^2)
SELECT vector_norm('[3,4]');
SELECT vector_norm('[-3,0,-4]');
SELECT vector_norm('[0,0]');
SELECT vector_norm('[0.5]');
SELECT round(vector_norm('[1,1]')::numeric, 6);    -- sqrt(2)

-- l2_normalize: unit vector in the same direction; zero stays zero
SELECT l2_normalize('[3,4]'::vector);       -- [0.6,0.8]
SELECT l2_normalize('[0,5,0]'::vector);
SELECT l2_normalize('[-2]'::vector);
SELECT l2_normalize('[0,0]'::vector);
SELECT round(vector_norm(l2_normalize('[1,2,3]'::vector))::numeric, 6);    -- 1 up to float4 rounding

-- subvector(v, start, count): 1-based start; the part of the range
-- outside the vector is ignored; an empty result is an error
SELECT subvector('[1,2,3,4,5]', 1, 3);     -- [1,2,3]
SELECT subvector('[1,2,3,4,5]', 3, 2);     -- [3,4]
SELECT subvector('[1,2,3,4,5]', 5, 1);     -- [5]
SELECT subvector('[1,2,3,4,5]', -1, 3);    -- positions -1,0,1: [1]
SELECT subvector('[1,2,3,4,5]', 0, 2);     -- positions 0,1: [1]
SELECT subvector('[1,2,3,4,5]', 4, 10);    -- [4,5]
SELECT subvector('[1,2,3,4,5]', 1, 2147483647);    -- whole vector
SELECT subvector('[1,2,3,4,5]', -2147483648, 2147483647);  -- ends before 1
SELECT subvector('[1,2,3,4,5]', 2147483647, 2147483647);   -- starts after 5
SELECT subvector('[1,2,3,4,5]', 3, 0);
SELECT subvector('[1,2,3,4,5]', 6, 1);
SELECT subvector('[1,2,3,4,5]', 1, -1);
SELECT subvector('[1,2,3,4,5]', -5, 5);    -- positions -5..-1

-- STRICT: NULL arguments give NULL
SELECT l2_distance(NULL, '[1]'::vector) IS NULL AS l2, vector_dims(NULL) IS NULL AS dims,
       subvector('[1,2]', NULL, 1) IS NULL AS sub;

-- Markings: every plain function of the extension is IMMUTABLE, STRICT and
-- PARALLEL SAFE, except the hnsw access method's handler and support
-- functions.  Expected: no rows.
SELECT p.oid::regprocedure
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
     AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid
WHERE e.extname = 'vecindex' AND p.prokind = 'f'
  AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's')
  AND p.prorettype <> 'index_am_handler'::regtype
  AND p.proname NOT LIKE 'hnsw%'
ORDER BY 1::text;

-- ... and that query does see the functions: 36 = 6 type I/O, 6 distances,
-- dims/norm/normalize/subvector, add/sub/mul/concat, 7 btree comparisons,
-- 3 avg support, 6 cast functions; + 27 for sparsevec = 63: 5 type I/O, 6
-- distances and norms, 7 btree comparisons, 2 operator class support, 7 casts
SELECT count(*)
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
     AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid
WHERE e.extname = 'vecindex' AND p.prokind = 'f'
  AND p.prorettype <> 'index_am_handler'::regtype
  AND p.proname NOT LIKE 'hnsw%';
