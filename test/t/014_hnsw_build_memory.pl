# 014_hnsw_build_memory.pl: a build larger than maintenance_work_mem.
#
# With maintenance_work_mem far below the graph's size the build says so,
# shows the rest of the rows being inserted into pages as its own phase in
# pg_stat_progress_create_index (REINDEX too), finishes, and gives an index as good as one built in memory; the index
# is WAL-logged like any other (it survives a crash right after the build).
# The rows inserted into pages read pages the build keeps pinned, up to a
# quarter of the buffer pool (of the local buffers for a temporary table): the pools
# here are small enough that both builds go past that, so pages beyond it
# are read the ordinary way within the same build.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('buildmem', "shared_buffers = '4MB'");
install_recall($node);
create_clustered($node, 'items', 20000, 16, 0.11);
create_clustered($node, 'queries', 100, 16, 0.12);

# the build runs in the background while its progress is watched
my ($out, $err) = ('', '');
my $build = IPC::Run::start(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
		'-c', "SET maintenance_work_mem = '1MB'; CREATE INDEX small_idx ON items USING hnsw (embedding)"
	],
	'>', \$out, '2>', \$err);
ok( $node->poll_query_until(
		'postgres', q{
		SELECT count(*) > 0 FROM pg_stat_progress_create_index
		WHERE phase = 'building index: inserting into pages' AND tuples_done > 0}),
	'pg_stat_progress_create_index shows the rows that outgrew memory being inserted');
$build->finish;
is($build->result(0), 0, 'the build within 1MB of maintenance_work_mem succeeds');
like($err, qr/no longer fits into maintenance_work_mem/,
	'the build says the graph outgrew maintenance_work_mem');
my $small = recall_at_10($node, 'items', '<->', 'queries', 100);
my $ret;
my $pages = $node->safe_psql('postgres',
	q{SELECT pg_relation_size('small_idx') / current_setting('block_size')::int});
cmp_ok($pages, '>', 512 / 4,
	'the index has more pages than the build may keep pinned (a quarter of 512 buffers)');
($ret, $out, $err) =
  $node->psql('postgres', "SELECT hnsw_index_check('small_idx', true)");
is($ret, 0, 'the index built beyond memory passes hnsw_index_check with heapallindexed')
  or diag($err);

# a temporary table's build pins local buffers (temp_buffers 1MB: 128)
my $temp = $node->safe_psql(
	'postgres', q{
	SET temp_buffers = '1MB';
	CREATE TEMP TABLE titems AS SELECT * FROM items;
	SET client_min_messages = warning;
	SET maintenance_work_mem = '1MB';
	CREATE INDEX titems_idx ON titems USING hnsw (embedding);
	SELECT hnsw_index_check('titems_idx', true);
	SELECT pg_relation_size('titems_idx') / current_setting('block_size')::int > 128 / 4,
		   recall_at_10('titems', '<->', 'queries', 100);
	});
my ($temp_big, $temp_recall) = split /\|/, (split /\n/, $temp)[-1];
is($temp_big, 't', 'the temporary index has more pages than a quarter of temp_buffers');
cmp_ok($temp_recall, '>=', 0.90,
	'the temporary index built beyond memory passes hnsw_index_check and has recall@10 >= 0.90');

$node->stop('immediate');
$node->start;
my $after = recall_at_10($node, 'items', '<->', 'queries', 100);
is($after, $small, 'the index built on disk survives a crash unchanged');

# REINDEX rebuilds through the same phases, and shows them as CREATE INDEX
$build = IPC::Run::start(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
		'-c', "SET maintenance_work_mem = '1MB'; REINDEX INDEX small_idx"
	],
	'>', \$out, '2>', \$err);
ok( $node->poll_query_until(
		'postgres', q{
		SELECT count(*) > 0 FROM pg_stat_progress_create_index
		WHERE command = 'REINDEX' AND phase = 'building index: inserting into pages'
		  AND tuples_done > 0}),
	'pg_stat_progress_create_index shows REINDEX in the same phase');
$build->finish;
is($build->result(0), 0, 'the REINDEX within 1MB succeeds');
$node->safe_psql('postgres', 'DROP INDEX small_idx');

($ret, $out, $err) = $node->psql('postgres',
	"SET maintenance_work_mem = '256MB'; CREATE INDEX big_idx ON items USING hnsw (embedding)");
is($err, '', 'the build within 256MB says nothing');
my $big = recall_at_10($node, 'items', '<->', 'queries', 100);
note "recall\@10: built in 1MB $small, built in 256MB $big";
cmp_ok($small, '>=', 0.90, 'recall of the index built beyond memory is >= 0.90');
cmp_ok($small, '>=', $big - 0.03, 'and within 0.03 of the in-memory build');

done_testing();
