-- halfvec_functions: distances and operators, norms, subvector,
-- binary_quantize, element-wise arithmetic (rounded to half, with overflow
-- errors), comparisons and the btree operator class, and the catalog
-- labels pgvector gives them.

-- Distances (float8 results, the sums taken in float4)
SELECT l2_distance('[0,0]'::halfvec, '[3,4]');
SELECT '[0,0]'::halfvec <-> '[3,4]';
SELECT halfvec_l2_squared_distance('[0,0]', '[3,4]');
SELECT inner_product('[1,2]'::halfvec, '[3,4]');
SELECT '[1,2]'::halfvec <#> '[3,4]';
SELECT halfvec_negative_inner_product('[1,2]', '[3,4]');
SELECT l1_distance('[0,0]'::halfvec, '[3,-4]');
SELECT '[0,0]'::halfvec <+> '[3,-4]';
SELECT cosine_distance('[1,2]'::halfvec, '[2,4]');          -- same way: 0
SELECT '[1,1]'::halfvec <=> '[2,2]';                         -- exactly 0
SELECT '[1,1]'::halfvec <=> '[-1,-1]';                       -- opposite: 2
SELECT '[1,0]'::halfvec <=> '[0,2]';                         -- orthogonal: 1
SELECT '[0,0]'::halfvec <=> '[1,2]';                         -- zero: NaN
SELECT '[1,2]'::halfvec <=> '[0,0]';
SELECT halfvec_spherical_distance('[1,0]', '[0,1]');         -- 0.5
SELECT halfvec_spherical_distance('[1,0]', '[1,0]');
SELECT halfvec_spherical_distance('[1,0]', '[-1,0]');
SELECT halfvec_spherical_distance('[2,0]', '[2,0]');         -- clamped
-- the largest values: sums stay finite
SELECT '[65504,65504]'::halfvec <-> '[-65504,-65504]';
SELECT '[65504,-65504]'::halfvec <#> '[65504,-65504]';
SELECT '[65504,-65504]'::halfvec <+> '[-65504,65504]';
-- different dimensions
SELECT '[1,2]'::halfvec <-> '[1,2,3]';
SELECT inner_product('[1,2]'::halfvec, '[1,2,3]');
SELECT cosine_distance('[1,2]'::halfvec, '[1,2,3]');
SELECT l1_distance('[1,2]'::halfvec, '[1,2,3]');
SELECT halfvec_spherical_distance('[1,2]', '[1,2,3]');

-- Longer vectors: every distance is the same whichever argument comes
-- first, and matches vector's on the same values to float4 rounding
CREATE TABLE hf_t AS
SELECT i, ('[' || string_agg(((((i * 7919 + j * 104729) % 2001) - 1000) / 64.0)::text, ',' ORDER BY j) || ']')::halfvec AS v
FROM generate_series(1, 6) i, generate_series(1, 1000 + i) j GROUP BY i;
SELECT count(*) FILTER (WHERE a.v <-> b.v = b.v <-> a.v AND a.v <#> b.v = b.v <#> a.v
		AND a.v <=> b.v = b.v <=> a.v AND a.v <+> b.v = b.v <+> a.v) AS symmetric,
	count(*) FILTER (WHERE abs((a.v <-> b.v) - (a.v::vector <-> b.v::vector)) <= 1e-5 * (a.v::vector <-> b.v::vector)
		AND abs((a.v <#> b.v) - (a.v::vector <#> b.v::vector)) <= 1e-3
		AND abs((a.v <=> b.v) - (a.v::vector <=> b.v::vector)) <= 1e-6
		AND abs((a.v <+> b.v) - (a.v::vector <+> b.v::vector)) <= 1e-5 * (a.v::vector <+> b.v::vector)) AS close,
	count(*) AS pairs
FROM hf_t a JOIN hf_t b ON vector_dims(a.v) = vector_dims(b.v);
SELECT v <-> v AS l2_self, v <+> v AS l1_self, v <=> v AS cos_self FROM hf_t ORDER BY i LIMIT 2;
DROP TABLE hf_t;

-- Dimensions, norms, normalization
SELECT vector_dims('[1,2,3]'::halfvec);
SELECT l2_norm('[3,4]'::halfvec);
SELECT l2_norm('[0,0]'::halfvec);
SELECT l2_norm('[65504,65504]'::halfvec);
SELECT l2_normalize('[3,4]'::halfvec);
SELECT l2_normalize('[3,0]'::halfvec);
SELECT l2_normalize('[0,0.1]'::halfvec);
SELECT l2_normalize('[0,0]'::halfvec);
SELECT l2_normalize('[65504]'::halfvec);

-- subvector(v, start, count): 1-based, the part outside v is ignored
SELECT subvector('[1,2,3,4,5]'::halfvec, 1, 3);
SELECT subvector('[1,2,3,4,5]'::halfvec, 3, 2);
SELECT subvector('[1,2,3,4,5]'::halfvec, -1, 3);
SELECT subvector('[1,2,3,4,5]'::halfvec, 3, 9);
SELECT subvector('[1,2,3,4,5]'::halfvec, 5, 1);
SELECT subvector('[1,2,3,4,5]'::halfvec, 1, 2147483647);
SELECT subvector('[1,2,3,4,5]'::halfvec, 6, 1);
SELECT subvector('[1,2,3,4,5]'::halfvec, 3, 0);
SELECT subvector('[1,2,3,4,5]'::halfvec, -1, 2);
SELECT subvector('[1,2,3,4,5]'::halfvec, -2147483648, 1);
SELECT subvector('[1,2,3,4,5]'::halfvec, 2147483647, 10);

-- binary_quantize: one bit per element, 1 when > 0
SELECT binary_quantize('[1,0,-1,0.5,-0,6e-8]'::halfvec);
SELECT binary_quantize('[1,1,1,1,1,1,1,1,-1]'::halfvec);
SELECT length(binary_quantize(v)), bit_count(binary_quantize(v))
FROM (SELECT array_fill(1, ARRAY[16000])::halfvec AS v) s;

-- Arithmetic, rounded to half once
SELECT '[1,2,3]'::halfvec + '[4,5,6]';
SELECT '[1,2,3]'::halfvec - '[4,5,6]';
SELECT '[1,2,3]'::halfvec * '[4,5,6]';
SELECT '[2048]'::halfvec + '[1]';        -- 2049 ties to even: 2048
SELECT '[2048]'::halfvec + '[3]';        -- 2051: 2052
SELECT '[0.1]'::halfvec * '[0.1]';
SELECT '[65504]'::halfvec + '[15]';      -- 65519 rounds to 65504
SELECT '[65504]'::halfvec + '[16]';
SELECT '[-65504]'::halfvec - '[65504]';
SELECT '[256]'::halfvec * '[256]';
SELECT '[1e-4]'::halfvec * '[1e-4]';     -- underflows to zero
SELECT '[0]'::halfvec * '[1e-4]';        -- exact zero is fine
SELECT '[1,2]'::halfvec + '[1,2,3]';
SELECT '[1,2]'::halfvec - '[1,2,3]';
SELECT '[1,2]'::halfvec * '[1,2,3]';
SELECT '[1,2]'::halfvec || '[3]';
SELECT vector_dims(array_fill(1, ARRAY[8000])::halfvec || array_fill(1, ARRAY[8000])::halfvec);
SELECT array_fill(1, ARRAY[8000])::halfvec || array_fill(1, ARRAY[8001])::halfvec;

-- Comparisons: element by element as numbers, then the shorter first
SELECT '[1,2,3]'::halfvec < '[1,2,4]', '[1,2,3]'::halfvec <= '[1,2,3]',
	'[1,2,3]'::halfvec = '[1,2,3]', '[1,2,3]'::halfvec <> '[1,2,3]',
	'[1,2,3]'::halfvec >= '[1,2,4]', '[1,2,3]'::halfvec > '[1,2]';
SELECT '[-0]'::halfvec = '[0]';
SELECT '[1.0001]'::halfvec = '[1]';       -- equal after rounding
SELECT halfvec_cmp('[1,2]', '[1,2,0]'), halfvec_cmp('[2]', '[1,9]'),
	halfvec_cmp('[1,2]', '[1,2]'), halfvec_cmp('[-1]', '[-2]');
CREATE TABLE hf_b (v halfvec);
INSERT INTO hf_b VALUES ('[1,2,3]'), ('[1,2]'), ('[-1,5]'), ('[1,2,3]'), ('[0]'), (NULL), ('[65504]');
SELECT v FROM hf_b ORDER BY v;
SELECT DISTINCT v FROM hf_b ORDER BY v DESC;
CREATE INDEX ON hf_b (v);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT v FROM hf_b WHERE v = '[1,2,3]';
SELECT v FROM hf_b WHERE v = '[1,2,3]';
SELECT v FROM hf_b WHERE v > '[1]' ORDER BY v;
RESET enable_seqscan;
DROP TABLE hf_b;

-- Catalog: every function immutable, strict and parallel safe (as
-- pgvector's); the distance operators commute with themselves
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE ('halfvec'::regtype = ANY (p.proargtypes) OR p.prorettype = 'halfvec'::regtype)
	AND p.proname NOT LIKE '%sparsevec%'
ORDER BY p.oid::regprocedure::text;
SELECT o.oprname, o.oprcode, c.oprname AS commutator, n.oprname AS negator
FROM pg_operator o LEFT JOIN pg_operator c ON c.oid = o.oprcom
	LEFT JOIN pg_operator n ON n.oid = o.oprnegate
WHERE o.oprleft = 'halfvec'::regtype
ORDER BY o.oprname;
SELECT opcname, opcdefault, amname FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE opcintype = 'halfvec'::regtype AND amname = 'btree';
