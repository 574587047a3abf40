# 020_hnsw_check_corruption.pl: hnsw_index_check finds corrupted indexes.
#
# A healthy index of 10,000 rows passes the check with heapallindexed.  Then
# three copies of an index are corrupted on disk while the server is down,
# each its own way: (a) a link in an element points at an impossible block,
# (b) the metapage magic is overwritten, (c) the file loses its second half,
# so links point past its end.  The check reports each as index corruption
# (SQLSTATE XX002) saying where; scans and inserts on the broken indexes
# fail with an error, never a crash; REINDEX repairs them.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('check', undef, page_edits => 1);

# ------------------------------------------------------------ a healthy index
create_clustered($node, 'items', 10000, 16, 0.3);
$node->safe_psql('postgres',
	'CREATE INDEX items_idx ON items USING hnsw (embedding)');
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT hnsw_index_check('items_idx', heapallindexed => true)");
is($ret, 0, 'a healthy 10k-row index passes the check with heapallindexed');
unlike($err, qr/ERROR/, 'no error from the healthy index');

# Pruning may leave a very rare element without in-links: allowed, as a
# NOTICE, but it must stay rare.
my $unreachable = $err =~ /(\d+) of (\d+) indexed rows are not reachable/ ? $1 : 0;
cmp_ok($unreachable, '<=', 10, 'at most 0.1% of the rows are unreachable');

is( $node->safe_psql(
		'postgres', q{
		SELECT s->>'elements', s->>'live_heap_tids', s->>'dimensions', s->>'m'
		FROM hnsw_index_stats('items_idx') s}),
	'10000|10000|16|16',
	'hnsw_index_stats counts every row');

# The check takes only a reader's locks, so it runs while rows come and go;
# what it reads meanwhile (new elements, a raised entry point, vacuumed
# TIDs) must never look like corruption.
{
	my $sql = "SET synchronous_commit = off;\n";
	for my $i (1 .. 1000)
	{
		my $id = 20000 + $i;
		$sql .= "INSERT INTO items SELECT $id, embedding FROM items WHERE id = "
		  . (1 + $i % 5000) . ";\n";
		$sql .= "DELETE FROM items WHERE id = $i;\n" if $i % 3 == 0;
		$sql .= "VACUUM items;\n" if $i % 500 == 0;
	}
	my ($in, $o, $e) = ($sql, '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$o, '2>', \$e);
	my $checks = 0;
	my $failed = '';
	my %sizes;
	while ($checks < 25)
	{
		$h->pump_nb;
		my ($r, $co, $ce) = $node->psql('postgres',
			"SELECT count(*) FROM items; SELECT hnsw_index_check('items_idx', true)");
		$failed .= $ce if $r != 0;
		$sizes{$co} = 1;
		$checks++;
		last unless $h->pumpable;
	}
	$h->finish;
	is($h->result(0), 0, 'the concurrent inserts, deletes and VACUUMs succeeded');
	is($failed, '', "$checks checks during concurrent changes found nothing");
	cmp_ok(scalar(keys %sizes), '>', 1, 'the table changed while it was checked');
}

# ------------------------------------------------------------ three victims
# One index per opclass, so that a scan with each operator uses its own.
create_clustered($node, 'c', 3000, 16, 0.4);
$node->safe_psql(
	'postgres', q{
	CREATE INDEX c_a ON c USING hnsw (embedding vector_l2_ops);
	CREATE INDEX c_b ON c USING hnsw (embedding vector_ip_ops);
	CREATE INDEX c_c ON c USING hnsw (embedding vector_cosine_ops);
	CREATE INDEX c_d ON c USING hnsw (embedding vector_l1_ops);
});
for my $idx (qw(c_a c_b c_c c_d))
{
	($ret, $out, $err) =
	  $node->psql('postgres', "SELECT hnsw_index_check('$idx', true)");
	is($ret, 0, "$idx passes the check before it is corrupted");
}

my %file;
$file{$_} = $node->data_dir . '/'
  . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$_')")
  for qw(c_a c_b c_c c_d);
$node->safe_psql('postgres', 'CHECKPOINT');
$node->stop;

my $BLCKSZ = 8192;

sub read_at
{
	my ($fh, $pos, $len) = @_;
	my $buf;
	sysseek($fh, $pos, 0) or die "seek: $!";
	sysread($fh, $buf, $len) == $len or die "read: $!";
	return $buf;
}

sub write_at
{
	my ($fh, $pos, $bytes) = @_;
	sysseek($fh, $pos, 0) or die "seek: $!";
	syswrite($fh, $bytes) == length($bytes) or die "write: $!";
	return;
}

# (a) the first layer-0 link of element (1,1) now names block 0xFFFFFFFF
# (InvalidBlockNumber, which the buffer manager would take as "extend").
# The element's first heap TID says which row leads a scan to it.
my $victim_tid;
{
	open(my $fh, '+<', $file{c_a}) or die "open $file{c_a}: $!";
	binmode $fh;
	my $lp = unpack('V', read_at($fh, $BLCKSZ + 24, 4));
	my $tup = $BLCKSZ + ($lp & 0x7FFF);
	my ($type, $level) = unpack('CC', read_at($fh, $tup, 2));
	is($type, 0xE1, 'block 1, item 1 of c_a is an element');
	my ($hi, $lo, $off) = unpack('vvv', read_at($fh, $tup + 8, 6));
	$victim_tid = '(' . (($hi << 16) | $lo) . ",$off)";
	my $count0 = unpack('v', read_at($fh, $tup + 56, 2));
	ok($count0 > 0, 'the element has layer-0 links to corrupt');
	write_at($fh, $tup + 56 + 2 * ($level + 1), pack('vv', 0xFFFF, 0xFFFF));
	close($fh);
}

# (b) the metapage magic of c_b
{
	open(my $fh, '+<', $file{c_b}) or die "open $file{c_b}: $!";
	binmode $fh;
	write_at($fh, 24, pack('V', 0xDEADBEEF));
	close($fh);
}

# (d) the metapage of c_d says m = 0 (byte 24 + 10 of block 0), which
# would size the link arrays of every tuple wrongly
{
	open(my $fh, '+<', $file{c_d}) or die "open $file{c_d}: $!";
	binmode $fh;
	write_at($fh, 24 + 10, pack('v', 0));
	close($fh);
}

# (c) c_c loses the second half of its blocks
{
	my $nblocks = (-s $file{c_c}) / $BLCKSZ;
	ok($nblocks >= 10, "c_c has $nblocks blocks to truncate");
	truncate($file{c_c}, int($nblocks / 2) * $BLCKSZ) or die "truncate: $!";
}

$node->start;

# The check reports each with SQLSTATE XX002 and where the damage is.
sub check_fails
{
	my ($sql, $re, $what) = @_;
	my ($r, $o, $e) =
	  $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	note "$what: $e";
	isnt($r, 0, "$what fails");
	like($e, qr/ERROR:  XX002: /, "$what reports index corruption (XX002)");
	like($e, $re, "$what says what is wrong") if $re;
	return;
}

check_fails("SELECT hnsw_index_check('c_a')",
	qr/element \(1,1\) is corrupted: link 0 on layer 0 \(4294967295,\d+\) is past the end of the index/,
	'(a) check of a link to an impossible block');
check_fails("SELECT hnsw_index_check('c_b')",
	qr/index "c_b" has a corrupted metapage: magic is 0xDEADBEEF/,
	'(b) check of a bad metapage magic');
check_fails("SELECT hnsw_index_stats('c_b')",
	qr/magic is 0xDEADBEEF/, '(b) stats of a bad metapage magic');
check_fails("SELECT hnsw_index_check('c_c')",
	qr/index "c_c" .* is past the end of the index \(\d+ blocks\)/,
	'(c) check of a truncated index');

# Scans and inserts on them fail, with an error and not a crash.
sub scan_near
{
	my ($op, $tid) = @_;
	return "SET enable_seqscan = off; SET hnsw.ef_search = 100;
		SELECT count(*) FROM (SELECT id FROM c
			ORDER BY embedding $op (SELECT embedding FROM c WHERE ctid = '$tid')
			LIMIT 10) s";
}
check_fails(scan_near('<->', $victim_tid), qr/invalid block 4294967295/,
	'(a) a scan reaching the bad link');
check_fails(scan_near('<#>', '(0,1)'),
	qr/index "c_b" has a corrupted metapage: magic is 0xDEADBEEF/,
	'(b) a scan of the index with the bad magic');
check_fails(scan_near('<+>', '(0,1)'), qr/index "c_d" has a corrupted metapage: m is 0/,
	'(d) a scan of the index whose metapage says m = 0');
check_fails("SELECT hnsw_index_check('c_d')", qr/corrupted metapage: m is 0/,
	'(d) check of the index whose metapage says m = 0');
my ($r, $o, $e) = $node->psql('postgres', scan_near('<=>', '(0,1)'));
note "(c) scan of the truncated index: ret $r, $e";
($r, $o, $e) = $node->psql('postgres',
	q{INSERT INTO c SELECT id + 100000, embedding FROM c WHERE id <= 20});
isnt($r, 0, 'inserts into the broken indexes fail');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal/, 'no backend crashed');
unlike($log, qr/server process .* was terminated/, 'no backend was terminated');

# REINDEX rebuilds each from the table.
$node->safe_psql('postgres', 'REINDEX INDEX c_a; REINDEX INDEX c_b; REINDEX INDEX c_c');
for my $idx (qw(c_a c_b c_c))
{
	($ret, $out, $err) =
	  $node->psql('postgres', "SELECT hnsw_index_check('$idx', true)");
	is($ret, 0, "$idx passes the check after REINDEX");
}

done_testing();
