"""Read-side queries the API needs beyond the services' own (keyword-only, no business rules).

Everything case-scoped here is bounded by the case's window and camera scope: an investigator
may look at footage of their case's cameras during its window, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from epitrace.privacy.users import User, assigned_cases
from epitrace.store import Store
from epitrace.store.cases import find_cases, first_thumbnails
from epitrace.store.orm import Camera, Case, SubjectQuery, Track, TrackPoint, Video


def visible_cases(store: Store, *, user: User) -> list[Case]:
    """Cases the user may list: admins and auditors all (metadata only), investigators theirs."""
    cases = find_cases(store)
    if user.role == "investigator":
        mine = set(assigned_cases(store, user=user))
        cases = [c for c in cases if c.id in mine]
    return cases


def scope_clause(case: Case):  # type: ignore[no-untyped-def]
    """SQL filter: tracks inside the case's window and camera scope."""
    clause = and_(Track.start_ts <= case.window_end_ts, Track.end_ts >= case.window_start_ts)
    return clause if case.camera_scope is None else and_(clause, Track.camera_id.in_(case.camera_scope))


def scope_cameras(store: Store, *, case: Case) -> list[Camera]:
    return [c for c in store.list_cameras() if case.camera_scope is None or c.id in case.camera_scope]


def track_in_scope(store: Store, *, case: Case, track_id: int) -> Track:
    """The track if it lies in the case's scope; LookupError otherwise (the same for both)."""
    with store.db.session() as s:
        track = s.scalar(select(Track).where(Track.id == track_id, scope_clause(case)))
    if track is None:
        raise LookupError(f"no sighting {track_id} in case {case.id}'s cameras and window")
    return track


def sightings(store: Store, *, case: Case, camera_id: str | None, start_ts: float | None,
              end_ts: float | None, limit: int, offset: int) -> tuple[list[Track], int]:
    """In-scope tracks (optionally one camera and a time range), earliest first, and their count."""
    q = select(Track).where(scope_clause(case))
    if camera_id is not None:
        q = q.where(Track.camera_id == camera_id)
    if start_ts is not None:
        q = q.where(Track.end_ts >= start_ts)
    if end_ts is not None:
        q = q.where(Track.start_ts <= end_ts)
    with store.db.session() as s:
        total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
        rows = list(s.scalars(q.order_by(Track.start_ts, Track.id).limit(limit).offset(offset)))
    return rows, total


def first_thumbnail(store: Store, *, track_id: int) -> str | None:
    """Relative evidence path of a track's first body thumbnail."""
    return first_thumbnails(store, track_ids=[track_id]).get(track_id)


def query_counts(store: Store, *, subject_id: int) -> dict[str, int]:
    with store.db.session() as s:
        rows = s.execute(select(SubjectQuery.kind, func.count()).where(SubjectQuery.subject_id == subject_id)
                         .group_by(SubjectQuery.kind))
        return {str(k): int(n) for k, n in rows}


@dataclass(frozen=True)
class PickerFrame:
    """An analysed frame of a camera with every stored person box on it."""

    video: Video
    frame: int
    ts: float
    boxes: list[tuple[int, float, float, float, float]]  # track id, x1, y1, x2, y2
    span: tuple[float, float]


def camera_span(store: Store, *, case: Case, camera_id: str) -> tuple[float, float] | None:
    """First and last in-scope time of the camera's tracks."""
    with store.db.session() as s:
        lo, hi = s.execute(select(func.min(Track.start_ts), func.max(Track.end_ts)).where(
            Track.camera_id == camera_id, scope_clause(case))).one()
    return None if lo is None else (max(float(lo), case.window_start_ts), min(float(hi), case.window_end_ts))


def picker_frame(store: Store, *, case: Case, camera_id: str, ts: float | None) -> PickerFrame:
    """The analysed frame nearest `ts` (default: the busiest moment) with its person boxes."""
    span = camera_span(store, case=case, camera_id=camera_id)
    if span is None:
        raise LookupError(f"camera {camera_id!r} has no sightings in case {case.id}'s scope")
    with store.db.session() as s:
        base = (select(Track.video_id, TrackPoint.frame, TrackPoint.ts).join(Track, Track.id == TrackPoint.track_id)
                .where(Track.camera_id == camera_id, scope_clause(case),
                       TrackPoint.ts >= case.window_start_ts, TrackPoint.ts <= case.window_end_ts))
        if ts is None:  # the frame with the most people: the best first view for picking someone
            row = s.execute(base.group_by(Track.video_id, TrackPoint.frame, TrackPoint.ts)
                            .order_by(func.count().desc(), TrackPoint.ts).limit(1)).first()
        else:
            row = s.execute(base.order_by(func.abs(TrackPoint.ts - ts)).limit(1)).first()
        if row is None:
            raise LookupError(f"no analysed frame of camera {camera_id!r} in case {case.id}'s window")
        video_id, frame, frame_ts = int(row[0]), int(row[1]), float(row[2])
        boxes = [(int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in s.execute(
            select(TrackPoint.track_id, TrackPoint.x1, TrackPoint.y1, TrackPoint.x2, TrackPoint.y2)
            .join(Track, Track.id == TrackPoint.track_id)
            .where(Track.video_id == video_id, TrackPoint.frame == frame, scope_clause(case))
            .order_by(TrackPoint.x1))]
        video = s.get_one(Video, video_id)
    return PickerFrame(video, frame, frame_ts, boxes, span)


def video_in_scope(store: Store, *, case: Case, video_id: int, frame: int) -> Video:
    """The video if `frame` of it is footage of an in-scope camera inside the case window."""
    with store.db.session() as s:
        video = s.get(Video, video_id)
    if video is None or (case.camera_scope is not None and video.camera_id not in case.camera_scope):
        raise LookupError(f"no video {video_id} in case {case.id}'s cameras")
    ts = video.start_ts + frame / (video.fps or 25.0)
    if not case.window_start_ts <= ts <= case.window_end_ts:
        raise LookupError(f"frame {frame} of video {video_id} lies outside case {case.id}'s window")
    return video
