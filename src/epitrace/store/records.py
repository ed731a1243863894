"""Plain values that ingest hands to the store (no ORM objects cross that boundary)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ThumbnailRecord:
    """One evidence image of a track, as JPEG bytes (sealed when stored)."""
    frame: int
    kind: str  # "body" or "face"
    jpeg: bytes


@dataclass(frozen=True)
class AttributesRecord:
    """A track's describable attributes (colour names from `vision.attributes.PALETTE`, metres)."""

    upper: str | None
    upper_share: float
    lower: str | None
    lower_share: float
    height_m: float | None
    height_spread_m: float | None


@dataclass(frozen=True)
class TrackRecord:
    """One finished track of one camera, ready to store.

    Attributes:
        frames: (n,) analysed frame indices (video frame numbers, 0-based).
        ts: (n,) UTC epoch seconds of those frames.
        boxes: (n, 4) x1 y1 x2 y2 pixels.
        confidence: (n,) detection scores.
        ground: (n, 2) metres on the ground plane, or None for an uncalibrated camera.
    """

    local_id: int
    frames: npt.NDArray[np.int64]
    ts: npt.NDArray[np.float64]
    boxes: npt.NDArray[np.float32]
    confidence: npt.NDArray[np.float32]
    ground: npt.NDArray[np.float32] | None
    body_vector: npt.NDArray[np.float32] | None = None
    face_vector: npt.NDArray[np.float32] | None = None
    face_score: float = 0.0
    face_px: float = 0.0  # best face sample's side in frame pixels (0: no face / unknown)
    face_quality: float = 0.0  # best face sample's quality (vision.face_quality), 0-1
    face_frontal: float = 0.0  # best face sample's landmark symmetry, 0-1
    mask_state: str = "unknown"
    mask_confidence: float = 0.0
    thumbnails: list[ThumbnailRecord] = field(default_factory=list)
    attributes: AttributesRecord | None = None
