"""Approximate vector search at city scale: recall@10 against exact search, and query latency.

10 million 1,856-d body vectors are 74 GB as float32, more than this machine's memory and free
disk, so neither the index nor exact search may hold them. The vectors come from a seeded
generator (`ann_data`) chunk by chunk: one pass trains on the first chunks, then adds every chunk
to a compressed FAISS index (e.g. PCA to 256-d + IVF + PQ) and, in the same pass, merges each
chunk's exact top-k for the queries (full-dimension float32 inner products). Results are cached
in a work folder, so a later run only loads the index and queries it.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from epitrace.evaluation.ann_data import STRUCTURES, Chunk, SightingStream, Structure, sample_queries
from epitrace.store.ivf_accel import use_fast_blas

Progress = Callable[[str, int, int], None]  # (stage, done, total)

# Measured at 10M (docs/scaling.md section 6): the 576-d v2 body vector kept whole as 8-bit scalars
# (576 B, 5.85 GB per 10M; PCA is no longer needed to fit), 4,096 lists (~2,400 vectors each);
# nprobe 128 gave recall@10 0.961 at 46 ms a query on 1 thread. The v1 1,856-d
# vector needed PCA512 and never passed recall 0.84. Face vectors are small enough to keep whole.
DEFAULT_FACTORY = {"body": "IVF4096,SQ8", "face": "IVF4096,Flat"}
NPROBES = (1, 4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class AnnSpec:
    """One benchmark: which vectors, how many, which index (a FAISS factory string, L2 metric)."""

    kind: str
    vectors: int
    factory: str
    queries: int = 1000
    k: int = 10
    seed: int = 11
    chunk_size: int = 50_000
    train: int = 200_000
    kmeans_iters: int = 10  # of the coarse quantiser: 25 (FAISS's default) costs 2.5x for little
    nprobes: tuple[int, ...] = NPROBES

    @property
    def index_file(self) -> str:
        """The index's file name, from its FAISS factory string."""
        return "index-" + re.sub(r"[^A-Za-z0-9]+", "_", self.factory) + ".faiss"


def default_workdir(bench_dir: Path, spec: AnnSpec) -> Path:
    """Where the data of `spec` is cached: one folder per (kind, size, queries, seed), indices side by side."""
    return bench_dir / "ann" / f"{spec.kind}-{spec.vectors}-q{spec.queries}-s{spec.seed}"


def rss_gb(field_name: str = "VmRSS") -> float:
    """Resident (VmRSS) or peak resident (VmHWM) memory of this process, GB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1e6
    return float("nan")


@dataclass
class _Clock:
    """CPU (all threads) and wall seconds per named phase."""

    cpu: dict[str, float] = field(default_factory=dict)
    wall: dict[str, float] = field(default_factory=dict)

    def run(self, phase: str, fn: Callable[[], Any]) -> Any:
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        self.cpu[phase] = self.cpu.get(phase, 0.0) + time.process_time() - c
        self.wall[phase] = self.wall.get(phase, 0.0) + time.perf_counter() - w
        return out

    def rounded(self) -> dict[str, dict[str, float]]:
        return {"cpu_seconds": {k: round(v, 1) for k, v in self.cpu.items()},
                "wall_seconds": {k: round(v, 1) for k, v in self.wall.items()}}


def merge_topk(scores: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], new_scores: npt.NDArray[np.float32],
               new_ids: npt.NDArray[np.int64], k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The k highest scores per row of two (scores, ids) sets; ties keep the earlier id."""
    s = np.concatenate([scores, new_scores], axis=1)
    i = np.concatenate([ids, new_ids], axis=1)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(s, order, axis=1), np.take_along_axis(i, order, axis=1)


def _train(index: Any, stream: SightingStream, n_train: int, iters: int, clock: _Clock, progress: Progress) -> None:
    import faiss

    chunks = min(math.ceil(n_train / stream.chunk_size), stream.n_chunks)
    sample = []
    for c in range(chunks):
        sample.append(clock.run("generate", functools.partial(lambda i: stream.chunk(i).vectors, c)))
        progress("training sample (chunks)", c + 1, chunks)
    x = np.concatenate(sample)[:n_train]
    del sample
    try:
        faiss.extract_index_ivf(index).cp.niter = iters
    except RuntimeError:
        pass  # not an IVF index
    clock.run("train", lambda: index.train(x))


def build(spec: AnnSpec, workdir: Path, progress: Progress | None = None,
          structure: Structure | None = None) -> dict[str, Any]:
    """Create what is missing in `workdir` (queries, exact top-k, the index) in one pass; figures.

    Files: queries.npy, query_persons.npy, persons.npy (person id of every sighting),
    truth_ids.npy / truth_scores.npy (exact top-k by inner product), truth.json, the index and
    its .json. Each .json is written last, so its presence means the part is complete.
    """
    use_fast_blas()
    import faiss

    progress = progress or (lambda *_: None)
    workdir.mkdir(parents=True, exist_ok=True)
    stream = SightingStream(structure or STRUCTURES[spec.kind], spec.vectors, spec.seed, spec.chunk_size)
    index_path = workdir / spec.index_file
    need_truth = not (workdir / "truth.json").exists()
    need_index = not index_path.with_suffix(".json").exists()
    if not (need_truth or need_index):
        return json.loads(index_path.with_suffix(".json").read_text())
    clock = _Clock()
    wall0 = time.perf_counter()
    if need_truth:
        q, qp = clock.run("generate", lambda: sample_queries(stream, spec.queries, spec.seed))
        np.save(workdir / "queries.npy", q)
        np.save(workdir / "query_persons.npy", qp)
        top_s = np.full((len(q), spec.k), -np.inf, np.float32)
        top_i = np.full((len(q), spec.k), -1, np.int64)
        persons = np.empty(spec.vectors, np.int64)
    else:
        made = json.loads((workdir / "truth.json").read_text())["spec"]
        same = ("kind", "vectors", "queries", "k", "seed", "chunk_size")
        if any(made[key] != getattr(spec, key) for key in same):
            raise ValueError(f"{workdir} holds another benchmark ({ {key: made[key] for key in same} }): "
                             "use another work folder")
        q = np.load(workdir / "queries.npy")
    index, ip = None, faiss.METRIC_INNER_PRODUCT
    if need_index:
        index = faiss.index_factory(stream.structure.dim, spec.factory, faiss.METRIC_L2)
        if not index.is_trained:
            _train(index, stream, spec.train, spec.kmeans_iters, clock, progress)
    for c in range(stream.n_chunks):
        chunk: Chunk = clock.run("generate", functools.partial(stream.chunk, c))
        if index is not None:
            clock.run("add", functools.partial(index.add, chunk.vectors))
        if need_truth:
            s, i = clock.run("exact", functools.partial(faiss.knn, q, chunk.vectors, spec.k, metric=ip))
            top_s, top_i = merge_topk(top_s, top_i, s, i + chunk.first, spec.k)
            persons[chunk.first:chunk.first + len(chunk.persons)] = chunk.persons
        progress("adding + exact search (chunks)" if need_truth else "adding (chunks)", c + 1, stream.n_chunks)
    figures: dict[str, Any] = {"spec": asdict(spec), "structure": asdict(stream.structure),
                               **clock.rounded(), "build_wall_seconds": round(time.perf_counter() - wall0, 1),
                               "peak_rss_gb": round(rss_gb("VmHWM"), 2)}
    if need_truth:
        np.save(workdir / "persons.npy", persons)
        np.save(workdir / "truth_ids.npy", top_i)
        np.save(workdir / "truth_scores.npy", top_s)
        (workdir / "truth.json").write_text(json.dumps(figures, indent=2))
    if index is not None:
        tmp = index_path.with_name(index_path.name + ".tmp")
        faiss.write_index(index, str(tmp))
        tmp.replace(index_path)
        figures["index_bytes"] = index_path.stat().st_size
        index_path.with_suffix(".json").write_text(json.dumps(figures, indent=2))
    return figures


def _set_probe(index: Any, value: int | None) -> str | None:
    """Set nprobe (IVF) or efSearch (HNSW) where the index has one; the knob's name or None."""
    import faiss

    if value is None:
        return None
    try:
        faiss.extract_index_ivf(index).nprobe = value
        return "nprobe"
    except RuntimeError:
        pass
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexPreTransform) else index
    if hasattr(inner, "hnsw"):
        inner.hnsw.efSearch = value
        return "efSearch"
    return None


def percentiles(ms: list[float]) -> dict[str, float]:
    """Median and 95th percentile of query times, milliseconds."""
    return {"median_ms": round(float(np.median(ms)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def recall_at_k(found: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> float:
    """Mean share of each query's exact top-k that the approximate top-k also returned."""
    hits = [len(set(f[f >= 0].tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True)]
    return float(np.sum(hits) / truth.size)


def measure(spec: AnnSpec, workdir: Path, progress: Progress | None = None, batch: int = 10,
            threads: int = 1) -> dict[str, Any]:
    """Query the cached index at each probe setting: recall@k vs exact, latency per query and batch.

    One thread by default: a search server answers concurrent requests one core each, and on a
    shared machine a second OpenMP thread mostly waits for a time slice (latency spikes of ~8 ms).
    """
    use_fast_blas()
    import faiss

    progress = progress or (lambda *_: None)
    faiss.omp_set_num_threads(threads)
    before = rss_gb()
    load = time.perf_counter()
    index = faiss.read_index(str(workdir / spec.index_file))
    load_s = time.perf_counter() - load
    index_rss = rss_gb() - before
    q = np.load(workdir / "queries.npy")
    truth = np.load(workdir / "truth_ids.npy")
    persons = np.load(workdir / "persons.npy", mmap_mode="r")
    qp = np.load(workdir / "query_persons.npy")
    mates_exact = float(np.mean((persons[truth] == qp[:, None]).sum(axis=1)))
    settings: list[int | None] = [p for p in spec.nprobes if _set_probe(index, p)] or [None]
    rows = []
    for n, value in enumerate(settings):
        knob = _set_probe(index, value)
        single, found = [], np.empty_like(truth)
        for i in range(len(q)):
            t = time.perf_counter()
            _, found[i:i + 1] = index.search(q[i:i + 1], spec.k)
            single.append(1000 * (time.perf_counter() - t))
        batched = []
        for b in range(0, len(q) - batch + 1, batch):
            t = time.perf_counter()
            index.search(q[b:b + batch], spec.k)
            batched.append(1000 * (time.perf_counter() - t))
        mates = float(np.mean((persons[np.maximum(found, 0)] == qp[:, None]).sum(axis=1)))
        rows.append({knob or "setting": value, f"recall_at_{spec.k}": round(recall_at_k(found, truth), 4),
                     "nearest_in_top_k": round(float(np.mean([truth[i, 0] in found[i] for i in range(len(q))])), 4),
                     "same_person_in_top_k": round(mates, 3), "per_query": percentiles(single),
                     f"per_batch_of_{batch}": percentiles(batched)})
        progress("querying (settings)", n + 1, len(settings))
    return {"index_file": spec.index_file, "index_bytes": (workdir / spec.index_file).stat().st_size,
            "index_rss_gb": round(index_rss, 2), "peak_rss_gb": round(rss_gb("VmHWM"), 2),
            "load_seconds": round(load_s, 1), "queries": len(q),
            "threads": threads, "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
            "same_person_in_exact_top_k": round(mates_exact, 3),
            "sweep": rows}


def run(spec: AnnSpec, workdir: Path, progress: Progress | None = None,
        structure: Structure | None = None, threads: int = 1) -> dict[str, Any]:
    """Build (or reuse) and measure; all figures in one dict."""
    built = build(spec, workdir, progress, structure)
    truth = json.loads((workdir / "truth.json").read_text())
    return {"kind": spec.kind, "vectors": spec.vectors, "factory": spec.factory, "k": spec.k,
            "index_build": {k: v for k, v in built.items() if k not in ("spec",)},
            "exact_build": {k: truth[k] for k in ("cpu_seconds", "wall_seconds", "build_wall_seconds")},
            "search": measure(spec, workdir, progress, threads=threads)}
