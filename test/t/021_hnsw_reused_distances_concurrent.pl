# 021_hnsw_reused_distances_concurrent.pl: the distances an hnsw scan hands
# the executor (src/hnswreuse.c) stay exact while other sessions change the
# rows under it.
#
# pgbench runs four clients for a while.  Two run L2 and inner-product
# nearest-neighbour queries over TOASTed vectors and compare each returned
# row's distance -- taken from the scan -- with the same operator on a copy
# of the vector that is not a TOAST pointer (subvector), failing the query
# on any difference.  The others meanwhile HOT-update
# rows (the scan's TID then leads to a later version), swap a row's vector
# for another (a new element; the old one dead), delete and re-insert rows
# and VACUUM the table, so scans meet dead TIDs, HOT chains, pruned pages
# and reused line pointers.  No client may fail.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('reused_distances', "max_connections = 20\njit = off\n");

# 600 dimensions: 2,408 bytes a vector, stored out of line.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE r (id int PRIMARY KEY, note text, v vector(600), w vector(600))
	  WITH (fillfactor = 70);
	INSERT INTO r SELECT i, 'x',
	  ARRAY(SELECT (i * j) % 97 - 48 + random() FROM generate_series(1, 600) j)::vector,
	  ARRAY(SELECT (i + j) % 89 - 44 + random() FROM generate_series(1, 600) j)::vector
	FROM generate_series(1, 1500) i;
	CREATE INDEX r_l2 ON r USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32);
	CREATE INDEX r_ip ON r USING hnsw (v vector_ip_ops) WITH (m = 8, ef_construction = 32);
	CREATE TABLE qs (qid int PRIMARY KEY, q vector(600));
	INSERT INTO qs SELECT k,
	  ARRAY(SELECT (k * 31 + j * 3) % 101 - 50.5 + random() FROM generate_series(1, 600) j)::vector
	FROM generate_series(1, 50) k;
});

my $toasted = $node->safe_psql('postgres',
	q{SELECT pg_relation_size(reltoastrelid) > 1500 * 2 * 2400 FROM pg_class
	  WHERE relname = 'r'});
is($toasted, 't', 'the vectors are stored in the TOAST table');

# Each row's distance from the scan (d) against the same operator on a
# copy that is not a TOAST pointer (e); mismatch() raises an error naming
# both, and is volatile, so no plan folds it away.
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION mismatch(d float8, e float8) RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
	  RAISE EXCEPTION 'scan distance % differs from the computed %', d, e;
	END $$;
});
my $check = sub {
	my ($op) = @_;
	return qq{
		\\set q random(1, 50)
		SELECT CASE WHEN d = e THEN 0 ELSE mismatch(d, e) END
		FROM (SELECT d, subvector(v, 1, 600) $op q AS e
		      FROM (SELECT v, v $op (SELECT q FROM qs WHERE qid = :q) AS d,
		                   (SELECT q FROM qs WHERE qid = :q) AS q
		            FROM r ORDER BY v $op (SELECT q FROM qs WHERE qid = :q) LIMIT 10) x) y;
	};
};

$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --time=15',
	0,
	[qr{processed: [1-9]}],
	[qr{^$}],
	'index scans check their distances while rows change',
	{
		'001_l2@6' => $check->('<->'),
		'002_ip@6' => $check->('<#>'),
		'003_hot@4' => q{
			\set id random(1, 1500)
			UPDATE r SET note = note || 'h' WHERE id = :id;
		},
		'004_swap@2' => q{
			\set id random(1, 1500)
			UPDATE r SET v = w, w = v WHERE id = :id;
		},
		'005_reinsert@2' => q{
			\set id random(1, 1500)
			BEGIN;
			DELETE FROM r WHERE id = :id;
			INSERT INTO r SELECT :id, 'n',
			  ARRAY(SELECT (:id * j) % 97 - 48 + random() FROM generate_series(1, 600) j)::vector,
			  ARRAY(SELECT (:id + j) % 89 - 44 + random() FROM generate_series(1, 600) j)::vector
			ON CONFLICT (id) DO NOTHING;
			COMMIT;
		},
		'006_vacuum@1' => q{
			VACUUM r;
		}
	});

my $scans = $node->safe_psql('postgres',
	q{SELECT sum(idx_scan) FROM pg_stat_user_indexes
	  WHERE indexrelname IN ('r_l2', 'r_ip')});
cmp_ok($scans, '>', 200, "the clients ran many checked scans ($scans)");

# The same check once more, serially, over every query and both operators
# (sql/hnsw_reused_distances.sql shows the check failing against a reuse
# that does not check its row).
my $all = $node->safe_psql(
	'postgres', q{
	SET enable_seqscan = off;
	SELECT bool_and(ok) FROM qs, LATERAL (
	  SELECT d = subvector(v, 1, 600) <-> qs.q AS ok FROM (
	    SELECT v, v <-> qs.q AS d FROM r ORDER BY v <-> qs.q LIMIT 10) x
	  UNION ALL
	  SELECT d = subvector(v, 1, 600) <#> qs.q FROM (
	    SELECT v, v <#> qs.q AS d FROM r ORDER BY v <#> qs.q LIMIT 10) y) z});
is($all, 't', 'after the run, every scan row distance equals the computed one');

done_testing();
