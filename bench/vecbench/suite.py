"""The vecindex benchmark suite (bench/run): build, recall, QPS, insert, vacuum.

    python3 -m vecbench.suite --dsn "host=... dbname=..." [options]

For one data set and one set of index options it measures, on the database
of --dsn (where CREATE EXTENSION vecindex must work):

  load       COPY of the base vectors (chunked; progress shown)
  build      CREATE INDEX ... USING hnsw, serial (max_parallel_maintenance_
             workers = 0); with --parallel-workers N also a parallel build;
             with --build-rounds N each N times, the median kept
  size       pg_relation_size of the index
  queries    for each hnsw.ef_search of the sweep, with 1 and 2 clients:
             queries/s, p50/p99 latency (client side), recall@k against exact
             ground truth (numpy brute force, cached under bench/cache/)
  floor      the same queries given the true k ids (WHERE id = ANY(...),
             primary key, no search), with each client count: the q/s of
             an index taking no time, which caps the q/s ratio (printed as
             "ratio ceiling") -- unless our scans spare the executor the
             TOAST fetch of the k rows (measure.floor_sql)
  filtered   with --filtered: WHERE <column> < s ORDER BY ... LIMIT k on the
             same index, for s = 1, 10, 50 (% of the rows) and each
             hnsw.iterative_scan (off, relaxed_order, strict_order) at one
             ef_search (40): rows returned, recall@k against the exact
             filtered answer (numpy), p50/p99 latency and queries/s, 1 client.
             The filter columns are loaded with the vectors: "category", a
             random rank independent of the vector, and "category_by_label",
             whole classes (Fashion-MNIST) or clusters (synthetic) first, so
             that the rows kept lie far from many queries
  insert     single-row INSERTs (one per transaction) into the built index
  vacuum     DELETE of 10% of the rows, then VACUUM (timed); recall after it

With --compare EXT (e.g. vector, for pgvector) every step also runs against
that extension in a second database of the same server (default: the first
database's name + "_" + EXT, created if missing), interleaved step by step
(load chunk ours/theirs, build ours then theirs -- alternated
--build-rounds times --, each ef_search ours then theirs, insert batches
alternating) so that both see the same machine noise;
each ef_search point alternates the engines --rounds times (default 3) and
reports the median q/s.
It prints a side-by-side table with ratios (ours / theirs), queries/s
interpolated at recall 0.95 and 0.99 on each curve, and the build-time and
index-size ratios.

Results: a JSON file and a recall-vs-queries/s plot (PNG) per run in
bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import multiprocessing
import os
import platform
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import datasets, measure, pg

BENCH_DIR = Path(__file__).resolve().parent.parent
TABLE = "items"
INDEX = "items_embedding_hnsw"
TRUTH_DEPTH = 100          # neighbours kept in the ground-truth cache
DEFAULT_EF = "10,20,40,80,120,200,400"
EF_SEARCH_MAX = 1000                 # hnsw.ef_search's maximum, both engines
RECALL_TARGETS = (0.95, 0.99)
FILTER_COLUMNS = {
    "category": "random rank, independent of the vector",
    "category_by_label": "labels in a random order, rows at random within a label: "
                         "a filter keeps whole classes/clusters first",
}
FILTER_SEED = 4
ITERATIVE_MODES = ("off", "relaxed_order", "strict_order")


def say(*args) -> None:
    print(*args, flush=True)


def fmt_s(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.2f}"


# ---------------------------------------------------------------- data

@dataclass
class Data:
    key: str                      # stable name for caches and file names
    title: str
    n: int
    dim: int
    queries: np.ndarray           # (nq, dim) float32
    extra: np.ndarray             # vectors for the insert step (ids n+1 ...)
    base: Optional[np.ndarray]    # filled while loading (kept for recall)
    chunks: object                # callable () -> iterator of (start, array)
    labels: Optional[np.ndarray] = None   # class / cluster of each base row


def _n_dim(spec: str, default_n: int, default_dim: int) -> Tuple[int, int]:
    """N and DIM of a spec KIND[:N[:DIM]]."""
    kind = spec.split(":")[0]
    parts = spec.split(":")
    try:
        n = int(parts[1]) if len(parts) > 1 else default_n
        dim = int(parts[2]) if len(parts) > 2 else default_dim
    except ValueError:
        raise SystemExit(f"bad data set {spec!r}: expected {kind}:N:DIM")
    if len(parts) > 3 or n < 1 or dim < 1:
        raise SystemExit(f"bad data set {spec!r}: expected {kind}:N:DIM")
    return n, dim


def parse_dataset(spec: str, nq: int, n_insert: int, chunk: int) -> Data:
    """fashion-mnist | synthetic:N:DIM | gaussian:N:DIM"""
    if spec == "fashion-mnist":
        if not datasets.fashion_mnist_available():
            raise SystemExit("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        base, labels = datasets.fashion_mnist("train")
        if nq + n_insert > 10000:
            raise SystemExit("fashion-mnist: --queries + --inserts must be at most 10000 "
                             "(the t10k images)")
        test, _ = datasets.fashion_mnist("t10k", nq + n_insert)
        return Data("fashion-mnist", "Fashion-MNIST (60,000 x 784)", len(base), base.shape[1],
                    test[:nq], test[nq:], base,
                    lambda: ((s, base[s:s + chunk]) for s in range(0, len(base), chunk)),
                    labels)
    if spec.split(":")[0] == "synthetic":
        n, dim = _n_dim(spec, 100000, 128)
        q = datasets.synthetic_clustered(nq, dim, stream=1)
        extra = datasets.synthetic_clustered(n_insert, dim, stream=2)
        return Data(f"synthetic-{n}x{dim}",
                    f"synthetic clustered ({n:,} x {dim}, 32 clusters, seed 42)",
                    n, dim, q, extra, None,
                    lambda: datasets.synthetic_clustered_chunks(n, dim, chunk=chunk, stream=0),
                    datasets.synthetic_clustered_labels(n, stream=0))
    if spec.split(":")[0] == "gaussian":
        n, dim = _n_dim(spec, 100000, 128)
        return Data(f"gaussian-{n}x{dim}",
                    f"i.i.d. Gaussian ({n:,} x {dim}, N(0, 1), seed 42)",
                    n, dim, datasets.gaussian(nq, dim, stream=1),
                    datasets.gaussian(n_insert, dim, stream=2), None,
                    lambda: datasets.gaussian_chunks(n, dim, chunk=chunk, stream=0))
    raise SystemExit(f"unknown data set {spec!r} (fashion-mnist, synthetic:N:DIM, "
                     "gaussian:N:DIM)")


# ---------------------------------------------------------------- ground truth

def _sqnorm(a: np.ndarray) -> np.ndarray:
    a64 = a.astype(np.float64)
    return np.einsum("ij,ij->i", a64, a64)


# Distances the ground truth ranks by, smallest first, for each metric:
# "l2" the squared Euclidean distance (ordered as <->), "ip" the negative
# inner product (<#>: the largest inner product first).
METRICS = ("l2", "ip")


def exact_sqdist(q: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Squared L2 distances of one query to rows x, in float64."""
    d = x.astype(np.float64) - q.astype(np.float64)
    return np.einsum("ij,ij->i", d, d)


def exact_dist(q: np.ndarray, x: np.ndarray, metric: str = "l2") -> np.ndarray:
    """The metric's distances (see METRICS) of one query to rows x, in float64."""
    if metric == "ip":
        return -(x.astype(np.float64) @ q.astype(np.float64))
    return exact_sqdist(q, x)


def brute_force(base: np.ndarray, queries: np.ndarray, depth: int,
                chunk: int = 20000, metric: str = "l2") -> Tuple[np.ndarray, np.ndarray]:
    """Exact top-`depth` neighbours of each query: (ids 1-based, distances
    float64 as exact_dist gives them), ascending.  Candidates come from a
    float32 matrix product (fast), then are re-ranked with float64
    distances (exact)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    nq = len(queries)
    cand = min(len(base), 2 * depth + 50)
    best_ids = np.zeros((nq, 0), dtype=np.int64)
    best_d = np.zeros((nq, 0), dtype=np.float32)
    qn = _sqnorm(queries).astype(np.float32)
    t0 = time.perf_counter()
    last = t0
    for start in range(0, len(base), chunk):
        x = base[start:start + chunk]
        if metric == "ip":
            d = -(queries @ x.T)
        else:
            d = qn[:, None] - 2.0 * (queries @ x.T) + _sqnorm(x).astype(np.float32)[None, :]
        ids = np.arange(start, start + len(x), dtype=np.int64)
        all_d = np.concatenate([best_d, d], axis=1)
        all_i = np.concatenate([best_ids, np.broadcast_to(ids, (nq, len(x)))], axis=1)
        kk = min(cand, all_d.shape[1])
        part = np.argpartition(all_d, kk - 1, axis=1)[:, :kk]
        best_d = np.take_along_axis(all_d, part, axis=1)
        best_ids = np.take_along_axis(all_i, part, axis=1)
        now = time.perf_counter()
        if now - last > 10:
            say(f"    ground truth: {start + len(x):,}/{len(base):,} base vectors "
                f"({now - t0:.0f} s)")
            last = now
    out_i = np.zeros((nq, min(depth, len(base))), dtype=np.int64)
    out_d = np.zeros(out_i.shape, dtype=np.float64)
    for i in range(nq):
        ex = exact_dist(queries[i], base[best_ids[i]], metric)
        order = np.lexsort((best_ids[i], ex))[:out_i.shape[1]]
        out_i[i] = best_ids[i][order] + 1
        out_d[i] = ex[order]
    return out_i, out_d


def ground_truth(data: Data, cache_dir: Path, depth: int = TRUTH_DEPTH,
                 rows: Optional[np.ndarray] = None, tag: str = "", metric: str = "l2"):
    """Exact neighbours of the queries among all base rows, or only among
    `rows` (ascending 0-based indices, e.g. those a filter keeps, or the
    rows a delete leaves; `tag` then names them in the cache file), by
    `metric` (METRICS).  Ids are the table's (1-based)."""
    hs = hashlib.sha1(data.queries.tobytes())
    if rows is not None:
        hs.update(np.asarray(rows, dtype=np.int64).tobytes())
    h = hs.hexdigest()[:12]
    path = cache_dir / (f"truth-{data.key}-q{len(data.queries)}-{h}{'-' + tag if tag else ''}"
                        f"{'' if metric == 'l2' else '-' + metric}-d{depth}.npz")
    what = "ground truth" + (f" ({tag})" if tag else "")
    if path.exists():
        z = np.load(path)
        say(f"  {what}: cached ({path.relative_to(BENCH_DIR.parent) if path.is_relative_to(BENCH_DIR.parent) else path})")
        return z["ids"], z["dist"]
    n = data.n if rows is None else len(rows)
    say(f"  {what}: numpy brute force, {len(data.queries):,} queries x "
        f"{n:,} vectors ...")
    t0 = time.perf_counter()
    if rows is None:
        ids, dist = brute_force(data.base, data.queries, depth, metric=metric)
    else:
        ids, dist = brute_force(data.base[rows], data.queries, depth, metric=metric)
        ids = np.asarray(rows, dtype=np.int64)[ids - 1] + 1
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, ids=ids, dist=dist)
    os.replace(tmp, path)
    say(f"  {what}: {time.perf_counter() - t0:.1f} s, cached in {path}")
    return ids, dist


def filter_categories(data: Data, columns: Sequence[str]) -> Dict[str, np.ndarray]:
    """Values 0..99 of the filter columns (see FILTER_COLUMNS), such that
    `column < s` keeps s% of the rows (exactly when the row count is a
    multiple of 100).  Both are reproducible (FILTER_SEED)."""
    n = data.n
    out: Dict[str, np.ndarray] = {}
    for col in columns:
        g = np.random.Generator(np.random.PCG64([FILTER_SEED, list(FILTER_COLUMNS).index(col)]))
        if col == "category":
            rank = g.permutation(n)
        else:
            if data.labels is None:
                raise SystemExit(f"{data.key}: no labels, so no column {col}")
            labels = np.asarray(data.labels, dtype=np.int64)
            position = g.permutation(int(labels.max()) + 1)     # label -> place in the order
            order = np.lexsort((g.random(n), position[labels]))
            rank = np.empty(n, dtype=np.int64)
            rank[order] = np.arange(n)
        out[col] = (rank * 100 // n).astype(np.int32)
    return out


class Recall:
    """recall@k with ties counted as hits (as ann-benchmarks does): a returned
    row is correct if its distance is at most the k-th true distance, by
    `metric` (METRICS; the truth's distances must be that metric's)."""

    def __init__(self, data: Data, truth_ids: np.ndarray, truth_d: np.ndarray, k: int,
                 metric: str = "l2"):
        self.data, self.k, self.metric = data, k, metric
        self.truth_ids, self.truth_d = truth_ids, truth_d
        self.threshold = truth_d[:, k - 1]
        self.extra_rows = 0                      # rows of data.extra in the table

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.empty((len(ids), self.data.dim), dtype=np.float32)
        b = ids <= self.data.n
        out[b] = self.data.base[ids[b] - 1]
        if (~b).any():
            out[~b] = self.data.extra[ids[~b] - self.data.n - 1]
        return out

    def __call__(self, found: Sequence[Sequence[int]], threshold=None) -> float:
        threshold = self.threshold if threshold is None else threshold
        hits = 0
        for i, f in enumerate(found):
            f = list(f)[:self.k]
            if not f:
                continue
            d = exact_dist(self.data.queries[i], self.vectors(f), self.metric)
            # a relative tolerance for float rounding (the inner product's
            # distances are negative, hence abs)
            hits += int(np.count_nonzero(d <= threshold[i] + abs(threshold[i]) * 1e-9 + 1e-9))
        return hits / (self.k * len(found))

    def after_delete(self, deleted) -> np.ndarray:
        """k-th true distance per query once rows with deleted(id) are gone
        and the first self.extra_rows insert vectors are in the table."""
        thr = np.empty(len(self.data.queries))
        extra_ids = np.arange(self.data.n + 1, self.data.n + 1 + self.extra_rows)
        keep_extra = extra_ids[~deleted(extra_ids)]
        for i, q in enumerate(self.data.queries):
            keep = ~deleted(self.truth_ids[i])
            d = self.truth_d[i][keep]
            if len(d) < self.k:
                raise RuntimeError("ground truth too shallow for the deletes")
            if len(keep_extra):
                d = np.concatenate([d, exact_dist(q, self.vectors(keep_extra), self.metric)])
            thr[i] = np.sort(d)[self.k - 1]
        return thr


# ---------------------------------------------------------------- engines

@dataclass
class Engine:
    label: str                 # "vecindex" or the compared extension's name
    ext: str
    dsn: str
    conn: psycopg.Connection = None
    extra_clients: List["ClientProcess"] = field(default_factory=list)
    version: str = ""
    notices: List[str] = field(default_factory=list)
    r: Dict = field(default_factory=dict)     # results

    def connect(self, n_clients: int) -> None:
        self.conn = self._open()
        self.conn.add_notice_handler(lambda d: self.notices.append(d.message_primary))
        self.conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
            sql.Identifier(self.ext)))
        pg.register_vector(self.conn)
        self.version = pg.extension_version(self.conn, self.ext) or "?"
        if not pg.has_access_method(self.conn, "hnsw"):
            raise SystemExit(f"{self.label}: no hnsw access method in {self.dsn}")
        self.extra_clients = [ClientProcess(self.dsn) for _ in range(max(0, n_clients - 1))]

    def _open(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)

    def x(self, query, params=None):
        return self.conn.execute(query, params)

    def one(self, query, params=None):
        return self.conn.execute(query, params).fetchone()[0]

    def close(self) -> None:
        for p in self.extra_clients:
            p.close()
        if self.conn is not None:
            self.conn.close()


def compare_dsn(base_dsn: str, conn: psycopg.Connection, ext: str) -> str:
    """DSN of the comparison database: same server, database <ours>_<ext>;
    created (from our connection) if it does not exist."""
    db = conn.info.dbname + "_" + ext
    if not conn.execute("SELECT EXISTS (SELECT FROM pg_database WHERE datname = %s)",
                        (db,)).fetchone()[0]:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    d = conninfo_to_dict(base_dsn)
    d["dbname"] = db
    return make_conninfo(**d)


class Monitor:
    """Polls a progress view from its own connection while a long statement
    runs, printing a line every `every` seconds."""

    def __init__(self, dsn: str, kind: str, label: str, every: float = 10.0):
        self.dsn, self.kind, self.label, self.every = dsn, kind, label, every
        self.stop = threading.Event()
        self.max_workers = 0
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def run(self) -> None:
        try:
            conn = psycopg.connect(self.dsn, autocommit=True)
        except psycopg.Error:
            return
        last = time.perf_counter()
        with conn:
            while not self.stop.wait(1.0):
                try:
                    w = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                        "'parallel worker' AND datname = current_database()").fetchone()[0]
                    self.max_workers = max(self.max_workers, w)
                    now = time.perf_counter()
                    if now - last < self.every:
                        continue
                    last = now
                    if self.kind == "index":
                        row = conn.execute(
                            "SELECT phase, tuples_done, tuples_total FROM "
                            "pg_stat_progress_create_index WHERE datname = current_database()"
                        ).fetchone()
                        if row:
                            tot = f"/{row[2]:,}" if row[2] else ""
                            say(f"    {self.label}: {now - self.t0:.0f} s, {row[0]}, "
                                f"{row[1]:,}{tot} tuples" + (f", {w} workers" if w else ""))
                    else:
                        row = conn.execute(
                            "SELECT phase, heap_blks_scanned, heap_blks_total, "
                            "index_vacuum_count FROM pg_stat_progress_vacuum "
                            "WHERE datname = current_database()").fetchone()
                        if row:
                            say(f"    {self.label}: {now - self.t0:.0f} s, {row[0]} "
                                f"(heap {row[1]:,}/{row[2]:,} blocks)")
                except psycopg.Error:
                    return


# ---------------------------------------------------------------- queries

def set_ef(conn: psycopg.Connection, ef: int) -> None:
    conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(ef),))


def vector_params(vectors: np.ndarray) -> List[Tuple]:
    """The parameters of knn_sql for each query vector."""
    return [(v,) for v in vectors]


class ClientProcess:
    """A client beyond the first: a process of its own (forked while the
    parent holds no statement in progress) with one connection kept for the
    whole run, as the first client's is, so each backend's caches stay warm
    as they do for an application's pooled connections.  Not a thread: the
    threads of one Python process share its interpreter lock, and once the
    server's part of a query is a few tenths of a millisecond the client
    work the lock serializes (building the parameters, reading the rows)
    capped what two clients measured."""

    def __init__(self, dsn: str):
        ctx = multiprocessing.get_context("fork")
        self.pipe, child = ctx.Pipe()
        self.proc = ctx.Process(target=_client_main, args=(dsn, child), daemon=True)
        self.proc.start()
        child.close()
        # a connection that fails fails here, not after the load and build
        reply = self.pipe.recv()
        if reply[0] != "connected":
            self.proc.join(10)
            raise SystemExit(f"a client process could not connect: {reply[1]}")

    def close(self) -> None:
        try:
            self.pipe.send(None)
        except OSError:
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()


def _client_main(dsn: str, pipe) -> None:
    """A ClientProcess: runs the jobs run_clients sends until told to stop."""
    try:
        conn = psycopg.connect(dsn, autocommit=True)
        pg.register_vector(conn)
    except Exception as ex:  # noqa: BLE001 - reported by the parent
        pipe.send(("error", f"{type(ex).__name__}: {ex}"))
        return
    pipe.send(("connected",))
    while True:
        job = pipe.recv()
        if job is None:
            break
        text, params, ef, warmup, passes = job
        try:
            set_ef(conn, ef)
            with conn.cursor() as cur:
                _untimed(cur, text, params[:warmup])
                pipe.send(("ready",))
                go = pipe.recv()
                if go is None:
                    break
                if go != "go":
                    continue
                ids, lat = _timed_loop(cur, text, params, passes)
            pipe.send(("done", ids, lat))
        except Exception as ex:  # noqa: BLE001 - reported by the parent
            pipe.send(("error", f"{type(ex).__name__}: {ex}"))
    conn.close()


def _untimed(cur, query, params: Sequence[Tuple]) -> None:
    """Runs the query once per parameter tuple, untimed (warm-up)."""
    for prm in params:
        cur.execute(query, prm, prepare=True)
        cur.fetchall()


def _timed_loop(cur, query, params: Sequence[Tuple], passes: int):
    """Each parameter tuple `passes` times: (ids of the first pass,
    latencies [pass, i] in seconds)."""
    ids: List[List[int]] = []
    lat = np.zeros((passes, len(params)))
    for p in range(passes):
        for j, prm in enumerate(params):
            t0 = time.perf_counter()
            cur.execute(query, prm, prepare=True)
            rows = cur.fetchall()
            lat[p, j] = time.perf_counter() - t0
            if p == 0:
                ids.append([r[0] for r in rows])
    return ids, lat


def run_clients(e: Engine, query, params: Sequence[Tuple], ef: int, clients: int,
                warmup: int, passes: int = 1) -> Tuple[List[List[int]], np.ndarray, float]:
    """Runs the query with every parameter tuple `passes` times, split over
    `clients` connections running concurrently: the first in this process,
    the others in their ClientProcess.  Returns (ids per query, latency of
    every execution in seconds, wall-clock seconds of the timed part)."""
    others = e.extra_clients[:clients - 1]
    nq = len(params)
    # client i runs the queries i, i + n, i + 2n, ... (this process is 0)
    shares = [list(range(i, nq, 1 + len(others))) for i in range(1 + len(others))]
    ids: List[Optional[List[int]]] = [None] * nq
    lat = np.zeros((passes, nq))
    text = query.as_string(e.conn) if isinstance(query, sql.Composable) else query
    for c, share in zip(others, shares[1:]):
        c.pipe.send((text, [params[j] for j in share], ef, warmup, passes))
    set_ef(e.conn, ef)
    mine = shares[0]
    with e.conn.cursor() as cur:
        _untimed(cur, text, [params[j] for j in mine[:warmup]])
        replies = [c.pipe.recv() for c in others]
        errors = [r[1] for r in replies if r[0] == "error"]
        for c, r in zip(others, replies):
            if r[0] == "ready":
                c.pipe.send("go" if not errors else "stop")
        if errors:
            raise RuntimeError("a client process failed: " + errors[0])
        t0 = time.perf_counter()
        my_ids, my_lat = _timed_loop(cur, text, [params[j] for j in mine], passes)
        results = [("done", my_ids, my_lat)] + [c.pipe.recv() for c in others]
        wall = time.perf_counter() - t0
    for share, r in zip(shares, results):
        if r[0] != "done":
            raise RuntimeError("a client process failed: " + r[1])
        for k, j in enumerate(share):
            ids[j] = r[1][k]
            lat[:, j] = r[2][:, k]
    return ids, lat.ravel(), wall


def timed_queries(e: Engine, query, params: Sequence[Tuple], ef: int, clients: int,
                  warmup: int, min_seconds: float):
    """run_clients, repeated (more passes over the queries) until at least
    min_seconds of timed work: returns (ids of the first pass, latencies,
    queries per second over all passes)."""
    ids, lat, wall = run_clients(e, query, params, ef, clients, warmup)
    n = len(params)
    if 0 < wall < min_seconds:
        more = math.ceil((min_seconds - wall) / wall)
        _, lat2, wall2 = run_clients(e, query, params, ef, clients, 0, more)
        lat = np.concatenate([lat, lat2])
        wall += wall2
        n += more * len(params)
    return ids, lat, n / wall


def at_recall(points: Sequence[Dict], target: float) -> Tuple[Optional[float], str]:
    """Queries/s at recall `target`, interpolated on the Pareto frontier of
    (recall, qps) points (log qps linear in recall between the two frontier
    points around the target).  Returns (qps, note): note "" when
    interpolated, ">=" when even the fastest point is above the target (the
    value is then that point's qps, a lower bound), "n/a" when no point
    reaches the target."""
    pts = sorted(((p["recall"], p["qps"]) for p in points), key=lambda t: (-t[0], -t[1]))
    front: List[Tuple[float, float]] = []
    for rc, q in pts:                       # recall descending
        if not front or q > front[-1][1]:
            front.append((rc, q))
    front.reverse()                         # recall ascending, qps descending
    if not front or front[-1][0] < target:
        return None, "n/a"
    if front[0][0] >= target:
        return front[0][1], ">="
    for (r0, q0), (r1, q1) in zip(front, front[1:]):
        if r0 < target <= r1:
            t = (target - r0) / (r1 - r0)
            return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0))), ""
    return None, "n/a"


# ---------------------------------------------------------------- steps

def step_load(engines: List[Engine], data: Data,
              cats: Optional[Dict[str, np.ndarray]] = None, vtype: str = "vector") -> None:
    """COPY of the base vectors, with the filter columns of `cats` if any
    (loaded with the rows: filling them in later would update every row);
    with vtype halfvec, the column then becomes halfvec (queries and inserts
    pass vectors, cast to halfvec as pgvector's documentation does)."""
    cats = cats or {}
    say(f"\n== Load: {data.title}" + (f"; columns {', '.join(cats)}" if cats else ""))
    for e in engines:
        pg.create_table(e.conn, TABLE, data.dim)
        for col in cats:
            e.x(sql.SQL("ALTER TABLE {} ADD COLUMN {} integer").format(
                sql.Identifier(TABLE), sql.Identifier(col)))
        # No autovacuum: it could vacuum the deletes before the timed VACUUM.
        e.x(sql.SQL("ALTER TABLE {} SET (autovacuum_enabled = false)").format(
            sql.Identifier(TABLE)))
        e.r["load_seconds"] = 0.0
    keep = data.base is None
    parts = []
    t_start = time.perf_counter()
    last = t_start
    done = 0
    for i, (start, chunk) in enumerate(data.chunks()):
        if keep:
            parts.append(chunk)
        # alternate which engine loads a chunk first, as the other steps do
        for e in (engines if i % 2 == 0 else engines[::-1]):
            t0 = time.perf_counter()
            pg.copy_vectors(e.conn, TABLE, chunk, first_id=start + 1,
                            columns=["id", "embedding"] + list(cats),
                            ints=[c[start:start + len(chunk)] for c in cats.values()])
            e.r["load_seconds"] += time.perf_counter() - t0
        done = start + len(chunk)
        now = time.perf_counter()
        if now - last > 10 or done == data.n:
            say(f"    {done:,}/{data.n:,} rows ({100 * done / data.n:.0f}%), {now - t_start:.0f} s")
            last = now
    if keep:
        data.base = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if vtype != "vector":
        for e in engines:
            t0 = time.perf_counter()
            e.x(sql.SQL("ALTER TABLE {} ALTER COLUMN embedding TYPE {}").format(
                sql.Identifier(TABLE), sql.SQL(f"{vtype}({data.dim})")))
            e.r["load_seconds"] += time.perf_counter() - t0
    for e in engines:
        t0 = time.perf_counter()
        e.x(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(TABLE)))
        e.r["vacuum_analyze_seconds"] = time.perf_counter() - t0
        e.r["table_bytes"] = e.one("SELECT pg_table_size(%s::regclass)", (TABLE,))
        say(f"  {e.label:>10}: COPY {e.r['load_seconds']:.2f} s "
            f"({data.n / e.r['load_seconds']:,.0f} rows/s), VACUUM ANALYZE "
            f"{e.r['vacuum_analyze_seconds']:.2f} s, table {e.r['table_bytes'] / 2**20:,.0f} MB")


def build_index(e: Engine, opts: str, workers: int, opclass: str) -> Tuple[float, int, int]:
    e.x(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(INDEX)))
    e.x("CHECKPOINT")
    if workers > 0:
        e.x(sql.SQL("ALTER TABLE {} SET (parallel_workers = {})").format(
            sql.Identifier(TABLE), sql.Literal(workers)))
    else:
        e.x(sql.SQL("ALTER TABLE {} RESET (parallel_workers)").format(sql.Identifier(TABLE)))
    e.x("SELECT set_config('max_parallel_maintenance_workers', %s, false)", (str(workers),))
    stmt = sql.SQL("CREATE INDEX {} ON {} USING hnsw (embedding " + opclass + ") WITH ("
                   + opts + ")").format(sql.Identifier(INDEX), sql.Identifier(TABLE))
    n0 = len(e.notices)
    with Monitor(e.dsn, "index", f"{e.label} build") as mon:
        t0 = time.perf_counter()
        e.x(stmt)
        dt = time.perf_counter() - t0
    for msg in e.notices[n0:]:
        say(f"    {e.label} NOTICE: {msg}")
    size = e.one("SELECT pg_relation_size(%s::regclass)", (INDEX,))
    return dt, size, mon.max_workers


def step_build(engines: List[Engine], a, opts: str) -> None:
    say(f"\n== Build: CREATE INDEX ... USING hnsw (embedding {a.type}_l2_ops) WITH ({opts})")
    mwm = engines[0].one("SHOW maintenance_work_mem")
    say(f"  maintenance_work_mem = {mwm}")
    runs = []
    if a.parallel_workers:
        runs.append(("parallel", a.parallel_workers))
    if a.low_memory_build:
        runs.append(("lowmem", 0))
    runs.append(("serial", 0))           # last: the index the queries use
    for kind, w in runs:
        times: Dict[str, List[float]] = {e.label: [] for e in engines}
        # --build-rounds alternations, ours first in even rounds, as the queries
        for r in range(a.build_rounds):
            for e in (engines if r % 2 == 0 else engines[::-1]):
                say(f"  {e.label}: {kind} build" + (f" ({w} workers requested)" if w else "")
                    + (f" (maintenance_work_mem {a.low_memory_build})" if kind == "lowmem" else "")
                    + (f", round {r + 1}/{a.build_rounds}" if a.build_rounds > 1 else "")
                    + " ...")
                e.x("SELECT set_config('maintenance_work_mem', %s, false)",
                    (a.low_memory_build if kind == "lowmem" else mwm,))
                dt, size, seen = build_index(e, opts, w, f"{a.type}_l2_ops")
                times[e.label].append(dt)
                e.r[f"index_bytes_{kind}"] = size
                if w:
                    e.r["parallel_workers_seen"] = seen
                say(f"  {e.label:>10}: {kind} build {dt:.2f} s ({e.r.get('rows', 0) / dt:,.0f} rows/s), "
                    f"index {size / 2**20:,.1f} MB" + (f", {seen} parallel workers seen" if w else ""))
        for e in engines:
            e.r[f"build_{kind}_seconds"] = float(np.median(times[e.label]))
            e.r[f"build_{kind}_seconds_rounds"] = times[e.label]
        if a.build_rounds > 1:
            say(f"  {kind} build, median of {a.build_rounds}: " + "   ".join(
                f"{e.label} {e.r[f'build_{kind}_seconds']:.2f} s" for e in engines))
    for e in engines:
        e.r["index_bytes"] = e.r["index_bytes_serial"]
        e.r["build_notices"] = list(e.notices)


def prewarm(engines: List[Engine]) -> None:
    for e in engines:
        try:
            e.x("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            e.x("SELECT pg_prewarm(%s::regclass), pg_prewarm(%s::regclass)", (TABLE, INDEX))
        except psycopg.Error as ex:
            say(f"  {e.label}: pg_prewarm not available ({ex.diag.message_primary}); "
                "warm-up queries only")


def n_clients(a) -> int:
    return max(a.clients)


def alternated(engines: List[Engine], a, query, params: Sequence[Tuple], ef: int,
               clients: int) -> Dict[str, List]:
    """timed_queries for each engine in --rounds alternations (ours first
    in even rounds, theirs first in odd ones), --min-seconds split between
    them, so that a slow spell of a shared machine lands on both engines or
    is outvoted by the median (rounds_stats).  Returns each engine's rounds
    by label."""
    runs: Dict[str, List] = {e.label: [] for e in engines}
    for r in range(a.rounds):
        for e in (engines if r % 2 == 0 else engines[::-1]):
            runs[e.label].append(timed_queries(e, query, params, ef, clients, a.warmup,
                                               a.min_seconds / a.rounds))
    return runs


def rounds_stats(rounds: List) -> Dict:
    """Median q/s over the rounds of alternated (all of them in
    qps_rounds) and the latency percentiles over all their executions."""
    st = measure.latency_stats(np.concatenate([lat for _, lat, _ in rounds]))
    return {"qps": float(np.median([q for _, _, q in rounds])),
            "qps_rounds": [q for _, _, q in rounds],
            "p50_ms": st["p50_ms"], "p99_ms": st["p99_ms"], "mean_ms": st["mean_ms"],
            "executions": st["count"]}


def step_floor(engines: List[Engine], data: Data, recall: Recall, a) -> None:
    """The k-NN query with the search taken away (measure.floor_sql given
    the true k ids): how fast the query could be with an index that took
    no time, on the same client, protocol and executor.  Together with the
    other engine's q/s it caps the q/s ratio at any recall, as long as the
    executor fetches the k rows' vectors itself (measure.floor_sql).
    Measured with each client count of the sweep, so each has its
    ceiling."""
    query = measure.floor_sql(TABLE, a.k)
    params = [("{" + ",".join(str(int(i)) for i in recall.truth_ids[j, :a.k]) + "}", v)
              for j, v in enumerate(data.queries)]
    for e in engines:
        plan = [r[0] for r in e.conn.execute(
            sql.Composed([sql.SQL("EXPLAIN (COSTS OFF) "), query]), params[0]).fetchall()]
        e.r["floor_plan"] = plan
        if any(INDEX in line for line in plan):
            say(f"  WARNING: {e.label}'s floor query searches the hnsw index:\n    "
                + "\n    ".join(plan))
    for e in engines:
        e.r["floors"] = []
    for c in a.clients:
        runs = alternated(engines, a, query, params, min(a.ef_search), c)
        for e in engines:
            e.r["floors"].append({"clients": c, **rounds_stats(runs[e.label])})
        say(f"  floor (the true {a.k} rows by id, no search), {c} client{'s' if c > 1 else ' '}  "
            + "   ".join(f"{e.label}: {e.r['floors'][-1]['qps']:8,.0f} q/s "
                         f"p50 {e.r['floors'][-1]['p50_ms']:.2f} ms" for e in engines))
    for e in engines:
        # "floor" stays the one-client figure (when measured), as before
        e.r["floor"] = next((f for f in e.r["floors"] if f["clients"] == 1), e.r["floors"][0])


def step_queries(engines: List[Engine], data: Data, recall: Recall, a) -> None:
    nq = len(data.queries)
    say(f"\n== Queries: {nq:,} queries, k = {a.k}, ef_search {a.ef_search}, "
        f"clients {','.join(map(str, a.clients))}")
    query = measure.knn_sql(TABLE, a.k)
    params = vector_params(data.queries)
    prewarm(engines)
    for e in engines:
        # A first untimed pass at the largest ef_search warms caches and the
        # plan cache of every connection.
        t0 = time.perf_counter()
        run_clients(e, query, params, max(a.ef_search), n_clients(a), 0)
        say(f"  {e.label}: warm-up pass at ef_search {max(a.ef_search)}: "
            f"{time.perf_counter() - t0:.1f} s")
        e.r["sweep"] = []
        e.r["plan"] = measure.explain(e.conn, query, data.queries[0])
        if not any("Index Scan" in line and INDEX in line for line in e.r["plan"]):
            say(f"  WARNING: {e.label} does not use the index:\n    " + "\n    ".join(e.r["plan"]))
    def sweep_point(ef: int) -> None:
        for c in a.clients:
            runs = alternated(engines, a, query, params, ef, c)
            for e in engines:
                mine = runs[e.label]
                e.r["sweep"].append({"ef_search": ef, "clients": c, "recall": recall(mine[0][0]),
                                     **rounds_stats(mine)})
            say(f"  ef {ef:4d} {c} client{'s' if c > 1 else ' '}  " + "   ".join(
                f"{e.label}: recall {e.r['sweep'][-1]['recall']:.4f} "
                f"{e.r['sweep'][-1]['qps']:8,.0f} q/s p50 {e.r['sweep'][-1]['p50_ms']:.2f} "
                f"p99 {e.r['sweep'][-1]['p99_ms']:.2f} ms" for e in engines))

    for ef in a.ef_search:
        sweep_point(ef)
    # The matched-recall table reads our curve at the other engine's
    # points: if ours ends below its best recall, that point has no match.
    # Go on, both engines, doubling ef_search.
    a.ef_search_added = []
    ef = max(a.ef_search)
    while a.extend_sweep and len(engines) > 1 and ef < EF_SEARCH_MAX:
        best = [max(p["recall"] for p in e.r["sweep"]) for e in engines]
        if best[0] >= max(best[1:]):
            break
        ef = min(2 * ef, EF_SEARCH_MAX)
        say(f"  best recall so far {' / '.join(f'{b:.4f}' for b in best)}: "
            f"the sweep goes on at ef_search {ef}")
        sweep_point(ef)
        a.ef_search_added.append(ef)
    for e in engines:
        e.r["qps_at_recall"] = {}
        for c in a.clients:
            pts = [p for p in e.r["sweep"] if p["clients"] == c]
            for t in RECALL_TARGETS:
                q, note = at_recall(pts, t)
                e.r["qps_at_recall"][f"{t}/{c}"] = {"qps": q, "note": note}
    step_floor(engines, data, recall, a)


def filtered_sql(column: str, pct: int, k: int) -> sql.Composed:
    return sql.SQL("SELECT id FROM {} WHERE {} < {} ORDER BY embedding <-> %s LIMIT {}").format(
        sql.Identifier(TABLE), sql.Identifier(column), sql.Literal(int(pct)), sql.Literal(int(k)))


def short_plan(plan: Sequence[str]) -> List[str]:
    """EXPLAIN lines with the query vector's literal elided."""
    return [re.sub(r"'\[[^]]*\]'", "'[...]'", line) for line in plan]


def uses_index(plan: Sequence[str]) -> bool:
    return any("Index Scan" in line and INDEX in line for line in plan)


def step_filtered(engines: List[Engine], data: Data, recall: Recall,
                  cats: Dict[str, np.ndarray], a) -> None:
    """Filtered k-NN on the index the sweep used: for each filter column,
    selectivity and hnsw.iterative_scan mode, one client at ef_search
    a.filtered_ef.  enable_seqscan is off so that every engine uses its hnsw
    index (at 1% a planner may prefer the exact sequential scan); whether it
    would have anyway is recorded (default_plan_uses_index)."""
    ef, k, nq = a.filtered_ef, a.k, len(data.queries)
    params = vector_params(data.queries)
    say(f"\n== Filtered: WHERE <column> < s ORDER BY embedding <-> q LIMIT {k}, {nq:,} queries, "
        f"ef_search {ef}, 1 client, enable_seqscan off; s = "
        f"{', '.join(f'{p}%' for p in a.filtered_pct)}; hnsw.iterative_scan "
        f"{', '.join(ITERATIVE_MODES)}")
    for e in engines:
        e.r["filtered"] = []
        e.r["filtered_settings"] = {g: e.one(sql.SQL("SHOW {}").format(
            sql.Identifier(*g.split(".")))) for g in
            ("hnsw.max_scan_tuples", "hnsw.scan_mem_multiplier", "work_mem")}
    for col in cats:
        for pct in a.filtered_pct:
            mask = cats[col] < pct
            kept = int(np.count_nonzero(mask))
            if kept < k:
                say(f"  {col} < {pct}: only {kept} rows match, fewer than k = {k}; skipped")
                continue
            _, t_d = ground_truth(data, Path(a.cache_dir), k, np.flatnonzero(mask),
                                  f"{col}-lt{pct}")
            thr = t_d[:, k - 1]
            query = filtered_sql(col, pct, k)
            for e in engines:
                e.x("RESET enable_seqscan")
                default_plan = measure.explain(e.conn, query, data.queries[0], analyze=False)
                e.x("SET enable_seqscan = off")
                plan = measure.explain(e.conn, query, data.queries[0], analyze=False)
                e.r.setdefault("filtered_plans", {})[f"{col}<{pct}"] = {
                    "default_plan_uses_index": uses_index(default_plan),
                    "default_plan": short_plan(default_plan), "plan": short_plan(plan)}
                if not uses_index(default_plan):
                    say(f"  note: with enable_seqscan on, {e.label} would not use the index "
                        f"for {col} < {pct}")
                if not uses_index(plan):
                    say(f"  WARNING: {e.label} does not use the index for {col} < {pct}:\n    "
                        + "\n    ".join(plan))
            for mode in ITERATIVE_MODES:
                for e in engines:
                    e.x("SELECT set_config('hnsw.iterative_scan', %s, false)", (mode,))
                    ids, lat, qps = timed_queries(e, query, params, ef, 1, a.warmup,
                                                  a.min_seconds)
                    st = measure.latency_stats(lat)
                    got = np.array([len(f) for f in ids])
                    bad = sum(int(np.count_nonzero(cats[col][np.asarray(f, dtype=np.int64) - 1]
                                                   >= pct)) for f in ids if f)
                    if bad:
                        say(f"  ERROR: {e.label} returned {bad} rows with {col} >= {pct}")
                    e.r["filtered"].append({
                        "column": col, "pct": pct, "rows_kept": kept, "mode": mode,
                        "ef_search": ef, "rows": float(got.mean()),
                        "short_queries": int(np.count_nonzero(got < k)),
                        "recall": recall(ids, thr), "qps": qps, "p50_ms": st["p50_ms"],
                        "p99_ms": st["p99_ms"], "mean_ms": st["mean_ms"],
                        "executions": st["count"], "wrong_rows": bad})
                say(f"  {col} < {pct:<3} {mode:<14}" + "   ".join(
                    f"{e.label}: rows {p['rows']:5.2f} recall {p['recall']:.4f} "
                    f"{p['qps']:7,.0f} q/s p50 {p['p50_ms']:.2f} p99 {p['p99_ms']:.2f} ms"
                    for e in engines for p in e.r["filtered"][-1:]))
    for e in engines:
        e.x("RESET hnsw.iterative_scan")
        e.x("RESET enable_seqscan")


def step_insert(engines: List[Engine], data: Data, recall: Recall, a) -> None:
    n = min(a.inserts, len(data.extra))
    if n <= 0:
        return
    say(f"\n== Insert: {n:,} single-row INSERTs per extension (one transaction each), "
        f"alternating batches of {a.insert_batch}")
    stmt = sql.SQL("INSERT INTO {} (id, embedding) VALUES (%s, %s)").format(sql.Identifier(TABLE))
    for e in engines:
        e.r["insert_seconds"] = 0.0
    t_start = time.perf_counter()
    last = t_start
    for s in range(0, n, a.insert_batch):
        for e in engines:
            with e.conn.cursor() as cur:
                t0 = time.perf_counter()
                for j in range(s, min(n, s + a.insert_batch)):
                    cur.execute(stmt, (data.n + 1 + j, data.extra[j]), prepare=True)
                e.r["insert_seconds"] += time.perf_counter() - t0
        now = time.perf_counter()
        if now - last > 10:
            say(f"    {min(n, s + a.insert_batch):,}/{n:,} rows, {now - t_start:.0f} s")
            last = now
    recall.extra_rows = n
    for e in engines:
        e.r["inserts"] = n
        e.r["insert_rows_per_second"] = n / e.r["insert_seconds"]
        e.r["index_bytes_after_insert"] = e.one("SELECT pg_relation_size(%s::regclass)", (INDEX,))
        say(f"  {e.label:>10}: {n / e.r['insert_seconds']:,.0f} rows/s "
            f"({1000 * e.r['insert_seconds'] / n:.2f} ms per INSERT)")


def step_vacuum(engines: List[Engine], data: Data, recall: Recall, a) -> None:
    mod = a.delete_every
    say(f"\n== Vacuum: DELETE rows with id % {mod} = 0 ({100 / mod:.0f}%), then VACUUM")
    for e in engines:
        t0 = time.perf_counter()
        cnt = e.x(sql.SQL("DELETE FROM {} WHERE id % {} = 0").format(
            sql.Identifier(TABLE), sql.Literal(mod))).rowcount
        e.r["delete_seconds"] = time.perf_counter() - t0
        e.r["deleted_rows"] = cnt
        with Monitor(e.dsn, "vacuum", f"{e.label} vacuum"):
            t0 = time.perf_counter()
            e.x(sql.SQL("VACUUM {}").format(sql.Identifier(TABLE)))
            e.r["vacuum_seconds"] = time.perf_counter() - t0
        e.r["index_bytes_after_vacuum"] = e.one("SELECT pg_relation_size(%s::regclass)", (INDEX,))
        say(f"  {e.label:>10}: DELETE {cnt:,} rows {e.r['delete_seconds']:.2f} s, "
            f"VACUUM {e.r['vacuum_seconds']:.2f} s")
    # Is the graph still good?  Recall at one ef_search, new ground truth.
    thr = recall.after_delete(lambda ids: np.asarray(ids) % mod == 0)
    query = measure.knn_sql(TABLE, a.k)
    ef = a.post_vacuum_ef
    for e in engines:
        ids, lat, qps = timed_queries(e, query, vector_params(data.queries), ef, 1, a.warmup,
                                      a.min_seconds)
        before = next((p["recall"] for p in e.r["sweep"]
                       if p["ef_search"] == ef and p["clients"] == 1), None)
        e.r["after_vacuum"] = {"ef_search": ef, "recall": recall(ids, thr),
                               "recall_before": before, "qps": qps}
        if any(i % mod == 0 for row in ids for i in row):
            e.r["after_vacuum"]["deleted_rows_returned"] = True
            say(f"  ERROR: {e.label} returned deleted rows after VACUUM")
        av = e.r["after_vacuum"]
        say(f"  {e.label:>10}: after VACUUM, ef_search {ef}: recall {av['recall']:.4f} "
            f"(before deletes {'-' if before is None else f'{before:.4f}'}), "
            f"{av['qps']:,.0f} q/s")


# ---------------------------------------------------------------- report

def ratio(x, y) -> str:
    if x is None or y is None or y == 0:
        return "-"
    return f"{x / y:.2f}"


def matched_recall_lines(ours: Engine, other: Engine, clients, out) -> None:
    """For each sweep point of `other`, our q/s at the same recall
    (interpolated on our curve as at_recall does) and the ratio: the
    comparison at matched recall, for curves that never reach the fixed
    recall targets (large synthetic sets)."""
    out("")
    out(f"== At matched recall: {ours.label} q/s interpolated at each {other.label} point")
    out(f"{'clients':>7}{'ef':>6}{'recall':>9}{'q/s ' + other.label[:8]:>14}"
        f"{'q/s ' + ours.label[:8]:>14}{'ratio':>8}")
    for c in clients:
        mine = [p for p in ours.r["sweep"] if p["clients"] == c]
        for p in (p for p in other.r["sweep"] if p["clients"] == c):
            q, note = at_recall(mine, p["recall"])
            if q is None:
                out(f"{c:>7}{p['ef_search']:>6}{p['recall']:>9.4f}{p['qps']:>14,.0f}"
                    f"{'n/a':>14}{'-':>8}   ({ours.label} never reaches this recall)")
                continue
            lb = " (>=: lower bound)" if note == ">=" else ""
            out(f"{c:>7}{p['ef_search']:>6}{p['recall']:>9.4f}{p['qps']:>14,.0f}"
                f"{q:>14,.0f}{q / p['qps']:>8.2f}{lb}")


def print_report(engines: List[Engine], a) -> List[str]:
    lines: List[str] = []
    out = lines.append
    ours = engines[0]
    other = engines[1] if len(engines) > 1 else None
    names = [e.label for e in engines]
    w = max(12, max(len(n) for n in names) + 2)
    out("")
    out("== Summary" + (f"  (ratio = {ours.label} / {other.label})" if other else ""))
    hdr = f"{'':34}" + "".join(f"{n:>{w}}" for n in names) + (f"{'ratio':>{w}}" if other else "")
    out(hdr)

    def row(title, key_or_fn, fmt="{:.2f}"):
        vals = []
        for e in engines:
            v = key_or_fn(e) if callable(key_or_fn) else e.r.get(key_or_fn)
            vals.append(v)
        cells = "".join(f"{('-' if v is None else fmt.format(v)):>{w}}" for v in vals)
        out(f"{title:34}" + cells + (f"{ratio(vals[0], vals[1]):>{w}}" if other else ""))

    row("load: COPY (s)", "load_seconds")
    if a.parallel_workers:
        row(f"build, parallel {a.parallel_workers} workers (s)", "build_parallel_seconds")
    row("build, serial (s)", "build_serial_seconds")
    if a.low_memory_build:
        row(f"build, serial, mwm {a.low_memory_build} (s)", "build_lowmem_seconds")
        row("  that / in-memory serial build", lambda e: e.r["build_lowmem_seconds"]
            / e.r["build_serial_seconds"])
    row("index size (MB)", lambda e: e.r.get("index_bytes", 0) / 2**20, "{:.1f}")
    for c in a.clients:
        for t in RECALL_TARGETS:
            def f(e, t=t, c=c):
                return e.r["qps_at_recall"][f"{t}/{c}"]["qps"]
            notes = [e.r["qps_at_recall"][f"{t}/{c}"]["note"] for e in engines]
            flag = " (>= : lower bound)" if ">=" in notes else ""
            row(f"q/s at recall {t}, {c} client{'s' if c > 1 else ''}" + flag, f, "{:,.0f}")
    row("best recall in sweep", lambda e: max(p["recall"] for p in e.r["sweep"]), "{:.4f}")
    for i, c in enumerate(a.clients):
        row(f"floor q/s (no search), {c} client{'s' if c > 1 else ''}",
            lambda e, i=i: e.r["floors"][i]["qps"], "{:,.0f}")
        if other:
            # The most our q/s could be (an index taking no time) over
            # theirs: the ratio no index could beat at that recall, as
            # long as the executor fetches the k rows' vectors itself
            # (measure.floor_sql).
            for t in RECALL_TARGETS:
                theirs = other.r["qps_at_recall"][f"{t}/{c}"]["qps"]
                out(f"{'  ratio ceiling, recall ' + str(t):34}"
                    f"{'':>{w * 2}}{ratio(ours.r['floors'][i]['qps'], theirs):>{w}}")
    if other:
        matched_recall_lines(ours, other, a.clients, out)
    if "insert_rows_per_second" in ours.r:
        row("single-row INSERT (rows/s)", "insert_rows_per_second", "{:,.0f}")
    if "vacuum_seconds" in ours.r:
        row(f"VACUUM after {100 / a.delete_every:.0f}% deleted (s)", "vacuum_seconds")
        row(f"recall after VACUUM (ef {a.post_vacuum_ef})",
            lambda e: e.r["after_vacuum"]["recall"], "{:.4f}")
    if ours.r.get("filtered"):
        out("")
        out(f"== Filtered (WHERE column < s, LIMIT {a.k}, ef_search {a.filtered_ef}, 1 client"
            + (f"; ratio = q/s {ours.label} / {other.label})" if other else ")"))
        h = f"{'column':<18}{'s':>4} {'mode':<14}" + "".join(f"{'rows ' + n[:8]:>14}" for n in names)
        h += "".join(f"{'recall ' + n[:8]:>16}" for n in names)
        h += "".join(f"{'q/s ' + n[:8]:>13}" for n in names)
        if other:
            h += f"{'ratio':>7}"
        h += "".join(f"{'p50/p99 ms ' + n[:8]:>23}" for n in names)
        out(h)
        for i, p in enumerate(ours.r["filtered"]):
            ps = [e.r["filtered"][i] for e in engines]
            s = f"{p['column']:<18}{str(p['pct']) + '%':>4} {p['mode']:<14}"
            s += "".join(f"{q['rows']:>14.2f}" for q in ps)
            s += "".join(f"{q['recall']:>16.4f}" for q in ps)
            s += "".join(f"{q['qps']:>13,.0f}" for q in ps)
            if other:
                s += f"{ratio(ps[0]['qps'], ps[1]['qps']):>7}"
            s += "".join(f"{q['p50_ms']:>11.2f}/{q['p99_ms']:<11.2f}" for q in ps)
            out(s)
    out("")
    out("== Sweep (q/s ratio and latency ratio = " + (f"{ours.label} / {other.label})"
                                                       if other else "per extension)"))
    for c in a.clients:
        out(f"-- {c} client{'s' if c > 1 else ''}")
        h = f"{'ef':>5}" + "".join(f"{'recall ' + n[:8]:>17}" for n in names)
        h += "".join(f"{'q/s ' + n[:8]:>14}" for n in names)
        if other:
            h += f"{'ratio':>7}"
        h += "".join(f"{'p50/p99 ms ' + n[:8]:>23}" for n in names)
        out(h)
        for i, p in enumerate(p for p in ours.r["sweep"] if p["clients"] == c):
            ps = [[q for q in e.r["sweep"] if q["clients"] == c][i] for e in engines]
            s = f"{p['ef_search']:>5}" + "".join(f"{q['recall']:>17.4f}" for q in ps)
            s += "".join(f"{q['qps']:>14,.0f}" for q in ps)
            if other:
                s += f"{ratio(ps[0]['qps'], ps[1]['qps']):>7}"
            s += "".join(f"{q['p50_ms']:>11.2f}/{q['p99_ms']:<11.2f}" for q in ps)
            out(s)
    for line in lines:
        say(line)
    return lines


def plot(engines: List[Engine], a, data: Data, path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("  (matplotlib not installed: no plot; apt-get install python3-matplotlib)")
        return False
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=100)
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    styles = {1: ("-", "o"), 2: ("--", "s")}
    lo = 1.0
    for ei, e in enumerate(engines):
        for c in a.clients:
            pts = [p for p in e.r["sweep"] if p["clients"] == c]
            ls, mk = styles.get(c, (":", "^"))
            xs = [p["recall"] for p in pts]
            lo = min(lo, min(xs))
            ax.plot(xs, [p["qps"] for p in pts], ls, marker=mk, color=colours[ei % 4],
                    label=f"{e.label} {e.version}, {c} client{'s' if c > 1 else ''}")
            if c == a.clients[0]:
                for p in pts:
                    ax.annotate(str(p["ef_search"]), (p["recall"], p["qps"]), fontsize=7,
                                textcoords="offset points", xytext=(3, 3 if ei == 0 else -9),
                                color=colours[ei % 4])
    for t in RECALL_TARGETS:
        ax.axvline(t, color="grey", lw=0.6, ls=":")
    ax.set_yscale("log")
    ax.set_xlim(max(0.0, lo - 0.02), 1.002)
    ax.set_xlabel(f"recall@{a.k}")
    ax.set_ylabel("queries per second (log scale)")
    ax.set_title(f"{data.title}\nhnsw ({a.type}_l2_ops) m={a.m}, ef_construction={a.ef_construction}; "
                 f"labels: ef_search; {len(data.queries):,} queries", fontsize=10)
    ax.grid(True, which="both", lw=0.3, alpha=0.6)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- main

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m vecbench.suite", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dsn", default="", help="libpq connection string (our database)")
    p.add_argument("--dataset", default="fashion-mnist",
                   help="fashion-mnist (default), synthetic:N:DIM (clustered) or gaussian:N:DIM "
                   "(i.i.d. N(0, 1)), e.g. synthetic:1000000:128")
    p.add_argument("--queries", type=int, default=1000, help="query vectors (default 1000)")
    p.add_argument("--k", type=int, default=10, help="neighbours per query (default 10)")
    p.add_argument("--type", choices=["vector", "halfvec"], default="vector",
                   help="the column's type and opclass (<type>_l2_ops); halfvec: loaded as "
                   "vector, then ALTER COLUMN TYPE halfvec(dim) (default vector)")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=64)
    p.add_argument("--ef-search", default=DEFAULT_EF,
                   help=f"comma-separated sweep (default {DEFAULT_EF})")
    p.add_argument("--clients", default="1,2", help="client counts (default 1,2)")
    p.add_argument("--low-memory-build", metavar="SIZE", default="",
                   help="also time a serial build with maintenance_work_mem = SIZE (e.g. 52MB), "
                   "before the in-memory one, and report the ratio of the two")
    p.add_argument("--parallel-workers", type=int, default=0,
                   help="also time a parallel build with this many workers")
    p.add_argument("--compare", metavar="EXT",
                   help="also run against extension EXT (e.g. vector) in a second database")
    p.add_argument("--compare-dsn", help="DSN of that database (default: same server, "
                   "database <ours>_<EXT>, created if missing)")
    p.add_argument("--inserts", type=int, default=1000, help="single-row inserts (default 1000)")
    p.add_argument("--insert-batch", type=int, default=100)
    p.add_argument("--delete-every", type=int, default=10,
                   help="delete rows with id %% N = 0 before VACUUM (default 10: 10%%)")
    p.add_argument("--post-vacuum-ef", type=int, default=40)
    p.add_argument("--warmup", type=int, default=20, help="untimed queries per client and step")
    p.add_argument("--min-seconds", type=float, default=3.0,
                   help="repeat the query set until each measurement took this long, "
                        "over all its rounds (default 3)")
    p.add_argument("--rounds", type=int, default=3,
                   help="alternations of the engines per ef_search and client count; "
                        "q/s is the median over them (default 3)")
    p.add_argument("--build-rounds", type=int, default=1,
                   help="builds of each kind per engine, alternated; the build time is "
                        "their median (default 1)")
    p.add_argument("--no-extend-sweep", dest="extend_sweep", action="store_false",
                   help="do not go on past the sweep when our best recall is below "
                        "the other engine's (by default the sweep goes on, both engines, "
                        f"doubling ef_search up to {EF_SEARCH_MAX}, until ours reaches it)")
    p.add_argument("--chunk", type=int, default=50000, help="rows per COPY / generated chunk")
    p.add_argument("--filtered", action="store_true",
                   help="also measure filtered queries (loads two integer filter columns "
                   "with the vectors; see 'filtered' above)")
    p.add_argument("--filtered-pct", default="1,10,50",
                   help="selectivities of the filtered step, in %% of the rows (default 1,10,50)")
    p.add_argument("--filtered-columns", default=",".join(FILTER_COLUMNS),
                   help=f"filter columns (default {','.join(FILTER_COLUMNS)})")
    p.add_argument("--filtered-ef", type=int, default=40,
                   help="hnsw.ef_search of the filtered step (default 40)")
    p.add_argument("--no-insert", action="store_true")
    p.add_argument("--no-vacuum", action="store_true")
    p.add_argument("--results-dir", default=str(BENCH_DIR / "results"))
    p.add_argument("--cache-dir", default=str(BENCH_DIR / "cache"))
    p.add_argument("--source", default="", help="what was built (recorded in the JSON)")
    p.add_argument("--name", default="", help="file name stem for the JSON and PNG")
    a = p.parse_args(argv)
    try:
        a.ef_search = [int(x) for x in a.ef_search.split(",") if x]
        a.clients = [int(x) for x in a.clients.split(",") if x]
    except ValueError:
        p.error("--ef-search and --clients take comma-separated integers")
    if not a.ef_search or min(a.ef_search) < 1 or not a.clients or min(a.clients) < 1:
        p.error("--ef-search and --clients need positive integers")
    if a.queries < 1 or a.k < 1 or a.k > TRUTH_DEPTH // 2:
        p.error(f"need --queries >= 1 and 1 <= --k <= {TRUTH_DEPTH // 2}")
    if a.delete_every < 2:
        p.error("--delete-every must be at least 2")
    if a.rounds < 1:
        p.error("--rounds must be at least 1")
    if a.build_rounds < 1:
        p.error("--build-rounds must be at least 1")
    if a.no_insert:
        a.inserts = 0
    try:
        a.filtered_pct = [int(x) for x in a.filtered_pct.split(",") if x]
    except ValueError:
        p.error("--filtered-pct takes comma-separated integers")
    a.filtered_columns = [x for x in a.filtered_columns.split(",") if x]
    if not a.filtered_pct or min(a.filtered_pct) < 1 or max(a.filtered_pct) > 100:
        p.error("--filtered-pct needs integers 1..100")
    if not a.filtered_columns or set(a.filtered_columns) - set(FILTER_COLUMNS):
        p.error(f"--filtered-columns: choose from {', '.join(FILTER_COLUMNS)}")
    if a.filtered_ef < 1:
        p.error("--filtered-ef must be positive")
    return a


def server_facts(conn: psycopg.Connection) -> Dict:
    facts = {"server_version": conn.execute("SHOW server_version").fetchone()[0]}
    for g in ("shared_buffers", "maintenance_work_mem", "work_mem", "max_parallel_maintenance_workers",
              "max_worker_processes", "jit", "synchronous_commit", "fsync"):
        facts[g] = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(g))).fetchone()[0]
    return facts


def machine_facts() -> Dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__,
            "psycopg": psycopg.__version__}


def open_engines(dsn: str, compare: Optional[str], other_dsn: Optional[str],
                 clients: int) -> List[Engine]:
    """vecindex on dsn, and with compare the extension of that name on
    other_dsn (default compare_dsn's), each with `clients` clients."""
    ours = Engine("vecindex", "vecindex", dsn)
    ours.connect(clients)
    engines = [ours]
    if compare:
        other = Engine(compare, compare, other_dsn or compare_dsn(dsn, ours.conn, compare))
        other.connect(clients)
        engines.append(other)
    say(f"PostgreSQL {ours.one('SHOW server_version')}; " + ", ".join(
        f"{e.label} {e.version} (database {e.conn.info.dbname})" for e in engines))
    return engines


def finish(engines: List[Engine], result: Dict, path: Path, t_all: float,
           more: str = "") -> None:
    """Writes result as JSON to path (its directory created), says where
    (and `more`) and the run's total time, and closes the engines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    say(f"\nResults: {path}" + more)
    say(f"Total {time.perf_counter() - t_all:.0f} s")
    for e in engines:
        e.close()


def main(argv=None) -> int:
    a = parse_args(argv)
    t_all = time.perf_counter()
    opts = f"m = {a.m}, ef_construction = {a.ef_construction}"

    engines = open_engines(a.dsn, a.compare, a.compare_dsn, max(a.clients))
    ours = engines[0]

    data = parse_dataset(a.dataset, a.queries, a.inserts, a.chunk)
    for e in engines:
        e.r["rows"] = data.n

    cats = filter_categories(data, a.filtered_columns) if a.filtered else {}
    step_load(engines, data, cats, a.type)
    truth_ids, truth_d = ground_truth(data, Path(a.cache_dir))
    recall = Recall(data, truth_ids, truth_d, a.k)
    step_build(engines, a, opts)
    step_queries(engines, data, recall, a)
    if cats:
        step_filtered(engines, data, recall, cats, a)
    if a.inserts:
        step_insert(engines, data, recall, a)
    if not a.no_vacuum:
        step_vacuum(engines, data, recall, a)
    lines = print_report(engines, a)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = a.name or (f"{stamp}-{data.key}" + ("" if a.type == "vector" else f"-{a.type}") + f"-m{a.m}-efc{a.ef_construction}"
                      + (f"-vs-{a.compare}" if a.compare else ""))
    rdir = Path(a.results_dir)
    rdir.mkdir(parents=True, exist_ok=True)
    png = rdir / f"{stem}.png"
    have_plot = plot(engines, a, data, png)
    result = {
        "when": stamp, "seconds_total": time.perf_counter() - t_all,
        "dataset": {"spec": a.dataset, "title": data.title, "rows": data.n, "dim": data.dim,
                    "queries": len(data.queries), "k": a.k},
        "index": {"m": a.m, "ef_construction": a.ef_construction, "opclass": f"{a.type}_l2_ops"},
        "ef_search": a.ef_search, "ef_search_added": getattr(a, "ef_search_added", []),
        "clients": a.clients, "parallel_workers": a.parallel_workers,
        "recall_definition": "hits / k, a hit being a returned row whose exact distance is "
                             "at most the k-th true distance (ties count)",
        "qps_definition": "executions / wall-clock seconds over all clients (the query "
                          "set repeated until --min-seconds / --rounds), the median over "
                          "--rounds alternations of the engines (each in qps_rounds); "
                          "latency is client-side execute + fetch of a prepared statement, "
                          "over all rounds; recall from the first pass",
        "clients_are": "processes: the first is this one, each other a forked process "
                       "with its own connection for the whole run",
        "rounds": a.rounds,
        "build_rounds": a.build_rounds,
        "build_seconds_definition": "wall-clock seconds of CREATE INDEX, the median over "
                                    "--build-rounds alternations of the engines (each in "
                                    "build_<kind>_seconds_rounds)",
        "filtered": None if not cats else {
            "ef_search": a.filtered_ef, "pct": a.filtered_pct, "modes": list(ITERATIVE_MODES),
            "columns": {c: FILTER_COLUMNS[c] for c in cats}, "clients": 1,
            "query": f"SELECT id FROM {TABLE} WHERE <column> < <pct> ORDER BY embedding <-> $1 "
                     f"LIMIT {a.k}",
            "settings": "enable_seqscan = off (so the hnsw index is used at every selectivity)",
            "recall_definition": "as above, against the exact answer among the rows the "
                                 "filter keeps; missing rows count as misses"},
        "source": a.source, "server": server_facts(ours.conn), "machine": machine_facts(),
        "engines": {e.label: {"extension": e.ext, "version": e.version,
                              "database": e.conn.info.dbname, **e.r} for e in engines},
        "report": lines, "plot": str(png) if have_plot else None,
    }
    finish(engines, result, rdir / f"{stem}.json", t_all,
           f"\nPlot:    {png}" if have_plot else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
