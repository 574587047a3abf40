-- bit_functions: hamming_distance, jaccard_distance, their operators <~>
-- and <%>, and binary_quantize(vector), on PostgreSQL's bit type; and the
-- exactness of cosine_distance for vectors pointing the same way.

-- hamming_distance: the number of positions where the bits differ
SELECT hamming_distance(B'1011', B'1011');
SELECT hamming_distance(B'1011', B'0100');     -- every bit: 4
SELECT hamming_distance(B'110', B'011');
SELECT hamming_distance('0', '1');
SELECT hamming_distance('', '');               -- empty strings: 0
SELECT pg_typeof(hamming_distance('1', '1'));
-- a varbit argument, or a bit(n) of the same length, is accepted
SELECT hamming_distance('10101'::varbit, '01010'::bit(5));
SELECT hamming_distance('1111'::varbit(10), '0001'::varbit(10));
-- across the word and vector boundaries of the kernels: one bit set at
-- each end against none, over lengths around 64, 256 and 512 bits
SELECT n, hamming_distance(('1' || repeat('0', n - 2) || '1')::varbit,
						 repeat('0', n)::varbit)
FROM unnest(ARRAY[2, 7, 8, 9, 63, 64, 65, 255, 256, 257, 511, 512, 513]) AS n;
SELECT hamming_distance(repeat('10', 5000)::varbit, repeat('01', 5000)::varbit);    -- 10000
SELECT hamming_distance(repeat('1', 100003)::varbit, repeat('0', 100003)::varbit);

-- the operator, and it is its own commutator
SELECT B'1100' <~> B'1010';
SELECT oprname, oprcom::regoperator, oprresult::regtype
FROM pg_operator WHERE oprname IN ('<~>', '<%>') ORDER BY 1;

-- jaccard_distance: 1 - |a AND b| / |a OR b|
SELECT jaccard_distance(B'1100', B'1100');
SELECT jaccard_distance(B'1100', B'1000');     -- 1 - 1/2
SELECT jaccard_distance(B'1110', B'0111');     -- 1 - 2/4
SELECT jaccard_distance(B'111', B'001');       -- 1 - 1/3
SELECT jaccard_distance(B'1010', B'0101');     -- nothing in common: 1
SELECT jaccard_distance(B'0000', B'0110');     -- one string empty of ones: 1
SELECT jaccard_distance(B'0000', B'0000');     -- no set bit at all: 1
SELECT jaccard_distance('', '');
SELECT B'1101' <%> B'1001';
SELECT jaccard_distance(repeat('1', 70001)::varbit, (repeat('1', 7) || repeat('0', 69994))::varbit);

-- strings of different lengths are refused, in either order
SELECT hamming_distance(B'101', B'10');
SELECT hamming_distance(B'10', B'101');
SELECT jaccard_distance(B'1111', B'111');
SELECT B'1' <~> B'';
SELECT B'11' <%> B'1';
SELECT hamming_distance('11'::varbit(4), '110'::varbit(4));

-- NULL in, NULL out
SELECT hamming_distance(NULL, B'1') IS NULL AS h, jaccard_distance(B'1', NULL) IS NULL AS j;

-- Random strings of every length from 0 to 700 bits against PostgreSQL's
-- own bit operators: the distances are those counts, in either order.
SELECT setseed(0.42);
CREATE TEMP TABLE pairs AS
SELECT n,
	   (SELECT coalesce(string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, ''), '')
		FROM generate_series(1, n) WHERE n > 0)::varbit AS a,
	   (SELECT coalesce(string_agg(CASE WHEN random() < 0.3 THEN '1' ELSE '0' END, ''), '')
		FROM generate_series(1, n) WHERE n > 0)::varbit AS b
FROM generate_series(0, 700) AS n;
SELECT count(*) AS pairs,
	   count(*) FILTER (WHERE length(a) <> n OR length(b) <> n) AS wrong_length,
	   count(*) FILTER (WHERE hamming_distance(a, b) <> bit_count(a # b)) AS wrong_hamming,
	   count(*) FILTER (WHERE a <~> b <> b <~> a) AS asymmetric_hamming,
	   count(*) FILTER (WHERE jaccard_distance(a, b) <>
						CASE WHEN bit_count(a & b) = 0 THEN 1
							 ELSE 1 - bit_count(a & b)::float8 / bit_count(a | b)::float8 END) AS wrong_jaccard,
	   count(*) FILTER (WHERE a <%> b <> b <%> a) AS asymmetric_jaccard,
	   count(*) FILTER (WHERE hamming_distance(a, a) <> 0) AS self_hamming
FROM pairs;
-- the same strings cut short by PostgreSQL (whose padding bits stay clear)
SELECT count(*) FILTER (WHERE hamming_distance(substring(a FROM 2), substring(b FROM 2))
						<> bit_count(substring(a FROM 2) # substring(b FROM 2))) AS wrong_hamming,
	   count(*) FILTER (WHERE hamming_distance(a << 3, b >> 5) <> bit_count((a << 3) # (b >> 5))) AS wrong_shifted
FROM pairs WHERE n > 0;

-- binary_quantize: bit i is set when element i is greater than zero
SELECT binary_quantize('[1,0,-1]'::vector);
SELECT binary_quantize('[-0,0,1e-30,-1e-30]'::vector);
SELECT binary_quantize('[0.5,-2,3,4,-5,6,7,-8,9]'::vector);   -- 9 bits: across a byte
SELECT binary_quantize('[1,1,1,1,1,1,1,1]'::vector);
SELECT pg_typeof(binary_quantize('[1]'::vector)), length(binary_quantize(array_fill(1, ARRAY[16000])::vector));
SELECT bit_count(binary_quantize(array_fill(1, ARRAY[16000])::vector)),
	   bit_count(binary_quantize(array_fill(-1, ARRAY[16000])::vector));
-- the padding after the last bit stays clear: distances to it are exact
SELECT hamming_distance(binary_quantize('[1,1,1]'::vector), B'000'),
	   jaccard_distance(binary_quantize('[1,1,1,1,1,1,1,1,1]'::vector), B'111111111');
SELECT binary_quantize('[1,-1,1]'::vector) <~> binary_quantize('[-1,-1,1]'::vector);
SELECT binary_quantize(NULL::vector) IS NULL;

-- every new function is IMMUTABLE STRICT PARALLEL SAFE
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.prorettype::regtype
FROM pg_proc p
WHERE p.proname IN ('hamming_distance', 'jaccard_distance', 'binary_quantize')
  AND p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'vecindex')
ORDER BY 1::text;

-- cosine_distance is exactly 0 for vectors pointing the same way when the
-- sums are exact multiples (the vector itself, powers of two), and
-- exactly 2 for opposite ones
SELECT cosine_distance('[1,1]'::vector, '[2,2]');
SELECT cosine_distance('[1,1]'::vector, '[2,2]') = 0 AS exactly_zero;
SELECT '[0.1,0.2,0.3]'::vector <=> '[0.4,0.8,1.2]' = 0 AS exactly_zero;
SELECT cosine_distance('[0.1,0.2,0.3]'::vector, '[-0.1,-0.2,-0.3]') = 2 AS exactly_two;
SELECT setseed(0.7);
CREATE TEMP TABLE vecs AS
SELECT i, (SELECT array_agg(random() - 0.5) FROM generate_series(1, d))::vector AS v
FROM generate_series(1, 40) AS i, LATERAL (SELECT 1 + (i * 97) % 1536 AS d) AS dims;
SELECT count(*) AS vectors,
	   count(*) FILTER (WHERE cosine_distance(v, v) <> 0) AS self_not_zero,
	   count(*) FILTER (WHERE v <=> (SELECT array_agg(x * 4)::vector FROM unnest(v::real[]) x) <> 0) AS times4_not_zero,
	   count(*) FILTER (WHERE v <=> (SELECT array_agg(-x)::vector FROM unnest(v::real[]) x) <> 2) AS negated_not_two
FROM vecs;
-- the distance is symmetric and within [0, 2]
SELECT count(*) FILTER (WHERE a.v <=> b.v <> b.v <=> a.v) AS asymmetric,
	   count(*) FILTER (WHERE a.v <=> b.v < 0 OR a.v <=> b.v > 2) AS out_of_range
FROM vecs a JOIN vecs b ON vector_dims(a.v) = vector_dims(b.v);
-- a zero vector has no direction: NaN, as before
SELECT cosine_distance('[0,0]'::vector, '[1,1]'), '[0,0]'::vector <=> '[0,0]';
-- an hnsw scan under cosine returns the distances the function computes
CREATE TEMP TABLE cos_items (id int, v vector(3));
INSERT INTO cos_items SELECT i, ARRAY[i % 7 + 1, i % 5 + 1, i % 3 + 1] FROM generate_series(1, 300) i;
CREATE INDEX ON cos_items USING hnsw (v vector_cosine_ops);
SET enable_seqscan = off;
SELECT count(*) AS returned,
	   count(*) FILTER (WHERE d <> cosine_distance(v, '[2,4,2]')) AS differ,
	   count(*) FILTER (WHERE d = 0) AS same_direction
FROM (SELECT v, v <=> '[2,4,2]' AS d FROM cos_items ORDER BY v <=> '[2,4,2]' LIMIT 20) s;
RESET enable_seqscan;
