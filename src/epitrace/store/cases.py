"""Case, subject, query-vector and decision queries (keyword-only, no business rules).

Each function takes an optional `session=` (from `Store.unit()`): given one, it runs inside
that transaction, so a use case reads and writes in one unit with its audit entry; without
one, it opens its own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from epitrace.store.codec import query_context, track_context
from epitrace.store.orm import (
    Camera,
    Case,
    SightingDecision,
    Subject,
    SubjectQuery,
    Thumbnail,
    Track,
    TrackVector,
    Video,
)
from epitrace.store.repo import Store

PROBED_CAMERAS_MAX = 2_000
"""`whole_store_in_scope` answers False (so the caller counts) above this many cameras."""


class UnknownCaseError(LookupError):
    """No such case (or subject) exists."""


def get_case(store: Store, *, case_id: str, session: Session | None = None) -> Case:
    """The case with its subjects loaded (UnknownCaseError when there is none)."""
    with store.unit(session) as s:
        case = s.get(Case, case_id)
        if case is None:
            raise UnknownCaseError(f"unknown case {case_id!r}: list cases with `epitrace case list`")
        case.subjects  # noqa: B018 - load while the session is open
        return case


def get_subject(store: Store, *, case_id: str, subject_id: int, session: Session | None = None) -> Subject:
    """A subject of the case; another case's subject is refused like a missing one."""
    with store.unit(session) as s:
        subject = s.get(Subject, subject_id)
        if subject is None or subject.case_id != case_id:
            raise UnknownCaseError(f"case {case_id!r} has no subject {subject_id}")
        return subject


def add_query(store: Store, *, subject_id: int, kind: str, source: str,
              vector: npt.NDArray[np.float32], track_id: int | None = None,
              session: Session | None = None) -> None:
    """Store a query vector of a subject (sealed for sealed kinds)."""
    blob = store.codec.encode(vector, kind=kind, context=query_context(kind, subject_id))
    with store.unit(session) as s:
        s.add(SubjectQuery(subject_id=subject_id, kind=kind, source=source, track_id=track_id, vector=blob))


def delete_queries(store: Store, *, subject_id: int, kind: str, session: Session | None = None) -> int:
    """Delete the subject's `kind` query vectors (e.g. faces after consent is withdrawn); how many went."""
    with store.unit(session) as s:
        result = s.execute(delete(SubjectQuery).where(SubjectQuery.subject_id == subject_id,
                                                      SubjectQuery.kind == kind))
        return int(getattr(result, "rowcount", 0) or 0)


def query_vectors(store: Store, *, subject_id: int, kind: str,
                  session: Session | None = None) -> list[npt.NDArray[np.float32]]:
    """The subject's `kind` query vectors, opened."""
    with store.unit(session) as s:
        rows = list(s.scalars(select(SubjectQuery.vector).where(
            SubjectQuery.subject_id == subject_id, SubjectQuery.kind == kind)))
    context = query_context(kind, subject_id)
    return [store.codec.decode(r, kind=kind, context=context) for r in rows]


def enrolled_subjects(store: Store, *, subject_ids: list[int], session: Session | None = None) -> set[int]:
    """The subjects among `subject_ids` with at least one query vector (nothing is decrypted)."""
    if not subject_ids:
        return set()
    with store.unit(session) as s:
        return {int(i) for i in s.scalars(select(SubjectQuery.subject_id).distinct().where(
            SubjectQuery.subject_id.in_(subject_ids)))}


def track_vector(store: Store, *, track_id: int, kind: str,
                 session: Session | None = None) -> npt.NDArray[np.float32] | None:
    """A track's `kind` vector, opened (None when it has none)."""
    with store.unit(session) as s:
        blob = s.scalar(select(TrackVector.vector).where(
            TrackVector.track_id == track_id, TrackVector.kind == kind))
    if blob is None:
        return None
    return store.codec.decode(blob, kind=kind, context=track_context(kind, track_id))


def decisions(store: Store, *, subject_id: int, session: Session | None = None) -> dict[int, str]:
    """Track id -> 'confirmed' / 'rejected'."""
    with store.unit(session) as s:
        rows = s.execute(select(SightingDecision.track_id, SightingDecision.decision).where(
            SightingDecision.subject_id == subject_id))
        return {int(t): str(d) for t, d in rows}


def confirmed_by_subject(store: Store, *, case_id: str,
                         session: Session | None = None) -> dict[int, list[int]]:
    """Subject id -> its confirmed track ids (ascending), for the case's subjects that have any."""
    with store.unit(session) as s:
        rows = s.execute(select(SightingDecision.subject_id, SightingDecision.track_id)
                         .join(Subject, Subject.id == SightingDecision.subject_id)
                         .where(Subject.case_id == case_id, SightingDecision.decision == "confirmed")
                         .order_by(SightingDecision.subject_id, SightingDecision.track_id))
        out: dict[int, list[int]] = {}
        for subject_id, track_id in rows:
            out.setdefault(int(subject_id), []).append(int(track_id))
        return out


def confirmed_tracks(store: Store, *, case_id: str, session: Session | None = None) -> set[int]:
    """Track ids confirmed as any subject of the case: the only people left recognisable."""
    return {t for ids in confirmed_by_subject(store, case_id=case_id, session=session).values() for t in ids}


def first_thumbnails(store: Store, *, track_ids: list[int], session: Session | None = None) -> dict[int, str]:
    """Track id -> relative evidence path of its first body thumbnail (tracks without one are absent)."""
    out: dict[int, str] = {}
    if not track_ids:
        return out
    with store.unit(session) as s:
        rows = s.execute(select(Thumbnail.track_id, Thumbnail.path).where(
            Thumbnail.track_id.in_(track_ids), Thumbnail.kind == "body").order_by(Thumbnail.id))
        for track_id, path in rows:
            out.setdefault(int(track_id), str(path))
    return out


def set_decision(store: Store, *, subject_id: int, track_id: int, decision: str, score: float,
                 user: str, session: Session | None = None) -> None:
    """Record (or replace) an investigator's decision on a sighting."""
    with store.unit(session) as s:
        s.merge(SightingDecision(subject_id=subject_id, track_id=track_id, decision=decision,
                                 score=score, decided_by=user))


def _scope_clause(start_ts: float, end_ts: float, cameras: list[str] | None) -> ColumnElement[bool]:
    clause = and_(Track.start_ts <= end_ts, Track.end_ts >= start_ts)
    return clause if cameras is None else and_(clause, Track.camera_id.in_(cameras))


def whole_store_in_scope(store: Store, *, start_ts: float, end_ts: float, cameras: list[str] | None,
                         session: Session | None = None) -> bool:
    """Whether every stored track is in the window and camera scope, by two index seeks per camera.

    Why: counting the scope reads every track (0.3-0.9 s over 1M); a case whose window covers
    all footage needs no count and no filter. Sufficient test: each camera's earliest and latest
    track start lie in the window (a track ends after it starts, so it then overlaps the window).
    """
    with store.unit(session) as s:
        stored = set(s.scalars(select(Video.camera_id).distinct()))  # every track has a video
        if (cameras is not None and not stored <= set(cameras)) or len(stored) > PROBED_CAMERAS_MAX:
            return False
        for camera in stored:
            first = s.scalar(select(func.min(Track.start_ts)).where(Track.camera_id == camera))
            last = s.scalar(select(func.max(Track.start_ts)).where(Track.camera_id == camera))
            if first is not None and last is not None and (first < start_ts or last > end_ts):
                return False
    return True


def scope_counts(store: Store, *, start_ts: float, end_ts: float, cameras: list[str] | None,
                 session: Session | None = None) -> tuple[int, int]:
    """(tracks in the window and camera scope, all tracks), counted in one scan instead of two."""
    in_scope = func.sum(sql_case((_scope_clause(start_ts, end_ts, cameras), 1), else_=0))
    with store.unit(session) as s:
        row = s.execute(select(in_scope, func.count(Track.id))).one()
        return int(row[0] or 0), int(row[1] or 0)


class TrackSpan(NamedTuple):
    """A track's camera, time span and face quality: what ranking reads, without an ORM object."""

    id: int
    camera_id: str
    start_ts: float
    end_ts: float
    face_px: float
    face_quality: float
    face_frontal: float


def track_spans(store: Store, *, track_ids: list[int], session: Session | None = None) -> dict[int, TrackSpan]:
    """Track id -> span, for those of `track_ids` that exist (Core rows: thousands per search)."""
    q = select(Track.id, Track.camera_id, Track.start_ts, Track.end_ts, Track.face_px, Track.face_quality,
               Track.face_frontal).where(Track.id.in_(track_ids))
    with store.unit(session) as s:
        return {int(r[0]): TrackSpan(int(r[0]), str(r[1]), *(float(v or 0.0) for v in r[2:])) for r in s.execute(q)}


def count_in_scope(store: Store, *, start_ts: float, end_ts: float, cameras: list[str] | None,
                   session: Session | None = None) -> int:
    """How many tracks lie in the window and camera scope."""
    with store.unit(session) as s:
        return int(s.scalar(select(func.count(Track.id)).where(_scope_clause(start_ts, end_ts, cameras))) or 0)


def ids_in_scope(store: Store, *, start_ts: float, end_ts: float, cameras: list[str] | None,
                 among: list[int] | None = None, session: Session | None = None) -> np.ndarray:
    """Track ids in the window and scope (optionally only those in `among`), as int64."""
    q = select(Track.id).where(_scope_clause(start_ts, end_ts, cameras))
    if among is not None:
        q = q.where(Track.id.in_(among))
    if session is not None:  # Core on the unit's connection: this can be 100,000s of rows
        return np.fromiter((row[0] for row in session.connection().execute(q)), np.int64)
    with store.db.engine.connect() as conn:
        return np.fromiter((row[0] for row in conn.execute(q)), np.int64)


def get_tracks(store: Store, *, track_ids: list[int], session: Session | None = None) -> dict[int, Track]:
    """Track id -> track, for those of `track_ids` that exist."""
    with store.unit(session) as s:
        return {t.id: t for t in s.scalars(select(Track).where(Track.id.in_(track_ids)))}


def cameras_by_id(store: Store, *, session: Session | None = None) -> dict[str, Camera]:
    """Every registered camera by id."""
    with store.unit(session) as s:
        return {c.id: c for c in s.scalars(select(Camera).order_by(Camera.id))}


def find_cases(store: Store, *, text: str | None = None, session: Session | None = None) -> list[Case]:
    """Cases, oldest first, whose id or title contains `text` (all without it)."""
    with store.unit(session) as s:
        q = select(Case).order_by(Case.created_at)
        if text:
            q = q.where(or_(Case.id.contains(text), Case.title.contains(text)))
        return list(s.scalars(q))
