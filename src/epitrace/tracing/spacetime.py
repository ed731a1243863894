"""Drop sightings a person could not physically produce, given confirmed ones."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from epitrace.store.orm import Camera

EARTH_RADIUS_M = 6_371_000.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class SpeedBound:
    """Fastest plausible travel between cameras.

    Attributes:
        max_speed_mps: metres per second (walking ~2, cycling ~8, driving in a city ~20).
        slack_m: distance tolerated at zero time (overlapping fields of view, GPS error).
    """

    max_speed_mps: float = 20.0
    slack_m: float = 60.0


class Span(Protocol):
    """What feasibility reads of a sighting: a stored `Track` or a light `store.cases.TrackSpan`."""

    @property
    def id(self) -> int:
        """Track id."""

    @property
    def camera_id(self) -> str:
        """Camera that saw it."""

    @property
    def start_ts(self) -> float:
        """First seen (epoch s)."""

    @property
    def end_ts(self) -> float:
        """Last seen (epoch s)."""


def gap_seconds(a: Span, b: Span) -> float:
    """Time between two tracks (0 when they overlap)."""
    return max(0.0, max(a.start_ts, b.start_ts) - min(a.end_ts, b.end_ts))


def feasible(candidate: Span, anchor: Span, cameras: dict[str, Camera], bound: SpeedBound) -> bool:
    """Could the person of `anchor` also be `candidate`?

    Same camera at the same time (two tracks at once) is impossible; different cameras need
    distance <= speed * gap + slack. Cameras without coordinates cannot be judged: kept.
    """
    if candidate.id == anchor.id:
        return True
    overlap = min(candidate.end_ts, anchor.end_ts) - max(candidate.start_ts, anchor.start_ts)
    if candidate.camera_id == anchor.camera_id:
        return overlap <= 0.5  # a track may be split by the tracker, never doubled
    ca, cb = cameras.get(candidate.camera_id), cameras.get(anchor.camera_id)
    if ca is None or cb is None or None in (ca.latitude, ca.longitude, cb.latitude, cb.longitude):
        return True
    distance = haversine_m(ca.latitude, ca.longitude, cb.latitude, cb.longitude)  # type: ignore[arg-type]
    return distance <= bound.max_speed_mps * gap_seconds(candidate, anchor) + bound.slack_m
