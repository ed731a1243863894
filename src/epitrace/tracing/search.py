"""Search a case's window and camera scope for a subject; rank, threshold, filter.

Scores are cosine similarities of L2-normalised vectors. Each modality has a threshold
calibrated on real data (see docs); a candidate is a match when any permitted modality passes
its threshold, so "no match" is a valid answer. Face scores are used only with consent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epitrace.config import TracingConfig
from epitrace.store import Store
from epitrace.store.cases import (
    cameras_by_id,
    decisions,
    get_case,
    get_subject,
    get_tracks,
    query_vectors,
    track_vector,
    tracks_in_scope,
)
from epitrace.store.orm import Track
from epitrace.tracing.spacetime import SpeedBound, feasible


@dataclass(frozen=True)
class Candidate:
    """A track that may show the subject."""

    track_id: int
    camera_id: str
    start_ts: float
    end_ts: float
    body_score: float | None
    face_score: float | None
    score: float  # > 0.5 means above threshold, on a common 0-1 scale
    match: bool
    decision: str | None  # "confirmed", "rejected" or None


def _calibrated(similarity: float, threshold: float, width: float = 0.05) -> float:
    """Map a cosine to 0-1 with 0.5 at the threshold, so modalities can be compared."""
    return float(1.0 / (1.0 + np.exp(-(similarity - threshold) / width)))


def _refined_queries(store: Store, subject_id: int, kind: str, confirmed: list[int]) -> np.ndarray | None:
    """Enrolled queries plus the vectors of confirmed sightings (the confirm loop's refinement)."""
    vectors = query_vectors(store, subject_id=subject_id, kind=kind)
    for track_id in confirmed:
        v = track_vector(store, track_id=track_id, kind=kind)
        if v is not None:
            vectors.append(v)
    if not vectors:
        return None
    return np.stack(vectors).astype(np.float32)


def _scores(store: Store, kind: str, queries: np.ndarray, allowed: np.ndarray, k: int) -> dict[int, float]:
    """Best similarity of each allowed track to any query vector."""
    try:
        index = store.index(kind)
    except LookupError:
        return {}
    sims, ids = index.search(queries, min(k, max(len(allowed), 1)), allowed_ids=allowed)
    best: dict[int, float] = {}
    for row_s, row_i in zip(sims, ids, strict=False):
        for s, i in zip(row_s, row_i, strict=False):
            if i >= 0:
                best[int(i)] = max(best.get(int(i), -1.0), float(s))
    return best


def search_subject(store: Store, *, case_id: str, subject_id: int, config: TracingConfig) -> list[Candidate]:
    """Ranked candidates for one subject (best first), impossible ones removed."""
    case = get_case(store, case_id=case_id)
    subject = get_subject(store, case_id=case_id, subject_id=subject_id)
    decided = decisions(store, subject_id=subject_id)
    confirmed = [t for t, d in decided.items() if d == "confirmed"]
    pool = tracks_in_scope(store, start_ts=case.window_start_ts, end_ts=case.window_end_ts,
                           cameras=case.camera_scope)
    allowed = np.array([t.id for t in pool if decided.get(t.id) != "rejected"], np.int64)
    body_q = _refined_queries(store, subject_id, "body", confirmed)
    face_q = _refined_queries(store, subject_id, "face", confirmed) if subject.face_consent else None
    if body_q is None and face_q is None:
        raise LookupError(f"subject {subject_id} is not enrolled: add a photo or pick a sighting")
    body = _scores(store, "body", body_q, allowed, config.max_candidates) if body_q is not None else {}
    face = _scores(store, "face", face_q, allowed, config.max_candidates) if face_q is not None else {}
    tracks = {t.id: t for t in pool}
    anchors = list(get_tracks(store, track_ids=confirmed).values())
    cameras = cameras_by_id(store)
    bound = SpeedBound(config.max_speed_mps, config.slack_m)
    out = []
    for track_id in set(body) | set(face):
        track: Track = tracks[track_id]
        if not all(feasible(track, a, cameras, bound) for a in anchors):
            continue
        parts = []
        if track_id in body:
            parts.append(_calibrated(body[track_id], config.body_threshold))
        if track_id in face:
            parts.append(_calibrated(face[track_id], config.face_threshold))
        score = max(parts)
        out.append(Candidate(track_id, track.camera_id, track.start_ts, track.end_ts,
                             body.get(track_id), face.get(track_id), score, score >= 0.5,
                             decided.get(track_id)))
    out.sort(key=lambda c: (c.decision != "confirmed", -c.score))
    return out[: config.max_candidates]
