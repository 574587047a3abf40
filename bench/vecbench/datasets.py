"""Vector data sets as float32 numpy arrays.

  read_idx(path)                 any IDX file (the MNIST format), gzip or not
  fashion_mnist(...)             Fashion-MNIST train/test images (784-d)
  synthetic_clustered(n, dim)    Gaussian clusters, reproducible from a seed
  synthetic_clustered_chunks()   the same, generated piece by piece
  synthetic_clustered_labels()   the cluster of each of those points
  gaussian(n, dim)               i.i.d. standard normal, reproducible from a seed
  gaussian_chunks()              the same, generated piece by piece
  load(name, rows, queries)      a Dataset: base vectors + query vectors

Every array returned is C-contiguous float32 of shape (n, dim).
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import struct
from typing import Optional, Sequence

import numpy as np

# Where Debian's dataset-fashion-mnist package puts the files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

FASHION_MNIST_LABELS = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# IDX element type codes -> big-endian numpy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _open(path: str):
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_idx(path: str, limit: Optional[int] = None) -> np.ndarray:
    """Reads an IDX file (as used by MNIST), gzip-compressed or not.

    Returns an array of shape (count, d1, d2, ...) in native byte order.
    With limit, reads at most that many items along the first axis.
    """
    with _open(path) as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[0] != 0 or magic[1] != 0:
            raise ValueError(f"{path}: not an IDX file")
        dtype = _IDX_DTYPES.get(magic[2])
        if dtype is None:
            raise ValueError(f"{path}: unknown IDX element type 0x{magic[2]:02x}")
        ndim = magic[3]
        if ndim < 1:
            raise ValueError(f"{path}: IDX file without dimensions")
        shape = list(struct.unpack(">" + "I" * ndim, f.read(4 * ndim)))
        if limit is not None:
            shape[0] = min(shape[0], max(0, int(limit)))
        count = int(np.prod(shape))
        data = f.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ValueError(f"{path}: truncated IDX file")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def fashion_mnist_available(directory: str = FASHION_MNIST_DIR) -> bool:
    """True if the four Fashion-MNIST files are present."""
    return all(os.path.exists(os.path.join(directory, f)) for f in (
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))


def fashion_mnist(split: str = "train", limit: Optional[int] = None,
                  directory: str = FASHION_MNIST_DIR):
    """Fashion-MNIST images and labels.

    split is "train" (60,000 images) or "t10k" (10,000, the test set).
    Returns (vectors, labels): vectors float32 of shape (n, 784) with pixel
    values 0..255, labels uint8 of shape (n,) indexing FASHION_MNIST_LABELS.
    """
    if split not in ("train", "t10k"):
        raise ValueError("split must be 'train' or 't10k'")
    images = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"), limit)
    labels = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"), limit)
    vectors = np.ascontiguousarray(images.reshape(images.shape[0], -1), dtype=np.float32)
    return vectors, labels


def synthetic_clustered(n: int, dim: int, clusters: int = 32, seed: int = 42,
                        spread: float = 0.1, stream: int = 0) -> np.ndarray:
    """n points in dim dimensions drawn from Gaussian clusters.

    Cluster centres are uniform in [-1, 1)^dim and depend only on (dim,
    clusters, seed); points are centre + N(0, spread) per coordinate, drawn
    from random stream `stream`.  So stream 0 can be the base set and stream 1
    queries from the same clusters.  The same arguments always give the same
    array (explicit PCG64 generators, not numpy's global state), and the
    first k points do not depend on n.
    """
    if n < 0 or dim < 1 or clusters < 1:
        raise ValueError("need n >= 0, dim >= 1, clusters >= 1")
    centres = np.random.Generator(np.random.PCG64(seed)).uniform(
        -1.0, 1.0, size=(clusters, dim))
    # Separate generators for cluster choice and noise: the first k points
    # are then the same whatever n is (a larger set extends a smaller one).
    which = np.random.Generator(np.random.PCG64([seed, stream, 0])).integers(
        0, clusters, size=n)
    noise = np.random.Generator(np.random.PCG64([seed, stream, 1])).normal(
        0.0, spread, size=(n, dim))
    points = centres[which] + noise
    return np.ascontiguousarray(points, dtype=np.float32)


def synthetic_clustered_chunks(n: int, dim: int, chunk: int = 100000, clusters: int = 32,
                               seed: int = 42, spread: float = 0.1, stream: int = 0):
    """synthetic_clustered(n, dim, ...) in pieces, for sets too big to build at
    once: yields (start, array) with array rows start .. start+len-1.  The
    concatenation equals synthetic_clustered(n, dim, clusters, seed, spread,
    stream) exactly (the same generators, drawn in sequence)."""
    if n < 0 or dim < 1 or clusters < 1 or chunk < 1:
        raise ValueError("need n >= 0, dim >= 1, clusters >= 1, chunk >= 1")
    centres = np.random.Generator(np.random.PCG64(seed)).uniform(
        -1.0, 1.0, size=(clusters, dim))
    g_which = np.random.Generator(np.random.PCG64([seed, stream, 0]))
    g_noise = np.random.Generator(np.random.PCG64([seed, stream, 1]))
    # All cluster choices first: synthetic_clustered draws them in one call.
    which = g_which.integers(0, clusters, size=n)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        noise = g_noise.normal(0.0, spread, size=(stop - start, dim))
        yield start, np.ascontiguousarray(centres[which[start:stop]] + noise, dtype=np.float32)


def synthetic_clustered_labels(n: int, clusters: int = 32, seed: int = 42,
                               stream: int = 0) -> np.ndarray:
    """The cluster (0 .. clusters-1) of each of the n points of
    synthetic_clustered(n, ..., clusters, seed, stream=stream), without
    generating the points."""
    if n < 0 or clusters < 1:
        raise ValueError("need n >= 0, clusters >= 1")
    return np.random.Generator(np.random.PCG64([seed, stream, 0])).integers(
        0, clusters, size=n)


def gaussian(n: int, dim: int, seed: int = 42, stream: int = 0) -> np.ndarray:
    """n points in dim dimensions, every coordinate i.i.d. N(0, 1): data
    without structure, where every point has many near-equidistant
    neighbours (harder for a graph than clustered data of the same size).
    Stream 0 can be the base set and stream 1 queries from the same
    distribution; the same arguments always give the same array, and the
    first k points do not depend on n."""
    if n < 0 or dim < 1:
        raise ValueError("need n >= 0, dim >= 1")
    g = np.random.Generator(np.random.PCG64([seed, stream, 2]))
    return np.ascontiguousarray(g.standard_normal(size=(n, dim), dtype=np.float32))


def gaussian_chunks(n: int, dim: int, chunk: int = 100000, seed: int = 42, stream: int = 0):
    """gaussian(n, dim, seed, stream) in pieces: yields (start, array) with
    array rows start .. start+len-1; the concatenation equals gaussian(...)
    exactly (one generator, drawn in sequence)."""
    if n < 0 or dim < 1 or chunk < 1:
        raise ValueError("need n >= 0, dim >= 1, chunk >= 1")
    g = np.random.Generator(np.random.PCG64([seed, stream, 2]))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        yield start, np.ascontiguousarray(
            g.standard_normal(size=(stop - start, dim), dtype=np.float32))


@dataclasses.dataclass
class Dataset:
    """Base vectors to index, and query vectors drawn apart from them."""
    name: str
    base: np.ndarray                      # (rows, dim) float32
    queries: np.ndarray                   # (nq, dim) float32
    base_labels: Optional[np.ndarray] = None
    query_labels: Optional[np.ndarray] = None
    label_names: Optional[Sequence[str]] = None
    note: str = ""

    @property
    def dim(self) -> int:
        return int(self.base.shape[1])


def load(name: str = "auto", rows: Optional[int] = None, queries: int = 1000,
         dim: int = 128, seed: int = 42,
         fashion_mnist_dir: str = FASHION_MNIST_DIR) -> Dataset:
    """Returns a Dataset.

    name: "fashion-mnist" (base = train images, queries = t10k images),
          "synthetic" (clustered, `dim` dimensions, queries from the same
          clusters with a different seed), or "auto" (Fashion-MNIST when its
          files are installed, otherwise synthetic).
    rows: number of base vectors (default: all 60,000 for Fashion-MNIST,
          60,000 for synthetic).
    """
    if name == "auto":
        name = "fashion-mnist" if fashion_mnist_available(fashion_mnist_dir) else "synthetic"
    if name == "fashion-mnist":
        if not fashion_mnist_available(fashion_mnist_dir):
            raise FileNotFoundError(
                f"Fashion-MNIST not found in {fashion_mnist_dir} "
                "(apt-get install dataset-fashion-mnist)")
        note = ""
        if rows is not None and rows > 60000:
            note = f"Fashion-MNIST has 60000 training images; using all of them, not {rows}"
        if queries > 10000:
            note = (note + "; " if note else "") + "at most 10000 query images"
        base, base_labels = fashion_mnist("train", rows, fashion_mnist_dir)
        q, q_labels = fashion_mnist("t10k", queries, fashion_mnist_dir)
        return Dataset("fashion-mnist", base, q, base_labels, q_labels,
                       FASHION_MNIST_LABELS, note)
    if name == "synthetic":
        rows = 60000 if rows is None else rows
        clusters = 32
        return Dataset(f"synthetic ({clusters} Gaussian clusters, seed {seed})",
                       synthetic_clustered(rows, dim, clusters, seed, stream=0),
                       synthetic_clustered(queries, dim, clusters, seed, stream=1))
    raise ValueError(f"unknown data set {name!r} (fashion-mnist, synthetic, auto)")
