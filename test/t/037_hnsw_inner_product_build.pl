# 037_hnsw_inner_product_build.pl: an inner-product build on short,
# unevenly long vectors finds the top 20 of nearly every query and leaves
# every row reachable.
#
# Under inner product the longest vectors are everybody's nearest, so they
# draw nearly all links: on 10,000 3-d vectors whose elements are products
# of two uniform draws, over 8,000 elements end the inserts with no path to
# them from the entry point, and the build's reachability pass links them
# in (hnswreachgraph.c).  If it does so by taking the fillers of the few
# lists they all point to, those lists stop linking the long vectors to
# each other and recall@20 falls to about 0.96; the rows it cannot link in
# stay out of every scan.  Serial and parallel builds, 50 queries at the
# default ef_search, exact results from a sequential scan.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('ip',
	"max_worker_processes = 8\nmax_parallel_workers = 8\nmaintenance_work_mem = 256MB\n"
);

$node->safe_psql(
	'postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));
	SELECT setseed(0.37);
	INSERT INTO items
		SELECT i, ARRAY[random() * random(), random() * random(),
						random() * random()]::vector
		FROM generate_series(1, 10000) i;
	CREATE TABLE queries (id int PRIMARY KEY, embedding vector(3));
	INSERT INTO queries
		SELECT i, ARRAY[random(), random(), random()]::vector
		FROM generate_series(1, 50) i;
	ANALYZE items;

	-- each query's exact top 20, before there is an index to use
	CREATE TABLE exact AS
		SELECT q.id, ARRAY(SELECT i.id FROM items i
						   ORDER BY i.embedding <#> q.embedding LIMIT 20) AS ids
		FROM queries q;
});

# The share of the exact top 20s that index scans return, over all queries.
my $recall_sql = q{
	SELECT round(sum((SELECT count(*)
					  FROM unnest(ARRAY(SELECT i.id FROM items i
										ORDER BY i.embedding <#> q.embedding
										LIMIT 20)) a
					  WHERE a = ANY (e.ids)))::numeric
				 / sum(cardinality(e.ids)), 4)
	FROM queries q JOIN exact e USING (id)};

$node->safe_psql('postgres',
	'CREATE INDEX items_idx ON items USING hnsw (embedding vector_ip_ops)');
like(
	$node->safe_psql(
		'postgres', "SET enable_seqscan = off; EXPLAIN (COSTS OFF) $recall_sql"),
	qr/Index Scan using items_idx/,
	'the recall query scans the index');

for my $workers (0, 2)
{
	my $kind = $workers ? 'parallel' : 'serial';
	my ($ret, $out, $err) = $node->psql(
		'postgres', qq{
		SET client_min_messages = debug1;
		SET max_parallel_maintenance_workers = $workers;
		SET min_parallel_table_scan_size = 0;
		DROP INDEX items_idx;
		CREATE INDEX items_idx ON items USING hnsw (embedding vector_ip_ops);
	});
	is($ret, 0, "$kind build succeeds") or diag($err);
	if ($workers)
	{
		like($err, qr/using \d+ parallel workers/, 'the build ran in parallel');
	}
	else
	{
		like($err, qr/building index "items_idx" on table "items" serially/,
			'the build ran serially');
	}
	my ($cut) = $err =~ /linked (\d+) elements a search could not reach/;
	note "$kind build linked " . ($cut // '?') . ' unreachable elements';

	my $recall =
	  $node->safe_psql('postgres', "SET enable_seqscan = off; $recall_sql");
	cmp_ok($recall, '>=', 0.97, "$kind build: recall\@20 under <#> ($recall)");

	($ret, $out, $err) =
	  $node->psql('postgres', "SELECT hnsw_index_check('items_idx', true)");
	is($ret, 0, "$kind build passes hnsw_index_check") or diag($err);
	my ($unreachable) = $err =~ /(\d+) of \d+ indexed rows are not reachable/;
	cmp_ok($unreachable // 0, '<=', 10,
		"$kind build: at most 0.1% of the rows are unreachable");
}

$node->stop;
done_testing();
