"""Reads (and bulk writes) of stored sightings: tracks, videos, points, vectors, thumbnails.

Keyword-only functions whose first argument is the unit's session. Tracing, contacts and the
evaluations ask these questions; the answers are rows or plain tuples, and vectors come back as
stored bytes for `epitrace.store.codec` to open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from epitrace.store.orm import Thumbnail, Track, TrackPoint, TrackVector, Video

BATCH = 900
"""Ids per SQL `IN (...)` (SQLite allows 999 parameters per statement in older builds)."""


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


def tracks_with_videos(s: Session, *, track_ids: list[int]) -> list[tuple[Track, Video]]:
    """(track, its video) for those of `track_ids` that exist."""
    return [(t, v) for t, v in s.execute(select(Track, Video).join(Video, Video.id == Track.video_id)
                                         .where(Track.id.in_(track_ids))).all()]


def track_and_video(s: Session, *, track_id: int) -> tuple[Track, Video] | None:
    """One track and its video, if the track exists."""
    rows = tracks_with_videos(s, track_ids=[int(track_id)])
    return rows[0] if rows else None


def overlapping_with_videos(s: Session, *, camera_id: str, start_ts: float, end_ts: float,
                            exclude_id: int | None = None) -> list[tuple[Track, Video]]:
    """(track, video) of a camera's tracks overlapping [start_ts, end_ts], by start time."""
    q = (select(Track, Video).join(Video, Video.id == Track.video_id)
         .where(Track.camera_id == camera_id, Track.start_ts <= end_ts, Track.end_ts >= start_ts))
    if exclude_id is not None:
        q = q.where(Track.id != exclude_id)
    return [(t, v) for t, v in s.execute(q.order_by(Track.start_ts, Track.id)).all()]


def ground_points(s: Session, *, track_ids: list[int]) -> list[tuple[int, float, float | None, float | None]]:
    """(track id, ts, ground x, ground y) of every point of the tracks, by track then time."""
    rows = s.execute(select(TrackPoint.track_id, TrackPoint.ts, TrackPoint.ground_x, TrackPoint.ground_y)
                     .where(TrackPoint.track_id.in_(track_ids))
                     .order_by(TrackPoint.track_id, TrackPoint.ts)).all()
    return [(int(t), float(ts), gx, gy) for t, ts, gx, gy in rows]


def video_ground_frames(s: Session, *, video_id: int) -> list[tuple[int, int, float | None, float | None]]:
    """(track id, frame, ground x, ground y) of every point of a video's tracks."""
    rows = s.execute(select(TrackPoint.track_id, TrackPoint.frame, TrackPoint.ground_x, TrackPoint.ground_y)
                     .join(Track, Track.id == TrackPoint.track_id).where(Track.video_id == video_id)
                     .order_by(TrackPoint.track_id, TrackPoint.frame)).all()
    return [(int(t), int(f), gx, gy) for t, f, gx, gy in rows]


def vector_blobs(s: Session, *, kind: str, track_ids: list[int]) -> list[tuple[int, bytes]]:
    """(track id, stored bytes) of the tracks' `kind` vectors (tracks without one are absent)."""
    return [(int(t), bytes(b)) for t, b in s.execute(select(TrackVector.track_id, TrackVector.vector).where(
        TrackVector.kind == kind, TrackVector.track_id.in_(track_ids))).all()]


def body_thumbnails(s: Session, *, track_ids: list[int]) -> dict[int, list[str]]:
    """Track id -> relative paths of its body thumbnails, in stored order."""
    out: dict[int, list[str]] = {}
    for part in _chunks([int(t) for t in track_ids]):
        for track_id, path in s.execute(select(Thumbnail.track_id, Thumbnail.path).where(
                Thumbnail.track_id.in_(part), Thumbnail.kind == "body").order_by(Thumbnail.id)):
            out.setdefault(int(track_id), []).append(str(path))
    return out


def face_chips_without_vector(s: Session, *, track_ids: list[int]) -> dict[int, list[str]]:
    """Track id -> its face chip paths (best face first), for tracks that have chips and no face vector."""
    out: dict[int, list[str]] = {}
    for part in _chunks([int(t) for t in track_ids]):
        embedded = set(s.scalars(select(TrackVector.track_id).where(
            TrackVector.kind == "face", TrackVector.track_id.in_(part))))
        for track_id, path in s.execute(select(Thumbnail.track_id, Thumbnail.path).where(
                Thumbnail.kind == "face", Thumbnail.track_id.in_(part)).order_by(Thumbnail.id)):
            if int(track_id) not in embedded:
                out.setdefault(int(track_id), []).append(str(path))
    return out


def insert_tracks(s: Session, *, rows: list[Mapping[str, Any]]) -> list[int]:
    """Bulk-insert track rows (column -> value); their new ids, in order."""
    stmt = insert(Track).returning(Track.id, sort_by_parameter_order=True)
    return [int(i) for i in s.execute(stmt, list(rows)).scalars().all()]


def insert_vectors(s: Session, *, rows: list[Mapping[str, Any]]) -> None:
    """Bulk-insert `track_vectors` rows (track_id, kind, dim, vector as stored bytes)."""
    if rows:
        s.execute(insert(TrackVector), list(rows))
