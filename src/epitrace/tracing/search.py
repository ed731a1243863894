"""Search a case's window and camera scope for a subject; rank, threshold, filter.

Scores are cosine similarities of L2-normalised vectors. Each modality has a threshold
calibrated on real data (see docs); a candidate is a match when any permitted modality passes
its threshold, so "no match" is a valid answer. Face scores are used only with consent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epitrace.config import TracingConfig
from epitrace.phrases import Words
from epitrace.store import Store, Unit
from epitrace.store.cases import (
    TrackSpan,
    cameras_by_id,
    decisions,
    get_case,
    get_subject,
    ids_in_scope,
    query_vectors,
    scope_counts,
    track_spans,
    track_vector,
    whole_store_in_scope,
)
from epitrace.store.orm import Camera, Case
from epitrace.tracing.case_faces import FaceEmbedFn, case_face_scores
from epitrace.tracing.face_bands import FaceEvidence, FaceVerdict, face_band, usable_face
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
    explanation: Words | None = None  # the track's attributes ("red upper, black lower, 1.72 m +- 0.08")
    face_band: str | None = None  # "match", "review" (show as "possible") or "none"; None: no face score
    face_reason: Words | None = None  # why ("face 0.880, below match 0.935, small face 24 px")


def _calibrated(similarity: float, threshold: float, width: float = 0.05) -> float:
    """Map a cosine to 0-1 with 0.5 at the threshold, so modalities can be compared."""
    return float(1.0 / (1.0 + np.exp(-(similarity - threshold) / width)))


def _refined_queries(store: Store, s: Unit, subject_id: int, kind: str,
                     confirmed: list[int]) -> np.ndarray | None:
    """Enrolled queries plus the vectors of confirmed sightings (the confirm loop's refinement)."""
    vectors = query_vectors(store, subject_id=subject_id, kind=kind, session=s)
    for track_id in confirmed:
        v = track_vector(store, track_id=track_id, kind=kind, session=s)
        if v is not None:
            vectors.append(v)
    if not vectors:
        return None
    return np.stack(vectors).astype(np.float32)


SELECTOR_MAX = 200_000  # scopes up to this many tracks are filtered inside FAISS


@dataclass
class _Scope:
    """The case's window and camera scope, as ids (small scopes) or as a SQL filter (large)."""

    store: Store
    session: Unit
    start_ts: float
    end_ts: float
    cameras: list[str] | None
    allowed: np.ndarray | None = None  # set when the scope is small enough for a selector
    share: float = 1.0  # in-scope share of all tracks
    everything: bool = False  # every stored track is in scope: nothing to filter

    @classmethod
    def of(cls, store: Store, s: Unit, case: Case) -> _Scope:
        """The case's scope, computed once and shared by all its subjects."""
        scope = cls(store, s, case.window_start_ts, case.window_end_ts, case.camera_scope)
        if whole_store_in_scope(store, start_ts=scope.start_ts, end_ts=scope.end_ts, cameras=scope.cameras,
                                session=s):
            scope.everything = True  # searched whole: nothing to count, no ids to fetch, no filter
            return scope
        n_scope, n_all = scope_counts(store, start_ts=scope.start_ts, end_ts=scope.end_ts, cameras=scope.cameras,
                                      session=s)
        scope.share = n_scope / max(n_all, 1)
        scope.everything = n_scope == n_all
        if scope.everything:
            return scope
        if n_scope <= SELECTOR_MAX or scope.share < 0.5:
            scope.allowed = scope.ids()
        return scope

    def ids(self, among: list[int] | None = None) -> np.ndarray:
        """Track ids inside the scope (only those in `among`, if given)."""
        return ids_in_scope(self.store, start_ts=self.start_ts, end_ts=self.end_ts, cameras=self.cameras,
                            among=among, session=self.session)

    def filter(self, ids: list[int]) -> set[int]:
        """The ids among `ids` inside the scope (used when there is no selector)."""
        return set(self.ids(ids).tolist())

    def face_chip_ids(self) -> np.ndarray:
        """In-scope track ids that kept a face chip (one SQL join: `store.case_scope.face_chip_ids`)."""
        from epitrace.store.case_scope import face_chip_ids

        ids = face_chip_ids(self.session, start_ts=self.start_ts, end_ts=self.end_ts, cameras=self.cameras)
        return np.asarray(ids, np.int64)


@dataclass
class _Query:
    """One subject's search input: its query vectors and its earlier decisions."""

    subject_id: int
    decided: dict[int, str]
    body: np.ndarray | None
    face: np.ndarray | None

    @property
    def confirmed(self) -> list[int]:
        return [t for t, d in self.decided.items() if d == "confirmed"]

    @property
    def rejected(self) -> set[int]:
        return {t for t, d in self.decided.items() if d == "rejected"}


def _query(store: Store, s: Unit, case_id: str, subject_id: int, min_face_px: float = 0.0) -> _Query:
    subject = get_subject(store, case_id=case_id, subject_id=subject_id, session=s)
    decided = decisions(store, subject_id=subject_id, session=s)
    confirmed = [t for t, d in decided.items() if d == "confirmed"]
    body = _refined_queries(store, s, subject_id, "body", confirmed)
    face = None
    if subject.face_consent:  # a confirmed sighting's face refines the query only if it can be compared
        spans = track_spans(store, track_ids=confirmed, session=s)
        usable = [t for t in confirmed if t in spans and usable_face(spans[t].face_px, min_face_px)]
        face = _refined_queries(store, s, subject_id, "face", usable)
    if body is None and face is None:
        raise LookupError(f"subject {subject_id} is not enrolled: add a photo or pick a sighting")
    return _Query(subject_id, decided, body, face)


def _batch_scores(store: Store, kind: str, queries: list[np.ndarray | None], k: int,
                  scope: _Scope, rejected: list[set[int]]) -> list[dict[int, float]]:
    """Per subject, best similarity of each in-scope track to any of its query vectors.

    All subjects' vectors go to the index in one search: a flat index is read from memory
    once per call, so ten subjects cost little more than one. Small scopes are filtered inside
    the index (an id selector); large ones are searched with a larger k and filtered in SQL.
    """
    out: list[dict[int, float]] = [{} for _ in queries]
    rows = [(n, q) for n, q in enumerate(queries) if q is not None]
    if not rows:
        return out
    try:
        index = store.index(kind)
    except LookupError:
        return out
    stacked = np.concatenate([q for _, q in rows])
    owner = np.concatenate([np.full(len(q), n) for n, q in rows])
    extra = max((len(r) for r in rejected), default=0)
    if scope.allowed is not None:
        wide = min(k + extra, max(len(scope.allowed), 1))
        sims, ids = index.search(stacked, wide, allowed_ids=scope.allowed)
        in_scope = None
    elif scope.everything:
        sims, ids = index.search(stacked, min(len(index), k + extra))
        in_scope = None
    else:
        wide = min(len(index), int(k / max(scope.share, 0.05)) + k + extra)
        sims, ids = index.search(stacked, wide)
        in_scope = scope.filter(np.unique(ids[ids >= 0]).tolist())
    for row_s, row_i, n in zip(sims, ids, owner, strict=True):
        best = out[int(n)]
        for sim, i in zip(row_s, row_i, strict=True):
            i = int(i)
            if i < 0 or i in rejected[int(n)] or (in_scope is not None and i not in in_scope):
                continue
            best[i] = max(best.get(i, -1.0), float(sim))
    return [dict(sorted(b.items(), key=lambda kv: -kv[1])[:k]) for b in out]


def _candidates(q: _Query, body: dict[int, float], face: dict[int, float],
                config: TracingConfig, tracks: dict[int, TrackSpan], anchors: list[TrackSpan],
                cameras: dict[str, Camera]) -> list[Candidate]:
    bound = SpeedBound(config.max_speed_mps, config.slack_m)
    out = []
    for track_id in set(body) | set(face):
        track = tracks.get(track_id)
        if track is None:  # outside the scope, or in the index but not (yet) in this unit's view of SQL
            continue
        confirmed = q.decided.get(track_id) == "confirmed"  # the investigator's word wins
        if not confirmed and not all(feasible(track, a, cameras, bound) for a in anchors):
            continue
        parts = [0.0]
        if track_id in body:
            parts.append(_calibrated(body[track_id], config.body_threshold))
        verdict: FaceVerdict | None = None
        if track_id in face:
            verdict = face_band(FaceEvidence(face[track_id], track.face_px, track.face_quality, track.face_frontal),
                                config)
            face_part = _calibrated(face[track_id], config.face_threshold)
            if verdict.band != "none":  # only a match band may reach 0.5 (a match)
                parts.append(face_part if verdict.band == "match" else min(face_part, 0.49))
        score = max(parts)
        out.append(Candidate(track_id, track.camera_id, track.start_ts, track.end_ts, body.get(track_id),
                             face.get(track_id), score, score >= 0.5, q.decided.get(track_id),
                             face_band=verdict.band if verdict else None,
                             face_reason=verdict.why if verdict else None))
    out.sort(key=lambda c: (c.decision != "confirmed", -c.score))
    return out[: config.max_candidates]


def search_subjects(store: Store, *, case_id: str, subject_ids: list[int], config: TracingConfig,
                    face_embed: FaceEmbedFn | None = None,
                    session: Unit | None = None) -> dict[int, list[Candidate]]:
    """Ranked candidates (best first, impossible ones removed) for several subjects of a case.

    `face_embed` embeds face chips kept at ingest instead of embeddings (`face_embeddings =
    "case"`): only those in the case's scope, only for subjects with consent. Every read is
    made in one unit (the caller's, with `session`).
    Raises LookupError for a subject that is not enrolled.
    """
    with store.unit(session) as s:
        return _search(store, s, case_id, subject_ids, config, face_embed)


def _search(store: Store, s: Unit, case_id: str, subject_ids: list[int], config: TracingConfig,
            face_embed: FaceEmbedFn | None) -> dict[int, list[Candidate]]:
    case = get_case(store, case_id=case_id, session=s)
    scope = _Scope.of(store, s, case)
    queries = [_query(store, s, case_id, sid, config.face_review_min_px) for sid in subject_ids]
    rejected = [q.rejected for q in queries]
    k = config.max_candidates
    body = _batch_scores(store, "body", [q.body for q in queries], k, scope, rejected)
    face = _batch_scores(store, "face", [q.face for q in queries], k, scope, rejected)
    if any(q.face is not None for q in queries):
        chips = case_face_scores(store, [q.face for q in queries], scope.face_chip_ids(), face_embed, rejected,
                                 session=s)
        face = [dict(sorted({**c, **{t: max(v, c.get(t, -1.0)) for t, v in f.items()}}.items(),
                            key=lambda kv: -kv[1])[:k]) for f, c in zip(face, chips, strict=True)]
    wanted = {t for b, f in zip(body, face, strict=True) for t in (*b, *f)}
    wanted |= {t for q in queries for t in q.confirmed}
    if scope.everything:  # searched unfiltered: an ingest may have refreshed the index since the scope check
        wanted = scope.filter(sorted(wanted))
    tracks = track_spans(store, track_ids=list(wanted), session=s)
    cameras = cameras_by_id(store, session=s)
    return {q.subject_id: _candidates(q, b, f, config, tracks,
                                      [tracks[t] for t in q.confirmed if t in tracks], cameras)
            for q, b, f in zip(queries, body, face, strict=True)}


def search_subject(store: Store, *, case_id: str, subject_id: int, config: TracingConfig,
                   face_embed: FaceEmbedFn | None = None, session: Unit | None = None) -> list[Candidate]:
    """Ranked candidates for one subject (best first), impossible ones removed."""
    return search_subjects(store, case_id=case_id, subject_ids=[subject_id], config=config,
                           face_embed=face_embed, session=session)[subject_id]
