"""Which frames to analyse: a fixed analysed rate plus a motion gate for static scenes."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt


class FrameSampler:
    """Picks frames so that about `analysed_fps` per second of video are analysed."""

    def __init__(self, video_fps: float, analysed_fps: float) -> None:
        if video_fps <= 0:
            raise ValueError("video frame rate must be positive; pass --fps")
        self.step = max(video_fps / analysed_fps, 1.0)

    def __call__(self, index: int) -> bool:
        """True for the first frame of each analysed slot."""
        return int(index / self.step) != int((index - 1) / self.step) or index == 0


class MotionGate:
    """Says whether a frame differs enough from the last analysed one to be worth detecting.

    Compares 160-px-wide grey thumbnails; `threshold` is the share of pixels whose grey level
    changed by more than 12. Raising it saves more time on quiet cameras but may miss a person
    who moves very little.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._last: npt.NDArray[Any] | None = None  # grey thumbnail of the last analysed frame

    def __call__(self, frame_bgr: npt.NDArray[np.uint8]) -> bool:
        """True when `frame_bgr` is worth detecting on (it becomes the frame compared with)."""
        h, w = frame_bgr.shape[:2]
        small = cv2.resize(frame_bgr, (160, max(1, round(160 * h / w))), interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        if self._last is None or self.threshold <= 0:
            self._last = grey
            return True
        changed = float(np.mean(cv2.absdiff(grey, self._last) > 12))
        if changed >= self.threshold:
            self._last = grey
            return True
        return False
