# 031_hnsw_backup_pitr.pl: a base backup plus archived WAL restores hnsw
# indexes to a named restore point exactly.
#
# A primary archives its WAL (with wal_consistency_checking = 'generic', so
# the restore compares every replayed generic record with its page image).  After a base backup (pg_basebackup) it goes
# on changing the table through every path that writes hnsw WAL: inserts,
# duplicates, deletes and VACUUM (slots freed, links repaired), inserts
# reusing the freed slots, and a new index built after the backup (logged
# as full-page images by log_newpage_range).  It then records the restore point
# 'between', and carries on (batch 3: more inserts, deletes of batch-2
# rows, VACUUM, another new index).
#
# The backup, recovered from the archive up to 'between' and promoted, has
# exactly the rows the primary had at the restore point (none of batch 3,
# all the batch-2 rows batch 3 deleted); its indexes answer 20 queries
# exactly as the primary's did at that moment, and exactly as an exact
# (sequential) scan on the restored node; the index created after the
# restore point does not exist; hnsw_index_check passes; and the restored
# indexes take new rows.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $DIM = 16;

my $primary = PostgreSQL::Test::Cluster->new('pitr_primary');
$primary->init(has_archiving => 1, allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	"autovacuum = off\njit = off\nwal_consistency_checking = 'generic'\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION vecindex');

# batch 1, indexed, then the base backup
create_clustered($primary, 'items', 3000, $DIM, 0.31);
create_clustered($primary, 'queries', 20, $DIM, 0.32);
$primary->safe_psql('postgres',
	'CREATE INDEX items_l2 ON items USING hnsw (embedding vector_l2_ops)');
$primary->backup('base');

# batch 2: inserts; copies of some batch-1 rows (the copy joins the
# original's element) whose originals are then deleted (VACUUM removes one
# heap TID of the shared element), more deletes and VACUUM (elements
# emptied, links repaired, slots freed); inserts into the freed slots; a new
# cosine index.  No two rows left share a vector, so exact answers have no
# ties.
create_clustered($primary, 'items', 2000, $DIM, 0.33, 3001);
$primary->safe_psql('postgres',
	'INSERT INTO items SELECT id + 50000, embedding FROM items WHERE id % 7 = 0 AND id <= 3000');
cmp_ok(
	$primary->safe_psql(
		'postgres', q{SELECT (s->>'live_heap_tids')::int - (s->>'elements')::int
					  FROM hnsw_index_stats('items_l2') s}),
	'>=', 400,
	'the 428 copies joined their originals\' elements');
$primary->safe_psql(
	'postgres', q{
	DELETE FROM items WHERE id % 7 = 0 AND id <= 3000;
	DELETE FROM items WHERE id % 5 = 0 AND id <= 3000;
	VACUUM items;
});
create_clustered($primary, 'items', 500, $DIM, 0.34, 6001);
$primary->safe_psql('postgres',
	'CREATE INDEX items_cos ON items USING hnsw (embedding vector_cosine_ops)');

# What every check compares: the top 10 of each query, with the index
# (hnsw.ef_search 400: exact on a table this small) or with a sequential
# scan, for both operators.
sub answers
{
	my ($node, $op, $use_index) = @_;
	my $set =
	  $use_index
	  ? 'SET enable_seqscan = off; SET enable_indexscan = on;'
	  : 'SET enable_seqscan = on; SET enable_indexscan = off;';
	return $node->safe_psql(
		'postgres', qq{
		$set
		SET hnsw.ef_search = 400;
		SELECT string_agg(r.ids, ';' ORDER BY q.id)
		FROM queries q, LATERAL (
			SELECT string_agg(id::text, ',') AS ids
			FROM (SELECT id FROM items ORDER BY embedding $op q.embedding LIMIT 10) s) r});
}

# The rows, as a count and a digest of their ids and vectors.
my $rows_sql = q{SELECT count(*), md5(string_agg(id || ':' || embedding::text, ' ' ORDER BY id)) FROM items};

my %at_point;
for my $op ('<->', '<=>')
{
	$at_point{"$op index"} = answers($primary, $op, 1);
	$at_point{"$op exact"} = answers($primary, $op, 0);
	is($at_point{"$op index"}, $at_point{"$op exact"},
		"at the restore point, the primary's $op index answers match exact scans");
}
$at_point{rows} = $primary->safe_psql('postgres', $rows_sql);
$primary->safe_psql('postgres', q{SELECT pg_create_restore_point('between')});

# batch 3
create_clustered($primary, 'items', 500, $DIM, 0.35, 10001);
$primary->safe_psql(
	'postgres', q{
	DELETE FROM items WHERE id BETWEEN 3001 AND 3500;
	VACUUM items;
	CREATE INDEX items_l1 ON items USING hnsw (embedding vector_l1_ops);
});
isnt($primary->safe_psql('postgres', $rows_sql), $at_point{rows},
	'batch 3 changed the primary after the restore point');

# make sure the archive has every WAL segment up to here
my $segment = $primary->safe_psql('postgres',
	'SELECT pg_walfile_name(pg_current_wal_lsn())');
$primary->safe_psql('postgres', 'SELECT pg_switch_wal()');
$primary->poll_query_until('postgres',
	"SELECT last_archived_wal >= '$segment' FROM pg_stat_archiver")
  or die 'timed out waiting for WAL to be archived';

# ------------------------------------------------------------------ restore
my $restored = PostgreSQL::Test::Cluster->new('pitr_restored');
$restored->init_from_backup($primary, 'base', has_restoring => 1, standby => 0);
$restored->append_conf(
	'postgresql.conf', q{
recovery_target_name = 'between'
recovery_target_action = 'promote'
autovacuum = off
jit = off
});
$restored->start;
$restored->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'the restored node did not finish recovery';
like(slurp_file($restored->logfile),
	qr/recovery stopping at restore point "between"/,
	'recovery stopped at the restore point');

is($restored->safe_psql('postgres', $rows_sql), $at_point{rows},
	'the restored table has exactly the rows the primary had at the restore point');
is($restored->safe_psql('postgres', 'SELECT count(*) FROM items WHERE id BETWEEN 10001 AND 10500'),
	'0', 'no batch-3 row was restored');
is($restored->safe_psql('postgres',
		'SELECT count(*) FROM items WHERE id BETWEEN 3001 AND 3500'),
	'500', 'the batch-2 rows batch 3 deleted are there');
is($restored->safe_psql('postgres',
		q{SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text)
		  FROM pg_index WHERE indrelid = 'items'::regclass AND indisvalid}),
	'items_cos,items_l2,items_pkey',
	'the restored node has the indexes of the restore point, all valid');

for my $op ('<->', '<=>')
{
	my $idx = $op eq '<->' ? 'items_l2' : 'items_cos';
	like($restored->safe_psql(
			'postgres', qq{SET enable_seqscan = off; EXPLAIN (COSTS OFF)
		  SELECT id FROM items ORDER BY embedding $op (SELECT embedding FROM queries LIMIT 1) LIMIT 10}),
		qr/Index Scan using $idx/, "the restored node's $op queries use $idx");
	my $index = answers($restored, $op, 1);
	my $exact = answers($restored, $op, 0);
	ok(length($index) > 200, "the restored $idx answers queries");
	is($index, $at_point{"$op index"},
		"the restored $idx answers exactly as the primary's did at the restore point");
	is($exact, $at_point{"$op exact"},
		"exact $op scans on the restored node match the primary's at the restore point");
	is($index, $exact, "the restored $idx answers exactly like an exact scan");
}

for my $idx ('items_l2', 'items_cos')
{
	my ($ret, $out, $err) = $restored->psql('postgres',
		"SELECT hnsw_index_check('$idx', heapallindexed => true)");
	note "hnsw_index_check('$idx'): $err" if $err ne '';
	is($ret, 0, "the restored $idx passes hnsw_index_check with heapallindexed");
}

# The restored (promoted) node goes on: new rows are indexed and found.
create_clustered($restored, 'items', 500, $DIM, 0.36, 20001);
for my $op ('<->', '<=>')
{
	is(answers($restored, $op, 1), answers($restored, $op, 0),
		"after new rows on the restored node, its $op index still answers exactly");
}
for my $idx ('items_l2', 'items_cos')
{
	my ($ret, $out, $err) = $restored->psql('postgres',
		"SELECT hnsw_index_check('$idx', heapallindexed => true)");
	is($ret, 0, "after new rows on the restored node, $idx passes hnsw_index_check");
}

$restored->stop;
$primary->stop;
done_testing();
