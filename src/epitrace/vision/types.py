"""The value passed between vision and tracking stages: parallel arrays, validated shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Detections:
    """Boxes found in one frame.

    Attributes:
        xyxy: (n, 4) float32 boxes in frame pixels, x1 y1 x2 y2.
        confidence: (n,) float32 scores in [0, 1].
        tracker_id: (n,) int64 track ids, -1 where not tracked.
        data: per-row extras, each an array with n rows (e.g. "landmarks": (n, 5, 2)).
    """

    xyxy: FloatArray
    confidence: FloatArray
    tracker_id: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    data: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        object.__setattr__(self, "xyxy", np.asarray(self.xyxy, np.float32).reshape(n, 4))
        object.__setattr__(self, "confidence", np.asarray(self.confidence, np.float32))
        if self.confidence.shape != (n,):
            raise ValueError(f"confidence must have shape ({n},), got {self.confidence.shape}")
        tid = np.asarray(self.tracker_id, np.int64)
        if tid.size == 0 and n:
            tid = np.full(n, -1, np.int64)
        if tid.shape != (n,):
            raise ValueError(f"tracker_id must have shape ({n},), got {tid.shape}")
        object.__setattr__(self, "tracker_id", tid)
        for key, value in self.data.items():
            if len(value) != n:
                raise ValueError(f"data[{key!r}] must have {n} rows, got {len(value)}")

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | slice) -> Detections:
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            tracker_id=self.tracker_id[index],
            data={k: v[index] for k, v in self.data.items()},
        )

    @classmethod
    def empty(cls) -> Detections:
        """No detection."""
        return cls(xyxy=np.empty((0, 4), np.float32), confidence=np.empty(0, np.float32))

    @property
    def foot_points(self) -> FloatArray:
        """(n, 2) bottom-centre of each box: where the person stands."""
        return np.stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, self.xyxy[:, 3]], axis=1)


def box_crops(frame_bgr: npt.NDArray[np.uint8], boxes_xyxy: npt.ArrayLike) -> list[npt.NDArray[np.uint8]]:
    """The person boxes (n, 4) of one frame as crops, each at least one pixel, clipped to the frame."""
    boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
    h, w = frame_bgr.shape[:2]
    crops = []
    for x1, y1, x2, y2 in boxes:
        xa, ya = int(np.clip(np.floor(x1), 0, w - 1)), int(np.clip(np.floor(y1), 0, h - 1))
        xb, yb = int(np.clip(np.ceil(x2), xa + 1, w)), int(np.clip(np.ceil(y2), ya + 1, h))
        crops.append(frame_bgr[ya:yb, xa:xb])
    return crops
