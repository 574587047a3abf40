# 045_sparsevec_binary.pl: the binary format of sparsevec (COPY BINARY,
# binary protocol clients) round-trips exactly, and every malformed binary
# value is refused with an error, never a crash or a bad sparse vector.
#
# Binary sparsevec: int32 dimension count, int32 number of stored elements,
# int32 reserved (0), that many int32 0-based indices (strictly increasing),
# that many float4 values (finite, non-zero), all in network byte order.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('sparse_binary');

my $dir = PostgreSQL::Test::Utils::tempdir;

# --- round trip -------------------------------------------------------------

$node->safe_psql(
	'postgres', qq{
	CREATE TABLE src (id int, v sparsevec);
	INSERT INTO src VALUES
		(1, '{1:1,3:-2.5}/3'), (2, '{}/1'), (3, NULL),
		(4, '{1:3.4028235e38,1000000000:-1e-45}/1000000000'),
		(5, (SELECT ('{' || string_agg(i || ':' || i * 0.001, ',') || '}/16000')::sparsevec
			 FROM generate_series(1, 16000) i));
	COPY src TO '$dir/good.bin' WITH (FORMAT binary);
	CREATE TABLE dst (id int, v sparsevec);
	COPY dst FROM '$dir/good.bin' WITH (FORMAT binary);
});
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM src s JOIN dst d USING (id)
			WHERE s.v::text IS NOT DISTINCT FROM d.v::text
			  AND sparsevec_send(s.v) IS NOT DISTINCT FROM sparsevec_send(d.v)}),
	'5',
	'COPY BINARY out and in gives back every sparse vector bit for bit');

# --- malformed values --------------------------------------------------------

# A COPY BINARY file with one row of one column holding $payload.
sub copy_file
{
	my ($name, $payload) = @_;
	my $data = "PGCOPY\n\377\r\n\0" . pack('NN', 0, 0);
	$data .= pack('n', 1) . pack('N', length($payload)) . $payload;
	$data .= pack('n', 0xFFFF);
	my $path = "$dir/$name.bin";
	open(my $fh, '>:raw', $path) or die "could not write $path: $!";
	print $fh $data;
	close($fh);
	chmod 0644, $path;
	return $path;
}

# header (dim, nnz, reserved), indices, values
sub sv
{
	my ($dim, $nnz, $unused, $idx, $vals) = @_;
	return pack('N3', $dim, $nnz, $unused)
	  . pack('N*', @$idx)
	  . join('', map { pack('f>', $_) } @$vals);
}

my %bad = (
	'truncated header' => [ pack('N2', 3, 0), qr/insufficient data left in message/ ],
	'zero dimensions' => [ sv(0, 0, 0, [], []), qr/at least 1 dimension/ ],
	'negative dimensions' => [ sv(0xFFFFFFFF, 0, 0, [], []), qr/at least 1 dimension/ ],
	'too many dimensions' => [ sv(1000000001, 0, 0, [], []), qr/more than 1000000000 dimensions/ ],
	'negative element count' => [ sv(3, 0xFFFFFFFF, 0, [], []), qr/negative number of elements/ ],
	'too many elements' => [ sv(20000, 16001, 0, [ 0 .. 16000 ], [ (1) x 16001 ]),
		qr/more than 16000 non-zero elements/ ],
	'more elements than dimensions' => [ sv(1, 2, 0, [ 0, 1 ], [ 1, 1 ]),
		qr/more elements than dimensions/ ],
	'huge element count, no data' => [ sv(1000000, 16000, 0, [], []),
		qr/insufficient data left in message/ ],
	'reserved field set' => [ sv(3, 1, 7, [0], [1]), qr/expected unused to be 0, not 7/ ],
	'negative index' => [ sv(3, 1, 0, [0xFFFFFFFF], [1]), qr/index out of bounds/ ],
	'index equal to dimensions' => [ sv(3, 1, 0, [3], [1]), qr/index out of bounds/ ],
	'indices descending' => [ sv(3, 2, 0, [ 2, 1 ], [ 1, 1 ]), qr/must be in ascending order/ ],
	'index repeated' => [ sv(3, 2, 0, [ 1, 1 ], [ 1, 1 ]), qr/must not contain duplicates/ ],
	'truncated indices' => [ sv(3, 2, 0, [0], []), qr/insufficient data left in message/ ],
	'truncated values' => [ sv(3, 2, 0, [ 0, 1 ], [1]), qr/insufficient data left in message/ ],
	'NaN value' => [ pack('N4', 3, 1, 0, 0) . pack('N', 0x7FC00000), qr/NaN not allowed/ ],
	'infinite value' => [ pack('N4', 3, 1, 0, 0) . pack('N', 0xFF800000),
		qr/infinite value not allowed/ ],
	'zero value' => [ sv(3, 1, 0, [0], [0]), qr/cannot contain zero values/ ],
	'negative zero value' => [ pack('N4', 3, 1, 0, 0) . pack('N', 0x80000000),
		qr/cannot contain zero values/ ],
	'trailing bytes' => [ sv(3, 1, 0, [0], [1]) . "xx", qr/incorrect binary data format/ ],);

$node->safe_psql('postgres', 'CREATE TABLE bad (v sparsevec)');
for my $case (sort keys %bad)
{
	my ($payload, $re) = @{ $bad{$case} };
	my $path = copy_file($case =~ s/[ ,]+/_/gr, $payload);
	my ($ret, $out, $err) =
	  $node->psql('postgres', "COPY bad FROM '$path' WITH (FORMAT binary)");
	isnt($ret, 0, "$case: COPY fails");
	like($err, $re, "$case: with a clear error");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM bad'),
	'0', 'no malformed value was stored');

# the column's typmod applies to binary input too
my $path = copy_file('three', sv(3, 1, 0, [2], [1]));
$node->safe_psql('postgres', 'CREATE TABLE two (v sparsevec(2))');
my ($ret, $out, $err) =
  $node->psql('postgres', "COPY two FROM '$path' WITH (FORMAT binary)");
like($err, qr/expected 2 dimensions, not 3/, 'binary input respects sparsevec(n)');

# and the server is still the same server: no backend crashed
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated/,
	'no backend crashed');

done_testing();
