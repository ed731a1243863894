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

_DIM_HINT = {(1856, 576): ": this store holds v1 body vectors (1,856-d colour + MobileNetV2); the body "
              "vector is 576-d since BODY_VECTOR_VERSION 2: re-ingest the footage into a new store"}
"""Why a known pair of (stored, new) dimensions differ."""


class FaissIndex(VectorIndex):
    """Exact inner-product FAISS index (IndexIDMap2 over IndexFlatIP), saved atomically."""

    def __init__(self, path: Path | None, dim: int) -> None:
        import faiss

        # Any: faiss's stubs describe the SWIG layer (IDSelector, raw pointers), not the numpy
        # wrappers the Python package installs over it, which is what is called here.
        self._faiss: Any = faiss
        self.path = path
        self.dim = dim
        self._index: Any
        if path is not None and path.exists():
            index = faiss.read_index(str(path))
            if index.d != dim:
                raise ValueError(f"{path} holds {index.d}-d vectors, expected {dim}")
            self._index = index
        else:
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Add `vectors` under `ids` (stored at unit length)."""
        if len(ids) == 0:
            return
        vectors = self._unit_rows(ids, vectors)
        self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        """Remove `ids` (unknown ids are ignored)."""
        if len(ids):
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def search(
        self,
        queries: npt.NDArray[np.float32],
        k: int,
        allowed_ids: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-k (scores, ids) per query row, optionally only among `allowed_ids`."""
        queries = l2_normalise(np.atleast_2d(queries))
        params = None
        if allowed_ids is not None:
            if len(allowed_ids) == 0:
                empty = np.full((len(queries), k), -1, np.int64)
                return np.zeros((len(queries), k), np.float32), empty
            selector = self._faiss.IDSelectorBatch(np.ascontiguousarray(allowed_ids, np.int64))
            params = self._faiss.SearchParameters(sel=selector)
        previous = self._faiss.omp_get_max_threads()
        self._faiss.omp_set_num_threads(SEARCH_THREADS or previous)
        try:
            scores, ids = self._index.search(queries, k, params=params)
        finally:
            self._faiss.omp_set_num_threads(previous)
        return scores, ids

    def ids(self) -> npt.NDArray[np.int64]:
        """The ids held."""
        return self._faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def save(self) -> None:
        """Write the index file atomically (nothing without a path)."""
        if self.path is None:
            return
        private_dir(self.path.parent)
        tmp = self.path.with_name(self.path.name + ".tmp")
        self._faiss.write_index(self._index, str(tmp))
        os.chmod(tmp, 0o600)  # private whatever the umask (issue 12 F13)
        tmp.replace(self.path)
