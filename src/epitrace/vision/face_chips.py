"""Face chips: a face cut with a fixed margin, so it can be embedded later without detection.

When face embeddings may only be computed inside a consenting case (`ingest.face_embeddings =
"case"`), ingest keeps the chip (sealed at rest) instead of the embedding. The margin is padded
(never clipped at the image edge), so the face box inside every chip is the same fraction of it
and the chip alone is enough to embed the face when a case needs it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

MARGIN = 0.25
"""Margin around the face box on each side, as a share of the box size (dlib's landmarks need context)."""


def face_chip(image: npt.NDArray[np.uint8], box_xyxy: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """The face in `box_xyxy` with a `MARGIN` border on each side (edge pixels replicated)."""
    x1, y1, x2, y2 = (float(v) for v in np.asarray(box_xyxy, np.float32))
    mx, my = (x2 - x1) * MARGIN, (y2 - y1) * MARGIN
    left, top = int(round(x1 - mx)), int(round(y1 - my))
    right, bottom = int(round(x2 + mx)), int(round(y2 + my))
    h, w = image.shape[:2]
    pad = max(0, -left, -top, right - w, bottom - h)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else image
    return np.ascontiguousarray(padded[top + pad:bottom + pad, left + pad:right + pad])


def chip_face_box(chip: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Where the face box lies inside a chip made by `face_chip`."""
    h, w = chip.shape[:2]
    f = MARGIN / (1 + 2 * MARGIN)
    return np.array([w * f, h * f, w * (1 - f), h * (1 - f)], np.float32)
