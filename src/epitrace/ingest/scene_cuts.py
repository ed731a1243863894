"""Scene cuts: a shot cut, a PTZ move or a recorder switching feeds between two analysed frames.

No track may span such a cut (the people after it are other people, or the same people
elsewhere in the picture), so the pipeline ends every open track there and restarts the
tracker, exactly as at a cut segment's edge.

The score is PySceneDetect's `ContentDetector` score: the mean absolute change of hue,
saturation and value per pixel, averaged over the three (0-255), with its default threshold of
27. It is computed here on a 160-px-wide thumbnail rather than through the library: `scenedetect`
0.7.2 requires the GUI `opencv-python`, which would shadow the headless OpenCV this project
installs (a `scenedetect-headless` variant exists), its detectors take `FrameTimecode`s and by
default hold a cut back to merge flashes, and the score itself is three OpenCV calls.

A PTZ move changes the content less than a cut until it is fast (a 40-px pan between two
analysed frames scores 24), so the whole picture's shift is measured too, by phase correlation
of the thumbnails' value planes: 3 thumbnail pixels or more (about 15 px at 768 wide, a slow
pan of ~100 px/s at 7 analysed frames a second) is a camera move. Both cost about 1 ms a
768x576 frame together.

Measured on the shared data (checked in `tests/integration/test_scene_cuts.py`): PETS S2L1
frames 1-400, every frame at the analysed 7 fps: content change at most 8.1 (mean 2.1), shift
at most 1.15 px (walking people pull the estimate a little): no cut. A cut from PETS to the
ETH/BIWI hotel view scores 69, to the ETH view 60, to PETS mirrored (a camera on the other
side) 50; a pan of 16 px per analysed frame shifts 3.3 px, 40 px 8.9 px.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

THUMB_WIDTH = 160  # pixels: the scale the score is computed at (like the motion gate)
DEFAULT_THRESHOLD = 27.0  # PySceneDetect's ContentDetector default
PAN_SHIFT = 3.0  # thumbnail pixels of whole-picture shift between analysed frames that mean the camera moved
MIN_PAN_RESPONSE = 0.3  # phase-correlation peak below which the shift estimate is noise


def _hsv_thumbnail(frame_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
    h, w = frame_bgr.shape[:2]
    small = cv2.resize(frame_bgr, (THUMB_WIDTH, max(1, round(THUMB_WIDTH * h / w))), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(small, cv2.COLOR_BGR2HSV)


class SceneCutDetector:
    """Scores each analysed frame against the previous one; a score at or over `threshold` is a cut.

    Lowering `threshold` catches gentler transitions (a slow pan, two similar shots) but
    risks cutting on a lighting change or a crowd filling the view; raising it misses cuts
    between similar scenes. 0 disables detection.

    Example:
        >>> detector = SceneCutDetector(27.0)
        >>> detector(np.zeros((48, 64, 3), np.uint8)), detector(np.full((48, 64, 3), 200, np.uint8))
        (False, True)
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if threshold < 0:
            raise ValueError(f"scene cut threshold must be >= 0 (0 disables), got {threshold}")
        self.threshold = threshold
        self.last_score = 0.0
        self.last_shift = 0.0  # whole-picture shift from the previous frame, thumbnail pixels
        self._last: npt.NDArray[Any] | None = None
        self._window: npt.NDArray[Any] | None = None

    def reset(self) -> None:
        """Forget the previous frame (a new segment or a new connection starts here)."""
        self._last, self.last_score, self.last_shift = None, 0.0, 0.0

    def score(self, frame_bgr: npt.NDArray[np.uint8]) -> float:
        """Content change from the previous frame given (0 for the first), and remember this one."""
        hsv = _hsv_thumbnail(frame_bgr)
        previous, self._last = self._last, hsv
        self.last_shift = 0.0
        if previous is None:
            self.last_score = 0.0
        elif previous.shape != hsv.shape:  # another picture size: another feed
            self.last_score = 255.0
        else:
            self.last_score = float(np.mean(cv2.mean(cv2.absdiff(hsv, previous))[:3]))  # over h, s, v
            self.last_shift = self._shift(previous[..., 2], hsv[..., 2])
        return self.last_score

    def _shift(self, before: npt.NDArray[Any], after: npt.NDArray[Any]) -> float:
        """How far the whole picture moved (phase correlation of the value planes), 0 if unsure."""
        if self._window is None or self._window.shape != before.shape:
            self._window = cv2.createHanningWindow((before.shape[1], before.shape[0]), cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(before.astype(np.float32), after.astype(np.float32), self._window)
        return float(np.hypot(dx, dy)) if response >= MIN_PAN_RESPONSE else 0.0

    def __call__(self, frame_bgr: npt.NDArray[np.uint8]) -> bool:
        """True when `frame_bgr` starts a new scene (never for the first frame after a reset).

        A new scene: the content changed by `threshold` or more, or the whole picture moved
        `PAN_SHIFT` or more.
        """
        if self.threshold <= 0:
            return False
        return self.score(frame_bgr) >= self.threshold or self.last_shift >= PAN_SHIFT
