-- pgvector-fixture.sql: the database behind the pgvector dumps in this
-- directory (see make-pgvector-dumps.sh), and what
-- t/041_switch_from_pgvector.pl builds with vecindex to know what a restore
-- must give.  Every value is a formula of the row number or a literal: no
-- random(), so the same script gives the same data on any server.
--
-- psql variables:
--   ext          the extension to create: vector (pgvector) or vecindex
--   extschema    the schema to create it in (created if missing)
--   with_ivfflat on to add an ivfflat index (pgvector only; vecindex has
--                no ivfflat), off otherwise
--
-- The tables live in schema public whatever extschema is; types, functions
-- and operator classes are written unqualified and found through the
-- search_path, as an application's schema would write them.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS :"extschema";
CREATE EXTENSION :"ext" WITH SCHEMA :"extschema";
SET search_path = public, :"extschema";

-- One row per item: each of the types, with typmods, NULLs, an array of
-- vectors, a vector without a typmod, and a generated column.
CREATE TABLE items (
	id int PRIMARY KEY,
	embedding vector(3),
	half halfvec(4),
	sparse sparsevec(6),
	bits bit(8),
	history vector(3)[],
	raw vector,
	norm float8 GENERATED ALWAYS AS (vector_norm(embedding)) STORED,
	added vector(3) NOT NULL DEFAULT '[0,0,0]',
	CONSTRAINT items_raw_dims CHECK (vector_dims(raw) <= 5)
);

-- Exact arithmetic in double precision (the divisions round once, the same
-- way everywhere), values chosen so that few distances tie.
INSERT INTO items (id, embedding, half, sparse, bits, history, raw)
SELECT i,
	CASE WHEN i % 17 <> 0 THEN
		ARRAY[((i * 37) % 101 - 50)::float8 / 10,
			  ((i * 53) % 97 - 48)::float8 / 7,
			  (i % 13)::float8 / 4 - 1.5]::vector(3) END,
	CASE WHEN i % 19 <> 0 THEN
		format('[%s,%s,%s,%s]', (i % 7) - 3.25, i::float8 / 16,
			   ((i * 13) % 29)::float8 / 3, ((i * 3) % 11 - 5) * 1.5)::halfvec(4) END,
	CASE WHEN i % 23 = 0 THEN '{}/6'::sparsevec(6)
		WHEN i % 29 <> 0 THEN
		format('{%s:%s,%s:%s}/6', 1 + i % 3, (i % 9) - 4.5,
			   4 + (i * 7) % 3, ((i * 11) % 31)::float8 / 8)::sparsevec(6) END,
	CASE WHEN i % 31 <> 0 THEN (i * 37 % 256)::bit(8) END,
	CASE WHEN i % 3 = 0 THEN NULL
		WHEN i % 3 = 1 THEN ARRAY[ARRAY[i, 0, -i]::vector(3)]
		ELSE ARRAY[ARRAY[i, 1, 2]::vector(3), NULL,
				   ARRAY[0.5, -i, 0.25]::vector(3)] END,
	CASE WHEN i % 4 <> 0 THEN
		ARRAY(SELECT ((i * k) % 17)::float8 / 2
			  FROM generate_series(1, 1 + i % 5) k)::vector END
FROM generate_series(1, 200) i;

-- Values at the edges of each type's text form.
INSERT INTO items (id, embedding, half, sparse, bits, history, raw, added) VALUES
	(1001, '[-0,1e-45,65504]', '[65504,-65504,6e-08,-0]',
	 '{1:3.4028235e+38,6:-1e-45}/6', B'11111111',
	 '{"[1.5,-2.25,1e-10]",NULL}', '[0.1]', '[3.4028235e+38,-1e-45,3]'),
	(1002, '[0.1,0.2,0.3]', '[0.1,0.2,0.3,0.4]', '{2:0.1,3:-0.2}/6',
	 B'00000000', '{}', '[1e+30,-1e-30,123456.79,0.33333334,7]', '[-1,-2,-3]'),
	(1003, '[-1.17549435e-38,1.1754942e-38,-60000]',
	 '[6.1035156e-05,-6.097555e-05,2048.5,-0.000999]', '{6:1}/6', B'10000001',
	 NULL, NULL, '[-3.4028235e+38,0.5,0.5]');

-- The other ways an application uses the types: a view, a SQL-standard
-- function body (stored parsed, operators resolved), a function with its
-- body in a string (parsed at each call), a materialized view refreshed at
-- restore.
CREATE VIEW items_near_origin AS
	SELECT id, embedding <-> '[0,0,0]' AS distance
	FROM items WHERE embedding IS NOT NULL
	ORDER BY embedding <-> '[0,0,0]', id LIMIT 5;

CREATE FUNCTION cosine_to(a vector, b vector) RETURNS float8
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN a <=> b;

CREATE FUNCTION half_l1(a halfvec, b halfvec) RETURNS float8
	LANGUAGE sql IMMUTABLE AS 'SELECT $1 <+> $2';

CREATE MATERIALIZED VIEW item_groups AS
	SELECT id % 5 AS grp, count(embedding) AS n, sum(embedding) AS total,
		avg(half) AS half_centre
	FROM items WHERE id <= 200 GROUP BY id % 5;

-- hnsw indexes: each operator class family, with and without options, on
-- columns and on expressions, one partial.
CREATE INDEX items_embedding_l2 ON items
	USING hnsw (embedding vector_l2_ops) WITH (m = 8, ef_construction = 32);
CREATE INDEX items_embedding_cosine ON items
	USING hnsw (embedding vector_cosine_ops);
CREATE INDEX items_embedding_ip_even ON items
	USING hnsw (embedding vector_ip_ops) WITH (m = 12) WHERE id % 2 = 0;
CREATE INDEX items_embedding_half ON items
	USING hnsw ((embedding::halfvec(3)) halfvec_l2_ops) WITH (ef_construction = 40);
CREATE INDEX items_embedding_binary ON items
	USING hnsw ((binary_quantize(embedding)::bit(3)) bit_hamming_ops);
CREATE INDEX items_embedding_sub ON items
	USING hnsw ((subvector(embedding, 1, 2)::vector(2)) vector_l1_ops);
CREATE INDEX items_half_l1 ON items
	USING hnsw (half halfvec_l1_ops) WITH (m = 6, ef_construction = 20);
CREATE INDEX items_half_cosine ON items
	USING hnsw (half halfvec_cosine_ops);
CREATE INDEX items_sparse_l2 ON items
	USING hnsw (sparse sparsevec_l2_ops) WITH (m = 10, ef_construction = 64);
CREATE INDEX items_sparse_ip ON items
	USING hnsw (sparse sparsevec_ip_ops);
CREATE INDEX items_bits_jaccard ON items
	USING hnsw (bits bit_jaccard_ops) WITH (m = 6, ef_construction = 24);
-- a B-tree on vectors (the default operator class)
CREATE INDEX items_embedding_btree ON items (embedding);

\if :with_ivfflat
-- vecindex has no ivfflat: the restore must say so for this index
CREATE INDEX items_embedding_ivfflat ON items
	USING ivfflat (embedding vector_l2_ops) WITH (lists = 4);
\endif

ANALYZE items;
