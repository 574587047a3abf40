# 030_hnsw_crash_build_insert_vacuum.pl: a crash in the middle of CREATE
# INDEX, of concurrent inserts or of VACUUM leaves a sound hnsw index that
# finds every committed row.
#
# Each of the three is interrupted both ways a server can die under it: a
# backend killed with SIGKILL (the postmaster then resets every backend and
# runs crash recovery) and an immediate shutdown followed by a restart.
# With wal_consistency_checking = 'generic', crash recovery compares each
# replayed generic record's page with the image the record carries.
#
# (a) CREATE INDEX, serial: killed while it builds the graph in memory,
#     stopped while it inserts into pages after outgrowing
#     maintenance_work_mem (writes without WAL), and CREATE INDEX
#     CONCURRENTLY killed during its build.  Afterwards the index is gone
#     (or, for CONCURRENTLY, there but invalid), and building it again
#     succeeds and gives a sound index that finds every row.
# (b) three clients inserting one row per transaction (new vectors and
#     duplicates of existing ones) into a freshly built, not yet
#     checkpointed index.  Every insert the server acknowledged is in the
#     table afterwards, and every row in it is found by the index.
# (c) VACUUM after deletes, slowed by vacuum_cost_delay so that it is
#     interrupted in each of the index's three passes (remove dead heap
#     TIDs, repair links to emptied elements, delete them).  The index
#     passes the check, finds every live row, returns rows in distance order
#     (no stale link or TID makes it return a wrong one), and a later VACUUM
#     and inserts finish the job.
#
# After every crash: hnsw_index_check(idx, heapallindexed => true) passes.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use VecindexTest;

my $node = PostgreSQL::Test::Cluster->new('crash_biv');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
restart_after_crash = on
wal_consistency_checking = 'generic'
autovacuum = off
jit = off
max_parallel_maintenance_workers = 0
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vecindex');

my $DIM = 32;

# ------------------------------------------------------------------ helpers

# A psql client in the background, running $sql; its output is collected
# when it ends (which a crash makes it do: it loses its connection).
# IPC::Run feeds a client its input only when pumped: poll_for pumps every
# running client.
my @running;

sub start_client
{
	my ($sql, $appname) = @_;
	my $c = { in => $sql, out => '', err => '' };
	$c->{h} = IPC::Run::start(
		[
			'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d',
			$node->connstr('postgres') . " application_name=$appname"
		],
		'<', \$c->{in}, '>', \$c->{out}, '2>', \$c->{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	push @running, $c;
	return $c;
}

sub pump_clients
{
	for my $c (@running)
	{
		eval { $c->{h}->pump_nb; };
	}
	return;
}

# Waits for a client to end; returns its exit code.
sub end_client
{
	my ($c) = @_;
	@running = grep { $_ != $c } @running;
	eval { $c->{h}->finish; };
	if ($@)
	{
		$c->{h}->kill_kill;
		return -1;
	}
	return $c->{h}->result(0);
}

# Runs $sql every 20 ms until it returns a non-empty result; returns that.
sub poll_for
{
	my ($sql, $what) = @_;
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (time() < $deadline)
	{
		pump_clients();
		my $r = $node->safe_psql('postgres', $sql);
		return $r if $r ne '';
		usleep(20_000);
	}
	die "timed out waiting for $what";
}

# Crashes the server: 'kill' sends SIGKILL to backend $pid, 'immediate'
# stops the postmaster in immediate mode and starts it again.  Returns when
# crash recovery is over, and checks in the log that it happened.
sub crash
{
	my ($how, $pid, $what) = @_;
	my $off = -s $node->logfile;
	if ($how eq 'kill')
	{
		ok(kill('KILL', $pid), "$what: sent SIGKILL to backend $pid");
		$node->wait_for_log(qr/database system is ready to accept connections/, $off);
		my $log = slurp_file($node->logfile, $off);
		# "server process", from PostgreSQL 18 on the process's type
		like($log, qr/(?:server process|client backend) \(PID $pid\) was terminated by signal 9/,
			"$what: the postmaster saw the backend die");
		like($log, qr/all server processes terminated; reinitializing/,
			"$what: the postmaster reset all backends");
	}
	else
	{
		$node->stop('immediate');
		$node->start;
		my $log = slurp_file($node->logfile, $off);
		like($log, qr/database system was not properly shut down; automatic recovery in progress/,
			"$what: the restart ran crash recovery");
	}
	return;
}

# hnsw_index_check with heapallindexed; notes the unreachable-rows NOTICE.
sub index_check_passes
{
	my ($idx, $what) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT hnsw_index_check('$idx', heapallindexed => true)");
	note "$what: hnsw_index_check: $err" if $err ne '';
	is($ret, 0, "$what: $idx passes hnsw_index_check with heapallindexed");
	return;
}

# Every row of $table is returned by an index scan for its own vector
# (among the 10 nearest: rows may share a vector).  Rows not found with the
# default ef_search are searched again with a large one; the count left is
# what must be zero.  Also checks that such a scan uses $idx.
sub all_rows_found
{
	my ($table, $idx, $what) = @_;
	my $plan = $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		EXPLAIN (COSTS OFF) SELECT id FROM $table
			ORDER BY embedding <-> (SELECT embedding FROM $table LIMIT 1) LIMIT 10});
	like($plan, qr/Index Scan using $idx/, "$what: a nearest-neighbour query uses $idx");
	my $r = $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 40;
		CREATE TEMP TABLE missed AS
			SELECT i.id, i.embedding FROM $table i WHERE NOT EXISTS (
				SELECT 1 FROM (SELECT id FROM $table
							   ORDER BY embedding <-> i.embedding LIMIT 10) s
				WHERE s.id = i.id);
		SET hnsw.ef_search = 400;
		SELECT (SELECT count(*) FROM $table), (SELECT count(*) FROM missed),
			(SELECT count(*) FROM missed i WHERE NOT EXISTS (
				SELECT 1 FROM (SELECT id FROM $table
							   ORDER BY embedding <-> i.embedding LIMIT 10) s
				WHERE s.id = i.id));
	});
	my ($n, $missed40, $missed400) = split /\|/, $r;
	note "$what: $n rows, $missed40 not found with ef_search 40, $missed400 with 400";
	cmp_ok($n, '>', 0, "$what: $table has rows");
	is($missed400, '0', "$what: all $n rows of $table are found by their own vector");
	return;
}

# Index scans return rows in non-decreasing true distance (the executor
# does not recheck, so a link or heap TID to the wrong row would show).
sub scans_in_distance_order
{
	my ($table, $what) = @_;
	my $bad = $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 100;
		SELECT count(*)
		FROM (SELECT id, embedding FROM $table ORDER BY id LIMIT 30) q,
			LATERAL (SELECT ARRAY(SELECT embedding <-> q.embedding FROM $table
								  ORDER BY embedding <-> q.embedding LIMIT 30) AS d) r
		WHERE cardinality(r.d) < 30
		   OR EXISTS (SELECT 1 FROM generate_series(1, cardinality(r.d) - 1) g
					  WHERE r.d[g] > r.d[g + 1])});
	is($bad, '0', "$what: index scans of $table return 30 rows each, in distance order");
	return;
}

# ------------------------------------------------------------------ (a) build
#
# 5,000 clustered rows take a few seconds to index serially; each build is
# interrupted once it has indexed at least a third of them.

create_clustered($node, 'bt', 5000, $DIM, 0.11);
$node->safe_psql('postgres', 'CHECKPOINT');

my $progress = q{
	SELECT pid FROM pg_stat_progress_create_index
	WHERE relid = 'bt'::regclass AND phase = 'building index: building graph'
	  AND tuples_done >= %d};

# After a build was cut short: the half-built index is gone, building it
# again succeeds, and the new index is sound and finds every row.
sub index_gone_and_rebuilt
{
	my ($what) = @_;
	is($node->safe_psql('postgres', q{SELECT to_regclass('bt_idx') IS NULL}),
		't', "$what: the half-built index does not exist");
	$node->safe_psql('postgres', 'CREATE INDEX bt_idx ON bt USING hnsw (embedding)');
	pass("$what: building the index again succeeds");
	index_check_passes('bt_idx', $what);
	all_rows_found('bt', 'bt_idx', $what);
	$node->safe_psql('postgres', 'DROP INDEX bt_idx; CHECKPOINT');
	return;
}

# (a1) SIGKILL while the graph is being built in memory
{
	my $what = 'build killed';
	# With the default options the 3,000 rows left after the poll sees 2,000
	# take under half a second, and once the test driver was that late the
	# SIGKILL found the build over and an idle backend; m 32 and
	# ef_construction 400 make the build last about four times as long.
	my $c = start_client(
		"SET maintenance_work_mem = '64MB';\n"
		  . "CREATE INDEX bt_idx ON bt USING hnsw (embedding) WITH (m = 32, ef_construction = 400);\n",
		'builder');
	my $pid = poll_for(sprintf($progress, 2000), 'the build to index 2000 rows');
	crash('kill', $pid, $what);
	isnt(end_client($c), 0, "$what: the CREATE INDEX did not complete");
	like($c->{err}, qr/terminat|connection|server closed/i,
		"$what: CREATE INDEX lost its connection");
	index_gone_and_rebuilt($what);
}

# (a2) immediate shutdown while a build that outgrew maintenance_work_mem
# inserts into the index pages (without WAL)
{
	my $what = 'build stopped';
	my $c = start_client(
		"SET maintenance_work_mem = '1MB';\n"
		  . "CREATE INDEX bt_idx ON bt USING hnsw (embedding) WITH (m = 32, ef_construction = 400);\n",
		'builder');
	# The NOTICE comes when the graph is written out; the rest of the rows
	# then go into the pages one by one.  With the default options that
	# takes well under a second (since 58e53ca): wide lists and searches
	# keep this build at it for seconds.
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while ($c->{err} !~ /hnsw graph no longer fits into maintenance_work_mem/)
	{
		die 'timed out waiting for the build to outgrow maintenance_work_mem'
		  if time() > $deadline;
		pump_clients();
		usleep(20_000);
	}
	my $until = time() + 0.5;
	while (time() < $until)
	{
		pump_clients();
		usleep(20_000);
	}
	is($node->safe_psql('postgres',
			q{SELECT count(*) FROM pg_stat_progress_create_index WHERE relid = 'bt'::regclass}),
		'1', "$what: half a second after the graph outgrew maintenance_work_mem, the build still runs");
	crash('immediate', undef, $what);
	isnt(end_client($c), 0, "$what: the CREATE INDEX did not complete");
	index_gone_and_rebuilt($what);
}

# (a3) SIGKILL during CREATE INDEX CONCURRENTLY: the index is left invalid;
# rows inserted meanwhile, then REINDEX CONCURRENTLY makes it whole.  The
# options that slow the build down are (a1)'s, for the same reason.
{
	my $what = 'concurrent build killed';
	my $c = start_client(
		"SET maintenance_work_mem = '64MB';\n"
		  . "CREATE INDEX CONCURRENTLY bt_idx ON bt USING hnsw (embedding)"
		  . " WITH (m = 32, ef_construction = 400);\n",
		'builder');
	my $pid = poll_for(sprintf($progress, 2000), 'the build to index 2000 rows');
	crash('kill', $pid, $what);
	isnt(end_client($c), 0, "$what: the CREATE INDEX CONCURRENTLY did not complete");
	is($node->safe_psql('postgres',
			q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'bt_idx'::regclass}),
		'f', "$what: the index is left invalid");
	$node->safe_psql('postgres',
		q{INSERT INTO bt SELECT id + 10000, embedding + array_fill(0.01::real, ARRAY[32])::vector
		  FROM bt WHERE id <= 300});
	$node->safe_psql('postgres', 'REINDEX INDEX CONCURRENTLY bt_idx');
	is($node->safe_psql('postgres',
			q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'bt_idx'::regclass}),
		't', "$what: REINDEX CONCURRENTLY makes the index valid");
	index_check_passes('bt_idx', $what);
	all_rows_found('bt', 'bt_idx', $what);
}

# ------------------------------------------------------------------ (b) inserts
#
# The index is built and the inserts start without a checkpoint, so
# recovery also replays the build's WAL.

create_clustered($node, 'it', 3000, $DIM, 0.22);
$node->safe_psql('postgres', 'CHECKPOINT');
$node->safe_psql('postgres', 'CREATE INDEX it_idx ON it USING hnsw (embedding)');

# Client $c inserts ids $base + $c * 100000 + i, one per transaction, each
# RETURNING its id (printed only once committed): every fourth a duplicate
# of an existing row (so it joins that row's element), the others near an
# existing row.  A vector of the first 3,000 rows gets at most two copies
# per round (clients overlap by 250 rows), so at most five in all.
sub start_inserters
{
	my ($base) = @_;
	my @c;
	for my $c (0 .. 2)
	{
		my $sql = "SELECT setseed(0.$c$base);\n";
		for my $i (0 .. 4999)
		{
			my $id = $base + $c * 100000 + $i;
			my $k = 1 + ($c * 1000 + int($i / 4)) % 3000;
			if ($i % 4 == 3)
			{
				$sql .= "INSERT INTO it SELECT $id, embedding FROM it WHERE id = $k RETURNING id;\n";
			}
			else
			{
				my $near = 1 + ($i * 7 + $c * 13) % 3000;
				$sql .= "INSERT INTO it SELECT $id, embedding + (SELECT ARRAY(SELECT "
				  . "(random() - 0.5) * 0.3 FROM generate_series(1, $DIM)))::vector "
				  . "FROM it WHERE id = $near RETURNING id;\n";
			}
		}
		push @c, start_client($sql, 'inserter');
	}
	return @c;
}

for my $case ([ 'kill', 1_000_000 ], [ 'immediate', 2_000_000 ])
{
	my ($how, $base) = @$case;
	my $what = $how eq 'kill' ? 'inserts killed' : 'inserts stopped';
	my @c = start_inserters($base);
	poll_for("SELECT 1 WHERE (SELECT count(*) FROM it WHERE id >= $base) >= 600",
		'600 rows to be inserted');
	my $pid = poll_for(
		q{SELECT pid FROM pg_stat_activity
		  WHERE application_name = 'inserter' AND state = 'active' LIMIT 1},
		'an active insert');
	crash($how, $pid, $what);

	my @acked;
	my $interrupted = 0;
	for my $c (@c)
	{
		$interrupted++ if end_client($c) != 0;
		push @acked, grep { /^\d+$/ } split /\n/, $c->{out};
	}
	is($interrupted, 3, "$what: all three clients were interrupted by the crash");
	note "$what: " . scalar(@acked) . ' inserts acknowledged';
	cmp_ok(scalar(@acked), '>=', 500, "$what: the clients had inserted rows");
	my $lost = $node->safe_psql('postgres',
		'SELECT count(*) FROM unnest(ARRAY[' . join(',', @acked)
		  . ']) a WHERE NOT EXISTS (SELECT 1 FROM it WHERE id = a)');
	is($lost, '0', "$what: every acknowledged insert is in the table");
	index_check_passes('it_idx', $what);
	all_rows_found('it', 'it_idx', $what);
}

# VACUUM collects the elements of inserts the crashes cut short; inserting
# and searching go on working.
{
	my $what = 'after the insert crashes';
	$node->safe_psql('postgres', 'VACUUM it');
	$node->safe_psql('postgres',
		qq{INSERT INTO it SELECT 3000000 + id, embedding + array_fill(0.02::real, ARRAY[$DIM])::vector
		   FROM it WHERE id <= 500});
	index_check_passes('it_idx', "$what, VACUUM and more inserts");
	all_rows_found('it', 'it_idx', "$what, VACUUM and more inserts");
	scans_in_distance_order('it', $what);
}

# ------------------------------------------------------------------ (c) VACUUM
#
# No other index on the table, so VACUUM's index phase is all hnsw.  With
# vacuum_cost_limit = 1 every page VACUUM visits costs a sleep of 1-4 ms,
# which spreads each of the three passes over a second or more.  Which pass
# runs shows in hnsw_index_stats: pass 1 (remove) lowers live_heap_tids to
# the number of live rows, pass 3 (delete) raises deleted_elements, pass 2
# (repair) runs between the two.  Each crash comes in a different pass.

$node->safe_psql('postgres', "CREATE TABLE vt (id int, embedding vector($DIM))");
$node->safe_psql('postgres', 'CREATE TABLE wal_marker (i int)');
create_clustered($node, 'vt', 6000, $DIM, 0.33);
$node->safe_psql('postgres', 'CREATE INDEX vt_idx ON vt USING hnsw (embedding)');
$node->safe_psql('postgres', 'CHECKPOINT');

my $index_stats =
  q{SELECT (s->>'live_heap_tids')::bigint, (s->>'deleted_elements')::bigint
	FROM hnsw_index_stats('vt_idx') s};

my @vacuum_cases = (
	[ 'kill', 'id % 5 IN (1, 2)', 'remove' ],
	[ 'immediate', 'id % 7 = 3', 'repair' ],
	[ 'kill', 'id % 11 = 4', 'delete' ]);
my $round = 0;
for my $case (@vacuum_cases)
{
	my ($how, $where, $pass) = @$case;
	$round++;
	my $what = ($how eq 'kill' ? 'VACUUM killed' : 'VACUUM stopped')
	  . " in its $pass pass";
	$node->safe_psql('postgres', "DELETE FROM vt WHERE $where");
	my $live = $node->safe_psql('postgres', 'SELECT count(*) FROM vt');
	my ($tids0, $deleted0) = split /\|/, $node->safe_psql('postgres', $index_stats);
	cmp_ok($tids0, '>', $live, "$what: the index holds TIDs of deleted rows");
	my %in_pass = (
		remove => "tids < $tids0 AND tids > $live",
		repair => "tids = $live AND deleted = $deleted0",
		delete => "deleted > $deleted0");
	my $c = start_client(
		"SET vacuum_cost_delay = 1;\nSET vacuum_cost_limit = 1;\nVACUUM vt;\n",
		'vacuum');
	my $pid = poll_for(
		q{SELECT pid FROM pg_stat_progress_vacuum
		  WHERE relid = 'vt'::regclass AND phase = 'vacuuming indexes'},
		'VACUUM to reach the index');
	my $state = poll_for(
		qq{SELECT CASE
			WHEN NOT EXISTS (SELECT 1 FROM pg_stat_progress_vacuum
							 WHERE pid = $pid AND phase = 'vacuuming indexes')
				THEN 'VACUUM left the index phase'
			WHEN $in_pass{$pass} THEN 'in pass' END
		   FROM ($index_stats) s(tids, deleted)},
		"VACUUM's $pass pass");
	is($state, 'in pass', "$what: VACUUM was in its $pass pass");
	# A commit that wrote WAL flushes the WAL VACUUM has written so far
	# (VACUUM itself flushes nothing until it ends), so that recovery
	# restores its pass half done instead of losing all of it.  (A commit
	# that wrote none, as SELECT pg_current_xact_id() did, is asynchronous
	# and flushes nothing: a crash within the WAL writer's delay then lost
	# part of the pass, about one run in ten.)
	$node->safe_psql('postgres', 'INSERT INTO wal_marker VALUES (1)');
	crash($how, $pid, $what);
	isnt(end_client($c), 0, "$what: VACUUM did not complete");
	my ($tids1, $deleted1) = split /\|/, $node->safe_psql('postgres', $index_stats);
	note "$what: live heap TIDs|deleted elements before VACUUM: $tids0|$deleted0, "
	  . "after the crash: $tids1|$deleted1, live rows: $live";
	my %kept = (
		remove => [ $tids1 < $tids0 && $tids1 > $live,
			'part of the remove pass (some dead heap TIDs gone, not all)' ],
		repair => [ $tids1 == $live && $deleted1 == $deleted0,
			'the finished remove pass, and no element deleted yet' ],
		delete => [ $tids1 == $live && $deleted1 > $deleted0,
			'the delete pass so far (elements deleted)' ]);
	ok($kept{$pass}[0], "$what: the recovered index has $kept{$pass}[1]");
	index_check_passes('vt_idx', $what);
	all_rows_found('vt', 'vt_idx', $what);
	scans_in_distance_order('vt', $what);

	# new rows, some into slots the interrupted VACUUM may have freed
	$node->safe_psql('postgres',
		qq{INSERT INTO vt SELECT id + 100000 * $round,
			  embedding + array_fill(0.01::real, ARRAY[$DIM])::vector
		   FROM vt WHERE id % 13 = 0 AND id < 100000});
	index_check_passes('vt_idx', "$what, then inserts");
}

# A VACUUM left alone finishes what the interrupted ones began.
{
	my $what = 'after the VACUUM crashes, a whole VACUUM';
	$node->safe_psql('postgres', 'VACUUM vt');
	my $r = $node->safe_psql('postgres',
		q{SELECT (s->>'live_heap_tids')::bigint = (SELECT count(*) FROM vt),
				 (s->>'deleted_elements')::int > 0
		  FROM hnsw_index_stats('vt_idx') s});
	is($r, 't|t', "$what: the index holds exactly the live rows and has freed slots");
	index_check_passes('vt_idx', $what);
	all_rows_found('vt', 'vt_idx', $what);
	scans_in_distance_order('vt', $what);
	$node->safe_psql('postgres',
		qq{INSERT INTO vt SELECT id + 1000000, embedding + array_fill(0.02::real, ARRAY[$DIM])::vector
		   FROM vt WHERE id % 3 = 0 AND id < 100000});
	index_check_passes('vt_idx', "$what and inserts");
	all_rows_found('vt', 'vt_idx', "$what and inserts");
}

$node->stop;
done_testing();
