"""Vector indices behind one small interface. FAISS is the embedded default.

The index is a cache: the master copy of each vector is in SQL (`track_vectors`), so a lost or
stale index file is rebuilt, never trusted over the database.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from epitrace.store.ivf_accel import ACCEL_MIN, REFINE, IvfAccelerator, use_fast_blas
from epitrace.store.private_files import private_dir

logger = logging.getLogger(__name__)


def l2_normalise(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length, so inner product is cosine similarity."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class VectorIndex(ABC):
    """Cosine-similarity search over vectors keyed by int64 ids (track ids)."""

    dim: int

    @abstractmethod
    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Add `vectors` under `ids` (stored at unit length)."""

    @abstractmethod
    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        """Remove `ids` (unknown ids are ignored)."""

    @abstractmethod
    def search(
        self,
        queries: npt.NDArray[np.float32],
        k: int,
        allowed_ids: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-k (scores, ids) per query row; ids are -1 where fewer than k exist."""

    @abstractmethod
    def ids(self) -> npt.NDArray[np.int64]:
        """The ids held."""

    @abstractmethod
    def save(self) -> None:
        """Persist the index (a no-op for in-memory indices)."""

    def __len__(self) -> int:
        return len(self.ids())

    def _unit_rows(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """`vectors` at unit length, checked to be one `dim`-long row per id (for `add`)."""
        vectors = l2_normalise(vectors)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected vectors of shape ({len(ids)}, {self.dim}), got {vectors.shape}"
                             + _DIM_HINT.get((self.dim, vectors.shape[-1]), ""))
        return vectors


SEARCH_THREADS = int(os.environ.get("EPITRACE_SEARCH_THREADS", "0"))
"""OpenMP threads of one FAISS search (0: FAISS's default). On an oversubscribed host a flat search
of 10 queries over 300k 576-d vectors took 4.8-8.4 s with 2 threads and 0.41-0.50 s with 1, but a
whole trace over 1.07M sightings showed no difference (docs/scaling.md), so it is opt-in."""

EXACT_SCOPE = 50_000
"""Scopes of up to this many ids are searched exactly (the selector skips the rest cheaply)."""

_DIM_HINT = {(1856, 576): ": this store holds v1 body vectors (1,856-d colour + MobileNetV2); the body "
              "vector is 576-d since BODY_VECTOR_VERSION 2: re-ingest the footage into a new store"}
"""Why a known pair of (stored, new) dimensions differ."""


class FaissIndex(VectorIndex):
    """Exact inner-product FAISS index (IndexIDMap2 over IndexFlatIP), saved atomically.

    From `ACCEL_MIN` vectors on, an IVF-SQ8 accelerator (`ivf_accel`, saved beside the index as
    `<file>.ivf`) proposes candidates whose scores are recomputed exactly here: a search reads a
    few lists instead of every vector. `accelerate = False` (or a small scope) searches exactly.
    """

    def __init__(self, path: Path | None, dim: int, accelerate: bool = True) -> None:
        use_fast_blas()  # before FAISS loads: its OpenBLAS then trains the accelerator 4-5x faster here
        import faiss

        # Any: faiss's stubs describe the SWIG layer (IDSelector, raw pointers), not the numpy
        # wrappers the Python package installs over it, which is what is called here.
        self._faiss: Any = faiss
        self.path = path
        self.dim = dim
        self.accelerate = accelerate
        self._accel: IvfAccelerator | None = None
        self._index: Any
        if path is not None and path.exists():
            index = faiss.read_index(str(path))
            if index.d != dim:
                raise ValueError(f"{path} holds {index.d}-d vectors, expected {dim}")
            self._index = index
            self._load_accel()
        else:
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def _accel_path(self) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.name + ".ivf")

    def _load_accel(self) -> None:
        """Reuse the saved accelerator if it holds the index's ids, else rebuild it.

        A crash between saving the index and its accelerator leaves them out of step: stale ids
        would be proposed (and a purged vector's codes kept), so any difference means a rebuild.
        """
        accel_path = self._accel_path
        if accel_path is not None and accel_path.exists():
            accel = IvfAccelerator(self._faiss.read_index(str(accel_path)))
            if accel.index.d == self.dim and np.array_equal(np.sort(accel.ids()), np.sort(self.ids())):
                self._accel = accel
                return
            logger.warning("%s is out of step with its index: rebuilding it", accel_path)
        self._refresh_accel()

    def _refresh_accel(self) -> None:
        """(Re)build the accelerator when the index reached `ACCEL_MIN` or outgrew its lists."""
        n = int(self._index.ntotal)
        if n < ACCEL_MIN:
            self._accel = None
            return
        if self._accel is not None and not self._accel.outgrown(n):
            return
        logger.info("training a search accelerator over %d %d-d vectors", n, self.dim)
        flat = self._faiss.downcast_index(self._index.index)
        ids = self._faiss.vector_to_array(self._index.id_map).astype(np.int64)
        rows = IvfAccelerator.sample_rows(n)
        accel = IvfAccelerator.trained(np.stack([flat.reconstruct(int(r)) for r in rows]), n)
        for start in range(0, n, 100_000):  # in chunks: never a second full copy of the vectors
            stop = min(start + 100_000, n)
            accel.add(ids[start:stop], flat.reconstruct_n(start, stop - start))
        self._accel = accel

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Add `vectors` under `ids` (stored at unit length)."""
        if len(ids) == 0:
            return
        vectors = self._unit_rows(ids, vectors)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        self._index.add_with_ids(vectors, ids)
        if self._accel is not None and not self._accel.outgrown(int(self._index.ntotal)):
            self._accel.add(ids, vectors)
        else:
            self._refresh_accel()

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        """Remove `ids` (unknown ids are ignored), from the accelerator too."""
        if len(ids):
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))
            if self._accel is not None:
                self._accel.remove(ids)
                if self._index.ntotal < ACCEL_MIN // 2:
                    self._accel = None

    def search(
        self,
        queries: npt.NDArray[np.float32],
        k: int,
        allowed_ids: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-k (scores, ids) per query row, optionally only among `allowed_ids`.

        Scores are always exact cosines. With an accelerator, scopes larger than `EXACT_SCOPE`
        take their candidates from its probed lists (fast; recall measured, not guaranteed).
        """
        queries = l2_normalise(np.atleast_2d(queries))
        if allowed_ids is not None and len(allowed_ids) == 0:
            return np.zeros((len(queries), k), np.float32), np.full((len(queries), k), -1, np.int64)
        previous = self._faiss.omp_get_max_threads()
        self._faiss.omp_set_num_threads(SEARCH_THREADS or previous)
        try:
            accel = self._accel if self.accelerate else None
            if accel is not None and self._scope_fits(accel, allowed_ids, k):
                return self._rerank(queries, accel.candidates(queries, REFINE * k, allowed_ids), k)
            params = None
            if allowed_ids is not None:
                selector = self._faiss.IDSelectorBatch(np.ascontiguousarray(allowed_ids, np.int64))
                params = self._faiss.SearchParameters(sel=selector)
            scores, ids = self._index.search(queries, k, params=params)
        finally:
            self._faiss.omp_set_num_threads(previous)
        return scores, ids

    @staticmethod
    def _scope_fits(accel: IvfAccelerator, allowed_ids: npt.NDArray[np.int64] | None, k: int) -> bool:
        """Whether the probed lists can hold enough of the scope: else exact search is both right and cheap.

        A scope spread over all lists puts `nprobe / nlist` of its ids in the probed ones; fewer
        than 8x the candidates wanted there would silently cost recall.
        """
        if allowed_ids is None:
            return True
        return len(allowed_ids) > max(EXACT_SCOPE, 8 * REFINE * k * accel.nlist / accel.nprobe)

    def _rerank(self, queries: npt.NDArray[np.float32], candidates: npt.NDArray[np.int64],
                k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """The best k of each row's candidates by exact cosine (from the flat vectors); -1 pads."""
        scores = np.zeros((len(queries), k), np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        unique, where = np.unique(candidates[candidates >= 0], return_inverse=True)
        if len(unique) == 0:
            return scores, ids
        exact = queries @ self._index.reconstruct_batch(unique).T  # one read for all rows' candidates
        column = np.full(candidates.shape, -1, np.int64)
        column[candidates >= 0] = where
        for row in range(len(queries)):
            cols = column[row][column[row] >= 0]
            best = cols[np.argsort(-exact[row, cols], kind="stable")[:k]]
            scores[row, :len(best)], ids[row, :len(best)] = exact[row, best], unique[best]
        return scores, ids

    def ids(self) -> npt.NDArray[np.int64]:
        """The ids held."""
        return self._faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def __len__(self) -> int:
        return int(self._index.ntotal)  # not len(ids()): that copies every id

    def save(self) -> None:
        """Write the index file atomically (nothing without a path)."""
        if self.path is None:
            return
        private_dir(self.path.parent)
        tmp = self.path.with_name(self.path.name + ".tmp")
        self._faiss.write_index(self._index, str(tmp))
        os.chmod(tmp, 0o600)  # private whatever the umask (issue 12 F13)
        tmp.replace(self.path)
        accel_path = self._accel_path
        if accel_path is None:
            return
        if self._accel is None:
            accel_path.unlink(missing_ok=True)  # a purge below ACCEL_MIN leaves no codes behind
            return
        tmp = accel_path.with_name(accel_path.name + ".tmp")
        self._faiss.write_index(self._accel.index, str(tmp))
        os.chmod(tmp, 0o600)
        tmp.replace(accel_path)
