# 040_hnsw_planner_wide_vectors.pl: the planner picks the hnsw index for a
# small table of wide vectors, and the exact plan where a filter leaves few
# rows.
#
# A vector(1536) is stored out of line (TOAST), and the planner charges a
# sequential scan nothing for reading it back, so a scan and sort of 2,000
# such rows looks cheap (about 80) while it takes ten times as long as the
# index (it detoasts every row).  The index is charged at most as many page
# reads as the table's main fork (hnswcostestimate), and wins: for ORDER BY
# ... LIMIT 10, and with a distance filter (WHERE v <-> q < 1) on 6,000
# rows.  A filter that keeps 1% of the rows still gets the exact plan,
# which is then the faster one (the index would have to read past many
# batches).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('planner', "jit = off\n");
my $dim = 1536;

sub add_rows
{
	my ($first, $last) = @_;
	$node->safe_psql(
		'postgres', qq{
		INSERT INTO wide
			SELECT i, (SELECT array_agg(random()) FROM generate_series(1, $dim)
					   WHERE i > 0)::vector
			FROM generate_series($first, $last) i;
	});
}

sub plan_of
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', "EXPLAIN (COSTS OFF) $sql");
}

$node->safe_psql(
	'postgres', qq{
	SELECT setseed(0.4);
	CREATE TABLE wide (id int, v vector($dim));
	CREATE TABLE q (v vector($dim));
	INSERT INTO q SELECT (SELECT array_agg(random()) FROM generate_series(1, $dim))::vector;
});
add_rows(1, 2000);
$node->safe_psql('postgres',
	'CREATE INDEX wide_idx ON wide USING hnsw (v vector_l2_ops); ANALYZE wide');

my $knn = 'SELECT id FROM wide ORDER BY v <-> (SELECT v FROM q) LIMIT 10';
like(plan_of($knn), qr/Index Scan using wide_idx/,
	'2,000 rows of vector(1536): ORDER BY ... LIMIT 10 uses the index');
# uniform random vectors of 1,536 dimensions are all about equally far
# apart, the hardest case for a graph: at the default ef_search the index
# finds about half of the ten; searching widely it must find them all
my $by_index = $node->safe_psql('postgres',
	"SET enable_seqscan = off; SET hnsw.ef_search = 1000; $knn");
my $exact = $node->safe_psql('postgres', "SET enable_indexscan = off; $knn");
is($by_index, $exact, '... and, searching widely, returns the exact nearest rows');

my $selective = 'SELECT id FROM wide WHERE id <= 20 ORDER BY v <-> (SELECT v FROM q) LIMIT 10';
unlike(plan_of($selective), qr/Index Scan using wide_idx/,
	'a filter keeping 1% of the rows gets the exact plan');

add_rows(2001, 6000);
$node->safe_psql('postgres', 'REINDEX INDEX wide_idx; ANALYZE wide');
my $within = 'SELECT id FROM wide WHERE v <-> (SELECT v FROM q) < 1 '
  . 'ORDER BY v <-> (SELECT v FROM q) LIMIT 10';
like(plan_of($within), qr/Index Scan using wide_idx/,
	'6,000 rows, WHERE v <-> q < 1: the index is used');
like(plan_of($knn), qr/Index Scan using wide_idx/,
	'6,000 rows: ORDER BY ... LIMIT 10 uses the index');

done_testing();
