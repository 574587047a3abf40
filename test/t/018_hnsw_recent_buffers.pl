# 018_hnsw_recent_buffers.pl: a backend's memory of where index pages were
# found in shared buffers is only ever a hint.
#
# A scan pins a page through the buffer it last found that page in
# (ReadRecentBuffer) when that buffer still holds it.  With a buffer pool far
# smaller than two indexes, scanning the second one puts other pages into
# nearly every buffer the first one's pages were in; scanning the first one
# again in the same session must notice that, read its pages afresh and
# give exactly the results it gave before.  A REINDEX gives the index a new
# relation file, so none of the remembered buffers can match it any more.
# And pages read through the map age in the buffer pool as pages read
# through ReadBuffer do.  Last, the map is taken at all, and with
# hnsw.recent_buffers off it is not, with the same results.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('recent', "shared_buffers = '1MB'");
install_recall($node);
create_clustered($node, 'a', 8000, 32, 0.21);
create_clustered($node, 'b', 8000, 32, 0.22);
create_clustered($node, 'queries', 50, 32, 0.23);
$node->safe_psql(
	'postgres', q{
	CREATE INDEX a_idx ON a USING hnsw (embedding);
	CREATE INDEX b_idx ON b USING hnsw (embedding);
});
my $pages = $node->safe_psql('postgres',
	q{SELECT least(pg_relation_size('a_idx'), pg_relation_size('b_idx'))
			 / current_setting('block_size')::int});
cmp_ok($pages, '>', 128, 'each index has more pages than the pool has buffers (128)');

# all in one session: the backend's map of a_idx outlives each scan
my $top10 = sub {
	my ($tbl, $into) = @_;
	return qq{
	CREATE TEMP TABLE $into AS
		SELECT q.id AS qid,
			   ARRAY(SELECT t.id FROM $tbl t
					 ORDER BY t.embedding <-> q.embedding LIMIT 10) AS ids
		FROM queries q;
	};
};
my $out = $node->safe_psql(
	'postgres', qq{
	SET enable_seqscan = off;
	@{[ $top10->('a', 'first') ]}
	@{[ $top10->('b', 'other') ]}
	@{[ $top10->('a', 'again') ]}
	SELECT count(*) FILTER (WHERE f.ids IS DISTINCT FROM g.ids),
		   count(*) FILTER (WHERE cardinality(f.ids) = 10)
	FROM first f JOIN again g USING (qid);
	SELECT count(*) FROM first f JOIN other o USING (qid) WHERE f.ids = o.ids;
	REINDEX INDEX a_idx;
	@{[ $top10->('a', 'after') ]}
	SELECT count(*) FILTER (WHERE cardinality(ids) = 10) FROM after;
	SELECT hnsw_index_check('a_idx', true);
});
my @lines = split /\n/, $out;
is($lines[0], '0|50',
	'a scan after another index took over the buffers gives the same 10 rows for all 50 queries');
is($lines[1], '0', 'the two indexes give different rows (the check above compares something)');
is($lines[2], '50', 'after REINDEX (a new relation file) every query still finds 10 rows');

my $recall = recall_at_10($node, 'a', '<->', 'queries', 50);
cmp_ok($recall, '>=', 0.9, "recall after REINDEX within the small pool ($recall)");

# ReadRecentBuffer does not raise a buffer's usage count, by which the
# clock sweep picks what to evict; pages read through the map must still
# heat up as ReadBuffer's do.  After 50 scans in one session the metapage,
# which each scan reads once, is at the highest count (5); reads that all
# took the map would have left it where its first read put it (1).
$node->append_conf('postgresql.conf', "shared_buffers = '32MB'");
$node->restart;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_buffercache');
$out = $node->safe_psql(
	'postgres', q{
	SET enable_seqscan = off;
	SELECT count(*) FROM queries q,
		LATERAL (SELECT a.id FROM a ORDER BY a.embedding <-> q.embedding LIMIT 10) s;
	SELECT usagecount FROM pg_buffercache
	WHERE relfilenode = pg_relation_filenode('a_idx') AND relblocknumber = 0
	  AND reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database());
});
is($out, "500\n5", "pages read through the map heat up as ReadBuffer's do (metapage usage count 5 after 50 scans)");

# The map is taken at all: a PostgreSQL change that made every read miss it
# (ReadRecentBuffer failing, usage counts no longer reaching the maximum)
# would lose the speedup without a wrong result.  After six passes of the
# same 50 queries every page they read is at the highest usage count, so a
# seventh pass pins nearly all of them through the map, as counted by the
# test-only function below (not part of the extension's SQL).  With
# hnsw.recent_buffers off, none is, and the pass gives the same rows and
# the same index block counts in pg_statio_user_indexes.
my $blocks = q{
	SELECT pg_stat_force_next_flush() \g /dev/null
	SELECT idx_blks_hit + idx_blks_read AS blocks, hnsw_recent_buffers_hits() AS hits
	FROM pg_statio_user_indexes WHERE indexrelname = 'a_idx' \gset
};
$out = $node->safe_psql(
	'postgres', qq{
	CREATE FUNCTION hnsw_recent_buffers_hits() RETURNS bigint
		AS '\$libdir/vecindex' LANGUAGE C;
	SET enable_seqscan = off;
	SELECT count(*) FROM generate_series(1, 6), queries q,
		LATERAL (SELECT a.id FROM a ORDER BY a.embedding <-> q.embedding LIMIT 10) s
		\\g /dev/null
	$blocks
	\\set b0 :blocks
	\\set h0 :hits
	@{[ $top10->('a', 'map_on') ]}
	$blocks
	\\set b1 :blocks
	\\set h1 :hits
	SET hnsw.recent_buffers = off;
	@{[ $top10->('a', 'map_off') ]}
	$blocks
	SELECT :h1 - :h0 > 0.9 * (:b1 - :b0), :b1 - :b0 > 0, :hits - :h1,
		   :blocks - :b1 = :b1 - :b0;
	SELECT format('%s of %s', :h1 - :h0, :b1 - :b0);
	SELECT count(*) FILTER (WHERE f.ids IS DISTINCT FROM g.ids),
		   count(*) FILTER (WHERE cardinality(f.ids) = 10)
	FROM map_on f JOIN map_off g USING (qid);
});
@lines = split /\n/, $out;
is($lines[0], 't|t|0|t',
	"with hnsw.recent_buffers on, over 90% of index reads take the map ($lines[1]); off, none does, and the block counts are the same");
is($lines[2], '0|50', 'the same 10 rows for all 50 queries with hnsw.recent_buffers on and off');

$node->stop;
done_testing();
