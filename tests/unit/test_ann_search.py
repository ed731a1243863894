"""A case's search through the accelerated paths returns what exact search returns.

Real body vectors (v2) of the shared PETS re-ID crops under five simulated cameras are stored as
tracks on two cameras; thresholds are lowered so that this small store takes the paths of a
million-sighting one: whole-store search without a SQL filter, the accelerator's candidates
with exact rerank, and the selector for a camera scope. With every IVF list probed, each path
must give the exact path's candidates and scores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from epitrace.config import Settings, TracingConfig
from epitrace.evaluation.camera_shift import SHIFTS, apply_shift
from epitrace.evaluation.reid import load_crops
from epitrace.store import Camera, Store, TrackRecord, Video, ivf_accel, open_store, vectors
from epitrace.store.cases import whole_store_in_scope
from epitrace.store.vectors import FaissIndex
from epitrace.tracing import add_subject, enrol_track, new_case, search_subjects
from epitrace.tracing import search as search_module
from epitrace.vision.body_embed import BodyEmbedder

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def real_vectors(shared_data: Path) -> np.ndarray:
    """Body vectors of the 86 re-ID crops under each of the six camera shifts (516 rows)."""
    root = shared_data / "reid" / "pets09_s2l1_crops"
    crops = load_crops(root / "query")[0] + load_crops(root / "gallery")[0]
    embedder = BodyEmbedder()
    return np.concatenate([embedder.embed_crops(apply_shift(name, crops)) for name in SHIFTS])


def _store(settings: Settings, x: np.ndarray) -> tuple[Store, list[int]]:
    store = open_store(settings)
    ids: list[int] = []
    for c, cam in enumerate(("cam0", "cam1")):
        store.upsert_camera(Camera(id=cam, name=cam))
        video = store.create_video(Video(camera_id=cam, path=f"{cam}.mp4", sha256=f"{c}" * 64, start_ts=T0,
                                         fps=7.0, analysed_fps=7.0))
        rows = range(c, len(x), 2)
        records = [TrackRecord(local_id=n, frames=np.array([10 * n, 10 * n + 5]),
                               ts=T0 + np.array([10.0 * n, 10.0 * n + 5]), boxes=np.zeros((2, 4), np.float32),
                               confidence=np.ones(2, np.float32), ground=None, body_vector=x[r])
                   for n, r in enumerate(rows)]
        ids += store.save_tracks(video, records, 0, len(records))
    return store, ids


def _ranked(store: Store, case_id: str, subjects: list[int], exact: bool) -> dict[int, list[tuple[int, float]]]:
    """Per subject, (track id, body score) best first; scores to 4 decimals (float32 sums differ by ~1e-6)."""
    index = store.index("body")
    assert isinstance(index, FaissIndex) and index._accel is not None
    index.accelerate = not exact
    found = search_subjects(store, case_id=case_id, subject_ids=subjects, config=TracingConfig(max_candidates=30))
    return {s: [(c.track_id, round(c.body_score or 0.0, 4)) for c in cands] for s, cands in found.items()}


def test_accelerated_paths_equal_exact_search(settings: Settings, real_vectors: np.ndarray,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "ACCEL_MIN", 200)  # an accelerator over the 516 vectors
    monkeypatch.setattr(vectors, "EXACT_SCOPE", 50)  # scopes over 50 tracks use it
    monkeypatch.setattr(ivf_accel, "PROBE_SHARE", 1.0)  # every list probed: must equal exact
    store, ids = _store(settings, real_vectors)
    onset = datetime(2026, 3, 3, tzinfo=UTC)
    whole = new_case(store, legal_basis="test", onset=onset)
    scoped = new_case(store, legal_basis="test", onset=onset, cameras=["cam1"])
    subjects: dict[str, list[int]] = {}
    for case in (whole, scoped):
        subjects[case.id] = []
        for n, track in enumerate((ids[5], ids[-7], ids[300])):  # three subjects searched in one batch
            subject = add_subject(store, case_id=case.id, label=f"s{n}", face_consent=False)
            enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=track)
            subjects[case.id].append(subject.id)
    exact_whole = _ranked(store, whole.id, subjects[whole.id], exact=True)
    exact_scoped = _ranked(store, scoped.id, subjects[scoped.id], exact=True)
    monkeypatch.setattr(search_module, "SELECTOR_MAX", 100)  # the store now counts as large
    assert _ranked(store, whole.id, subjects[whole.id], exact=False) == exact_whole
    assert _ranked(store, scoped.id, subjects[scoped.id], exact=False) == exact_scoped
    cam1 = set(ids[(len(real_vectors) + 1) // 2:])  # cam1 tracks were stored second
    assert all(t in cam1 for ranked in exact_scoped.values() for t, _ in ranked)
    assert all(len(r) == 30 for r in exact_whole.values()) and exact_whole != exact_scoped
    store.db.dispose()


def test_whole_store_in_scope_only_when_every_track_is(settings: Settings, real_vectors: np.ndarray) -> None:
    store, _ = _store(settings, real_vectors[:40])  # tracks start at T0 + 0, 10, ... 190 s on each camera
    start, end = T0 - 1, T0 + 191
    assert whole_store_in_scope(store, cameras=None, start_ts=start, end_ts=end)
    assert whole_store_in_scope(store, cameras=["cam0", "cam1", "cam9"], start_ts=start, end_ts=end)
    assert not whole_store_in_scope(store, cameras=["cam1"], start_ts=start, end_ts=end)
    assert not whole_store_in_scope(store, cameras=None, start_ts=T0 + 1, end_ts=T0 + 191)  # first track out
    assert not whole_store_in_scope(store, cameras=None, start_ts=T0 - 1, end_ts=T0 + 189)  # last track out
    store.db.dispose()
