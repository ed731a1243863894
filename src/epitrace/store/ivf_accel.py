"""An approximate first pass for a large exact FAISS index: IVF lists of 8-bit codes.

Why: an exact search reads every stored vector (1.07M 576-d body vectors are 2.5 GB), which
took 5.8 of the 6.5 s of tracing 10 subjects over 1,000 camera-hours (docs/scaling.md). An IVF
index reads only `nprobe` of its lists, at a quarter of the bytes (SQ8). It only proposes
candidates: `FaissIndex` recomputes their scores exactly from its flat vectors, so the calibrated
thresholds see exact cosines. What it can lose is a neighbour outside the probed lists; that
recall is measured against exact search by `epitrace bench trace` (fast and exact interleaved).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ACCEL_MIN = 100_000
"""Indices with at least this many vectors get an accelerator (below, exact search is cheap)."""

PROBE_SHARE = 1 / 16
"""Share of the lists probed: 64 of 1,024 gave recall@10 0.964 on 1M structured 576-d vectors."""

MIN_PROBES = 32
"""Never probe fewer lists than this: at 120k vectors (256 lists) 16 probes gave recall@10 0.93, 32 gave 0.98."""

REFINE = 2
"""Candidates asked of the IVF pass per result wanted; the exact rerank keeps the best k."""

def lists_for(n: int) -> int:
    """IVF lists for `n` vectors: the power of two nearest sqrt(n), within 64..65,536."""
    return int(min(max(2 ** round(math.log2(max(math.sqrt(n), 1))), 64), 65_536))


def use_fast_blas() -> None:
    """Let FAISS's bundled OpenBLAS (0.3.15) use its AVX-512 kernels on CPUs it does not recognise.

    On this machine's Xeon it falls back to generic kernels: k-means, exact search and IVF
    assignment ran 4-5x slower than with OPENBLAS_CORETYPE=SkylakeX. Only effective before FAISS
    is first imported, and only set when the CPU has the AVX-512 subsets those kernels use.
    """
    if "faiss" in sys.modules or "OPENBLAS_CORETYPE" in os.environ:
        return
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return
    if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"


class IvfAccelerator:
    """IVF-SQ8 (inner product) over the same ids as the exact index; proposes candidates only."""

    def __init__(self, index: Any) -> None:
        import faiss

        self._faiss: Any = faiss
        self.index = index
        self.ivf: Any = faiss.extract_index_ivf(index)

    @classmethod
    def trained(cls, sample: npt.NDArray[np.float32], n: int) -> IvfAccelerator:
        """An empty accelerator with lists for `n` vectors, trained on `sample` (unit rows)."""
        import faiss

        index = faiss.index_factory(sample.shape[1], f"IVF{lists_for(n)},SQ8", faiss.METRIC_INNER_PRODUCT)
        faiss.extract_index_ivf(index).cp.niter = 10  # FAISS's 25 costs 2.5x for little (docs/scaling.md)
        index.train(np.ascontiguousarray(sample, np.float32))
        return cls(index)

    @property
    def nlist(self) -> int:
        """Number of inverted lists."""
        return int(self.ivf.nlist)

    @property
    def nprobe(self) -> int:
        """Lists probed per query (`PROBE_SHARE` of them, at least `MIN_PROBES`)."""
        return self.nprobe_at(PROBE_SHARE)

    def nprobe_at(self, share: float) -> int:
        """Lists probed per query when `share` of them are."""
        return min(self.nlist, max(MIN_PROBES, round(self.nlist * share)))

    @staticmethod
    def sample_rows(n: int, seed: int = 7) -> npt.NDArray[np.int64]:
        """Which of `n` rows to train on (64 per list, sorted, seeded: the same index every time)."""
        rows = np.random.default_rng(seed).choice(n, size=min(n, 64 * lists_for(n)), replace=False)
        return np.sort(rows).astype(np.int64)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> npt.NDArray[np.int64]:
        """Every id held, list by list (to check a saved accelerator against its index)."""
        lists = self.ivf.invlists
        parts = [self._faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).copy()
                 for n in range(self.nlist) if lists.list_size(n)]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def outgrown(self, n: int) -> bool:
        """Whether `n` vectors deserve twice the lists (up to 4x the vectors trained on): retrain."""
        return lists_for(n) >= 2 * self.nlist

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Add unit rows under `ids` (the lists stay as trained)."""
        self.index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64))

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        """Remove `ids` (their codes leave the lists: a purged vector is gone from here too)."""
        if len(ids):
            self.index.remove_ids(self._faiss.IDSelectorBatch(np.ascontiguousarray(ids, np.int64)))

    def candidates(self, queries: npt.NDArray[np.float32], k: int,
                   allowed_ids: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.int64]:
        """Up to `k` candidate ids per query row from the probed lists (-1 where fewer)."""
        selector = None if allowed_ids is None else self._faiss.IDSelectorBatch(
            np.ascontiguousarray(allowed_ids, np.int64))
        params = self._faiss.SearchParametersIVF(nprobe=self.nprobe, sel=selector)
        _, ids = self.index.search(queries, k, params=params)
        return np.asarray(ids, np.int64)
