"""128-d face embeddings with dlib's ResNet, aligned by dlib's 5-point landmarks.

dlib's 5-point predictor was trained on boxes from dlib's own detector, which are squarer and
tighter than CenterFace's (forehead to chin). `_to_dlib_rect` maps one to the other; the mapping
was chosen by verification accuracy on the deepface pairs (see epitrace.evaluation.faces).

Vectors are L2-normalised here (dlib's are already close to unit length), so the Euclidean
distance d and the cosine c relate by d^2 = 2 - 2c. dlib's own "same person" rule is d < 0.6.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.vision.faces import FaceDetector

logger = logging.getLogger(__name__)

EMBED_DIM = 128
DEFAULT_MATCH_DISTANCE = 0.40
"""Default "same person" L2 distance between unit vectors (see evaluation.faces for its FAR)."""


class NoFaceError(ValueError):
    """The photo holds no detectable face."""


class MultipleFacesError(ValueError):
    """The photo holds several faces; `boxes` (n, 4) lets the caller choose one."""

    def __init__(self, boxes: npt.NDArray[np.float32]) -> None:
        self.boxes = boxes
        listed = "; ".join(f"[{', '.join(f'{v:.0f}' for v in b)}]" for b in boxes)
        super().__init__(
            f"{len(boxes)} faces found (x1, y1, x2, y2): {listed}; pass the box of the one to enrol"
        )


class FaceEmbedder:
    """dlib ResNet face embedder (128-d, L2-normalised float32).

    Args:
        resnet_path: installed `face_dlib_resnet.dat`.
        landmarks_path: installed `face_landmarks5.dat`.

    Example:
        >>> resnet, marks = models / "face_dlib_resnet.dat", models / "face_landmarks5.dat"
        >>> embedder = FaceEmbedder(resnet, marks)  # doctest: +SKIP
        >>> vector = embedder.embed_photo(cv2.imread("patient.jpg"), detector)  # doctest: +SKIP
        >>> vector.shape  # doctest: +SKIP
        (128,)
    """

    def __init__(self, resnet_path: Path, landmarks_path: Path) -> None:
        import dlib

        self._dlib: Any = dlib
        self._shapes: Any = dlib.shape_predictor(str(landmarks_path))
        self._net: Any = dlib.face_recognition_model_v1(str(resnet_path))

    def embed(
        self, image_bgr: npt.NDArray[np.uint8], box_xyxy: npt.ArrayLike
    ) -> npt.NDArray[np.float32]:
        """The embedding of the face in `box_xyxy` (a CenterFace box, image pixels)."""
        rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
        rect = _to_dlib_rect(self._dlib, np.asarray(box_xyxy, np.float32))
        shape = self._shapes(rgb, rect)
        vector = np.asarray(self._net.compute_face_descriptor(rgb, shape), np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-9)

    def embed_photo(
        self,
        image_bgr: npt.NDArray[np.uint8],
        detector: FaceDetector,
        threshold: float = 0.5,
        background_ratio: float = 0.4,
    ) -> npt.NDArray[np.float32]:
        """The embedding of the one face in an enrolment photo.

        Args:
            image_bgr: the photo.
            detector: face detector.
            threshold: detector score threshold.
            background_ratio: faces less than this fraction of the largest face's height are
                treated as bystanders and ignored. Raise it to ignore larger background faces;
                0 makes every extra face an error.

        Raises:
            NoFaceError: no face scores above `threshold`.
            MultipleFacesError: several comparable faces; its `boxes` lists them.
        """
        faces = detector.detect(image_bgr, threshold)
        if len(faces) == 0:
            raise NoFaceError(f"no face found (detector threshold {threshold})")
        heights = faces.xyxy[:, 3] - faces.xyxy[:, 1]
        main = heights >= background_ratio * heights.max()
        if int(main.sum()) > 1:
            raise MultipleFacesError(faces.xyxy[main])
        if len(faces) > 1:
            logger.info("ignoring %d small background face(s)", len(faces) - 1)
        return self.embed(image_bgr, faces.xyxy[int(np.argmax(heights))])


def _to_dlib_rect(dlib: Any, box: npt.NDArray[np.float32]) -> Any:
    """A dlib-detector-like square box from a CenterFace box.

    CenterFace boxes span forehead to chin; dlib's detector boxes are square, centred a little
    lower and about 0.8x as tall.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    side = 0.5 * (w + h) * 0.85
    cx, cy = (x1 + x2) / 2, y1 + 0.56 * h
    return dlib.rectangle(
        int(round(cx - side / 2)),
        int(round(cy - side / 2)),
        int(round(cx + side / 2)),
        int(round(cy + side / 2)),
    )


def photo_face_embedder(embedder: FaceEmbedder, detector: FaceDetector,
                        face_index: int | None = None) -> Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.float32]]:
    """Photo -> face vector for enrolment.

    The one face of the photo, or face `face_index` (0 = leftmost) when the photo shows several people.
    """

    def embed(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        if face_index is None:
            return embedder.embed_photo(image, detector)
        faces = detector.detect(image)
        order = faces.xyxy[:, 0].argsort()
        if not 0 <= face_index < len(order):
            raise ValueError(f"face {face_index}: the photo shows {len(order)} face(s) (0 = leftmost)")
        return embedder.embed(image, faces.xyxy[order[face_index]])

    return embed

