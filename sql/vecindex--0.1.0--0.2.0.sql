/* vecindex--0.1.0--0.2.0.sql: halfvec, sparsevec and bit, indexed by hnsw */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION vecindex UPDATE TO '0.2.0'" to load this file. \quit

-- CREATE EXTENSION vecindex runs vecindex--0.1.0.sql and then this script,
-- so everything here follows the rules that script's header sets out: C
-- functions only, built-in names pg_catalog-qualified, nothing that a look-
-- alike in another schema could capture.

-- ===========================================================================
-- halfvec
-- ===========================================================================

-- (end of halfvec)



-- ===========================================================================
-- sparsevec
-- ===========================================================================

-- (end of sparsevec)



-- ===========================================================================
-- bit
-- ===========================================================================

-- Distances between strings of PostgreSQL's own bit type (a varbit argument
-- gets there through the built-in cast), and a vector quantized to one.
-- The type keyword bit always means pg_catalog's type.

CREATE FUNCTION hamming_distance(bit, bit) RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION jaccard_distance(bit, bit) RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION binary_quantize(vector) RETURNS bit
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <~> (
	LEFTARG = bit, RIGHTARG = bit, FUNCTION = hamming_distance,
	COMMUTATOR = '<~>'
);
CREATE OPERATOR <%> (
	LEFTARG = bit, RIGHTARG = bit, FUNCTION = jaccard_distance,
	COMMUTATOR = '<%>'
);

-- (end of bit)



-- ===========================================================================
-- hnsw operator classes for the new types
-- ===========================================================================

-- Support function 1 returns the distance kind and, for these types, what
-- the index stores of a value (its vector type); see src/hnsw.h.
CREATE FUNCTION hnsw_halfvec_l2_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_halfvec_ip_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_halfvec_cosine_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_halfvec_l1_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_sparsevec_l2_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_sparsevec_ip_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_sparsevec_cosine_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_sparsevec_l1_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_bit_hamming_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION hnsw_bit_jaccard_support(pg_catalog.internal) RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OPERATOR CLASS halfvec_l2_ops
	FOR TYPE halfvec USING hnsw AS
	OPERATOR 1 <-> (halfvec, halfvec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_halfvec_l2_support(pg_catalog.internal);

CREATE OPERATOR CLASS halfvec_ip_ops
	FOR TYPE halfvec USING hnsw AS
	OPERATOR 1 <#> (halfvec, halfvec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_halfvec_ip_support(pg_catalog.internal);

CREATE OPERATOR CLASS halfvec_cosine_ops
	FOR TYPE halfvec USING hnsw AS
	OPERATOR 1 <=> (halfvec, halfvec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_halfvec_cosine_support(pg_catalog.internal);

CREATE OPERATOR CLASS halfvec_l1_ops
	FOR TYPE halfvec USING hnsw AS
	OPERATOR 1 <+> (halfvec, halfvec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_halfvec_l1_support(pg_catalog.internal);

CREATE OPERATOR CLASS sparsevec_l2_ops
	FOR TYPE sparsevec USING hnsw AS
	OPERATOR 1 <-> (sparsevec, sparsevec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_sparsevec_l2_support(pg_catalog.internal);

CREATE OPERATOR CLASS sparsevec_ip_ops
	FOR TYPE sparsevec USING hnsw AS
	OPERATOR 1 <#> (sparsevec, sparsevec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_sparsevec_ip_support(pg_catalog.internal);

CREATE OPERATOR CLASS sparsevec_cosine_ops
	FOR TYPE sparsevec USING hnsw AS
	OPERATOR 1 <=> (sparsevec, sparsevec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_sparsevec_cosine_support(pg_catalog.internal);

CREATE OPERATOR CLASS sparsevec_l1_ops
	FOR TYPE sparsevec USING hnsw AS
	OPERATOR 1 <+> (sparsevec, sparsevec) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_sparsevec_l1_support(pg_catalog.internal);

CREATE OPERATOR CLASS bit_hamming_ops
	FOR TYPE pg_catalog.bit USING hnsw AS
	OPERATOR 1 <~> (pg_catalog.bit, pg_catalog.bit) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_bit_hamming_support(pg_catalog.internal);

CREATE OPERATOR CLASS bit_jaccard_ops
	FOR TYPE pg_catalog.bit USING hnsw AS
	OPERATOR 1 <%> (pg_catalog.bit, pg_catalog.bit) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 hnsw_bit_jaccard_support(pg_catalog.internal);

-- (end of hnsw operator classes)
