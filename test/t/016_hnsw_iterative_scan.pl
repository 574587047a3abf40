# 016_hnsw_iterative_scan.pl: filtered queries return enough rows.
#
# WHERE <filter> ORDER BY embedding <-> q LIMIT 10 over an hnsw index, at
# 1%, 10% and 50% selectivity: with hnsw.iterative_scan off a selective
# filter leaves fewer than 10 rows; relaxed_order and strict_order fill the
# LIMIT with rows that are mostly the true nearest matches; strict_order
# returns them in non-decreasing distance; hnsw.max_scan_tuples bounds the
# work, and a scan of the whole graph fits in about 70 bytes an element.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('iterative');

# uniform data, with a category independent of the position
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.3);
	CREATE TABLE items (id int PRIMARY KEY, cat int, embedding vector(16));
	INSERT INTO items SELECT i, (random() * 100)::int % 100,
		ARRAY(SELECT random() + i * 0 FROM generate_series(1, 16))::vector
	  FROM generate_series(1, 20000) i;
	CREATE TABLE queries (id int PRIMARY KEY, embedding vector(16));
	INSERT INTO queries SELECT i, ARRAY(SELECT random() + i * 0 FROM generate_series(1, 16))::vector
	  FROM generate_series(1, 30) i;
	CREATE INDEX ON items USING hnsw (embedding);
	CREATE FUNCTION filtered(maxcat int, mode text, OUT nrows bigint, OUT recall numeric, OUT ordered bool)
	LANGUAGE plpgsql AS $$
	DECLARE
		q record; exact int[]; approx int[]; dists float8[];
		hits bigint := 0; total bigint := 0;
		sql text := format('SELECT array_agg(id ORDER BY n), array_agg(d ORDER BY n) FROM (SELECT id, embedding <-> $1 AS d, row_number() OVER () AS n FROM (SELECT id, embedding FROM items WHERE cat < %s ORDER BY embedding <-> $1 LIMIT 10) s) t', maxcat);
	BEGIN
		nrows := 0; ordered := true;
		FOR q IN SELECT * FROM queries ORDER BY id LOOP
			PERFORM set_config('hnsw.iterative_scan', 'off', true);
			PERFORM set_config('enable_indexscan', 'off', true);
			EXECUTE sql INTO exact USING q.embedding;
			PERFORM set_config('enable_indexscan', 'on', true);
			PERFORM set_config('enable_seqscan', 'off', true);
			PERFORM set_config('hnsw.iterative_scan', mode, true);
			EXECUTE sql INTO approx, dists USING q.embedding;
			PERFORM set_config('enable_seqscan', 'on', true);
			nrows := nrows + coalesce(cardinality(approx), 0);
			hits := hits + (SELECT count(*) FROM unnest(approx) a WHERE a = ANY (exact));
			total := total + cardinality(exact);
			IF dists IS NOT NULL AND EXISTS (SELECT 1 FROM generate_subscripts(dists, 1) i
					WHERE i > 1 AND dists[i] < dists[i - 1]) THEN
				ordered := false;
			END IF;
		END LOOP;
		recall := round(hits::numeric / total, 3);
	END $$;
});

# 30 queries, LIMIT 10: 300 rows wanted
for my $sel ([ 1, '1%' ], [ 10, '10%' ], [ 50, '50%' ])
{
	my ($maxcat, $name) = @$sel;
	my %r;
	for my $mode (qw(off relaxed_order strict_order))
	{
		my $out = $node->safe_psql('postgres',
			"SELECT nrows, recall, ordered FROM filtered($maxcat, '$mode')");
		$r{$mode} = [ split /\|/, $out ];
		note "$name selectivity, $mode: rows $r{$mode}[0] of 300, recall $r{$mode}[1], ordered $r{$mode}[2]";
	}
	if ($maxcat <= 10)
	{
		cmp_ok($r{off}[0], '<', 300, "$name: with iterative_scan off, the LIMIT is not filled");
	}
	for my $mode (qw(relaxed_order strict_order))
	{
		is($r{$mode}[0], 300, "$name: $mode fills the LIMIT");
	}
	cmp_ok($r{relaxed_order}[1], '>=', 0.9, "$name: relaxed_order finds the true nearest matches");
	cmp_ok($r{strict_order}[1], '>=', 0.7, "$name: strict_order finds most of them");
	is($r{strict_order}[2], 't', "$name: strict_order returns rows nearest first");
}

# the bounds: a filter nothing passes stops after max_scan_tuples rows
my $t0 = time;
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.iterative_scan = relaxed_order;
	SET hnsw.max_scan_tuples = 1000;
	SELECT count(*) FROM (SELECT id FROM items WHERE cat < 0
	  ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1) LIMIT 10) s}),
	'0', 'an impossible filter ends the scan at max_scan_tuples');
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.iterative_scan = relaxed_order;
	SET hnsw.max_scan_tuples = 1000000;
	SET work_mem = '64kB';
	SELECT count(*) FROM (SELECT id FROM items WHERE cat < 0
	  ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1) LIMIT 10) s}),
	'0', '... and at scan_mem_multiplier * work_mem');
# and with generous bounds the whole reachable graph is searched once
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.iterative_scan = relaxed_order;
	SET hnsw.max_scan_tuples = 1000000;
	SET hnsw.scan_mem_multiplier = 1000;
	SELECT count(*) >= 19900 FROM (SELECT id FROM items
	  ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1)) s}),
	't', 'an unbounded iterative scan returns (nearly) every row');

# the memory a scan holds per element it found: 30,000 3-d rows, ten of
# which pass the filter, scattered; finding all ten means searching the
# whole graph, which must fit in 2MB (about 70 bytes an element, capacity
# growth included; pgvector's own test allows 80)
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.25);
	CREATE TABLE t3 (i int PRIMARY KEY, v vector(3));
	INSERT INTO t3 SELECT i, ARRAY[random(), random(), random()] FROM generate_series(1, 30000) i;
	CREATE INDEX ON t3 USING hnsw (v vector_l2_ops);
});
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.iterative_scan = relaxed_order;
	SET hnsw.max_scan_tuples = 30000;
	SET work_mem = '2MB';
	SELECT count(*) FROM (SELECT i FROM t3 WHERE i % 3000 = 0
	  ORDER BY v <-> (SELECT v FROM t3 WHERE i = 1) LIMIT 11) s;
	SELECT elements_visited >= 30000 FROM hnsw_last_scan();}),
	"10\nt", 'a scan through all 30,000 elements fits in 2MB and finds all ten');

done_testing();
