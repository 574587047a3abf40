"""The vecindex demo: load vectors, build an hnsw index, query, measure.

    python3 -m vecbench.demo --dsn "host=... port=... dbname=..." [options]

bench/demo runs this against a throwaway cluster; it works against any
database where CREATE EXTENSION vecindex is possible (or already done).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import psycopg
from psycopg import sql

from . import datasets, measure, pg


def say(*args) -> None:
    print(*args, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m vecbench.demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dsn", default="", help="libpq connection string")
    p.add_argument("--dataset", default="auto", choices=["auto", "fashion-mnist", "synthetic"],
                   help="auto: Fashion-MNIST if installed, else synthetic (default)")
    p.add_argument("--rows", type=int, default=None,
                   help="vectors to load (default: 60000)")
    p.add_argument("--queries", type=int, default=1000,
                   help="queries to time (default: 1000)")
    p.add_argument("--recall-queries", type=int, default=100,
                   help="queries checked against exact results (default: 100)")
    p.add_argument("--dim", type=int, default=128,
                   help="dimensions of synthetic vectors (default: 128)")
    p.add_argument("--k", type=int, default=10, help="neighbours per query (default: 10)")
    p.add_argument("--table", default="items")
    p.add_argument("--index-options", default="",
                   help="storage parameters for the index, e.g. 'm = 16, ef_construction = 64'")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the query session, e.g. hnsw.ef_search=100 (repeatable)")
    p.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    a = p.parse_args(argv)
    if a.rows is not None and a.rows < 1:
        p.error("--rows must be at least 1")
    if a.queries < 1:
        p.error("--queries must be at least 1")
    for s in a.set:
        if "=" not in s:
            p.error(f"--set {s!r}: expected NAME=VALUE")
    return a


def main(argv=None) -> int:
    a = parse_args(argv)
    results = {}

    conn = psycopg.connect(a.dsn, autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS vecindex")
    try:
        pg.register_vector(conn)
    except LookupError as e:
        say(f"error: {e}")
        return 1
    server = conn.execute("SHOW server_version").fetchone()[0]
    say(f"PostgreSQL {server}, vecindex {pg.extension_version(conn)}")

    # ---- data
    ds = datasets.load(a.dataset, rows=a.rows, queries=a.queries, dim=a.dim)
    nq = len(ds.queries)
    say(f"Data: {ds.name}: {len(ds.base)} vectors x {ds.dim} dimensions; "
        f"{nq} query vectors" + (" (t10k test images)" if ds.name == "fashion-mnist" else ""))
    if ds.note:
        say(f"      ({ds.note})")
    results["dataset"] = {"name": ds.name, "rows": len(ds.base), "dim": ds.dim, "queries": nq}

    # ---- load
    pg.create_table(conn, a.table, ds.dim)
    t0 = time.perf_counter()
    pg.copy_vectors(conn, a.table, ds.base)
    t_copy = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(a.table)))
    t_vacuum = time.perf_counter() - t0
    size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))",
                        (a.table,)).fetchone()[0]
    say(f"Load: COPY {len(ds.base)} rows in {t_copy:.2f} s ({len(ds.base) / t_copy:,.0f} rows/s), "
        f"VACUUM ANALYZE {t_vacuum:.2f} s; table {size}")
    results["load_seconds"] = t_copy
    results["vacuum_analyze_seconds"] = t_vacuum

    # ---- index
    if pg.has_access_method(conn, "hnsw"):
        stmt = sql.SQL("CREATE INDEX ON {} USING hnsw (embedding vector_l2_ops)").format(
            sql.Identifier(a.table))
        if a.index_options:
            stmt = sql.Composed([stmt, sql.SQL(" WITH (" + a.index_options + ")")])
        say(f"Index: {stmt.as_string(conn)}")
        t0 = time.perf_counter()
        conn.execute(stmt)
        t_build = time.perf_counter() - t0
        isize = conn.execute(
            "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "WHERE indrelid = %s::regclass AND am.amname = 'hnsw'", (a.table,)).fetchone()[0]
        say(f"       built in {t_build:.2f} s ({len(ds.base) / t_build:,.0f} rows/s); index {isize}")
        results["index_build_seconds"] = t_build
    else:
        say("Index: this build has no hnsw access method; "
            "queries use an exact scan (every distance computed)")
        results["index_build_seconds"] = None

    # ---- queries
    settings = dict(s.split("=", 1) for s in a.set)
    if settings:
        say("Settings: " + ", ".join(f"{k} = {v}" for k, v in settings.items()))
    query = measure.knn_sql(a.table, a.k)
    say(f"Query: {query.as_string(conn).replace('%s', '$1')}")
    with measure.settings(conn, settings):
        say("\nPlan of query 1:")
        for line in measure.explain(conn, query, ds.queries[0]):
            say("  " + line)

        shown = sql.SQL(
            "SELECT id, embedding <-> %s AS distance FROM {} ORDER BY embedding <-> %s LIMIT {}"
        ).format(sql.Identifier(a.table), sql.Literal(a.k))
        rows = conn.execute(shown, (ds.queries[0], ds.queries[0])).fetchall()
        label = ""
        if ds.query_labels is not None:
            label = f' (a "{ds.label_names[ds.query_labels[0]]}")'
        say(f"\nResults of query 1{label}:")
        say("  rank       id     distance" + ("  label" if ds.base_labels is not None else ""))
        for rank, (rid, dist) in enumerate(rows, 1):
            extra = ""
            if ds.base_labels is not None:
                extra = "  " + ds.label_names[ds.base_labels[rid - 1]]
            say(f"  {rank:4d} {rid:8d} {dist:12.4f}{extra}")

        ids, seconds = measure.run_queries(conn, query, ds.queries, warmup=min(20, nq))
    st = measure.latency_stats(seconds)
    say(f"\nLatency over {st['count']} queries (serial, client-side): "
        f"mean {st['mean_ms']:.2f} ms, p50 {st['p50_ms']:.2f} ms, "
        f"p99 {st['p99_ms']:.2f} ms, max {st['max_ms']:.2f} ms ({st['qps']:,.0f} queries/s)")
    results["latency"] = st

    # ---- recall
    nr = min(a.recall_queries, nq)
    if nr > 0:
        t0 = time.perf_counter()
        truth = measure.exact_neighbors(conn, query, ds.queries[:nr])
        t_exact = time.perf_counter() - t0
        recall = measure.recall_at_k(ids[:nr], truth, a.k)
        say(f"Recall@{a.k} over {nr} queries: {recall:.4f} "
            f"(exact results: same query with enable_indexscan = off, "
            f"{1000 * t_exact / nr:.1f} ms/query)")
        results["recall"] = {"k": a.k, "queries": nr, "value": recall,
                             "exact_mean_ms": 1000 * t_exact / nr}

    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
