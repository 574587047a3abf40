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

-- (end of hnsw operator classes)
