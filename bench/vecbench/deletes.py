"""Graph quality after deletes and VACUUM (bench/deletes).

    python3 -m vecbench.deletes --dsn "host=... dbname=..." [options]

For each data set, opclass and fraction of deleted rows, and for each
engine (vecindex, and with --compare EXT that extension in a second
database of the same server, the steps interleaved):

  load       COPY of the base vectors into a fresh table (autovacuum off)
  build      CREATE INDEX ... USING hnsw, serial
  delete     DELETE of the fraction's rows: the first rows of a seeded
             random permutation, the same rows for every engine (so the
             10% deleted are among the 50%, and those among the 90%)
  vacuum     CHECKPOINT, then VACUUM (INDEX_CLEANUP ON) of the table, timed
  recall     recall@k at each ef_search of --ef-search, against the exact
             neighbours among the surviving rows (numpy; for inner product
             the largest products; a returned row is a hit when its
             distance is at most the k-th true distance, so ties count)
  fresh      REINDEX of the index (a fresh build over the survivors, timed),
             then recall again at the same ef_search values

Each configuration checks that the k-NN query's plan is an index scan of
the hnsw index (after VACUUM and after REINDEX; the recall pass runs with
enable_seqscan off, since on few survivors a planner may prefer the exact
sequential scan, and records whether it would have), that no deleted row
comes back, and, on a few queries, that a sequential scan (index scans off, not
prepared) finds what the numpy ground truth says.  Queries are not prepared,
so that each runs on the index as it is after the step before.

The report has one row per (data set, opclass, fraction, engine): VACUUM
seconds and its ratio to the other engine's, REINDEX seconds, and at each
ef_search the recall after VACUUM, after the fresh build, their difference,
and the difference from the other engine's recall after VACUUM.  A JSON file
with every number goes to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from psycopg import sql

from . import measure, suite
from .suite import INDEX, TABLE, Engine, say

# (spec, m, ef_construction) of the default runs and of --quick
DEFAULT_DATASETS = ("gaussian:16000:32,m=12,efc=40", "synthetic:50000:128,m=16,efc=64")
QUICK_DATASETS = ("gaussian:4000:32,m=12,efc=40", "synthetic:10000:64,m=16,efc=64")
QUICK_QUERIES = 100
# metric name (suite.METRICS) -> (opclass, distance operator)
OPCLASSES = {"l2": ("vector_l2_ops", "<->"), "ip": ("vector_ip_ops", "<#>")}
DELETE_SEED = 7          # the permutation choosing the deleted rows
EXACT_CHECK_QUERIES = 3  # queries answered by a sequential scan per configuration
# The done-when this benchmark measures: recall at least the other
# engine's and within FRESH_TOLERANCE of a fresh build; VACUUM at most
# VACUUM_RATIO_MAX of the other engine's time.
FRESH_TOLERANCE = 0.01
VACUUM_RATIO_MAX = 0.25


def parse_dataset_arg(arg: str, m: int, efc: int) -> Dict:
    """SPEC[,m=M][,efc=EFC] -> {"spec", "m", "efc"}."""
    spec, *opts = arg.split(",")
    out = {"spec": spec, "m": m, "efc": efc}
    for o in opts:
        key, _, val = o.partition("=")
        if key not in ("m", "efc") or not val.isdigit():
            raise SystemExit(f"--dataset {arg!r}: expected SPEC[,m=M][,efc=EFC]")
        out[key] = int(val)
    return out


def delete_order(n: int) -> np.ndarray:
    """0-based rows in the order they are deleted (a seeded permutation)."""
    return np.random.Generator(np.random.PCG64(DELETE_SEED)).permutation(n)


def index_plan(e: Engine, query, vector) -> bool:
    """Whether the planner would pick the hnsw index by itself (on few
    survivors it may prefer an exact sequential scan), and a check that
    with enable_seqscan off, as the recall pass runs, it does."""
    default = suite.uses_index(measure.explain(e.conn, query, vector, analyze=False))
    e.x("SET enable_seqscan = off")
    plan = measure.explain(e.conn, query, vector, analyze=False)
    if not suite.uses_index(plan):
        raise SystemExit(f"{e.label} does not use the index even with enable_seqscan off:\n    "
                         + "\n    ".join(suite.short_plan(plan)))
    return default


def measure_recall(engines: List[Engine], data: suite.Data, recall: suite.Recall, query,
                   efs: List[int], deleted: np.ndarray, k: int) -> Dict[str, Dict]:
    """Recall at each ef_search for each engine, on its hnsw index (the plan
    checked; enable_seqscan off while the queries run, not prepared, so
    that each is planned with that setting and on the index as it is)."""
    out: Dict[str, Dict] = {}
    for e in engines:
        r: Dict = {"default_plan_uses_index": index_plan(e, query, data.queries[0])}
        for ef in efs:
            suite.set_ef(e.conn, ef)
            ids, _ = measure.run_queries(e.conn, query, data.queries, prepare=False)
            back = int(np.count_nonzero(np.isin(np.concatenate(
                [np.asarray(f, dtype=np.int64) for f in ids]), deleted)))
            if back:
                say(f"  ERROR: {e.label} returned {back} deleted rows at ef_search {ef}")
            r[str(ef)] = {"recall": recall(ids), "deleted_rows_returned": back,
                          "short_queries": sum(1 for f in ids if len(f) < k)}
        e.x("RESET hnsw.ef_search")
        e.x("RESET enable_seqscan")
        out[e.label] = r
    return out


def exact_check(engines: List[Engine], data: suite.Data, recall: suite.Recall,
                query) -> Dict[str, float]:
    """recall of a sequential scan (measure.exact_neighbors) on the first
    queries: 1 when the table holds the rows the ground truth assumes."""
    qs = data.queries[:EXACT_CHECK_QUERIES]
    out = {}
    for e in engines:
        ids = measure.exact_neighbors(e.conn, query, qs)
        rc = recall(ids)             # scores the first len(ids) queries
        if rc < 0.99:
            say(f"  WARNING: {e.label}: a sequential scan has recall {rc:.4f} against "
                "the ground truth of the survivors")
        out[e.label] = rc
    return out


def timed(engines: List[Engine], order: int, what: str, stmt) -> Dict[str, float]:
    """Runs stmt on each engine (in turn, the order alternating with
    `order`), a CHECKPOINT first; returns seconds by engine."""
    out = {}
    for e in (engines if order % 2 == 0 else engines[::-1]):
        e.x("CHECKPOINT")
        with suite.Monitor(e.dsn, "vacuum" if what == "vacuum" else "index",
                           f"{e.label} {what}"):
            t0 = time.perf_counter()
            e.x(stmt)
            out[e.label] = time.perf_counter() - t0
    return out


def run_config(engines: List[Engine], data: suite.Data, ds: Dict, metric: str, pct: int,
               a, order: int) -> Dict:
    opclass, op = OPCLASSES[metric]
    opts = f"m = {ds['m']}, ef_construction = {ds['efc']}"
    say(f"\n=== {data.key}, {opclass}, {pct}% deleted ({opts})")
    suite.step_load(engines, data)
    res: Dict = {"dataset": ds["spec"], "key": data.key, "rows": data.n, "dim": data.dim,
                 "m": ds["m"], "ef_construction": ds["efc"], "opclass": opclass,
                 "deleted_pct": pct, "engines": {e.label: {} for e in engines}}
    er = res["engines"]
    for e in (engines if order % 2 == 0 else engines[::-1]):
        dt, size, _ = suite.build_index(e, opts, 0, opclass)
        er[e.label].update(build_seconds=dt, index_bytes=size)
    perm = delete_order(data.n)
    cnt = data.n * pct // 100
    deleted = np.sort(perm[:cnt]) + 1                 # table ids
    survivors = np.sort(perm[cnt:])                   # 0-based rows
    for e in engines:
        t0 = time.perf_counter()
        got = e.x(sql.SQL("DELETE FROM {} t USING unnest(%s::integer[]) AS d(id) "
                          "WHERE t.id = d.id").format(sql.Identifier(TABLE)),
                  (deleted.tolist(),)).rowcount
        if got != cnt:
            raise SystemExit(f"{e.label}: DELETE removed {got} rows, not {cnt}")
        er[e.label]["delete_seconds"] = time.perf_counter() - t0
    res["deleted_rows"] = cnt
    vac = timed(engines, order, "vacuum", sql.SQL("VACUUM (INDEX_CLEANUP ON) {}").format(
        sql.Identifier(TABLE)))
    for e in engines:
        er[e.label]["vacuum_seconds"] = vac[e.label]
        er[e.label]["index_bytes_after_vacuum"] = e.one(
            "SELECT pg_relation_size(%s::regclass)", (INDEX,))
        rows = e.one(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(TABLE)))
        if rows != len(survivors):
            raise SystemExit(f"{e.label}: {rows} rows left, not {len(survivors)}")
    say("  VACUUM: " + "   ".join(f"{e.label} {vac[e.label]:.2f} s" for e in engines))

    t_ids, t_d = suite.ground_truth(data, Path(a.cache_dir), a.k, survivors,
                                    f"del{pct}", metric)
    recall = suite.Recall(data, t_ids, t_d, a.k, metric)
    query = measure.knn_sql(TABLE, a.k, op)
    res["exact_check_recall"] = exact_check(engines, data, recall, query)
    after = measure_recall(engines, data, recall, query, a.ef_search, deleted, a.k)
    say("  after VACUUM: " + "   ".join(
        f"{e.label} " + " ".join(f"ef {ef} {after[e.label][str(ef)]['recall']:.4f}"
                                 for ef in a.ef_search) for e in engines))
    reidx = timed(engines, order + 1, "reindex", sql.SQL("REINDEX INDEX {}").format(
        sql.Identifier(INDEX)))
    fresh = measure_recall(engines, data, recall, query, a.ef_search, deleted, a.k)
    say("  fresh build:  " + "   ".join(
        f"{e.label} " + " ".join(f"ef {ef} {fresh[e.label][str(ef)]['recall']:.4f}"
                                 for ef in a.ef_search) for e in engines)
        + "   (REINDEX " + ", ".join(f"{e.label} {reidx[e.label]:.2f} s" for e in engines) + ")")
    for e in engines:
        er[e.label].update(after_vacuum=after[e.label], fresh=fresh[e.label],
                           reindex_seconds=reidx[e.label])
    return res


# ---------------------------------------------------------------- report

def _d(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:+.4f}"


def verdict(res: Dict, ours: str, other: Optional[str], efs: List[int]) -> List[str]:
    """The done-when's conditions this configuration misses (empty: none)."""
    mine = res["engines"][ours]
    miss = []
    for ef in efs:
        r = mine["after_vacuum"][str(ef)]["recall"]
        if other and r < res["engines"][other]["after_vacuum"][str(ef)]["recall"]:
            miss.append(f"<{other}@{ef}")
        if r < mine["fresh"][str(ef)]["recall"] - FRESH_TOLERANCE:
            miss.append(f"fresh@{ef}")
    if other and mine["vacuum_seconds"] > VACUUM_RATIO_MAX * \
            res["engines"][other]["vacuum_seconds"]:
        miss.append("time")
    return miss


def report(results: List[Dict], engines: List[Engine], efs: List[int]) -> List[str]:
    lines: List[str] = []
    out = lines.append
    ours = engines[0].label
    other = engines[1].label if len(engines) > 1 else None
    out("")
    out("== Deletes and VACUUM: recall@k after VACUUM ('vac') and after a fresh build "
        "of the survivors ('fresh')")
    out(f"   vac-fr = vac - fresh; vs {other or 'other'} = vac - {other or 'other'}'s vac; "
        f"VACUUM ratio = {ours} / {other or 'other'}")
    h = f"{'data set':<22}{'opclass':<14}{'del':>4} {'engine':<9}{'VACUUM s':>9}{'ratio':>7}" \
        f"{'REINDEX s':>10}"
    for ef in efs:
        h += f" | ef {ef:<4}{'vac':>7}{'fresh':>8}{'vac-fr':>8}{'vs ' + (other or '-')[:6]:>10}"
    if other:
        h += " | done-when"
    out(h)
    for res in results:
        en = res["engines"]
        for i, e in enumerate(engines):
            r = en[e.label]
            ratio = (r["vacuum_seconds"] / en[other]["vacuum_seconds"]
                     if other and i == 0 else None)
            s = (f"{res['key'] if i == 0 else '':<22}{res['opclass'] if i == 0 else '':<14}"
                 f"{str(res['deleted_pct']) + '%' if i == 0 else '':>4} {e.label[:9]:<9}"
                 f"{r['vacuum_seconds']:>9.2f}{'-' if ratio is None else f'{ratio:.2f}':>7}"
                 f"{r['reindex_seconds']:>10.2f}")
            for ef in efs:
                v = r["after_vacuum"][str(ef)]["recall"]
                f = r["fresh"][str(ef)]["recall"]
                vs = (v - en[other]["after_vacuum"][str(ef)]["recall"]
                      if other and i == 0 else None)
                s += f" | {'':7}{v:>7.4f}{f:>8.4f}{v - f:>+8.4f}{_d(vs):>10}"
            if other and i == 0:
                miss = verdict(res, ours, other, efs)
                s += " | " + ("met" if not miss else "missed: " + " ".join(miss))
            out(s)
    if other:
        n_met = sum(1 for res in results if not verdict(res, ours, other, efs))
        out("")
        out(f"done-when (recall >= {other}'s and >= fresh - {FRESH_TOLERANCE} at every "
            f"ef_search, VACUUM <= {VACUUM_RATIO_MAX} x {other}'s): met in {n_met} of "
            f"{len(results)} configurations")
    seq = [f"{res['key']} {res['opclass']} {res['deleted_pct']}% {label}"
           for res in results for label, r in res["engines"].items()
           if not (r["after_vacuum"]["default_plan_uses_index"]
                   and r["fresh"]["default_plan_uses_index"])]
    if seq:
        out("")
        out("the planner would have chosen a sequential scan (measured on the index "
            "with enable_seqscan off): " + "; ".join(seq))
    for line in lines:
        say(line)
    return lines


# ---------------------------------------------------------------- main

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m vecbench.deletes", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dsn", default="", help="libpq connection string (our database)")
    p.add_argument("--dataset", action="append", default=[], metavar="SPEC[,m=M][,efc=EFC]",
                   help="gaussian:N:DIM, synthetic:N:DIM or fashion-mnist, with its index "
                   "options (default --m and --ef-construction); repeat for more (default: "
                   + " and ".join(DEFAULT_DATASETS) + ")")
    p.add_argument("--m", type=int, default=16, help="m for a --dataset without its own (16)")
    p.add_argument("--ef-construction", type=int, default=64,
                   help="ef_construction for a --dataset without its own (64)")
    p.add_argument("--opclass", default="l2,ip",
                   help="comma-separated: l2 (vector_l2_ops), ip (vector_ip_ops) (default both)")
    p.add_argument("--fractions", default="10,50,90",
                   help="percentages of the rows deleted, one configuration each (default 10,50,90)")
    p.add_argument("--ef-search", default="40,100", help="hnsw.ef_search values (default 40,100)")
    p.add_argument("--queries", type=int, default=200,
                   help="query vectors, not in the table (default 200)")
    p.add_argument("--k", type=int, default=10, help="neighbours per query (default 10)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: " + " and ".join(QUICK_DATASETS) + f" (unless --dataset "
                   f"says otherwise), {QUICK_QUERIES} queries")
    p.add_argument("--compare", metavar="EXT",
                   help="also run against extension EXT (e.g. vector) in a second database")
    p.add_argument("--compare-dsn", help="DSN of that database (default: same server, "
                   "database <ours>_<EXT>, created if missing)")
    p.add_argument("--chunk", type=int, default=50000, help="rows per COPY / generated chunk")
    p.add_argument("--results-dir", default=str(suite.BENCH_DIR / "results"))
    p.add_argument("--cache-dir", default=str(suite.BENCH_DIR / "cache"))
    p.add_argument("--source", default="", help="what was built (recorded in the JSON)")
    p.add_argument("--name", default="", help="file name stem for the JSON")
    a = p.parse_args(argv)
    if a.quick and a.queries == p.get_default("queries"):
        a.queries = QUICK_QUERIES
    a.datasets = [parse_dataset_arg(d, a.m, a.ef_construction) for d in
                  (a.dataset or (QUICK_DATASETS if a.quick else DEFAULT_DATASETS))]
    try:
        a.ef_search = [int(x) for x in a.ef_search.split(",") if x]
        a.fractions = [int(x) for x in a.fractions.split(",") if x]
    except ValueError:
        p.error("--ef-search and --fractions take comma-separated integers")
    a.metrics = [x for x in a.opclass.split(",") if x]
    if not a.metrics or set(a.metrics) - set(OPCLASSES):
        p.error("--opclass: comma-separated l2 and/or ip")
    if not a.ef_search or min(a.ef_search) < 1:
        p.error("--ef-search needs positive integers")
    if not a.fractions or min(a.fractions) < 1 or max(a.fractions) > 99:
        p.error("--fractions needs percentages 1..99")
    if a.queries < 1 or a.k < 1:
        p.error("need --queries >= 1 and --k >= 1")
    return a


def main(argv=None) -> int:
    a = parse_args(argv)
    t_all = time.perf_counter()
    engines = suite.open_engines(a.dsn, a.compare, a.compare_dsn, 1)
    ours = engines[0]
    for e in engines:
        e.x("SET max_parallel_maintenance_workers = 0")
    results = []
    order = 0
    for ds in a.datasets:
        data = suite.parse_dataset(ds["spec"], a.queries, 0, a.chunk)
        for metric in a.metrics:
            for pct in a.fractions:
                results.append(run_config(engines, data, ds, metric, pct, a, order))
                order += 1
    lines = report(results, engines, a.ef_search)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = a.name or (f"{stamp}-deletes" + ("-quick" if a.quick else "")
                      + (f"-vs-{a.compare}" if a.compare else ""))
    result = {
        "when": stamp, "seconds_total": time.perf_counter() - t_all,
        "datasets": a.datasets, "queries": a.queries, "k": a.k, "ef_search": a.ef_search,
        "fractions_pct": a.fractions, "delete_seed": DELETE_SEED,
        "recall_definition": "hits / k over the queries, a hit being a returned row whose "
                             "exact distance is at most the k-th true distance among the "
                             "surviving rows (ties count; missing rows are misses)",
        "vacuum": "CHECKPOINT, then VACUUM (INDEX_CLEANUP ON) of the table, wall-clock s",
        "fresh": "REINDEX INDEX after the VACUUM: a new build over the survivors",
        "source": a.source, "server": suite.server_facts(ours.conn),
        "machine": suite.machine_facts(),
        "engines": {e.label: {"extension": e.ext, "version": e.version,
                              "database": e.conn.info.dbname} for e in engines},
        "results": results, "report": lines,
    }
    suite.finish(engines, result, Path(a.results_dir) / f"{stem}.json", t_all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
