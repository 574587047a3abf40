-- sparsevec_input: text input and output of the sparsevec type, its limits
-- (1..1000000000 dimensions, at most 16000 non-zero elements), the
-- sparsevec(n) typmod, and the binary send format.
-- Every bad input is its own statement so one error cannot hide another.

-- Plain input, and output in the same form: 1-based indices, the dimension
-- count after the slash
SELECT '{2:0.5,7:-3}/8'::sparsevec;
SELECT '{1:42}/1'::sparsevec;
SELECT '{}/4'::sparsevec;

-- Whitespace around every token is ignored
SELECT E' {\t3 :  1.25 , 5:\n2 }  /  6 '::sparsevec;
SELECT '{ }/2'::sparsevec;

-- Indices may come in any order; they are stored and printed sorted
SELECT '{9:9,2:2,5:5}/10'::sparsevec;

-- Zero values are not stored (a negative zero neither)
SELECT '{1:0,2:7,3:-0,4:0.0}/4'::sparsevec;
SELECT '{3:0}/3'::sparsevec;

-- Signs, exponents and the shortest round-tripping text for each value
SELECT '{+1:+4,2:-1.5E+2,3:2.5e-3}/3'::sparsevec;
SELECT '{1:0.1,2:1.23456789}/2'::sparsevec;
SELECT '{1:3.4028235e38,2:-1e-45}/2'::sparsevec;
SET extra_float_digits = 3;
SELECT '{1:0.1}/1'::sparsevec;
RESET extra_float_digits;

-- The largest dimension count and index
SELECT '{1000000000:1}/1000000000'::sparsevec;

-- Syntax errors
SELECT ''::sparsevec;
SELECT '[1,2]'::sparsevec;
SELECT '{1:1}'::sparsevec;
SELECT '{1:1}/'::sparsevec;
SELECT '{1:1}/x'::sparsevec;
SELECT '{1:1}/3 junk'::sparsevec;
SELECT '{1:1}/3/3'::sparsevec;
SELECT '{1:1'::sparsevec;
SELECT '{1}/3'::sparsevec;
SELECT '{1:}/3'::sparsevec;
SELECT '{:1}/3'::sparsevec;
SELECT '{a:1}/3'::sparsevec;
SELECT '{1:b}/3'::sparsevec;
SELECT '{1:1;2:2}/3'::sparsevec;
SELECT '{1:1,}/3'::sparsevec;
SELECT '{,1:1}/3'::sparsevec;
SELECT '{1.5:1}/3'::sparsevec;
SELECT '{1:1 2}/3'::sparsevec;

-- Values out of float4 range, NaN and infinities
SELECT '{1:1e39}/2'::sparsevec;
SELECT '{1:-1e39}/2'::sparsevec;
SELECT '{1:1e-50}/2'::sparsevec;
SELECT '{1:nan}/2'::sparsevec;
SELECT '{1:inf}/2'::sparsevec;
SELECT '{2:-Infinity}/2'::sparsevec;

-- Indices out of range (1..dimensions), repeated
SELECT '{0:1}/3'::sparsevec;
SELECT '{-5:1}/3'::sparsevec;
SELECT '{4:1}/3'::sparsevec;
SELECT '{99999999999:1}/3'::sparsevec;
SELECT '{2:1,2:3}/3'::sparsevec;
SELECT '{3:1,1:1,3:1}/3'::sparsevec;
-- a repeated index whose values are zero is not stored, so not repeated
SELECT '{2:0,2:0,1:5}/3'::sparsevec;

-- Dimension counts out of range
SELECT '{}/0'::sparsevec;
SELECT '{}/-3'::sparsevec;
SELECT '{}/1000000001'::sparsevec;
SELECT '{}/99999999999999999999'::sparsevec;

-- More than 16000 elements (counted from the commas, zero or not)
SELECT ('{' || string_agg(i || ':1', ',') || '}/20000')::sparsevec IS NOT NULL
  FROM generate_series(1, 16000) i;
SELECT ('{' || string_agg(i || ':1', ',') || '}/20000')::sparsevec
  FROM generate_series(1, 16001) i;
SELECT ('{' || string_agg(i || ':0', ',') || '}/20000')::sparsevec
  FROM generate_series(1, 16001) i;

-- Typmod: sparsevec(n) is the dimension count
SELECT '{1:1}/3'::sparsevec(3);
SELECT '{1:1}/3'::sparsevec(4);
SELECT '{}/3'::sparsevec(0);
SELECT '{}/3'::sparsevec(1000000001);
SELECT '{}/3'::sparsevec(2, 3);
SELECT '{}/3'::sparsevec('x');
CREATE TABLE sv_typmod (v sparsevec(3));
\d sv_typmod
INSERT INTO sv_typmod VALUES ('{1:1}/3');
INSERT INTO sv_typmod VALUES ('{1:1}/2');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
  WHERE attrelid = 'sv_typmod'::regclass AND attname = 'v';
DROP TABLE sv_typmod;

-- Binary send format: int32 dim, int32 nnz, int32 0, the 0-based indices,
-- the float4 values, all big-endian
SELECT sparsevec_send('{2:1.5,5:-2}/6');
SELECT sparsevec_send('{}/3');

-- Text output reads back as the same bits (binary COPY: t/045)
SELECT v, sparsevec_send(v::text::sparsevec) = sparsevec_send(v) AS same
  FROM (VALUES ('{1:1,3:-0.1}/3'::sparsevec), ('{}/1'),
               ('{1000000000:1e-45,1:3.4028235e38}/1000000000')) t(v);
