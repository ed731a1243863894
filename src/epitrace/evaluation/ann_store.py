"""Recall of the store's accelerated search against its exact search, on structured vectors.

Why: the trace benchmark's strangers are random vectors, on which no IVF index can rank the
top hundreds (they are noise); the store's `FaissIndex` must be judged on vectors shaped like
real ones (`ann_data`). Same index, same queries, accelerated and exact searches interleaved:
recall@k of the fast path and latency of both.

Run: `python -m epitrace.evaluation.ann_store --sightings 1000000 --queries 200 --probe-shares 0.0625,0.125`
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from epitrace.evaluation.ann_bench import percentiles, recall_at_k
from epitrace.evaluation.ann_data import STRUCTURES, SightingStream, sample_queries
from epitrace.store import ivf_accel
from epitrace.store.vectors import FaissIndex


def measure_store_index(sightings: int, queries: int, ks: tuple[int, ...] = (10, 200),
                        probe_shares: tuple[float, ...] = (ivf_accel.PROBE_SHARE,), batch: int = 10,
                        seed: int = 11) -> dict[str, Any]:
    """Fill an in-memory `FaissIndex` with `sightings` body vectors; fast vs exact recall and times.

    Each batch of 10 queries (a case's subjects in one call) is searched exactly, then fast at
    each probed share of the lists, in turn: the times compare on a shared machine.
    """
    stream = SightingStream(STRUCTURES["body"], sightings, seed)
    index = FaissIndex(None, stream.structure.dim)
    start = time.perf_counter()
    for c in range(stream.n_chunks):
        chunk = stream.chunk(c)
        index.add(np.arange(chunk.first, chunk.first + len(chunk.vectors), dtype=np.int64), chunk.vectors)
    fill_s = time.perf_counter() - start
    q, _ = sample_queries(stream, queries, seed)
    accel = index._accel
    out: dict[str, Any] = {"sightings": sightings, "queries": queries, "fill_seconds": round(fill_s, 1),
                           "nlist": None if accel is None else accel.nlist}
    default_share = ivf_accel.PROBE_SHARE
    try:
        for k in ks:
            modes = [None, *probe_shares]  # None: exact
            found: dict[float | None, list[np.ndarray]] = {m: [] for m in modes}
            ms: dict[float | None, list[float]] = {m: [] for m in modes}
            for b in range(0, queries - batch + 1, batch):
                for mode in modes:
                    index.accelerate = mode is not None
                    ivf_accel.PROBE_SHARE = mode or default_share
                    t = time.perf_counter()
                    found[mode].append(index.search(q[b:b + batch], k)[1])
                    ms[mode].append(1000 * (time.perf_counter() - t))
            exact = np.concatenate(found[None])
            out[f"k{k}"] = {"exact_batch_ms": percentiles(ms[None]), "fast": [
                {"probe_share": share, "nprobe": None if accel is None else accel.nprobe_at(share),
                 "recall": round(recall_at_k(np.concatenate(found[share]), exact), 4),
                 "batch_ms": percentiles(ms[share])} for share in probe_shares]}
    finally:
        ivf_accel.PROBE_SHARE = default_share
    return out


def main() -> None:
    """Command line: print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sightings", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--probe-shares", default=str(ivf_accel.PROBE_SHARE), help="e.g. 0.0625,0.125")
    args = parser.parse_args()
    shares = tuple(float(v) for v in args.probe_shares.split(","))
    figures = measure_store_index(args.sightings, args.queries, probe_shares=shares)
    sys.stdout.write(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
