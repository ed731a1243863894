"""Face boxes for export redaction, found in the head region of each person box.

CenterFace misses faces under ~10 px at its input, and CCTV faces are ~6-10 px: on whole PETS
frames it finds 0.4 faces per frame, on upscaled head crops about 0.7 per person. So each
person's head region is cropped and searched on its own (the detector upscales small crops).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from epitrace.vision.faces import nms
from epitrace.vision.types import Detections

FACE_THRESHOLD = 0.3  # blurred CCTV faces score 0.4-0.75; a false face costs a mosaicked patch


class FaceFinder(Protocol):
    """What `detect_faces` needs of a face detector (`vision.faces.FaceDetector`)."""

    def detect(self, image_bgr: npt.NDArray[np.uint8], threshold: float = 0.5) -> Detections:
        """Face boxes in `image_bgr` scoring >= `threshold`."""
        ...


def head_crops(person_boxes: npt.ArrayLike, shape: tuple[int, int]) -> npt.NDArray[np.int64]:
    """Integer crop windows (x1, y1, x2, y2) around each person's head, clipped to the frame."""
    b = np.asarray(person_boxes, np.float32).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    crops = np.stack([b[:, 0] - 0.2 * w, b[:, 1] - 0.1 * h, b[:, 2] + 0.2 * w, b[:, 1] + 0.35 * h], axis=1)
    crops = np.round(crops).astype(np.int64)
    crops[:, [0, 2]] = crops[:, [0, 2]].clip(0, shape[1])
    crops[:, [1, 3]] = crops[:, [1, 3]].clip(0, shape[0])
    return crops


def detect_faces(detector: FaceFinder, image: npt.NDArray[np.uint8], person_boxes: npt.ArrayLike,
                 threshold: float = FACE_THRESHOLD) -> npt.NDArray[np.float32]:
    """Face boxes (x1, y1, x2, y2) in `image` pixels, searched in each person's head crop.

    Faces found twice (overlapping crops) are merged by non-maximum suppression.
    """
    boxes, scores = [], []
    for x1, y1, x2, y2 in head_crops(person_boxes, image.shape[:2]):
        if x2 - x1 < 4 or y2 - y1 < 4:
            continue
        found = detector.detect(np.ascontiguousarray(image[y1:y2, x1:x2]), threshold=threshold)
        if len(found):
            boxes.append(found.xyxy + np.array([x1, y1, x1, y1], np.float32))
            scores.append(found.confidence)
    if not boxes:
        return np.empty((0, 4), np.float32)
    all_boxes = np.concatenate(boxes).astype(np.float32)
    return all_boxes[nms(all_boxes, np.concatenate(scores).astype(np.float32), 0.3)]
