# 019_hnsw_build_half_precision.pl: a build's half-precision copies choose
# links as well as full precision would, and give way when they cannot.
#
# A build measures its graph's distances on half-precision copies of the
# vectors (hnsw_memgraph.h).  On ordinary data the index must be as good as one
# built without them (hnsw.build_half_precision = off), for every opclass,
# and a column without a dimension count must get them from its first row.
# On data half precision cannot tell apart (a large common offset, or
# elements beyond its range) the build must notice and go on in full
# precision, and the index must still be good.  With maintenance_work_mem
# enough for the graph but not for the copies the build must not take them
# (and must still build the graph in memory).  Skipped where the CPU cannot
# convert to half precision in hardware (the build then never takes them).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('half', 'maintenance_work_mem = 256MB');
install_recall($node);

create_clustered($node, 'items', 5000, 32, 0.1);
create_clustered($node, 'queries', 100, 32, 0.2);

# Builds an index with the given settings; returns the build's DEBUG lines
# about half precision (and its NOTICE, if the graph outgrew memory).
sub build
{
	my ($table, $opclass, $settings) = @_;
	return build_debug($node, $table, $opclass, $settings,
		qr/half-precision|no longer fits/);
}

if (build('items', 'vector_l2_ops', '') =~ /without half-precision copies/)
{
	plan skip_all => 'this CPU has no hardware half-precision conversion';
}

my %ops = (
	'vector_l2_ops'     => '<->',
	'vector_ip_ops'     => '<#>',
	'vector_cosine_ops' => '<=>',
	'vector_l1_ops'     => '<+>',);

for my $opclass (sort keys %ops)
{
	my $op = $ops{$opclass};
	my $msgs = build('items', $opclass, '');
	like($msgs, qr/with half-precision copies/,
		"$opclass: the build takes half-precision copies");
	unlike($msgs, qr/given up/, "$opclass: and keeps them on ordinary data");
	my $r_half = mean_recall_at_10(3, sub { build('items', $opclass, '') },
		$node, 'items', $op, "queries", 100, 10);
	my $r_full = mean_recall_at_10(3,
		sub { build('items', $opclass, 'SET hnsw.build_half_precision = off;') },
		$node, 'items', $op, "queries", 100, 10);
	note "$opclass: mean recall\@10 at ef_search 10 of 3 builds: $r_half with copies, $r_full without";
	cmp_ok($r_half, '>=', $r_full - 0.02,
		"$opclass: recall with half-precision copies ($r_half) is within 0.02 of full precision's ($r_full)"
	);
}

# A column without a dimension count: the build learns it from the first
# row, and takes the copies then.
$node->safe_psql('postgres',
	'CREATE TABLE untyped AS SELECT id, embedding::vector AS embedding FROM items');
$node->safe_psql('postgres',
	'ALTER TABLE untyped ALTER COLUMN embedding TYPE vector');
my $um = build('untyped', 'vector_l2_ops', '');
like($um, qr/with half-precision copies/,
	'a column without a dimension count: copies from the first row on');
my $ur = recall_at_10($node, 'untyped', '<->', 'queries', 100, 10);
cmp_ok($ur, '>=', 0.95, "and its index is good (recall $ur)");

# The same points shifted by 1000 in every coordinate: half precision's step
# there is 0.5, coarser than most differences between neighbours.
for my $t ('items', 'queries')
{
	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE ${t}_shifted AS
			SELECT id, (SELECT array_agg(x + 1000 ORDER BY o)
						FROM unnest(embedding::real[]) WITH ORDINALITY u(x, o))::vector(32)
					AS embedding
			FROM $t;
		CREATE TABLE ${t}_huge AS
			SELECT id, (SELECT array_agg(x * 1e5 ORDER BY o)
						FROM unnest(embedding::real[]) WITH ORDINALITY u(x, o))::vector(32)
					AS embedding
			FROM $t;
	});
}
my $msgs = build('items_shifted', 'vector_l2_ops', '');
like($msgs, qr/given up: too coarse/,
	'a common offset of 1000: the build gives up half precision');
my $r = recall_at_10($node, 'items_shifted', '<->', 'queries_shifted', 100, 20);
cmp_ok($r, '>=', 0.9, "and its index still finds the neighbours (recall $r)");

$msgs = build('items_huge', 'vector_l2_ops', '');
like($msgs, qr/given up: a vector has an element beyond/,
	'elements beyond 65504: the build gives up half precision');
$r = recall_at_10($node, 'items_huge', '<->', 'queries_huge', 100, 20);
cmp_ok($r, '>=', 0.9, "and its index still finds the neighbours (recall $r)");

# 1,000 rows of 1,000 dimensions: about 4.7kB a record without copies and
# 6.7kB with, so the build's estimate (1.2 times the rows' records plus
# 1MB) is about 6.6MB without and 9MB with.  7.5MB holds the graph but not
# the copies.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE wide (id int, embedding vector(1000));
	INSERT INTO wide
		SELECT i, ARRAY(SELECT random() + i * 0 FROM generate_series(1, 1000))::vector
		FROM generate_series(1, 1000) i;
	VACUUM ANALYZE wide;
});
$msgs = build('wide', 'vector_l2_ops', "SET maintenance_work_mem = '7680kB';");
like($msgs, qr/without half-precision copies/,
	'maintenance_work_mem for the graph but not the copies: no copies');
unlike($msgs, qr/no longer fits/, 'and the graph is built in memory');
$msgs = build('wide', 'vector_l2_ops', "SET maintenance_work_mem = '16MB';");
like($msgs, qr/with half-precision copies/, 'with room for them, copies');
# At ef_search 100, as the other tests' self-searches: on these uniform
# 1,000-d rows the default 40 misses a row now and then with or without
# the copies (1 of 1,000 in one of six builds each way, the same build).
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 100;
	SELECT count(*) FROM wide w
	WHERE w.id <> (SELECT id FROM wide ORDER BY embedding <-> w.embedding LIMIT 1)}),
	'0', 'every row of that index finds itself first');

done_testing();
