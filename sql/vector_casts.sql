-- vector_casts: integer[], real[], double precision[] and numeric[] cast to
-- vector (explicitly and on assignment, not implicitly), vector casts
-- implicitly to real[], and every cast refuses what a vector cannot hold:
-- NULLs, 2-D or empty arrays, NaN, infinities, values outside float4 range,
-- too many elements, the wrong number of elements for vector(n).

-- The casts and their contexts (a = assignment, i = implicit); those
-- between vector and the other vector types are tested with those types
SELECT castsource::regtype, casttarget::regtype, castcontext
FROM pg_cast
WHERE (castsource = 'vector'::regtype OR casttarget = 'vector'::regtype)
	AND castsource::regtype::text NOT IN ('halfvec', 'sparsevec')
	AND casttarget::regtype::text NOT IN ('halfvec', 'sparsevec')
ORDER BY castsource::regtype::text, casttarget::regtype::text;

-- Explicit casts from each array type
SELECT ARRAY[1,2,3]::vector;
SELECT '{-4,0,5}'::int[]::vector;
SELECT ARRAY[1.5,-2.25]::real[]::vector;
SELECT ARRAY[0.5,-2,1e-3]::float8[]::vector;
SELECT ARRAY[1.5,2.25,-3]::numeric[]::vector;
SELECT ARRAY[0.1]::float8[]::vector;            -- rounded to float4: [0.1]
SELECT ARRAY[16777217]::vector = '[16777216]';  -- int4 rounded to float4: 2^24
SELECT '[0:2]={7,8,9}'::int[]::vector;          -- lower bound is ignored
SELECT ARRAY[1,2,3]::vector(3);

-- Assignment: array values go into a vector(3) column
CREATE TABLE vc_t (id int, v vector(3));
INSERT INTO vc_t VALUES (1, ARRAY[1,2,3]);
INSERT INTO vc_t VALUES (2, ARRAY[1.5,2.5,3.5]::real[]);
INSERT INTO vc_t VALUES (3, ARRAY[0.5,-1,2]::float8[]);
INSERT INTO vc_t VALUES (4, ARRAY[0.25,0.75,-8]);     -- numeric[]
UPDATE vc_t SET v = ARRAY[4,5,6] WHERE id = 1;
SELECT * FROM vc_t ORDER BY id;
-- ... with the column's typmod enforced
INSERT INTO vc_t VALUES (5, ARRAY[1,2]);
INSERT INTO vc_t VALUES (5, ARRAY[1,2,3,4]::real[]);
DROP TABLE vc_t;

-- Not implicit: an array is not silently taken as a vector in an expression
SELECT ARRAY[1,2] <-> '[1,2]'::vector;

-- vector -> real[], explicitly, on assignment and implicitly
SELECT '[1,2,3]'::vector::real[];
SELECT '[-0.5,3e38]'::vector::real[];
SELECT ('[1.5,-2]'::vector::real[])[2];
CREATE TABLE vc_r (r real[]);
INSERT INTO vc_r VALUES ('[1,2]'::vector);
SELECT * FROM vc_r;
DROP TABLE vc_r;
CREATE FUNCTION vc_first(real[]) RETURNS real LANGUAGE sql AS 'SELECT $1[1]';
SELECT vc_first('[7,8]'::vector);
DROP FUNCTION vc_first(real[]);
-- round trip
SELECT '[0.1,-2.5,1e-45]'::vector::real[]::vector;

-- NULL elements
SELECT ARRAY[1,NULL,3]::vector;
SELECT ARRAY[1.5,NULL]::real[]::vector;
SELECT ARRAY[NULL,0.5]::float8[]::vector;
SELECT ARRAY[NULL]::numeric[]::vector;

-- Not 1-D
SELECT ARRAY[[1,2],[3,4]]::vector;
SELECT '{{1.5},{2.5}}'::real[]::vector;

-- Empty
SELECT '{}'::int[]::vector;
SELECT '{}'::real[]::vector;
SELECT '{}'::float8[]::vector;
SELECT '{}'::numeric[]::vector;

-- NaN and infinities
SELECT ARRAY['NaN']::real[]::vector;
SELECT ARRAY['Infinity']::real[]::vector;
SELECT ARRAY['-Infinity']::real[]::vector;
SELECT ARRAY['NaN']::float8[]::vector;
SELECT ARRAY['Infinity']::float8[]::vector;
SELECT ARRAY['-Infinity']::float8[]::vector;
SELECT ARRAY['NaN']::numeric[]::vector;
SELECT ARRAY['Infinity']::numeric[]::vector;
SELECT ARRAY['-Infinity']::numeric[]::vector;

-- Outside float4 range: overflow and underflow to zero
SELECT ARRAY[1e300]::float8[]::vector;
SELECT ARRAY[-1e300]::float8[]::vector;
SELECT ARRAY[1e-300]::float8[]::vector;
SELECT ARRAY[1e39]::numeric[]::vector;
SELECT ARRAY[1e-50]::numeric[]::vector;

-- Dimension count: 16000 elements work, 16001 do not
SELECT vector_dims(array_fill(1, ARRAY[16000])::vector);
SELECT array_fill(1, ARRAY[16001])::vector;
SELECT array_fill(1.5::float8, ARRAY[16001])::vector;

-- typmod through a cast
SELECT ARRAY[1,2]::vector(3);
SELECT ARRAY[1,2,3,4]::real[]::vector(3);
SELECT ARRAY[0.5]::float8[]::vector(2);
