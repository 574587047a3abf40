# 012_hnsw_crash.pl: a crash during inserts loses no committed row.
#
# Several clients insert into an hnsw-indexed table while the server is
# stopped in immediate mode (no shutdown checkpoint, as a power cut), and
# once more while a backend is killed (which makes the postmaster reset all
# backends).  After recovery every committed row is found by an index scan
# for its own vector, and inserting and searching go on working.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use VecindexTest;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vecindex');
create_clustered($node, 'items', 2000, 16, 0.7);
$node->safe_psql('postgres',
	'CREATE INDEX items_idx ON items USING hnsw (embedding)');
$node->safe_psql('postgres', 'CHECKPOINT');

# Rows are inserted one transaction each, so a row is committed exactly when
# its INSERT returned.  Each client inserts its own id range.
sub start_inserters
{
	my ($base) = @_;
	my @h;
	for my $c (0 .. 2)
	{
		my $first = $base + $c * 100000;
		my $sql = "SELECT setseed(0.$c);\n";
		$sql .= "INSERT INTO items VALUES ($_, (SELECT ARRAY(SELECT random()"
		  . " FROM generate_series(1, 16)))::vector);\n"
		  for ($first .. $first + 3000);
		my ($in, $out, $err) = ($sql, '', '');
		push @h,
		  IPC::Run::start(
			[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=0', '-d', $node->connstr('postgres') ],
			'<', \$in, '>', \$out, '2>', \$err);
	}
	return @h;
}

sub all_found
{
	my ($what) = @_;
	my $n = $node->safe_psql('postgres', 'SELECT count(*) FROM items');
	my $missing = $node->safe_psql(
		'postgres', q{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 100;
		SELECT count(*) FROM items i WHERE NOT EXISTS (
			SELECT 1 FROM (SELECT id FROM items
						   ORDER BY embedding <-> i.embedding LIMIT 5) s
			WHERE s.id = i.id)});
	is($missing, '0', "all $n committed rows are found by their own vector $what");
	return;
}

# 1. immediate shutdown in the middle of the inserts
my @h = start_inserters(100000);
usleep(1_500_000);
$node->stop('immediate');
$_->kill_kill for @h;
$node->start;
all_found('after an immediate shutdown');

# 2. a killed backend in the middle of the inserts
@h = start_inserters(1000000);
usleep(1_500_000);
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'INSERT INTO items%' LIMIT 1});
if ($pid ne '')
{
	kill 'KILL', $pid;
}
$_->kill_kill for @h;
$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
all_found('after a backend was killed');

# 3. the index goes on working
$node->safe_psql('postgres',
	q{INSERT INTO items SELECT 5000000 + i, ARRAY[i,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]::vector
	  FROM generate_series(1, 50) i});
all_found('after more inserts');

done_testing();
