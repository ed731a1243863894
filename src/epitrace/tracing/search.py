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
    count_in_scope,
    decisions,
    get_case,
    get_subject,
    get_tracks,
    ids_in_scope,
    query_vectors,
    track_vector,
)
from epitrace.store.orm import Case, Track
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


SELECTOR_MAX = 200_000  # scopes up to this many tracks are filtered inside FAISS


def _scores(store: Store, kind: str, queries: np.ndarray, k: int, scope: _Scope) -> dict[int, float]:
    """Best similarity of each in-scope track to any query vector (top `k` per query).

    Small scopes are filtered inside the index (an id selector); large ones are searched
    unfiltered with a larger k and filtered afterwards in SQL, which avoids loading
    hundreds of thousands of ids for a case that covers most of the footage.
    """
    try:
        index = store.index(kind)
    except LookupError:
        return {}
    if scope.allowed is not None:
        sims, ids = index.search(queries, min(k, max(len(scope.allowed), 1)), allowed_ids=scope.allowed)
    else:
        wide = min(len(index), int(k / max(scope.share, 0.05)) + k)
        sims, ids = index.search(queries, wide)
        keep = set(scope.filter(np.unique(ids[ids >= 0]).tolist()).tolist())
        sims = np.where(np.isin(ids, list(keep)), sims, -2.0)
    best: dict[int, float] = {}
    for row_s, row_i in zip(sims, ids, strict=True):
        for sim, i in zip(row_s, row_i, strict=True):
            if i >= 0 and sim > -2.0:
                best[int(i)] = max(best.get(int(i), -1.0), float(sim))
    return dict(sorted(best.items(), key=lambda kv: -kv[1])[:k])


@dataclass
class _Scope:
    """The case's window and camera scope minus rejected sightings, as ids or as a filter."""

    store: Store
    start_ts: float
    end_ts: float
    cameras: list[str] | None
    rejected: set[int]
    allowed: np.ndarray | None = None  # set when the scope is small enough for a selector
    share: float = 1.0  # in-scope share of all tracks

    @classmethod
    def of(cls, store: Store, case: Case) -> _Scope:
        """The case's scope, computed once and shared by all its subjects."""
        scope = cls(store, case.window_start_ts, case.window_end_ts, case.camera_scope, set())
        n_scope = count_in_scope(store, start_ts=scope.start_ts, end_ts=scope.end_ts, cameras=scope.cameras)
        scope.share = n_scope / max(store.count_tracks(), 1)
        if n_scope <= SELECTOR_MAX or scope.share < 0.5:
            scope.allowed = ids_in_scope(store, start_ts=scope.start_ts, end_ts=scope.end_ts, cameras=scope.cameras)
        return scope

    def without(self, rejected: set[int]) -> _Scope:
        """This scope minus one subject's rejected sightings."""
        if not rejected:
            return self
        allowed = None if self.allowed is None else self.allowed[~np.isin(self.allowed, list(rejected))]
        return _Scope(self.store, self.start_ts, self.end_ts, self.cameras, rejected, allowed, self.share)

    def filter(self, ids: list[int]) -> np.ndarray:
        kept = ids_in_scope(self.store, start_ts=self.start_ts, end_ts=self.end_ts, cameras=self.cameras,
                            among=ids)
        return kept[~np.isin(kept, list(self.rejected))]


def search_subject(store: Store, *, case_id: str, subject_id: int, config: TracingConfig,
                   scope: _Scope | None = None) -> list[Candidate]:
    """Ranked candidates for one subject (best first), impossible ones removed.

    `scope` (from `case_scope`) lets several subjects of one case share the scope lookup.
    """
    case = get_case(store, case_id=case_id)
    subject = get_subject(store, case_id=case_id, subject_id=subject_id)
    decided = decisions(store, subject_id=subject_id)
    confirmed = [t for t, d in decided.items() if d == "confirmed"]
    body_q = _refined_queries(store, subject_id, "body", confirmed)
    face_q = _refined_queries(store, subject_id, "face", confirmed) if subject.face_consent else None
    if body_q is None and face_q is None:
        raise LookupError(f"subject {subject_id} is not enrolled: add a photo or pick a sighting")
    scope = (scope or _Scope.of(store, case)).without({t for t, d in decided.items() if d == "rejected"})
    k = config.max_candidates
    body = _scores(store, "body", body_q, k, scope) if body_q is not None else {}
    face = _scores(store, "face", face_q, k, scope) if face_q is not None else {}
    tracks = get_tracks(store, track_ids=list(set(body) | set(face)))
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


def case_scope(store: Store, *, case_id: str) -> _Scope:
    """The searchable scope of a case (window x cameras), to share between its subjects."""
    return _Scope.of(store, get_case(store, case_id=case_id))
