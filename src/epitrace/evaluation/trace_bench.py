"""The query-phase benchmark: 10 subjects traced at once over a synthetic city-scale index.

The index is built once in a work folder (planted sightings of each subject among strangers) and
reused; each run opens the store, enrols the subjects from their first planted sighting and
times `trace_case`, so the figure is the query phase alone.
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


def run_trace_bench(spec: SyntheticSpec, home: Path, repeats: int,
                    on_build: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build (once) and trace; the figures: median seconds, index open time, planted found, false matches."""
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
        case = new_case(store, legal_basis="benchmark", onset=datetime(2026, 3, 2, tzinfo=UTC))
        for s, tracks in planted_tracks.items():
            subject = add_subject(store, case_id=case.id, label=f"subject-{s}", face_consent=s % 2 == 0)
            enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=tracks[0])
        times: list[float] = []
        results: dict[int, Any] = {}
        for _ in range(repeats):
            start = time.perf_counter()
            results = trace_case(store, case_id=case.id, config=settings.tracing)
            times.append(time.perf_counter() - start)
    finally:
        store.db.dispose()
    found = wrong = total = 0
    for (_subject, candidates), tracks in zip(sorted(results.items()), planted_tracks.values(), strict=True):
        matches = {c.track_id for c in candidates if c.match}
        found += len(matches & set(tracks[1:]))
        wrong += len(matches - set(tracks))
        total += len(tracks) - 1
    return {"sightings": n_tracks, "subjects": len(planted_tracks),
            "trace_seconds_median": round(sorted(times)[len(times) // 2], 3),
            "trace_seconds_all": [round(t, 3) for t in times], "open_seconds": round(open_s, 2),
            "build_seconds": None if built_s is None else round(built_s, 1),
            "planted_found": found, "planted_total": total, "false_matches": wrong}
