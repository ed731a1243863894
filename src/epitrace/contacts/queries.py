"""Read-only queries the contact engine runs on the store (keyword-only, no ORM objects leak)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from epitrace.contacts.episodes import TrackSeries
from epitrace.store import Store, Track, Unit, Video, sightings_repo
from epitrace.store.codec import track_context

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


def get_tracks(*, store: Store, track_ids: list[int], session: Unit | None = None) -> list[TrackInfo]:
    """The tracks `track_ids`; unknown ids raise `LookupError` naming them."""
    with store.unit(session) as s:
        found = {t.id: _info(t, v) for t, v in sightings_repo.tracks_with_videos(s, track_ids=track_ids)}
    missing = sorted(set(track_ids) - set(found))
    if missing:
        raise LookupError(f"unknown track ids: {missing}")
    return [found[i] for i in track_ids]


def overlapping_tracks(*, store: Store, track: TrackInfo, slack_s: float = 0.0,
                       session: Unit | None = None) -> list[TrackInfo]:
    """Other tracks of the same camera whose time span overlaps `track`'s (within `slack_s`)."""
    with store.unit(session) as s:
        rows = sightings_repo.overlapping_with_videos(s, camera_id=track.camera_id, exclude_id=track.id,
                                                      start_ts=track.start_ts - slack_s,
                                                      end_ts=track.end_ts + slack_s)
        return [_info(t, v) for t, v in rows]


def track_series(*, store: Store, track_ids: list[int], session: Unit | None = None) -> dict[int, TrackSeries]:
    """Per-frame time stamps and ground positions of each track (xy None if uncalibrated).

    A track with any ground position is calibrated; its unmapped points become NaN.
    """
    with store.unit(session) as s:
        rows = sightings_repo.ground_points(s, track_ids=track_ids)
    grouped: dict[int, list[tuple[float, float | None, float | None]]] = {}
    for tid, ts, gx, gy in rows:
        grouped.setdefault(int(tid), []).append((ts, gx, gy))
    out = {}
    for tid, pts in grouped.items():
        times = np.array([p[0] for p in pts], np.float64)
        xy = np.array([[np.nan if p[1] is None else p[1], np.nan if p[2] is None else p[2]]
                       for p in pts], np.float64)
        out[tid] = TrackSeries(times, xy if np.isfinite(xy).any() else None)
    return out


def body_vectors(*, store: Store, track_ids: list[int],
                 session: Unit | None = None) -> dict[int, npt.NDArray[np.float32]]:
    """L2-normalised 'body' vectors of the tracks that have one."""
    with store.unit(session) as s:
        rows = sightings_repo.vector_blobs(s, kind="body", track_ids=track_ids)
    return {tid: store.codec.decode(blob, kind="body", context=track_context("body", tid), normalise=True)
            for tid, blob in rows}
