"""A camera's recorded time inside a case's scope, as spans (for a picker that skips gaps).

Footage is a list of ingested videos; between them the camera recorded nothing (or nothing was
ingested). The spans are read from the videos table in SQL, bounded by the case's window and
cameras like every other read in `case_scope`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.store.case_scope import Scope
from epitrace.store.orm import Track, Video
from epitrace.store.repo import Store

JOIN_GAP_S = 1.0
"""Videos closer than this (seconds) read as one span: a stream's segments, a cut-up file."""


@dataclass(frozen=True)
class FootageSpan:
    """Recorded, in-scope time of one camera (UTC epoch seconds) and the videos it covers."""

    start_ts: float
    end_ts: float
    video_ids: tuple[int, ...]


def footage_spans(store: Store, *, scope: Scope, camera_id: str, session: Session | None = None) -> list[FootageSpan]:
    """The camera's videos clipped to the scope's window, adjacent ones joined, earliest first.

    A video's end is its frame count over its frame rate; where the count is unknown (a stream
    still running) the end of its last track stands in.
    """
    if not scope.covers_camera(camera_id):
        return []
    last_track = (select(Track.video_id, func.max(Track.end_ts).label("end_ts"))
                  .where(Track.camera_id == camera_id).group_by(Track.video_id).subquery())
    q = (select(Video.id, Video.start_ts, Video.fps, Video.frames_total, last_track.c.end_ts)
         .outerjoin(last_track, last_track.c.video_id == Video.id)
         .where(Video.camera_id == camera_id, Video.start_ts <= scope.end_ts)
         .order_by(Video.start_ts, Video.id))
    with store.unit(session) as s:
        rows = list(s.execute(q))
    spans: list[FootageSpan] = []
    for video_id, start, fps, frames, track_end in rows:
        end = float(start) + frames / fps if frames and fps else float(track_end or start)
        lo, hi = max(float(start), scope.start_ts), min(end, scope.end_ts)
        if hi <= lo:
            continue
        if spans and lo - spans[-1].end_ts <= JOIN_GAP_S:
            last = spans.pop()
            spans.append(FootageSpan(last.start_ts, max(last.end_ts, hi), (*last.video_ids, int(video_id))))
        else:
            spans.append(FootageSpan(lo, hi, (int(video_id),)))
    return spans


def latest_video(store: Store, *, camera_id: str, session: Session | None = None) -> Video | None:
    """The camera's most recent ingested video (to show a frame of it for calibration)."""
    with store.unit(session) as s:
        return s.scalar(select(Video).where(Video.camera_id == camera_id)
                        .order_by(Video.start_ts.desc(), Video.id.desc()).limit(1))
