"""Read-only queries the contact engine runs on the store (keyword-only, no ORM objects leak)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from epitrace.contacts.episodes import TrackSeries
from epitrace.store import Store, Track, TrackPoint, TrackVector, Video

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackInfo:
    """What the engine needs of one stored track.

    Attributes:
        frame_period_s: seconds between its video's analysed frames.
    """

    id: int
    camera_id: str
    start_ts: float
    end_ts: float
    mask_state: str
    mask_confidence: float
    frame_period_s: float


def _info(track: Track, video: Video) -> TrackInfo:
    step = max(video.fps / video.analysed_fps, 1.0)
    return TrackInfo(track.id, track.camera_id, track.start_ts, track.end_ts, track.mask_state,
                     track.mask_confidence, step / video.fps)


def get_tracks(*, store: Store, track_ids: list[int]) -> list[TrackInfo]:
    """The tracks `track_ids`; unknown ids raise `LookupError` naming them."""
    with store.db.session() as s:
        rows = s.execute(select(Track, Video).join(Video, Video.id == Track.video_id)
                         .where(Track.id.in_(track_ids))).all()
        found = {t.id: _info(t, v) for t, v in rows}
    missing = sorted(set(track_ids) - set(found))
    if missing:
        raise LookupError(f"unknown track ids: {missing}")
    return [found[i] for i in track_ids]


def overlapping_tracks(*, store: Store, track: TrackInfo, slack_s: float = 0.0) -> list[TrackInfo]:
    """Other tracks of the same camera whose time span overlaps `track`'s (within `slack_s`)."""
    with store.db.session() as s:
        rows = s.execute(
            select(Track, Video).join(Video, Video.id == Track.video_id)
            .where(Track.camera_id == track.camera_id, Track.id != track.id,
                   Track.start_ts <= track.end_ts + slack_s,
                   Track.end_ts >= track.start_ts - slack_s)
            .order_by(Track.start_ts, Track.id)).all()
        return [_info(t, v) for t, v in rows]


def track_series(*, store: Store, track_ids: list[int]) -> dict[int, TrackSeries]:
    """Per-frame time stamps and ground positions of each track (xy None if uncalibrated).

    A track with any ground position is calibrated; its unmapped points become NaN.
    """
    with store.db.session() as s:
        rows = s.execute(
            select(TrackPoint.track_id, TrackPoint.ts, TrackPoint.ground_x, TrackPoint.ground_y)
            .where(TrackPoint.track_id.in_(track_ids))
            .order_by(TrackPoint.track_id, TrackPoint.ts)).all()
    grouped: dict[int, list[tuple[float, float | None, float | None]]] = {}
    for tid, ts, gx, gy in rows:
        grouped.setdefault(int(tid), []).append((ts, gx, gy))
    out = {}
    for tid, pts in grouped.items():
        ts = np.array([p[0] for p in pts], np.float64)
        xy = np.array([[np.nan if p[1] is None else p[1], np.nan if p[2] is None else p[2]]
                       for p in pts], np.float64)
        out[tid] = TrackSeries(ts, xy if np.isfinite(xy).any() else None)
    return out


def body_vectors(*, store: Store, track_ids: list[int]) -> dict[int, npt.NDArray[np.float32]]:
    """L2-normalised 'body' vectors of the tracks that have one."""
    with store.db.session() as s:
        rows = s.execute(select(TrackVector.track_id, TrackVector.vector).where(
            TrackVector.kind == "body", TrackVector.track_id.in_(track_ids))).all()
    out = {}
    for tid, blob in rows:
        vec = np.frombuffer(blob, np.float32)
        out[int(tid)] = (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)
    return out
