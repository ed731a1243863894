"""Reads bounded by a case's scope: its time window and camera list.

An investigator may look at footage of their case's cameras during its window and at nothing
else; every read here takes the scope as a value and filters in SQL, so an out-of-scope row is
never loaded, let alone returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from epitrace.store.orm import Camera, Case, SubjectQuery, Track, TrackPoint, Video
from epitrace.store.repo import Store


@dataclass(frozen=True)
class Scope:
    """A case's window (UTC epoch seconds) and cameras (None: every camera, stated as such)."""

    start_ts: float
    end_ts: float
    cameras: tuple[str, ...] | None

    def covers_camera(self, camera_id: str) -> bool:
        """Whether footage of `camera_id` may be seen in this scope."""
        return self.cameras is None or camera_id in self.cameras

    def covers_time(self, ts: float) -> bool:
        """Whether a moment lies inside the window."""
        return self.start_ts <= ts <= self.end_ts


@dataclass(frozen=True)
class PickerFrame:
    """An analysed frame of a camera with every in-scope person box on it."""

    video: Video
    frame: int
    ts: float
    boxes: list[tuple[int, float, float, float, float]]  # track id, x1, y1, x2, y2
    span: tuple[float, float]


def scope_of(case: Case) -> Scope:
    """The scope of a case row: its window and its camera list (None: every camera)."""
    cams = None if case.camera_scope is None else tuple(str(c) for c in case.camera_scope)
    return Scope(case.window_start_ts, case.window_end_ts, cams)


def _clause(scope: Scope) -> ColumnElement[bool]:
    """SQL filter: tracks that overlap the window on an in-scope camera."""
    clause = and_(Track.start_ts <= scope.end_ts, Track.end_ts >= scope.start_ts)
    return clause if scope.cameras is None else and_(clause, Track.camera_id.in_(scope.cameras))


def track_in_scope(store: Store, *, scope: Scope, track_id: int, session: Session | None = None) -> Track | None:
    """The track if it lies in the scope, else None (whether it exists elsewhere is not said)."""
    with store.unit(session) as s:
        return s.scalar(select(Track).where(Track.id == track_id, _clause(scope)))


def tracks_in_scope(store: Store, *, scope: Scope, track_ids: list[int], session: Session | None = None) -> set[int]:
    """Which of `track_ids` lie in the scope."""
    if not track_ids:
        return set()
    with store.unit(session) as s:
        return {int(t) for t in s.scalars(select(Track.id).where(Track.id.in_(track_ids), _clause(scope)))}


def sightings(store: Store, *, scope: Scope, camera_id: str | None, start_ts: float | None,
              end_ts: float | None, limit: int, offset: int, session: Session | None = None) -> tuple[list[Track], int]:
    """In-scope tracks (optionally one camera and a time range), earliest first, and their count."""
    q = select(Track).where(_clause(scope))
    if camera_id is not None:
        q = q.where(Track.camera_id == camera_id)
    if start_ts is not None:
        q = q.where(Track.end_ts >= start_ts)
    if end_ts is not None:
        q = q.where(Track.start_ts <= end_ts)
    with store.unit(session) as s:
        total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
        rows = list(s.scalars(q.order_by(Track.start_ts, Track.id).limit(limit).offset(offset)))
    return rows, total


def scope_cameras(store: Store, *, scope: Scope) -> list[Camera]:
    """The cameras of the scope."""
    return [c for c in store.list_cameras() if scope.covers_camera(c.id)]  # cached rows: no session


def query_counts(store: Store, *, subject_ids: list[int], session: Session | None = None) -> dict[int, dict[str, int]]:
    """Enrolled query vectors per subject and kind (counts only: nothing is decrypted)."""
    out: dict[int, dict[str, int]] = {sid: {} for sid in subject_ids}
    if not subject_ids:
        return out
    with store.unit(session) as s:
        rows = s.execute(select(SubjectQuery.subject_id, SubjectQuery.kind, func.count())
                         .where(SubjectQuery.subject_id.in_(subject_ids))
                         .group_by(SubjectQuery.subject_id, SubjectQuery.kind))
        for sid, kind, n in rows:
            out[int(sid)][str(kind)] = int(n)
    return out


def camera_span(store: Store, *, scope: Scope, camera_id: str,
                session: Session | None = None) -> tuple[float, float] | None:
    """First and last in-scope time of the camera's tracks."""
    with store.unit(session) as s:
        lo, hi = s.execute(select(func.min(Track.start_ts), func.max(Track.end_ts)).where(
            Track.camera_id == camera_id, _clause(scope))).one()
    return None if lo is None else (max(float(lo), scope.start_ts), min(float(hi), scope.end_ts))


def picker_frame(store: Store, *, scope: Scope, camera_id: str, ts: float | None,
                 session: Session | None = None) -> PickerFrame | None:
    """The analysed frame nearest `ts` (default: the busiest moment) with its person boxes."""
    span = camera_span(store, scope=scope, camera_id=camera_id, session=session)
    if span is None:
        return None
    with store.unit(session) as s:
        base = (select(Track.video_id, TrackPoint.frame, TrackPoint.ts).join(Track, Track.id == TrackPoint.track_id)
                .where(Track.camera_id == camera_id, _clause(scope),
                       TrackPoint.ts >= scope.start_ts, TrackPoint.ts <= scope.end_ts))
        if ts is None:  # the frame with the most people: the best first view for picking someone
            row = s.execute(base.group_by(Track.video_id, TrackPoint.frame, TrackPoint.ts)
                            .order_by(func.count().desc(), TrackPoint.ts).limit(1)).first()
        else:
            row = s.execute(base.order_by(func.abs(TrackPoint.ts - ts)).limit(1)).first()
        if row is None:
            return None
        video_id, frame, frame_ts = int(row[0]), int(row[1]), float(row[2])
        boxes = [(int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in s.execute(
            select(TrackPoint.track_id, TrackPoint.x1, TrackPoint.y1, TrackPoint.x2, TrackPoint.y2)
            .join(Track, Track.id == TrackPoint.track_id)
            .where(Track.video_id == video_id, TrackPoint.frame == frame, _clause(scope))
            .order_by(TrackPoint.x1))]
        video = s.get_one(Video, video_id)
    return PickerFrame(video, frame, frame_ts, boxes, span)


def video_of(store: Store, *, video_id: int, session: Session | None = None) -> Video | None:
    """A video row by id (the caller checks it against the scope)."""
    with store.unit(session) as s:
        return s.get(Video, video_id)


@dataclass(frozen=True)
class ThumbnailSource:
    """Where a sighting's body thumbnail came from: its file, frame, video and crop box."""

    path: str  # relative to the evidence folder
    frame: int
    video_id: int
    box: tuple[float, float, float, float]  # the track's box at `frame`: the crop's place in the frame


def thumbnail_source(store: Store, *, track_id: int, session: Session | None = None) -> ThumbnailSource | None:
    """The first body thumbnail of a track and the box it was cut from (None without one)."""
    from epitrace.store.orm import Thumbnail

    with store.unit(session) as s:
        row = s.execute(select(Thumbnail.path, Thumbnail.frame, Track.video_id)
                        .join(Track, Track.id == Thumbnail.track_id)
                        .where(Thumbnail.track_id == track_id, Thumbnail.kind == "body")
                        .order_by(Thumbnail.id).limit(1)).first()
        if row is None:
            return None
        path, frame, video_id = str(row[0]), int(row[1]), int(row[2])
        point = s.execute(select(TrackPoint.x1, TrackPoint.y1, TrackPoint.x2, TrackPoint.y2)
                          .where(TrackPoint.track_id == track_id)
                          .order_by(func.abs(TrackPoint.frame - frame)).limit(1)).first()
    if point is None:
        return None
    return ThumbnailSource(path, frame, video_id, (float(point[0]), float(point[1]), float(point[2]),
                                                   float(point[3])))


def points_near(store: Store, *, video_id: int, frame: int, frames: int,
                session: Session | None = None) -> list[tuple[int, int, float, float, float, float, float]]:
    """Every track point of a video within `frames` of `frame` (who else stood in a picture).

    Rows are (track id, frame, x1, y1, x2, y2, confidence).
    """
    with store.unit(session) as s:
        rows = s.execute(
            select(TrackPoint.track_id, TrackPoint.frame, TrackPoint.x1, TrackPoint.y1, TrackPoint.x2,
                   TrackPoint.y2, TrackPoint.confidence)
            .join(Track, Track.id == TrackPoint.track_id)
            .where(Track.video_id == video_id, TrackPoint.frame >= frame - frames,
                   TrackPoint.frame <= frame + frames)
            .order_by(TrackPoint.frame, TrackPoint.track_id))
        return [(int(r[0]), int(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5]), float(r[6]))
                for r in rows]


def face_chip_ids(session: Session, *, start_ts: float, end_ts: float,
                  cameras: list[str] | tuple[str, ...] | None) -> list[int]:
    """Track ids inside a window and camera list that kept a face chip, found in one SQL join.

    Asking for the chips of every in-scope id (a million at city scale) cost seconds in chunked
    IN lists; most tracks have none, so the join starts from the chips instead.
    """
    from epitrace.store.orm import Thumbnail

    q = (select(Thumbnail.track_id).distinct().join(Track, Track.id == Thumbnail.track_id)
         .where(Thumbnail.kind == "face", Track.start_ts <= end_ts, Track.end_ts >= start_ts))
    if cameras is not None:
        q = q.where(Track.camera_id.in_(list(cameras)))
    return [int(row[0]) for row in session.connection().execute(q)]
