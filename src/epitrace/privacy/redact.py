"""Mosaic faces and heads so that no one but a confirmed subject leaves the system recognisable.

CCTV faces are ~10 px: face detectors miss most of them (BASELINES.md: CenterFace touched 31%
of heads), so every person box also gets its head region mosaicked, whether a face was found
or not.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

HEAD_SHARE = 0.3  # top share of a person box that holds the head (with margin)


def mosaic(image: npt.NDArray[np.uint8], boxes: npt.ArrayLike, block: int = 8) -> npt.NDArray[np.uint8]:
    """Copy of `image` with each (x1, y1, x2, y2) box pixelated into `block`-px cells."""
    out = image.copy()
    h, w = out.shape[:2]
    for x1, y1, x2, y2 in np.asarray(boxes, np.float32).reshape(-1, 4):
        left, t = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        r, b = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
        if r <= left or b <= t:
            continue
        region = out[t:b, left:r]
        cells = (max(1, (r - left) // block), max(1, (b - t) // block))
        small = cv2.resize(region, cells, interpolation=cv2.INTER_AREA)
        out[t:b, left:r] = cv2.resize(small, (r - left, b - t), interpolation=cv2.INTER_NEAREST)
    return out


def head_boxes(person_boxes: npt.ArrayLike, margin: float = 0.15) -> npt.NDArray[np.float32]:
    """Head regions of person boxes: the top HEAD_SHARE, widened by `margin` each side."""
    b = np.asarray(person_boxes, np.float32).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] - margin * w, b[:, 1] - 0.05 * h, b[:, 2] + margin * w,
                     b[:, 1] + HEAD_SHARE * h], axis=1)


def redact_person_crop(crop: npt.NDArray[np.uint8], block: int = 6) -> npt.NDArray[np.uint8]:
    """A stored person thumbnail with its head mosaicked (for anyone not a confirmed subject)."""
    h, w = crop.shape[:2]
    return mosaic(crop, head_boxes([[0, 0, w, h]]), block=max(2, min(block, max(h // 12, 2))))


def redact_frame(frame: npt.NDArray[np.uint8], person_boxes: npt.ArrayLike,
                 keep: npt.NDArray[np.bool_] | None = None,
                 face_boxes: npt.ArrayLike | None = None) -> npt.NDArray[np.uint8]:
    """Mosaic the heads of all persons except those where `keep` is True, and any extra faces."""
    boxes = np.asarray(person_boxes, np.float32).reshape(-1, 4)
    if keep is not None:
        boxes = boxes[~np.asarray(keep, bool)]
    out = mosaic(frame, head_boxes(boxes))
    if face_boxes is not None:
        out = mosaic(out, face_boxes)
    return out
