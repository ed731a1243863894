"""Pure contact geometry: two tracks' positions over time -> distances, episodes, exposure.

No storage and no policy here: arrays in, typed values out, so the same code scores ground
truth, stored tracks and synthetic tables alike.

Rules (shared by the engine and the evaluation):
- Two tracks are compared only at common time stamps (equal within `tolerance` of a frame
  period, default half an analysed frame).
- A frame is "in contact" when the ground distance is <= `distance_m`.
- An episode is a run of contact frames; a gap of at most `max_gap_frames` frames without
  contact (or without a common time stamp) is bridged, a longer one splits the episode.
- An episode lasts (last - first) + one frame period: one frame of contact lasts 1 / fps.
- An episode needs at least `min_frames` contact frames (default 2): a single analysed frame
  under the radius, between frames outside it, is indistinguishable from foot-point noise at
  the limit (PETS S2L1 0-399: both one-frame episodes were 1.93 / 1.98 m where the truth was
  3.1 / 2.6 m), while any real approach at walking pace stays inside for several frames.
- Uncalibrated tracks (no ground position) give co-presence episodes only: runs of common
  time stamps, `calibrated=False`, no distance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrackSeries:
    """Per-analysed-frame positions of one track.

    Attributes:
        ts: (n,) increasing UTC epoch seconds.
        xy: (n, 2) ground metres, NaN rows where a point could not be mapped; None when the
            camera is uncalibrated.
    """

    ts: FloatArray
    xy: FloatArray | None = None

    def __post_init__(self) -> None:
        ts = np.asarray(self.ts, np.float64).reshape(-1)
        object.__setattr__(self, "ts", ts)
        if self.xy is not None:
            xy = np.asarray(self.xy, np.float64)
            if xy.shape != (len(ts), 2):
                raise ValueError(f"xy must have shape ({len(ts)}, 2), got {xy.shape}")
            object.__setattr__(self, "xy", xy)
        if len(ts) > 1 and np.any(np.diff(ts) <= 0):
            raise ValueError("ts must be strictly increasing")

    @property
    def calibrated(self) -> bool:
        """True when the track has ground positions (some may still be NaN)."""
        return self.xy is not None


@dataclass(frozen=True)
class Episode:
    """One continuous (gap-bridged) contact between two tracks.

    Attributes:
        start_ts: first contact frame, UTC epoch seconds.
        end_ts: last contact frame, UTC epoch seconds.
        duration_s: (end - start) + one frame period, seconds.
        n_frames: contact frames inside it (bridged gaps not counted).
        min_distance_m: closest ground distance, metres; None for co-presence.
    """

    start_ts: float
    end_ts: float
    duration_s: float
    n_frames: int
    min_distance_m: float | None


@dataclass(frozen=True)
class PairExposure:
    """All episodes of one pair of tracks and their totals.

    Attributes:
        episodes: in time order.
        exposure_s: sum of episode durations, seconds.
        min_distance_m: closest distance over all common frames, metres (None if uncalibrated
            or never measurable); may exceed the radius when there is no episode.
        calibrated: False when the episodes are co-presence only.
        closest: the two ground points at `min_distance_m` (a's, b's), for its uncertainty.
    """

    episodes: tuple[Episode, ...]
    exposure_s: float
    min_distance_m: float | None
    calibrated: bool
    closest: tuple[FloatArray, FloatArray] | None = None


def common_times(a_ts: FloatArray, b_ts: FloatArray, tolerance: float) -> tuple[IntArray, IntArray]:
    """Indices (ia, ib) of time stamps of `a` and `b` that match within `tolerance` seconds.

    Each stamp of `a` is paired with the nearest stamp of `b`; pairs further apart than
    `tolerance` are dropped, and each `b` stamp is used at most once.
    """
    a_ts, b_ts = np.asarray(a_ts, np.float64), np.asarray(b_ts, np.float64)
    if len(a_ts) == 0 or len(b_ts) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pos = np.clip(np.searchsorted(b_ts, a_ts), 1, len(b_ts) - 1) if len(b_ts) > 1 else \
        np.zeros(len(a_ts), np.int64)
    if len(b_ts) > 1:
        left_closer = np.abs(a_ts - b_ts[pos - 1]) <= np.abs(a_ts - b_ts[pos])
        pos = np.where(left_closer, pos - 1, pos)
    keep = np.abs(a_ts - b_ts[pos]) <= tolerance
    ia, ib = np.flatnonzero(keep).astype(np.int64), pos[keep].astype(np.int64)
    _, first = np.unique(ib, return_index=True)  # one a per b (the earliest)
    return ia[first], ib[first]


def pair_distances(a: TrackSeries, b: TrackSeries, frame_period_s: float,
                   tolerance_frames: float = 0.5) -> tuple[FloatArray, FloatArray | None]:
    """(ts, distance) at the common time stamps of `a` and `b`.

    Returns:
        ts: (m,) time stamps of `a` that `b` shares.
        distance: (m,) ground metres (NaN where a point is unmapped), or None when either
            track is uncalibrated.
    """
    ts, dist, _, _ = _paired(a, b, frame_period_s, tolerance_frames)
    return ts, dist


def _paired(a: TrackSeries, b: TrackSeries, frame_period_s: float, tolerance_frames: float
            ) -> tuple[FloatArray, FloatArray | None, IntArray, IntArray]:
    """`pair_distances` with the indices (ia, ib) of the rows it paired."""
    ia, ib = common_times(a.ts, b.ts, tolerance_frames * frame_period_s)
    if a.xy is None or b.xy is None:
        return a.ts[ia], None, ia, ib
    return a.ts[ia], np.linalg.norm(a.xy[ia] - b.xy[ib], axis=1), ia, ib


def runs(ts: FloatArray, frame_period_s: float, max_gap_frames: int) -> list[tuple[int, int]]:
    """Inclusive index runs of sorted time stamps, bridging gaps of <= `max_gap_frames` frames.

    Two consecutive stamps belong to one run when they are at most `max_gap_frames + 1`
    periods apart (a quarter period of slack absorbs rounding of time stamps).
    """
    if len(ts) == 0:
        return []
    limit = (max_gap_frames + 1.25) * frame_period_s
    breaks = np.flatnonzero(np.diff(ts) > limit)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(ts) - 1]])
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def episodes_from_times(ts: FloatArray, distance: FloatArray | None, frame_period_s: float,
                        max_gap_frames: int, min_frames: int = 1) -> tuple[Episode, ...]:
    """Episodes of the contact frames `ts` (sorted), with their distances if known.

    Runs of fewer than `min_frames` contact frames are dropped (see the module's rules).
    """
    out = []
    for s, e in runs(ts, frame_period_s, max_gap_frames):
        if e - s + 1 < min_frames:
            continue
        min_d = None if distance is None else float(np.min(distance[s:e + 1]))
        out.append(Episode(start_ts=float(ts[s]), end_ts=float(ts[e]),
                           duration_s=float(ts[e] - ts[s]) + frame_period_s,
                           n_frames=e - s + 1, min_distance_m=min_d))
    return tuple(out)


def contact_episodes(a: TrackSeries, b: TrackSeries, distance_m: float, frame_period_s: float,
                     max_gap_frames: int = 2, tolerance_frames: float = 0.5,
                     min_frames: int = 2) -> PairExposure:
    """Contact episodes of two tracks at `distance_m` (co-presence if either is uncalibrated).

    Args:
        a: one track.
        b: the other track.
        distance_m: contact radius, metres. Larger finds more (and longer) episodes.
        frame_period_s: seconds between analysed frames (1 / analysed fps).
        max_gap_frames: non-contact frames bridged inside one episode. Raising it absorbs
            detector drop-outs and position jitter at the radius; 0 gives exact runs.
        tolerance_frames: time stamps match within this many periods.
        min_frames: fewest contact frames an episode needs (see the module's rules); 1 keeps
            every frame under the radius. Co-presence episodes are not filtered.

    Example:
        >>> t = np.arange(5) / 7.0
        >>> a = TrackSeries(t, np.zeros((5, 2)))
        >>> b = TrackSeries(t, np.array([[0.5, 0], [3, 0], [0.5, 0], [3, 0], [3, 0]]))
        >>> r = contact_episodes(a, b, 1.0, 1 / 7, max_gap_frames=1)
        >>> len(r.episodes), round(r.exposure_s * 7)
        (1, 3)
    """
    if frame_period_s <= 0:
        raise ValueError(f"frame_period_s must be positive, got {frame_period_s}")
    if min_frames < 1:
        raise ValueError(f"min_frames must be >= 1, got {min_frames}")
    ts, dist, ia, ib = _paired(a, b, frame_period_s, tolerance_frames)
    if dist is None:
        eps = episodes_from_times(ts, None, frame_period_s, max_gap_frames)
        return PairExposure(eps, sum(e.duration_s for e in eps), None, calibrated=False)
    finite = np.isfinite(dist)
    min_all, closest = None, None
    if finite.any():
        k = int(np.flatnonzero(finite)[np.argmin(dist[finite])])
        assert a.xy is not None and b.xy is not None  # calibrated: `dist` exists
        min_all, closest = float(dist[k]), (a.xy[ia[k]], b.xy[ib[k]])
    close = finite & (dist <= distance_m)
    eps = episodes_from_times(ts[close], dist[close], frame_period_s, max_gap_frames, min_frames)
    return PairExposure(eps, sum(e.duration_s for e in eps), min_all, calibrated=True, closest=closest)


def max_window_exposure(intervals: list[tuple[float, float]], window_s: float) -> float:
    """Largest total length of `intervals` (start, end seconds) inside any window of `window_s`.

    Overlapping intervals (the same encounter seen by two cameras) are counted once. The best
    window starts at some interval's start, so only those starts are tried.
    """
    merged: list[list[float]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    best = 0.0
    for w0, _ in merged:
        w1 = w0 + window_s
        best = max(best, sum(max(0.0, min(e, w1) - max(s, w0)) for s, e in merged))
    return best
