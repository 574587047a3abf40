# 010_hnsw_recall.pl: an hnsw index finds the true nearest neighbours.
#
# On 10,000 clustered 32-dimension vectors, recall@10 against exact results
# is high for every opclass at the default ef_search and near perfect at
# ef_search = 200; and rows inserted one by one into a built index are found
# as well as rows present at build time.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('recall', 'maintenance_work_mem = 256MB');
install_recall($node);

create_clustered($node, 'items', 10000, 32, 0.1);
create_clustered($node, 'queries', 100, 32, 0.2);

my %floor = (
	'vector_l2_ops'     => ['<->', 0.90, 0.98],
	'vector_ip_ops'     => ['<#>', 0.80, 0.95],
	'vector_cosine_ops' => ['<=>', 0.90, 0.95],
	'vector_l1_ops'     => ['<+>', 0.90, 0.98],);

for my $opclass (sort keys %floor)
{
	my ($op, $at40, $at200) = @{ $floor{$opclass} };
	$node->safe_psql('postgres',
		"CREATE INDEX items_idx ON items USING hnsw (embedding $opclass)");
	my $r40 = recall_at_10($node, 'items', $op, 'queries', 100);
	my $r200 = recall_at_10($node, 'items', $op, 'queries', 100, 200);
	note "$opclass: recall\@10 = $r40 (ef_search 40), $r200 (ef_search 200)";
	cmp_ok($r40, '>=', $at40, "$opclass recall\@10 at ef_search 40 is >= $at40");
	cmp_ok($r200, '>=', $at200,
		"$opclass recall\@10 at ef_search 200 is >= $at200");
	$node->safe_psql('postgres', 'DROP INDEX items_idx');
}

# Incremental inserts: build on the first half, insert the second half.
$node->safe_psql('postgres',
	'CREATE TABLE grown (id int PRIMARY KEY, embedding vector(32))');
$node->safe_psql('postgres',
	'INSERT INTO grown SELECT * FROM items WHERE id <= 5000');
$node->safe_psql('postgres',
	'CREATE INDEX grown_idx ON grown USING hnsw (embedding)');
$node->safe_psql('postgres',
	'INSERT INTO grown SELECT * FROM items WHERE id > 5000');
is($node->safe_psql('postgres', 'SELECT count(*) FROM grown'),
	'10000', 'all rows inserted');
my $r = recall_at_10($node, 'grown', '<->', 'queries', 100);
note "after incremental inserts: recall\@10 = $r";
cmp_ok($r, '>=', 0.90, 'recall after incremental inserts is >= 0.90');

# Inserted rows are reachable: each finds itself first.  Not every one: on
# this clustered data a graph built in one go also misses about 0.5% of
# rows at ef_search 100 (pgvector's about 1%), so allow 1%.
my $missing = $node->safe_psql(
	'postgres', q{
	SET hnsw.ef_search = 100;
	SELECT count(*) FROM grown g
	WHERE g.id % 10 = 0 AND g.id > 5000 AND g.id <> (
		SELECT id FROM grown ORDER BY embedding <-> g.embedding LIMIT 1)});
cmp_ok($missing, '<=', 5,
	"sampled inserted rows are found by their own vector ($missing of 500 not)");

done_testing();
