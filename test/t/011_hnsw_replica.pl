# 011_hnsw_replica.pl: a streaming replica answers exactly like the primary.
#
# The build (logged with log_newpage_range) and later inserts, duplicates
# and deletes with VACUUM (generic WAL) replay into the same pages, so the
# same index scans on primary and standby return the same rows in the same
# order; the standby also survives its own restart mid-stream.  The primary
# runs with wal_consistency_checking = 'generic': the standby's replay of
# every generic record is compared with the primary's page image.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "wal_consistency_checking = 'generic'\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION vecindex');
$primary->backup('backup');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

create_clustered($primary, 'items', 3000, 16, 0.3);
create_clustered($primary, 'queries', 20, 16, 0.4);

# The scans to compare: every query's top 10, as one string.
my $answers = q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 60;
	SELECT string_agg(r.ids, ';' ORDER BY q.id)
	FROM queries q, LATERAL (
		SELECT string_agg(id::text, ',') AS ids
		FROM (SELECT id FROM items ORDER BY embedding <-> q.embedding LIMIT 10) s) r;
};

sub same_answers
{
	my ($what) = @_;
	$primary->wait_for_catchup($standby);
	my $p = $primary->safe_psql('postgres', $answers);
	my $s = $standby->safe_psql('postgres', $answers);
	ok(length($p) > 100, "primary answers queries $what");
	is($s, $p, "standby answers exactly like the primary $what");
	return;
}

$primary->safe_psql('postgres',
	'CREATE INDEX items_idx ON items USING hnsw (embedding)');
my $plan = $standby->safe_psql('postgres',
	q{SET enable_seqscan = off; EXPLAIN (COSTS OFF)
	  SELECT id FROM items ORDER BY embedding <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 5});
like($plan, qr/Index Scan using items_idx/, 'the standby uses the index');
same_answers('after the build');

create_clustered($primary, 'items', 2000, 16, 0.5, 3001);
$primary->safe_psql('postgres',
	'INSERT INTO items SELECT id + 10000, embedding FROM items WHERE id <= 300');
same_answers('after inserts and duplicates');

$standby->restart;
$primary->safe_psql('postgres', 'DELETE FROM items WHERE id % 3 = 0');
$primary->safe_psql('postgres', 'VACUUM items');
create_clustered($primary, 'items', 500, 16, 0.6, 20001);
same_answers('after deletes, vacuum and a standby restart');

done_testing();
