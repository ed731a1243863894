"""Low-score person boxes reach the tracker only where they continue a track (a gated ByteTrack stage 2).

Why: ByteTrack gives boxes under `high_score` to any track the high boxes left unmatched, lost
tracks included, at the first stage's loose IoU (0.1 here, for 7 fps). NanoDet's boxes between
0.2 and 0.5 are mostly false on PETS S2L1 frames 1-400 (0.3-0.4: 60 true, 147 partial or
duplicate, 661 false), many on the same bins and cones every frame, so a lost track that walks
past one sticks to it. Yet they also hold the people a detector half sees: GT person 15, half
hidden by a sign for 100 frames, scores 0.2-0.45 there with NanoDet, which cost two contact
episodes. The gate passes a low box only when it overlaps, by at least `iou`, the last box of a
track seen in the last `memory_frames` analysed frames that no high box of this frame covers
(else it is a duplicate of that person); everything else is dropped before the tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import supervision as sv

from epitrace.vision.types import Detections

DUPLICATE_IOU = 0.3  # a high box this close to a track's last box already continues that track


@dataclass
class LowBoxGate:
    """Remembers each track's last box; says which low-score boxes may continue a track.

    Args:
        high_score: boxes at or above it always pass (the tracker's first-stage split).
        iou: least overlap of a low box with a remembered track box; 0 lets every box pass.
        memory_frames: analysed frames a track's last box stays usable after it was last seen.
    """

    high_score: float
    iou: float
    memory_frames: int
    _last: dict[int, tuple[npt.NDArray[np.float32], int]] = field(default_factory=dict)
    _now: int = 0

    def reset(self) -> None:
        """Forget every track (a cut)."""
        self._last.clear()
        self._now = 0

    def admit(self, detections: Detections) -> npt.NDArray[np.bool_]:
        """Which boxes of this frame may reach the tracker; call once per analysed frame."""
        self._now += 1
        self._last = {k: v for k, v in self._last.items() if self._now - v[1] <= self.memory_frames}
        high = detections.confidence >= self.high_score
        if self.iou <= 0:
            return np.ones(len(detections), bool)
        keep = high.copy()
        low = np.flatnonzero(~high)
        if not len(low) or not self._last:
            return keep
        remembered = np.stack([box for box, _ in self._last.values()]).astype(np.float32)
        covered = np.zeros(len(remembered), bool)
        if high.any():
            covered = sv.box_iou_batch(remembered, detections.xyxy[high]).max(axis=1) >= DUPLICATE_IOU
        overlap = sv.box_iou_batch(detections.xyxy[low], remembered)
        nearest = overlap.argmax(axis=1)
        keep[low[(overlap.max(axis=1) >= self.iou) & ~covered[nearest]]] = True
        return keep

    def observe(self, tracked: Detections) -> None:
        """Remember the boxes of this frame's confirmed tracks (tracker_id >= 0)."""
        for box, tid in zip(tracked.xyxy, tracked.tracker_id, strict=True):
            if tid >= 0:
                self._last[int(tid)] = (np.asarray(box, np.float32).copy(), self._now)
