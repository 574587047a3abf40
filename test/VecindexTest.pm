# VecindexTest.pm: helpers shared by the TAP tests.
#
# Deterministic clustered test data generated inside the server, and recall
# measured against exact results (a sequential scan) computed on the same
# server.
package VecindexTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use Test::More;
our @EXPORT =
  qw(start_node init_for_page_edits create_clustered recall_at_10
  install_recall build_debug mean_recall_at_10 same_as_fresh_install);

# init_for_page_edits($node)
#
# initdb for a test that writes into relation files and checks what
# vecindex makes of the pages: without data checksums, as initdb makes a
# cluster up to PostgreSQL 17 (from 18 on a checksum failure would report
# the edited page before vecindex reads it).  By major version, which a
# beta's version (18beta1) compares below.
sub init_for_page_edits
{
	my ($node) = @_;
	$node->init(
		extra => $node->pg_version->major >= 18 ? ['--no-data-checksums'] : []);
	return;
}

# start_node($name, [$conf, [page_edits => 1]])
#
# A new node called $name, with $conf (lines for postgresql.conf) appended
# when given, started, and vecindex created in its postgres database; with
# page_edits, initialised by init_for_page_edits.
sub start_node
{
	my ($name, $conf, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	if ($opts{page_edits})
	{
		init_for_page_edits($node);
	}
	else
	{
		$node->init;
	}
	$node->append_conf('postgresql.conf', $conf) if defined $conf;
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION vecindex');
	return $node;
}

# create_clustered($node, $table, $n, $dim, $seed, [$first_id])
#
# Fills (creating it if needed) $table(id int, embedding vector($dim)) with
# $n vectors around 50 random centres; ids start at $first_id (default 1).
# The centres are the same for every call (so queries made with another
# seed fall among the data, as real queries do); the seed picks the points.
sub create_clustered
{
	my ($node, $table, $n, $dim, $seed, $first) = @_;
	$first //= 1;
	my $last = $first + $n - 1;
	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE IF NOT EXISTS $table (id int PRIMARY KEY, embedding vector($dim));
		SELECT setseed(0.5);
		CREATE TEMP TABLE centres AS
			SELECT c, ARRAY(SELECT random() * 2 - 1 + c * 0
							FROM generate_series(1, $dim)) AS x
			FROM generate_series(0, 49) c;
		SELECT setseed($seed);
		INSERT INTO $table
			SELECT i, ARRAY(SELECT x[d] + (random() - 0.5) * 1.2 + i * 0
							FROM generate_series(1, $dim) d)::vector
			FROM generate_series($first, $last) i JOIN centres ON c = i % 50;
	});
	return;
}

# install_recall($node): recall_at_10(table, operator, queries table, n)
# compares the index scan's top 10 with the exact top 10 for each query.
sub install_recall
{
	my ($node) = @_;
	$node->safe_psql(
		'postgres', q{
	CREATE OR REPLACE FUNCTION recall_at_10(tbl regclass, op text, qtbl regclass,
											nq int) RETURNS float8
	LANGUAGE plpgsql AS $$
	DECLARE
		q record;
		exact int[];
		approx int[];
		hits bigint := 0;
		total bigint := 0;
		sql text := format('SELECT array_agg(id) FROM (SELECT id FROM %s '
						   'ORDER BY embedding %s $1 LIMIT 10) s', tbl, op);
		line text;
		plan text := '';
	BEGIN
		FOR q IN EXECUTE format('SELECT id, embedding FROM %s ORDER BY id LIMIT %s',
								qtbl, nq) LOOP
			PERFORM set_config('enable_indexscan', 'off', true);
			PERFORM set_config('enable_seqscan', 'on', true);
			EXECUTE sql INTO exact USING q.embedding;
			PERFORM set_config('enable_indexscan', 'on', true);
			PERFORM set_config('enable_seqscan', 'off', true);
			IF total = 0 THEN
				FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || sql USING q.embedding LOOP
					plan := plan || line || ' ';
				END LOOP;
				IF plan NOT LIKE '%Index Scan%' THEN
					RAISE EXCEPTION 'recall query did not use an index: %', plan;
				END IF;
			END IF;
			EXECUTE sql INTO approx USING q.embedding;
			hits := hits + (SELECT count(*) FROM unnest(approx) a
							WHERE a = ANY (exact));
			total := total + cardinality(exact);
		END LOOP;
		RETURN round(hits::numeric / total, 4);
	END $$;
	});
	return;
}

# build_debug($node, $table, $opclass, $settings, $pattern)
#
# (Re)builds ${table}_idx USING hnsw (embedding $opclass) after the SQL
# $settings, serially unless they set max_parallel_maintenance_workers, and
# returns the lines the build logged at DEBUG1 or above that match the
# regex $pattern, joined by newlines.
sub build_debug
{
	my ($node, $table, $opclass, $settings, $pattern) = @_;
	my ($out, $err) = ('', '');
	$node->psql(
		'postgres', qq{
		SET client_min_messages = debug1;
		SET max_parallel_maintenance_workers = 0;
		$settings
		DROP INDEX IF EXISTS ${table}_idx;
		CREATE INDEX ${table}_idx ON $table USING hnsw (embedding $opclass);
	},
		stdout => \$out,
		stderr => \$err,
		on_error_die => 1);
	return join("\n", grep { /$pattern/ } split /\n/, $err);
}

# recall_at_10($node, $table, $op, $queries, $n, [$ef_search])
sub recall_at_10
{
	my ($node, $table, $op, $queries, $n, $ef) = @_;
	my $set = defined $ef ? "SET hnsw.ef_search = $ef;" : '';
	return $node->safe_psql('postgres',
		"$set SELECT recall_at_10('$table', '$op', '$queries', $n)");
}

# mean_recall_at_10($builds, $build, $node, $table, $op, $queries, $n, [$ef])
#
# Runs $build (a sub that builds the index) $builds times and returns the
# mean of recall_at_10 after each.  An element's level is drawn at random,
# so one build's recall at a small ef_search varies from build to build: on
# 5,000 clustered 32-d rows at ef_search 10, 0.976 to 0.998 with the same
# settings.  Two kinds of build are compared on means, not single builds.
sub mean_recall_at_10
{
	my ($builds, $build, @args) = @_;
	my $sum = 0;
	for (1 .. $builds)
	{
		$build->();
		$sum += recall_at_10(@args);
	}
	return sprintf('%.4f', $sum / $builds);
}

# same_as_fresh_install($node, $upgraded, $fresh): tests that database
# $upgraded, after ALTER EXTENSION vecindex UPDATE, has the version, the
# objects, the function declarations (volatility, strictness, parallel
# safety, result, privileges) and the views of database $fresh, where
# CREATE EXTENSION vecindex ran.
sub same_as_fresh_install
{
	my ($node, $upgraded, $fresh) = @_;
	my $ext = q{(SELECT oid FROM pg_extension WHERE extname = 'vecindex')};
	my %catalog = (
		version => q{SELECT extversion FROM pg_extension WHERE extname = 'vecindex'},
		objects => qq{
			SELECT string_agg(pg_describe_object(classid, objid, objsubid), E'\\n'
							  ORDER BY pg_describe_object(classid, objid, objsubid))
			FROM pg_depend
			WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
			  AND refobjid = $ext},
		functions => qq{
			SELECT string_agg(format('%s %s %s %s %s %s %s', p.oid::regprocedure,
									 p.provolatile, p.proisstrict, p.proparallel,
									 p.prorettype::regtype, p.proretset,
									 coalesce(p.proacl::text, 'default')),
							  E'\\n' ORDER BY p.oid::regprocedure::text)
			FROM pg_proc p JOIN pg_depend d
				ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
			WHERE d.deptype = 'e' AND d.refobjid = $ext},
		views => qq{
			SELECT coalesce(string_agg(c.relname || ' ' || pg_get_viewdef(c.oid)
									   || coalesce(c.relacl::text, 'default'),
									   E'\\n' ORDER BY c.relname), 'none')
			FROM pg_class c JOIN pg_depend d
				ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
			WHERE c.relkind = 'v' AND d.deptype = 'e' AND d.refobjid = $ext});
	my $objects = $node->safe_psql($fresh, $catalog{objects});
	cmp_ok(scalar(split /\n/, $objects), '>', 200, 'a fresh install has its objects');
	for my $what (qw(version objects functions views))
	{
		is($node->safe_psql($upgraded, $catalog{$what}),
			$node->safe_psql($fresh, $catalog{$what}),
			"after ALTER EXTENSION UPDATE: the $what of a fresh install");
	}
	return;
}

1;
