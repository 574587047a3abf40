# 034_hnsw_vacuum_links_unreachable.pl: a build leaves every row reachable
# from the entry point, and VACUUM makes reachable again the rows that
# inserts cut off, even when nothing was deleted.
#
# Under inner product on vectors of very different lengths the heuristic
# gives the longest vectors most of the links, and pruning cuts many
# elements (and small groups of them) off the graph: their rows could never
# be returned.  The build walks its memory graph and links them before
# write-out; inserts into the built index cut off more (their back-links
# prune the same way); a VACUUM with no dead rows still runs
# amvacuumcleanup, whose last pass links each of them from its nearest
# reachable neighbour.  hnsw_index_check counts unreachable rows, exactly
# the rows an exhaustive scan cannot return; the links are WAL-logged and
# survive a crash.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('reach', "autovacuum = off\njit = off\n");
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.34);
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(32));
	INSERT INTO items
	SELECT i, ARRAY(SELECT (random() * 2 - 1) * (1 + i % 7)
					FROM generate_series(1, 32) WHERE i > 0)::vector
	FROM generate_series(1, 10000) i;
	CREATE INDEX items_idx ON items USING hnsw (embedding vector_ip_ops);
});

# rows hnsw_index_check finds indexed but not reachable (its NOTICE)
sub unreachable
{
	my ($rc, $out, $err) =
	  $node->psql('postgres', q{SELECT hnsw_index_check('items_idx', true)});
	is($rc, 0, 'the index passes hnsw_index_check');
	return $err =~ /(\d+) of \d+ indexed rows are not reachable/ ? $1 : 0;
}

cmp_ok(unreachable(), '<=', 5, 'after CREATE INDEX, (nearly) every row is reachable');

$node->safe_psql(
	'postgres', q{
	INSERT INTO items
	SELECT i, ARRAY(SELECT (random() * 2 - 1) * (1 + i % 7)
					FROM generate_series(1, 32) WHERE i > 0)::vector
	FROM generate_series(10001, 13000) i;
});
my $before = unreachable();
cmp_ok($before, '>', 100,
	'inserts under inner product cut rows off (what VACUUM repairs)');

# the checker's unreachable rows are exactly those no search can return:
# an exhaustive iterative scan misses just these, whatever the query
for my $q (1, 4321)
{
	is( $node->safe_psql(
			'postgres', qq{
		SET enable_seqscan = off;
		SET hnsw.iterative_scan = relaxed_order;
		SET hnsw.max_scan_tuples = 1000000;
		SET hnsw.scan_mem_multiplier = 1000;
		SELECT (SELECT count(*) FROM items) - count(*) FROM (SELECT id FROM items
		  ORDER BY embedding <#> (SELECT embedding FROM items WHERE id = $q)) s}),
		$before,
		"an exhaustive scan for row $q's vector misses exactly the $before rows the checker counts");
}

my ($rc, $out, $err) = $node->psql('postgres',
	'SET client_min_messages = debug1; VACUUM items');
like($err, qr/(\d+) live elements cut off from the entry point \(walked\), (\d+) linked/,
	'VACUUM without dead rows walks the graph');
my ($cut, $linked) = $err =~ /(\d+) live elements cut off .*?, (\d+) linked/;
cmp_ok($linked, '>=', 0.95 * $cut, "VACUUM linked $linked of the $cut it found cut off");

my $after = unreachable();
cmp_ok($after, '<=', 5,
	"after VACUUM $after rows are unreachable (before: $before)");

# the hard case: 3-d vectors whose coordinates are products of two
# uniform numbers (pgvector's inner-product test data), where 3,000
# inserts into a built index of 10,000 cut three quarters of the graph off.
# Most orphans' reached neighbours hold only other orphans' single links in
# the back halves of their lists: the pass sweeps again while it makes
# progress, so it links in all but a few percent, without touching the
# front halves that searches use (recall of the top results unchanged)
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.7);
	CREATE TABLE prods (id int PRIMARY KEY, v vector(3)) WITH (autovacuum_enabled = off);
	INSERT INTO prods SELECT i, ARRAY[random() * random(), random() * random(), random() * random()]
	FROM generate_series(1, 10000) i;
	CREATE INDEX prods_idx ON prods USING hnsw (v vector_ip_ops);
	INSERT INTO prods SELECT i, ARRAY[random() * random(), random() * random(), random() * random()]
	FROM generate_series(10001, 13000) i;
});
my $recall_sql = q{
	SET enable_seqscan = off;
	CREATE TEMP TABLE approx AS SELECT q.id AS qid, r.id FROM prods q,
		LATERAL (SELECT id FROM prods p ORDER BY p.v <#> q.v LIMIT 10) r WHERE q.id <= 100;
	SET enable_seqscan = on; SET enable_indexscan = off;
	CREATE TEMP TABLE exact AS SELECT q.id AS qid, r.id FROM prods q,
		LATERAL (SELECT id FROM prods p ORDER BY p.v <#> q.v LIMIT 10) r WHERE q.id <= 100;
	SELECT round(count(*)::numeric / (SELECT count(*) FROM exact), 3)
	FROM approx JOIN exact USING (qid, id);
};
my $recall_before = $node->safe_psql('postgres', $recall_sql);
($rc, $out, $err) = $node->psql('postgres', q{SELECT hnsw_index_check('prods_idx', true)});
my ($cut_prods) = $err =~ /(\d+) of \d+ indexed rows are not reachable/;
cmp_ok($cut_prods // 0, '>', 6000, "inserts cut $cut_prods of 13,000 rows off");
$node->safe_psql('postgres', 'VACUUM prods');
($rc, $out, $err) = $node->psql('postgres', q{SELECT hnsw_index_check('prods_idx', true)});
my ($left_prods) = $err =~ /(\d+) of \d+ indexed rows are not reachable/;
$left_prods //= 0;
cmp_ok($left_prods, '<', 1300, "after VACUUM $left_prods rows are unreachable (under 10%)");
my $recall_after = $node->safe_psql('postgres', $recall_sql);
cmp_ok($recall_after, '>=', $recall_before - 0.01,
	"recall\@10 after VACUUM $recall_after (before $recall_before)");

# the links are WAL-logged: a crash right after keeps them.  VACUUM has no
# transaction id, so its commit does not flush WAL: a commit that writes
# does (it flushes everything before it too).
$node->safe_psql('postgres',
	'CREATE TABLE wal_marker (x int); INSERT INTO wal_marker VALUES (1)');
$node->stop('immediate');
$node->start;
is(unreachable(), $after, 'after a crash and recovery, the same rows are reachable');

done_testing();
