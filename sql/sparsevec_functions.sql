-- sparsevec_functions: distances, norms, operators and the btree ordering
-- of sparsevec, with their errors.

-- Distances between vectors with shared, disjoint and missing positions
SELECT l2_distance('{1:3}/2'::sparsevec, '{2:4}/2');
SELECT l2_distance('{1:1,2:2,4:4}/5'::sparsevec, '{2:2,3:3,5:5}/5');
SELECT l2_distance('{}/3'::sparsevec, '{}/3');
SELECT sparsevec_l2_squared_distance('{1:1,2:2,4:4}/5', '{2:2,3:3,5:5}/5');
SELECT inner_product('{1:1,2:2,4:4}/5'::sparsevec, '{2:2,3:3,4:-1}/5');
SELECT inner_product('{1:1}/3'::sparsevec, '{2:1}/3');
SELECT sparsevec_negative_inner_product('{1:1,2:2}/2', '{1:3,2:4}/2');
SELECT l1_distance('{1:1,3:-3}/4'::sparsevec, '{2:2,3:3}/4');
SELECT cosine_distance('{1:1,2:2}/2'::sparsevec, '{1:-2,2:-4}/2');
SELECT cosine_distance('{1:1}/2'::sparsevec, '{2:1}/2');
SELECT round(cosine_distance('{1:1,2:1}/2'::sparsevec, '{1:1}/2')::numeric, 6);

-- The operators
SELECT '{1:3}/2'::sparsevec <-> '{2:4}/2';
SELECT '{1:1,2:2}/2'::sparsevec <#> '{1:3,2:4}/2';
SELECT '{1:1,2:2}/2'::sparsevec <=> '{1:2,2:4}/2';
SELECT '{1:1,3:-3}/4'::sparsevec <+> '{2:2,3:3}/4';

-- Either argument order gives the same bits
SELECT a <-> b = b <-> a AS l2, a <#> b = b <#> a AS ip,
       a <=> b = b <=> a AS cos, a <+> b = b <+> a AS l1
  FROM (SELECT '{1:0.1,4:0.7,9:-1.3,20:2.9}/20'::sparsevec AS a,
               '{2:0.3,4:0.11,9:5.5,19:-0.01}/20'::sparsevec AS b) t;

-- A vector is exactly 0 away from itself and from a positive multiple of
-- itself by cosine; the zero vector has no direction
SELECT cosine_distance(v, v), l2_distance(v, v), l1_distance(v, v)
  FROM (SELECT '{1:0.1,3:0.7,7:-1.3}/7'::sparsevec AS v) t;
SELECT cosine_distance('{1:0.5,2:0.25}/2'::sparsevec, '{1:2,2:1}/2');
SELECT cosine_distance('{}/2'::sparsevec, '{1:1}/2');
SELECT cosine_distance('{}/2'::sparsevec, '{}/2');

-- Elements near the float4 limit: the sums are redone in double, so the
-- distances stay finite
SELECT l2_distance('{1:3e38}/2'::sparsevec, '{2:-3e38}/2');
SELECT inner_product('{1:3e38}/1'::sparsevec, '{1:3e38}/1');
SELECT l1_distance('{1:3e38}/1'::sparsevec, '{1:-3e38}/1');
SELECT cosine_distance('{1:3e38,2:3e38}/2'::sparsevec, '{1:3e38,2:3e38}/2');

-- Different dimension counts are an error for every distance
SELECT l2_distance('{}/2'::sparsevec, '{}/3');
SELECT sparsevec_l2_squared_distance('{}/2', '{}/3');
SELECT inner_product('{}/2'::sparsevec, '{}/3');
SELECT sparsevec_negative_inner_product('{}/2', '{}/3');
SELECT cosine_distance('{}/2'::sparsevec, '{}/3');
SELECT l1_distance('{}/2'::sparsevec, '{}/3');
SELECT '{}/2'::sparsevec <-> '{}/3';

-- Norms
SELECT l2_norm('{1:3,5:4}/5'::sparsevec);
SELECT l2_norm('{}/5'::sparsevec);
SELECT l2_norm('{1:3e38,2:3e38}/2'::sparsevec);
SELECT l2_normalize('{1:3,5:4}/5'::sparsevec);
SELECT l2_normalize('{2:-7}/3'::sparsevec);
SELECT l2_normalize('{}/3'::sparsevec);
-- a value that normalizes to zero is no longer stored
SELECT l2_normalize('{1:3e38,2:1e-38}/2'::sparsevec);

-- Comparison: as the dense vectors compare, element by element, then the
-- one with fewer dimensions first
SELECT '{1:1}/3'::sparsevec = '{1:1}/3', '{1:1}/3'::sparsevec = '{1:1}/4';
SELECT '{1:1}/3'::sparsevec <> '{1:2}/3';
SELECT '{2:1}/3'::sparsevec < '{1:1}/3';
SELECT '{2:-1}/3'::sparsevec < '{}/3';
SELECT '{1:1}/3'::sparsevec < '{1:1}/4', '{1:1}/4'::sparsevec > '{1:1}/3';
SELECT '{1:1}/3'::sparsevec <= '{1:1}/3', '{1:1}/3'::sparsevec >= '{1:2}/3';
SELECT sparsevec_cmp('{3:1}/3', '{1:1,2:1}/5');
SELECT sparsevec_cmp('{}/5', '{4:1}/5');
SELECT sparsevec_cmp('{}/3', '{4:1}/5');
SELECT sparsevec_cmp('{}/3', '{4:-1}/5');
SELECT sparsevec_cmp('{2:-1}/5', '{3:1}/5');

CREATE TABLE sv_order (v sparsevec);
INSERT INTO sv_order VALUES ('{1:1}/2'), ('{}/2'), ('{2:-1}/2'), ('{1:1}/1'),
  ('{}/1'), ('{1:-1,2:5}/2'), ('{2:1}/3'), (NULL);
SELECT v FROM sv_order ORDER BY v;
CREATE INDEX ON sv_order (v);
SET enable_seqscan = off;
SELECT v FROM sv_order WHERE v = '{2:-1}/2';
SELECT v FROM sv_order WHERE v < '{}/2' ORDER BY v;
RESET enable_seqscan;
SELECT count(DISTINCT v) FROM sv_order;
DROP TABLE sv_order;

-- Nearest neighbours by each operator
CREATE TABLE sv_items (id int, v sparsevec(4));
INSERT INTO sv_items VALUES (1, '{1:1}/4'), (2, '{2:1,3:1}/4'),
  (3, '{1:2,4:2}/4'), (4, '{}/4');
SELECT id FROM sv_items ORDER BY v <-> '{1:1,4:1}/4', id;
SELECT id FROM sv_items ORDER BY v <#> '{1:1,4:1}/4', id;
SELECT id FROM sv_items ORDER BY v <=> '{1:1,4:1}/4', id;
SELECT id FROM sv_items ORDER BY v <+> '{1:1,4:1}/4', id;
DROP TABLE sv_items;
