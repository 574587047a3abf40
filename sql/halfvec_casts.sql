-- halfvec_casts: the casts between halfvec and vector, real[] and the
-- arrays pgvector casts from (integer[], real[], double precision[],
-- numeric[]), in pgvector's contexts, and every cast's refusals: NULLs,
-- 2-D or empty arrays, NaN, infinities, values that round beyond +-65504,
-- too many elements, the wrong number of elements for halfvec(n).

-- The casts and their contexts (a = assignment, i = implicit)
SELECT castsource::regtype, casttarget::regtype, castcontext, castfunc::regproc
FROM pg_cast
WHERE (castsource = 'halfvec'::regtype OR casttarget = 'halfvec'::regtype)
	AND castsource::regtype::text NOT LIKE 'sparsevec%'
	AND casttarget::regtype::text NOT LIKE 'sparsevec%'
ORDER BY castsource::regtype::text, casttarget::regtype::text;

-- From arrays
SELECT ARRAY[1,2,3]::halfvec;
SELECT '{-4,0,5}'::int[]::halfvec(3);
SELECT ARRAY[1.5,-2.25]::real[]::halfvec;
SELECT ARRAY[0.5,-2,1e-3]::float8[]::halfvec;
SELECT ARRAY[1.5,2.25,-3]::numeric[]::halfvec;
SELECT ARRAY[0.1]::float8[]::halfvec;           -- nearest half
SELECT ARRAY[2049]::halfvec;                     -- ties to even: 2048
SELECT ARRAY[65519]::halfvec, ARRAY[-65519.5]::float8[]::halfvec;
SELECT ARRAY[1e-8,-1e-8]::real[]::halfvec;      -- rounds to zero
SELECT array_to_halfvec(ARRAY[1,2], -1, false);
-- ... refusals
SELECT ARRAY[65520]::halfvec;
SELECT ARRAY[1e5]::real[]::halfvec;
SELECT ARRAY[-1e10]::float8[]::halfvec;
SELECT ARRAY[4e38]::float8[]::halfvec;          -- beyond float4: infinite
SELECT ARRAY[1e39]::numeric[]::halfvec;
SELECT ARRAY[70000]::numeric[]::halfvec;
SELECT '{NaN}'::real[]::halfvec;
SELECT '{Infinity}'::real[]::halfvec;
SELECT '{-Infinity}'::float8[]::halfvec;
SELECT '{NaN}'::numeric[]::halfvec;
SELECT '{1,NULL}'::int[]::halfvec;
SELECT '{{1,2},{3,4}}'::int[]::halfvec;
SELECT '{}'::int[]::halfvec;
SELECT '{1,2,3}'::real[]::halfvec(2);
SELECT array_agg(n)::halfvec FROM generate_series(1, 16001) n;
SELECT vector_dims(array_agg(n)::halfvec) FROM generate_series(1, 16000) n;
-- ... not implicitly
SELECT ARRAY[3,4]::int[] <-> '[0,0]'::halfvec;

-- To real[] (on assignment)
SELECT '[1,2.5,-0]'::halfvec::real[];
SELECT '[0.1]'::halfvec::real[];
CREATE TABLE hc_t (a real[]);
INSERT INTO hc_t VALUES ('[65504,6e-8]'::halfvec);
SELECT * FROM hc_t;
DROP TABLE hc_t;

-- vector -> halfvec (implicit), halfvec -> vector (assignment)
SELECT '[1,2.5,3]'::vector::halfvec;
SELECT '[0.1,1.23456]'::vector::halfvec;
SELECT '[1,2,3]'::vector::halfvec(3);
SELECT '[1,2,3]'::vector::halfvec(2);
SELECT '[65520]'::vector::halfvec;
SELECT '[-1e20]'::vector::halfvec;
SELECT '[1,2,3]'::vector <-> '[1,2,5]'::halfvec;   -- resolves to halfvec
SELECT '[0.1,2.5]'::halfvec::vector;
SELECT '[1,2,3]'::halfvec::vector(3);
SELECT '[1,2,3]'::halfvec::vector(2);
CREATE TABLE hc_v (v vector(2), h halfvec(2));
INSERT INTO hc_v VALUES ('[1,2]'::halfvec, '[3,4]'::vector);
INSERT INTO hc_v (h) VALUES ('[1e5,1]'::vector);
SELECT * FROM hc_v;
DROP TABLE hc_v;
