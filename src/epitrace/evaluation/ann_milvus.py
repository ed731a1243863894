"""The same synthetic vectors and exact top-k, searched through the Milvus backend (`MilvusIndex`).

Run after `ann_bench.build` for the same (kind, size, seed): the queries and exact top-k are
read from its work folder, so FAISS and Milvus are scored against the same truth. milvus-lite
(a local `.db` path) keeps an exact FLAT index in this process: it measures the backend's insert
and query overhead at a size that fits, not a Milvus server's approximate indices.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from epitrace.evaluation.ann_bench import AnnSpec, Progress, percentiles, recall_at_k, rss_gb
from epitrace.evaluation.ann_data import STRUCTURES, SightingStream, Structure


def run_milvus(spec: AnnSpec, workdir: Path, uri: str, progress: Progress | None = None,
               structure: Structure | None = None, queries: int = 200, batch: int = 10) -> dict[str, Any]:
    """Insert every vector of `spec` into a fresh Milvus collection at `uri`; recall and latency."""
    from epitrace.store.milvus_index import MilvusIndex, lite_path

    progress = progress or (lambda *_: None)
    path = lite_path(uri)
    if path is not None and path.exists():
        path.unlink()  # a fresh collection: an interrupted earlier run may have left a part
    stream = SightingStream(structure or STRUCTURES[spec.kind], spec.vectors, spec.seed, spec.chunk_size)
    index = MilvusIndex(uri, collection=f"bench_{spec.kind}", dim=stream.structure.dim)
    cpu, wall = time.process_time(), time.perf_counter()
    for c in range(stream.n_chunks):
        chunk = stream.chunk(c)
        index.add(np.arange(chunk.first, chunk.first + len(chunk.vectors), dtype=np.int64), chunk.vectors)
        progress("milvus insert (chunks)", c + 1, stream.n_chunks)
    index.save()
    insert = {"cpu_seconds": round(time.process_time() - cpu, 1), "wall_seconds": round(time.perf_counter() - wall, 1)}
    q = np.load(workdir / "queries.npy")[:queries]
    truth = np.load(workdir / "truth_ids.npy")[:queries]
    single, found = [], np.empty_like(truth)
    for i in range(len(q)):
        t = time.perf_counter()
        _, found[i:i + 1] = index.search(q[i:i + 1], spec.k)
        single.append(1000 * (time.perf_counter() - t))
        progress("milvus queries", i + 1, len(q))
    batched = []
    for b in range(0, len(q) - batch + 1, batch):
        t = time.perf_counter()
        index.search(q[b:b + batch], spec.k)
        batched.append(1000 * (time.perf_counter() - t))
    index.close()
    return {"uri": uri, "vectors": spec.vectors, "index": "FLAT (exact), inner product", "insert": insert,
            "insert_rows_per_second": round(spec.vectors / max(insert["wall_seconds"], 1e-9)),
            "disk_bytes": sum(p.stat().st_size for p in path.parent.rglob("*") if p.is_file()) if path else None,
            "peak_rss_gb": round(rss_gb("VmHWM"), 2), "queries": len(q),
            f"recall_at_{spec.k}": round(recall_at_k(found, truth), 4), "per_query": percentiles(single),
            f"per_batch_of_{batch}": percentiles(batched)}
