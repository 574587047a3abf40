# 041_switch_from_pgvector.pl: a database dumped from pgvector restores
# into vecindex, with the same data and the same indexes, by the commands
# README.md gives under "Switching from pgvector", run as written.
#
# The dumps (test/data/pgvector-{public,extensions}.{sql,dump}) were written
# by test/data/make-pgvector-dumps.sh from test/data/pgvector-fixture.sql
# on a server with pgvector 0.8.6: tables of vector, halfvec, sparsevec
# and bit with typmods, NULLs, an array of vectors, a generated column,
# values at the edges of each type's text form, a view, a materialized
# view, two functions, eleven hnsw indexes (every operator class family,
# with and without m and ef_construction, on expressions, one partial), a
# B-tree and an ivfflat index; once with the extension in schema public,
# once in a schema "extensions".  pgvector itself is not needed here.
#
# What a restore must give is computed independently of the dumps: the
# same fixture script, run with vecindex, builds a reference database, and
# the restored database must match it in every column's type, every
# constraint, index, view and function definition, and every row of the
# table, the view and the materialized view.  Then each hnsw index is
# valid, passes hnsw_index_check, is the plan of an ORDER BY ... LIMIT
# query and returns the rows an exact scan returns.  The ivfflat index is
# the one thing missing, and the restore says so, as README.md says it
# does.

use strict;
use warnings;

use File::Copy;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $srcdir = $ENV{VECINDEX_SRCDIR} // '..';
my $data = "$srcdir/test/data";

# --- the commands README.md gives --------------------------------------------

my $readme = slurp_file("$srcdir/README.md");
my ($section) = $readme =~ /^## Switching from pgvector\n(.*?)^## /ms;
ok(defined $section, 'README.md has a section "Switching from pgvector"');
my @blocks = ($section // '') =~ /^```sh\n(.*?)^```\n/msg;
is(scalar(@blocks), 3, 'it gives three procedures (plain; custom; custom, own schema)');
my ($plain_cmds, $custom_cmds, $custom_schema_cmds) = @blocks;
like($plain_cmds, qr/\bdb\.sql\b/, 'the first restores a plain dump, db.sql');
like($custom_cmds, qr/pg_restore.*\bdb\.dump\b/, 'the second a custom-format dump, db.dump');
like($custom_schema_cmds, qr/WITH SCHEMA extensions/,
	'the third a custom-format dump with pgvector in schema extensions');

# --- a server and the reference databases ------------------------------------

my $node = PostgreSQL::Test::Cluster->new('switch');
$node->init;
$node->start;

# The dumps give their objects to role postgres, as a real dump names its
# owners; the restoring superuser may be called otherwise.
$node->safe_psql('postgres',
	q{DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres')
		THEN CREATE ROLE postgres; END IF; END $$});

for my $schema ('public', 'extensions')
{
	$node->safe_psql('postgres', "CREATE DATABASE expected_$schema");
	$node->command_ok(
		[
			'psql', '-X', '-q', '-d', "expected_$schema",
			'-v', 'ext=vecindex', '-v', "extschema=$schema",
			'-v', 'with_ivfflat=off', '-f', "$data/pgvector-fixture.sql"
		],
		"the fixture builds with vecindex in schema $schema");
}

# --- what is compared ----------------------------------------------------------

# The definitions of everything in schema public, one line each.
my $definitions = q{
	SELECT string_agg(d, E'\n' ORDER BY d) FROM (
		SELECT format('column %s.%s %s %s default %s generated %s', c.relname,
					  a.attname, format_type(a.atttypid, a.atttypmod),
					  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid),
					  a.attgenerated) AS d
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm')
		  AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		UNION ALL
		SELECT format('index %s valid %s ready %s options %s', pg_get_indexdef(i.indexrelid),
					  i.indisvalid, i.indisready, c.reloptions)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relnamespace = 'public'::regnamespace
		UNION ALL
		SELECT format('view %s %s %s', relname, relkind, pg_get_viewdef(oid))
		FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')
		UNION ALL
		SELECT format('function %s', pg_get_functiondef(p.oid))
		FROM pg_proc p WHERE pronamespace = 'public'::regnamespace
		  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
						  AND d.objid = p.oid AND d.deptype = 'e')) s};

# Every row, as text.
my $contents = q{
	SELECT (SELECT count(*) FROM items) || E'\n'
		|| (SELECT string_agg(t::text, E'\n' ORDER BY id) FROM items t) || E'\n'
		|| (SELECT string_agg(t::text, E'\n' ORDER BY grp) FROM item_groups t) || E'\n'
		|| (SELECT string_agg(t::text, E'\n') FROM items_near_origin t) || E'\n'
		|| (SELECT string_agg(format('%s %s %s', id, cosine_to(embedding, '[1,2,3]'),
									half_l1(half, '[1,2,3,4]')), E'\n' ORDER BY id)
			FROM items)};

# Each hnsw index and a query it serves: ORDER BY expression, the query
# value, and the WHERE clause of a partial index.
my @queries = (
	[ 'items_embedding_l2', q{embedding <-> '[1,-2,0.5]'} ],
	[ 'items_embedding_cosine', q{embedding <=> '[1,-2,0.5]'} ],
	[ 'items_embedding_ip_even', q{embedding <#> '[1,-2,0.5]'}, 'id % 2 = 0' ],
	[ 'items_embedding_half', q{embedding::halfvec(3) <-> '[1,-2,0.5]'} ],
	[ 'items_embedding_binary', q{binary_quantize(embedding)::bit(3) <~> B'101'} ],
	[ 'items_embedding_sub', q{subvector(embedding, 1, 2)::vector(2) <+> '[1,-2]'} ],
	[ 'items_half_l1', q{half <+> '[0,5,4,-3]'} ],
	[ 'items_half_cosine', q{half <=> '[0,5,4,-3]'} ],
	[ 'items_sparse_l2', q{sparse <-> '{1:-1,4:1}/6'} ],
	[ 'items_sparse_ip', q{sparse <#> '{1:-1,4:1}/6'} ],
	[ 'items_bits_jaccard', q{bits <%> B'10110010'} ]);

# The top 10 rows for a query, "id distance" per line, with or without
# the index.  ef_search above the row count makes the index scan see every
# element, so it must find what the exact scan finds.
sub top10
{
	my ($db, $schema, $q, $use_index) = @_;
	my ($index, $order, $where) = @$q;
	$where = defined $where ? "WHERE $where" : '';
	my $scan =
	  $use_index
	  ? 'SET enable_seqscan = off; SET enable_bitmapscan = off;'
	  : 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
	my $query = "SELECT id, $order AS d FROM items $where ORDER BY $order LIMIT 10";
	my $plan = $node->safe_psql($db,
		"SET search_path = public, $schema; $scan EXPLAIN (COSTS OFF) $query");
	my $rows = $node->safe_psql($db,
		"SET search_path = public, $schema; SET hnsw.ef_search = 1000; $scan
		 SELECT string_agg(id || ' ' || d, E'\n' ORDER BY d, id) FROM ($query) s");
	return ($plan, $rows);
}

# Equal up to ties: the same distances, and the same rows nearer than the
# last distance (rows tied at the last one may be cut differently).
sub same_rows
{
	my ($a, $b) = @_;
	my @a = map { [ split / / ] } split /\n/, $a;
	my @b = map { [ split / / ] } split /\n/, $b;
	return 0 unless @a == @b && @a > 0;
	return 0 if join(',', map { $_->[1] } @a) ne join(',', map { $_->[1] } @b);
	my $last = $a[-1][1];
	my $near = sub { join ',', sort map { $_->[0] } grep { $_->[1] ne $last } @_ };
	return $near->(@a) eq $near->(@b);
}

# --- restore each dump, compare ------------------------------------------------

my $workdir = PostgreSQL::Test::Utils::tempdir;

# Runs a README block in $workdir with $file copied there as db.sql or
# db.dump; returns (exit status, stdout, stderr).
sub run_block
{
	my ($cmds, $file, $as) = @_;
	unlink glob("$workdir/db.*");
	copy($file, "$workdir/$as") or die "copy $file: $!";
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, PGHOST => $node->host, PGPORT => $node->port);
	delete $ENV{PGDATABASE};
	IPC::Run::run([ 'bash', '-c', "cd '$workdir' && $cmds" ],
		'>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

my @cases = (
	[ 'plain dump, pgvector in public', 'pgvector-public.sql', 'db.sql', $plain_cmds, 'public' ],
	[ 'plain dump, pgvector in extensions', 'pgvector-extensions.sql', 'db.sql', $plain_cmds,
		'extensions' ],
	[ 'custom dump, pgvector in public', 'pgvector-public.dump', 'db.dump', $custom_cmds,
		'public' ],
	[ 'custom dump, pgvector in extensions', 'pgvector-extensions.dump', 'db.dump',
		$custom_schema_cmds, 'extensions' ]);

for my $case (@cases)
{
	my ($name, $file, $as, $cmds, $schema) = @$case;
	my ($rc, $out, $err) = run_block($cmds, "$data/$file", $as);
	note "$name: exit status $rc, stderr:\n$err";

	# the restore: one error, the ivfflat index's, and it goes on
	my @errors = $err =~ /(ERROR:.*)/g;
	is_deeply(\@errors, ['ERROR:  access method "ivfflat" does not exist'],
		"$name: the one error is the ivfflat index's");
	like($err, qr/CREATE INDEX items_embedding_ivfflat ON public\.items USING ivfflat/,
		"$name: ... and the message shows its statement");
	if ($as eq 'db.dump')
	{
		like($err, qr/errors ignored on restore: 1$/m, "$name: pg_restore counts it");
		is($rc, 1, "$name: pg_restore's exit status is 1");
	}
	is( $node->safe_psql('newdb',
			"SELECT extname || ' ' || extnamespace::regnamespace FROM pg_extension ORDER BY 1"),
		"plpgsql pg_catalog\nvecindex $schema",
		"$name: vecindex is installed in schema $schema");

	my $expected_db = "expected_$schema";
	my $expected = $node->safe_psql($expected_db, $definitions);
	is($node->safe_psql('newdb', $definitions), $expected,
		"$name: every column, constraint, index, view and function as defined");
	like($expected,
		qr/index CREATE INDEX items_embedding_l2 ON public\.items USING hnsw \(embedding( (extensions\.)?vector_l2_ops)?\) WITH \(m='8', ef_construction='32'\) valid t ready t options \{m=8,ef_construction=32\}/,
		"$name: (the definitions name the options)");
	# (half_l1's body is parsed at each call, with the caller's search_path)
	my $in_schema = "SET search_path = public, $schema;";
	is( $node->safe_psql('newdb', "$in_schema $contents"),
		$node->safe_psql($expected_db, "$in_schema $contents"),
		"$name: every row the same");
	is($node->safe_psql('newdb',
			"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			 JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'hnsw'"),
		scalar(@queries), "$name: the eleven hnsw indexes are there");
	my ($check_rc, $checked, $check_err) = $node->psql(
		'newdb', "SET search_path = public, $schema;
		SELECT count(hnsw_index_check(c.oid, true) IS NULL)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'hnsw'");
	is("$check_rc $checked $check_err", '0 ' . scalar(@queries) . ' ',
		"$name: every hnsw index passes hnsw_index_check");

	my @bad;
	for my $q (@queries)
	{
		my ($plan, $approx) = top10('newdb', $schema, $q, 1);
		my (undef, $exact) = top10('newdb', $schema, $q, 0);
		push @bad, "$q->[0]: plan $plan" unless $plan =~ /Index Scan using $q->[0] on items/;
		push @bad, "$q->[0]: index\n$approx\nexact\n$exact" unless same_rows($approx, $exact);
	}
	is(join("\n", @bad), '',
		"$name: each hnsw index is used and returns what an exact scan returns");

	$node->safe_psql('postgres', 'DROP DATABASE newdb');
}

done_testing();
