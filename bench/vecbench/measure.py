"""Timing k-NN queries and scoring their accuracy.

  knn_sql(table, k, op)            SELECT id FROM table ORDER BY embedding <op> %s LIMIT k
  floor_sql(table, k, op)          the same over the rows whose ids are given (no search)
  run_queries(conn, sql, queries)  ids per query + client-side latency per query
  exact_neighbors(conn, sql, qs)   the same queries with index scans disabled
  latency_stats(seconds)           mean / p50 / p95 / p99 / max in milliseconds
  recall_at_k(found, truth, k)     mean |found ∩ truth| / k
  explain(conn, sql, q)            EXPLAIN output lines
"""

from __future__ import annotations

import contextlib
import time
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import psycopg
from psycopg import sql as pgsql

DISTANCE_OPERATORS = {"l2": "<->", "ip": "<#>", "cosine": "<=>", "l1": "<+>"}


def _knn_sql(table: str, k: int, op: str, column: str, id_column: str,
             where: str) -> pgsql.Composed:
    if op not in DISTANCE_OPERATORS.values():
        raise ValueError(f"unknown distance operator {op!r}")
    return pgsql.SQL("SELECT {id} FROM {t}" + where + " ORDER BY {c} " + op
                     + " %s LIMIT {k}").format(
        id=pgsql.Identifier(id_column), t=pgsql.Identifier(table),
        c=pgsql.Identifier(column), k=pgsql.Literal(int(k)))


def knn_sql(table: str = "items", k: int = 10, op: str = "<->",
            column: str = "embedding", id_column: str = "id") -> pgsql.Composed:
    """The k-NN query; the query vector is its one parameter."""
    return _knn_sql(table, k, op, column, id_column, "")


def floor_sql(table: str = "items", k: int = 10, op: str = "<->",
              column: str = "embedding", id_column: str = "id") -> pgsql.Composed:
    """knn_sql restricted to the rows whose ids are its first parameter
    (an integer[] in text form, '{3,1,2}': a string costs the client no
    more to send than knn_sql's one parameter; the query vector is the
    second).  Given the true k nearest ids, it returns what the k-NN query
    returns while doing everything but the search: client, protocol,
    executor, the heap and TOAST fetch of the k rows and their distances
    for ORDER BY, plus k primary-key probes.  Its speed is the most an
    index can give the k-NN query when the executor fetches and measures
    the k rows' vectors itself: pgvector's always, vecindex's under
    cosine or for vectors stored inline.  For TOASTed vectors under L2,
    inner product and L1, vecindex's scans hand the executor the k
    distances (src/hnswreuse.c, since 2336a38) and can beat it."""
    return _knn_sql(table, k, op, column, id_column, " WHERE {id} = ANY(%s::integer[])")


@contextlib.contextmanager
def settings(conn: psycopg.Connection, values: Dict[str, str]) -> Iterator[None]:
    """SETs each GUC for the block (session level), RESETs it afterwards."""
    for name, value in values.items():
        conn.execute(pgsql.SQL("SELECT set_config({}, {}, false)").format(
            pgsql.Literal(name), pgsql.Literal(str(value))))
    try:
        yield
    finally:
        for name in values:
            conn.execute(pgsql.SQL("RESET {}").format(pgsql.Identifier(*name.split("."))))


def run_queries(conn: psycopg.Connection, query: pgsql.Composable,
                vectors: np.ndarray, warmup: int = 0, prepare: bool = True):
    """Runs query once per vector (a prepared statement, unless prepare is
    false: then each execution is planned afresh, as a statement must be
    when the settings or the index it runs on change between calls).

    Returns (ids, seconds): ids[i] is the list of ids returned for vectors[i],
    seconds[i] the client-side wall time of execute + fetch.  The first
    `warmup` vectors are also run beforehand, untimed.
    """
    ids: List[List[int]] = []
    seconds = np.empty(len(vectors), dtype=np.float64)
    with conn.cursor() as cur:
        for v in vectors[:warmup]:
            cur.execute(query, (v,), prepare=prepare)
            cur.fetchall()
        for i, v in enumerate(vectors):
            t0 = time.perf_counter()
            cur.execute(query, (v,), prepare=prepare)
            rows = cur.fetchall()
            seconds[i] = time.perf_counter() - t0
            ids.append([r[0] for r in rows])
    return ids, seconds


def exact_neighbors(conn: psycopg.Connection, query: pgsql.Composable,
                    vectors: np.ndarray) -> List[List[int]]:
    """Ground truth: the same query with index scans disabled (a full scan
    computing every distance), so the executor cannot use an approximate index.

    The statements are not prepared: a prepared statement keeps the plan it
    was first given, and a changed enable_* setting does not replan it, so
    reusing run_queries' prepared statement here would compare the index
    with itself.  The plan is checked to read no index.
    """
    with settings(conn, {"enable_indexscan": "off", "enable_bitmapscan": "off"}):
        plan = explain(conn, query, vectors[0], analyze=False)
        if any("Index" in line for line in plan):
            raise RuntimeError("the exact pass would use an index:\n  " + "\n  ".join(plan))
        ids: List[List[int]] = []
        with conn.cursor() as cur:
            for v in vectors:
                cur.execute(query, (v,), prepare=False)
                ids.append([r[0] for r in cur.fetchall()])
    return ids


def latency_stats(seconds: Sequence[float]) -> Dict[str, float]:
    """Latency summary in milliseconds, plus queries per second (serial)."""
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    if ms.size == 0:
        return {"count": 0}
    return {
        "count": int(ms.size),
        "mean_ms": float(ms.mean()),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "qps": float(ms.size / (ms.sum() / 1000.0)) if ms.sum() > 0 else float("inf"),
    }


def recall_at_k(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]],
                k: Optional[int] = None) -> float:
    """Mean over queries of |found[:k] ∩ truth[:k]| / k (k defaults to the
    length of each truth list)."""
    if len(found) != len(truth):
        raise ValueError("found and truth must have one entry per query")
    if not truth:
        return float("nan")
    scores = []
    for f, t in zip(found, truth):
        kk = len(t) if k is None else k
        t = set(list(t)[:kk])
        if kk == 0:
            continue
        scores.append(len(set(list(f)[:kk]) & t) / kk)
    return float(np.mean(scores)) if scores else float("nan")


def explain(conn: psycopg.Connection, query: pgsql.Composable, vector: np.ndarray,
            analyze: bool = True) -> List[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the query for one vector, as text lines."""
    opts = "ANALYZE, BUFFERS" if analyze else "COSTS"
    stmt = pgsql.Composed([pgsql.SQL("EXPLAIN (" + opts + ") "), query])
    return [r[0] for r in conn.execute(stmt, (vector,)).fetchall()]
