# 015_hnsw_parallel_build.pl: a parallel CREATE INDEX builds the same
# quality of graph as a serial one.
#
# With max_parallel_maintenance_workers set, the leader and a worker insert
# into one graph in shared memory; the index answers with the recall of a
# serial build and finds (nearly) every row by its own vector.  When the
# shared graph fills maintenance_work_mem, the rows that did not fit are
# handed to the leader and inserted after the graph is written: none is
# lost.  CREATE INDEX CONCURRENTLY builds in parallel too.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('parallel',
	"max_worker_processes = 8\nmax_parallel_workers = 8\nmin_parallel_table_scan_size = 0\n");
install_recall($node);

create_clustered($node, 'items', 10000, 32, 0.3);
create_clustered($node, 'queries', 100, 32, 0.4);

# Builds an index and returns the DEBUG line saying how many workers ran.
sub build
{
	my ($sql, $mwm) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres', qq{
		SET client_min_messages = debug1;
		SET max_parallel_maintenance_workers = 2;
		SET maintenance_work_mem = '$mwm';
		$sql});
	is($ret, 0, "build succeeds: $sql") or diag($err);
	my ($line) = $err =~ /(using \d+ parallel workers[^\n]*)/;
	return ($line // '', $err);
}

my ($line) = build('CREATE INDEX par_idx ON items USING hnsw (embedding)', '128MB');
like($line, qr/using [1-9]\d* parallel workers/,
	'the build ran with parallel workers');

my $r = recall_at_10($node, 'items', '<->', 'queries', 100);
note "parallel build: recall\@10 = $r";
cmp_ok($r, '>=', 0.9, 'recall of the parallel build is >= 0.9');

my $missing_sql = q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 100;
	SELECT count(*) FROM items i WHERE NOT EXISTS (
		SELECT 1 FROM (SELECT id FROM items ORDER BY embedding <-> i.embedding LIMIT 5) s
		WHERE s.id = i.id)};
my $missing = $node->safe_psql('postgres', $missing_sql);
# (on this data a serial build misses about 50 at ef_search 100, pgvector's
# builds 75 to 125: the query's own row is not always among the 5 returned)
cmp_ok($missing, '<=', 250, "nearly every row is found by its own vector ($missing missing)");
$node->safe_psql('postgres', 'DROP INDEX par_idx');

# the same table built serially, for comparison
$node->safe_psql('postgres', q{
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX ser_idx ON items USING hnsw (embedding)});
my $rs = recall_at_10($node, 'items', '<->', 'queries', 100);
note "serial build: recall\@10 = $rs";
cmp_ok(abs($r - $rs), '<=', 0.03, 'parallel and serial recall agree within 0.03');
$node->safe_psql('postgres', 'DROP INDEX ser_idx');

# CREATE INDEX CONCURRENTLY, with a cosine index
($line) = build(
	'CREATE INDEX CONCURRENTLY cic_idx ON items USING hnsw (embedding vector_cosine_ops)',
	'128MB');
like($line, qr/using [1-9]\d* parallel workers/,
	'CREATE INDEX CONCURRENTLY builds in parallel');
is( $node->safe_psql(
		'postgres', q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'cic_idx'::regclass}),
	't', 'the concurrently built index is valid');
$r = recall_at_10($node, 'items', '<=>', 'queries', 100);
cmp_ok($r, '>=', 0.9, "its recall is >= 0.9 ($r)");
$node->safe_psql('postgres', 'DROP INDEX cic_idx');

# A graph bigger than maintenance_work_mem: 64MB is the least that still
# earns a worker (32MB per process); 240,000 vectors of 16 dimensions need
# about 70MB at m = 8 (so a few thousand rows go through the spill files).  (Uniform data: the clustered test data has
# well-separated clusters, where any HNSW graph may leave a whole cluster
# unreachable from the entry point, and this test is about lost rows.)
$node->safe_psql(
	'postgres', q{
	CREATE TABLE big (id int PRIMARY KEY, embedding vector(16));
	SELECT setseed(0.25);
	INSERT INTO big SELECT i, ARRAY(SELECT random() + i * 0 FROM generate_series(1, 16))::vector
	  FROM generate_series(1, 240000) i;
	ANALYZE big;
});
my $err;
($line, $err) = build(
	'CREATE INDEX big_idx ON big USING hnsw (embedding) WITH (m = 8, ef_construction = 32)',
	'64MB');
like($line, qr/using [1-9]\d* parallel workers/, 'the big build ran in parallel');
like($err, qr/no longer fits into maintenance_work_mem/, '... and outgrew memory');
my $found = $node->safe_psql(
	'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 200;
	SELECT count(*) FROM (SELECT id FROM big WHERE id % 2400 = 0) q
	WHERE EXISTS (SELECT 1 FROM (SELECT b.id FROM big b
	  ORDER BY b.embedding <-> (SELECT embedding FROM big WHERE id = q.id) LIMIT 3) s
	  WHERE s.id = q.id)});
cmp_ok($found, '>=', 95, "rows from before and after memory filled are found ($found of 100)");
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT id FROM big ORDER BY embedding <-> (SELECT embedding FROM big WHERE id = 240000) LIMIT 1) s WHERE id = 240000}),
	'1', 'the last row (inserted from a spill file) is found');

done_testing();
