# 035_hnsw_build_8bit_copies.pl: a serial L2 build's 8-bit copies choose
# links as well as the half-precision ones would, and give way when they
# cannot.
#
# After its first 1,024 elements a serial build under L2 measures its
# graph's distances on 8-bit copies of the vectors, with one scale for all
# dimensions taken from the values seen so far (hnsw_memgraph.h).  On data they
# suit (small integers, as pixels) the index must be as good as one built
# without them (hnsw.build_8bit = off); on data whose dimensions span very
# different ranges, or with rows far outside the range calibrated on, the
# build must notice and go on with the half-precision copies, and the index
# must still be good.  Other opclasses, parallel builds and builds of fewer
# than 1,024 rows never take them.  Skipped where the CPU cannot convert to
# half precision in hardware (the 8-bit copies come with the half ones).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $node = start_node('sq8', 'maintenance_work_mem = 256MB');
install_recall($node);

create_clustered($node, 'items', 5000, 32, 0.1);
create_clustered($node, 'queries', 100, 32, 0.2);

# Builds an index with the given settings; returns the build's DEBUG lines
# about its copies.
sub build
{
	my ($table, $opclass, $settings) = @_;
	return build_debug($node, $table, $opclass, $settings, qr/copies|8-bit/);
}

if (build('items', 'vector_l2_ops', '') =~ /without half-precision copies/)
{
	plan skip_all => 'this CPU has no hardware half-precision conversion';
}

# Transforms a table's vectors with the SQL expression f(x, o) of each
# element x and its 1-based position o, into a new table.
sub derive
{
	my ($from, $to, $expr) = @_;
	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE $to AS
			SELECT id, (SELECT array_agg($expr ORDER BY o)
						FROM unnest(embedding::real[]) WITH ORDINALITY u(x, o))::vector(32)
					AS embedding
			FROM $from;
		ANALYZE $to;
	});
	return;
}

# Small integers, as pixels: 0..220 or so, which the codes hold exactly.
derive($_, "${_}_int", 'round((x + 2) * 60)') for ('items', 'queries');
my $msgs = build('items_int', 'vector_l2_ops', '');
like($msgs, qr/with 8-bit copies/, 'integer data: the build takes 8-bit copies');
like($msgs, qr/8-bit copies from -?\d+ in steps of 1\b/,
	'calibrated on the first rows, integers: whole steps');
unlike($msgs, qr/8-bit distances given up/, 'and keeps them');
my $rh = mean_recall_at_10(3,
	sub { build('items_int', 'vector_l2_ops', 'SET hnsw.build_8bit = off;') },
	$node, 'items_int', '<->', 'queries_int', 100, 10);
# (the 8-bit builds last: the index is then one of them for the next test)
my $r8 = mean_recall_at_10(3, sub { build('items_int', 'vector_l2_ops', '') },
	$node, 'items_int', '<->', 'queries_int', 100, 10);
note "mean recall\@10 at ef_search 10 of 3 builds: $r8 with 8-bit copies, $rh with half only";
cmp_ok($r8, '>=', $rh - 0.02,
	"recall with 8-bit copies ($r8) is within 0.02 of half precision's ($rh)");
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 100;
	SELECT count(*) FROM items_int i
	WHERE (SELECT embedding <-> i.embedding FROM items_int
		   ORDER BY embedding <-> i.embedding LIMIT 1) <> 0}),
	'0', 'every row of the 8-bit-built index finds itself (or a twin) first');

# One dimension spans a thousand times the others' range: one scale for all
# leaves the others a code or two, too coarse to tell neighbours apart.
derive($_, "${_}_skew", 'CASE WHEN o = 1 THEN x * 1000 ELSE x END')
  for ('items', 'queries');
$msgs = build('items_skew', 'vector_l2_ops', '');
like($msgs, qr/8-bit distances given up: too coarse/,
	'one dimension 1000 times wider: the build gives up the 8-bit copies');
my $r = recall_at_10($node, 'items_skew', '<->', 'queries_skew', 100, 20);
cmp_ok($r, '>=', 0.9, "and its index still finds the neighbours (recall $r)");

# Rows after the first 2,000 lie far outside the range calibrated on.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE items_late AS
		SELECT id, CASE WHEN id > 2000
					THEN (SELECT array_agg(x * 4 ORDER BY o)
						  FROM unnest(embedding::real[]) WITH ORDINALITY u(x, o))::vector(32)
					ELSE embedding END AS embedding
		FROM items ORDER BY id;
	ANALYZE items_late;
});
$msgs = build('items_late', 'vector_l2_ops', '');
like($msgs, qr/8-bit distances given up: a vector lies far outside/,
	'rows far outside the calibrated range: the build gives up the 8-bit copies');
is( $node->safe_psql(
		'postgres', q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 100;
	SELECT count(*) FROM items_late i
	WHERE i.id <> (SELECT id FROM items_late ORDER BY embedding <-> i.embedding LIMIT 1)}),
	'0', 'and every row of its index finds itself first');

# Ranges whose step squared is no normal float: the codes are refused at
# calibration (the half copies too, for their own reasons).  At 1e-18 the
# index still works in full precision.  (At 1e22 every squared distance
# overflows single precision, for `<->` as for the index, so there is no
# recall to measure: only the refusal, which keeps NaN out of the build.)
for my $case (['huge', '1e22'], ['tiny', '1e-18'])
{
	my ($name, $factor) = @$case;
	derive($_, "${_}_$name", "x * $factor") for ('items', 'queries');
	$msgs = build("items_$name", 'vector_l2_ops', '');
	like($msgs, qr/8-bit distances given up: the first rows' values span too extreme a range/,
		"values times $factor: the build refuses the 8-bit copies");
}
$r = recall_at_10($node, 'items_tiny', '<->', 'queries_tiny', 100, 20);
cmp_ok($r, '>=', 0.9, "and the 1e-18 index still finds the neighbours (recall $r)");

# Not for other distances, nor for fewer rows than calibration needs.
like(build('items_int', 'vector_cosine_ops', ''), qr/without 8-bit copies/,
	'cosine: no 8-bit copies');
$node->safe_psql('postgres',
	'CREATE TABLE few AS SELECT * FROM items_int WHERE id <= 1000; ANALYZE few');
$msgs = build('few', 'vector_l2_ops', '');
like($msgs, qr/with 8-bit copies/, '1,000 rows: the build plans 8-bit copies');
unlike($msgs, qr/8-bit copies from/, 'but never calibrates them');

# A parallel build: its processes share the graph, the codes are not.
$node->safe_psql('postgres', 'ALTER TABLE items_int SET (parallel_workers = 2)');

sub parallel_build
{
	return build('items_int', 'vector_l2_ops',
		'SET max_parallel_maintenance_workers = 2; SET min_parallel_table_scan_size = 0;');
}
my $err = parallel_build();
like($err, qr/parallel: without 8-bit copies/,
	'a parallel build goes without 8-bit copies');
unlike($err, qr/8-bit copies from/, 'and never calibrates them');
$r = mean_recall_at_10(3, \&parallel_build, $node, 'items_int', '<->', 'queries_int', 100, 10);
cmp_ok($r, '>=', $rh - 0.02, "and its index is as good (mean recall of 3 builds $r)");

done_testing();
