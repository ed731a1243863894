"""Ranking sightings by a spoken description: clothing colours, height, time window, cameras.

A patient who gives no photo can still say what they wore and how tall they are. Each stored
track has named colours and a height (see `vision.attributes`); a description is scored
attribute by attribute so the investigator sees which parts matched ("red upper, black lower,
1.72 m +- 0.08"). Neighbouring names score half (navy looks black, light blue looks white in a
grey daylight), and height scores by how many combined standard deviations it is off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from epitrace.phrases import Words, phrase, words
from epitrace.store import Store, Unit
from epitrace.store.attributes_repo import tracks_with_attributes
from epitrace.store.case_scope import Scope
from epitrace.store.records import AttributesRecord
from epitrace.vision.attributes import PALETTE

# Colour names a camera or a witness easily confuses: half credit.
_NEAR = {frozenset(p) for p in (("black", "grey"), ("grey", "white"), ("black", "blue"), ("black", "brown"),
                                ("red", "pink"), ("red", "orange"), ("orange", "brown"), ("orange", "yellow"),
                                ("blue", "purple"), ("purple", "pink"), ("blue", "white"), ("green", "yellow"))}


class DescriptionError(ValueError):
    """A description that cannot be searched (unknown colour, bad height or window)."""


@dataclass(frozen=True)
class Description:
    """What the patient said; None leaves an attribute out of the ranking."""

    upper: str | None = None
    lower: str | None = None
    height_m: float | None = None
    tolerance_m: float = 0.10
    start_ts: float | None = None
    end_ts: float | None = None
    cameras: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        """Reject what cannot be matched before anything is read."""
        for part in (self.upper, self.lower):
            if part is not None and part not in PALETTE:
                raise DescriptionError(f"unknown colour {part!r}: use one of {', '.join(PALETTE)}")
        if self.height_m is not None and not 0.5 <= self.height_m <= 2.5:
            raise DescriptionError(f"height {self.height_m} m is not a person's height (0.5-2.5 m)")
        if not 0.0 < self.tolerance_m <= 1.0:
            raise DescriptionError(f"height tolerance {self.tolerance_m} m must be in (0, 1]")
        if self.start_ts is not None and self.end_ts is not None and self.end_ts < self.start_ts:
            raise DescriptionError("the time window ends before it starts")
        if self.upper is None and self.lower is None and self.height_m is None:
            raise DescriptionError("describe at least one of upper colour, lower colour or height")


@dataclass(frozen=True)
class DescribedCandidate:
    """A track ranked for a description, with what matched and the track's attributes in words."""

    track_id: int
    camera_id: str
    start_ts: float
    end_ts: float
    score: float  # 0-1: mean of the described attributes' scores
    matched: tuple[str, ...]  # e.g. ("upper", "height")
    explanation: Words


EXPLAIN_PHRASES: tuple[str, ...] = ("{colour} upper", "{colour} lower", "{height} m +- {spread}")
"""The templates of `explain` (the web catalogs translate them and the palette's names)."""


def explain(rec: AttributesRecord) -> Words:
    """A track's attributes in words: "red upper, black lower, 1.72 m +- 0.08"."""
    parts = [phrase("{colour} upper", colour=rec.upper or "unknown"),
             phrase("{colour} lower", colour=rec.lower or "unknown")]
    if rec.height_m is not None:
        parts.append(phrase("{height} m +- {spread}", height=f"{rec.height_m:.2f}",
                            spread=f"{rec.height_spread_m or 0.0:.2f}"))
    return words(parts)


def colour_score(wanted: str, seen: str | None) -> float:
    """1 for the same name, 0.5 for an easily confused one, else 0."""
    if seen is None:
        return 0.0
    if wanted == seen:
        return 1.0
    return 0.5 if frozenset((wanted, seen)) in _NEAR else 0.0


def height_score(wanted: float, tolerance: float, seen: float | None, spread: float | None) -> float:
    """Gaussian score of the height difference over the tolerance and the measurement spread combined."""
    if seen is None:
        return 0.0
    sigma = math.hypot(tolerance, spread or 0.0)
    return math.exp(-0.5 * ((seen - wanted) / sigma) ** 2)


def score(d: Description, rec: AttributesRecord) -> tuple[float, tuple[str, ...]]:
    """Mean score over the described attributes, and those that matched (exact colour, height within ~1 sigma)."""
    parts: list[tuple[str, float]] = []
    if d.upper is not None:
        parts.append(("upper", colour_score(d.upper, rec.upper)))
    if d.lower is not None:
        parts.append(("lower", colour_score(d.lower, rec.lower)))
    if d.height_m is not None:
        parts.append(("height", height_score(d.height_m, d.tolerance_m, rec.height_m, rec.height_spread_m)))
    total = sum(v for _, v in parts) / len(parts)
    return total, tuple(name for name, v in parts if v >= 0.6)


def rank(d: Description, rows: Iterable[tuple[int, str, float, float, AttributesRecord]], *,
         min_score: float = 0.25, limit: int = 50) -> list[DescribedCandidate]:
    """Candidates best first from (track id, camera, start, end, attributes) rows."""
    out = []
    for track_id, camera, start, end, rec in rows:
        total, matched = score(d, rec)
        if total >= min_score:
            out.append(DescribedCandidate(track_id, camera, start, end, round(total, 4), matched, explain(rec)))
    out.sort(key=lambda c: (-c.score, c.start_ts, c.track_id))
    return out[:limit]


def described_tracks(store: Store, *, scope: Scope, d: Description,
                     session: Unit | None = None) -> list[tuple[int, str, float, float, AttributesRecord]]:
    """In-scope tracks with attributes, narrowed by the description's window and cameras."""
    start = scope.start_ts if d.start_ts is None else max(scope.start_ts, d.start_ts)
    end = scope.end_ts if d.end_ts is None else min(scope.end_ts, d.end_ts)
    cameras = scope.cameras
    if d.cameras is not None:
        cameras = tuple(c for c in d.cameras if cameras is None or c in cameras)
    return tracks_with_attributes(store, start_ts=start, end_ts=end, cameras=cameras, session=session)
