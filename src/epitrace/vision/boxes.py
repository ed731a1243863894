"""Box geometry shared by every stage: one intersection over union and one box widening.

It lives in `vision` (a leaf beside the `Detections` boxes) so that ingest, evaluation, tracking
and privacy can all use it without one of them importing another.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import supervision as sv


def iou_matrix(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Intersection over union of every (x1, y1, x2, y2) box of `a` with every box of `b`: (n, m).

    supervision's `box_iou_batch` (as `tracking.low_gate` uses), for box lists of any shape (a
    single box, none). A pair whose union has no area scores 0, not NaN. supervision computes in
    float64 and returns float32, so values are exact to about 3e-8.

    Example:
        >>> iou_matrix([0, 0, 10, 10], [[5, 0, 15, 10], [20, 20, 30, 30]]).round(3).tolist()
        [[0.333, 0.0]]
    """
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    return np.asarray(sv.box_iou_batch(a, b), np.float64)


def grow_boxes(boxes: npt.ArrayLike, share: float) -> npt.NDArray[np.float32]:
    """(x1, y1, x2, y2) boxes widened by `share` of their own width and height on every side.

    supervision's `scale_boxes` about each box's centre (factor 1 + 2 `share`): detector face and
    head boxes are tight, and what is mosaicked must cover the whole face.

    Example:
        >>> grow_boxes([10, 20, 30, 60], 0.25).tolist()
        [[5.0, 10.0, 35.0, 70.0]]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.asarray(sv.scale_boxes(b, 1.0 + 2.0 * share), np.float32).reshape(-1, 4)
