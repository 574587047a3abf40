-- halfvec_input: text input and output of the halfvec type (elements
-- rounded to half precision, ties to even), the dimension limits
-- (1..16000), the halfvec(n) typmod, and the binary format (send, and
-- receive through binary COPY, including crafted bad input).

-- Plain input; output is the shortest float4 text of each half
SELECT '[1,2.5,3]'::halfvec;
SELECT '  [ -1 , 0 ,2.25 ]  '::halfvec;
SELECT E'\t[\n1e2,\t-2.5E-1 ]\n'::halfvec;
SELECT '[1.23456]'::halfvec;            -- nearest half: 1.234375
SELECT '[0.1]'::halfvec;                -- 0.0999755859375
SELECT '[-0]'::halfvec;                 -- negative zero keeps its sign
SELECT '[65504,-65504]'::halfvec;       -- the largest halves
SELECT '[65519.99,-65519]'::halfvec;    -- still round to 65504
SELECT '[6e-8,5.960464477539063e-8]'::halfvec;  -- smallest subnormal 2^-24
SELECT '[2.9e-8,1e-8,-1e-8]'::halfvec;  -- below half of it: zero
SELECT '[2049,2051,1.00048828125]'::halfvec;  -- ties to even: 2048, 2052, 1

-- ... whatever extra_float_digits says
SET extra_float_digits = 3;
SELECT '[0.1,1.23456]'::halfvec;
RESET extra_float_digits;

-- Out of range (rounds beyond 65504), NaN and infinities
SELECT '[65520]'::halfvec;
SELECT '[1,-65520]'::halfvec;
SELECT '[1,  1e5  ,3]'::halfvec;
SELECT '[4e38]'::halfvec;
SELECT '[NaN]'::halfvec;
SELECT '[1,Infinity]'::halfvec;
SELECT '[-inf]'::halfvec;

-- Syntax errors
SELECT ''::halfvec;
SELECT '1,2'::halfvec;
SELECT '[1,2'::halfvec;
SELECT '[1,,2]'::halfvec;
SELECT '[1,]'::halfvec;
SELECT '[1 2]'::halfvec;
SELECT '[a]'::halfvec;
SELECT '[1]x'::halfvec;

-- Dimension limits
SELECT '[]'::halfvec;
SELECT '[ ]'::halfvec;
SELECT vector_dims(('[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ']')::halfvec);
SELECT ('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::halfvec;

-- Typmod
SELECT '[1,2,3]'::halfvec(3);
SELECT '[1,2,3]'::halfvec(2);
SELECT '[1,2,3]'::halfvec(3)::halfvec(2);
SELECT '[1,2,3]'::halfvec(3, 2);
SELECT '[1,2,3]'::halfvec(0);
SELECT '[1,2,3]'::halfvec(16001);
CREATE TABLE hi_t (id int, v halfvec(3));
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'hi_t'::regclass AND attname = 'v';
INSERT INTO hi_t VALUES (1, '[1,2,3]'), (2, '[-0.5,65504,0.000123]'), (3, NULL);
INSERT INTO hi_t VALUES (4, '[1,2]');
INSERT INTO hi_t VALUES (4, '[1,2,3]'::vector);          -- implicit cast
INSERT INTO hi_t VALUES (5, ARRAY[4,5,6]);                -- assignment cast
SELECT * FROM hi_t ORDER BY id;
ALTER TABLE hi_t ALTER COLUMN v TYPE halfvec(2);
ALTER TABLE hi_t ALTER COLUMN v TYPE halfvec;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'hi_t'::regclass AND attname = 'v';

-- Binary send format: int16 dim, int16 zero, then each half's bits,
-- big-endian (1 = 3c00, 2 = 4000, -0 = 8000, 65504 = 7bff, 2^-24 = 0001)
SELECT halfvec_send('[1,2]');
SELECT halfvec_send('[-0,65504,6e-8]');

-- Binary COPY round trip (receive)
CREATE TABLE hi_copy (v halfvec);
\copy hi_t TO 'results/halfvec_input.bin' WITH (FORMAT binary)
CREATE TABLE hi_t2 (id int, v halfvec(3));
\copy hi_t2 FROM 'results/halfvec_input.bin' WITH (FORMAT binary)
SELECT a.id, halfvec_send(a.v) = halfvec_send(b.v) AS same, b.v
FROM hi_t a JOIN hi_t2 b USING (id) ORDER BY id;

-- Crafted binary input: a binary COPY file with one halfvec field, its
-- value given in hex (the file is written with lo_export)
CREATE FUNCTION pg_temp.copy_file(value_hex text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	lo oid;
BEGIN
	lo := lo_from_bytea(0,
		decode('5047434f50590aff0d0a00' || '00000000' || '00000000'
			   || '0001' || lpad(to_hex(length(value_hex) / 2), 8, '0')
			   || value_hex || 'ffff', 'hex'));
	PERFORM lo_export(lo, 'halfvec_regress.bin');
	PERFORM lo_unlink(lo);
END $$;
SELECT pg_temp.copy_file('000200003c004000');       -- [1,2]
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT * FROM hi_copy;
SELECT pg_temp.copy_file('00010000fbff');           -- [-65504]
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000100007c00');           -- infinity
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('00010000fc00');           -- -infinity
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000100007e01');           -- NaN
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000000000000');           -- 0 dimensions
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('ffff00003c00');           -- -1 dimensions
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('3e8100003c00');           -- 16001 dimensions
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000100013c00');           -- unused is not 0
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000300003c004000');       -- 3 elements, 2 sent
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('0001');                   -- truncated header
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000100003c004000');       -- bytes left over
COPY hi_copy FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT pg_temp.copy_file('000200003c004000');       -- typmod mismatch
COPY hi_t2 (v) FROM 'halfvec_regress.bin' WITH (FORMAT binary);
SELECT * FROM hi_copy;

DROP TABLE hi_t, hi_t2, hi_copy;
