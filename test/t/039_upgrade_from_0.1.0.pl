# 039_upgrade_from_0.1.0.pl: ALTER EXTENSION vecindex UPDATE from 0.1.0
# gives the same objects as a fresh install, and an index in format
# version 1 (what 0.1.0 wrote) keeps answering, taking inserts, VACUUM and
# the checker, before and after the update.
#
# Version 1 differs from 2 only in the metapage: the byte that names the
# vector type was reserved (zero) and the version field read 1.  The test
# builds an index and turns its metapage into version 1's, server stopped.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
init_for_page_edits($node);
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('fresh', 'CREATE EXTENSION vecindex');
$node->safe_psql('upgraded', "CREATE EXTENSION vecindex VERSION '0.1.0'");
is($node->safe_psql('upgraded', "SELECT extversion FROM pg_extension WHERE extname = 'vecindex'"),
	'0.1.0', 'version 0.1.0 installs');
is($node->safe_psql('upgraded', "SELECT to_regtype('halfvec') IS NULL"),
	't', '... without the types 0.2.0 adds');

$node->safe_psql(
	'upgraded', q{
	SELECT setseed(0.3);
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(16));
	INSERT INTO items SELECT i, ARRAY(SELECT random() + i * 0 FROM generate_series(1, 16))::vector
	FROM generate_series(1, 2000) i;
	CREATE TABLE queries AS SELECT id, embedding FROM items WHERE id % 100 = 0;
	CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops);
});

my $answers = q{
	SET enable_seqscan = off;
	SELECT string_agg(r.ids, ';' ORDER BY q.id)
	FROM queries q, LATERAL (
		SELECT string_agg(id::text, ',') AS ids
		FROM (SELECT id FROM items ORDER BY embedding <-> q.embedding LIMIT 5) s) r;
};
my $before = $node->safe_psql('upgraded', $answers);

# Turn the metapage into version 1's: version 1, vector type byte 0.
my $file = $node->data_dir . '/'
  . $node->safe_psql('upgraded', "SELECT pg_relation_filepath('items_idx')");
$node->safe_psql('upgraded', 'CHECKPOINT');
$node->stop;
my $meta = 24;    # the page header; HnswMetaPageData follows
open(my $fh, '+<', $file) or die "open $file: $!";
binmode $fh;
sysseek($fh, $meta + 4, 0) or die;
syswrite($fh, pack('L', 1)) == 4 or die;    # uint32 version
sysseek($fh, $meta + 15, 0) or die;
syswrite($fh, pack('C', 0)) == 1 or die;    # uint8 vectype
close $fh;
$node->start;

like($node->safe_psql('upgraded', "SELECT hnsw_index_stats('items_idx')::text"),
	qr/"type": "vector"/, 'a version 1 index reads as an index of vectors');
is($node->safe_psql('upgraded', $answers), $before,
	'a version 1 index answers as before');
$node->safe_psql(
	'upgraded', q{
	INSERT INTO items SELECT i, ARRAY(SELECT random() + i * 0 FROM generate_series(1, 16))::vector
	FROM generate_series(2001, 2500) i;
	DELETE FROM items WHERE id % 7 = 0;
	VACUUM items;
});
is($node->safe_psql('upgraded', "SELECT hnsw_index_check('items_idx', true)"),
	'', 'a version 1 index takes inserts and VACUUM and passes the check');

$node->safe_psql('upgraded', 'ALTER EXTENSION vecindex UPDATE');
same_as_fresh_install($node, 'upgraded', 'fresh');

# the old index after the update, and a new type beside it
is($node->safe_psql('upgraded', "SELECT hnsw_index_check('items_idx', true)"),
	'', 'the version 1 index passes the check after the update');
$node->safe_psql(
	'upgraded', q{
	CREATE TABLE h AS SELECT id, embedding::halfvec(16) AS embedding FROM items;
	CREATE INDEX h_idx ON h USING hnsw (embedding halfvec_l2_ops);
});
like($node->safe_psql('upgraded', "SELECT hnsw_index_stats('h_idx')::text"),
	qr/"type": "halfvec"/, 'a halfvec index builds in the upgraded database');

done_testing();
