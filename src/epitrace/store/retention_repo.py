"""The rows a retention purge reads and deletes (keyword-only; the first argument is a session).

What expires and when is decided in `epitrace.privacy.retention`; these functions find and
delete rows inside the caller's transaction, and never touch files or vector indices.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, text, true
from sqlalchemy.orm import Session, aliased

from epitrace.store.db import Database
from epitrace.store.orm import (
    Case,
    SightingDecision,
    StreamGap,
    Subject,
    SubjectQuery,
    Thumbnail,
    Track,
    TrackPoint,
    TrackVector,
    Video,
)
from epitrace.store.orm_access import CaseAssignment, PurgeStat, UnmaskGrant


def secure_delete(s: Session) -> None:
    """On SQLite, overwrite deleted content with zeros in this connection (no-op elsewhere)."""
    if s.get_bind().dialect.name == "sqlite":
        s.execute(text("PRAGMA secure_delete=ON"))


def add_stat(s: Session, *, kind: str, count: int, camera_id: str | None) -> None:
    """Keep one anonymous count of what was purged."""
    s.add(PurgeStat(kind=kind, count=count, camera_id=camera_id))


HoldClause = ColumnElement[bool]
"""A SQL condition on `Track` rows that says which are under legal hold (`held_tracks`)."""


# ----- legal hold ----------------------------------------------------------------------------
def holding_cases(*, case_cut: datetime) -> ColumnElement[bool]:
    """Cases that hold their evidence: pending, open, or closed no earlier than `case_cut`."""
    return or_(Case.status != "closed", Case.closed_at.is_(None), Case.closed_at >= case_cut)


def held_tracks(*, case_cut: datetime, margin_s: float) -> ColumnElement[bool]:
    """Whether a `Track` row is under legal hold (a correlated SQL condition).

    Evidence tracks are those a holding case refers to: its subjects' confirmed sightings and
    the sightings it enrolled from. A track is held when it is on the same camera as an
    evidence track and overlaps its time span widened by `margin_s` on both sides: that keeps
    the evidence itself, its contacts (people seen with the subject, computed later by
    `epitrace.contacts`, which the store cannot import) and the co-present people the clips'
    redaction needs, all with their rows, vectors and thumbnails.
    """
    subjects = select(Subject.id).join(Case, Case.id == Subject.case_id).where(holding_cases(case_cut=case_cut))
    confirmed = select(SightingDecision.track_id).where(SightingDecision.subject_id.in_(subjects),
                                                        SightingDecision.decision == "confirmed")
    enrolled = select(SubjectQuery.track_id).where(SubjectQuery.subject_id.in_(subjects),
                                                   SubjectQuery.track_id.is_not(None))
    ev = aliased(Track)
    return exists(select(ev.id).where(
        or_(ev.id.in_(confirmed), ev.id.in_(enrolled)), ev.camera_id == Track.camera_id,
        Track.end_ts >= ev.start_ts - margin_s, Track.start_ts <= ev.end_ts + margin_s))


# ----- tracks --------------------------------------------------------------------------------
def _track_filter(camera_id: str | None, cutoff: float, known: list[str],
                  held: ColumnElement[bool] | None = None) -> tuple[ColumnElement[bool], ...]:
    """Tracks of `camera_id` (None: of no registered camera) ending before `cutoff`, not `held`."""
    where = Track.camera_id == camera_id if camera_id is not None else Track.camera_id.not_in(known)
    return (where, Track.end_ts < cutoff, ~held if held is not None else true())


def expired_track_batch(s: Session, *, camera_id: str | None, cutoff: float, known: list[str],
                        limit: int, held: ColumnElement[bool] | None = None) -> tuple[list[int], list[str]]:
    """Up to `limit` expired track ids of one camera (lowest first) and their thumbnail paths."""
    ids = list(s.scalars(select(Track.id).where(*_track_filter(camera_id, cutoff, known, held))
                         .order_by(Track.id).limit(limit)))
    paths = list(s.scalars(select(Thumbnail.path).where(Thumbnail.track_id.in_(ids)))) if ids else []
    return ids, paths


def delete_track_rows(s: Session, *, track_ids: list[int]) -> None:
    """Every row that is about these tracks (foreign-key cascades are not relied on)."""
    s.execute(delete(SubjectQuery).where(SubjectQuery.track_id.in_(track_ids)))
    s.execute(delete(SightingDecision).where(SightingDecision.track_id.in_(track_ids)))
    s.execute(delete(UnmaskGrant).where(UnmaskGrant.track_id.in_(track_ids)))
    s.execute(delete(TrackPoint).where(TrackPoint.track_id.in_(track_ids)))
    s.execute(delete(TrackVector).where(TrackVector.track_id.in_(track_ids)))
    s.execute(delete(Thumbnail).where(Thumbnail.track_id.in_(track_ids)))
    s.execute(delete(Track).where(Track.id.in_(track_ids)))


def count_expired_tracks(s: Session, *, camera_id: str | None, cutoff: float,
                         known: list[str], held: ColumnElement[bool] | None = None) -> tuple[int, int]:
    """(expired tracks, their thumbnails) of one camera."""
    where = _track_filter(camera_id, cutoff, known, held)
    n = int(s.scalar(select(func.count(Track.id)).where(*where)) or 0)
    if not n:
        return 0, 0
    thumbs = int(s.scalar(select(func.count(Thumbnail.id)).join(Track, Track.id == Thumbnail.track_id)
                          .where(*where)) or 0)
    return n, thumbs


# ----- videos, stream gaps, cases ------------------------------------------------------------
def videos_without_tracks(s: Session) -> list[Video]:
    """Videos no track refers to."""
    has_tracks = select(Track.id).where(Track.video_id == Video.id).exists()
    return list(s.scalars(select(Video).where(~has_tracks)))


def videos_left_after(s: Session, *, cutoffs: Mapping[str, float], default_cut: float,
                      held: ColumnElement[bool] | None = None) -> list[Video]:
    """Videos none of whose tracks would survive a purge at these cut-offs (for a dry run)."""
    known = list(cutoffs)
    parts = [and_(*_track_filter(c, cut, known, held)) for c, cut in cutoffs.items()]
    expired = or_(*parts, and_(*_track_filter(None, default_cut, known, held)))
    survivors = select(Track.video_id).where(~expired)
    return list(s.scalars(select(Video).where(Video.id.not_in(survivors))))


def delete_videos(s: Session, *, video_ids: list[int]) -> None:
    """Delete video rows (their tracks must be gone already)."""
    if video_ids:
        s.execute(delete(Video).where(Video.id.in_(video_ids)))


def stream_gap_starts(s: Session) -> list[tuple[int, str, float]]:
    """(id, camera id, start) of every recorded stream outage."""
    return [(int(i), str(c), float(t)) for i, c, t in
            s.execute(select(StreamGap.id, StreamGap.camera_id, StreamGap.start_ts))]


def delete_stream_gaps(s: Session, *, gap_ids: list[int]) -> None:
    """Delete outage records, 500 ids per statement."""
    for k in range(0, len(gap_ids), 500):
        s.execute(delete(StreamGap).where(StreamGap.id.in_(gap_ids[k:k + 500])))


def expired_case_ids(s: Session, *, closed_before: datetime) -> list[str]:
    """Ids of cases closed before `closed_before`."""
    return list(s.scalars(select(Case.id).where(~holding_cases(case_cut=closed_before))))


def video_paths(s: Session) -> list[str]:
    """The source path of every video still stored."""
    return list(s.scalars(select(Video.path)))


def video_sha256s(s: Session) -> set[str]:
    """The sha256 of every video still stored (their footage is still needed)."""
    return set(s.scalars(select(Video.sha256)))


def delete_cases(s: Session, *, case_ids: list[str]) -> None:
    """Delete cases with their subjects, query vectors, decisions, assignments and grants."""
    subjects = select(Subject.id).where(Subject.case_id.in_(case_ids)).scalar_subquery()
    s.execute(delete(SightingDecision).where(SightingDecision.subject_id.in_(subjects)))
    s.execute(delete(SubjectQuery).where(SubjectQuery.subject_id.in_(subjects)))
    s.execute(delete(Subject).where(Subject.case_id.in_(case_ids)))
    s.execute(delete(CaseAssignment).where(CaseAssignment.case_id.in_(case_ids)))
    s.execute(delete(UnmaskGrant).where(UnmaskGrant.case_id.in_(case_ids)))
    s.execute(delete(Case).where(Case.id.in_(case_ids)))


# ----- files' rows ---------------------------------------------------------------------------
def thumbnail_paths_of_video(s: Session, *, video_id: int) -> set[str]:
    """Relative paths of every thumbnail of a video's tracks."""
    return set(s.scalars(select(Thumbnail.path).join(Track, Track.id == Thumbnail.track_id)
                         .where(Track.video_id == video_id)))


def known_thumbnail_paths(s: Session, *, paths: list[str]) -> set[str]:
    """Those of `paths` a thumbnail row refers to (500 per query)."""
    return {r for i in range(0, len(paths), 500) for r in s.scalars(
        select(Thumbnail.path).where(Thumbnail.path.in_(paths[i:i + 500])))}


# ----- SQLite hygiene ------------------------------------------------------------------------
def compact(db: Database, *, vacuum: bool) -> bool:
    """On SQLite, optionally rebuild the file without free pages, and fold the WAL back into it.

    The WAL still holds copies of pages written before a purge (the purged rows among them)
    until a checkpoint; TRUNCATE empties it. Returns False (doing nothing) on other databases.
    """
    if db.engine.dialect.name != "sqlite":
        return False
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if vacuum:
            conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return True
