/* vecindex--0.2.0--0.3.0.sql: what hnsw index scans did */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION vecindex UPDATE TO '0.3.0'" to load this file. \quit

-- CREATE EXTENSION vecindex runs vecindex--0.1.0.sql and then the upgrade
-- scripts in turn, so everything here follows the rules that script's
-- header sets out: C functions only, built-in names pg_catalog-qualified,
-- nothing that a look-alike in another schema could capture.  The view is
-- parsed here, once, with the extension's schema first on search_path.

-- The counters of each hnsw scan of the session's last statement that ran
-- one.  VOLATILE: the answer changes with every statement.
CREATE FUNCTION hnsw_last_scan(
	OUT index pg_catalog.regclass,
	OUT searches pg_catalog.int8,
	OUT batches pg_catalog.int8,
	OUT elements_visited pg_catalog.int8,
	OUT distances pg_catalog.int8,
	OUT pages_hit pg_catalog.int8,
	OUT pages_read pg_catalog.int8,
	OUT tuples pg_catalog.int8,
	OUT rows pg_catalog.int8,
	OUT rows_filtered pg_catalog.int8,
	OUT search_time pg_catalog.float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION hnsw_last_scan() IS
	'what each hnsw index scan of the session''s last statement that ran one did';

-- The shared counters of every database's hnsw indexes (vecindex in
-- shared_preload_libraries); the view below shows this database's.
CREATE FUNCTION hnsw_stat_index_counters(
	OUT dbid pg_catalog.oid,
	OUT indexrelid pg_catalog.oid,
	OUT scans pg_catalog.int8,
	OUT searches pg_catalog.int8,
	OUT batches pg_catalog.int8,
	OUT elements_visited pg_catalog.int8,
	OUT distances pg_catalog.int8,
	OUT pages_hit pg_catalog.int8,
	OUT pages_read pg_catalog.int8,
	OUT tuples pg_catalog.int8,
	OUT rows pg_catalog.int8,
	OUT rows_filtered pg_catalog.int8,
	OUT search_time pg_catalog.float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION hnsw_stat_index_counters() IS
	'cumulative counters of hnsw index scans, per database and index, since the server started or hnsw_stat_reset()';

CREATE VIEW hnsw_stat_indexes AS
	SELECT i.indrelid AS relid,
		   c.indexrelid,
		   n.nspname AS schemaname,
		   t.relname,
		   r.relname AS indexrelname,
		   c.scans, c.searches, c.batches, c.elements_visited, c.distances,
		   c.pages_hit, c.pages_read, c.tuples, c.rows, c.rows_filtered,
		   c.search_time
	FROM hnsw_stat_index_counters() c
		 JOIN pg_catalog.pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) c.indexrelid
		 JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) c.indexrelid
		 JOIN pg_catalog.pg_class t ON t.oid OPERATOR(pg_catalog.=) i.indrelid
		 JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace
	WHERE c.dbid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
			WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());

-- readable by everyone, as pg_stat_user_indexes
GRANT SELECT ON hnsw_stat_indexes TO PUBLIC;

COMMENT ON VIEW hnsw_stat_indexes IS
	'cumulative counters of the hnsw index scans of this database''s indexes';

-- Not STRICT: a NULL index means every index.  Superusers only, unless
-- granted (as pg_stat_statements_reset).
CREATE FUNCTION hnsw_stat_reset(index pg_catalog.regclass DEFAULT NULL)
	RETURNS pg_catalog.void
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION hnsw_stat_reset(pg_catalog.regclass) FROM PUBLIC;

COMMENT ON FUNCTION hnsw_stat_reset(pg_catalog.regclass) IS
	'sets the hnsw_stat_indexes counters of one index of this database, or of all indexes, back to zero';
