# 042_hnsw_scan_stats_shared.pl: with vecindex in shared_preload_libraries,
# hnsw_stat_indexes sums the scans of every session per index and database,
# hnsw_stat_reset() clears one index or all (superusers only, unless
# granted), hnsw.track_max_indexes bounds the entries, and
# hnsw.log_min_duration logs the counters of slow statements.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('scanstats',
	"shared_preload_libraries = 'vecindex'\nhnsw.track_max_indexes = 100");
create_clustered($node, 'items', 2000, 8, 0.2);
$node->safe_psql('postgres',
	'CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops)');

my $query = q{
	SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT id FROM items
		ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 7) LIMIT 10) s;
};
my $view = q{
	SELECT relname || ' ' || indexrelname || ' ' || scans || ' ' || searches || ' '
		   || tuples || ' ' || rows
	FROM hnsw_stat_indexes};

is($node->safe_psql('postgres', $view), '', 'no counters before any scan');

# three sessions, one scan each; the counters are the sums
for my $i (1 .. 3)
{
	is($node->safe_psql('postgres', $query), '10', "session $i: the query returns 10 rows");
}
is($node->safe_psql('postgres', $view), 'items items_idx 3 3 30 30',
	'the view sums the scans of three sessions');
my ($visited, $distances, $hit, $read) = split /\|/, $node->safe_psql('postgres',
	'SELECT elements_visited, distances, pages_hit, pages_read FROM hnsw_stat_indexes');
cmp_ok($visited, '>=', 3 * 10, 'elements visited: at least ten a search');
cmp_ok($distances, '>=', $visited, 'distances: at least one per element visited');
cmp_ok($hit + $read, '>', 0, 'index pages are counted');

# the same numbers a session sees for its own last scan
my ($one) = $node->safe_psql('postgres', $query . q{
	SELECT elements_visited FROM hnsw_last_scan();});
is( $node->safe_psql('postgres',
		'SELECT elements_visited - ' . $visited . ' FROM hnsw_stat_indexes'),
	(split /\n/, $one)[-1],
	'the view grows by what hnsw_last_scan reported');

# another database keeps its own counters
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', 'CREATE EXTENSION vecindex');
is($node->safe_psql('other', $view), '', "another database does not see this one's indexes");
$node->safe_psql(
	'other', q{
	CREATE TABLE o (id int, embedding vector(2));
	INSERT INTO o SELECT i, ARRAY[i, i % 7] FROM generate_series(1, 100) i;
	CREATE INDEX o_idx ON o USING hnsw (embedding);
	SET enable_seqscan = off;
	SELECT id FROM o ORDER BY embedding <-> '[3,3]' LIMIT 2;
});
is($node->safe_psql('other', $view), 'o o_idx 1 1 2 2', '... and counts its own');
is($node->safe_psql('postgres', 'SELECT scans FROM hnsw_stat_indexes'), '4',
	'... apart from this one');

# reset: superusers only by default
$node->safe_psql('postgres', 'CREATE ROLE watcher LOGIN');
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT hnsw_stat_reset()',
	extra_params => [ '-U', 'watcher' ]);
like($err, qr/permission denied for function hnsw_stat_reset/,
	'an ordinary role may not reset the counters');
is($node->safe_psql('postgres', 'SELECT count(*) FROM hnsw_stat_indexes',
		extra_params => [ '-U', 'watcher' ]),
	'1', '... but may read them');
$node->safe_psql('postgres', "SELECT hnsw_stat_reset('items_idx')");
is($node->safe_psql('postgres', $view), '', 'resetting one index forgets its counters');
is($node->safe_psql('other', $view), 'o o_idx 1 1 2 2', '... and no other');
$node->safe_psql('postgres', 'SELECT hnsw_stat_reset()');
is($node->safe_psql('other', $view), '', 'resetting all forgets every database\'s');

# at most hnsw.track_max_indexes entries: the least searched give way
$node->safe_psql('postgres', $query) for 1 .. 2;
my $many = join "\n", map {
	"CREATE TABLE t$_ (v vector(2)); INSERT INTO t$_ VALUES ('[1,1]'), ('[2,2]');
	 CREATE INDEX ON t$_ USING hnsw (v);
	 SELECT count(*) FROM (SELECT 1 FROM t$_ ORDER BY v <-> '[0,0]' LIMIT 1) s;"
} 1 .. 110;
$node->safe_psql('postgres', "SET enable_seqscan = off;\n$many");
is( $node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM hnsw_stat_index_counters()), "
		  . "(SELECT scans FROM hnsw_stat_indexes WHERE indexrelname = 'items_idx')"),
	'100|2',
	'110 more indexes leave 100 entries, the most searched among them');

# hnsw.log_min_duration: 0 logs every statement with an hnsw scan
my $offset = -s $node->logfile;
$node->safe_psql('postgres', "SET hnsw.log_min_duration = 0;\n" . $query);
ok( $node->wait_for_log(
		qr/LOG:  hnsw scan of index "items_idx" in a statement of [0-9.]+ ms: searches 1, batches 1, elements visited \d+, distances \d+, pages hit \d+, pages read \d+, tuples 10, rows 10, rows filtered 0, search time [0-9.]+ ms/,
		$offset),
	'hnsw.log_min_duration = 0 logs the scan\'s counters');
like(slurp_file($node->logfile, $offset), qr/DETAIL:  Statement: .*ORDER BY embedding <->/s,
	'... with the statement');
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SET hnsw.log_min_duration = '1h';\n" . $query
	  . "SELECT 'marker after a fast statement';");
# log_statement = all: the marker is logged after the query's own lines
$node->wait_for_log(qr/marker after a fast statement/, $offset);
unlike(slurp_file($node->logfile, $offset), qr/hnsw scan of index/,
	'a statement faster than hnsw.log_min_duration is not logged');
($ret, $out, $err) = $node->psql('postgres', 'SET hnsw.log_min_duration = 0',
	extra_params => [ '-U', 'watcher' ]);
like($err, qr/permission denied to set parameter "hnsw.log_min_duration"/,
	'only superusers set hnsw.log_min_duration');

$node->stop;
done_testing();
