# 033_install_script_search_path.pl: objects in other schemas cannot hijack
# the extension, neither while it is installed nor while it is used.
#
# The scripts CREATE EXTENSION runs (sql/vecindex--0.1.0.sql and the
# upgrade scripts after it) are checked statically: no
# SECURITY DEFINER, no CREATE OR REPLACE or IF NOT EXISTS, no SET
# search_path, no function body in SQL or PL/pgSQL, no @extschema@ (not
# substituted for a relocatable extension), and built-in names that are
# not keywords written pg_catalog-qualified.
#
# Then an unprivileged role that may create objects in the target schema
# fills it, a schema of its own and the installing session's pg_temp with
# look-alikes of what the script refers to (functions of the same names on
# polymorphic types, domains and types named like the built-in types, ...),
# each of which raises an error when called.  CREATE EXTENSION succeeds;
# every dependency the new objects recorded is on the extension's own
# objects or its schema (in PostgreSQL 15 references to built-in, pinned,
# objects record none), the operators' estimators and the ordering
# family are pg_catalog's, and all functions are C, not SECURITY DEFINER,
# without SET clauses.  A type of the same name already in the target
# schema makes CREATE EXTENSION fail rather than be adopted.
#
# Finally a session whose search_path puts the hostile schema before
# pg_catalog and the extension, with exact-signature look-alikes of the
# extension's own functions and operators there, uses everything the
# extension does behind the scenes (input and output, casts and typmod
# coercion, aggregates, btree sorting, hnsw build, insert, scan, vacuum,
# hnsw_index_check, hnsw_index_stats): no look-alike is ever called.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# --- the script, statically --------------------------------------------------

my $srcdir = $ENV{VECINDEX_SRCDIR} // '..';
my @scripts = sort glob("$srcdir/sql/vecindex--*.sql");
my $script = join "\n", map { slurp_file($_) } @scripts;
like($script, qr/CREATE TYPE vector/,
	'read the install and upgrade scripts (' . scalar(@scripts) . ' files)');

# the statements only: comments out (no string literal holds "--" or "/*")
(my $code = $script) =~ s{/\*.*?\*/}{}gs;
$code =~ s/--[^\n]*//g;
$code =~ s/^\\echo[^\n]*//mg;

unlike($code, qr/SECURITY\s+DEFINER/i, 'no SECURITY DEFINER');
unlike($code, qr/OR\s+REPLACE/i, 'no CREATE OR REPLACE');
unlike($code, qr/IF\s+NOT\s+EXISTS/i, 'no IF NOT EXISTS');
unlike($code, qr/\bSET\s+search_path/i, 'no SET search_path');
unlike($code, qr/\@extschema\@/, 'no @extschema@ (not substituted: the extension is relocatable)');
my @langs = $code =~ /\bLANGUAGE\s+(\w+)/gi;
ok(@langs > 0 && !grep({ lc($_) ne 'c' } @langs),
	'every function is LANGUAGE C (' . scalar(@langs) . ' functions)');
unlike($code, qr/\bAS\s+\$/i, 'no dollar-quoted function body');

# Built-in names a schema could shadow if they were resolved by search_path:
# type names that are not SQL keywords, the estimators, the ORDER BY family.
my @builtins = qw(cstring oid internal bytea float4 float8 int2 int4 int8 bool
  text jsonb regclass void index_am_handler anyelement anyarray
  scalarltsel scalarltjoinsel scalarlesel scalarlejoinsel scalargtsel
  scalargtjoinsel scalargesel scalargejoinsel eqsel eqjoinsel neqsel
  neqjoinsel float_ops);
my $names = join '|', @builtins;
(my $unquoted = $code) =~ s/'(?:[^']|'')*'//g;
my @bare = $unquoted =~ /(?<![\w.])($names)\b/g;
is(join(' ', @bare), '', 'every built-in name the script uses is pg_catalog-qualified');

# --- installing next to hostile objects --------------------------------------

my $node = PostgreSQL::Test::Cluster->new('search_path');
$node->init;
$node->start;

# The attacker may create objects in the target schema "ext" (and in a
# second one, "ext2"); it owns "evil".  Every trap raises an error.
$node->safe_psql(
	'postgres', q{
	CREATE ROLE attacker LOGIN;
	CREATE SCHEMA ext;
	CREATE SCHEMA ext2;
	GRANT USAGE, CREATE ON SCHEMA ext, ext2, public TO attacker;
	CREATE SCHEMA evil AUTHORIZATION attacker;
});

# trap functions: name(args) returning type, raising an error naming itself
sub trap_function
{
	my ($name, $args, $ret) = @_;
	my $q = $name =~ s/'/''/gr;
	return qq{CREATE FUNCTION $name($args) RETURNS $ret LANGUAGE plpgsql AS \$\$
		BEGIN RAISE EXCEPTION 'hostile % was called', '$q'; END \$\$;\n};
}

my $pre = "SET ROLE attacker;\n" . trap_function('evil.trap', '', 'boolean');

# Look-alikes of the script's own functions, on polymorphic types, in the
# target schema and in evil.
for my $schema ('ext', 'evil')
{
	for my $f (
		qw(l2_distance inner_product cosine_distance l1_distance
		vector_l2_squared_distance vector_negative_inner_product vector_add
		vector_sub vector_mul vector_concat vector_lt vector_le vector_eq
		vector_ne vector_ge vector_gt))
	{
		$pre .= trap_function("$schema.$f", 'anyelement, anyelement', 'anyelement');
	}
	$pre .= trap_function("$schema.vector_cmp", 'anyelement, anyelement', 'integer');
	$pre .= trap_function("$schema.vector_dims", 'anyelement', 'integer');
	$pre .= trap_function("$schema.vector_norm", 'anyelement', 'double precision');
	$pre .= trap_function("$schema.l2_normalize", 'anyelement', 'anyelement');
	$pre .= trap_function("$schema.subvector", 'anyelement, integer, integer', 'anyelement');
	$pre .= trap_function("$schema.vector", 'anyelement, integer, boolean', 'anyelement');
	$pre .= trap_function("$schema.array_to_vector", 'anyarray, integer, boolean', 'anyelement');
	$pre .= trap_function("$schema.vector_to_float4", 'anyelement, integer, boolean', 'real[]');
	$pre .= trap_function("$schema.vector_accum", 'anyarray, anyelement', 'anyarray');
	$pre .= trap_function("$schema.vector_combine", 'anyarray, anyarray', 'anyarray');
	$pre .= trap_function("$schema.vector_avg", 'anyarray', 'anyelement');
	$pre .= qq{
		CREATE OPERATOR $schema.<-> (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = $schema.l2_distance);
		CREATE OPERATOR $schema.< (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = $schema.vector_lt);
		CREATE OPERATOR $schema.= (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = $schema.vector_eq);
		CREATE OPERATOR $schema.+ (LEFTARG = anyelement, RIGHTARG = anyelement, FUNCTION = $schema.vector_add);
		CREATE AGGREGATE $schema.avg(anyelement) (SFUNC = $schema.vector_add, STYPE = anyelement);
	};
}

# Types named like the built-in types the script uses, in the target schema:
# domains whose check calls a trap, composite types where no domain can be.
for my $t (qw(float8 bool jsonb regclass oid bytea))
{
	$pre .= "CREATE DOMAIN ext.$t AS pg_catalog.$t CHECK (evil.trap());\n";
}
for my $t (qw(cstring internal index_am_handler void))
{
	$pre .= "CREATE TYPE ext.$t AS (x integer);\n";
}
# A type of the same name as ours, in ext2: must make CREATE EXTENSION fail.
$pre .= "CREATE DOMAIN ext2.vector AS pg_catalog.float4[] CHECK (evil.trap());\n";
$pre .= "RESET ROLE;\n";
$node->safe_psql('postgres', $pre);

# Installing, in a session that also has temporary look-alikes (a temp
# table is also a type of its name) and a hostile search_path.
$node->safe_psql(
	'postgres', q{
	CREATE TEMP TABLE vector (x integer);
	CREATE TEMP TABLE float8 (x integer);
	CREATE TEMP TABLE jsonb (x integer);
	CREATE TEMP TABLE regclass (x integer);
	SET search_path = evil, ext, pg_catalog, public;
	CREATE EXTENSION vecindex SCHEMA ext;
});
pass('CREATE EXTENSION succeeds next to the look-alikes');

# Everything the new objects depend on is theirs (members, and what hangs
# off them: operator class entries, the array type) or their schema.
my $foreign = $node->safe_psql(
	'postgres', q{
	WITH RECURSIVE ours(classid, objid) AS (
		SELECT 'pg_extension'::regclass::oid, oid FROM pg_extension WHERE extname = 'vecindex'
		UNION
		SELECT d.classid, d.objid FROM pg_depend d
		JOIN ours o ON d.refclassid = o.classid AND d.refobjid = o.objid
	)
	SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' -> ' ||
		   pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
	FROM pg_depend d JOIN ours o ON d.classid = o.classid AND d.objid = o.objid
	WHERE NOT EXISTS (SELECT 1 FROM ours x WHERE x.classid = d.refclassid AND x.objid = d.refobjid)
	  AND NOT (d.refclassid = 'pg_namespace'::regclass AND d.refobjid = 'ext'::regnamespace)
	ORDER BY 1});
is($foreign, '', "the extension's objects depend on nothing but themselves and their schema");

my $nmembers = $node->safe_psql('postgres',
	q{SELECT count(*) FROM pg_depend WHERE refclassid = 'pg_extension'::regclass
	  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vecindex') AND deptype = 'e'});
cmp_ok($nmembers, '>=', 60, "the extension has its members ($nmembers)");

is( $node->safe_psql(
		'postgres', q{
	SELECT string_agg(p.oid::regprocedure::text, ', ')
	FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
	WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vecindex') AND d.deptype = 'e'
	  AND ((p.prokind <> 'a' AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c'))
		   OR p.prosecdef OR p.proconfig IS NOT NULL)}),
	'',
	'every function but the aggregates is C; none is SECURITY DEFINER or has SET clauses');

is( $node->safe_psql(
		'postgres', q{
	SELECT string_agg(DISTINCT n.nspname, ',')
	FROM pg_operator o
	JOIN pg_proc p ON p.oid IN (o.oprrest, o.oprjoin)
	JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE o.oprnamespace = 'ext'::regnamespace}),
	'pg_catalog',
	"the operators' selectivity estimators are pg_catalog's");

is( $node->safe_psql(
		'postgres', q{
	SELECT string_agg(DISTINCT n.nspname || '.' || f.opfname, ',')
	FROM pg_amop a
	JOIN pg_opfamily f ON f.oid = a.amopsortfamily
	JOIN pg_namespace n ON n.oid = f.opfnamespace
	JOIN pg_opfamily o ON o.oid = a.amopfamily
	WHERE o.opfnamespace = 'ext'::regnamespace}),
	'pg_catalog.float_ops',
	'the hnsw operator classes order by pg_catalog.float_ops');

is( $node->safe_psql(
		'postgres', q{
	SELECT string_agg(DISTINCT t.oid::regtype::text, ', ' ORDER BY t.oid::regtype::text)
	FROM pg_proc p, unnest(p.proargtypes::oid[] || p.prorettype) a(t0)
	JOIN pg_type t ON t.oid = a.t0
	WHERE p.pronamespace = 'ext'::regnamespace
	  AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
	  AND t.typnamespace <> 'pg_catalog'::regnamespace
	  AND NOT (t.typnamespace = 'ext'::regnamespace AND EXISTS (
		SELECT FROM pg_depend d
		WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
		  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vecindex')))}),
	'',
	"the functions' argument and result types are pg_catalog's, or the extension's own in ext");

my ($ret, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION vecindex SCHEMA ext2');
isnt($ret, 0, 'CREATE EXTENSION fails when the target schema has a type named vector');
like($err, qr/already exists/, '... with "already exists" (the type is not adopted)');
unlike($err, qr/hostile/, '... and no look-alike was called');

# --- using the extension under a hostile search_path -------------------------

# Now exact look-alikes of the extension's own functions and operators, and
# of built-ins, in evil: a session with evil first would pick them for any
# name it resolves.
my $post = "SET ROLE attacker;\n";
for my $f (
	qw(l2_distance inner_product cosine_distance l1_distance
	vector_l2_squared_distance vector_negative_inner_product))
{
	$post .= trap_function("evil.$f", 'ext.vector, ext.vector', 'double precision');
}
for my $f (qw(vector_add vector_sub vector_mul vector_concat))
{
	$post .= trap_function("evil.$f", 'ext.vector, ext.vector', 'ext.vector');
}
for my $f (qw(vector_lt vector_le vector_eq vector_ne vector_ge vector_gt))
{
	$post .= trap_function("evil.$f", 'ext.vector, ext.vector', 'boolean');
}
$post .= trap_function('evil.vector_cmp', 'ext.vector, ext.vector', 'integer');
$post .= trap_function('evil.vector', 'ext.vector, integer, boolean', 'ext.vector');
$post .= trap_function('evil.array_to_vector', "$_\[], integer, boolean", 'ext.vector')
  for ('integer', 'real', 'double precision', 'numeric');
$post .= trap_function('evil.vector_to_float4', 'ext.vector, integer, boolean', 'real[]');
$post .= trap_function('evil.vector_accum', 'double precision[], ext.vector', 'double precision[]');
$post .= trap_function('evil.vector_avg', 'double precision[]', 'ext.vector');
# ... and of halfvec's
$post .= trap_function("evil.$_", 'ext.halfvec, ext.halfvec', 'ext.halfvec')
  for qw(halfvec_add halfvec_sub halfvec_mul halfvec_concat);
$post .= trap_function("evil.$_", 'ext.halfvec, ext.halfvec', 'double precision')
  for qw(l2_distance cosine_distance halfvec_negative_inner_product);
$post .= trap_function('evil.halfvec_cmp', 'ext.halfvec, ext.halfvec', 'integer');
$post .= trap_function('evil.halfvec', 'ext.halfvec, integer, boolean', 'ext.halfvec');
$post .= trap_function('evil.vector_to_halfvec', 'ext.vector, integer, boolean', 'ext.halfvec');
$post .= trap_function('evil.halfvec_to_vector', 'ext.halfvec, integer, boolean', 'ext.vector');
$post .= trap_function('evil.array_to_halfvec', "$_\[], integer, boolean", 'ext.halfvec')
  for ('integer', 'real', 'double precision', 'numeric');
$post .= trap_function('evil.halfvec_accum', 'double precision[], ext.halfvec', 'double precision[]');
$post .= trap_function('evil.halfvec_avg', 'double precision[]', 'ext.halfvec');
$post .= trap_function('evil.halfvec_combine', 'double precision[], double precision[]', 'double precision[]');
$post .= trap_function('evil.sqrt', 'double precision', 'double precision');
$post .= trap_function('evil.array_length', 'anyarray, integer', 'integer');
$post .= trap_function('evil.float8', 'real', 'double precision');
for my $op (
	[ '<->', 'l2_distance' ], [ '<#>', 'vector_negative_inner_product' ],
	[ '<=>', 'cosine_distance' ], [ '<+>', 'l1_distance' ],
	[ '+', 'vector_add' ], [ '-', 'vector_sub' ], [ '*', 'vector_mul' ],
	[ '||', 'vector_concat' ], [ '<', 'vector_lt' ], [ '<=', 'vector_le' ],
	[ '=', 'vector_eq' ], [ '<>', 'vector_ne' ], [ '>=', 'vector_ge' ],
	[ '>', 'vector_gt' ])
{
	$post .= "CREATE OPERATOR evil.$op->[0] (LEFTARG = ext.vector, RIGHTARG = ext.vector, "
	  . "FUNCTION = evil.$op->[1]);\n";
}
$post .= "CREATE AGGREGATE evil.avg(ext.vector) (SFUNC = evil.vector_add, STYPE = ext.vector);\n";
$post .= "CREATE AGGREGATE evil.sum(ext.vector) (SFUNC = evil.vector_add, STYPE = ext.vector);\n";
$post .= "RESET ROLE;\n";
$node->safe_psql('postgres', $post);

my $hostile = 'SET search_path = evil, ext, pg_catalog, public;';

# the traps are armed: an unqualified name in this session is evil's
($ret, $out, $err) = $node->psql('postgres', "$hostile SELECT sqrt(4::pg_catalog.float8)");
like($err, qr/hostile evil\.sqrt was called/,
	'the look-alikes are armed: an unqualified sqrt() in this session calls evil.sqrt');

# What the extension does by itself must never resolve a name.  Our own
# statements name operators and functions qualified, as a careful user in
# such a session would.
my @steps = (
	[
		'input, output, assignment casts from all array types, typmod coercion',
		q{
		CREATE TABLE items (id int PRIMARY KEY, v ext.vector(3));
		INSERT INTO items VALUES (1, '[1,2,3]');
		INSERT INTO items SELECT i, ARRAY[i % 7, i % 11, i % 13]::integer[] FROM generate_series(2, 100) i;
		INSERT INTO items SELECT i, ARRAY[sin(i), cos(i), i % 5]::real[] FROM generate_series(101, 200) i;
		INSERT INTO items SELECT i, ARRAY[cos(i), sin(i), i % 3]::double precision[] FROM generate_series(201, 300) i;
		INSERT INTO items SELECT i, ARRAY[i % 4, i % 9, 1]::numeric[] FROM generate_series(301, 400) i;
		SELECT count(*), min(v::text) FROM items;
		SELECT '[1,2,3]'::ext.vector(3)::text;
		}
	],
	[
		'hnsw indexes with every operator class, btree index',
		q{
		CREATE INDEX items_l2 ON items USING hnsw (v);
		CREATE INDEX items_ip ON items USING hnsw (v ext.vector_ip_ops);
		CREATE INDEX items_cos ON items USING hnsw (v ext.vector_cosine_ops);
		CREATE INDEX items_l1 ON items USING hnsw (v ext.vector_l1_ops);
		CREATE INDEX items_bt ON items (v);
		}
	],
	[
		'hnsw scans for every operator',
		q{
		SET enable_seqscan = off;
		SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY v OPERATOR(ext.<->) '[1,2,3]' LIMIT 5) s;
		SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY v OPERATOR(ext.<#>) '[1,2,3]' LIMIT 5) s;
		SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY v OPERATOR(ext.<=>) '[1,2,3]' LIMIT 5) s;
		SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY v OPERATOR(ext.<+>) '[1,2,3]' LIMIT 5) s;
		SET hnsw.iterative_scan = relaxed_order;
		SELECT array_agg(id) FROM (SELECT id FROM items WHERE id % 10 = 0 ORDER BY v OPERATOR(ext.<->) '[1,2,3]' LIMIT 5) s;
		}
	],
	[
		'sorting, DISTINCT and GROUP BY through the btree operator class',
		q{
		SELECT v::text FROM items ORDER BY v LIMIT 1;
		SELECT count(DISTINCT v) FROM items;
		SELECT count(*) FROM (SELECT v FROM items GROUP BY v) s;
		SET enable_seqscan = off;
		SELECT count(*) FROM items WHERE v OPERATOR(ext.<) '[1,1,1]';
		}
	],
	[
		'aggregates, casts to real[], functions and operators called qualified',
		q{
		SELECT ext.avg(v)::text, ext.sum(v)::text FROM items;
		SELECT (v::real[])[1] FROM items WHERE id = 1;
		SELECT ext.l2_distance(v, '[0,0,0]'), ext.inner_product(v, v), ext.cosine_distance(v, '[1,0,0]'),
			   ext.l1_distance(v, v), ext.vector_dims(v), ext.vector_norm(v), ext.l2_normalize(v)::text,
			   ext.subvector(v, 2, 2)::text,
			   (v OPERATOR(ext.+) v)::text, (v OPERATOR(ext.-) v)::text, (v OPERATOR(ext.*) v)::text,
			   (v OPERATOR(ext.||) v)::text, v OPERATOR(ext.=) v, v OPERATOR(ext.<>) v
		FROM items WHERE id = 1;
		}
	],
	[
		'halfvec: casts from vector and arrays, typmod coercion, aggregates, sorting, operators',
		q{
		CREATE TABLE hitems (id int PRIMARY KEY, h ext.halfvec(3));
		INSERT INTO hitems SELECT id, v FROM items;
		INSERT INTO hitems SELECT i, ARRAY[i % 7, i % 11, i % 13]::integer[] FROM generate_series(1001, 1010) i;
		INSERT INTO hitems SELECT i, ARRAY[sin(i), cos(i), 1]::real[] FROM generate_series(1011, 1020) i;
		INSERT INTO hitems SELECT i, ARRAY[cos(i), sin(i), 2]::double precision[] FROM generate_series(1021, 1030) i;
		INSERT INTO hitems SELECT i, ARRAY[i % 4, i % 9, 1]::numeric[] FROM generate_series(1031, 1040) i;
		SELECT '[1,2,3]'::ext.halfvec(3)::text, ('[1,2,3]'::ext.halfvec::ext.vector)::text;
		SELECT ext.avg(h)::text, ext.sum(h)::text, min(h::text) FROM hitems;
		SET parallel_setup_cost = 0;
		SET parallel_tuple_cost = 0;
		SET min_parallel_table_scan_size = 0;
		SELECT ext.avg(h)::text FROM hitems;
		RESET parallel_setup_cost;
		SELECT h::text FROM hitems ORDER BY h LIMIT 1;
		SELECT count(DISTINCT h) FROM hitems;
		CREATE INDEX hitems_bt ON hitems (h);
		SELECT ext.l2_distance(h, h), ext.cosine_distance(h, h), h OPERATOR(ext.<#>) h,
			   (h OPERATOR(ext.+) h)::text, (h OPERATOR(ext.||) h)::text, (h::real[])[1]
		FROM hitems WHERE id = 1;
		}
	],
	[
		'insert, update, delete and VACUUM with the indexes',
		q{
		INSERT INTO items SELECT i, ARRAY[i % 6, i % 8, 2]::real[] FROM generate_series(401, 500) i;
		UPDATE items SET v = v OPERATOR(ext.+) '[1,1,1]' WHERE id % 5 = 0;
		DELETE FROM items WHERE id % 7 = 0;
		VACUUM items;
		}
	],
	[
		'hnsw_index_check and hnsw_index_stats',
		q{
		SET client_min_messages = warning;
		SELECT ext.hnsw_index_check('items_l2'::pg_catalog.regclass, true);
		SELECT ext.hnsw_index_check('items_cos'::pg_catalog.regclass, false);
		SELECT ext.hnsw_index_stats('items_l2'::pg_catalog.regclass) ->> 'elements';
		}
	]);
for my $step (@steps)
{
	my ($name, $sql) = @$step;
	($ret, $out, $err) = $node->psql('postgres', "$hostile $sql");
	is($ret, 0, "under a hostile search_path: $name") or diag($err);
	unlike($err, qr/hostile/, "... no look-alike was called ($name)");
}

# and the answers are the real ones
is( $node->safe_psql(
		'postgres', qq{$hostile
	SELECT ext.vector_dims(v), round(ext.l2_distance(v, '[1,2,4]')::numeric, 3)::text
	FROM items WHERE id = 1}),
	'3|1.000',
	'the functions answer as they should');
is( $node->safe_psql(
		'postgres', qq{$hostile
	SET enable_seqscan = off;
	SELECT id FROM items ORDER BY v OPERATOR(ext.<->) '[1,2,3]' LIMIT 1}),
	'1',
	'an hnsw scan finds the nearest row');

done_testing();
