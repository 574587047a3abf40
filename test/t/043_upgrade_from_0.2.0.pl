# 043_upgrade_from_0.2.0.pl: ALTER EXTENSION vecindex UPDATE from 0.2.0
# gives the same objects, declarations and privileges as a fresh install,
# and the indexes 0.2.0 built (vector, halfvec, sparsevec and bit, in the
# page format both versions write) answer the same before and after it,
# take inserts and VACUUM, pass the check and report their scans.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = PostgreSQL::Test::Cluster->new('upgrade02');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('fresh', 'CREATE EXTENSION vecindex');
$node->safe_psql('upgraded', "CREATE EXTENSION vecindex VERSION '0.2.0'");
is($node->safe_psql('upgraded', "SELECT extversion FROM pg_extension WHERE extname = 'vecindex'"),
	'0.2.0', 'version 0.2.0 installs');
is($node->safe_psql('upgraded', "SELECT to_regprocedure('hnsw_last_scan()') IS NULL"),
	't', '... without the functions 0.3.0 adds');

# deterministic rows (no random()): a column of each type, each indexed
$node->safe_psql(
	'upgraded', q{
	CREATE TABLE items (id int PRIMARY KEY, v vector(8), h halfvec(8),
						s sparsevec(100), b bit(64));
	INSERT INTO items
	SELECT i, a::vector, a::vector::halfvec,
		   (SELECT array_agg(CASE WHEN k = i % 100 + 1 THEN sin(i)
								   WHEN k = (i * 7) % 100 + 1 THEN cos(i) ELSE 0 END
							 ORDER BY k)
			FROM generate_series(1, 100) k)::vector::sparsevec,
		   (i * 2654435761)::bit(64)
	FROM (SELECT i, ARRAY(SELECT sin(i * k) FROM generate_series(1, 8) k) AS a
		  FROM generate_series(1, 3000) i) s;
	CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops) WITH (m = 8);
	CREATE INDEX items_h ON items USING hnsw (h halfvec_cosine_ops);
	CREATE INDEX items_s ON items USING hnsw (s sparsevec_ip_ops);
	CREATE INDEX items_b ON items USING hnsw (b bit_hamming_ops);
	CREATE TABLE queries AS SELECT * FROM items WHERE id % 300 = 0;
});

# each index's answers, nearest five per query
my %answers = (
	items_v => 'v <-> q.v',
	items_h => 'h <=> q.h',
	items_s => 's <#> q.s',
	items_b => 'b <~> q.b');
sub answers
{
	my ($db, $index) = @_;
	return $node->safe_psql(
		$db, qq{
		SET enable_seqscan = off;
		SELECT string_agg(r.ids, ';' ORDER BY q.id)
		FROM queries q, LATERAL (
			SELECT string_agg(id::text, ',') AS ids
			FROM (SELECT id FROM items ORDER BY $answers{$index} LIMIT 5) s) r;
	});
}
my %before = map { $_ => answers('upgraded', $_) } sort keys %answers;

$node->safe_psql('upgraded', 'ALTER EXTENSION vecindex UPDATE');
isnt($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'vecindex'}),
	'0.2.0', 'ALTER EXTENSION UPDATE leaves 0.2.0');
same_as_fresh_install($node, 'upgraded', 'fresh');

# the indexes 0.2.0 built
for my $index (sort keys %answers)
{
	is(answers('upgraded', $index), $before{$index},
		"$index answers as before the update");
	is($node->safe_psql('upgraded', "SELECT hnsw_index_check('$index', true)"),
		'', "$index passes the check after the update");
}
$node->safe_psql(
	'upgraded', q{
	INSERT INTO items SELECT id + 3000, v, h, s, b FROM items WHERE id <= 500;
	DELETE FROM items WHERE id % 5 = 0;
	VACUUM items;
});
for my $index (sort keys %answers)
{
	is($node->safe_psql('upgraded', "SELECT hnsw_index_check('$index', true)"),
		'', "$index takes inserts and VACUUM and passes the check");
}

# what 0.3.0 adds works on them
is( $node->safe_psql(
		'upgraded', q{
		SET enable_seqscan = off;
		SELECT count(*) FROM (SELECT id FROM items ORDER BY h <=> (SELECT h FROM queries LIMIT 1) LIMIT 4) s;
		SELECT index || ' ' || searches || ' ' || tuples FROM hnsw_last_scan();
	}),
	"4\nitems_h 1 4",
	'hnsw_last_scan reports a scan of an index 0.2.0 built');

done_testing();
