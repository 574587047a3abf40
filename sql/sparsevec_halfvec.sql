-- sparsevec_halfvec: the casts between sparsevec and halfvec.

SELECT castsource::regtype, casttarget::regtype, castcontext
FROM pg_cast
WHERE (castsource = 'sparsevec'::regtype AND casttarget = 'halfvec'::regtype)
   OR (castsource = 'halfvec'::regtype AND casttarget = 'sparsevec'::regtype)
ORDER BY 1::text;

-- halfvec -> sparsevec (implicit): zeros, +0 and -0, are not stored
SELECT '[0,1.5,-0,0,-65504]'::halfvec::sparsevec;
SELECT '[0,0]'::halfvec::sparsevec;
SELECT '[1,2,3]'::halfvec::sparsevec(3);
SELECT '[1,2,3]'::halfvec::sparsevec(2);
SELECT '{1:1,2:1}/2'::sparsevec <-> '[0,1]'::halfvec;

-- sparsevec -> halfvec (assignment): values rounded to half precision
SELECT '{2:1.5,5:-65504}/5'::sparsevec::halfvec;
SELECT '{}/3'::sparsevec::halfvec;
SELECT '{1:0.1,2:65519}/2'::sparsevec::halfvec;
SELECT '{1:1e-8,2:-1e-8}/2'::sparsevec::halfvec;
SELECT '{1:1}/3'::sparsevec::halfvec(3);
SELECT '{1:1}/3'::sparsevec::halfvec(2);
SELECT '{1:65520}/2'::sparsevec::halfvec;
SELECT '{2:-1e10}/2'::sparsevec::halfvec;
SELECT '{1:1}/16001'::sparsevec::halfvec;
CREATE TABLE sv_half (h halfvec(3));
INSERT INTO sv_half VALUES ('{3:7}/3'::sparsevec);
SELECT h FROM sv_half;
DROP TABLE sv_half;
