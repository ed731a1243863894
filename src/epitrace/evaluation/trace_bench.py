"""The query-phase benchmark: 10 subjects traced at once over a synthetic city-scale index.

The index is built once in a work folder (planted sightings of each subject among strangers) and
reused; each run opens the store, enrols the subjects from their first planted sighting and
times `trace_case`, so the figure is the query phase alone. Each repeat traces twice, exactly
(every vector read) and with the indices' accelerators, interleaved, so the two times compare on
a shared machine and the fast path's recall is measured against the exact one, not assumed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from epitrace.config import Settings
from epitrace.evaluation.synthetic_index import SyntheticSpec, build_synthetic_index
from epitrace.store import open_store
from epitrace.store.vectors import FaissIndex


def _set_exact(store: Any, exact: bool) -> None:
    """Search the opened body and face indices exactly (True) or through their accelerators."""
    for kind in ("body", "face"):
        index = store.index(kind)
        if isinstance(index, FaissIndex):
            index.accelerate = not exact


def fast_vs_exact(fast: dict[int, Any], exact: dict[int, Any]) -> dict[str, float]:
    """Recall of the fast path against the exact one: of matches, and of all candidates returned."""
    match_hits = match_total = cand_hits = cand_total = 0
    for subject, exact_candidates in exact.items():
        got = {c.track_id for c in fast[subject]}
        got_matches = {c.track_id for c in fast[subject] if c.match}
        want = {c.track_id for c in exact_candidates}
        want_matches = {c.track_id for c in exact_candidates if c.match}
        match_hits += len(got_matches & want_matches)
        match_total += len(want_matches)
        cand_hits += len(got & want)
        cand_total += len(want)
    return {"match_recall": round(match_hits / max(match_total, 1), 4), "exact_matches": match_total,
            "candidate_recall": round(cand_hits / max(cand_total, 1), 4), "exact_candidates": cand_total}


def run_trace_bench(spec: SyntheticSpec, home: Path, repeats: int,
                    on_build: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build (once) and trace, exact and fast interleaved; medians, their ratio, recall, planted found."""
    from epitrace.tracing import add_subject, enrol_track, new_case, trace_case

    settings = Settings(home=home)
    planted_file = home / "planted.json"
    built_s = None
    if not planted_file.exists():
        store = open_store(settings)
        build_start = time.perf_counter()
        planted = build_synthetic_index(store, spec, on_build or (lambda done, total: None))
        planted_file.write_text(json.dumps({str(k): v for k, v in planted.tracks.items()}))
        built_s = time.perf_counter() - build_start
        store.db.dispose()
    planted_tracks = {int(k): v for k, v in json.loads(planted_file.read_text()).items()}
    open_start = time.perf_counter()
    store = open_store(settings)
    try:
        n_tracks = store.count_tracks()
        store.index("body")
        store.index("face")
        open_s = time.perf_counter() - open_start
        if not (settings.vectors_dir / "body.faiss.ivf").exists():
            store.index("body").save()  # keep the accelerator trained at this open for the next run
        case = new_case(store, legal_basis="benchmark", onset=datetime(2026, 3, 2, tzinfo=UTC))
        for s, tracks in planted_tracks.items():
            subject = add_subject(store, case_id=case.id, label=f"subject-{s}", face_consent=s % 2 == 0)
            enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=tracks[0])
        times: dict[str, list[float]] = {"exact": [], "fast": []}
        results: dict[str, dict[int, Any]] = {}
        for _ in range(repeats):
            for mode in ("exact", "fast"):
                _set_exact(store, mode == "exact")
                start = time.perf_counter()
                results[mode] = trace_case(store, case_id=case.id, config=settings.tracing)
                times[mode].append(time.perf_counter() - start)
    finally:
        store.db.dispose()
    figures = {mode: _planted(results[mode], planted_tracks) for mode in ("exact", "fast")}
    median = {mode: sorted(t)[len(t) // 2] for mode, t in times.items()}
    return {"sightings": n_tracks, "subjects": len(planted_tracks),
            "trace_seconds_median": round(median["fast"], 3),
            "trace_seconds_all": [round(t, 3) for t in times["fast"]],
            "exact_seconds_median": round(median["exact"], 3),
            "exact_seconds_all": [round(t, 3) for t in times["exact"]],
            "exact_over_fast": round(median["exact"] / max(median["fast"], 1e-9), 2),
            "fast_vs_exact": fast_vs_exact(results["fast"], results["exact"]),
            "open_seconds": round(open_s, 2), "build_seconds": None if built_s is None else round(built_s, 1),
            **figures["fast"], "exact": figures["exact"]}


def _planted(results: dict[int, Any], planted_tracks: dict[int, list[int]]) -> dict[str, int]:
    """Planted sightings found (the picked one excluded) and matches that are not planted."""
    found = wrong = total = 0
    for (_subject, candidates), tracks in zip(sorted(results.items()), planted_tracks.values(), strict=True):
        matches = {c.track_id for c in candidates if c.match}
        found += len(matches & set(tracks[1:]))
        wrong += len(matches - set(tracks))
        total += len(tracks) - 1
    return {"planted_found": found, "planted_total": total, "false_matches": wrong}
