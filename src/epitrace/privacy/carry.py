"""Boxes carried over from earlier frames of an export, moved with their owner and aged out.

The export detector misses a person in a few frames in a hundred; the boxes of the previous
frames stay mosaicked so a short miss never shows a face. A carried box is stale, though: a
person walking at 1.5 m/s has moved a head's width in two frames at 7 fps, and a stale box
whose head core lands on the subject's head hides the subject for nothing. So each remembered
box keeps the velocity of the detection it continued (matched by IoU with the remembered boxes'
predicted places) and is carried at its predicted place, and a carried box is *explained* when
a newer box continued it or a current detection overlaps it: its owner was found again, and the
newer box is where their head is. Explained boxes stay mosaicked; the redactor only stops them
covering the subject's head (`export_redaction.ExportRedactor.carried_coverers`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from epitrace.vision.boxes import iou_matrix as iou_matrix  # re-exported: export_redaction imports it from here

BoxArray = npt.NDArray[np.float32]
_NONE = np.empty((0, 4), np.float32)


@dataclass(frozen=True)
class Carried:
    """The carried boxes of one frame, newest frame first (row i of every array is one box)."""

    boxes: BoxArray  # where their owners are predicted to be now
    age: npt.NDArray[np.int64]  # frames since the box was detected (>= 1)
    behind: npt.NDArray[np.bool_]  # its owner stood behind a subject whose box it overlapped when last seen
    explained: npt.NDArray[np.bool_]  # a current or newer detection continues it: its owner was found again
    origin: npt.NDArray[np.int64]  # the number `CarryMemory.remember` gave the detection it carries

    @classmethod
    def empty(cls) -> Carried:
        """No carried box."""
        return cls(_NONE, np.empty(0, np.int64), np.empty(0, bool), np.empty(0, bool), np.empty(0, np.int64))

    def select(self, rows: npt.NDArray[np.bool_]) -> Carried:
        """The carried boxes where `rows` is true."""
        return Carried(self.boxes[rows], self.age[rows], self.behind[rows], self.explained[rows], self.origin[rows])


@dataclass
class _Frame:
    boxes: BoxArray
    velocity: BoxArray  # per-frame change of each box's coordinates
    behind: npt.NDArray[np.bool_]
    origin: npt.NDArray[np.int64]
    continued: npt.NDArray[np.bool_]  # a newer box continued it (its owner was seen again)


class CarryMemory:
    """The non-subject boxes of the last `frames` frames, with a velocity each.

    Args:
        frames: how many previous frames are carried (0: none).
        match_iou: a current box continues a previous frame's box at this IoU (gives velocity).
        explain_iou: a carried box whose predicted place overlaps a current box at this IoU is explained.
        predict: move carried boxes with their velocity (False: carried where last seen).
    """

    def __init__(self, frames: int, match_iou: float = 0.3, explain_iou: float = 0.3, predict: bool = True) -> None:
        self.frames, self.match_iou, self.explain_iou, self.predict = frames, match_iou, explain_iou, predict
        self._recent: deque[_Frame] = deque(maxlen=max(frames, 1))
        self._numbered = 0

    def carried(self, current: npt.ArrayLike) -> Carried:
        """The carried boxes for a frame whose detections are `current`."""
        if self.frames <= 0 or not self._recent:
            return Carried.empty()
        now = np.asarray(current, np.float32).reshape(-1, 4)
        b, age = self._predicted()
        frames = self._recent
        continued = np.concatenate([f.continued for f in frames]).astype(bool)
        found = (iou_matrix(b, now) >= self.explain_iou).any(axis=1) if len(now) else np.zeros(len(b), bool)
        return Carried(b, age, np.concatenate([f.behind for f in frames]).astype(bool),
                       np.asarray(found | continued, bool), np.concatenate([f.origin for f in frames]).astype(np.int64))

    def _predicted(self) -> tuple[BoxArray, npt.NDArray[np.int64]]:
        """Every remembered box at its predicted place in the coming frame, and its age then."""
        boxes, ages = [], []
        for age, frame in enumerate(self._recent, start=1):
            boxes.append(frame.boxes + (age if self.predict else 0) * frame.velocity)
            ages.append(np.full(len(frame.boxes), age, np.int64))
        if not boxes:
            return _NONE, np.empty(0, np.int64)
        return np.concatenate(boxes).astype(np.float32).reshape(-1, 4), np.concatenate(ages)

    def remember(self, boxes: npt.ArrayLike, behind: npt.ArrayLike | None = None,
                 strong: npt.ArrayLike | None = None) -> npt.NDArray[np.int64]:
        """Store this frame's non-subject boxes; each continuing a remembered box inherits its velocity.

        A remembered box continued by a newer one is marked so (`Carried.explained`): its owner
        was seen again, and the newer box says where they are. Only `strong` boxes (default all)
        mark it so: a weak detection is often a fragment or two people in one box.

        Returns:
            The number given to each box (its `Carried.origin` in later frames).
        """
        b = np.asarray(boxes, np.float32).reshape(-1, 4)
        sure = np.ones(len(b), bool) if strong is None else np.asarray(strong, bool).reshape(-1)
        velocity = np.zeros_like(b)
        if self.frames > 0 and len(b):
            predicted, ages = self._predicted()
            open_ = ~np.concatenate([f.continued for f in self._recent]).astype(bool) if len(predicted) else None
            if open_ is not None and open_.any():
                stored = np.concatenate([f.boxes for f in self._recent])
                speed = np.concatenate([f.velocity for f in self._recent])
                where = [(f, i) for f in self._recent for i in range(len(f.boxes))]
                iou = np.where(open_[None, :], iou_matrix(b, predicted), 0.0)
                for r, c in zip(*linear_sum_assignment(-iou), strict=True):
                    if iou[r, c] >= self.match_iou:
                        # smoothed: half the new step, half the old velocity (one noisy box moves it half as far)
                        velocity[r] = 0.5 * (b[r] - stored[c]) / ages[c] + 0.5 * speed[c]
                        frame, i = where[c]
                        frame.continued[i] |= bool(sure[r])
        flags = np.zeros(len(b), bool) if behind is None else np.asarray(behind, bool).reshape(-1)
        numbers = np.arange(self._numbered, self._numbered + len(b), dtype=np.int64)
        self._numbered += len(b)
        self._recent.appendleft(_Frame(b, velocity.astype(np.float32), flags, numbers, np.zeros(len(b), bool)))
        return numbers
