"""CCTV-like degradation of face photos: downscale to a face size, blur, JPEG, cut a head crop.

Face thresholds calibrated on studio photos alone do not hold for CCTV faces of 20-60 px. These
levels turn a labelled photo into what ingest would see (a small, soft, compressed head crop),
deterministically (no randomness), so the calibration and its tests are repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Degradation:
    """One CCTV-like condition.

    Attributes:
        name: label in reports.
        face_px: width of the face box after downscaling, pixels.
        blur_sigma: Gaussian blur at the downscaled size, pixels (lens and motion softness).
        jpeg_quality: JPEG quality of the re-encoded frame (recorders compress hard).
    """

    name: str
    face_px: int
    blur_sigma: float
    jpeg_quality: int


LEVELS: tuple[Degradation, ...] = (
    Degradation("60px", 60, 0.6, 70),
    Degradation("40px", 40, 0.8, 60),
    Degradation("30px", 30, 0.9, 50),
    Degradation("20px", 20, 1.0, 40),
)
"""The levels the evaluation and the band calibration use (faces 20-60 px)."""
CONDITIONS: tuple[str, ...] = ("clean", *(lv.name for lv in LEVELS))
"""Every condition an evaluation can report: the photos as they are, then each level."""


def level(name: str) -> Degradation:
    """The level called `name` (e.g. "24px"); ValueError lists the known names."""
    for lv in LEVELS:
        if lv.name == name:
            return lv
    raise ValueError(f"unknown degradation {name!r}; known: {', '.join(lv.name for lv in LEVELS)}")


def degrade(image: npt.NDArray[np.uint8], face_box: npt.ArrayLike,
            lv: Degradation) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """`image` downscaled so the face in `face_box` is `lv.face_px` wide, blurred and JPEG-compressed.

    Returns:
        The degraded image and the face box in its pixels.
    """
    box = np.asarray(face_box, np.float32)
    width = float(box[2] - box[0])
    if width <= 0:
        raise ValueError(f"empty face box {box.tolist()}")
    scale = min(lv.face_px / width, 1.0)
    h, w = image.shape[:2]
    size = (max(int(round(w * scale)), 1), max(int(round(h * scale)), 1))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if lv.blur_sigma > 0:
        small = cv2.GaussianBlur(small, (0, 0), lv.blur_sigma)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, lv.jpeg_quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    decoded = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    return decoded, (box * scale).astype(np.float32)


def head_crop(image: npt.NDArray[np.uint8], face_box: npt.ArrayLike, context: float = 2.0) -> npt.NDArray[np.uint8]:
    """A square around the face, `context` times its size, as ingest's head region would cut it."""
    x1, y1, x2, y2 = (float(v) for v in np.asarray(face_box, np.float32))
    side = context * max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    h, w = image.shape[:2]
    left, top = max(int(round(cx - side / 2)), 0), max(int(round(cy - side / 2)), 0)
    right, bottom = min(int(round(cx + side / 2)), w), min(int(round(cy + side / 2)), h)
    return np.ascontiguousarray(image[top:bottom, left:right])
