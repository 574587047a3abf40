-- vector_input: text input and output of the vector type, the dimension
-- limits (1..16000), the vector(n) typmod, and the binary send format.
-- Every bad input is its own statement so one error cannot hide another.

-- Plain input, and output in the same form
SELECT '[1,2,3]'::vector;
SELECT '[-1.5,0,2.25]'::vector;
SELECT '[42]'::vector;

-- Whitespace around brackets and numbers is ignored
SELECT '  [ 1 , 2 ,3 ]  '::vector;
SELECT E'\t[\n1,\t2 ]\n'::vector;

-- Exponents (upper and lower case e)
SELECT '[1e3,-2.5E-1]'::vector;
SELECT '[+4,1.5e+1]'::vector;

-- Output is the shortest text that reads back as the same float4
SELECT '[0.1]'::vector;
SELECT '[1.23456789]'::vector;      -- [1.2345679]
SELECT '[3.4028235e38]'::vector;    -- largest float4
SELECT '[1e-45]'::vector;           -- smallest denormal float4
SELECT '[-0]'::vector;              -- negative zero keeps its sign

-- ... whatever extra_float_digits says (float4out would print 0.100000001
-- and 1.23457 here)
SET extra_float_digits = 3;
SELECT '[0.1,1.23456789]'::vector;
SET extra_float_digits = 0;
SELECT '[0.1,1.23456789]'::vector;
RESET extra_float_digits;

-- Text round trip gives back the identical vector
SELECT v, v::text::vector = v AS round_trip
FROM (VALUES ('[0.1,0.2,0.3]'::vector),
             ('[1.23456789,-9.87654321]'),
             ('[3.4028235e38,-3.4028235e38]'),
             ('[1e-45,1.1754944e-38]'),
             ('[-0,0]')) AS t(v);

-- Bad syntax
SELECT '[1,2'::vector;
SELECT '[]'::vector;
SELECT '[a]'::vector;
SELECT '[1,,2]'::vector;
SELECT '[1,2]x'::vector;
SELECT ''::vector;
SELECT '1,2'::vector;
SELECT '[1 2]'::vector;

-- NaN and infinities are not allowed
SELECT '[nan]'::vector;
SELECT '[NaN]'::vector;
SELECT '[inf]'::vector;
SELECT '[-Infinity]'::vector;

-- Out of float4 range: overflow, and underflow to zero, are errors
SELECT '[1e39]'::vector;
SELECT '[-1e39]'::vector;
SELECT '[1e-50]'::vector;

-- Dimension limits: 16000 elements work, 16001 do not
SELECT vector_dims((SELECT '[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ']')::vector);
SELECT (SELECT '[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::vector;

-- NULL in, NULL out
SELECT NULL::vector IS NULL AS is_null;

-- typmod: vector(n) in a table
CREATE TABLE vi_t (id int, v vector(3));
INSERT INTO vi_t VALUES (1, '[1,2,3]');
INSERT INTO vi_t VALUES (2, '[1,2]');
INSERT INTO vi_t VALUES (3, '[1,2,3,4]');
INSERT INTO vi_t SELECT 4, '[1,2]'::vector;    -- via the length coercion cast
SELECT * FROM vi_t ORDER BY id;

-- format_type shows the typmod
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'vi_t'::regclass AND attnum > 0
ORDER BY attnum;

-- typmod in a cast
SELECT '[1,2,3]'::vector(3);
SELECT '[1,2]'::vector(3);
SELECT '[1,2,3]'::vector(3)::vector(2);
SELECT '[1,2,3]'::vector(3)::vector;

-- Bad type modifiers
CREATE TABLE vi_bad (v vector(0));
CREATE TABLE vi_bad (v vector(16001));
CREATE TABLE vi_bad (v vector(1,2));
SELECT '[1]'::vector(0);
CREATE TABLE vi_max (v vector(16000));    -- the largest allowed
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'vi_max'::regclass AND attname = 'v';
DROP TABLE vi_max;

-- ALTER COLUMN TYPE: to a vector(n) the data does not fit -> error;
-- to unconstrained vector and back to vector(3) works
ALTER TABLE vi_t ALTER COLUMN v TYPE vector(2);
ALTER TABLE vi_t ALTER COLUMN v TYPE vector(4);
ALTER TABLE vi_t ALTER COLUMN v TYPE vector;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'vi_t'::regclass AND attname = 'v';
INSERT INTO vi_t VALUES (5, '[5,6]');
ALTER TABLE vi_t ALTER COLUMN v TYPE vector(3);
DELETE FROM vi_t WHERE id = 5;
ALTER TABLE vi_t ALTER COLUMN v TYPE vector(3);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'vi_t'::regclass AND attname = 'v';
SELECT * FROM vi_t ORDER BY id;
DROP TABLE vi_t;

-- Binary send format: int16 dim, int16 zero, then big-endian float4s
-- (1.0 = 3f800000, 2.0 = 40000000, 3.0 = 40400000, -0.0 = 80000000)
SELECT vector_send('[1,2,3]');
SELECT vector_send('[-0]');
SELECT vector_send('[-2,0.5]');    -- c0000000, 3f000000
