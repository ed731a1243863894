"""Face samples of a track, each with a quality score, and the best k of them.

A face seen in video varies from frame to frame (pose, blur, size). One face picked by the
detector's score alone is often a tilted or blurred one; several samples chosen by a quality
that also weighs size, sharpness and frontalness (landmark symmetry) give the embedder faces it
can read, and the quality tells the search how far a low score can be trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from epitrace.vision.registry import FaceDetectorBackend

INPUT_SIDE = 160
"""Head crops are upscaled to this longer side before detection (CenterFace misses tiny faces)."""
FULL_SIZE_PX = 80.0
"""Face side (source pixels) at which size stops adding quality (dlib's chip is 150 px)."""
SHARP_HALF = 100.0
"""Laplacian variance (64x64 face) at which sharpness gives half its quality."""


@dataclass(frozen=True)
class FaceQuality:
    """Why a face sample can or cannot be trusted, and one 0-1 value to rank samples by.

    Attributes:
        size_px: shorter side of the face box in the source frame's pixels (before upscaling).
        sharpness: variance of the Laplacian of the face at 64x64 (blur lowers it).
        frontal: 0-1 landmark symmetry (1 frontal; about 0.5 at a three-quarter view).
        score: detector score.
        value: score x size x sharpness x frontalness terms, each 0-1.
    """

    size_px: float
    sharpness: float
    frontal: float
    score: float
    value: float


@dataclass(frozen=True)
class FaceObservation:
    """One face of a track: the upscaled head crop it was found in, where, and its quality."""

    frame: int
    image: npt.NDArray[np.uint8]
    box: npt.NDArray[np.float32]
    landmarks: npt.NDArray[np.float32]
    quality: FaceQuality


def sharpness(gray: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian at a fixed 64x64 scale: blur lowers it, size does not."""
    if gray.size == 0:
        return 0.0
    small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


def frontalness(landmarks: npt.NDArray[np.float32]) -> float:
    """0-1 symmetry of the 5 landmarks: eye-to-nose and mouth-corner-to-nose distance ratios.

    A turned head brings the nose towards one eye and one mouth corner; the ratio of the shorter
    to the longer distance on each side is 1 for a frontal face and falls with yaw.
    """
    p = np.asarray(landmarks, np.float64).reshape(5, 2)
    nose = p[2]
    ratios = []
    for a, b in ((p[0], p[1]), (p[3], p[4])):
        da, db = float(np.linalg.norm(a - nose)), float(np.linalg.norm(b - nose))
        ratios.append(min(da, db) / max(da, db, 1e-6))
    return float(np.clip(np.mean(ratios), 0.0, 1.0))


def face_quality(image: npt.NDArray[np.uint8], box: npt.ArrayLike, landmarks: npt.ArrayLike,
                 score: float, scale: float = 1.0) -> FaceQuality:
    """The quality of the face at `box` in `image`, which was upscaled by `scale` from the source."""
    x1, y1, x2, y2 = (int(round(float(v))) for v in np.asarray(box, np.float32))
    face = image[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)]
    gray = np.asarray(cv2.cvtColor(face, cv2.COLOR_BGR2GRAY), np.uint8) if face.size else face
    sharp = sharpness(gray)
    size = min(x2 - x1, y2 - y1) / max(scale, 1e-6)
    frontal = frontalness(np.asarray(landmarks, np.float32))
    value = float(score) * min(size / FULL_SIZE_PX, 1.0) * sharp / (sharp + SHARP_HALF) * (0.5 + 0.5 * frontal)
    return FaceQuality(float(size), sharp, frontal, float(score), float(value))


def observe_face(head_bgr: npt.NDArray[np.uint8], detector: FaceDetectorBackend, frame: int = 0,
                 threshold: float = 0.5, input_side: int = INPUT_SIDE) -> FaceObservation | None:
    """The most confident face in a head crop (upscaled to `input_side`), or None."""
    if head_bgr.size == 0:
        return None
    scale = input_side / max(head_bgr.shape[:2])
    big = np.asarray(cv2.resize(head_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8)
    found = detector.detect(big, threshold=threshold)
    if len(found) == 0:
        return None
    k = int(np.argmax(found.confidence))
    marks = np.asarray(found.data["landmarks"][k], np.float32)
    quality = face_quality(big, found.xyxy[k], marks, float(found.confidence[k]), scale)
    return FaceObservation(frame, big, found.xyxy[k].copy(), marks, quality)


def best_faces(heads: Iterable[tuple[int, npt.NDArray[np.uint8]]], detector: FaceDetectorBackend, k: int,
               threshold: float = 0.5) -> list[FaceObservation]:
    """The `k` best faces (by quality value, best first) among (frame, head crop) pairs."""
    seen = [obs for frame, head in heads if (obs := observe_face(head, detector, frame, threshold)) is not None]
    return sorted(seen, key=lambda o: -o.quality.value)[:k]


def template(vectors: list[npt.NDArray[np.float32]], weights: list[float]) -> npt.NDArray[np.float32]:
    """Quality-weighted mean of unit face vectors, renormalised: one vector for a track's faces.

    Averaging several views of one face lands nearer that person's centre than any one view, so a
    frontal enrolment photo matches a track seen partly three-quarter (template aggregation).
    """
    if not vectors:
        raise ValueError("no face vectors to average")
    w = np.maximum(np.asarray(weights, np.float64), 1e-6)
    mean = (np.stack(vectors).astype(np.float64) * w[:, None]).sum(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
