# 038_hnsw_halfvec_bit_sparsevec.pl: hnsw indexes on halfvec, bit and
# sparsevec find the true nearest neighbours, after the build, inserts and
# VACUUM, for every opclass; hnsw_index_check finds them sound; and a
# streaming standby replays them (wal_consistency_checking on) into pages
# that answer exactly like the primary's.
#
# The data are the clustered vectors of the other recall tests, as halfvec,
# as binary_quantize() bit strings, and as sparse vectors (the elements
# near zero dropped; fewer of them: a sparse distance is a merge of two
# index lists, slower than a dense one at 64 dimensions, and a sparse build
# inserts row by row).  Recall counts a returned row as a hit when it is as
# near as the true 10th nearest: bit strings tie a lot under Hamming.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VecindexTest;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{
wal_consistency_checking = 'generic'
maintenance_work_mem = 64MB
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION vecindex');
$primary->backup('backup');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

my $dim = 64;
create_clustered($primary, 'src', 4000, $dim, 0.3);
create_clustered($primary, 'srcq', 50, $dim, 0.7);

# The three types, from the same vectors
my %make = (
	halfvec => "embedding::halfvec($dim)",
	bit => "binary_quantize(embedding)::bit($dim)",
	sparsevec => "(SELECT array_agg(CASE WHEN abs(e) < 0.7 THEN 0 ELSE e END ORDER BY o)
				   FROM unnest(embedding::real[]) WITH ORDINALITY u(e, o))::vector::sparsevec($dim)",);
my %coltype = (
	halfvec => "halfvec($dim)",
	bit => "bit($dim)",
	sparsevec => "sparsevec($dim)",);

# rows at build time, and the id of the last row inserted after
my %rows = (halfvec => [ 3000, 4000 ], bit => [ 3000, 4000 ], sparsevec => [ 1500, 2000 ]);

for my $t (sort keys %make)
{
	$primary->safe_psql(
		'postgres', qq{
		CREATE TABLE items_$t (id int PRIMARY KEY, embedding $coltype{$t});
		INSERT INTO items_$t SELECT id, $make{$t} FROM src WHERE id <= $rows{$t}[0];
		CREATE TABLE queries_$t (id int PRIMARY KEY, embedding $coltype{$t});
		INSERT INTO queries_$t SELECT id, $make{$t} FROM srcq;
	});
}

# recall at 10 of tbl's index on op, ties counted as hits
$primary->safe_psql(
	'postgres', q{
CREATE FUNCTION tied_recall(tbl regclass, op text, qtbl regclass) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	q record;
	far float8;
	hits bigint := 0;
	total bigint := 0;
	plan text := '';
	line text;
	ordered text := format('SELECT embedding %s $1 AS d FROM %s ORDER BY embedding %s $1 LIMIT 10',
						   op, tbl, op);
BEGIN
	FOR q IN EXECUTE format('SELECT id, embedding FROM %s ORDER BY id', qtbl) LOOP
		PERFORM set_config('enable_indexscan', 'off', true);
		PERFORM set_config('enable_seqscan', 'on', true);
		EXECUTE format('SELECT max(d) FROM (%s) s', ordered) INTO far USING q.embedding;
		PERFORM set_config('enable_indexscan', 'on', true);
		PERFORM set_config('enable_seqscan', 'off', true);
		IF total = 0 THEN
			FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || ordered USING q.embedding LOOP
				plan := plan || line || ' ';
			END LOOP;
			IF plan NOT LIKE '%Index Scan%' THEN
				RAISE EXCEPTION 'recall query did not use an index: %', plan;
			END IF;
		END IF;
		EXECUTE format('SELECT count(*) FROM (%s) s WHERE d <= $2', ordered)
			INTO line USING q.embedding, far;
		hits := hits + line::bigint;
		total := total + 10;
	END LOOP;
	RETURN round(hits::numeric / total, 4);
END $$;
});

# The answers to compare between primary and standby
sub answers
{
	my ($node, $t, $op) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SELECT string_agg(r.ids, ';' ORDER BY q.id)
		FROM queries_$t q, LATERAL (
			SELECT string_agg(id::text, ',') AS ids
			FROM (SELECT id FROM items_$t ORDER BY embedding $op q.embedding LIMIT 10) s) r;
	});
}

# opclass => [type, operator, recall floor]
my @cases = (
	[ 'halfvec_l2_ops', 'halfvec', '<->', 0.95 ],
	[ 'halfvec_ip_ops', 'halfvec', '<#>', 0.85 ],
	[ 'halfvec_cosine_ops', 'halfvec', '<=>', 0.95 ],
	[ 'halfvec_l1_ops', 'halfvec', '<+>', 0.95 ],
	[ 'bit_hamming_ops', 'bit', '<~>', 0.95 ],
	[ 'bit_jaccard_ops', 'bit', '<%>', 0.95 ],
	[ 'sparsevec_l2_ops', 'sparsevec', '<->', 0.95 ],
	[ 'sparsevec_ip_ops', 'sparsevec', '<#>', 0.85 ],
	[ 'sparsevec_cosine_ops', 'sparsevec', '<=>', 0.95 ],
	[ 'sparsevec_l1_ops', 'sparsevec', '<+>', 0.95 ],);

for my $case (@cases)
{
	my ($opclass, $t, $op, $floor) = @$case;
	my $idx = "items_${t}_idx";
	my $recall = sub {
		return $primary->safe_psql('postgres',
			"SET hnsw.ef_search = 100; SELECT tied_recall('items_$t', '$op', 'queries_$t')");
	};

	$primary->safe_psql('postgres',
		"CREATE INDEX $idx ON items_$t USING hnsw (embedding $opclass)");
	my $r = $recall->();
	note "$opclass: recall after the build $r";
	cmp_ok($r, '>=', $floor, "$opclass: recall after the build >= $floor");

	$primary->safe_psql('postgres',
		"INSERT INTO items_$t SELECT id, $make{$t} FROM src
		 WHERE id > $rows{$t}[0] AND id <= $rows{$t}[1]");
	$r = $recall->();
	note "$opclass: recall after inserts $r";
	cmp_ok($r, '>=', $floor, "$opclass: recall after inserts >= $floor");

	$primary->safe_psql('postgres',
		"DELETE FROM items_$t WHERE id % 3 = 0; VACUUM items_$t");
	$r = $recall->();
	note "$opclass: recall after deletes and VACUUM $r";
	cmp_ok($r, '>=', $floor, "$opclass: recall after VACUUM >= $floor");

	is($primary->safe_psql('postgres', "SELECT hnsw_index_check('$idx', true)"),
		'', "$opclass: hnsw_index_check finds the index sound");
	like($primary->safe_psql('postgres', "SELECT hnsw_index_stats('$idx')->>'type'"),
		qr/^\Q$t\E$/, "$opclass: hnsw_index_stats names the type");

	$primary->wait_for_catchup($standby);
	my $p = answers($primary, $t, $op);
	is(answers($standby, $t, $op), $p,
		"$opclass: the standby answers exactly like the primary");

	# back to the first rows for the next opclass
	$primary->safe_psql(
		'postgres', qq{
		DROP INDEX $idx;
		DELETE FROM items_$t;
		INSERT INTO items_$t SELECT id, $make{$t} FROM src WHERE id <= $rows{$t}[0];
	});
}

# An expression index as pgvector documents it: vectors indexed as halfvec
$primary->safe_psql(
	'postgres', qq{
	CREATE TABLE wide (id int PRIMARY KEY, embedding vector($dim));
	INSERT INTO wide SELECT * FROM src;
	CREATE INDEX wide_half_idx ON wide USING hnsw ((embedding::halfvec($dim)) halfvec_l2_ops);
	ANALYZE wide;
});
my $q = $primary->safe_psql('postgres', 'SELECT embedding FROM srcq WHERE id = 1');
like(
	$primary->safe_psql(
		'postgres', qq{EXPLAIN (COSTS OFF) SELECT id FROM wide
		ORDER BY embedding::halfvec($dim) <-> '$q'::halfvec($dim) LIMIT 5}),
	qr/Index Scan using wide_half_idx/,
	'ORDER BY embedding::halfvec(n) <-> $1::halfvec(n) uses the expression index');
is( $primary->safe_psql(
		'postgres', qq{SELECT id FROM wide
		ORDER BY embedding::halfvec($dim) <-> '$q'::halfvec($dim) LIMIT 1}),
	$primary->safe_psql(
		'postgres', qq{SET enable_indexscan = off; SELECT id FROM wide
		ORDER BY embedding::halfvec($dim) <-> '$q'::halfvec($dim) LIMIT 1}),
	'the expression index finds the nearest row');

# A query of another dimension count is an error, as the operator's is
my ($ret, $out, $err) = $primary->psql('postgres',
	q{SET enable_seqscan = off;
	  CREATE INDEX ON items_halfvec USING hnsw (embedding halfvec_l2_ops);
	  SELECT id FROM items_halfvec ORDER BY embedding <-> '[1,2,3]'::halfvec LIMIT 1});
like($err, qr/different halfvec dimensions $dim and 3/,
	'a halfvec query of another dimension count is an error');

done_testing();
