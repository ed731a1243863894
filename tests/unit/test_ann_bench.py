"""The ANN benchmark's own arithmetic: synthetic structure, streamed exact search, recall."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from epitrace.evaluation.ann_bench import AnnSpec, merge_topk, recall_at_k, run
from epitrace.evaluation.ann_data import STRUCTURES, SightingStream, Structure, sample_queries, structure_of
from epitrace.evaluation.footprint import project

SMALL = Structure(dim=64, mean_share=0.54, within_share=0.64, slope=1.14, explicit=32)


def _spec(factory: str, nprobes: tuple[int, ...] = (1, 64)) -> AnnSpec:
    return AnnSpec(kind="body", vectors=20_000, factory=factory, queries=50, chunk_size=5_000, train=20_000,
                   nprobes=nprobes)


def test_chunks_are_reproducible_and_clustered_like_real_vectors() -> None:
    stream = SightingStream(STRUCTURES["body"], 4_000, chunk_size=2_000)
    a, b = stream.chunk(1), stream.chunk(1)
    assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.persons, b.persons)
    assert a.first == 2_000 and a.persons.min() >= 2_000
    np.testing.assert_allclose(np.linalg.norm(a.vectors, axis=1), 1.0, atol=1e-5)
    sims = a.vectors @ a.vectors.T
    same = a.persons[:, None] == a.persons[None, :]
    off = ~np.eye(len(sims), dtype=bool)
    # Measured on PETS body vectors (v2, 576-d): strangers 0.457 (|mean|^2 0.483), same person 0.674.
    assert sims[~same].mean() == pytest.approx(0.483, abs=0.03)
    assert sims[same & off].mean() == pytest.approx(0.674, abs=0.04)


def test_measured_structure_matches_the_specification() -> None:
    spec = Structure(dim=256, mean_share=0.54, within_share=0.64, slope=1.14, explicit=256, sightings_per_person=40)
    chunk = SightingStream(spec, 2_000, chunk_size=2_000).chunk(0)
    got = structure_of(chunk.vectors, chunk.persons)
    assert got["mean_share"] == pytest.approx(0.54, abs=0.03)
    assert got["within_share"] == pytest.approx(0.64 * 39 / 40, abs=0.05)  # person means from 40 samples
    assert got["slope"] == pytest.approx(1.14, abs=0.15)


def test_queries_are_new_sightings_of_indexed_people() -> None:
    stream = SightingStream(SMALL, 20_000, chunk_size=5_000)
    q, persons = sample_queries(stream, 40, seed=3)
    assert q.shape == (40, 64)
    for c in range(stream.n_chunks):
        chunk = stream.chunk(c)
        mine = np.isin(persons, chunk.persons)
        if mine.any():  # a query is closer to its own person's sightings than to the chunk's average
            own = [(q[i] @ chunk.vectors[chunk.persons == persons[i]].T).mean() for i in np.flatnonzero(mine)]
            assert np.mean(own) > (q[mine] @ chunk.vectors.T).mean() + 0.1


def test_merge_topk_keeps_the_best() -> None:
    s, i = merge_topk(np.array([[0.9, 0.5]], np.float32), np.array([[1, 2]]),
                      np.array([[0.7, 0.1]], np.float32), np.array([[3, 4]]), 2)
    assert i.tolist() == [[1, 3]]
    np.testing.assert_allclose(s, [[0.9, 0.7]])


def test_recall_at_k_counts_overlap() -> None:
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    assert recall_at_k(truth, truth) == 1.0
    assert recall_at_k(np.array([[1, 2, -1, -1], [8, 7, 6, 9]]), truth) == pytest.approx(5 / 8)


def test_exact_index_has_recall_one_and_streamed_truth_is_exact(tmp_path: Path) -> None:
    figures = run(_spec("Flat"), tmp_path, structure=SMALL)
    row = figures["search"]["sweep"][0]
    assert row["recall_at_10"] == 1.0 and row["nearest_in_top_k"] == 1.0
    stream = SightingStream(SMALL, 20_000, chunk_size=5_000)
    everything = np.concatenate([stream.chunk(c).vectors for c in range(stream.n_chunks)])
    q = np.load(tmp_path / "queries.npy")
    brute = np.argsort(-(q @ everything.T), axis=1)[:, :10]
    assert np.array_equal(np.sort(brute, axis=1), np.sort(np.load(tmp_path / "truth_ids.npy"), axis=1))


def test_few_probes_lose_recall_and_all_probes_do_not(tmp_path: Path) -> None:
    figures = run(_spec("IVF64,Flat"), tmp_path, structure=SMALL)
    one, every = figures["search"]["sweep"]
    assert one["nprobe"] == 1 and every["nprobe"] == 64
    assert one["recall_at_10"] < 0.9 and every["recall_at_10"] == 1.0
    built = json.loads((tmp_path / "index-IVF64_Flat.json").read_text())
    again = run(_spec("IVF64,Flat"), tmp_path, structure=SMALL)  # cached: nothing rebuilt
    assert again["index_build"]["build_wall_seconds"] == built["build_wall_seconds"]


def test_projection_arithmetic() -> None:
    per_hour = {"cpu_seconds": 1800.0, "sightings": 1000.0, "sql_bytes": 1e6, "vector_index_bytes": 2e6,
                "evidence_bytes": 3e6}
    p = project(per_hour, cameras=100, retention_days=30, node_cores=10, utilisation=0.5)
    assert p["cores_busy"] == 50.0 and p["nodes"] == 10
    assert p["sightings_per_day"] == 2_400_000 and p["tb_per_day"] == pytest.approx(0.0144, abs=1e-4)
    assert p["tb_in_retention"] == pytest.approx(0.4, abs=0.05)


def test_a_cache_of_another_benchmark_is_refused(tmp_path: Path) -> None:
    run(_spec("Flat"), tmp_path, structure=SMALL)
    other = AnnSpec(kind="body", vectors=20_000, factory="IVF64,Flat", queries=40, chunk_size=5_000, train=20_000)
    with pytest.raises(ValueError, match="another benchmark"):
        run(other, tmp_path, structure=SMALL)
