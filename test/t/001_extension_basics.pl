# 001_extension_basics.pl: the extension's lifecycle on a real server.
#
# CREATE EXTENSION works on a fresh cluster, vectors round-trip through a
# table, `<->` orders rows by Euclidean distance, the data survives a
# restart, ALTER EXTENSION (UPDATE, SET SCHEMA: the extension is relocatable)
# keeps everything working, and DROP EXTENSION refuses while a column uses
# the type, then removes every object with CASCADE so it can be created again.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->start;

# --- CREATE EXTENSION ------------------------------------------------------

$node->safe_psql('postgres', 'CREATE EXTENSION vecindex');
is( $node->safe_psql(
		'postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'vecindex'"),
	'0.3.0',
	'CREATE EXTENSION vecindex installs version 0.3.0');

# --- vectors in a table, ordered by <-> ------------------------------------

$node->safe_psql(
	'postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));
	INSERT INTO items VALUES
		(1, '[1,1,1]'),
		(2, '[2,2,2]'),
		(3, '[1,1,2]'),
		(4, '[10,10,10]'),
		(5, '[-1,0,1]');
});

is($node->safe_psql('postgres', 'SELECT embedding FROM items WHERE id = 3'),
	'[1,1,2]', 'a vector reads back as it was written');

my $knn = q{SELECT string_agg(id::text, ',' ORDER BY d, id)
	FROM (SELECT id, embedding <-> '[1,1,1]' AS d
		  FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT 4) s};
is($node->safe_psql('postgres', $knn),
	'1,3,2,5', '<-> orders rows by Euclidean distance to the query');

is( $node->safe_psql(
		'postgres',
		q{SELECT id FROM items ORDER BY embedding <-> '[9,9,9]' LIMIT 1}),
	'4',
	'ORDER BY <-> LIMIT 1 finds the nearest row');

is( $node->safe_psql(
		'postgres', q{SELECT round((embedding <-> '[1,1,1]')::numeric, 4)
			FROM items WHERE id = 2}),
	'1.7321',
	'<-> returns the Euclidean distance');

# --- the data survives a restart --------------------------------------------

$node->restart;
is($node->safe_psql('postgres', $knn),
	'1,3,2,5', 'same answer after a server restart');

# --- ALTER EXTENSION ---------------------------------------------------------

my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'ALTER EXTENSION vecindex UPDATE');
is($ret, 0, 'ALTER EXTENSION vecindex UPDATE succeeds');
like($stderr, qr/already installed/,
	'ALTER EXTENSION UPDATE reports the version is current');

$node->safe_psql(
	'postgres', q{
	CREATE SCHEMA vec;
	ALTER EXTENSION vecindex SET SCHEMA vec;
});
is( $node->safe_psql(
		'postgres', q{SELECT n.nspname FROM pg_type t
			JOIN pg_namespace n ON n.oid = t.typnamespace
			WHERE t.typname = 'vector'}),
	'vec',
	'ALTER EXTENSION SET SCHEMA moves the vector type');
is( $node->safe_psql(
		'postgres', "SET search_path = vec, public;\n$knn"),
	'1,3,2,5',
	'<-> still works after SET SCHEMA');
$node->safe_psql('postgres', 'ALTER EXTENSION vecindex SET SCHEMA public');

# --- DROP EXTENSION ----------------------------------------------------------

($ret, $stdout, $stderr) =
  $node->psql('postgres', 'DROP EXTENSION vecindex');
isnt($ret, 0, 'DROP EXTENSION refuses while a column uses the vector type');
like($stderr, qr/depend/, '... because other objects depend on it');

$node->safe_psql('postgres', 'DROP EXTENSION vecindex CASCADE');
is( $node->safe_psql(
		'postgres', q{SELECT (SELECT count(*) FROM pg_operator WHERE oprname IN ('<#>', '<=>', '<+>'))
			+ (SELECT count(*) FROM pg_proc
			   WHERE proname IN ('l2_distance', 'vector_in', 'hnswhandler'))
			+ (SELECT count(*) FROM pg_am WHERE amname = 'hnsw')}),
	'0',
	'DROP EXTENSION CASCADE removes its operators and functions');
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM pg_type WHERE typname = 'vector'}),
	'0',
	'... and the vector type is gone');
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(attname, ',' ORDER BY attnum)
			FROM pg_attribute
			WHERE attrelid = 'items'::regclass AND attnum > 0
			  AND NOT attisdropped}),
	'id',
	'... as is the column that used it');

$node->safe_psql('postgres', 'CREATE EXTENSION vecindex');
is( $node->safe_psql('postgres', q{SELECT '[3,4]'::vector <-> '[0,0]'}),
	'5', 'the extension can be created again after DROP');

$node->stop;
done_testing();
