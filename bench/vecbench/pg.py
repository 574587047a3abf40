"""psycopg 3 helpers for the `vector` type (vecindex, or pgvector).

  connect(dsn)                       autocommit connection, vector adapters on
  register_vector(conn)              numpy float arrays <-> vector
  vector_text(v)                     '[1,2,3]' literal
  create_table(conn, table, dim)     (id integer PRIMARY KEY, embedding vector(dim))
  copy_vectors(conn, table, vecs)    bulk load with COPY (binary when possible)
  has_access_method(conn, "hnsw")    catalog checks

The binary format of `vector` (send/recv, binary COPY) is pgvector's:
int16 dim, int16 unused (0), then dim float4, all in network byte order.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo


def vector_text(v) -> str:
    """The text form of a vector, e.g. '[1,2.5,3]' (exact for float32)."""
    a = np.asarray(v, dtype=np.float32)
    if a.ndim != 1:
        raise ValueError("a vector is one-dimensional")
    # float32 -> Python float is exact; repr is the shortest round-trip form.
    return "[" + ",".join(repr(x) for x in a.tolist()) + "]"


def vector_binary(v) -> bytes:
    """The binary (send/recv) form of a vector."""
    a = np.asarray(v, dtype=">f4")
    if a.ndim != 1:
        raise ValueError("a vector is one-dimensional")
    return np.array([a.shape[0], 0], dtype=">i2").tobytes() + a.tobytes()


def type_oid(conn: psycopg.Connection, name: str = "vector") -> Optional[int]:
    info = TypeInfo.fetch(conn, name)
    return None if info is None else info.oid


def has_binary_io(conn: psycopg.Connection, name: str = "vector") -> bool:
    """True if the type has send and receive functions (binary COPY/params)."""
    row = conn.execute(
        "SELECT typsend <> 0 AND typreceive <> 0 FROM pg_type "
        "WHERE oid = to_regtype(%s)", (name,)).fetchone()
    return bool(row and row[0])


def register_vector(conn: psycopg.Connection, binary: Optional[bool] = None) -> None:
    """Adapts numpy arrays to `vector` parameters and `vector` results to
    float32 numpy arrays, on this connection.

    binary: send parameters in binary (default: when the type supports it).
    Raises LookupError if the database has no `vector` type.
    """
    oid = type_oid(conn)
    if oid is None:
        raise LookupError("type vector does not exist (CREATE EXTENSION vecindex)")
    if binary is None:
        binary = has_binary_io(conn)

    class VectorTextDumper(Dumper):
        format = Format.TEXT

        def dump(self, obj):
            return vector_text(obj).encode()

    VectorTextDumper.oid = oid

    class VectorBinaryDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj):
            return vector_binary(obj)

    VectorBinaryDumper.oid = oid

    class VectorTextLoader(Loader):
        format = Format.TEXT

        def load(self, data):
            body = bytes(data).strip()[1:-1]
            if not body:
                return np.zeros(0, dtype=np.float32)
            return np.array(body.split(b","), dtype=np.float32)

    class VectorBinaryLoader(Loader):
        format = Format.BINARY

        def load(self, data):
            dim = int(np.frombuffer(data, dtype=">i2", count=1)[0])
            return np.frombuffer(data, dtype=">f4", count=dim, offset=4).astype(np.float32)

    adapters = conn.adapters
    # The dumper registered last is the one %s (automatic format) uses.
    if binary:
        adapters.register_dumper(np.ndarray, VectorTextDumper)
        adapters.register_dumper(np.ndarray, VectorBinaryDumper)
    else:
        adapters.register_dumper(np.ndarray, VectorTextDumper)
    adapters.register_loader(oid, VectorTextLoader)
    if has_binary_io(conn):
        adapters.register_loader(oid, VectorBinaryLoader)


def connect(dsn: str = "", **kwargs) -> psycopg.Connection:
    """An autocommit connection; vector adapters registered if the type exists."""
    conn = psycopg.connect(dsn, autocommit=True, **kwargs)
    if type_oid(conn) is not None:
        register_vector(conn)
    return conn


def has_access_method(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT EXISTS (SELECT FROM pg_am WHERE amname = %s)",
                        (name,)).fetchone()[0]


def extension_version(conn: psycopg.Connection, name: str = "vecindex") -> Optional[str]:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = %s",
                       (name,)).fetchone()
    return row[0] if row else None


def create_table(conn: psycopg.Connection, table: str, dim: int,
                 replace: bool = True) -> None:
    """CREATE TABLE table (id integer PRIMARY KEY, embedding vector(dim))."""
    ident = sql.Identifier(table)
    if replace:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
    conn.execute(sql.SQL(
        "CREATE TABLE {} (id integer PRIMARY KEY, embedding vector({}))").format(
            ident, sql.Literal(int(dim))))


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"


def _binary_rows(ids: np.ndarray, vectors: np.ndarray, ints=()) -> bytes:
    """Binary COPY tuples (int4 id, vector, int4 per array of ints) for the
    given rows."""
    n, dim = vectors.shape
    rec = np.empty(n, dtype=np.dtype([
        ("nfields", ">i2"), ("id_len", ">i4"), ("id", ">i4"),
        ("vec_len", ">i4"), ("dim", ">i2"), ("unused", ">i2"),
        ("x", ">f4", (dim,))]
        + [(f, t) for j in range(len(ints)) for f, t in ((f"i{j}_len", ">i4"), (f"i{j}", ">i4"))]))
    rec["nfields"] = 2 + len(ints)
    rec["id_len"] = 4
    rec["id"] = ids
    rec["vec_len"] = 4 + 4 * dim
    rec["dim"] = dim
    rec["unused"] = 0
    rec["x"] = vectors
    for j, col in enumerate(ints):
        rec[f"i{j}_len"] = 4
        rec[f"i{j}"] = col
    return rec.tobytes()


def _text_rows(ids: np.ndarray, vectors: np.ndarray, ints=()) -> bytes:
    integral = bool(np.all(vectors == np.rint(vectors))) and np.abs(vectors).max(initial=0) < 2**24
    lines = []
    for r, (i, v) in enumerate(zip(ids.tolist(), vectors)):
        if integral:
            body = ",".join(map(str, v.astype(np.int64).tolist()))
        else:
            body = ",".join(repr(x) for x in v.tolist())
        more = "".join(f"\t{int(col[r])}" for col in ints)
        lines.append(f"{i}\t[{body}]{more}\n")
    return "".join(lines).encode()


def copy_vectors(conn: psycopg.Connection, table: str, vectors: np.ndarray,
                 first_id: int = 1, columns: Iterable[str] = ("id", "embedding"),
                 fmt: str = "auto", batch: int = 5000,
                 ints: Sequence[np.ndarray] = ()) -> int:
    """Loads vectors into table with COPY; row i gets id first_id + i.

    fmt: "binary", "text", or "auto" (binary if the type has binary I/O).
    ints: integer arrays (one value per vector) for further int4 columns,
    named after id and embedding in columns.
    Returns the number of rows loaded.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError("vectors must be a 2-d array (rows, dim)")
    columns = list(columns)
    if len(columns) != 2 + len(ints) or any(len(c) != len(vectors) for c in ints):
        raise ValueError("need one column name per array, and one value per vector in each")
    if fmt == "auto":
        fmt = "binary" if has_binary_io(conn) else "text"
    if fmt not in ("binary", "text"):
        raise ValueError("fmt must be binary, text or auto")
    n = vectors.shape[0]
    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(" (FORMAT BINARY)" if fmt == "binary" else ""))
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        if fmt == "binary":
            copy.write(_COPY_HEADER)
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            ids = np.arange(first_id + start, first_id + stop, dtype=np.int64)
            rows = _binary_rows if fmt == "binary" else _text_rows
            copy.write(rows(ids, vectors[start:stop], [c[start:stop] for c in ints]))
        if fmt == "binary":
            copy.write(_COPY_TRAILER)
    return n
