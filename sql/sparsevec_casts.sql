-- sparsevec_casts: casts between sparsevec and vector and from arrays, with
-- the typmod and every error.

-- vector <-> sparsevec
SELECT '[0,-2.5,0,0,7]'::vector::sparsevec;
SELECT '[0,0]'::vector::sparsevec;
SELECT '[-0,1]'::vector::sparsevec;
SELECT '[1,2,3]'::vector::sparsevec(3);
SELECT '[1,2,3]'::vector::sparsevec(2);
SELECT '{2:-2.5,5:7}/5'::sparsevec::vector;
SELECT '{}/2'::sparsevec::vector;
SELECT '{1:1}/3'::sparsevec::vector(3);
SELECT '{1:1}/3'::sparsevec::vector(4);
SELECT '{1:1}/16001'::sparsevec::vector;
SELECT '{16000:1}/16000'::sparsevec::vector::real[]
  = array_fill(0::real, ARRAY[15999]) || 1::real AS same;

-- vector -> sparsevec is implicit, sparsevec -> vector on assignment
SELECT '{1:1}/2'::sparsevec <-> '[3,4]'::vector;
CREATE TABLE sv_assign (v vector(3), s sparsevec(3));
INSERT INTO sv_assign VALUES ('{2:2}/3'::sparsevec, '[0,0,9]'::vector);
SELECT * FROM sv_assign;
DROP TABLE sv_assign;

-- Arrays of each element type; zeros are not stored
SELECT ARRAY[0,4,0,-8]::sparsevec;
SELECT ARRAY[0,4,0,-8]::real[]::sparsevec;
SELECT ARRAY[0,4,0,-8]::float8[]::sparsevec;
SELECT ARRAY[0.0,4.5,0.0,-8.25]::sparsevec;
SELECT '{0,0,0}'::real[]::sparsevec;
SELECT '{1,0,2}'::int[]::sparsevec(3);
SELECT '{1,0,2}'::int[]::sparsevec(4);
SELECT array_to_sparsevec('{5,0,5}'::int[], -1, false);

-- Array errors
SELECT '{}'::real[]::sparsevec;
SELECT '{{1,2},{3,4}}'::real[]::sparsevec;
SELECT '{1,NULL}'::real[]::sparsevec;
SELECT '{NaN,1}'::real[]::sparsevec;
SELECT '{1,Infinity}'::real[]::sparsevec;
SELECT '{-Infinity}'::float8[]::sparsevec;
SELECT '{1e300}'::float8[]::sparsevec;
SELECT '{1e-300}'::float8[]::sparsevec;
SELECT '{1e39}'::numeric[]::sparsevec;
SELECT '{-1e300}'::float8[]::sparsevec;
SELECT array_agg(1)::sparsevec FROM generate_series(1, 16001);
SELECT (array_fill(0, ARRAY[100000]) || 1)::sparsevec::text;

-- sparsevec -> sparsevec checks the typmod
SELECT '{1:1}/3'::sparsevec::sparsevec(3);
SELECT '{1:1}/3'::sparsevec::sparsevec(2);
