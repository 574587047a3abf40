# 036_hnsw_vacuum_wide_lists.pl: VACUUM repairs the links of an index with
# the largest m after most rows are deleted, and the index stays sound and
# searchable.
#
# At m = 100 a layer-0 list holds 200 links, and the repair of an element
# whose neighbours were emptied gathers candidates from two hops of them:
# up to 200 * 201 * 2 (80,400) before duplicates are dropped.  The repair
# once carried each candidate's position through the sort in
# HnswNode.level, an int16, which past 32,767 distinct candidates would
# have read a vector through a negative index; it now finds each vector
# through the duplicate set.  That many distinct candidates needs an index
# of some 300,000 rows at m = 100 with most of them deleted, too slow to
# build here, so this test runs the repair at the largest m with thousands
# of candidates per element (under an assertion-enabled build when
# test/run does so) and checks what it leaves: the checker finds nothing
# wrong, every row is reachable and recall@10 against exact results holds.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('widelists', "autovacuum = off\njit = off\n");
install_recall($node);
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.36);
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(8));
	INSERT INTO items
	SELECT i, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 12000) i;
	CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops)
		WITH (m = 100, ef_construction = 200);
	CREATE TABLE queries AS
	SELECT i AS id, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, 8) WHERE i > 0)::vector AS embedding
	FROM generate_series(1, 50) i;
});

my $before = recall_at_10($node, 'items', '<->', 'queries', 50, 100);
note "recall\@10 after the build: $before";

# delete nine rows in ten, then VACUUM repairs the survivors' lists
$node->safe_psql('postgres', 'DELETE FROM items WHERE id % 10 <> 0');
my ($rc, $out, $err) = $node->psql('postgres', 'SET client_min_messages = debug1; VACUUM items');
is($rc, 0, 'VACUUM after deleting 90% of the rows succeeds') or diag($err);

($rc, $out, $err) =
  $node->psql('postgres', q{SELECT hnsw_index_check('items_idx', heapallindexed => true)});
is($rc, 0, 'the vacuumed index passes hnsw_index_check') or diag($err);
my ($unreachable) = $err =~ /(\d+) of \d+ indexed rows are not reachable/;
is($unreachable // 0, 0, 'every remaining row is reachable from the entry point');

is($node->safe_psql('postgres', 'SELECT count(*) FROM items'), '1200', '1,200 rows remain');
my $after = recall_at_10($node, 'items', '<->', 'queries', 50, 100);
note "recall\@10 after deleting 90% and VACUUM: $after";
cmp_ok($after, '>=', 0.95, "recall\@10 at ef_search 100 stays >= 0.95 ($after)");

# rows inserted after the repair are found by their own vectors
$node->safe_psql(
	'postgres', q{
	INSERT INTO items
	SELECT i, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(20001, 21000) i;
});
my $missing = $node->safe_psql(
	'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 100;
	SELECT count(*) FROM items i WHERE id > 20000 AND NOT EXISTS (
		SELECT 1 FROM (SELECT id FROM items ORDER BY embedding <-> i.embedding LIMIT 1) s
		WHERE s.id = i.id)});
is($missing, '0', 'each row inserted after the repair is found by its own vector');

$node->stop;
done_testing();
