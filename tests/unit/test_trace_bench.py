"""The query-phase benchmark: exact and fast traces interleaved, and the fast path's recall."""

from __future__ import annotations

from pathlib import Path

import pytest

from epitrace.evaluation.synthetic_index import SyntheticSpec
from epitrace.evaluation.trace_bench import fast_vs_exact, run_trace_bench
from epitrace.store import ivf_accel, vectors
from epitrace.tracing.search import Candidate


def _c(track_id: int, match: bool) -> Candidate:
    return Candidate(track_id, "cam", 0.0, 1.0, 0.9, None, 0.9 if match else 0.3, match, None)


def test_recall_counts_matches_and_candidates() -> None:
    exact = {1: [_c(10, True), _c(11, True), _c(12, False), _c(13, False)]}
    fast = {1: [_c(10, True), _c(12, False), _c(14, False)]}  # missed match 11 and candidate 13
    assert fast_vs_exact(fast, exact) == {"match_recall": 0.5, "exact_matches": 2,
                                          "candidate_recall": 0.5, "exact_candidates": 4}


def test_bench_traces_both_ways_and_fast_equals_exact_when_every_list_is_probed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "ACCEL_MIN", 300)  # the ~640 body vectors get an accelerator
    monkeypatch.setattr(ivf_accel, "PROBE_SHARE", 1.0)
    spec = SyntheticSpec(cameras=12, hours_per_camera=0.05, subjects=3, planted_per_subject=4)
    result = run_trace_bench(spec, tmp_path / "home", repeats=2)
    assert result["sightings"] == 12 * 53 and len(result["exact_seconds_all"]) == 2
    assert result["fast_vs_exact"]["match_recall"] == 1.0 and result["fast_vs_exact"]["candidate_recall"] == 1.0
    assert result["planted_total"] == result["exact"]["planted_total"] > 0
    assert result["planted_found"] == result["exact"]["planted_found"] == result["planted_total"]
    assert (tmp_path / "home" / "vectors" / "body.faiss.ivf").exists()  # the benchmark really went fast
