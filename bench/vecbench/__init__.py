"""vecbench: load vectors into PostgreSQL and measure vecindex queries.

Modules (reusable by the demo and by benchmark suites):

  datasets  -- where vectors come from: the Fashion-MNIST IDX files of
               Debian's dataset-fashion-mnist package, or a seeded synthetic
               clustered generator; both give float32 numpy arrays.
  pg        -- psycopg 3 helpers: numpy <-> `vector` adaptation, loading a
               table with COPY (binary, or text as a fallback), catalog checks.
  measure   -- k-NN query timing, latency statistics, recall@k.
  demo      -- the command line behind bench/demo (python3 -m vecbench.demo).

Only Debian packages are used: python3-numpy and python3-psycopg (run with
/usr/bin/python3; no pip).
"""

__all__ = ["datasets", "pg", "measure"]
