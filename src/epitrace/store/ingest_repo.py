"""The SQL ingest needs beyond `Store`'s methods: segment ids, stitching links, stream gaps.

Ingest decides (which ids a segment numbers from, which pieces are one person, when a stream
was down); this module only reads and writes the rows, so no module outside `store/` speaks
SQL. Each function is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, or_, select

from epitrace.store.orm import StreamGap, Track, TrackPoint, Video
from epitrace.store.repo import Store


@dataclass(frozen=True)
class TrackSpan:
    """Where one stored track lies in its video (frames inclusive)."""

    id: int
    local_id: int
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Gap:
    """A recorded outage of a camera's live stream (end None: still down, or ingest stopped)."""

    camera_id: str
    url: str
    start_ts: float
    end_ts: float | None
    reason: str
    attempts: int


def max_local_ids(store: Store, *, video_id: int, ranges: Sequence[tuple[int, int]]) -> list[int | None]:
    """The highest stored `local_id` of `video_id` in each [lo, hi) of `ranges` (None: none there)."""
    with store.db.session() as s:
        return [s.scalar(select(func.max(Track.local_id)).where(
            Track.video_id == video_id, Track.local_id >= lo, Track.local_id < hi)) for lo, hi in ranges]


def track_spans(store: Store, *, video_id: int) -> list[TrackSpan]:
    """Every stored track of `video_id`, by start frame then id."""
    with store.db.session() as s:
        rows = s.execute(select(Track.id, Track.local_id, Track.start_frame, Track.end_frame)
                         .where(Track.video_id == video_id).order_by(Track.start_frame, Track.id)).all()
    return [TrackSpan(*row) for row in rows]


def boxes_at(store: Store, *, points: Sequence[tuple[int, int]]) -> dict[tuple[int, int], npt.NDArray[np.float64]]:
    """The stored (x1, y1, x2, y2) box of each (track id, frame) in `points` that has one."""
    wanted = set(points)
    track_ids = sorted({track_id for track_id, _ in wanted})
    if not track_ids:
        return {}
    with store.db.session() as s:
        rows = s.execute(select(TrackPoint.track_id, TrackPoint.frame, TrackPoint.x1, TrackPoint.y1,
                                TrackPoint.x2, TrackPoint.y2).where(TrackPoint.track_id.in_(track_ids))).all()
    return {(tid, frame): np.array(xyxy, np.float64) for tid, frame, *xyxy in rows if (tid, frame) in wanted}


def set_local_ids(store: Store, *, local_ids: Mapping[int, int]) -> None:
    """Give each track id of `local_ids` its new per-video `local_id`, in one transaction."""
    if not local_ids:
        return
    with store.db.session() as s:
        for track_id, local_id in local_ids.items():
            s.get_one(Track, track_id).local_id = local_id


def open_gap(store: Store, *, camera_id: str, url: str, start_ts: float, reason: str) -> int:
    """Record that `camera_id`'s stream went down at `start_ts`; returns the gap's id."""
    with store.db.session() as s:
        gap = StreamGap(camera_id=camera_id, url=url, start_ts=start_ts, end_ts=None,
                        reason=reason[:500], attempts=0)
        s.add(gap)
        s.flush()
        return gap.id


def close_gap(store: Store, *, gap_id: int, end_ts: float, attempts: int) -> None:
    """Record that the stream came back at `end_ts` after `attempts` reconnection tries."""
    with store.db.session() as s:
        gap = s.get_one(StreamGap, gap_id)
        gap.end_ts, gap.attempts = end_ts, attempts


def list_gaps(store: Store, *, camera_id: str | None = None, since_ts: float | None = None) -> list[Gap]:
    """Recorded stream gaps, oldest first; `since_ts` keeps those still open or ending after it."""
    query = select(StreamGap).order_by(StreamGap.start_ts)
    if camera_id is not None:
        query = query.where(StreamGap.camera_id == camera_id)
    if since_ts is not None:
        query = query.where(or_(StreamGap.end_ts.is_(None), StreamGap.end_ts >= since_ts))
    with store.db.session() as s:
        return [Gap(g.camera_id, g.url, g.start_ts, g.end_ts, g.reason, g.attempts) for g in s.scalars(query)]


def longest_track_id(store: Store, *, camera_id: str) -> int | None:
    """The id of `camera_id`'s longest-seen track (the demo traces it), None without tracks."""
    with store.db.session() as s:
        return s.scalar(select(Track.id).where(Track.camera_id == camera_id)
                        .order_by((Track.end_ts - Track.start_ts).desc()).limit(1))


def restart_video(store: Store, *, video_id: int, fps: float, start_ts: float, analysed_fps: float,
                  frames_total: int) -> None:
    """Put a finished video back to "running" from frame 0 with new facts (its tracks deleted first)."""
    store.delete_tracks_from(video_id, 0)
    with store.db.session() as s:
        v = s.get_one(Video, video_id)
        v.status, v.resume_frame, v.frames_analysed, v.finished_at = "running", 0, 0, None
        v.fps, v.start_ts, v.analysed_fps, v.frames_total = fps, start_ts, analysed_fps, frames_total


def videos_with_status(store: Store, *, status: str) -> list[tuple[int, str, str, float, float]]:
    """(id, camera id, path, start_ts, fps) of every video in `status`, by id."""
    with store.db.session() as s:
        rows = s.execute(select(Video.id, Video.camera_id, Video.path, Video.start_ts, Video.fps)
                         .where(Video.status == status).order_by(Video.id)).all()
    return [(int(i), str(c), str(p), float(t), float(f)) for i, c, p, t, f in rows]


def set_video_status(store: Store, *, video_id: int, status: str) -> None:
    """Set one video's ingest status (e.g. "interrupted" after its process died)."""
    with store.db.session() as s:
        s.get_one(Video, video_id).status = status
