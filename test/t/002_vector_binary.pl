# 002_vector_binary.pl: the binary format of vector (COPY BINARY, binary
# protocol clients) round-trips exactly, and every malformed binary value
# is refused with an error, never a crash or a wrong vector.
#
# Binary vector: int16 dimension count, int16 reserved (0), then that many
# float4, all in network byte order.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('binary');

my $dir = PostgreSQL::Test::Utils::tempdir;

# --- round trip -------------------------------------------------------------

$node->safe_psql(
	'postgres', qq{
	CREATE TABLE src (id int, v vector);
	INSERT INTO src VALUES
		(1, '[1,2,3]'), (2, '[0.1,-0.2,1e-45]'), (3, '[3.4028235e38,-0]'),
		(4, NULL), (5, (SELECT array_agg(i * 0.001)::vector FROM generate_series(1, 16000) i));
	COPY src TO '$dir/good.bin' WITH (FORMAT binary);
	CREATE TABLE dst (id int, v vector);
	COPY dst FROM '$dir/good.bin' WITH (FORMAT binary);
});
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM src s JOIN dst d USING (id)
			WHERE s.v::text IS NOT DISTINCT FROM d.v::text
			  AND vector_send(s.v) IS NOT DISTINCT FROM vector_send(d.v)}),
	'5',
	'COPY BINARY out and in gives back every vector bit for bit');

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

my $f1 = pack('f>', 1.0);
my %bad = (
	'negative dimension count' => [ pack('nn', 0xFFFF, 0) . $f1, qr/at least 1 dimension/ ],
	'zero dimensions' => [ pack('nn', 0, 0), qr/at least 1 dimension/ ],
	'too many dimensions' => [ pack('nn', 16001, 0) . ($f1 x 16001), qr/more than 16000 dimensions/ ],
	'truncated elements' => [ pack('nn', 3, 0) . $f1 x 2, qr/3 dimensions need 12 bytes, 8 left/ ],
	'truncated header' => [ pack('n', 1), qr/truncated header/ ],
	'reserved field set' => [ pack('nn', 1, 7) . $f1, qr/reserved field is 7/ ],
	'NaN element' => [ pack('nn', 2, 0) . $f1 . pack('N', 0x7FC00000), qr/NaN not allowed/ ],
	'infinite element' => [ pack('nn', 1, 0) . pack('N', 0x7F800000), qr/infinite value not allowed/ ],
	'trailing bytes' => [ pack('nn', 1, 0) . $f1 . "xx", qr/incorrect binary data format/ ],);

$node->safe_psql('postgres', 'CREATE TABLE bad (v vector)');
for my $case (sort keys %bad)
{
	my ($payload, $re) = @{ $bad{$case} };
	my $path = copy_file($case =~ s/ /_/gr, $payload);
	my ($ret, $out, $err) =
	  $node->psql('postgres', "COPY bad FROM '$path' WITH (FORMAT binary)");
	isnt($ret, 0, "$case: COPY fails");
	like($err, $re, "$case: with a clear error");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM bad'),
	'0', 'no malformed value was stored');

# the column's typmod applies to binary input too
my $path = copy_file('three', pack('nn', 3, 0) . $f1 x 3);
$node->safe_psql('postgres', 'CREATE TABLE two (v vector(2))');
my ($ret, $out, $err) =
  $node->psql('postgres', "COPY two FROM '$path' WITH (FORMAT binary)");
like($err, qr/expected 2 dimensions, not 3/, 'binary input respects vector(n)');

# and the server is still the same server: no backend crashed
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated/,
	'no backend crashed');

done_testing();
